"""User-entered text is never rendered as HTML: script in every free-text field of a customer, a lead
and a note is shown as text, and none of it runs."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.e2e.helpers import wait_settled

IMG = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'
SCRIPT = "<script>window.__xss=(window.__xss||0)+1</script>"
CUSTOMER = f"PT. Jahil {IMG}"
LEAD = f"Nasi box {SCRIPT}"
SHORT_TEXTS = ("industry", "street", "city", "department", "person_in_charge", "job_title")
LONG_TEXTS = ("notes", "profile_needs", "profile_preferences", "profile_history")


def _no_script_ran(page) -> None:
    assert page.evaluate("window.__xss === undefined"), "user text was executed as HTML"
    assert page.locator("img[src='x']").count() == 0


def test_script_in_free_text_is_shown_as_text(app_server, new_user_context):
    page = new_user_context("dewi")

    since = time.monotonic()
    page.goto("/customers/new")
    wait_settled(page, since)
    page.locator("#field-name").fill(CUSTOMER)
    for name in SHORT_TEXTS:
        page.locator(f"#field-{name}").fill(f"{name} {IMG}")
    for name in LONG_TEXTS:
        page.locator(f"#field-{name}").fill(f"{name} {IMG} {SCRIPT}")
    page.locator("#customer-save").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    customer_id = int(re.search(r"/customers/(\d+)$", page.url).group(1))
    expect(page.locator("#page-title")).to_have_text(CUSTOMER)
    expect(page.locator("#field-notes")).to_have_value(f"notes {IMG} {SCRIPT}")

    # A note on the timeline.
    page.locator("#note-add").click()
    page.locator("#note-body").fill(f"Catatan {SCRIPT} {IMG}")
    page.locator("#note-save").click()
    expect(page.locator("#activity-panel")).to_contain_text(f"Catatan {SCRIPT} {IMG}")
    _no_script_ran(page)

    # The list, the global search and a lead carry the same text safely.
    since = time.monotonic()
    page.goto("/customers")
    wait_settled(page, since)
    page.locator("#customers-search").fill("PT. Jahil")
    expect(page.get_by_text(CUSTOMER)).to_be_visible()
    _no_script_ran(page)

    since = time.monotonic()
    page.goto("/leads/new")
    wait_settled(page, since)
    page.locator("#field-title").fill(LEAD)
    page.locator("#field-customer_id").select_option(str(customer_id))
    page.locator("#field-memo").fill(f"memo {IMG}")
    page.locator("#lead-save").click()
    expect(page).to_have_url(re.compile(r"/leads/\d+$"))
    expect(page.locator("#page-title")).to_have_text(LEAD)
    expect(page.locator("#field-memo")).to_have_value(f"memo {IMG}")
    _no_script_ran(page)

    page.locator("#global-search").fill("Nasi box <script")
    expect(page.get_by_text(LEAD).first).to_be_visible()
    _no_script_ran(page)
