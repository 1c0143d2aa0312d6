"""Personal API keys and webhook subscriptions: every rule about them lives here (no reflex, no HTTP).

A key is ``kaktus_`` + 43 random URL-safe characters (256 bits). Only its SHA-256 is stored — a slow
password hash buys nothing against a random 256-bit secret and would cost every request. The plain
key is returned once, by ``create_api_key``. A key acts as its user: the module services check the
user's permissions exactly as for the web pages, and the audit trail names the user.

Webhook deliveries are an outbox (``webhook_delivery``): rows are written in the same transaction
as the change that caused them (see ``kaktus_app.api.events``) and drained by the delivery loop
(``kaktus_app.api.webhooks``), which claims rows with ``UPDATE ... WHERE status = 'pending'`` so
any number of workers can run it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, update
from sqlmodel import Session, select

from kaktus_app.api.models import ApiKey, Webhook, WebhookDelivery
from kaktus_app.auth import audit, permissions, secret_key
from kaktus_app.auth.models import User
from kaktus_app.auth.service import Actor, actor_for
from kaktus_app.errors import DomainError, NotFound, ValidationError
from kaktus_app.i18n import format_datetime, utcnow
from kaktus_app.paging import page_of
from kaktus_app.validation import Errors, clean_text

KEY_PREFIX = "kaktus_"
MAX_KEYS_PER_USER = 20
MAX_WEBHOOKS_PER_USER = 20
DEFAULT_RATE_LIMIT = int(os.environ.get("KAKTUS_API_RATE_LIMIT", "120"))  # requests per minute and key
LAST_USED_EVERY = timedelta(minutes=1)  # how often a key's "last used" is written (not on every request)

# The events a webhook can subscribe to ("*" = all of them); each names the resource of its payload.
EVENTS = {
    "customer.created": "customers", "customer.updated": "customers", "customer.deleted": "customers",
    "contact.created": "contacts", "contact.updated": "contacts", "contact.deleted": "contacts",
    "lead.created": "leads", "lead.converted": "leads", "lead.lost": "leads", "lead.deleted": "leads",
    "opportunity.created": "opportunities", "opportunity.stage_changed": "opportunities", "opportunity.won": "opportunities",
    "opportunity.lost": "opportunities", "opportunity.deleted": "opportunities",
    "quotation.created": "quotations", "quotation.sent": "quotations", "quotation.confirmed": "quotations",
    "quotation.deleted": "quotations",
    "ticket.created": "tickets", "ticket.status_changed": "tickets", "ticket.deleted": "tickets",
    "activity.created": "activities", "activity.done": "activities", "activity.deleted": "activities",
}
MAX_ATTEMPTS = int(os.environ.get("KAKTUS_WEBHOOK_MAX_ATTEMPTS", "8"))
RETRY_BASE = timedelta(seconds=float(os.environ.get("KAKTUS_WEBHOOK_RETRY_SECONDS", "30")))  # 30 s, 1 min, 2 min ...
RETRY_CAP = timedelta(hours=6)
STALE_CLAIM = timedelta(minutes=5)  # a "sending" row older than this belonged to a worker that died


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z (the API's one datetime format)."""
    if value is None:
        return None
    return _aware(value).astimezone(UTC).isoformat().replace("+00:00", "Z")


# ------------------------------------------------------------------------------------------ keys


def create_api_key(session: Session, actor: Actor, name: str, *, rate_limit: int | None = None, expires_at: datetime | None = None) -> tuple[str, ApiKey]:
    """A new key for the actor: (the plain key — shown once, never stored — and its row)."""
    errors = Errors()
    name = errors.check("name", clean_text, name, required=True, max_length=80)
    errors.raise_if_any()
    active = session.exec(select(func.count(ApiKey.id)).where(ApiKey.user_id == actor.id, ApiKey.revoked_at.is_(None))).one()
    if active >= MAX_KEYS_PER_USER:
        raise DomainError("api.error.too_many_keys", max=MAX_KEYS_PER_USER)
    limit = DEFAULT_RATE_LIMIT if rate_limit is None else int(rate_limit)
    if not 1 <= limit <= 100_000:
        raise ValidationError({"rate_limit": "error.number_invalid"})
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(user_id=actor.id, name=name, prefix=plain[:14], key_hash=_hash(plain), rate_limit=limit, created_at=utcnow(), expires_at=expires_at)
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "auth", record_id=row.id, label=name, detail=f"API key {row.prefix}…")
    return plain, row


def _key_row(key: ApiKey, lang: str) -> dict:
    now = utcnow()
    expired = key.expires_at is not None and _aware(key.expires_at) <= now
    status = "revoked" if key.revoked_at else "expired" if expired else "active"
    return {
        "id": key.id, "name": key.name, "prefix": key.prefix + "…", "status": status, "rate_limit": key.rate_limit,
        "created": format_datetime(key.created_at, lang), "last_used": format_datetime(key.last_used_at, lang),
        "expires": format_datetime(key.expires_at, lang), "revoked": format_datetime(key.revoked_at, lang),
    }


def list_api_keys(session: Session, actor: Actor, lang: str = "en") -> list[dict]:
    """The actor's own keys, newest first (never the key itself: it is not stored)."""
    rows = session.exec(select(ApiKey).where(ApiKey.user_id == actor.id).order_by(ApiKey.id.desc()).limit(100)).all()
    return [_key_row(k, lang) for k in rows]


def revoke_api_key(session: Session, actor: Actor, key_id: int) -> None:
    """Revoke one of the actor's keys (an administrator may revoke anybody's); it stops at once."""
    key = session.get(ApiKey, key_id)
    if key is None or (key.user_id != actor.id and not actor.is_admin):
        raise NotFound()
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.flush()
        audit.record(session, actor, "delete", "auth", record_id=key.id, label=key.name, detail=f"API key {key.prefix}… revoked")


@dataclass(frozen=True)
class KeyHolder:
    """Who a request's key belongs to: the actor, the key's id and its rate limit per minute."""

    actor: Actor
    key_id: int
    rate_limit: int


def authenticate(session: Session, plain: str) -> KeyHolder | None:
    """The holder of a presented key, or None (unknown, revoked, expired, or the user is inactive)."""
    if not plain or not plain.startswith(KEY_PREFIX) or len(plain) > 100:
        return None
    row = session.exec(select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.key_hash == _hash(plain))).first()
    if row is None:
        return None
    key, user = row
    now = utcnow()
    if key.revoked_at is not None or (key.expires_at is not None and _aware(key.expires_at) <= now) or not user.is_active:
        return None
    if key.last_used_at is None or now - _aware(key.last_used_at) > LAST_USED_EVERY:
        session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    return KeyHolder(actor_for(user), key.id, key.rate_limit)


# -------------------------------------------------------------------------------------- webhooks


def private_targets_allowed() -> bool:
    """Webhooks to loopback / private / link-local addresses are refused unless
    KAKTUS_WEBHOOK_ALLOW_PRIVATE=1 (a URL must not become a way into the internal network)."""
    return os.environ.get("KAKTUS_WEBHOOK_ALLOW_PRIVATE") == "1"


def address_blocked(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def _parse_url(raw) -> str:
    from kaktus_app.validation import FieldError

    url = str(raw or "").strip()
    if not url:
        raise FieldError("error.required")
    if len(url) > 500:
        raise FieldError("error.too_long", max=500)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError as exc:
        raise FieldError("api.error.url_invalid") from exc
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password or any(c.isspace() for c in url):
        raise FieldError("api.error.url_invalid")
    if not private_targets_allowed() and (host == "localhost" or host.endswith(".localhost") or address_blocked(host)):
        raise FieldError("api.error.url_private")
    return url


def _parse_events(raw) -> str:
    from kaktus_app.validation import FieldError

    items = raw if isinstance(raw, (list, tuple)) else str(raw or "").split(",")
    events = sorted({str(e).strip() for e in items if str(e).strip()})
    if not events:
        raise FieldError("api.error.events_required")
    if "*" in events:
        return ",*,"
    if any(e not in EVENTS for e in events):
        raise FieldError("api.error.event_unknown")
    return "," + ",".join(events) + ","


def _webhook(session: Session, actor: Actor, webhook_id) -> Webhook:
    hook = session.get(Webhook, int(webhook_id)) if str(webhook_id).isdigit() else None
    if hook is None or hook.user_id != actor.id:
        raise NotFound()
    return hook


def create_webhook(session: Session, actor: Actor, data: dict) -> tuple[str, Webhook]:
    """Subscribe a URL to events: (the signing secret — shown once — and the subscription)."""
    errors = Errors()
    url = errors.check("url", _parse_url, data.get("url"))
    events = errors.check("events", _parse_events, data.get("events"))
    description = errors.check("description", clean_text, data.get("description"), max_length=200) or ""
    errors.raise_if_any()
    count = session.exec(select(func.count(Webhook.id)).where(Webhook.user_id == actor.id)).one()
    if count >= MAX_WEBHOOKS_PER_USER:
        raise DomainError("api.error.too_many_webhooks", max=MAX_WEBHOOKS_PER_USER)
    plain = "whsec_" + secrets.token_urlsafe(32)
    now = utcnow()
    hook = Webhook(user_id=actor.id, url=url, events=events, description=description, secret=secret_key.encrypt(plain), created_at=now, updated_at=now)
    session.add(hook)
    session.flush()
    audit.record(session, actor, "create", "auth", record_id=hook.id, label=url[:200], detail="webhook subscribed")
    return plain, hook


def update_webhook(session: Session, actor: Actor, webhook_id, data: dict) -> Webhook:
    hook = _webhook(session, actor, webhook_id)
    errors = Errors()
    if "url" in data:
        hook.url = errors.check("url", _parse_url, data.get("url")) or hook.url
    if "events" in data:
        hook.events = errors.check("events", _parse_events, data.get("events")) or hook.events
    if "description" in data:
        hook.description = errors.check("description", clean_text, data.get("description"), max_length=200) or ""
    if "active" in data:
        active = data.get("active")
        if not isinstance(active, bool):
            errors.add("active", "api.error.type_boolean")
        else:
            hook.active = active
    errors.raise_if_any()
    hook.updated_at = utcnow()
    session.add(hook)
    session.flush()
    return hook


def delete_webhook(session: Session, actor: Actor, webhook_id) -> None:
    """Unsubscribe: the subscription goes, with its delivery log."""
    hook = _webhook(session, actor, webhook_id)
    session.execute(WebhookDelivery.__table__.delete().where(WebhookDelivery.webhook_id == hook.id))
    session.delete(hook)
    session.flush()
    audit.record(session, actor, "delete", "auth", record_id=hook.id, label=hook.url[:200], detail="webhook removed")


def webhook_events(hook: Webhook) -> list[str]:
    return [e for e in hook.events.strip(",").split(",") if e]


def webhook_dict(session: Session, hook: Webhook) -> dict:
    """A subscription as the API shows it (never the secret)."""
    last = session.exec(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id).order_by(WebhookDelivery.id.desc()).limit(1)).first()
    return {
        "id": hook.id, "url": hook.url, "events": webhook_events(hook), "description": hook.description, "active": hook.active,
        "created_at": iso(hook.created_at), "updated_at": iso(hook.updated_at),
        "last_delivery": delivery_dict(last) if last else None,
    }


def list_webhooks(session: Session, actor: Actor) -> list[dict]:
    return [webhook_dict(session, h) for h in session.exec(select(Webhook).where(Webhook.user_id == actor.id).order_by(Webhook.id))]


def get_webhook(session: Session, actor: Actor, webhook_id) -> dict:
    return webhook_dict(session, _webhook(session, actor, webhook_id))


def delivery_dict(d: WebhookDelivery) -> dict:
    return {
        "id": d.id, "webhook_id": d.webhook_id, "event": d.event, "event_id": d.event_id, "status": d.status, "attempts": d.attempts,
        "response_status": d.response_status, "last_error": d.last_error, "created_at": iso(d.created_at),
        "next_attempt_at": iso(d.next_attempt_at) if d.status == "pending" else None, "delivered_at": iso(d.delivered_at),
    }


def list_deliveries(session: Session, actor: Actor, *, webhook_id=None, status: str = "", page: int = 1, page_size: int = 25) -> dict:
    """The actor's deliveries (one subscription's with ``webhook_id``), newest first."""
    own = select(Webhook.id).where(Webhook.user_id == actor.id)
    if webhook_id not in (None, ""):
        own = own.where(Webhook.id == _webhook(session, actor, webhook_id).id)

    def filtered(query):
        query = query.where(WebhookDelivery.webhook_id.in_(own))
        return query.where(WebhookDelivery.status == status) if status else query

    at = page_of(session, filtered(select(WebhookDelivery.id)), page, page_size)
    rows = session.exec(filtered(select(WebhookDelivery)).order_by(WebhookDelivery.id.desc()).offset(at.offset).limit(at.size)).all()
    return at.result([delivery_dict(d) for d in rows])


def _queue(session: Session, hook: Webhook, event: str, data: dict, now: datetime) -> WebhookDelivery:
    event_id = uuid.uuid4().hex
    body = {"id": event_id, "event": event, "created_at": iso(now), "data": data}
    delivery = WebhookDelivery(
        webhook_id=hook.id, event=event, event_id=event_id, payload=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        next_attempt_at=now, created_at=now,
    )
    session.add(delivery)
    return delivery


def queue_ping(session: Session, actor: Actor, webhook_id) -> WebhookDelivery:
    """A "ping" delivery, to try a subscription's URL and signature check."""
    hook = _webhook(session, actor, webhook_id)
    delivery = _queue(session, hook, "ping", {"webhook_id": hook.id, "user": actor.username}, utcnow())
    session.flush()
    return delivery


def redeliver(session: Session, actor: Actor, delivery_id) -> WebhookDelivery:
    """Send a failed (or delivered) delivery again, with a fresh set of attempts."""
    delivery = session.get(WebhookDelivery, int(delivery_id)) if str(delivery_id).isdigit() else None
    if delivery is None:
        raise NotFound()
    _webhook(session, actor, delivery.webhook_id)
    if delivery.status in ("pending", "sending"):
        raise DomainError("api.error.delivery_busy")
    delivery.status, delivery.attempts, delivery.next_attempt_at, delivery.last_error = "pending", 0, utcnow(), ""
    session.add(delivery)
    session.flush()
    return delivery


# ----------------------------------------------------------------------------- events -> deliveries


@dataclass(frozen=True)
class RecordEvent:
    """Something that happened to a record, captured when it was flushed (see ``api.events``)."""

    event: str
    resource: str
    record_id: int
    owner_id: int | None = None


def queue_events(session: Session, events: list[RecordEvent]) -> int:
    """Write one delivery per event and subscribed webhook, inside the transaction that caused the
    events. Each payload is the record as its subscriber may see it through the API (a record they
    may not see sends them nothing). Returns how many deliveries were queued."""
    from kaktus_app.api import resources
    from kaktus_app.api.events import unique_events

    hooks = session.exec(select(Webhook).where(Webhook.active == True)).all()  # noqa: E712
    if not hooks:
        return 0
    events = unique_events(events)
    actors: dict[int, Actor | None] = {}
    now, queued = utcnow(), 0
    for ev in events:
        for hook in hooks:
            if hook.events != ",*," and f",{ev.event}," not in hook.events:
                continue
            if hook.user_id not in actors:
                user = session.get(User, hook.user_id)
                actors[hook.user_id] = actor_for(user) if user is not None and user.is_active else None
            actor = actors[hook.user_id]
            if actor is None:
                continue
            data = _event_data(session, actor, ev, resources)
            if data is not None:
                _queue(session, hook, ev.event, data, now)
                queued += 1
    return queued


def _event_data(session: Session, actor: Actor, ev: RecordEvent, resources) -> dict | None:
    module = resources.RESOURCES[ev.resource].module
    if ev.event.endswith(".deleted"):
        if not permissions.can(session, actor, module, "read"):
            return None
        try:
            permissions.check_visible(session, actor, module, ev.owner_id)
        except DomainError:
            return None
        return {"id": ev.record_id}
    try:
        return resources.read_record(session, actor, ev.resource, ev.record_id)
    except DomainError:
        return None


# ---------------------------------------------------------------------------------- the delivery loop


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Kaktus-Signature header: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: int | None = None) -> bool:
    """What a receiver does (shown in the README; used by the tests)."""
    import time

    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else int(time.time())) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, 4 min ... at most 6 h."""
    return min(RETRY_BASE * (2 ** max(0, attempts - 1)), RETRY_CAP)


def claim_due(session: Session, worker: str, *, limit: int = 10, now: datetime | None = None) -> list[dict]:
    """Take up to ``limit`` due deliveries for this worker. A row is ours only if our
    ``UPDATE ... WHERE status = 'pending'`` changed it, so workers never send the same row twice."""
    now = now or utcnow()
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.status == "sending", WebhookDelivery.claimed_at < now - STALE_CLAIM)
        .values(status="pending")
    )
    candidates = session.exec(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    ).all()
    jobs = []
    for delivery_id in candidates:
        result = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending")
            .values(status="sending", claimed_at=now, claimed_by=worker[:80], attempts=WebhookDelivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue  # another worker was faster
        delivery = session.get(WebhookDelivery, delivery_id)
        session.refresh(delivery)
        hook = session.get(Webhook, delivery.webhook_id)
        secret = secret_key.decrypt(hook.secret) if hook is not None else None
        if hook is None or not hook.active or secret is None:
            _finish(session, delivery, ok=False, status_code=None, error="subscription inactive", permanent=True, now=now)
            continue
        jobs.append({"id": delivery.id, "url": hook.url, "secret": secret, "payload": delivery.payload, "event": delivery.event, "attempt": delivery.attempts})
    return jobs


def _finish(session: Session, delivery: WebhookDelivery, *, ok: bool, status_code: int | None, error: str, permanent: bool, now: datetime) -> None:
    delivery.response_status = status_code
    delivery.last_error = (error or "")[:300]
    delivery.claimed_at, delivery.claimed_by = None, ""
    if ok:
        delivery.status, delivery.delivered_at = "delivered", now
    elif permanent or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
    else:
        delivery.status, delivery.next_attempt_at = "pending", now + backoff(delivery.attempts)
    session.add(delivery)
    session.flush()


def record_result(session: Session, delivery_id: int, *, ok: bool, status_code: int | None = None, error: str = "", permanent: bool = False, now: datetime | None = None) -> str:
    """After an attempt: delivered, or pending again after a backoff, or failed for good. Returns the status."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != "sending":
        return delivery.status if delivery else "gone"
    _finish(session, delivery, ok=ok, status_code=status_code, error=error, permanent=permanent, now=now or utcnow())
    return delivery.status


# ----------------------------------------------------------------------------- the settings page


def webhook_rows(session: Session, actor: Actor, lang: str = "en") -> list[dict]:
    """The actor's subscriptions for the settings page (times shown in Jakarta time)."""
    rows = []
    for hook in session.exec(select(Webhook).where(Webhook.user_id == actor.id).order_by(Webhook.id)):
        events = webhook_events(hook)
        rows.append({
            "id": hook.id, "url": hook.url, "description": hook.description, "active": hook.active,
            "events": ", ".join(events) if events != ["*"] else "*", "created": format_datetime(hook.created_at, lang),
        })
    return rows


def recent_deliveries(session: Session, actor: Actor, lang: str = "en", limit: int = 20) -> list[dict]:
    """The actor's latest deliveries, all subscriptions together."""
    own = select(Webhook.id).where(Webhook.user_id == actor.id)
    rows = session.exec(select(WebhookDelivery).where(WebhookDelivery.webhook_id.in_(own)).order_by(WebhookDelivery.id.desc()).limit(limit)).all()
    return [
        {
            "id": d.id, "webhook_id": d.webhook_id, "event": d.event, "status": d.status, "attempts": d.attempts,
            "answer": str(d.response_status) if d.response_status is not None else d.last_error, "when": format_datetime(d.created_at, lang),
            "can_redeliver": d.status in ("failed", "delivered"),
        }
        for d in rows
    ]
