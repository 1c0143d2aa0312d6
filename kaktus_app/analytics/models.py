"""Saved reports of the report builder (and what sits on a user's personal dashboard)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from kaktus_app.models_base import created_field, text_field


class SavedReport(SQLModel, table=True):
    """A report definition: the module, one or two groupings, the measure and how it is drawn.

    ``config`` is JSON written and read only by ``analytics.service`` (group_by, group_by2,
    granularity, measure, field, chart, filters)."""

    __tablename__ = "saved_report"

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=120)
    module: str = Field(max_length=40)
    config: str = text_field()
    on_dashboard: bool = Field(default=False)
    position: int = Field(default=0)
    created_at: datetime = created_field()
