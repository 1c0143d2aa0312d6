"""Login, logout, the login guard, the language switch and global search, as a user sees them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PASSWORDS, login


def test_wrong_password_shows_message_at_form(browsers):
    page = browsers.new_page()
    login(page, "rina", "not-her-password", expect_home=False)
    expect(page.locator("#login-error")).to_contain_text("Wrong username or password")
    expect(page).to_have_url(re.compile(r"/login"))
    # The form keeps the username so the user only retypes the password.
    expect(page.locator("#login-username")).to_have_value("rina")


def test_login_lands_on_home_and_survives_reload_then_logout(browsers):
    page = browsers.new_page()
    login(page, "dewi", PASSWORDS["dewi"])
    expect(page).to_have_url(re.compile(r"localhost:\d+/$"))
    expect(page.locator("#user-menu")).to_contain_text("Dewi Lestari")

    page.reload()
    expect(page.locator("#user-menu")).to_contain_text("Dewi Lestari")
    expect(page).not_to_have_url(re.compile(r"/login"))

    page.goto("/customers")
    expect(page.locator("#nav-customers")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/customers/?$"))

    page.locator("#user-menu").click()
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("#login-submit")).to_be_visible()
    # The old session is gone for good: a protected page sends the user back to the login.
    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/login"))


@pytest.mark.parametrize("path", ["/", "/customers", "/leads", "/pipeline", "/opportunities", "/activities"])
def test_pages_redirect_to_login_when_logged_out(browsers, path):
    page = browsers.new_page()
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("#login-submit")).to_be_visible()
    # Nothing of the staff shell is shown to a stranger.
    expect(page.locator("#nav-customers")).to_have_count(0)


def test_login_returns_to_the_page_asked_for(browsers):
    page = browsers.new_page()
    page.goto("/leads")
    expect(page).to_have_url(re.compile(r"/login\?next=/leads"))
    page.locator("#login-username").fill("budi")
    page.locator("#login-password").fill(PASSWORDS["budi"])
    page.locator("#login-submit").click()
    expect(page).to_have_url(re.compile(r"/leads/?$"))
    expect(page.locator("#user-menu")).to_contain_text("Budi Santoso")


def test_language_switch_to_indonesian_survives_reload(new_user_context):
    page = new_user_context("admin")
    expect(page.locator("#nav-customers")).to_have_text("Customers")
    page.locator("#language-switch").select_option("id")
    expect(page.locator("#nav-customers")).to_have_text("Pelanggan")
    expect(page.locator("#nav-leads")).to_have_text("Prospek")
    expect(page.locator("#global-search")).to_have_attribute("placeholder", re.compile("Cari pelanggan"))

    page.reload()
    expect(page.locator("#nav-customers")).to_have_text("Pelanggan")
    expect(page.locator("#language-switch")).to_have_value("id")

    page.locator("#language-switch").select_option("en")
    expect(page.locator("#nav-customers")).to_have_text("Customers")


def _demo_customer(app_server) -> tuple[int, str, str]:
    rows = app_server.query(
        "SELECT id, name, phone FROM customer WHERE phone LIKE '+62%' AND kind = 'company' ORDER BY id LIMIT 1"
    )
    assert rows, "the demo data has no company with a phone number; global search has nothing to find"
    return rows[0]


def _local_phone(e164: str) -> str:
    """+62218448205 -> 021-8448205-ish local form a user would type (0 + national number)."""
    return "0" + e164.removeprefix("+62")


def test_global_search_finds_customer_by_name_and_phone(app_server, new_user_context):
    customer_id, name, phone = _demo_customer(app_server)
    page = new_user_context("dewi")
    search = page.locator("#global-search")

    search.fill(name[:6])
    results = page.locator("#search-results")
    expect(results.locator(".search-hit", has_text=name)).to_be_visible()

    search.fill(_local_phone(phone)[:8])
    expect(results.locator(".search-hit", has_text=name)).to_be_visible()
    results.locator(".search-hit", has_text=name).first.click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}$"))
    expect(page.get_by_text(name).first).to_be_visible()


def test_no_request_leaves_localhost_while_browsing(browsers, new_user_context):
    page = new_user_context("admin")
    for path in ["/", "/customers", "/leads", "/pipeline", "/opportunities", "/activities"]:
        page.goto(path)
        expect(page.locator("#nav-customers")).to_be_visible()
        page.wait_for_load_state("networkidle")
    assert browsers.requests, "the browser recorded no request at all; the recorder is broken"
    assert any("localhost" in url for url in browsers.requests)
    assert browsers.external_requests() == []


def test_request_recorder_catches_a_request_leaving_localhost(browsers, new_user_context):
    """The guard itself: a request to another host is recorded (and would fail the test)."""
    page = new_user_context("admin")
    page.route("http://cdn.example.invalid/**", lambda route: route.abort())  # never leaves the machine
    page.evaluate("() => fetch('http://cdn.example.invalid/lib.js').catch(() => null)")
    page.wait_for_timeout(200)
    assert browsers.external_requests() == ["http://cdn.example.invalid/lib.js"]
    browsers.requests.clear()  # this test's own probe must not fail it at teardown
