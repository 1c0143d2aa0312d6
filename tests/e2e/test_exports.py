"""Data out from the pages: the customer list's contacts as vCards and the list itself as CSV (both
following the list's filter), and the user's activities as an iCalendar file."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.helpers import wait_settled


def _open(page, route: str) -> None:
    since = time.monotonic()
    page.goto(route)
    wait_settled(page, since)


def test_contacts_as_vcard_and_activities_as_calendar(new_user_context, app_server):
    dewi = new_user_context("dewi")
    _open(dewi, "/customers")
    city = app_server.query("SELECT city FROM customer WHERE kind = 'person' AND company_id IS NOT NULL AND city != '' ORDER BY id LIMIT 1")[0][0]
    expected = app_server.query("SELECT COUNT(*) FROM customer WHERE kind = 'person' AND city LIKE ?", f"{city}%")[0][0]
    dewi.locator("#filter-city").fill(city)
    dewi.wait_for_timeout(1200)  # the list reloads after the typing pause
    with dewi.expect_download() as download:
        dewi.locator("#customers-export-vcard").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith(".vcf")
    assert text.count("BEGIN:VCARD") == expected > 0
    assert "VERSION:4.0" in text

    # The list itself, as CSV: the same filter, every page, the list's columns.
    listed = app_server.query("SELECT COUNT(*) FROM customer WHERE city LIKE ?", f"{city}%")[0][0]
    dewi.locator("#customers-export").click()
    with dewi.expect_download() as download:
        dewi.locator("#customers-export-csv").click()
    with Path(download.value.path()).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert download.value.suggested_filename.startswith("customers-") and download.value.suggested_filename.endswith(".csv")
    assert rows[0][0] == "Name" and len(rows) - 1 == listed
    assert all(row[3].startswith(city) for row in rows[1:])  # the City column

    _open(dewi, "/activities")
    expect(dewi.locator("#activities-feed-hint")).to_contain_text("/api/v1/calendar.ics")
    with dewi.expect_download() as download:
        dewi.locator("#activities-ics").click()
    calendar = Path(download.value.path()).read_text(encoding="utf-8")
    assert calendar.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in calendar


def test_filtered_products_list_as_csv(new_user_context, app_server):
    admin = new_user_context("admin")
    _open(admin, "/products")
    # what the list shows for one category: active products, by name (the list's default order)
    expected = app_server.query("SELECT code, name, sale_price FROM product WHERE category = 'nasi_box' AND active = 1 ORDER BY name, id")
    admin.locator("#product-category").select_option("nasi_box")
    expect(admin.locator(".product-row")).to_have_count(min(len(expected), 25))
    admin.locator("#products-export").click()
    with admin.expect_download() as download:
        admin.locator("#products-export-csv").click()
    with Path(download.value.path()).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert download.value.suggested_filename.startswith("products-") and download.value.suggested_filename.endswith(".csv")
    assert rows[0] == ["Code", "Name", "Category", "Unit", "Sale price (IDR)", "Cost (IDR)", "Margin", "Tax"]
    assert len(expected) > 0 and [(r[0], r[1]) for r in rows[1:]] == [(code, name) for code, name, _price in expected]  # every page, in order
    assert all(r[2] == "Nasi box" for r in rows[1:])  # the Category column, in words
    assert [r[4] for r in rows[1:]] == ["Rp " + f"{round(float(price)):,}".replace(",", ".") for _code, _name, price in expected]
