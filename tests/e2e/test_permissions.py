"""Profiles in the browser: a forbidden action gets a clear refusal; an administrator changes the
salespeople's profile and their view changes at once; the audit trail shows the change."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.e2e.helpers import wait_settled


def _open(page, path: str) -> None:
    since = time.monotonic()
    page.goto(path)
    wait_settled(page, since)


def test_support_agent_is_refused_creating_a_customer(app_server, new_user_context):
    rina = new_user_context("rina")
    _open(rina, "/customers/new")
    rina.locator("#field-name").fill("CV. Tidak Boleh")
    rina.locator("#customer-save").click()
    expect(rina.locator("#form-error")).to_contain_text("may not")
    expect(rina).to_have_url(re.compile(r"/customers/new$"))
    assert app_server.query("SELECT COUNT(*) FROM customer WHERE name = 'CV. Tidak Boleh'") == [(0,)]


def test_admin_changes_a_profile_and_the_salesperson_sees_costs(app_server, new_user_context):
    dewi = new_user_context("dewi")
    _open(dewi, "/products")
    expect(dewi.locator("#product-row-NB-AYAM")).to_be_visible()
    expect(dewi.locator(".cost-cell")).to_have_count(0)

    admin = new_user_context("admin")
    _open(admin, "/admin/profiles")
    card = admin.locator("#profile-sales")
    card.locator(".fields-products summary").click()
    select = card.locator("select.field-mode-products-cost")
    expect(select).to_have_value("hidden")
    select.select_option("editable")
    card.locator("select.field-mode-products-margin").select_option("editable")
    # every field can be restricted: hide the deals' expected revenue from salespeople
    card.locator(".fields-opportunities summary").click()
    card.locator("select.field-mode-opportunities-expected_revenue").select_option("hidden")
    card.locator(".profile-save").click()
    expect(admin.get_by_text("Profile saved")).to_be_visible()

    _open(dewi, "/products")
    expect(dewi.locator("#product-row-NB-AYAM .cost-cell")).to_have_text(re.compile(r"Rp \d"))
    opp_id = app_server.query("SELECT o.id FROM opportunity o JOIN app_user u ON u.id = o.owner_id WHERE u.username = 'dewi' AND o.state = 'open' ORDER BY o.id LIMIT 1")[0][0]
    _open(dewi, f"/opportunities/{opp_id}")
    expect(dewi.locator("#field-probability")).to_be_visible()
    expect(dewi.locator("#field-expected_revenue")).to_have_count(0)
    expect(dewi.locator("#weighted-revenue")).not_to_contain_text("Rp")

    _open(admin, "/admin/audit")
    admin.locator("#audit-action").select_option("permission_change")
    expect(admin.locator(".audit-row").first).to_contain_text("products.cost")

    # Back as it was (other tests expect salespeople not to see costs).
    _open(admin, "/admin/profiles")
    card = admin.locator("#profile-sales")
    card.locator(".fields-products summary").click()
    card.locator("select.field-mode-products-cost").select_option("hidden")
    card.locator("select.field-mode-products-margin").select_option("hidden")
    card.locator(".fields-opportunities summary").click()
    card.locator("select.field-mode-opportunities-expected_revenue").select_option("editable")
    card.locator(".profile-save").click()
    expect(admin.get_by_text("Profile saved")).to_be_visible()
    _open(dewi, "/products")
    expect(dewi.locator("#product-row-NB-AYAM")).to_be_visible()
    expect(dewi.locator(".cost-cell")).to_have_count(0)
    _open(dewi, f"/opportunities/{opp_id}")
    expect(dewi.locator("#field-expected_revenue")).to_be_visible()


def test_a_salesperson_cannot_open_another_teams_opportunity_by_url(app_server, new_user_context):
    dewi_id = app_server.query("SELECT id FROM app_user WHERE username = 'dewi'")[0][0]
    opp_id, name = app_server.query("SELECT id, name FROM opportunity WHERE owner_id = ? ORDER BY id LIMIT 1", dewi_id)[0]
    budi = new_user_context("budi")
    _open(budi, f"/opportunities/{opp_id}")
    expect(budi.get_by_text("Not found.")).to_be_visible()
    expect(budi.get_by_text(name)).to_have_count(0)
    # Her sales manager opens it.
    sari = new_user_context("sari")
    _open(sari, f"/opportunities/{opp_id}")
    expect(sari.locator("#page-title")).to_have_text(name)


def test_admin_opens_opportunities_to_everybody_with_a_sharing_rule(app_server, new_user_context):
    dewi_id = app_server.query("SELECT id FROM app_user WHERE username = 'dewi'")[0][0]
    opp_id, name = app_server.query("SELECT id, name FROM opportunity WHERE owner_id = ? ORDER BY id DESC LIMIT 1", dewi_id)[0]
    admin = new_user_context("admin")
    _open(admin, "/admin/roles")
    expect(admin.locator(".role-row")).to_have_count(6)
    expect(admin.locator("#roles-table")).to_contain_text("Sari Kusuma")
    admin.locator("#sharing-opportunities").select_option("all")
    expect(admin.get_by_text("Saved.").first).to_be_visible()
    budi = new_user_context("budi")
    _open(budi, f"/opportunities/{opp_id}")
    expect(budi.locator("#page-title")).to_have_text(name)
    # Back to the shipped rule (other tests rely on it).
    admin.locator("#sharing-opportunities").select_option("team")
    expect(admin.locator("#sharing-opportunities")).to_have_value("team")
    _open(budi, f"/opportunities/{opp_id}")
    expect(budi.get_by_text("Not found.")).to_be_visible()
