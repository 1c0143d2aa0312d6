"""The staff help desk: an agent opens a ticket with an attachment, finds it in the list and on the
board, moves it on the board while a manager watches the same board live, then replies to the
customer and adds an internal note; the timeline shows both (visibly different) and the status line."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.helpers import drag, wait_settled

TITLE = "Nasi box E2E <b>cold</b> at the 3rd floor"
DESCRIPTION = "Pak Andi called: 40 boxes arrived cold.\n<script>alert('x')</script>"
REPLY = "We are sending 40 fresh boxes by 12:30."
NOTE = "Kitchen: the van heater is broken, check with the driver."
ATTACHMENT = ("complaint-photo-notes.txt", b"Photo notes: boxes at 18 C on arrival.\n")
LIVE_WITHIN_MS = 10_000


def _company(app) -> tuple[int, str]:
    return app.query("SELECT id, name FROM customer WHERE kind = 'company' AND name LIKE 'PT.%' ORDER BY id LIMIT 1")[0]


def _status(app, ticket_id: int) -> str:
    return app.query("SELECT status FROM ticket WHERE id = ?", ticket_id)[0][0]


def _eventually(read, expected, timeout: float = 10.0):
    """Poll ``read()`` until it returns ``expected`` (a database write made by an event handler)."""
    deadline = time.monotonic() + timeout
    while (value := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert value == expected


def _open(page, route: str) -> None:
    since = time.monotonic()
    page.goto(route)
    wait_settled(page, since)


def create_ticket(page, app) -> int:
    company_id, company_name = _company(app)
    _open(page, "/tickets/new")
    # Nothing filled in: the errors show at their fields, nothing is saved.
    page.locator("#ticket-create").click()
    expect(page.locator("#error-title")).to_be_visible()
    expect(page.locator("#error-company_id")).to_be_visible()

    page.locator("#field-title").fill(TITLE)
    page.locator("#field-description").fill(DESCRIPTION)
    page.locator("#company-search").fill(company_name.split(" ", 1)[1])
    expect(page.locator(f"#field-company_id option[value='{company_id}']")).to_be_attached()
    page.locator("#field-company_id").select_option(str(company_id))
    page.locator("#field-category").select_option("food_quality")
    page.locator("#field-priority").select_option("high")
    page.locator("#field-channel").select_option("phone")
    expect(page.locator("#field-assignee_id")).to_have_value("")  # automatic (round robin)
    expect(page.locator("#field-assignee_id option[value='']")).to_have_text("Automatic (round robin)")
    page.locator("#field-tags").fill("cold, e2e")
    name, data = ATTACHMENT
    page.locator("#ticket-files input[type=file]").set_input_files(files=[{"name": name, "mimeType": "text/plain", "buffer": data}])
    expect(page.locator("#ticket-files-selected")).to_contain_text(name)
    page.locator("#ticket-create").click()

    expect(page).to_have_url(re.compile(r"/tickets/\d+$"), timeout=15_000)
    ticket_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    rows = app.query("SELECT title, company_id, category, priority, status, assignee_id, number FROM ticket WHERE id = ?", ticket_id)
    assert rows and rows[0][:5] == (TITLE, company_id, "food_quality", "high", "new")
    assert rows[0][5] is not None, "round robin gave the ticket an agent"
    files = app.query("SELECT filename, size FROM ticket_attachment WHERE ticket_id = ?", ticket_id)
    assert files == [(name, len(data))]
    # The ticket page: title and description as text (markup is never rendered), status, SLA, the file.
    expect(page.locator("#page-title")).to_have_text(TITLE)
    expect(page.locator("#ticket-description")).to_contain_text("<script>alert('x')</script>")
    expect(page.locator("#ticket-number")).to_have_text(rows[0][6])
    expect(page.locator("#ticket-status")).to_have_text("New")
    expect(page.locator("#ticket-sla")).to_be_visible()
    expect(page.locator("#sla-first-response-due")).not_to_be_empty()
    expect(page.locator(".ticket-attachment", has_text=name)).to_be_visible()
    return ticket_id


def test_agent_ticket_flow_with_live_board(app_server, new_user_context):
    rina = new_user_context("rina")  # the support agent
    ticket_id = create_ticket(rina, app_server)
    number = app_server.query("SELECT number FROM ticket WHERE id = ?", ticket_id)[0][0]

    # The attachment downloads with its name and bytes.
    with rina.expect_download() as download_info:
        rina.locator(".ticket-attachment", has_text=ATTACHMENT[0]).click()
    download = download_info.value
    assert download.suggested_filename == ATTACHMENT[0]
    assert Path(download.path()).read_bytes() == ATTACHMENT[1]

    # The list: found by its number, with its status and the link to it.
    _open(rina, "/tickets")
    rina.locator("#tickets-search").fill(number)
    row = rina.locator(f"#ticket-row-{ticket_id}")
    expect(row).to_be_visible()
    expect(rina.locator(".ticket-row")).to_have_count(1)
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text("New")
    rina.locator("#tickets-filter-status").select_option("closed")
    expect(row).to_have_count(0)
    rina.locator("#tickets-filter-status").select_option("new")
    expect(row).to_be_visible()

    # The board, open for the agent and for the manager.
    sari = new_user_context("sari")
    card = f"#ticket-card-{ticket_id}"
    for page in (rina, sari):
        _open(page, "/tickets/board")
        expect(page.locator("#ticket-column-new").locator(card)).to_be_visible()
    drag(rina, rina.locator(card), rina.locator("#ticket-column-in_progress"))
    expect(rina.locator("#ticket-column-in_progress").locator(card)).to_be_visible()
    expect(sari.locator("#ticket-column-in_progress").locator(card)).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(sari.locator("#ticket-column-new").locator(card)).to_have_count(0)
    assert _status(app_server, ticket_id) == "in_progress"

    # A transition the rules refuse (in progress -> new): a toast, and the card stays where it was.
    drag(rina, rina.locator(card), rina.locator("#ticket-column-new"))
    expect(rina.get_by_text("This status change is not allowed.")).to_be_visible()
    expect(rina.locator("#ticket-column-in_progress").locator(card)).to_be_visible()
    assert _status(app_server, ticket_id) == "in_progress"

    # The ticket page: a reply to the customer, then an internal note; the manager's open page follows.
    _open(sari, f"/tickets/{ticket_id}")
    expect(sari.locator("#ticket-status")).to_have_text("In progress")
    _open(rina, f"/tickets/{ticket_id}")
    rina.locator("#reply-body").fill(REPLY)
    rina.locator("#send-reply").click()
    reply = rina.locator(".ticket-reply", has_text=REPLY)
    expect(reply).to_be_visible()
    expect(rina.locator("#reply-body")).to_have_value("")

    rina.locator("#compose-note").click()
    rina.locator("#reply-body").fill(NOTE)
    rina.locator("#send-note").click()
    note = rina.locator(".ticket-note", has_text=NOTE)
    expect(note).to_be_visible()
    expect(note).to_contain_text("Internal note")
    expect(rina.locator(".ticket-note", has_text=REPLY)).to_have_count(0)  # the reply is not a note
    expect(rina.locator(".ticket-event", has_text="New → In progress")).to_be_visible()
    # The manager saw both without reloading.
    expect(sari.locator(".ticket-note", has_text=NOTE)).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(sari.locator(".ticket-reply", has_text=REPLY)).to_be_visible()
    messages = app_server.query("SELECT kind, is_public, body FROM ticket_message WHERE ticket_id = ? AND kind IN ('reply', 'note') ORDER BY id", ticket_id)
    assert messages == [("reply", 1, REPLY), ("note", 0, NOTE)]

    # An empty message is refused at the field.
    rina.locator("#send-note").click()
    expect(rina.locator("#error-body")).to_be_visible()

    # Resolve from the status buttons.
    rina.locator("#status-resolved").click()
    expect(rina.locator("#ticket-status")).to_have_text("Resolved")
    expect(sari.locator("#ticket-status")).to_have_text("Resolved", timeout=LIVE_WITHIN_MS)
    assert _status(app_server, ticket_id) == "resolved"


def test_unknown_ticket_shows_not_found(app_server, new_user_context):
    page = new_user_context("rina")
    _open(page, "/tickets/999999")
    expect(page.locator("#ticket-not-found")).to_be_visible()


def test_faq_editor_stats_and_sla_settings(app_server, new_user_context):
    rina = new_user_context("rina")
    # A category through the inline form on /faq.
    _open(rina, "/faq")
    rina.locator("#category-new-name").fill("E2E Catering")
    rina.locator("#category-new-name-id").fill("E2E Katering")
    rina.locator("#category-add").click()
    expect(rina.locator(".faq-category input[value='E2E Catering']")).to_be_visible()
    category_id = app_server.query("SELECT id FROM faq_category WHERE name = 'E2E Catering'")[0][0]

    # A new article: the Markdown preview follows the typing; raw HTML is never rendered as markup.
    rina.locator("#faq-new").click()
    expect(rina).to_have_url(re.compile(r"/faq/new$"))
    rina.locator("#field-title").fill("E2E: Cara membatalkan pesanan (zebrakaktus)")
    rina.locator("#field-category_id").select_option(str(category_id))
    rina.locator("#field-language").select_option("id")
    rina.locator("#field-body").fill("# Pembatalan\n\nHubungi kami **24 jam** sebelumnya.\n\n<img src=x onerror=\"window.__xss=1\">")
    preview = rina.locator("#faq-preview")
    expect(preview.locator("h1")).to_have_text("Pembatalan")
    expect(preview.locator("strong")).to_have_text("24 jam")
    expect(preview.locator("img")).to_have_count(0)
    rina.locator("#field-published").check()
    rina.locator("#faq-save").click()
    expect(rina).to_have_url(re.compile(r"/faq/\d+$"))
    article_id = int(rina.url.rsplit("/", 1)[-1])
    assert app_server.query("SELECT title, language, published, category_id FROM faq_article WHERE id = ?", article_id) == [
        ("E2E: Cara membatalkan pesanan (zebrakaktus)", "id", 1, category_id)
    ]
    assert rina.evaluate("window.__xss") is None

    _open(rina, "/faq")
    rina.locator("#faq-search").fill("zebrakaktus")
    row = rina.locator(f"#faq-row-{article_id}")
    expect(row).to_contain_text("Published")
    expect(rina.locator(".faq-row")).to_have_count(1)

    # Link it to a ticket.
    ticket_id = app_server.query("SELECT id FROM ticket WHERE merged_into_id IS NULL ORDER BY id LIMIT 1")[0][0]
    _open(rina, f"/tickets/{ticket_id}")
    rina.locator("#ticket-article").select_option(str(article_id))
    expect(rina.locator("#ticket-article-link")).to_contain_text("E2E: Cara membatalkan pesanan (zebrakaktus)")
    assert app_server.query("SELECT faq_article_id FROM ticket WHERE id = ?", ticket_id) == [(article_id,)]

    # A salesperson reads the FAQ but gets no editing controls.
    dewi = new_user_context("dewi")
    _open(dewi, "/faq")
    expect(dewi.locator("#faq-table")).to_be_visible()
    expect(dewi.locator("#faq-new")).to_have_count(0)
    _open(dewi, f"/faq/{article_id}")
    expect(dewi.locator("#faq-read-only")).to_be_visible()
    expect(dewi.locator("#faq-save")).to_have_count(0)

    # Delete (with a confirmation); the ticket loses the link.
    _open(rina, f"/faq/{article_id}")
    rina.locator("#faq-delete").click()
    rina.locator("#faq-delete-confirm").click()
    expect(rina).to_have_url(re.compile(r"/faq$"))
    assert app_server.query("SELECT id FROM faq_article WHERE id = ?", article_id) == []
    assert app_server.query("SELECT faq_article_id FROM ticket WHERE id = ?", ticket_id) == [(None,)]

    # The manager: statistics with charts, and the SLA hours from the user menu.
    sari = new_user_context("sari")
    _open(sari, "/helpdesk/stats")
    expect(sari.locator("#chart-status")).to_be_visible()
    expect(sari.locator("#kpi-created")).not_to_have_text("")
    expect(sari.locator(".agent-row").first).to_be_visible()
    sari.locator("#user-menu").click()
    sari.locator("#menu-helpdesk-settings").click()
    expect(sari).to_have_url(re.compile(r"/helpdesk/settings$"))
    original = app_server.query("SELECT first_response_hours, resolution_hours FROM sla_policy WHERE priority = 'urgent'")[0]
    first = sari.locator("#sla-urgent-first_response_hours")
    first.fill("12")
    sari.locator("#sla-urgent-resolution_hours").fill("6")
    sari.locator("#sla-save").click()
    expect(sari.locator(".field-error")).to_have_count(1)  # resolution shorter than the first response
    assert app_server.query("SELECT first_response_hours, resolution_hours FROM sla_policy WHERE priority = 'urgent'")[0] == original
    sari.locator("#sla-urgent-first_response_hours").fill("2")
    sari.locator("#sla-urgent-resolution_hours").fill("10")
    sari.locator("#sla-save").click()
    expect(sari.locator(".field-error")).to_have_count(0)
    expect(sari.get_by_text("Saved")).to_be_visible()
    assert app_server.query("SELECT first_response_hours, resolution_hours FROM sla_policy WHERE priority = 'urgent'")[0] == (2, 10)
    sari.locator("#sla-urgent-first_response_hours").fill(str(original[0]))
    sari.locator("#sla-urgent-resolution_hours").fill(str(original[1]))
    sari.locator("#sla-save").click()
    _eventually(lambda: app_server.query("SELECT first_response_hours, resolution_hours FROM sla_policy WHERE priority = 'urgent'")[0], original)
    # A salesperson sees the hours but cannot change them.
    _open(dewi, "/helpdesk/settings")
    expect(dewi.locator("#sla-readonly")).to_be_visible()
    expect(dewi.locator("#sla-save")).to_have_count(0)


def _quick_ticket(page, app, title: str, company: tuple[int, str]) -> int:
    _open(page, "/tickets/new")
    page.locator("#field-title").fill(title)
    page.locator("#company-search").fill(company[1].split(" ", 1)[1])
    expect(page.locator(f"#field-company_id option[value='{company[0]}']")).to_be_attached()
    page.locator("#field-company_id").select_option(str(company[0]))
    page.locator("#ticket-create").click()
    expect(page).to_have_url(re.compile(r"/tickets/\d+$"), timeout=15_000)
    return int(page.url.rsplit("/", 1)[-1])


def test_merge_a_duplicate_by_number(app_server, new_user_context):
    rina = new_user_context("rina")
    company = _company(app_server)
    first = _quick_ticket(rina, app_server, "E2E merge: late lunch (original)", company)
    second = _quick_ticket(rina, app_server, "E2E merge: late lunch (duplicate)", company)
    first_number = app_server.query("SELECT number FROM ticket WHERE id = ?", first)[0][0]
    second_number = app_server.query("SELECT number FROM ticket WHERE id = ?", second)[0][0]

    # An unknown number is refused at the field.
    rina.locator("#merge-number").fill("TK-99999")
    rina.locator("#merge-submit").click()
    expect(rina.locator("#error-merge")).to_be_visible()

    rina.locator("#merge-number").fill(first_number)
    rina.locator("#merge-submit").click()
    expect(rina).to_have_url(re.compile(rf"/tickets/{first}$"))
    expect(rina.locator("#merged-from")).to_contain_text(second_number)
    assert app_server.query("SELECT merged_into_id, status FROM ticket WHERE id = ?", second) == [(first, "closed")]

    # The duplicate points at the original and offers no more editing.
    _open(rina, f"/tickets/{second}")
    expect(rina.locator("#merged-into")).to_contain_text(first_number)
    expect(rina.locator("#ticket-composer")).to_have_count(0)
    expect(rina.locator(".ticket-status-action")).to_have_count(0)
