"""Alembic environment: the only way Kaktus CRM's schema changes.

The URL is ``sqlalchemy.url`` when a caller set it (tests), else the app's database
(KAKTUS_DATABASE_URL or the SQLite file). SQLite ALTERs run in batch mode. Autogenerate leaves out
the word-search tables and indexes of migration 0010 (they are not models).
"""

from sqlmodel import SQLModel

import kaktus_app.models  # noqa: F401  (registers every table)
from alembic import context
from kaktus_app.db import database_url, make_engine
from kaktus_app.search.text import include_name  # the word-search tables and indexes are not models

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or database_url()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True, include_name=include_name
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = make_engine(_url())
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
