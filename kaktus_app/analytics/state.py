"""The sales dashboard's state: filter values, a few small figure dicts, the drill-down list.

Every number comes from ``analytics.service`` (SQL aggregates); this state only keeps what the page
shows and turns clicks into the next service call. A click on a stage bar (or a stage's part of a
month in the closing chart) or on a source slice sets a click filter (``stage_id`` / ``source``,
shown as a removable chip) that every other figure follows, and opens the list of its deals. Click
filters last for the visit: opening the dashboard again starts without them.
"""

from __future__ import annotations

from datetime import date, timedelta

import reflex as rx

from kaktus_app import db
from kaktus_app.analytics import charts, service
from kaktus_app.auth.state import require_actor
from kaktus_app.errors import DomainError
from kaktus_app.i18n import JAKARTA, format_idr, translate, utcnow
from kaktus_app.ui.form_state import query_param
from kaktus_app.ui.lang import current_lang

QUICK_PICKS = ("all", "this_month", "this_quarter", "this_year", "last_12_months", "custom")
GRANULARITY_DOWN = {"year": "quarter", "quarter": "month"}


def today_jakarta() -> date:
    return utcnow().astimezone(JAKARTA).date()


def quick_range(pick: str, today: date) -> tuple[str, str]:
    """(from, to) ISO dates of a quick pick; empty strings mean open-ended."""
    if pick == "this_month":
        start = today.replace(day=1)
    elif pick == "this_quarter":
        start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    elif pick == "this_year":
        start = date(today.year, 1, 1)
    elif pick == "last_12_months":
        start = (today.replace(day=1) - timedelta(days=365)).replace(day=1)
    else:
        return "", ""
    return start.isoformat(), today.isoformat()


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class DashboardState(rx.State):
    # filters (shared by every chart)
    quick: str = "all"
    date_from: str = ""
    date_to: str = ""
    team_id: str = ""
    owner_id: str = ""
    segment: str = ""
    province: str = ""
    # click filters (a stage bar, a source slice): the id / code, and the label of its chip
    stage_id: str = ""
    stage_name: str = ""
    source: str = ""
    source_label: str = ""
    date_error: str = ""
    owners: list[dict[str, str]] = []
    teams: list[dict[str, str]] = []
    provinces: list[dict[str, str]] = []

    # figures and numbers
    kpis: dict[str, str] = {}
    helpdesk: dict[str, str] = {}  # empty: the user may not read tickets
    helpdesk_alerts: list[str] = []
    fig_stage: dict = {}
    fig_period: dict = {}
    fig_source: dict = {}
    fig_forecast: dict = {}
    fig_trend: dict = {}
    fig_top: dict = {}
    performance: list[dict[str, str]] = []
    overdue: list[dict[str, str]] = []
    pinned: list[dict] = []
    loaded: bool = False

    # what a click maps back to (index -> id / label)
    _stage_ids: list[int] = []
    _period_stage_ids: list[int] = []
    _sources: list[str] = []
    _customer_ids: list[int] = []

    # the closing-period chart's level: year -> quarter -> month
    granularity: str = "month"
    period_year: int = 0
    period_quarter: int = 0

    # the drill-down list
    drill_open: bool = False
    drill_title: str = ""
    drill_rows: list[dict[str, str]] = []
    drill_total: int = 0
    drill_page: int = 1
    drill_pages: int = 1
    _drill: dict = {}

    # ------------------------------------------------------------------------------ helpers

    def _filters(self) -> service.Filters:
        return service.Filters(
            date_from=parse_date(self.date_from),
            date_to=parse_date(self.date_to),
            team_id=int(self.team_id) if self.team_id.isdigit() else None,
            owner_id=int(self.owner_id) if self.owner_id.isdigit() else None,
            segment=self.segment,
            province=self.province,
            stage_id=int(self.stage_id) if self.stage_id.isdigit() else None,
            source=self.source,
        )

    def _clear_click_filters(self) -> None:
        self.stage_id = self.stage_name = self.source = self.source_label = ""

    @rx.var
    def period_crumbs(self) -> list[dict[str, str]]:
        """Breadcrumbs of the closing-period chart: All years › 2026 › Q1."""
        crumbs = [{"level": "year", "label": "*"}]
        if self.granularity in ("quarter", "month") and self.period_year:
            crumbs.append({"level": "quarter", "label": str(self.period_year)})
        if self.granularity == "month" and self.period_quarter:
            crumbs.append({"level": "month", "label": f"{self.period_year}-Q{self.period_quarter}"})
        return crumbs

    async def _reload(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        lang = await current_lang(self)
        filters = self._filters()
        try:
            result = await db.run(service.sales_dashboard, actor, filters, today=today_jakarta())
            periods = await db.run(
                service.pipeline_by_period, actor, filters, granularity=self.granularity,
                year=self.period_year or None, quarter=self.period_quarter or None,
            )
        except DomainError as exc:
            self.loaded = True
            return rx.toast.error(exc.message(lang))
        stages = result["pipeline_by_stage"]
        self._stage_ids = [r["stage_id"] for r in stages]
        self.fig_stage = charts.pipeline_by_stage(stages, lang)
        self._period_stage_ids = [r["stage_id"] for r in stages]
        self.fig_period = charts.pipeline_by_period(periods, [(r["stage_id"], r["stage"]) for r in stages], lang)
        self._sources = [r["source"] for r in result["by_source"]]
        self.fig_source = charts.by_source(result["by_source"], lang)
        self.fig_forecast = charts.forecast(result["forecast"], lang)
        self.fig_trend = charts.won_lost_trend(result["won_lost_trend"], lang)
        top = result["top_customers"]
        self._customer_ids = [r["customer_id"] for r in reversed(top)]
        self.fig_top = charts.top_customers(top, lang)
        win = result["win_rate"]
        # the stage chart keeps every stage under a stage filter: the open-pipeline tiles are the chosen one's
        chosen = [r for r in stages if r["selected"]] if filters.stage_id is not None else stages
        open_count = sum(r["count"] for r in chosen)
        expected = None if any(r["expected"] is None for r in stages) else sum((r["expected"] for r in chosen), start=0)
        weighted = None if any(r["weighted"] is None for r in stages) else sum((r["weighted"] for r in chosen), start=0)
        overdue = result["overdue_activities"]
        self.kpis = {
            "open_count": str(open_count),
            "expected": charts.short_money_text(expected),
            "weighted": charts.short_money_text(weighted),
            "win_rate": charts.percent_text(win["rate"]),
            "won_lost": f"{win['won']} / {win['lost']}",
            "cycle": "—" if win["avg_cycle_days"] is None else translate("analytics.days", lang, n=round(float(win["avg_cycle_days"]))),
            "overdue": str(overdue["total"]),
        }
        self.performance = [
            {
                "user_id": str(p["user_id"]), "name": p["name"] or "—", "won_revenue": charts.money_text(p["won_revenue"]),
                "won_count": str(p["won_count"]), "open_count": str(p["open_count"]),
                "activities_done": "—" if p["activities_done"] is None else str(p["activities_done"]),
                "leads": "—" if p["leads_total"] is None else f"{p['leads_converted']} / {p['leads_total']}",
                "conversion": charts.percent_text(p["conversion_rate"]),
            }
            for p in result["performance"]
        ]
        self.overdue = [{"user_id": str(o["user_id"]), "name": o["name"] or "—", "count": str(o["count"])} for o in overdue["by_assignee"]]
        summary = await db.run(service.helpdesk_summary, actor, filters, lang)
        self.helpdesk = {k: str(v) for k, v in summary.items() if k != "alerts"} if summary else {}
        self.helpdesk_alerts = summary["alerts"] if summary else []
        self.loaded = True
        if self.drill_open:
            await self._load_drill()

    async def _load_drill(self):
        actor = await require_actor(self)
        lang = await current_lang(self)
        params = dict(self._drill)
        result = await db.run(service.drilldown, actor, self._filters(), page=self.drill_page, per_page=15, **params)
        self.drill_rows = [
            {
                "id": str(r["id"]), "name": r["name"], "customer": r["customer"] or "", "stage": r["stage"] or "",
                "revenue": "—" if r["expected_revenue"] in (None, "") else format_idr(r["expected_revenue"]),
                "probability": "" if r["probability"] in (None, "") else f"{r['probability']}%",
                "closing": r["expected_closing"].isoformat() if hasattr(r["expected_closing"], "isoformat") else str(r["expected_closing"] or ""),
                "owner": r["owner"] or "", "state": translate(f"sales.state.{r['state']}", lang),
            }
            for r in result["rows"]
        ]
        self.drill_total = result["total"]
        self.drill_pages = max(1, -(-result["total"] // result["per_page"]))

    async def _open_drill(self, title: str, *, refilter: bool = False, **params):
        """Open the list of the deals behind a figure; ``refilter``: a click filter changed, so
        every figure is reloaded first (the list with them)."""
        self._drill = params
        self.drill_title = title
        self.drill_page = 1
        self.drill_open = True
        if refilter:
            await self._reload()
        else:
            await self._load_drill()
        return rx.scroll_to("drill-panel")

    # ------------------------------------------------------------------------------ events

    @rx.event
    async def load(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        lang = await current_lang(self)
        options = await db.run(service.filter_options, actor)
        self.owners = [{"value": str(o["id"]), "label": o["name"]} for o in options["owners"]]
        self.teams = [{"value": str(t["id"]), "label": t["name"]} for t in options["teams"]]
        self.provinces = [{"value": p, "label": p} for p in options["provinces"]]
        if query_param(self, "owner").isdigit():
            self.owner_id = query_param(self, "owner")
        self.drill_open = False
        self._clear_click_filters()
        if query_param(self, "stage").isdigit():  # as a click on that stage's bar: filtered, and its deals listed
            self.stage_id = query_param(self, "stage")
            self.stage_name = next((s["name"] for s in options.get("stages", []) if str(s["id"]) == self.stage_id), "")
        await self._reload()
        self.pinned = [
            {
                "id": str(item["id"]), "name": item["name"], "error": translate(item["error"], lang) if item["error"] else "",
                "figure": charts.report(item["result"], item["chart"] if item["chart"] != "table" else "bar", lang) if item["result"] else {"data": [], "layout": {}},
            }
            for item in await db.run(service.dashboard_reports, actor, lang)
        ]
        if self.stage_id:
            return await self._open_drill(translate("analytics.drill_stage", lang, stage=self.stage_name), stage_id=int(self.stage_id), state="open")

    @rx.event
    async def set_quick(self, pick: str | list[str]):
        pick = pick if isinstance(pick, str) else (pick[0] if pick else "all")
        self.quick = pick if pick in QUICK_PICKS else "all"
        if self.quick != "custom":
            self.date_from, self.date_to = quick_range(self.quick, today_jakarta())
        self.date_error = ""
        await self._reload()

    @rx.event
    async def set_dates(self, form: dict):
        lang = await current_lang(self)
        start, end = str(form.get("date_from") or ""), str(form.get("date_to") or "")
        if (start and parse_date(start) is None) or (end and parse_date(end) is None):
            self.date_error = translate("analytics.error.date", lang)
            return
        if start and end and start > end:
            self.date_error = translate("analytics.error.range", lang)
            return
        self.date_error = ""
        self.date_from, self.date_to, self.quick = start, end, "custom"
        await self._reload()

    @rx.event
    async def set_filter(self, name: str, value: str):
        if name in ("team_id", "owner_id", "segment", "province"):
            setattr(self, name, "" if value == "all" else value)
            await self._reload()

    @rx.event
    async def clear_filters(self):
        self.quick, self.date_from, self.date_to = "all", "", ""
        self.team_id = self.owner_id = self.segment = self.province = ""
        self._clear_click_filters()
        self.date_error = ""
        await self._reload()

    @rx.event
    async def remove_click_filter(self, name: str):
        """The × of a click filter's chip: the figures without it (an open list stays as it is)."""
        if name == "stage":
            self.stage_id = self.stage_name = ""
        elif name == "source":
            self.source = self.source_label = ""
        else:
            return
        await self._reload()

    @rx.event
    async def click_stage(self, points: list[dict]):
        if not points:
            return
        index = points[0].get("pointNumber")
        if index is None or index >= len(self._stage_ids):
            return
        lang = await current_lang(self)
        stage = str(points[0].get("x") or "")
        self.stage_id, self.stage_name = str(self._stage_ids[index]), stage
        return await self._open_drill(translate("analytics.drill_stage", lang, stage=stage), refilter=True, stage_id=self._stage_ids[index], state="open")

    @rx.event
    async def click_period(self, points: list[dict]):
        """A bar of the closing-period chart: zoom year -> quarter -> month; a month's stage then
        filters the dashboard to that stage and lists that stage's deals closing in the month."""
        if not points:
            return
        label = str(points[0].get("x") or "")
        curve = points[0].get("curveNumber")
        lang = await current_lang(self)
        if self.granularity in GRANULARITY_DOWN and label:
            if self.granularity == "year" and label[:4].isdigit():
                self.period_year, self.granularity = int(label[:4]), "quarter"
            elif self.granularity == "quarter" and "-Q" in label:
                year, quarter = label.split("-Q")
                self.period_year, self.period_quarter, self.granularity = int(year), int(quarter), "month"
            await self._reload()
            return
        stage_id = self._period_stage_ids[curve] if curve is not None and curve < len(self._period_stage_ids) else None
        stage = next((d["name"] for i, d in enumerate(self.fig_period.get("data", [])) if i == curve), "")
        if stage_id is not None:
            self.stage_id, self.stage_name = str(stage_id), stage
        return await self._open_drill(
            translate("analytics.drill_stage_period", lang, stage=stage, period=label),
            refilter=stage_id is not None, stage_id=stage_id, period=label, granularity="month", state="open",
        )

    @rx.event
    async def zoom_to(self, level: str):
        """A breadcrumb of the closing-period chart."""
        if level == "year":
            self.granularity, self.period_year, self.period_quarter = "year", 0, 0
        elif level == "quarter":
            self.granularity, self.period_quarter = "quarter", 0
        elif level == "month" and self.period_quarter:
            self.granularity = "month"
        await self._reload()

    @rx.event
    async def show_months(self):
        self.granularity, self.period_year, self.period_quarter = "month", 0, 0
        await self._reload()

    @rx.event
    async def click_source(self, points: list[dict]):
        if not points:
            return
        index = points[0].get("pointNumber")
        if index is None or index >= len(self._sources):
            return
        lang = await current_lang(self)
        source = self._sources[index]
        label = translate("analytics.direct", lang) if source == "direct" else translate(f"leads.source.{source}", lang)
        self.source, self.source_label = source, label
        return await self._open_drill(translate("analytics.drill_source", lang, source=label), refilter=True, source=source)

    @rx.event
    async def click_trend(self, points: list[dict]):
        if not points:
            return
        label = str(points[0].get("x") or "")
        won = points[0].get("curveNumber", 0) == 0
        lang = await current_lang(self)
        state = "won" if won else "lost"
        return await self._open_drill(
            translate("analytics.drill_closed", lang, state=translate(f"sales.state.{state}", lang), period=label),
            period=label, granularity="month", state=state, won=won,
        )

    @rx.event
    async def click_forecast(self, points: list[dict]):
        if not points:
            return
        label = str(points[0].get("x") or "")
        lang = await current_lang(self)
        return await self._open_drill(translate("analytics.drill_closing", lang, period=label), period=label, granularity="month", state="open")

    @rx.event
    async def click_customer(self, points: list[dict]):
        if not points:
            return
        index = points[0].get("pointNumber")
        if index is None or index >= len(self._customer_ids):
            return
        lang = await current_lang(self)
        name = str(points[0].get("y") or "")
        return await self._open_drill(translate("analytics.drill_customer", lang, customer=name), customer_id=self._customer_ids[index], state="won", won=True)

    @rx.event
    async def focus_owner(self, user_id: str):
        """A salesperson's row: the whole dashboard for them."""
        self.owner_id = user_id
        await self._reload()

    @rx.event
    async def drill_owner_open(self, user_id: str, name: str):
        lang = await current_lang(self)
        return await self._open_drill(translate("analytics.drill_owner", lang, owner=name), owner_id=int(user_id), state="open")

    @rx.event
    async def drill_prev(self):
        if self.drill_page > 1:
            self.drill_page -= 1
            await self._load_drill()

    @rx.event
    async def drill_next(self):
        if self.drill_page < self.drill_pages:
            self.drill_page += 1
            await self._load_drill()

    @rx.event
    def close_drill(self):
        self.drill_open = False
        self.drill_rows = []
        self._drill = {}
