"""Products and services, price lists with their rules, vendors and purchase orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Numeric, UniqueConstraint, func, text
from sqlmodel import Field, SQLModel

from kaktus_app.models_base import created_field, money_field, text_field

CATEGORIES = ("nasi_box", "tumpeng", "prasmanan", "snack_box", "coffee_break", "beverage", "service")
UNITS = ("porsi", "box", "pax", "paket", "pcs", "liter", "jam", "hari")
RULE_KINDS = ("fixed", "discount")
PO_STATES = ("draft", "sent", "received", "cancelled")
DEFAULT_TAX_RATE = Decimal("11.00")


def rate_field(default: str = "0.00") -> Decimal:
    """A percentage with two decimals (tax rate, discount)."""
    return Field(default=Decimal(default), sa_column=Column(Numeric(5, 2), nullable=False))


def quantity_field(default: str = "1.00") -> Decimal:
    return Field(default=Decimal(default), sa_column=Column(Numeric(12, 2), nullable=False))


class Product(SQLModel, table=True):
    __tablename__ = "product"
    __table_args__ = (
        Index("ix_product_name_lower", func.lower(text("name"))),
        Index("ix_product_active_category", "active", "category"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=160)
    category: str = Field(default="nasi_box", max_length=30)
    uom: str = Field(default="box", max_length=20)
    description: str = text_field()
    sale_price: Decimal = money_field()
    cost: Decimal = money_field()
    tax_rate: Decimal = rate_field("11.00")
    active: bool = Field(default=True)
    image: str = Field(default="", max_length=200)
    vendor_id: int | None = Field(default=None, foreign_key="vendor.id")
    created_at: datetime = created_field()
    updated_at: datetime = created_field()


class PriceList(SQLModel, table=True):
    """The prices of one customer segment ("" = the default list for customers without one)."""

    __tablename__ = "price_list"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    segment: str = Field(default="", max_length=40, index=True)
    active: bool = Field(default=True)
    note: str = text_field()


class PriceRule(SQLModel, table=True):
    """A fixed price or a % discount, for one product, one category or everything, from a quantity, in a period."""

    __tablename__ = "price_rule"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    price_list_id: int = Field(foreign_key="price_list.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    category: str = Field(default="", max_length=30)
    kind: str = Field(default="discount", max_length=10)
    value: Decimal = money_field()
    min_quantity: Decimal = quantity_field()
    date_from: date | None = None
    date_to: date | None = None


class Vendor(SQLModel, table=True):
    __tablename__ = "vendor"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=160)
    email: str = Field(default="", max_length=160)
    phone: str = Field(default="", max_length=30)
    city: str = Field(default="", max_length=80)
    note: str = text_field()
    active: bool = Field(default=True)
    created_at: datetime = created_field()


class VendorPrice(SQLModel, table=True):
    """Who supplies what at which cost."""

    __tablename__ = "vendor_price"
    __table_args__ = (UniqueConstraint("vendor_id", "product_id"), {"extend_existing": True})

    id: int | None = Field(default=None, primary_key=True)
    vendor_id: int = Field(foreign_key="vendor.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    cost: Decimal = money_field()
    lead_days: int = Field(default=1)


class PurchaseOrder(SQLModel, table=True):
    __tablename__ = "purchase_order"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=30, unique=True)
    vendor_id: int = Field(foreign_key="vendor.id", index=True)
    state: str = Field(default="draft", max_length=12)
    order_date: date
    expected_date: date | None = None
    note: str = text_field()
    total: Decimal = money_field()
    owner_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_field()
    received_at: datetime | None = None


class PurchaseOrderLine(SQLModel, table=True):
    __tablename__ = "purchase_order_line"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="purchase_order.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    quantity: Decimal = quantity_field()
    unit_cost: Decimal = money_field()
    subtotal: Decimal = money_field()
