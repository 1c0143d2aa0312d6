"""The audit trail in the browser: a change with its old and new value, a failed login, and who may look."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.e2e.helpers import login, wait_settled


def test_admin_finds_a_change_and_a_failed_login_in_the_audit_trail(app_server, browsers, new_user_context):
    app = app_server
    customer_id, name, city = app.query("SELECT id, name, city FROM customer WHERE kind = 'company' ORDER BY id LIMIT 1 OFFSET 4")[0]
    new_city = "Bogor" if city != "Bogor" else "Depok"

    dewi = new_user_context("dewi")
    since = time.monotonic()
    dewi.goto(f"/customers/{customer_id}")
    wait_settled(dewi, since)
    expect(dewi.locator("#field-city")).to_have_value(city)
    dewi.locator("#field-city").fill(new_city)
    dewi.locator("#customer-save").click()
    # The record's timeline shows the field change with the old and the new value.
    expect(dewi.locator("#activity-panel")).to_contain_text(f"{city} → {new_city}")

    intruder = browsers.new_page()
    login(intruder, "rina", "not-her-password", expect_home=False)
    expect(intruder.locator("#login-error")).to_be_visible()

    # A salesperson may not read the trail.
    since = time.monotonic()
    dewi.goto("/admin/audit")
    wait_settled(dewi, since)
    expect(dewi.locator("#audit-denied")).to_be_visible()
    expect(dewi.locator(".audit-row")).to_have_count(0)

    admin = new_user_context("admin")
    since = time.monotonic()
    admin.goto("/admin/audit")
    wait_settled(admin, since)
    admin.locator("#audit-module").select_option("customers")
    admin.locator("#audit-action").select_option("update")
    admin.locator("#audit-search").fill(name)
    row = admin.locator(".audit-row").filter(has_text=re.compile(re.escape(f"{city} → {new_city}")))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("dewi")
    expect(row.get_by_role("link", name=name)).to_have_attribute("href", f"/customers/{customer_id}")

    admin.locator("#audit-search").fill("")
    admin.locator("#audit-module").select_option("auth")
    admin.locator("#audit-action").select_option("login_failed")
    expect(admin.locator(".audit-row").filter(has_text="rina").first).to_contain_text("wrong password")
