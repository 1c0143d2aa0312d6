"""The audit trail: every create / update / delete / stage move / login / failed login / export /
permission change, with who, when and old -> new values, in the append-only ``audit_log`` table.

Record changes are captured once, for every service, by a SQLAlchemy ``after_flush`` hook on the
audited tables (so no service can forget it); the acting user comes from the session
(``db.run`` puts the actor of the call there) or from ``current_actor`` (set by the login guard of
each Reflex handler). Logins, failed logins and exports are recorded explicitly with ``record``.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import event, func, insert, inspect, or_
from sqlmodel import Session, select

from kaktus_app.auth.models import AUDIT_ACTIONS, AuditLog, User
from kaktus_app.errors import PermissionDenied
from kaktus_app.i18n import JAKARTA, format_datetime, translate, utcnow
from kaktus_app.paging import batches, page_of

current_actor: ContextVar = ContextVar("kaktus_current_actor", default=None)

# table name -> module name shown in the trail
AUDITED = {
    "customer": "customers", "lead": "leads", "opportunity": "opportunities", "activity": "activities", "stage": "stages",
    "app_user": "users", "product": "products", "price_list": "price_lists", "price_rule": "price_lists", "vendor": "vendors",
    "vendor_price": "vendors", "purchase_order": "purchase_orders", "purchase_order_line": "purchase_orders",
    "sales_order": "quotations", "sales_order_line": "quotations", "invoice": "invoices", "invoice_line": "invoices",
    "payment": "invoices", "document_settings": "settings", "saved_filter": "saved_filters", "profile": "profiles", "role": "roles", "sharing_rule": "roles",
    "ticket": "tickets", "faq_article": "faq", "faq_category": "faq", "sla_policy": "tickets", "portal_user": "portal_users",
}
IGNORED_FIELDS = {
    "id", "updated_at", "created_at", "version", "position", "name_norm", "stage_changed_at", "last_login_at", "failed_logins",
    "locked_until", "last_seen_at",
}
SECRET_FIELDS = {"password_hash", "totp_secret"}
LABEL_FIELDS = ("number", "name", "title", "summary", "username", "code", "description", "company_name")
MODULES = sorted(set(AUDITED.values()) | {"auth", "exports", "audit"})  # "audit": exports of the trail itself


def _value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _label(obj) -> str:
    for name in LABEL_FIELDS:
        value = getattr(obj, name, None)
        if value:
            return str(value)[:200]
    return ""


def _actor_of(session: Session):
    return session.info.get("actor") or current_actor.get()


def _row(session: Session, action: str, module: str, record_id, label: str = "", changes: dict | None = None, detail: str = "") -> dict:
    actor = _actor_of(session)
    return {
        "at": utcnow(), "user_id": getattr(actor, "id", None), "username": getattr(actor, "username", "") or "",
        "action": action, "module": module, "record_id": record_id, "record_label": label[:200],
        "changes": json.dumps(changes, ensure_ascii=False) if changes else "", "detail": detail[:300],
    }


def _changes(obj, *, new: bool = False, deleted: bool = False) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in IGNORED_FIELDS:
            continue
        if new or deleted:
            value = getattr(obj, key)
            if value in (None, "", False) and not deleted:
                continue
            pair = ["", _value(value)] if new else [_value(value), ""]
        else:
            history = state.attrs[key].history
            if not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            current = history.added[0] if history.added else getattr(obj, key)
            if _value(old) == _value(current):
                continue
            pair = [_value(old), _value(current)]
        changes[key] = ["***", "***"] if key in SECRET_FIELDS else pair
    return changes


def _defaults(model) -> dict:
    """Each column's default as the model gives it (what an ORM insert would store)."""
    from pydantic_core import PydanticUndefined

    values = {}
    for name, info in model.model_fields.items():
        if name == "id" or name not in model.__table__.c:
            continue
        if info.default_factory is not None:
            values[name] = info.default_factory
        elif info.default is not PydanticUndefined:
            values[name] = info.default
    return values


def insert_many(session: Session, model, rows: list[dict]) -> list[int]:
    """INSERT many rows of ``model`` in one statement (imports), returning their ids in order; each is
    recorded in the trail as a create, with the values the flush hook would record. Missing columns
    take the model's defaults."""
    if not rows:
        return []
    defaults = _defaults(model)
    table = model.__table__
    full = [{k: (v() if callable(v) else v) for k, v in defaults.items() if k not in row} | row for row in rows]
    result = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), full)
    ids = [row[0] for row in result]
    module = AUDITED.get(table.name)
    if module:
        trail = []
        for record_id, row in zip(ids, full, strict=True):
            changes = {k: ["", _value(v)] for k, v in row.items() if k not in IGNORED_FIELDS and v not in (None, "", False)}
            label = next((str(row[name])[:200] for name in LABEL_FIELDS if row.get(name)), "")
            trail.append(_row(session, "create", module, record_id, label, changes))
        session.connection().execute(insert(AuditLog.__table__), trail)
    return ids


@event.listens_for(Session, "after_flush")
def _audit_after_flush(session: Session, flush_context) -> None:
    rows = []
    for obj in session.new:
        table = getattr(obj, "__tablename__", "")
        if table in AUDITED:
            rows.append(_row(session, "create", AUDITED[table], getattr(obj, "id", None), _label(obj), _changes(obj, new=True)))
    for obj in session.dirty:
        table = getattr(obj, "__tablename__", "")
        if table not in AUDITED or not session.is_modified(obj, include_collections=False):
            continue
        changes = _changes(obj)
        if not changes:
            continue
        action = "stage_move" if table == "opportunity" and ({"stage_id", "state"} & changes.keys()) else "update"
        if (table == "app_user" and {"role", "role_id", "team_id", "is_active"} & changes.keys()) or table in ("profile", "role", "sharing_rule"):
            action = "permission_change"
        rows.append(_row(session, action, AUDITED[table], getattr(obj, "id", None), _label(obj), changes))
    for obj in session.deleted:
        table = getattr(obj, "__tablename__", "")
        if table in AUDITED:
            rows.append(_row(session, "delete", AUDITED[table], getattr(obj, "id", None), _label(obj), _changes(obj, deleted=True)))
    if rows:
        session.connection().execute(insert(AuditLog.__table__), rows)


def record(session: Session, actor, action: str, module: str, *, record_id=None, label: str = "", detail: str = "", changes: dict | None = None, username: str = "") -> None:
    """An explicit entry (login, failed login, logout, export...)."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    row = _row(session, action, module, record_id, label, changes, detail)
    if actor is not None:
        row["user_id"], row["username"] = actor.id, actor.username
    elif username:
        row["username"] = username[:60]
    session.connection().execute(insert(AuditLog.__table__), [row])


# ------------------------------------------------------------------------------------------ reads


def _describe(changes: str, lang: str, limit: int = 6) -> list[dict]:
    """The changed fields, at most ``limit`` (a created record lists its first values, then "+ N more")."""
    if not changes:
        return []
    from kaktus_app.activities.service import FIELD_LABELS

    items = list(json.loads(changes).items())
    rows = [
        {"field": translate(FIELD_LABELS[key], lang) if key in FIELD_LABELS else key.replace("_", " "), "old": old, "new": new}
        for key, (old, new) in items[:limit]
    ]
    if len(items) > limit:
        rows.append({"field": translate("audit.more", lang, count=len(items) - limit), "old": "", "new": ""})
    return rows


def require_admin(actor) -> None:
    """The audit trail is for administrators only (its page, its search and its export)."""
    if not actor.is_admin:
        raise PermissionDenied()


def search(
    session: Session, actor, *, text: str = "", user_id=None, action: str = "", module: str = "", date_from: date | None = None,
    date_to: date | None = None, page: int = 1, page_size: int = 50, lang: str = "en",
) -> dict:
    """Admins search the trail, newest first."""
    filtered, order_by = _search_query(
        actor, dict(text=text, user_id=user_id, action=action, module=module, date_from=date_from, date_to=date_to)
    )
    at = page_of(session, filtered(select(AuditLog.id)), page, page_size)
    rows = session.exec(filtered(select(AuditLog)).order_by(*order_by).offset(at.offset).limit(at.size)).all()
    return at.result(_search_rows(rows, lang))


def _search_query(actor, filters: dict):
    """The trail's filter (text, user, action, module, Jakarta days) and its order, newest first;
    administrators only."""
    require_admin(actor)
    text, user_id, action, module = (filters.get("text") or "").strip(), filters.get("user_id"), filters.get("action"), filters.get("module")
    date_from, date_to = filters.get("date_from"), filters.get("date_to")

    def filtered(query):
        if text:
            pattern = f"%{text.lower()}%"
            query = query.where(or_(func.lower(AuditLog.record_label).like(pattern), func.lower(AuditLog.username).like(pattern), func.lower(AuditLog.detail).like(pattern)))
        if user_id not in (None, ""):
            query = query.where(AuditLog.user_id == int(user_id))
        if action:
            query = query.where(AuditLog.action == action)
        if module:
            query = query.where(AuditLog.module == module)
        if date_from:
            query = query.where(AuditLog.at >= datetime.combine(date_from, time(0), tzinfo=JAKARTA))
        if date_to:
            query = query.where(AuditLog.at < datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=JAKARTA))
        return query

    return filtered, [AuditLog.id.desc()]


def _search_rows(rows, lang: str) -> list[dict]:
    return [
        {
            "id": r.id, "when": format_datetime(r.at, lang), "who": r.username or translate("audit.system", lang),
            "action": r.action, "action_label": translate(f"audit.action.{r.action}", lang), "module": r.module,
            "module_label": translate(f"audit.module.{r.module}", lang), "record_id": r.record_id or 0, "label": r.record_label,
            "changes": _describe(r.changes, lang), "detail": r.detail,
        }
        for r in rows
    ]


def _changes_text(row: dict) -> str:
    """The "Changes" cell as the page shows it: one line per field (``field: old → new``, or the
    "+ N more fields" note), then the detail."""
    lines = [c["field"] if c["old"] == "" and c["new"] == "" else f"{c['field']}: {c['old']} → {c['new']}" for c in row["changes"]]
    if row["detail"]:
        lines.append(row["detail"])
    return "\n".join(lines)


def iter_search(session: Session, actor, *, filters: dict, lang: str = "en"):
    """Every entry the trail's filters select, newest first, as list rows (with the "Changes" cell
    as text), read in batches (exports: the whole result is never in memory)."""
    filtered, order_by = _search_query(actor, filters)
    for rows in batches(session, filtered(select(AuditLog)).order_by(*order_by)):
        for row in _search_rows(rows, lang):
            yield row | {"changes_text": _changes_text(row)}


def record_changes(session: Session, module: str, record_id: int, limit: int = 100) -> list[AuditLog]:
    """The updates of one record (for its timeline)."""
    return list(
        session.exec(
            select(AuditLog)
            .where(AuditLog.module == module, AuditLog.record_id == record_id, AuditLog.action.in_(("update", "stage_move")))
            .order_by(AuditLog.id.desc())
            .limit(limit)
        )
    )


def users_for_filter(session: Session) -> list[dict]:
    return [{"id": u.id, "name": u.full_name} for u in session.exec(select(User).order_by(User.full_name))]
