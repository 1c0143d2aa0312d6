"""Opportunities and the pipeline: validation, moves and ordering, conflicts, won/lost, board sums."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from kaktus_app.errors import Conflict, DomainError, ValidationError
from kaktus_app.sales import service
from kaktus_app.sales.models import Opportunity, Stage, StageHistory


def _stages(session) -> dict[str, Stage]:
    return {s.name: s for s in session.exec(select(Stage))}


def _opp(session, actor, name, stage="New", revenue="10.000.000", **extra):
    return service.create_opportunity(session, actor, {"name": name, "expected_revenue": revenue, "stage_id": _stages(session)[stage].id} | extra)


def _column(session, stage) -> list[str]:
    st = _stages(session)[stage]
    return [o.name for o in session.exec(select(Opportunity).where(Opportunity.stage_id == st.id, Opportunity.state != "lost").order_by(Opportunity.position))]


def test_create_uses_stage_defaults_and_validates(seeded, dewi):
    opp = service.create_opportunity(seeded, dewi, {"name": "Nasi box 300 pax", "expected_revenue": "10.500.000"})
    assert opp.stage_id == _stages(seeded)["New"].id and opp.probability == 10
    assert opp.expected_revenue == Decimal("10500000.00")
    with pytest.raises(ValidationError) as bad:
        service.create_opportunity(seeded, dewi, {"name": "", "expected_revenue": "-5", "probability": "120", "stage_id": "999"})
    assert bad.value.errors == {"name": "error.required", "expected_revenue": "error.amount_negative", "probability": "sales.error.probability", "stage_id": "sales.error.stage_unknown"}


def test_weighted_revenue_rounds_half_up():
    assert service.weighted(Decimal("333333"), 33) == Decimal("109999.89")
    assert service.weighted(Decimal("0.05"), 50) == Decimal("0.03")
    assert service.weighted(Decimal("1500000"), 70) == Decimal("1050000.00")
    assert service.weighted(Decimal("1"), 50) == Decimal("0.50")


def test_moves_between_and_within_columns_keep_the_dropped_order(seeded, dewi):
    a, b, c = (_opp(seeded, dewi, n) for n in ("A", "B", "C"))
    neg = _stages(seeded)["Negotiation"]
    service.move_opportunity(seeded, dewi, b.id, neg.id)
    assert _column(seeded, "New") == ["A", "C"] and _column(seeded, "Negotiation") == ["B"]
    moved = seeded.get(Opportunity, b.id)
    assert moved.probability == 70
    service.move_opportunity(seeded, dewi, c.id, _stages(seeded)["New"].id, before_id=a.id)
    assert _column(seeded, "New") == ["C", "A"]
    service.move_opportunity(seeded, dewi, a.id, neg.id, before_id=b.id)
    assert _column(seeded, "Negotiation") == ["A", "B"]
    seeded.commit()
    history = seeded.exec(select(StageHistory).where(StageHistory.opportunity_id == b.id).order_by(StageHistory.id)).all()
    assert [(h.from_stage_id, h.to_stage_id) for h in history] == [(None, _stages(seeded)["New"].id), (_stages(seeded)["New"].id, neg.id)]


def test_many_inserts_at_the_same_place_renumber_without_losing_order(seeded, dewi):
    first = _opp(seeded, dewi, "first")
    names = []
    for index in range(60):
        o = _opp(seeded, dewi, f"n{index}")
        service.move_opportunity(seeded, dewi, o.id, o.stage_id, before_id=first.id)
        names.append(f"n{index}")
    assert _column(seeded, "New") == [*names, "first"]


def test_a_stale_move_is_refused_and_changes_nothing(seeded, dewi, sari):
    opp = _opp(seeded, dewi, "Tumpeng")
    version = opp.version
    service.move_opportunity(seeded, dewi, opp.id, _stages(seeded)["Qualified"].id, expected_version=version)
    with pytest.raises(Conflict) as conflict:
        service.move_opportunity(seeded, sari, opp.id, _stages(seeded)["Proposition"].id, expected_version=version)
    assert conflict.value.params["stage"] == "Qualified"
    assert seeded.get(Opportunity, opp.id).stage_id == _stages(seeded)["Qualified"].id
    with pytest.raises(Conflict):
        service.update_opportunity(seeded, sari, opp.id, {"name": "X"}, expected_version=version)


def test_unknown_stage_is_refused(seeded, dewi):
    opp = _opp(seeded, dewi, "X")
    with pytest.raises(DomainError) as bad:
        service.move_opportunity(seeded, dewi, opp.id, 9999)
    assert bad.value.key == "sales.error.stage_unknown"


def test_won_lost_restore_and_refusals(seeded, dewi):
    opp = _opp(seeded, dewi, "Prasmanan", stage="Negotiation")
    won = service.mark_won(seeded, dewi, opp.id)
    assert (won.state, won.probability, won.stage_id) == ("won", 100, _stages(seeded)["Won"].id)
    with pytest.raises(DomainError):
        service.mark_lost(seeded, dewi, opp.id, "too_expensive")
    with pytest.raises(DomainError):
        service.move_opportunity(seeded, dewi, opp.id, _stages(seeded)["New"].id)
    restored = service.restore(seeded, dewi, opp.id)
    assert (restored.state, restored.stage_id) == ("open", _stages(seeded)["Negotiation"].id)
    with pytest.raises(DomainError) as no_reason:
        service.mark_lost(seeded, dewi, opp.id, " ")
    assert no_reason.value.key == "sales.error.lost_reason"
    lost = service.mark_lost(seeded, dewi, opp.id, "competitor")
    assert (lost.state, lost.lost_reason, lost.probability) == ("lost", "competitor", 0)
    with pytest.raises(DomainError):
        service.restore(seeded, dewi, service.restore(seeded, dewi, opp.id).id)


def test_dropping_on_won_marks_it_won(seeded, dewi):
    opp = _opp(seeded, dewi, "Snack box")
    moved = service.move_opportunity(seeded, dewi, opp.id, _stages(seeded)["Won"].id)
    assert moved.state == "won" and moved.closed_at is not None


def test_board_counts_and_sums_match_the_data(seeded, dewi, budi, sari):
    for index in range(7):
        _opp(seeded, dewi if index % 2 else budi, f"D{index}", stage=["New", "Qualified", "New"][index % 3], revenue=str(1_000_000 * (index + 1)))
    lost = _opp(seeded, dewi, "lost one", revenue="99.000.000")
    service.mark_lost(seeded, dewi, lost.id, "other")
    seeded.commit()
    board = service.board(seeded, sari, per_column=2)  # the sales manager sees both salespeople's deals
    columns = {c["name"]: c for c in board["columns"]}
    assert [c["name"] for c in board["columns"]] == ["New", "Qualified", "Proposition", "Negotiation", "Won"]
    new = columns["New"]
    expected = [i for i in range(7) if i % 3 in (0, 2)]
    assert new["count"] == len(expected)
    assert new["sum_expected"] == Decimal(sum(1_000_000 * (i + 1) for i in expected))
    assert new["sum_expected_label"] == "Rp " + f"{sum(1_000_000 * (i + 1) for i in expected):,}".replace(",", ".")
    assert len(new["cards"]) == 2
    mine = service.board(seeded, dewi, mine=True)
    assert all(card["owner"] == "Dewi Lestari" for col in mine["columns"] for card in col["cards"])
    more = service.column_cards(seeded, sari, new["id"], offset=2, limit=10)
    assert len(more) == len(expected) - 2
    assert {c["id"] for c in more}.isdisjoint({c["id"] for c in new["cards"]})


def test_list_filters_and_sorting(seeded, dewi, budi, sari):
    _opp(seeded, dewi, "Alpha", revenue="5.000.000")
    _opp(seeded, budi, "Beta", revenue="9.000.000", stage="Qualified")
    seeded.commit()
    by_revenue = service.list_opportunities(seeded, sari, sort="expected_revenue", desc=True)
    assert [r["name"] for r in by_revenue["rows"]] == ["Beta", "Alpha"]
    assert [r["name"] for r in service.list_opportunities(seeded, dewi, owner_id="me")["rows"]] == ["Alpha"]
    assert [r["name"] for r in service.list_opportunities(seeded, sari, search="bet")["rows"]] == ["Beta"]
    assert by_revenue["rows"][0]["weighted"] == "Rp 2.700.000"


def test_team_stages_are_configured_by_managers_only(seeded, admin, dewi):
    from kaktus_app.auth.service import Actor
    from kaktus_app.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        service.add_stage(seeded, dewi, dewi.team_id, {"name": "Tasting", "probability": "40"})
    manager = Actor(admin.id, "admin", "Admin", "manager", dewi.team_id)
    opp = _opp(seeded, dewi, "Prasmanan", stage="Qualified")
    service.add_stage(seeded, manager, dewi.team_id, {"name": "Tasting", "probability": "40"})
    team_stages = service.stages_for_team(seeded, dewi.team_id)
    assert [s.name for s in team_stages] == ["New", "Qualified", "Proposition", "Negotiation", "Tasting", "Won"]
    assert all(s.team_id == dewi.team_id for s in team_stages)
    # The team's deals follow it onto its own copy; other teams keep the defaults.
    assert seeded.get(Opportunity, opp.id).stage_id == next(s.id for s in team_stages if s.name == "Qualified")
    assert [s.name for s in service.stages_for_team(seeded, None)] == ["New", "Qualified", "Proposition", "Negotiation", "Won"]
    tasting = next(s for s in team_stages if s.name == "Tasting")
    service.move_stage(seeded, manager, dewi.team_id, tasting.id, -1)
    assert [s.name for s in service.stages_for_team(seeded, dewi.team_id)][3:5] == ["Tasting", "Negotiation"]
    negotiation = next(s for s in team_stages if s.name == "Negotiation")
    with pytest.raises(DomainError) as order:
        service.move_stage(seeded, manager, dewi.team_id, negotiation.id, 1)
    assert order.value.key == "sales.error.stage_order"
    with pytest.raises(ValidationError):
        service.update_stage(seeded, manager, dewi.team_id, tasting.id, {"name": "", "probability": "140"})
    qualified = next(s for s in team_stages if s.name == "Qualified")
    with pytest.raises(DomainError) as busy:
        service.delete_stage(seeded, manager, dewi.team_id, qualified.id)
    assert busy.value.key == "sales.error.stage_not_empty"
    service.delete_stage(seeded, manager, dewi.team_id, tasting.id)
    assert "Tasting" not in [s.name for s in service.stages_for_team(seeded, dewi.team_id)]
