"""Administering users: invite with a temporary password, roles, deactivation, password resets."""

from __future__ import annotations

import pytest
from sqlmodel import select

from kaktus_app.auth import service as auth_service
from kaktus_app.auth import users
from kaktus_app.auth.models import Role, User
from kaktus_app.errors import DomainError, PermissionDenied, ValidationError


def _role_id(session, name: str) -> int:
    return session.exec(select(Role.id).where(Role.name == name)).one()


def test_invite_then_log_in_with_the_temporary_password(seeded, admin, dewi):
    marketing = _role_id(seeded, "Marketing")
    with pytest.raises(PermissionDenied):
        users.invite_user(seeded, dewi, {"username": "yuni", "full_name": "Yuni", "role_id": marketing})
    with pytest.raises(ValidationError) as bad:
        users.invite_user(seeded, admin, {"username": "Dewi", "full_name": "", "email": "nope@", "role_id": "999"})
    assert bad.value.errors == {"username": "users.error.username_taken", "full_name": "error.required", "email": "error.email_invalid", "role_id": "users.error.role_unknown"}
    user, password = users.invite_user(seeded, admin, {"username": "Yuni", "full_name": "Yuni Marlina", "email": "yuni@kaktusberduri.co.id", "role_id": str(marketing)})
    assert user.username == "yuni" and len(password) == 19 and user.role_id == marketing
    token, actor = auth_service.login(seeded, "yuni", password)
    assert actor.role == "marketing"
    users.change_password(seeded, actor, password, "tumpeng-kuning-2026", "tumpeng-kuning-2026")
    auth_service.login(seeded, "yuni", "tumpeng-kuning-2026")
    with pytest.raises(ValidationError) as wrong:
        users.change_password(seeded, actor, "bukan", "short", "short")
    assert wrong.value.errors == {"current": "users.error.current_wrong", "new": "users.error.password_short"}
    assert wrong.value.messages("en")["new"] == "At least 10 characters."


def test_deactivation_and_reset_end_sessions(seeded, admin):
    token, dewi = auth_service.login(seeded, "dewi", "kaktus-dewi-2026")
    users.set_active(seeded, admin, dewi.id, False)
    assert auth_service.resolve_session(seeded, token) is None
    with pytest.raises(DomainError):
        auth_service.login(seeded, "dewi", "kaktus-dewi-2026")
    users.set_active(seeded, admin, dewi.id, True)
    for _ in range(5):
        with pytest.raises(DomainError):
            auth_service.login(seeded, "dewi", "wrong")
    password = users.reset_password(seeded, admin, dewi.id)  # also lifts the lock-out
    auth_service.login(seeded, "dewi", password)


def test_the_last_admin_stays_and_roles_change(seeded, admin, dewi):
    with pytest.raises(DomainError) as last:
        users.set_role(seeded, admin, admin.id, _role_id(seeded, "Salesperson"))
    assert last.value.key == "users.error.last_admin"
    with pytest.raises(DomainError) as me:
        users.set_active(seeded, admin, admin.id, False)
    assert me.value.key == "users.error.not_yourself"
    users.set_role(seeded, admin, dewi.id, _role_id(seeded, "Sales Manager"))
    assert seeded.get(User, dewi.id).role == "manager" and seeded.get(User, dewi.id).role_id == _role_id(seeded, "Sales Manager")
    rows = {u["username"]: u for u in users.list_users(seeded, admin)}
    assert rows["dewi"]["role_name"] == "Sales manager" and rows["admin"]["is_me"]
    from kaktus_app.auth.models import AuditLog

    assert seeded.exec(select(AuditLog).where(AuditLog.action == "permission_change", AuditLog.record_id == dewi.id)).first() is not None


def test_the_people_of_a_role_take_its_profile(seeded, admin, dewi):
    from kaktus_app.auth import permissions

    salesperson = _role_id(seeded, "Salesperson")
    permissions.save_role(seeded, admin, salesperson, {"name": "Salesperson", "parent_id": _role_id(seeded, "Sales Manager"), "profile_key": "support"})
    assert seeded.get(User, dewi.id).role == "support"
