"""Staff users and their login sessions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from kaktus_app.models_base import created_field

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
    language: str = Field(default="en", max_length=5)
    is_active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = None
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
