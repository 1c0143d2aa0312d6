"""Users, passwords (argon2) and login sessions. Plain Python over a Session; no reflex here."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from pwdlib import PasswordHash
from sqlmodel import Session, select

from kaktus_app.auth import audit, secret_key
from kaktus_app.auth.models import AuthSession, User
from kaktus_app.errors import DomainError
from kaktus_app.i18n import utcnow
from kaktus_app.prepared import NamesById
from kaktus_app.validation import Errors, clean_text, parse_email

SESSION_LIFETIME = timedelta(days=14)
# A session unused for this long ends (KAKTUS_SESSION_IDLE_HOURS, default 12 hours).
IDLE_TIMEOUT = timedelta(hours=float(os.environ.get("KAKTUS_SESSION_IDLE_HOURS", "12")))
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHash.recommended()


@dataclass(frozen=True)
class Actor:
    """Who is acting: passed to every service call (roles and permissions build on it)."""

    id: int
    username: str
    full_name: str
    role: str
    team_id: int | None = None
    language: str = "en"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_manager(self) -> bool:
        return self.role in ("admin", "manager")


def actor_for(user: User) -> Actor:
    return Actor(user.id, user.username, user.full_name, user.role, user.team_id, user.language)


def system_actor(session: Session) -> Actor:
    """The first admin, for scripts and demo data."""
    user = session.exec(select(User).where(User.role == "admin").order_by(User.id)).first()
    if user is None:
        raise DomainError("error.user_unknown")
    return actor_for(user)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher.verify(password, password_hash)
    except Exception:
        return False


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    password: str,
    role: str = "sales",
    email: str = "",
    team_id: int | None = None,
    language: str = "en",
) -> User:
    errors = Errors()
    username = (errors.check("username", clean_text, username, required=True, max_length=60) or "").lower()
    full_name = errors.check("full_name", clean_text, full_name, required=True, max_length=120)
    email = errors.check("email", parse_email, email)
    if len(password or "") < 8:
        errors.add("password", "auth.password_too_short")
    from kaktus_app.auth.models import Profile
    from kaktus_app.auth.permissions import DEFAULT_PROFILES

    if role not in DEFAULT_PROFILES and session.exec(select(Profile.id).where(Profile.key == role)).first() is None:
        errors.add("role", "auth.role_unknown")
    if username and session.exec(select(User).where(User.username == username)).first():
        errors.add("username", "auth.username_taken")
    errors.raise_if_any()
    user = User(
        username=username,
        full_name=full_name,
        email=email or "",
        password_hash=hash_password(password),
        role=role,
        team_id=team_id,
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(session: Session, username: str, password: str, code: str = "") -> tuple[str, Actor]:
    """Check the password and open a session. Returns (token for the browser, actor).

    Wrong username and wrong password give the same message; repeated failures lock the account
    for a while.
    """
    username = (username or "").strip().lower()
    if not username or not password:
        raise DomainError("auth.enter_credentials")
    user = session.exec(select(User).where(User.username == username)).first()
    now = utcnow()
    if user is not None and user.locked_until and user.locked_until > now:
        audit.record(session, None, "login_failed", "auth", record_id=user.id, label=username, username=username, detail="locked")
        session.commit()
        raise DomainError("auth.locked", minutes=max(1, int((user.locked_until - now).total_seconds() // 60) + 1))
    if user is None or not user.is_active or not verify_password(password, user.password_hash):
        detail = "unknown user" if user is None else "inactive" if not user.is_active else "wrong password"
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
                detail += f"; locked for {int(LOCKOUT.total_seconds() // 60)} minutes"
            session.add(user)
        audit.record(session, None, "login_failed", "auth", record_id=user.id if user else None, label=username, username=username, detail=detail)
        session.commit()
        raise DomainError("auth.invalid_credentials")
    if user.totp_enabled and not (code or "").strip():
        raise DomainError("auth.totp_required", field="code")
    if user.totp_enabled and not totp_ok(user, code):
        user.failed_logins += 1
        detail = "wrong two-factor code"
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
            detail += f"; locked for {int(LOCKOUT.total_seconds() // 60)} minutes"
        session.add(user)
        audit.record(session, None, "login_failed", "auth", record_id=user.id, label=username, username=username, detail=detail)
        session.commit()
        raise DomainError("auth.totp_invalid", field="code")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(token_hash=_token_hash(token), user_id=user.id, expires_at=now + SESSION_LIFETIME))
    session.add(user)
    session.flush()
    actor = actor_for(user)
    audit.record(session, actor, "login", "auth", record_id=user.id, label=user.username)
    return token, actor


def resolve_session(session: Session, token: str) -> Actor | None:
    """The actor behind a browser's session token, or None when it is unknown, expired or revoked."""
    if not token:
        return None
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == _token_hash(token))).first()
    now = utcnow()
    if row is None or row.revoked or row.expires_at <= now or now - row.last_seen_at > IDLE_TIMEOUT:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if (now - row.last_seen_at) > timedelta(minutes=5):
        row.last_seen_at = now
        session.add(row)
    return actor_for(user)


def logout(session: Session, token: str) -> None:
    if not token:
        return
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == _token_hash(token))).first()
    if row is not None and not row.revoked:
        row.revoked = True
        session.add(row)
        user = session.get(User, row.user_id)
        if user is not None:
            audit.record(session, actor_for(user), "logout", "auth", record_id=user.id, label=user.username)


# ------------------------------------------------------------------------------ two-factor login

TOTP_ISSUER = "Kaktus CRM"


def totp_ok(user: User, code: str) -> bool:
    """A 6-digit code of the user's authenticator app (the previous and next 30 s accepted too)."""
    import pyotp

    seed = secret_key.decrypt(user.totp_secret) if user.totp_secret else None
    digits = "".join(ch for ch in str(code or "") if not ch.isspace())
    return bool(seed) and digits.isdigit() and len(digits) == 6 and pyotp.TOTP(seed).verify(digits, valid_window=1)


def two_factor_status(session: Session, actor: Actor) -> dict:
    user = session.get(User, actor.id)
    return {"enabled": bool(user and user.totp_enabled)}


def totp_setup(session: Session, actor: Actor) -> dict:
    """A new seed for the user's authenticator app (not active until a code from it is confirmed)."""
    import pyotp
    import segno

    user = session.get(User, actor.id)
    if user.totp_enabled:
        raise DomainError("auth.totp_already_on")
    seed = pyotp.random_base32()
    user.totp_secret = secret_key.encrypt(seed)
    session.add(user)
    uri = pyotp.TOTP(seed).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)
    return {"secret": " ".join(seed[i : i + 4] for i in range(0, len(seed), 4)), "uri": uri, "qr": segno.make(uri, error="m").svg_data_uri(scale=5)}


def totp_enable(session: Session, actor: Actor, code: str) -> None:
    user = session.get(User, actor.id)
    if not user.totp_secret:
        raise DomainError("auth.totp_setup_first")
    if not totp_ok(user, code):
        raise DomainError("auth.totp_invalid", field="code")
    user.totp_enabled = True
    session.add(user)


def totp_disable(session: Session, actor: Actor, code: str) -> None:
    user = session.get(User, actor.id)
    if not user.totp_enabled:
        return
    if not totp_ok(user, code):
        raise DomainError("auth.totp_invalid", field="code")
    user.totp_enabled, user.totp_secret = False, ""
    session.add(user)


def logout_everywhere(session: Session, actor: Actor) -> int:
    """End every open session of the user (all browsers and devices). Returns how many ended."""
    rows = session.exec(select(AuthSession).where(AuthSession.user_id == actor.id, AuthSession.revoked == False)).all()  # noqa: E712
    for row in rows:
        row.revoked = True
        session.add(row)
    audit.record(session, actor, "logout", "auth", record_id=actor.id, label=actor.username, detail=f"everywhere ({len(rows)} sessions)")
    return len(rows)


def set_language(session: Session, actor: Actor, language: str) -> None:
    user = session.get(User, actor.id)
    if user is not None and language in ("en", "id"):
        user.language = language
        session.add(user)


def list_users(session: Session, *, active_only: bool = True) -> list[dict]:
    """Users for owner / assignee pickers: [{id, name, role}]."""
    query = select(User.id, User.full_name, User.role).order_by(User.full_name)
    if active_only:
        query = query.where(User.is_active == True)  # noqa: E712
    return [{"id": row[0], "name": row[1], "role": row[2]} for row in session.exec(query)]


def check_owner(session: Session, errors: Errors, raw, default_id: int, field: str = "owner_id") -> int:
    """The owner picked in a form (an existing user), else ``default_id``; an unknown one is a field error."""
    text = str(raw or "").strip()
    owner_id = int(text) if text.isdigit() else default_id
    if session.get(User, owner_id) is None:
        errors.add(field, "error.user_unknown")
    return owner_id


_NAMES = NamesById(User.id, User.full_name)


def user_names(session: Session, ids) -> dict[int, str]:
    """{user id: full name} of ``ids`` (unknown ids and None left out)."""
    return _NAMES.of(session, ids)
