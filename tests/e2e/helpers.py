"""Helpers for the end-to-end tests: start the real app in production mode, browser contexts that
record every request, logging in through the form, and a few page gestures (drag and drop)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("KAKTUS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
START_TIMEOUT = float(os.environ.get("KAKTUS_E2E_START_TIMEOUT", "240"))
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"}
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension", "devtools"}

PASSWORDS = {
    "admin": "kaktus-admin-2026",
    "dewi": "kaktus-dewi-2026",
    "budi": "kaktus-budi-2026",
    "rina": "kaktus-rina-2026",
    "sari": "kaktus-sari-2026",
}

# Playwright's timeout for actions; the suite runs on a 2-core machine.
DEFAULT_TIMEOUT_MS = 15_000


# ---------------------------------------------------------------------------------------------
# The app server
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _npm_registry() -> str:
    if os.environ.get("NPM_CONFIG_REGISTRY"):
        return os.environ["NPM_CONFIG_REGISTRY"]
    try:
        out = subprocess.run(["npm", "config", "get", "registry"], capture_output=True, text=True, timeout=30)
        return out.stdout.strip() or "https://registry.npmjs.org/"
    except (OSError, subprocess.SubprocessError):
        return "https://registry.npmjs.org/"


def _venv_tool(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def app_env(db_url: str, web_dir: Path, states_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("REFLEX_REDIS_URL", "PYTEST_CURRENT_TEST", "REFLEX_STATE_MANAGER_MODE"):
        env.pop(name, None)
    env.update(
        KAKTUS_DATABASE_URL=db_url,
        REFLEX_BUN_PATH=os.environ.get("REFLEX_BUN_PATH", str(ROOT / ".tools/node_modules/bun/bin/bun.exe")),
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="0",
        REFLEX_HTTP_CLIENT_BIND_ADDRESS="0.0.0.0",
        NPM_CONFIG_REGISTRY=_npm_registry(),
        REFLEX_WEB_WORKDIR=str(web_dir),
        REFLEX_STATES_WORKDIR=str(states_dir),
        REFLEX_UPLOADED_FILES_DIR=str(states_dir.with_name(states_dir.name + "-uploads")),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class RunningApp:
    base_url: str
    db_path: Path
    log_path: Path
    process: subprocess.Popen
    extra: dict = field(default_factory=dict)

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def query(self, sql: str, *params) -> list[tuple]:
        """Read the app's database directly (to check what a form saved, or did not)."""
        with contextlib.closing(sqlite3.connect(self.db_path, timeout=10)) as conn:
            return conn.execute(sql, params).fetchall()

    def stop(self) -> None:
        """Stop the server and every worker it started (the whole process group)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def _run_checked(cmd: list[str], env: dict, log: Path) -> None:
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        result = subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{log.read_text()[-4000:]}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except Exception:
        return False


def start_app(workdir: Path, web_dir: Path, name: str, **extra_env: str) -> RunningApp:
    """Migrate and seed a fresh SQLite database in ``workdir``, then start the app in prod mode.

    Reflex 0.10 prod serves the static build, the websocket and /ping on one port, so the frontend
    and backend ports are the same free port. ``web_dir`` is the frontend build directory.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / f"{name}.db"
    log_path = workdir / f"{name}-server.log"
    env = app_env(f"sqlite:///{db_path}", web_dir, workdir / f"{name}-states", **extra_env)
    _run_checked([_venv_tool("alembic"), "upgrade", "head"], env, log_path)
    _run_checked([sys.executable, "-m", "kaktus_app.demo", "--if-empty"], env, log_path)

    port = free_port()
    cmd = [_venv_tool("reflex"), "run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port)]
    with log_path.open("a") as log:
        log.write(f"\n$ {' '.join(cmd)}\n")
        log.flush()
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    app = RunningApp(f"http://localhost:{port}", db_path, log_path, process, extra=dict(extra_env))
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        if _answers(app.url("/ping")) and _answers(app.url("/login")):
            return app
        time.sleep(1)
    app.stop()
    raise RuntimeError(f"the app did not answer on {app.base_url} within {START_TIMEOUT:.0f} s; server log:\n{app.log_tail(120)}")


def worker_count(app: RunningApp) -> int:
    """How many worker processes serve the app (Granian forks them from the ``reflex run`` leader)."""
    out = subprocess.run(["ps", "-o", "pid=,ppid=", "-g", str(app.process.pid)], capture_output=True, text=True)
    rows = [line.split() for line in out.stdout.splitlines() if line.strip()]
    return sum(1 for _pid, ppid in rows if int(ppid) == app.process.pid)


# ---------------------------------------------------------------------------------------------
# The browser
# ---------------------------------------------------------------------------------------------


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


def login(page, username: str, password: str, *, expect_home: bool = True) -> None:
    """Log in through the form, like a user.

    The form is in the page before the app has connected; typed too early, a field could be drawn
    again with the name remembered from the last sign-in ("rinarina" was once sent). So the typing
    waits until the server's first answers have come and gone quiet, and checks what the fields hold.
    """
    frames: list[float] = []

    def on_socket(ws):
        ws.on("framereceived", lambda _frame: frames.append(time.monotonic()))

    page.on("websocket", on_socket)
    try:
        page.goto("/login")
        page.locator("#login-username").wait_for()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (frames and time.monotonic() - frames[-1] > 0.3):
            page.wait_for_timeout(50)
    finally:
        page.remove_listener("websocket", on_socket)
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(password)
    expect(page.locator("#login-username")).to_have_value(username)
    expect(page.locator("#login-password")).to_have_value(password)
    page.locator("#login-submit").click()
    if expect_home:
        page.locator("#user-menu").wait_for(timeout=30_000)


_LAST_FRAME: dict[int, float] = {}


def watch_socket(page) -> None:
    """Remember when the page last received a frame on its Reflex websocket."""
    def on_socket(ws):
        ws.on("framereceived", lambda _frame: _LAST_FRAME.__setitem__(id(page), time.monotonic()))

    page.on("websocket", on_socket)


def wait_settled(page, since: float, quiet_ms: int = 400, timeout_ms: int = 15_000) -> None:
    """Wait until the server has answered something after ``since`` (a time.monotonic() taken before
    the navigation or click) and then stayed quiet for ``quiet_ms``: the page's on_load is done."""
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        last = _LAST_FRAME.get(id(page), 0.0)
        if last > since and (time.monotonic() - last) * 1000 >= quiet_ms:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the page did not settle within {timeout_ms} ms")


class Browsers:
    """Browser contexts (one per simulated user) that record every request their pages make."""

    def __init__(self, browser, default_app: RunningApp | None):
        self._browser = browser
        self.default_app = default_app
        self.contexts: list = []
        self.requests: list[str] = []

    def new_context(self, app: RunningApp | None = None):
        app = app or self.default_app
        context = self._browser.new_context(base_url=app.base_url, viewport={"width": 1400, "height": 900}, locale="en-US")
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.on("request", lambda req: self.requests.append(req.url))
        context.on("page", watch_socket)
        self.contexts.append(context)
        return context

    def new_page(self, app: RunningApp | None = None):
        return self.new_context(app).new_page()

    def new_user_context(self, username: str, app: RunningApp | None = None):
        """A fresh browser context logged in as ``username`` through the login form; returns its page."""
        page = self.new_page(app)
        login(page, username, PASSWORDS[username])
        return page

    def external_requests(self) -> list[str]:
        return sorted({url for url in self.requests if not is_local(url)})

    def screenshot_all(self, name: str) -> list[Path]:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.-]+", "_", name)[:120]
        shots = []
        for c_index, context in enumerate(self.contexts):
            for p_index, page in enumerate(context.pages):
                path = ARTIFACTS / f"{safe}-ctx{c_index}-page{p_index}.png"
                with contextlib.suppress(Exception):
                    page.screenshot(path=str(path), full_page=True)
                    shots.append(path)
        return shots

    def close(self) -> None:
        for context in self.contexts:
            with contextlib.suppress(Exception):
                context.close()


def drag(page, source, target) -> None:
    """Drag ``source`` onto ``target``: HTML5 drag and drop via Playwright, as a mouse user does."""
    source.scroll_into_view_if_needed()
    source.drag_to(target)
