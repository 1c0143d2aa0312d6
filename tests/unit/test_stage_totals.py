"""The board's column heads come from per-stage totals kept by database triggers (migration 0016):
whatever writes the deals, the totals must equal the deals summed again."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text
from sqlmodel import select

from kaktus_app.sales import service as sales
from kaktus_app.sales.models import Opportunity, Stage, StageTotal


def _live(session) -> dict:
    """The totals summed over the deals, as exact Decimals."""
    totals: dict = {}
    for o in session.exec(select(Opportunity)):
        deals, expected, weighted = totals.get((o.stage_id, o.state), (0, Decimal(0), Decimal(0)))
        totals[(o.stage_id, o.state)] = (deals + 1, expected + o.expected_revenue, weighted + o.expected_revenue * o.probability)
    return totals


def _kept(session) -> dict:
    session.expire_all()
    return {
        (t.stage_id, t.state): (t.deals, Decimal(t.expected_cents) / 100, Decimal(t.weighted_cents) / 100)
        for t in session.exec(select(StageTotal))
        if t.deals
    }


def _stages(session):
    return list(session.exec(select(Stage).where(Stage.team_id == None).order_by(Stage.sequence)))  # noqa: E711


def test_totals_follow_every_change_of_the_deals(seeded, admin):
    stages = _stages(seeded)
    made = [
        sales.create_opportunity(seeded, admin, {"name": f"Prasmanan {i}", "expected_revenue": f"{1_250_000 + i * 333_333},50", "probability": str(10 * i), "stage_id": stages[i % 3].id})
        for i in range(6)
    ]
    seeded.commit()
    assert _kept(seeded) == _live(seeded)

    sales.move_opportunity(seeded, admin, made[0].id, stages[3].id)
    sales.update_opportunity(seeded, admin, made[1].id, {"expected_revenue": "9.999.999,99", "probability": "65"})
    sales.mark_won(seeded, admin, made[2].id)
    sales.mark_lost(seeded, admin, made[3].id, "price")
    sales.restore(seeded, admin, made[3].id)
    sales.mark_lost(seeded, admin, made[4].id, "price")
    seeded.commit()
    assert _kept(seeded) == _live(seeded)

    # raw SQL and deletes too
    seeded.execute(text("UPDATE opportunity SET expected_revenue = 777000.25, probability = 90 WHERE id = :i"), {"i": made[5].id})
    seeded.execute(text("DELETE FROM stage_history WHERE opportunity_id = :i"), {"i": made[0].id})
    seeded.execute(text("DELETE FROM activity WHERE opportunity_id = :i"), {"i": made[0].id})
    seeded.execute(text("DELETE FROM opportunity WHERE id = :i"), {"i": made[0].id})
    seeded.commit()
    assert _kept(seeded) == _live(seeded)


def test_the_board_shows_the_kept_totals_and_filtered_boards_their_own(seeded, admin, dewi):
    stages = _stages(seeded)
    for i, owner in enumerate((admin.id, dewi.id, dewi.id)):
        sales.create_opportunity(seeded, admin, {"name": f"Tumpeng {i}", "expected_revenue": "1.500.000", "probability": "40", "stage_id": stages[0].id, "owner_id": str(owner)})
    seeded.commit()
    live = _live(seeded)[(stages[0].id, "open")]

    column = sales.board(seeded, admin)["columns"][0]
    assert column["count"] == live[0] and column["sum_expected"] == live[1]
    assert column["sum_expected_label"] == f"Rp {live[1]:,.0f}".replace(",", ".")
    assert column["sum_weighted_label"] == f"Rp {live[2] / 100:,.0f}".replace(",", ".")

    mine = sales.board(seeded, dewi, mine=True)["columns"][0]  # a filtered board sums its own deals
    dewi_deals = [o for o in seeded.exec(select(Opportunity).where(Opportunity.owner_id == dewi.id, Opportunity.stage_id == stages[0].id, Opportunity.state == "open"))]
    assert mine["count"] == len(dewi_deals) and mine["sum_expected"] == sum(o.expected_revenue for o in dewi_deals)


def test_bulk_generated_deals_have_exact_totals(seeded):
    from kaktus_app.demo import generate_scale

    generate_scale(seeded, 300)
    seeded.commit()
    assert _kept(seeded) == _live(seeded)


def test_the_total_triggers_exist_at_head(session):
    """A later SQLite batch migration that rebuilds opportunity would drop them silently."""
    if session.get_bind().dialect.name == "sqlite":
        names = set(session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'kaktus_stage_total%'")).scalars())
        assert names == {"kaktus_stage_total_insert", "kaktus_stage_total_delete", "kaktus_stage_total_update"}
    else:
        rows = set(session.execute(text("SELECT tgname FROM pg_trigger WHERE tgname = 'kaktus_stage_total'")).scalars())
        assert rows == {"kaktus_stage_total"}
