"""The customer portal's rules: invitations and sign-up, one-time links, passwords with lockout,
sessions, the profile, the company's documents, and the e-mail outbox. No reflex here.

A portal user is a contact (a person) of a customer company. Everything a portal user reads is
limited here to that company (and its contacts): another company's record is "not found". Portal
sessions live in their own table, so a staff session token never opens the portal and a portal
token never opens the staff app.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import func, update
from sqlmodel import Session, select

from kaktus_app.auth import audit, permissions
from kaktus_app.auth.service import IDLE_TIMEOUT, Actor, hash_password, verify_password
from kaktus_app.customers.models import Customer
from kaktus_app.documents import service as documents
from kaktus_app.documents.models import Invoice, SalesOrder
from kaktus_app.errors import DomainError, NotFound, ValidationError
from kaktus_app.i18n import LANGUAGES, format_date, format_datetime, format_idr, translate, utcnow
from kaktus_app.paging import page_of
from kaktus_app.portal.models import OutboxMessage, PortalSession, PortalToken, PortalUser
from kaktus_app.validation import Errors, FieldError, clean_text, parse_email, parse_phone

DEFAULT_PUBLIC_URL = "http://localhost:3000"
TOKEN_LIFETIME = {"invite": timedelta(days=7), "verify": timedelta(hours=1), "magic": timedelta(hours=1), "reset": timedelta(hours=1)}
SESSION_LIFETIME = timedelta(days=14)
# Setting a new password without the current one is allowed this long after signing in (a link
# just proved the e-mail address, or the password was just typed).
FRESH_SESSION = timedelta(minutes=15)
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 10
# At most this many self-service e-mails (sign-up, sign-in link, reset) per address and hour.
MAX_MAILS_PER_HOUR = 5
MAIL_PAUSE = timedelta(seconds=60)

DOCUMENT_KINDS = ("quotations", "orders", "invoices")
# What a customer sees: no drafts, nothing cancelled.
ORDER_STATES = {"quotations": ("sent",), "orders": ("confirmed", "invoiced")}
INVOICE_STATES = ("posted", "paid", "reversed")


@dataclass(frozen=True)
class PortalActor:
    """The signed-in portal user, passed to every portal service call."""

    id: int
    email: str
    full_name: str
    company_id: int
    contact_id: int | None
    language: str = "id"

    @property
    def voter(self) -> str:
        """How the FAQ's "was this helpful" vote knows this reader."""
        return f"portal:{self.id}"


class _PortalName:
    """Names a portal user in the audit trail (there is no staff user behind the change)."""

    def __init__(self, email: str) -> None:
        self.id = None
        self.username = f"portal:{email}"[:60]


def _as_portal(session: Session, email: str) -> None:
    session.info.setdefault("actor", _PortalName(email))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def public_url() -> str:
    """The address customers reach the app at (KAKTUS_PUBLIC_URL), without a trailing slash."""
    return os.environ.get("KAKTUS_PUBLIC_URL", DEFAULT_PUBLIC_URL).rstrip("/")


def link_for(token: str) -> str:
    return f"{public_url()}/portal/link/{token}"


def _company_now(session: Session, user: PortalUser) -> int | None:
    """The company the user acts for right now: their contact's company (a contact moved to another
    company, made inactive or deleted takes the portal access with it). Keeps ``company_id`` in step."""
    if user.contact_id is not None:
        contact = session.get(Customer, user.contact_id)
        if contact is None or not contact.is_active or contact.kind != "person" or not contact.company_id:
            return None
        company_id = contact.company_id
    else:
        company_id = user.company_id
    company = session.get(Customer, company_id)
    if company is None or not company.is_active:
        return None
    if user.company_id != company_id:
        user.company_id = company_id
        session.add(user)
    return company_id


def _actor_for(user: PortalUser, company_id: int) -> PortalActor:
    return PortalActor(user.id, user.email, user.full_name, company_id, user.contact_id, user.language)


def _user_by_email(session: Session, email: str) -> PortalUser | None:
    return session.exec(select(PortalUser).where(PortalUser.email == email)).first()


def _clean_email(email: str) -> str:
    """A normalised address or a field error (the only thing the sign-up form ever says about it)."""
    errors = Errors()
    value = errors.check("email", parse_email, email, required=True)
    errors.raise_if_any()
    return value


# ------------------------------------------------------------------------------------------ e-mail


def queue_email(session: Session, to: str, subject: str, body: str) -> OutboxMessage:
    """Put an e-mail in the outbox; ``deliver_outbox`` sends it when SMTP is configured."""
    message = OutboxMessage(to=to[:200], subject=subject[:200], body=body[:8000])
    session.add(message)
    session.flush()
    return message


def smtp_settings() -> dict | None:
    """KAKTUS_SMTP_HOST / _PORT / _USER / _PASSWORD / _FROM; None when no host is set (mail waits)."""
    host = os.environ.get("KAKTUS_SMTP_HOST", "").strip()
    if not host:
        return None
    user = os.environ.get("KAKTUS_SMTP_USER", "")
    return {
        "host": host, "port": int(os.environ.get("KAKTUS_SMTP_PORT", "587") or 587), "user": user,
        "password": os.environ.get("KAKTUS_SMTP_PASSWORD", ""),
        "sender": os.environ.get("KAKTUS_SMTP_FROM", "") or user or "noreply@localhost",
    }


def _connect(settings: dict) -> smtplib.SMTP:
    if settings["port"] == 465:
        smtp = smtplib.SMTP_SSL(settings["host"], settings["port"], timeout=30)
    else:
        smtp = smtplib.SMTP(settings["host"], settings["port"], timeout=30)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls()
            smtp.ehlo()
    if settings["user"]:
        smtp.login(settings["user"], settings["password"])
    return smtp


def deliver_outbox(limit: int = 50) -> int:
    """Send queued e-mails through SMTP (when KAKTUS_SMTP_HOST is set); returns how many were sent.

    Safe to run in several workers at once: each message is claimed by one conditional UPDATE
    before it is sent. A message that fails keeps its error; ``outbox_loop`` retries it for a day.
    """
    settings = smtp_settings()
    if settings is None:
        return 0
    from kaktus_app.db import session_scope

    with session_scope() as session:
        ids = session.exec(
            select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None), OutboxMessage.error == "").order_by(OutboxMessage.id).limit(limit)
        ).all()
    sent, smtp = 0, None
    try:
        for message_id in ids:
            with session_scope() as session:
                claimed = session.exec(
                    update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None)).values(sent_at=utcnow())
                ).rowcount
                message = session.get(OutboxMessage, message_id) if claimed else None
                mail = (message.to, message.subject, message.body) if message else None
            if mail is None:
                continue
            try:
                smtp = smtp or _connect(settings)
                email = EmailMessage()
                email["From"], email["To"], email["Subject"] = settings["sender"], mail[0], mail[1]
                email.set_content(mail[2])
                smtp.send_message(email)
                sent += 1
            except (OSError, smtplib.SMTPException) as exc:
                with session_scope() as session:
                    session.exec(update(OutboxMessage).where(OutboxMessage.id == message_id).values(sent_at=None, error=str(exc)[:300] or type(exc).__name__))
                smtp = None
    finally:
        if smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
    return sent


RETRY_EVERY = 15  # rounds of the outbox loop (minutes) between retries of failed messages
RETRY_FOR = timedelta(days=1)  # a message that still fails after a day stays failed (shown with its error)


def retry_failed() -> int:
    """Put the messages that failed in the last day back in the queue; returns how many."""
    from kaktus_app.db import session_scope

    with session_scope() as session:
        return session.exec(
            update(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.error != "", OutboxMessage.created_at > utcnow() - RETRY_FOR).values(error="")
        ).rowcount


async def outbox_loop(interval: float = 60.0) -> None:
    """Lifespan task: deliver queued mail every minute and retry failures every RETRY_EVERY rounds
    (nothing to do without SMTP). Safe in every worker: messages are claimed one by one."""
    import asyncio
    import logging

    rounds = 0
    while True:
        await asyncio.sleep(interval)
        if smtp_settings() is None:
            continue
        rounds += 1
        try:
            if rounds % RETRY_EVERY == 0:
                await asyncio.to_thread(retry_failed)
            await asyncio.to_thread(deliver_outbox)
        except Exception:  # a database hiccup must not end the loop
            logging.getLogger(__name__).exception("outbox delivery failed")


def _sender_company(session: Session) -> str:
    return documents.get_settings(session).company_name


def _mail(session: Session, user: PortalUser, kind: str, link: str, **params) -> None:
    lang = user.language if user.language in LANGUAGES else "id"
    company = _sender_company(session)
    subject = translate(f"portal.mail.{kind}_subject", lang, company=company)
    body = translate(f"portal.mail.{kind}_body", lang, name=user.full_name, company=company, link=link, **params)
    queue_email(session, user.email, subject, body)


# ----------------------------------------------------------------------------------------- tokens


def _issue_token(session: Session, user: PortalUser, purpose: str) -> str:
    """A new one-time link; an earlier unused link of the same purpose stops working."""
    now = utcnow()
    session.exec(
        update(PortalToken)
        .where(PortalToken.portal_user_id == user.id, PortalToken.purpose == purpose, PortalToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(PortalToken(portal_user_id=user.id, purpose=purpose, token_hash=_hash(token), created_at=now, expires_at=now + TOKEN_LIFETIME[purpose]))
    session.flush()
    return token


def _may_mail(session: Session, user: PortalUser) -> bool:
    """Self-service links are throttled per address, so nobody can flood a customer's inbox."""
    now = utcnow()
    recent = session.exec(
        select(PortalToken.created_at).where(PortalToken.portal_user_id == user.id, PortalToken.purpose != "invite", PortalToken.created_at > now - timedelta(hours=1))
    ).all()
    if len(recent) >= MAX_MAILS_PER_HOUR:
        return False
    return not any(at > now - MAIL_PAUSE for at in recent)


def _send_link(session: Session, user: PortalUser, purpose: str, mail_kind: str) -> None:
    if not _may_mail(session, user):
        return
    token = _issue_token(session, user, purpose)
    _mail(session, user, mail_kind, link_for(token))


# ------------------------------------------------------------------------------ staff: invitations


def invite_contact(session: Session, actor: Actor, contact_id: int) -> tuple[PortalUser, str]:
    """Invite a contact to the portal (or send a fresh link to one already invited).

    Returns the portal user and the sign-in link, which staff may also pass on by hand (a firm
    without SMTP). The link is valid for 7 days and signs the contact in once.
    """
    permissions.require(session, actor, "customers", "update")
    contact = session.get(Customer, int(contact_id)) if str(contact_id).isdigit() else None
    if contact is None:
        raise NotFound()
    permissions.check_visible(session, actor, "customers", contact.owner_id)
    if contact.kind != "person":
        raise DomainError("portal.error.not_person")
    if not contact.company_id:
        raise DomainError("portal.error.no_company")
    company = session.get(Customer, contact.company_id)
    if company is None or not company.is_active or not contact.is_active:
        raise DomainError("portal.error.no_company")
    try:
        email = parse_email(contact.email, required=True)
    except FieldError as exc:
        raise DomainError("portal.error.no_email") from exc
    user = _user_by_email(session, email)
    if user is not None and user.contact_id not in (None, contact.id):
        raise DomainError("portal.error.email_in_use")
    if user is None:
        user = PortalUser(
            email=email, full_name=contact.name[:120], contact_id=contact.id, company_id=contact.company_id,
            phone=contact.mobile or contact.phone, language="id", invited_by_id=actor.id,
        )
    else:
        user.contact_id, user.company_id, user.is_active, user.invited_by_id = contact.id, contact.company_id, True, actor.id
    session.add(user)
    session.flush()
    token = _issue_token(session, user, "invite")
    link = link_for(token)
    _mail(session, user, "invite", link, inviter=actor.full_name)
    return user, link


def revoke_access(session: Session, actor: Actor, contact_id: int) -> PortalUser:
    """Withdraw a contact's portal access: its sessions end at once and its open links stop working.
    Inviting it again gives the access back."""
    permissions.require(session, actor, "customers", "update")
    contact = session.get(Customer, int(contact_id)) if str(contact_id).isdigit() else None
    if contact is None:
        raise NotFound()
    permissions.check_visible(session, actor, "customers", contact.owner_id)
    user = session.exec(select(PortalUser).where(PortalUser.contact_id == contact.id)).first()
    if user is None or not user.is_active:
        raise DomainError("portal.error.no_access")
    now = utcnow()
    user.is_active = False
    session.add(user)
    for row in session.exec(select(PortalSession).where(PortalSession.portal_user_id == user.id, PortalSession.revoked == False)):  # noqa: E712
        row.revoked = True
        session.add(row)
    for token in session.exec(select(PortalToken).where(PortalToken.portal_user_id == user.id, PortalToken.used_at.is_(None))):
        token.used_at = now
        session.add(token)
    session.flush()
    return user


def contact_portal_status(session: Session, actor: Actor, contact_id: int, lang: str = "en") -> dict:
    """The portal state of a contact for its customer page: may it be invited, and is it already."""
    permissions.require(session, actor, "customers", "read")
    contact = session.get(Customer, int(contact_id)) if str(contact_id).isdigit() else None
    if contact is None:
        raise NotFound()
    permissions.check_visible(session, actor, "customers", contact.owner_id)
    reason = ""
    if contact.kind != "person":
        reason = "portal.error.not_person"
    elif not contact.company_id:
        reason = "portal.error.no_company"
    elif not contact.email:
        reason = "portal.error.no_email"
    user = session.exec(select(PortalUser).where(PortalUser.contact_id == contact.id)).first()
    if user is None:
        status = "none"
    elif not user.is_active:
        status = "revoked"
    elif user.last_login_at is not None:
        status = "active"
    else:
        status = "invited"
    return {
        "applies": contact.kind == "person",
        "can_invite": not reason and permissions.can(session, actor, "customers", "update"),
        "can_revoke": user is not None and user.is_active and permissions.can(session, actor, "customers", "update"),
        "reason": translate(reason, lang) if reason else "",
        "status": status,
        "status_label": translate(f"portal.staff.status.{status}", lang),
        "last_login_label": format_datetime(user.last_login_at, lang) if user and user.last_login_at else "",
        "email": user.email if user else contact.email,
        "mail_configured": smtp_settings() is not None,
    }


# --------------------------------------------------------------------------- self-service sign-up


def signup(session: Session, email: str) -> None:
    """Sign up with the e-mail address a customer contact is known by.

    The answer is the same whether or not the address matched (nobody learns who our customers
    are): a matching contact gets an unverified portal user and a link to confirm the address; an
    existing portal user gets a sign-in link instead; anyone else gets nothing.
    """
    email = _clean_email(email)
    user = _user_by_email(session, email)
    if user is not None:
        if user.is_active and _company_now(session, user) is not None:
            _send_link(session, user, "magic" if user.email_verified else "verify", "existing" if user.email_verified else "verify")
        return
    contact = session.exec(
        select(Customer)
        .where(func.lower(Customer.email) == email, Customer.kind == "person", Customer.company_id.is_not(None), Customer.is_active == True)  # noqa: E712
        .order_by(Customer.id)
    ).first()
    if contact is None or session.exec(select(PortalUser.id).where(PortalUser.contact_id == contact.id)).first() is not None:
        return
    company = session.get(Customer, contact.company_id)
    if company is None or not company.is_active:
        return
    _as_portal(session, email)
    user = PortalUser(email=email, full_name=contact.name[:120], contact_id=contact.id, company_id=contact.company_id, phone=contact.mobile or contact.phone, language="id")
    session.add(user)
    session.flush()
    _send_link(session, user, "verify", "verify")


def request_magic_link(session: Session, email: str) -> None:
    """E-mail a one-time sign-in link (valid 1 hour) to a portal user; silent for unknown addresses."""
    email = _clean_email(email)
    user = _user_by_email(session, email)
    if user is not None and user.is_active and _company_now(session, user) is not None:
        _send_link(session, user, "magic", "magic")


def request_password_reset(session: Session, email: str) -> None:
    """E-mail a password-reset link (valid 1 hour); silent for unknown addresses."""
    email = _clean_email(email)
    user = _user_by_email(session, email)
    if user is not None and user.is_active and _company_now(session, user) is not None:
        _send_link(session, user, "reset", "reset")


def redeem_token(session: Session, token: str) -> tuple[str, PortalActor, str]:
    """Use a one-time link: returns (session token for the browser, actor, purpose).

    Every link proves the address, so it also confirms the e-mail and lifts a lockout. A used,
    replaced, expired or unknown link gives one message.
    """
    now = utcnow()
    row = session.exec(select(PortalToken).where(PortalToken.token_hash == _hash(token or ""))).first() if token else None
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise DomainError("portal.error.link_invalid")
    # one-time even when two browsers open the same link at once: only one UPDATE wins
    won = session.exec(update(PortalToken).where(PortalToken.id == row.id, PortalToken.used_at.is_(None)).values(used_at=now)).rowcount
    user = session.get(PortalUser, row.portal_user_id)
    if not won or user is None or not user.is_active:
        raise DomainError("portal.error.link_invalid")
    company_id = _company_now(session, user)
    if company_id is None:
        raise DomainError("portal.error.link_invalid")
    _as_portal(session, user.email)
    user.email_verified = True
    user.failed_logins, user.locked_until = 0, None
    session_token = _open_session(session, user, now)
    audit.record(session, None, "login", "portal_users", record_id=user.id, label=user.email, username=f"portal:{user.email}", detail=f"link ({row.purpose})")
    return session_token, _actor_for(user, company_id), row.purpose


# ---------------------------------------------------------------------------------------- sessions


def _open_session(session: Session, user: PortalUser, now) -> str:
    token = secrets.token_urlsafe(32)
    session.add(PortalSession(token_hash=_hash(token), portal_user_id=user.id, expires_at=now + SESSION_LIFETIME, created_at=now, last_seen_at=now))
    user.last_login_at = now
    session.add(user)
    session.flush()
    return token


def login(session: Session, email: str, password: str) -> tuple[str, PortalActor]:
    """Sign in with e-mail and password. Unknown address, wrong password and "no password yet" give
    the same message; repeated failures lock the account for a while."""
    email = (email or "").strip().lower()
    if not email or not password:
        raise DomainError("portal.error.enter_credentials")
    user = _user_by_email(session, email)
    now = utcnow()
    username = f"portal:{email}"[:60]
    if user is not None and user.locked_until and user.locked_until > now:
        audit.record(session, None, "login_failed", "portal_users", record_id=user.id, label=email, username=username, detail="locked")
        session.commit()
        raise DomainError("portal.error.locked", minutes=max(1, int((user.locked_until - now).total_seconds() // 60) + 1))
    company_id = _company_now(session, user) if user is not None and user.is_active else None
    if user is None or company_id is None or not user.password_hash or not verify_password(password, user.password_hash):
        detail = "unknown address" if user is None else "no access" if company_id is None else "wrong password"
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until, user.failed_logins = now + LOCKOUT, 0
                detail += f"; locked for {int(LOCKOUT.total_seconds() // 60)} minutes"
            session.add(user)
        audit.record(session, None, "login_failed", "portal_users", record_id=user.id if user else None, label=email, username=username, detail=detail)
        session.commit()
        raise DomainError("portal.error.invalid_credentials")
    user.failed_logins, user.locked_until = 0, None
    token = _open_session(session, user, now)
    audit.record(session, None, "login", "portal_users", record_id=user.id, label=email, username=username)
    return token, _actor_for(user, company_id)


def _session_row(session: Session, token: str) -> PortalSession | None:
    if not token:
        return None
    return session.exec(select(PortalSession).where(PortalSession.token_hash == _hash(token))).first()


def resolve_session(session: Session, token: str) -> PortalActor | None:
    """The portal user behind a browser's portal token, or None (unknown, expired, idle, revoked, or
    the contact no longer belongs to a customer company). Staff tokens are never found here."""
    row = _session_row(session, token)
    now = utcnow()
    if row is None or row.revoked or row.expires_at <= now or now - row.last_seen_at > IDLE_TIMEOUT:
        return None
    user = session.get(PortalUser, row.portal_user_id)
    if user is None or not user.is_active:
        return None
    company_id = _company_now(session, user)
    if company_id is None:
        return None
    if now - row.last_seen_at > timedelta(minutes=5):
        row.last_seen_at = now
        session.add(row)
    return _actor_for(user, company_id)


def logout(session: Session, token: str) -> None:
    row = _session_row(session, token)
    if row is not None and not row.revoked:
        row.revoked = True
        session.add(row)
        user = session.get(PortalUser, row.portal_user_id)
        if user is not None:
            audit.record(session, None, "logout", "portal_users", record_id=user.id, label=user.email, username=f"portal:{user.email}")


# ------------------------------------------------------------------------------------ the profile


def _user(session: Session, pactor: PortalActor) -> PortalUser:
    user = session.get(PortalUser, pactor.id)
    if user is None or not user.is_active:
        raise NotFound()
    return user


def profile(session: Session, pactor: PortalActor) -> dict:
    user = _user(session, pactor)
    company = session.get(Customer, pactor.company_id)
    return {
        "email": user.email, "full_name": user.full_name, "phone": user.phone, "language": user.language,
        "company_name": company.name if company else "", "has_password": bool(user.password_hash),
    }


def update_profile(session: Session, pactor: PortalActor, data: dict) -> PortalActor:
    """Name, phone and language (en / id). Returns the actor with the new values."""
    user = _user(session, pactor)
    _as_portal(session, user.email)
    errors = Errors()
    full_name = errors.check("full_name", clean_text, data.get("full_name", user.full_name), required=True, max_length=120)
    phone = errors.check("phone", parse_phone, data.get("phone", user.phone))
    language = str(data.get("language", user.language) or "")
    if language not in LANGUAGES:
        errors.add("language", "portal.error.language")
    errors.raise_if_any()
    user.full_name, user.phone, user.language = full_name, phone or "", language
    session.add(user)
    session.flush()
    return _actor_for(user, pactor.company_id)


def set_password(session: Session, pactor: PortalActor, new: str, repeat: str, *, current: str = "", session_token: str = "") -> None:
    """Set or change the password (at least MIN_PASSWORD characters, typed twice).

    The current password is asked for unless the user has none yet or signed in within the last
    minutes (a link they just opened, e.g. "reset password"). Every other session of the user ends.
    """
    user = _user(session, pactor)
    _as_portal(session, user.email)
    row = _session_row(session, session_token)
    fresh = row is not None and row.portal_user_id == user.id and not row.revoked and utcnow() - row.created_at <= FRESH_SESSION
    errors: dict[str, str] = {}
    if user.password_hash and not fresh and not verify_password(current or "", user.password_hash):
        errors["current"] = "users.error.current_wrong"
    if len(new or "") < MIN_PASSWORD:
        errors["new"] = "users.error.password_short"
    elif new != repeat:
        errors["repeat"] = "users.error.password_mismatch"
    if errors:
        raise ValidationError(errors, field_params={"new": {"min": MIN_PASSWORD}})
    user.password_hash = hash_password(new)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    others = select(PortalSession).where(PortalSession.portal_user_id == user.id, PortalSession.revoked == False)  # noqa: E712
    for other in session.exec(others):
        if row is None or other.id != row.id:
            other.revoked = True
            session.add(other)
    session.flush()


def password_rules() -> dict:
    return {"min": MIN_PASSWORD}


# ----------------------------------------------------------------------------------- documents


def _customer_ids(session: Session, company_id: int) -> list[int]:
    """The company and its contacts: documents of either belong to the company."""
    return [company_id, *session.exec(select(Customer.id).where(Customer.company_id == company_id)).all()]


def _order_state_label(state: str, lang: str) -> str:
    return translate("documents.state.sales_order" if state == "confirmed" else f"documents.state.{state}", lang)


def my_documents(session: Session, pactor: PortalActor, kind: str = "quotations", *, page: int = 1, page_size: int = 20, lang: str = "en") -> dict:
    """The company's quotations (sent), orders (confirmed / invoiced) or invoices (posted, paid,
    reversed; credit notes too), newest first: a page dict."""
    ids = _customer_ids(session, pactor.company_id)
    if kind == "invoices":
        query = select(Invoice.id).where(Invoice.customer_id.in_(ids), Invoice.state.in_(INVOICE_STATES))
        at = page_of(session, query, page, page_size)
        rows = session.exec(select(Invoice).where(Invoice.id.in_(query)).order_by(Invoice.invoice_date.desc(), Invoice.id.desc()).offset(at.offset).limit(at.size)).all()
        today = documents.today()
        return at.result([
            {
                "id": inv.id, "kind": "invoice", "number": inv.number or "", "type_label": translate(f"documents.kind.{inv.kind}", lang),
                "date": format_date(inv.invoice_date, lang), "due": format_date(inv.due_date, lang),
                "overdue": inv.state == "posted" and inv.due_date is not None and inv.due_date < today,
                "total_label": format_idr(inv.total),
                "balance_label": format_idr(documents.balance_due(inv)) if inv.state == "posted" else "",
                "state": inv.state, "state_label": translate(f"documents.state.{inv.state}", lang), "color": documents.STATE_COLORS.get(inv.state, "gray"),
            }
            for inv in rows
        ])
    states = ORDER_STATES.get(kind, ORDER_STATES["quotations"])
    query = select(SalesOrder.id).where(SalesOrder.customer_id.in_(ids), SalesOrder.state.in_(states))
    at = page_of(session, query, page, page_size)
    rows = session.exec(select(SalesOrder).where(SalesOrder.id.in_(query)).order_by(SalesOrder.quote_date.desc(), SalesOrder.id.desc()).offset(at.offset).limit(at.size)).all()
    return at.result([
        {
            "id": o.id, "kind": "order", "number": (o.order_number or o.number) if o.state in ORDER_STATES["orders"] else o.number,
            "type_label": translate("documents.sales_order" if o.state in ORDER_STATES["orders"] else "documents.quotation", lang),
            "date": format_date(o.quote_date, lang), "due": format_date(o.validity_date, lang) if o.state == "sent" else "", "overdue": False,
            "total_label": format_idr(o.total), "balance_label": "",
            "state": o.state, "state_label": _order_state_label(o.state, lang), "color": documents.STATE_COLORS.get(o.state, "gray"),
        }
        for o in rows
    ])


def order_choices(session: Session, pactor: PortalActor, limit: int = 50) -> list[dict]:
    """The company's recent orders and quotations, for "which order is this about" on a new ticket."""
    ids = _customer_ids(session, pactor.company_id)
    rows = session.exec(
        select(SalesOrder).where(SalesOrder.customer_id.in_(ids), SalesOrder.state.in_((*ORDER_STATES["quotations"], *ORDER_STATES["orders"])))
        .order_by(SalesOrder.id.desc()).limit(limit)
    ).all()
    return [{"value": str(o.id), "label": o.order_number or o.number} for o in rows]


def document_pdf(session: Session, pactor: PortalActor, kind: str, document_id, lang: str = "id") -> tuple[str, bytes]:
    """The PDF of one of the company's documents: (file name, bytes). Anything else is "not found"."""
    ids = set(_customer_ids(session, pactor.company_id))
    key = int(document_id) if str(document_id).isdigit() else None
    if kind == "invoice":
        invoice = session.get(Invoice, key) if key else None
        if invoice is None or invoice.customer_id not in ids or invoice.state not in INVOICE_STATES:
            raise NotFound()
        return documents.invoice_pdf_file(session, invoice, lang)
    if kind == "order":
        order = session.get(SalesOrder, key) if key else None
        if order is None or order.customer_id not in ids or order.state not in (*ORDER_STATES["quotations"], *ORDER_STATES["orders"]):
            raise NotFound()
        return documents.order_pdf_file(session, order, lang)
    raise NotFound()
