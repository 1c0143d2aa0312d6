"""Catalog and documents: price-list resolution, totals, every quotation/order/invoice transition and refusal."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from kaktus_app.catalog import service as catalog
from kaktus_app.catalog.models import Product
from kaktus_app.customers import service as customers
from kaktus_app.documents import service as documents
from kaktus_app.documents.models import Invoice, SalesOrder, SalesOrderLine
from kaktus_app.errors import DomainError, PermissionDenied, ValidationError
from kaktus_app.sales import service as sales
from kaktus_app.sales.models import Stage

D = Decimal


@pytest.fixture
def shop(seeded, admin):
    """Three products, a corporate price list and a corporate customer."""
    nasi = catalog.create_product(seeded, admin, {"code": "NB-AYAM", "name": "Nasi box ayam bakar", "category": "nasi_box", "uom": "box", "sale_price": "35.000", "cost": "21.000"})
    snack = catalog.create_product(seeded, admin, {"code": "SB-01", "name": "Snack box 3 kue", "category": "snack_box", "uom": "box", "sale_price": "15.000", "cost": "8.000"})
    water = catalog.create_product(seeded, admin, {"code": "AIR", "name": "Air mineral 600 ml", "category": "beverage", "uom": "pcs", "sale_price": "4.000", "tax_rate": "0"})
    corporate = catalog.save_price_list(seeded, admin, None, {"name": "Corporate", "segment": "corporate"})
    customer = customers.create_customer(seeded, admin, {"kind": "company", "name": "PT. KITA", "segment": "corporate", "city": "Jakarta Selatan"})
    return {"nasi": nasi, "snack": snack, "water": water, "list": corporate, "customer": customer}


def _quote(session, actor, shop, **extra):
    return documents.create_quotation(session, actor, {"customer_id": shop["customer"].id, **extra})


# ------------------------------------------------------------------------------------- catalog


def test_product_validation_and_managers_only(seeded, admin, dewi, shop):
    with pytest.raises(ValidationError) as bad:
        catalog.create_product(seeded, admin, {"code": "NB AYAM", "name": "", "category": "pizza", "uom": "kg", "sale_price": "-1", "tax_rate": "120"})
    assert bad.value.errors == {
        "code": "catalog.error.code_taken", "name": "error.required", "category": "catalog.error.category_unknown",
        "uom": "catalog.error.uom_unknown", "sale_price": "error.amount_negative", "tax_rate": "error.percent_range",
    }
    with pytest.raises(PermissionDenied):
        catalog.update_product(seeded, dewi, shop["nasi"].id, {"sale_price": "1"})
    catalog.update_product(seeded, admin, shop["nasi"].id, {"sale_price": "36.000"})
    assert seeded.get(Product, shop["nasi"].id).sale_price == D("36000.00")
    assert catalog.margin(D("35000"), D("21000")) == D("40.0")


def test_price_resolution_segment_quantity_breaks_and_dates(seeded, admin, shop):
    nasi, pl = shop["nasi"], shop["list"]
    today = date(2026, 11, 24)
    catalog.add_rule(seeded, admin, pl.id, {"kind": "discount", "category": "nasi_box", "value": "5"})
    catalog.add_rule(seeded, admin, pl.id, {"kind": "discount", "product_id": nasi.id, "value": "10", "min_quantity": "100"})
    catalog.add_rule(seeded, admin, pl.id, {"kind": "fixed", "product_id": nasi.id, "value": "30.000", "min_quantity": "500", "date_from": "2026-12-01", "date_to": "2026-12-31"})
    catalog.add_rule(seeded, admin, pl.id, {"kind": "discount", "value": "2"})
    # category rule for 10 boxes, product break at 100, fixed price at 500 only in December
    assert catalog.resolve_price(seeded, nasi, D(10), pl.id, today).unit_price == D("33250.00")
    assert catalog.resolve_price(seeded, nasi, D(100), pl.id, today).unit_price == D("31500.00")
    assert catalog.resolve_price(seeded, nasi, D(600), pl.id, today).unit_price == D("31500.00")
    december = catalog.resolve_price(seeded, nasi, D(600), pl.id, date(2026, 12, 5))
    assert december.unit_price == D("30000.00") and "Corporate" in december.label and "Rp 30.000" in december.label
    # the all-products rule applies to the snack box; no list means the list price
    assert catalog.resolve_price(seeded, shop["snack"], D(1), pl.id, today).unit_price == D("14700.00")
    assert catalog.resolve_price(seeded, nasi, D(10), None, today).unit_price == D("35000.00")
    # the customer's segment picks the list; another segment falls back to the default (none here)
    assert catalog.price_list_for_customer(seeded, shop["customer"]).id == pl.id
    retail = customers.create_customer(seeded, admin, {"kind": "person", "name": "Ibu Sari", "segment": "retail"})
    assert catalog.price_list_for_customer(seeded, retail) is None


def test_rule_validation(seeded, admin, shop):
    with pytest.raises(ValidationError) as bad:
        catalog.add_rule(seeded, admin, shop["list"].id, {"kind": "discount", "value": "150", "min_quantity": "0", "date_from": "2026-12-31", "date_to": "2026-12-01"})
    assert bad.value.errors == {"value": "error.percent_range", "min_quantity": "error.quantity_positive", "date_to": "catalog.error.dates_order"}
    with pytest.raises(ValidationError) as taken:
        catalog.save_price_list(seeded, admin, None, {"name": "Corporate 2", "segment": "corporate"})
    assert taken.value.errors == {"segment": "catalog.error.segment_has_list"}


# ------------------------------------------------------------------------------------- totals


def test_line_and_document_totals_round_half_up_per_tax_rate():
    assert documents.line_subtotal(D("3"), D("33333.33"), D("0")) == D("100000.00")
    assert documents.line_subtotal(D("7"), D("15000"), D("12.5")) == D("91875.00")
    assert documents.line_subtotal(D("1"), D("0.50"), D("0")) == D("1.00")
    lines = [
        {"subtotal": D("1575000"), "tax_rate": D("11")},
        {"subtotal": D("91875"), "tax_rate": D("11")},
        {"subtotal": D("200000"), "tax_rate": D("0")},
    ]
    totals = documents.compute_totals(lines)
    assert totals.untaxed == D("1866875.00")
    assert totals.tax == D("183356.00")  # 11% of 1.666.875 = 183.356,25 -> 183.356, exempt line untaxed
    assert totals.total == D("2050231.00")


def test_quotation_lines_use_the_price_list_and_show_the_rule(seeded, admin, dewi, shop):
    catalog.add_rule(seeded, admin, shop["list"].id, {"kind": "discount", "product_id": shop["nasi"].id, "value": "10", "min_quantity": "50"})
    quote = _quote(seeded, dewi, shop)
    assert quote.number == f"QUO/{documents.today().year}/0001" and quote.state == "draft" and quote.price_list_id == shop["list"].id
    line = documents.add_line(seeded, dewi, quote.id, {"product_id": shop["nasi"].id, "quantity": "50"})
    assert line.unit_price == D("31500.00") and line.description == "Nasi box ayam bakar" and "−10%" in line.price_rule
    # lowering the quantity below the break re-prices the line
    line = documents.update_line(seeded, dewi, line.id, {"quantity": "20", "unit_price": "31500"})
    assert line.unit_price == D("35000.00") and line.price_rule == ""
    # a typed price is kept and marked manual
    line = documents.update_line(seeded, dewi, line.id, {"quantity": "20", "unit_price": "34.000", "discount": "5"})
    assert line.unit_price == D("34000.00") and line.price_rule == "Manual price" and line.subtotal == D("646000.00")
    documents.add_line(seeded, dewi, quote.id, {"product_id": shop["water"].id, "quantity": "100"})
    documents.add_line(seeded, dewi, quote.id, {"product_id": shop["snack"].id, "quantity": "20", "optional": True})
    order = seeded.get(SalesOrder, quote.id)
    assert order.untaxed == D("1046000.00") and order.tax == D("71060.00") and order.total == D("1117060.00")
    data = documents.get_order(seeded, dewi, quote.id)
    assert [row["optional"] for row in data["lines"]] == [False, False, True]
    assert data["total_label"] == "Rp 1.117.060"


def test_bad_line_input_is_refused_at_the_field_and_saves_nothing(seeded, dewi, shop):
    quote = _quote(seeded, dewi, shop)
    for values, errors in [
        ({"product_id": shop["nasi"].id, "quantity": "0"}, {"quantity": "error.quantity_positive"}),
        ({"product_id": shop["nasi"].id, "quantity": "-3"}, {"quantity": "error.quantity_positive"}),
        ({"product_id": shop["nasi"].id, "quantity": "2", "discount": "120"}, {"discount": "error.percent_range"}),
        ({"product_id": "99999", "quantity": "2"}, {"product_id": "documents.error.product_unknown"}),
        ({"product_id": "", "quantity": "abc"}, {"product_id": "documents.error.product_required", "quantity": "error.number_invalid"}),
    ]:
        with pytest.raises(ValidationError) as bad:
            documents.add_line(seeded, dewi, quote.id, values)
        assert bad.value.errors == errors
    assert seeded.exec(select(SalesOrderLine).where(SalesOrderLine.order_id == quote.id)).all() == []
    with pytest.raises(ValidationError) as bad_date:
        documents.update_quotation(seeded, dewi, quote.id, {"validity_date": "31/02/2026"})
    assert bad_date.value.errors == {"validity_date": "error.date_invalid"}
    with pytest.raises(ValidationError) as before:
        documents.update_quotation(seeded, dewi, quote.id, {"validity_date": (documents.today() - timedelta(days=1)).isoformat()})
    assert before.value.errors == {"validity_date": "documents.error.validity_before_date"}
    with pytest.raises(ValidationError) as no_customer:
        documents.create_quotation(seeded, dewi, {})
    assert no_customer.value.errors == {"customer_id": "documents.error.customer_required"}


def test_line_reorder_and_remove(seeded, dewi, shop):
    quote = _quote(seeded, dewi, shop)
    a = documents.add_line(seeded, dewi, quote.id, {"product_id": shop["nasi"].id, "quantity": "1"})
    b = documents.add_line(seeded, dewi, quote.id, {"product_id": shop["snack"].id, "quantity": "1"})
    documents.move_line(seeded, dewi, b.id, -1)
    assert [row["description"] for row in documents.get_order(seeded, dewi, quote.id)["lines"]] == ["Snack box 3 kue", "Nasi box ayam bakar"]
    documents.remove_line(seeded, dewi, a.id)
    assert seeded.get(SalesOrder, quote.id).total == D("16650.00")


# -------------------------------------------------------------------------------- transitions


def _negotiation_opportunity(session, actor, shop):
    stage = session.exec(select(Stage).where(Stage.name == "Negotiation", Stage.team_id == None)).first()  # noqa: E711
    return sales.create_opportunity(session, actor, {"name": "Catering rapat tahunan", "customer_id": shop["customer"].id, "expected_revenue": "5.000.000", "stage_id": stage.id})


def test_confirm_makes_a_sales_order_and_wins_the_opportunity(seeded, dewi, shop):
    opp = _negotiation_opportunity(seeded, dewi, shop)
    quote = documents.create_quotation(seeded, dewi, {"opportunity_id": opp.id})
    assert quote.customer_id == shop["customer"].id and opp.state == "open"
    with pytest.raises(DomainError) as empty:
        documents.confirm(seeded, dewi, quote.id)
    assert empty.value.key == "documents.error.empty"
    documents.add_line(seeded, dewi, quote.id, {"product_id": shop["nasi"].id, "quantity": "100"})
    documents.mark_sent(seeded, dewi, quote.id)
    order = documents.confirm(seeded, dewi, quote.id)
    assert order.state == "confirmed" and order.order_number == f"SO/{documents.today().year}/0001"
    seeded.refresh(opp)
    assert opp.state == "won"
    # a confirmed order is locked
    with pytest.raises(DomainError) as locked:
        documents.add_line(seeded, dewi, order.id, {"product_id": shop["snack"].id, "quantity": "1"})
    assert locked.value.key == "documents.error.locked"
    line = seeded.exec(select(SalesOrderLine).where(SalesOrderLine.order_id == order.id)).first()
    with pytest.raises(DomainError):
        documents.update_line(seeded, dewi, line.id, {"quantity": "1"})
    with pytest.raises(DomainError):
        documents.confirm(seeded, dewi, order.id)
    assert [q["number"] for q in documents.quotations_for_opportunity(seeded, opp.id)] == [order.number]


def test_won_on_creation_setting(seeded, admin, dewi, shop):
    documents.update_settings(seeded, admin, {"won_on": "create"})
    opp = _negotiation_opportunity(seeded, dewi, shop)
    documents.create_quotation(seeded, dewi, {"opportunity_id": opp.id})
    seeded.refresh(opp)
    assert opp.state == "won"
    with pytest.raises(PermissionDenied):
        documents.update_settings(seeded, dewi, {"won_on": "confirm"})


def test_expired_quotation_cannot_be_confirmed(seeded, dewi, shop):
    quote = _quote(seeded, dewi, shop)
    documents.add_line(seeded, dewi, quote.id, {"product_id": shop["nasi"].id, "quantity": "1"})
    order = seeded.get(SalesOrder, quote.id)
    order.quote_date = order.validity_date = documents.today() - timedelta(days=3)
    seeded.add(order)
    with pytest.raises(DomainError) as expired:
        documents.confirm(seeded, dewi, quote.id)
    assert expired.value.key == "documents.error.expired" and expired.value.field == "validity_date"


def _confirmed(session, actor, shop, qty="100"):
    quote = _quote(session, actor, shop)
    documents.add_line(session, actor, quote.id, {"product_id": shop["nasi"].id, "quantity": qty})
    return documents.confirm(session, actor, quote.id)


def test_invoice_in_full_then_pay_in_parts(seeded, dewi, shop):
    order = _confirmed(seeded, dewi, shop)  # 100 x 35.000 = 3.500.000 + 385.000 PPN
    assert order.total == D("3885000.00")
    invoice = documents.create_invoice(seeded, dewi, order.id, "full")
    assert invoice.state == "draft" and invoice.number is None and invoice.total == order.total
    seeded.refresh(order)
    assert order.state == "invoiced"
    with pytest.raises(DomainError) as twice:
        documents.create_invoice(seeded, dewi, order.id, "full")
    assert twice.value.key == "documents.error.fully_invoiced"
    with pytest.raises(DomainError) as unposted:
        documents.register_payment(seeded, dewi, invoice.id, {"amount": "1000"})
    assert unposted.value.key == "documents.error.not_payable"
    documents.post_invoice(seeded, dewi, invoice.id)
    assert invoice.number == f"INV/{documents.today().year}/0001" and invoice.due_date == documents.today() + timedelta(days=14)
    with pytest.raises(DomainError) as again:
        documents.post_invoice(seeded, dewi, invoice.id)
    assert again.value.key == "documents.error.transition"
    documents.register_payment(seeded, dewi, invoice.id, {"amount": "1.000.000", "method": "transfer"})
    assert invoice.state == "posted" and documents.balance_due(invoice) == D("2885000.00")
    assert documents.customer_balance(seeded, shop["customer"].id) == D("2885000.00")
    with pytest.raises(DomainError) as over:
        documents.register_payment(seeded, dewi, invoice.id, {"amount": "2.885.001"})
    assert over.value.key == "documents.error.overpaid" and over.value.field == "amount"
    with pytest.raises(ValidationError) as bad:
        documents.register_payment(seeded, dewi, invoice.id, {"amount": "0", "paid_on": (documents.today() + timedelta(days=2)).isoformat(), "method": "bitcoin"})
    assert bad.value.errors == {"amount": "documents.error.payment_positive", "paid_on": "documents.error.payment_future", "method": "documents.error.payment_method"}
    documents.register_payment(seeded, dewi, invoice.id, {"amount": "2885000"})
    assert invoice.state == "paid" and documents.customer_balance(seeded, shop["customer"].id) == 0
    with pytest.raises(DomainError):
        documents.cancel_invoice(seeded, dewi, invoice.id)


def test_down_payments_never_go_beyond_the_order(seeded, dewi, shop):
    order = _confirmed(seeded, dewi, shop)
    with pytest.raises(DomainError) as not_confirmed:
        documents.create_invoice(seeded, dewi, _quote(seeded, dewi, shop).id, "full")
    assert not_confirmed.value.key == "documents.error.not_confirmed"
    dp = documents.create_invoice(seeded, dewi, order.id, "percent", "30")
    assert dp.down_payment and dp.total == D("1165500.00")
    seeded.refresh(order)
    assert order.state == "confirmed"
    with pytest.raises(DomainError) as beyond:
        documents.create_invoice(seeded, dewi, order.id, "amount", "3.000.000")
    assert beyond.value.key == "documents.error.over_invoiced" and "Rp 2.719.500" in beyond.value.message("en")
    with pytest.raises(DomainError) as zero:
        documents.create_invoice(seeded, dewi, order.id, "percent", "0")
    assert zero.value.key == "documents.error.down_payment_positive"
    documents.post_invoice(seeded, dewi, dp.id)
    final = documents.create_invoice(seeded, dewi, order.id, "full")
    assert final.total == D("2719500.00") and not final.down_payment
    assert documents.invoiced_amount(seeded, order.id) == order.total
    seeded.refresh(order)
    assert order.state == "invoiced"
    # cancelling the final draft re-opens the order for invoicing
    documents.cancel_invoice(seeded, dewi, final.id)
    seeded.refresh(order)
    assert order.state == "confirmed"


def test_credit_note_reverses_an_invoice_and_refunds_what_was_paid(seeded, dewi, shop):
    order = _confirmed(seeded, dewi, shop, qty="10")  # 388.500
    invoice = documents.create_invoice(seeded, dewi, order.id, "full")
    with pytest.raises(DomainError) as draft:
        documents.create_credit_note(seeded, dewi, invoice.id)
    assert draft.value.key == "documents.error.credit_note_state"
    documents.post_invoice(seeded, dewi, invoice.id)
    documents.register_payment(seeded, dewi, invoice.id, {"amount": "100.000"})
    note = documents.create_credit_note(seeded, dewi, invoice.id)
    assert note.kind == "credit_note" and note.number == f"CN/{documents.today().year}/0001" and note.total == invoice.total
    assert invoice.state == "reversed" and note.state == "posted" and documents.balance_due(note) == D("100000.00")
    assert documents.customer_balance(seeded, shop["customer"].id) == D("-100000.00")
    seeded.refresh(order)
    assert order.state == "confirmed"
    documents.register_payment(seeded, dewi, note.id, {"amount": "100000", "method": "transfer"})
    assert note.state == "paid" and documents.customer_balance(seeded, shop["customer"].id) == 0
    with pytest.raises(DomainError):
        documents.create_credit_note(seeded, dewi, invoice.id)


def test_cancel_and_reset_rules(seeded, dewi, shop):
    order = _confirmed(seeded, dewi, shop, qty="1")
    invoice = documents.create_invoice(seeded, dewi, order.id, "full")
    with pytest.raises(DomainError) as has_invoices:
        documents.cancel_order(seeded, dewi, order.id)
    assert has_invoices.value.key == "documents.error.has_invoices"
    documents.cancel_invoice(seeded, dewi, invoice.id)
    documents.cancel_order(seeded, dewi, order.id)
    assert order.state == "cancelled"
    with pytest.raises(DomainError):
        documents.create_invoice(seeded, dewi, order.id, "full")
    documents.reset_to_draft(seeded, dewi, order.id)
    assert order.state == "draft" and order.order_number is None


def test_numbers_are_sequential_per_year(seeded, dewi, shop):
    numbers = [_quote(seeded, dewi, shop).number for _ in range(3)]
    year = documents.today().year
    assert numbers == [f"QUO/{year}/0001", f"QUO/{year}/0002", f"QUO/{year}/0003"]
    assert documents.next_number(seeded, "QUO", year + 1) == f"QUO/{year + 1}/0001"


def test_lists_and_customer_documents(seeded, dewi, shop):
    order = _confirmed(seeded, dewi, shop, qty="2")
    _quote(seeded, dewi, shop)
    invoice = documents.create_invoice(seeded, dewi, order.id, "full")
    documents.post_invoice(seeded, dewi, invoice.id)
    quotes = documents.list_orders(seeded, dewi, view="quotations")
    orders = documents.list_orders(seeded, dewi, view="orders", search="kita")
    assert quotes["total"] == 1 and orders["total"] == 1 and orders["rows"][0]["customer"] == "PT. KITA"
    assert documents.list_invoices(seeded, dewi, view="open")["rows"][0]["number"] == invoice.number
    docs = documents.documents_for_customer(seeded, shop["customer"].id)
    assert len(docs["quotations"]) == 1 and len(docs["orders"]) == 1 and len(docs["invoices"]) == 1
    assert docs["balance_label"] == "Rp 77.700"
    assert seeded.exec(select(Invoice)).all()[0].customer_id == shop["customer"].id


def test_purchase_order_receipt_sets_real_costs(seeded, admin, dewi, shop):
    vendor = catalog.save_vendor(seeded, admin, None, {"name": "CV. Ayam Segar", "phone": "0812-3456-7890", "city": "Bogor"})
    catalog.set_vendor_price(seeded, admin, vendor.id, {"product_id": shop["nasi"].id, "cost": "20.000"})
    po = catalog.create_purchase_order(seeded, admin, vendor.id, {})
    assert po.number == f"PO/{documents.today().year}/0001"
    with pytest.raises(DomainError) as empty:
        catalog.set_po_state(seeded, admin, po.id, "sent")
    assert empty.value.key == "catalog.error.po_empty"
    line = catalog.add_po_line(seeded, admin, po.id, {"product_id": shop["nasi"].id, "quantity": "200"})
    assert line.unit_cost == D("20000.00") and po.total == D("4000000.00")
    catalog.add_po_line(seeded, admin, po.id, {"product_id": shop["nasi"].id, "quantity": "10", "unit_cost": "19.500"})
    with pytest.raises(DomainError):
        catalog.set_po_state(seeded, admin, po.id, "received")
    catalog.set_po_state(seeded, admin, po.id, "sent")
    with pytest.raises(DomainError):
        catalog.add_po_line(seeded, admin, po.id, {"product_id": shop["nasi"].id, "quantity": "1"})
    catalog.set_po_state(seeded, admin, po.id, "received")
    seeded.refresh(shop["nasi"])
    assert shop["nasi"].cost == D("19500.00")
    with pytest.raises(PermissionDenied):
        catalog.create_purchase_order(seeded, dewi, vendor.id, {})


def test_pdfs_of_quotation_order_and_invoice(seeded, dewi, shop):
    import io

    from pypdf import PdfReader

    def text(data: bytes) -> str:
        return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())

    quote = _quote(seeded, dewi, shop)
    documents.add_line(seeded, dewi, quote.id, {"product_id": shop["nasi"].id, "quantity": "10"})
    documents.add_line(seeded, dewi, quote.id, {"product_id": shop["water"].id, "quantity": "10", "optional": True})
    name, data = documents.order_pdf(seeded, dewi, quote.id, "id")
    assert name == quote.number.replace("/", "-") + ".pdf"
    body = text(data)
    assert "PENAWARAN HARGA" in body and "PT. KITA" in body and "Rp 388.500" in body and "Air mineral 600 ml" in body
    assert "Tiga ratus delapan puluh delapan ribu lima ratus rupiah" in body
    documents.confirm(seeded, dewi, quote.id)
    assert "PESANAN PENJUALAN" in text(documents.order_pdf(seeded, dewi, quote.id, "id")[1])
    invoice = documents.create_invoice(seeded, dewi, quote.id, "full")
    documents.post_invoice(seeded, dewi, invoice.id)
    documents.register_payment(seeded, dewi, invoice.id, {"amount": "88.500"})
    name, data = documents.invoice_pdf(seeded, dewi, invoice.id, "en")
    body = text(data)
    assert name == invoice.number.replace("/", "-") + ".pdf"
    assert "INVOICE" in body and "Rp 88.500" in body and "Balance due Rp 300.000" in body


def test_product_images_are_recognised_by_content_not_name():
    import base64

    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    assert catalog.product_image_name(7, "Tumpeng Ayam.PNG", png).startswith("products/7-tumpeng-ayam-")
    for data in (b"<svg onload=alert(1)>", png + b"x" * catalog.MAX_IMAGE):
        with pytest.raises(DomainError) as bad:
            catalog.product_image_name(7, "photo.png", data)
        assert bad.value.key == "catalog.image_invalid" and bad.value.field == "image"
