"""The REST API over real HTTP against the production app: keys, permissions, pagination,
validation errors, rate limits, webhooks subscribed through the API, the key management page in a
browser, and a schemathesis run over the OpenAPI document (on a backend of its own, since fuzzing
creates, changes and deletes records the other tests rely on)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from kaktus_app import db
from tests.e2e.helpers import ROOT, RunningApp, _run_checked, _venv_tool, app_env, free_port, wait_settled

API = "/api/v1"


def make_key(app: RunningApp, username: str, **kwargs) -> str:
    """A key created the way the settings page does (the service), straight in the app's database."""
    from sqlmodel import select

    from kaktus_app.api import service
    from kaktus_app.auth.models import User
    from kaktus_app.auth.service import actor_for

    with db.session_scope(f"sqlite:///{app.db_path}") as session:
        actor = actor_for(session.exec(select(User).where(User.username == username)).one())
        plain, _row = service.create_api_key(session, actor, f"e2e {username}", **kwargs)
    return plain


@pytest.fixture(scope="module")
def keys(app_server) -> dict[str, str]:
    return {name: make_key(app_server, name, rate_limit=10_000) for name in ("admin", "dewi", "budi", "rina")}


@pytest.fixture(scope="module")
def http(app_server, keys):
    """``http("dewi")`` -> an httpx client on the running app holding dewi's key."""
    clients: list[httpx.Client] = []

    def client(username: str | None = None, **headers) -> httpx.Client:
        auth = {"Authorization": f"Bearer {keys[username]}"} if username else {}
        c = httpx.Client(base_url=app_server.base_url, headers={**auth, **headers}, timeout=30)
        clients.append(c)
        return c

    yield client
    for c in clients:
        c.close()


def user_id(app: RunningApp, username: str) -> int:
    return app.query("SELECT id FROM app_user WHERE username = ?", username)[0][0]


def test_requests_need_a_valid_key(app_server, http):
    anonymous = http()
    refused = anonymous.get(f"{API}/customers")
    assert refused.status_code == 401 and refused.headers["content-type"].startswith("application/json")
    assert refused.json()["error"]["code"] == "unauthorized" and "Bearer" in refused.headers["www-authenticate"]
    assert anonymous.get(f"{API}/customers", headers={"Authorization": "Bearer kaktus_made_up"}).status_code == 401
    plain = make_key(app_server, "dewi")
    assert anonymous.get(f"{API}/me", headers={"X-API-Key": plain}).json()["data"]["username"] == "dewi"
    key_id = app_server.query("SELECT id FROM api_key WHERE prefix = ?", plain[:14])[0][0]
    from kaktus_app.api import service

    with db.session_scope(f"sqlite:///{app_server.db_path}") as session:
        service.revoke_api_key(session, service.authenticate(session, plain).actor, key_id)
    assert anonymous.get(f"{API}/me", headers={"X-API-Key": plain}).status_code == 401  # revoked: at once
    document = anonymous.get(f"{API}/openapi.json").json()  # the document itself is public
    assert document["openapi"].startswith("3.") and f"{API}/opportunities/{{id}}/won" in document["paths"]
    missing = http("dewi").get(f"{API}/no-such-thing")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_a_key_has_exactly_its_users_permissions(app_server, http):
    dewi, rina, admin = http("dewi"), http("rina"), http("admin")
    # support agents may read leads but not create them
    assert rina.get(f"{API}/leads").status_code == 200
    denied = rina.post(f"{API}/leads", json={"title": "Tidak boleh"})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    # salespeople may create customers but not delete them; an administrator may
    created = dewi.post(f"{API}/customers", json={"name": "PT. API Uji Hapus", "city": "Surabaya"})
    assert created.status_code == 201, created.text
    customer_id = created.json()["data"]["id"]
    assert dewi.delete(f"{API}/customers/{customer_id}").status_code == 403
    assert admin.delete(f"{API}/customers/{customer_id}").status_code == 204
    assert admin.get(f"{API}/customers/{customer_id}").status_code == 404
    # fields the profile hides are not in the answer (salespeople do not see product costs)
    product_id = admin.get(f"{API}/products?per_page=1").json()["data"][0]["id"]
    assert "cost" in admin.get(f"{API}/products/{product_id}").json()["data"]
    assert "cost" not in dewi.get(f"{API}/products/{product_id}").json()["data"]
    # another team's opportunities do not exist for dewi (sharing rule "team")
    budis = admin.get(f"{API}/opportunities", params={"owner_id": user_id(app_server, "budi"), "per_page": 5}).json()["data"]
    assert budis, "the demo gives budi opportunities"
    assert dewi.get(f"{API}/opportunities/{budis[0]['id']}").status_code == 404
    assert budis[0]["id"] not in [o["id"] for o in dewi.get(f"{API}/opportunities", params={"per_page": 100}).json()["data"]]


def test_lists_are_paginated_filtered_and_sorted(http):
    admin = http("admin")
    first = admin.get(f"{API}/customers", params={"per_page": 10, "sort": "name"}).json()
    total, pages = first["meta"]["total"], first["meta"]["pages"]
    assert total > 10 and pages == -(-total // 10) and len(first["data"]) == 10
    seen, page, names = [], first, []
    while True:
        seen += [c["id"] for c in page["data"]]
        names += [c["name"] for c in page["data"]]
        if "next" not in page["links"]:
            break
        page = admin.get(page["links"]["next"]).json()
    assert len(seen) == len(set(seen)) == total  # every record once, none twice
    assert page["meta"]["page"] == pages and "prev" in page["links"]
    jakarta = admin.get(f"{API}/customers", params={"province": "DKI Jakarta", "per_page": 100}).json()["data"]
    assert jakarta and {c["province"] for c in jakarta} == {"DKI Jakarta"}
    newest = admin.get(f"{API}/opportunities", params={"sort": "-expected_revenue", "per_page": 20}).json()["data"]
    amounts = [float(o["expected_revenue"]) for o in newest]
    assert amounts == sorted(amounts, reverse=True) and all(isinstance(o["expected_revenue"], str) for o in newest)
    capped = admin.get(f"{API}/customers", params={"per_page": 500})
    assert capped.status_code == 422 and "per_page" in capped.json()["error"]["fields"]
    unknown = admin.get(f"{API}/tickets", params={"sort": "secret_column", "stauts": "new"}).json()["error"]
    assert set(unknown["fields"]) == {"sort", "stauts"}


def test_bad_input_gets_clear_errors_never_a_server_error(http):
    dewi = http("dewi")
    invalid = dewi.post(f"{API}/leads", json={"title": "", "email": "bukan-email", "expected_revenue": "banyak", "source": "pigeon"})
    assert invalid.status_code == 422
    error = invalid.json()["error"]
    assert error["code"] == "validation_failed" and {"title", "email", "expected_revenue", "source"} <= set(error["fields"])
    in_indonesian = dewi.post(f"{API}/leads", json={"title": ""}, headers={"Accept-Language": "id"}).json()["error"]
    assert in_indonesian["fields"]["title"] == "Kolom ini wajib diisi."
    typed = dewi.post(f"{API}/opportunities", json={"name": ["x"], "probability": "tinggi", "customer_id": -3, "version": 1}).json()["error"]
    assert set(typed["fields"]) == {"name", "probability", "customer_id", "version"}
    assert dewi.post(f"{API}/leads", content=b'{"title": ', headers={"Content-Type": "application/json"}).status_code == 400
    assert dewi.patch(f"{API}/leads/2147483648", json={"title": "x"}).status_code == 404
    assert dewi.delete(f"{API}/leads").status_code == 405


def test_writes_actions_formats_and_audit(app_server, http):
    dewi = http("dewi")
    lead = dewi.post(f"{API}/leads", json={"title": "API: katering rapat 300 pax", "company_name": "PT. API Baru", "expected_revenue": "45.000.000"}).json()["data"]
    assert lead["expected_revenue"] == "45000000.00" and lead["created_at"].endswith("Z")
    opportunity = dewi.post(f"{API}/leads/{lead['id']}/convert", json={"customer_mode": "create"}).json()["data"]
    assert opportunity["lead_id"] == lead["id"] and opportunity["state"] == "open"
    proposition = next(s for s in opportunity["stages"] if s["name"] == "Proposition")
    moved = dewi.post(f"{API}/opportunities/{opportunity['id']}/move", json={"stage_id": proposition["id"], "version": opportunity["version"]})
    assert moved.status_code == 200 and moved.json()["data"]["probability"] == 50
    stale = dewi.post(f"{API}/opportunities/{opportunity['id']}/move", json={"stage_id": proposition["id"], "version": opportunity["version"]})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    won = dewi.post(f"{API}/opportunities/{opportunity['id']}/won").json()["data"]
    assert won["state"] == "won" and won["probability"] == 100
    closed = dewi.post(f"{API}/opportunities/{opportunity['id']}/lost", json={"reason": "competitor"})
    assert closed.status_code == 422 and closed.json()["error"]["code"] == "rule_violation"
    who = app_server.query("SELECT DISTINCT username FROM audit_log WHERE module = 'opportunities' AND record_id = ?", opportunity["id"])
    assert who == [("dewi",)]


def test_rate_limit_per_key(app_server, http):
    limited = make_key(app_server, "budi", rate_limit=5)
    client = http(**{"Authorization": f"Bearer {limited}"})
    answers = [client.get(f"{API}/me") for _ in range(6)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    if answers[5].status_code != 429:  # the five fell across a minute boundary: one more window
        answers += [client.get(f"{API}/me") for _ in range(5)]
    assert answers[-1].status_code == 429
    assert answers[-1].json()["error"]["code"] == "rate_limited" and int(answers[-1].headers["retry-after"]) >= 1
    assert answers[0].headers["x-ratelimit-limit"] == "5"


def test_webhooks_through_the_api(http):
    dewi = http("dewi")
    private = dewi.post(f"{API}/webhooks", json={"url": "http://127.0.0.1:8000/steal", "events": ["*"]})
    assert private.status_code == 422 and "url" in private.json()["error"]["fields"]
    created = dewi.post(f"{API}/webhooks", json={"url": "https://hooks.example.com/kaktus", "events": ["ticket.created", "opportunity.won"]})
    assert created.status_code == 201, created.text
    hook = created.json()["data"]
    assert hook["secret"].startswith("whsec_") and "secret" not in dewi.get(f"{API}/webhooks/{hook['id']}").json()["data"]
    company_id = dewi.get(f"{API}/customers", params={"per_page": 1}).json()["data"][0]["id"]
    ticket = dewi.post(f"{API}/tickets", json={"title": "API: nasi kurang", "company_id": company_id}).json()["data"]
    queued = dewi.get(f"{API}/webhooks/{hook['id']}/deliveries").json()
    assert queued["meta"]["total"] == 1 and queued["data"][0]["event"] == "ticket.created"
    assert dewi.post(f"{API}/webhooks/{hook['id']}/ping").status_code == 202
    assert http("budi").get(f"{API}/webhooks/{hook['id']}").status_code == 404  # nobody else's
    assert dewi.delete(f"{API}/tickets/{ticket['id']}").status_code == 403  # salespeople may not delete tickets
    assert dewi.delete(f"{API}/webhooks/{hook['id']}").status_code == 204


def test_key_management_page(app_server, new_user_context, tmp_path):
    page = new_user_context("sari")
    page.locator("#user-menu").click()
    since = time.monotonic()
    page.locator("#menu-api-keys").click()
    wait_settled(page, since)
    expect(page.locator("#page-title")).to_have_text("API keys & webhooks")
    page.locator("#api-key-name").fill("Sinkron akuntansi")
    page.locator("#api-key-create").click()
    expect(page.locator("#api-new-key")).to_be_visible()
    plain = page.locator("#api-new-key").inner_text().strip()
    assert plain.startswith("kaktus_")
    assert all(plain not in str(value) for row in app_server.query("SELECT * FROM api_key") for value in row)  # only its hash is kept
    client = httpx.Client(base_url=app_server.base_url, headers={"Authorization": f"Bearer {plain}"}, timeout=30)
    assert client.get(f"{API}/me").json()["data"]["username"] == "sari"
    page.locator("#webhook-url").fill("https://hooks.example.com/sari")
    page.locator("label", has_text="opportunity.won").locator("button").click()
    page.locator("#webhook-create").click()
    expect(page.locator("#webhook-new-secret")).to_contain_text("whsec_")
    expect(page.locator(".webhook-row")).to_have_count(1)
    expect(page.locator(".api-key-row")).to_have_count(1)
    shot = tmp_path / "api-keys-page.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"\n[e2e] screenshot of /account/api-keys: {shot}")
    page.locator(".revoke-key").click()
    expect(page.locator(".api-key-row").first).to_contain_text("Revoked")
    assert client.get(f"{API}/me").status_code == 401
    client.close()
    page.locator(".webhook-row").get_by_role("button", name="Delete").click()  # no deliveries for the later tests
    expect(page.locator(".webhook-row")).to_have_count(0)


# ------------------------------------------------------------------------------------ schemathesis


@pytest.fixture(scope="module")
def own_backend(tmp_path_factory):
    """A backend-only server (no frontend build: about 10 s) on a fresh database with the demo data."""
    workdir = tmp_path_factory.mktemp("api-fuzz")
    db_path = workdir / "fuzz.db"
    log = workdir / "server.log"
    env = app_env(f"sqlite:///{db_path}", workdir / "web", workdir / "states")
    _run_checked([_venv_tool("alembic"), "upgrade", "head"], env, log)
    _run_checked([sys.executable, "-m", "kaktus_app.demo", "--if-empty"], env, log)
    port = free_port()
    with log.open("a") as out:
        process = subprocess.Popen(
            [_venv_tool("reflex"), "run", "--env", "prod", "--backend-only", "--backend-port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    app = RunningApp(f"http://127.0.0.1:{port}", db_path, log, process)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(app.url("/ping"), timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        app.stop()
        pytest.fail(f"the backend did not start:\n{app.log_tail(60)}")
    try:
        yield app
    finally:
        app.stop()


def test_schemathesis_finds_no_server_error(own_backend):
    key = make_key(own_backend, "admin", rate_limit=100_000)
    examples = os.environ.get("KAKTUS_SCHEMATHESIS_EXAMPLES", "5")
    report = Path(own_backend.log_path).with_name("schemathesis.txt")
    cmd = [
        _venv_tool("schemathesis"), "run", own_backend.url(f"{API}/openapi.json"), "--header", f"Authorization: Bearer {key}",
        "--checks", "not_a_server_error", "--max-examples", examples, "--phases", "examples,coverage,fuzzing", "--workers", "2",
        "--no-color",
    ]
    with report.open("w") as out:
        result = subprocess.run(cmd, cwd=report.parent, stdout=out, stderr=subprocess.STDOUT, timeout=900)
    output = report.read_text()
    summary = output[output.rfind("SUMMARY"):] if "SUMMARY" in output else output[-3000:]
    assert result.returncode == 0, f"schemathesis found failures:\n{summary}\n\nserver log:\n{own_backend.log_tail(80)}"
    assert "failed" not in own_backend.log_tail(2000), own_backend.log_tail(80)
    print(f"\n[e2e] schemathesis: {summary.strip().splitlines()[-1] if summary.strip() else ''}")
