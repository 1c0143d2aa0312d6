"""Inbound e-mail rules: reading RFC 822 messages (an uploaded .eml file or the IMAP mailbox),
threading them, and filing each one where a person will see it:

1. a reply to a ticket (its thread holds a ticket's mail, or the subject names the ticket, e.g.
   "Re: [TK-00012] ...") is appended to the ticket's conversation, as the portal does;
2. else mail from the address of a known contact / customer is logged on its timeline (a done
   e-mail activity);
3. else mail from the address of an open lead goes on that lead, and mail from an unknown address
   makes a new lead (when the mail settings say so, the default);
4. else it waits on /mail, "unmatched", for somebody to file it on a customer.

A Message-ID is stored once: the same mail uploaded twice, or fetched again from the mailbox, is
reported as a duplicate. The IMAP poller (``poll_once`` / ``imap_loop``) is off unless
KAKTUS_IMAP_HOST is set; one worker at a time polls (a claim on the settings row), and a mail is
marked \\Seen in the mailbox only after its transaction committed. No reflex here.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import imaplib
import json
import logging
import mimetypes
import os
import re
import socket
import ssl
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from sqlalchemy import func, or_, update
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from kaktus_app.activities.models import Activity
from kaktus_app.auth import audit, permissions
from kaktus_app.auth.models import User
from kaktus_app.auth.service import Actor, actor_for
from kaktus_app.customers.models import Customer
from kaktus_app.errors import DomainError, NotFound, PermissionDenied
from kaktus_app.helpdesk import service as helpdesk
from kaktus_app.helpdesk.models import Ticket, TicketMessage
from kaktus_app.i18n import format_datetime, translate, utcnow
from kaktus_app.leads import service as leads
from kaktus_app.leads.models import LEAD_SOURCES, Lead
from kaktus_app.mail.models import (
    MAIL_OUTCOMES,
    MAIL_SOURCES,
    InboundAttachment,
    InboundMessage,
    MailSettings,
)
from kaktus_app.paging import page_of
from kaktus_app.portal.models import PortalUser
from kaktus_app.validation import FieldError, parse_email

log = logging.getLogger(__name__)

# Files: the help desk's limits (a file of an e-mail may become a ticket file).
MAX_ATTACHMENT = helpdesk.MAX_ATTACHMENT  # bytes per file; a bigger file is listed as "not kept"
MAX_FILES = helpdesk.MAX_FILES  # files kept per message; the others are listed as "not kept"
# A whole message: its kept files base64-encoded (4/3) plus the text. An upload above this is refused;
# a bigger message in the mailbox is stored with its headers only.
MAX_MESSAGE_BYTES = 35 * 1024 * 1024
MAX_MESSAGE_LABEL = "35 MB"
MAX_UPLOAD_FILES = 20  # .eml files per upload
MAX_BODY_CHARS = 200_000
NOTE_EXCERPT = 4_000  # characters of the body on the timeline / in a lead's memo
THREAD_WINDOW = timedelta(days=60)  # a subject without references joins a thread this recent
SETTINGS_ID = 1
LEAD_SOURCE = "email_campaign" if "email_campaign" in LEAD_SOURCES else "other"  # the closest lead source to "e-mail"
LEAD_TAG = "e-mail"
POLL_LEASE = timedelta(minutes=10)  # a worker that claimed the mailbox and died frees it after this
MAX_PER_POLL = 100  # messages fetched per round (the rest next round)
PAGE_SIZE = 25

TICKET_REF = re.compile(r"\bTK-(\d{1,9})\b", re.IGNORECASE)
REPLY_PREFIX = re.compile(r"^\s*(?:re|fw|fwd|aw|wg|sv|vs|tr|antw|rif|balas|bls|trs|teruskan)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*", re.IGNORECASE)
AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply", "bounce", "bounces")
MESSAGE_ID = re.compile(r"<([^<>\s]{1,298})>")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
QUOTE_START = (
    re.compile(r"^On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^Pada\b.{0,300}\bmenulis:\s*$", re.IGNORECASE),
    re.compile(r"^Am\b.{0,300}\bschrieb\b.{0,100}:\s*$", re.IGNORECASE),
    re.compile(r"^-{2,}\s*(?:original message|pesan asli|forwarded message|pesan yang diteruskan|pesan terusan)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^_{10,}\s*$"),
)


class _MailName:
    """Names the mailbox in the audit trail when no staff user is behind a change (IMAP)."""

    id = None
    username = "inbound-mail"


# ------------------------------------------------------------------------------------------ parsing


@dataclass
class ParsedMail:
    message_id: str
    in_reply_to: str
    references: list[str]
    subject: str
    subject_key: str
    from_name: str
    from_address: str
    to_addresses: str
    sent_at: datetime | None
    body: str
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # (filename, content type, data)
    automatic: bool = False  # an auto-reply, a bounce, a newsletter: never a lead, never a customer's reply
    skipped: list[dict] = field(default_factory=list)  # {"name", "size", "reason"}


def _clean(text: str, limit: int | None = None) -> str:
    """Text safe to store (no NUL or control characters: PostgreSQL refuses NUL) and display."""
    text = CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    return text[:limit] if limit else text


def _one_line(text: str, limit: int) -> str:
    return re.sub(r"\s+", " ", _clean(str(text or ""))).strip()[:limit]


def _header(msg: EmailMessage, name: str) -> str:
    """A header as text (encoded words decoded); a header the parser cannot read comes back raw."""
    try:
        value = msg.get(name)
        return "" if value is None else str(value)
    except Exception:  # a malformed header: its raw text
        for key, value in msg.raw_items():
            if key.lower() == name.lower():
                return str(value)
        return ""


def _ids(text: str) -> list[str]:
    """The <message-ids> of a Message-ID / In-Reply-To / References header, in order."""
    seen, out = set(), []
    for value in MESSAGE_ID.findall(text or ""):
        token = f"<{value}>"
        if token not in seen:
            seen.add(token)
            out.append(token)
    return out


def _message_id(msg: EmailMessage, raw: bytes) -> str:
    """The Message-ID, or one made from a hash of the bytes (the same file gives the same id)."""
    header = _header(msg, "Message-ID").strip()
    ids = _ids(header)
    if ids:
        return ids[0]
    if header and " " not in header and len(header) <= 298:
        return f"<{header.strip('<>')}>"
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@kaktus.invalid>"


def _address(msg: EmailMessage) -> tuple[str, str]:
    """(display name, lower-case address) of the sender."""
    try:
        header = msg["From"]
        addresses = getattr(header, "addresses", ()) if header is not None else ()
        if addresses:
            return str(addresses[0].display_name or ""), str(addresses[0].addr_spec or "").strip().lower()
    except Exception:  # an address the strict parser refuses: the lenient one
        pass
    name, address = parseaddr(_header(msg, "From"))
    return name, address.strip().lower()


def _recipients(msg: EmailMessage) -> str:
    try:
        header = msg["To"]
        addresses = getattr(header, "addresses", ()) if header is not None else ()
        found = [str(a.addr_spec).lower() for a in addresses if a.addr_spec]
    except Exception:
        found = [a.lower() for _n, a in getaddresses([_header(msg, "To")]) if a]
    return ", ".join(found)


def _sent_at(msg: EmailMessage) -> datetime | None:
    """The Date header in UTC (a date without a zone is taken as UTC); None when unreadable."""
    try:
        header = msg["Date"]
        value = getattr(header, "datetime", None) if header is not None else None
    except Exception:
        return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _automatic(msg: EmailMessage, address: str) -> bool:
    """Mail no person wrote (RFC 3834 Auto-Submitted, bulk / list mail, delivery reports, no-reply
    senders): it must not become a lead, nor reopen a ticket."""
    auto = _header(msg, "Auto-Submitted").strip().lower()
    precedence = _header(msg, "Precedence").strip().lower()
    local = address.split("@", 1)[0]
    return bool(
        (auto and auto != "no") or precedence in ("bulk", "junk", "list", "auto_reply") or _header(msg, "List-Id") or _header(msg, "List-Unsubscribe")
        or msg.get_content_type() == "multipart/report" or _header(msg, "X-Autoreply") or local in AUTOMATIC_SENDERS
        or local.startswith(("noreply", "no-reply", "bounce"))
    )


def subject_key(subject: str) -> str:
    """The subject a thread keeps: without Re: / Fwd: / AW: / Balas: ..., lower-case, single-spaced."""
    text = _one_line(subject, 1000)
    while True:
        stripped = REPLY_PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return text.lower()[:300]


class _TextExtractor(HTMLParser):
    """HTML to plain text: the words only (scripts, styles and the head are dropped, nothing runs)."""

    SKIP = {"script", "style", "head", "title", "noscript", "template", "svg", "object", "iframe"}
    BREAK = {"br", "p", "div", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section", "article", "header", "footer", "ul", "ol", "hr", "pre", "address"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.skipping = 0  # a <head> that was never closed
        elif tag in self.SKIP:
            self.skipping += 1
        elif tag == "li":
            self.parts.append("\n• ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in ("br", "hr"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    extractor = _TextExtractor()
    try:
        extractor.feed(markup or "")
        extractor.close()
    except Exception:  # broken markup: whatever was read so far
        pass
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(extractor.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _text_of(part) -> str:
    try:
        content = part.get_content()
        if isinstance(content, str):
            return content
    except Exception:  # an unknown charset: decode the bytes leniently
        pass
    data = part.get_payload(decode=True) or b""
    return data.decode(part.get_content_charset() or "utf-8", errors="replace") if isinstance(data, bytes) else str(data)


def _safe_filename(name: str, fallback: str) -> str:
    """The file's own name (non-ASCII kept), without folders or control characters, ≤ 200 chars."""
    text = unicodedata.normalize("NFC", _one_line(name or "", 1000)).replace("\\", "/").rsplit("/", 1)[-1].strip(" .")
    if not text:
        return fallback
    if len(text) > 200:
        stem, dot, ext = text.rpartition(".")
        text = (stem[: 199 - len(ext)] + dot + ext) if dot and len(ext) <= 20 else text[:200]
    return text


def _default_name(part, index: int) -> str:
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        return f"message-{index}.eml"
    return f"attachment-{index}{mimetypes.guess_extension(content_type) or '.bin'}"


def _files(msg: EmailMessage, body_parts: set[int]) -> list[tuple[str, str, bytes]]:
    """Every file of the message: parts with a file name or an attachment disposition, inline
    images, and forwarded messages (kept whole as .eml, not opened)."""
    found: list[tuple[str, str, bytes]] = []

    def walk(part) -> None:
        content_type = part.get_content_type()
        if part.is_multipart() and content_type != "message/rfc822":
            for sub in part.iter_parts():
                walk(sub)
            return
        if id(part) in body_parts:
            return
        try:
            filename = part.get_filename()
        except Exception:
            filename = None
        disposition = (part.get_content_disposition() or "").lower()
        if content_type in ("text/plain", "text/html") and not filename and disposition != "attachment":
            return  # another version of the text (e.g. the HTML twin of the plain body)
        if content_type == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else None
            try:
                data = inner.as_bytes(policy=policy.SMTP) if inner is not None else b""
            except Exception:
                data = str(inner or "").encode("utf-8", "replace")
        else:
            data = part.get_payload(decode=True) or b""
        if not data:
            return
        name = _safe_filename(str(filename or ""), _default_name(part, len(found) + 1))
        found.append((name, content_type[:100], data))

    walk(msg)
    return found


def _body(msg: EmailMessage) -> tuple[str, set[int]]:
    """The plain text (an HTML-only message turned into text) and the parts it came from."""
    used: set[int] = set()
    try:
        plain = msg.get_body(preferencelist=("plain",))
        rich = msg.get_body(preferencelist=("html",))
    except Exception:
        plain = rich = None
    for part in (plain, rich):
        if part is not None:
            used.add(id(part))
    if plain is not None:
        text = _text_of(plain)
    elif rich is not None:
        text = html_to_text(_text_of(rich))
    else:
        text = ""
    return _clean(text, MAX_BODY_CHARS).strip(), used


def parse_message(raw: bytes, *, oversize: int = 0) -> ParsedMail:
    """Read an RFC 822 message. ``oversize``: the message's real size when only its headers were
    fetched (too big to keep). Raises DomainError("mail.error.unreadable") when it has no sender."""
    if not raw or not raw.strip():
        raise DomainError("mail.error.empty", field="files")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:
        raise DomainError("mail.error.unreadable", field="files") from exc
    from_name, from_address = _address(msg)
    if "@" not in from_address:
        raise DomainError("mail.error.unreadable", field="files")
    subject = _one_line(_header(msg, "Subject"), 300)
    in_reply_to = _ids(_header(msg, "In-Reply-To"))
    parsed = ParsedMail(
        message_id=_message_id(msg, raw),
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=_ids(_header(msg, "References"))[-50:],
        subject=subject,
        subject_key=subject_key(subject),
        from_name=_one_line(from_name, 200),
        from_address=_one_line(from_address, 200),
        to_addresses=_one_line(_recipients(msg), 1000),
        sent_at=_sent_at(msg),
        body="",
        automatic=_automatic(msg, from_address),
    )
    if oversize:
        parsed.skipped.append({"name": "", "size": int(oversize), "reason": "message"})
        return parsed
    parsed.body, used = _body(msg)
    for name, content_type, data in _files(msg, used):
        if len(data) > MAX_ATTACHMENT:
            parsed.skipped.append({"name": name, "size": len(data), "reason": "size"})
        elif len(parsed.attachments) >= MAX_FILES:
            parsed.skipped.append({"name": name, "size": len(data), "reason": "count"})
        else:
            parsed.attachments.append((name, content_type, data))
    return parsed


def reply_text(body: str) -> str:
    """A reply without the quoted mail below it ("On ... wrote:", "> ..." lines); the whole text
    when nothing is left."""
    lines = (body or "").split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        candidate = line.strip()
        joined = f"{candidate} {lines[index + 1].strip()}" if index + 1 < len(lines) else candidate
        if any(p.match(candidate) or p.match(joined) for p in QUOTE_START):
            cut = index
            break
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    text = "\n".join(kept).strip()
    return text or (body or "").strip()


# ------------------------------------------------------------------------------------ permissions


def can_upload(session: Session, actor: Actor) -> bool:
    """Upload .eml files: read customers, and create leads or customers (filing may create a lead)."""
    return permissions.can(session, actor, "customers", "read") and (
        permissions.can(session, actor, "leads", "create") or permissions.can(session, actor, "customers", "create")
    )


def _require_upload(session: Session, actor: Actor) -> None:
    if not can_upload(session, actor):
        raise PermissionDenied("error.not_allowed", action="create", module="leads")


def _visibility(session: Session, actor: Actor) -> list:
    """WHERE clauses: a message filed on a record the actor may not see is not theirs to read."""
    clauses = []
    targets = (
        ("customers", InboundMessage.customer_id, Customer, Customer.owner_id),
        ("leads", InboundMessage.lead_id, Lead, Lead.owner_id),
        ("tickets", InboundMessage.ticket_id, Ticket, Ticket.assignee_id),
    )
    for module, column, model, owner in targets:
        if module != "customers" and not permissions.can(session, actor, module, "read"):
            clauses.append(column.is_(None))
            continue
        visible = permissions.visible_owner_ids(session, actor, module)
        if visible is not None:
            hidden_ids = select(model.id).where(owner.is_not(None), owner.not_in(visible))
            clauses.append(or_(column.is_(None), column.not_in(hidden_ids)))
    return clauses


def _visible_message(session: Session, actor: Actor, message_id) -> InboundMessage:
    permissions.require(session, actor, "customers", "read")
    if not str(message_id).isdigit():
        raise NotFound()
    message = session.exec(select(InboundMessage).where(InboundMessage.id == int(message_id), *_visibility(session, actor))).first()
    if message is None:
        raise NotFound()
    return message


# -------------------------------------------------------------------------------------- settings


def _ensure_settings_row(session: Session) -> None:
    """The one settings row, created once even when several workers start together."""
    if session.get(MailSettings, SETTINGS_ID) is not None:
        return
    values = {
        "id": SETTINGS_ID, "create_leads": True, "lead_owner_id": None, "updated_at": utcnow(), "poll_claimed_by": "",
        "last_poll_stored": 0, "last_poll_error": "",
    }
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(MailSettings.__table__).values(**values).on_conflict_do_nothing(index_elements=["id"]))


def settings_row(session: Session) -> MailSettings:
    _ensure_settings_row(session)
    row = session.get(MailSettings, SETTINGS_ID)
    session.refresh(row)
    return row


def imap_settings(env: dict | None = None) -> dict | None:
    """KAKTUS_IMAP_HOST / _PORT / _USER / _PASSWORD / _FOLDER (INBOX) / _SSL (1) / _INTERVAL (60 s);
    None, the poller off, when no host is set."""
    env = os.environ if env is None else env
    host = str(env.get("KAKTUS_IMAP_HOST", "") or "").strip()
    if not host:
        return None
    use_ssl = str(env.get("KAKTUS_IMAP_SSL", "1") or "1").strip().lower() not in ("0", "false", "no", "off")

    def number(name: str, default: int, minimum: int) -> int:
        text = str(env.get(name, "") or "").strip()
        return max(minimum, int(text)) if text.isdigit() else default

    return {
        "host": host, "port": number("KAKTUS_IMAP_PORT", 993 if use_ssl else 143, 1), "user": str(env.get("KAKTUS_IMAP_USER", "") or ""),
        "password": str(env.get("KAKTUS_IMAP_PASSWORD", "") or ""), "folder": str(env.get("KAKTUS_IMAP_FOLDER", "") or "").strip() or "INBOX",
        "ssl": use_ssl, "interval": number("KAKTUS_IMAP_INTERVAL", 60, 10),
    }


def imap_status(session: Session, lang: str = "en") -> dict:
    """What the settings page says about the poller: never the password."""
    config = imap_settings()
    row = settings_row(session)
    return {
        "configured": config is not None,
        "host": f"{config['host']}:{config['port']}" if config else "",
        "folder": config["folder"] if config else "",
        "user": config["user"] if config else "",
        "ssl": bool(config and config["ssl"]),
        "interval": config["interval"] if config else 0,
        "last_poll_label": format_datetime(row.last_poll_at, lang),
        "last_poll_stored": row.last_poll_stored,
        "last_poll_error": row.last_poll_error,
    }


def _owner_choices(session: Session) -> list[dict]:
    users = session.exec(select(User).where(User.is_active == True).order_by(User.full_name)).all()  # noqa: E712
    return [{"id": u.id, "name": u.full_name} for u in users if permissions.can(session, actor_for(u), "leads", "read")]


def get_mail_settings(session: Session, actor: Actor, lang: str = "en") -> dict:
    if not actor.is_admin:
        raise PermissionDenied()
    row = settings_row(session)
    return {
        "create_leads": row.create_leads, "lead_owner_id": str(row.lead_owner_id or ""), "owners": _owner_choices(session),
        "imap": imap_status(session, lang),
    }


def update_mail_settings(session: Session, actor: Actor, data: dict) -> MailSettings:
    """Administrators: create leads from unknown senders (on / off) and who owns those leads
    (empty: the person who uploads, or the first administrator for the mailbox)."""
    if not actor.is_admin:
        raise PermissionDenied()
    row = settings_row(session)
    create = data.get("create_leads", row.create_leads)
    create_leads = create in (True, 1, "1", "on", "true", "True", "yes")
    raw_owner = str(data.get("lead_owner_id", "") or "").strip()
    owner_id = None
    if raw_owner:
        owner = session.get(User, int(raw_owner)) if raw_owner.isdigit() else None
        if owner is None or not owner.is_active or owner.id not in {o["id"] for o in _owner_choices(session)}:
            raise DomainError("mail.error.owner", field="lead_owner_id")
        owner_id = owner.id
    changes = {}
    if row.create_leads != create_leads:
        changes["create_leads"] = [str(row.create_leads), str(create_leads)]
    if row.lead_owner_id != owner_id:
        changes["lead_owner_id"] = [str(row.lead_owner_id or ""), str(owner_id or "")]
    row.create_leads, row.lead_owner_id, row.updated_at = create_leads, owner_id, utcnow()
    session.add(row)
    session.flush()
    if changes:
        audit.record(session, actor, "update", "settings", record_id=row.id, label="mail settings", changes=changes)
    return row


# ---------------------------------------------------------------------------------------- receive


def _by_message_id(session: Session, message_id: str) -> InboundMessage | None:
    return session.exec(select(InboundMessage).where(InboundMessage.message_id == message_id)).first()


def _thread(session: Session, parsed: ParsedMail) -> tuple[InboundMessage | None, InboundMessage | None]:
    """(first message of the thread, the message this one answers): by In-Reply-To / References,
    else by the same subject from the same address in the last THREAD_WINDOW."""
    refs = [r for r in dict.fromkeys([parsed.in_reply_to, *reversed(parsed.references)]) if r]
    if refs:
        found = {m.message_id: m for m in session.exec(select(InboundMessage).where(InboundMessage.message_id.in_(refs)))}
        referenced = next((found[r] for r in refs if r in found), None)
        if referenced is not None:
            root = session.get(InboundMessage, referenced.thread_id) if referenced.thread_id else None
            return root or referenced, referenced
    if parsed.subject_key:
        earlier = session.exec(
            select(InboundMessage)
            .where(InboundMessage.from_address == parsed.from_address, InboundMessage.subject_key == parsed.subject_key,
                   InboundMessage.received_at >= utcnow() - THREAD_WINDOW)
            .order_by(InboundMessage.id)
            .limit(1)
        ).first()
        if earlier is not None:
            root = session.get(InboundMessage, earlier.thread_id) if earlier.thread_id else None
            return root or earlier, None
    return None, None


def size_label(size: int) -> str:
    return helpdesk.size_label(size)


def _sender(message: InboundMessage) -> str:
    return f"{message.from_name} <{message.from_address}>" if message.from_name else message.from_address


def _activity_note(session: Session, message: InboundMessage) -> str:
    """What the timeline shows of a mail: who sent it, its files, the start of its text."""
    names = session.exec(select(InboundAttachment.filename, InboundAttachment.size).where(InboundAttachment.message_id == message.id).order_by(InboundAttachment.id)).all()
    lines = [f"✉ {_sender(message)}"]
    if names:
        lines.append("📎 " + ", ".join(f"{n} ({size_label(s)})" for n, s in names))
    body = message.body if len(message.body) <= NOTE_EXCERPT else message.body[: NOTE_EXCERPT - 1].rstrip() + "…"
    if body:
        lines += ["", body]
    return "\n".join(lines)[:20_000]


def _log_email(session: Session, actor: Actor | None, message: InboundMessage, *, customer_id=None, lead: Lead | None = None, assignee_id=None) -> Activity:
    """A done e-mail activity on the customer's (or the lead's) timeline."""
    activity = Activity(
        kind="email", summary=(message.subject or f"✉ {message.from_name or message.from_address}")[:200], note=_activity_note(session, message),
        due_at=message.sent_at or message.received_at, done=True, done_at=message.received_at, assignee_id=assignee_id,
        customer_id=customer_id, lead_id=lead.id if lead else None, opportunity_id=lead.opportunity_id if lead else None,
        created_by_id=actor.id if actor else None, created_at=utcnow(),
    )
    session.add(activity)
    session.flush()
    message.activity_id = activity.id
    return activity


def _default_user_id(session: Session) -> int | None:
    return session.exec(select(User.id).where(User.role == "admin", User.is_active == True).order_by(User.id)).first()  # noqa: E712


def _filing_actor(session: Session, actor: Actor | None, settings: MailSettings) -> Actor | None:
    """Who creates a lead for a mail: the uploader when they may, else the leads' owner, else the
    first administrator (the mailbox has no user)."""
    if actor is not None and permissions.can(session, actor, "leads", "create"):
        return actor
    for user_id in (settings.lead_owner_id, _default_user_id(session)):
        user = session.get(User, user_id) if user_id else None
        if user is not None and user.is_active and permissions.can(session, actor_for(user), "leads", "create"):
            return actor_for(user)
    return None


def _lead_owner(session: Session, actor: Actor | None, settings: MailSettings) -> int | None:
    owner = session.get(User, settings.lead_owner_id) if settings.lead_owner_id else None
    if owner is not None and owner.is_active:
        return owner.id
    return actor.id if actor is not None else _default_user_id(session)


def _create_lead(session: Session, actor: Actor | None, message: InboundMessage, settings: MailSettings) -> Lead | None:
    filing = _filing_actor(session, actor, settings)
    if filing is None:
        return None
    try:
        email = parse_email(message.from_address)
    except FieldError:
        email = ""
    body = message.body if len(message.body) <= NOTE_EXCERPT else message.body[: NOTE_EXCERPT - 1].rstrip() + "…"
    data = {
        "title": (message.subject or f"✉ {message.from_name or message.from_address}")[:200],
        "contact_name": (message.from_name or message.from_address.split("@")[0])[:120],
        "email": email, "source": LEAD_SOURCE, "memo": f"✉ {_sender(message)}\n\n{body}".strip()[:20_000],
        "owner_id": str(_lead_owner(session, actor, settings) or filing.id), "tags": LEAD_TAG,
    }
    try:
        return leads.create_lead(session, filing, data)
    except DomainError:  # e.g. a field the profile may not fill: the mail waits, unmatched, for a person
        log.warning("inbound mail %s: no lead created", message.message_id, exc_info=True)
        return None


def _same_address(column, address: str):
    """``column`` is ``address`` whatever its case: the services store e-mails lower-case (the
    indexed equality finds those); the lower() twin also catches a row written otherwise."""
    return or_(column == address, func.lower(column) == address)


def _first_by_address(session: Session, query, column, address: str):
    """The first row of ``query`` whose ``column`` is the address: the indexed lookup first, the
    case-insensitive scan only when it finds nothing."""
    if not address:
        return None
    return session.exec(query.where(column == address).limit(1)).first() or session.exec(query.where(func.lower(column) == address).limit(1)).first()


def _contact_for(session: Session, address: str) -> Customer | None:
    """The customer whose e-mail is the sender's (a contact person first, active first)."""
    query = select(Customer).order_by((Customer.kind == "person").desc(), Customer.is_active.desc(), Customer.id)
    return _first_by_address(session, query, Customer.email, address)


def _open_lead(session: Session, address: str, *candidates: InboundMessage | None) -> Lead | None:
    """The open lead a mail belongs to: the lead its thread was filed on, else the sender's newest."""
    for candidate in candidates:
        if candidate is not None and candidate.lead_id:
            lead = session.get(Lead, candidate.lead_id)
            if lead is not None and lead.status == "open":
                return lead
    return _first_by_address(session, select(Lead).where(Lead.status == "open").order_by(Lead.id.desc()), Lead.email, address)


def _ticket_for(session: Session, message: InboundMessage, root: InboundMessage | None, referenced: InboundMessage | None) -> Ticket | None:
    """The ticket a mail answers: its thread's ticket, else the ticket named in the subject
    ("[TK-00012]"); a merged ticket leads to the one it was merged into."""
    ticket_id = None
    for candidate in (referenced, root):
        if candidate is not None and candidate.ticket_id:
            ticket_id = candidate.ticket_id
            break
    if ticket_id is None and root is not None:
        ticket_id = session.exec(
            select(InboundMessage.ticket_id).where(InboundMessage.thread_id == root.id, InboundMessage.ticket_id.is_not(None)).order_by(InboundMessage.id.desc()).limit(1)
        ).first()
    ticket = session.get(Ticket, ticket_id) if ticket_id else None
    if ticket is None:
        match = TICKET_REF.search(message.subject or "")
        if match:
            ticket = session.exec(select(Ticket).where(Ticket.number == f"TK-{int(match.group(1)):05d}")).first()
    for _ in range(5):
        if ticket is None or not ticket.merged_into_id:
            break
        ticket = session.get(Ticket, ticket.merged_into_id)
    return ticket


def _ticket_sender(session: Session, ticket: Ticket, address: str) -> tuple[Customer | None, PortalUser | None]:
    """The sender as the ticket's customer: a contact / the company with that e-mail, and its
    portal user; (None, None) for somebody the ticket's company does not know."""
    company_id = ticket.company_id or helpdesk._company_of(session, ticket.contact_id)
    known = [c for c in (ticket.contact_id, company_id) if c]
    customer = None
    if known:
        customer = session.exec(
            select(Customer)
            .where(_same_address(Customer.email, address), or_(Customer.id.in_(known), Customer.company_id.in_(known)))
            .order_by((Customer.kind == "person").desc(), Customer.id)
            .limit(1)
        ).first()
    portal_user = None
    if company_id:
        portal_user = session.exec(
            select(PortalUser).where(PortalUser.email == address, PortalUser.company_id == company_id, PortalUser.is_active == True)  # noqa: E712
        ).first()
    if customer is None and portal_user is not None and portal_user.contact_id:
        customer = session.get(Customer, portal_user.contact_id)
    return customer, portal_user


def _ticket_files(parsed: ParsedMail) -> list[tuple[str, bytes]]:
    """The files a ticket accepts (the help desk's types and limits); the others stay on /mail."""
    files = []
    for name, _content_type, data in parsed.attachments:
        try:
            helpdesk.check_attachment(name, data)
        except DomainError:
            continue
        files.append((name, data))
    return files[: helpdesk.MAX_FILES]


def _append_to_ticket(session: Session, message: InboundMessage, parsed: ParsedMail, ticket: Ticket) -> TicketMessage:
    """The customer's reply on the ticket, as the portal adds it (a ticket waiting on the customer,
    resolved or closed goes back into progress). Mail from an address the ticket's company does not
    know, or an automatic answer (out of office...), becomes an internal note: staff see it, the
    customer's portal does not, and the ticket's status stays."""
    from kaktus_app.portal.service import PortalActor

    files = _ticket_files(parsed)
    text = reply_text(message.body)[:20_000].strip() or message.subject or "📎"
    customer, portal_user = _ticket_sender(session, ticket, message.from_address)
    if parsed.automatic or (customer is None and portal_user is None):
        note = f"✉ {_sender(message)}\n\n{text}"[:20_000]
        posted = helpdesk._post(session, ticket, "note", note, public=False)
        posted.author_name = (message.from_name or message.from_address)[:120]
        session.add(posted)
        helpdesk._store_files(session, ticket, posted, [(*helpdesk.check_attachment(n, d), d) for n, d in files])
        helpdesk._touch(ticket, session)
        session.flush()
        return posted
    message.customer_id = customer.id if customer is not None else None
    if portal_user is not None:
        pactor = PortalActor(portal_user.id, portal_user.email, portal_user.full_name, portal_user.company_id, portal_user.contact_id, portal_user.language)
        if ticket.status == "closed":
            helpdesk.portal_set_status(session, pactor, ticket.id, "reopen")
        return helpdesk.portal_reply(session, pactor, ticket.id, text, attachments=files)
    if ticket.status == "closed":
        helpdesk._apply_status(session, ticket, "reopen")
    posted = helpdesk._post(session, ticket, "reply", text, public=True)
    posted.author_name = f"✉ {message.from_name or customer.name or message.from_address}"[:120]
    session.add(posted)
    helpdesk._store_files(session, ticket, posted, [(*helpdesk.check_attachment(n, d), d) for n, d in files])
    if ticket.status in ("waiting", "resolved"):
        helpdesk._apply_status(session, ticket, "in_progress" if ticket.status == "waiting" else "reopen")
    else:
        helpdesk._touch(ticket, session)
    session.flush()
    return posted


def _file(session: Session, actor: Actor | None, message: InboundMessage, parsed: ParsedMail, settings: MailSettings,
          root: InboundMessage | None, referenced: InboundMessage | None) -> None:
    """Decide where the mail goes (ticket, contact, lead, or unmatched) and put it there."""
    ticket = _ticket_for(session, message, root, referenced)
    if ticket is not None:
        posted = _append_to_ticket(session, message, parsed, ticket)
        message.outcome, message.ticket_id, message.ticket_message_id = "ticket", ticket.id, posted.id
        return
    customer = _contact_for(session, message.from_address)
    if customer is None and referenced is not None and referenced.customer_id:
        customer = session.get(Customer, referenced.customer_id)  # a colleague answering a filed mail
    if customer is not None:
        _log_email(session, actor, message, customer_id=customer.id, assignee_id=customer.owner_id or (actor.id if actor else _default_user_id(session)))
        message.outcome, message.customer_id = "contact", customer.id
        return
    lead = _open_lead(session, message.from_address, referenced, root)
    if lead is None and settings.create_leads and not parsed.automatic:
        lead = _create_lead(session, actor, message, settings)
    if lead is not None:
        _log_email(session, actor, message, lead=lead, assignee_id=lead.owner_id)
        message.outcome, message.lead_id = "lead", lead.id
        return
    message.outcome = "unmatched"


def _receive(session: Session, actor: Actor | None, raw: bytes, source: str, *, oversize: int = 0) -> tuple[InboundMessage, bool]:
    """(the stored message, whether it is new): a Message-ID seen before returns the first copy."""
    if source not in MAIL_SOURCES:
        raise ValueError(f"unknown mail source {source!r}")
    if actor is not None:
        _require_upload(session, actor)
    else:
        session.info.setdefault("actor", _MailName())
    parsed = parse_message(raw, oversize=oversize)
    existing = _by_message_id(session, parsed.message_id)
    if existing is not None:
        return existing, False
    settings = settings_row(session)
    root, referenced = _thread(session, parsed)
    message = InboundMessage(
        message_id=parsed.message_id, in_reply_to=parsed.in_reply_to, references=" ".join(parsed.references), subject=parsed.subject,
        subject_key=parsed.subject_key, from_address=parsed.from_address, from_name=parsed.from_name, to_addresses=parsed.to_addresses,
        sent_at=parsed.sent_at, received_at=utcnow(), body=parsed.body, skipped_files=json.dumps(parsed.skipped, ensure_ascii=False) if parsed.skipped else "",
        source=source, outcome="unmatched", thread_id=root.id if root is not None else None, created_by_id=actor.id if actor else None,
    )
    session.add(message)
    session.flush()  # a second copy racing in from another worker fails here (unique Message-ID) and is retried
    if message.thread_id is None:
        message.thread_id = message.id
    for name, content_type, data in parsed.attachments:
        session.add(InboundAttachment(message_id=message.id, filename=name, content_type=content_type, size=len(data), data=data))
    session.flush()
    _file(session, actor, message, parsed, settings, root, referenced)
    session.add(message)
    session.flush()
    return message, True


def receive(session: Session, actor: Actor | None, raw: bytes, source: str = "upload", *, oversize: int = 0) -> InboundMessage:
    """Store and file one RFC 822 message (``actor`` None: the mailbox). A Message-ID seen before is
    not stored again: the stored message is returned (``receive_file`` reports it as a duplicate)."""
    return _receive(session, actor, raw, source, oversize=oversize)[0]


def receive_file(session: Session, actor: Actor, filename: str, data: bytes, lang: str = "en") -> dict:
    """One uploaded .eml file: what became of it, for the upload's result list. Refuses (at the
    upload field) a file that is not .eml, too big, or not a readable message."""
    _require_upload(session, actor)
    name = _safe_filename(filename, "file")
    if not name.lower().endswith(".eml"):
        raise DomainError("mail.error.not_eml", field="files", name=name[:80])
    if len(data) > MAX_MESSAGE_BYTES:
        raise DomainError("mail.error.too_big", field="files", name=name[:80], max=MAX_MESSAGE_LABEL)
    message, created = _receive(session, actor, data, "upload")
    row = _rows(session, [message], lang)[0]
    return {"name": name, "duplicate": not created, **{k: row[k] for k in ("id", "outcome", "outcome_label", "href", "link_label", "subject")}}


# ------------------------------------------------------------------------------------------ reads


def _outcome_label(outcome: str, lang: str) -> str:
    return translate(f"mail.outcome.{outcome}", lang)


def _rows(session: Session, messages: list[InboundMessage], lang: str) -> list[dict]:
    customer_ids = {m.customer_id for m in messages if m.customer_id}
    lead_ids = {m.lead_id for m in messages if m.lead_id}
    ticket_ids = {m.ticket_id for m in messages if m.ticket_id}
    ids = [m.id for m in messages]
    customers = dict(session.exec(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))).all()) if customer_ids else {}
    lead_titles = dict(session.exec(select(Lead.id, Lead.title).where(Lead.id.in_(lead_ids))).all()) if lead_ids else {}
    tickets = {i: (n, t) for i, n, t in session.exec(select(Ticket.id, Ticket.number, Ticket.title).where(Ticket.id.in_(ticket_ids)))} if ticket_ids else {}
    files = dict(session.exec(select(InboundAttachment.message_id, func.count()).where(InboundAttachment.message_id.in_(ids)).group_by(InboundAttachment.message_id)).all()) if ids else {}
    thread_ids = {m.thread_id for m in messages if m.thread_id}
    threads = dict(session.exec(select(InboundMessage.thread_id, func.count()).where(InboundMessage.thread_id.in_(thread_ids)).group_by(InboundMessage.thread_id)).all()) if thread_ids else {}
    rows = []
    for m in messages:
        href, label, gone = "", "", False
        if m.outcome == "ticket" and m.ticket_id:
            if m.ticket_id in tickets:
                href, label = f"/tickets/{m.ticket_id}", f"{tickets[m.ticket_id][0]} · {tickets[m.ticket_id][1]}"
            else:
                gone = True
        elif m.outcome == "lead" and m.lead_id:
            if m.lead_id in lead_titles:
                href, label = f"/leads/{m.lead_id}", lead_titles[m.lead_id]
            else:
                gone = True
        elif m.outcome == "contact" and m.customer_id:
            if m.customer_id in customers:
                href, label = f"/customers/{m.customer_id}", customers[m.customer_id]
            else:
                gone = True
        if gone:
            label = translate("mail.record_gone", lang)
        rows.append({
            "id": m.id, "from_name": m.from_name, "from_address": m.from_address, "from_label": m.from_name or m.from_address,
            "subject": m.subject or translate("mail.no_subject", lang), "received_label": format_datetime(m.received_at, lang),
            "sent_label": format_datetime(m.sent_at, lang), "outcome": m.outcome, "outcome_label": _outcome_label(m.outcome, lang),
            "href": href, "link_label": label, "gone": gone, "can_file": m.outcome == "unmatched" or gone,
            "attachment_count": int(files.get(m.id, 0)), "thread_id": m.thread_id or m.id, "thread_count": int(threads.get(m.thread_id, 1)),
            "source": m.source, "source_label": translate(f"mail.source.{m.source}", lang),
        })
    return rows


def _filtered(session: Session, actor: Actor, *, outcome: str = "", search: str = "", thread_id=None):
    query = select(InboundMessage.id).where(*_visibility(session, actor))
    if outcome in MAIL_OUTCOMES:
        query = query.where(InboundMessage.outcome == outcome)
    text = (search or "").strip().lower()
    if text:
        pattern = "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"
        query = query.where(or_(func.lower(InboundMessage.subject).like(pattern), InboundMessage.from_address.like(pattern), func.lower(InboundMessage.from_name).like(pattern)))
    if str(thread_id or "").isdigit():
        query = query.where(InboundMessage.thread_id == int(thread_id))
    return query


def list_messages(session: Session, actor: Actor, *, page: int = 1, page_size: int = PAGE_SIZE, outcome: str = "", search: str = "", thread_id=None, lang: str = "en") -> dict:
    """The received mail the actor may read, newest first, a page at a time, with the count per outcome."""
    permissions.require(session, actor, "customers", "read")
    ids = _filtered(session, actor, outcome=outcome, search=search, thread_id=thread_id)
    paging = page_of(session, ids, page, page_size)
    messages = session.exec(
        select(InboundMessage).options(defer(InboundMessage.body), defer(InboundMessage.references))  # a page never shows the text
        .where(InboundMessage.id.in_(ids)).order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc()).offset(paging.offset).limit(paging.size)
    ).all()
    result = paging.result(_rows(session, list(messages), lang))
    all_ids = _filtered(session, actor, search=search, thread_id=thread_id)
    counts = dict(session.exec(select(InboundMessage.outcome, func.count()).where(InboundMessage.id.in_(all_ids)).group_by(InboundMessage.outcome)).all())
    result["counts"] = {o: int(counts.get(o, 0)) for o in MAIL_OUTCOMES}
    return result


def _skipped(message: InboundMessage, lang: str) -> list[dict]:
    try:
        items = json.loads(message.skipped_files) if message.skipped_files else []
    except ValueError:
        items = []
    out = []
    for item in items:
        reason = str(item.get("reason", "size"))
        size = size_label(int(item.get("size", 0) or 0))
        if reason == "message":
            text = translate("mail.skipped.message", lang, size=size, max=MAX_MESSAGE_LABEL)
        elif reason == "count":
            text = translate("mail.skipped.count", lang, name=item.get("name", ""), size=size, max=MAX_FILES)
        else:
            text = translate("mail.skipped.size", lang, name=item.get("name", ""), size=size, max=size_label(MAX_ATTACHMENT))
        out.append({"name": str(item.get("name", "")), "text": text})
    return out


def get_message(session: Session, actor: Actor, message_id, lang: str = "en") -> dict:
    """One message with its text, files, the files not kept and the other messages of its thread."""
    message = _visible_message(session, actor, message_id)
    row = _rows(session, [message], lang)[0]
    files = session.exec(
        select(InboundAttachment.id, InboundAttachment.filename, InboundAttachment.content_type, InboundAttachment.size)
        .where(InboundAttachment.message_id == message.id).order_by(InboundAttachment.id)
    ).all()
    thread = session.exec(
        select(InboundMessage).where(InboundMessage.thread_id == (message.thread_id or message.id), *_visibility(session, actor))
        .order_by(InboundMessage.received_at, InboundMessage.id).limit(50)
    ).all()
    row.update(
        body=message.body, to_addresses=message.to_addresses, message_id_header=message.message_id, in_reply_to=message.in_reply_to,
        attachments=[{"id": i, "filename": n, "content_type": c, "size_label": size_label(s)} for i, n, c, s in files],
        skipped=_skipped(message, lang),
        thread=[
            {"id": m.id, "subject": m.subject or translate("mail.no_subject", lang), "from_label": m.from_name or m.from_address,
             "received_label": format_datetime(m.received_at, lang), "current": m.id == message.id}
            for m in thread
        ] if len(thread) > 1 else [],
    )
    return row


def attachment_file(session: Session, actor: Actor, attachment_id) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of a file of a message the actor may read."""
    attachment = session.get(InboundAttachment, int(attachment_id)) if str(attachment_id).isdigit() else None
    if attachment is None:
        raise NotFound()
    _visible_message(session, actor, attachment.message_id)
    return attachment.filename, attachment.content_type or "application/octet-stream", attachment.data


def _target_gone(session: Session, message: InboundMessage) -> bool:
    targets = {"contact": (Customer, message.customer_id), "lead": (Lead, message.lead_id), "ticket": (Ticket, message.ticket_id)}
    model, record_id = targets.get(message.outcome, (None, None))
    return model is not None and (not record_id or session.get(model, record_id) is None)


def file_message(session: Session, actor: Actor, message_id, customer_id) -> InboundMessage:
    """File an unmatched mail (or one whose record was deleted) on a customer chosen by a person:
    it goes on that customer's timeline like a matched one."""
    message = _visible_message(session, actor, message_id)
    permissions.require(session, actor, "activities", "create")
    if message.outcome != "unmatched" and not _target_gone(session, message):
        raise DomainError("mail.error.already_filed", field="customer_id")
    customer = session.get(Customer, int(customer_id)) if str(customer_id or "").isdigit() else None
    if customer is None:
        raise DomainError("mail.error.customer_required", field="customer_id")
    try:
        permissions.check_visible(session, actor, "customers", customer.owner_id)
    except NotFound as exc:
        raise DomainError("mail.error.customer_required", field="customer_id") from exc
    _log_email(session, actor, message, customer_id=customer.id, assignee_id=customer.owner_id or actor.id)
    message.outcome, message.customer_id, message.lead_id, message.ticket_id, message.ticket_message_id = "contact", customer.id, None, None, None
    session.add(message)
    session.flush()
    return message


# ------------------------------------------------------------------------------------------- IMAP


_unreadable: set[tuple] = set()  # mailbox messages this process could not read (tried once, left unseen)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def connect_imap(settings: dict) -> imaplib.IMAP4:
    """A logged-in IMAP connection: TLS from the start (KAKTUS_IMAP_SSL=1, port 993) or STARTTLS
    when the server offers it."""
    context = ssl.create_default_context()
    if settings["ssl"]:
        client = imaplib.IMAP4_SSL(settings["host"], settings["port"], ssl_context=context, timeout=60)
    else:
        client = imaplib.IMAP4(settings["host"], settings["port"], timeout=60)
        if "STARTTLS" in client.capabilities:
            client.starttls(context)
    if settings["user"]:
        client.login(settings["user"], settings["password"])
    return client


def claim_poll(session: Session, worker: str, interval: int, now: datetime | None = None) -> bool:
    """Whether this worker polls now: the one whose conditional UPDATE took the settings row (the
    mailbox is free once ``next_poll_at`` passed). Several workers never poll at the same time."""
    _ensure_settings_row(session)
    now = now or utcnow()
    result = session.execute(
        update(MailSettings)
        .where(MailSettings.id == SETTINGS_ID, or_(MailSettings.next_poll_at.is_(None), MailSettings.next_poll_at <= now))
        .values(poll_claimed_by=worker[:80], next_poll_at=now + POLL_LEASE)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _record_poll(session: Session, started: datetime, interval: int, stored: int, error: str) -> None:
    _ensure_settings_row(session)
    session.execute(
        update(MailSettings).where(MailSettings.id == SETTINGS_ID)
        .values(last_poll_at=utcnow(), last_poll_stored=stored, last_poll_error=error[:300], next_poll_at=started + timedelta(seconds=interval))
        .execution_options(synchronize_session=False)
    )


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fetch_size(client, uid: str) -> int:
    typ, data = client.uid("FETCH", uid, "(RFC822.SIZE)")
    for item in data or ():
        text = item[0] if isinstance(item, tuple) else item
        match = re.search(rb"RFC822\.SIZE (\d+)", text if isinstance(text, bytes) else str(text).encode())
        if match:
            return int(match.group(1))
    return 0


def _fetch(client, uid: str, what: str) -> bytes:
    typ, data = client.uid("FETCH", uid, f"({what})")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"FETCH {uid}: {typ}")
    for item in data or ():
        if isinstance(item, tuple) and len(item) > 1 and isinstance(item[1], bytes):
            return item[1]
    raise imaplib.IMAP4.error(f"FETCH {uid}: no message")


def poll_once(session_factory: Callable | None = None, client_factory: Callable | None = None, settings: dict | None = None, *, limit: int = MAX_PER_POLL) -> dict:
    """One round: fetch the UNSEEN mail of the folder (without marking it), store and file each
    message in its own transaction, and mark it \\Seen only after that committed. A message that
    fails stays unseen and does not stop the others. Returns the counts and the error, if any."""
    settings = settings or imap_settings()
    result = {"configured": settings is not None, "stored": 0, "duplicates": 0, "failed": 0, "error": ""}
    if settings is None:
        return result
    if session_factory is None:
        from kaktus_app.db import session_scope as session_factory
    client_factory = client_factory or connect_imap
    started, problems, client = utcnow(), [], None
    try:
        client = client_factory(settings)
        typ, _ = client.select(_quote(settings["folder"]))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {settings['folder']}")
        typ, data = client.uid("SEARCH", None, "UNSEEN")
        uids = [u.decode() if isinstance(u, bytes) else str(u) for u in (data[0].split() if typ == "OK" and data and data[0] else [])]
        for uid in uids[:limit]:
            key = (settings["host"], settings["user"], settings["folder"], uid)
            if key in _unreadable:
                continue
            try:
                size = _fetch_size(client, uid)
                oversize = size if size > MAX_MESSAGE_BYTES else 0
                raw = _fetch(client, uid, "BODY.PEEK[HEADER]" if oversize else "BODY.PEEK[]")
                with session_factory() as session:
                    _message, created = _receive(session, None, raw, "imap", oversize=oversize)
                client.uid("STORE", uid, "+FLAGS", "(\\Seen)")  # only now: the message is committed
                result["stored" if created else "duplicates"] += 1
            except DomainError as exc:  # not a readable message: left unseen for a person, not retried by this process
                _unreadable.add(key)
                result["failed"] += 1
                problems.append(f"UID {uid}: {exc.message('en')}")
                log.warning("inbound mail: message UID %s could not be read", uid)
            except (OSError, imaplib.IMAP4.abort):
                raise
            except Exception as exc:  # noqa: BLE001 - one bad message must not stop the round; retried next round
                result["failed"] += 1
                problems.append(f"UID {uid}: {type(exc).__name__}")
                log.exception("inbound mail: message UID %s failed", uid)
    except (OSError, imaplib.IMAP4.error) as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"[:300]
        log.warning("inbound mail: %s", result["error"])
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
            with contextlib.suppress(Exception):
                client.logout()
    error = result["error"] or "; ".join(problems)
    try:
        with session_factory() as session:
            _record_poll(session, started, settings["interval"], result["stored"], error)
    except Exception:  # the round's result is only informative
        log.exception("inbound mail: could not record the poll")
    result["error"] = error
    return result


async def imap_loop() -> None:
    """Lifespan task of every worker: poll the mailbox every KAKTUS_IMAP_INTERVAL seconds (nothing
    without KAKTUS_IMAP_HOST). The settings row's claim lets one worker at a time poll."""
    from kaktus_app import db

    worker = worker_name()
    delay = 5.0
    while True:
        await asyncio.sleep(delay)
        settings = imap_settings()
        delay = float(settings["interval"]) if settings else 60.0
        if settings is None:
            continue
        try:
            if await db.run(claim_poll, worker, settings["interval"]):
                await asyncio.to_thread(poll_once, None, None, settings)
        except asyncio.CancelledError:
            raise
        except Exception:  # a database hiccup must not end the loop
            log.exception("inbound mail poll failed")
