"""REST API: personal keys (hashed, revocable), the HTTP layer in process (auth, permissions, paging,
validation, rate limits, formats, audit), the deletes and activity functions it added to the module
services, and webhooks (events queued with the change, per-subscriber payloads, signed delivery,
retries with backoff, claims that never overlap between workers)."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from kaktus_app import db
from kaktus_app.activities import service as activities
from kaktus_app.api import app as api_module
from kaktus_app.api import service, webhooks
from kaktus_app.api.models import ApiKey, Webhook, WebhookDelivery
from kaktus_app.api.openapi import document
from kaktus_app.api.ratelimit import RateLimiter
from kaktus_app.auth.models import AuditLog, User
from kaktus_app.catalog import service as catalog
from kaktus_app.customers import service as customers
from kaktus_app.customers.models import Customer
from kaktus_app.documents import service as documents
from kaktus_app.errors import Conflict, DomainError, NotFound, PermissionDenied
from kaktus_app.helpdesk import service as helpdesk
from kaktus_app.helpdesk.models import Ticket
from kaktus_app.i18n import utcnow
from kaktus_app.leads import service as leads
from kaktus_app.sales import service as sales
from kaktus_app.sales.models import Opportunity, StageHistory
from tests.async_run import run_async

# ------------------------------------------------------------------------------------------ helpers


@pytest.fixture
def client(seeded, monkeypatch):
    """The API app in process (the same Starlette app the Reflex backend mounts), fresh rate counts."""
    monkeypatch.setattr(api_module, "limiter", RateLimiter(redis_url=""))
    with TestClient(api_module.api_app) as c:
        yield c


def key_for(session: Session, actor, **kwargs) -> dict:
    plain, _row = service.create_api_key(session, actor, "test", **kwargs)
    session.commit()
    return {"Authorization": f"Bearer {plain}"}


def company(session: Session, actor, name: str = "PT. Sinar Uji") -> Customer:
    customer = customers.create_customer(session, actor, {"name": name, "city": "Bandung", "owner_id": str(actor.id)})
    session.commit()
    return customer


# --------------------------------------------------------------------------------------------- keys


def test_key_is_shown_once_and_stored_hashed(seeded, dewi):
    plain, row = service.create_api_key(seeded, dewi, "Accounting sync")
    seeded.commit()
    assert plain.startswith("kaktus_") and len(plain) > 40
    stored = seeded.get(ApiKey, row.id)
    assert stored.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in json.dumps([str(v) for v in stored.model_dump().values()])
    assert [r["prefix"] for r in service.list_api_keys(seeded, dewi)] == [plain[:14] + "…"]  # only a prefix is ever listed
    holder = service.authenticate(seeded, plain)
    assert holder is not None and holder.actor.username == "dewi" and holder.rate_limit == service.DEFAULT_RATE_LIMIT
    assert service.authenticate(seeded, plain[:-1] + ("A" if plain[-1] != "A" else "B")) is None
    assert service.authenticate(seeded, "") is None


def test_revoked_expired_and_inactive_keys_stop(seeded, dewi, budi, admin):
    plain, row = service.create_api_key(seeded, dewi, "one")
    with pytest.raises(NotFound):
        service.revoke_api_key(seeded, budi, row.id)  # somebody else's key does not exist for budi
    service.revoke_api_key(seeded, dewi, row.id)
    assert service.authenticate(seeded, plain) is None
    plain2, row2 = service.create_api_key(seeded, dewi, "two", expires_at=utcnow() - timedelta(seconds=1))
    assert service.authenticate(seeded, plain2) is None
    plain3, row3 = service.create_api_key(seeded, dewi, "three")
    user = seeded.get(User, dewi.id)
    user.is_active = False
    seeded.add(user)
    seeded.flush()
    assert service.authenticate(seeded, plain3) is None
    service.revoke_api_key(seeded, admin, row3.id)  # administrators may revoke anybody's key
    assert seeded.get(ApiKey, row3.id).revoked_at is not None
    with pytest.raises(DomainError):
        service.create_api_key(seeded, dewi, "  ")


# ----------------------------------------------------------------------------------- the HTTP layer


def test_requests_without_a_valid_key_are_refused(client, seeded, dewi):
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized" and response.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/api/v1/customers", headers={"Authorization": "Bearer kaktus_nope"}).status_code == 401
    headers = key_for(seeded, dewi)
    assert client.get("/api/v1/customers", headers=headers).status_code == 200
    assert client.get("/api/v1/customers", headers={"X-API-Key": headers["Authorization"][7:]}).status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200  # the document is public


def test_permissions_are_the_users_own(client, seeded, dewi, admin):
    customer = company(seeded, dewi)
    sales_key = key_for(seeded, dewi)
    # a salesperson may not delete customers (the profile's "delete" right), an administrator may
    denied = client.delete(f"/api/v1/customers/{customer.id}", headers=sales_key)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    # a salesperson's profile hides product costs: the API leaves the field out
    product = catalog.create_product(seeded, admin, {"code": "NB-1", "name": "Nasi box", "category": "nasi_box", "uom": "box", "sale_price": "35000", "cost": "20000"})
    seeded.commit()
    as_sales = client.get(f"/api/v1/products/{product.id}", headers=sales_key).json()["data"]
    as_admin = client.get(f"/api/v1/products/{product.id}", headers=key_for(seeded, admin)).json()["data"]
    assert "cost" not in as_sales and as_admin["cost"] == "20000.00" and as_sales["sale_price"] == "35000.00"
    # and may not create products
    assert client.post("/api/v1/products", headers=sales_key, json={"code": "X-1", "name": "X", "category": "nasi_box", "uom": "box", "sale_price": 1}).status_code == 403
    assert client.delete(f"/api/v1/customers/{customer.id}", headers=key_for(seeded, admin)).status_code == 204


def test_another_teams_records_do_not_exist_for_the_key(client, seeded, dewi, budi):
    opportunity = sales.create_opportunity(seeded, budi, {"name": "Pernikahan Budi", "expected_revenue": "50000000"})
    seeded.commit()
    dewi_key = key_for(seeded, dewi)
    assert client.get(f"/api/v1/opportunities/{opportunity.id}", headers=dewi_key).status_code == 404
    assert client.post(f"/api/v1/opportunities/{opportunity.id}/won", headers=dewi_key).status_code == 404
    listed = client.get("/api/v1/opportunities", headers=dewi_key).json()
    assert opportunity.id not in [o["id"] for o in listed["data"]]


def test_pagination_sorting_filters(client, seeded, dewi):
    for index in range(7):
        customers.create_customer(seeded, dewi, {"name": f"PT Paging {index}", "city": "Bogor" if index % 2 else "Depok"})
    seeded.commit()
    headers = key_for(seeded, dewi)
    first = client.get("/api/v1/customers?per_page=3&sort=-name", headers=headers).json()
    assert first["meta"] == {"page": 1, "per_page": 3, "total": 7, "total_capped": False, "pages": 3}
    assert [c["name"] for c in first["data"]] == ["PT Paging 6", "PT Paging 5", "PT Paging 4"]
    assert "page=2" in first["links"]["next"] and "prev" not in first["links"]
    last = client.get("/api/v1/customers?per_page=3&sort=-name&page=3", headers=headers).json()
    assert [c["name"] for c in last["data"]] == ["PT Paging 0"]
    bogor = client.get("/api/v1/customers?city=Bogor", headers=headers).json()
    assert bogor["meta"]["total"] == 3
    too_big = client.get("/api/v1/customers?per_page=101", headers=headers)
    assert too_big.status_code == 422 and "per_page" in too_big.json()["error"]["fields"]
    bad = client.get("/api/v1/customers?sort=password&colour=red&page=0", headers=headers).json()["error"]
    assert set(bad["fields"]) == {"sort", "colour", "page"}


def test_validation_errors_name_each_field(client, seeded, dewi):
    headers = key_for(seeded, dewi)
    response = client.post("/api/v1/customers", headers=headers, json={"name": "", "email": "not-an-email", "phone": "12", "segment": "pirates"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed" and {"name", "email", "phone", "segment"} <= set(error["fields"])
    assert error["fields"]["email"] == "Not a valid email address."
    indonesian = client.post("/api/v1/customers", headers={**headers, "Accept-Language": "id"}, json={"email": "x"}).json()["error"]
    assert indonesian["fields"]["name"] == "Kolom ini wajib diisi."
    # wrong JSON types never reach a service
    typed = client.post("/api/v1/customers", headers=headers, json={"name": 5, "owner_id": "abc", "tags": {"a": 1}, "colour": "red"}).json()["error"]
    assert set(typed["fields"]) == {"name", "owner_id", "tags", "colour"}
    assert client.post("/api/v1/customers", headers=headers, content=b"{nope").json()["error"]["code"] == "bad_request"
    assert client.post("/api/v1/customers", headers=headers, json=[1, 2]).status_code == 422
    assert client.post("/api/v1/customers", headers=headers, json={"name": "A\u0000B"}).status_code == 422
    assert client.get("/api/v1/customers/99999999999999999999", headers=headers).status_code == 404
    assert client.put("/api/v1/customers", headers=headers).status_code == 405
    assert client.get("/api/v1/nothing-here", headers=headers).json()["error"]["code"] == "not_found"


def test_formats_actions_and_audit(client, seeded, dewi):
    headers = key_for(seeded, dewi)
    lead = client.post("/api/v1/leads", headers=headers, json={"title": "Katering 500 pax", "company_name": "PT Baru", "expected_revenue": 15000000.5, "tags": "kantor, rapat"})
    assert lead.status_code == 201 and lead.headers["location"].endswith(f"/leads/{lead.json()['data']['id']}")
    data = lead.json()["data"]
    assert data["expected_revenue"] == "15000000.50" and data["tags"] == ["kantor", "rapat"] and data["created_at"].endswith("Z")
    converted = client.post(f"/api/v1/leads/{data['id']}/convert", headers=headers, json={"customer_mode": "create"})
    assert converted.status_code == 200
    opportunity = converted.json()["data"]
    assert opportunity["lead_id"] == data["id"] and opportunity["stages"]
    again = client.post(f"/api/v1/leads/{data['id']}/convert", headers=headers)
    assert again.status_code == 422 and again.json()["error"]["code"] == "rule_violation"
    stale = client.patch(f"/api/v1/opportunities/{opportunity['id']}", headers=headers, json={"memo": "x", "version": opportunity["version"] + 5})
    assert stale.status_code == 409
    stage = next(s for s in opportunity["stages"] if s["name"] == "Proposition")
    moved = client.post(f"/api/v1/opportunities/{opportunity['id']}/move", headers=headers, json={"stage_id": stage["id"]}).json()["data"]
    assert moved["stage_id"] == stage["id"] and moved["probability"] == 50
    assert client.post(f"/api/v1/opportunities/{opportunity['id']}/lost", headers=headers, json={}).status_code == 422
    won = client.post(f"/api/v1/opportunities/{opportunity['id']}/won", headers=headers).json()["data"]
    assert won["state"] == "won" and won["closed_at"].endswith("Z")
    seeded.expire_all()
    trail = seeded.exec(select(AuditLog).where(AuditLog.module == "opportunities", AuditLog.record_id == opportunity["id"])).all()
    assert trail and {row.username for row in trail} == {"dewi"}  # API writes are the key holder's


def test_quotation_with_lines_and_ticket_conversation(client, seeded, dewi, admin):
    customer = company(seeded, dewi)
    product = catalog.create_product(seeded, admin, {"code": "NB-2", "name": "Nasi box rendang", "category": "nasi_box", "uom": "box", "sale_price": "40000"})
    seeded.commit()
    headers = key_for(seeded, dewi)
    quotation = client.post("/api/v1/quotations", headers=headers, json={"customer_id": customer.id, "lines": [{"product_id": product.id, "quantity": 100}]})
    assert quotation.status_code == 201, quotation.text
    data = quotation.json()["data"]
    assert data["total"] == "4440000.00" and data["lines"][0]["quantity"] == "100.00"  # 100 × 40.000 + PPN 11 %
    bad_line = client.post("/api/v1/quotations", headers=headers, json={"customer_id": customer.id, "lines": [{"product_id": product.id, "quantity": -1}]})
    assert "lines[0].quantity" in bad_line.json()["error"]["fields"]
    sent = client.post(f"/api/v1/quotations/{data['id']}/send", headers=headers).json()["data"]
    assert sent["state"] == "sent"
    assert client.delete(f"/api/v1/quotations/{data['id']}", headers=key_for(seeded, admin)).status_code == 422  # only drafts
    ticket = client.post("/api/v1/tickets", headers=headers, json={"title": "Nasi dingin", "company_id": customer.id, "priority": "high"}).json()["data"]
    assert ticket["number"].startswith("TK-") and ticket["first_response_due"].endswith("Z")
    replied = client.post(f"/api/v1/tickets/{ticket['id']}/messages", headers=headers, json={"body": "Mohon maaf, kami cek."}).json()["data"]
    assert replied["status"] == "in_progress" and "Mohon maaf, kami cek." in [m["body"] for m in replied["messages"]]


def test_rate_limit_answers_429_with_retry_after(client, seeded, dewi):
    headers = key_for(seeded, dewi, rate_limit=3)
    answers = [client.get("/api/v1/customers", headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["x-ratelimit-limit"] == "3" and answers[0].headers["x-ratelimit-remaining"] == "2"
    assert int(answers[3].headers["retry-after"]) >= 1 and answers[3].json()["error"]["code"] == "rate_limited"


def test_openapi_document_matches_the_routes(client):
    doc = document()
    assert doc["openapi"].startswith("3.0")
    for resource in ("customers", "contacts", "leads", "opportunities", "activities", "products", "quotations", "tickets"):
        assert {"get", "post"} <= set(doc["paths"][f"/api/v1/{resource}"])
        assert {"get", "patch", "delete"} <= set(doc["paths"][f"/api/v1/{resource}/{{id}}"])
    for path in ("/api/v1/leads/{id}/convert", "/api/v1/opportunities/{id}/move", "/api/v1/opportunities/{id}/won", "/api/v1/opportunities/{id}/lost"):
        assert "post" in doc["paths"][path]
    refs = json.dumps(doc)
    for name in {part.split('"')[0] for part in refs.split("#/components/schemas/")[1:]}:
        assert name in doc["components"]["schemas"], name


# ------------------------------------------------------------------------- service functions added


def test_deletes_refuse_what_is_still_used(seeded, dewi, admin):
    customer = company(seeded, dewi)
    contact = customers.create_customer(seeded, dewi, {"kind": "person", "name": "Yeyen", "company_id": str(customer.id)})
    seeded.commit()
    with pytest.raises(PermissionDenied):
        customers.delete_customer(seeded, dewi, customer.id)  # salespeople have no "delete" on customers
    with pytest.raises(Conflict):
        customers.delete_customer(seeded, admin, customer.id)  # its contact points at it
    seeded.rollback()
    customers.delete_customer(seeded, admin, contact.id)
    customers.delete_customer(seeded, admin, customer.id)
    assert seeded.get(Customer, customer.id) is None

    lead = leads.create_lead(seeded, dewi, {"title": "Lead A"})
    activities.schedule_activity(seeded, dewi, {"summary": "Telepon", "due_at": "2026-12-24T10:00", "lead_id": str(lead.id)})
    leads.delete_lead(seeded, dewi, lead.id)  # its planned call goes with it
    converted = leads.create_lead(seeded, dewi, {"title": "Lead B"})
    opportunity_id = leads.convert_lead(seeded, dewi, converted.id, customer_mode="none")
    with pytest.raises(DomainError):
        leads.delete_lead(seeded, dewi, converted.id)

    other = company(seeded, dewi, "PT. Order")
    documents.create_quotation(seeded, dewi, {"customer_id": str(other.id), "opportunity_id": str(opportunity_id)})
    seeded.commit()
    with pytest.raises(Conflict):
        sales.delete_opportunity(seeded, dewi, opportunity_id)  # a quotation points at it
    seeded.rollback()
    lonely = sales.create_opportunity(seeded, dewi, {"name": "Tanpa dokumen"})
    sales.delete_opportunity(seeded, dewi, lonely.id)
    assert seeded.get(Opportunity, lonely.id) is None
    assert not seeded.exec(select(StageHistory).where(StageHistory.opportunity_id == lonely.id)).all()

    product = catalog.create_product(seeded, admin, {"code": "DEL-1", "name": "Dipakai", "category": "nasi_box", "uom": "box", "sale_price": "1000"})
    order = documents.create_quotation(seeded, dewi, {"customer_id": str(other.id)})
    documents.add_line(seeded, dewi, order.id, {"product_id": str(product.id)})
    seeded.commit()
    with pytest.raises(Conflict):
        catalog.delete_product(seeded, admin, product.id)
    seeded.rollback()
    documents.delete_quotation(seeded, admin, order.id)
    catalog.delete_product(seeded, admin, product.id)

    ticket = helpdesk.create_ticket(seeded, admin, {"title": "Hapus saya", "company_id": str(other.id)})
    helpdesk.add_message(seeded, admin, ticket.id, "Halo", public=True)
    with pytest.raises(PermissionDenied):
        helpdesk.delete_ticket(seeded, dewi, ticket.id)
    helpdesk.delete_ticket(seeded, admin, ticket.id)
    assert seeded.get(Ticket, ticket.id) is None


def test_activity_list_read_update(seeded, dewi, budi):
    customer = company(seeded, dewi)
    mine = activities.schedule_activity(seeded, dewi, {"summary": "Rapat", "kind": "meeting", "due_at": "2026-12-24T10:00", "customer_id": str(customer.id)})
    activities.schedule_activity(seeded, budi, {"summary": "Budi's", "due_at": "2026-12-25T10:00", "customer_id": str(customer.id)})
    listed = activities.list_activities(seeded, dewi, kind="meeting")
    assert [r["id"] for r in listed["rows"]] == [mine.id]
    assert activities.get_activity(seeded, dewi, mine.id)["summary"] == "Rapat"
    activities.update_activity(seeded, dewi, mine.id, {"summary": "Rapat final", "due_at": "2026-12-26T09:00"})
    assert seeded.get(type(mine), mine.id).summary == "Rapat final"
    activities.mark_done(seeded, dewi, mine.id)
    with pytest.raises(DomainError):
        activities.update_activity(seeded, dewi, mine.id, {"summary": "too late"})


# ------------------------------------------------------------------------------------------- webhooks


def subscribe(session, actor, events, url="https://hooks.example.com/kaktus") -> tuple[str, Webhook]:
    secret, hook = service.create_webhook(session, actor, {"url": url, "events": events})
    session.commit()
    return secret, hook


def deliveries(session) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_events_are_queued_with_the_change_and_only_for_what_the_subscriber_sees(seeded, dewi, budi):
    subscribe(seeded, dewi, ["opportunity.won", "opportunity.created"])
    mine = sales.create_opportunity(seeded, dewi, {"name": "Rapat tahunan", "expected_revenue": "12500000"})
    seeded.rollback()  # nothing committed, nothing queued
    assert deliveries(seeded) == []
    mine = sales.create_opportunity(seeded, dewi, {"name": "Rapat tahunan", "expected_revenue": "12500000"})
    hidden_from_dewi = sales.create_opportunity(seeded, budi, {"name": "Pernikahan (tim lain)"})
    seeded.commit()
    sales.mark_won(seeded, dewi, mine.id)
    sales.mark_won(seeded, budi, hidden_from_dewi.id)
    seeded.commit()
    rows = deliveries(seeded)
    assert [(r.event, json.loads(r.payload)["data"]["id"]) for r in rows] == [("opportunity.created", mine.id), ("opportunity.won", mine.id)]
    payload = json.loads(rows[1].payload)
    assert payload["event"] == "opportunity.won" and payload["data"]["state"] == "won" and payload["data"]["expected_revenue"] == "12500000.00"
    with pytest.raises(DomainError):
        service.create_webhook(seeded, dewi, {"url": "ftp://x", "events": ["nope"]})
    with pytest.raises(DomainError):
        service.create_webhook(seeded, dewi, {"url": "http://127.0.0.1:9/hook", "events": ["*"]})  # private network


class Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(Receiver.answers.pop(0) if Receiver.answers else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("KAKTUS_WEBHOOK_ALLOW_PRIVATE", "1")
    Receiver.answers, Receiver.received = [], []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


_run = run_async


async def _round() -> int:
    async with httpx.AsyncClient() as client:
        return await webhooks.deliver_once(client, "test-worker")


def test_signed_delivery_retries_with_backoff_then_fails(seeded, admin, receiver, monkeypatch):
    secret, hook = subscribe(seeded, admin, ["ticket.created"], url=receiver)
    customer = company(seeded, admin)
    helpdesk.create_ticket(seeded, admin, {"title": "Kotak rusak", "company_id": str(customer.id)})
    seeded.commit()
    Receiver.answers = [500]
    assert _run(_round()) == 1
    row = deliveries(seeded)[0]
    assert row.status == "pending" and row.attempts == 1 and row.response_status == 500
    wait = service._aware(row.next_attempt_at) - utcnow()
    assert timedelta(seconds=25) < wait <= service.RETRY_BASE
    assert _run(_round()) == 0  # not due yet
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    seeded.add(row)
    seeded.commit()
    assert _run(_round()) == 1
    row = deliveries(seeded)[0]
    assert row.status == "delivered" and row.attempts == 2
    headers, body = Receiver.received[-1]
    assert headers["X-Kaktus-Event"] == "ticket.created"
    assert service.verify_signature(secret, headers["X-Kaktus-Signature"], body)
    assert not service.verify_signature("whsec_wrong", headers["X-Kaktus-Signature"], body)
    assert json.loads(body)["data"]["title"] == "Kotak rusak"
    # backoff doubles and is capped; after the last attempt the delivery fails for good
    assert service.backoff(1) == service.RETRY_BASE and service.backoff(3) == service.RETRY_BASE * 4 and service.backoff(40) == service.RETRY_CAP
    service.queue_ping(seeded, admin, hook.id)
    seeded.commit()
    ping = deliveries(seeded)[-1]
    ping.attempts = service.MAX_ATTEMPTS - 1
    seeded.add(ping)
    seeded.commit()
    Receiver.answers = [503]
    _run(_round())
    assert deliveries(seeded)[-1].status == "failed"
    service.redeliver(seeded, admin, ping.id)
    seeded.commit()
    _run(_round())
    assert deliveries(seeded)[-1].status == "delivered"


def test_private_addresses_fail_without_retry(seeded, admin, receiver, monkeypatch):
    subscribe(seeded, admin, ["customer.created"], url=receiver)
    company(seeded, admin)
    monkeypatch.delenv("KAKTUS_WEBHOOK_ALLOW_PRIVATE")
    _run(_round())
    row = deliveries(seeded)[0]
    assert row.status == "failed" and "private" in row.last_error and Receiver.received == []


def test_workers_never_claim_the_same_delivery(db_url, seeded, admin):
    _secret, hook = subscribe(seeded, admin, ["*"])
    now = utcnow()
    for _ in range(30):
        service._queue(seeded, hook, "ping", {}, now)
    seeded.commit()
    claimed: list[list[int]] = []
    barrier = threading.Barrier(4)

    def worker(name: str) -> None:
        barrier.wait()
        with db.session_scope(db_url) as session:
            claimed.append([job["id"] for job in service.claim_due(session, name, limit=30)])

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [i for batch in claimed for i in batch]
    assert len(ids) == len(set(ids)) == 30
