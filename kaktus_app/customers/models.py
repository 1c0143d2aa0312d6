"""Companies and contacts (one table: a contact is a person who may work for a company)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from kaktus_app.models_base import created_field, text_field

CUSTOMER_KINDS = ("company", "person")
SEGMENTS = ("corporate", "government", "retail", "event_organiser", "education", "healthcare", "hospitality")


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    __table_args__ = (
        Index("ix_customer_name_norm", "name_norm", "id"),  # the lists' order, also on PostgreSQL (migration 0015)
        Index("ix_customer_owner_name", "owner_id", "name_norm"),
        Index("ix_customer_city_name", "city", "name_norm"),
        Index("ix_customer_segment_name", "segment", "name_norm"),
        Index("ix_customer_province_segment", "province", "segment", "city"),  # region filters, map and reports
        # the list's other orders (migration 0018; segment, city and owner use the indexes above)
        Index("ix_customer_kind_name", "kind", "name_norm", "id"),
        Index("ix_customer_created", "created_at", "id"),
        Index("ix_customer_updated", "updated_at", "id"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="company", max_length=10)
    name: str = Field(max_length=200)
    name_norm: str = Field(default="", max_length=200)
    company_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    industry: str = Field(default="", max_length=80)
    segment: str = Field(default="", max_length=40)
    tags: str = Field(default="", max_length=400)
    street: str = Field(default="", max_length=250)
    city: str = Field(default="", max_length=80)
    province: str = Field(default="", max_length=80)
    postal_code: str = Field(default="", max_length=10)
    latitude: float | None = None
    longitude: float | None = None
    # where the coordinates came from: "gazetteer" (city lookup), "manual" (typed or picked), "" none
    geo_source: str = Field(default="", max_length=12, sa_column_kwargs={"server_default": ""})
    phone: str = Field(default="", max_length=20, index=True)
    mobile: str = Field(default="", max_length=20, index=True)
    email: str = Field(default="", max_length=200, index=True)
    website: str = Field(default="", max_length=200)
    npwp: str = Field(default="", max_length=30)
    department: str = Field(default="", max_length=80)
    person_in_charge: str = Field(default="", max_length=120)
    job_title: str = Field(default="", max_length=80)
    owner_id: int | None = Field(default=None, foreign_key="app_user.id")
    notes: str = text_field()
    profile_needs: str = text_field()
    profile_preferences: str = text_field()
    profile_history: str = text_field()
    is_active: bool = Field(default=True)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()


class SavedFilter(SQLModel, table=True):
    """A named set of list filters; ``user_id`` None means shared with everybody."""

    __tablename__ = "saved_filter"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    module: str = Field(max_length=30, index=True)
    name: str = Field(max_length=80)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    criteria: str = text_field()
    created_at: datetime = created_field()
