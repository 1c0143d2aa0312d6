"""An administrator invites a colleague, who signs in with the temporary password and changes it;
deactivating the account ends her session."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.e2e.helpers import login, wait_settled


def _open(page, path: str) -> None:
    since = time.monotonic()
    page.goto(path)
    wait_settled(page, since)


def test_invite_sign_in_change_password_and_deactivate(app_server, browsers, new_user_context):
    admin = new_user_context("admin")
    _open(admin, "/admin/users")
    admin.locator("#field-username").fill("yuni")
    admin.locator("#field-full_name").fill("Yuni Marlina")
    admin.locator("#field-email").fill("yuni@kaktusberduri.co.id")
    marketing = app_server.query("SELECT id FROM role WHERE name = 'Marketing'")[0][0]
    admin.locator("#field-role_id").select_option(str(marketing))
    admin.locator("#invite-user").click()
    expect(admin.locator("#temporary-password")).to_have_text(re.compile(r"^\w{4}-\w{4}-\w{4}-\w{4}$"))
    password = admin.locator("#temporary-password").inner_text()
    admin.locator("#temporary-close").click()
    expect(admin.locator("#user-row-yuni")).to_contain_text("Yuni Marlina")

    # Inviting the same username again is refused at the field.
    admin.locator("#field-username").fill("yuni")
    admin.locator("#field-full_name").fill("Yuni lagi")
    admin.locator("#invite-user").click()
    expect(admin.locator("#error-username")).to_be_visible()

    yuni = browsers.new_page()
    login(yuni, "yuni", password)
    _open(yuni, "/account/security")
    yuni.locator("#field-current").fill(password)
    yuni.locator("#field-new").fill("short")
    yuni.locator("#field-repeat").fill("short")
    yuni.locator("#change-password").click()
    expect(yuni.locator("#error-new_password")).to_be_visible()
    yuni.locator("#field-new").fill("tumpeng-kuning-2026")
    yuni.locator("#field-repeat").fill("tumpeng-kuning-2026")
    yuni.locator("#change-password").click()
    expect(yuni.get_by_text("Password changed.")).to_be_visible()

    # Five wrong passwords lock the account for a while, even for the right password;
    # a password reset by the administrator lifts the lock.
    guesser = browsers.new_page()
    for attempt in range(1, 6):
        login(guesser, "yuni", "tebak-tebakan", expect_home=False)
        expect(guesser.locator("#login-error")).to_be_visible()
        # the message of the previous attempt may still show: wait until this one is counted
        deadline = time.monotonic() + 10
        while app_server.query("SELECT failed_logins FROM app_user WHERE username = 'yuni'")[0][0] < attempt and time.monotonic() < deadline:
            time.sleep(0.1)
    login(guesser, "yuni", "tumpeng-kuning-2026", expect_home=False)
    expect(guesser.locator("#login-error")).to_contain_text("Too many failed attempts")
    _open(admin, "/admin/users")
    admin.locator("#user-row-yuni .user-reset").click()
    expect(admin.locator("#temporary-password")).to_have_text(re.compile(r"^\w{4}-"))
    fresh = admin.locator("#temporary-password").inner_text()
    admin.locator("#temporary-close").click()
    login(guesser, "yuni", fresh)

    admin.locator("#user-row-yuni .user-deactivate").click()
    expect(admin.locator("#user-row-yuni .user-state")).to_have_text("Deactivated")
    yuni.goto("/customers")
    expect(yuni.locator("#login-username")).to_be_visible()
    login(yuni, "yuni", "tumpeng-kuning-2026", expect_home=False)
    expect(yuni.locator("#login-error")).to_be_visible()
