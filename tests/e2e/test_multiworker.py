"""Production with Redis: Reflex starts several workers; users on different workers still share one
app (login sessions hold across workers, and the live pipeline reaches every open board).

Runs only when KAKTUS_TEST_REDIS_URL is set (``.ci/run`` sets it when a local Redis answers). It
uses Redis database 3 so it does not clash with other users of the same Redis.
"""

from __future__ import annotations

import os
import re
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import ROOT, start_app, worker_count

REDIS_URL = os.environ.get("KAKTUS_TEST_REDIS_URL", "")
REDIS_DB = 3

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason="needs KAKTUS_TEST_REDIS_URL (set by .ci/run when a local Redis answers)"),
]


def _with_db(url: str, number: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", parts.query, parts.fragment))


@pytest.fixture(scope="module")
def redis_app(tmp_path_factory):
    import redis

    url = _with_db(REDIS_URL, REDIS_DB)
    try:
        client = redis.Redis.from_url(url, socket_timeout=5)
        client.ping()
        client.flushdb()
        client.close()
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"Redis at {url} does not answer: {exc}")
    app = start_app(tmp_path_factory.mktemp("e2e-redis"), ROOT / ".web-e2e-redis", "redis", REFLEX_REDIS_URL=url)
    try:
        yield app
    finally:
        app.stop()


@pytest.mark.own_app
def test_redis_prod_runs_several_workers_and_sessions_hold_across_them(redis_app, browsers):
    assert worker_count(redis_app) >= 2, "with Redis, prod should serve the app with several workers:\n" + redis_app.log_tail(30)
    pages = [browsers.new_user_context(user, app=redis_app) for user in ("dewi", "sari", "admin")]
    # Every reload opens a new websocket, which may land on any worker: the session must hold.
    for page in pages:
        for _ in range(2):
            page.reload()
            expect(page.locator("#user-menu")).to_be_visible()
            expect(page).not_to_have_url(re.compile(r"/login"))
    expect(pages[0].locator("#user-menu")).to_contain_text("Dewi Lestari")
    expect(pages[1].locator("#user-menu")).to_contain_text("Sari Kusuma")


def _open_deal_in(app, stage: str) -> tuple[int, str]:
    rows = app.query(
        "SELECT o.id, o.name FROM opportunity o JOIN stage s ON s.id = o.stage_id"
        " WHERE s.name = ? AND o.state = 'open' ORDER BY o.id LIMIT 1",
        stage,
    )
    assert rows, f"the demo data has no open opportunity in {stage}"
    return rows[0]


def _worker_of(page) -> str:
    """The id of the worker that holds this page's websocket (Reflex records it in Redis)."""
    import pickle

    import redis

    token = page.evaluate("() => window.sessionStorage.getItem('token')")
    client = redis.Redis.from_url(_with_db(REDIS_URL, REDIS_DB), socket_timeout=5)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            raw = client.get(f"token_manager_socket_record_{token}")
            if raw:
                return pickle.loads(raw).instance_id
            time.sleep(0.2)
    finally:
        client.close()
    raise AssertionError(f"no socket record in Redis for the page's token {token}")


@pytest.mark.own_app
def test_redis_workers_share_the_live_pipeline(redis_app, browsers):
    """Boards whose websockets sit on different workers see each other's moves without a reload."""
    opp_id, name = _open_deal_in(redis_app, "New")
    card = f"#kanban-card-{opp_id}"
    boards, workers = [], []
    users = ["sari", "admin", "sari", "admin", "sari", "admin", "sari", "admin"]  # see every team's deals
    for user in users:
        # Open boards until at least two workers hold one (the kernel spreads the connections).
        if len(boards) >= 3 and len(set(workers)) >= 2:
            break
        page = browsers.new_user_context(user, app=redis_app)
        page.goto("/pipeline")
        expect(page.locator("#kanban-board")).to_be_visible()
        page.locator("#pipeline-search").fill(name)
        expect(page.locator("#kanban-column-new").locator(card)).to_be_visible()
        boards.append(page)
        workers.append(_worker_of(page))
    assert len(set(workers)) >= 2, f"all {len(boards)} boards landed on one worker: {workers}"
    print(f"\n[e2e] {len(boards)} boards on {len(set(workers))} workers")

    # The first board drags the card to Negotiation: every other board follows.
    mover, *watchers = boards
    mover.locator(card).drag_to(mover.locator("#kanban-column-negotiation"))
    for page in watchers:
        expect(page.locator("#kanban-column-negotiation").locator(card)).to_be_visible(timeout=5_000)

    # Another board moves it on with the "move to stage" menu: the first board follows.
    second = watchers[0]
    second.locator(f"#card-move-menu-{opp_id}").click()
    second.locator(".move-to-proposition").click()
    for page in boards:
        expect(page.locator("#kanban-column-proposition").locator(card)).to_be_visible(timeout=5_000)
    stage = redis_app.query("SELECT s.name FROM opportunity o JOIN stage s ON s.id = o.stage_id WHERE o.id = ?", opp_id)
    assert stage == [("Proposition",)]
