"""Help desk rules: tickets (lifecycle, SLA, assignment, conversation, merge), statistics, complaint
spikes and the FAQ. Staff functions take an ``Actor``; ``portal_*`` functions take a portal user and
only ever reach that user's own company. No reflex here."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, select

from kaktus_app.auth import permissions
from kaktus_app.auth.models import User
from kaktus_app.auth.service import Actor
from kaktus_app.catalog.models import Product
from kaktus_app.customers.models import Customer
from kaktus_app.db import seconds_between
from kaktus_app.documents.models import SalesOrder
from kaktus_app.errors import Conflict, DomainError, NotFound, PermissionDenied
from kaktus_app.helpdesk.models import (
    CATEGORIES,
    CHANNELS,
    LANGUAGES,
    OPEN_STATUSES,
    PRIORITIES,
    TICKET_STATUSES,
    FaqArticle,
    FaqCategory,
    FaqVote,
    SlaPolicy,
    Ticket,
    TicketAttachment,
    TicketMessage,
)
from kaktus_app.i18n import JAKARTA, format_datetime, format_number, translate, utcnow
from kaktus_app.paging import batches, page_of
from kaktus_app.sales.models import SalesTeam
from kaktus_app.validation import Errors, clean_text, parse_tags, tags_from_db, tags_to_db

MODULE = "tickets"
DEFAULT_SLA = {"urgent": (1, 8), "high": (4, 24), "normal": (8, 72), "low": (24, 120)}
DUE_SOON = timedelta(hours=2)
# Which status a ticket may move to from each status ("reopen" brings a resolved or closed one back).
TRANSITIONS = {
    "new": ("in_progress", "waiting", "resolved", "closed"),
    "in_progress": ("waiting", "resolved", "closed"),
    "waiting": ("in_progress", "resolved", "closed"),
    "resolved": ("closed", "reopen"),
    "closed": ("reopen",),
}
COMPLAINT_CATEGORIES = ("complaint", "food_quality", "delivery")
SPIKE_MINIMUM = 3  # fewer complaints than this in a window are never a spike
SPIKE_FACTOR = 2  # ... and a spike is at least this many times the usual weekly count

MAX_ATTACHMENT = 5 * 1024 * 1024
MAX_FILES = 5
ATTACHMENT_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
    "txt": "text/plain", "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# ------------------------------------------------------------------------------------------ helpers


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _label(prefix: str, value: str, lang: str) -> str:
    return translate(f"helpdesk.{prefix}.{value}", lang) if value else ""


def _choices(prefix: str, values, lang: str) -> list[dict]:
    return [{"value": v, "label": _label(prefix, v, lang)} for v in values]


def _int_or_none(value) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() else None


def _hours_label(hours: float | None, lang: str) -> str:
    if hours is None:
        return "—"
    return translate("helpdesk.hours", lang, hours=format_number(round(hours, 1)))


def size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{format_number(round(size / 1024 / 1024, 1))} MB"
    return f"{max(1, round(size / 1024))} KB"


def _ticket(session: Session, ticket_id) -> Ticket:
    ticket = session.get(Ticket, int(ticket_id)) if str(ticket_id).isdigit() else None
    if ticket is None:
        raise NotFound()
    return ticket


def _visible_ticket(session: Session, actor: Actor, ticket_id, action: str = "read") -> Ticket:
    permissions.require(session, actor, MODULE, action)
    ticket = _ticket(session, ticket_id)
    permissions.check_visible(session, actor, MODULE, ticket.assignee_id)
    return ticket


def _check_version(ticket: Ticket, expected_version) -> None:
    if expected_version not in (None, "") and int(expected_version) != ticket.version:
        raise Conflict("helpdesk.error.stale")


def _touch(ticket: Ticket, session: Session) -> None:
    ticket.updated_at = utcnow()
    ticket.version += 1
    session.add(ticket)


def _post(session: Session, ticket: Ticket, kind: str, body: str, *, public: bool, user: Actor | None = None, portal_user=None) -> TicketMessage:
    message = TicketMessage(
        ticket_id=ticket.id, kind=kind, is_public=public, body=body,
        author_user_id=user.id if user else None, author_portal_user_id=portal_user.id if portal_user else None,
        author_name=(user.full_name if user else portal_user.full_name if portal_user else "")[:120],
    )
    session.add(message)
    session.flush()
    return message


# ---------------------------------------------------------------------------------------------- SLA


def sla_hours(session: Session, priority: str) -> tuple[int, int]:
    policy = session.exec(select(SlaPolicy).where(SlaPolicy.priority == priority)).first()
    if policy is not None:
        return policy.first_response_hours, policy.resolution_hours
    return DEFAULT_SLA.get(priority, DEFAULT_SLA["normal"])


def sla_due(session: Session, priority: str, start: datetime) -> tuple[datetime, datetime]:
    """The first-response and resolution due times of a ticket opened at ``start``."""
    first, resolve = sla_hours(session, priority)
    start = _aware(start)
    return start + timedelta(hours=first), start + timedelta(hours=resolve)


def sla_state(ticket: Ticket, now: datetime | None = None) -> str:
    """"breached", "due_soon", "ok" for an open ticket; "met" or "breached" once resolved or closed."""
    now = _aware(now or utcnow())
    first_due, resolve_due = _aware(ticket.first_response_due), _aware(ticket.resolution_due)
    first_at, resolved_at = _aware(ticket.first_response_at), _aware(ticket.resolved_at or ticket.closed_at)
    if first_due is None or resolve_due is None:
        return ""
    late_first = (first_at is not None and first_at > first_due) or (first_at is None and now > first_due)
    if ticket.status not in OPEN_STATUSES:
        late_resolve = resolved_at is not None and resolved_at > resolve_due
        return "breached" if late_resolve or (first_at is not None and first_at > first_due) else "met"
    if late_first or now > resolve_due:
        return "breached"
    next_due = first_due if first_at is None else resolve_due
    return "due_soon" if next_due - now <= DUE_SOON else "ok"


def _breached_clause(now: datetime):
    """SQL twin of ``sla_state(...) == "breached"`` for open tickets."""
    return and_(
        Ticket.status.in_(OPEN_STATUSES),
        or_(and_(Ticket.first_response_at.is_(None), Ticket.first_response_due < now), Ticket.resolution_due < now, Ticket.first_response_at > Ticket.first_response_due),
    )


def ensure_sla_policies(session: Session) -> None:
    """The default SLA rows (migration 0011 adds them too; an emptied database gets them back)."""
    existing = set(session.exec(select(SlaPolicy.priority)).all())
    for priority, (first, resolve) in DEFAULT_SLA.items():
        if priority not in existing:
            session.add(SlaPolicy(priority=priority, first_response_hours=first, resolution_hours=resolve))
    session.flush()


def sla_policies(session: Session, lang: str = "en") -> list[dict]:
    rows = []
    for priority in reversed(PRIORITIES):
        first, resolve = sla_hours(session, priority)
        rows.append({"priority": priority, "label": _label("priority", priority, lang), "first_response_hours": str(first), "resolution_hours": str(resolve)})
    return rows


def save_sla_policies(session: Session, actor: Actor, rows: dict) -> None:
    if not actor.is_manager:
        raise PermissionDenied()
    errors, values = Errors(), {}
    for priority in PRIORITIES:
        for name in ("first_response_hours", "resolution_hours"):
            key = f"{priority}.{name}"
            raw = str(rows.get(key, "")).strip()
            if not raw.isdigit() or not 1 <= int(raw) <= 24 * 60:
                errors.add(key, "helpdesk.error.hours")
            else:
                values[key] = int(raw)
    for priority in PRIORITIES:
        a, b = values.get(f"{priority}.first_response_hours"), values.get(f"{priority}.resolution_hours")
        if a is not None and b is not None and b < a:
            errors.add(f"{priority}.resolution_hours", "helpdesk.error.resolution_before_response")
    errors.raise_if_any()
    for priority in PRIORITIES:
        policy = session.exec(select(SlaPolicy).where(SlaPolicy.priority == priority)).first() or SlaPolicy(priority=priority)
        policy.first_response_hours = values[f"{priority}.first_response_hours"]
        policy.resolution_hours = values[f"{priority}.resolution_hours"]
        session.add(policy)
    session.flush()


# --------------------------------------------------------------------------------------- assignment


def team_agents(session: Session, team_id: int | None) -> list[int]:
    """Who takes tickets of ``team_id``: its active members allowed to work tickets; without a team,
    the active support agents."""
    query = select(User).where(User.is_active == True)  # noqa: E712
    query = query.where(User.team_id == team_id) if team_id else query.where(User.role == "support")
    from kaktus_app.auth.service import actor_for

    return [u.id for u in session.exec(query.order_by(User.id)) if permissions.can(session, actor_for(u), MODULE, "update")]


def next_assignee(session: Session, team_id: int | None) -> int | None:
    """Round robin: the agent of the team whose last ticket is the oldest (never assigned goes first)."""
    agents = team_agents(session, team_id)
    if not agents:
        return None
    last = dict(
        session.exec(select(Ticket.assignee_id, func.max(Ticket.id)).where(Ticket.assignee_id.in_(agents)).group_by(Ticket.assignee_id)).all()
    )
    return min(agents, key=lambda user_id: (last.get(user_id, 0), user_id))


def default_team_id(session: Session) -> int | None:
    """The team that takes new tickets: "Customer care" when it exists."""
    return session.exec(select(SalesTeam.id).where(SalesTeam.name == "Customer care")).first()


# -------------------------------------------------------------------------------------- attachments


def check_attachment(filename: str | None, data: bytes) -> tuple[str, str]:
    """A safe file name and content type for an upload, or a field error.

    The type must be on the allow-list by its extension *and* by its content (a renamed program or
    a web page is refused); Office files must not carry macros; at most MAX_ATTACHMENT bytes.
    """
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem, _, ext = name.rpartition(".")
    ext = ext.lower()
    if len(data) > MAX_ATTACHMENT:
        raise DomainError("helpdesk.error.attachment_size", field="attachments", name=name[:60], max="5 MB")
    if not data:
        raise DomainError("helpdesk.error.attachment_empty", field="attachments", name=name[:60])
    if not stem or ext not in ATTACHMENT_TYPES or not _content_matches(ext, data):
        raise DomainError("helpdesk.error.attachment_type", field="attachments", name=name[:60])
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", stem).strip(" ._")[:80] or "file"
    return f"{stem}.{ext}", ATTACHMENT_TYPES[ext]


def _content_matches(ext: str, data: bytes) -> bool:
    if ext == "pdf":
        return data.startswith(b"%PDF-")
    if ext == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if ext in ("jpg", "jpeg"):
        return data.startswith(b"\xff\xd8\xff")
    if ext == "webp":
        return data.startswith(b"RIFF") and data[8:12] == b"WEBP"
    if ext in ("txt", "csv"):
        if b"\x00" in data:
            return False
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    if ext in ("docx", "xlsx"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return False
        folder = "word/" if ext == "docx" else "xl/"
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names) and not any("vbaproject" in n.lower() for n in names)
    return False


def _check_files(attachments) -> list[tuple[str, str, bytes]]:
    files = list(attachments or ())
    if len(files) > MAX_FILES:
        raise DomainError("helpdesk.error.too_many_files", field="attachments", max=MAX_FILES)
    return [(*check_attachment(name, data), data) for name, data in files]


def _store_files(session: Session, ticket: Ticket, message: TicketMessage | None, files) -> None:
    for name, content_type, data in files:
        session.add(TicketAttachment(ticket_id=ticket.id, message_id=message.id if message else None, filename=name, content_type=content_type, size=len(data), data=data))
    session.flush()


def attachment_file(session: Session, actor: Actor, attachment_id) -> tuple[str, str, bytes]:
    attachment = session.get(TicketAttachment, int(attachment_id)) if str(attachment_id).isdigit() else None
    if attachment is None:
        raise NotFound()
    _visible_ticket(session, actor, attachment.ticket_id)
    return attachment.filename, attachment.content_type, attachment.data


# ------------------------------------------------------------------------------------------ tickets


def ticket_options(session: Session, actor: Actor, lang: str = "en") -> dict:
    agents = session.exec(select(User.id, User.full_name).where(User.is_active == True).order_by(User.full_name)).all()  # noqa: E712
    teams = session.exec(select(SalesTeam.id, SalesTeam.name).order_by(SalesTeam.name)).all()
    return {
        "categories": _choices("category", CATEGORIES, lang),
        "priorities": _choices("priority", PRIORITIES, lang),
        "channels": _choices("channel", CHANNELS, lang),
        "statuses": _choices("status", TICKET_STATUSES, lang),
        "agents": [{"value": str(i), "label": n} for i, n in agents],
        "teams": [{"value": str(i), "label": n} for i, n in teams],
    }


def company_orders(session: Session, actor: Actor, company_id, limit: int = 50) -> list[dict]:
    """The recent quotations and orders of a company and its contacts the actor may see, for "which
    order is this about" on a new ticket: [{"value", "label"}]."""
    if not str(company_id).isdigit() or not permissions.can(session, actor, "quotations", "read"):
        return []
    customer_ids = select(Customer.id).where(or_(Customer.id == int(company_id), Customer.company_id == int(company_id)))
    query = select(SalesOrder).where(SalesOrder.customer_id.in_(customer_ids), SalesOrder.state != "cancelled")
    clause = permissions.owner_clause(SalesOrder.owner_id, permissions.visible_owner_ids(session, actor, "quotations"))
    if clause is not None:
        query = query.where(clause)
    return [{"value": str(o.id), "label": o.order_number or o.number} for o in session.exec(query.order_by(SalesOrder.id.desc()).limit(limit))]


def _clean(session: Session, data: dict, current: Ticket | None) -> dict:
    """The validated fields of a staff form (only the keys present in ``data`` when editing)."""
    errors = Errors()
    out: dict = {}
    creating = current is None

    def present(key: str) -> bool:
        return creating or key in data

    if present("title"):
        out["title"] = errors.check("title", clean_text, data.get("title"), required=True, max_length=200)
    if present("description"):
        out["description"] = errors.check("description", clean_text, data.get("description"), max_length=20_000)
    for key, values in (("category", CATEGORIES), ("priority", PRIORITIES), ("channel", CHANNELS)):
        if present(key):
            value = str(data.get(key) or {"category": "question", "priority": "normal", "channel": "phone"}[key])
            if value not in values:
                errors.add(key, "helpdesk.error.choice")
            out[key] = value
    if present("company_id") or present("contact_id"):
        company_id = _int_or_none(data.get("company_id", current.company_id if current else None))
        contact_id = _int_or_none(data.get("contact_id", current.contact_id if current else None))
        contact = session.get(Customer, contact_id) if contact_id else None
        if contact_id and contact is None:
            errors.add("contact_id", "error.not_found")
        if contact is not None and company_id is None:
            company_id = contact.company_id if contact.kind == "person" else contact.id
        company = session.get(Customer, company_id) if company_id else None
        if company_id and company is None:
            errors.add("company_id", "error.not_found")
        if creating and company is None and contact is None:
            errors.add("company_id", "helpdesk.error.customer_required")
        if contact is not None and company is not None and contact.kind == "person" and contact.company_id not in (None, company.id):
            errors.add("contact_id", "helpdesk.error.contact_company")
        out["company_id"], out["contact_id"] = company_id, contact_id
    if present("product_id"):
        product_id = _int_or_none(data.get("product_id"))
        if product_id and session.get(Product, product_id) is None:
            errors.add("product_id", "error.not_found")
        out["product_id"] = product_id
    if present("order_id"):
        order_id = _int_or_none(data.get("order_id"))
        if order_id and session.get(SalesOrder, order_id) is None:
            errors.add("order_id", "error.not_found")
        out["order_id"] = order_id
    if present("team_id"):
        team_id = _int_or_none(data.get("team_id"))
        if team_id and session.get(SalesTeam, team_id) is None:
            errors.add("team_id", "error.not_found")
        out["team_id"] = team_id
    if present("assignee_id"):
        assignee_id = _int_or_none(data.get("assignee_id"))
        user = session.get(User, assignee_id) if assignee_id else None
        if assignee_id and (user is None or not user.is_active):
            errors.add("assignee_id", "helpdesk.error.assignee")
        out["assignee_id"] = assignee_id
    if present("tags"):
        out["tags"] = tags_to_db(parse_tags(data.get("tags", "")))
    errors.raise_if_any()
    return out


def _open_ticket(session: Session, values: dict, *, created_by: Actor | None, portal_user=None, files=()) -> Ticket:
    now = utcnow()
    team_id = values.get("team_id") or default_team_id(session)
    ticket = Ticket(number=f"tmp-{uuid.uuid4().hex[:12]}", **{**values, "team_id": team_id})
    ticket.first_response_due, ticket.resolution_due = sla_due(session, ticket.priority, now)
    ticket.created_at = ticket.updated_at = now
    if not ticket.assignee_id:
        ticket.assignee_id = next_assignee(session, team_id)
    ticket.created_by_id = created_by.id if created_by else None
    ticket.portal_user_id = portal_user.id if portal_user else None
    session.add(ticket)
    session.flush()
    ticket.number = f"TK-{ticket.id:05d}"
    session.add(ticket)
    if files:
        _store_files(session, ticket, None, files)
    session.flush()
    return ticket


def create_ticket(session: Session, actor: Actor, data: dict, attachments=()) -> Ticket:
    permissions.require(session, actor, MODULE, "create")
    values = _clean(session, data, None)
    files = _check_files(attachments)
    return _open_ticket(session, values, created_by=actor, files=files)


def update_ticket(session: Session, actor: Actor, ticket_id, data: dict, expected_version=None) -> Ticket:
    ticket = _visible_ticket(session, actor, ticket_id, "update")
    _check_version(ticket, expected_version)
    if ticket.merged_into_id:
        raise DomainError("helpdesk.error.merged")
    values = _clean(session, {k: v for k, v in data.items() if k not in ("status",)}, ticket)
    old_priority = ticket.priority
    for key, value in values.items():
        setattr(ticket, key, value)
    if ticket.priority != old_priority:  # a new priority moves the SLA targets (from the opening time)
        ticket.first_response_due, ticket.resolution_due = sla_due(session, ticket.priority, ticket.created_at)
    _touch(ticket, session)
    session.flush()
    return ticket


def allowed_statuses(ticket: Ticket) -> tuple[str, ...]:
    return () if ticket.merged_into_id else TRANSITIONS.get(ticket.status, ())


def _apply_status(session: Session, ticket: Ticket, status: str, *, user: Actor | None = None, portal_user=None) -> None:
    if status == "in_progress" and ticket.status in ("resolved", "closed"):
        status = "reopen"
    if status not in allowed_statuses(ticket):
        raise DomainError("helpdesk.error.transition", field="status")
    now, old = utcnow(), ticket.status
    if status == "reopen":
        ticket.status, ticket.resolved_at, ticket.closed_at = "in_progress", None, None
    else:
        ticket.status = status
        if status == "resolved":
            ticket.resolved_at = now
        if status == "closed":
            ticket.closed_at = now
            ticket.resolved_at = ticket.resolved_at or now
    _post(session, ticket, "status", f"{old}>{ticket.status}", public=True, user=user, portal_user=portal_user)
    _touch(ticket, session)
    session.flush()


def set_status(session: Session, actor: Actor, ticket_id, status: str, expected_version=None) -> Ticket:
    ticket = _visible_ticket(session, actor, ticket_id, "update")
    _check_version(ticket, expected_version)
    _apply_status(session, ticket, status, user=actor)
    return ticket


def assign_ticket(session: Session, actor: Actor, ticket_id, assignee_id) -> Ticket:
    ticket = _visible_ticket(session, actor, ticket_id, "update")
    _clean(session, {"assignee_id": assignee_id or ""}, ticket)
    new_id = _int_or_none(assignee_id)
    if new_id != ticket.assignee_id:
        ticket.assignee_id = new_id
        name = session.get(User, new_id).full_name if new_id else ""
        _post(session, ticket, "event", f"assigned:{name}", public=False, user=actor)
        _touch(ticket, session)
        session.flush()
    return ticket


def add_message(session: Session, actor: Actor, ticket_id, body: str, *, public: bool, attachments=()) -> TicketMessage:
    """A public reply (the customer sees it) or an internal note. The first public reply is the
    ticket's first response; it takes a new ticket into progress."""
    ticket = _visible_ticket(session, actor, ticket_id, "update")
    if ticket.merged_into_id:
        raise DomainError("helpdesk.error.merged")
    if public and ticket.status == "closed":  # the customer could not answer it: reopen first (notes stay possible)
        raise DomainError("helpdesk.error.closed", field="body")
    errors = Errors()
    text = errors.check("body", clean_text, body, required=True, max_length=20_000)
    errors.raise_if_any()
    files = _check_files(attachments)
    message = _post(session, ticket, "reply" if public else "note", text, public=public, user=actor)
    _store_files(session, ticket, message, files)
    if public:
        ticket.first_response_at = ticket.first_response_at or utcnow()
        if ticket.status == "new":
            _post(session, ticket, "status", "new>in_progress", public=True, user=actor)
            ticket.status = "in_progress"
    _touch(ticket, session)
    session.flush()
    return message


def merge_tickets(session: Session, actor: Actor, source_id, target_id) -> Ticket:
    """Merge a duplicate into another ticket: its conversation and files move over, it is closed and
    points at the target."""
    source = _visible_ticket(session, actor, source_id, "update")
    target = _visible_ticket(session, actor, target_id, "update")
    if source.id == target.id or target.merged_into_id or source.merged_into_id:
        raise DomainError("helpdesk.error.merge_self", field="target")
    if source.company_id and target.company_id and source.company_id != target.company_id:
        raise DomainError("helpdesk.error.merge_company", field="target")
    for message in session.exec(select(TicketMessage).where(TicketMessage.ticket_id == source.id)):
        message.ticket_id = target.id
        session.add(message)
    for attachment in session.exec(select(TicketAttachment).where(TicketAttachment.ticket_id == source.id)):
        attachment.ticket_id = target.id
        session.add(attachment)
    session.flush()
    if source.description:
        _post(session, target, "note", f"{source.number} — {source.title}\n\n{source.description}", public=False, user=actor)
    _post(session, target, "event", f"merged_from:{source.number}", public=True, user=actor)
    source.merged_into_id = target.id
    if source.status != "closed":
        source.status, source.closed_at = "closed", utcnow()
        source.resolved_at = source.resolved_at or source.closed_at
    _post(session, source, "event", f"merged_into:{target.number}", public=True, user=actor)
    _touch(source, session)
    _touch(target, session)
    session.flush()
    return target


def find_ticket_id(session: Session, actor: Actor, number: str) -> int:
    """A ticket's id by its number ("TK-00012", "12")."""
    digits = re.sub(r"\D", "", number or "")
    if not digits:
        raise DomainError("helpdesk.error.ticket_number", field="target")
    ticket = session.get(Ticket, int(digits))
    if ticket is None:
        raise DomainError("helpdesk.error.ticket_number", field="target")
    permissions.check_visible(session, actor, MODULE, ticket.assignee_id)
    return ticket.id


def link_article(session: Session, actor: Actor, ticket_id, article_id) -> Ticket:
    ticket = _visible_ticket(session, actor, ticket_id, "update")
    article_id = _int_or_none(article_id)
    if article_id and session.get(FaqArticle, article_id) is None:
        raise DomainError("error.not_found", field="article_id")
    ticket.faq_article_id = article_id
    _touch(ticket, session)
    session.flush()
    return ticket


def delete_ticket(session: Session, actor: Actor, ticket_id) -> None:
    """Delete a ticket with its conversation and files (profiles with the tickets "delete" right).
    Refused (Conflict) while other tickets are merged into it."""
    from kaktus_app.references import refuse_if_referenced

    ticket = _visible_ticket(session, actor, ticket_id, "delete")
    for attachment in session.exec(select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id)):
        session.delete(attachment)
    session.flush()
    for message in session.exec(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)):
        session.delete(message)
    session.flush()
    refuse_if_referenced(session, Ticket, ticket.id)
    session.delete(ticket)
    session.flush()


# ------------------------------------------------------------------------------------------- reads


def _names(session: Session, tickets: list[Ticket]) -> dict:
    customer_ids = {t.company_id for t in tickets if t.company_id} | {t.contact_id for t in tickets if t.contact_id}
    user_ids = {t.assignee_id for t in tickets if t.assignee_id}
    team_ids = {t.team_id for t in tickets if t.team_id}
    return {
        "customers": dict(session.exec(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))).all()) if customer_ids else {},
        "users": dict(session.exec(select(User.id, User.full_name).where(User.id.in_(user_ids))).all()) if user_ids else {},
        "teams": dict(session.exec(select(SalesTeam.id, SalesTeam.name).where(SalesTeam.id.in_(team_ids))).all()) if team_ids else {},
    }


def _row(t: Ticket, names: dict, lang: str, now: datetime) -> dict:
    state = sla_state(t, now)
    next_due = t.first_response_due if t.first_response_at is None else t.resolution_due
    return {
        "id": t.id, "number": t.number, "title": t.title,
        "company_id": t.company_id or 0, "company_name": names["customers"].get(t.company_id, ""),
        "contact_name": names["customers"].get(t.contact_id, "") if t.contact_id != t.company_id else "",
        "category": t.category, "category_label": _label("category", t.category, lang),
        "priority": t.priority, "priority_label": _label("priority", t.priority, lang),
        "status": t.status, "status_label": _label("status", t.status, lang),
        "channel": t.channel, "channel_label": _label("channel", t.channel, lang),
        "assignee_id": t.assignee_id or 0, "assignee_name": names["users"].get(t.assignee_id, ""),
        "team_id": t.team_id or 0, "team_name": names["teams"].get(t.team_id, ""),
        "sla_state": state, "sla_state_label": _label("sla", state, lang),
        "sla_label": format_datetime(next_due, lang) if t.status in OPEN_STATUSES else "",
        "created_label": format_datetime(t.created_at, lang), "updated_label": format_datetime(t.updated_at, lang),
        "tags": tags_from_db(t.tags), "version": t.version, "merged": bool(t.merged_into_id),
    }


def _filtered(session: Session, actor: Actor, *, search="", status="", priority="", category="", assignee="", team_id="", company_id=None, sla="", open_only=False, now=None):
    query = select(Ticket.id)
    clause = permissions.owner_clause(Ticket.assignee_id, permissions.visible_owner_ids(session, actor, MODULE))
    if clause is not None:
        query = query.where(clause)
    text = (search or "").strip()
    if text:
        digits = re.sub(r"\D", "", text)
        pattern = f"%{text.lower()}%"
        company_ids = select(Customer.id).where(Customer.name_norm.like(f"%{text.lower()}%"))
        conditions = [func.lower(Ticket.title).like(pattern), Ticket.company_id.in_(company_ids)]
        if digits and (text.upper().startswith(("TK", "#")) or text.isdigit()):
            conditions.append(Ticket.id == int(digits))
        query = query.where(or_(*conditions))
    if status == "open":
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    elif status in TICKET_STATUSES:
        query = query.where(Ticket.status == status)
    if open_only:
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    if priority in PRIORITIES:
        query = query.where(Ticket.priority == priority)
    if category in CATEGORIES:
        query = query.where(Ticket.category == category)
    if assignee == "me":
        query = query.where(Ticket.assignee_id == actor.id)
    elif assignee == "none":
        query = query.where(Ticket.assignee_id.is_(None))
    elif str(assignee).isdigit():
        query = query.where(Ticket.assignee_id == int(assignee))
    if str(team_id).isdigit():
        query = query.where(Ticket.team_id == int(team_id))
    if company_id:
        query = query.where(Ticket.company_id == int(company_id))
    now = now or utcnow()
    if sla == "breached":
        query = query.where(_breached_clause(now))
    elif sla == "due_soon":
        query = query.where(Ticket.status.in_(OPEN_STATUSES), ~_breached_clause(now),
                            or_(and_(Ticket.first_response_at.is_(None), Ticket.first_response_due <= now + DUE_SOON), Ticket.resolution_due <= now + DUE_SOON))
    return query


SORTS = {
    "-updated": (Ticket.updated_at.desc(), Ticket.id.desc()), "updated": (Ticket.updated_at, Ticket.id),
    "-created": (Ticket.created_at.desc(), Ticket.id.desc()), "created": (Ticket.created_at, Ticket.id),
    "due": (Ticket.resolution_due, Ticket.id), "priority": (case({"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=Ticket.priority), Ticket.id),
    "number": (Ticket.id,), "-number": (Ticket.id.desc(),),
}


def list_tickets(session: Session, actor: Actor, *, page: int = 1, page_size: int = 20, sort: str = "-updated", lang: str = "en", **filters) -> dict:
    permissions.require(session, actor, MODULE, "read")
    now = utcnow()
    ids_query = _filtered(session, actor, now=now, **filters)
    paging = page_of(session, ids_query, page, page_size)
    order = SORTS.get(sort, SORTS["-updated"])
    tickets = session.exec(select(Ticket).where(Ticket.id.in_(ids_query)).order_by(*order).offset(paging.offset).limit(paging.size)).all()
    names = _names(session, tickets)
    return paging.result([_row(t, names, lang, now) for t in tickets])


def iter_tickets(session: Session, actor: Actor, *, filters: dict, sort: str = "-updated", lang: str = "en"):
    """Every ticket the list's filters select, in its order, as list rows, read in batches (exports)."""
    permissions.require(session, actor, MODULE, "read")
    now = utcnow()
    allowed = ("search", "status", "priority", "category", "assignee", "team_id", "company_id", "sla", "open_only")
    ids_query = _filtered(session, actor, now=now, **{k: v for k, v in filters.items() if k in allowed})
    query = select(Ticket).where(Ticket.id.in_(ids_query)).order_by(*SORTS.get(sort, SORTS["-updated"]))
    for rows in batches(session, query):
        names = _names(session, rows)
        yield from (_row(t, names, lang, now) for t in rows)


def board(session: Session, actor: Actor, *, mine: bool = False, search: str = "", per_column: int = 30, lang: str = "en") -> dict:
    permissions.require(session, actor, MODULE, "read")
    now = utcnow()
    base = _filtered(session, actor, search=search, assignee="me" if mine else "", now=now).where(Ticket.merged_into_id.is_(None))
    counts = dict(session.exec(select(Ticket.status, func.count()).where(Ticket.id.in_(base)).group_by(Ticket.status)).all())
    columns = []
    recent = utcnow() - timedelta(days=30)
    for status in TICKET_STATUSES:
        query = select(Ticket).where(Ticket.id.in_(base), Ticket.status == status)
        if status == "closed":  # the closed column shows the last month; older ones are in the list
            query = query.where(Ticket.updated_at >= recent)
        order = (Ticket.updated_at.desc(),) if status in ("resolved", "closed") else SORTS["priority"]
        tickets = session.exec(query.order_by(*order).limit(per_column)).all()
        names = _names(session, tickets)
        columns.append({"status": status, "label": _label("status", status, lang), "count": counts.get(status, 0), "cards": [_row(t, names, lang, now) for t in tickets]})
    return {"columns": columns}


def _message_rows(session: Session, ticket_id: int, lang: str, *, public_only: bool) -> list[dict]:
    query = select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
    if public_only:
        query = query.where(TicketMessage.is_public == True)  # noqa: E712
    messages = session.exec(query.order_by(TicketMessage.created_at, TicketMessage.id)).all()
    files: dict[int, list[dict]] = {}
    ids = [m.id for m in messages]
    if ids:
        for a_id, message_id, name, size in session.exec(
            select(TicketAttachment.id, TicketAttachment.message_id, TicketAttachment.filename, TicketAttachment.size).where(TicketAttachment.message_id.in_(ids)).order_by(TicketAttachment.id)
        ):
            files.setdefault(message_id, []).append({"id": a_id, "filename": name, "size_label": size_label(size)})
    return [
        {
            "id": m.id, "kind": m.kind, "is_public": m.is_public, "body": _message_text(m, lang), "author_name": m.author_name,
            # the customer's: through the portal, or by e-mail (a public reply no staff member wrote)
            "from_customer": m.author_portal_user_id is not None or (m.kind == "reply" and m.is_public and m.author_user_id is None), "at_label": format_datetime(m.created_at, lang),
            "attachments": files.get(m.id, []),
        }
        for m in messages
    ]


def _message_text(message: TicketMessage, lang: str) -> str:
    """Status changes and events are stored as codes and worded in the reader's language."""
    if message.kind == "status" and ">" in message.body:
        old, new = message.body.split(">", 1)
        return translate("helpdesk.event.status", lang, old=_label("status", old, lang), new=_label("status", new, lang))
    if message.kind == "event" and ":" in message.body:
        code, value = message.body.split(":", 1)
        return translate(f"helpdesk.event.{code}", lang, value=value or translate("helpdesk.unassigned", lang))
    return message.body


def _ticket_files(session: Session, ticket_id: int, *, public_only: bool) -> list[dict]:
    """Files attached when the ticket was opened (not to a message)."""
    rows = session.exec(
        select(TicketAttachment.id, TicketAttachment.filename, TicketAttachment.size).where(TicketAttachment.ticket_id == ticket_id, TicketAttachment.message_id.is_(None)).order_by(TicketAttachment.id)
    ).all()
    return [{"id": i, "filename": n, "size_label": size_label(s)} for i, n, s in rows]


def _detail(session: Session, ticket: Ticket, lang: str, *, public_only: bool) -> dict:
    now = utcnow()
    names = _names(session, [ticket])
    row = _row(ticket, names, lang, now)
    product = session.get(Product, ticket.product_id) if ticket.product_id else None
    order = session.get(SalesOrder, ticket.order_id) if ticket.order_id else None
    article = session.get(FaqArticle, ticket.faq_article_id) if ticket.faq_article_id else None
    merged_into = session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id else None
    merged_from = session.exec(select(Ticket.id, Ticket.number, Ticket.title).where(Ticket.merged_into_id == ticket.id).order_by(Ticket.id)).all()
    row.update(
        description=ticket.description, contact_id=ticket.contact_id or 0, product_id=ticket.product_id or 0,
        product_name=product.name if product else "", order_id=ticket.order_id or 0,
        order_number=(order.order_number or order.number) if order else "", tags_text=", ".join(tags_from_db(ticket.tags)),
        first_response_due_label=format_datetime(ticket.first_response_due, lang), resolution_due_label=format_datetime(ticket.resolution_due, lang),
        first_response_at_label=format_datetime(ticket.first_response_at, lang), resolved_at_label=format_datetime(ticket.resolved_at, lang),
        merged_into={"id": merged_into.id, "number": merged_into.number} if merged_into else None,
        merged_from=[{"id": i, "number": n, "title": t} for i, n, t in merged_from],
        article={"id": article.id, "title": article.title} if article and (article.published or not public_only) else None,
        allowed_statuses=_choices("action", allowed_statuses(ticket), lang),
        messages=_message_rows(session, ticket.id, lang, public_only=public_only),
        files=_ticket_files(session, ticket.id, public_only=public_only),
    )
    return row


def ticket_detail(session: Session, actor: Actor, ticket_id, lang: str = "en") -> dict:
    ticket = _visible_ticket(session, actor, ticket_id)
    detail = _detail(session, ticket, lang, public_only=False)
    portal_user = None
    if ticket.portal_user_id:
        from kaktus_app.portal.models import PortalUser

        portal_user = session.get(PortalUser, ticket.portal_user_id)
    detail["portal_user_name"] = portal_user.full_name if portal_user else ""
    return detail


def company_tickets(session: Session, actor: Actor, company_id: int, lang: str = "en", limit: int = 8) -> dict | None:
    """A company's latest tickets and its open count, for its customer page (None: no tickets right)."""
    if not permissions.can(session, actor, MODULE, "read"):
        return None
    latest = list_tickets(session, actor, company_id=company_id, page_size=limit, lang=lang)
    open_count = session.exec(select(func.count()).select_from(_filtered(session, actor, company_id=company_id, status="open").subquery())).one()
    return {"rows": latest["rows"], "total": latest["total"], "open": open_count}


# -------------------------------------------------------------------------------------- statistics


def _hours_between(session: Session, start, end):
    return seconds_between(session, start, end) / 3600.0


def _range(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(date_from, time.min, JAKARTA).astimezone(UTC) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, JAKARTA).astimezone(UTC) if date_to else None
    return start, end


def stats(session: Session, actor: Actor, *, date_from: date | None = None, date_to: date | None = None, lang: str = "en") -> dict:
    """Open tickets by status / priority / category (now), and for tickets opened in the date range:
    created, resolved, SLA breaches, average time to first response and to resolution, per agent."""
    permissions.require(session, actor, MODULE, "read")
    now = utcnow()
    visible = permissions.owner_clause(Ticket.assignee_id, permissions.visible_owner_ids(session, actor, MODULE))
    base = [Ticket.merged_into_id.is_(None)] + ([visible] if visible is not None else [])
    open_base = [*base, Ticket.status.in_(OPEN_STATUSES)]

    def grouped(column, values, prefix):
        counts = dict(session.exec(select(column, func.count()).where(*open_base).group_by(column)).all())
        return [{"key": v, "label": _label(prefix, v, lang), "count": int(counts.get(v, 0))} for v in values]

    start, end = _range(date_from, date_to)
    period = list(base)
    if start is not None:
        period.append(Ticket.created_at >= start)
    if end is not None:
        period.append(Ticket.created_at < end)
    first_hours = _hours_between(session, Ticket.created_at, Ticket.first_response_at)
    resolve_hours = _hours_between(session, Ticket.created_at, Ticket.resolved_at)
    breach = or_(
        Ticket.first_response_at > Ticket.first_response_due, and_(Ticket.first_response_at.is_(None), Ticket.first_response_due < now),
        Ticket.resolved_at > Ticket.resolution_due, and_(Ticket.resolved_at.is_(None), Ticket.resolution_due < now),
    )
    measures = (
        func.count(),
        func.sum(case((Ticket.resolved_at.is_not(None), 1), else_=0)),
        func.sum(case((breach, 1), else_=0)),
        func.avg(first_hours),
        func.avg(resolve_hours),
        func.sum(case((Ticket.status.in_(OPEN_STATUSES), 1), else_=0)),
    )
    total = session.exec(select(*measures).where(*period)).one()
    agents = session.exec(select(Ticket.assignee_id, *measures).where(*period).group_by(Ticket.assignee_id)).all()
    users = dict(session.exec(select(User.id, User.full_name)).all())
    per_agent = sorted(
        (
            {
                "id": a or 0, "name": users.get(a, translate("helpdesk.unassigned", lang)), "created": int(n or 0), "resolved": int(r or 0),
                "breaches": int(b or 0), "open": int(o or 0), "avg_first_response_label": _hours_label(f, lang), "avg_resolution_label": _hours_label(h, lang),
            }
            for a, n, r, b, f, h, o in agents
        ),
        key=lambda row: (-row["created"], row["name"]),
    )
    created, resolved, breaches, first_avg, resolve_avg, _open = total
    return {
        "open_by_status": grouped(Ticket.status, OPEN_STATUSES, "status"),
        "open_by_priority": grouped(Ticket.priority, PRIORITIES, "priority"),
        "open_by_category": grouped(Ticket.category, CATEGORIES, "category"),
        "created": int(created or 0), "resolved": int(resolved or 0), "breaches": int(breaches or 0),
        "avg_first_response_hours": None if first_avg is None else round(float(first_avg), 2),
        "avg_resolution_hours": None if resolve_avg is None else round(float(resolve_avg), 2),
        "avg_first_response_label": _hours_label(None if first_avg is None else float(first_avg), lang),
        "avg_resolution_label": _hours_label(None if resolve_avg is None else float(resolve_avg), lang),
        "per_agent": per_agent,
    }


def complaint_alerts(session: Session, *, now: datetime | None = None, window_days: int = 7, baseline_weeks: int = 4, lang: str = "en") -> list[dict]:
    """Voice of the customer: a category or a product whose complaints in the last ``window_days``
    reach SPIKE_MINIMUM and at least SPIKE_FACTOR times their usual count per window (averaged over
    the ``baseline_weeks`` windows before)."""
    now = _aware(now or utcnow())
    window_start = now - timedelta(days=window_days)
    baseline_start = window_start - timedelta(days=window_days * baseline_weeks)
    complaints = [Ticket.category.in_(COMPLAINT_CATEGORIES), Ticket.merged_into_id.is_(None), Ticket.created_at >= baseline_start, Ticket.created_at < now]
    in_window = case((Ticket.created_at >= window_start, 1), else_=0)
    before = case((Ticket.created_at < window_start, 1), else_=0)
    alerts = []
    for kind, column in (("category", Ticket.category), ("product", Ticket.product_id)):
        rows = session.exec(select(column, func.sum(in_window), func.sum(before)).where(*complaints, column.is_not(None)).group_by(column)).all()
        for key, recent, older in rows:
            recent, baseline = int(recent or 0), float(older or 0) / baseline_weeks
            if recent >= SPIKE_MINIMUM and recent >= SPIKE_FACTOR * baseline:
                label = _label("category", key, lang) if kind == "category" else (session.get(Product, key).name if session.get(Product, key) else str(key))
                alerts.append({
                    "kind": kind, "key": str(key), "label": label, "count": recent, "baseline": round(baseline, 1),
                    "message": translate(f"helpdesk.alert.{kind}", lang, label=label, count=recent, days=window_days, baseline=format_number(round(baseline, 1))),
                })
    return sorted(alerts, key=lambda a: -a["count"])


# ------------------------------------------------------------------------------------------------ FAQ


def _require_faq(session: Session, actor: Actor, action: str) -> None:
    permissions.require(session, actor, "faq", action)


def faq_categories(session: Session, lang: str = "en", *, published_only: bool = False) -> list[dict]:
    counts_query = select(FaqArticle.category_id, func.count()).group_by(FaqArticle.category_id)
    if published_only:
        counts_query = counts_query.where(FaqArticle.published == True)  # noqa: E712
    counts = dict(session.exec(counts_query).all())
    return [
        {"id": c.id, "name": (c.name_id or c.name) if lang == "id" else c.name, "name_en": c.name, "name_id": c.name_id, "position": c.position, "count": int(counts.get(c.id, 0))}
        for c in session.exec(select(FaqCategory).order_by(FaqCategory.position, FaqCategory.name))
    ]


def save_faq_category(session: Session, actor: Actor, category_id, data: dict) -> FaqCategory:
    _require_faq(session, actor, "update" if category_id else "create")
    errors = Errors()
    name = errors.check("name", clean_text, data.get("name"), required=True, max_length=80)
    name_id = errors.check("name_id", clean_text, data.get("name_id"), max_length=80)
    position = str(data.get("position", "0") or "0").strip()
    if not position.lstrip("-").isdigit():
        errors.add("position", "error.number_invalid")
    errors.raise_if_any()
    category = session.get(FaqCategory, int(category_id)) if category_id else FaqCategory(name=name)
    if category is None:
        raise NotFound()
    category.name, category.name_id, category.position = name, name_id or "", int(position)
    session.add(category)
    session.flush()
    return category


def save_article(session: Session, actor: Actor, article_id, data: dict) -> FaqArticle:
    _require_faq(session, actor, "update" if article_id else "create")
    article = session.get(FaqArticle, int(article_id)) if article_id else FaqArticle(title="", author_id=actor.id)
    if article is None:
        raise NotFound()
    errors = Errors()
    title = errors.check("title", clean_text, data.get("title"), required=True, max_length=200)
    body = str(data.get("body") or "").strip()
    if not body:
        errors.add("body", "error.required")
    elif len(body) > 50_000:
        errors.add("body", "helpdesk.error.body_too_long")
    language = str(data.get("language") or "en")
    if language not in LANGUAGES:
        errors.add("language", "helpdesk.error.choice")
    category_id = _int_or_none(data.get("category_id"))
    if category_id and session.get(FaqCategory, category_id) is None:
        errors.add("category_id", "error.not_found")
    errors.raise_if_any()
    article.title, article.body, article.language, article.category_id = title, body, language, category_id
    published = data.get("published")
    article.published = published in (True, "on", "true", "1", 1) if published is not None else article.published
    article.updated_at = utcnow()
    session.add(article)
    session.flush()
    return article


def delete_article(session: Session, actor: Actor, article_id) -> None:
    _require_faq(session, actor, "delete")
    article = session.get(FaqArticle, int(article_id)) if str(article_id).isdigit() else None
    if article is None:
        raise NotFound()
    for vote in session.exec(select(FaqVote).where(FaqVote.article_id == article.id)):
        session.delete(vote)
    for ticket in session.exec(select(Ticket).where(Ticket.faq_article_id == article.id)):
        ticket.faq_article_id = None
        session.add(ticket)
    session.delete(article)
    session.flush()


def _plain(body: str) -> str:
    """Markdown as plain words: links and images keep their text, markup characters go."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", body)
    text = re.sub(r"(?m)^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+", "", text)
    return re.sub(r"[*_`~|]+", "", text)


def _excerpt(body: str, length: int = 180) -> str:
    text = re.sub(r"\s+", " ", _plain(body)).strip()
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + "…"


def _article_row(a: FaqArticle, categories: dict, lang: str) -> dict:
    return {
        "id": a.id, "title": a.title, "excerpt": _excerpt(a.body), "category_id": a.category_id or 0, "category_name": categories.get(a.category_id, ""),
        "language": a.language, "published": a.published, "views": a.views, "helpful_yes": a.helpful_yes, "helpful_no": a.helpful_no,
        "updated_label": format_datetime(a.updated_at, lang),
    }


def _category_names(session: Session, lang: str) -> dict:
    return {c["id"]: c["name"] for c in faq_categories(session, lang)}


def search_articles(session: Session, *, text: str = "", language: str = "", category_id=None, published_only: bool = True, page: int = 1, page_size: int = 20, lang: str = "en") -> dict:
    """Every typed word must appear in the title or the body (case and accents as typed are ignored
    for ASCII); title matches first, then the most read."""
    query = select(FaqArticle.id)
    if published_only:
        query = query.where(FaqArticle.published == True)  # noqa: E712
    if language in LANGUAGES:
        query = query.where(FaqArticle.language == language)
    if _int_or_none(category_id):
        query = query.where(FaqArticle.category_id == int(category_id))
    words = [w for w in re.split(r"\s+", (text or "").lower().strip()) if w][:8]
    for word in words:
        pattern = f"%{word.replace('%', '').replace('_', '')}%"
        query = query.where(or_(func.lower(FaqArticle.title).like(pattern), func.lower(FaqArticle.body).like(pattern)))
    paging = page_of(session, query, page, page_size)
    title_hit = case((and_(*[func.lower(FaqArticle.title).like(f"%{w}%") for w in words]), 0), else_=1) if words else None
    order = ([title_hit] if title_hit is not None else []) + [FaqArticle.views.desc(), FaqArticle.id]
    articles = session.exec(select(FaqArticle).where(FaqArticle.id.in_(query)).order_by(*order).offset(paging.offset).limit(paging.size)).all()
    categories = _category_names(session, lang)
    return paging.result([_article_row(a, categories, lang) for a in articles])


def get_article(session: Session, article_id, *, published_only: bool = True, count_view: bool = False, lang: str = "en") -> dict:
    article = session.get(FaqArticle, int(article_id)) if str(article_id).isdigit() else None
    if article is None or (published_only and not article.published):
        raise NotFound()
    if count_view:
        session.exec(FaqArticle.__table__.update().where(FaqArticle.__table__.c.id == article.id).values(views=FaqArticle.__table__.c.views + 1))
        session.refresh(article)
    row = _article_row(article, _category_names(session, lang), lang)
    row["body"] = article.body
    return row


def vote_article(session: Session, article_id, voter: str, helpful: bool) -> dict:
    article = session.get(FaqArticle, int(article_id)) if str(article_id).isdigit() else None
    if article is None or not article.published or not voter:
        raise NotFound()
    vote = session.exec(select(FaqVote).where(FaqVote.article_id == article.id, FaqVote.voter == voter[:80])).first()
    if vote is None:
        session.add(FaqVote(article_id=article.id, voter=voter[:80], helpful=bool(helpful)))
    else:
        vote.helpful = bool(helpful)
        session.add(vote)
    session.flush()
    yes, no = session.exec(
        select(func.sum(case((FaqVote.helpful == True, 1), else_=0)), func.sum(case((FaqVote.helpful == False, 1), else_=0))).where(FaqVote.article_id == article.id)  # noqa: E712
    ).one()
    article.helpful_yes, article.helpful_no = int(yes or 0), int(no or 0)
    session.add(article)
    session.flush()
    return {"helpful_yes": article.helpful_yes, "helpful_no": article.helpful_no}


def most_viewed(session: Session, *, language: str = "", limit: int = 5, lang: str = "en") -> list[dict]:
    query = select(FaqArticle).where(FaqArticle.published == True)  # noqa: E712
    if language in LANGUAGES:
        query = query.where(FaqArticle.language == language)
    categories = _category_names(session, lang)
    return [_article_row(a, categories, lang) for a in session.exec(query.order_by(FaqArticle.views.desc(), FaqArticle.id).limit(limit))]


def published_articles(session: Session, lang: str = "en") -> list[dict]:
    """Titles of every published article (for linking a ticket to one)."""
    return [{"value": str(i), "label": t} for i, t in session.exec(select(FaqArticle.id, FaqArticle.title).where(FaqArticle.published == True).order_by(FaqArticle.title))]  # noqa: E712


# --------------------------------------------------------------------------------------------- portal


class _PortalName:
    """Names a portal user in the audit trail."""

    def __init__(self, pactor) -> None:
        self.id = None
        self.username = f"portal:{pactor.email}"[:60]


def _as_portal(session: Session, pactor) -> None:
    session.info.setdefault("actor", _PortalName(pactor))


def _portal_ticket(session: Session, pactor, ticket_id) -> Ticket:
    """The portal user's company's ticket, or "not found" (also for another company's ticket)."""
    ticket = session.get(Ticket, int(ticket_id)) if str(ticket_id).isdigit() else None
    if ticket is None or ticket.company_id != pactor.company_id:
        raise NotFound()
    return ticket


def _portal_user(session: Session, pactor):
    from kaktus_app.portal.models import PortalUser

    user = session.get(PortalUser, pactor.id)
    if user is None or not user.is_active or user.company_id != pactor.company_id:
        raise NotFound()
    return user


def portal_tickets(session: Session, pactor, *, status: str = "", page: int = 1, page_size: int = 20, lang: str = "en") -> dict:
    query = select(Ticket.id).where(Ticket.company_id == pactor.company_id)
    if status == "open":
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    elif status == "closed":
        query = query.where(Ticket.status.not_in(OPEN_STATUSES))
    paging = page_of(session, query, page, page_size)
    tickets = session.exec(select(Ticket).where(Ticket.id.in_(query)).order_by(Ticket.updated_at.desc(), Ticket.id.desc()).offset(paging.offset).limit(paging.size)).all()
    names = _names(session, tickets)
    rows = []
    for t in tickets:
        row = _row(t, names, lang, utcnow())
        for key in ("assignee_id", "team_id", "team_name", "sla_state", "sla_state_label", "sla_label", "tags", "version"):
            row.pop(key, None)
        rows.append(row)
    return paging.result(rows)


def portal_ticket(session: Session, pactor, ticket_id, lang: str = "en") -> dict:
    ticket = _portal_ticket(session, pactor, ticket_id)
    detail = _detail(session, ticket, lang, public_only=True)
    for key in ("sla_state", "sla_state_label", "sla_label", "tags", "tags_text", "team_id", "team_name", "first_response_due_label", "resolution_due_label", "allowed_statuses"):
        detail.pop(key, None)
    detail["can_close"] = ticket.status != "closed" and not ticket.merged_into_id
    detail["can_reopen"] = ticket.status in ("resolved", "closed") and not ticket.merged_into_id
    detail["can_reply"] = ticket.status != "closed" and not ticket.merged_into_id
    return detail


def portal_create_ticket(session: Session, pactor, data: dict, attachments=()) -> Ticket:
    _as_portal(session, pactor)
    user = _portal_user(session, pactor)
    errors = Errors()
    title = errors.check("title", clean_text, data.get("title"), required=True, max_length=200)
    description = errors.check("description", clean_text, data.get("description"), required=True, max_length=20_000)
    category = str(data.get("category") or "question")
    if category not in CATEGORIES:
        errors.add("category", "helpdesk.error.choice")
    order_id = _int_or_none(data.get("order_id"))
    if order_id:
        order = session.get(SalesOrder, order_id)
        if order is None or _company_of(session, order.customer_id) != pactor.company_id:
            errors.add("order_id", "error.not_found")
    errors.raise_if_any()
    files = _check_files(attachments)
    priority = "high" if category in COMPLAINT_CATEGORIES else "normal"
    values = {"title": title, "description": description, "category": category, "priority": priority, "channel": "portal",
              "company_id": pactor.company_id, "contact_id": user.contact_id, "order_id": order_id}
    return _open_ticket(session, values, created_by=None, portal_user=user, files=files)


def _company_of(session: Session, customer_id) -> int | None:
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        return None
    return customer.company_id if customer.kind == "person" and customer.company_id else customer.id


def portal_reply(session: Session, pactor, ticket_id, body: str, attachments=()) -> TicketMessage:
    """The customer's reply: a ticket waiting on the customer, or already resolved, goes back into progress."""
    _as_portal(session, pactor)
    ticket = _portal_ticket(session, pactor, ticket_id)
    user = _portal_user(session, pactor)
    if ticket.status == "closed" or ticket.merged_into_id:
        raise DomainError("helpdesk.error.closed", field="body")
    errors = Errors()
    text = errors.check("body", clean_text, body, required=True, max_length=20_000)
    errors.raise_if_any()
    files = _check_files(attachments)
    message = _post(session, ticket, "reply", text, public=True, portal_user=user)
    _store_files(session, ticket, message, files)
    if ticket.status in ("waiting", "resolved"):
        _apply_status(session, ticket, "in_progress" if ticket.status == "waiting" else "reopen", portal_user=user)
    else:
        _touch(ticket, session)
    session.flush()
    return message


def portal_set_status(session: Session, pactor, ticket_id, action: str) -> Ticket:
    _as_portal(session, pactor)
    ticket = _portal_ticket(session, pactor, ticket_id)
    user = _portal_user(session, pactor)
    if action not in ("closed", "reopen"):
        raise DomainError("helpdesk.error.transition")
    _apply_status(session, ticket, action, portal_user=user)
    return ticket


def portal_attachment_file(session: Session, pactor, attachment_id) -> tuple[str, str, bytes]:
    attachment = session.get(TicketAttachment, int(attachment_id)) if str(attachment_id).isdigit() else None
    if attachment is None:
        raise NotFound()
    _portal_ticket(session, pactor, attachment.ticket_id)
    if attachment.message_id is not None:
        message = session.get(TicketMessage, attachment.message_id)
        if message is None or not message.is_public:
            raise NotFound()
    return attachment.filename, attachment.content_type, attachment.data
