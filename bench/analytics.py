"""The managers' dashboard and the report builder at scale: server-side timings of the analytics service.

Uses (or builds once, under bench/.data/) the scale generator's SQLite database. generate_scale(n)
makes n customers, 0.3n leads, 0.2n opportunities and n activities, so the default n = 1,000,000
gives ≈ 200,000 opportunities and ≈ 1,000,000 activities (building it takes about 3 minutes; the
file is the one bench/run_all.py builds for that size, so either script reuses the other's).

The dashboard indexes of migration 0009 are part of the schema: a database built before them gets
them when it is migrated here, and fresh statistics (ANALYZE) as a new build would. With --indexes
the same figures are taken again on a copy that also has CANDIDATE_INDEXES: indexes that are not in
the schema, measured for the customer-filtered (segment / province) dashboard; the schema itself
changes only by migration.
Prints median and p95 per call. Prints figures only: nothing here asserts a timing.

    python -m bench.analytics [--size 1000000 | --db path/to.db] [--runs 15] [--indexes]
    KAKTUS_BENCH_DB=path/to.db python -m bench.analytics
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, select

from kaktus_app import db
from kaktus_app.analytics import service as analytics
from kaktus_app.analytics.service import Filters, ReportSpec
from kaktus_app.auth.models import User
from kaktus_app.auth.service import actor_for, system_actor
from kaktus_app.demo import generate_scale

ROOT = Path(__file__).resolve().parent
DATA = ROOT / ".data"

# Not in the schema: what would make the figures under a segment / province filter index-only
# (name, table, columns). The customer's done / overdue activities per assignee and leads per owner
# are otherwise one table lookup per record of the matching customers.
CANDIDATE_INDEXES = [
    ("ix_activity_customer_cover", "activity", "customer_id, done, due_at, assignee_id"),
    ("ix_activity_opportunity_cover", "activity", "opportunity_id, done, due_at, assignee_id"),
    ("ix_lead_customer_cover", "lead", "customer_id, owner_id, created_at, status"),
]


def migrate(url: str) -> None:
    from alembic.config import Config

    from alembic import command

    cfg = Config(str(ROOT.parent / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT.parent / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "head")


def build_sqlite(size: int) -> Path:
    """bench/.data/kaktus_<size>.db, built once with the scale generator (migrated to head on reuse)."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"kaktus_{size}.db"
    if path.exists():
        before = _revision(path)
        migrate(f"sqlite:///{path}")
        if _revision(path) != before:  # new indexes: statistics for the planner, as a fresh build has
            engine = db.make_engine(f"sqlite:///{path}")
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            engine.dispose()
        return path
    tmp = DATA / f"kaktus_{size}.analytics-building.db"
    tmp.unlink(missing_ok=True)
    url = f"sqlite:///{tmp}"
    migrate(url)
    started = time.perf_counter()
    with Session(db.get_engine(url)) as session:
        counts = generate_scale(session, size)
    print(f"  built {counts} in {time.perf_counter() - started:.0f} s")
    db.get_engine(url).dispose()
    tmp.rename(path)
    return path


def _revision(path: Path) -> str:
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar())
    finally:
        engine.dispose()


def with_indexes(path: Path) -> Path:
    """A copy of the database with CANDIDATE_INDEXES (kept for the next run)."""
    copy = path.with_name(path.stem + "_analytics_candidates.db")
    if not copy.exists() or copy.stat().st_mtime < path.stat().st_mtime:
        shutil.copyfile(path, copy)
    engine = db.make_engine(f"sqlite:///{copy}")
    started = time.perf_counter()
    with engine.begin() as conn:
        for name, table, columns in CANDIDATE_INDEXES:
            conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"))
        conn.execute(text("ANALYZE"))
    engine.dispose()
    print(f"  candidate indexes ready in {time.perf_counter() - started:.0f} s")
    return copy


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()  # warm the page cache once
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, max(0, round(len(samples) * 0.95) - 1))]


def counts(session: Session) -> str:
    tables = ("opportunity", "activity", "lead", "customer")
    numbers = [session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables]
    return ", ".join(f"{n:,} {t}" for t, n in zip(tables, numbers, strict=True))


def bench_database(label: str, path: Path, runs: int) -> list[tuple]:
    rows = []
    engine = db.get_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        print(f"  {label}: {counts(session)}")
        admin = system_actor(session)
        dewi = actor_for(session.exec(select(User).where(User.username == "dewi")).one())
        today = analytics.jakarta_today()
        quarter = Filters(date_from=today - timedelta(days=90), date_to=today)
        stage_id = analytics.pipeline_by_stage(session, admin)[0]["stage_id"]
        cases = [
            ("sales_dashboard, manager, all time", lambda: analytics.sales_dashboard(session, admin)),
            ("sales_dashboard, manager, last 90 days", lambda: analytics.sales_dashboard(session, admin, quarter)),
            ("sales_dashboard, manager, segment filter", lambda: analytics.sales_dashboard(session, admin, Filters(segment="corporate"))),
            ("sales_dashboard, manager, province filter", lambda: analytics.sales_dashboard(session, admin, Filters(province="Jawa Barat"))),
            (
                "sales_dashboard, manager, segment, 90 days",
                lambda: analytics.sales_dashboard(session, admin, Filters(date_from=quarter.date_from, date_to=today, segment="corporate")),
            ),
            ("sales_dashboard, city filter (Bandung)", lambda: analytics.sales_dashboard(session, admin, Filters(province="Jawa Barat", city="Bandung"))),
            ("sales_dashboard, clicked stage", lambda: analytics.sales_dashboard(session, admin, Filters(stage_id=stage_id))),
            ("sales_dashboard, clicked lead source", lambda: analytics.sales_dashboard(session, admin, Filters(source="web"))),
            (
                "sales_dashboard, segment + clicked stage",
                lambda: analytics.sales_dashboard(session, admin, Filters(segment="corporate", stage_id=stage_id)),
            ),
            ("sales_dashboard, salesperson (her team's deals)", lambda: analytics.sales_dashboard(session, dewi)),
            ("pipeline_by_period, quarters of this year", lambda: analytics.pipeline_by_period(session, admin, granularity="quarter", year=today.year)),
            ("drilldown, a stage, page 1", lambda: analytics.drilldown(session, admin, stage_id=stage_id, state="open")),
            ("filter_options (owners, provinces, stages)", lambda: analytics.filter_options(session, admin)),
            ("report: deals by stage (count)", lambda: analytics.run_report(session, admin, ReportSpec("opportunities", "stage"))),
            (
                "report: revenue by owner x month (sum)",
                lambda: analytics.run_report(session, admin, ReportSpec("opportunities", "owner", "created_at", measure="sum", field="expected_revenue")),
            ),
            ("report: leads by source x status", lambda: analytics.run_report(session, admin, ReportSpec("leads", "source", "status"))),
            (
                "report: activities by week x kind, 90 days",
                lambda: analytics.run_report(session, admin, ReportSpec("activities", "due_at", "kind", granularity="week"), quarter),
            ),
            ("report: customers by province x segment", lambda: analytics.run_report(session, admin, ReportSpec("customers", "province", "segment"))),
        ]
        for name, call in cases:
            p50, p95 = timed(call, runs)
            rows.append((label, name, p50, p95))
            print(f"    {name:<48} {p50:9.1f} {p95:9.1f}")
    engine.dispose()
    return rows


def print_table(rows: list[tuple]) -> None:
    print(f"\n{'database':<26} {'call':<48} {'p50 ms':>9} {'p95 ms':>9}")
    print("-" * 95)
    for label, name, p50, p95 in rows:
        print(f"{label:<26} {name:<48} {p50:9.1f} {p95:9.1f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000, help="customers for generate_scale (0.2 x size opportunities)")
    parser.add_argument("--db", default=os.environ.get("KAKTUS_BENCH_DB", ""), help="an existing scaled SQLite database to use instead")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--indexes", action="store_true", help="also time a copy with CANDIDATE_INDEXES (not in the schema)")
    args = parser.parse_args(argv)
    path = Path(args.db) if args.db else build_sqlite(args.size)
    rows = bench_database("SQLite, current indexes", path, args.runs)
    if args.indexes:
        rows += bench_database("SQLite, + candidates", with_indexes(path), args.runs)
    print_table(rows)


if __name__ == "__main__":
    main()
