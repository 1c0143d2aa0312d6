"""Demo data for PT. Kaktus Berduri, and the scale generator for benchmarks.

    python -m kaktus_app.demo --if-empty      # load the demo company once (make run)
    python -m kaktus_app.demo --print-users   # the demo logins
    python -m kaktus_app.demo --scale 100000  # N customers with proportional leads, deals, activities
"""

from __future__ import annotations

import argparse

from sqlmodel import Session, select

from kaktus_app import db
from kaktus_app.auth import service as auth_service
from kaktus_app.auth.models import User
from kaktus_app.sales.models import DEFAULT_STAGES, SalesTeam, Stage

DEMO_USERS = [
    # username, full name, role, password, team
    ("admin", "Administrator Kaktus", "admin", "kaktus-admin-2026", None),
    ("dewi", "Dewi Lestari", "sales", "kaktus-dewi-2026", "Corporate catering"),
    ("budi", "Budi Santoso", "sales", "kaktus-budi-2026", "Events & weddings"),
    ("rina", "Rina Wijaya", "support", "kaktus-rina-2026", None),
]


def seed_base(session: Session) -> None:
    """Teams, default pipeline stages and the demo users (idempotent)."""
    teams = {}
    for name in ("Corporate catering", "Events & weddings"):
        team = session.exec(select(SalesTeam).where(SalesTeam.name == name)).first()
        if team is None:
            team = SalesTeam(name=name)
            session.add(team)
            session.flush()
        teams[name] = team.id
    if session.exec(select(Stage).where(Stage.team_id == None)).first() is None:  # noqa: E711
        for index, (name, probability) in enumerate(DEFAULT_STAGES):
            session.add(Stage(name=name, sequence=(index + 1) * 10, probability=probability, is_won=name == "Won"))
    for username, full_name, role, password, team in DEMO_USERS:
        if session.exec(select(User).where(User.username == username)).first() is None:
            auth_service.create_user(
                session,
                username=username,
                full_name=full_name,
                password=password,
                role=role,
                email=f"{username}@kaktusberduri.co.id",
                team_id=teams.get(team) if team else None,
            )
    session.flush()


def is_empty(session: Session) -> bool:
    return session.exec(select(User.id)).first() is None


def load_demo(session: Session) -> None:
    """The whole demo company."""
    seed_base(session)


def print_users() -> None:
    print("Demo logins (username / password):")
    for username, full_name, role, password, _team in DEMO_USERS:
        print(f"  {username:<6} / {password:<18} {full_name} ({role})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--if-empty", action="store_true", help="load the demo data only into an empty database")
    parser.add_argument("--print-users", action="store_true", help="print the demo logins")
    parser.add_argument("--scale", type=int, default=0, help="generate N customers with related records")
    args = parser.parse_args(argv)
    if args.print_users:
        print_users()
        return
    with db.session_scope() as session:
        if args.if_empty and not is_empty(session):
            print("Demo data already loaded; keeping the database as it is.")
            return
        load_demo(session)
    print("Demo data loaded.")


if __name__ == "__main__":
    main()
