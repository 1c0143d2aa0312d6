"""Analytics: every dashboard figure against an independent pandas computation over the raw tables,
filters, record visibility and hidden fields, drill-downs that add up to their figure, the report
builder (against pandas groupby), pivot, CSV / XLSX export, and saved reports with their ownership.
The click filters (stage, source) against pandas over the same data, figure by figure."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from sqlalchemy import text, update
from sqlmodel import select

from kaktus_app.analytics import service
from kaktus_app.analytics.models import SavedReport
from kaktus_app.analytics.service import Filters, ReportSpec
from kaktus_app.auth import permissions
from kaktus_app.auth import service as auth
from kaktus_app.auth.models import Profile, User
from kaktus_app.customers.models import Customer
from kaktus_app.demo import generate_scale, load_demo
from kaktus_app.errors import NotFound, PermissionDenied, ValidationError
from kaktus_app.i18n import JAKARTA, translate, utcnow
from kaktus_app.leads import service as leads
from kaktus_app.leads.models import Lead
from kaktus_app.sales import service as sales
from kaktus_app.sales.models import Opportunity

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


# ------------------------------------------------------------------------------------------ data


@pytest.fixture
def data(seeded, admin):
    """The demo company, 300 generated customers (60 deals, 300 activities, 90 leads) and nine demo
    leads converted (three won, three lost, three open without a closing date)."""
    session = seeded
    load_demo(session)
    session.commit()
    generate_scale(session, 300)
    first_customer = session.exec(select(Opportunity.customer_id).where(Opportunity.customer_id != None)).first()  # noqa: E711
    to_convert = session.exec(select(Lead).where(Lead.status == "open").order_by(Lead.id).limit(9)).all()
    for index, lead in enumerate(to_convert):
        opportunity_id = leads.convert_lead(session, admin, lead.id, customer_mode="link", customer_id=lead.customer_id or first_customer)
        if index % 3 == 0:
            sales.mark_won(session, admin, opportunity_id)
        elif index % 3 == 1:
            sales.mark_lost(session, admin, opportunity_id, "competitor")
    session.commit()
    return session


def _dec(value) -> Decimal:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ZERO
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _day(value):
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _weighted(frame: pd.DataFrame) -> Decimal:
    total = sum((er * p for er, p in zip(frame["er"], frame["probability"], strict=True)), Decimal(0))
    return (total / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def _frames(session) -> dict[str, pd.DataFrame]:
    """The raw tables, read with pandas and joined in pandas (no SQL aggregate)."""
    conn = session.connection()

    def read(sql: str) -> pd.DataFrame:
        return pd.read_sql(text(sql), conn)

    customers = read("SELECT id, name, segment, province, city FROM customer")
    stages = read("SELECT id, name, sequence FROM stage")
    users = read("SELECT id, full_name, team_id FROM app_user")
    lead = read("SELECT id, source, status, owner_id, customer_id, created_at FROM lead")
    opp = read("SELECT * FROM opportunity")
    act = read("SELECT id, assignee_id, done, due_at, customer_id, opportunity_id, lead_id FROM activity")
    opp["er"] = opp["expected_revenue"].map(_dec)
    opp["probability"] = opp["probability"].astype(int)
    opp["closing"] = opp["expected_closing"].map(_day)
    for column in ("created_at", "closed_at"):
        opp[column] = pd.to_datetime(opp[column], utc=True, format="ISO8601")
        opp[column + "_local"] = opp[column].dt.tz_convert(JAKARTA)
    opp["stage_name"] = opp["stage_id"].map(dict(zip(stages["id"], stages["name"], strict=True)))
    opp = opp.merge(customers.rename(columns={"id": "customer_id", "name": "customer_name"}), on="customer_id", how="left")
    sources = dict(zip(lead["id"], lead["source"], strict=True))
    opp["source"] = opp["lead_id"].map(lambda v: "direct" if pd.isna(v) else sources[int(v)])
    lead["created_at"] = pd.to_datetime(lead["created_at"], utc=True, format="ISO8601")
    lead = lead.merge(customers.rename(columns={"id": "customer_id", "name": "customer_name"}), on="customer_id", how="left")
    act["due_at"] = pd.to_datetime(act["due_at"], utc=True, format="ISO8601")
    act["done"] = act["done"].astype(bool)
    return {"opp": opp, "lead": lead, "act": act, "users": users, "customers": customers, "stages": stages}


def _month(ts) -> str:
    return f"{ts.year}-{ts.month:02d}"


def _label(day: date, granularity: str) -> str:
    if granularity == "year":
        return str(day.year)
    if granularity == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if granularity == "week":
        iso = day.isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}"
    if granularity == "day":
        return day.isoformat()
    return f"{day.year}-{day.month:02d}"


def _in_days(series, date_from: date | None, date_to: date | None):
    """A mask of datetimes (UTC) whose Jakarta day lies in the range."""
    local = series.dt.tz_convert(JAKARTA).dt.date
    mask = series.notna()
    if date_from:
        mask &= local >= date_from
    if date_to:
        mask &= local <= date_to
    return mask


def _pipeline_reference(opp: pd.DataFrame) -> dict[str, tuple]:
    open_ = opp[opp["state"] == "open"]
    return {name: (len(g), sum(g["er"], ZERO), _weighted(g)) for name, g in open_.groupby("stage_name")}


def _figures(rows: list[dict]) -> dict[str, tuple]:
    return {r["stage"]: (r["count"], r["expected"], r["weighted"]) for r in rows if r["count"]}


def _restrict(session, admin, profile_key: str, fields: dict) -> None:
    profile = session.exec(select(Profile).where(Profile.key == profile_key)).one()
    permissions.update_profile(session, admin, profile.id, json.loads(profile.permissions), fields)
    session.info.pop("access", None)
    session.info.pop("visible", None)


def _user(session, username: str, role: str):
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        auth.create_user(session, username=username, full_name=username.title(), password=f"kaktus-{username}-2026", role=role, email=f"{username}@kaktusberduri.co.id")
        session.flush()
        permissions.ensure_default_roles(session)
        user = session.exec(select(User).where(User.username == username)).one()
    return auth.actor_for(user)


# ------------------------------------------------------------------------------------ dashboards


def test_pipeline_by_stage_matches_pandas_with_every_stage_in_order(data, admin):
    rows = service.pipeline_by_stage(data, admin)
    assert [r["stage"] for r in rows] == ["New", "Qualified", "Proposition", "Negotiation", "Won"]
    assert _figures(rows) == _pipeline_reference(_frames(data)["opp"])
    won = rows[-1]
    assert won["count"] == 0 and won["expected"] == ZERO and won["weighted"] == Decimal(0)


@pytest.mark.parametrize("granularity", ["month", "quarter", "year"])
def test_pipeline_by_period_matches_pandas(data, admin, granularity):
    opp = _frames(data)["opp"]
    open_ = opp[(opp["state"] == "open") & opp["closing"].notna()].copy()
    open_["period"] = open_["closing"].map(lambda d: _label(d, granularity))
    expected = {(p, s): (len(g), sum(g["er"], ZERO), _weighted(g)) for (p, s), g in open_.groupby(["period", "stage_name"])}
    rows = service.pipeline_by_period(data, admin, granularity=granularity)
    assert {(r["period"], r["stage"]): (r["count"], r["expected"], r["weighted"]) for r in rows} == expected
    assert [r["period_start"] for r in rows] == sorted(r["period_start"] for r in rows)
    assert all(_label(r["period_start"], granularity) == r["period"] for r in rows)
    undated = opp[(opp["state"] == "open") & opp["closing"].isna()]
    assert len(undated) >= 3
    assert service.pipeline_without_closing(data, admin) == {"count": len(undated), "expected": sum(undated["er"], ZERO), "weighted": _weighted(undated)}


def test_the_closing_period_drill_narrows_year_then_quarter(data, admin):
    months = service.pipeline_by_period(data, admin, granularity="month")
    year = months[0]["period_start"].year
    quarters = service.pipeline_by_period(data, admin, granularity="quarter", year=year)
    assert {r["period"][:4] for r in quarters} == {str(year)}
    quarter = int(quarters[0]["period"][-1])
    in_quarter = service.pipeline_by_period(data, admin, granularity="month", year=year, quarter=quarter)
    wanted = [r for r in months if r["period_start"].year == year and (r["period_start"].month - 1) // 3 + 1 == quarter]
    assert in_quarter == wanted
    assert sum(r["count"] for r in in_quarter) == sum(r["count"] for r in quarters if r["period"] == f"{year}-Q{quarter}")
    with pytest.raises(ValidationError):
        service.pipeline_by_period(data, admin, granularity="week")


def test_by_source_matches_pandas(data, admin):
    opp = _frames(data)["opp"]
    expected = {
        source: (len(g), int((g["state"] == "won").sum()), sum(g.loc[g["state"] == "won", "er"], ZERO), sum(g.loc[g["state"] == "open", "er"], ZERO))
        for source, g in opp.groupby("source")
    }
    rows = service.by_source(data, admin)
    assert {r["source"]: (r["count"], r["won_count"], r["won_revenue"], r["open_expected"]) for r in rows} == expected
    assert len(expected) > 2 and "direct" in expected
    assert [r["count"] for r in rows] == sorted((r["count"] for r in rows), reverse=True)


def test_win_rate_matches_pandas(data, admin):
    opp = _frames(data)["opp"]
    closed = opp[opp["state"].isin(["won", "lost"]) & opp["closed_at"].notna()]
    won = closed[closed["state"] == "won"]
    result = service.win_rate(data, admin)
    assert (result["won"], result["lost"]) == (len(won), len(closed) - len(won))
    assert result["rate"] == pytest.approx(len(won) / len(closed))
    cycle = ((won["closed_at"] - won["created_at"]).dt.total_seconds() / 86400).mean()
    assert result["avg_cycle_days"] == pytest.approx(cycle, abs=0.01)
    nothing = service.win_rate(data, admin, Filters(date_from=date(2000, 1, 1), date_to=date(2000, 1, 31)))
    assert nothing == {"won": 0, "lost": 0, "rate": None, "avg_cycle_days": None}


def test_forecast_matches_pandas_with_every_month_present(data, admin):
    today = utcnow().astimezone(JAKARTA).date()
    opp = _frames(data)["opp"]
    rows = service.forecast(data, admin, months=6, today=today)
    start = today.replace(day=1)
    months = [_label(date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1), "month") for i in range(6)]
    assert [r["month"] for r in rows] == months
    open_ = opp[(opp["state"] == "open") & opp["closing"].notna()].copy()
    open_["month"] = open_["closing"].map(lambda d: _label(d, "month"))
    for row in rows:
        group = open_[open_["month"] == row["month"]]
        assert (row["expected"], row["weighted"]) == (sum(group["er"], ZERO), _weighted(group)), row["month"]
    assert any(r["expected"] > 0 for r in rows)
    far = service.forecast(data, admin, months=3, today=date(2040, 1, 15))
    assert [(r["month"], r["expected"], r["weighted"]) for r in far] == [("2040-01", ZERO, 0), ("2040-02", ZERO, 0), ("2040-03", ZERO, 0)]


def test_won_lost_trend_matches_pandas_with_the_gaps_filled(data, admin):
    opp = _frames(data)["opp"]
    closed = opp[opp["state"].isin(["won", "lost"]) & opp["closed_at"].notna()].copy()
    closed["period"] = closed["closed_at_local"].map(_month)
    expected = {
        p: (int((g["state"] == "won").sum()), sum(g.loc[g["state"] == "won", "er"], ZERO), int((g["state"] == "lost").sum()))
        for p, g in closed.groupby("period")
    }
    rows = service.won_lost_trend(data, admin)
    got = {r["period"]: (r["won_count"], r["won_revenue"], r["lost_count"]) for r in rows}
    assert {p: v for p, v in got.items() if v != (0, ZERO, 0)} == expected
    starts = [r["period_start"] for r in rows]
    assert all((b.year * 12 + b.month) - (a.year * 12 + a.month) == 1 for a, b in zip(starts, starts[1:], strict=False))
    weeks = service.won_lost_trend(data, admin, granularity="week")
    assert sum(r["won_count"] for r in weeks) == sum(v[0] for v in expected.values())
    assert all(r["period_start"].weekday() == 0 for r in weeks)


def test_top_customers_match_pandas(data, admin):
    opp = _frames(data)["opp"]
    won = opp[(opp["state"] == "won") & opp["customer_id"].notna()]
    ranked = sorted(
        ((int(cid), sum(g["er"], ZERO), len(g), g["customer_name"].iloc[0]) for cid, g in won.groupby("customer_id")),
        key=lambda t: (-t[1], -t[2], t[0]),
    )[:10]
    rows = service.top_customers(data, admin)
    assert [(r["customer_id"], r["won_revenue"], r["won_count"], r["customer"]) for r in rows] == ranked
    assert len(service.top_customers(data, admin, limit=3)) == 3


def test_performance_matches_pandas(data, admin):
    frames = _frames(data)
    opp, lead, act, users = frames["opp"], frames["lead"], frames["act"], frames["users"]
    stats: dict[int, dict] = {}

    def row(uid) -> dict:
        return stats.setdefault(int(uid), {"won_revenue": ZERO, "won_count": 0, "open_count": 0, "activities_done": 0, "leads_total": 0, "leads_converted": 0})

    for uid, g in opp[(opp["state"] == "won") & opp["owner_id"].notna()].groupby("owner_id"):
        row(uid).update(won_revenue=sum(g["er"], ZERO), won_count=len(g))
    for uid, g in opp[(opp["state"] == "open") & opp["owner_id"].notna()].groupby("owner_id"):
        row(uid)["open_count"] = len(g)
    for uid, g in act[act["done"] & act["assignee_id"].notna()].groupby("assignee_id"):
        row(uid)["activities_done"] = len(g)
    for uid, g in lead[lead["owner_id"].notna()].groupby("owner_id"):
        row(uid).update(leads_total=len(g), leads_converted=int((g["status"] == "converted").sum()))
    names = dict(zip(users["id"], users["full_name"], strict=True))
    rows = service.performance(data, admin)
    assert {r["user_id"] for r in rows} == set(stats)
    for r in rows:
        s = stats[r["user_id"]]
        assert r["name"] == names[r["user_id"]]
        assert {k: r[k] for k in s} == s, r["name"]
        assert r["conversion_rate"] == (pytest.approx(s["leads_converted"] / s["leads_total"]) if s["leads_total"] else None)
    assert [r["won_revenue"] for r in rows] == sorted((r["won_revenue"] for r in rows), reverse=True)
    assert sum(r["leads_converted"] for r in rows) >= 9


def test_overdue_activities_match_pandas(data, admin):
    act = _frames(data)["act"]
    now = utcnow()
    overdue = act[~act["done"] & (act["due_at"] < pd.Timestamp(now))]
    result = service.overdue_activities(data, admin, now=now)
    assert result["total"] == len(overdue) > 0
    expected = {(None if pd.isna(uid) else int(uid)): len(g) for uid, g in overdue.groupby("assignee_id", dropna=False)}
    assert {r["user_id"]: r["count"] for r in result["by_assignee"]} == expected
    assert [r["count"] for r in result["by_assignee"]] == sorted((r["count"] for r in result["by_assignee"]), reverse=True)
    assert service.overdue_activities(data, admin, now=datetime(2000, 1, 1, tzinfo=UTC)) == {"total": 0, "by_assignee": []}


def test_owner_segment_region_team_and_date_filters_change_the_numbers(data, admin, budi, dewi):
    opp = _frames(data)["opp"]
    everything = _figures(service.pipeline_by_stage(data, admin))

    mine = _figures(service.pipeline_by_stage(data, admin, Filters(owner_id=budi.id)))
    assert mine == _pipeline_reference(opp[opp["owner_id"] == budi.id]) and mine != everything

    corporate = _figures(service.pipeline_by_stage(data, admin, Filters(segment="corporate")))
    assert corporate == _pipeline_reference(opp[opp["segment"] == "corporate"]) and corporate != everything

    region = Filters(province="Jawa Barat", city="Bandung")
    assert _figures(service.pipeline_by_stage(data, admin, region)) == _pipeline_reference(opp[(opp["province"] == "Jawa Barat") & (opp["city"] == "Bandung")])

    team = _figures(service.pipeline_by_stage(data, admin, Filters(team_id=dewi.team_id)))
    assert team == _pipeline_reference(opp[opp["team_id"] == dewi.team_id]) and sum(v[0] for v in team.values()) > 0

    today = utcnow().astimezone(JAKARTA).date()
    window = Filters(date_from=today - timedelta(days=60), date_to=today - timedelta(days=10))
    created = _figures(service.pipeline_by_stage(data, admin, window))
    assert created == _pipeline_reference(opp[_in_days(opp["created_at"], window.date_from, window.date_to)]) and created != everything

    closed = opp[opp["state"].isin(["won", "lost"]) & _in_days(opp["closed_at"], window.date_from, window.date_to)]
    rate = service.win_rate(data, admin, window)
    assert (rate["won"], rate["lost"]) == (int((closed["state"] == "won").sum()), int((closed["state"] == "lost").sum()))

    both = Filters(owner_id=budi.id, segment="corporate", date_from=window.date_from, date_to=window.date_to)
    won = opp[(opp["state"] == "won") & (opp["owner_id"] == budi.id) & (opp["segment"] == "corporate") & _in_days(opp["closed_at"], both.date_from, both.date_to)]
    assert sum(r["won_count"] for r in service.won_lost_trend(data, admin, both)) == len(won)

    closing = Filters(date_from=today, date_to=today + timedelta(days=45))
    open_ = opp[(opp["state"] == "open") & opp["closing"].map(lambda d: d is not None and closing.date_from <= d <= closing.date_to)]
    assert sum(r["count"] for r in service.pipeline_by_period(data, admin, closing)) == len(open_)


def test_a_salesperson_only_gets_numbers_from_the_deals_she_may_see(data, dewi, budi):
    visible = permissions.visible_owner_ids(data, dewi, "opportunities")
    assert visible is not None and dewi.id in visible
    opp = _frames(data)["opp"]
    hers = opp[opp["owner_id"].isna() | opp["owner_id"].isin(visible)]
    assert len(hers) < len(opp)
    stages = service.pipeline_by_stage(data, dewi)
    assert _figures(stages) == _pipeline_reference(hers)
    assert sum(r["count"] for r in stages) == sales.list_opportunities(data, dewi, state="open")["total"]
    rate = service.win_rate(data, dewi)
    assert rate["won"] == int((hers["state"] == "won").sum()) and rate["lost"] == int((hers["state"] == "lost").sum())
    owners = {r["user_id"] for r in service.performance(data, dewi) if r["won_count"] or r["open_count"]}
    assert owners <= set(visible)
    top = {r["customer_id"] for r in service.top_customers(data, dewi, limit=100)}
    assert top == {int(c) for c in hers.loc[(hers["state"] == "won") & hers["customer_id"].notna(), "customer_id"]}
    listed = service.drilldown(data, dewi, state="all", per_page=100)
    assert listed["total"] == len(hers)
    # and a filter on somebody else's deals gives nothing
    assert budi.id not in visible
    assert sum(r["count"] for r in service.pipeline_by_stage(data, dewi, Filters(owner_id=budi.id))) == 0


def test_hidden_fields_give_none_money_and_no_figure_by_hidden_dates(data, admin, dewi):
    before = service.sales_dashboard(data, dewi)
    _restrict(data, admin, "sales", {"opportunities.expected_revenue": "hidden"})
    after = service.sales_dashboard(data, dewi)
    assert [r["count"] for r in after["pipeline_by_stage"]] == [r["count"] for r in before["pipeline_by_stage"]]
    assert all(r["expected"] is None and r["weighted"] is None for r in after["pipeline_by_stage"] + after["pipeline_by_period"] + after["forecast"])
    assert all(r["won_revenue"] is None and r["open_expected"] is None for r in after["by_source"])
    assert all(r["won_revenue"] is None for r in after["won_lost_trend"] + after["top_customers"] + after["performance"])
    assert after["win_rate"] == before["win_rate"]
    assert [r["won_count"] for r in after["top_customers"]] == sorted((r["won_count"] for r in after["top_customers"]), reverse=True)
    row = service.drilldown(data, dewi, state="all")["rows"][0]
    assert row["expected_revenue"] is None and row["expected_revenue_label"] == "" and row["probability"] is not None
    with pytest.raises(ValidationError) as refused:
        service.run_report(data, dewi, ReportSpec("opportunities", "stage", measure="sum", field="expected_revenue"))
    assert refused.value.errors == {"field": "report.error.field_hidden"}
    assert service.run_report(data, admin, ReportSpec("opportunities", "stage", measure="sum", field="expected_revenue"))["total"] > 0

    _restrict(data, admin, "sales", {"opportunities.probability": "hidden"})
    stages = service.pipeline_by_stage(data, dewi)
    assert all(r["expected"] is not None and r["weighted"] is None for r in stages)

    _restrict(data, admin, "sales", {"opportunities.expected_closing": "hidden", "leads.source": "hidden", "customers.segment": "hidden"})
    assert service.pipeline_by_period(data, dewi) == [] and service.by_source(data, dewi) == []
    assert all(r["expected"] is None for r in service.forecast(data, dewi))
    assert service.pipeline_without_closing(data, dewi)["count"] is None
    assert service.drilldown(data, dewi, state="open")["rows"][0]["expected_closing"] is None
    with pytest.raises(ValidationError):
        service.drilldown(data, dewi, period="2026-01", state="open")
    # filtering by a hidden customer field would reveal it: ignored
    assert service.pipeline_by_stage(data, dewi, Filters(segment="corporate")) == service.pipeline_by_stage(data, dewi)
    with pytest.raises(ValidationError) as hidden_group:
        service.run_report(data, dewi, ReportSpec("opportunities", "segment"))
    assert hidden_group.value.errors == {"group_by": "report.error.field_hidden"}
    options = {o["module"]: o for o in service.report_options(data, dewi)}
    assert "segment" not in [f["name"] for f in options["opportunities"]["groups"]]
    assert "source" not in [f["name"] for f in options["leads"]["groups"]]


def test_drilldowns_add_up_to_their_figures(data, admin):
    today = utcnow().astimezone(JAKARTA).date()
    for row in service.pipeline_by_stage(data, admin):
        assert service.drilldown(data, admin, stage_id=row["stage_id"], state="open")["total"] == row["count"]
    periods = service.pipeline_by_period(data, admin)
    for row in periods:
        assert service.drilldown(data, admin, stage_id=row["stage_id"], period=row["period"], state="open")["total"] == row["count"]
    for row in service.pipeline_by_period(data, admin, granularity="quarter"):
        drilled = service.drilldown(data, admin, stage_id=row["stage_id"], period=row["period"], granularity="quarter", state="open")
        assert drilled["total"] == row["count"]
    for row in service.won_lost_trend(data, admin):
        assert service.drilldown(data, admin, period=row["period"], won=True)["total"] == row["won_count"]
        assert service.drilldown(data, admin, period=row["period"], state="lost")["total"] == row["lost_count"]
    for row in service.by_source(data, admin):
        assert service.drilldown(data, admin, source=row["source"])["total"] == row["count"]
    for row in service.top_customers(data, admin):
        assert service.drilldown(data, admin, customer_id=row["customer_id"], won=True)["total"] == row["won_count"]
    for row in service.performance(data, admin):
        assert service.drilldown(data, admin, owner_id=row["user_id"], state="open")["total"] == row["open_count"]
        assert service.drilldown(data, admin, owner_id=row["user_id"], won=True)["total"] == row["won_count"]
    opp = _frames(data)["opp"]
    for row in service.forecast(data, admin, today=today):
        drilled = service.drilldown(data, admin, period=row["month"], state="open", per_page=100)
        assert sum((r["expected_revenue"] for r in drilled["rows"]), ZERO) == row["expected"]
    window = Filters(date_from=today - timedelta(days=60), date_to=today - timedelta(days=10))
    for row in service.pipeline_by_stage(data, admin, window):
        assert service.drilldown(data, admin, window, stage_id=row["stage_id"], state="open")["total"] == row["count"]
    # pages, in the documented order
    everything = service.drilldown(data, admin, state="all", per_page=100)
    assert everything["total"] == len(opp)
    page2 = service.drilldown(data, admin, state="all", page=2, per_page=5)
    assert (page2["page"], page2["per_page"], page2["total"]) == (2, 5, len(opp))
    ordered = sorted(((r.er, -int(r.id)) for r in opp.itertuples()), reverse=True)
    assert [r["id"] for r in page2["rows"]] == [-i for _er, i in ordered[5:10]]
    first = page2["rows"][0]
    assert set(first) >= {"id", "name", "customer", "stage", "expected_revenue", "probability", "expected_closing", "owner", "state"}
    with pytest.raises(ValidationError):
        service.drilldown(data, admin, period="2026-13")
    with pytest.raises(ValidationError):
        service.drilldown(data, admin, state="maybe")


def test_pipelines_of_several_teams_add_up_by_stage_name(data, admin, dewi):
    team_id = dewi.team_id
    sales.add_stage(data, admin, team_id, {"name": "Tasting", "probability": 40})  # the team gets its own copy of the stages
    data.commit()
    opp = _frames(data)["opp"]
    assert opp.loc[opp["team_id"] == team_id, "stage_id"].isin([s.id for s in sales.stages_for_team(data, team_id)]).all()
    rows = service.pipeline_by_stage(data, admin)
    assert [r["stage"] for r in rows] == ["New", "Qualified", "Proposition", "Negotiation", "Tasting", "Won"]
    assert _figures(rows) == _pipeline_reference(opp)
    team_rows = service.pipeline_by_stage(data, admin, Filters(team_id=team_id))
    assert [r["stage_id"] for r in team_rows] == [s.id for s in sales.stages_for_team(data, team_id)]
    assert _figures(team_rows) == _pipeline_reference(opp[opp["team_id"] == team_id])
    new = rows[0]
    assert service.drilldown(data, admin, stage_id=new["stage_id"], state="open")["total"] == new["count"]
    period_total = sum(r["count"] for r in service.pipeline_by_period(data, admin) if r["stage"] == "New")
    assert period_total == len(opp[(opp["state"] == "open") & (opp["stage_name"] == "New") & opp["closing"].notna()])


def test_the_dashboard_is_every_figure_at_once(data, admin):
    today = utcnow().astimezone(JAKARTA).date()
    now = utcnow()
    for f in (Filters(), Filters(date_from=today - timedelta(days=90), date_to=today + timedelta(days=30))):
        board = service.sales_dashboard(data, admin, f, today=today, now=now)
        assert board["pipeline_by_stage"] == service.pipeline_by_stage(data, admin, f)
        assert board["pipeline_by_period"] == service.pipeline_by_period(data, admin, f)
        assert board["pipeline_without_closing"] == service.pipeline_without_closing(data, admin, f)
        assert board["by_source"] == service.by_source(data, admin, f)
        assert board["win_rate"] == service.win_rate(data, admin, f)
        assert board["forecast"] == service.forecast(data, admin, f, today=today)
        assert board["won_lost_trend"] == service.won_lost_trend(data, admin, f)
        assert board["top_customers"] == service.top_customers(data, admin, f)
        assert board["performance"] == service.performance(data, admin, f)
        assert board["overdue_activities"] == service.overdue_activities(data, admin, f, now=now)


def _assert_board_is_every_figure(session, actor, f: Filters, today: date, now: datetime) -> dict:
    board = service.sales_dashboard(session, actor, f, today=today, now=now)
    assert board["pipeline_by_stage"] == service.pipeline_by_stage(session, actor, f)
    assert board["pipeline_by_period"] == service.pipeline_by_period(session, actor, f)
    assert board["pipeline_without_closing"] == service.pipeline_without_closing(session, actor, f)
    assert board["by_source"] == service.by_source(session, actor, f)
    assert board["win_rate"] == service.win_rate(session, actor, f)
    assert board["forecast"] == service.forecast(session, actor, f, today=today)
    assert board["won_lost_trend"] == service.won_lost_trend(session, actor, f)
    assert board["top_customers"] == service.top_customers(session, actor, f)
    assert board["performance"] == service.performance(session, actor, f)
    assert board["overdue_activities"] == service.overdue_activities(session, actor, f, now=now)
    return board


def test_the_dashboard_with_customer_filters_is_every_figure_at_once(data, admin, dewi):
    """With a segment / province / city filter the whole dashboard (which shares grouped rows between
    figures and reads done and overdue activities in one pass) equals each figure computed alone."""
    today = utcnow().astimezone(JAKARTA).date()
    now = utcnow()
    place = data.exec(select(Customer).join(Opportunity, Opportunity.customer_id == Customer.id).where(Customer.city != "")).first()
    cases = [
        (admin, Filters(segment="corporate")),
        (admin, Filters(province=place.province)),
        (admin, Filters(province=place.province, city=place.city)),
        (admin, Filters(segment="corporate", date_from=today - timedelta(days=90), date_to=today + timedelta(days=30))),
        (admin, Filters(segment="government", owner_id=dewi.id)),
        (dewi, Filters(segment="government")),
        (dewi, Filters(province=place.province, team_id=dewi.team_id)),
    ]
    for actor, f in cases:
        board = _assert_board_is_every_figure(data, actor, f, today, now)
        assert sum(r["count"] for r in board["pipeline_by_stage"]) + board["win_rate"]["won"] > 0, f
    board = service.sales_dashboard(data, admin, Filters(segment="no-such-segment"), today=today, now=now)
    assert sum(r["count"] for r in board["pipeline_by_stage"]) == 0 and board["overdue_activities"] == {"total": 0, "by_assignee": []}


def test_lead_and_activity_figures_with_a_customer_filter_match_pandas(data, admin):
    """An activity matches a customer filter through its own customer or its opportunity's customer;
    a lead through its customer."""
    frames = _frames(data)
    act, opp, lead, customers = frames["act"], frames["opp"], frames["lead"], frames["customers"]
    corporate = set(customers.loc[customers["segment"] == "corporate", "id"])
    their_deals = set(opp.loc[opp["customer_id"].isin(corporate), "id"])
    by_customer = act["customer_id"].isin(corporate)
    by_deal = act["opportunity_id"].isin(their_deals)
    assert by_customer.any() and (by_deal & ~by_customer).any()  # both ways are exercised
    matching = act[by_customer | by_deal]
    now = utcnow()
    f = Filters(segment="corporate")
    board = service.sales_dashboard(data, admin, f, now=now)
    done = matching[matching["done"] & matching["assignee_id"].notna()].groupby("assignee_id").size()
    assert {r["user_id"]: r["activities_done"] for r in board["performance"] if r["activities_done"]} == {int(k): int(n) for k, n in done.items()}
    overdue = matching[~matching["done"] & (matching["due_at"] < pd.Timestamp(now))]
    assert board["overdue_activities"]["total"] == len(overdue) > 0
    leads_of = lead[(lead["segment"] == "corporate") & lead["owner_id"].notna()].groupby("owner_id")
    assert {r["user_id"]: (r["leads_total"], r["leads_converted"]) for r in board["performance"] if r["leads_total"]} == {
        int(k): (len(g), int((g["status"] == "converted").sum())) for k, g in leads_of
    }
    report = service.run_report(data, admin, ReportSpec("activities", "kind"), f)
    assert report["total"] == len(matching)
    deals = service.run_report(data, admin, ReportSpec("opportunities", "state"), f)
    assert deals["total"] == len(their_deals) and {r["group"]: r["value"] for r in deals["rows"]} == {
        translate(f"sales.state.{state}", "en"): len(g) for state, g in opp[opp["customer_id"].isin(corporate)].groupby("state")
    }
    assert service.drilldown(data, admin, f, state="all")["total"] == len(their_deals)
    drill = service.drilldown(data, admin, f, state="open", per_page=100)
    open_deals = opp[opp["customer_id"].isin(corporate) & (opp["state"] == "open")]
    assert drill["total"] == len(open_deals) <= 100 and {r["id"] for r in drill["rows"]} == set(open_deals["id"])


# ----------------------------------------------------------------- click filters: stage and source


def _clicked(frames: dict, stage: str | None = None, source: str | None = None) -> tuple:
    """What a click filter keeps, worked out in pandas: the deals by current stage name and by lead
    source; the activities through their deal (under a source alone, through their lead too); the
    leads by source (None under a stage filter: a lead has no stage)."""
    opp, act, lead = frames["opp"], frames["act"], frames["lead"]
    deals = opp
    if stage:
        deals = deals[deals["stage_name"] == stage]
    if source:
        deals = deals[deals["source"] == source]
    acts = act
    if stage or source:
        through = act["opportunity_id"].isin(set(deals["id"]))
        if source and not stage and source != "direct":
            through |= act["lead_id"].isin(set(lead.loc[lead["source"] == source, "id"]))
        acts = act[through]
    leads = None if stage else (lead[lead["source"] == source] if source else lead)
    return deals, acts, leads


def _board_reference(frames: dict, today: date, now: datetime, stage: str | None = None, source: str | None = None) -> dict:
    """Every dashboard figure in pandas for a click filter (the shape of ``_board_shape``). The
    stage chart leaves the stage filter out, the source chart the source filter."""
    deals, acts, leads = _clicked(frames, stage, source)
    open_ = deals[deals["state"] == "open"]
    dated = open_[open_["closing"].notna()].copy()
    dated["period"] = dated["closing"].map(lambda d: _label(d, "month"))
    undated = open_[open_["closing"].isna()]
    by_source = _clicked(frames, stage, None)[0]
    closed = deals[deals["state"].isin(["won", "lost"]) & deals["closed_at"].notna()].copy()
    closed["period"] = closed["closed_at_local"].map(_month)
    won = deals[deals["state"] == "won"]
    start = today.replace(day=1)
    months = [_label(date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1), "month") for i in range(6)]
    stats: dict[int, dict] = {}

    def row(uid) -> dict:
        return stats.setdefault(int(uid), {"won_revenue": ZERO, "won_count": 0, "open_count": 0, "activities_done": 0, "leads_total": 0, "leads_converted": 0})

    for uid, g in won[won["owner_id"].notna()].groupby("owner_id"):
        row(uid).update(won_revenue=sum(g["er"], ZERO), won_count=len(g))
    for uid, g in open_[open_["owner_id"].notna()].groupby("owner_id"):
        row(uid)["open_count"] = len(g)
    for uid, g in acts[acts["done"] & acts["assignee_id"].notna()].groupby("assignee_id"):
        row(uid)["activities_done"] = len(g)
    if leads is None:
        for values in stats.values():
            values.update(leads_total=None, leads_converted=None)
    else:
        for uid, g in leads[leads["owner_id"].notna()].groupby("owner_id"):
            row(uid).update(leads_total=len(g), leads_converted=int((g["status"] == "converted").sum()))
    overdue = acts[~acts["done"] & (acts["due_at"] < pd.Timestamp(now))]
    return {
        "stages": _pipeline_reference(_clicked(frames, None, source)[0]),
        "periods": {(p, s): (len(g), sum(g["er"], ZERO), _weighted(g)) for (p, s), g in dated.groupby(["period", "stage_name"])},
        "undated": {"count": len(undated), "expected": sum(undated["er"], ZERO), "weighted": _weighted(undated)},
        "sources": {
            s: (len(g), int((g["state"] == "won").sum()), sum(g.loc[g["state"] == "won", "er"], ZERO), sum(g.loc[g["state"] == "open", "er"], ZERO))
            for s, g in by_source.groupby("source")
        },
        "closed": (int((closed["state"] == "won").sum()), int((closed["state"] == "lost").sum())),
        "forecast": {m: (sum(g["er"], ZERO), _weighted(g)) for m, g in ((m, dated[dated["period"] == m]) for m in months)},
        "trend": {
            p: (int((g["state"] == "won").sum()), sum(g.loc[g["state"] == "won", "er"], ZERO), int((g["state"] == "lost").sum()))
            for p, g in closed.groupby("period")
        },
        "top": sorted(
            ((int(cid), sum(g["er"], ZERO), len(g)) for cid, g in won[won["customer_id"].notna()].groupby("customer_id")),
            key=lambda t: (-t[1], -t[2], t[0]),
        )[:10],
        "performance": stats,
        "overdue": (len(overdue), {(None if pd.isna(uid) else int(uid)): len(g) for uid, g in overdue.groupby("assignee_id", dropna=False)}),
    }


def _board_shape(board: dict) -> dict:
    keys = ("won_revenue", "won_count", "open_count", "activities_done", "leads_total", "leads_converted")
    return {
        "stages": _figures(board["pipeline_by_stage"]),
        "periods": {(r["period"], r["stage"]): (r["count"], r["expected"], r["weighted"]) for r in board["pipeline_by_period"]},
        "undated": board["pipeline_without_closing"],
        "sources": {r["source"]: (r["count"], r["won_count"], r["won_revenue"], r["open_expected"]) for r in board["by_source"]},
        "closed": (board["win_rate"]["won"], board["win_rate"]["lost"]),
        "forecast": {r["month"]: (r["expected"], r["weighted"]) for r in board["forecast"]},
        "trend": {r["period"]: (r["won_count"], r["won_revenue"], r["lost_count"]) for r in board["won_lost_trend"] if r["won_count"] or r["lost_count"]},
        "top": [(r["customer_id"], r["won_revenue"], r["won_count"]) for r in board["top_customers"]],
        "performance": {r["user_id"]: {k: r[k] for k in keys} for r in board["performance"]},
        "overdue": (board["overdue_activities"]["total"], {r["user_id"]: r["count"] for r in board["overdue_activities"]["by_assignee"]}),
    }


def _stage_id(session, actor, name: str) -> int:
    return next(r["stage_id"] for r in service.pipeline_by_stage(session, actor) if r["stage"] == name)


def test_a_stage_click_filters_every_other_figure_like_pandas(data, admin):
    """Filters.stage_id keeps the deals whose current stage is that one, in every state: under
    Negotiation the open figures are Negotiation's, the won / lost ones the deals lost in
    Negotiation (a won deal sits in the won stage), activities those of these deals, lead figures
    None. The stage chart itself keeps every stage and marks the chosen one."""
    today = utcnow().astimezone(JAKARTA).date()
    now = utcnow()
    frames = _frames(data)
    opp = frames["opp"]
    everything = service.pipeline_by_stage(data, admin)
    for name in ("New", "Qualified", "Proposition", "Negotiation", "Won"):
        f = Filters(stage_id=_stage_id(data, admin, name))
        board = _assert_board_is_every_figure(data, admin, f, today, now)
        assert _board_shape(board) == _board_reference(frames, today, now, stage=name), name
        stages = board["pipeline_by_stage"]
        assert [{k: v for k, v in r.items() if k != "selected"} for r in stages] == [{k: v for k, v in r.items() if k != "selected"} for r in everything]
        assert [r["stage"] for r in stages if r["selected"]] == [name]
        assert not any(r["selected"] for r in board["by_source"])
        assert all(r["leads_total"] is None and r["leads_converted"] is None and r["conversion_rate"] is None for r in board["performance"])
        # the list behind the bar and behind each figure of the filtered board
        chosen = next(r for r in stages if r["selected"])
        assert service.drilldown(data, admin, f, stage_id=chosen["stage_id"], state="open")["total"] == chosen["count"]
        assert service.drilldown(data, admin, f, state="all")["total"] == int((opp["stage_name"] == name).sum())
        for row in board["by_source"]:
            assert service.drilldown(data, admin, f, source=row["source"])["total"] == row["count"]
        for row in board["won_lost_trend"]:
            assert service.drilldown(data, admin, f, period=row["period"], state="lost")["total"] == row["lost_count"]
    negotiation = _board_shape(service.sales_dashboard(data, admin, Filters(stage_id=_stage_id(data, admin, "Negotiation")), today=today, now=now))
    assert negotiation["closed"][0] == 0 < negotiation["closed"][1] and negotiation["top"] == []  # lost in Negotiation, none won there
    won = _board_shape(service.sales_dashboard(data, admin, Filters(stage_id=_stage_id(data, admin, "Won")), today=today, now=now))
    assert won["closed"][1] == 0 < won["closed"][0] and won["periods"] == {}  # the won stage: won deals only, nothing open


def test_a_source_click_filters_every_other_figure_like_pandas(data, admin):
    """Filters.source keeps the deals converted from a lead of that source ("direct": no lead), the
    leads of that source and the activities of both. The source chart keeps every slice."""
    today = utcnow().astimezone(JAKARTA).date()
    now = utcnow()
    frames = _frames(data)
    opp, act = frames["opp"], frames["act"]
    everything = service.by_source(data, admin)
    assert len(everything) > 2
    for source in [r["source"] for r in everything]:
        f = Filters(source=source)
        board = _assert_board_is_every_figure(data, admin, f, today, now)
        assert _board_shape(board) == _board_reference(frames, today, now, source=source), source
        assert [{k: v for k, v in r.items() if k != "selected"} for r in board["by_source"]] == [{k: v for k, v in r.items() if k != "selected"} for r in everything]
        assert [r["source"] for r in board["by_source"] if r["selected"]] == [source]
        assert not any(r["selected"] for r in board["pipeline_by_stage"])
        assert service.drilldown(data, admin, f, state="all")["total"] == int((opp["source"] == source).sum())
        for row in board["pipeline_by_stage"]:
            assert service.drilldown(data, admin, f, stage_id=row["stage_id"], state="open")["total"] == row["count"]
        for row in board["won_lost_trend"]:
            assert service.drilldown(data, admin, f, period=row["period"], won=True)["total"] == row["won_count"]
    # the activities of a source's leads count, not only those of its deals
    lead_source = frames["lead"].set_index("id")["source"]
    on_leads = act[act["lead_id"].notna() & act["opportunity_id"].isna()]
    assert len(on_leads) > 0
    busiest = lead_source[on_leads["lead_id"].astype(int)].value_counts().index[0]
    kept = _clicked(frames, source=busiest)[1]
    assert kept["opportunity_id"].isna().any()  # kept through their lead
    board = service.sales_dashboard(data, admin, Filters(source=busiest), today=today, now=now)
    assert _board_shape(board) == _board_reference(frames, today, now, source=busiest)
    direct = _board_shape(service.sales_dashboard(data, admin, Filters(source="direct"), today=today, now=now))
    assert all(v["leads_total"] in (0, None) for v in direct["performance"].values())  # a direct deal has no lead
    # both click filters at once, with a customer filter and a date range on top
    window = Filters(date_from=today - timedelta(days=120), date_to=today + timedelta(days=60))
    both = Filters(stage_id=_stage_id(data, admin, "Proposition"), source="direct")
    assert _board_shape(service.sales_dashboard(data, admin, both, today=today, now=now)) == _board_reference(frames, today, now, stage="Proposition", source="direct")
    for f in (both, replace(both, segment="corporate"), replace(both, date_from=window.date_from, date_to=window.date_to), Filters(source=busiest, segment="corporate")):
        _assert_board_is_every_figure(data, admin, f, today, now)
    created = opp[(opp["source"] == "direct") & _in_days(opp["created_at"], window.date_from, window.date_to)]
    windowed = Filters(source="direct", date_from=window.date_from, date_to=window.date_to)
    assert _figures(service.pipeline_by_stage(data, admin, windowed)) == _pipeline_reference(created)


def test_click_filters_follow_visibility_field_access_and_team_pipelines(data, admin, dewi):
    """A salesperson's click filter narrows only the deals she may see; a source filter is ignored
    when the leads' source is hidden from her; under a team the stage filter matches the team's
    copy of the stage (same name); the report builder has no click filter."""
    today = utcnow().astimezone(JAKARTA).date()
    now = utcnow()
    visible = permissions.visible_owner_ids(data, dewi, "opportunities")
    opp = _frames(data)["opp"]
    hers = opp[opp["owner_id"].isna() | opp["owner_id"].isin(visible)]
    negotiation = _stage_id(data, admin, "Negotiation")
    board = _assert_board_is_every_figure(data, dewi, Filters(stage_id=negotiation), today, now)
    lost = hers[(hers["state"] == "lost") & (hers["stage_name"] == "Negotiation")]
    assert (board["win_rate"]["won"], board["win_rate"]["lost"]) == (0, len(lost))
    source = service.by_source(data, dewi)[1]["source"]
    board = _assert_board_is_every_figure(data, dewi, Filters(source=source, segment="government"), today, now)
    mine = hers[(hers["source"] == source) & (hers["segment"] == "government")]
    assert (board["win_rate"]["won"], board["win_rate"]["lost"]) == (int((mine["state"] == "won").sum()), int((mine["state"] == "lost").sum()))
    spec = ReportSpec("opportunities", "stage")
    assert service.run_report(data, admin, spec, Filters(stage_id=negotiation, source=source)) == service.run_report(data, admin, spec)

    _restrict(data, admin, "sales", {"leads.source": "hidden"})
    assert service.pipeline_by_stage(data, dewi, Filters(source=source)) == service.pipeline_by_stage(data, dewi)
    assert service.drilldown(data, dewi, Filters(source=source), state="all")["total"] == len(hers)

    team_id = dewi.team_id
    sales.add_stage(data, admin, team_id, {"name": "Tasting", "probability": 40})  # the team gets its own copy of the stages
    data.commit()
    opp = _frames(data)["opp"]
    copy = next(s.id for s in sales.stages_for_team(data, team_id) if s.name == "Negotiation")
    assert copy != negotiation
    open_negotiation = opp[(opp["state"] == "open") & (opp["stage_name"] == "Negotiation")]
    for f, deals in (
        (Filters(stage_id=negotiation, team_id=team_id), open_negotiation[open_negotiation["team_id"] == team_id]),
        (Filters(stage_id=copy), open_negotiation),
    ):
        rows = service.pipeline_by_stage(data, admin, f)
        assert [r["stage"] for r in rows if r["selected"]] == ["Negotiation"]
        assert sum(r["count"] for r in rows if r["selected"]) == len(deals) > 0
        dated = deals[deals["closing"].notna()]
        assert sum(r["count"] for r in service.pipeline_by_period(data, admin, f)) == len(dated)
        assert {r["stage"] for r in service.pipeline_by_period(data, admin, f)} <= {"Negotiation"}


def test_a_report_date_range_tells_sqlite_its_share_of_the_rows(data, admin):
    """On SQLite with ANALYZE statistics the report's date range is written as likelihood(term, share)
    so that the planner can choose between the table and an index it would skip-scan; same numbers."""
    from sqlalchemy import event

    today = utcnow().astimezone(JAKARTA).date()
    window = Filters(date_from=today - timedelta(days=90), date_to=today)
    spec = ReportSpec("activities", "due_at", "kind", granularity="week")
    before = service.run_report(data, admin, spec, window)
    data.execute(text("ANALYZE"))
    statements: list[str] = []
    engine = data.get_bind()

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        after = service.run_report(data, admin, spec, window)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert after == before and before["total"] > 0
    hinted = any("likelihood(" in s for s in statements)
    assert hinted == (engine.dialect.name == "sqlite")


def test_no_read_permission_no_numbers(data, dewi):
    nobody = auth.Actor(dewi.id, "nobody", "Nobody", "no-such-profile")
    for figure in (service.pipeline_by_stage, service.by_source, service.win_rate, service.performance, service.sales_dashboard, service.drilldown):
        with pytest.raises(PermissionDenied):
            figure(data, nobody)
    with pytest.raises(PermissionDenied):
        service.overdue_activities(data, nobody)
    with pytest.raises(PermissionDenied):
        service.run_report(data, nobody, ReportSpec("customers", "segment"))


def test_filter_options(data, admin, dewi):
    options = service.filter_options(data, admin)
    assert {o["name"] for o in options["owners"]} >= {"Dewi Lestari", "Budi Santoso"}
    assert "DKI Jakarta" in options["provinces"] and "" not in options["provinces"]
    assert [s["name"] for s in options["stages"]][0] == "New" and options["segments"][0] == "corporate"
    visible = permissions.visible_owner_ids(data, dewi, "opportunities")
    assert {o["id"] for o in service.filter_options(data, dewi)["owners"]} <= set(visible)


# ------------------------------------------------------------------------------------ periods


def test_period_labels_round_trip_and_bad_labels_are_refused():
    for granularity, label, start, end in [
        ("day", "2026-03-05", date(2026, 3, 5), date(2026, 3, 5)),
        ("week", "2026-W10", date(2026, 3, 2), date(2026, 3, 8)),
        ("week", "2027-W01", date(2027, 1, 4), date(2027, 1, 10)),
        ("month", "2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("quarter", "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("year", "2026", date(2026, 1, 1), date(2026, 12, 31)),
    ]:
        assert service.period_range(label, granularity) == (start, end)
        assert service.period_label(start, granularity) == label
    for granularity, label in [("month", "2026-13"), ("month", "2026-3"), ("quarter", "2026-Q5"), ("week", "2026-W60"), ("year", "x"), ("day", "2026-02-30")]:
        with pytest.raises(ValidationError):
            service.period_range(label, granularity)


def test_period_sql_is_written_for_both_databases(data):
    """The PostgreSQL flavour is compiled (not run) here; SQLite's is run by every other test."""
    from sqlalchemy.dialects import postgresql

    class FakePostgres:
        def get_bind(self):
            return type("Bind", (), {"dialect": postgresql.dialect()})()

    expected = {
        "day": "to_char(timezone('Asia/Jakarta', opportunity.closed_at), 'YYYY-MM-DD')",
        "week": "to_char(date_trunc('week', timezone('Asia/Jakarta', opportunity.closed_at)), 'YYYY-MM-DD')",
        "month": "to_char(timezone('Asia/Jakarta', opportunity.closed_at), 'YYYY-MM')",
        "quarter": "to_char(timezone('Asia/Jakarta', opportunity.closed_at), 'YYYY-\"Q\"Q')",
        "year": "to_char(timezone('Asia/Jakarta', opportunity.closed_at), 'YYYY')",
    }
    for granularity, sql in expected.items():
        compiled = str(service.period_key(FakePostgres(), Opportunity.closed_at, granularity).compile(dialect=postgresql.dialect()))
        assert compiled == sql
    closing = str(service.period_key(FakePostgres(), Opportunity.expected_closing, "month").compile(dialect=postgresql.dialect()))
    assert closing == "to_char(CAST(opportunity.expected_closing AS TIMESTAMP WITHOUT TIME ZONE), 'YYYY-MM')"
    # on SQLite, a UTC evening is the next Jakarta day (and month)
    first = data.exec(select(Opportunity.id).order_by(Opportunity.id)).first()
    data.exec(update(Opportunity).where(Opportunity.id == first).values(closed_at=datetime(2026, 3, 31, 18, 30, tzinfo=UTC)))
    keys = data.exec(select(*(service.period_key(data, Opportunity.closed_at, g) for g in service.GRANULARITIES)).where(Opportunity.id == first)).one()
    assert tuple(keys) == ("2026-04-01", "2026-03-30", "2026-04", "2026-Q2", "2026")


# ------------------------------------------------------------------------------------ report builder


def test_report_count_by_stage_equals_pandas(data, admin):
    opp = _frames(data)["opp"]
    result = service.run_report(data, admin, ReportSpec("opportunities", "stage"))
    assert result["columns"] == ["report.field.opportunities.stage", "report.measure.count"]
    assert {r["group"]: r["value"] for r in result["rows"]} == opp.groupby("stage_name").size().to_dict()
    assert [r["group"] for r in result["rows"]] == ["New", "Qualified", "Proposition", "Negotiation", "Won"]
    assert result["total"] == len(opp) and result["truncated"] is False
    assert all(r["group2"] == "" for r in result["rows"])


def test_report_sum_of_revenue_by_owner_and_month_equals_pandas_and_pivots(data, admin):
    frames = _frames(data)
    opp = frames["opp"].copy()
    names = dict(zip(frames["users"]["id"], frames["users"]["full_name"], strict=True))
    opp["owner"] = opp["owner_id"].map(lambda v: "" if pd.isna(v) else names[int(v)])
    opp["month"] = opp["created_at_local"].map(_month)
    expected = {(o, m): sum(g["er"], ZERO) for (o, m), g in opp.groupby(["owner", "month"])}
    spec = ReportSpec("opportunities", "owner", "created_at", granularity="month", measure="sum", field="expected_revenue", chart="table")
    result = service.run_report(data, admin, spec)
    assert {(r["group"], r["group2"]): r["value"] for r in result["rows"]} == expected
    assert result["total"] == sum(opp["er"], ZERO)
    assert result["value_field"] == "report.field.opportunities.expected_revenue"
    table = service.pivot(result)
    assert table["row_labels"] == sorted(set(opp["owner"]))
    assert table["row_totals"] == [sum(opp.loc[opp["owner"] == o, "er"], ZERO) for o in table["row_labels"]]
    assert table["col_totals"] == [sum(opp.loc[opp["month"] == m, "er"], ZERO) for m in table["col_labels"]]
    assert table["grand_total"] == result["total"]
    assert sorted(table["col_labels"]) == table["col_labels"]
    for i, owner in enumerate(table["row_labels"]):
        for j, month in enumerate(table["col_labels"]):
            assert table["cells"][i][j] == expected.get((owner, month), 0)


def test_report_average_on_invoices_equals_pandas(data, admin):
    from kaktus_app.demo import load_catalog, load_documents

    load_catalog(data)
    load_documents(data)
    data.commit()
    invoices = pd.read_sql(text("SELECT state, total, invoice_date FROM invoice"), data.connection())
    invoices["total"] = invoices["total"].map(_dec)
    assert len(invoices) > 2
    result = service.run_report(data, admin, ReportSpec("invoices", "state", measure="avg", field="total"))
    expected = {
        {"posted": "Posted", "paid": "Paid", "draft": "Draft"}.get(state, state): (sum(g["total"], ZERO) / len(g)).quantize(CENT, rounding=ROUND_HALF_UP)
        for state, g in invoices.groupby("state")
    }
    assert {r["group"]: r["value"] for r in result["rows"]} == expected
    overall = (sum(invoices["total"], ZERO) / len(invoices)).quantize(CENT, rounding=ROUND_HALF_UP)
    assert result["total"] == overall
    assert service.pivot(result)["grand_total"] == overall
    by_month = service.run_report(data, admin, ReportSpec("invoices", "invoice_date", "state", granularity="month", measure="sum", field="total"))
    assert sum((r["value"] for r in by_month["rows"]), ZERO) == sum(invoices["total"], ZERO)
    quotations = service.run_report(data, admin, ReportSpec("quotations", "state", measure="count"))
    assert quotations["total"] == len(pd.read_sql(text("SELECT id FROM sales_order"), data.connection())) > 0


@pytest.mark.parametrize("granularity", ["day", "week", "quarter", "year"])
def test_report_date_groupings_equal_pandas(data, admin, granularity):
    lead = _frames(data)["lead"]
    lead["period"] = lead["created_at"].dt.tz_convert(JAKARTA).dt.date.map(lambda d: _label(d, granularity))
    result = service.run_report(data, admin, ReportSpec("leads", "created_at", granularity=granularity, chart="line"))
    assert {r["group"]: r["value"] for r in result["rows"]} == lead.groupby("period").size().to_dict()
    assert [r["group"] for r in result["rows"]] == sorted(r["group"] for r in result["rows"])


def test_report_values_are_display_strings_in_the_language(data, admin):
    result = service.run_report(data, admin, ReportSpec("opportunities", "state", "source"), lang="id")
    assert {r["group"] for r in result["rows"]} == {translate(f"sales.state.{s}", "id") for s in ("open", "won", "lost")}
    assert {r["group2"] for r in result["rows"]} == {translate("analytics.direct", "id")} | {translate(f"leads.source.{s}", "id") for s in set(_frames(data)["opp"]["source"]) - {"direct"}}
    done = service.run_report(data, admin, ReportSpec("activities", "done", "kind"))
    assert {r["group"] for r in done["rows"]} == {"Yes", "No"}
    assert {r["group2"] for r in done["rows"]} == {translate(f"activities.kind.{k}", "en") for k in ("call", "meeting", "email", "task")}
    closed = service.run_report(data, admin, ReportSpec("opportunities", "closed_at", granularity="year"))
    assert "" in {r["group"] for r in closed["rows"]}  # open deals have no closing date
    customers = service.run_report(data, admin, ReportSpec("customers", "segment", "kind"))
    assert customers["total"] == len(_frames(data)["customers"])


def test_report_filters_and_record_visibility(data, admin, dewi):
    frames = _frames(data)
    lead = frames["lead"]
    result = service.run_report(data, admin, ReportSpec("leads", "source"), Filters(segment="government"))
    assert result["total"] == int((lead["segment"] == "government").sum())
    visible = permissions.visible_owner_ids(data, dewi, "opportunities")
    opp = frames["opp"]
    hers = service.run_report(data, dewi, ReportSpec("opportunities", "owner"))
    assert hers["total"] == int((opp["owner_id"].isna() | opp["owner_id"].isin(visible)).sum())
    names = {u.id: u.full_name for u in data.exec(select(User))}
    assert {r["group"] for r in hers["rows"]} <= {names[i] for i in visible} | {""}
    act = frames["act"]
    today = utcnow().astimezone(JAKARTA).date()
    window = Filters(date_from=today - timedelta(days=20), date_to=today)
    due = service.run_report(data, admin, ReportSpec("activities", "assignee"), window)
    assert due["total"] == int(_in_days(act["due_at"], window.date_from, window.date_to).sum())


def test_report_builder_refuses_what_it_cannot_run(data, admin, dewi):
    cases = [
        (ReportSpec("ships", "name"), {"module": "report.error.unknown_module"}),
        (ReportSpec("opportunities", "colour"), {"group_by": "report.error.unknown_field"}),
        (ReportSpec("opportunities", ""), {"group_by": "report.error.group_required"}),
        (ReportSpec("opportunities", "stage", "stage"), {"group_by2": "report.error.same_group"}),
        (ReportSpec("opportunities", "stage", "owner", chart="pie"), {"chart": "report.error.pie_one_group"}),
        (ReportSpec("opportunities", "stage", measure="median"), {"measure": "report.error.unknown_measure"}),
        (ReportSpec("opportunities", "stage", measure="sum"), {"field": "report.error.numeric_field_required"}),
        (ReportSpec("opportunities", "stage", measure="avg", field="name"), {"field": "report.error.not_numeric"}),
        (ReportSpec("opportunities", "created_at", granularity="decade"), {"granularity": "report.error.unknown_granularity"}),
        (ReportSpec("opportunities", "stage", chart="radar"), {"chart": "report.error.unknown_chart"}),
    ]
    for spec, errors in cases:
        with pytest.raises(ValidationError) as refused:
            service.validate_spec(spec)
        assert refused.value.errors == errors, spec
        with pytest.raises(ValidationError):
            service.run_report(data, admin, spec)
    maya = _user(data, "maya", "marketing")
    with pytest.raises(PermissionDenied):
        service.run_report(data, maya, ReportSpec("invoices", "state"))
    assert service.run_report(data, maya, ReportSpec("leads", "source"))["total"] > 0
    assert "invoices" not in {o["module"] for o in service.report_options(data, maya)}


def test_pivot_of_counts_and_of_a_one_group_result():
    result = {
        "columns": ["a", "b", "report.measure.count"], "measure": "count",
        "rows": [{"group": "x", "group2": "p", "value": 1}, {"group": "x", "group2": "q", "value": 2}, {"group": "y", "group2": "q", "value": 4}],
    }
    assert service.pivot(result) == {
        "row_labels": ["x", "y"], "col_labels": ["p", "q"], "cells": [[1, 2], [0, 4]],
        "row_totals": [3, 4], "col_totals": [1, 6], "grand_total": 7,
    }
    single = service.pivot({"columns": ["a", "report.measure.count"], "measure": "count", "rows": [{"group": "x", "group2": "", "value": 5}]})
    assert single["cells"] == [[5]] and single["grand_total"] == 5
    averages = service.pivot({
        "columns": ["a", "b", "report.measure.avg"], "measure": "avg",
        "rows": [{"group": "x", "group2": "p", "value": Decimal("10.00"), "count": 1}, {"group": "x", "group2": "q", "value": Decimal("40.00"), "count": 3}],
    })
    assert averages["cells"] == [[Decimal("10.00"), Decimal("40.00")]] and averages["row_totals"] == [Decimal("32.50")]


def test_export_csv_and_xlsx_read_back(data, admin, dewi):
    from openpyxl import load_workbook

    rina = auth.actor_for(data.exec(select(User).where(User.username == "rina")).one())
    spec = ReportSpec("opportunities", "stage", "state", measure="sum", field="expected_revenue")
    result = service.run_report(data, admin, spec)
    raw = service.export_report(data, admin, spec, result, "csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    field = translate("report.field.opportunities.expected_revenue")
    assert lines[0] == [translate("report.field.opportunities.stage"), translate("report.field.opportunities.state"), translate("report.measure.sum", field=field)]
    assert [(a, b, Decimal(c)) for a, b, c in lines[1:]] == [(r["group"], r["group2"], r["value"]) for r in result["rows"]]

    book = load_workbook(io.BytesIO(service.export_report(data, admin, spec, result, "xlsx")))
    sheet = book.active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == len(result["rows"]) + 1
    assert [(a or "", b or "", Decimal(str(c)).quantize(CENT)) for a, b, c in values[1:]] == [(r["group"], r["group2"], r["value"]) for r in result["rows"]]
    assert sum(Decimal(str(v[2])) for v in values[1:]) == result["total"]

    # a name typed as a formula stays text
    data.exec(update(Customer).where(Customer.id == data.exec(select(Customer.id)).first()).values(industry="=HYPERLINK(1)"))
    industries = ReportSpec("customers", "industry")
    typed = service.run_report(data, admin, industries)
    assert "'=HYPERLINK(1)" in [line[0] for line in csv.reader(io.StringIO(service.export_report(data, admin, industries, typed, "csv").decode("utf-8-sig")))]
    cells = load_workbook(io.BytesIO(service.export_report(data, admin, industries, typed, "xlsx"))).active
    typed_cell = next(row[0] for row in cells.iter_rows(min_row=2) if row[0].value == "=HYPERLINK(1)")
    assert typed_cell.data_type == "s"  # a text cell, not a formula

    with pytest.raises(ValidationError):
        service.export_report(data, admin, spec, result, "pdf")
    counts = ReportSpec("opportunities", "stage")
    with pytest.raises(PermissionDenied):  # support may read opportunities but not export them
        service.export_report(data, rina, counts, service.run_report(data, rina, counts), "csv")
    assert service.export_report(data, dewi, counts, service.run_report(data, dewi, counts), "csv")


def test_saved_reports_belong_to_their_owner(data, admin, dewi, budi):
    spec = ReportSpec("opportunities", "stage", measure="sum", field="expected_revenue", chart="bar")
    with pytest.raises(ValidationError) as unnamed:
        service.save_report(data, dewi, "  ", spec)
    assert unnamed.value.errors == {"name": "error.required"}
    with pytest.raises(ValidationError):
        service.save_report(data, dewi, "x" * 121, spec)
    with pytest.raises(ValidationError):
        service.save_report(data, dewi, "Bad", ReportSpec("opportunities", "colour"))
    window = Filters(date_from=date(2026, 1, 1), owner_id=dewi.id)
    saved = service.save_report(data, dewi, "Pipeline per stage", spec, filters=window)
    other = service.save_report(data, dewi, "Activities per kind", ReportSpec("activities", "kind", chart="pie"))
    data.commit()
    assert [r["name"] for r in service.list_reports(data, dewi)] == ["Activities per kind", "Pipeline per stage"]
    assert service.list_reports(data, budi) == []
    loaded, loaded_spec = service.get_report(data, dewi, saved.id)
    assert loaded_spec == spec and service.report_filters(loaded) == window
    for action in (
        lambda: service.get_report(data, budi, saved.id),
        lambda: service.delete_report(data, budi, saved.id),
        lambda: service.set_on_dashboard(data, budi, saved.id, True),
        lambda: service.save_report(data, budi, "Mine now", spec, report_id=saved.id),
        lambda: service.get_report(data, dewi, 99999),
    ):
        with pytest.raises(NotFound):
            action()
    renamed = service.save_report(data, dewi, "Pipeline (count)", ReportSpec("opportunities", "stage"), report_id=saved.id)
    assert renamed.id == saved.id and service.get_report(data, dewi, saved.id)[1].measure == "count"
    assert service.report_filters(renamed) == Filters()

    service.set_on_dashboard(data, dewi, other.id, True)
    service.set_on_dashboard(data, dewi, saved.id, True)
    pinned = service.dashboard_reports(data, dewi)
    assert [p["id"] for p in pinned] == [other.id, saved.id]
    assert pinned[1]["result"] == service.run_report(data, dewi, ReportSpec("opportunities", "stage"))
    assert pinned[0]["spec"]["chart"] == "pie" and pinned[0]["error"] == ""
    service.set_on_dashboard(data, dewi, other.id, False)
    assert [p["id"] for p in service.dashboard_reports(data, dewi)] == [saved.id]

    # a pinned report its owner may no longer run shows its error, the others still run
    _restrict(data, admin, "sales", {"opportunities.expected_revenue": "hidden"})
    data.exec(update(SavedReport).where(SavedReport.id == other.id).values(config=json.dumps({"group_by": "stage", "measure": "sum", "field": "expected_revenue"}), module="opportunities"))
    service.set_on_dashboard(data, dewi, other.id, True)
    pinned = {p["id"]: p for p in service.dashboard_reports(data, dewi)}
    assert pinned[other.id]["result"] is None and pinned[other.id]["error"] == "report.error.field_hidden"
    assert pinned[saved.id]["result"]["total"] > 0

    service.delete_report(data, dewi, other.id)
    assert [r["id"] for r in service.list_reports(data, dewi)] == [saved.id]
    assert data.get(SavedReport, other.id) is None


def test_ticket_report_by_category_and_province_equals_pandas(data, admin):
    from kaktus_app.demo import load_catalog, load_helpdesk

    load_catalog(data)
    load_helpdesk(data)
    data.flush()
    conn = data.connection()
    tickets = pd.read_sql("SELECT t.category, t.status, c.province FROM ticket t JOIN customer c ON c.id = t.company_id", conn)
    result = service.run_report(data, admin, ReportSpec("tickets", "category", "province", chart="table"))
    labels = {"complaint": "Complaint", "question": "Question", "order_change": "Order change", "food_quality": "Food quality", "delivery": "Delivery", "billing": "Billing"}
    expected = {(labels[c], p): len(g) for (c, p), g in tickets.groupby(["category", "province"])}
    assert {(r["group"], r["group2"]): r["value"] for r in result["rows"]} == expected
    assert result["total"] == len(tickets)
    by_status = service.run_report(data, admin, ReportSpec("tickets", "status"), lang="id")
    assert {r["group"] for r in by_status["rows"]} >= {"Baru", "Ditutup"}


def test_dashboard_helpdesk_section_matches_ticket_statistics(data, admin):
    from kaktus_app.demo import load_catalog, load_helpdesk
    from kaktus_app.helpdesk import service as helpdesk

    load_catalog(data)
    load_helpdesk(data)
    data.flush()
    summary = service.helpdesk_summary(data, admin, service.Filters())
    stats = helpdesk.stats(data, admin)
    assert summary["open"] == sum(r["count"] for r in stats["open_by_status"]) > 0
    assert summary["breaches"] == stats["breaches"] and summary["created"] == stats["created"]
    assert any("ayam bakar" in message for message in summary["alerts"])
    # a date range before any ticket: nothing opened, the open count stays
    empty = service.helpdesk_summary(data, admin, service.Filters(date_from=date(2020, 1, 1), date_to=date(2020, 1, 31)))
    assert empty["created"] == 0 and empty["open"] == summary["open"]
