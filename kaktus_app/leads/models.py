"""Leads: unqualified interest, converted into opportunities."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, func, text
from sqlmodel import Field, SQLModel

from kaktus_app.models_base import add_customer_copy, created_field, money_field, text_field

LEAD_SOURCES = ("web", "referral", "trade_show", "phone", "email_campaign", "walk_in", "social_media", "other")
LEAD_STATUSES = ("open", "converted", "lost")


class Lead(SQLModel, table=True):
    __tablename__ = "lead"
    __table_args__ = (
        Index("ix_lead_status_created", "status", "created_at"),
        Index("ix_lead_owner_status", "owner_id", "status"),
        Index("ix_lead_owner_created", "owner_id", "created_at", "status"),  # leads per salesperson in a date range
        Index("ix_lead_title_lower", func.lower(text("title"))),
        Index("ix_lead_source_owner", "source", "owner_id", "created_at", "status"),  # the dashboard's lead-source filter
        # the list's orders (migration 0018; by status it uses ix_lead_status_created)
        Index("ix_lead_created", "created_at", "id"),
        Index("ix_lead_title", "title", "id"),
        Index("ix_lead_company", "company_name", "id"),
        Index("ix_lead_revenue", "expected_revenue", "id"),
        Index("ix_lead_source_created", "source", "created_at", "id"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    contact_name: str = Field(default="", max_length=120)
    company_name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=200, index=True)
    phone: str = Field(default="", max_length=20, index=True)
    city: str = Field(default="", max_length=80)
    source: str = Field(default="other", max_length=30)
    expected_revenue: Decimal = money_field()
    memo: str = text_field()
    owner_id: int | None = Field(default=None, foreign_key="app_user.id")
    tags: str = Field(default="", max_length=400)
    status: str = Field(default="open", max_length=12)
    lost_reason: str = Field(default="", max_length=200)
    opportunity_id: int | None = Field(default=None, index=True)  # no FK: opportunity.lead_id points back
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
    converted_at: datetime | None = None


# customer_segment / _province / _city, for the dashboard filters (migration 0014)
add_customer_copy(
    Lead.__table__,
    {
        "ix_lead_segment_created": ("customer_segment", "owner_id", "created_at", "status", "source"),
        "ix_lead_province_created": ("customer_province", "owner_id", "created_at", "status", "source", "customer_city"),
    },
)
