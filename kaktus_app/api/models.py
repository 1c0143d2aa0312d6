"""Personal API keys, webhook subscriptions and their deliveries (the outbox the delivery loop drains)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from kaktus_app.models_base import created_field, text_field

DELIVERY_STATES = ("pending", "sending", "delivered", "failed")


class ApiKey(SQLModel, table=True):
    """A personal key: its holder acts through the API with their own permissions. Only the SHA-256
    of the key is stored; the plain key is shown once, when it is created."""

    __tablename__ = "api_key"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=80)
    prefix: str = Field(max_length=20)  # the first characters, to recognise a key in the list
    key_hash: str = Field(max_length=64, unique=True)
    rate_limit: int = Field(default=120)  # requests per minute
    created_at: datetime = created_field()
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class Webhook(SQLModel, table=True):
    """A URL subscribed to events; the payloads are signed with the subscription's secret (kept
    encrypted, since signing needs it) and show only what the subscriber may see."""

    __tablename__ = "webhook"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    url: str = Field(max_length=500)
    events: str = Field(default="", max_length=1000)  # ",opportunity.won,ticket.created," or ",*,"
    description: str = Field(default="", max_length=200)
    secret: str = Field(max_length=300)
    active: bool = Field(default=True)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription: pending -> sending (claimed by a worker) -> delivered, or
    back to pending with a later ``next_attempt_at``, or failed after the last attempt."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_webhook", "webhook_id", "id"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhook.id")
    event: str = Field(max_length=60)
    event_id: str = Field(max_length=40)
    payload: str = text_field()
    status: str = Field(default="pending", max_length=12)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = created_field()
    claimed_at: datetime | None = None
    claimed_by: str = Field(default="", max_length=80)
    response_status: int | None = None
    last_error: str = Field(default="", max_length=300)
    created_at: datetime = created_field()
    delivered_at: datetime | None = None
