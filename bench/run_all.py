"""`make bench`: server-side timings of the main pages at 10k / 100k / 1M customers.

Builds (and caches under bench/.data/) a SQLite database per size with the scale generator
(N customers, 0.2N opportunities, N activities, 0.3N leads), and the same on PostgreSQL when
KAKTUS_TEST_DATABASE_URL (or --pg URL) is given. Prints p50/p95 of each service call beside the
same statements run raw on the driver (recorded from the call itself: every statement it sends,
with its parameters), and the ratio; and beside a hand-written query for the same result (for the
searches, of the customers only). Prints figures only: nothing here asserts a timing.

    python -m bench.run_all --sizes 10000,100000,1000000 [--pg postgresql+psycopg://...] [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event, text
from sqlmodel import Session, select

from kaktus_app import db, prepared
from kaktus_app.auth.service import system_actor
from kaktus_app.customers import service as customers
from kaktus_app.demo import generate_scale
from kaktus_app.leads import service as leads
from kaktus_app.sales import service as sales
from kaktus_app.sales.models import Opportunity, Stage
from kaktus_app.search import service as search

ROOT = Path(__file__).resolve().parent
DATA = ROOT / ".data"


def migrate(url: str) -> None:
    from alembic.config import Config

    from alembic import command

    cfg = Config(str(ROOT.parent / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT.parent / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "head")


def build_sqlite(size: int) -> str:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"kaktus_{size}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        migrate(url)  # a cached database gets the migrations written since it was built (e.g. 0010's word index)
        return url
    tmp = DATA / f"kaktus_{size}.building.db"
    tmp.unlink(missing_ok=True)
    tmp_url = f"sqlite:///{tmp}"
    migrate(tmp_url)
    started = time.perf_counter()
    with Session(db.get_engine(tmp_url)) as session:
        generate_scale(session, size)
    print(f"  built SQLite with {size:,} customers in {time.perf_counter() - started:.1f} s")
    db.get_engine(tmp_url).dispose()
    tmp.rename(path)
    return url


def build_pg(url: str, size: int) -> str:
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate(url)
    started = time.perf_counter()
    with Session(db.get_engine(url)) as session:
        generate_scale(session, size)
    with db.get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("customer", "lead", "opportunity", "customer_word"):
            # moves the bulk load out of the GIN pending lists and marks the pages all-visible (index-only scans), as autovacuum would
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    print(f"  built PostgreSQL with {size:,} customers in {time.perf_counter() - started:.1f} s")
    return url


def timed(fn: Callable[[], object], runs: int, *, seconds: float = 0.0) -> tuple[float, float]:
    """p50 and p95 in ms of ``runs`` calls (more, up to 2,000, until ``seconds`` have passed)."""
    fn()  # warm the caches once
    samples = []
    deadline = time.perf_counter() + seconds
    while len(samples) < runs or (time.perf_counter() < deadline and len(samples) < 2000):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def paired(service: Callable[[], object], same: Callable[[], object], runs: int, seconds: float = 1.0) -> tuple[tuple, tuple]:
    """``timed`` of a call and of its raw replay, taken in turns so that whatever else the machine
    does weighs on both alike: ((p50, p95), (p50, p95))."""
    service(), same()
    samples: tuple[list, list] = ([], [])
    deadline = time.perf_counter() + seconds
    while len(samples[0]) < runs or (time.perf_counter() < deadline and len(samples[0]) < 2000):
        for fn, into in ((service, samples[0]), (same, samples[1])):
            started = time.perf_counter()
            fn()
            into.append((time.perf_counter() - started) * 1000)
    result = []
    for into in samples:
        into.sort()
        result.append((statistics.median(into), into[max(0, int(len(into) * 0.95) - 1)]))
    return result[0], result[1]


def replay(session: Session, call: Callable[[], object]) -> Callable[[], object]:
    """Exactly the statements ``call`` sends (through the ORM or prepared), run on the driver's cursor."""
    engine = session.get_bind()
    sent: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with prepared.tracing() as traced:
            call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    statements = sent + traced
    driver = session.connection().connection.driver_connection

    def run():
        for sql, parameters in statements:
            cursor = driver.cursor()
            cursor.execute(sql, parameters)
            cursor.fetchall()
            cursor.close()

    run.count = len(statements)
    return run


def raw(session: Session, *statements: str, **params):
    """The same statements the service sends, run as plain SQL (no ORM, no formatting)."""

    def run():
        for sql in statements:
            session.execute(text(sql), params).fetchall()

    return run


CAPPED_COUNT = "SELECT count(*) FROM (SELECT id FROM customer {where} LIMIT 10001) AS capped"
# the list page: the columns a row shows, as customers.list_customers reads them (then its owners' names)
LIST_COLUMNS = "id, name, kind, segment, city, email, phone, mobile, owner_id, tags, created_at, updated_at"


OWNERS = "SELECT id, full_name FROM app_user WHERE id IN (2, 3, 4)"  # the page's owners' names


def list_page(where_order_limit: str) -> str:
    return f"SELECT {LIST_COLUMNS} FROM customer {where_order_limit}"


def word_match(dialect: str, table: str, query: str) -> str:
    """The word-index condition the services send (search/text.py), as raw SQL for ``query`` ("jaya 42")."""
    words = query.split()
    if dialect == "sqlite":
        fts = " ".join(f'"{w}"*' for w in words)
        return f"id IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH '{fts}')"
    expression = {"customer": "to_tsvector('simple', name_norm)", "lead": "kaktus_search_words(title || ' ' || company_name || ' ' || contact_name)",
                  "opportunity": "kaktus_search_words(name)"}[table]
    tsquery = " & ".join(f"{w}:*" for w in words)
    return f"id = ANY(ARRAY(SELECT id FROM {table} WHERE {expression} @@ to_tsquery('simple', '{tsquery}')))"


def name_like(query: str) -> str:
    """The row-by-row form for common words (customer names): every word begins a word of name_norm."""
    return " AND ".join(f"(' ' || name_norm) LIKE '% {w}%'" for w in query.split())


def fresh(session: Session, call: Callable[[], object]) -> Callable[[], object]:
    """``call`` without the per-session estimate of how common the typed words are (search/text.py)."""

    def run():
        session.info.pop("word_search", None)
        return call()

    return run


def bench_database(label: str, url: str, runs: int) -> list[tuple]:
    rows = []
    with Session(db.get_engine(url)) as session:
        actor = system_actor(session)
        dialect = session.get_bind().dialect.name
        stage_ids = [s.id for s in session.exec(select(Stage).order_by(Stage.sequence))]
        cases = [
            (
                "customer list (sorted by name, page 1)",
                lambda: customers.list_customers(session, actor, sort="name", page=1),
                raw(session, CAPPED_COUNT.format(where=""), list_page("ORDER BY name_norm, id LIMIT 25"), OWNERS),
            ),
            (
                "customer list (city filter, by city)",
                lambda: customers.list_customers(session, actor, city="Bandung", sort="name"),
                raw(
                    session,
                    CAPPED_COUNT.format(where="WHERE city >= 'Bandung' AND city < 'Bandung\uffff'"),
                    list_page("WHERE city >= 'Bandung' AND city < 'Bandung\uffff' ORDER BY name_norm, id LIMIT 25"), OWNERS,
                ),
            ),
            (
                "customer list (segment, page 40)",
                lambda: customers.list_customers(session, actor, segment="retail", page=40),
                raw(
                    session,
                    CAPPED_COUNT.format(where="WHERE segment = 'retail'"),
                    list_page("WHERE segment = 'retail' ORDER BY name_norm, id LIMIT 25 OFFSET 975"), OWNERS,
                ),
            ),
            (
                "customer list (sorted by owner, page 1)",
                lambda: customers.list_customers(session, actor, sort="owner", page=1),
                raw(session, CAPPED_COUNT.format(where=""), list_page("ORDER BY owner_id, name_norm, id LIMIT 25"), OWNERS),
            ),
            (
                "customer list (sorted by segment, descending)",
                lambda: customers.list_customers(session, actor, sort="segment", desc=True, page=1),
                raw(session, CAPPED_COUNT.format(where=""), list_page("ORDER BY segment DESC, name_norm DESC, id DESC LIMIT 25"), OWNERS),
            ),
            (
                "search by name",
                lambda: search.search(session, actor, "sinar jaya"),
                raw(session, "SELECT id, name FROM customer WHERE name_norm >= 'sinar jaya' AND name_norm < 'sinar jaya\uffff' ORDER BY name_norm LIMIT 5"),
            ),
            (
                "search a word inside names, rare ('4242')",
                fresh(session, lambda: search.search(session, actor, "4242")),
                raw(
                    session,
                    "SELECT id, name FROM customer WHERE name_norm >= '4242' AND name_norm < '4242\uffff' ORDER BY name_norm LIMIT 5",
                    f"SELECT id, name FROM customer WHERE {word_match(dialect, 'customer', '4242')} ORDER BY name_norm LIMIT 5",
                ),
            ),
            (
                "search words inside names, common ('1 jaya')",
                fresh(session, lambda: search.search(session, actor, "1 jaya")),
                raw(session, f"SELECT id, name FROM customer WHERE {name_like('1 jaya')} ORDER BY name_norm LIMIT 5"),
            ),
            (
                "customer list, a word inside names ('4242')",
                fresh(session, lambda: customers.list_customers(session, actor, search="4242", sort="name")),
                raw(
                    session,
                    CAPPED_COUNT.format(where=f"WHERE {word_match(dialect, 'customer', '4242')}"),
                    list_page(f"WHERE {word_match(dialect, 'customer', '4242')} ORDER BY name_norm, id LIMIT 25"), OWNERS,
                ),
            ),
            (
                "customer list, a common word ('jaya')",
                fresh(session, lambda: customers.list_customers(session, actor, search="jaya", sort="name")),
                raw(
                    session,
                    CAPPED_COUNT.format(where=f"WHERE {name_like('jaya')}"),
                    list_page(f"WHERE {name_like('jaya')} ORDER BY name_norm, id LIMIT 25"), OWNERS,
                ),
            ),
            (
                "lead list (newest first, page 1)",
                lambda: leads.list_leads(session, actor),
                raw(
                    session,
                    "SELECT count(*) FROM (SELECT id FROM lead LIMIT 10001) AS capped",
                    "SELECT * FROM lead ORDER BY created_at DESC, id DESC LIMIT 25",
                ),
            ),
            (
                "lead list, a word in every lead ('pax')",
                lambda: leads.list_leads(session, actor, search="pax"),
                raw(
                    session,
                    f"SELECT count(*) FROM (SELECT id FROM lead WHERE {word_match(dialect, 'lead', 'pax')} LIMIT 10001) AS capped",
                    f"SELECT * FROM lead WHERE {word_match(dialect, 'lead', 'pax')} ORDER BY created_at DESC, id DESC LIMIT 25",
                ),
            ),
            (
                "lead list, words inside titles ('pax 4242')",
                lambda: leads.list_leads(session, actor, search="pax 4242"),
                raw(
                    session,
                    f"SELECT count(*) FROM (SELECT id FROM lead WHERE {word_match(dialect, 'lead', 'pax 4242')} LIMIT 10001) AS capped",
                    f"SELECT * FROM lead WHERE {word_match(dialect, 'lead', 'pax 4242')} ORDER BY created_at DESC, id DESC LIMIT 25",
                ),
            ),
            (
                "deal list, a word inside names ('jaya')",
                lambda: sales.list_opportunities(session, actor, search="jaya"),
                raw(
                    session,
                    f"SELECT count(*) FROM (SELECT id FROM opportunity WHERE {word_match(dialect, 'opportunity', 'jaya')} LIMIT 10001) AS capped",
                    f"SELECT * FROM opportunity WHERE {word_match(dialect, 'opportunity', 'jaya')} ORDER BY updated_at DESC, id DESC LIMIT 25",
                ),
            ),
            (
                "deal list, open deals, a word ('jaya')",
                lambda: sales.list_opportunities(session, actor, search="jaya", state="open"),
                raw(
                    session,
                    f"SELECT count(*) FROM (SELECT id FROM opportunity WHERE {word_match(dialect, 'opportunity', 'jaya')} AND state = 'open' LIMIT 10001) AS capped",
                    f"SELECT * FROM opportunity WHERE {word_match(dialect, 'opportunity', 'jaya')} AND state = 'open' ORDER BY updated_at DESC, id DESC LIMIT 25",
                ),
            ),
            (
                "search by e-mail",
                lambda: search.search(session, actor, "c4242@example"),
                raw(session, "SELECT id, name FROM customer WHERE email >= 'c4242@example' AND email < 'c4242@example\uffff' LIMIT 5"),
            ),
            (
                "search by phone",
                lambda: search.search(session, actor, "0810 0000 4242"),
                raw(session, "SELECT id, name FROM customer WHERE mobile >= '+628100004242' AND mobile < '+628100004242\uffff' LIMIT 5"),
            ),
            (
                "open the kanban (all columns, counts, sums)",
                lambda: sales.board(session, actor, per_column=20),
                raw(
                    session,
                    "SELECT stage_id, state, deals, expected_cents, weighted_cents FROM opportunity_stage_total WHERE state IN ('open','won')",
                    *[
                        f"SELECT * FROM opportunity WHERE stage_id = {sid} AND state = 'open' ORDER BY position, id LIMIT 20"
                        for sid in stage_ids
                    ],
                    "SELECT opportunity_id, summary, due_at FROM activity WHERE done = false AND opportunity_id IN"
                    " (SELECT id FROM opportunity WHERE state = 'open' ORDER BY position LIMIT 100) ORDER BY opportunity_id, due_at",
                ),
            ),
        ]
        for name, service_call, raw_call in cases:
            service_call()  # the word-search estimates of a fresh session, the statement caches
            same = replay(session, service_call)
            (p50, p95), (s50, s95) = paired(service_call, same, runs)
            r50, r95 = timed(raw_call, runs, seconds=0.5)
            rows.append((label, f"{name} [{same.count}]", p50, p95, s50, s95, r95))

        opp_ids = [r[0] for r in session.execute(text("SELECT id FROM opportunity WHERE state = 'open' ORDER BY id LIMIT 200")).fetchall()]
        counter = {"i": 0}

        def move():
            oid = opp_ids[counter["i"] % len(opp_ids)]
            counter["i"] += 1
            current = session.get(Opportunity, oid).stage_id
            target = stage_ids[(stage_ids.index(current) + 1) % (len(stage_ids) - 1)]
            sales.move_opportunity(session, actor, oid, target)
            session.commit()

        def raw_move():
            oid = opp_ids[counter["i"] % len(opp_ids)]
            counter["i"] += 1
            session.execute(text("UPDATE opportunity SET stage_id = stage_id, version = version + 1 WHERE id = :i"), {"i": oid})
            session.commit()

        p50, p95 = timed(move, runs)
        r50, r95 = timed(raw_move, runs)
        rows.append((label, "one stage move (with history + timeline)", p50, p95, None, None, r95))

        page = customers.list_customers(session, actor, page=1, page_size=100)
        delta_kb = len(json.dumps(page["rows"], default=str).encode()) / 1024
        rows.append((label, f"state delta of a 100-row list page: {delta_kb:.1f} KB (target <= 50 KB)", 0, 0, None, None, None))
    return rows


def print_table(rows: list[tuple]) -> None:
    """One line per call: its p50/p95, the same statements raw (their count in brackets) and the
    ratio of the p95s (the target: <= 1.5), and the p95 of a hand-written query."""
    print(f"\n{'database':<20} {'operation [statements]':<52} {'p50 ms':>7} {'p95 ms':>7} {'same raw':>8} {'p95':>7} {'ratio':>6} {'hand p95':>8}")
    print(f"{'':<20} {'':<52} {'':>7} {'':>7} {'p50':>8}")
    print("-" * 122)
    for label, name, p50, p95, s50, s95, r95 in rows:
        if p50 == 0 and p95 == 0:
            print(f"{label:<20} {name}")
            continue
        same = f"{s50:8.2f} {s95:7.2f} {p95 / s95:6.2f}" if s95 else f"{'':8} {'':7} {'':6}"
        print(f"{label:<20} {name:<52} {p50:7.2f} {p95:7.2f} {same} {r95:8.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pg", default=os.environ.get("KAKTUS_TEST_DATABASE_URL", ""), help="PostgreSQL URL (its public schema is replaced)")
    args = parser.parse_args(argv)
    rows: list[tuple] = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        print(f"SQLite, {size:,} customers")
        rows += bench_database(f"SQLite {size:,}", build_sqlite(size), args.runs)
        if args.pg:
            print(f"PostgreSQL, {size:,} customers")
            rows += bench_database(f"PostgreSQL {size:,}", build_pg(args.pg, size), args.runs)
    print_table(rows)


if __name__ == "__main__":
    main()
