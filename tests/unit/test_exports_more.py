"""List exports of My activities, products, quotations / sales orders, invoices, purchase orders and
the audit trail (CSV and XLSX): the list's filters and order, every page, the list's columns with
headers in the user's language, money as the list shows it, hidden fields and the sharing rules
applied, the export right required (the audit trail: administrators only), and the rows read from
the database in batches."""

from __future__ import annotations

import csv
import inspect
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from kaktus_app import paging
from kaktus_app.activities import service as activities
from kaktus_app.activities.models import Activity
from kaktus_app.auth import audit, permissions
from kaktus_app.auth.models import AuditLog, Profile
from kaktus_app.auth.permissions import set_sharing, update_profile
from kaktus_app.catalog import service as catalog
from kaktus_app.catalog.models import Product, PurchaseOrder, Vendor
from kaktus_app.customers import service as customers
from kaktus_app.customers.models import Customer
from kaktus_app.documents import service as documents
from kaktus_app.documents.models import Invoice, SalesOrder
from kaktus_app.errors import PermissionDenied
from kaktus_app.i18n import format_date, format_datetime, to_jakarta, utcnow
from kaktus_app.integration import service
from tests.async_run import run_async

# The columns of each list page (pages.py), in its order: (row key, English, Indonesian header).
COLUMNS = {
    "activities": [
        ("kind_label", "Type", "Jenis"), ("summary", "Summary", "Ringkasan"), ("record", "Related to", "Terkait"),
        ("due", "Due (Jakarta time)", "Jatuh tempo (WIB)"), ("assignee", "Assigned to", "Ditugaskan ke"), ("outcome", "Outcome", "Hasil"),
    ],
    "products": [
        ("code", "Code", "Kode"), ("name", "Name", "Nama"), ("category_label", "Category", "Kategori"), ("uom_label", "Unit", "Satuan"),
        ("sale_price_label", "Sale price (IDR)", "Harga jual (IDR)"), ("cost_label", "Cost (IDR)", "Biaya (IDR)"),
        ("margin_label", "Margin", "Margin"), ("tax_label", "Tax", "Pajak"),
    ],
    "quotations": [
        ("number", "Number", "Nomor"), ("order_number", "Sales order", "Pesanan penjualan"), ("customer", "Customer", "Pelanggan"),
        ("date", "Date", "Tanggal"), ("owner", "Salesperson", "Tenaga penjual"), ("total_label", "Total", "Total"), ("state_label", "Status", "Status"),
    ],
    "invoices": [
        ("number", "Number", "Nomor"), ("kind_label", "Invoice", "Faktur"), ("customer", "Customer", "Pelanggan"), ("date", "Date", "Tanggal"),
        ("due", "Due date", "Jatuh tempo"), ("total_label", "Total", "Total"), ("balance_label", "Balance due", "Sisa tagihan"),
        ("state_label", "Status", "Status"),
    ],
    "purchase_orders": [
        ("number", "Number", "Nomor"), ("vendor", "Vendor", "Pemasok"), ("date", "Date", "Tanggal"), ("total_label", "Total", "Total"),
        ("state_label", "Status", "Status"),
    ],
    # the "Changes" cell: the changed fields as the page lists them, then the detail (see _audit_changes)
    "audit": [
        ("when", "When", "Kapan"), ("who", "Who", "Siapa"), ("action_label", "Action", "Tindakan"), ("module_label", "Module", "Modul"),
        ("label", "Record", "Data"), ("changes_text", "Changes", "Perubahan"),
    ],
}


def _header(module: str, lang: str = "en", without: tuple[str, ...] = ()) -> list[str]:
    return [en if lang == "en" else id_ for key, en, id_ in COLUMNS[module] if key not in without]


def _cells(rows: list[dict], module: str, without: tuple[str, ...] = ()) -> list[list[str]]:
    """What the list page shows of its rows, column by column."""
    return [[row[key] for key, _en, _id in COLUMNS[module] if key not in without] for row in rows]


def _export(session, actor, module: str, folder, *, fmt: str = "csv", lang: str = "en", filters: dict, sort: str = "", desc: bool = False):
    """Export, read the file back: (download name, worksheet title or "", rows as lists of strings)."""
    name, stored = service.export_list(session, actor, module, filters=filters, sort=sort, desc=desc, fmt=fmt, lang=lang, folder=folder)
    path = Path(folder) / stored
    assert path.suffix == f".{fmt}" and name.endswith(f".{fmt}")
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return name, "", list(csv.reader(handle, delimiter=";"))
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    sheet = book.active
    rows = [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)]
    title = sheet.title
    book.close()
    return name, title, rows


def _restrict(session, admin, profile_key: str, rights: dict, fields: dict | None = None) -> None:
    profile = session.exec(select(Profile).where(Profile.key == profile_key)).one()
    update_profile(session, admin, profile.id, rights, fields or {})
    session.commit()
    session.info.clear()


def _named(name: str, stem: str, fmt: str) -> bool:
    """The download's name: the list's name in the user's language and the day (``produk-20261202.xlsx``)."""
    return re.fullmatch(rf"{re.escape(stem)}-\d{{8}}\.{fmt}", name) is not None


# ------------------------------------------------------------------------------------- products


@pytest.fixture
def products(seeded, admin):
    made = {}
    for code, name, category, uom, price, cost, tax in [
        ("NB-RENDANG", "Nasi box rendang", "nasi_box", "box", "42.000", "26.000", "11"),
        ("NB-AYAM", "Nasi box ayam bakar", "nasi_box", "box", "35.000", "21.000", "11"),
        ("SB-3", "Snack box 3 kue", "snack_box", "box", "18.000", "9.500", "11"),
        ("AIR", "Air mineral 600 ml", "beverage", "pcs", "4.000", "2.300", "0"),
    ]:
        made[code] = catalog.create_product(seeded, admin, {"code": code, "name": name, "category": category, "uom": uom, "sale_price": price, "cost": cost, "tax_rate": tax})
    made["NB-LAMA"] = catalog.create_product(
        seeded, admin, {"code": "NB-LAMA", "name": "Nasi box lama", "category": "nasi_box", "uom": "box", "sale_price": "30.000", "cost": "20.000", "active": False}
    )
    seeded.commit()
    return made


def test_products_export_follows_the_category_filter_and_the_order(seeded, admin, products, tmp_path):
    nasi = {"search": "", "category": "nasi_box", "active": "active"}
    name, _title, rows = _export(seeded, admin, "products", tmp_path, filters=nasi, sort="name")
    assert _named(name, "products", "csv")
    assert rows[0] == _header("products")
    assert rows[1:] == _cells(catalog.list_products(seeded, admin, category="nasi_box", sort="name")["rows"], "products")
    # the archived product and the other categories are not in the list, so not in the file
    assert [r[0] for r in rows[1:]] == ["NB-AYAM", "NB-RENDANG"]
    assert rows[1] == ["NB-AYAM", "Nasi box ayam bakar", "Nasi box", "box", "Rp 35.000", "Rp 21.000", "40,0%", "PPN 11%"]  # money as the list shows it

    _name, _title, by_price = _export(seeded, admin, "products", tmp_path, filters=nasi, sort="sale_price", desc=True)
    assert [r[0] for r in by_price[1:]] == ["NB-RENDANG", "NB-AYAM"]
    _name, _title, every = _export(seeded, admin, "products", tmp_path, filters=nasi | {"active": "all"}, sort="name")
    assert [r[0] for r in every[1:]] == ["NB-AYAM", "NB-LAMA", "NB-RENDANG"]
    _name, _title, searched = _export(seeded, admin, "products", tmp_path, filters={"search": "snack", "category": "", "active": "active"}, sort="name")
    assert [r[0] for r in searched[1:]] == ["SB-3"]
    assert seeded.exec(select(AuditLog).where(AuditLog.action == "export", AuditLog.module == "products", AuditLog.detail == "csv")).first()


def test_products_export_as_xlsx_in_indonesian(seeded, admin, products, tmp_path):
    name, title, rows = _export(seeded, admin, "products", tmp_path, fmt="xlsx", lang="id", filters={"category": "beverage", "active": "active"}, sort="name")
    assert _named(name, "produk", "xlsx") and title == "Produk"
    assert rows[0] == _header("products", "id")
    assert rows[1:] == _cells(catalog.list_products(seeded, admin, category="beverage", lang="id")["rows"], "products")
    assert rows[1] == ["AIR", "Air mineral 600 ml", "Minuman", "pcs", "Rp 4.000", "Rp 2.300", "42,5%", "Bebas pajak"]


def test_products_export_needs_the_right_and_leaves_hidden_cost_and_margin_out(seeded, admin, dewi, products, tmp_path):
    nasi = {"category": "nasi_box", "active": "active"}
    with pytest.raises(PermissionDenied):  # salespeople read the catalog; exporting it is not theirs by default
        service.export_list(seeded, dewi, "products", filters=nasi, fmt="csv", folder=tmp_path)
    _restrict(seeded, admin, "sales", {"products": ["read", "export"]}, {"products.cost": "hidden", "products.margin": "hidden"})
    for fmt in ("csv", "xlsx"):
        # sorting by the hidden cost would reveal it: the list's default order (name) instead
        _name, _title, rows = _export(seeded, dewi, "products", tmp_path, fmt=fmt, filters=nasi, sort="cost", desc=False)
        assert rows[0] == _header("products", without=("cost_label", "margin_label"))
        assert [r[0] for r in rows[1:]] == ["NB-AYAM", "NB-RENDANG"]
        assert not any("21.000" in cell or "%" in cell and "PPN" not in cell for row in rows for cell in row)
        listed = catalog.list_products(seeded, dewi, category="nasi_box")["rows"]
        assert rows[1:] == _cells(listed, "products", without=("cost_label", "margin_label"))
    # the margin shows the cost: hiding the cost hides the margin too (as on the page)
    _restrict(seeded, admin, "sales", {"products": ["read", "export"]}, {"products.cost": "hidden"})
    assert _export(seeded, dewi, "products", tmp_path, filters=nasi)[2][0] == _header("products", without=("cost_label", "margin_label"))
    _restrict(seeded, admin, "sales", {"products": ["read", "export"]}, {"products.margin": "hidden"})
    assert _export(seeded, dewi, "products", tmp_path, filters=nasi)[2][0] == _header("products", without=("margin_label",))


# ------------------------------------------------------------------------- quotations and orders


@pytest.fixture
def docs(seeded, admin, dewi, budi):
    """Dewi: a draft and a sent quotation, a confirmed order (then invoiced), a cancelled quotation;
    Budi (another team): a draft quotation."""
    nasi = catalog.create_product(seeded, admin, {"code": "NB-AYAM", "name": "Nasi box ayam bakar", "category": "nasi_box", "uom": "box", "sale_price": "35.000", "cost": "21.000"})
    kita = customers.create_customer(seeded, admin, {"kind": "company", "name": "PT. KITA", "city": "Jakarta Selatan"})
    maju = customers.create_customer(seeded, admin, {"kind": "company", "name": "CV. Maju Jaya", "city": "Bandung"})

    def quote(actor, customer, qty):
        order = documents.create_quotation(seeded, actor, {"customer_id": customer.id})
        documents.add_line(seeded, actor, order.id, {"product_id": nasi.id, "quantity": qty})
        return order

    draft = quote(dewi, kita, "10")
    sent = quote(dewi, maju, "20")
    documents.mark_sent(seeded, dewi, sent.id)
    confirmed = quote(dewi, kita, "100")
    documents.confirm(seeded, dewi, confirmed.id)
    cancelled = quote(dewi, maju, "1")
    documents.cancel_order(seeded, dewi, cancelled.id)
    budis = quote(budi, kita, "5")
    seeded.commit()
    return {"draft": draft, "sent": sent, "confirmed": confirmed, "cancelled": cancelled, "budi": budis, "kita": kita, "maju": maju, "product": nasi}


def test_quotations_export_follows_the_view_search_order_and_sharing(seeded, dewi, sari, docs, tmp_path):
    name, _title, rows = _export(seeded, dewi, "quotations", tmp_path, filters={"view": "quotations", "search": ""}, sort="number", desc=True)
    assert _named(name, "quotations-and-orders", "csv")
    assert rows[0] == _header("quotations")
    listed = documents.list_orders(seeded, dewi, view="quotations", sort="number", desc=True)["rows"]
    assert rows[1:] == _cells(listed, "quotations")
    # quotations only (no order, no cancelled one), newest number first; Budi's is not shared with Dewi's team
    assert [r[0] for r in rows[1:]] == [docs["sent"].number, docs["draft"].number]
    assert rows[1][2] == "CV. Maju Jaya" and rows[1][4:] == ["Dewi Lestari", "Rp 777.000", "Sent"]  # 20 x 35.000 + 11% PPN

    _name, _title, orders = _export(seeded, dewi, "quotations", tmp_path, filters={"view": "orders", "search": ""}, sort="number", desc=True)
    assert [r[:2] for r in orders[1:]] == [[docs["confirmed"].number, docs["confirmed"].order_number]]
    assert orders[1:] == _cells(documents.list_orders(seeded, dewi, view="orders")["rows"], "quotations")
    assert orders[1][5] == "Rp 3.885.000"
    _name, _title, searched = _export(seeded, dewi, "quotations", tmp_path, filters={"view": "all", "search": "maju"}, sort="number", desc=False)
    assert [r[0] for r in searched[1:]] == [docs["sent"].number, docs["cancelled"].number]
    # the manager sees both teams
    _name, _title, managed = _export(seeded, sari, "quotations", tmp_path, filters={"view": "quotations"}, sort="number", desc=True)
    assert [r[0] for r in managed[1:]] == [docs["budi"].number, docs["sent"].number, docs["draft"].number]


def test_quotations_export_as_xlsx_in_indonesian(seeded, dewi, docs, tmp_path):
    name, title, rows = _export(seeded, dewi, "quotations", tmp_path, fmt="xlsx", lang="id", filters={"view": "quotations"}, sort="number", desc=True)
    assert _named(name, "penawaran-dan-pesanan", "xlsx") and title == "Penawaran dan pesanan"
    assert rows[0] == _header("quotations", "id")
    assert rows[1:] == _cells(documents.list_orders(seeded, dewi, view="quotations", lang="id")["rows"], "quotations")
    assert [r[6] for r in rows[1:]] == ["Terkirim", "Draf"]


def test_quotations_export_needs_the_right_and_keeps_hidden_fields_out(seeded, admin, dewi, docs, tmp_path):
    hidden = {f"quotations.{f}": "hidden" for f in ("validity_date", "payment_terms", "note", "terms")}
    _restrict(seeded, admin, "sales", {"quotations": ["read", "export"]}, hidden)
    for fmt in ("csv", "xlsx"):
        _name, _title, rows = _export(seeded, dewi, "quotations", tmp_path, fmt=fmt, filters={"view": "all"}, sort="number", desc=True)
        # none of the hidden fields is a list column: the file has the list's columns and no validity date
        assert rows[0] == _header("quotations") and len(rows) == 5
        orders = seeded.exec(select(SalesOrder).where(SalesOrder.owner_id == dewi.id)).all()
        validity = {format_date(o.validity_date, "en") for o in orders if o.validity_date} - {format_date(o.quote_date, "en") for o in orders}
        assert validity and not any(cell in validity for row in rows for cell in row)
    _restrict(seeded, admin, "sales", {"quotations": ["read"]})
    assert documents.list_orders(seeded, dewi, view="all")["total"] == 4  # reading is still allowed
    with pytest.raises(PermissionDenied):
        service.export_list(seeded, dewi, "quotations", filters={"view": "all"}, fmt="xlsx", folder=tmp_path)


# ------------------------------------------------------------------------------------- invoices


@pytest.fixture
def invoices(seeded, dewi, budi, docs):
    """A paid, an open (partly paid) and a draft invoice of Dewi's; an open one of Budi's."""

    def order(actor, qty):
        quote = documents.create_quotation(seeded, actor, {"customer_id": docs["maju"].id})
        documents.add_line(seeded, actor, quote.id, {"product_id": docs["product"].id, "quantity": qty})
        return documents.confirm(seeded, actor, quote.id)

    paid = documents.create_invoice(seeded, dewi, docs["confirmed"].id, "full")
    documents.post_invoice(seeded, dewi, paid.id)
    documents.register_payment(seeded, dewi, paid.id, {"amount": str(paid.total)})
    open_ = documents.create_invoice(seeded, dewi, order(dewi, "10").id, "full")  # 388.500
    documents.post_invoice(seeded, dewi, open_.id)
    documents.register_payment(seeded, dewi, open_.id, {"amount": "100.000"})
    draft = documents.create_invoice(seeded, dewi, order(dewi, "2").id, "full")
    budis = documents.create_invoice(seeded, budi, order(budi, "4").id, "full")
    documents.post_invoice(seeded, budi, budis.id)
    seeded.commit()
    return {"paid": paid, "open": open_, "draft": draft, "budi": budis}


def test_invoices_export_open_versus_paid_and_the_order(seeded, sari, invoices, tmp_path):
    name, _title, rows = _export(seeded, sari, "invoices", tmp_path, filters={"view": "open", "search": ""}, sort="number", desc=True)
    assert _named(name, "invoices", "csv")
    assert rows[0] == _header("invoices")
    assert rows[1:] == _cells(documents.list_invoices(seeded, sari, view="open")["rows"], "invoices")
    assert [r[0] for r in rows[1:]] == [invoices["budi"].number, invoices["open"].number]
    assert rows[2][5:] == ["Rp 388.500", "Rp 288.500", "Posted"]  # total and balance due as the list shows them

    _name, _title, paid = _export(seeded, sari, "invoices", tmp_path, filters={"view": "paid"}, sort="number", desc=True)
    assert [r[0] for r in paid[1:]] == [invoices["paid"].number]
    assert paid[1][1] == "Invoice" and paid[1][5:] == ["Rp 3.885.000", "", "Paid"]  # a paid invoice has no balance
    _name, _title, every = _export(seeded, sari, "invoices", tmp_path, filters={"view": "all"}, sort="number", desc=False)
    assert [r[0] for r in every[1:]] == [invoices["paid"].number, invoices["open"].number, "Draft", invoices["budi"].number]
    assert every[1:] == _cells(documents.list_invoices(seeded, sari, view="all", desc=False)["rows"], "invoices")
    _name, _title, by_total = _export(seeded, sari, "invoices", tmp_path, filters={"view": "all"}, sort="total", desc=True)
    assert [r[5] for r in by_total[1:]] == ["Rp 3.885.000", "Rp 388.500", "Rp 155.400", "Rp 77.700"]


def test_invoices_export_as_xlsx_in_indonesian(seeded, sari, invoices, tmp_path):
    name, title, rows = _export(seeded, sari, "invoices", tmp_path, fmt="xlsx", lang="id", filters={"view": "all"}, sort="number", desc=True)
    assert _named(name, "faktur", "xlsx") and title == "Faktur"
    assert rows[0] == _header("invoices", "id")
    assert rows[1:] == _cells(documents.list_invoices(seeded, sari, view="all", lang="id")["rows"], "invoices")
    assert [r[7] for r in rows[1:]] == ["Terposting", "Draf", "Terposting", "Lunas"] and rows[2][0] == "Draf"


def test_invoices_export_needs_the_right_and_follows_the_sharing_rule(seeded, admin, dewi, invoices, tmp_path):
    with pytest.raises(PermissionDenied):  # salespeople read invoices; exporting them is not theirs by default
        service.export_list(seeded, dewi, "invoices", filters={"view": "all"}, fmt="csv", folder=tmp_path)
    _restrict(seeded, admin, "sales", {"invoices": ["read", "export"]})
    _name, _title, rows = _export(seeded, dewi, "invoices", tmp_path, filters={"view": "open"}, sort="number", desc=True)
    assert rows[0] == _header("invoices") and [r[0] for r in rows[1:]] == [invoices["budi"].number, invoices["open"].number]
    set_sharing(seeded, admin, "invoices", "private")  # each salesperson sees their own invoices only
    seeded.commit()
    seeded.info.clear()
    for fmt in ("csv", "xlsx"):
        _name, _title, rows = _export(seeded, dewi, "invoices", tmp_path, fmt=fmt, filters={"view": "open"}, sort="number", desc=True)
        assert [r[0] for r in rows[1:]] == [invoices["open"].number]
        assert rows[1:] == _cells(documents.list_invoices(seeded, dewi, view="open")["rows"], "invoices")


# -------------------------------------------------------------------------------- My activities


def _local(delta: timedelta) -> str:
    return to_jakarta(utcnow() + delta).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def my_activities(seeded, admin, dewi, budi):
    kita = customers.create_customer(seeded, admin, {"kind": "company", "name": "PT. KITA", "city": "Jakarta Selatan", "owner_id": str(dewi.id)})
    later = activities.schedule_activity(seeded, dewi, {"kind": "meeting", "summary": "Presentasi menu", "due_at": _local(timedelta(days=3)), "customer_id": kita.id})
    sooner = activities.schedule_activity(seeded, dewi, {"kind": "call", "summary": "Telepon follow-up", "due_at": _local(timedelta(days=2)), "customer_id": kita.id})
    late = activities.schedule_activity(seeded, dewi, {"kind": "email", "summary": "Kirim penawaran", "due_at": _local(timedelta(hours=-3)), "customer_id": kita.id})
    done = activities.schedule_activity(seeded, dewi, {"kind": "call", "summary": "Konfirmasi jumlah pax", "due_at": _local(timedelta(hours=-5)), "customer_id": kita.id})
    activities.mark_done(seeded, dewi, done.id, outcome="reached", note="Jadi 300 pax")
    activities.schedule_activity(seeded, budi, {"summary": "Budi's own", "due_at": _local(timedelta(days=2)), "customer_id": kita.id})
    seeded.commit()
    return {"later": later, "sooner": sooner, "late": late, "done": done}


def test_activities_export_follows_the_bucket_and_its_order(seeded, admin, dewi, my_activities, tmp_path):
    with pytest.raises(PermissionDenied):  # no export right on activities for salespeople by default
        service.export_list(seeded, dewi, "activities", filters={"bucket": "upcoming"}, fmt="csv", folder=tmp_path)
    _restrict(seeded, admin, "sales", {"activities": ["create", "read", "update", "delete", "export"]})
    name, _title, rows = _export(seeded, dewi, "activities", tmp_path, filters={"bucket": "upcoming"})
    assert _named(name, "activities", "csv")
    assert rows[0] == _header("activities")
    assert rows[1:] == _cells(activities.my_activities(seeded, dewi, bucket="upcoming")["rows"], "activities")
    # Dewi's own, soonest due first (Budi's is not in her list)
    assert [r[1] for r in rows[1:]] == ["Telepon follow-up", "Presentasi menu"]
    assert rows[1][0] == "Call" and rows[1][2] == "PT. KITA" and rows[1][4] == "Dewi Lestari"
    _name, _title, overdue = _export(seeded, dewi, "activities", tmp_path, filters={"bucket": "overdue"})
    assert [r[1] for r in overdue[1:]] == ["Kirim penawaran"]
    _name, _title, done = _export(seeded, dewi, "activities", tmp_path, filters={"bucket": "done"})
    assert [r[1] for r in done[1:]] == ["Konfirmasi jumlah pax"] and done[1][5] == "Reached"
    assert seeded.exec(select(AuditLog).where(AuditLog.action == "export", AuditLog.module == "activities")).first()


def test_activities_export_as_xlsx_in_indonesian_and_hidden_outcome_left_out(seeded, admin, dewi, my_activities, tmp_path):
    _restrict(seeded, admin, "sales", {"activities": ["read", "export"]})
    name, title, rows = _export(seeded, dewi, "activities", tmp_path, fmt="xlsx", lang="id", filters={"bucket": "done"})
    assert _named(name, "aktivitas", "xlsx") and title == "Aktivitas"
    assert rows[0] == _header("activities", "id")
    assert rows[1:] == _cells(activities.my_activities(seeded, dewi, bucket="done", lang="id")["rows"], "activities")
    assert rows[1][0] == "Panggilan" and rows[1][5] == "Tersambung"
    _restrict(seeded, admin, "sales", {"activities": ["read", "export"]}, {"activities.outcome": "hidden", "activities.note": "hidden"})
    for fmt in ("csv", "xlsx"):
        _name, _title, rows = _export(seeded, dewi, "activities", tmp_path, fmt=fmt, filters={"bucket": "done"})
        assert rows[0] == _header("activities", without=("outcome",))
        assert [r[1] for r in rows[1:]] == ["Konfirmasi jumlah pax"]
        assert not any(cell in ("Reached", "Jadi 300 pax") for row in rows for cell in row)


# ------------------------------------------------------------------------------ purchase orders


@pytest.fixture
def purchases(seeded, admin):
    """Four purchase orders, oldest first: received, sent, draft (no lines yet), cancelled."""
    sumber = catalog.save_vendor(seeded, admin, None, {"name": "CV. Sumber Pangan", "city": "Bogor"})
    makmur = catalog.save_vendor(seeded, admin, None, {"name": "UD. Beras Makmur"})
    beras = catalog.create_product(seeded, admin, {"code": "AIR-GALON", "name": "Air mineral galon", "category": "beverage", "uom": "pcs", "sale_price": "80.000", "cost": "60.000"})

    def order(vendor, quantity=None, cost=None, *states):
        po = catalog.create_purchase_order(seeded, admin, vendor.id, {})
        if quantity:
            catalog.add_po_line(seeded, admin, po.id, {"product_id": str(beras.id), "quantity": quantity, "unit_cost": cost})
        for state in states:
            catalog.set_po_state(seeded, admin, po.id, state)
        return po

    made = {
        "received": order(sumber, "10", "12.000", "sent", "received"),  # Rp 120.000
        "sent": order(makmur, "50", "11.500", "sent"),  # Rp 575.000
        "draft": order(sumber),
        "cancelled": order(makmur, "1", "12.000", "cancelled"),
    }
    seeded.commit()
    return made


def test_purchase_orders_export_is_the_list_newest_first(seeded, admin, purchases, tmp_path):
    name, _title, rows = _export(seeded, admin, "purchase_orders", tmp_path, filters={})
    assert _named(name, "purchase-orders", "csv")
    assert rows[0] == _header("purchase_orders")
    assert rows[1:] == _cells(catalog.list_purchase_orders(seeded, lang="en"), "purchase_orders")
    # the list's order (newest first; the list has no sort of its own, so a sort asked for changes nothing)
    numbers = [purchases[k].number for k in ("cancelled", "draft", "sent", "received")]
    assert [r[0] for r in rows[1:]] == numbers
    assert _export(seeded, admin, "purchase_orders", tmp_path, filters={}, sort="number", desc=False)[2] == rows
    today = format_date(purchases["sent"].order_date, "en")
    assert rows[3] == [purchases["sent"].number, "UD. Beras Makmur", today, "Rp 575.000", "Sent"]  # money as the list shows it
    assert [r[4] for r in rows[1:]] == ["Cancelled", "Draft", "Sent", "Received"] and rows[2][3] == "Rp 0"
    entries = seeded.exec(select(AuditLog).where(AuditLog.action == "export", AuditLog.module == "purchase_orders")).all()
    assert [(e.username, e.detail, e.record_label) for e in entries] == [("admin", "csv", "4 rows")] * 2


def test_purchase_orders_export_as_xlsx_in_indonesian(seeded, admin, purchases, tmp_path):
    name, title, rows = _export(seeded, admin, "purchase_orders", tmp_path, fmt="xlsx", lang="id", filters={})
    assert _named(name, "pesanan-pembelian", "xlsx") and title == "Pesanan pembelian"
    assert rows[0] == _header("purchase_orders", "id")
    assert rows[1:] == _cells(catalog.list_purchase_orders(seeded, lang="id"), "purchase_orders")
    assert [r[4] for r in rows[1:]] == ["Dibatalkan", "Draf", "Terkirim", "Diterima"] and rows[4][3] == "Rp 120.000"
    assert seeded.exec(select(AuditLog).where(AuditLog.action == "export", AuditLog.module == "purchase_orders", AuditLog.detail == "xlsx")).one()


def test_purchase_orders_export_needs_the_purchasing_export_right(seeded, admin, dewi, sari, purchases, tmp_path):
    for fmt in ("csv", "xlsx"):  # salespeople have no purchasing rights by default
        with pytest.raises(PermissionDenied):
            service.export_list(seeded, dewi, "purchase_orders", filters={}, fmt=fmt, folder=tmp_path / "out")
    assert not (tmp_path / "out").exists()  # refused before any file is written, and not recorded as an export
    assert not seeded.exec(select(AuditLog).where(AuditLog.action == "export")).first()
    # the sales manager has every right on purchasing
    assert _export(seeded, sari, "purchase_orders", tmp_path, filters={})[2] == _export(seeded, admin, "purchase_orders", tmp_path, filters={})[2]
    _restrict(seeded, admin, "sales", {"purchasing": ["read", "export"]})
    _name, _title, rows = _export(seeded, dewi, "purchase_orders", tmp_path, fmt="xlsx", filters={})
    assert [r[0] for r in rows[1:]] == [purchases[k].number for k in ("cancelled", "draft", "sent", "received")]
    _restrict(seeded, admin, "sales", {"purchasing": ["read", "update"]})  # reading and buying, not exporting
    with pytest.raises(PermissionDenied):
        service.export_list(seeded, dewi, "purchase_orders", filters={}, fmt="csv", folder=tmp_path)


# ---------------------------------------------------------------------------------- audit trail


def _audit_changes(row: dict) -> str:
    """The "Changes" cell as /admin/audit shows it: a line per field ("City: Bandung → Bekasi", or the
    "+ N more fields" note), then the detail."""
    lines = [c["field"] if c["old"] == c["new"] == "" else f"{c['field']}: {c['old']} → {c['new']}" for c in row["changes"]]
    return "\n".join(lines + ([row["detail"]] if row["detail"] else []))


def _trail(session, actor, lang: str = "en", **filters) -> list[list[str]]:
    """The cells of every page of the audit list for ``filters``."""
    rows, page = [], 1
    while True:
        result = audit.search(session, actor, page=page, lang=lang, **filters)
        rows += _cells([r | {"changes_text": _audit_changes(r)} for r in result["rows"]], "audit")
        if page >= result["pages"]:
            return rows
        page += 1


@pytest.fixture
def trail(seeded, dewi, budi):
    """Dewi creates PT. Sinar Jaya and moves it from Bandung to Bekasi; Budi creates CV. Lain; a
    stranger fails to log in."""
    seeded.info["actor"] = dewi
    sinar = customers.create_customer(seeded, dewi, {"kind": "company", "name": "PT. Sinar Jaya", "city": "Bandung", "phone": "022-4201234"})
    customers.update_customer(seeded, dewi, sinar.id, {**sinar.model_dump(), "city": "Bekasi"})
    seeded.info["actor"] = budi
    customers.create_customer(seeded, budi, {"kind": "company", "name": "CV. Lain"})
    seeded.info.pop("actor")
    audit.record(seeded, None, "login_failed", "auth", username="nobody", detail="unknown user")
    seeded.commit()
    return {"sinar": sinar}


def test_audit_export_follows_the_filters_and_the_order(seeded, admin, dewi, budi, trail, tmp_path):
    name, _title, rows = _export(seeded, admin, "audit", tmp_path, filters={"module": "customers"})
    assert _named(name, "audit-trail", "csv")
    assert rows[0] == _header("audit")
    assert rows[1:] == _trail(seeded, admin, module="customers")
    # newest first, who and what in words, the changed fields as the page lists them
    assert [r[1:5] for r in rows[1:]] == [
        ["budi", "Created", "Customers", "CV. Lain"], ["dewi", "Updated", "Customers", "PT. Sinar Jaya"], ["dewi", "Created", "Customers", "PT. Sinar Jaya"],
    ]
    assert "City: Bandung → Bekasi" in rows[2][5].split("\n")
    assert "City:  → Bandung" in rows[3][5].split("\n")
    assert rows[1][0] == format_datetime(seeded.exec(select(AuditLog).where(AuditLog.record_label == "CV. Lain")).one().at, "en")

    def labels(**filters):
        return [(r[2], r[4]) for r in _export(seeded, admin, "audit", tmp_path, filters=filters)[2][1:]]

    assert labels(text="sinar", action="update", module="customers", user_id=dewi.id) == [("Updated", "PT. Sinar Jaya")]
    assert labels(module="customers", user_id=str(budi.id)) == [("Created", "CV. Lain")]  # the page's select gives the id as text
    today = utcnow().date()
    assert labels(module="customers", date_from=today + timedelta(days=2)) == []
    assert len(labels(module="customers", date_from=today - timedelta(days=1), date_to=today + timedelta(days=1))) == 3
    _name, _title, failed = _export(seeded, admin, "audit", tmp_path, filters={"action": "login_failed", "text": "nobody"})
    assert [r[1:] for r in failed[1:]] == [["nobody", "Failed login", "Login", "", "unknown user"]]  # the detail in "Changes"

    # exporting the trail is in the trail, and the next export shows it
    entries = seeded.exec(select(AuditLog).where(AuditLog.action == "export", AuditLog.module == "audit").order_by(AuditLog.id)).all()
    assert len(entries) == 6 and entries[0].username == "admin" and (entries[0].detail, entries[0].record_label) == ("csv", "3 rows")
    _name, _title, exports = _export(seeded, admin, "audit", tmp_path, filters={"action": "export", "module": "audit"})
    assert len(exports) == 1 + 6 and exports[1][1:] == ["admin", "Export", "Audit trail", "1 rows", "csv"]


def test_audit_export_as_xlsx_in_indonesian(seeded, admin, trail, tmp_path):
    name, title, rows = _export(seeded, admin, "audit", tmp_path, fmt="xlsx", lang="id", filters={"module": "customers"})
    assert _named(name, "jejak-audit", "xlsx") and title == "Jejak audit"
    assert rows[0] == _header("audit", "id")
    assert rows[1:] == _trail(seeded, admin, lang="id", module="customers")
    assert [(r[2], r[3]) for r in rows[1:]] == [("Dibuat", "Pelanggan"), ("Diubah", "Pelanggan"), ("Dibuat", "Pelanggan")]
    assert "Kota: Bandung → Bekasi" in rows[2][5].split("\n")  # several lines in one cell, as on the page
    # every entry when nothing is filtered (the seeded users and stages too), every page of the list
    _name, _title, every = _export(seeded, admin, "audit", tmp_path, fmt="xlsx", lang="id", filters={})
    assert every[1:] == _trail(seeded, admin, lang="id")[1:]  # the newest entry is the first export's own
    assert every[1][2:5] == ["Ekspor", "Jejak audit", "3 baris"]


def test_audit_export_is_for_administrators_only(seeded, admin, dewi, sari, trail, tmp_path):
    # the sales manager has every right of every module: still not the audit trail (as its page)
    for actor in (dewi, sari):
        with pytest.raises(PermissionDenied):
            audit.search(seeded, actor)
        for fmt in ("csv", "xlsx"):
            with pytest.raises(PermissionDenied):
                service.export_list(seeded, actor, "audit", filters={}, fmt=fmt, folder=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not seeded.exec(select(AuditLog).where(AuditLog.action == "export")).first()
    # the other exports keep their module's export right
    with pytest.raises(PermissionDenied):
        service.export_list(seeded, dewi, "products", filters={}, fmt="csv", folder=tmp_path)
    assert _export(seeded, dewi, "customers", tmp_path, filters={})[2][0][0] == "Name"


def _auth_state(actor, perm_can: dict):
    from reflex.state import State

    from kaktus_app.auth.state import AuthState

    root = State(_reflex_internal_init=True)
    auth = root.get_substate(AuthState.get_full_name().split("."))
    auth._actor, auth.user_id, auth.user_role, auth.perm_can = actor, actor.id, actor.role, perm_can
    return root, auth


def test_the_export_buttons_show_for_the_purchasing_export_right_and_the_audit_trail_for_admins(seeded, admin, dewi, sari):
    def shown(actor) -> set[str]:
        seeded.info.clear()
        return set(_auth_state(actor, permissions.client_view(seeded, actor)["can"])[1].export_modules)

    assert {"purchase_orders", "audit", "products", "invoices"} <= shown(admin)
    assert "purchase_orders" in shown(sari) and "audit" not in shown(sari)
    assert {"purchase_orders", "audit", "products"}.isdisjoint(shown(dewi)) and "customers" in shown(dewi)
    _restrict(seeded, admin, "sales", {"purchasing": ["read", "export"], "customers": ["read", "export"]})
    assert "purchase_orders" in shown(dewi) and "audit" not in shown(dewi)


def test_the_list_states_export_their_own_list(seeded, admin, purchases, trail, tmp_path, monkeypatch):
    """The page's "Export": the purchase order list, and the audit trail with the page's filters."""

    from kaktus_app.auth.state import AuditState
    from kaktus_app.catalog.state import PurchaseOrdersState

    monkeypatch.setenv("REFLEX_UPLOADED_FILES_DIR", str(tmp_path))
    root, _auth = _auth_state(admin, permissions.client_view(seeded, admin)["can"])
    seeded.commit()

    def read(download) -> list[list[str]]:
        stored = re.search(r"exports/([\w-]+\.csv)", str(download)).group(1)
        with (tmp_path / "exports" / stored).open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.reader(handle, delimiter=";"))

    async def scenario():
        orders = root.get_substate(PurchaseOrdersState.get_full_name().split("."))
        assert orders.EXPORT_MODULE == "purchase_orders"
        rows = read(await PurchaseOrdersState.export.fn(orders, "csv"))
        assert rows[0] == _header("purchase_orders") and [r[0] for r in rows[1:]] == [purchases[k].number for k in ("cancelled", "draft", "sent", "received")]

        state = root.get_substate(AuditState.get_full_name().split("."))
        state.module, state.action, state.text = "customers", "create", "sinar"
        state.date_from, state.date_to = utcnow().date().isoformat(), "not a date"  # as the list: a bad date is no filter
        rows = read(await AuditState.export.fn(state, "csv"))
        assert rows[0] == _header("audit") and [(r[2], r[4]) for r in rows[1:]] == [("Created", "PT. Sinar Jaya")]

    run_async(scenario())


# ------------------------------------------------------------------------------ batches


def _bulk(session, admin, module: str, count: int) -> tuple[dict, str, bool, list[str]]:
    """``count`` rows for one list, stored directly; returns (filters, sort, desc, the first column in the list's order)."""
    today = documents.today()
    customer = Customer(name="PT. Borongan", name_norm="borongan", owner_id=admin.id)
    session.add(customer)
    session.flush()
    if module == "products":
        session.add_all(
            Product(code=f"BLK-{i:04d}", name=f"Produk borongan {i:04d}", category="snack_box", sale_price=Decimal(1000 + i), cost=Decimal(500))
            for i in range(count)
        )
        expected = ([f"BLK-{i:04d}" for i in range(count)], {"category": "snack_box", "active": "active"}, "name", False)
    elif module == "activities":
        now = utcnow()
        session.add_all(
            Activity(kind="task", summary=f"Tugas {i:04d}", due_at=now + timedelta(days=2, minutes=i), assignee_id=admin.id, customer_id=customer.id, created_at=now)
            for i in range(count)
        )
        expected = (["To-do"] * count, {"bucket": "upcoming"}, "", False)
    elif module == "quotations":
        session.add_all(
            SalesOrder(number=f"QUO/BLK/{i:04d}", state="draft", customer_id=customer.id, owner_id=admin.id, quote_date=today, total=Decimal(1000 * (i + 1)))
            for i in range(count)
        )
        expected = ([f"QUO/BLK/{i:04d}" for i in reversed(range(count))], {"view": "quotations"}, "number", True)
    elif module == "purchase_orders":  # more than the 100 newest the page shows: the export has them all
        vendor = Vendor(name="CV. Borongan")
        session.add(vendor)
        session.flush()
        session.add_all(PurchaseOrder(number=f"PO/BLK/{i:04d}", vendor_id=vendor.id, order_date=today, total=Decimal(1000 * (i + 1))) for i in range(count))
        expected = ([f"PO/BLK/{i:04d}" for i in reversed(range(count))], {}, "", False)
    elif module == "audit":
        start = utcnow() - timedelta(days=1)
        session.add_all(AuditLog(at=start + timedelta(minutes=i), action="login", module="auth", username="dewi", record_label=f"Borongan {i:04d}") for i in range(count))
        whens = [format_datetime(start + timedelta(minutes=i), "en") for i in range(count)]
        expected = (whens[::-1], {"action": "login", "text": "borongan"}, "", False)
    else:
        session.add_all(
            Invoice(number=f"INV/BLK/{i:04d}", state="posted", customer_id=customer.id, owner_id=admin.id, invoice_date=today, due_date=today + timedelta(days=14), total=Decimal(1000 * (i + 1)))
            for i in range(count)
        )
        expected = ([f"INV/BLK/{i:04d}" for i in reversed(range(count))], {"view": "open"}, "number", True)
    session.commit()
    first, filters, sort, desc = expected
    return filters, sort, desc, first


@pytest.mark.parametrize(
    ("module", "package"),
    [
        ("activities", "activities.service"), ("products", "catalog.service"), ("quotations", "documents.service"),
        ("invoices", "documents.service"), ("purchase_orders", "catalog.service"), ("audit", "auth.audit"),
    ],
)
def test_exports_read_in_batches_and_write_every_row(seeded, admin, module, package, tmp_path, monkeypatch):
    """More rows than one batch of paging.batches (and than a list page): every one, once, in the list's order."""
    size = inspect.signature(paging.batches).parameters["size"].default
    count = size + 23
    filters, sort, desc, first_column = _bulk(seeded, admin, module, count)
    seen: list[int] = []
    original = paging.batches

    def counting(session, query, size=size):
        for chunk in original(session, query, size):
            seen.append(len(chunk))
            yield chunk

    monkeypatch.setattr(f"kaktus_app.{package}.batches", counting)
    # the rows come as the batches are read: the first row is there after one batch, not the whole result
    rows = service.EXPORTS[module][1](seeded, admin, filters, sort, desc, "en")
    next(rows)
    assert seen == [size]
    assert sum(1 for _ in rows) == count - 1 and seen == [size, count - size]
    for fmt in ("csv", "xlsx"):
        seen.clear()
        _name, _title, exported = _export(seeded, admin, module, tmp_path, fmt=fmt, filters=filters, sort=sort, desc=desc)
        assert seen == [size, count - size]
        assert len(exported) - 1 == count
        assert [r[0] for r in exported[1:]] == first_column
    if module == "activities":
        summaries = [r[1] for r in exported[1:]]
        assert summaries == [f"Tugas {i:04d}" for i in range(count)]  # soonest due first, none twice
