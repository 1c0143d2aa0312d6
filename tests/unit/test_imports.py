"""Imports from real CSV / XLSX files (tests/unit/fixtures/imports): detection of encoding and
separator, suggested mappings from other CRMs' column names, Indonesian numbers and dates, per-row
errors that never stop the others, duplicates (skip / update / create), dry runs that store nothing,
the error report, undo, permissions, and the export → import round trip."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from kaktus_app.auth.models import AuditLog
from kaktus_app.catalog.models import Product
from kaktus_app.customers import service as customers
from kaktus_app.customers.models import Customer
from kaktus_app.errors import DomainError, PermissionDenied
from kaktus_app.helpdesk.models import Ticket
from kaktus_app.imports import service
from kaktus_app.imports.models import ImportRecord
from kaktus_app.integration import service as integration
from kaktus_app.leads.models import Lead
from kaktus_app.sales import service as sales
from kaktus_app.sales.models import Opportunity, Stage
from kaktus_app.validation import FieldError

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


@pytest.fixture
def folder(tmp_path) -> Path:
    return tmp_path / "imports"


def _upload(session, actor, module, name, folder, data: bytes | None = None):
    job = service.upload(session, actor, module, name, data if data is not None else (FIXTURES / name).read_bytes(), folder=folder)
    session.commit()
    return job


def _run(session, actor, job, folder, *, dry_run=False, on_duplicate=None, match_on=None, mapping=None):
    if on_duplicate or match_on is not None or mapping is not None:
        service.set_options(
            session, actor, job.id, mapping=mapping if mapping is not None else json.loads(job.mapping),
            match_on=match_on if match_on is not None else job.match_on.split(","), on_duplicate=on_duplicate or job.on_duplicate,
        )
        session.commit()
    return service.run_job(session, actor, job.id, dry_run=dry_run, folder=folder)


def _messages(session, actor, job) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for row in service.issues(session, actor, job.id)["rows"]:
        out.setdefault(row["row"], []).append(f"{row['field']}: {row['message']}")
    return out


def test_upload_detects_bom_semicolons_and_maps_indonesian_headers(seeded, admin, folder):
    job = _upload(seeded, admin, "customers", "customers_id.csv", folder)
    assert (job.encoding, job.delimiter, job.total_rows) == ("utf-8-sig", ";", 8)
    view = service.preview(seeded, admin, job.id, folder=folder)
    mapped = {c["name"]: c["field"] for c in view["columns"]}
    assert mapped["Nama Perusahaan"] == "name" and mapped["Telepon"] == "phone" and mapped["Pemilik"] == "owner_id"
    assert mapped["Kode Pos"] == "postal_code" and mapped["Segmen"] == "segment" and mapped["Catatan"] == "notes"
    assert view["columns"][0]["samples"][0] == "PT. Sinar Boga Nusantara"  # the BOM is not part of the first header or value
    assert len(view["rows"]) == service.PREVIEW_ROWS


def test_other_crms_column_names_are_suggested():
    odoo = service.suggest_mapping("customers", ["Name", "Email", "Phone", "Mobile", "Street", "City", "State", "Zip", "Salesperson", "Tags", "Tax ID"])
    assert set(odoo.values()) == {"name", "email", "phone", "mobile", "street", "city", "province", "postal_code", "owner_id", "tags", "npwp"}
    salesforce = service.suggest_mapping("leads", ["Lead Name", "Company", "Email Address", "Mobile Phone", "Lead Source", "Annual Revenue", "Lead Owner"])
    assert set(salesforce.values()) == {"title", "company_name", "email", "phone", "source", "expected_revenue", "owner_id"}
    hubspot = service.suggest_mapping("opportunities", ["Deal Name", "Amount", "Close Date", "Deal Stage", "Deal owner"])
    assert set(hubspot.values()) == {"name", "expected_revenue", "expected_closing", "stage_id", "owner_id"}
    suite = service.suggest_mapping("customers", ["Account Name", "Office Phone", "Billing City", "Billing State", "Assigned to", "Email Address"])
    assert set(suite.values()) == {"name", "phone", "city", "province", "owner_id", "email"}


def test_dry_run_reports_every_bad_row_and_stores_nothing(seeded, admin, folder):
    job = _upload(seeded, admin, "customers", "customers_id.csv", folder)
    summary = _run(seeded, admin, job, folder, dry_run=True)
    assert summary["status"] == "checked" and summary["dry_run"]
    assert (summary["created"], summary["skipped"], summary["failed"]) == (3, 1, 4)
    assert seeded.exec(select(Customer)).all() == []
    messages = _messages(seeded, admin, job)
    assert messages[3] == ["Email: Not a valid email address."]
    assert "Skipped: the same record appears earlier in the file" in messages[5][0]
    assert messages[6][0].startswith("Postal code:")
    assert messages[7] == ['Owner: No user "rahasia".']
    assert messages[8][0].startswith("Name:")


def test_import_keeps_going_after_bad_rows_and_normalises_values(seeded, admin, dewi, budi, folder):
    job = _upload(seeded, admin, "customers", "customers_id.csv", folder)
    summary = _run(seeded, admin, job, folder)
    assert summary["status"] == "done" and (summary["created"], summary["failed"], summary["skipped"]) == (3, 4, 1)
    sinar = seeded.exec(select(Customer).where(Customer.email == "pengadaan@sinarboga.co.id")).one()
    assert sinar.phone == "+62215551234" and sinar.segment == "corporate" and sinar.owner_id == dewi.id
    assert sinar.tags == ",katering kantor,vip," and sinar.postal_code == "12930" and sinar.notes == "Pesan nasi box tiap Jumat"
    assert sinar.latitude is not None and sinar.geo_source == "gazetteer"  # placed on the map from its city
    bekasi = seeded.exec(select(Customer).where(Customer.city == "Bekasi")).one()
    assert bekasi.segment == "government" and bekasi.owner_id == budi.id and bekasi.kind == "company"
    assert seeded.exec(select(Customer).where(Customer.segment == "healthcare")).one().name == "RS Sehat Sentosa"
    # each record is in the audit trail and on its timeline; the import itself is audited
    assert seeded.exec(select(AuditLog).where(AuditLog.action == "create", AuditLog.module == "customers")).all().__len__() == 3
    entry = seeded.exec(select(AuditLog).where(AuditLog.action == "import")).one()
    assert "customers_id.csv" in entry.record_label
    from kaktus_app.activities.models import TimelineEntry

    line = seeded.exec(select(TimelineEntry).where(TimelineEntry.record_type == "customer", TimelineEntry.record_id == sinar.id)).one()
    assert line.message_key == "customers.timeline.created" and line.user_id == admin.id
    with pytest.raises(DomainError):
        _run(seeded, admin, job, folder)  # a finished import does not run twice


def test_duplicates_skip_update_or_create(seeded, admin, dewi, folder):
    existing = customers.create_customer(seeded, admin, {"name": "RS Sehat Sentosa Surabaya", "email": "humas@rssehat.co.id", "city": "Surabaya", "notes": "lama"})
    seeded.commit()
    skip = _upload(seeded, admin, "customers", "customers_id.csv", folder)
    assert _run(seeded, admin, skip, folder)["skipped"] == 2  # the in-file duplicate and the known e-mail
    assert "Skipped: a record with the same values already exists" in " ".join(sum(_messages(seeded, admin, skip).values(), []))
    service.undo(seeded, admin, skip.id)

    update = _upload(seeded, admin, "customers", "customers_id.csv", folder)
    summary = _run(seeded, admin, update, folder, on_duplicate="update")
    assert summary["updated"] == 2 and summary["created"] == 2
    seeded.refresh(existing)
    assert existing.segment == "healthcare" and existing.tags == ",langganan,rumah sakit," and existing.name == "RS Sehat Sentosa"
    sinar = seeded.exec(select(Customer).where(Customer.name_norm == "sinar boga nusantara")).all()
    assert len(sinar) == 1 and sinar[0].email == "procurement@sinarboga.co.id"  # the second row updated the first
    service.undo(seeded, admin, update.id)
    seeded.refresh(existing)
    assert (existing.name, existing.segment, existing.notes) == ("RS Sehat Sentosa Surabaya", "", "lama")  # previous values back

    create = _upload(seeded, admin, "customers", "customers_id.csv", folder)
    assert _run(seeded, admin, create, folder, on_duplicate="create")["created"] == 4
    assert len(seeded.exec(select(Customer).where(Customer.name_norm == "sinar boga nusantara")).all()) == 2


def test_match_on_can_be_narrowed(seeded, admin, folder):
    customers.create_customer(seeded, admin, {"name": "Hotel Lain", "email": "humas@rssehat.co.id"})
    seeded.commit()
    job = _upload(seeded, admin, "customers", "customers_id.csv", folder)
    summary = _run(seeded, admin, job, folder, match_on=["name"])  # the e-mail is not compared now
    assert summary["skipped"] == 1 and summary["created"] == 3


def test_undo_deletes_what_was_created_but_keeps_records_in_use(seeded, admin, folder):
    job = _upload(seeded, admin, "customers", "customers_id.csv", folder)
    _run(seeded, admin, job, folder)
    sinar = seeded.exec(select(Customer).where(Customer.email == "pengadaan@sinarboga.co.id")).one()
    sales.create_opportunity(seeded, admin, {"name": "Prasmanan HUT", "customer_id": str(sinar.id), "expected_revenue": "45000000"})
    seeded.commit()
    counts = service.undo(seeded, admin, job.id)
    assert counts == {"deleted": 2, "restored": 0, "kept": 1}
    assert [c.name for c in seeded.exec(select(Customer))] == ["PT. Sinar Boga Nusantara"]
    assert service.progress_of(seeded, admin, job.id)["status"] == "undone"
    with pytest.raises(DomainError):
        service.undo(seeded, admin, job.id)  # once


def test_leads_from_an_excel_file_with_numbers_dates_and_indonesian_amounts(seeded, admin, budi, dewi, folder):
    job = _upload(seeded, admin, "leads", "leads_salesforce.xlsx", folder)
    assert job.file_format == "xlsx" and job.total_rows == 4  # the blank row is not a row
    summary = _run(seeded, admin, job, folder)
    assert (summary["created"], summary["failed"], summary["skipped"]) == (2, 1, 1)
    wedding = seeded.exec(select(Lead).where(Lead.email == "rina.wijaya@gmail.com")).one()
    assert wedding.expected_revenue == Decimal("75000000.00") and wedding.source == "referral" and wedding.owner_id == budi.id
    assert wedding.phone == "+6281322223333" and wedding.company_name == "Keluarga Wijaya"
    factory = seeded.exec(select(Lead).where(Lead.title == "Makan siang pabrik")).one()
    assert factory.expected_revenue == Decimal("1500000.00") and factory.source == "trade_show" and factory.owner_id == dewi.id
    messages = _messages(seeded, admin, job)
    assert messages[4] == ['Source: "Televisi" is not one of the choices.', "Email: Not a valid email address."]  # every problem of the row at once
    assert "earlier in the file" in messages[6][0]  # the same e-mail in other letters


def test_opportunities_from_vtiger_windows_1252_with_stages_and_dates(seeded, admin, dewi, folder):
    customers.create_customer(seeded, admin, {"name": "PT Sinar Boga Nusantara", "city": "Jakarta Selatan"})
    customers.create_customer(seeded, admin, {"name": "RS Sehat Sentosa", "city": "Surabaya"})
    seeded.commit()
    job = _upload(seeded, admin, "opportunities", "opportunities_vtiger.csv", folder)
    assert (job.encoding, job.delimiter) == ("cp1252", ",")
    summary = _run(seeded, admin, job, folder)
    assert (summary["created"], summary["failed"]) == (2, 2)
    party = seeded.exec(select(Opportunity).where(Opportunity.name == "Prasmanan HUT perusahaan")).one()
    assert party.expected_revenue == Decimal("45000000.00") and str(party.expected_closing) == "2027-01-15" and party.probability == 40
    assert seeded.get(Stage, party.stage_id).name == "Proposition" and party.owner_id == dewi.id and party.memo == "Café & dessert corner"
    coffee = seeded.exec(select(Opportunity).where(Opportunity.name == "Coffee break seminar")).one()
    assert coffee.expected_revenue == Decimal("3750000.00") and seeded.get(Stage, coffee.stage_id).name == "Negotiation"
    messages = _messages(seeded, admin, job)
    assert messages[3] == ["Expected closing: Not a valid date."]  # 31/02/2027
    assert messages[4] == ['Customer: No customer "Perusahaan Tidak Ada".']


def test_products_tab_separated_with_rupiah_prices(seeded, admin, folder):
    job = _upload(seeded, admin, "products", "products_odoo.tsv.csv", folder)
    assert job.delimiter == "\t"
    summary = _run(seeded, admin, job, folder)
    assert (summary["created"], summary["failed"]) == (2, 2)
    box = seeded.exec(select(Product).where(Product.code == "NB-AYAM-01")).one()
    assert (box.sale_price, box.cost, box.tax_rate, box.category, box.active) == (Decimal("35000.00"), Decimal("21000.00"), Decimal("11.00"), "nasi_box", True)
    assert seeded.exec(select(Product).where(Product.code == "SB-KUE-02")).one().sale_price == Decimal("18500.00")
    messages = _messages(seeded, admin, job)
    assert messages[4] == ['Unit: "kilogram" is not one of the choices.']
    assert messages[5] == ["Sale price (IDR): Not a valid number."]
    # the same file again: codes are always matched, so nothing is doubled
    again = _upload(seeded, admin, "products", "products_odoo.tsv.csv", folder)
    assert _run(seeded, admin, again, folder, on_duplicate="update")["updated"] == 2
    assert len(seeded.exec(select(Product)).all()) == 2


def test_tickets_find_their_customer_and_translated_choices(seeded, admin, folder):
    customers.create_customer(seeded, admin, {"name": "RS Sehat Sentosa", "city": "Surabaya"})
    customers.create_customer(seeded, admin, {"name": "PT Sinar Boga Nusantara", "city": "Jakarta Selatan"})
    seeded.commit()
    job = _upload(seeded, admin, "tickets", "tickets.csv", folder)
    assert service.preview(seeded, admin, job.id, folder=folder)["match_keys"] == []
    summary = _run(seeded, admin, job, folder)
    assert (summary["created"], summary["failed"]) == (2, 1)
    late = seeded.exec(select(Ticket).where(Ticket.title == "Nasi box terlambat 30 menit")).one()
    assert (late.category, late.priority, late.channel) == ("delivery", "high", "email") and late.number.startswith("TK-")
    assert seeded.get(Customer, late.company_id).name == "RS Sehat Sentosa"
    assert 4 in _messages(seeded, admin, job)


def test_error_report_lists_each_problem_with_the_original_row(seeded, admin, folder, tmp_path):
    job = _upload(seeded, admin, "customers", "customers_id.csv", folder)
    _run(seeded, admin, job, folder, dry_run=True)
    name, stored = service.error_report(seeded, admin, job.id, lang="id", folder=tmp_path / "exports", source=folder)
    assert name == "customers_id-laporan.csv"
    with (tmp_path / "exports" / stored).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0][:4] == ["Baris", "Kolom", "Masalah", "Nama Perusahaan"]
    assert rows[1][:3] == ["3", "Email", "Alamat email tidak valid."] and rows[4][:3] == ["7", "Pemilik", 'Tidak ada pengguna "rahasia".']
    assert rows[1][3] == "CV Rasa Priangan" and len(rows) == 6


def test_bad_files_and_mappings_get_clear_messages(seeded, admin, folder):
    cases = [
        ("old.xls", b"\xd0\xcf\x11\xe0", "imports.error.format"),
        ("empty.csv", b"", "imports.error.empty"),
        ("header.csv", b"Name;Email\r\n", "imports.error.no_rows"),
        ("fake.xlsx", b"this is no spreadsheet", "imports.error.unreadable"),
    ]
    for name, data, key in cases:
        with pytest.raises(DomainError) as caught:
            service.upload(seeded, admin, "customers", name, data, folder=folder)
        assert caught.value.key == key and caught.value.field == "file"
    job = _upload(seeded, admin, "customers", "customers_id.csv", folder)
    with pytest.raises(DomainError) as caught:
        service.set_options(seeded, admin, job.id, mapping={"1": "email"}, match_on=["email"], on_duplicate="skip")
    assert caught.value.key == "imports.error.required_unmapped" and "Name" in caught.value.message("en")
    with pytest.raises(DomainError) as caught:
        service.set_options(seeded, admin, job.id, mapping={"0": "name", "1": "email", "2": "email"}, match_on=[], on_duplicate="skip")
    assert caught.value.key == "imports.error.mapped_twice"
    assert [p.name for p in folder.iterdir()] == [job.stored_name]  # refused uploads leave no file behind


def test_permissions(seeded, admin, dewi, sari, folder):
    with pytest.raises(PermissionDenied):
        service.upload(seeded, dewi, "customers", "customers_id.csv", (FIXTURES / "customers_id.csv").read_bytes(), folder=folder)
    assert service.importable_modules(seeded, dewi) == []
    assert "customers" in service.importable_modules(seeded, sari)
    job = _upload(seeded, admin, "customers", "customers_id.csv", folder)
    with pytest.raises(DomainError):
        service.preview(seeded, dewi, job.id, folder=folder)  # another user's import is not found
    assert [h["id"] for h in service.history(seeded, admin)] == [job.id]
    assert service.history(seeded, sari) == []


def test_export_then_import_keeps_every_exported_field(seeded, admin, dewi, budi, folder, tmp_path):
    customers.create_customer(seeded, admin, {"name": "PT Kita Jaya", "kind": "company", "segment": "corporate", "city": "Jakarta Pusat", "email": "info@kitajaya.co.id", "phone": "021-4200001", "owner_id": str(dewi.id), "tags": "vip, pabrik"})
    customers.create_customer(seeded, admin, {"name": "Yeyen Handayani", "kind": "person", "segment": "retail", "city": "Bandung", "email": "yeyen@mail.id", "phone": "0812-3456-7890", "owner_id": str(budi.id), "tags": ""})
    seeded.commit()

    def snapshot():
        return sorted((c.name, c.kind, c.segment, c.city, c.email, c.phone, c.owner_id, c.tags) for c in seeded.exec(select(Customer)))

    before = snapshot()
    for lang in ("en", "id"):
        _name, stored = integration.export_list(seeded, admin, "customers", filters={}, fmt="csv", lang=lang, folder=tmp_path / "exports")
        for c in seeded.exec(select(Customer)).all():
            customers.delete_customer(seeded, admin, c.id)
        seeded.commit()
        job = _upload(seeded, admin, "customers", "export.csv", folder, (tmp_path / "exports" / stored).read_bytes())
        mapped = set(json.loads(job.mapping).values())
        assert {"name", "kind", "segment", "city", "email", "phone", "owner_id", "tags"} <= mapped
        summary = _run(seeded, admin, job, folder)
        assert summary["failed"] == 0 and summary["created"] == 2
        assert snapshot() == before

    _name, stored = integration.export_list(seeded, admin, "customers", filters={}, fmt="xlsx", lang="id", folder=tmp_path / "exports")
    job = _upload(seeded, admin, "customers", "export.xlsx", folder, (tmp_path / "exports" / stored).read_bytes())
    assert _run(seeded, admin, job, folder)["skipped"] == 2  # the same records: recognised as duplicates


def test_leads_export_round_trip(seeded, admin, dewi, folder, tmp_path):
    from kaktus_app.leads import service as leads

    leads.create_lead(seeded, admin, {"title": "Katering kantor", "company_name": "PT Maju", "source": "trade_show", "expected_revenue": "12.500.000", "owner_id": str(dewi.id)})
    seeded.commit()
    before = [(x.title, x.company_name, x.source, x.expected_revenue, x.owner_id) for x in seeded.exec(select(Lead))]
    _name, stored = integration.export_list(seeded, admin, "leads", filters={}, fmt="xlsx", lang="id", folder=tmp_path / "exports")
    for lead in seeded.exec(select(Lead)).all():
        leads.delete_lead(seeded, admin, lead.id)
    seeded.commit()
    job = _upload(seeded, admin, "leads", "prospek.xlsx", folder, (tmp_path / "exports" / stored).read_bytes())
    assert _run(seeded, admin, job, folder)["created"] == 1
    assert [(x.title, x.company_name, x.source, x.expected_revenue, x.owner_id) for x in seeded.exec(select(Lead))] == before


def test_a_chunk_with_a_row_the_database_refuses_keeps_the_others(seeded, admin, folder, monkeypatch):
    """When the bulk insert of a chunk fails, the rows go one by one and only the faulty one is refused."""
    real = service._insert
    calls = []

    def flaky(session, actor, module, rows):
        calls.append(len(rows))
        if any(r["name"] == "Dinas Pendidikan Kota Bekasi" for r in rows):
            raise RuntimeError("disk full")
        return real(session, actor, module, rows)

    monkeypatch.setattr(service, "_insert", flaky)
    job = _upload(seeded, admin, "customers", "customers_id.csv", folder)
    summary = _run(seeded, admin, job, folder)
    assert calls[0] == 3 and summary["created"] == 2 and summary["failed"] == 5
    assert "disk full" in " ".join(_messages(seeded, admin, job)[4])
    assert len(seeded.exec(select(ImportRecord).where(ImportRecord.job_id == job.id)).all()) == 2


def test_many_rows_go_in_chunks_with_progress(seeded, admin, folder):
    lines = ["Name,Email,City"] + [f"PT Contoh {i},c{i}@contoh.co.id,Bandung" for i in range(service.CHUNK * 2 + 7)]
    job = _upload(seeded, admin, "customers", "many.csv", folder, "\n".join(lines).encode())
    seen = []
    summary = service.run_job(seeded, admin, job.id, dry_run=False, folder=folder, progress=lambda counts: seen.append(counts["processed"]))
    assert seen == [service.CHUNK, service.CHUNK * 2, service.CHUNK * 2 + 7] and summary["created"] == service.CHUNK * 2 + 7
    assert summary["percent"] == 100


@pytest.mark.parametrize("text, expected", [
    ("2026-12-03", "2026-12-03"), ("03/12/2026", "2026-12-03"), ("3-12-2026", "2026-12-03"), ("03.12.2026", "2026-12-03"),
    ("3 Dec 2026", "2026-12-03"), ("3 Des 2026", "2026-12-03"), ("17 Agustus 2026", "2026-08-17"), ("2026-12-03T10:00:00Z", "2026-12-03"),
])
def test_dates_as_spreadsheets_write_them(text, expected):
    assert service.parse_any_date(text) == expected


def test_impossible_dates_are_refused():
    for text in ("31/02/2027", "12/31/2026", "kemarin"):
        with pytest.raises(FieldError):
            service.parse_any_date(text)


def test_products_and_opportunities_export_round_trip(seeded, admin, dewi, folder, tmp_path):
    from kaktus_app.catalog import service as catalog

    catalog.create_product(seeded, admin, {"code": "NB-01", "name": "Nasi Box Rendang", "category": "nasi_box", "uom": "box", "sale_price": "42.500", "cost": "25.000", "tax_rate": "11"})
    catalog.create_product(seeded, admin, {"code": "CB-02", "name": "Coffee Break Sore", "category": "coffee_break", "uom": "pax", "sale_price": "30000", "cost": "0", "tax_rate": "0"})
    client = customers.create_customer(seeded, admin, {"name": "PT Kita Jaya", "city": "Jakarta Pusat"})
    stage = seeded.exec(select(Stage).where(Stage.name == "Negotiation")).first()
    sales.create_opportunity(seeded, admin, {"name": "Prasmanan 300 pax", "customer_id": str(client.id), "expected_revenue": "45.000.000", "probability": "65", "expected_closing": "2027-01-15", "stage_id": str(stage.id), "owner_id": str(dewi.id)})
    seeded.commit()

    def products():
        return sorted((p.code, p.name, p.category, p.uom, p.sale_price, p.cost, p.tax_rate) for p in seeded.exec(select(Product)))

    def deals():
        return sorted((o.name, o.customer_id, o.expected_revenue, o.probability, str(o.expected_closing), o.stage_id, o.owner_id) for o in seeded.exec(select(Opportunity)))

    before_products, before_deals = products(), deals()
    for lang in ("en", "id"):
        _n, product_file = integration.export_list(seeded, admin, "products", filters={}, fmt="xlsx", lang=lang, folder=tmp_path / "exports")
        _n, deal_file = integration.export_list(seeded, admin, "opportunities", filters={}, fmt="csv", lang=lang, folder=tmp_path / "exports")
        for product in seeded.exec(select(Product)).all():
            catalog.delete_product(seeded, admin, product.id)
        for deal in seeded.exec(select(Opportunity)).all():
            sales.delete_opportunity(seeded, admin, deal.id)
        seeded.commit()
        job = _upload(seeded, admin, "products", "produk.xlsx", folder, (tmp_path / "exports" / product_file).read_bytes())
        assert _run(seeded, admin, job, folder)["created"] == 2, _messages(seeded, admin, job)
        job = _upload(seeded, admin, "opportunities", "peluang.csv", folder, (tmp_path / "exports" / deal_file).read_bytes())
        assert _run(seeded, admin, job, folder)["created"] == 1, _messages(seeded, admin, job)
        assert products() == before_products and deals() == before_deals
