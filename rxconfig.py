"""Reflex configuration for Kaktus CRM.

The database URL comes from KAKTUS_DATABASE_URL (a SQLite file under data/ by default, as an absolute
path because pytest and the app harness change the working directory). Redis is used for Reflex state
when REFLEX_REDIS_URL is set (Reflex reads it itself), and then, unless set otherwise, with Reflex's
opportunistic lock: a worker keeps an uncontended client's lock and state in process for up to 2 s
instead of reading and writing the state in Redis around every event (another worker that needs it,
for a shared board, breaks the lease). Measured with bench/ws_load.py: 2 workers on Redis answer 2x
the events of one local worker with it, fewer than one without it.
"""

import os
from pathlib import Path

import reflex as rx

ROOT = Path(__file__).resolve().parent
DEFAULT_DB_URL = f"sqlite:///{ROOT / 'data' / 'kaktus.db'}"

if os.environ.get("REFLEX_REDIS_URL"):
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")
    os.environ.setdefault("REFLEX_OPLOCK_HOLD_TIME", "2s")

config = rx.Config(
    app_name="kaktus_app",
    db_url=os.environ.get("KAKTUS_DATABASE_URL", DEFAULT_DB_URL),
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="grass", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
