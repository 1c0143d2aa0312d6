"""The catalog in the browser: a manager keeps products, price rules and purchase orders; a
salesperson sees prices but neither costs nor the controls to change them."""

from __future__ import annotations

import base64
import re
import time

from playwright.sync_api import expect

from tests.e2e.helpers import wait_settled

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def _error_at(page, name: str):
    return page.locator(f"xpath=//*[@id='field-{name}']/ancestor::div[contains(@class,'rt-Flex')][1]//*[contains(@class,'field-error')]")


def _loaded(page, since: float) -> None:
    wait_settled(page, since)


def test_manager_creates_a_product_and_a_price_rule(app_server, new_user_context):
    app = app_server
    admin = new_user_context("admin")
    since = time.monotonic()
    admin.goto("/products/new")
    _loaded(admin, since)
    admin.locator("#field-code").fill("TMP bad code!")
    admin.locator("#field-name").fill("Tumpeng ayam ingkung")
    admin.locator("#field-sale_price").fill("-5")
    admin.locator("#product-save").click()
    expect(_error_at(admin, "code")).to_be_visible()
    expect(_error_at(admin, "sale_price")).to_be_visible()
    assert app.query("SELECT COUNT(*) FROM product WHERE name = 'Tumpeng ayam ingkung'") == [(0,)]
    admin.locator("#field-code").fill("TMP-INGKUNG")
    admin.locator("#field-category").select_option("tumpeng")
    admin.locator("#field-uom").select_option("paket")
    admin.locator("#field-sale_price").fill("1.750.000")
    admin.locator("#field-cost").fill("1.100.000")
    admin.locator("#product-save").click()
    expect(admin).to_have_url(re.compile(r"/products/\d+$"))
    expect(admin.locator("#page-title")).to_have_text("Tumpeng ayam ingkung")

    # The product image: a PNG is shown; a text file dressed as a PNG is refused at the upload.
    upload = admin.locator("#product-image-upload input[type=file]")
    upload.set_input_files(files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not really an image"}])
    expect(admin.locator("#image-error")).to_be_visible()
    upload.set_input_files(files=[{"name": "tumpeng.png", "mimeType": "image/png", "buffer": base64.b64decode(PNG)}])
    expect(admin.locator("#product-image")).to_be_visible()
    expect(admin.locator("#image-error")).to_have_count(0)
    assert app.query("SELECT image FROM product WHERE code = 'TMP-INGKUNG'")[0][0].endswith(".png")
    assert [float(v) for v in app.query("SELECT sale_price, cost, tax_rate FROM product WHERE code = ?", "TMP-INGKUNG")[0]] == [1750000, 1100000, 11]

    since = time.monotonic()
    admin.goto("/products")
    _loaded(admin, since)
    admin.locator("#product-search").fill("ingkung")
    row = admin.locator("#product-row-TMP-INGKUNG")
    expect(row).to_contain_text("Rp 1.750.000")
    expect(row.locator(".margin-cell")).to_have_text("37,1%")

    list_id = app.query("SELECT id FROM price_list WHERE name = 'Corporate'")[0][0]
    since = time.monotonic()
    admin.goto(f"/price-lists/{list_id}")
    _loaded(admin, since)
    rules = admin.locator(".rule-row").count()
    admin.locator("#field-value").fill("150")
    admin.locator("#add-rule").click()
    expect(admin.locator("#error-value")).to_be_visible()
    expect(admin.locator(".rule-row")).to_have_count(rules)
    admin.locator("#field-value").fill("8")
    admin.locator("#field-category").select_option("tumpeng")
    admin.locator("#field-min_quantity").fill("2")
    admin.locator("#add-rule").click()
    expect(admin.locator(".rule-row")).to_have_count(rules + 1)
    expect(admin.locator("#rule-table")).to_contain_text("Tumpeng")


def test_salesperson_sees_prices_but_not_costs(app_server, new_user_context):
    dewi = new_user_context("dewi")
    since = time.monotonic()
    dewi.goto("/products")
    _loaded(dewi, since)
    expect(dewi.locator("#product-row-NB-AYAM")).to_contain_text("Rp 35.000")
    expect(dewi.locator(".cost-cell")).to_have_count(0)
    expect(dewi.locator("#new-product")).to_have_count(0)
    dewi.locator("#product-row-NB-AYAM a").first.click()
    expect(dewi).to_have_url(re.compile(r"/products/\d+$"))
    expect(dewi.locator("#managers-note")).to_be_visible()
    expect(dewi.locator("#product-save")).to_have_count(0)
    expect(dewi.locator("#field-cost")).to_have_count(0)


def test_receiving_a_purchase_order_updates_the_cost(app_server, new_user_context):
    app = app_server
    admin = new_user_context("admin")
    vendor_id = app.query("SELECT id FROM vendor WHERE name LIKE 'CV. Ayam%'")[0][0]
    product_id = app.query("SELECT id FROM product WHERE code = 'NB-AYAM'")[0][0]
    since = time.monotonic()
    admin.goto("/purchase-orders")
    _loaded(admin, since)
    admin.locator("#field-vendor_id").select_option(str(vendor_id))
    admin.locator("#create-po").click()
    expect(admin).to_have_url(re.compile(r"/purchase-orders/\d+$"))
    expect(admin.locator("#page-title")).to_have_text(re.compile(r"^PO/\d{4}/\d{4}$"))
    admin.locator("#po-send").click()  # an empty order cannot be sent
    expect(admin.locator(".po-state")).to_have_text(re.compile("Draft"))
    admin.locator("#field-product_id").select_option(str(product_id))
    admin.locator("#field-quantity").fill("250")
    admin.locator("#field-unit_cost").fill("19.750")
    admin.locator("#add-po-line").click()
    expect(admin.locator("#po-total")).to_have_text("Rp 4.937.500")
    admin.locator("#po-send").click()
    admin.locator("#po-receive").click()
    expect(admin.locator(".po-state")).to_have_text(re.compile("Received"))
    assert float(app.query("SELECT cost FROM product WHERE id = ?", product_id)[0][0]) == 19750.0
