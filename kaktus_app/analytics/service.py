"""The managers' sales dashboards and the report builder (no UI here: the states call these).

Every figure is SQL aggregation (GROUP BY) over the records the actor may see: a function first
checks the module permission, then limits rows with ``permissions.visible_owner_ids`` /
``owner_clause``. Python only folds grouped rows: same-named stages, closing days into months /
quarters / years, the periods with no data. A table is never loaded into Python. A customer filter
(segment, province, city) matches the record's customer (an activity's own, or its opportunity's):
opportunities, leads and activities carry copies of those customer fields (``customer_segment`` ...,
kept in step by database triggers, migration 0014), so the filter is a condition on the rows
themselves; quotations, invoices and tickets look their customer up.

Dates. ``Filters.date_from`` / ``date_to`` (inclusive) are Asia/Jakarta calendar days. Each figure
applies them to the date it is about (named in its docstring): created_at for the pipeline by stage
and by source, expected_closing for the pipeline by closing period and the forecast, closed_at for
won / lost, win rate, top customers and won deals per salesperson, due_at for activities. Stored
datetimes are UTC: a day becomes the UTC interval of that Jakarta day, and periods of datetimes
(months, quarters...) are Jakarta periods. Date columns (expected_closing, quote_date, invoice_date,
due_date) are used as they are.

Money is ``Decimal`` (sums exact, weighted revenue rounded to whole rupiah).

Field access (``permissions.hidden``). Hidden expected_revenue: money figures are None, counts stay.
Hidden probability: weighted revenue is None. Hidden expected_closing: no figure by closing date.
Hidden lead source: no figure by source. A filter on a hidden customer field (segment, province,
city) is ignored, as in the customer list. The report builder refuses to group or measure a hidden field.

Stages. With ``Filters.team_id`` the pipeline is that team's stages (its own, else the default
ones, as ``sales.service.stages_for_team`` picks them). Without a team the figures span every
pipeline: stages of the same name (a team's copy of "Qualified" and the default "Qualified") are one
row, whose ``stage_id`` is the default stage's; ``drilldown(stage_id=...)`` spans them the same way.

Click filters. A click on a stage bar or a lead-source slice cross-filters the dashboard:
``Filters.stage_id`` keeps the deals whose *current* stage is that stage (or one of the same name,
like the stage rows), ``Filters.source`` the deals converted from a lead of that source ("direct":
no lead). Each opportunity figure applies them in SQL (``_deal_conditions``), whatever the deal's
state: the won / lost trend, win rate and top customers under "Negotiation" count the deals lost in
Negotiation (a won deal sits in the won stage), the forecast and the closing chart only that
stage's open deals. Activities follow their deal (a source also keeps the activities of its
leads); leads have a source but no stage, so the lead figures follow a source filter and are None
under a stage filter. The figure a filter comes from leaves it out, so that another bar or slice
can still be picked: ``pipeline_by_stage`` keeps every stage and marks the chosen one
``selected``, ``by_source`` the same for the chosen source. The report builder has no such filter
(it groups by stage or source instead) and the help desk section follows only the date range.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import DateTime as SADateTime
from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal_column,
    or_,
    text,
    true,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from kaktus_app import db
from kaktus_app.activities.models import Activity
from kaktus_app.analytics.models import SavedReport
from kaktus_app.auth import permissions
from kaktus_app.auth.models import User
from kaktus_app.auth.service import user_names
from kaktus_app.customers.models import Customer
from kaktus_app.documents.models import Invoice, SalesOrder
from kaktus_app.errors import DomainError, NotFound, ValidationError
from kaktus_app.helpdesk.models import Ticket
from kaktus_app.i18n import CATALOG, JAKARTA, format_date, format_idr, translate, utcnow
from kaktus_app.leads.models import Lead
from kaktus_app.models_base import CUSTOMER_COPY
from kaktus_app.sales.models import Opportunity, SalesTeam, Stage
from kaktus_app.sales.service import stages_for_team
from kaktus_app.validation import Errors, clean_text

GRANULARITIES = ("day", "week", "month", "quarter", "year")
PIPELINE_GRANULARITIES = ("year", "quarter", "month")
MEASURES = ("count", "sum", "avg")
CHARTS = ("bar", "line", "pie", "table")
EXPORT_FORMATS = ("csv", "xlsx")
DIRECT = "direct"  # the source of an opportunity not converted from a lead
MAX_PER_PAGE = 100
MAX_FILLED_PERIODS = 1000
CENT = Decimal("0.01")
RUPIAH = Decimal("1")


@dataclass(frozen=True)
class Filters:
    """What the dashboard's filter bar holds. Dates are Jakarta days; ``date_to`` is inclusive."""

    date_from: date | None = None
    date_to: date | None = None  # inclusive
    team_id: int | None = None
    owner_id: int | None = None
    segment: str = ""  # customer.segment
    province: str = ""  # customer.province ("region")
    city: str = ""
    stage_id: int | None = None  # a stage bar clicked: the deal's current stage (same-named stages too)
    source: str = ""  # a source slice clicked: the source of the deal's lead, DIRECT for none


NO_FILTERS = Filters()


# ----------------------------------------------------------------------------------- small helpers


def _require(session: Session, actor, module: str, action: str = "read") -> None:
    permissions.require(session, actor, module, action)


@dataclass(frozen=True)
class _Hidden:
    """What the dashboards leave out for the actor (``permissions.hidden``)."""

    money: bool  # opportunities.expected_revenue: money figures are None
    probability: bool  # opportunities.probability
    weighted: bool  # expected_revenue or probability: weighted revenue is None
    closing: bool  # opportunities.expected_closing: no figure by closing date
    source: bool  # leads.source: no figure by lead source


def _hidden(session: Session, actor) -> _Hidden:
    fields = permissions.hidden(session, actor, "opportunities")
    return _Hidden(
        money="expected_revenue" in fields,
        probability="probability" in fields,
        weighted=bool({"expected_revenue", "probability"} & fields),
        closing="expected_closing" in fields,
        source="source" in permissions.hidden(session, actor, "leads"),
    )


def _allowed(session: Session, actor, f: Filters) -> Filters:
    """Filtering by a customer field or a lead source hidden from the actor would reveal it: that
    filter is ignored."""
    fields = permissions.hidden(session, actor, "customers")
    ignored = {name: "" for name in ("segment", "province", "city") if getattr(f, name) and name in fields}
    if f.source and "source" in permissions.hidden(session, actor, "leads"):
        ignored["source"] = ""
    return replace(f, **ignored) if ignored else f


def _money(value) -> Decimal:
    """An SQL sum as Decimal (SQLite answers int or float, PostgreSQL Decimal)."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _weighted(sum_revenue_times_probability) -> Decimal:
    """sum(expected_revenue * probability) / 100, rounded to whole rupiah."""
    if sum_revenue_times_probability is None:
        return Decimal("0")
    return (Decimal(str(sum_revenue_times_probability)) / 100).quantize(RUPIAH, rounding=ROUND_HALF_UP)


def _shown(value: Decimal, hidden: bool) -> Decimal | None:
    return None if hidden else value


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _is_datetime(column) -> bool:
    kind = column.type
    return isinstance(getattr(kind, "impl_instance", kind), SADateTime)


def _jakarta_midnight(day: date) -> datetime:
    """The UTC instant a Jakarta calendar day starts."""
    return datetime.combine(day, time(0), tzinfo=JAKARTA).astimezone(UTC)


def _range(column, date_from: date | None, date_to: date | None) -> list:
    """WHERE clauses for a Jakarta-day range (``date_to`` inclusive) on a date or datetime column."""
    clauses = []
    if _is_datetime(column):
        if date_from is not None:
            clauses.append(column >= _jakarta_midnight(date_from))
        if date_to is not None:
            clauses.append(column < _jakarta_midnight(date_to + timedelta(days=1)))
    else:
        if date_from is not None:
            clauses.append(column >= date_from)
        if date_to is not None:
            clauses.append(column <= date_to)
    return clauses


def _intersect(f: Filters, start: date | None, end: date | None) -> Filters:
    """``f`` with its date range narrowed to [start, end] (inclusive)."""
    date_from = max(d for d in (f.date_from, start) if d is not None) if (f.date_from or start) else None
    date_to = min(d for d in (f.date_to, end) if d is not None) if (f.date_to or end) else None
    return replace(f, date_from=date_from, date_to=date_to)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def jakarta_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(JAKARTA).date()


# ------------------------------------------------------------------------------------------ periods


def _lit(text: str):
    """A constant written into the SQL text (no bind parameter), so that PostgreSQL sees the same
    expression in SELECT and GROUP BY."""
    return literal_column("'" + text.replace("'", "''") + "'")


def period_key(session: Session, column, granularity: str):
    """The SQL expression of a column's period, as a sortable text key.

    day "2026-03-05", week the Monday "2026-03-02", month "2026-03", quarter "2026-Q1", year "2026".
    Datetimes are bucketed in Jakarta time (UTC+7 all year: no daylight saving).
    """
    if granularity not in GRANULARITIES:
        raise ValidationError({"granularity": "report.error.unknown_granularity"})
    is_dt = _is_datetime(column)
    if _dialect(session) == "postgresql":
        local = func.timezone(_lit("Asia/Jakarta"), column) if is_dt else cast(column, SADateTime())
        if granularity == "week":
            return func.to_char(func.date_trunc(_lit("week"), local), _lit("YYYY-MM-DD"))
        pattern = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}[granularity]
        return func.to_char(local, _lit(pattern))
    shift = (_lit("+7 hours"),) if is_dt else ()
    if granularity == "week":
        return func.date(column, *shift, _lit("-6 days"), _lit("weekday 1"), type_=String)
    if granularity == "quarter":
        month = func.strftime(_lit("%m"), column, *shift, type_=String)
        quarter = case((month <= _lit("03"), _lit("-Q1")), (month <= _lit("06"), _lit("-Q2")), (month <= _lit("09"), _lit("-Q3")), else_=_lit("-Q4"))
        return func.strftime(_lit("%Y"), column, *shift, type_=String).op("||")(quarter)
    pattern = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[granularity]
    return func.strftime(_lit(pattern), column, *shift, type_=String)


def period_start(key: str | None, granularity: str) -> date | None:
    """The first day of the period a ``period_key`` names."""
    if not key:
        return None
    key = str(key)
    if granularity in ("day", "week"):
        return date.fromisoformat(key[:10])
    if granularity == "month":
        return date(int(key[:4]), int(key[5:7]), 1)
    if granularity == "quarter":
        return date(int(key[:4]), int(key[-1]) * 3 - 2, 1)
    return date(int(key[:4]), 1, 1)


def period_label(start: date | None, granularity: str) -> str:
    """"2026", "2026-Q1", "2026-03", "2026-W10" (ISO week) or "2026-03-05"."""
    if start is None:
        return ""
    if granularity == "year":
        return f"{start.year}"
    if granularity == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if granularity == "month":
        return f"{start.year}-{start.month:02d}"
    if granularity == "week":
        iso = start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return start.isoformat()


def _next_start(start: date, granularity: str) -> date:
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(days=7)
    return _add_months(start, {"month": 1, "quarter": 3, "year": 12}[granularity])


def _align(day: date, granularity: str) -> date:
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


def period_range(label: str, granularity: str) -> tuple[date, date]:
    """The first and last day (inclusive) of a period label; a malformed label is a field error."""
    try:
        text = str(label).strip()
        if granularity == "week":
            year, week = text.split("-W")
            start = date.fromisocalendar(int(year), int(week), 1)
        elif granularity == "quarter":
            year, quarter = text.split("-Q")
            if not 1 <= int(quarter) <= 4:
                raise ValueError(label)
            start = date(int(year), int(quarter) * 3 - 2, 1)
        elif granularity == "month":
            year, month = text.split("-")
            start = date(int(year), int(month), 1)
        elif granularity == "year":
            start = date(int(text), 1, 1)
        elif granularity == "day":
            start = date.fromisoformat(text)
        else:
            raise ValidationError({"granularity": "report.error.unknown_granularity"})
    except (ValueError, TypeError) as exc:
        raise ValidationError({"period": "report.error.unknown_period"}) from exc
    if period_label(start, granularity) != text:
        raise ValidationError({"period": "report.error.unknown_period"})
    return start, _next_start(start, granularity) - timedelta(days=1)


def _count_periods(first: date, last: date, granularity: str) -> int:
    if granularity in ("day", "week"):
        return (last - first).days // (1 if granularity == "day" else 7) + 1
    months = (last.year - first.year) * 12 + last.month - first.month
    return months // {"month": 1, "quarter": 3, "year": 12}[granularity] + 1


def _fill_periods(found: dict[date, dict], granularity: str, first: date | None, last: date | None, empty) -> list[tuple[date, dict]]:
    """Every period from the first to the last one, the gaps as ``empty()``: the data's periods,
    widened to the filter's range. A span longer than MAX_FILLED_PERIODS is not widened (and, if the
    data alone spans more, not filled: only the periods with data)."""
    data = sorted(found)
    for starts in ([*data, *(_align(d, granularity) for d in (first, last) if d is not None)], data):
        if starts and _count_periods(min(starts), max(starts), granularity) <= MAX_FILLED_PERIODS:
            current, end, out = min(starts), max(starts), []
            while current <= end:
                out.append((current, found.get(current) or empty()))
                current = _next_start(current, granularity)
            return out
    return [(start, found[start]) for start in data]


# ------------------------------------------------------------------------------------------ filters


def _customer_conditions(f: Filters) -> list:
    """WHERE clauses on Customer for the segment / province / city filters (empty: no such filter)."""
    clauses = []
    if f.segment:
        clauses.append(Customer.segment == f.segment)
    if f.province:
        clauses.append(Customer.province == f.province)
    if f.city:
        clauses.append(Customer.city == f.city)
    return clauses


def _customer_ids(f: Filters):
    """A subquery of the customers matching the segment / province / city filters (None: no such filter)."""
    clauses = _customer_conditions(f)
    return select(Customer.id).where(*clauses) if clauses else None


def _copied(model, f: Filters) -> list:
    """WHERE clauses on the customer copies of ``model`` (Opportunity, Lead, Activity) for the
    segment / province / city filters (empty: no such filter)."""
    columns = model.__table__.c
    return [columns["customer_" + name] == getattr(f, name) for name in CUSTOMER_COPY if getattr(f, name)]


def _dated(session: Session, f: Filters, column) -> list:
    """``_range`` on ``column``; under a customer filter on SQLite each term is wrapped in
    ``likelihood(term, 0.9)``. SQLite guesses that a date range keeps 1/64 of the rows, and then
    skip-scans an index that holds the date after other columns (assignee, owner), looking every
    row up for its customer copy: 0.7 s for 90 days of one segment's activities at 1M. Told that
    the range keeps most rows, it walks the segment / province index instead (index only, 15 ms).
    ``likelihood`` returns its term unchanged: same rows."""
    terms = _range(column, f.date_from, f.date_to)
    if not terms or not _customer_conditions(f) or _dialect(session) != "sqlite":
        return terms
    return [func.likelihood(term, literal_column("0.9")) for term in terms]


def _opportunity_customer_clause(session: Session, f: Filters):
    """The opportunity's customer matches ``f`` (None: no customer filter)."""
    clauses = _copied(Opportunity, f)
    return and_(*clauses) if clauses else None


def _customer_clause(session: Session, f: Filters, column):
    """``column`` (a customer id of a record without copies: documents, tickets) is one of the
    customers matching ``f`` (None: no customer filter)."""
    customers = _customer_ids(f)
    return None if customers is None else column.in_(customers)


def _same_named_stages(stage_id: int):
    """The ids of the stages named like ``stage_id`` (every pipeline's copy of it), as a subquery."""
    return select(Stage.id).where(Stage.name == select(Stage.name).where(Stage.id == stage_id).scalar_subquery())


def _source_leads(source: str):
    """The ids of the leads of a source, as a subquery."""
    return select(Lead.id).where(Lead.source == source)


def _deal_conditions(f: Filters) -> list:
    """WHERE clauses on Opportunity for the click filters: its current stage, its lead's source."""
    clauses = []
    if f.stage_id is not None:
        clauses.append(Opportunity.stage_id.in_(_same_named_stages(f.stage_id)))
    if f.source:
        clauses.append(Opportunity.lead_id == None if f.source == DIRECT else Opportunity.lead_id.in_(_source_leads(f.source)))  # noqa: E711
    return clauses


def _activity_deal_clause(f: Filters):
    """An activity matches the click filters through its opportunity; under a source filter alone,
    also through its lead (None: no click filter).

    With both, written as ``activity.id IN (activities of those deals UNION ALL those of the
    leads)``: the inner selects walk the opportunity / lead indexes of activity, where an OR of the
    two makes SQLite scan every activity by assignee instead (0.8 s at 1M)."""
    conditions = _deal_conditions(f)
    if not conditions:
        return None
    deals = Activity.opportunity_id.in_(select(Opportunity.id).where(*conditions))
    if f.stage_id is None and f.source != DIRECT:
        of_deals = select(Activity.id).where(deals)
        return Activity.id.in_(of_deals.union_all(select(Activity.id).where(Activity.lead_id.in_(_source_leads(f.source)))))
    return deals


def _team_members(team_id: int):
    return select(User.id).where(User.team_id == team_id)


def _visible(session: Session, actor, module: str, owner_column) -> list:
    clause = permissions.owner_clause(owner_column, permissions.visible_owner_ids(session, actor, module))
    return [] if clause is None else [clause]


def _opportunity_where(session: Session, actor, f: Filters, date_column=None) -> list:
    """Visibility, team, owner and customer filters on opportunities, and the date range on ``date_column``."""
    clauses = _visible(session, actor, "opportunities", Opportunity.owner_id)
    if f.team_id is not None:
        clauses.append(Opportunity.team_id == f.team_id)
    if f.owner_id:
        clauses.append(Opportunity.owner_id == f.owner_id)
    customers = _opportunity_customer_clause(session, f)
    if customers is not None:
        clauses.append(customers)
    clauses += _deal_conditions(f)
    if date_column is not None:
        clauses += _dated(session, f, date_column)
    return clauses


def _lead_where(session: Session, actor, f: Filters, date_column=None) -> list:
    """Visibility, team, owner, customer and source filters on leads (a lead has no stage: callers
    leave lead figures out under a stage filter), and the date range on ``date_column``."""
    clauses = _visible(session, actor, "leads", Lead.owner_id)
    if f.team_id is not None:
        clauses.append(Lead.owner_id.in_(_team_members(f.team_id)))
    if f.owner_id:
        clauses.append(Lead.owner_id == f.owner_id)
    clauses += _copied(Lead, f)
    if f.source:
        clauses.append(Lead.source == f.source if f.source != DIRECT else false())
    if date_column is not None:
        clauses += _dated(session, f, date_column)
    return clauses


def _activity_where(session: Session, actor, f: Filters, date_column=None) -> list:
    """Activities belong to their assignee; the customer filters match the activity's customer or
    the customer of its opportunity, the click filters its opportunity (``_activity_deal_clause``)."""
    clauses = _visible(session, actor, "activities", Activity.assignee_id)
    if f.team_id is not None:
        clauses.append(Activity.assignee_id.in_(_team_members(f.team_id)))
    if f.owner_id:
        clauses.append(Activity.assignee_id == f.owner_id)
    customers = _activity_customer_clause(session, f)
    if customers is not None:
        clauses.append(customers)
    deals = _activity_deal_clause(f)
    if deals is not None:
        clauses.append(deals)
    if date_column is not None:
        clauses += _dated(session, f, date_column)
    return clauses


def _activity_customer_clause(session: Session, f: Filters):
    """The activity's customer (its own, else its opportunity's) matches ``f`` (None: no customer filter)."""
    clauses = _copied(Activity, f)
    return and_(*clauses) if clauses else None


# ------------------------------------------------------------------------------------------ stages


@dataclass
class _StageGroup:
    id: int
    name: str
    ids: list[int]
    order: tuple


def _stage_groups(session: Session, team_id: int | None) -> list[_StageGroup]:
    """The stage rows of the pipeline figures (see the module docstring), in pipeline order."""
    if team_id is not None:
        return [_StageGroup(s.id, s.name, [s.id], (i,)) for i, s in enumerate(stages_for_team(session, team_id))]
    groups: dict[str, _StageGroup] = {}
    for index, stage in enumerate(stages_for_team(session, None)):
        groups[stage.name] = _StageGroup(stage.id, stage.name, [stage.id], (stage.is_won, stage.sequence, index))
    others = session.exec(select(Stage).where(Stage.team_id != None).order_by(Stage.sequence, Stage.id)).all()  # noqa: E711
    for stage in others:
        if stage.name in groups:
            groups[stage.name].ids.append(stage.id)
        else:
            groups[stage.name] = _StageGroup(stage.id, stage.name, [stage.id], (stage.is_won, stage.sequence, 1000 + stage.id))
    return sorted(groups.values(), key=lambda g: g.order)


def _stage_ids_for(session: Session, team_id: int | None, stage_id: int) -> list[int]:
    for group in _stage_groups(session, team_id):
        if stage_id in group.ids:
            return group.ids
    return [stage_id]


def _sums():
    return (
        func.count(Opportunity.id),
        func.sum(Opportunity.expected_revenue),
        func.sum(Opportunity.expected_revenue * Opportunity.probability),
    )


# --------------------------------------------------------------------------------------- dashboards
#
# Several figures fold the same grouped rows differently; ``memo`` (one dict per sales_dashboard
# call) lets them share one query. Called alone, each figure runs what it needs.


def _memo(memo: dict | None, key: tuple, compute):
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _groups(session: Session, f: Filters, memo: dict | None) -> list[_StageGroup]:
    return _memo(memo, ("stages", f.team_id), lambda: _stage_groups(session, f.team_id))


def _stage_clause(groups: list[_StageGroup], f: Filters) -> list:
    """Without a team every stage is in some group: no clause (it would only cost)."""
    return [] if f.team_id is None else [Opportunity.stage_id.in_([sid for g in groups for sid in g.ids])]


def _add(total: list, count, expected, weighted) -> None:
    total[0] += int(count or 0)
    total[1] += _money(expected)
    total[2] += Decimal(str(weighted or 0))


def _open_days(session: Session, actor, f: Filters, memo: dict | None = None) -> dict[tuple[date | None, int], list]:
    """Open opportunities grouped by expected closing *day* and stage: {(day, stage group id): [count,
    expected, sum of expected × probability]}; day None for those without a closing date (present
    only when ``f`` has no date range).

    Grouping by the raw date column, not by a month expression, lets SQLite aggregate in index order
    (no sort) given an index on (state, expected_closing, stage_id, ...); the callers fold the days
    (a few hundred per year and stage) into months, quarters or years.
    """

    def compute():
        groups = _groups(session, f, memo)
        by_stage = {sid: g for g in groups for sid in g.ids}
        rows = session.exec(
            select(Opportunity.expected_closing, Opportunity.stage_id, *_sums())
            .where(Opportunity.state == "open", *_stage_clause(groups, f), *_opportunity_where(session, actor, f, Opportunity.expected_closing))
            .group_by(Opportunity.expected_closing, Opportunity.stage_id)
        ).all()
        days: dict[tuple[date | None, int], list] = {}
        for day, stage_id, count, expected, weighted in rows:
            group = by_stage.get(stage_id)
            if group is not None:
                _add(days.setdefault((day, group.id), [0, Decimal(0), Decimal(0)]), count, expected, weighted)
        return days

    return _memo(memo, ("open_days", f), compute)


def _closed(session: Session, actor, f: Filters, granularity: str, memo: dict | None = None) -> list[tuple]:
    """Won and lost deals grouped by closing period (Jakarta), state and owner: [(period key, state,
    owner_id, count, revenue, sum of cycle days)]. Win rate, the won/lost trend and the won part of
    performance are folds of these rows."""

    def compute():
        key = period_key(session, Opportunity.closed_at, granularity)
        return session.exec(
            select(key, Opportunity.state, Opportunity.owner_id, func.count(Opportunity.id), func.sum(Opportunity.expected_revenue), func.sum(_cycle_days(session)))
            .where(Opportunity.state.in_(("won", "lost")), Opportunity.closed_at != None, *_opportunity_where(session, actor, f, Opportunity.closed_at))  # noqa: E711
            .group_by(key, Opportunity.state, Opportunity.owner_id)
        ).all()

    return _memo(memo, ("closed", f, granularity), compute)


def pipeline_by_stage(session: Session, actor, f: Filters = NO_FILTERS, *, memo: dict | None = None) -> list[dict]:
    """Open opportunities per stage, every stage of the pipeline present (zeros too), in stage order.

    Date range: the opportunity's ``created_at``. Keys: stage_id, stage, count, expected,
    weighted (sum of expected_revenue × probability / 100, whole rupiah), selected.

    The stage filter does not narrow this figure (every other filter does): every stage keeps its
    numbers, so that another one can be clicked, and the chosen one has ``selected`` True.
    """
    _require(session, actor, "opportunities")
    hidden = _hidden(session, actor)
    chosen = _stage_name(session, f.stage_id)
    f = replace(_allowed(session, actor, f), stage_id=None)
    groups = _groups(session, f, memo)
    totals = {g.id: [0, Decimal(0), Decimal(0)] for g in groups}
    if memo is not None and f.date_from is None and f.date_to is None:
        # no date range: the same open deals as the closing-day rows the dashboard reads anyway
        for (_day, group_id), values in _open_days(session, actor, f, memo).items():
            _add(totals[group_id], *values)
    else:
        by_stage = {sid: g for g in groups for sid in g.ids}
        rows = session.exec(
            select(Opportunity.stage_id, *_sums())
            .where(Opportunity.state == "open", *_stage_clause(groups, f), *_opportunity_where(session, actor, f, Opportunity.created_at))
            .group_by(Opportunity.stage_id)
        ).all()
        for stage_id, count, expected, weighted in rows:
            if stage_id in by_stage:
                _add(totals[by_stage[stage_id].id], count, expected, weighted)
    return [
        {
            "stage_id": g.id,
            "stage": g.name,
            "count": totals[g.id][0],
            "expected": _shown(totals[g.id][1], hidden.money),
            "weighted": _shown(_weighted(totals[g.id][2]), hidden.weighted),
            "selected": chosen is not None and g.name == chosen,
        }
        for g in groups
    ]


def _stage_name(session: Session, stage_id: int | None) -> str | None:
    """The name of the stage filter's stage ("" for an unknown id, None without a stage filter)."""
    if stage_id is None:
        return None
    stage = session.get(Stage, int(stage_id))
    return stage.name if stage is not None else ""


def _narrow_to(year: int | None, quarter: int | None) -> tuple[date | None, date | None]:
    if year is None:
        return None, None
    if quarter is None:
        return date(int(year), 1, 1), date(int(year), 12, 31)
    if not 1 <= int(quarter) <= 4:
        raise ValidationError({"quarter": "report.error.unknown_period"})
    start = date(int(year), int(quarter) * 3 - 2, 1)
    return start, _add_months(start, 3) - timedelta(days=1)


def pipeline_by_period(
    session: Session,
    actor,
    f: Filters = NO_FILTERS,
    granularity: str = "month",
    year: int | None = None,
    quarter: int | None = None,
    *,
    memo: dict | None = None,
) -> list[dict]:
    """Open opportunities by expected closing period × stage (only the combinations that have deals),
    oldest period first, stages in pipeline order.

    Date range: ``expected_closing``, narrowed further to ``year`` (and ``quarter``) for the drill
    year → quarter → month. Opportunities without an expected closing date are left out: see
    :func:`pipeline_without_closing`. Keys: period ("2026", "2026-Q1", "2026-03"), period_start,
    stage_id, stage, count, expected, weighted. Empty when expected_closing is hidden from the actor.
    """
    _require(session, actor, "opportunities")
    if granularity not in PIPELINE_GRANULARITIES:
        raise ValidationError({"granularity": "report.error.unknown_granularity"})
    hidden = _hidden(session, actor)
    if hidden.closing:
        return []
    f = _allowed(session, actor, f)
    narrowed = _intersect(f, *_narrow_to(year, quarter))
    groups = {g.id: g for g in _groups(session, f, memo)}
    cells: dict[tuple[date, int], list] = {}
    days = _open_days(session, actor, narrowed, memo)
    for (day, group_id), (count, expected, weighted) in days.items():
        if day is not None:
            _add(cells.setdefault((_align(day, granularity), group_id), [0, Decimal(0), Decimal(0)]), count, expected, weighted)
    return [
        {
            "period": period_label(start, granularity),
            "period_start": start,
            "stage_id": group_id,
            "stage": groups[group_id].name,
            "count": count,
            "expected": _shown(expected, hidden.money),
            "weighted": _shown(_weighted(weighted), hidden.weighted),
        }
        for (start, group_id), (count, expected, weighted) in sorted(cells.items(), key=lambda item: (item[0][0], groups[item[0][1]].order))
    ]


def pipeline_without_closing(session: Session, actor, f: Filters = NO_FILTERS, *, memo: dict | None = None) -> dict:
    """The open opportunities :func:`pipeline_by_period` leaves out (no expected closing date).

    The date range does not apply (they have no closing date); the other filters do. Keys: count,
    expected, weighted (all None when expected_closing is hidden from the actor).
    """
    _require(session, actor, "opportunities")
    hidden = _hidden(session, actor)
    if hidden.closing:
        return {"count": None, "expected": None, "weighted": None}
    f = _allowed(session, actor, f)
    total = [0, Decimal(0), Decimal(0)]
    undated = replace(f, date_from=None, date_to=None)
    if memo is not None and undated == f:
        for (day, _group_id), values in _open_days(session, actor, f, memo).items():
            if day is None:
                _add(total, *values)
    else:
        groups = _groups(session, f, memo)
        _add(
            total,
            *session.exec(
                select(*_sums()).where(
                    Opportunity.state == "open",
                    Opportunity.expected_closing == None,  # noqa: E711
                    *_stage_clause(groups, f),
                    *_opportunity_where(session, actor, undated),
                )
            ).one(),
        )
    return {"count": total[0], "expected": _shown(total[1], hidden.money), "weighted": _shown(_weighted(total[2]), hidden.weighted)}


def by_source(session: Session, actor, f: Filters = NO_FILTERS) -> list[dict]:
    """Opportunities by the source of the lead they came from ("direct" without a lead), most first.

    Date range: the opportunity's ``created_at`` (all states). Keys: source, count, won_count,
    won_revenue, open_expected, selected. Two queries: the direct ones need neither the lead join
    nor a GROUP BY. Empty when the leads' source is hidden from the actor.

    The source filter does not narrow this figure (every other filter does): every source keeps
    its slice, and the chosen one has ``selected`` True.
    """
    _require(session, actor, "opportunities")
    hidden = _hidden(session, actor)
    if hidden.source:
        return []
    chosen = f.source
    f = replace(_allowed(session, actor, f), source="")
    won = Opportunity.state == "won"
    measures = (
        func.count(Opportunity.id),
        func.sum(case((won, 1), else_=0)),
        func.sum(case((won, Opportunity.expected_revenue), else_=0)),
        func.sum(case((Opportunity.state == "open", Opportunity.expected_revenue), else_=0)),
    )
    where = _opportunity_where(session, actor, f, Opportunity.created_at)
    direct = session.exec(select(*measures).where(Opportunity.lead_id == None, *where)).one()  # noqa: E711
    linked = session.exec(
        select(Lead.source, *measures)
        .select_from(Opportunity)
        .join(Lead, Lead.id == Opportunity.lead_id)
        .where(Opportunity.lead_id != None, *where)  # noqa: E711
        .group_by(Lead.source)
    ).all()
    out = [
        {
            "source": name,
            "count": int(count),
            "won_count": int(won_count or 0),
            "won_revenue": _shown(_money(won_revenue), hidden.money),
            "open_expected": _shown(_money(open_expected), hidden.money),
            "selected": bool(chosen) and name == chosen,
        }
        for name, count, won_count, won_revenue, open_expected in [(DIRECT, *direct), *linked]
        if count
    ]
    return sorted(out, key=lambda r: (-r["count"], r["source"]))


def _cycle_days(session: Session):
    """closed_at − created_at in days (fractional)."""
    return db.seconds_between(session, Opportunity.created_at, Opportunity.closed_at) / 86400.0


def win_rate(session: Session, actor, f: Filters = NO_FILTERS, *, memo: dict | None = None) -> dict:
    """Won and lost deals, the win rate won / (won + lost) (None when nothing closed) and the average
    sales cycle of won deals in days (closed_at − created_at; None when none).

    Date range: ``closed_at``.
    """
    _require(session, actor, "opportunities")
    f = _allowed(session, actor, f)
    won = lost = 0
    cycle = 0.0
    for _period, state, _owner, count, _revenue, days in _closed(session, actor, f, "month", memo):
        if state == "won":
            won += int(count)
            cycle += float(days or 0)
        else:
            lost += int(count)
    return {
        "won": won,
        "lost": lost,
        "rate": won / (won + lost) if won + lost else None,
        "avg_cycle_days": round(cycle / won, 2) if won else None,
    }


def forecast(session: Session, actor, f: Filters = NO_FILTERS, months: int = 6, today: date | None = None, *, memo: dict | None = None) -> list[dict]:
    """Expected and weighted revenue of open opportunities per month of ``expected_closing``, for the
    ``months`` months starting with today's (Jakarta) month; every month present, zeros too.

    Date range: ``expected_closing`` (intersected with the forecast window). Keys: month, expected,
    weighted (None when expected_closing is hidden from the actor, like money when expected_revenue is).
    """
    _require(session, actor, "opportunities")
    hidden = _hidden(session, actor)
    f = _allowed(session, actor, f)
    months = max(1, min(int(months), 60))
    start = (today or jakarta_today()).replace(day=1)
    end = _add_months(start, months) - timedelta(days=1)
    window = _intersect(f, start, end)
    totals = {_add_months(start, i): [0, Decimal(0), Decimal(0)] for i in range(months)}
    if window.date_from <= window.date_to and not hidden.closing:
        # with a memo, the day rows of the whole filter range are there already: take the window's
        days = _open_days(session, actor, f if memo is not None else window, memo)
        for (day, _group_id), values in days.items():
            if day is not None and window.date_from <= day <= window.date_to:
                _add(totals[day.replace(day=1)], *values)
    return [
        {
            "month": period_label(month, "month"),
            "expected": _shown(total[1], hidden.money or hidden.closing),
            "weighted": _shown(_weighted(total[2]), hidden.weighted or hidden.closing),
        }
        for month, total in totals.items()
    ]


def won_lost_trend(session: Session, actor, f: Filters = NO_FILTERS, granularity: str = "month", *, memo: dict | None = None) -> list[dict]:
    """Won and lost deals per period of ``closed_at`` (Jakarta time), oldest first, the gaps between
    the first and the last period (widened to the filter's date range) filled with zeros.

    Date range: ``closed_at``. Keys: period, period_start, won_count, won_revenue, lost_count.
    """
    _require(session, actor, "opportunities")
    hidden = _hidden(session, actor)
    f = _allowed(session, actor, f)
    found: dict[date, dict] = {}
    for period, state, _owner, count, revenue, _days in _closed(session, actor, f, granularity, memo):
        values = found.setdefault(period_start(period, granularity), {"won_count": 0, "won_revenue": Decimal("0.00"), "lost_count": 0})
        if state == "won":
            values["won_count"] += int(count)
            values["won_revenue"] += _money(revenue)
        else:
            values["lost_count"] += int(count)

    def empty():
        return {"won_count": 0, "won_revenue": Decimal("0.00"), "lost_count": 0}

    return [
        {
            "period": period_label(start, granularity),
            "period_start": start,
            "won_count": values["won_count"],
            "won_revenue": _shown(values["won_revenue"], hidden.money),
            "lost_count": values["lost_count"],
        }
        for start, values in _fill_periods(found, granularity, f.date_from, f.date_to, empty)
    ]


def top_customers(session: Session, actor, f: Filters = NO_FILTERS, limit: int = 10) -> list[dict]:
    """The customers with the most won revenue (most won deals when revenue is hidden).

    Date range: ``closed_at`` of the won deals. Keys: customer_id, customer, won_revenue, won_count.
    """
    _require(session, actor, "opportunities")
    hidden = _hidden(session, actor)
    f = _allowed(session, actor, f)
    customer = _unindexed(session, Opportunity.customer_id).label("won_customer_id")
    revenue = func.sum(Opportunity.expected_revenue).label("won_revenue")
    count = func.count(Opportunity.id).label("won_count")
    order = [count.desc(), customer] if hidden.money else [revenue.desc(), count.desc(), customer]
    rows = session.exec(
        select(customer, revenue, count)
        .where(Opportunity.state == "won", *_opportunity_where(session, actor, f, Opportunity.closed_at))
        .group_by(customer)
        .having(customer != None)  # noqa: E711
        .order_by(*order)
        .limit(max(1, min(int(limit), 100)))
    ).all()
    names = dict(session.exec(select(Customer.id, Customer.name).where(Customer.id.in_([r[0] for r in rows]))).all()) if rows else {}
    return [
        {"customer_id": cid, "customer": names.get(cid, ""), "won_revenue": _shown(_money(rev), hidden.money), "won_count": int(n)}
        for cid, rev, n in rows
    ]


def _unindexed(session: Session, column):
    """``column + 0`` on SQLite: the same value, but its planner no longer walks the column's own
    index to group by it (one table lookup per row, several times slower than a scan); as is elsewhere."""
    return column + 0 if _dialect(session) == "sqlite" else column


def performance(session: Session, actor, f: Filters = NO_FILTERS, *, memo: dict | None = None) -> list[dict]:
    """Per salesperson (owner / assignee), everybody with at least one figure in the range.

    - won_revenue, won_count: won deals, date range on ``closed_at``;
    - open_count: open deals, date range on ``created_at`` (like the pipeline by stage, so that
      ``drilldown(owner_id=..., state="open")`` lists them);
    - activities_done: done activities assigned to them, date range on ``due_at``;
    - leads_total, leads_converted (status "converted"), conversion_rate: leads they own, date
      range on the lead's ``created_at``.
    Lead and activity figures are None for an actor who may not read those modules; lead figures
    are None under a stage filter too (a lead has no stage).
    Sorted by won revenue (won deals when revenue is hidden), then name.
    """
    _require(session, actor, "opportunities")
    hidden = _hidden(session, actor)
    f = _allowed(session, actor, f)
    stats: dict[int, dict] = {}

    def row(user_id: int) -> dict:
        return stats.setdefault(
            user_id,
            {"won_revenue": Decimal("0.00"), "won_count": 0, "open_count": 0, "activities_done": 0, "leads_total": 0, "leads_converted": 0},
        )

    for _period, state, owner_id, count, revenue, _days in _closed(session, actor, f, "month", memo):
        if state == "won" and owner_id is not None:
            values = row(owner_id)
            values["won_revenue"] += _money(revenue)
            values["won_count"] += int(count)
    open_rows = session.exec(
        select(Opportunity.owner_id, func.count(Opportunity.id))
        .where(Opportunity.state == "open", Opportunity.owner_id != None, *_opportunity_where(session, actor, f, Opportunity.created_at))  # noqa: E711
        .group_by(Opportunity.owner_id)
    ).all()
    for owner_id, count in open_rows:
        row(owner_id)["open_count"] = int(count)
    may_read_activities = permissions.can(session, actor, "activities", "read")
    if may_read_activities:
        if _shares_activity_pass(f, memo):
            done = [(user_id, count) for user_id, is_done, count in _activity_counts(session, actor, f, memo) if is_done and user_id is not None]
        else:
            done = session.exec(
                select(Activity.assignee_id, func.count(Activity.id))
                .where(Activity.done == true(), Activity.assignee_id != None, *_activity_where(session, actor, f, Activity.due_at))  # noqa: E711
                .group_by(Activity.assignee_id)
            ).all()
        for user_id, count in done:
            row(user_id)["activities_done"] = int(count)
    may_read_leads = permissions.can(session, actor, "leads", "read") and f.stage_id is None
    if may_read_leads:
        leads = session.exec(
            select(Lead.owner_id, func.count(Lead.id), func.sum(case((Lead.status == "converted", 1), else_=0)))
            .where(Lead.owner_id != None, *_lead_where(session, actor, f, Lead.created_at))  # noqa: E711
            .group_by(Lead.owner_id)
        ).all()
        for owner_id, total, converted in leads:
            row(owner_id).update(leads_total=int(total), leads_converted=int(converted or 0))
    names = user_names(session, stats)
    out = [
        {
            "user_id": user_id,
            "name": names.get(user_id, ""),
            "won_revenue": _shown(s["won_revenue"], hidden.money),
            "won_count": s["won_count"],
            "open_count": s["open_count"],
            "activities_done": s["activities_done"] if may_read_activities else None,
            "leads_total": s["leads_total"] if may_read_leads else None,
            "leads_converted": s["leads_converted"] if may_read_leads else None,
            "conversion_rate": (s["leads_converted"] / s["leads_total"]) if may_read_leads and s["leads_total"] else None,
        }
        for user_id, s in stats.items()
    ]
    return sorted(out, key=lambda r: (-(r["won_count"] if hidden.money else r["won_revenue"]), r["name"], r["user_id"]))


def _shares_activity_pass(f: Filters, memo: dict | None) -> bool:
    """With a customer filter the dashboard reads the done and the overdue activities in one pass
    over the segment / province index (assignee, done, due date are in it: index only, ~15 ms at
    1M). Without one, two index-only queries over the assignee index are cheaper than that pass."""
    return memo is not None and "now" in memo and bool(_customer_conditions(f))


def _activity_counts(session: Session, actor, f: Filters, memo: dict) -> list[tuple]:
    """For the dashboard: done activities and planned ones due before ``memo["now"]``, per assignee, in
    one pass: [(assignee_id, done, count)]. The done activities of performance and the overdue ones
    are two folds of these rows."""

    def compute():
        now = memo["now"]
        return session.exec(
            select(Activity.assignee_id, Activity.done, func.count(Activity.id))
            .where(or_(Activity.done == true(), Activity.due_at < now), *_activity_where(session, actor, f, Activity.due_at))
            .group_by(Activity.assignee_id, Activity.done)
        ).all()

    return _memo(memo, ("activities", f, memo["now"]), compute)


def overdue_activities(session: Session, actor, f: Filters = NO_FILTERS, now: datetime | None = None) -> dict:
    """Planned (not done) activities due before ``now``: the total and per assignee (most first).

    Date range: ``due_at``. Unassigned ones count in the total and appear with user_id None.
    """
    return _overdue(session, actor, f, now)


def _overdue(session: Session, actor, f: Filters, now: datetime | None, memo: dict | None = None) -> dict:
    _require(session, actor, "activities")
    f = _allowed(session, actor, f)
    now = now or utcnow()
    if _shares_activity_pass(f, memo) and memo["now"] == now:
        rows = [(user_id, count) for user_id, is_done, count in _activity_counts(session, actor, f, memo) if not is_done]
    else:
        rows = session.exec(
            select(Activity.assignee_id, func.count(Activity.id))
            .where(Activity.done == false(), Activity.due_at < now, *_activity_where(session, actor, f, Activity.due_at))
            .group_by(Activity.assignee_id)
        ).all()
    names = user_names(session, [r[0] for r in rows])
    by_assignee = sorted(
        ({"user_id": uid, "name": names.get(uid, ""), "count": int(n)} for uid, n in rows),
        key=lambda r: (-r["count"], r["name"]),
    )
    return {"total": sum(r["count"] for r in by_assignee), "by_assignee": by_assignee}


def filter_options(session: Session, actor) -> dict:
    """The choices of the dashboard's filter bar: {owners: [{id, name}] (the salespeople whose deals
    the actor sees), teams: [{id, name}], segments: [code], provinces: [name], stages: [{id, name}]
    (the stage rows of the all-teams pipeline)}."""
    from kaktus_app.customers.models import SEGMENTS
    from kaktus_app.sales.models import SalesTeam

    _require(session, actor, "opportunities")
    visible = permissions.visible_owner_ids(session, actor, "opportunities")
    users = select(User.id, User.full_name).where(User.is_active == true()).order_by(User.full_name)
    if visible is not None:
        users = users.where(User.id.in_(visible))
    provinces = session.exec(select(Customer.province).where(Customer.province != "").distinct().order_by(Customer.province)).all()
    return {
        "owners": [{"id": uid, "name": name} for uid, name in session.exec(users).all()],
        "teams": [{"id": tid, "name": name} for tid, name in session.exec(select(SalesTeam.id, SalesTeam.name).order_by(SalesTeam.name)).all()],
        "segments": list(SEGMENTS),
        "provinces": list(provinces),
        "stages": [{"id": g.id, "name": g.name} for g in _stage_groups(session, None)],
    }


DRILL_DATE_FIELDS = ("created_at", "expected_closing", "closed_at")


def drilldown(
    session: Session,
    actor,
    f: Filters = NO_FILTERS,
    *,
    stage_id: int | None = None,
    period: str | None = None,
    granularity: str = "month",
    source: str | None = None,
    owner_id: int | None = None,
    state: str | None = None,
    customer_id: int | None = None,
    won: bool = False,
    date_field: str | None = None,
    page: int = 1,
    per_page: int = 25,
    lang: str = "en",
) -> dict:
    """The opportunities behind a figure, a page at a time, largest expected revenue first.

    Which records: ``won=True`` → won deals; else ``state`` ("open" / "won" / "lost" / "all");
    else all states when ``source`` is given (the by-source counts span every state), open ones otherwise.
    Which date the range and ``period`` filter (the one the originating chart used): ``date_field``
    when given; else ``closed_at`` for won / lost deals, ``expected_closing`` when ``period`` is given
    (the pipeline by period), ``created_at`` otherwise (pipeline by stage, by source).
    ``stage_id`` spans the stages of the same name when no team is chosen (like the figures).
    The click filters of ``f`` (stage, source) apply too: with ``source`` or ``stage_id`` the list
    is the intersection.

    Returns {rows, total, page, per_page}; a row has id, name, customer, stage, expected_revenue,
    probability, expected_closing (each None when hidden from the actor), owner, state, and
    formatted labels. Listing by a hidden closing date or lead source is refused.
    """
    _require(session, actor, "opportunities")
    hidden = _hidden(session, actor)
    f = _allowed(session, actor, f)
    if won:
        state = "won"
    elif not state:
        state = "all" if source else "open"
    if state not in ("open", "won", "lost", "all"):
        raise ValidationError({"state": "report.error.unknown_value"})
    if date_field is None:
        date_field = "closed_at" if state in ("won", "lost") else ("expected_closing" if period else "created_at")
    if date_field not in DRILL_DATE_FIELDS:
        raise ValidationError({"date_field": "report.error.unknown_field"})
    if (date_field == "expected_closing" and hidden.closing and (period or f.date_from or f.date_to)) or (source and hidden.source):
        raise ValidationError({"period" if not source else "source": "report.error.field_hidden"})
    column = getattr(Opportunity, date_field)
    if period:
        f = _intersect(f, *period_range(period, granularity))
    clauses = _opportunity_where(session, actor, f, column)
    if state != "all":
        clauses.append(Opportunity.state == state)
    if period:
        clauses.append(column != None)  # noqa: E711
    if stage_id:
        clauses.append(Opportunity.stage_id.in_(_stage_ids_for(session, f.team_id, int(stage_id))))
    if owner_id:
        clauses.append(Opportunity.owner_id == int(owner_id))
    if customer_id:
        clauses.append(Opportunity.customer_id == int(customer_id))
    if source:
        lead_source = select(Lead.source).where(Lead.id == Opportunity.lead_id).scalar_subquery()
        clauses.append(Opportunity.lead_id == None if source == DIRECT else lead_source == source)  # noqa: E711
    per_page = max(1, min(int(per_page or 25), MAX_PER_PAGE))
    page = max(1, int(page or 1))
    total = session.exec(select(func.count(Opportunity.id)).where(*clauses)).one()
    order = [Opportunity.id.desc()] if hidden.money else [Opportunity.expected_revenue.desc(), Opportunity.id]
    owner = aliased(User)
    rows = session.exec(
        select(
            Opportunity.id, Opportunity.name, Customer.name, Stage.name, Opportunity.expected_revenue, Opportunity.probability,
            Opportunity.expected_closing, owner.full_name, Opportunity.state,
        )
        .select_from(Opportunity)
        .outerjoin(Customer, Customer.id == Opportunity.customer_id)
        .outerjoin(Stage, Stage.id == Opportunity.stage_id)
        .outerjoin(owner, owner.id == Opportunity.owner_id)
        .where(*clauses)
        .order_by(*order)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return {
        "rows": [
            {
                "id": oid,
                "name": name,
                "customer": customer or "",
                "stage": stage or "",
                "expected_revenue": None if hidden.money else _money(revenue),
                "expected_revenue_label": "" if hidden.money else format_idr(revenue),
                "probability": None if hidden.probability else probability,
                "expected_closing": None if hidden.closing else closing,
                "expected_closing_label": "" if hidden.closing else format_date(closing, lang),
                "owner": owner_name or "",
                "state": row_state,
            }
            for oid, name, customer, stage, revenue, probability, closing, owner_name, row_state in rows
        ],
        "total": int(total),
        "page": page,
        "per_page": per_page,
    }


def sales_dashboard(session: Session, actor, f: Filters = NO_FILTERS, today: date | None = None, now: datetime | None = None) -> dict:
    """Every dashboard figure in one call: nine grouped queries (figures that fold the same grouped
    rows share them), plus the small stage and user look-ups. With a customer filter (segment,
    province, city) the done and overdue activities are read in one pass: eight queries.
    With a stage filter the pipeline by stage reads its own (unfiltered by stage) rows: one more.

    ``today`` (Jakarta) starts the forecast; ``now`` (default: the current time) is when activities become overdue.
    ``overdue_activities`` is None for an actor who may not read activities.
    """
    _require(session, actor, "opportunities")
    now = now or utcnow()
    today = today or jakarta_today(now)
    memo: dict = {"now": now}
    return {
        "pipeline_by_stage": pipeline_by_stage(session, actor, f, memo=memo),
        "pipeline_by_period": pipeline_by_period(session, actor, f, memo=memo),
        "pipeline_without_closing": pipeline_without_closing(session, actor, f, memo=memo),
        "by_source": by_source(session, actor, f),
        "win_rate": win_rate(session, actor, f, memo=memo),
        "forecast": forecast(session, actor, f, today=today, memo=memo),
        "won_lost_trend": won_lost_trend(session, actor, f, memo=memo),
        "top_customers": top_customers(session, actor, f),
        "performance": performance(session, actor, f, memo=memo),
        "overdue_activities": _overdue(session, actor, f, now, memo)
        if permissions.can(session, actor, "activities", "read")
        else None,
    }


def helpdesk_summary(session: Session, actor, filters: Filters, lang: str = "en") -> dict | None:
    """The dashboard's help desk section: ticket figures for tickets opened in the date range, and the
    complaint alerts (None for a user who may not read tickets)."""
    from kaktus_app.helpdesk import service as helpdesk

    if not permissions.can(session, actor, "tickets", "read"):
        return None
    result = helpdesk.stats(session, actor, date_from=filters.date_from, date_to=filters.date_to, lang=lang)
    return {
        "open": sum(r["count"] for r in result["open_by_status"]),
        "created": result["created"],
        "breaches": result["breaches"],
        "avg_first_response_label": result["avg_first_response_label"],
        "avg_resolution_label": result["avg_resolution_label"],
        "alerts": [a["message"] for a in helpdesk.complaint_alerts(session, lang=lang)],
    }


# ------------------------------------------------------------------------------------ report builder
#
# A field's "kind" says how it is read:
#   column           a plain column of the module's table ("values": a translation-key pattern for its codes)
#   bool             a yes/no column
#   user             a user id column, shown as the user's full name
#   stage            the stage, shown by name (same-named stages of several pipelines are one group)
#   team             the sales team, by name
#   customer         the customer id, shown by name
#   customer_column  a column of the record's customer (segment, city, province)
#   lead_source      the source of the lead an opportunity came from ("direct" without a lead)
#   date             a date or datetime, grouped by day / week / month / quarter / year
#   number           summed or averaged


def _f(module: str, name: str, kind: str, column: str = "", values: str = "") -> tuple[str, dict]:
    return name, {"label": f"report.field.{module}.{name}", "kind": kind, "column": column or name, "values": values}


def _fields(*items: tuple[str, dict]) -> dict[str, dict]:
    return dict(items)


REPORT_MODULES: dict[str, dict] = {
    "opportunities": {
        "model": Opportunity,
        "permission": "opportunities",
        "label": "report.module.opportunities",
        "owner": "owner_id",
        "team": "team_id",
        "customer": "customer_id",
        "date": "created_at",
        "groups": _fields(
            _f("opportunities", "stage", "stage", "stage_id"),
            _f("opportunities", "state", "column", values="sales.state.{}"),
            _f("opportunities", "owner", "user", "owner_id"),
            _f("opportunities", "customer", "customer", "customer_id"),
            _f("opportunities", "team", "team", "team_id"),
            _f("opportunities", "source", "lead_source", "lead_id", values="leads.source.{}"),
            _f("opportunities", "segment", "customer_column", values="customers.segment.{}"),
            _f("opportunities", "city", "customer_column"),
            _f("opportunities", "province", "customer_column"),
            _f("opportunities", "lost_reason", "column", values="sales.lost_reason.{}"),
            _f("opportunities", "priority", "column"),
        ),
        "dates": _fields(
            _f("opportunities", "created_at", "date"), _f("opportunities", "expected_closing", "date"), _f("opportunities", "closed_at", "date")
        ),
        "numbers": _fields(_f("opportunities", "expected_revenue", "number"), _f("opportunities", "probability", "number")),
    },
    "leads": {
        "model": Lead,
        "permission": "leads",
        "label": "report.module.leads",
        "owner": "owner_id",
        "team": None,
        "customer": "customer_id",
        "date": "created_at",
        "groups": _fields(
            _f("leads", "source", "column", values="leads.source.{}"),
            _f("leads", "status", "column", values="leads.status.{}"),
            _f("leads", "owner", "user", "owner_id"),
            _f("leads", "customer", "customer", "customer_id"),
            _f("leads", "city", "column"),
            _f("leads", "segment", "customer_column", values="customers.segment.{}"),
            _f("leads", "province", "customer_column"),
        ),
        "dates": _fields(_f("leads", "created_at", "date"), _f("leads", "converted_at", "date")),
        "numbers": _fields(_f("leads", "expected_revenue", "number")),
    },
    "customers": {
        "model": Customer,
        "permission": "customers",
        "label": "report.module.customers",
        "owner": "owner_id",
        "team": None,
        "customer": None,
        "date": "created_at",
        "groups": _fields(
            _f("customers", "kind", "column", values="customers.kind.{}"),
            _f("customers", "segment", "column", values="customers.segment.{}"),
            _f("customers", "city", "column"),
            _f("customers", "province", "column"),
            _f("customers", "industry", "column"),
            _f("customers", "owner", "user", "owner_id"),
            _f("customers", "is_active", "bool"),
        ),
        "dates": _fields(_f("customers", "created_at", "date")),
        "numbers": {},
    },
    "activities": {
        "model": Activity,
        "permission": "activities",
        "label": "report.module.activities",
        "owner": "assignee_id",
        "team": None,
        "customer": "customer_id",
        "date": "due_at",
        "groups": _fields(
            _f("activities", "kind", "column", values="activities.kind.{}"),
            _f("activities", "done", "bool"),
            _f("activities", "outcome", "column", values="activities.outcome.{}"),
            _f("activities", "assignee", "user", "assignee_id"),
            _f("activities", "customer", "customer", "customer_id"),
        ),
        "dates": _fields(_f("activities", "due_at", "date"), _f("activities", "done_at", "date"), _f("activities", "created_at", "date")),
        "numbers": {},
    },
    "quotations": {
        "model": SalesOrder,
        "permission": "quotations",
        "label": "report.module.quotations",
        "owner": "owner_id",
        "team": None,
        "customer": "customer_id",
        "date": "quote_date",
        "groups": _fields(
            _f("quotations", "state", "column", values="documents.state.{}"),
            _f("quotations", "owner", "user", "owner_id"),
            _f("quotations", "customer", "customer", "customer_id"),
            _f("quotations", "payment_terms", "column", values="documents.terms.{}"),
            _f("quotations", "segment", "customer_column", values="customers.segment.{}"),
            _f("quotations", "city", "customer_column"),
            _f("quotations", "province", "customer_column"),
        ),
        "dates": _fields(_f("quotations", "quote_date", "date"), _f("quotations", "confirmed_at", "date"), _f("quotations", "created_at", "date")),
        "numbers": _fields(_f("quotations", "untaxed", "number"), _f("quotations", "tax", "number"), _f("quotations", "total", "number")),
    },
    "invoices": {
        "model": Invoice,
        "permission": "invoices",
        "label": "report.module.invoices",
        "owner": "owner_id",
        "team": None,
        "customer": "customer_id",
        "date": "invoice_date",
        "groups": _fields(
            _f("invoices", "kind", "column", values="documents.kind.{}"),
            _f("invoices", "state", "column", values="documents.state.{}"),
            _f("invoices", "owner", "user", "owner_id"),
            _f("invoices", "customer", "customer", "customer_id"),
            _f("invoices", "payment_terms", "column", values="documents.terms.{}"),
            _f("invoices", "segment", "customer_column", values="customers.segment.{}"),
            _f("invoices", "city", "customer_column"),
            _f("invoices", "province", "customer_column"),
        ),
        "dates": _fields(_f("invoices", "invoice_date", "date"), _f("invoices", "due_date", "date"), _f("invoices", "posted_at", "date")),
        "numbers": _fields(
            _f("invoices", "untaxed", "number"), _f("invoices", "tax", "number"), _f("invoices", "total", "number"), _f("invoices", "amount_paid", "number")
        ),
    },
    "tickets": {
        "model": Ticket,
        "permission": "tickets",
        "label": "report.module.tickets",
        "owner": "assignee_id",
        "team": "team_id",
        "customer": "company_id",
        "date": "created_at",
        "groups": _fields(
            _f("tickets", "status", "column", values="helpdesk.status.{}"),
            _f("tickets", "priority", "column", values="helpdesk.priority.{}"),
            _f("tickets", "category", "column", values="helpdesk.category.{}"),
            _f("tickets", "channel", "column", values="helpdesk.channel.{}"),
            _f("tickets", "assignee", "user", "assignee_id"),
            _f("tickets", "team", "team", "team_id"),
            _f("tickets", "customer", "customer", "company_id"),
            _f("tickets", "segment", "customer_column", values="customers.segment.{}"),
            _f("tickets", "city", "customer_column"),
            _f("tickets", "province", "customer_column"),
        ),
        "dates": _fields(_f("tickets", "created_at", "date"), _f("tickets", "resolved_at", "date"), _f("tickets", "closed_at", "date")),
        "numbers": {},
    },
}


@dataclass
class ReportSpec:
    module: str
    group_by: str
    group_by2: str = ""
    granularity: str = "month"
    measure: str = "count"  # count|sum|avg
    field: str = ""
    chart: str = "bar"  # bar|line|pie|table


def _field_meta(module: str, name: str) -> dict | None:
    meta = REPORT_MODULES[module]
    return meta["groups"].get(name) or meta["dates"].get(name)


def validate_spec(spec: ReportSpec) -> None:
    """Refuse a report the builder cannot run: unknown module / field / measure / granularity /
    chart, sum or average without a numeric field, the same grouping twice, a pie with two groupings."""
    if spec.module not in REPORT_MODULES:
        raise ValidationError({"module": "report.error.unknown_module"})
    errors: dict[str, str] = {}
    if not spec.group_by:
        errors["group_by"] = "report.error.group_required"
    elif _field_meta(spec.module, spec.group_by) is None:
        errors["group_by"] = "report.error.unknown_field"
    if spec.group_by2:
        if _field_meta(spec.module, spec.group_by2) is None:
            errors["group_by2"] = "report.error.unknown_field"
        elif spec.group_by2 == spec.group_by:
            errors["group_by2"] = "report.error.same_group"
        elif spec.chart == "pie":
            errors["chart"] = "report.error.pie_one_group"
    if spec.granularity not in GRANULARITIES:
        errors["granularity"] = "report.error.unknown_granularity"
    if spec.measure not in MEASURES:
        errors["measure"] = "report.error.unknown_measure"
    elif spec.measure in ("sum", "avg"):
        if not spec.field:
            errors["field"] = "report.error.numeric_field_required"
        elif spec.field not in REPORT_MODULES[spec.module]["numbers"]:
            errors["field"] = "report.error.not_numeric"
    elif spec.field and spec.field not in REPORT_MODULES[spec.module]["numbers"]:
        errors["field"] = "report.error.not_numeric"
    if spec.chart not in CHARTS:
        errors["chart"] = "report.error.unknown_chart"
    if errors:
        raise ValidationError(errors)


def _field_hidden(session: Session, actor, module: str, name: str) -> bool:
    """Whether a report field shows something hidden from the actor: the module's own field, or the
    customer's field (segment, city, province) or the lead's source it is read from."""
    meta = REPORT_MODULES[module]
    field = meta["groups"].get(name) or meta["dates"].get(name) or meta["numbers"].get(name)
    if field["kind"] == "customer_column":
        return field["column"] in permissions.hidden(session, actor, "customers")
    if field["kind"] == "lead_source":
        return "source" in permissions.hidden(session, actor, "leads")
    hidden = permissions.hidden(session, actor, meta["permission"])
    return name in hidden or field["column"] in hidden


def _check_access(session: Session, actor, spec: ReportSpec, action: str = "read") -> None:
    """The module permission, and no grouping or measure on a field hidden from the actor."""
    validate_spec(spec)
    _require(session, actor, REPORT_MODULES[spec.module]["permission"], action)
    errors = {}
    for key in ("group_by", "group_by2", "field"):
        name = getattr(spec, key)
        if name and _field_hidden(session, actor, spec.module, name):
            errors[key] = "report.error.field_hidden"
    if errors:
        raise ValidationError(errors)


def report_options(session: Session, actor) -> list[dict]:
    """For the builder's pickers: the modules the actor may read, each with the fields it may use
    (label keys only; hidden fields left out)."""
    out = []
    for module, meta in REPORT_MODULES.items():
        if not permissions.can(session, actor, meta["permission"], "read"):
            continue

        def listed(group: str, module=module, meta=meta) -> list[dict]:
            return [{"name": n, "label": m["label"]} for n, m in meta[group].items() if not _field_hidden(session, actor, module, n)]

        out.append(
            {
                "module": module,
                "label": meta["label"],
                "groups": listed("groups"),
                "dates": listed("dates"),
                "numbers": listed("numbers"),
                "can_export": permissions.can(session, actor, meta["permission"], "export"),
            }
        )
    return out


class _ReportQuery:
    """Collects the SELECT columns, joins, GROUP BY and ORDER BY of one report."""

    def __init__(self, session: Session, module: str) -> None:
        self.session = session
        self.module = module
        self.meta = REPORT_MODULES[module]
        self.model = self.meta["model"]
        self.joins: dict[str, tuple] = {}
        self.columns: list = []
        self.group_by: list = []
        self.order_by: list = []
        self.readers: list = []  # per grouping: (index of its first column, how it is shown, how it sorts)

    def _join(self, key: str, target, onclause):
        if key not in self.joins:
            self.joins[key] = (target, onclause)
        return self.joins[key][0]

    def _customer(self):
        if "customer" not in self.joins:
            customer = aliased(Customer, name="report_customer")
            self._join("customer", customer, customer.id == getattr(self.model, self.meta["customer"]))
        return self.joins["customer"][0]

    def _add(self, columns: list, group_by: list, order_by: list, show, sort_key) -> None:
        self.readers.append((len(self.columns), show, sort_key))
        self.columns += columns
        self.group_by += group_by
        self.order_by += [expr.asc().nulls_first() for expr in order_by]

    def add_group(self, name: str, granularity: str, lang: str) -> None:
        """The columns, joins, GROUP BY and ORDER BY of one grouping, how its value is shown and
        how it sorts (the same order as the SQL: NULL first, then by name / sequence / period)."""
        field = _field_meta(self.module, name)
        kind, model = field["kind"], self.model

        def show(values) -> str:
            return _display(values[0], field, lang)

        def name_of(values) -> str:
            return "" if values[0] is None else str(values[0])

        def first(values) -> tuple:
            return (_nulls_first(values[0]),)

        if kind == "date":
            expr = period_key(self.session, getattr(model, field["column"]), granularity).label(f"g{len(self.columns)}")
            self._add([expr], [expr], [expr], lambda values: period_label(period_start(values[0], granularity), granularity), first)
        elif kind in ("column", "bool"):
            column = getattr(model, field["column"])
            self._add([column], [column], [column], show, first)
        elif kind == "customer_column":
            column = getattr(self._customer(), field["column"])
            self._add([column], [column], [column], show, first)
        elif kind == "lead_source":
            lead = self._join("lead", Lead, Lead.id == model.lead_id)
            expr = func.coalesce(lead.source, _lit(DIRECT))
            self._add([expr], [expr], [expr], show, first)
        elif kind == "user":
            user = aliased(User, name=f"report_user_{name}")
            column = getattr(model, field["column"])
            self._join(f"user_{name}", user, user.id == column)
            self._add([user.full_name, column], [column, user.full_name], [user.full_name, column], name_of, lambda v: (_nulls_first(v[0]), _nulls_first(v[1])))
        elif kind == "customer":
            customer = self._customer()
            column = getattr(model, field["column"])
            self._add([customer.name, column], [column, customer.name], [customer.name, column], name_of, lambda v: (_nulls_first(v[0]), _nulls_first(v[1])))
        elif kind == "stage":
            stage = self._join("stage", Stage, Stage.id == model.stage_id)
            sequence = func.min(stage.sequence)
            self._add([stage.name, sequence], [stage.name], [sequence, stage.name], name_of, lambda v: (_nulls_first(v[1]), _nulls_first(v[0])))
        else:  # team
            team = self._join("team", SalesTeam, SalesTeam.id == model.team_id)
            self._add([team.name], [team.name], [team.name], name_of, first)


def _nulls_first(value) -> tuple:
    return (0, "") if value is None else (1, value)


def _display(value, field: dict, lang: str) -> str:
    """A group value as shown: codes through their translation keys, yes / no, None as ""."""
    if value is None:
        return ""
    if field["kind"] == "bool":
        return translate("common.yes" if value else "common.no", lang)
    if field["kind"] == "lead_source" and value == DIRECT:
        return translate("analytics.direct", lang)
    if field["values"]:
        key = field["values"].format(value)
        if key in CATALOG:
            return translate(key, lang)
    return str(value)


def _report_where(session: Session, actor, spec: ReportSpec, f: Filters, share_hint: bool = False) -> list:
    """Visibility and the filter bar, for any report module (subqueries, so no join is needed).
    ``share_hint``: the date range with its share of the rows for SQLite's planner (``_with_share``)."""
    meta = REPORT_MODULES[spec.module]
    model = meta["model"]
    owner = getattr(model, meta["owner"])
    clauses = _visible(session, actor, meta["permission"], owner)
    if f.team_id is not None:
        clauses.append(getattr(model, meta["team"]) == f.team_id if meta["team"] else owner.in_(_team_members(f.team_id)))
    if f.owner_id:
        clauses.append(owner == f.owner_id)
    if spec.module == "customers":
        for column in ("segment", "province", "city"):
            if getattr(f, column):
                clauses.append(getattr(Customer, column) == getattr(f, column))
    elif _customer_ids(f) is not None:
        if spec.module == "activities":
            clauses.append(_activity_customer_clause(session, f))
        elif spec.module == "opportunities":
            clauses.append(_opportunity_customer_clause(session, f))
        else:
            clauses.append(_customer_clause(session, f, getattr(model, meta["customer"])))
    date_name = next((g for g in (spec.group_by, spec.group_by2) if g in meta["dates"]), meta["date"])
    column = getattr(model, meta["dates"][date_name]["column"])
    terms = _range(column, f.date_from, f.date_to)
    clauses += _with_share(session, model, column, terms) if share_hint else terms
    return clauses


def _with_share(session: Session, model, column, terms: list) -> list:
    """A date range's terms, on SQLite wrapped in ``likelihood(term, share of the rows it keeps)``.

    Without statistics on the column's values SQLite guesses that a range keeps 1/64 of the rows.
    For a column that an index holds after other columns (activity.due_at in (assignee_id, done,
    due_at)) it then skip-scans that index and looks each row up in the table: 1.7 s for 90 days of
    1,000,000 activities by week × kind, against 0.9 s reading the table in order. The share, from an
    index-only count, lets the planner choose; ``likelihood`` returns its term unchanged (same rows)."""
    if not terms or _dialect(session) != "sqlite" or not any(column.key in index.columns for index in model.__table__.indexes):
        return terms
    rows = _analyzed_rows(session, model.__table__.name)
    if not rows:
        return terms  # no ANALYZE statistics: no skip-scan either
    in_range = session.exec(select(func.count()).select_from(model).where(*terms)).one()
    share = min(1.0, max(in_range / rows, 0.000001))
    return [func.likelihood(term, literal_column(f"{share if i == 0 else 1.0:.6f}")) for i, term in enumerate(terms)]


def _analyzed_rows(session: Session, table: str) -> int:
    """The row count ANALYZE recorded for a table (0 when there are no statistics)."""
    if not session.exec(select(literal_column("1")).select_from(text("sqlite_master")).where(text("name = 'sqlite_stat1'"))).first():
        return 0
    stat = session.exec(select(literal_column("stat")).select_from(text("sqlite_stat1")).where(text("tbl = :table")).params(table=table)).first()
    return int(str(stat).split()[0]) if stat else 0


def _measure(spec: ReportSpec):
    model = REPORT_MODULES[spec.module]["model"]
    if spec.measure == "count":
        return [func.count(model.id)]
    column = getattr(model, REPORT_MODULES[spec.module]["numbers"][spec.field]["column"])
    if spec.measure == "sum":
        return [func.sum(column)]
    return [func.avg(column), func.count(column)]


def _measure_value(spec: ReportSpec, value):
    if spec.measure == "count":
        return int(value or 0)
    if value is None:
        return None if spec.measure == "avg" else Decimal("0.00")
    return _money(value)


def _value_key(spec: ReportSpec) -> str:
    return f"report.measure.{spec.measure}"


def run_report(session: Session, actor, spec: ReportSpec, filters: Filters | None = None, limit: int = 500, lang: str = "en") -> dict:
    """Run a report: one GROUP BY over the module's records the actor may see.

    The filter bar's date range applies to the first date field grouped on, else to the module's
    main date (opportunities / leads / customers: created_at, activities: due_at, quotations:
    quote_date, invoices: invoice_date). Returns {columns: [label keys: group, group2 (when
    set), value], value_field (label key of the measured field, "" for count), rows: [{group,
    group2, value}] (+ "count" per row for averages, so that pivot totals are weighted), total
    (the measure over every record, not only the rows shown), truncated (more groups than ``limit``)}.
    Group values are display strings in ``lang``: period labels, names, translated codes, None as "".
    ``group2_labels``: the second grouping's values in their order (for the pivot's columns).
    """
    _check_access(session, actor, spec)
    # the dashboard's click filters are groupings here (stage, source): not a filter of the builder
    f = replace(_allowed(session, actor, filters or NO_FILTERS), stage_id=None, source="")
    limit = max(1, min(int(limit), 5000))
    query = _ReportQuery(session, spec.module)
    query.add_group(spec.group_by, spec.granularity, lang)
    if spec.group_by2:
        query.add_group(spec.group_by2, spec.granularity, lang)
    measure = _measure(spec)
    statement = select(*query.columns, *measure).select_from(query.model)
    for target, onclause in query.joins.values():
        statement = statement.outerjoin(target, onclause)
    grouped_where = _report_where(session, actor, spec, f, share_hint=True)
    statement = statement.where(*grouped_where).group_by(*query.group_by).order_by(*query.order_by).limit(limit + 1)
    raw = session.exec(statement).all()
    value_at = len(query.columns)
    if spec.measure == "count" and len(raw) <= limit:
        total = sum(int(record[value_at] or 0) for record in raw)  # every group is here (joins are to-one)
    else:
        total_row = session.exec(select(*measure).select_from(query.model).where(*_report_where(session, actor, spec, f))).one()
        total = total_row[0] if len(measure) > 1 else total_row  # one column comes back as a scalar
    rows = []
    second_keys: dict[str, tuple] = {}
    for record in raw[:limit]:
        row = {"group": "", "group2": "", "value": _measure_value(spec, record[value_at])}
        for key, (index, show, _sort_key) in zip(("group", "group2"), query.readers, strict=False):
            row[key] = show(record[index:])
        if spec.group_by2:
            index, _show, sort_key = query.readers[1]
            second_keys.setdefault(row["group2"], sort_key(record[index:]))
        if spec.measure == "avg":
            row["count"] = int(record[value_at + 1] or 0)
        rows.append(row)
    meta = REPORT_MODULES[spec.module]
    columns = [_field_meta(spec.module, spec.group_by)["label"]]
    if spec.group_by2:
        columns.append(_field_meta(spec.module, spec.group_by2)["label"])
    columns.append(_value_key(spec))
    return {
        "columns": columns,
        "value_field": meta["numbers"][spec.field]["label"] if spec.measure != "count" else "",
        "measure": spec.measure,
        "rows": rows,
        "group2_labels": sorted(second_keys, key=second_keys.__getitem__),
        "total": _measure_value(spec, total),
        "truncated": len(raw) > limit,
    }


def pivot(result: dict) -> dict:
    """A two-grouping result as a table: {row_labels (group), col_labels (group2), cells,
    row_totals, col_totals, grand_total}. Empty cells are 0 (None for averages); totals of
    averages are weighted by each cell's record count. A one-grouping result has one column ("")."""
    averaging = result.get("measure") == "avg"
    row_labels = list(dict.fromkeys(r["group"] for r in result["rows"]))
    col_labels = list(dict.fromkeys([*result.get("group2_labels", []), *(r.get("group2", "") for r in result["rows"])]))
    sums: dict[tuple[str, str], Decimal] = {}
    weights: dict[tuple[str, str], int] = {}
    values: dict[tuple[str, str], object] = {}
    for r in result["rows"]:
        key = (r["group"], r.get("group2", ""))
        values[key] = r["value"]
        weight = r.get("count", 1) if averaging else 1
        weights[key] = weight
        sums[key] = (Decimal(r["value"]) * weight) if averaging and r["value"] is not None else (r["value"] or 0)

    def total(keys: list[tuple[str, str]]):
        keys = [k for k in keys if k in values]
        if not averaging:
            return sum((values[k] or 0 for k in keys), 0)
        weight = sum(weights[k] for k in keys if values[k] is not None)
        if not weight:
            return None
        return (sum((sums[k] for k in keys if values[k] is not None), Decimal(0)) / weight).quantize(CENT, rounding=ROUND_HALF_UP)

    empty = None if averaging else 0
    cells = [[values.get((r, c), empty) for c in col_labels] for r in row_labels]
    return {
        "row_labels": row_labels,
        "col_labels": col_labels,
        "cells": cells,
        "row_totals": [total([(r, c) for c in col_labels]) for r in row_labels],
        "col_totals": [total([(r, c) for r in row_labels]) for c in col_labels],
        "grand_total": total(list(values)),
    }


def _header(result: dict, lang: str) -> list[str]:
    labels = [translate(key, lang) for key in result["columns"][:-1]]
    field = translate(result["value_field"], lang) if result.get("value_field") else ""
    return [*labels, translate(result["columns"][-1], lang, field=field)]


def export_report(session: Session, actor, spec: ReportSpec, result: dict, fmt: str, lang: str = "en") -> bytes:
    """A report's rows as a file: "csv" (UTF-8 with BOM, comma separated, a header row) or "xlsx".

    Needs the "export" permission on the report's module (and the same field access as running it).
    Numbers are written as numbers (plain decimals in CSV); group values as shown, never as a
    formula (a name typed as "=..." stays text: quoted in CSV, a text cell in XLSX).
    """
    if fmt not in EXPORT_FORMATS:
        raise ValidationError({"format": "report.error.unknown_format"})
    _check_access(session, actor, spec, "export")
    from kaktus_app.auth import audit

    audit.record(
        session, actor, "export", REPORT_MODULES[spec.module]["permission"], label=fmt.upper(),
        detail=f"report {spec.module} by {spec.group_by}{' × ' + spec.group_by2 if spec.group_by2 else ''}: {len(result['rows'])} rows",
    )
    header = _header(result, lang)
    two = len(result["columns"]) == 3
    lines = [[r["group"], *([r.get("group2", "")] if two else []), r["value"]] for r in result["rows"]]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        for line in lines:
            writer.writerow([_csv_cell(v) for v in line])
        return buffer.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "".join(c for c in translate(REPORT_MODULES[spec.module]["label"], lang) if c not in "[]:*?/\\")[:31] or "Report"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in lines:
        sheet.append(line)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, even when it starts with "="
    if spec.measure != "count":
        for row in sheet.iter_rows(min_row=2, min_col=len(header), max_col=len(header)):
            row[0].number_format = "#,##0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet would run it as a formula
    return value


# ------------------------------------------------------------------------------------- saved reports


def _filters_to_json(f: Filters | None) -> dict:
    if f is None:
        return {}
    data = asdict(f)
    for key in ("date_from", "date_to"):
        data[key] = data[key].isoformat() if data[key] else None
    return {k: v for k, v in data.items() if v not in (None, "")}


def _filters_from_json(data: dict) -> Filters:
    known = {f.name for f in fields(Filters)}
    clean = {k: v for k, v in (data or {}).items() if k in known}
    for key in ("date_from", "date_to"):
        if clean.get(key):
            clean[key] = date.fromisoformat(clean[key])
    return Filters(**clean)


def _spec_from(saved: SavedReport) -> ReportSpec:
    try:
        config = json.loads(saved.config or "{}")
    except ValueError:
        config = {}
    known = {f.name for f in fields(ReportSpec)} - {"module"}
    return ReportSpec(module=saved.module, **{k: v for k, v in config.items() if k in known})


def report_filters(saved: SavedReport) -> Filters:
    """The filter bar saved with a report."""
    try:
        return _filters_from_json(json.loads(saved.config or "{}").get("filters", {}))
    except (ValueError, TypeError):
        return NO_FILTERS


def _own(session: Session, actor, report_id) -> SavedReport:
    """The actor's own saved report; somebody else's does not exist for them."""
    saved = session.get(SavedReport, int(report_id)) if str(report_id or "").isdigit() else None
    if saved is None or saved.owner_id != actor.id:
        raise NotFound()
    return saved


def save_report(session: Session, actor, name: str, spec: ReportSpec, report_id: int | None = None, filters: Filters | None = None) -> SavedReport:
    """Save a new report or overwrite one of the actor's own (only its owner may). The spec must be
    one the actor can run. The caller commits."""
    errors = Errors()
    clean_name = errors.check("name", clean_text, name, required=True, max_length=120)
    errors.raise_if_any()
    _check_access(session, actor, spec)
    saved = _own(session, actor, report_id) if report_id else SavedReport(owner_id=actor.id, name=clean_name, module=spec.module)
    config = {k: v for k, v in asdict(spec).items() if k != "module"}
    config["filters"] = _filters_to_json(filters)
    saved.name, saved.module, saved.config = clean_name, spec.module, json.dumps(config, sort_keys=True)
    session.add(saved)
    session.flush()
    return saved


def list_reports(session: Session, actor) -> list[dict]:
    """The actor's saved reports, by name."""
    reports = session.exec(select(SavedReport).where(SavedReport.owner_id == actor.id).order_by(SavedReport.name, SavedReport.id)).all()
    out = []
    for saved in reports:
        spec = _spec_from(saved)
        out.append(
            {
                "id": saved.id,
                "name": saved.name,
                "module": saved.module,
                "module_label": REPORT_MODULES.get(saved.module, {}).get("label", ""),
                "group_by": spec.group_by,
                "group_by2": spec.group_by2,
                "measure": spec.measure,
                "chart": spec.chart,
                "on_dashboard": saved.on_dashboard,
                "position": saved.position,
            }
        )
    return out


def get_report(session: Session, actor, report_id: int) -> tuple[SavedReport, ReportSpec]:
    saved = _own(session, actor, report_id)
    return saved, _spec_from(saved)


def delete_report(session: Session, actor, report_id: int) -> None:
    saved = _own(session, actor, report_id)
    session.delete(saved)
    session.flush()


def set_on_dashboard(session: Session, actor, report_id: int, on: bool) -> SavedReport:
    """Pin a report to (the end of) the actor's dashboard, or take it off."""
    saved = _own(session, actor, report_id)
    if on and not saved.on_dashboard:
        last = session.exec(
            select(func.max(SavedReport.position)).where(SavedReport.owner_id == actor.id, SavedReport.on_dashboard == true())
        ).one()
        saved.position = (last or 0) + 1
    saved.on_dashboard = bool(on)
    session.add(saved)
    session.flush()
    return saved


def dashboard_reports(session: Session, actor, lang: str = "en", limit: int = 50) -> list[dict]:
    """The actor's pinned reports in order, each run with its saved filters: {id, name, module,
    chart, spec, result, error}. A report the actor may no longer run has result None and the
    error's translation key (the rest of the dashboard still shows)."""
    pinned = session.exec(
        select(SavedReport)
        .where(SavedReport.owner_id == actor.id, SavedReport.on_dashboard == true())
        .order_by(SavedReport.position, SavedReport.id)
    ).all()
    out = []
    for saved in pinned:
        spec = _spec_from(saved)
        item = {"id": saved.id, "name": saved.name, "module": saved.module, "chart": spec.chart, "spec": asdict(spec), "result": None, "error": ""}
        try:
            item["result"] = run_report(session, actor, spec, report_filters(saved), limit=limit, lang=lang)
        except DomainError as exc:
            item["error"] = exc.key
        out.append(item)
    return out
