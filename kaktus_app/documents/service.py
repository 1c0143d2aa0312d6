"""Quotations → sales orders → invoices → payments and credit notes. Every transition and its rules live here.

Amounts are Decimal and whole rupiah: a line's subtotal is quantity × unit price × (1 − discount),
rounded half up; tax is computed per tax rate on the sum of the lines at that rate (so rounding
does not pile up line by line), rounded half up; the total is untaxed + tax.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from kaktus_app.activities import service as activities
from kaktus_app.auth import permissions
from kaktus_app.auth.service import Actor, check_owner, user_names
from kaktus_app.catalog.models import Product
from kaktus_app.catalog.service import number_text, price_list_for_customer, resolve_price, round_rupiah
from kaktus_app.customers.models import Customer
from kaktus_app.documents.models import (
    ORDER_STATES,
    PAYMENT_METHODS,
    PAYMENT_TERMS,
    WON_ON,
    DocumentSequence,
    DocumentSettings,
    Invoice,
    InvoiceLine,
    Payment,
    SalesOrder,
    SalesOrderLine,
)
from kaktus_app.errors import Conflict, DomainError, NotFound, PermissionDenied
from kaktus_app.i18n import format_date, format_datetime, format_idr, translate, utcnow
from kaktus_app.paging import batches, page_of
from kaktus_app.sales.models import Opportunity
from kaktus_app.validation import (
    Errors,
    clean_text,
    parse_date,
    parse_email,
    parse_int,
    parse_money,
    parse_percent,
    parse_quantity,
)

ZERO = Decimal("0.00")
EDITABLE = ("draft", "sent")
ACTIVE_INVOICE_STATES = ("draft", "posted", "paid")
ORDER_SORTS = {"number": SalesOrder.id, "date": SalesOrder.quote_date, "total": SalesOrder.total, "customer": SalesOrder.customer_id, "state": SalesOrder.state}
INVOICE_SORTS = {"number": Invoice.id, "date": Invoice.invoice_date, "due": Invoice.due_date, "total": Invoice.total, "state": Invoice.state}
STATE_COLORS = {
    "draft": "gray", "sent": "blue", "confirmed": "grass", "invoiced": "teal", "cancelled": "red",
    "posted": "amber", "paid": "grass", "reversed": "red",
}


def today() -> date:
    """Today in Jakarta (documents are dated by the local calendar)."""
    from kaktus_app.i18n import to_jakarta

    return to_jakarta(utcnow()).date()


# ----------------------------------------------------------------------------------- arithmetic


@dataclass(frozen=True)
class Totals:
    untaxed: Decimal
    tax: Decimal
    total: Decimal
    taxes: tuple[tuple[Decimal, Decimal, Decimal], ...]  # (rate, base, tax) per rate


def line_subtotal(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    return round_rupiah(Decimal(quantity) * Decimal(unit_price) * (Decimal(100) - Decimal(discount)) / Decimal(100))


def compute_totals(lines) -> Totals:
    """``lines``: objects or dicts with ``subtotal`` and ``tax_rate`` (optional lines already left out)."""
    bases: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        subtotal = line["subtotal"] if isinstance(line, dict) else line.subtotal
        rate = line["tax_rate"] if isinstance(line, dict) else line.tax_rate
        bases[Decimal(rate).quantize(Decimal("0.01"))] += Decimal(subtotal)
    taxes = tuple(sorted((rate, base, round_rupiah(base * rate / Decimal(100))) for rate, base in bases.items()))
    untaxed = sum((base for _, base, _ in taxes), ZERO)
    tax = sum((amount for _, _, amount in taxes), ZERO)
    return Totals(untaxed.quantize(Decimal("0.01")), tax.quantize(Decimal("0.01")), (untaxed + tax).quantize(Decimal("0.01")), taxes)


# ------------------------------------------------------------------------------------- numbering


def next_number(session: Session, code: str, year: int) -> str:
    """QUO/2026/0001: one counter per code and year, taken under a row lock (PostgreSQL) or the write lock (SQLite)."""
    sequence = session.exec(
        select(DocumentSequence).where(DocumentSequence.code == code, DocumentSequence.year == year).with_for_update()
    ).first()
    if sequence is None:
        sequence = DocumentSequence(code=code, year=year, last=0)
    sequence.last += 1
    session.add(sequence)
    session.flush()
    return f"{code}/{year}/{sequence.last:04d}"


# -------------------------------------------------------------------------------------- settings


def get_settings(session: Session) -> DocumentSettings:
    settings = session.exec(select(DocumentSettings).order_by(DocumentSettings.id)).first()
    if settings is None:
        settings = DocumentSettings(
            default_terms="Harga sudah termasuk pengiriman di Jabodetabek. Pesanan dikonfirmasi paling lambat 3 hari sebelum acara."
        )
        session.add(settings)
        session.flush()
    return settings


SETTINGS_TEXT = {
    "company_name": 160, "address": 300, "phone": 40, "npwp": 30, "bank_name": 80, "bank_account": 40, "bank_holder": 160,
}


def settings_values(session: Session) -> dict:
    s = get_settings(session)
    return {
        **{key: getattr(s, key) for key in SETTINGS_TEXT}, "email": s.email, "won_on": s.won_on,
        "validity_days": str(s.validity_days), "payment_terms": s.payment_terms, "default_terms": s.default_terms,
    }


def update_settings(session: Session, actor: Actor, data: dict) -> DocumentSettings:
    if not actor.is_admin:
        raise PermissionDenied("documents.error.admin_only")
    s = get_settings(session)
    errors = Errors()
    clean = {key: errors.check(key, clean_text, data.get(key, getattr(s, key)), required=key == "company_name", max_length=size) for key, size in SETTINGS_TEXT.items()}
    clean["email"] = errors.check("email", parse_email, data.get("email", s.email))
    won_on = str(data.get("won_on", s.won_on))
    if won_on not in WON_ON:
        errors.add("won_on", "documents.error.won_on")
    clean["won_on"] = won_on
    clean["validity_days"] = errors.check("validity_days", parse_int, data.get("validity_days", s.validity_days), minimum=1, maximum=365, range_key="documents.error.validity_days")
    terms = str(data.get("payment_terms", s.payment_terms))
    if terms not in PAYMENT_TERMS:
        errors.add("payment_terms", "documents.error.payment_terms")
    clean["payment_terms"] = terms
    clean["default_terms"] = errors.check("default_terms", clean_text, data.get("default_terms", s.default_terms), max_length=4000)
    errors.raise_if_any()
    for key, value in clean.items():
        setattr(s, key, value)
    session.add(s)
    session.flush()
    return s


# ------------------------------------------------------------------------------------ quotations


def _order(session: Session, order_id, actor: Actor | None = None) -> SalesOrder:
    """The order; with ``actor``, one they may see (another team's quotation is "not found")."""
    order = session.get(SalesOrder, int(order_id)) if str(order_id).isdigit() else None
    if order is None:
        raise NotFound()
    if actor is not None:
        permissions.check_visible(session, actor, "quotations", order.owner_id)
    return order


def _check_version(order: SalesOrder, expected_version) -> None:
    if expected_version not in (None, "") and int(expected_version) != order.version:
        raise Conflict("documents.error.changed", number=order.number)


def _touch(session: Session, order: SalesOrder) -> None:
    order.version += 1
    order.updated_at = utcnow()
    session.add(order)
    session.flush()


def _require_editable(order: SalesOrder) -> None:
    if order.state not in EDITABLE:
        raise DomainError("documents.error.locked", number=order.order_number or order.number)


def _customer(session: Session, errors: Errors, raw) -> Customer | None:
    text = str(raw or "").strip()
    if not text:
        errors.add("customer_id", "documents.error.customer_required")
        return None
    customer = session.get(Customer, int(text)) if text.isdigit() else None
    if customer is None:
        errors.add("customer_id", "documents.error.customer_unknown")
    return customer


def _header(session: Session, actor: Actor, data: dict, order: SalesOrder | None, errors: Errors) -> dict:
    clean: dict = {}
    settings = get_settings(session)
    base_date = order.quote_date if order else today()
    clean["validity_date"] = errors.check("validity_date", parse_date, data.get("validity_date")) if "validity_date" in data else (
        order.validity_date if order else base_date + timedelta(days=settings.validity_days)
    )
    if clean["validity_date"] and clean["validity_date"] < base_date:
        errors.add("validity_date", "documents.error.validity_before_date")
    if clean["validity_date"] is None and "validity_date" in data and "validity_date" not in errors.errors:
        errors.add("validity_date", "error.required")
    terms = str(data.get("payment_terms") or (order.payment_terms if order else settings.payment_terms))
    if terms not in PAYMENT_TERMS:
        errors.add("payment_terms", "documents.error.payment_terms")
    clean["payment_terms"] = terms
    clean["note"] = errors.check("note", clean_text, data.get("note", order.note if order else ""), max_length=4000)
    clean["terms"] = errors.check("terms", clean_text, data.get("terms", order.terms if order else settings.default_terms), max_length=4000)
    clean["owner_id"] = check_owner(session, errors, data.get("owner_id"), order.owner_id if order and order.owner_id else actor.id)
    return clean


def create_quotation(session: Session, actor: Actor, data: dict) -> SalesOrder:
    """A draft quotation for a customer, from an opportunity when ``opportunity_id`` is given.

    With the "won on creation" setting, the opportunity is marked won at once; by default that
    happens when the quotation is confirmed.
    """
    permissions.require(session, actor, "quotations", "create")
    from kaktus_app.sales import service as sales

    errors = Errors()
    opportunity = None
    opportunity_raw = str(data.get("opportunity_id") or "").strip()
    if opportunity_raw:
        opportunity = session.get(Opportunity, int(opportunity_raw)) if opportunity_raw.isdigit() else None
        if opportunity is None:
            raise NotFound()
    customer_raw = data.get("customer_id") or (opportunity.customer_id if opportunity else None)
    customer = _customer(session, errors, customer_raw)
    data = permissions.guard_writes(session, actor, "quotations", data)
    clean = _header(session, actor, data, None, errors)
    errors.raise_if_any()
    price_list = price_list_for_customer(session, customer)
    now = utcnow()
    order = SalesOrder(
        number=next_number(session, "QUO", today().year), customer_id=customer.id, opportunity_id=opportunity.id if opportunity else None,
        price_list_id=price_list.id if price_list else None, quote_date=today(), created_at=now, updated_at=now, **clean,
    )
    session.add(order)
    session.flush()
    activities.log(session, actor, "sales_order", order.id, "created", "documents.timeline.quotation_created", number=order.number)
    if opportunity is not None:
        if not opportunity.customer_id:
            opportunity.customer_id = customer.id
            session.add(opportunity)
        activities.log(session, actor, "opportunity", opportunity.id, "quotation", "documents.timeline.quotation_for_opportunity", number=order.number)
        if get_settings(session).won_on == "create" and opportunity.state == "open":
            sales.mark_won(session, actor, opportunity.id)
    session.flush()
    return order


def update_quotation(session: Session, actor: Actor, order_id: int, data: dict, expected_version=None) -> SalesOrder:
    permissions.require(session, actor, "quotations", "update")
    order = _order(session, order_id, actor)
    _check_version(order, expected_version)
    _require_editable(order)
    errors = Errors()
    customer_changed = False
    if "customer_id" in data and str(data.get("customer_id") or "") != str(order.customer_id):
        customer = _customer(session, errors, data.get("customer_id"))
        customer_changed = customer is not None
    data = permissions.guard_writes(session, actor, "quotations", data, order)
    clean = _header(session, actor, data, order, errors)
    errors.raise_if_any()
    for key, value in clean.items():
        setattr(order, key, value)
    if customer_changed:
        order.customer_id = customer.id
        price_list = price_list_for_customer(session, customer)
        order.price_list_id = price_list.id if price_list else None
        _reprice(session, order)
    _recompute(session, order)
    _touch(session, order)
    return order


def _lines(session: Session, order_id: int) -> list[SalesOrderLine]:
    return list(session.exec(select(SalesOrderLine).where(SalesOrderLine.order_id == order_id).order_by(SalesOrderLine.sequence, SalesOrderLine.id)))


def _recompute(session: Session, order: SalesOrder) -> Totals:
    totals = compute_totals([line for line in _lines(session, order.id) if not line.optional])
    order.untaxed, order.tax, order.total = totals.untaxed, totals.tax, totals.total
    session.add(order)
    return totals


def _reprice(session: Session, order: SalesOrder, lang: str = "en") -> None:
    for line in _lines(session, order.id):
        product = session.get(Product, line.product_id)
        resolved = resolve_price(session, product, line.quantity, order.price_list_id, order.quote_date, lang)
        line.unit_price, line.price_rule = resolved.unit_price, resolved.label
        line.subtotal = line_subtotal(line.quantity, line.unit_price, line.discount)
        session.add(line)
    session.flush()


def _line_values(session: Session, order: SalesOrder, data: dict, line: SalesOrderLine | None, lang: str) -> dict:
    """Validate a line; the unit price comes from the price list unless one is typed (or kept)."""
    errors = Errors()
    product_raw = str(data.get("product_id", line.product_id if line else "") or "").strip()
    product = session.get(Product, int(product_raw)) if product_raw.isdigit() else None
    if product is None:
        errors.add("product_id", "documents.error.product_unknown" if product_raw else "documents.error.product_required")
    elif not product.active and (line is None or line.product_id != product.id):
        errors.add("product_id", "documents.error.product_archived")
    quantity = errors.check("quantity", parse_quantity, data.get("quantity", line.quantity if line else "1"))
    discount = errors.check("discount", parse_percent, data.get("discount", line.discount if line else "0"))
    description = errors.check("description", clean_text, data.get("description", line.description if line else ""), max_length=300)
    price_raw = data.get("unit_price")
    typed_price = None
    if price_raw is not None and str(price_raw).strip() != "":
        typed_price = errors.check("unit_price", parse_money, price_raw)
    errors.raise_if_any()
    resolved = resolve_price(session, product, quantity, order.price_list_id, order.quote_date, lang)
    manual = translate("documents.price_manual", lang)
    if line is None:
        unit_price = typed_price if typed_price is not None else resolved.unit_price
        description = description or product.name
    else:
        basis_changed = line.product_id != product.id or quantity != line.quantity
        if typed_price is None or (basis_changed and typed_price == line.unit_price):
            unit_price = resolved.unit_price
        else:
            unit_price = typed_price
        if line.product_id != product.id and description == line.description or not description:
            description = product.name
    if unit_price == resolved.unit_price:
        rule = resolved.label
    elif line is not None and unit_price == line.unit_price and line.product_id == product.id and quantity == line.quantity:
        rule = line.price_rule
    else:
        rule = manual
    optional = data.get("optional", line.optional if line else False)
    optional = optional if isinstance(optional, bool) else str(optional).lower() in ("1", "true", "on", "yes")
    return {
        "product_id": product.id, "description": description, "quantity": quantity, "uom": product.uom, "unit_price": unit_price,
        "discount": discount, "tax_rate": product.tax_rate, "optional": optional, "price_rule": rule,
        "subtotal": line_subtotal(quantity, unit_price, discount),
    }


def add_line(session: Session, actor: Actor, order_id: int, data: dict, lang: str = "en") -> SalesOrderLine:
    permissions.require(session, actor, "quotations", "update")
    order = _order(session, order_id, actor)
    _require_editable(order)
    values = _line_values(session, order, data, None, lang)
    last = session.exec(select(func.max(SalesOrderLine.sequence)).where(SalesOrderLine.order_id == order.id)).one()
    line = SalesOrderLine(order_id=order.id, sequence=(last or 0) + 10, **values)
    session.add(line)
    session.flush()
    _recompute(session, order)
    _touch(session, order)
    return line


def _line(session: Session, line_id, actor: Actor | None = None) -> tuple[SalesOrderLine, SalesOrder]:
    line = session.get(SalesOrderLine, int(line_id)) if str(line_id).isdigit() else None
    if line is None:
        raise NotFound()
    return line, _order(session, line.order_id, actor)


def update_line(session: Session, actor: Actor, line_id: int, data: dict, lang: str = "en") -> SalesOrderLine:
    permissions.require(session, actor, "quotations", "update")
    line, order = _line(session, line_id, actor)
    _require_editable(order)
    values = _line_values(session, order, data, line, lang)
    for key, value in values.items():
        setattr(line, key, value)
    session.add(line)
    session.flush()
    _recompute(session, order)
    _touch(session, order)
    return line


def remove_line(session: Session, actor: Actor, line_id: int) -> None:
    permissions.require(session, actor, "quotations", "update")
    line, order = _line(session, line_id, actor)
    _require_editable(order)
    session.delete(line)
    session.flush()
    _recompute(session, order)
    _touch(session, order)


def move_line(session: Session, actor: Actor, line_id: int, direction: int) -> None:
    """Swap a line with its neighbour above (-1) or below (+1)."""
    permissions.require(session, actor, "quotations", "update")
    line, order = _line(session, line_id, actor)
    _require_editable(order)
    lines = _lines(session, order.id)
    for index, item in enumerate(lines):
        item.sequence = (index + 1) * 10
    index = next(i for i, item in enumerate(lines) if item.id == line.id)
    other = index + (1 if direction > 0 else -1)
    if 0 <= other < len(lines):
        lines[index].sequence, lines[other].sequence = lines[other].sequence, lines[index].sequence
    for item in lines:
        session.add(item)
    session.flush()
    _touch(session, order)


def mark_sent(session: Session, actor: Actor, order_id: int) -> SalesOrder:
    permissions.require(session, actor, "quotations", "update")
    order = _order(session, order_id, actor)
    if order.state != "draft":
        raise DomainError("documents.error.transition", action="send", state=order.state)
    if not any(not line.optional for line in _lines(session, order.id)):
        raise DomainError("documents.error.empty")
    order.state = "sent"
    _touch(session, order)
    activities.log(session, actor, "sales_order", order.id, "sent", "documents.timeline.sent", number=order.number)
    return order


def confirm(session: Session, actor: Actor, order_id: int) -> SalesOrder:
    """Quotation → sales order SO/YYYY/NNNN; marks the opportunity won (the default setting)."""
    permissions.require(session, actor, "quotations", "update")
    from kaktus_app.sales import service as sales

    order = _order(session, order_id, actor)
    if order.state not in EDITABLE:
        raise DomainError("documents.error.transition", action="confirm", state=order.state)
    if not any(not line.optional for line in _lines(session, order.id)):
        raise DomainError("documents.error.empty")
    if order.validity_date and order.validity_date < today():
        raise DomainError("documents.error.expired", field="validity_date", date=format_date(order.validity_date, actor.language))
    order.state, order.confirmed_at = "confirmed", utcnow()
    order.order_number = next_number(session, "SO", today().year)
    _touch(session, order)
    activities.log(session, actor, "sales_order", order.id, "confirmed", "documents.timeline.confirmed", number=order.number, order=order.order_number)
    if not order.opportunity_id:  # else the opportunity's entry already shows on the customer's timeline
        activities.log(session, actor, "customer", order.customer_id, "order", "documents.timeline.confirmed", number=order.number, order=order.order_number)
    if order.opportunity_id:
        opportunity = session.get(Opportunity, order.opportunity_id)
        activities.log(session, actor, "opportunity", opportunity.id, "order", "documents.timeline.confirmed", number=order.number, order=order.order_number)
        if opportunity.state == "open" and get_settings(session).won_on == "confirm":
            sales.mark_won(session, actor, opportunity.id)
    session.flush()
    return order


def _active_invoices(session: Session, order_id: int) -> list[Invoice]:
    return list(
        session.exec(
            select(Invoice).where(Invoice.order_id == order_id, Invoice.kind == "invoice", Invoice.state.in_(ACTIVE_INVOICE_STATES)).order_by(Invoice.id)
        )
    )


def cancel_order(session: Session, actor: Actor, order_id: int) -> SalesOrder:
    permissions.require(session, actor, "quotations", "update")
    order = _order(session, order_id, actor)
    if order.state not in ("draft", "sent", "confirmed", "invoiced"):
        raise DomainError("documents.error.transition", action="cancel", state=order.state)
    if _active_invoices(session, order.id):
        raise DomainError("documents.error.has_invoices")
    order.state = "cancelled"
    _touch(session, order)
    activities.log(session, actor, "sales_order", order.id, "cancelled", "documents.timeline.cancelled", number=order.order_number or order.number)
    return order


def reset_to_draft(session: Session, actor: Actor, order_id: int) -> SalesOrder:
    permissions.require(session, actor, "quotations", "update")
    order = _order(session, order_id, actor)
    if order.state != "cancelled":
        raise DomainError("documents.error.transition", action="draft", state=order.state)
    order.state, order.order_number, order.confirmed_at = "draft", None, None
    _touch(session, order)
    activities.log(session, actor, "sales_order", order.id, "draft", "documents.timeline.reset", number=order.number)
    return order



def delete_quotation(session: Session, actor: Actor, order_id: int) -> None:
    """Delete a draft quotation that never became an order (a number once confirmed stays in the
    books: cancel it instead). Refused (Conflict) while an invoice or a ticket points at it."""
    from sqlalchemy import delete

    from kaktus_app.activities.models import TimelineEntry
    from kaktus_app.references import refuse_if_referenced

    permissions.require(session, actor, "quotations", "delete")
    order = _order(session, order_id, actor)
    if order.state != "draft" or order.order_number or order.confirmed_at:
        raise DomainError("documents.error.locked", number=order.order_number or order.number)
    for line in _lines(session, order.id):
        session.delete(line)
    session.flush()
    refuse_if_referenced(session, SalesOrder, order.id)
    session.exec(delete(TimelineEntry).where(TimelineEntry.record_type == "sales_order", TimelineEntry.record_id == order.id))
    session.delete(order)
    session.flush()

# -------------------------------------------------------------------------------------- invoices


def invoiced_amount(session: Session, order_id: int) -> Decimal:
    return sum((inv.total for inv in _active_invoices(session, order_id)), ZERO)


def _sync_order_state(session: Session, order: SalesOrder) -> None:
    """An order is "invoiced" while it has an active final (not down-payment) invoice."""
    if order.state not in ("confirmed", "invoiced"):
        return
    final = any(not inv.down_payment for inv in _active_invoices(session, order.id))
    target = "invoiced" if final else "confirmed"
    if order.state != target:
        order.state = target
        _touch(session, order)


def create_invoice(session: Session, actor: Actor, order_id: int, mode: str = "full", value="", lang: str = "en") -> Invoice:
    """A draft invoice from a confirmed order: the rest ("full"), or a down payment (a % or an amount).

    The final invoice deducts the down payments already invoiced; nothing may take the order beyond 100%.
    """
    permissions.require(session, actor, "invoices", "create")
    order = _order(session, order_id, actor)
    if order.state == "invoiced":
        raise DomainError("documents.error.fully_invoiced")
    if order.state != "confirmed":
        raise DomainError("documents.error.not_confirmed")
    remaining = order.total - invoiced_amount(session, order.id)
    if remaining <= 0:
        raise DomainError("documents.error.fully_invoiced")
    order_lines = [line for line in _lines(session, order.id) if not line.optional]
    settings_terms = order.payment_terms
    invoice = Invoice(
        order_id=order.id, customer_id=order.customer_id, invoice_date=today(), payment_terms=settings_terms,
        owner_id=order.owner_id or actor.id, created_at=utcnow(),
    )
    lines: list[dict] = []
    if mode in ("percent", "amount"):
        if mode == "percent":
            try:
                percent = parse_percent(value, default="")
            except Exception as exc:  # FieldError
                raise DomainError(getattr(exc, "key", "error.number_invalid"), field="down_payment") from exc
            if percent <= 0:
                raise DomainError("documents.error.down_payment_positive", field="down_payment")
            amount = round_rupiah(order.total * percent / Decimal(100))
        else:
            try:
                amount = parse_money(value, required=True)
            except Exception as exc:
                raise DomainError(getattr(exc, "key", "error.number_invalid"), field="down_payment") from exc
            if amount <= 0:
                raise DomainError("documents.error.down_payment_positive", field="down_payment")
        if amount > remaining:
            raise DomainError("documents.error.over_invoiced", field="down_payment", remaining=format_idr(remaining))
        if amount == remaining:
            mode = "full"
        else:
            invoice.down_payment = True
            totals = compute_totals(order_lines)
            fraction = amount / order.total
            label = translate("documents.down_payment_line", lang, percent=number_text((fraction * 100).quantize(Decimal("0.01"))), order=order.order_number)
            for rate, base, _tax in totals.taxes:
                share = round_rupiah(base * fraction)
                lines.append({"product_id": None, "description": label, "quantity": Decimal("1"), "uom": "", "unit_price": share, "discount": ZERO, "tax_rate": rate, "subtotal": share})
    if mode == "full":
        for line in order_lines:
            lines.append(
                {"product_id": line.product_id, "description": line.description, "quantity": line.quantity, "uom": line.uom, "unit_price": line.unit_price,
                 "discount": line.discount, "tax_rate": line.tax_rate, "subtotal": line.subtotal}
            )
        for dp in _active_invoices(session, order.id):
            if not dp.down_payment:
                raise DomainError("documents.error.fully_invoiced")
            for dp_line in session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == dp.id)):
                label = translate("documents.deduct_down_payment", lang, number=dp.number or translate("documents.state.draft", lang))
                lines.append({"product_id": None, "description": label, "quantity": Decimal("1"), "uom": "", "unit_price": -dp_line.subtotal, "discount": ZERO, "tax_rate": dp_line.tax_rate, "subtotal": -dp_line.subtotal})
    elif mode not in ("percent", "amount"):
        raise DomainError("documents.error.invoice_mode")
    totals = compute_totals(lines)
    if totals.total > remaining + Decimal("1"):
        raise DomainError("documents.error.over_invoiced", field="down_payment", remaining=format_idr(remaining))
    invoice.untaxed, invoice.tax, invoice.total = totals.untaxed, totals.tax, totals.total
    session.add(invoice)
    session.flush()
    for index, values in enumerate(lines):
        session.add(InvoiceLine(invoice_id=invoice.id, sequence=(index + 1) * 10, **values))
    session.flush()
    _sync_order_state(session, order)
    activities.log(session, actor, "sales_order", order.id, "invoice", "documents.timeline.invoice_created", amount=format_idr(invoice.total))
    activities.log(session, actor, "invoice", invoice.id, "created", "documents.timeline.invoice_draft", order=order.order_number)
    return invoice


def _invoice(session: Session, invoice_id, actor: Actor | None = None) -> Invoice:
    invoice = session.get(Invoice, int(invoice_id)) if str(invoice_id).isdigit() else None
    if invoice is None:
        raise NotFound()
    if actor is not None:
        permissions.check_visible(session, actor, "invoices", invoice.owner_id)
    return invoice


def post_invoice(session: Session, actor: Actor, invoice_id: int) -> Invoice:
    permissions.require(session, actor, "invoices", "update")
    invoice = _invoice(session, invoice_id, actor)
    if invoice.state != "draft":
        raise DomainError("documents.error.transition", action="post", state=invoice.state)
    if not session.exec(select(InvoiceLine.id).where(InvoiceLine.invoice_id == invoice.id)).first() or invoice.total <= 0:
        raise DomainError("documents.error.invoice_empty")
    invoice.invoice_date = today() if invoice.invoice_date < today() else invoice.invoice_date
    invoice.due_date = invoice.invoice_date + timedelta(days=PAYMENT_TERMS.get(invoice.payment_terms, 0))
    invoice.number = next_number(session, "CN" if invoice.kind == "credit_note" else "INV", invoice.invoice_date.year)
    invoice.state, invoice.posted_at = "posted", utcnow()
    session.add(invoice)
    session.flush()
    activities.log(session, actor, "invoice", invoice.id, "posted", "documents.timeline.posted", number=invoice.number, amount=format_idr(invoice.total))
    activities.log(session, actor, "customer", invoice.customer_id, "invoice", "documents.timeline.posted", number=invoice.number, amount=format_idr(invoice.total))
    return invoice


def cancel_invoice(session: Session, actor: Actor, invoice_id: int) -> Invoice:
    """Only a draft can be cancelled; a posted invoice is reversed by a credit note."""
    permissions.require(session, actor, "invoices", "update")
    invoice = _invoice(session, invoice_id, actor)
    if invoice.state != "draft":
        raise DomainError("documents.error.cancel_posted")
    invoice.state = "cancelled"
    session.add(invoice)
    session.flush()
    if invoice.order_id:
        _sync_order_state(session, _order(session, invoice.order_id))
    activities.log(session, actor, "invoice", invoice.id, "cancelled", "documents.timeline.invoice_cancelled")
    return invoice


def balance_due(invoice: Invoice) -> Decimal:
    return (invoice.total - invoice.amount_paid).quantize(Decimal("0.01"))


def register_payment(session: Session, actor: Actor, invoice_id: int, data: dict) -> Payment:
    """A payment (or, on a credit note, a refund) of at most the balance due; partial payments add up."""
    permissions.require(session, actor, "invoices", "update")
    invoice = _invoice(session, invoice_id, actor)
    if invoice.state != "posted":
        raise DomainError("documents.error.not_payable")
    errors = Errors()
    due = balance_due(invoice)
    amount = errors.check("amount", parse_money, data.get("amount"), required=True)
    if amount is not None and amount <= 0:
        errors.add("amount", "documents.error.payment_positive")
    paid_on = errors.check("paid_on", parse_date, data.get("paid_on") or today().isoformat())
    if paid_on and paid_on > today():
        errors.add("paid_on", "documents.error.payment_future")
    method = str(data.get("method") or "transfer")
    if method not in PAYMENT_METHODS:
        errors.add("method", "documents.error.payment_method")
    reference = errors.check("reference", clean_text, data.get("reference"), max_length=80)
    errors.raise_if_any()
    if amount > due:
        raise DomainError("documents.error.overpaid", field="amount", due=format_idr(due))
    payment = Payment(invoice_id=invoice.id, paid_on=paid_on, amount=amount, method=method, reference=reference, user_id=actor.id)
    session.add(payment)
    invoice.amount_paid = (invoice.amount_paid + amount).quantize(Decimal("0.01"))
    if balance_due(invoice) == 0:
        invoice.state = "paid"
    session.add(invoice)
    session.flush()
    activities.log(session, actor, "invoice", invoice.id, "payment", "documents.timeline.payment", amount=format_idr(amount), due=format_idr(balance_due(invoice)))
    return payment


def create_credit_note(session: Session, actor: Actor, invoice_id: int, lang: str = "en") -> Invoice:
    """Reverse a posted (or paid) invoice in full: a posted credit note CN/YYYY/NNNN.

    The unpaid part is settled at once; what the customer already paid becomes the refund due on the
    credit note. The order can then be invoiced again.
    """
    permissions.require(session, actor, "invoices", "create")
    original = _invoice(session, invoice_id, actor)
    if original.kind != "invoice" or original.state not in ("posted", "paid"):
        raise DomainError("documents.error.credit_note_state")
    note = Invoice(
        kind="credit_note", order_id=original.order_id, customer_id=original.customer_id, reversed_invoice_id=original.id,
        invoice_date=today(), payment_terms="immediate", untaxed=original.untaxed, tax=original.tax, total=original.total,
        owner_id=actor.id, note=translate("documents.credit_note_for", lang, number=original.number), created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    for line in session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == original.id).order_by(InvoiceLine.sequence)):
        session.add(InvoiceLine(**{**line.model_dump(exclude={"id", "invoice_id"}), "invoice_id": note.id}))
    session.flush()
    post_invoice(session, actor, note.id)
    note.amount_paid = (original.total - original.amount_paid).quantize(Decimal("0.01"))
    if balance_due(note) == 0:
        note.state = "paid"
    original.state = "reversed"
    session.add_all([note, original])
    session.flush()
    if original.order_id:
        _sync_order_state(session, _order(session, original.order_id))
    activities.log(session, actor, "invoice", original.id, "reversed", "documents.timeline.reversed", number=note.number)
    return note


def customer_balance(session: Session, customer_id: int | list[int]) -> Decimal:
    """Open receivable of a customer (or of several together): posted invoices' balances minus
    refunds still due on credit notes, summed in SQL."""
    ids = customer_id if isinstance(customer_id, list) else [customer_id]
    rows = session.exec(
        select(Invoice.kind, func.coalesce(func.sum(Invoice.total - Invoice.amount_paid), 0))
        .where(Invoice.customer_id.in_(ids), Invoice.state == "posted")
        .group_by(Invoice.kind)
    ).all()
    amounts = {kind: Decimal(amount) for kind, amount in rows}
    return (amounts.get("invoice", ZERO) - amounts.get("credit_note", ZERO)).quantize(Decimal("0.01"))


# ----------------------------------------------------------------------------------------- reads


def _state_label(state: str, lang: str, kind: str = "order") -> str:
    if kind == "order" and state == "confirmed":
        return translate("documents.state.sales_order", lang)
    return translate(f"documents.state.{state}", lang)


def _order_row(o: SalesOrder, customers: dict[int, str], users: dict[int, str], lang: str) -> dict:
    return {
        "id": o.id, "number": o.number, "order_number": o.order_number or "", "state": o.state,
        "state_label": _state_label(o.state, lang), "color": STATE_COLORS.get(o.state, "gray"),
        "customer": customers.get(o.customer_id, ""), "customer_id": o.customer_id, "date": format_date(o.quote_date, lang),
        "total_label": format_idr(o.total), "owner": users.get(o.owner_id, ""),
    }


ORDER_VIEWS = {"quotations": ("draft", "sent"), "orders": ("confirmed", "invoiced"), "cancelled": ("cancelled",), "all": ORDER_STATES}


def list_orders(
    session: Session, actor: Actor, *, view: str = "quotations", search: str = "", customer_id=None, sort: str = "number",
    desc: bool = True, page: int = 1, page_size: int = 25, lang: str = "en",
) -> dict:
    filtered, order_by = _orders_query(session, actor, dict(view=view, search=search, customer_id=customer_id), sort, desc)
    at = page_of(session, filtered(select(SalesOrder.id)), page, page_size)
    rows = session.exec(filtered(select(SalesOrder)).order_by(*order_by).offset(at.offset).limit(at.size)).all()
    return at.result(_order_rows(session, rows, lang))


def _orders_query(session: Session, actor: Actor, filters: dict, sort: str, desc: bool):
    """The quotation / sales order list's filter (its view, search, customer; the sharing rule) and order."""
    permissions.require(session, actor, "quotations", "read")
    visible = permissions.visible_owner_ids(session, actor, "quotations")
    view, customer_id, text = filters.get("view", "quotations"), filters.get("customer_id"), (filters.get("search") or "").strip()

    def filtered(query):
        query = query.where(SalesOrder.state.in_(ORDER_VIEWS.get(view, ORDER_STATES)))
        clause = permissions.owner_clause(SalesOrder.owner_id, visible)
        if clause is not None:
            query = query.where(clause)
        if customer_id:
            query = query.where(SalesOrder.customer_id == int(customer_id))
        if text:
            pattern = f"%{text.lower()}%"
            query = query.where(
                func.lower(SalesOrder.number).like(pattern) | func.lower(func.coalesce(SalesOrder.order_number, "")).like(pattern)
                | SalesOrder.customer_id.in_(select(Customer.id).where(func.lower(Customer.name).like(pattern)))
            )
        return query

    column = ORDER_SORTS.get(sort, SalesOrder.id)
    order_by = [column.desc(), SalesOrder.id.desc()] if desc else [column.asc(), SalesOrder.id.asc()]
    return filtered, order_by


def _order_rows(session: Session, rows, lang: str) -> list[dict]:
    customers = {c.id: c.name for c in session.exec(select(Customer).where(Customer.id.in_({o.customer_id for o in rows})))}
    users = user_names(session, [o.owner_id for o in rows])
    return [_order_row(o, customers, users, lang) for o in rows]


def iter_orders(session: Session, actor: Actor, *, filters: dict, sort: str = "number", desc: bool = True, lang: str = "en"):
    """Every quotation / sales order the list's filters select, in its order, as list rows, read in
    batches (exports: the whole result is never in memory)."""
    filtered, order_by = _orders_query(session, actor, filters, sort, desc)
    for rows in batches(session, filtered(select(SalesOrder)).order_by(*order_by)):
        yield from _order_rows(session, rows, lang)


INVOICE_VIEWS = {"open": ("posted",), "draft": ("draft",), "paid": ("paid",), "all": ("draft", "posted", "paid", "reversed", "cancelled")}


def _invoice_row(inv: Invoice, customers: dict[int, str], lang: str) -> dict:
    overdue = inv.state == "posted" and inv.due_date is not None and inv.due_date < today()
    return {
        "id": inv.id, "number": inv.number or translate("documents.state.draft", lang), "kind": inv.kind,
        "kind_label": translate(f"documents.kind.{inv.kind}", lang), "state": inv.state,
        "state_label": _state_label(inv.state, lang, "invoice"), "color": STATE_COLORS.get(inv.state, "gray"),
        "customer": customers.get(inv.customer_id, ""), "customer_id": inv.customer_id, "date": format_date(inv.invoice_date, lang),
        "due": format_date(inv.due_date, lang), "overdue": overdue, "total_label": format_idr(inv.total),
        "balance_label": format_idr(balance_due(inv)) if inv.state == "posted" else "",
        "down_payment": inv.down_payment,
    }


def list_invoices(
    session: Session, actor: Actor, *, view: str = "all", search: str = "", customer_id=None, sort: str = "number",
    desc: bool = True, page: int = 1, page_size: int = 25, lang: str = "en",
) -> dict:
    filtered, order_by = _invoices_query(session, actor, dict(view=view, search=search, customer_id=customer_id), sort, desc)
    at = page_of(session, filtered(select(Invoice.id)), page, page_size)
    rows = session.exec(filtered(select(Invoice)).order_by(*order_by).offset(at.offset).limit(at.size)).all()
    return at.result(_invoice_rows(session, rows, lang))


def _invoices_query(session: Session, actor: Actor, filters: dict, sort: str, desc: bool):
    """The invoice list's filter (its view, search, customer; the sharing rule) and order."""
    permissions.require(session, actor, "invoices", "read")
    visible = permissions.visible_owner_ids(session, actor, "invoices")
    view, customer_id, text = filters.get("view", "all"), filters.get("customer_id"), (filters.get("search") or "").strip()

    def filtered(query):
        query = query.where(Invoice.state.in_(INVOICE_VIEWS.get(view, INVOICE_VIEWS["all"])))
        clause = permissions.owner_clause(Invoice.owner_id, visible)
        if clause is not None:
            query = query.where(clause)
        if customer_id:
            query = query.where(Invoice.customer_id == int(customer_id))
        if text:
            pattern = f"%{text.lower()}%"
            query = query.where(
                func.lower(func.coalesce(Invoice.number, "")).like(pattern)
                | Invoice.customer_id.in_(select(Customer.id).where(func.lower(Customer.name).like(pattern)))
            )
        return query

    column = INVOICE_SORTS.get(sort, Invoice.id)
    order_by = [column.desc(), Invoice.id.desc()] if desc else [column.asc(), Invoice.id.asc()]
    return filtered, order_by


def _invoice_rows(session: Session, rows, lang: str) -> list[dict]:
    customers = {c.id: c.name for c in session.exec(select(Customer).where(Customer.id.in_({i.customer_id for i in rows})))}
    return [_invoice_row(i, customers, lang) for i in rows]


def iter_invoices(session: Session, actor: Actor, *, filters: dict, sort: str = "number", desc: bool = True, lang: str = "en"):
    """Every invoice the list's filters select, in its order, as list rows, read in batches (exports)."""
    filtered, order_by = _invoices_query(session, actor, filters, sort, desc)
    for rows in batches(session, filtered(select(Invoice)).order_by(*order_by)):
        yield from _invoice_rows(session, rows, lang)


def _history(session: Session, record_type: str, record_id: int, lang: str) -> list[dict]:
    import json

    from kaktus_app.activities.models import TimelineEntry

    entries = session.exec(
        select(TimelineEntry).where(TimelineEntry.record_type == record_type, TimelineEntry.record_id == record_id).order_by(TimelineEntry.id.desc()).limit(50)
    ).all()
    users = user_names(session, [e.user_id for e in entries])
    return [
        {"when": format_datetime(e.at, lang), "text": translate(e.message_key, lang, **(json.loads(e.params) if e.params else {})), "who": users.get(e.user_id, "")}
        for e in entries
    ]


def _line_row(line, lang: str) -> dict:
    return {
        "id": line.id, "product_id": getattr(line, "product_id", None) or "", "description": line.description,
        "quantity": number_text(line.quantity), "uom": line.uom, "uom_label": translate(f"catalog.uom.{line.uom}", lang) if line.uom else "",
        "unit_price": number_text(line.unit_price), "unit_price_label": format_idr(line.unit_price),
        "discount": number_text(line.discount), "discount_label": f"{number_text(line.discount)}%" if line.discount else "",
        "tax_label": f"PPN {number_text(line.tax_rate)}%" if line.tax_rate else translate("catalog.tax_exempt", lang),
        "subtotal_label": format_idr(line.subtotal), "optional": bool(getattr(line, "optional", False)),
        "price_rule": getattr(line, "price_rule", ""),
    }


def _tax_rows(totals: Totals, lang: str) -> list[dict]:
    return [
        {"label": translate("documents.tax_line", lang, rate=number_text(rate)) if rate else translate("catalog.tax_exempt", lang), "amount": format_idr(tax)}
        for rate, _base, tax in totals.taxes
        if rate
    ]


def get_order(session: Session, actor: Actor, order_id: int, lang: str = "en") -> dict:
    """The quotation / order page's data, without the header fields the actor may not see."""
    return permissions.redact(session, actor, "quotations", _order_page(session, actor, order_id, lang))


def _order_page(session: Session, actor: Actor, order_id: int, lang: str) -> dict:
    permissions.require(session, actor, "quotations", "read")
    o = _order(session, order_id, actor)
    permissions.check_visible(session, actor, "quotations", o.owner_id)
    customer = session.get(Customer, o.customer_id)
    lines = _lines(session, o.id)
    totals = compute_totals([line for line in lines if not line.optional])
    invoices = session.exec(select(Invoice).where(Invoice.order_id == o.id).order_by(Invoice.id)).all()
    opportunity = session.get(Opportunity, o.opportunity_id) if o.opportunity_id else None
    users = user_names(session, [o.owner_id])
    from kaktus_app.catalog.models import PriceList

    price_list = session.get(PriceList, o.price_list_id) if o.price_list_id else None
    invoiced = invoiced_amount(session, o.id)
    return {
        "id": o.id, "number": o.number, "order_number": o.order_number or "", "title": o.order_number or o.number, "state": o.state,
        "state_label": _state_label(o.state, lang), "color": STATE_COLORS.get(o.state, "gray"), "editable": o.state in EDITABLE,
        "customer_id": o.customer_id, "customer_name": customer.name if customer else "", "opportunity_id": o.opportunity_id or 0,
        "opportunity_name": opportunity.name if opportunity else "", "owner_id": o.owner_id or "", "owner_name": users.get(o.owner_id, ""),
        "date": format_date(o.quote_date, lang), "validity_date": o.validity_date.isoformat() if o.validity_date else "",
        "validity_label": format_date(o.validity_date, lang), "expired": bool(o.validity_date and o.validity_date < today() and o.state in EDITABLE),
        "payment_terms": o.payment_terms, "note": o.note, "terms": o.terms, "version": o.version,
        "price_list": price_list.name if price_list else "",
        "untaxed_label": format_idr(totals.untaxed), "tax_label": format_idr(totals.tax), "total_label": format_idr(totals.total),
        "taxes": _tax_rows(totals, lang), "invoiced_label": format_idr(invoiced), "remaining_label": format_idr(o.total - invoiced),
        "can_invoice": o.state == "confirmed" and o.total - invoiced > 0,
        "lines": [_line_row(line, lang) for line in lines],
        "invoices": [_invoice_row(inv, {o.customer_id: customer.name if customer else ""}, lang) for inv in invoices],
        "history": _history(session, "sales_order", o.id, lang),
    }


def get_invoice(session: Session, actor: Actor, invoice_id: int, lang: str = "en") -> dict:
    permissions.require(session, actor, "invoices", "read")
    inv = _invoice(session, invoice_id, actor)
    permissions.check_visible(session, actor, "invoices", inv.owner_id)
    customer = session.get(Customer, inv.customer_id)
    order = session.get(SalesOrder, inv.order_id) if inv.order_id else None
    lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id).order_by(InvoiceLine.sequence)).all()
    totals = compute_totals(lines)
    payments = session.exec(select(Payment).where(Payment.invoice_id == inv.id).order_by(Payment.id)).all()
    users = user_names(session, [p.user_id for p in payments])
    reversed_by = session.exec(select(Invoice).where(Invoice.reversed_invoice_id == inv.id)).first()
    reverses = session.get(Invoice, inv.reversed_invoice_id) if inv.reversed_invoice_id else None
    row = _invoice_row(inv, {inv.customer_id: customer.name if customer else ""}, lang)
    return {
        **row,
        "title": inv.number or translate("documents.draft_invoice", lang), "order_id": inv.order_id or 0,
        "order_number": (order.order_number or order.number) if order else "", "note": inv.note,
        "untaxed_label": format_idr(totals.untaxed), "tax_label": format_idr(totals.tax), "taxes": _tax_rows(totals, lang),
        "paid_label": format_idr(inv.amount_paid), "due_amount": number_text(balance_due(inv)), "due_label": format_idr(balance_due(inv)),
        "payable": inv.state == "posted", "can_credit": inv.kind == "invoice" and inv.state in ("posted", "paid"),
        "reversed_by_id": reversed_by.id if reversed_by else 0, "reversed_by": reversed_by.number if reversed_by else "",
        "reverses_id": reverses.id if reverses else 0, "reverses": (reverses.number or "") if reverses else "",
        "lines": [_line_row(line, lang) for line in lines],
        "payments": [
            {"date": format_date(p.paid_on, lang), "amount_label": format_idr(p.amount), "method": translate(f"documents.method.{p.method}", lang), "reference": p.reference, "who": users.get(p.user_id, "")}
            for p in payments
        ],
        "history": _history(session, "invoice", inv.id, lang),
    }


def documents_for_customer(session: Session, customer_id: int, lang: str = "en") -> dict:
    """The customer's quotations, orders and invoices (its contacts' too) and its open balance."""
    ids = [customer_id, *session.exec(select(Customer.id).where(Customer.company_id == customer_id)).all()]
    orders = session.exec(select(SalesOrder).where(SalesOrder.customer_id.in_(ids)).order_by(SalesOrder.id.desc()).limit(50)).all()
    invoices = session.exec(select(Invoice).where(Invoice.customer_id.in_(ids), Invoice.state != "cancelled").order_by(Invoice.id.desc()).limit(50)).all()
    customers = {c.id: c.name for c in session.exec(select(Customer).where(Customer.id.in_(ids)))}
    balance = customer_balance(session, ids)
    return {
        "quotations": [_order_row(o, customers, {}, lang) for o in orders if o.state in ("draft", "sent")],
        "orders": [_order_row(o, customers, {}, lang) for o in orders if o.state in ("confirmed", "invoiced")],
        "invoices": [_invoice_row(i, customers, lang) for i in invoices],
        "balance_label": format_idr(balance),
        "has_balance": balance != 0,
    }


def quotations_for_opportunity(session: Session, opportunity_id: int, lang: str = "en") -> list[dict]:
    orders = session.exec(select(SalesOrder).where(SalesOrder.opportunity_id == opportunity_id).order_by(SalesOrder.id.desc())).all()
    customers = {c.id: c.name for c in session.exec(select(Customer).where(Customer.id.in_({o.customer_id for o in orders})))}
    return [_order_row(o, customers, {}, lang) for o in orders]


def order_options(session: Session) -> dict:
    """Choices for the document forms."""
    return {"payment_terms": list(PAYMENT_TERMS), "methods": list(PAYMENT_METHODS)}


# ------------------------------------------------------------------------------------------- PDF


def _customer_block(customer: Customer | None) -> dict:
    if customer is None:
        return {"name": "", "lines": [], "npwp": "", "contact": "", "phone": "", "email": ""}
    from kaktus_app.validation import format_phone

    city_line = " ".join(part for part in (customer.city, customer.postal_code) if part)
    return {
        "name": customer.name,
        "lines": [line for line in (customer.street, city_line, customer.province) if line],
        "npwp": customer.npwp, "contact": customer.person_in_charge, "phone": format_phone(customer.phone), "email": customer.email,
    }


def _company_block(session: Session) -> dict:
    s = get_settings(session)
    return {
        "name": s.company_name, "address": s.address, "phone": s.phone, "email": s.email, "npwp": s.npwp,
        "bank_name": s.bank_name, "bank_account": s.bank_account, "bank_holder": s.bank_holder,
    }


def _pdf_lines(lines, lang: str) -> list[dict]:
    return [
        {
            "description": line.description, "quantity": number_text(line.quantity).replace(".", ","),
            "uom": translate(f"catalog.uom.{line.uom}", lang) if line.uom else "", "unit_price": format_idr(line.unit_price),
            "discount": f"{number_text(line.discount)}%".replace(".", ",") if line.discount else "",
            "tax": f"PPN {number_text(line.tax_rate)}%".replace(".", ",") if line.tax_rate else "—",
            "subtotal": format_idr(line.subtotal),
        }
        for line in lines
    ]


def _pdf_totals(totals: Totals, lang: str) -> list[list[str]]:
    rows = [[translate("documents.untaxed", lang), format_idr(totals.untaxed)]]
    rows += [[row["label"], row["amount"]] for row in _tax_rows(totals, lang)]
    rows.append([translate("documents.total", lang), format_idr(totals.total)])
    return rows


def _safe_filename(number: str) -> str:
    return number.replace("/", "-") + ".pdf"


def order_pdf(session: Session, actor: Actor, order_id: int, lang: str = "id") -> tuple[str, bytes]:
    """The quotation (or, once confirmed, the sales order) as a PDF: (file name, bytes)."""
    permissions.require(session, actor, "quotations", "read")
    return order_pdf_file(session, _order(session, order_id, actor), lang)


def order_pdf_file(session: Session, o: SalesOrder, lang: str = "id") -> tuple[str, bytes]:
    """Render an order the caller has already checked the reader may see (staff: ``order_pdf``; the
    customer portal checks the order is its company's)."""
    from kaktus_app.documents.pdf import render_document
    from kaktus_app.documents.terbilang import rupiah_in_words

    lines = _lines(session, o.id)
    totals = compute_totals([line for line in lines if not line.optional])
    is_order = o.state in ("confirmed", "invoiced")
    users = user_names(session, [o.owner_id])
    meta = [[translate("documents.date", lang), format_date(o.quote_date, lang)]]
    if is_order:
        meta.insert(0, [translate("documents.quotation", lang), o.number])
    else:
        meta.append([translate("documents.validity_date", lang), format_date(o.validity_date, lang)])
    meta += [
        [translate("documents.payment_terms", lang), translate(f"documents.terms.{o.payment_terms}", lang)],
        [translate("documents.salesperson", lang), users.get(o.owner_id, "")],
    ]
    number = o.order_number if is_order else o.number
    status = "" if o.state in ("sent", "confirmed", "invoiced") else _state_label(o.state, lang)
    doc = {
        "lang": lang, "kind": "sales_order" if is_order else "quotation", "number": number, "status": status, "meta": meta,
        "company": _company_block(session), "customer": _customer_block(session.get(Customer, o.customer_id)),
        "lines": _pdf_lines([line for line in lines if not line.optional], lang),
        "optional_lines": _pdf_lines([line for line in lines if line.optional], lang),
        "totals": _pdf_totals(totals, lang), "total_in_words": rupiah_in_words(totals.total),
        "payments": [], "balance_due": "", "notes": o.note, "terms": o.terms,
    }
    return _safe_filename(number), render_document(doc)


def invoice_pdf(session: Session, actor: Actor, invoice_id: int, lang: str = "id") -> tuple[str, bytes]:
    permissions.require(session, actor, "invoices", "read")
    return invoice_pdf_file(session, _invoice(session, invoice_id, actor), lang)


def invoice_pdf_file(session: Session, inv: Invoice, lang: str = "id") -> tuple[str, bytes]:
    """Render an invoice the caller has already checked the reader may see (see ``order_pdf_file``)."""
    from kaktus_app.documents.pdf import render_document
    from kaktus_app.documents.terbilang import rupiah_in_words

    lines = list(session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id).order_by(InvoiceLine.sequence)))
    totals = compute_totals(lines)
    order = session.get(SalesOrder, inv.order_id) if inv.order_id else None
    number = inv.number or translate("documents.draft_invoice", lang)
    meta = [[translate("documents.date", lang), format_date(inv.invoice_date, lang)]]
    if inv.due_date:
        meta.append([translate("documents.due_date", lang), format_date(inv.due_date, lang)])
    if order is not None:
        meta.append([translate("documents.sales_order", lang), order.order_number or order.number])
    if inv.reversed_invoice_id:
        original = session.get(Invoice, inv.reversed_invoice_id)
        meta.append([translate("documents.reverses", lang), original.number or ""])
    payments = session.exec(select(Payment).where(Payment.invoice_id == inv.id).order_by(Payment.id)).all()
    doc = {
        "lang": lang, "kind": inv.kind, "number": number, "status": _state_label(inv.state, lang, "invoice") if inv.state in ("draft", "paid", "reversed", "cancelled") else "",
        "meta": meta, "company": _company_block(session), "customer": _customer_block(session.get(Customer, inv.customer_id)),
        "lines": _pdf_lines(lines, lang), "optional_lines": [], "totals": _pdf_totals(totals, lang),
        "total_in_words": rupiah_in_words(totals.total),
        "payments": [[format_date(p.paid_on, lang), format_idr(p.amount)] for p in payments],
        "balance_due": format_idr(balance_due(inv)) if inv.state in ("posted", "paid") else "",
        "notes": inv.note, "terms": "",
    }
    return _safe_filename(number), render_document(doc)
