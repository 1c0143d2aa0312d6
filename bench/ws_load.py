"""Websocket load run over Reflex's own socket protocol (Socket.IO on /_event), on loopback only.

Starts the production server twice — local state (one worker), then Redis state with --workers
backend workers (GRANIAN_WORKERS) — and drives N simulated users who page the customer
list and move pipeline cards, one event in flight per user. Prints events/s and latency p50/p95.
Nothing here asserts a timing.

    python -m bench.ws_load --users 20 --seconds 20 [--workers 2] [--client raw|socketio] [--oplock 2s] [--customers 10000] [--redis redis://127.0.0.1:6379/5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import socketio
from sqlmodel import Session, select

from kaktus_app import db
from kaktus_app.auth import service as auth
from kaktus_app.sales.models import Opportunity, Stage

ROOT = Path(__file__).resolve().parent.parent
ROOT_STATE = "reflex___state____state"
AUTH_VAR = f"{ROOT_STATE}.kaktus_app___auth___state____auth_state.session_token_rx_state_"
LIST_STATE = f"{ROOT_STATE}.kaktus_app___customers___state____customer_list_state"
BOARD_STATE = f"{ROOT_STATE}.kaktus_app___sales___state____board_state"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, redis_url: str, workdir: Path, workers: int = 0, extra_env: dict | None = None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(os.environ, KAKTUS_DATABASE_URL=db_url, REFLEX_TELEMETRY_ENABLED="false", REFLEX_CHECK_LATEST_VERSION="0",
               REFLEX_HTTP_CLIENT_BIND_ADDRESS="0.0.0.0", REFLEX_WEB_WORKDIR=str(workdir / ".web"))
    env.setdefault("REFLEX_BUN_PATH", str(ROOT / ".tools/node_modules/bun/bin/bun.exe"))
    env.pop("REFLEX_REDIS_URL", None)
    if redis_url:
        env["REFLEX_REDIS_URL"] = redis_url
    if workers:
        env["GRANIAN_WORKERS"] = str(workers)
    env.update(extra_env or {})
    log = open(workdir / f"server-{port}.log", "w")  # noqa: SIM115  (kept open for the server)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port", "--frontend-port", str(port), "--backend-port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2)
            return proc, port
        except Exception:
            time.sleep(1)
    os.killpg(proc.pid, signal.SIGTERM)
    raise RuntimeError(f"server did not start; see {log.name}")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except Exception:
        os.killpg(proc.pid, signal.SIGKILL)


def capture_hydrate(port: int) -> dict:
    """The hydrate handshake a real browser sends (hashes, state schema), captured once with Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        page = browser.new_page()
        sent: list[str] = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
        page.goto(f"http://127.0.0.1:{port}/login")
        page.wait_for_selector("#login-username", timeout=60_000)
        time.sleep(1)
        browser.close()
    connect = next(f for f in sent if f.startswith("40/_event,"))
    return json.loads(connect.split(",", 1)[1])


async def user(index: int, port: int, hello: dict, token: str, opportunities: list[int], stages: list[int], until: float, latencies: list[float]) -> None:
    reply = asyncio.Event()
    client = socketio.AsyncClient(reconnection=False)

    @client.on("event", namespace="/_event")
    async def on_event(_data):
        reply.set()

    auth_payload = json.loads(json.dumps(hello))
    page = "/pipeline" if index % 2 else "/customers"
    auth_payload["event"]["payload"]["vars"] = {AUTH_VAR: token}
    auth_payload["event"]["router_data"] = {"pathname": page, "asPath": page}
    await client.connect(f"http://127.0.0.1:{port}?token=bench-{index}-{time.time_ns()}", socketio_path="/_event", namespaces=["/_event"], transports=["websocket"], auth=auth_payload)
    await asyncio.sleep(1.0)
    step = 0
    while time.monotonic() < until:
        name, payload = _event(index, step, page, opportunities, stages)
        reply.clear()
        started = time.perf_counter()
        await client.emit("event", {"name": name, "payload": payload, "router_data": {"pathname": page, "asPath": page}}, namespace="/_event")
        try:
            await asyncio.wait_for(reply.wait(), timeout=10)
            latencies.append((time.perf_counter() - started) * 1000)
        except TimeoutError:
            pass
        step += 1
    await client.disconnect()


def _event(index: int, step: int, page: str, opportunities: list[int], stages: list[int]) -> tuple[str, dict]:
    if page == "/customers":
        return (f"{LIST_STATE}.next_page" if step % 4 < 2 else f"{LIST_STATE}.prev_page"), {}
    opp = opportunities[(index * 7 + step) % len(opportunities)]
    return f"{BOARD_STATE}.move_to", {"opportunity_id": opp, "version": 0, "stage_id": stages[step % len(stages)]}


async def raw_user(index: int, port: int, hello: dict, token: str, opportunities: list[int], stages: list[int], until: float, latencies: list[float]) -> None:
    """The same user as ``user`` on a bare websocket: Engine.IO / Socket.IO frames written by hand and
    the server's replies only recognised by their prefix, never decoded. The load generator shares
    the machine's cores with the server, and python-socketio's decoding of every state delta (a
    customer page is ~28 KB of JSON) cost it about as much CPU as the server spent answering."""
    import aiohttp

    page = "/pipeline" if index % 2 else "/customers"
    auth_payload = json.loads(json.dumps(hello))
    auth_payload["event"]["payload"]["vars"] = {AUTH_VAR: token}
    auth_payload["event"]["router_data"] = {"pathname": page, "asPath": page}
    url = f"ws://127.0.0.1:{port}/_event/?token=bench-{index}-{time.time_ns()}&EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http, http.ws_connect(url, max_msg_size=0, compress=0) as ws:
        replies: asyncio.Queue = asyncio.Queue()

        async def reader():
            async for message in ws:
                data = message.data
                if data == "2":
                    await ws.send_str("3")  # Engine.IO ping -> pong
                elif data.startswith("42/_event,"):
                    replies.put_nowait(None)

        await ws.receive()  # Engine.IO open packet
        task = asyncio.create_task(reader())
        await ws.send_str("40/_event," + json.dumps(auth_payload))
        await asyncio.sleep(1.0)
        while not replies.empty():
            replies.get_nowait()  # the hydrate's deltas
        step = 0
        while time.monotonic() < until:
            name, payload = _event(index, step, page, opportunities, stages)
            started = time.perf_counter()
            await ws.send_str('42/_event,["event",' + json.dumps({"name": name, "payload": payload, "router_data": {"pathname": page, "asPath": page}}) + "]")
            try:
                await asyncio.wait_for(replies.get(), timeout=10)
                latencies.append((time.perf_counter() - started) * 1000)
            except TimeoutError:
                pass
            await asyncio.sleep(0)
            while not replies.empty():
                replies.get_nowait()  # further deltas of the same event
            step += 1
        task.cancel()


async def drive(
    port: int, hello: dict, tokens: list[str], opportunities: list[int], stages: list[int], seconds: float, client: str = "raw"
) -> tuple[float, float, float, int]:
    latencies: list[float] = []
    until = time.monotonic() + seconds + 1.0
    started = time.monotonic()
    one = raw_user if client == "raw" else user
    await asyncio.gather(*(one(i, port, hello, tok, opportunities, stages, until, latencies) for i, tok in enumerate(tokens)))
    elapsed = time.monotonic() - started - 1.0
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan")
    return len(latencies) / elapsed, statistics.median(latencies) if latencies else float("nan"), p95, len(latencies)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="backend workers with Redis (GRANIAN_WORKERS)")
    parser.add_argument("--client", choices=("raw", "socketio"), default="raw", help="bare websocket frames (cheap) or python-socketio")
    parser.add_argument("--oplock", default="2s", help="also run Redis with Reflex's opportunistic lock held this long ('' to skip)")
    parser.add_argument("--customers", type=int, default=10_000, help="size of the scale database the server reads")
    parser.add_argument("--redis", default=os.environ.get("KAKTUS_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/") + "/5")
    args = parser.parse_args(argv)
    from bench.run_all import build_sqlite

    source = build_sqlite(args.customers).removeprefix("sqlite:///")
    workdir = Path(tempfile.mkdtemp(prefix="kaktus-ws-"))
    shutil.copy(source, workdir / "bench.db")
    db_url = f"sqlite:///{workdir / 'bench.db'}"
    with Session(db.get_engine(db_url)) as session:
        tokens = []
        for index in range(args.users):
            token, _actor = auth.login(session, ("dewi", "budi")[index % 2], ("kaktus-dewi-2026", "kaktus-budi-2026")[index % 2])
            tokens.append(token)
        session.commit()
        stages = [s.id for s in session.exec(select(Stage).where(Stage.is_won == False).order_by(Stage.sequence))]  # noqa: E712
        opportunities = list(session.exec(select(Opportunity.id).where(Opportunity.state == "open").limit(500)))
    rows = []
    no_oplock = {"REFLEX_OPLOCK_ENABLED": "false"}  # rxconfig.py turns it on with Redis unless told otherwise
    runs = [("local state, 1 worker", "", 0, {}), (f"Redis state, {args.workers} workers", args.redis, args.workers, no_oplock)]
    if args.oplock:
        # Reflex's opportunistic lock: a worker keeps an uncontended token's lock and state in process
        # for the hold time, instead of reading and writing the state in Redis around every event
        oplock = {"REFLEX_OPLOCK_ENABLED": "true", "REFLEX_OPLOCK_HOLD_TIME": args.oplock}
        runs.append((f"Redis, {args.workers} workers, oplock {args.oplock}", args.redis, args.workers, oplock))
    for label, redis_url, workers, extra in runs:
        proc, port = start_server(db_url, redis_url, workdir, workers, extra)
        try:
            hello = capture_hydrate(port)
            rate, p50, p95, count = asyncio.run(drive(port, hello, tokens, opportunities, stages, args.seconds, args.client))
            rows.append((label, rate, p50, p95, count))
        finally:
            stop(proc)
    print(f"\n{args.users} simulated users for {args.seconds:.0f} s (half page the customer list, half move cards; {args.client} client, {args.customers:,} customers)")
    print(f"{'server':<32} {'events/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'events':>7}")
    for label, rate, p50, p95, count in rows:
        print(f"{label:<32} {rate:9.1f} {p50:8.1f} {p95:8.1f} {count:7d}")


if __name__ == "__main__":
    main()
