"""Administering users: invite with a temporary password, roles, deactivation, password resets."""

from __future__ import annotations

import pytest
from sqlmodel import select

from kaktus_app.auth import service as auth_service
from kaktus_app.auth import users
from kaktus_app.auth.models import User
from kaktus_app.errors import DomainError, PermissionDenied, ValidationError


def test_invite_then_log_in_with_the_temporary_password(seeded, admin, dewi):
    with pytest.raises(PermissionDenied):
        users.invite_user(seeded, dewi, {"username": "yuni", "full_name": "Yuni", "role": "marketing"})
    with pytest.raises(ValidationError) as bad:
        users.invite_user(seeded, admin, {"username": "Dewi", "full_name": "", "email": "nope@", "role": "boss"})
    assert bad.value.errors == {"username": "users.error.username_taken", "full_name": "error.required", "email": "error.email_invalid", "role": "users.error.role_unknown"}
    user, password = users.invite_user(seeded, admin, {"username": "Yuni", "full_name": "Yuni Marlina", "email": "yuni@kaktusberduri.co.id", "role": "marketing"})
    assert user.username == "yuni" and len(password) == 19
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
        users.set_role(seeded, admin, admin.id, "sales")
    assert last.value.key == "users.error.last_admin"
    with pytest.raises(DomainError) as me:
        users.set_active(seeded, admin, admin.id, False)
    assert me.value.key == "users.error.not_yourself"
    users.set_role(seeded, admin, dewi.id, "manager")
    assert seeded.get(User, dewi.id).role == "manager"
    rows = {u["username"]: u for u in users.list_users(seeded, admin)}
    assert rows["dewi"]["role_name"] == "Sales manager" and rows["admin"]["is_me"]
    from kaktus_app.auth.models import AuditLog

    assert seeded.exec(select(AuditLog).where(AuditLog.action == "permission_change", AuditLog.record_id == dewi.id)).first() is not None
