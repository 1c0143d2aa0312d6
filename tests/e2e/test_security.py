"""Two-factor login and "log out everywhere", as a staff member sets them up."""

from __future__ import annotations

import time

import pyotp
from playwright.sync_api import expect

from tests.e2e.helpers import PASSWORDS, login, wait_settled


def _code(seed: str, not_before: float = 0.0) -> str:
    """The current code; waits for the next 30 s window when the previous code was ``not_before``."""
    totp = pyotp.TOTP(seed)
    while time.time() // 30 == not_before // 30:
        time.sleep(0.5)
    return totp.now()


def test_two_factor_login_and_log_out_everywhere(browsers, new_user_context):
    page = new_user_context("rina")
    other = new_user_context("rina")  # the same user in a second browser
    since = time.monotonic()
    page.goto("/account/security")
    wait_settled(page, since)
    expect(page.locator("#totp-state")).to_have_text("Off")
    page.locator("#totp-setup").click()
    expect(page.locator("#totp-qr")).to_be_visible()
    seed = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.locator("#totp-code").fill("000000")
    page.locator("#totp-submit").click()
    expect(page.locator("#totp-error")).to_be_visible()
    page.locator("#totp-code").fill(pyotp.TOTP(seed).now())
    page.locator("#totp-submit").click()
    expect(page.locator("#totp-state")).to_have_text("On")
    used = time.time()

    # Log out everywhere: the other browser is signed out too.
    page.locator("#security-logout-everywhere").click()
    expect(page.locator("#login-username")).to_be_visible()
    other.goto("/customers")
    expect(other.locator("#login-username")).to_be_visible()

    # Signing in now asks for the code; a wrong one is refused, the right one lets her in.
    login(page, "rina", PASSWORDS["rina"], expect_home=False)
    expect(page.locator("#login-code")).to_be_visible()
    page.locator("#login-code").fill("111111")
    page.locator("#login-submit").click()
    expect(page.locator("#login-error")).to_contain_text("code")
    page.locator("#login-code").fill(_code(seed, used))
    page.locator("#login-submit").click()
    expect(page.locator("#user-menu")).to_be_visible()

    # Turn it off again (other tests sign in as rina without a code).
    since = time.monotonic()
    page.goto("/account/security")
    wait_settled(page, since)
    expect(page.locator("#totp-state")).to_have_text("On")
    page.locator("#totp-code").fill(pyotp.TOTP(seed).now())
    page.locator("#totp-submit").click()
    expect(page.locator("#totp-state")).to_have_text("Off")
