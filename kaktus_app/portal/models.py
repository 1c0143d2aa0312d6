"""Portal users (contacts of customer companies), their one-time tokens and their login sessions.

Kept apart from staff users on purpose: a portal session can never act as a staff member.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from kaktus_app.models_base import created_field

TOKEN_PURPOSES = ("invite", "verify", "magic", "reset")


class PortalUser(SQLModel, table=True):
    __tablename__ = "portal_user"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=200, unique=True, index=True)
    full_name: str = Field(max_length=120)
    contact_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    company_id: int = Field(foreign_key="customer.id", index=True)
    password_hash: str = Field(default="", max_length=255)
    email_verified: bool = Field(default=False)
    is_active: bool = Field(default=True)
    language: str = Field(default="id", max_length=5)
    phone: str = Field(default="", max_length=30)
    invited_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = None
    created_at: datetime = created_field()
    last_login_at: datetime | None = None


class PortalToken(SQLModel, table=True):
    """A one-time link (invitation, e-mail check, magic sign-in, password reset); only its hash is kept."""

    __tablename__ = "portal_token"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    portal_user_id: int = Field(foreign_key="portal_user.id", index=True)
    purpose: str = Field(max_length=10)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = created_field()
    expires_at: datetime
    used_at: datetime | None = None


class PortalSession(SQLModel, table=True):
    __tablename__ = "portal_session"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    portal_user_id: int = Field(foreign_key="portal_user.id", index=True)
    created_at: datetime = created_field()
    expires_at: datetime
    last_seen_at: datetime = created_field()
    revoked: bool = Field(default=False)


class OutboxMessage(SQLModel, table=True):
    """An e-mail to send. Delivered by SMTP when KAKTUS_SMTP_HOST is set; otherwise it waits here and
    staff see it (and the links in it) on the invitation screen."""

    __tablename__ = "outbox_message"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    to: str = Field(max_length=200, index=True)
    subject: str = Field(max_length=200)
    body: str = Field(default="", max_length=8000)
    created_at: datetime = created_field()
    sent_at: datetime | None = None
    error: str = Field(default="", max_length=300)
