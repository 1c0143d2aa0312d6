"""Staff users, their login sessions, and the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from kaktus_app.models_base import created_field, text_field, utcnow

ROLES = ("admin", "manager", "sales", "support")


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True, index=True)
    full_name: str = Field(max_length=120)
    email: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=30)
    password_hash: str = Field(max_length=255)
    role: str = Field(default="sales", max_length=20)
    team_id: int | None = Field(default=None, foreign_key="sales_team.id")
    role_id: int | None = Field(default=None, foreign_key="role.id")
    language: str = Field(default="en", max_length=5)
    is_active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = None
    totp_secret: str = Field(default="", max_length=300)  # encrypted with the app's secret key
    totp_enabled: bool = Field(default=False)
    created_at: datetime = created_field()
    last_login_at: datetime | None = None


class AuthSession(SQLModel, table=True):
    """A browser's login. Only a hash of the token is stored."""

    __tablename__ = "auth_session"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = created_field()
    expires_at: datetime
    last_seen_at: datetime = created_field()
    revoked: bool = Field(default=False)


AUDIT_ACTIONS = ("create", "update", "delete", "stage_move", "login", "login_failed", "logout", "export", "import", "permission_change")


class AuditLog(SQLModel, table=True):
    """Who did what, when, with old -> new values. Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_record", "module", "record_id", "id"),
        Index("ix_audit_log_user_at", "user_id", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, nullable=False, index=True)
    user_id: int | None = Field(default=None)
    username: str = Field(default="", max_length=60)
    action: str = Field(max_length=20)
    module: str = Field(default="", max_length=30)
    record_id: int | None = None
    record_label: str = Field(default="", max_length=200)
    changes: str = text_field()
    detail: str = Field(default="", max_length=300)


class Profile(SQLModel, table=True):
    """What a role may do: per module create / read / update / delete / export / import, and per field
    hidden / read-only. A user's ``role`` names the profile (its ``key``)."""

    __tablename__ = "profile"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=80)
    is_admin: bool = Field(default=False)
    permissions: str = text_field()  # JSON {module: [action, ...]}
    fields: str = text_field()  # JSON {"module.field": "hidden" | "readonly"}


class Role(SQLModel, table=True):
    """A place in the organisation tree (Director -> Sales Manager -> Salesperson ...). A role sees its own
    records and those of the roles below it; its profile says what it may do."""

    __tablename__ = "role"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    parent_id: int | None = Field(default=None, foreign_key="role.id")
    profile_key: str = Field(default="sales", max_length=30)


class SharingRule(SQLModel, table=True):
    """Opens a module beyond the role tree: "private" (own + roles below), "team" (+ the own team), "all"."""

    __tablename__ = "sharing_rule"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    module: str = Field(max_length=30, unique=True)
    access: str = Field(default="all", max_length=10)
