"""Quotations / sales orders (one record that moves through its states), invoices, payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from kaktus_app.catalog.models import quantity_field, rate_field
from kaktus_app.models_base import created_field, money_field, text_field

ORDER_STATES = ("draft", "sent", "confirmed", "invoiced", "cancelled")
INVOICE_KINDS = ("invoice", "credit_note")
INVOICE_STATES = ("draft", "posted", "paid", "reversed", "cancelled")
PAYMENT_TERMS = {"immediate": 0, "7_days": 7, "14_days": 14, "30_days": 30, "45_days": 45, "60_days": 60}
PAYMENT_METHODS = ("transfer", "cash", "giro", "card", "qris")
WON_ON = ("confirm", "create")


class DocumentSequence(SQLModel, table=True):
    """The last number used per document code and year (QUO/2026/0001, SO/..., INV/..., CN/..., PO/...)."""

    __tablename__ = "document_sequence"
    __table_args__ = (UniqueConstraint("code", "year"), {"extend_existing": True})

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=10)
    year: int
    last: int = Field(default=0)


class DocumentSettings(SQLModel, table=True):
    """One row: the letterhead, bank details and the sales-flow settings."""

    __tablename__ = "document_settings"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    company_name: str = Field(default="PT. Kaktus Berduri", max_length=160)
    address: str = Field(default="Jl. Letjen Suprapto 26, Cempaka Putih, Jakarta Pusat 10510", max_length=300)
    phone: str = Field(default="021-8448205", max_length=40)
    email: str = Field(default="sales@kaktusberduri.co.id", max_length=160)
    npwp: str = Field(default="", max_length=30)
    bank_name: str = Field(default="Bank Central Asia (BCA)", max_length=80)
    bank_account: str = Field(default="", max_length=40)
    bank_holder: str = Field(default="PT. Kaktus Berduri", max_length=160)
    won_on: str = Field(default="confirm", max_length=10)
    validity_days: int = Field(default=14)
    payment_terms: str = Field(default="14_days", max_length=20)
    default_terms: str = text_field()


class SalesOrder(SQLModel, table=True):
    """A quotation (number QUO/...) that becomes a sales order (order_number SO/...) when confirmed."""

    __tablename__ = "sales_order"
    __table_args__ = (
        Index("ix_sales_order_state_id", "state", "id"),
        Index("ix_sales_order_customer", "customer_id", "state"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=30, unique=True)
    order_number: str | None = Field(default=None, max_length=30, unique=True)
    state: str = Field(default="draft", max_length=12)
    customer_id: int = Field(foreign_key="customer.id")
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="app_user.id")
    price_list_id: int | None = Field(default=None, foreign_key="price_list.id")
    quote_date: date
    validity_date: date | None = None
    payment_terms: str = Field(default="14_days", max_length=20)
    note: str = text_field()
    terms: str = text_field()
    untaxed: Decimal = money_field()
    tax: Decimal = money_field()
    total: Decimal = money_field()
    version: int = Field(default=1)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
    confirmed_at: datetime | None = None


class SalesOrderLine(SQLModel, table=True):
    __tablename__ = "sales_order_line"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    sequence: int = Field(default=10)
    product_id: int = Field(foreign_key="product.id")
    description: str = Field(max_length=300)
    quantity: Decimal = quantity_field()
    uom: str = Field(default="", max_length=20)
    unit_price: Decimal = money_field()
    discount: Decimal = rate_field()
    tax_rate: Decimal = rate_field("11.00")
    optional: bool = Field(default=False)
    subtotal: Decimal = money_field()
    price_rule: str = Field(default="", max_length=200)


class Invoice(SQLModel, table=True):
    """An invoice or a credit note. Drafts have no number; posting gives INV/2026/0001 (CN/... for credit notes)."""

    __tablename__ = "invoice"
    __table_args__ = (
        Index("ix_invoice_state_id", "state", "id"),
        Index("ix_invoice_customer_state", "customer_id", "state"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=30, unique=True)
    kind: str = Field(default="invoice", max_length=12)
    state: str = Field(default="draft", max_length=12)
    order_id: int | None = Field(default=None, foreign_key="sales_order.id", index=True)
    customer_id: int = Field(foreign_key="customer.id")
    reversed_invoice_id: int | None = Field(default=None, foreign_key="invoice.id")
    down_payment: bool = Field(default=False)
    invoice_date: date
    due_date: date | None = None
    payment_terms: str = Field(default="14_days", max_length=20)
    untaxed: Decimal = money_field()
    tax: Decimal = money_field()
    total: Decimal = money_field()
    amount_paid: Decimal = money_field()
    note: str = text_field()
    owner_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_field()
    posted_at: datetime | None = None


class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_line"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    sequence: int = Field(default=10)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    description: str = Field(max_length=300)
    quantity: Decimal = quantity_field()
    uom: str = Field(default="", max_length=20)
    unit_price: Decimal = money_field()
    discount: Decimal = rate_field()
    tax_rate: Decimal = rate_field("11.00")
    subtotal: Decimal = money_field()


class Payment(SQLModel, table=True):
    __tablename__ = "payment"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    paid_on: date
    amount: Decimal = money_field()
    method: str = Field(default="transfer", max_length=12)
    reference: str = Field(default="", max_length=80)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_field()
