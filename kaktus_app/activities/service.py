"""Activities (calls, meetings, emails, to-dos) and the timeline of every record."""

from __future__ import annotations

import json

from sqlalchemy import update
from sqlmodel import Session, select

from kaktus_app.activities.models import RECORD_TYPES, Activity, TimelineEntry
from kaktus_app.auth.service import Actor
from kaktus_app.i18n import utcnow


def log(
    session: Session,
    actor: Actor | None,
    record_type: str,
    record_id: int,
    kind: str,
    message_key: str,
    body: str = "",
    **params,
) -> TimelineEntry:
    """Add a line to a record's timeline (created, changed, converted, stage moved, won, lost...).

    ``message_key`` is a translation key; ``params`` fill its placeholders when shown.
    """
    if record_type not in RECORD_TYPES:
        raise ValueError(f"unknown record type {record_type!r}")
    entry = TimelineEntry(
        record_type=record_type,
        record_id=record_id,
        kind=kind,
        message_key=message_key,
        params=json.dumps(params, default=str, ensure_ascii=False) if params else "",
        body=body or "",
        user_id=actor.id if actor else None,
        at=utcnow(),
    )
    session.add(entry)
    return entry


def log_many(session: Session, actor: Actor | None, record_type: str, entries: list[tuple[int, str, str, dict]]) -> None:
    """Many timeline lines at once (imports): (record_id, kind, message_key, params) each."""
    from sqlalchemy import insert

    if record_type not in RECORD_TYPES:
        raise ValueError(f"unknown record type {record_type!r}")
    if entries:
        now = utcnow()
        session.execute(insert(TimelineEntry.__table__), [
            {"record_type": record_type, "record_id": record_id, "kind": kind, "message_key": key,
             "params": json.dumps(params, default=str, ensure_ascii=False) if params else "", "body": "", "user_id": actor.id if actor else None, "at": now}
            for record_id, kind, key, params in entries
        ])


def next_activity_by_opportunity(session: Session, opportunity_ids: list[int]) -> dict[int, dict]:
    """The earliest planned (not done) activity of each opportunity: {id: {summary, kind, due_at, overdue}}."""
    ids = [i for i in opportunity_ids if i]
    if not ids:
        return {}
    rows = session.exec(
        select(Activity.opportunity_id, Activity.summary, Activity.kind, Activity.due_at)
        .where(Activity.opportunity_id.in_(ids), Activity.done == False)  # noqa: E712
        .order_by(Activity.opportunity_id, Activity.due_at)
    ).all()
    now = utcnow()
    result: dict[int, dict] = {}
    for opportunity_id, summary, kind, due_at in rows:
        if opportunity_id in result:
            continue
        result[opportunity_id] = {
            "summary": summary,
            "kind": kind,
            "due_at": due_at,
            "overdue": bool(due_at and due_at < now),
        }
    return result


def move_lead_history_to_opportunity(session: Session, lead_id: int, opportunity_id: int) -> None:
    """On conversion the lead's activities follow it to the opportunity (the lead keeps its link too)."""
    session.exec(update(Activity).where(Activity.lead_id == lead_id).values(opportunity_id=opportunity_id))


# ------------------------------------------------------------------------------ planning and logging

from datetime import datetime, time, timedelta  # noqa: E402

from sqlalchemy import func  # noqa: E402

from kaktus_app.activities.models import ACTIVITY_KINDS, CALL_OUTCOMES  # noqa: E402
from kaktus_app.auth import permissions  # noqa: E402
from kaktus_app.auth.models import User  # noqa: E402
from kaktus_app.auth.service import user_names  # noqa: E402
from kaktus_app.customers.models import Customer  # noqa: E402
from kaktus_app.errors import DomainError, NotFound  # noqa: E402
from kaktus_app.i18n import JAKARTA, format_datetime, format_idr, to_jakarta, translate  # noqa: E402
from kaktus_app.leads.models import Lead  # noqa: E402
from kaktus_app.paging import batches  # noqa: E402
from kaktus_app.sales.models import Opportunity  # noqa: E402
from kaktus_app.validation import Errors, clean_text, parse_local_datetime  # noqa: E402

RECORD_MODELS = {"customer": Customer, "lead": Lead, "opportunity": Opportunity}
RECORD_FIELDS = {"customer": "customer_id", "lead": "lead_id", "opportunity": "opportunity_id"}
FIELD_LABELS = {
    "name": "common.name", "title": "leads.field.title", "kind": "customers.kind", "email": "common.email", "phone": "common.phone",
    "mobile": "customers.mobile", "city": "common.city", "province": "customers.province", "street": "customers.street",
    "postal_code": "customers.postal_code", "latitude": "customers.latitude", "longitude": "customers.longitude",
    "segment": "customers.segment", "industry": "customers.industry", "tags": "common.tags", "owner_id": "common.owner",
    "npwp": "customers.npwp", "website": "customers.website", "company_id": "customers.company", "department": "customers.department",
    "person_in_charge": "customers.person_in_charge", "job_title": "customers.job_title", "notes": "customers.notes",
    "profile_needs": "customers.profile_needs", "profile_preferences": "customers.profile_preferences",
    "profile_history": "customers.profile_history", "expected_revenue": "sales.revenue", "probability": "sales.probability",
    "expected_closing": "sales.expected_closing", "priority": "sales.priority", "memo": "sales.memo", "customer_id": "sales.customer",
    "contact_name": "leads.contact_name", "company_name": "leads.company_name", "source": "leads.source",
}
ICONS = {"call": "phone", "meeting": "users", "email": "mail", "task": "square-check", "note": "sticky-note"}


def _record_link(session: Session, data: dict, errors: Errors) -> dict:
    """Exactly one of customer_id / lead_id / opportunity_id, and it must exist."""
    links = {}
    for record_type, field in RECORD_FIELDS.items():
        raw = str(data.get(field) or "").strip()
        if raw:
            if not raw.isdigit() or session.get(RECORD_MODELS[record_type], int(raw)) is None:
                errors.add("record", "activities.error.record")
            else:
                links[field] = int(raw)
    if len(links) != 1:
        errors.add("record", "activities.error.record")
    if "lead_id" in links:
        lead = session.get(Lead, links["lead_id"])
        if lead is not None and lead.opportunity_id:
            links["opportunity_id"] = lead.opportunity_id
    return links


def _assignee(session: Session, actor: Actor, raw, errors: Errors) -> int:
    raw = str(raw or "").strip()
    assignee_id = int(raw) if raw.isdigit() else actor.id
    user = session.get(User, assignee_id)
    if user is None or not user.is_active:
        errors.add("assignee_id", "error.user_unknown")
    return assignee_id


def schedule_activity(session: Session, actor: Actor, data: dict) -> Activity:
    permissions.require(session, actor, "activities", "create")
    data = permissions.guard_writes(session, actor, "activities", data)
    errors = Errors()
    kind = str(data.get("kind") or "call")
    if kind not in ACTIVITY_KINDS:
        errors.add("kind", "activities.error.kind")
    summary = errors.check("summary", clean_text, data.get("summary"), required=True, max_length=200)
    due_at = errors.check("due_at", parse_local_datetime, data.get("due_at"), required=True)
    note = errors.check("note", clean_text, data.get("note"), max_length=20_000) or ""
    assignee_id = _assignee(session, actor, data.get("assignee_id"), errors)
    links = _record_link(session, data, errors)
    errors.raise_if_any()
    activity = Activity(kind=kind, summary=summary, note=note, due_at=due_at, assignee_id=assignee_id, created_by_id=actor.id, created_at=utcnow(), **links)
    session.add(activity)
    session.flush()
    return activity


def log_call(session: Session, actor: Actor, data: dict) -> Activity:
    permissions.require(session, actor, "activities", "create")
    data = permissions.guard_writes(session, actor, "activities", data)
    errors = Errors()
    outcome = str(data.get("outcome") or "")
    if outcome not in CALL_OUTCOMES:
        errors.add("outcome", "activities.error.outcome")
    summary = errors.check("summary", clean_text, data.get("summary") or translate("activities.logged_call"), max_length=200)
    note = errors.check("note", clean_text, data.get("note"), max_length=20_000) or ""
    links = _record_link(session, data, errors)
    errors.raise_if_any()
    now = utcnow()
    activity = Activity(kind="call", summary=summary, note=note, due_at=now, done=True, done_at=now, outcome=outcome, assignee_id=actor.id, created_by_id=actor.id, created_at=now, **links)
    session.add(activity)
    session.flush()
    return activity


def _get(session: Session, activity_id: int, actor: Actor | None = None) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise NotFound()
    if actor is not None:
        # an activity belongs to its assignee (the sharing rule of "activities" opens it wider)
        permissions.check_visible(session, actor, "activities", activity.assignee_id)
    return activity


def mark_done(session: Session, actor: Actor, activity_id: int, *, outcome: str = "", note: str = "", next_activity: dict | None = None) -> Activity:
    """Mark done and, in the same transaction, schedule the follow-up when one is given."""
    permissions.require(session, actor, "activities", "update")
    activity = _get(session, activity_id, actor)
    if outcome and permissions.access(session, actor).mode("activities", "outcome") != "editable":
        raise DomainError("error.field_readonly", field="outcome")
    if note and note.strip() and permissions.access(session, actor).mode("activities", "note") != "editable":
        raise DomainError("error.field_readonly", field="note")
    if activity.done:
        raise DomainError("activities.error.already_done")
    if outcome and outcome not in CALL_OUTCOMES:
        raise DomainError("activities.error.outcome", field="outcome")
    activity.done, activity.done_at, activity.outcome = True, utcnow(), outcome
    if note and note.strip():
        activity.note = f"{activity.note}\n{note.strip()}".strip()
    session.add(activity)
    if next_activity and str(next_activity.get("summary") or "").strip():
        follow = dict(next_activity)
        for field in RECORD_FIELDS.values():
            follow.pop(field, None)
        field = "opportunity_id" if activity.opportunity_id else ("lead_id" if activity.lead_id else "customer_id")
        follow[field] = getattr(activity, field)
        schedule_activity(session, actor, follow)
    session.flush()
    return activity


def delete_activity(session: Session, actor: Actor, activity_id: int) -> None:
    permissions.require(session, actor, "activities", "delete")
    activity = _get(session, activity_id, actor)
    if activity.done:
        raise DomainError("activities.error.done_readonly")
    session.delete(activity)



ACTIVITY_SORTS = {"due_at": Activity.due_at, "created_at": Activity.created_at, "done_at": Activity.done_at, "kind": Activity.kind}


def update_activity(session: Session, actor: Actor, activity_id: int, data: dict) -> Activity:
    """Change a planned activity (kind, summary, due time, note, assignee); a done one is history."""
    permissions.require(session, actor, "activities", "update")
    activity = _get(session, activity_id, actor)
    if activity.done:
        raise DomainError("activities.error.done_readonly")
    data = permissions.guard_writes(session, actor, "activities", data, activity)
    errors = Errors()
    clean: dict = {}
    if "kind" in data:
        clean["kind"] = str(data.get("kind") or "call")
        if clean["kind"] not in ACTIVITY_KINDS:
            errors.add("kind", "activities.error.kind")
    if "summary" in data:
        clean["summary"] = errors.check("summary", clean_text, data.get("summary"), required=True, max_length=200)
    if "due_at" in data:
        clean["due_at"] = errors.check("due_at", parse_local_datetime, data.get("due_at"), required=True)
    if "note" in data:
        clean["note"] = errors.check("note", clean_text, data.get("note"), max_length=20_000) or ""
    if "assignee_id" in data:
        clean["assignee_id"] = _assignee(session, actor, data.get("assignee_id"), errors)
    errors.raise_if_any()
    for key, value in clean.items():
        setattr(activity, key, value)
    session.add(activity)
    session.flush()
    return activity


def get_activity(session: Session, actor: Actor, activity_id: int, lang: str = "en") -> dict:
    permissions.require(session, actor, "activities", "read")
    activity = _get(session, activity_id, actor)
    names = _record_names(session, [activity])
    users = user_names(session, [activity.assignee_id])
    return permissions.redact(session, actor, "activities", _activity_row(activity, names, users, lang, utcnow()))


def list_activities(
    session: Session, actor: Actor, *, kind: str = "", done: bool | None = None, assignee_id=None, customer_id=None, lead_id=None,
    opportunity_id=None, due_from: datetime | None = None, due_to: datetime | None = None, sort: str = "due_at", desc: bool = False,
    page: int = 1, page_size: int = 25, lang: str = "en",
) -> dict:
    """Every activity the actor may see (their own and, by the sharing rule, others'), filtered."""
    from kaktus_app.paging import page_of

    permissions.require(session, actor, "activities", "read")
    visible = permissions.visible_owner_ids(session, actor, "activities")

    def filtered(query):
        clause = permissions.owner_clause(Activity.assignee_id, visible)
        if clause is not None:
            query = query.where(clause)
        if kind:
            query = query.where(Activity.kind == kind)
        if done is not None:
            query = query.where(Activity.done == bool(done))
        assignee = actor.id if assignee_id == "me" else assignee_id
        for column, value in ((Activity.assignee_id, assignee), (Activity.customer_id, customer_id), (Activity.lead_id, lead_id), (Activity.opportunity_id, opportunity_id)):
            if value not in (None, ""):
                query = query.where(column == int(value))
        if due_from is not None:
            query = query.where(Activity.due_at >= due_from)
        if due_to is not None:
            query = query.where(Activity.due_at < due_to)
        return query

    at = page_of(session, filtered(select(Activity.id)), page, page_size)
    column = ACTIVITY_SORTS.get(sort, Activity.due_at)
    order = [column.desc(), Activity.id.desc()] if desc else [column.asc(), Activity.id.asc()]
    rows = session.exec(filtered(select(Activity)).order_by(*order).offset(at.offset).limit(at.size)).all()
    names = _record_names(session, list(rows))
    users = user_names(session, [a.assignee_id for a in rows])
    hidden = permissions.hidden(session, actor, "activities")
    now = utcnow()
    return at.result([permissions.redact(session, actor, "activities", _activity_row(a, names, users, lang, now), hidden) for a in rows])

def add_note(session: Session, actor: Actor, record_type: str, record_id: int, body: str) -> TimelineEntry:
    text = (body or "").strip()
    if not text:
        raise DomainError("error.required", field="body")
    if len(text) > 20_000:
        raise DomainError("error.too_long", field="body", max=20_000)
    if record_type not in RECORD_MODELS or session.get(RECORD_MODELS[record_type], record_id) is None:
        raise NotFound()
    return log(session, actor, record_type, record_id, "note", "activities.timeline.note", body=text)


def _jakarta_day_bounds(now: datetime) -> tuple[datetime, datetime]:
    local = to_jakarta(now)
    start = datetime.combine(local.date(), time.min, tzinfo=JAKARTA)
    return start.astimezone(now.tzinfo), (start + timedelta(days=1)).astimezone(now.tzinfo)


def _bucket_query(query, actor: Actor, bucket: str, now: datetime):
    _start, end = _jakarta_day_bounds(now)
    query = query.where(Activity.assignee_id == actor.id)
    if bucket == "done":
        return query.where(Activity.done == True)  # noqa: E712
    query = query.where(Activity.done == False)  # noqa: E712
    if bucket == "overdue":
        return query.where(Activity.due_at < now)
    if bucket == "today":
        return query.where(Activity.due_at >= now, Activity.due_at < end)
    return query.where(Activity.due_at >= end)


def _record_names(session: Session, activities_: list[Activity]) -> dict:
    names = {}
    for record_type, model in RECORD_MODELS.items():
        field = RECORD_FIELDS[record_type]
        ids = {getattr(a, field) for a in activities_ if getattr(a, field)}
        if ids:
            title = model.title if record_type == "lead" else model.name
            names[record_type] = dict(session.exec(select(model.id, title).where(model.id.in_(ids))).all())
    return names


def _activity_row(a: Activity, names: dict, users: dict, lang: str, now: datetime) -> dict:
    if a.opportunity_id:
        record_type, record_id = "opportunity", a.opportunity_id
    elif a.lead_id:
        record_type, record_id = "lead", a.lead_id
    else:
        record_type, record_id = "customer", a.customer_id
    href = {"customer": "/customers/", "lead": "/leads/", "opportunity": "/opportunities/"}[record_type] + str(record_id)
    return {
        "id": a.id,
        "kind": a.kind,
        "kind_label": translate(f"activities.kind.{a.kind}", lang),
        "icon": ICONS.get(a.kind, "circle"),
        "summary": a.summary,
        "note": a.note,
        "due": format_datetime(a.due_at, lang),
        "overdue": bool(not a.done and a.due_at and a.due_at < now),
        "done": a.done,
        "outcome": translate(f"activities.outcome.{a.outcome}", lang) if a.outcome else "",
        "record": names.get(record_type, {}).get(record_id, ""),
        "href": href,
        "assignee": users.get(a.assignee_id, ""),
    }


def my_activities(session: Session, actor: Actor, *, bucket: str = "today", page: int = 1, page_size: int = 25, lang: str = "en") -> dict:
    now = utcnow()
    total = session.exec(_bucket_query(select(func.count(Activity.id)), actor, bucket, now)).one()
    pages = max(1, -(-total // page_size))
    page = max(1, min(page, pages))
    rows = session.exec(_list_query(actor, bucket, now).offset((page - 1) * page_size).limit(page_size)).all()
    return {"rows": _my_activity_rows(session, actor, rows, lang, now), "total": total, "page": page, "pages": pages}


def _list_query(actor: Actor, bucket: str, now: datetime):
    """My activities of one bucket in the list's order (done: last done first; else soonest due)."""
    order = Activity.done_at.desc() if bucket == "done" else Activity.due_at.asc()
    return _bucket_query(select(Activity), actor, bucket, now).order_by(order, Activity.id)


def _my_activity_rows(session: Session, actor: Actor, rows, lang: str, now: datetime) -> list[dict]:
    names = _record_names(session, list(rows))
    users = user_names(session, [a.assignee_id for a in rows])
    hidden = permissions.hidden(session, actor, "activities")
    return [permissions.redact(session, actor, "activities", _activity_row(a, names, users, lang, now), hidden) for a in rows]


def iter_my_activities(session: Session, actor: Actor, *, filters: dict, lang: str = "en"):
    """Every activity of My activities' bucket (``filters["bucket"]``), in the list's order, as list
    rows, read in batches (exports: the whole result is never in memory)."""
    now = utcnow()
    bucket = filters.get("bucket") or "today"
    for rows in batches(session, _list_query(actor, bucket, now)):
        yield from _my_activity_rows(session, actor, rows, lang, now)


def bucket_counts(session: Session, actor: Actor) -> dict:
    now = utcnow()
    return {b: session.exec(_bucket_query(select(func.count(Activity.id)), actor, b, now)).one() for b in ("today", "overdue", "upcoming", "done")}


def counts_for_home(session: Session, actor: Actor) -> dict:
    counts = bucket_counts(session, actor)
    open_count, open_sum = session.exec(
        select(func.count(Opportunity.id), func.coalesce(func.sum(Opportunity.expected_revenue), 0)).where(Opportunity.owner_id == actor.id, Opportunity.state == "open")
    ).one()
    leads = session.exec(select(func.count(Lead.id)).where(Lead.owner_id == actor.id, Lead.status == "open")).one()
    return counts | {"open_opportunities": open_count, "open_revenue": format_idr(open_sum), "open_leads": leads}


def timeline(session: Session, actor: Actor, record_type: str, record_id: int, lang: str = "en", limit: int = 100) -> list[dict]:
    """Everything about a record, planned activities first, then the rest newest first.

    A customer's timeline includes its contacts', leads' and opportunities'; an opportunity's includes
    the lead it came from, so conversion keeps the history.
    """
    if record_type not in RECORD_MODELS:
        return []
    now = utcnow()
    activity_filter = []
    entry_keys: list[tuple[str, list[int]]] = [(record_type, [record_id])]
    if record_type == "customer":
        contact_ids = list(session.exec(select(Customer.id).where(Customer.company_id == record_id)).all())
        customer_ids = [record_id, *contact_ids]
        lead_ids = list(session.exec(select(Lead.id).where(Lead.customer_id.in_(customer_ids))).all())
        opp_ids = list(session.exec(select(Opportunity.id).where(Opportunity.customer_id.in_(customer_ids))).all())
        activity_filter.append(Activity.customer_id.in_(customer_ids))
        entry_keys = [("customer", customer_ids), ("lead", lead_ids), ("opportunity", opp_ids)]
    elif record_type == "lead":
        lead_ids, opp_ids = [record_id], []
    else:
        opp = session.get(Opportunity, record_id)
        lead_ids = [opp.lead_id] if opp is not None and opp.lead_id else []
        opp_ids = [record_id]
        entry_keys.append(("lead", lead_ids))
    if lead_ids:
        activity_filter.append(Activity.lead_id.in_(lead_ids))
    if opp_ids:
        activity_filter.append(Activity.opportunity_id.in_(opp_ids))
    condition = activity_filter[0]
    for extra in activity_filter[1:]:
        condition = condition | extra
    visible = permissions.owner_clause(Activity.assignee_id, permissions.visible_owner_ids(session, actor, "activities"))
    if visible is not None:
        condition = condition & visible
    acts = list(session.exec(select(Activity).where(condition).order_by(Activity.id.desc()).limit(limit)).all())
    entry_condition = None
    for kind, ids in entry_keys:
        if ids:
            clause = (TimelineEntry.record_type == kind) & TimelineEntry.record_id.in_(ids)
            entry_condition = clause if entry_condition is None else entry_condition | clause
    entries = list(session.exec(select(TimelineEntry).where(entry_condition).order_by(TimelineEntry.at.desc()).limit(limit)).all()) if entry_condition is not None else []
    users = user_names(session, [a.assignee_id for a in acts] + [e.user_id for e in entries])
    names = _record_names(session, acts)
    hidden = permissions.hidden(session, actor, "activities")
    if not permissions.can(session, actor, "activities", "read"):
        acts = []
    planned, past = [], []
    for a in acts:
        row = permissions.redact(session, actor, "activities", _activity_row(a, names, users, lang, now), hidden)
        item = {
            "id": f"a{a.id}", "activity_id": a.id, "kind": a.kind, "icon": row["icon"], "title": f"{row['kind_label']}: {a.summary}",
            "body": "\n".join(part for part in (row["outcome"], row["note"]) if part), "when": row["due"], "who": row["assignee"],
            "overdue": row["overdue"], "done": a.done, "planned": not a.done, "sort": (a.done_at or a.due_at or a.created_at).isoformat(),
        }
        (past if a.done else planned).append(item)
    for e in entries:
        params = json.loads(e.params) if e.params else {}
        if params.get("reason_key"):
            params["reason"] = translate(params["reason_key"], lang)
        if params.get("changed"):
            params["changed"] = ", ".join(translate(FIELD_LABELS.get(f.strip(), f.strip()), lang) for f in str(params["changed"]).split(","))
        past.append(
            {
                "id": f"e{e.id}", "activity_id": 0, "kind": e.kind, "icon": ICONS.get(e.kind, "history"), "title": translate(e.message_key, lang, **params),
                "body": e.body, "when": format_datetime(e.at, lang), "who": users.get(e.user_id, ""), "overdue": False, "done": True,
                "planned": False, "sort": e.at.isoformat(),
            }
        )
    hidden_by_module = {module: permissions.hidden(session, actor, module) for module in AUDIT_MODULES.values()}
    past += _field_changes(session, entry_keys, lang, hidden_by_module=hidden_by_module)
    planned.sort(key=lambda i: i["sort"])
    past.sort(key=lambda i: i["sort"], reverse=True)
    return (planned + past)[:limit]


AUDIT_MODULES = {"customer": "customers", "lead": "leads", "opportunity": "opportunities"}
TIMELINE_UPDATED = {"customer": "customers.timeline.updated", "lead": "leads.timeline.updated", "opportunity": "sales.timeline.updated"}


def _field_changes(
    session: Session, entry_keys: list[tuple[str, list[int]]], lang: str, limit: int = 100, hidden_by_module: dict | None = None
) -> list[dict]:
    """The field changes of the records from the audit trail, as timeline items: "City: Jakarta -> Bekasi".
    A field hidden from the reader says that it changed, not what it was or became."""
    from kaktus_app.auth.models import AuditLog
    from kaktus_app.sales.models import Stage

    rows = []
    for kind, ids in entry_keys:
        if ids and kind in AUDIT_MODULES:
            rows += session.exec(
                select(AuditLog)
                .where(AuditLog.module == AUDIT_MODULES[kind], AuditLog.record_id.in_(ids), AuditLog.action == "update")
                .order_by(AuditLog.id.desc())
                .limit(limit)
            ).all()
    if not rows:
        return []
    parsed = [(row, json.loads(row.changes) if row.changes else {}) for row in rows]
    user_ids, customer_ids, stage_ids = set(), set(), set()
    for row, changes in parsed:
        user_ids.add(row.user_id)
        for key, pair in changes.items():
            ids = {int(v) for v in pair if str(v).isdigit()}
            {"owner_id": user_ids, "company_id": customer_ids, "customer_id": customer_ids, "stage_id": stage_ids}.get(key, set()).update(ids)
    names = {
        "owner_id": user_names(session, user_ids),
        "company_id": {c.id: c.name for c in session.exec(select(Customer).where(Customer.id.in_(customer_ids)))} if customer_ids else {},
        "stage_id": {s.id: s.name for s in session.exec(select(Stage).where(Stage.id.in_(stage_ids)))} if stage_ids else {},
    }
    names["customer_id"] = names["company_id"]
    module_kind = {module: kind for kind, module in AUDIT_MODULES.items()}

    def shown(key: str, value: str) -> str:
        if key in names and str(value).isdigit():
            return names[key].get(int(value), value)
        return value if value != "" else "—"

    items = []
    for row, changes in parsed:
        labels = [translate(FIELD_LABELS[key], lang) if key in FIELD_LABELS else key for key in changes]
        hidden = (hidden_by_module or {}).get(row.module, set())
        body = "\n".join(
            f"{label}: •••" if key in hidden else f"{label}: {shown(key, old)} → {shown(key, new)}"
            for label, (key, (old, new)) in zip(labels, changes.items(), strict=True)
        )
        items.append(
            {
                "id": f"u{row.id}", "activity_id": 0, "kind": "updated", "icon": "pencil",
                "title": translate(TIMELINE_UPDATED[module_kind[row.module]], lang, changed=", ".join(labels)), "body": body,
                "when": format_datetime(row.at, lang), "who": names["owner_id"].get(row.user_id, row.username), "overdue": False,
                "done": True, "planned": False, "sort": row.at.isoformat(),
            }
        )
    return items
