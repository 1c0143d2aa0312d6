"""The help desk and the customer portal together (issue 5's story), at a phone-sized viewport for
the customer: a staff member invites Yeyen of PT. KITA; Yeyen opens the link, chooses a password,
searches the FAQ, opens a ticket about a late delivery (a dangerous attachment is refused at the
field, script in the text stays text); the agent sees the ticket appear live, replies publicly and
adds an internal note; Yeyen sees the reply but never the note; the agent resolves it and Yeyen sees
"Resolved" ("Selesai": her portal is in Indonesian). Another company's ticket URL is "not found" for Yeyen."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from kaktus_app import db
from kaktus_app.auth.models import User
from kaktus_app.auth.service import actor_for
from kaktus_app.customers import service as customers
from kaktus_app.customers.models import Customer
from kaktus_app.validation import normalise_name
from tests.e2e.helpers import wait_settled

YEYEN_EMAIL = "yeyen.portal@ptkita.co.id"
PASSWORD = "kita-portal-2026"
SEARCH = "pengiriman terlambat"
UNANSWERED = "nasi box telat untuk ketiga kalinya"
DESCRIPTION = "120 nasi box untuk rapat jam 12.00 baru datang 12.40. <script>alert('x')</script>"
REPLY = "Sorry! The delivery fee of this order will be refunded."
NOTE = "Driver took the toll road exit too late; talk to logistics."
LIVE_WITHIN_MS = 10_000
PHONE = {"width": 390, "height": 844}


def _open(page, route: str) -> None:
    since = time.monotonic()
    page.goto(route)
    wait_settled(page, since)


def _kita_and_yeyen(app) -> tuple[int, int]:
    """PT. KITA and its contact Yeyen with an e-mail address (the seed-flow test may have made them
    already; otherwise they are made here through the customers service, as a user would)."""
    with db.session_scope(f"sqlite:///{app.db_path}") as session:
        dewi = actor_for(session.query(User).filter(User.username == "dewi").one())
        kita = session.query(Customer).filter(Customer.kind == "company", Customer.name_norm == normalise_name("PT. KITA")).first()
        if kita is None:
            kita = customers.create_customer(session, dewi, {"kind": "company", "name": "PT. KITA", "city": "Jakarta Pusat", "owner_id": str(dewi.id)})
        yeyen = session.query(Customer).filter(Customer.company_id == kita.id, Customer.name.like("Yeyen%")).first()
        if yeyen is None:
            yeyen = customers.create_customer(session, dewi, {"kind": "person", "name": "Yeyen", "company_id": str(kita.id), "email": YEYEN_EMAIL})
        elif yeyen.email != YEYEN_EMAIL:
            customers.update_customer(session, dewi, yeyen.id, {"email": YEYEN_EMAIL})
        return kita.id, yeyen.id


def test_yeyen_opens_a_ticket_in_the_portal_and_follows_it(browsers, new_user_context, app_server):
    kita_id, yeyen_id = _kita_and_yeyen(app_server)

    # Staff invite Yeyen from her contact page; the link is shown (no e-mail server here).
    dewi = new_user_context("dewi")
    _open(dewi, f"/customers/{yeyen_id}")
    expect(dewi.locator("#portal-access-status")).to_have_text("Not invited")
    dewi.locator("#portal-invite").click()
    expect(dewi.locator("#portal-invite-link")).to_be_visible()
    link = dewi.locator("#portal-invite-link").inner_text().strip()
    assert re.search(r"/portal/link/[A-Za-z0-9_-]{20,}$", link), link
    dewi.locator("#portal-invite-close").click()
    expect(dewi.locator("#portal-access-status")).to_have_text("Invited")
    assert app_server.query('SELECT "to" FROM outbox_message ORDER BY id DESC LIMIT 1') == [(YEYEN_EMAIL,)]

    # Yeyen, on her phone, opens the link and chooses a password (a short one is refused at the field).
    yeyen = browsers.new_page()
    yeyen.set_viewport_size(PHONE)
    _open(yeyen, link[link.index("/portal/link/"):])
    yeyen.locator("#field-new").fill("short")
    yeyen.locator("#portal-save-password").click()
    expect(yeyen.locator("#error-new")).to_be_visible()
    yeyen.locator("#field-new").fill(PASSWORD)
    yeyen.locator("#field-repeat").fill(PASSWORD)
    yeyen.locator("#portal-save-password").click()
    yeyen.wait_for_url(re.compile(r".*/portal/tickets/?$"))
    expect(yeyen.locator("#portal-company")).to_contain_text("PT. KITA")
    assert yeyen.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling

    # The FAQ answers a search; an unanswered one leads to a new ticket carrying the words typed.
    _open(yeyen, "/portal/faq")
    yeyen.locator("#portal-faq-search").fill(SEARCH)
    expect(yeyen.locator("#portal-faq-results")).to_contain_text("Pengiriman saya terlambat")  # her portal speaks Indonesian
    yeyen.locator("#portal-faq-search").fill(UNANSWERED)
    expect(yeyen.locator("#portal-faq-empty")).to_be_visible()
    yeyen.locator("#portal-faq-open-ticket").click()
    yeyen.wait_for_url(re.compile(r".*/portal/tickets/new.*"))
    expect(yeyen.locator("#field-title")).to_have_value(UNANSWERED)

    # The agent watches the ticket list while Yeyen sends the ticket.
    rina = new_user_context("rina")
    _open(rina, "/tickets")
    expect(rina.locator(".ticket-row").first).to_be_visible()
    expect(rina.locator(".ticket-row", has_text=UNANSWERED)).to_have_count(0)

    # A dangerous attachment is refused at the field and nothing is saved; a text file is accepted.
    yeyen.locator("#field-description").fill(DESCRIPTION)
    yeyen.locator("#field-category").select_option("delivery")
    yeyen.locator("#portal-new-ticket-files input[type=file]").set_input_files(
        files=[{"name": "invoice.html", "mimeType": "text/html", "buffer": b"<html><script>steal()</script></html>"}]
    )
    expect(yeyen.locator("#error-attachments")).to_contain_text("hanya file PDF")  # the picker refused it
    expect(yeyen.locator(".portal-selected-file")).to_have_count(0)
    assert app_server.query("SELECT COUNT(*) FROM ticket WHERE title = ?", UNANSWERED) == [(0,)]
    yeyen.locator("#portal-new-ticket-files input[type=file]").set_input_files(
        files=[{"name": "delivery-note.txt", "mimeType": "text/plain", "buffer": b"Arrived 12:40, signed by security.\n"}]
    )
    yeyen.locator("#portal-ticket-submit").click()
    yeyen.wait_for_url(re.compile(r".*/portal/tickets/\d+/?$"))
    ticket_id = int(yeyen.url.rstrip("/").rsplit("/", 1)[-1])
    expect(yeyen.locator("#portal-ticket-description")).to_contain_text("<script>alert('x')</script>")  # text, not markup
    expect(yeyen.locator(".portal-attachment")).to_contain_text("delivery-note.txt")
    assert app_server.query("SELECT channel, company_id FROM ticket WHERE id = ?", ticket_id) == [("portal", kita_id)]

    # The agent's list shows it without a reload.
    expect(rina.locator(f"#ticket-row-{ticket_id}")).to_be_visible(timeout=LIVE_WITHIN_MS)
    _open(rina, f"/tickets/{ticket_id}")
    expect(rina.locator("#ticket-status")).to_have_text("New")

    # A public reply and an internal note.
    rina.locator("#compose-reply").click()
    rina.locator("#reply-body").fill(REPLY)
    rina.locator("#send-reply").click()
    expect(rina.locator(".ticket-reply", has_text=REPLY)).to_be_visible()
    rina.locator("#compose-note").click()
    rina.locator("#reply-body").fill(NOTE)
    rina.locator("#send-note").click()
    expect(rina.locator(".ticket-note", has_text=NOTE)).to_be_visible()

    # Yeyen's open page shows the reply, never the note.
    expect(yeyen.locator(".portal-message-staff", has_text=REPLY)).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(yeyen.get_by_text(NOTE)).to_have_count(0)
    expect(yeyen.locator(".portal-status")).to_have_text("Sedang dikerjakan")

    # The agent resolves it; Yeyen sees Resolved.
    rina.locator("#status-resolved").click()
    expect(rina.locator("#ticket-status")).to_have_text("Resolved")
    expect(yeyen.locator(".portal-status")).to_have_text("Selesai", timeout=LIVE_WITHIN_MS)
    _open(yeyen, f"/portal/tickets/{ticket_id}")
    expect(yeyen.locator(".portal-status")).to_have_text("Selesai")
    expect(yeyen.get_by_text(NOTE)).to_have_count(0)

    # Another company's ticket: "not found", even by its exact URL.
    other = app_server.query("SELECT id FROM ticket WHERE company_id != ? ORDER BY id LIMIT 1", kita_id)[0][0]
    _open(yeyen, f"/portal/tickets/{other}")
    expect(yeyen.locator("#portal-not-found")).to_be_visible()
    expect(yeyen.locator("#portal-ticket-description")).to_have_count(0)

    # The staff side is closed to a portal session.
    _open(yeyen, "/customers")
    yeyen.wait_for_url(re.compile(r".*/login.*"))
