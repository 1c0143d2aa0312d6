"""Column helpers shared by the models of every module."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Column, Index, Numeric, String, Table, Text
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


# The customer fields the dashboard filters by, copied onto the records that belong to a customer
# (opportunity, lead, activity) as ``customer_<field>``, with the customer's column length.
CUSTOMER_COPY = {"segment": 40, "province": 80, "city": 80}


def add_customer_copy(table: Table, indexes: dict[str, tuple[str, ...]]) -> None:
    """Add the ``customer_segment`` / ``customer_province`` / ``customer_city`` columns to ``table``.

    They hold the record's customer's values (an activity's own customer, else its opportunity's),
    kept in step by database triggers (migration 0014) whatever writes the rows: forms, imports, the
    API, bulk inserts. They are table columns only, not model fields: the ORM never writes them (the
    server default, then the trigger, fills them), and forms, the API, exports and the audit trail
    never see them. Only the dashboard filters read them (``kaktus_app.analytics.service``).
    ``indexes``: name -> columns, the indexes over them (the same as the migration's).
    """
    for name, length in CUSTOMER_COPY.items():
        table.append_column(
            Column(f"customer_{name}", String(length), nullable=False, server_default=""),
            replace_existing=True,
        )
    existing = {index.name for index in table.indexes}
    for name, columns in indexes.items():
        if name not in existing:
            Index(name, *(table.c[column] for column in columns))


__all__ = [
    "CUSTOMER_COPY",
    "MONEY",
    "add_customer_copy",
    "created_field",
    "money_field",
    "text_field",
    "utcnow",
]
