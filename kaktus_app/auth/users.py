"""Administrators manage staff users: invite, assign a role, deactivate / reactivate, reset a password."""

from __future__ import annotations

import secrets

from sqlmodel import Session, select

from kaktus_app.auth.models import AuthSession, Profile, User
from kaktus_app.auth.service import Actor, create_user, hash_password, verify_password
from kaktus_app.errors import DomainError, NotFound, PermissionDenied, ValidationError
from kaktus_app.i18n import format_datetime
from kaktus_app.validation import Errors, clean_text, parse_email

MIN_PASSWORD = 10


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied()


def _user(session: Session, user_id) -> User:
    user = session.get(User, int(user_id)) if str(user_id).isdigit() else None
    if user is None:
        raise NotFound()
    return user


def temporary_password() -> str:
    """Easy to read out and type: four groups of four letters and digits (no 0/O/1/l)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def _revoke_sessions(session: Session, user_id: int) -> None:
    for row in session.exec(select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked == False)):  # noqa: E712
        row.revoked = True
        session.add(row)


def _active_admins(session: Session) -> int:
    return len(session.exec(select(User.id).where(User.role == "admin", User.is_active == True)).all())  # noqa: E712


def roles(session: Session) -> list[dict]:
    """The profiles (for the role tree's profile pickers)."""
    return [{"id": p.key, "name": p.name} for p in session.exec(select(Profile).order_by(Profile.id))]


def role_nodes(session: Session) -> list[dict]:
    """The roles of the tree, for assigning users: {"id": role id, "name": "Salesperson (Salesperson)"}."""
    from kaktus_app.auth.models import Role

    names = {p.key: p.name for p in session.exec(select(Profile))}
    return [{"id": r.id, "name": f"{r.name} · {names.get(r.profile_key, r.profile_key)}"} for r in session.exec(select(Role).order_by(Role.name))]


def _role(session: Session, role_id):
    from kaktus_app.auth.models import Role

    return session.get(Role, int(role_id)) if str(role_id or "").isdigit() else None


def list_users(session: Session, actor: Actor, lang: str = "en") -> list[dict]:
    _require_admin(actor)
    names = {p.key: p.name for p in session.exec(select(Profile))}
    return [
        {
            "id": u.id, "username": u.username, "full_name": u.full_name, "email": u.email, "role": u.role,
            "role_id": str(u.role_id or ""), "role_name": names.get(u.role, u.role), "active": u.is_active, "two_factor": u.totp_enabled,
            "last_login": format_datetime(u.last_login_at, lang), "is_me": u.id == actor.id,
        }
        for u in session.exec(select(User).order_by(User.is_active.desc(), User.full_name))
    ]


def invite_user(session: Session, actor: Actor, data: dict) -> tuple[User, str]:
    """A new staff account with a temporary password (shown once to the administrator)."""
    _require_admin(actor)
    errors = Errors()
    username = (errors.check("username", clean_text, data.get("username"), required=True, max_length=60) or "").lower()
    if username and not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        errors.add("username", "users.error.username_format")
    if username and session.exec(select(User.id).where(User.username == username)).first() is not None:
        errors.add("username", "users.error.username_taken")
    full_name = errors.check("full_name", clean_text, data.get("full_name"), required=True, max_length=120)
    email = errors.check("email", parse_email, data.get("email"))
    node = _role(session, data.get("role_id"))
    if node is None:
        errors.add("role_id", "users.error.role_unknown")
    errors.raise_if_any()
    password = temporary_password()
    user = create_user(session, username=username, full_name=full_name, password=password, role=node.profile_key, email=email or "")
    user.role_id = node.id
    session.add(user)
    session.flush()
    return user, password


def set_role(session: Session, actor: Actor, user_id: int, role_id) -> User:
    """Put the user at a role of the tree; they take that role's profile."""
    _require_admin(actor)
    user = _user(session, user_id)
    node = _role(session, role_id)
    if node is None:
        raise ValidationError({"role_id": "users.error.role_unknown"})
    if user.role == "admin" and node.profile_key != "admin" and _active_admins(session) <= 1:
        raise DomainError("users.error.last_admin")
    user.role_id, user.role = node.id, node.profile_key
    session.add(user)
    session.flush()
    return user


def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> User:
    _require_admin(actor)
    user = _user(session, user_id)
    if user.id == actor.id and not active:
        raise DomainError("users.error.not_yourself")
    if user.role == "admin" and not active and _active_admins(session) <= 1:
        raise DomainError("users.error.last_admin")
    user.is_active = active
    if not active:
        _revoke_sessions(session, user.id)
    session.add(user)
    session.flush()
    return user


def reset_password(session: Session, actor: Actor, user_id: int) -> str:
    """A new temporary password; every session of the user ends and a lock-out is lifted."""
    _require_admin(actor)
    user = _user(session, user_id)
    password = temporary_password()
    user.password_hash, user.failed_logins, user.locked_until = hash_password(password), 0, None
    _revoke_sessions(session, user.id)
    session.add(user)
    session.flush()
    return password


def change_password(session: Session, actor: Actor, current: str, new: str, repeat: str) -> None:
    user = _user(session, actor.id)
    errors = {}
    if not verify_password(current or "", user.password_hash):
        errors["current"] = "users.error.current_wrong"
    if len(new or "") < MIN_PASSWORD:
        errors["new"] = "users.error.password_short"
    elif new != repeat:
        errors["repeat"] = "users.error.password_mismatch"
    if errors:
        raise ValidationError(errors, field_params={"new": {"min": MIN_PASSWORD}})
    user.password_hash = hash_password(new)
    session.add(user)
    session.flush()
