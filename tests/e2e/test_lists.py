"""List pages as a user pages, sorts and filters them: all on the server, one page at a time."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def _first_name(page) -> str:
    return page.locator("#customers-table .customer-row").first.locator("a").first.inner_text()


def test_customer_list_pages_sorts_filters_and_saved_filters(app_server, new_user_context):
    page = new_user_context("dewi")
    page.goto("/customers")
    rows = page.locator("#customers-table .customer-row")
    expect(rows).to_have_count(25)
    total = app_server.query("SELECT count(*) FROM customer")[0][0]
    expect(page.locator("#list-count")).to_contain_text(str(total))
    first = _first_name(page)

    page.locator("#page-next").click()
    expect(page.get_by_text(re.compile(r"Page 2 of \d+"))).to_be_visible()
    expect(rows.first).not_to_contain_text(first)
    page.locator("#page-prev").click()
    expect(rows.first).to_contain_text(first)

    # Sorting by name twice reverses the order.
    page.locator("[data-sort=name]").click()
    expect(rows.first).not_to_contain_text(first)
    last_by_name = app_server.query("SELECT name FROM customer ORDER BY name_norm DESC, id DESC LIMIT 1")[0][0]
    expect(rows.first).to_contain_text(last_by_name)

    # A segment filter narrows the list to what the database holds for it.
    page.locator("#filter-segment").select_option("education")
    education = app_server.query("SELECT count(*) FROM customer WHERE segment = 'education'")[0][0]
    expect(rows).to_have_count(min(education, 25))
    expect(page.locator("#list-count")).to_contain_text(str(education))

    # The shipped saved filter "Jakarta catering" applies its criteria.
    page.locator("#filters-clear").click()
    saved_id = app_server.query("SELECT id FROM saved_filter WHERE name = 'Jakarta catering'")[0][0]
    page.locator(f"#saved-filter-{saved_id}").click()
    expected = app_server.query("SELECT count(*) FROM customer WHERE province = 'DKI Jakarta' AND tags LIKE '%,catering,%'")[0][0]
    expect(page.locator("#list-count")).to_contain_text(f"{expected} ")
