"""Editing a quotation in place and invoicing a down payment, as a salesperson does it."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.e2e.helpers import wait_settled


def _product(app, code: str) -> str:
    return str(app.query("SELECT id FROM product WHERE code = ?", code)[0][0])


def _add(page, product_id: str, quantity: str, optional: bool = False) -> None:
    page.locator("#add-product_id").select_option(product_id)
    page.locator("#add-quantity").fill(quantity)
    if optional:
        page.locator("#add-optional").check()
    page.locator("#add-line").click()


def test_lines_are_edited_reordered_and_removed_in_place_then_a_down_payment(app_server, new_user_context):
    app = app_server
    page = new_user_context("budi")
    customer_id = app.query("SELECT id FROM customer WHERE segment = 'retail' ORDER BY id LIMIT 1")[0][0]
    since = time.monotonic()
    page.goto(f"/quotations/new?customer={customer_id}")
    wait_settled(page, since)
    expect(page.locator("#field-customer_id")).to_have_value(str(customer_id))
    page.locator("#create-quotation").click()
    expect(page).to_have_url(re.compile(r"/quotations/\d+$"))
    order_id = int(re.search(r"/quotations/(\d+)$", page.url).group(1))

    rows = page.locator(".line-row")
    _add(page, _product(app, "NB-AYAM"), "10")
    expect(rows).to_have_count(1)
    _add(page, _product(app, "SB-3"), "20")
    expect(rows).to_have_count(2)
    expect(page.locator("#doc-total")).to_have_text("Rp 788.100")  # (350.000 + 360.000) + 11%

    # Reorder: the nasi box goes below the snack box.
    rows.nth(0).locator(".line-down").click()
    expect(rows.nth(0)).to_contain_text("Snack box 3 kue")
    expect(rows.nth(1)).to_contain_text("Nasi box ayam bakar")

    # Edit in place: a wrong quantity is refused in the row, a good one re-prices the line.
    rows.nth(1).locator(".edit-line").click()
    edit = page.locator(".line-edit-row")
    edit.locator("#line-quantity").fill("-1")
    edit.locator("#save-line").click()
    expect(edit.locator(".field-error")).to_be_visible()
    assert app.query("SELECT quantity FROM sales_order_line WHERE order_id = ? AND description LIKE 'Nasi%'", order_id)[0][0] == 10
    edit.locator("#line-quantity").fill("12")
    edit.locator("#save-line").click()
    expect(page.locator(".line-edit-row")).to_have_count(0)
    expect(rows.nth(1)).to_contain_text("Rp 420.000")
    expect(page.locator("#doc-total")).to_have_text("Rp 865.800")

    # An optional item is offered but not counted; removing a line updates the total.
    _add(page, _product(app, "BEV-TEH"), "50", optional=True)
    expect(rows).to_have_count(3)
    expect(page.locator("#doc-total")).to_have_text("Rp 865.800")
    rows.nth(0).locator(".remove-line").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#doc-total")).to_have_text("Rp 466.200")

    # Confirm, then a 30% down payment; more than 100% is refused at the field.
    page.locator("#confirm-sale").click()
    expect(page.locator("#page-title")).to_have_text(re.compile(r"^SO/"))
    page.locator("#create-invoice").click()
    page.locator("#mode-percent").click()
    page.locator("#field-down_payment").fill("150")
    page.locator("#create-invoice-submit").click()
    expect(page.locator("#error-down_payment")).to_be_visible()
    page.locator("#field-down_payment").fill("30")
    page.locator("#create-invoice-submit").click()
    expect(page).to_have_url(re.compile(r"/invoices/\d+$"))
    expect(page.locator("#doc-total")).to_have_text("Rp 139.860")
    expect(page.locator("#invoice-order")).to_contain_text("SO/")
    assert app.query("SELECT down_payment, state FROM invoice WHERE order_id = ?", order_id) == [(1, "draft")]
