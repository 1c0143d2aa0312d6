"""Calls, meetings, emails, to-dos, and the timeline of changes on every record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from kaktus_app.models_base import add_customer_copy, created_field, text_field

ACTIVITY_KINDS = ("call", "meeting", "email", "task")
CALL_OUTCOMES = ("reached", "no_answer", "left_message", "wrong_number", "interested", "not_interested")
RECORD_TYPES = ("customer", "lead", "opportunity", "sales_order", "invoice")


class Activity(SQLModel, table=True):
    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_assignee_done_due", "assignee_id", "done", "due_at"),
        Index("ix_activity_opportunity_done_due", "opportunity_id", "done", "due_at"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="call", max_length=10)
    summary: str = Field(max_length=200)
    note: str = text_field()
    due_at: datetime | None = None
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id")
    done: bool = Field(default=False)
    done_at: datetime | None = None
    outcome: str = Field(default="", max_length=30)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id")
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_field()


# customer_segment / _province / _city, for the dashboard filters (migration 0014)
add_customer_copy(
    Activity.__table__,
    {
        "ix_activity_segment_done": ("customer_segment", "assignee_id", "done", "due_at"),
        "ix_activity_province_done": ("customer_province", "assignee_id", "done", "due_at", "customer_city"),
    },
)


class TimelineEntry(SQLModel, table=True):
    """One line on a record's timeline: created, changed, converted, moved, a note..."""

    __tablename__ = "timeline_entry"
    __table_args__ = (
        Index("ix_timeline_record", "record_type", "record_id", "at"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    record_type: str = Field(max_length=20)
    record_id: int
    kind: str = Field(max_length=20)
    message_key: str = Field(max_length=80)
    params: str = text_field()
    body: str = text_field()
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    at: datetime = created_field()
