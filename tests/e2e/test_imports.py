"""A user imports leads from a CSV file: the mapping screen with its suggestions, the dry run's errors
at their rows, the import with its result, the leads in the list (and in its filtered export), then
undo."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.helpers import wait_settled

CSV = (
    "\ufeffJudul;Nama kontak;Email;Telepon;Sumber;Nilai;Pemilik;Kolom lain\r\n"
    "Impor katering Cibubur;Rani Pratiwi;rani@impor-cibubur.id;0812-7000-1001;Referral;2.500.000,00;dewi;x\r\n"
    "Impor snack box Depok;Agus Salim;agus@impor-depok;0812-7000-1002;Pameran;1.750.000;budi;y\r\n"
    "Impor tumpeng Bogor;Sri Wahyuni;sri@impor-bogor.id;0812-7000-1003;Televisi;3000000;dewi;z\r\n"
    "Impor prasmanan Bekasi;Joko Widodo;joko@impor-bekasi.id;0812-7000-1004;Website;12.000.000;dewi;w\r\n"
).encode("utf-8")


def _open(page, route: str) -> None:
    since = time.monotonic()
    page.goto(route)
    wait_settled(page, since)


def test_import_leads_with_mapping_dry_run_and_undo(new_user_context, app_server):
    admin = new_user_context("admin")
    _open(admin, "/import")
    admin.locator("#import-module").select_option("leads")
    admin.locator("#import-file input[type=file]").set_input_files(files=[{"name": "prospek.csv", "mimeType": "text/csv", "buffer": CSV}])
    admin.locator("#import-upload").click()

    # the mapping screen: Indonesian headers understood, the unknown column left out
    expect(admin.locator("#import-file-info")).to_contain_text("prospek.csv: 4")
    expect(admin.locator("#map-0")).to_have_value("title")
    expect(admin.locator("#map-4")).to_have_value("source")
    expect(admin.locator("#map-5")).to_have_value("expected_revenue")
    expect(admin.locator("#map-7")).to_have_value("-")
    admin.locator("#map-0").select_option("-")  # no title: refused at the mapping, nothing runs
    admin.locator("#import-dry-run").click()
    expect(admin.locator("#import-mapping-error")).to_contain_text("Title")
    admin.locator("#map-0").select_option("title")

    # the dry run: the bad rows at their row numbers, nothing stored
    admin.locator("#import-dry-run").click()
    expect(admin.locator("#import-result")).to_contain_text("Dry run: 2 would be created", timeout=20_000)
    report = admin.locator("#import-report")
    expect(report).to_contain_text("Not a valid email address")
    expect(report).to_contain_text('"Televisi" is not one of the choices')
    assert app_server.query("SELECT COUNT(*) FROM lead WHERE title LIKE 'Impor %'")[0][0] == 0
    with admin.expect_download() as download:
        admin.locator("#import-report-download").click()
    with Path(download.value.path()).open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle, delimiter=";"))
    assert [line[0] for line in lines[1:]] == ["3", "4"] and lines[0][3] == "Judul"

    # the import
    admin.locator("#import-run-after-check").click()
    expect(admin.locator("#import-result")).to_contain_text("Imported: 2 created", timeout=20_000)
    expect(admin.locator("#count-failed")).to_have_text("2")
    rows = app_server.query("SELECT title, expected_revenue, source FROM lead WHERE title LIKE 'Impor %' ORDER BY title")
    assert [(r[0], float(r[1]), r[2]) for r in rows] == [("Impor katering Cibubur", 2_500_000.0, "referral"), ("Impor prasmanan Bekasi", 12_000_000.0, "web")]
    admin.locator("#import-new").click()
    expect(admin.locator("#import-history")).to_contain_text("prospek.csv")

    # the leads are in the list, and its filtered export has exactly them
    _open(admin, "/leads")
    admin.locator("#leads-search").fill("Impor")
    expect(admin.locator("#leads-table")).to_contain_text("Impor katering Cibubur")
    expect(admin.locator("#leads-table")).to_contain_text("Impor prasmanan Bekasi")
    admin.locator("#leads-export").click()
    with admin.expect_download() as download:
        admin.locator("#leads-export-csv").click()
    with Path(download.value.path()).open(encoding="utf-8-sig", newline="") as handle:
        exported = list(csv.reader(handle, delimiter=";"))
    assert sorted(r[0] for r in exported[1:]) == ["Impor katering Cibubur", "Impor prasmanan Bekasi"]

    # undo the whole import from its history
    _open(admin, "/import")
    admin.locator("#import-history").get_by_role("button").first.click()
    admin.locator("#import-undo").click()
    admin.locator("#import-undo-confirm").click()
    expect(admin.locator("#import-result")).to_contain_text("This import was undone", timeout=20_000)
    assert app_server.query("SELECT COUNT(*) FROM lead WHERE title LIKE 'Impor %'")[0][0] == 0
