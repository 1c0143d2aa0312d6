"""The webhook delivery loop: a lifespan task of every backend worker.

Each round claims due rows (``service.claim_due``: a row is sent by the worker whose
``UPDATE ... WHERE status = 'pending'`` took it), POSTs them signed, and records the outcome: a 2xx
answer is delivered; anything else (or no answer in 10 s) is retried with an exponential backoff;
after the last attempt, or for a URL that points into the private network, the delivery fails.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from urllib.parse import urlsplit

import httpx

from kaktus_app import db
from kaktus_app.api import service

log = logging.getLogger(__name__)
POLL_SECONDS = float(os.environ.get("KAKTUS_WEBHOOK_POLL_SECONDS", "3"))
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
BATCH = 10
_resolver = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook-dns")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def _blocked(url: str) -> bool:
    """Does the URL's host resolve to a loopback, private or link-local address (refused unless
    KAKTUS_WEBHOOK_ALLOW_PRIVATE=1)?"""
    if service.private_targets_allowed():
        return False
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:  # in a pool of its own: a slow resolver must not hold the threads every db.run call needs
        infos = await asyncio.get_running_loop().run_in_executor(_resolver, partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM))
    except OSError:
        return False  # unresolvable: the POST fails and is retried
    return any(service.address_blocked(info[4][0]) for info in infos)


async def send(client: httpx.AsyncClient, job: dict) -> dict:
    """POST one claimed delivery; returns the outcome for ``service.record_result``."""
    if await _blocked(job["url"]):
        return {"ok": False, "status_code": None, "error": "address not allowed (private network)", "permanent": True}
    body = job["payload"].encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Kaktus-Webhooks/1",
        "X-Kaktus-Event": job["event"],
        "X-Kaktus-Delivery": str(job["id"]),
        "X-Kaktus-Attempt": str(job["attempt"]),
        "X-Kaktus-Signature": service.sign(job["secret"], timestamp, body),
    }
    try:
        response = await client.post(job["url"], content=body, headers=headers, timeout=TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as exc:
        return {"ok": False, "status_code": None, "error": f"{type(exc).__name__}: {exc}"[:300], "permanent": False}
    ok = 200 <= response.status_code < 300
    return {"ok": ok, "status_code": response.status_code, "error": "" if ok else f"HTTP {response.status_code}", "permanent": False}


async def deliver_once(client: httpx.AsyncClient, worker: str | None = None, *, limit: int = BATCH) -> int:
    """One round: claim, send (concurrently), record. Returns how many were attempted."""
    jobs = await db.run(service.claim_due, worker or worker_name(), limit=limit)
    if not jobs:
        return 0
    outcomes = await asyncio.gather(*(send(client, job) for job in jobs))
    for job, outcome in zip(jobs, outcomes, strict=True):
        await db.run(service.record_result, job["id"], **outcome)
    return len(jobs)


async def delivery_loop() -> None:
    """Runs for the life of the worker (registered with ``app.register_lifespan_task``)."""
    worker = worker_name()
    async with httpx.AsyncClient(trust_env=True) as client:
        while True:
            try:
                sent = await deliver_once(client, worker)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook delivery round failed")
                sent = 0
            await asyncio.sleep(0.2 if sent else POLL_SECONDS)
