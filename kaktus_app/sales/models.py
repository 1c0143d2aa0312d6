"""Sales teams, pipeline stages, opportunities and their stage history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Index, func, text
from sqlmodel import Field, SQLModel

from kaktus_app.models_base import add_customer_copy, created_field, money_field, text_field

OPPORTUNITY_STATES = ("open", "won", "lost")
DEFAULT_STAGES = (("New", 10), ("Qualified", 30), ("Proposition", 50), ("Negotiation", 70), ("Won", 100))
LOST_REASONS = ("too_expensive", "competitor", "no_budget", "no_response", "not_interested", "timing", "other")


class SalesTeam(SQLModel, table=True):
    __tablename__ = "sales_team"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)


class Stage(SQLModel, table=True):
    """A pipeline column. ``team_id`` None: the default stages every team uses unless it has its own."""

    __tablename__ = "stage"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    sequence: int = Field(default=10)
    team_id: int | None = Field(default=None, foreign_key="sales_team.id", index=True)
    probability: int = Field(default=10)
    is_won: bool = Field(default=False)


class Opportunity(SQLModel, table=True):
    __tablename__ = "opportunity"
    __table_args__ = (
        Index("ix_opportunity_board", "state", "stage_id", "position"),
        Index("ix_opportunity_stage_sums", "state", "stage_id", "expected_revenue", "probability"),
        Index("ix_opportunity_name_lower", func.lower(text("name"))),
        Index("ix_opportunity_owner_state", "owner_id", "state"),
        Index("ix_opportunity_updated", "updated_at", "id"),  # the deal list's default order (migration 0017)
        # its other orders (migration 0018; by creation date it uses ix_opportunity_created)
        Index("ix_opportunity_name", "name", "id"),
        Index("ix_opportunity_revenue", "expected_revenue", "id"),
        Index("ix_opportunity_closing", "expected_closing", "id"),
        Index("ix_opportunity_probability_updated", "probability", "updated_at", "id"),
        Index("ix_opportunity_stage_updated", "stage_id", "updated_at", "id"),
        Index("ix_opportunity_owner_updated", "owner_id", "updated_at", "id"),
        # the dashboards: pipeline by closing date and forecast, date-filtered pipeline and sources,
        # won/lost history (covering indexes: the aggregates read no table rows)
        Index("ix_opportunity_open_closing", "state", "expected_closing", "stage_id", "expected_revenue", "probability", "owner_id"),
        Index("ix_opportunity_created", "created_at", "state", "stage_id", "lead_id", "expected_revenue", "probability", "owner_id"),
        Index("ix_opportunity_closed", "state", "closed_at", "owner_id", "customer_id", "expected_revenue", "created_at"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    lead_id: int | None = Field(default=None, foreign_key="lead.id")
    team_id: int | None = Field(default=None, foreign_key="sales_team.id")
    stage_id: int = Field(foreign_key="stage.id")
    position: float = Field(default=0.0)
    expected_revenue: Decimal = money_field()
    probability: int = Field(default=10)
    expected_closing: date | None = None
    priority: int = Field(default=0)
    owner_id: int | None = Field(default=None, foreign_key="app_user.id")
    tags: str = Field(default="", max_length=400)
    state: str = Field(default="open", max_length=10)
    lost_reason: str = Field(default="", max_length=200)
    memo: str = text_field()
    version: int = Field(default=1)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
    stage_changed_at: datetime = created_field()
    closed_at: datetime | None = None


# customer_segment / _province / _city, for the dashboard filters (migration 0014)
add_customer_copy(
    Opportunity.__table__,
    {
        "ix_opportunity_segment_state": ("customer_segment", "state", "expected_closing", "stage_id", "expected_revenue", "probability", "owner_id"),
        "ix_opportunity_province_state": ("customer_province", "state", "expected_closing", "stage_id", "expected_revenue", "probability", "owner_id", "customer_city"),
    },
)


class StageTotal(SQLModel, table=True):
    """The deals of one stage and state (open / won / lost): their count and sums, kept by database
    triggers on ``opportunity`` (migration 0016), so the whole board's column heads are read, not
    summed over 200,000 deals. Amounts in whole cents (exact on SQLite too, whose NUMERIC is a float);
    ``weighted_cents`` is cents × probability %."""

    __tablename__ = "opportunity_stage_total"
    __table_args__ = {"extend_existing": True}

    stage_id: int = Field(primary_key=True)
    state: str = Field(primary_key=True, max_length=10)
    deals: int = Field(default=0)
    expected_cents: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    weighted_cents: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class StageHistory(SQLModel, table=True):
    """Every stage move and won/lost/restore, for the dashboards and the timeline."""

    __tablename__ = "stage_history"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True)
    from_stage_id: int | None = Field(default=None, foreign_key="stage.id")
    to_stage_id: int | None = Field(default=None, foreign_key="stage.id")
    from_state: str = Field(default="", max_length=10)
    to_state: str = Field(default="", max_length=10)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    expected_revenue: Decimal = money_field()
    at: datetime = created_field()
