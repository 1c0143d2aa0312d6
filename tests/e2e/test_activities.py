"""Activities as a salesperson uses them: schedule on a customer, find it in "My activities", mark it
done and schedule the next one in the same step."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.helpers import wait_settled

SUMMARY = "E2E: confirm tumpeng order"
NEXT_SUMMARY = "E2E: send the invoice"


def test_schedule_then_mark_done_and_schedule_next(app_server, new_user_context):
    customer_id, name = app_server.query("SELECT id, name FROM customer WHERE kind = 'company' ORDER BY id LIMIT 1")[0]
    page = new_user_context("dewi")

    since = time.monotonic()
    page.goto(f"/customers/{customer_id}")
    expect(page.locator("#page-title")).to_have_text(name)
    expect(page.locator("#field-owner_id")).to_have_value(re.compile(r"^\d+$"))
    wait_settled(page, since)
    page.locator("#activity-schedule").click()
    page.locator("#activity-kind").select_option("call")
    page.locator("#activity-summary").fill(SUMMARY)
    due = (datetime.now() + timedelta(days=3)).replace(hour=9, minute=30)
    page.locator("#activity-due").fill(due.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#activity-assignee").select_option(label="Dewi Lestari")
    page.locator("#activity-save").click()
    expect(page.locator("#activity-panel").get_by_text(SUMMARY)).to_be_visible()

    page.goto("/activities")
    page.locator("#tab-upcoming").click()
    row = page.locator(".activity-row", has_text=SUMMARY)
    expect(row).to_be_visible()
    expect(row).to_contain_text(name)
    activity_id = app_server.query("SELECT id FROM activity WHERE summary = ?", SUMMARY)[0][0]

    page.locator(f"#my-activity-done-{activity_id}").click()
    page.locator("#done-outcome").select_option("reached")
    page.locator("#done-schedule-next").click()
    page.locator("#next-summary").fill(NEXT_SUMMARY)
    page.locator("#next-due").fill((due + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#next-assignee").select_option(label="Dewi Lestari")
    page.locator("#done-save").click()

    expect(page.locator(".activity-row", has_text=NEXT_SUMMARY)).to_be_visible()
    expect(page.locator(".activity-row", has_text=SUMMARY)).to_have_count(0)
    assert app_server.query("SELECT done, outcome FROM activity WHERE id = ?", activity_id) == [(1, "reached")]
    assert app_server.query("SELECT done FROM activity WHERE summary = ?", NEXT_SUMMARY) == [(0,)]

    # The customer's timeline shows both: the done call and the next step.
    page.goto(f"/customers/{customer_id}")
    panel = page.locator("#activity-panel")
    expect(panel.get_by_text(SUMMARY)).to_be_visible()
    expect(panel.get_by_text(NEXT_SUMMARY)).to_be_visible()


def test_new_activity_is_assigned_to_me_by_default(app_server, new_user_context):
    """Scheduling a call without touching the assignee puts it in my own list, not someone else's."""
    customer_id = app_server.query("SELECT id FROM customer WHERE kind = 'company' ORDER BY id LIMIT 1 OFFSET 1")[0][0]
    dewi_id = app_server.query("SELECT id FROM app_user WHERE username = 'dewi'")[0][0]
    page = new_user_context("dewi")
    page.goto(f"/customers/{customer_id}")
    expect(page.locator("#field-owner_id")).to_have_value(re.compile(r"^\d+$"))
    page.locator("#activity-schedule").click()
    expect(page.locator("#activity-assignee")).to_have_value(str(dewi_id))
