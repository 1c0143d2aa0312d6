"""End-to-end fixtures: the REAL compiled app in production mode, driven by Debian Chromium.

One app build per test session (``app_server``): a fresh SQLite database, ``alembic upgrade head``,
the demo data, then ``reflex run --env prod`` from the repository root on a free port. The frontend
is built in ``.web-e2e/`` so a ``make run`` in the same checkout is not disturbed.

Every browser context records every request its pages make; a test fails at teardown when any
request left localhost. Screenshots of the pages of a failed test go to ``tests/e2e/artifacts/``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, Browsers, RunningApp, start_app

expect.set_options(timeout=10_000)


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end test against the compiled app in a real browser")
    config.addinivalue_line("markers", "own_app: the test starts its own app server (no shared app_server)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def app_server(tmp_path_factory) -> Iterator[RunningApp]:
    """The app, built once per session, with the demo data in a fresh SQLite database."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"end-to-end tests need Chromium at {CHROMIUM} (`make chromium` installs it from Debian)")
    started = time.monotonic()
    app = start_app(tmp_path_factory.mktemp("e2e-app"), ROOT / ".web-e2e", "e2e")
    print(f"\n[e2e] app up at {app.base_url} after {time.monotonic() - started:.1f} s")
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


def _failed(node) -> bool:
    return any(getattr(getattr(node, f"rep_{when}", None), "failed", False) for when in ("setup", "call"))


@pytest.fixture
def browsers(browser, request) -> Iterator[Browsers]:
    """Browser contexts for this test; fails the test if any request left localhost."""
    default_app = None if request.node.get_closest_marker("own_app") else request.getfixturevalue("app_server")
    b = Browsers(browser, default_app)
    try:
        yield b
    finally:
        if _failed(request.node):
            shots = b.screenshot_all(request.node.nodeid)
            if shots:
                print("\n[e2e] screenshots: " + ", ".join(str(s) for s in shots))
            if default_app is not None:
                print("\n[e2e] server log tail:\n" + default_app.log_tail(40))
        b.close()
    external = b.external_requests()
    assert not external, "the browser made requests that left localhost:\n  " + "\n  ".join(external)


@pytest.fixture
def new_user_context(browsers) -> Callable:
    """``new_user_context("dewi")`` -> a page in a new browser context, logged in as dewi."""
    return browsers.new_user_context
