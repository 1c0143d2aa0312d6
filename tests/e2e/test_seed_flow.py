"""The seed scenario, as a salesperson does it in the browser (issue 2, "Tests and proof").

dewi creates the company "PT. KITA" and its contact person "Yeyen"; a lead for a catering order;
converts it into an opportunity for PT. KITA (and a second lead through "create a new customer");
sets the target revenue and probability; schedules a call; finds the card on the kanban and drags it
to Negotiation while sari, her sales manager, with the pipeline open in another browser, sees it move without a
reload; finally the UI is switched to Bahasa Indonesia.

Each step checks what the user sees and, where it matters, what was stored.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.helpers import drag, wait_settled

COMPANY = "PT. KITA"
CONTACT = "Yeyen"
LEAD_TITLE = "Nasi box 300 pax — PT. KITA"
NEW_CUSTOMER_LEAD = "Tumpeng 50 pax — CV. Sinar Baru"
NEW_CUSTOMER = "CV. Sinar Baru"
LIVE_WITHIN_MS = 5_000
CALL_SUMMARY = "Call Yeyen about the menu"
INDONESIAN_SEARCH = "Cari peluang"


def _id_from_url(page, pattern: str) -> int:
    match = re.search(pattern, page.url)
    assert match, f"expected a URL like {pattern}, got {page.url}"
    return int(match.group(1))


def _count(app, sql: str, *params) -> int:
    return app.query(sql, *params)[0][0]


# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------


def field_error(page, name: str):
    """The error message shown right under the form field ``name``."""
    return page.locator(
        f"xpath=//*[@id='field-{name}']/ancestor::div[contains(@class,'rt-Flex')][1]//*[contains(@class,'field-error')]"
    )


def wait_form_loaded(page, since: float) -> None:
    """Wait until the page's on_load has filled the form: the forms re-mount when their data
    arrives, so text typed before that would be lost."""
    expect(page.locator("#field-owner_id option").nth(1)).to_be_attached()  # the users arrive with the form's values
    wait_settled(page, since)


def save_customer(page) -> None:
    page.locator("#customer-save").click()
    # A close name / same phone elsewhere shows the duplicate warning first: the user confirms.
    warning = page.locator("#duplicate-warning")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if re.search(r"/customers/\d+$", page.url):
            return
        if warning.is_visible():
            page.locator("#duplicate-create-anyway").click()
            break
        page.wait_for_timeout(100)
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))


def create_company(page, app) -> int:
    page.goto("/customers")
    since = time.monotonic()
    page.locator("#customers-new").click()
    expect(page).to_have_url(re.compile(r"/customers/new$"))
    wait_form_loaded(page, since)
    page.locator("#field-name").fill(COMPANY)
    page.locator("#field-industry").fill("Manufacturing")
    page.locator("#field-phone").fill("021-5551234")
    page.locator("#field-email").fill("info@ptkita.co.id")
    page.locator("#field-city").fill("Jakarta Selatan")
    page.locator("#field-segment").select_option("corporate")
    save_customer(page)
    customer_id = _id_from_url(page, r"/customers/(\d+)$")
    expect(page.locator("#page-title")).to_have_text(COMPANY)
    # The phone was normalised to +62 and shown back in the form.
    expect(page.locator("#field-phone")).to_have_value(re.compile(r"5551234"))
    assert app.query("SELECT name, kind, phone FROM customer WHERE id = ?", customer_id) == [(COMPANY, "company", "+62215551234")]
    return customer_id


def create_contact(page, app, company_id: int) -> int:
    """From PT. KITA's page: "New contact" opens a person form already linked to the company."""
    page.goto(f"/customers/{company_id}")
    since = time.monotonic()
    page.locator("#contact-new").click()
    expect(page).to_have_url(re.compile(rf"/customers/new\?company={company_id}$"))
    wait_form_loaded(page, since)
    expect(page.locator("#field-company_id")).to_have_value(str(company_id))
    page.locator("#field-name").fill(CONTACT)
    page.locator("#field-job_title").fill("Office manager")
    page.locator("#field-mobile").fill("0812-3456-7890")
    save_customer(page)
    contact_id = _id_from_url(page, r"/customers/(\d+)$")
    expect(page.locator("#page-title")).to_have_text(CONTACT)
    assert app.query("SELECT kind, company_id, mobile FROM customer WHERE id = ?", contact_id) == [("person", company_id, "+6281234567890")]
    # PT. KITA's page lists Yeyen among its contacts.
    page.goto(f"/customers/{company_id}")
    expect(page.get_by_role("link", name=CONTACT)).to_be_visible()
    return contact_id


def bad_customer_input_is_refused(page, app) -> None:
    before = _count(app, "SELECT count(*) FROM customer")
    since = time.monotonic()
    page.goto("/customers/new")
    wait_form_loaded(page, since)
    page.locator("#field-name").fill("   ")
    page.locator("#field-email").fill("yeyen@@ptkita")
    page.locator("#customer-save").click()
    expect(field_error(page, "name")).to_be_visible()
    expect(field_error(page, "email")).to_be_visible()
    expect(field_error(page, "phone")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/customers/new$"))
    # The user's typing is kept, so they only fix what is wrong.
    expect(page.locator("#field-email")).to_have_value("yeyen@@ptkita")
    page.wait_for_timeout(300)
    assert _count(app, "SELECT count(*) FROM customer") == before, "a customer was saved despite the errors"


def create_lead(page, app, title: str, *, customer_id: int | None = None, company_name: str = "", contact: str = "") -> int:
    page.goto("/leads")
    since = time.monotonic()
    page.locator("#leads-new").click()
    expect(page).to_have_url(re.compile(r"/leads/new$"))
    wait_form_loaded(page, since)
    page.locator("#field-title").fill(title)
    if customer_id is not None:
        page.locator("#field-customer_id").select_option(str(customer_id))
    if company_name:
        page.locator("#field-company_name").fill(company_name)
    if contact:
        page.locator("#field-contact_name").fill(contact)
    page.locator("#field-source").select_option("phone")
    page.locator("#field-expected_revenue").fill("15.000.000")
    page.locator("#field-memo").fill("Order by phone; halal, delivery to the office at 11:30.")
    page.locator("#lead-save").click()
    expect(page).to_have_url(re.compile(r"/leads/\d+$"))
    lead_id = _id_from_url(page, r"/leads/(\d+)$")
    expect(page.locator("#page-title")).to_have_text(title)
    rows = app.query("SELECT title, status, customer_id, source, expected_revenue FROM lead WHERE id = ?", lead_id)
    assert rows and rows[0][:4] == (title, "open", customer_id, "phone") and float(rows[0][4]) == 15_000_000
    return lead_id


def convert_lead(page, app, lead_id: int, *, link_customer_id: int | None = None, create_customer: bool = False) -> int:
    page.goto(f"/leads/{lead_id}")
    page.locator("#lead-convert").click()
    dialog = page.locator("#convert-dialog")
    expect(dialog).to_be_visible()
    page.locator("#convert-action-convert").check()
    if link_customer_id is not None:
        page.locator("#convert-customer-link").check()
        # PT. KITA is offered as a suggested match; the user picks it.
        match = page.locator(f"#convert-match-{link_customer_id}")
        expect(match).to_be_visible()
        match.check()
        expect(match).to_be_checked()
    elif create_customer:
        page.locator("#convert-customer-create").check()
        expect(page.locator("#convert-customer-create")).to_be_checked()
    page.locator("#convert-confirm").click()
    expect(page).to_have_url(re.compile(r"/opportunities/\d+$"))
    opp_id = _id_from_url(page, r"/opportunities/(\d+)$")
    assert app.query("SELECT status, opportunity_id FROM lead WHERE id = ?", lead_id) == [("converted", opp_id)]
    # The lead keeps its history and points at its opportunity.
    page.goto(f"/leads/{lead_id}")
    expect(page.locator("#converted-link")).to_be_visible()
    expect(page.locator("#lead-convert")).to_have_count(0)
    return opp_id


def set_revenue_and_probability(page, app, opp_id: int) -> None:
    since = time.monotonic()
    page.goto(f"/opportunities/{opp_id}")
    wait_form_loaded(page, since)
    page.locator("#field-expected_revenue").fill("45.000.000")
    page.locator("#field-probability").fill("60")
    page.locator("#opportunity-save").click()
    # Weighted revenue = 60 % of Rp 45.000.000, shown in Indonesian format.
    expect(page.locator("#weighted-revenue")).to_have_text("Rp 27.000.000")
    rows = app.query("SELECT expected_revenue, probability FROM opportunity WHERE id = ?", opp_id)
    assert float(rows[0][0]) == 45_000_000 and rows[0][1] == 60


def bad_opportunity_input_is_refused(page, app, opp_id: int) -> None:
    since = time.monotonic()
    page.goto(f"/opportunities/{opp_id}")
    wait_form_loaded(page, since)
    # A negative revenue: the server refuses it with a message at the field.
    page.locator("#field-expected_revenue").fill("-5.000")
    page.locator("#opportunity-save").click()
    expect(field_error(page, "expected_revenue")).to_be_visible()
    # A probability over 100: the browser itself stops the form at the field (number input, max 100).
    page.locator("#field-expected_revenue").fill("45.000.000")
    page.locator("#field-probability").fill("150")
    page.locator("#opportunity-save").click()
    message = page.locator("#field-probability").evaluate("e => e.validationMessage")
    assert message, "a probability of 150 was not flagged at the field"
    page.wait_for_timeout(300)
    rows = app.query("SELECT expected_revenue, probability FROM opportunity WHERE id = ?", opp_id)
    assert float(rows[0][0]) == 45_000_000 and rows[0][1] == 60, "bad input changed the opportunity"


def schedule_call(page, app, opp_id: int) -> None:
    since = time.monotonic()
    page.goto(f"/opportunities/{opp_id}")
    wait_form_loaded(page, since)
    page.locator("#activity-schedule").click()
    page.locator("#activity-kind").select_option("call")
    page.locator("#activity-summary").fill(CALL_SUMMARY)
    due = (datetime.now() + timedelta(days=2)).replace(hour=10, minute=0)
    page.locator("#activity-due").fill(due.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#activity-save").click()
    expect(page.locator("#activity-panel").get_by_text(CALL_SUMMARY).first).to_be_visible()
    rows = app.query("SELECT kind, done FROM activity WHERE summary = ?", CALL_SUMMARY)
    assert rows == [("call", 0)]


def _product_id(app, code: str) -> str:
    return str(app.query("SELECT id FROM product WHERE code = ?", code)[0][0])


def _line_count(app, order_id: int) -> int:
    return _count(app, "SELECT COUNT(*) FROM sales_order_line WHERE order_id = ?", order_id)


def add_line(page, product_id: str, quantity: str, discount: str = "") -> None:
    page.locator("#add-product_id").select_option(product_id)
    page.locator("#add-quantity").fill(quantity)
    page.locator("#add-discount").fill(discount)
    page.locator("#add-line").click()


def quote_to_cash(page, app, opp_id: int, customer_id: int) -> None:
    """The rest of the seed flow (issue 3): quotation from the negotiated opportunity, two catering
    items at the corporate price list's prices, confirm (the opportunity is won), invoice, payment, PDF."""
    import io
    from decimal import ROUND_HALF_UP, Decimal

    from pypdf import PdfReader

    page.goto(f"/opportunities/{opp_id}")
    page.locator("#opportunity-new-quotation").click()
    expect(page).to_have_url(re.compile(r"/quotations/\d+$"))
    order_id = _id_from_url(page, r"/quotations/(\d+)$")
    expect(page.locator("#page-title")).to_have_text(re.compile(r"^QUO/\d{4}/\d{4}$"))
    expect(page.locator("#page-subtitle")).to_have_text(COMPANY)

    # Bad input: a clear message at the field, nothing saved.
    nasi, snack = _product_id(app, "NB-AYAM"), _product_id(app, "SB-3")
    add_line(page, nasi, "0")
    expect(page.locator("#add-line-form .field-error")).to_have_count(1)
    add_line(page, nasi, "10", discount="150")
    expect(page.locator("#add-line-form .field-error")).to_have_count(1)
    assert _line_count(app, order_id) == 0

    # Two catering items; the corporate list gives 5% off nasi boxes from 100 and says so.
    add_line(page, nasi, "300")
    expect(page.locator(".line-row")).to_have_count(1)
    expect(page.locator(".line-row").first).to_contain_text("Rp 33.250")
    expect(page.locator(".line-row .price-rule").first).to_contain_text("5%")
    add_line(page, snack, "300")
    expect(page.locator(".line-row")).to_have_count(2)
    untaxed = Decimal(300) * Decimal(35_000) * Decimal("0.95") + Decimal(300) * Decimal(18_000)
    total = untaxed + (untaxed * Decimal("0.11")).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    total_label = "Rp " + f"{int(total):,}".replace(",", ".")
    expect(page.locator("#doc-total")).to_have_text(total_label)

    page.locator("#confirm-sale").click()
    expect(page.locator("#page-title")).to_have_text(re.compile(r"^SO/\d{4}/\d{4}$"))
    expect(page.locator("#add-line")).to_have_count(0)
    assert app.query("SELECT state FROM opportunity WHERE id = ?", opp_id) == [("won",)]
    page.goto(f"/opportunities/{opp_id}")
    expect(page.locator("#opportunity-quotations .doc-row")).to_contain_text(re.compile(r"SO/\d{4}/\d{4}"))
    expect(page.locator(".opportunity-state")).to_have_text("Menang")
    expect(page.locator("#restore")).to_be_visible()  # won: only "restore" is offered
    page.goto(f"/customers/{customer_id}")
    expect(page.locator("#customer-documents")).to_contain_text(re.compile(r"SO/\d{4}/\d{4}"))

    page.goto(f"/quotations/{order_id}")
    page.locator("#create-invoice").click()
    page.locator("#create-invoice-submit").click()
    expect(page).to_have_url(re.compile(r"/invoices/\d+$"))
    invoice_id = _id_from_url(page, r"/invoices/(\d+)$")
    page.locator("#post-invoice").click()
    expect(page.locator("#page-title")).to_contain_text(re.compile(r"INV/\d{4}/\d{4}"))
    expect(page.locator("#invoice-due")).to_have_text(total_label)

    # Paying more than is due is refused at the field; then a partial payment and the rest.
    page.locator("#register-payment").click()
    page.locator("#field-amount").fill(str(int(total) + 1))
    page.locator("#payment-submit").click()
    expect(page.locator("#field-amount").locator("xpath=ancestor::div[contains(@class,'rt-Flex')][1]").locator(".field-error")).to_be_visible()
    page.locator("#field-amount").fill("5.000.000")
    page.locator("#payment-submit").click()
    rest = "Rp " + f"{int(total) - 5_000_000:,}".replace(",", ".")
    expect(page.locator("#invoice-due")).to_have_text(rest)
    page.locator("#register-payment").click()
    expect(page.locator("#field-amount")).to_have_value(str(int(total) - 5_000_000))
    page.locator("#payment-submit").click()
    expect(page.locator("#invoice-due")).to_have_text("Rp 0")
    expect(page.locator(".payment-row")).to_have_count(2)
    assert app.query("SELECT state, amount_paid FROM invoice WHERE id = ?", invoice_id)[0][0] == "paid"

    with page.expect_download() as download:
        page.locator("#download-pdf").click()
    assert re.fullmatch(r"INV-\d{4}-\d{4}\.pdf", download.value.suggested_filename)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(download.value.path().read_bytes())).pages)
    assert total_label in text and COMPANY in text and "PT. Kaktus Berduri" in text
    assert "tujuh belas juta enam puluh enam ribu dua ratus lima puluh rupiah" in " ".join(text.lower().split())


def stage_of(app, opp_id: int) -> str:
    return app.query("SELECT s.name FROM opportunity o JOIN stage s ON s.id = o.stage_id WHERE o.id = ?", opp_id)[0][0]


def open_board(page, search: str) -> None:
    page.goto("/pipeline")
    expect(page.locator("#kanban-board")).to_be_visible()
    expect(page.locator(".kanban-column").first).to_be_visible()
    # Narrow the board to this deal (new cards go to the end of a column, past the first page).
    page.locator("#pipeline-search").fill(search)


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------


def test_customer_form_refuses_bad_input(app_server, new_user_context):
    page = new_user_context("dewi")
    bad_customer_input_is_refused(page, app_server)


def test_seed_flow_from_customer_to_live_kanban(app_server, new_user_context):
    app = app_server
    dewi = new_user_context("dewi")

    company_id = create_company(dewi, app)
    create_contact(dewi, app, company_id)

    lead_id = create_lead(dewi, app, LEAD_TITLE, customer_id=company_id, contact=CONTACT)
    opp_id = convert_lead(dewi, app, lead_id, link_customer_id=company_id)
    assert app.query("SELECT customer_id FROM opportunity WHERE id = ?", opp_id) == [(company_id,)]

    other_lead = create_lead(dewi, app, NEW_CUSTOMER_LEAD, company_name=NEW_CUSTOMER, contact="Pak Andi")
    other_opp = convert_lead(dewi, app, other_lead, create_customer=True)
    created = app.query("SELECT c.name FROM opportunity o JOIN customer c ON c.id = o.customer_id WHERE o.id = ?", other_opp)
    assert created == [(NEW_CUSTOMER,)]

    set_revenue_and_probability(dewi, app, opp_id)
    bad_opportunity_input_is_refused(dewi, app, opp_id)
    schedule_call(dewi, app, opp_id)

    # Both salespeople open the board.
    sari = new_user_context("sari")  # the sales manager above dewi in the role tree
    card = f"#kanban-card-{opp_id}"
    negotiation = "#kanban-column-negotiation"
    for page in (dewi, sari):
        open_board(page, "Nasi box 300")
        expect(page.locator(card)).to_be_visible()
        expect(page.locator(card)).to_contain_text(COMPANY)
        expect(page.locator(card)).to_contain_text("Rp 45.000.000")
        expect(page.locator(card)).to_contain_text(CALL_SUMMARY)
        expect(page.locator(negotiation).locator(card)).to_have_count(0)
    assert stage_of(app, opp_id) != "Negotiation"

    drag(dewi, dewi.locator(card), dewi.locator(negotiation))
    expect(dewi.locator(negotiation).locator(card)).to_be_visible()
    started = time.monotonic()
    expect(sari.locator(negotiation).locator(card)).to_be_visible(timeout=LIVE_WITHIN_MS)
    print(f"\n[e2e] sari saw the move after {1000 * (time.monotonic() - started):.0f} ms (incl. polling)")
    assert stage_of(app, opp_id) == "Negotiation"
    # sari never reloaded: her page still has the search she typed.
    expect(sari.locator("#pipeline-search")).to_have_value("Nasi box 300")

    # Bahasa Indonesia.
    dewi.locator("#language-switch").select_option("id")
    expect(dewi.locator("#nav-customers")).to_have_text("Pelanggan")
    expect(dewi.locator("#nav-opportunities")).to_have_text("Peluang")
    expect(dewi.locator("#pipeline-search")).to_have_attribute("placeholder", re.compile(INDONESIAN_SEARCH))
    dewi.goto(f"/opportunities/{opp_id}")
    expect(dewi.locator("#opportunity-save")).to_have_text("Simpan")
    expect(dewi.locator("#nav-customers")).to_have_text("Pelanggan")

    quote_to_cash(dewi, app, opp_id, company_id)


def test_a_new_lead_form_never_shows_the_lead_opened_before(app_server, new_user_context):
    """Within the app (no reload) the browser keeps the last lead's form until the server has
    loaded the next one: it must show a spinner meanwhile, never the old lead, whose inputs would
    be replaced under the user's typing when the new data arrives."""
    page = new_user_context("admin")
    lead_id, title = app_server.query("SELECT id, title FROM lead WHERE status = 'open' ORDER BY id LIMIT 1")[0]
    page.goto(f"/leads/{lead_id}")
    expect(page.locator("#field-title")).to_have_value(title)
    page.evaluate(
        """title => {
            window.staleSeen = false;
            const check = () => { const f = document.querySelector('#field-title'); if (f && f.value === title && location.pathname.endsWith('/leads/new')) window.staleSeen = true; };
            window.staleObserver = new MutationObserver(check);
            window.staleObserver.observe(document.body, {subtree: true, childList: true, attributes: true});
        }""",
        title,
    )
    page.locator("#nav-leads").click()
    expect(page).to_have_url(re.compile(r"/leads$"))
    page.locator("#leads-new").click()
    expect(page).to_have_url(re.compile(r"/leads/new$"))
    expect(page.locator("#field-title")).to_have_value("")
    assert page.evaluate("window.staleSeen") is False, "the new lead form showed the lead opened before"
    # Typing right away is kept: nothing re-mounts the form afterwards.
    page.locator("#field-title").fill("Snack box 120 pax")
    page.wait_for_timeout(600)
    expect(page.locator("#field-title")).to_have_value("Snack box 120 pax")
