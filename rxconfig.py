"""Reflex configuration for Kaktus CRM.

The database URL comes from KAKTUS_DATABASE_URL (a SQLite file under data/ by default, as an absolute
path because pytest and the app harness change the working directory). Redis is used for Reflex state
when REFLEX_REDIS_URL is set (Reflex reads it itself).
"""

import os
from pathlib import Path

import reflex as rx

ROOT = Path(__file__).resolve().parent
DEFAULT_DB_URL = f"sqlite:///{ROOT / 'data' / 'kaktus.db'}"

config = rx.Config(
    app_name="kaktus_app",
    db_url=os.environ.get("KAKTUS_DATABASE_URL", DEFAULT_DB_URL),
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="grass", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
