"""The managers' sales dashboard: shared filters, interactive plotly charts (a stage bar or a source
slice filters the rest, shown as a removable chip), drill-down to the deals."""

from __future__ import annotations

import reflex as rx
from plotly.graph_objects import Figure

from kaktus_app.analytics.report_state import GRANULARITIES, ReportState
from kaktus_app.analytics.state import QUICK_PICKS, DashboardState
from kaktus_app.customers.models import SEGMENTS
from kaktus_app.layout import staff_page
from kaktus_app.ui.components import card, field, filter_select, page_header, pagination
from kaktus_app.ui.lang import t

D = DashboardState
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def _select(name: str, options: rx.Var | list, all_key: str, element_id: str) -> rx.Component:
    return filter_select(name, getattr(D, name), options, D.set_filter, all_key=all_key, element_id=element_id)


def _filters() -> rx.Component:
    return card(
        rx.flex(
            rx.segmented_control.root(
                *[rx.segmented_control.item(t(f"analytics.quick.{q}"), value=q) for q in QUICK_PICKS if q != "custom"],
                value=D.quick,
                on_change=D.set_quick,
                id="quick-picks",
                size="1",
            ),
            rx.form(
                rx.hstack(
                    rx.input(type="date", name="date_from", default_value=D.date_from, key=D.date_from, id="date-from", size="1"),
                    rx.text("–", size="2"),
                    rx.input(type="date", name="date_to", default_value=D.date_to, key=D.date_to, id="date-to", size="1"),
                    rx.button(t("analytics.apply"), type="submit", size="1", variant="soft", id="apply-dates"),
                    align="center",
                    spacing="2",
                ),
                on_submit=D.set_dates,
                reset_on_submit=False,
            ),
            wrap="wrap",
            gap="3",
            align="center",
            width="100%",
        ),
        rx.cond(D.date_error != "", rx.text(D.date_error, color_scheme="red", size="1", id="error-date", class_name="field-error")),
        rx.flex(
            _select("team_id", D.teams, "analytics.all_teams", "filter-team"),
            _select("owner_id", D.owners, "analytics.all_salespeople", "filter-owner"),
            _select("segment", [(s, f"customers.segment.{s}") for s in SEGMENTS], "analytics.all_segments", "filter-segment"),
            _select("province", D.provinces, "analytics.all_regions", "filter-province"),
            rx.button(rx.icon("x", size=14), t("analytics.clear"), on_click=D.clear_filters, size="1", variant="ghost", id="clear-filters"),
            wrap="wrap",
            gap="2",
            align="center",
        ),
        _click_filters(),
        spacing="3",
    )


def _chip(label: rx.Var, name: str, element_id: str) -> rx.Component:
    """A click filter as a removable chip: "Stage: Negotiation ×"."""
    return rx.badge(
        rx.text(label, id=f"{element_id}-label"),
        rx.icon_button(
            rx.icon("x", size=12), size="1", variant="ghost", radius="full", on_click=D.remove_click_filter(name),
            aria_label=t("analytics.remove_filter"), title=t("analytics.remove_filter"), id=f"{element_id}-remove",
        ),
        id=element_id,
        class_name="filter-chip",
        color_scheme="grass",
        variant="soft",
        radius="full",
        size="2",
    )


def _click_filters() -> rx.Component:
    """The filters a click on a stage bar or a source slice set (every other figure follows them)."""
    return rx.cond(
        (D.stage_id != "") | (D.source != ""),
        rx.flex(
            rx.text(t("analytics.click_filters"), size="1", color_scheme="gray"),
            rx.cond(D.stage_id != "", _chip(t("analytics.chip_stage", stage=D.stage_name), "stage", "chip-stage")),
            rx.cond(D.source != "", _chip(t("analytics.chip_source", source=D.source_label), "source", "chip-source")),
            wrap="wrap",
            gap="2",
            align="center",
            id="click-filters",
        ),
    )


def _kpi(label_key: str, value: rx.Var, element_id: str, color: str = "gray") -> rx.Component:
    return card(
        rx.text(t(label_key), size="1", color_scheme="gray"),
        rx.heading(value, size="4", color=rx.color(color, 11), id=element_id, white_space="nowrap", overflow="hidden", text_overflow="ellipsis", title=value),
        spacing="1",
    )


def _chart(title_key: str, figure: rx.Var, element_id: str, on_click=None, hint_key: str = "analytics.click_hint", *extra) -> rx.Component:
    props = {"on_click": on_click} if on_click is not None else {}
    return card(
        rx.hstack(rx.heading(t(title_key), size="3"), rx.spacer(), *extra, width="100%", align="center"),
        rx.cond(
            figure["data"].to(list).length() > 0,
            rx.plotly.basic(data=figure.to(Figure), config=PLOT_CONFIG, use_resize_handler=True, width="100%", id=element_id, class_name="kaktus-chart", **props),
            rx.center(rx.text(t("analytics.no_data"), color_scheme="gray", size="2"), height="200px"),
        ),
        rx.cond(hint_key != "", rx.text(t(hint_key) if hint_key else "", size="1", color_scheme="gray")),
        spacing="2",
        min_width="0",
    )


def _crumbs() -> rx.Component:
    return rx.hstack(
        rx.foreach(
            D.period_crumbs,
            lambda c, i: rx.hstack(
                rx.cond(i > 0, rx.text("›", size="1", color_scheme="gray")),
                rx.link(
                    rx.cond(c["label"] == "*", t("analytics.all_years"), c["label"]),
                    on_click=D.zoom_to(c["level"]),
                    size="1",
                    class_name="period-crumb",
                    cursor="pointer",
                ),
                spacing="1",
                align="center",
            ),
        ),
        rx.button(t("analytics.by_year"), size="1", variant="ghost", on_click=D.zoom_to("year"), id="period-years"),
        rx.button(t("analytics.by_month"), size="1", variant="ghost", on_click=D.show_months, id="period-months"),
        spacing="2",
        align="center",
        id="period-crumbs",
    )


def _drill_panel() -> rx.Component:
    return rx.cond(
        D.drill_open,
        card(
            rx.hstack(
                rx.icon("list-filter", size=18),
                rx.link(t("analytics.dashboard"), on_click=D.close_drill, size="2", cursor="pointer", id="drill-back"),
                rx.text("›", color_scheme="gray"),
                rx.heading(D.drill_title, size="3", id="drill-title"),
                rx.badge(D.drill_total, color_scheme="grass", id="drill-total"),
                rx.spacer(),
                rx.icon_button(rx.icon("x", size=16), variant="ghost", on_click=D.close_drill, aria_label=t("common.close")),
                width="100%",
                align="center",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(k))
                            for k in ("sales.name", "sales.customer", "sales.stage", "sales.revenue", "sales.probability", "sales.expected_closing", "common.owner", "sales.state")
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        D.drill_rows,
                        lambda r: rx.table.row(
                            rx.table.cell(rx.link(r["name"], href="/opportunities/" + r["id"])),
                            rx.table.cell(r["customer"]),
                            rx.table.cell(r["stage"]),
                            rx.table.cell(rx.text(r["revenue"], white_space="nowrap"), text_align="right"),
                            rx.table.cell(r["probability"]),
                            rx.table.cell(r["closing"]),
                            rx.table.cell(r["owner"]),
                            rx.table.cell(r["state"]),
                            class_name="drill-row",
                        ),
                    )
                ),
                size="1",
                width="100%",
            ),
            rx.cond(D.drill_total == 0, rx.text(t("common.no_results"), color_scheme="gray", size="2")),
            pagination(D.drill_page, D.drill_pages, t("common.rows_total", count=D.drill_total), D.drill_prev, D.drill_next),
            id="drill-panel",
            spacing="2",
            overflow_x="auto",
        ),
    )


def _performance() -> rx.Component:
    return card(
        rx.heading(t("analytics.performance"), size="3"),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(t(k))
                        for k in (
                            "analytics.salesperson", "analytics.won_revenue", "analytics.won_count", "analytics.open_count",
                            "analytics.activities_done", "analytics.leads_converted", "analytics.conversion",
                        )
                    ]
                )
            ),
            rx.table.body(
                rx.foreach(
                    D.performance,
                    lambda p: rx.table.row(
                        rx.table.cell(rx.link(p["name"], on_click=D.drill_owner_open(p["user_id"], p["name"]), cursor="pointer")),
                        rx.table.cell(rx.text(p["won_revenue"], white_space="nowrap"), text_align="right"),
                        rx.table.cell(p["won_count"], text_align="right"),
                        rx.table.cell(p["open_count"], text_align="right"),
                        rx.table.cell(p["activities_done"], text_align="right"),
                        rx.table.cell(p["leads"], text_align="right"),
                        rx.table.cell(p["conversion"], text_align="right"),
                        rx.table.cell(
                            rx.icon_button(rx.icon("filter", size=14), size="1", variant="ghost", on_click=D.focus_owner(p["user_id"]), title=t("analytics.focus_owner"))
                        ),
                        class_name="performance-row",
                    ),
                )
            ),
            size="1",
            width="100%",
        ),
        overflow_x="auto",
        grid_column=rx.breakpoints(initial="auto", lg="span 2"),
    )


def _overdue() -> rx.Component:
    return card(
        rx.hstack(rx.heading(t("analytics.overdue_activities"), size="3"), rx.spacer(), rx.badge(D.kpis["overdue"], color_scheme="red")),
        rx.cond(
            D.overdue.length() > 0,
            rx.vstack(
                rx.foreach(
                    D.overdue,
                    lambda o: rx.hstack(rx.text(o["name"], size="2"), rx.spacer(), rx.badge(o["count"], color_scheme="red", variant="soft"), width="100%"),
                ),
                width="100%",
                spacing="1",
            ),
            rx.text(t("analytics.none_overdue"), color_scheme="gray", size="2"),
        ),
    )


def _pinned() -> rx.Component:
    return card(
        rx.hstack(
            rx.heading(t("report.my_dashboard"), size="3"),
            rx.spacer(),
            rx.link(rx.button(rx.icon("chart-bar-big", size=14), t("report.title"), size="1", variant="soft"), href="/reports"),
            width="100%",
            align="center",
        ),
        rx.cond(
            D.pinned.length() > 0,
            rx.grid(
                rx.foreach(
                    D.pinned,
                    lambda r: rx.box(
                        rx.link(r["name"].to(str), href="/reports?report=" + r["id"].to(str), size="2", weight="medium"),
                        rx.cond(
                            r["error"].to(str) != "",
                            rx.text(r["error"].to(str), color_scheme="red", size="2"),
                            rx.plotly.basic(data=r["figure"].to(Figure), config=PLOT_CONFIG, use_resize_handler=True, width="100%"),
                        ),
                        class_name="pinned-report",
                        min_width="0",
                    ),
                ),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="3",
                width="100%",
            ),
            rx.text(t("report.pin_hint"), size="2", color_scheme="gray"),
        ),
    )


def _helpdesk() -> rx.Component:
    """Ticket figures for the period and the complaint alerts, with the way to the full statistics."""
    h = D.helpdesk
    return rx.cond(
        h.length() > 0,
        card(
            rx.hstack(
                rx.heading(t("analytics.helpdesk"), size="3"),
                rx.spacer(),
                rx.link(rx.button(rx.icon("life-buoy", size=14), t("analytics.helpdesk_stats"), size="1", variant="soft"), href="/helpdesk/stats"),
                width="100%",
                align="center",
            ),
            rx.foreach(
                D.helpdesk_alerts,
                lambda message: rx.callout(message, icon="triangle-alert", color_scheme="red", size="1", width="100%", class_name="complaint-alert"),
            ),
            rx.grid(
                _kpi("analytics.tickets_open", h["open"], "kpi-tickets-open", "orange"),
                _kpi("analytics.tickets_created", h["created"], "kpi-tickets-created"),
                _kpi("analytics.tickets_breaches", h["breaches"], "kpi-tickets-breaches", "red"),
                _kpi("analytics.tickets_first_response", h["avg_first_response_label"], "kpi-tickets-first-response"),
                _kpi("analytics.tickets_resolution", h["avg_resolution_label"], "kpi-tickets-resolution"),
                columns=rx.breakpoints(initial="2", sm="3", lg="5"),
                spacing="3",
                width="100%",
            ),
            id="dashboard-helpdesk",
        ),
    )


@staff_page("/dashboard", "analytics.dashboard", on_load=D.load)
def dashboard_page() -> rx.Component:
    k = D.kpis
    return rx.vstack(
        page_header(t("analytics.dashboard"), subtitle=t("analytics.subtitle")),
        _filters(),
        rx.cond(
            D.loaded,
            rx.vstack(
                rx.grid(
                    _kpi("analytics.open_deals", k["open_count"], "kpi-open", "blue"),
                    _kpi("analytics.open_expected", k["expected"], "kpi-expected", "blue"),
                    _kpi("analytics.open_weighted", k["weighted"], "kpi-weighted", "cyan"),
                    _kpi("analytics.win_rate", k["win_rate"], "kpi-win-rate", "grass"),
                    _kpi("analytics.won_lost", k["won_lost"], "kpi-won-lost"),
                    _kpi("analytics.sales_cycle", k["cycle"], "kpi-cycle"),
                    columns=rx.breakpoints(initial="2", sm="3", lg="6"),
                    spacing="3",
                    width="100%",
                ),
                _drill_panel(),
                rx.grid(
                    _chart("analytics.pipeline_by_stage", D.fig_stage, "chart-stage", D.click_stage, "analytics.filter_hint"),
                    _chart("analytics.pipeline_by_period", D.fig_period, "chart-period", D.click_period, "analytics.period_hint", _crumbs()),
                    _chart("analytics.by_source", D.fig_source, "chart-source", D.click_source, "analytics.filter_hint"),
                    _chart("analytics.forecast", D.fig_forecast, "chart-forecast", D.click_forecast),
                    _chart("analytics.won_lost_trend", D.fig_trend, "chart-trend", D.click_trend),
                    _chart("analytics.top_customers", D.fig_top, "chart-top", D.click_customer),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.grid(_performance(), _overdue(), columns=rx.breakpoints(initial="1", lg="3"), spacing="3", width="100%", class_name="perf-grid"),
                _helpdesk(),
                _pinned(),
                width="100%",
                spacing="3",
            ),
            rx.center(rx.spinner(size="3"), height="40vh"),
        ),
        width="100%",
        spacing="3",
    )


# ------------------------------------------------------------------------------------ report builder

R = ReportState


def _spec_select(name: str, options, element_id: str, *, empty: bool = False) -> rx.Component:
    if isinstance(options, rx.Var):
        children = [rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["value"]))]
    else:
        children = [rx.el.option(t(label), value=value) for value, label in options]
    return rx.el.select(
        *([rx.el.option("—", value="")] if empty else []),
        *children,
        value=R.spec[name],
        on_change=lambda value: R.set_spec(name, value),
        class_name="kaktus-select",
        id=element_id,
        width="100%",
    )


def _builder() -> rx.Component:
    return card(
        rx.heading(t("report.build"), size="3"),
        field(
            "report.module",
            rx.el.select(
                rx.foreach(R.options, lambda o: rx.el.option(o["label_text"], value=o["module"])),
                value=R.spec["module"],
                on_change=lambda value: R.set_spec("module", value),
                class_name="kaktus-select",
                id="report-module",
            ),
            R.errors["module"],
        ),
        field("report.group_by", _spec_select("group_by", R.module_fields["groups"], "report-group-by"), R.errors["group_by"]),
        field("report.group_by2", _spec_select("group_by2", R.module_fields["groups"], "report-group-by2", empty=True), R.errors["group_by2"]),
        rx.cond(
            R.uses_date,
            field("report.granularity", _spec_select("granularity", [(g, f"report.granularity.{g}") for g in GRANULARITIES], "report-granularity"), R.errors["granularity"]),
        ),
        field(
            "report.measure",
            _spec_select("measure", [("count", "report.measure_name.count"), ("sum", "report.measure_name.sum"), ("avg", "report.measure_name.avg")], "report-measure"),
            R.errors["measure"],
        ),
        rx.cond(R.spec["measure"] != "count", field("report.field", _spec_select("field", R.module_fields["numbers"], "report-field", empty=True), R.errors["field"])),
        field(
            "report.chart",
            _spec_select("chart", [("bar", "report.chart.bar"), ("line", "report.chart.line"), ("pie", "report.chart.pie"), ("table", "report.chart.table")], "report-chart"),
            R.errors["chart"],
        ),
        rx.form(
            rx.vstack(
                rx.text(t("report.date_range"), size="2", weight="medium"),
                rx.hstack(
                    rx.input(type="date", name="date_from", default_value=R.date_from, size="1", id="report-date-from"),
                    rx.input(type="date", name="date_to", default_value=R.date_to, size="1", id="report-date-to"),
                    rx.button(t("analytics.apply"), type="submit", size="1", variant="soft"),
                    spacing="1",
                    wrap="wrap",
                ),
                rx.cond(R.errors["date"], rx.text(R.errors["date"], color_scheme="red", size="1", class_name="field-error")),
                spacing="1",
            ),
            on_submit=R.set_dates,
            reset_on_submit=False,
            key=R.form_key.to_string(),
        ),
        spacing="3",
        key=R.form_key.to_string(),
    )


def _result() -> rx.Component:
    return card(
        rx.hstack(
            rx.heading(rx.cond(R.report_name != "", R.report_name, t("report.result")), size="3", id="report-title"),
            rx.spacer(),
            rx.text(R.total_label, size="2", color_scheme="gray", id="report-total"),
            rx.cond(
                R.can_export,
                rx.hstack(
                    rx.button(rx.icon("download", size=14), "CSV", size="1", variant="soft", on_click=R.export("csv"), id="export-csv"),
                    rx.button(rx.icon("sheet", size=14), "XLSX", size="1", variant="soft", on_click=R.export("xlsx"), id="export-xlsx"),
                    spacing="1",
                ),
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            R.has_result,
            rx.vstack(
                rx.cond(
                    (R.spec["chart"] != "table") & (R.table_rows.length() > 0),
                    rx.plotly.basic(data=R.figure.to(Figure), config=PLOT_CONFIG, use_resize_handler=True, width="100%", id="report-chart-plot"),
                ),
                rx.cond(R.truncated, rx.callout(t("report.truncated"), icon="info", size="1")),
                rx.box(
                    rx.table.root(
                        rx.table.header(rx.table.row(rx.foreach(R.table_head, lambda h: rx.table.column_header_cell(h)))),
                        rx.table.body(
                            rx.foreach(
                                R.table_rows,
                                lambda row: rx.table.row(
                                    rx.foreach(row, lambda c, i: rx.table.cell(c, text_align=rx.cond(i > 0, "right", "left"), white_space="nowrap")),
                                    class_name="report-row",
                                ),
                            ),
                            rx.table.row(
                                rx.foreach(R.table_foot, lambda c, i: rx.table.cell(rx.text(c, weight="bold"), text_align=rx.cond(i > 0, "right", "left"))),
                                class_name="report-foot",
                            ),
                        ),
                        size="1",
                        width="100%",
                        id="report-table",
                    ),
                    max_height="420px",
                    overflow="auto",
                    width="100%",
                ),
                rx.cond(R.table_rows.length() == 0, rx.text(t("analytics.no_data"), color_scheme="gray", size="2")),
                width="100%",
                spacing="2",
            ),
        ),
        rx.form(
            rx.hstack(
                rx.input(name="name", default_value=R.report_name, placeholder=t("report.name"), id="report-name", width="240px", key=R.report_id.to_string()),
                rx.button(rx.icon("save", size=14), t("report.save"), type="submit", size="2", id="report-save"),
                rx.cond(R.report_id > 0, rx.button(t("report.save_as_new"), size="2", variant="ghost", on_click=R.save_as_new, type="button")),
                align="center",
                wrap="wrap",
            ),
            rx.cond(R.errors["name"], rx.text(R.errors["name"], color_scheme="red", size="1", class_name="field-error", id="error-name")),
            on_submit=R.save,
            reset_on_submit=False,
        ),
        spacing="3",
        min_width="0",
    )


def _saved_reports() -> rx.Component:
    return card(
        rx.heading(t("report.my_reports"), size="3"),
        rx.cond(
            R.saved.length() > 0,
            rx.vstack(
                rx.foreach(
                    R.saved,
                    lambda r: rx.hstack(
                        rx.link(r["name"].to(str), on_click=R.open_report(r["id"].to(int)), cursor="pointer", size="2", weight="medium"),
                        rx.badge(r["module_text"].to(str), variant="soft"),
                        rx.spacer(),
                        rx.el.label(
                            rx.hstack(
                                rx.checkbox(checked=r["on_dashboard"].to(bool), on_change=lambda on: R.toggle_pin(r["id"].to(int), on)),
                                rx.text(t("report.on_dashboard"), size="1"),
                                spacing="1",
                                align="center",
                            )
                        ),
                        rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red", on_click=R.delete(r["id"].to(int)), aria_label=t("common.delete")),
                        width="100%",
                        align="center",
                        class_name="saved-report",
                    ),
                ),
                width="100%",
                spacing="2",
            ),
            rx.text(t("report.none_saved"), size="2", color_scheme="gray"),
        ),
    )


@staff_page("/reports", "report.title", on_load=R.load)
def reports_page() -> rx.Component:
    return rx.vstack(
        page_header(t("report.title"), subtitle=t("report.subtitle")),
        rx.grid(
            rx.vstack(_builder(), _saved_reports(), spacing="3", width="100%"),
            rx.box(_result(), grid_column=rx.breakpoints(initial="auto", lg="span 2"), min_width="0"),
            columns=rx.breakpoints(initial="1", lg="3"),
            spacing="3",
            width="100%",
        ),
        width="100%",
        spacing="3",
    )
