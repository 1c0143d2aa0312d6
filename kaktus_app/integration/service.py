"""Data out in the formats other programs read: contacts as vCard 4.0 (RFC 6350) and a user's
activities as an iCalendar feed (RFC 5545). Plain Python over a Session; no reflex here.

Both go through the same permission engine as the lists: the customers "export" right for vCards
(with the list's filters, the sharing rules and hidden fields applied, and an audit entry), the
user's own assigned activities for the calendar (notes and outcomes left out when hidden).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from kaktus_app.activities.models import Activity
from kaktus_app.auth import audit, permissions
from kaktus_app.auth.service import Actor
from kaktus_app.customers import service as customers
from kaktus_app.customers.models import Customer
from kaktus_app.errors import DomainError
from kaktus_app.i18n import translate, utcnow

VCARD_LIMIT = 50_000  # contacts in one file (a bigger address book is exported in parts, by filter)
CALENDAR_PAST = timedelta(days=60)
CALENDAR_AHEAD = timedelta(days=400)
PRODID = "-//PT. Kaktus Berduri//Kaktus CRM//EN"


# -------------------------------------------------------------------------------------------- vCard


def _vcard_text(value: str) -> str:
    """A vCard / iCalendar TEXT value: backslash, comma, semicolon and newlines escaped."""
    return (value or "").replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (CRLF + one space), never inside a UTF-8 character."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def vcard(contact: dict) -> str:
    """One contact as a vCard 4.0: {name, company, job_title, department, email, phone, mobile,
    street, city, province, postal_code, notes, id}."""
    name = contact["name"].strip()
    # N is family;given — the last word as the family name (many Indonesians have one name only)
    given, _, family = name.rpartition(" ")
    lines = ["BEGIN:VCARD", "VERSION:4.0", f"FN:{_vcard_text(name)}", f"N:{_vcard_text(family)};{_vcard_text(given)};;;"]
    if contact.get("company"):
        lines.append(f"ORG:{_vcard_text(contact['company'])}" + (f";{_vcard_text(contact['department'])}" if contact.get("department") else ""))
    if contact.get("job_title"):
        lines.append(f"TITLE:{_vcard_text(contact['job_title'])}")
    if contact.get("email"):
        lines.append(f"EMAIL;TYPE=work:{_vcard_text(contact['email'])}")
    if contact.get("phone"):
        lines.append(f"TEL;VALUE=uri;TYPE=work,voice:tel:{contact['phone']}")
    if contact.get("mobile"):
        lines.append(f"TEL;VALUE=uri;TYPE=cell:tel:{contact['mobile']}")
    if any(contact.get(k) for k in ("street", "city", "province", "postal_code")):
        lines.append("ADR;TYPE=work:;;{};{};{};{};Indonesia".format(*(_vcard_text(contact.get(k, "")) for k in ("street", "city", "province", "postal_code"))))
    if contact.get("notes"):
        lines.append(f"NOTE:{_vcard_text(contact['notes'])}")
    lines.append(f"UID:urn:kaktus:customer:{contact['id']}")
    lines.append("END:VCARD")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def contacts_vcard(session: Session, actor: Actor, *, filters: dict | None = None, lang: str = "en") -> tuple[str, str]:
    """(file name, text) of the contacts (people) among the customers the list's ``filters`` select,
    as the actor may see them. Needs the customers export right; written to the audit trail."""
    permissions.require(session, actor, "customers", "export")
    hidden = permissions.hidden(session, actor, "customers")
    f = {k: (filters or {}).get(k, "") for k in ("search", "segment", "city", "owner_id", "tag", "province")}
    for name in ("segment", "city", "province"):
        if name in hidden:
            f[name] = ""
    if "tags" in hidden:
        f["tag"] = ""
    query = customers._filtered(
        select(Customer), actor, **f, kind="person", visible=permissions.visible_owner_ids(session, actor, "customers"), session=session, hidden=hidden
    )
    cards = list(_cards(session, query.order_by(Customer.name_norm, Customer.id).limit(VCARD_LIMIT), hidden))
    audit.record(session, actor, "export", "customers", label=translate("integration.vcard_label", lang, count=len(cards)), detail="vcf")
    stamp = utcnow().strftime("%Y%m%d")
    return f"kontak-{stamp}.vcf", "".join(cards)


def _cards(session: Session, query, hidden: set[str]) -> Iterator[str]:
    companies: dict[int, str] = {}
    for person in session.exec(query.execution_options(yield_per=1000)):
        if person.company_id and person.company_id not in companies:
            company = session.get(Customer, person.company_id)
            companies[person.company_id] = company.name if company else ""
        row = {
            "id": person.id, "name": person.name, "company": companies.get(person.company_id, ""), "job_title": person.job_title,
            "department": person.department, "email": person.email, "phone": person.phone, "mobile": person.mobile,
            "street": person.street, "city": person.city, "province": person.province, "postal_code": person.postal_code, "notes": person.notes,
        }
        yield vcard({k: ("" if k in hidden else v) for k, v in row.items()})


# ---------------------------------------------------------------------------------------- iCalendar


def _stamp(value: datetime) -> str:
    value = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


DURATION = {"call": timedelta(minutes=15), "meeting": timedelta(hours=1), "email": timedelta(minutes=15), "task": timedelta(minutes=30)}


def activities_ical(session: Session, actor: Actor, *, now: datetime | None = None, lang: str = "en") -> str:
    """The actor's own scheduled activities from two months back to a year ahead, as an iCalendar
    feed (a calendar app subscribes to it): calls, meetings, e-mails and to-dos with their customer,
    done ones marked with a tick."""
    permissions.require(session, actor, "activities", "read")
    now = now or utcnow()
    hidden = permissions.hidden(session, actor, "activities")
    rows = session.exec(
        select(Activity, Customer.name)
        .join(Customer, Customer.id == Activity.customer_id, isouter=True)
        .where(Activity.assignee_id == actor.id, Activity.due_at.is_not(None), Activity.due_at >= now - CALENDAR_PAST, Activity.due_at <= now + CALENDAR_AHEAD)
        .order_by(Activity.due_at, Activity.id)
    ).all()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{_vcard_text(translate('integration.calendar_name', lang, name=actor.full_name))}", "X-WR-TIMEZONE:Asia/Jakarta"]
    for activity, customer_name in rows:
        kind = translate(f"activities.kind.{activity.kind}", lang)
        summary = ("✓ " if activity.done else "") + f"{kind}: {activity.summary}" + (f" — {customer_name}" if customer_name else "")
        description = "" if "note" in hidden else activity.note
        if activity.done and activity.outcome and "outcome" not in hidden:
            description = (translate(f"activities.outcome.{activity.outcome}", lang) + ("\n" + description if description else "")).strip()
        start = activity.due_at
        lines += [
            "BEGIN:VEVENT",
            f"UID:activity-{activity.id}@kaktus-crm",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(start)}",
            f"DTEND:{_stamp((start if start.tzinfo else start.replace(tzinfo=UTC)) + DURATION.get(activity.kind, timedelta(minutes=30)))}",
            f"SUMMARY:{_vcard_text(summary)}",
        ]
        if description:
            lines.append(f"DESCRIPTION:{_vcard_text(description)}")
        lines.append("STATUS:CONFIRMED")
        lines.append(f"CATEGORIES:{_vcard_text(kind)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


# ------------------------------------------------------------------------------------ list exports

EXPORT_FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
EXPORT_TTL = timedelta(minutes=10)  # an export file waits this long for its download
EXPORT_SUBFOLDER = "exports"  # under the app's upload folder, which the backend serves
# module -> (permission module, rows(session, actor, filters, sort, desc, lang), columns: (row key, label key, value pattern)[, options])
# options (for a list that is not one permission module's): "check": check(session, actor), raising
# PermissionDenied, instead of the permission module's export right; "trail": the module the export is
# recorded under in the audit trail, instead of the permission module.
EXPORTS: dict[str, tuple] = {
    "customers": ("customers", lambda s, a, f, sort, desc, lang: customers.iter_customers(s, a, filters=f, sort=sort or "name", desc=desc, lang=lang), (
        ("name", "common.name", ""), ("kind", "customers.kind", "customers.kind.{}"), ("segment", "customers.segment", "customers.segment.{}"),
        ("city", "common.city", ""), ("email", "common.email", ""), ("phone", "common.phone", ""), ("owner", "common.owner", ""),
        ("tags", "common.tags", ""), ("created_at", "common.created_at", ""),
    )),
    "leads": ("leads", lambda s, a, f, sort, desc, lang: _leads().iter_leads(s, a, filters=f, sort=sort or "created_at", desc=desc, lang=lang), (
        ("title", "leads.field.title", ""), ("company", "leads.company", ""), ("source", "leads.source", "leads.source.{}"),
        ("status", "leads.status", "leads.status.{}"), ("revenue", "leads.expected_revenue", ""), ("owner", "common.owner", ""),
        ("created_at", "common.created_at", ""),
    )),
    "opportunities": ("opportunities", lambda s, a, f, sort, desc, lang: _sales().iter_opportunities(s, a, filters=f, sort=sort or "updated_at", desc=desc, lang=lang), (
        ("name", "sales.name", ""), ("customer", "sales.customer", ""), ("stage", "sales.stage", ""), ("state", "sales.state", "sales.state.{}"),
        ("revenue", "sales.revenue", ""), ("probability", "sales.probability", ""), ("weighted", "sales.weighted", ""),
        ("closing", "sales.expected_closing", ""), ("owner", "common.owner", ""), ("updated_at", "common.updated_at", ""),
    )),
    "tickets": ("tickets", lambda s, a, f, sort, desc, lang: _helpdesk().iter_tickets(s, a, filters=f, sort=sort or "-updated", lang=lang), (
        ("number", "hd.col.number", ""), ("title", "hd.field.title", ""), ("company_name", "hd.col.customer", ""),
        ("category_label", "hd.field.category", ""), ("priority_label", "hd.field.priority", ""), ("status_label", "hd.col.status", ""),
        ("assignee_name", "hd.field.assignee_id", ""), ("sla_state_label", "hd.col.sla", ""), ("created_label", "common.created_at", ""),
        ("updated_label", "common.updated_at", ""),
    )),
    "activities": ("activities", lambda s, a, f, sort, desc, lang: _activities().iter_my_activities(s, a, filters=f, lang=lang), (
        ("kind_label", "activities.kind", ""), ("summary", "activities.summary", ""), ("record", "activities.related", ""),
        ("due", "activities.due", ""), ("assignee", "activities.assignee", ""), ("outcome", "activities.outcome", ""),
    )),
    "products": ("products", lambda s, a, f, sort, desc, lang: _catalog().iter_products(s, a, filters=f, sort=sort or "name", desc=desc, lang=lang), (
        ("code", "catalog.code", ""), ("name", "catalog.name", ""), ("category_label", "catalog.category", ""), ("uom_label", "catalog.uom", ""),
        ("sale_price_label", "catalog.sale_price", ""), ("cost_label", "catalog.cost", ""), ("margin_label", "catalog.margin", ""),
        ("tax_label", "catalog.tax", ""),
    )),
    "quotations": ("quotations", lambda s, a, f, sort, desc, lang: _documents().iter_orders(s, a, filters=f, sort=sort or "number", desc=desc, lang=lang), (
        ("number", "documents.number", ""), ("order_number", "documents.sales_order", ""), ("customer", "documents.customer", ""),
        ("date", "documents.date", ""), ("owner", "documents.salesperson", ""), ("total_label", "documents.total", ""),
        ("state_label", "sales.state", ""),
    )),
    "invoices": ("invoices", lambda s, a, f, sort, desc, lang: _documents().iter_invoices(s, a, filters=f, sort=sort or "number", desc=desc, lang=lang), (
        ("number", "documents.number", ""), ("kind_label", "documents.invoice", ""), ("customer", "documents.customer", ""),
        ("date", "documents.date", ""), ("due", "documents.due_date", ""), ("total_label", "documents.total", ""),
        ("balance_label", "documents.balance_due", ""), ("state_label", "sales.state", ""),
    )),
    "purchase_orders": ("purchasing", lambda s, a, f, sort, desc, lang: _catalog().iter_purchase_orders(s, a, lang=lang), (
        ("number", "documents.number", ""), ("vendor", "catalog.po_vendor", ""), ("date", "documents.date", ""),
        ("total_label", "documents.total", ""), ("state_label", "sales.state", ""),
    ), {"trail": "purchase_orders"}),
    # administrators only, as the trail's page and search (not a permission module: no export right)
    "audit": ("audit", lambda s, a, f, sort, desc, lang: audit.iter_search(s, a, filters=f, lang=lang), (
        ("when", "audit.when", ""), ("who", "audit.who", ""), ("action_label", "audit.action", ""), ("module_label", "audit.module", ""),
        ("label", "audit.record", ""), ("changes_text", "audit.changes", ""),
    ), {"check": lambda s, a: audit.require_admin(a)}),
}


def _leads():
    from kaktus_app.leads import service as leads

    return leads


def _sales():
    from kaktus_app.sales import service as sales

    return sales


def _helpdesk():
    from kaktus_app.helpdesk import service as helpdesk

    return helpdesk


def _activities():
    from kaktus_app.activities import service as activities

    return activities


def _catalog():
    from kaktus_app.catalog import service as catalog

    return catalog


def _documents():
    from kaktus_app.documents import service as documents

    return documents


def _hidden_columns(session: Session, actor: Actor, module: str, columns) -> set[str]:
    """The columns showing a field hidden from the actor (left out of the file, as from the list)."""
    hidden = permissions.hidden(session, actor, module)
    return {key for key, _label, _values in columns if permissions.shows_hidden(module, key, hidden)}


def _cell(value, pattern: str, lang: str):
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if pattern and value not in (None, ""):
        return translate(pattern.format(value), lang)
    return "" if value is None else value


def export_list(session: Session, actor: Actor, module: str, *, filters: dict, sort: str = "", desc: bool = False, fmt: str = "csv", lang: str = "en", folder=None) -> tuple[str, str]:
    """Write what a list shows — its filters and order, the visible columns, the actor's permissions —
    to a CSV (UTF-8 with BOM, ";" separated, as Indonesian Excel opens it) or XLSX file in ``folder``.
    Rows are read from the database in batches and written as they come, so the result is never all
    in memory. Returns (download name, the file's name in ``folder``). Needs the module's export right
    (or the export's own check: the audit trail is for administrators); written to the audit trail."""
    import csv
    import secrets

    if module not in EXPORTS or fmt not in EXPORT_FORMATS:
        raise DomainError("integration.error.export_unknown")
    permission, rows, columns, *extra = EXPORTS[module]
    options = extra[0] if extra else {}
    if "check" in options:
        options["check"](session, actor)
    else:
        permissions.require(session, actor, permission, "export")
    folder = export_folder(folder)
    skip = _hidden_columns(session, actor, permission, columns)
    columns = [c for c in columns if c[0] not in skip]
    header = [translate(label, lang) for _key, label, _values in columns]
    token = secrets.token_urlsafe(24)
    path = folder / f"{token}.{fmt}"
    count = 0
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(header)
            for row in rows(session, actor, filters, sort, desc, lang):
                writer.writerow([_cell(row.get(key), values, lang) for key, _label, values in columns])
                count += 1
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(translate(f"integration.sheet.{module}", lang)[:31])
        sheet.append(header)
        for row in rows(session, actor, filters, sort, desc, lang):
            sheet.append([_cell(row.get(key), values, lang) for key, _label, values in columns])
            count += 1
        book.save(path)
    audit.record(session, actor, "export", options.get("trail", permission), label=translate("integration.export_label", lang, count=count), detail=fmt)
    name = f"{translate(f'integration.sheet.{module}', lang).lower().replace(' ', '-')}-{utcnow().strftime('%Y%m%d')}.{fmt}"
    return name, path.name


def export_folder(folder=None):
    """Where export files wait for their download (the backend's upload folder, shared storage when
    several hosts serve the app); files older than EXPORT_TTL are removed on the way."""
    import os
    import time
    from pathlib import Path

    base = Path(folder or Path(os.environ.get("REFLEX_UPLOADED_FILES_DIR") or "uploaded_files") / EXPORT_SUBFOLDER)
    base.mkdir(parents=True, exist_ok=True)
    limit = time.time() - EXPORT_TTL.total_seconds()
    for old in base.glob("*.*"):
        try:
            if old.stat().st_mtime < limit:
                old.unlink()
        except OSError:
            pass
    return base


async def export_cleanup_loop(interval: float = 300.0) -> None:
    """Lifespan task: remove export files nobody downloaded within EXPORT_TTL."""
    import asyncio
    import contextlib

    while True:
        await asyncio.sleep(interval)
        with contextlib.suppress(OSError):
            await asyncio.to_thread(export_folder)
