"""The help desk at scale: server-side timings of the ticket list, board, statistics, complaint alerts,
the portal's ticket list and the FAQ search over a database with many tickets.

Builds a fresh SQLite database under bench/.data/ (or uses --db) with 10,000 customers and
--tickets tickets spread over a year (statuses, priorities, categories, assignees and products at
random, messages on a tenth of them), then prints median and p95 per call. Prints figures only:
nothing here asserts a timing.

    python -m bench.helpdesk [--tickets 100000] [--runs 15] [--db path/to.db]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, text
from sqlmodel import Session, select

from bench.run_all import DATA, migrate
from kaktus_app import db
from kaktus_app.auth.models import User
from kaktus_app.auth.service import actor_for, system_actor
from kaktus_app.catalog.models import Product
from kaktus_app.customers.models import Customer
from kaktus_app.demo import generate_scale, load_catalog, load_helpdesk, seed_base
from kaktus_app.helpdesk import service
from kaktus_app.helpdesk.models import (
    CATEGORIES,
    CHANNELS,
    PRIORITIES,
    TICKET_STATUSES,
    Ticket,
    TicketMessage,
)
from kaktus_app.i18n import utcnow


def build(path: Path, tickets: int) -> str:
    url = f"sqlite:///{path}"
    if path.exists():
        migrate(url)
        return url
    migrate(url)
    started = time.perf_counter()
    with Session(db.get_engine(url)) as session:
        seed_base(session)
        generate_scale(session, 10_000)
        load_catalog(session)
        load_helpdesk(session)
        session.commit()
        rng = random.Random(5)
        companies = list(session.exec(select(Customer.id).where(Customer.kind == "company")))
        agents = list(session.exec(select(User.id)))
        products = list(session.exec(select(Product.id)))
        now = utcnow()
        first = (session.exec(select(Ticket.id).order_by(Ticket.id.desc())).first() or 0) + 1
        rows, messages = [], []
        for i in range(tickets):
            created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            priority = rng.choice(PRIORITIES)
            first_due, resolve_due = service.sla_due(session, priority, created)
            status = rng.choices(TICKET_STATUSES, weights=(2, 2, 1, 3, 12))[0]
            replied = created + timedelta(hours=rng.uniform(0.2, 30)) if status != "new" else None
            done = created + timedelta(hours=rng.uniform(1, 140)) if status in ("resolved", "closed") else None
            rows.append({
                "id": first + i, "number": f"TK-{first + i:05d}", "title": f"Ticket {first + i} {rng.choice(['nasi box', 'tumpeng', 'snack', 'kurir', 'tagihan'])}",
                "description": "", "company_id": rng.choice(companies), "category": rng.choice(CATEGORIES), "priority": priority,
                "channel": rng.choice(CHANNELS), "status": status, "assignee_id": rng.choice(agents), "tags": "",
                "product_id": rng.choice(products) if rng.random() < 0.3 else None, "first_response_due": first_due, "resolution_due": resolve_due,
                "first_response_at": replied, "resolved_at": done, "closed_at": done if status == "closed" else None,
                "created_at": created, "updated_at": done or replied or created, "version": 1,
            })
            if i % 10 == 0:
                messages.append({"ticket_id": first + i, "kind": "reply", "is_public": True, "body": "Terima kasih, kami cek.", "author_name": "Rina", "created_at": replied or created})
            if len(rows) == 10_000:
                session.exec(insert(Ticket), params=rows)
                rows = []
        if rows:
            session.exec(insert(Ticket), params=rows)
        if messages:
            session.exec(insert(TicketMessage), params=messages)
        session.commit()
        session.exec(text("ANALYZE"))
        session.commit()
    print(f"built {tickets:,} tickets in {time.perf_counter() - started:.1f} s")
    return url


def timed(label: str, fn: Callable[[], object], runs: int) -> None:
    fn()  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    print(f"  {label:<46} median {statistics.median(times):8.1f} ms   p95 {p95:8.1f} ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args(argv)
    DATA.mkdir(exist_ok=True)
    url = build(args.db or DATA / f"helpdesk_{args.tickets}.db", args.tickets)
    with Session(db.get_engine(url)) as session:
        admin = system_actor(session)
        rina = actor_for(session.exec(select(User).where(User.username == "rina")).one())
        total = session.exec(select(func.count()).select_from(Ticket)).one()
        company = session.exec(select(Ticket.company_id).where(Ticket.company_id.is_not(None))).first()
        from kaktus_app.portal.models import PortalUser

        portal_user = session.exec(select(PortalUser)).first()
        print(f"{total:,} tickets (SQLite, {url.rsplit('/', 1)[-1]})")
        r = args.runs
        timed("ticket list, first page", lambda: service.list_tickets(session, admin), r)
        timed("ticket list, my open tickets", lambda: service.list_tickets(session, rina, assignee="me", status="open"), r)
        timed("ticket list, SLA breached", lambda: service.list_tickets(session, admin, sla="breached"), r)
        timed("ticket list, search 'tumpeng'", lambda: service.list_tickets(session, admin, search="tumpeng"), r)
        timed("ticket list, one customer", lambda: service.list_tickets(session, admin, company_id=company), r)
        timed("board (5 columns)", lambda: service.board(session, admin), r)
        timed("statistics, all time", lambda: service.stats(session, admin), r)
        timed("complaint alerts", lambda: service.complaint_alerts(session), r)
        timed("ticket page", lambda: service.ticket_detail(session, admin, total // 2), r)
        if portal_user is not None:
            from kaktus_app.portal.service import PortalActor

            pactor = PortalActor(portal_user.id, portal_user.email, portal_user.full_name, portal_user.company_id, portal_user.contact_id, "id")
            timed("portal: my tickets", lambda: service.portal_tickets(session, pactor), r)
        timed("FAQ search 'terlambat'", lambda: service.search_articles(session, text="terlambat"), r)


if __name__ == "__main__":
    main()
