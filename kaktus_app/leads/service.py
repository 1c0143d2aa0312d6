"""Leads and their conversion into opportunities (convert, or merge into an existing one)."""

from __future__ import annotations

from sqlalchemy import Select, bindparam, false, func, or_
from sqlalchemy.sql.util import ClauseAdapter
from sqlmodel import Session, select

from kaktus_app.activities import service as activities
from kaktus_app.auth import audit, permissions
from kaktus_app.auth.service import Actor, check_owner, user_names
from kaktus_app.customers import service as customers
from kaktus_app.customers.models import Customer
from kaktus_app.customers.service import check_customer
from kaktus_app.errors import DomainError, NotFound
from kaktus_app.i18n import format_date, format_idr, utcnow
from kaktus_app.leads.models import LEAD_SOURCES, LEAD_STATUSES, Lead
from kaktus_app.paging import COUNT_CAP, Page, PreparedList, batches, list_order, param_clauses
from kaktus_app.prepared import Prepared
from kaktus_app.sales import service as sales
from kaktus_app.sales.models import Opportunity
from kaktus_app.search import text as word_search
from kaktus_app.validation import (
    Errors,
    clean_text,
    format_phone,
    parse_email,
    parse_money,
    parse_phone,
    parse_tags,
    prefix_upper_bound,
    tags_from_db,
    tags_to_db,
)

SORTS = {"title": Lead.title, "source": Lead.source, "status": Lead.status, "expected_revenue": Lead.expected_revenue, "created_at": Lead.created_at, "company_name": Lead.company_name}


def _validate(session: Session, actor: Actor, data: dict, current: Lead | None) -> dict:
    errors = Errors()
    clean: dict = {}

    def has(key: str) -> bool:
        return current is None or key in data

    if has("title"):
        clean["title"] = errors.check("title", clean_text, data.get("title"), required=True, max_length=200)
    for key, limit in (("contact_name", 120), ("company_name", 200), ("city", 80)):
        if has(key):
            clean[key] = errors.check(key, clean_text, data.get(key), max_length=limit) or ""
    if has("memo"):
        clean["memo"] = errors.check("memo", clean_text, data.get("memo"), max_length=20_000) or ""
    if has("email"):
        clean["email"] = errors.check("email", parse_email, data.get("email")) or ""
    if has("phone"):
        clean["phone"] = errors.check("phone", parse_phone, data.get("phone")) or ""
    if has("source"):
        source = str(data.get("source") or "other")
        if source not in LEAD_SOURCES:
            errors.add("source", "leads.error.source")
        clean["source"] = source
    if has("expected_revenue"):
        clean["expected_revenue"] = errors.check("expected_revenue", parse_money, data.get("expected_revenue"))
    if has("tags"):
        clean["tags"] = tags_to_db(parse_tags(data.get("tags")))
    if has("customer_id"):
        clean["customer_id"] = check_customer(session, errors, data.get("customer_id"), "leads.error.customer")
    if has("owner_id"):
        clean["owner_id"] = check_owner(session, errors, data.get("owner_id"), actor.id)
    errors.raise_if_any()
    return clean


def prepare_lead(session: Session, actor: Actor, data: dict) -> dict:
    """The column values a new lead is stored with (permission checked, validated)."""
    permissions.require(session, actor, "leads", "create")
    data = permissions.guard_writes(session, actor, "leads", data)
    return _validate(session, actor, data, None)


def create_lead(session: Session, actor: Actor, data: dict) -> Lead:
    now = utcnow()
    lead = Lead(**prepare_lead(session, actor, data), created_at=now, updated_at=now)
    session.add(lead)
    session.flush()
    activities.log(session, actor, "lead", lead.id, "created", "leads.timeline.created", title=lead.title)
    return lead


def insert_leads(session: Session, actor: Actor, rows: list[dict]) -> list[int]:
    """Store many prepared leads at once (imports), audited and on their timelines like create_lead."""
    ids = audit.insert_many(session, Lead, rows)
    activities.log_many(session, actor, "lead", [(i, "created", "leads.timeline.created", {"title": r["title"]}) for i, r in zip(ids, rows, strict=True)])
    return ids


def _get(session: Session, lead_id: int, actor: Actor | None = None) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound()
    if actor is not None:
        permissions.check_visible(session, actor, "leads", lead.owner_id)
    return lead


def update_lead(session: Session, actor: Actor, lead_id: int, data: dict) -> Lead:
    permissions.require(session, actor, "leads", "update")
    lead = _get(session, lead_id, actor)
    if lead.status == "converted":
        raise DomainError("leads.error.converted_readonly")
    data = permissions.guard_writes(session, actor, "leads", data, lead)
    clean = _validate(session, actor, data, lead)
    changed = [k for k, v in clean.items() if getattr(lead, k) != v]
    for key in changed:
        setattr(lead, key, clean[key])
    if changed:
        lead.updated_at = utcnow()
        session.add(lead)
    session.flush()
    return lead



def delete_lead(session: Session, actor: Actor, lead_id: int) -> None:
    """Delete an open or lost lead with its activities and timeline. A converted lead is the history
    of its opportunity and stays."""
    from sqlalchemy import delete

    from kaktus_app.activities.models import Activity, TimelineEntry
    from kaktus_app.references import refuse_if_referenced

    permissions.require(session, actor, "leads", "delete")
    lead = _get(session, lead_id, actor)
    if lead.status == "converted":
        raise DomainError("leads.error.converted_readonly")
    for activity in session.exec(select(Activity).where(Activity.lead_id == lead.id)):
        session.delete(activity)
    session.flush()
    refuse_if_referenced(session, Lead, lead.id)
    session.exec(delete(TimelineEntry).where(TimelineEntry.record_type == "lead", TimelineEntry.record_id == lead.id))
    session.delete(lead)
    session.flush()

def get_lead(session: Session, actor: Actor, lead_id: int, lang: str = "en") -> dict:
    permissions.require(session, actor, "leads", "read")
    lead = _get(session, lead_id, actor)
    customer = session.get(Customer, lead.customer_id) if lead.customer_id else None
    opportunity = session.get(Opportunity, lead.opportunity_id) if lead.opportunity_id else None
    return permissions.redact(session, actor, "leads", {
        "id": lead.id,
        "title": lead.title,
        "customer_id": lead.customer_id or "",
        "customer_name": customer.name if customer else "",
        "contact_name": lead.contact_name,
        "company_name": lead.company_name,
        "email": lead.email,
        "phone": format_phone(lead.phone),
        "city": lead.city,
        "source": lead.source,
        "expected_revenue": str(int(lead.expected_revenue)) if lead.expected_revenue == lead.expected_revenue.to_integral() else str(lead.expected_revenue),
        "expected_revenue_label": format_idr(lead.expected_revenue),
        "memo": lead.memo,
        "owner_id": lead.owner_id or "",
        "tags": ", ".join(tags_from_db(lead.tags)),
        "status": lead.status,
        "lost_reason": lead.lost_reason,
        "opportunity_id": lead.opportunity_id or 0,
        "opportunity_name": opportunity.name if opportunity else "",
        "created_at": format_date(lead.created_at, lang),
    })


# what a list row shows (``_lead_rows``), read without loading whole records
LIST_COLUMNS = (
    Lead.id, Lead.title, Lead.customer_id, Lead.company_name, Lead.contact_name, Lead.source, Lead.status,
    Lead.expected_revenue, Lead.owner_id, Lead.created_at,
)


def list_leads(
    session: Session, actor: Actor, *, search: str = "", status: str = "", source: str = "", owner_id=None, tag: str = "",
    sort: str = "created_at", desc: bool = True, page: int = 1, page_size: int = 25, lang: str = "en",
) -> dict:
    shape, params, order, hidden, typed = _list_query(session, actor, dict(search=search, status=status, source=source, owner_id=owner_id, tag=tag), sort, desc)
    owners, searching, *filters = shape
    index = searching[0] if searching else None
    # SQLite: how many leads have the typed words, up to the cap (a streaming read of the word index)
    found = word_search.word_count(session, index, typed, COUNT_CAP + 1) if index else None
    counted = None
    if found is not None and found > COUNT_CAP:
        # at least as many leads as the cap have the words: so has the list, unless other filters
        # apply; then the words' matches are joined to their leads, in id order, up to the cap
        alone = owners is None and not any(filters)
        counted = found if alone else _WORD_COUNT.scalar(session, (index, (owners, None, *filters)), params | {"cap": COUNT_CAP + 1})
        if counted <= COUNT_CAP and searching[1]:  # fewer: add the leads found by their e-mail alone
            counted += _LIST.count(session, (owners, (index, True, "email"), *filters), params, COUNT_CAP - counted)
    postgres = bool(index) and session.get_bind().dialect.name == "postgresql"
    by_stored_words = (owners, (index, searching[1], "like"), *filters) if postgres else None
    if counted is None and postgres and _newest_share(session, by_stored_words, params) >= LIKE_COUNT_SHARE:
        # PostgreSQL, a page's worth of the newest leads says the words are common ("pax": in nearly
        # every title): counting by each lead's stored words stops at the cap after a few rows
        # (3.5 ms at a million customers), where the GIN bitmap first reads every match (19 ms)
        counted = _LIST.count(session, by_stored_words, params, COUNT_CAP)
    if counted is None:  # PostgreSQL counts the words' matches from the GIN index as a bitmap, up to the cap
        in_place = postgres and word_search.pg_counts_in_place(session, Lead)
        counted = _LIST.count(session, (owners, (index, searching[1], "plain"), *filters) if in_place else shape, params, COUNT_CAP)
    if found is not None and found >= word_search.DENSE and word_search.lead_walks(session, index, typed, Page.of(counted, page, page_size).offset + page_size):
        shape = (owners, (index, searching[1], True), *filters)  # common words: walk the order's index (migration 0018)
    if postgres and counted > COUNT_CAP:
        # PostgreSQL, words in more leads than the cap: the page walks the order's index testing
        # each lead's words, up to a budget; short of a page there, the matches are read first
        at = Page.of(counted, page, page_size, COUNT_CAP)
        budget = word_search.pg_walk_budget(session, Lead, at.offset + at.size, counted)
        if budget:
            rows = _WALK_PAGE.rows(session, (shape, order), params | {"budget": budget, "size": at.size, "offset": at.offset})
            if len(rows) == at.size:
                return at.result(_lead_rows(session, actor, rows, hidden, lang))
    at, rows = _LIST.page(session, shape, params, order, page, page_size, counted, cap=COUNT_CAP)
    return at.result(_lead_rows(session, actor, rows, hidden, lang))


def _list_query(session: Session, actor: Actor, f: dict, sort: str, desc: bool) -> tuple[tuple, dict, tuple[str, bool], set[str], list[str]]:
    """The list's filters as (shape, values) for a prepared statement (the shape says which clauses
    there are, the values fill them), its order (sort key, descending), the hidden fields and the
    typed words of the search."""
    permissions.require(session, actor, "leads", "read")
    hidden = permissions.hidden(session, actor, "leads")
    search, status, source, owner_id, tag = (f.get(k) or "" for k in ("search", "status", "source", "owner_id", "tag"))
    if "source" in hidden:
        source = ""  # filtering by a hidden field would reveal it
    if "tags" in hidden:
        tag = ""
    sort = permissions.safe_sort(session, actor, "leads", sort, "created_at")
    owners, params = permissions.owner_params(permissions.visible_owner_ids(session, actor, "leads"))
    searching, typed = None, []
    if search.strip():  # any word of the title, company or contact by its beginning; the e-mail by its start
        typed, low = word_search.words(search), search.strip().lower()
        index = "lead_title" if {"company_name", "contact_name"} & hidden else "lead_text"
        if typed:
            params.update(word_search.pg_word_params(session, index, typed, "w"))
        email = "email" not in hidden  # a hidden field is not searched
        if email:
            params.update(email_lo=low, email_hi=prefix_upper_bound(low))
        searching = (index if typed else None, email, False)  # False: the matches are read first (list_leads may walk)
    if status:
        params["status"] = status
    if source:
        params["source"] = source
    owner = actor.id if owner_id == "me" else owner_id
    if owner:
        params["owner"] = int(owner)
    if tag:
        params["tag"] = f"%,{tag.strip().lower()},%"
    shape = (owners, searching, *(name in params for name in ("status", "source", "owner", "tag")))
    return shape, params, (sort if sort in SORTS else "created_at", bool(desc)), hidden, typed


def _email_starts(email_column):
    """The e-mail begins with the typed text (:func:`_list_query`'s ``email_lo`` / ``email_hi``)."""
    return (email_column >= bindparam("email_lo")) & (email_column < bindparam("email_hi"))


def _conditions(shape: tuple) -> list:
    """The WHERE clauses of a list shape, every value a named parameter (:func:`_list_query`). A
    walking search looks each lead up in the word index (``search.text.word_exists``)."""
    owners, searching, status, source, owner, tag = shape
    clauses = permissions.owner_placeholders(Lead.owner_id, owners)
    if searching is not None:
        index, email, walk = searching
        if not index:
            found = []
        elif walk is True:
            found = [word_search.word_exists(index, Lead.id, "w")]
        else:
            found = [word_search.WordMatch(index, Lead.id, None, param="w", plain=walk == "plain", like=walk == "like")]
        by_email = _email_starts(Lead.email)
        if walk == "email":  # the leads found by their e-mail and not by the words (list_leads adds them to the words' count)
            found = [by_email & ~found[0]]
        elif email:
            found.append(by_email)
        clauses.append(or_(*found) if found else false())  # false: nothing the user may search on matches
    return clauses + param_clauses((status, Lead.status, "status"), (source, Lead.source, "source"), (owner, Lead.owner_id, "owner"), (tag, Lead.tags, "tag"))


# leads of the same source or status are in date order (indexes of migration 0018)
THEN_BY_DATE = frozenset({"source", "status"})


def _order(sort: str, desc: bool) -> list:
    return list_order(SORTS[sort], Lead.created_at if sort in THEN_BY_DATE else None, Lead.id, desc)


_LIST = PreparedList(Lead.id, LIST_COLUMNS, _conditions, _order)
_WORD_COUNT = word_search.word_join_count(Lead, _conditions, "w")
NEWEST_SAMPLE = 1_000  # PostgreSQL: the newest leads that tell how common the searched words are (_newest_share)
LIKE_COUNT_SHARE = 0.25  # from this share on, the count tests each lead's stored words (at most 4 rows read per match)
_NEWEST = Prepared(lambda shape: select(func.count(Lead.id)).where(Lead.id > bindparam("newest_from"), *_conditions(shape)))


def _newest_share(session: Session, shape: tuple, params: dict) -> float:
    """PostgreSQL: the share of the newest ``NEWEST_SAMPLE`` leads the list's conditions keep, each
    lead tested in place (an id range of the primary key: 0.5 ms)."""
    total = word_search.table_total(session, Lead)
    if not total:
        return 0.0
    return _NEWEST.scalar(session, shape, params | {"newest_from": total - NEWEST_SAMPLE}) / min(NEWEST_SAMPLE, total)


def _walk_page(key) -> Select:
    """PostgreSQL: a page of the leads with the typed words among the first ``:budget`` leads of
    the list's order under its other filters (read from the order's index, migration 0018), each
    lead's words tested as it is read; the walk stops once the page is full."""
    (owners, (index, email, _walk), *filters), order_key = key
    walked = select(*LIST_COLUMNS, Lead.email, word_search.stored_words(index)).where(*_conditions((owners, None, *filters))).order_by(*_order(*order_key)).limit(bindparam("budget")).subquery("walked")
    found = [word_search.WordMatch(index, walked.c.id, None, param="w", like=True)]  # its columns are the subquery's
    if email:
        found.append(_email_starts(walked.c.email))
    in_walked = ClauseAdapter(walked).traverse
    return (
        select(*[walked.c[c.key] for c in LIST_COLUMNS]).where(or_(*found))
        .order_by(*[in_walked(c) for c in _order(*order_key)]).limit(bindparam("size")).offset(bindparam("offset"))
    )


_WALK_PAGE = Prepared(_walk_page)


def _lead_rows(session: Session, actor: Actor, rows, hidden: set[str], lang: str) -> list[dict]:
    owners = user_names(session, [r.owner_id for r in rows])
    customer_names = customers.customer_names(session, [r.customer_id for r in rows])
    return [
        permissions.redact(session, actor, "leads", {
            "id": r.id,
            "title": r.title,
            "company": customer_names.get(r.customer_id) or r.company_name or r.contact_name,
            "source": r.source,
            "status": r.status,
            "revenue": format_idr(r.expected_revenue),
            "owner": owners.get(r.owner_id, ""),
            "created_at": format_date(r.created_at, lang),
        }, hidden)
        for r in rows
    ]


def iter_leads(session: Session, actor: Actor, *, filters: dict, sort: str = "created_at", desc: bool = True, lang: str = "en"):
    """Every lead the list's filters select, in its order, as list rows, read in batches (exports)."""
    shape, params, order, hidden, _typed = _list_query(session, actor, filters, sort, desc)
    for rows in batches(session, select(*LIST_COLUMNS).where(*_conditions(shape)).order_by(*_order(*order)).params(params)):
        yield from _lead_rows(session, actor, rows, hidden, lang)


def conversion_options(session: Session, actor: Actor, lead_id: int) -> dict:
    """Suggested customers (the linked one first, then likely duplicates) and their open opportunities."""
    lead = _get(session, lead_id, actor)
    matches: list[dict] = []
    if lead.customer_id:
        c = session.get(Customer, lead.customer_id)
        if c is not None:
            matches.append({"id": c.id, "name": c.name, "city": c.city, "reason": "linked"})
    seen = {m["id"] for m in matches}
    for name in (lead.company_name, lead.contact_name):
        if not name and not lead.email and not lead.phone:
            continue
        for hit in customers.find_duplicates(session, name=name, email=lead.email, phone=lead.phone, limit=5):
            if hit["id"] not in seen:
                seen.add(hit["id"])
                matches.append({"id": hit["id"], "name": hit["name"], "city": hit["city"], "reason": hit["reason"]})
    opportunities = []
    for match in matches:
        for opp in sales.open_opportunities_for_customer(session, match["id"]):
            opportunities.append(opp | {"customer_id": match["id"], "customer": match["name"]})
    return {"matches": matches[:8], "opportunities": opportunities[:20]}


def _customer_from_lead(session: Session, actor: Actor, lead: Lead) -> int:
    """A new customer from the lead's data: a company (with the contact person) or a person."""
    if lead.company_name:
        company = customers.create_customer(
            session, actor, {"kind": "company", "name": lead.company_name, "email": lead.email if not lead.contact_name else "", "phone": lead.phone if not lead.contact_name else "", "city": lead.city}
        )
        if lead.contact_name:
            customers.create_customer(
                session, actor, {"kind": "person", "name": lead.contact_name, "email": lead.email, "phone": lead.phone, "city": lead.city, "company_id": company.id}
            )
        return company.id
    name = lead.contact_name or lead.title
    return customers.create_customer(session, actor, {"kind": "person", "name": name, "email": lead.email, "phone": lead.phone, "city": lead.city}).id


def convert_lead(
    session: Session,
    actor: Actor,
    lead_id: int,
    *,
    action: str = "convert",
    customer_mode: str = "link",
    customer_id: int | None = None,
    opportunity_id: int | None = None,
    opportunity_name: str = "",
) -> int:
    """Turn a lead into an opportunity (or merge it into an open one of the same customer).

    The lead stays, marked converted and linked, and its activities follow it: history is kept.
    """
    permissions.require(session, actor, "opportunities", "create")
    lead = _get(session, lead_id, actor)
    if lead.status != "open":
        raise DomainError("leads.error.not_open")
    if action not in ("convert", "merge"):
        raise DomainError("leads.error.action")
    if customer_mode == "link":
        if not customer_id or session.get(Customer, int(customer_id)) is None:
            raise DomainError("leads.error.choose_customer", field="customer_id")
        customer_id = int(customer_id)
    elif customer_mode == "create":
        customer_id = _customer_from_lead(session, actor, lead)
    elif customer_mode == "none":
        customer_id = None
    else:
        raise DomainError("leads.error.action")

    if action == "merge":
        target = session.get(Opportunity, int(opportunity_id)) if opportunity_id else None
        if target is None or target.state != "open" or customer_id is None or target.customer_id != customer_id:
            raise DomainError("leads.error.merge_target", field="opportunity_id")
        memo = f"{target.memo}\n\n[{lead.title}]\n{lead.memo}".strip() if lead.memo else target.memo
        sales.update_opportunity(session, actor, target.id, {"memo": memo})
        activities.log(session, actor, "opportunity", target.id, "merged", "leads.timeline.merged_into", title=lead.title)
        result_id = target.id
    else:
        opportunity = sales.create_opportunity(
            session,
            actor,
            {
                "name": opportunity_name.strip() or lead.title,
                "customer_id": customer_id or "",
                "lead_id": lead.id,
                "expected_revenue": lead.expected_revenue,
                "owner_id": lead.owner_id or actor.id,
                "tags": tags_from_db(lead.tags),
                "memo": lead.memo,
            },
        )
        activities.log(session, actor, "opportunity", opportunity.id, "converted", "leads.timeline.from_lead", title=lead.title)
        result_id = opportunity.id
    lead.status, lead.opportunity_id, lead.converted_at = "converted", result_id, utcnow()
    if customer_id and not lead.customer_id:
        lead.customer_id = customer_id
    session.add(lead)
    activities.move_lead_history_to_opportunity(session, lead.id, result_id)
    activities.log(session, actor, "lead", lead.id, "converted", "leads.timeline.converted", opportunity_id=result_id)
    session.flush()
    return result_id


def mark_lead_lost(session: Session, actor: Actor, lead_id: int, reason: str) -> Lead:
    permissions.require(session, actor, "leads", "update")
    lead = _get(session, lead_id, actor)
    if lead.status != "open":
        raise DomainError("leads.error.not_open")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("leads.error.lost_reason", field="lost_reason")
    lead.status, lead.lost_reason, lead.updated_at = "lost", reason[:200], utcnow()
    session.add(lead)
    activities.log(session, actor, "lead", lead.id, "lost", "leads.timeline.lost", reason=reason[:200])
    return lead


def reopen_lead(session: Session, actor: Actor, lead_id: int) -> Lead:
    permissions.require(session, actor, "leads", "update")
    lead = _get(session, lead_id, actor)
    if lead.status != "lost":
        raise DomainError("leads.error.not_lost")
    lead.status, lead.lost_reason, lead.updated_at = "open", "", utcnow()
    session.add(lead)
    activities.log(session, actor, "lead", lead.id, "reopened", "leads.timeline.reopened")
    return lead


__all__ = ["LEAD_STATUSES"]
