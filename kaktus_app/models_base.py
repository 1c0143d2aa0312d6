"""Column helpers shared by the models of every module."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Column, Numeric, Text
from sqlmodel import Field

from kaktus_app.i18n import utcnow

MONEY = Numeric(18, 2)


def money_field(**kwargs) -> Decimal:
    """A NUMERIC(18,2) IDR amount (Decimal in Python)."""
    return Field(default=Decimal("0.00"), sa_column=Column(MONEY, nullable=False, **kwargs))


def text_field() -> str:
    """Unbounded text (notes, memos)."""
    return Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


def created_field():
    return Field(default_factory=utcnow, nullable=False)


__all__ = ["MONEY", "created_field", "money_field", "text_field", "utcnow"]
