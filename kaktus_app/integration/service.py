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
