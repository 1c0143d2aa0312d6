"""Shared fixtures: a fresh, migrated database per test on SQLite, and on PostgreSQL when
KAKTUS_TEST_DATABASE_URL is set (`.ci/run` sets it when a local PostgreSQL answers)."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import pytest
from alembic.config import Config
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from alembic import command
from kaktus_app import db

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("KAKTUS_TEST_DATABASE_URL", "")

os.environ.setdefault("KAKTUS_SECRET_KEY", "kaktus-test-secret-not-for-production")


def migrate(url: str) -> None:
    """Build the schema exactly as production does: Alembic migrations."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "head")


@pytest.fixture(autouse=True, scope="session")
def _each_password_hashed_once():
    """argon2 costs about 0.15 s a hash by design, and the fixtures seed the same demo users (five
    passwords) for most tests: each password is hashed once per test run, then its hash is reused
    (still a real argon2id hash with its own salt; checking passwords costs what it costs)."""
    from kaktus_app.auth import service

    real = service.hash_password
    service.hash_password = functools.cache(real)
    yield
    service.hash_password = real


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    db.get_engine(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not PG_URL:
        pytest.skip("PostgreSQL tests need KAKTUS_TEST_DATABASE_URL (set by .ci/run when a local PostgreSQL answers)")
    engine = db.make_engine(PG_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL at KAKTUS_TEST_DATABASE_URL does not answer: {exc}")
    finally:
        engine.dispose()
    migrate(PG_URL)
    return PG_URL


def _truncate_all(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with db.get_engine(url).begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path, monkeypatch) -> str:
    """A migrated, empty database; the app's own helpers (db.run, session_scope) point at it."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "kaktus.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        _truncate_all(url)
    monkeypatch.setenv("KAKTUS_DATABASE_URL", url)
    yield url
    if request.param == "sqlite":
        db._engines.pop(url, None)


@pytest.fixture
def session(db_url) -> Session:
    with Session(db.get_engine(db_url), expire_on_commit=False) as s:
        yield s
        s.rollback()


@pytest.fixture
def seeded(session):
    """The base demo: teams, stages, users (admin, dewi, budi, rina)."""
    from kaktus_app.demo import seed_base

    seed_base(session)
    session.commit()
    return session


@pytest.fixture
def admin(seeded):
    from sqlmodel import select

    from kaktus_app.auth.models import User
    from kaktus_app.auth.service import actor_for

    return actor_for(seeded.exec(select(User).where(User.username == "admin")).one())


@pytest.fixture
def dewi(seeded):
    from sqlmodel import select

    from kaktus_app.auth.models import User
    from kaktus_app.auth.service import actor_for

    return actor_for(seeded.exec(select(User).where(User.username == "dewi")).one())


@pytest.fixture
def budi(seeded):
    from sqlmodel import select

    from kaktus_app.auth.models import User
    from kaktus_app.auth.service import actor_for

    return actor_for(seeded.exec(select(User).where(User.username == "budi")).one())


@pytest.fixture
def sari(seeded):
    """The sales manager: above both salespeople in the role tree."""
    from sqlmodel import select

    from kaktus_app.auth.models import User
    from kaktus_app.auth.service import actor_for

    return actor_for(seeded.exec(select(User).where(User.username == "sari")).one())
