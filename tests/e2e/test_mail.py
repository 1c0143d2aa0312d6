"""Inbound e-mail as a user: upload .eml files, see each filed on the right record (a known contact's
mail on her timeline, an unknown sender's as a new lead), open one with its attachments, and the
same file again is recognised as a duplicate."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.helpers import wait_settled

FIXTURES = Path(__file__).parent.parent / "unit" / "fixtures" / "mail"


def _open(page, route: str) -> None:
    since = time.monotonic()
    page.goto(route)
    wait_settled(page, since)


def _files(*names: str) -> list[dict]:
    return [{"name": n, "mimeType": "message/rfc822", "buffer": (FIXTURES / n).read_bytes()} for n in names]


def test_upload_eml_files_and_open_one(new_user_context, app_server):
    admin = new_user_context("admin")
    _open(admin, "/mail")
    admin.locator("#mail-eml-files input[type=file]").set_input_files(files=_files("contact_with_attachments.eml", "unknown_sender_qp.eml", "not_an_email.eml"))
    admin.locator("#mail-upload-submit").click()
    results = admin.locator("#mail-upload-results .mail-upload-result")
    expect(results).to_have_count(3, timeout=15_000)
    expect(admin.locator('#mail-upload-results .mail-upload-result[data-status="ok"]')).to_have_count(2)
    expect(admin.locator('#mail-upload-results .mail-upload-result[data-status="error"]')).to_contain_text("not_an_email.eml")

    # the known contact's mail is filed on her, the stranger's made a lead
    siti = app_server.query("SELECT id FROM customer WHERE lower(email) = 'sitirahmawati@sinarabadilogistik.co.id'")[0][0]
    filed = app_server.query("SELECT id, outcome, customer_id, lead_id FROM inbound_message ORDER BY id")
    assert [(row[1], row[2]) for row in filed][:1] == [("contact", siti)]
    assert filed[1][1] == "lead" and filed[1][3] is not None
    expect(admin.locator("#mail-table")).to_contain_text("Menu untuk acara pernikahan")
    admin.locator("#mail-filter-outcome").select_option("lead")
    expect(admin.locator(".mail-row")).to_have_count(1)
    admin.locator("#mail-filter-outcome").select_option("")
    expect(admin.locator(".mail-row")).to_have_count(2)

    # the message itself: body and the attachments with their real (non-ASCII) names
    admin.locator(f"#mail-open-{filed[0][0]}").click()
    expect(admin.locator("#mail-detail-subject")).to_have_text("Menu untuk acara pernikahan")
    expect(admin.locator("#mail-detail-body")).to_contain_text("300 tamu")
    expect(admin.locator("#mail-attachments")).to_contain_text("Menu Pernikahan – Ibu Siti.pdf")
    admin.locator("#mail-detail-close").click()

    # the contact's timeline shows the mail
    _open(admin, f"/customers/{siti}")
    expect(admin.get_by_text("Menu untuk acara pernikahan").first).to_be_visible()

    # the same file again: recognised, not stored twice
    _open(admin, "/mail")
    admin.locator("#mail-eml-files input[type=file]").set_input_files(files=_files("contact_with_attachments.eml"))
    admin.locator("#mail-upload-submit").click()
    expect(admin.locator('#mail-upload-results .mail-upload-result[data-status="duplicate"]')).to_have_count(1, timeout=15_000)
    assert app_server.query("SELECT COUNT(*) FROM inbound_message")[0][0] == 2
