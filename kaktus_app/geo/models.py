"""Sales territories: a province, or one city of it, assigned to a salesperson."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from kaktus_app.models_base import created_field


class Territory(SQLModel, table=True):
    """``city`` empty means the whole province; a city rule beats its province's rule."""

    __tablename__ = "territory"
    __table_args__ = (UniqueConstraint("province", "city", name="uq_territory_place"),)

    id: int | None = Field(default=None, primary_key=True)
    province: str = Field(max_length=80)
    city: str = Field(default="", max_length=80)
    owner_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = created_field()
