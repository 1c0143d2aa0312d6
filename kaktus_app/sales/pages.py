"""The live pipeline (/pipeline), the opportunity list (/opportunities) and form (/opportunities/<id>)."""

from __future__ import annotations

import reflex as rx

from kaktus_app.activities.components import activity_panel
from kaktus_app.documents.components import opportunity_documents
from kaktus_app.documents.state import RecordDocumentsState
from kaktus_app.layout import staff_page
from kaktus_app.sales.components import kanban_column, live_sync, lost_dialog
from kaktus_app.sales.state import (
    BoardState,
    OpportunityFormState,
    OpportunityListState,
    PipelineShared,
    StageSettingsState,
)
from kaktus_app.ui.components import (
    badge,
    card,
    data_table,
    export_menu,
    field,
    page_header,
    pagination,
    plain_header,
    protected,
    record_select,
    sort_header,
    text_area,
    text_input,
    when_loaded,
)
from kaktus_app.ui.lang import t

B = BoardState


def _board_filters() -> rx.Component:
    return rx.hstack(
        rx.hstack(rx.switch(checked=B.mine, on_change=B.toggle_mine, id="pipeline-filter-mine"), rx.text(t("sales.mine"), size="2"), align="center"),
        rx.el.select(
            rx.el.option(t("customers.filter.any_owner"), value=""),
            rx.foreach(B.users, lambda u: rx.el.option(u["name"], value=u["id"].to_string())),
            value=B.owner_id,
            on_change=B.set_owner,
            class_name="kaktus-select",
            id="pipeline-owner",
        ),
        rx.input(placeholder=t("common.tags"), value=B.tag, on_change=B.set_tag, debounce_timeout=300, width="120px", id="pipeline-tag"),
        rx.input(rx.input.slot(rx.icon("search", size=14)), placeholder=t("sales.search"), value=B.search, on_change=B.set_search, debounce_timeout=300, width="220px", id="pipeline-search"),
        spacing="3",
        align="center",
        wrap="wrap",
    )


@staff_page("/pipeline", "sales.pipeline", on_load=[PipelineShared.join, BoardState.load])
def pipeline_page() -> rx.Component:
    return rx.vstack(
        page_header(
            t("sales.pipeline"),
            _board_filters(),
            rx.link(rx.button(rx.icon("list", size=16), t("sales.opportunities"), variant="soft"), href="/opportunities"),
            rx.link(rx.button(rx.icon("settings-2", size=16), t("sales.stages"), variant="soft", id="pipeline-stages"), href="/pipeline/stages"),
        ),
        live_sync(),
        rx.hstack(rx.foreach(B.columns, kanban_column), spacing="3", align="start", overflow_x="auto", width="100%", padding_bottom="1rem", id="kanban-board"),
        lost_dialog(B.lost_id > 0, B.cancel_lost, B.mark_lost),
        width="100%",
        spacing="3",
    )


L = OpportunityListState


def _state_badge(state: rx.Var) -> rx.Component:
    return rx.box(
        rx.match(
            state,
            ("won", badge(t("sales.state.won"), "grass")),
            ("lost", badge(t("sales.state.lost"), "red")),
            badge(t("sales.state.open"), "blue"),
        ),
        class_name="opportunity-state",
    )


def _list_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["name"], href="/opportunities/" + row["id"].to_string(), weight="medium")),
        rx.table.cell(row["customer"]),
        rx.table.cell(row["stage"]),
        rx.table.cell(_state_badge(row["state"])),
        rx.table.cell(row["revenue"]),
        rx.table.cell(row["probability"].to_string() + "%"),
        rx.table.cell(row["weighted"]),
        rx.table.cell(row["closing"]),
        rx.table.cell(row["owner"]),
        id="opportunity-row-" + row["id"].to_string(),
    )


@staff_page("/opportunities", "sales.opportunities", on_load=L.load)
def opportunity_list() -> rx.Component:
    headers = [
        sort_header("sales.name", "name", L.sort, L.desc, L.sort_by),
        plain_header("sales.customer"),
        sort_header("sales.stage", "stage", L.sort, L.desc, L.sort_by),
        plain_header("sales.state"),
        sort_header("sales.revenue", "expected_revenue", L.sort, L.desc, L.sort_by),
        sort_header("sales.probability", "probability", L.sort, L.desc, L.sort_by),
        plain_header("sales.weighted"),
        sort_header("sales.expected_closing", "expected_closing", L.sort, L.desc, L.sort_by),
        sort_header("common.owner", "owner", L.sort, L.desc, L.sort_by),
    ]
    return rx.vstack(
        page_header(t("sales.opportunities"), export_menu(L, "opportunities"), rx.link(rx.button(rx.icon("kanban", size=16), t("sales.pipeline"), variant="soft"), href="/pipeline")),
        rx.hstack(
            rx.input(rx.input.slot(rx.icon("search", size=14)), placeholder=t("sales.search"), value=L.search, on_change=lambda v: L.set_filter("search", v), debounce_timeout=300, width="240px", id="opportunities-search"),
            rx.el.select(
                rx.el.option(t("common.all"), value=""),
                rx.el.option(t("sales.state.open"), value="open"),
                rx.el.option(t("sales.state.won"), value="won"),
                rx.el.option(t("sales.state.lost"), value="lost"),
                value=L.state_filter,
                on_change=lambda v: L.set_filter("state_filter", v),
                class_name="kaktus-select",
                id="opportunities-state",
            ),
            rx.el.select(
                rx.el.option(t("common.all"), value=""),
                rx.foreach(L.stages, lambda st: rx.el.option(st["name"], value=st["id"].to_string())),
                value=L.stage_filter,
                on_change=lambda v: L.set_filter("stage_filter", v),
                class_name="kaktus-select",
                id="opportunities-stage",
            ),
            rx.el.select(
                rx.el.option(t("customers.filter.any_owner"), value=""),
                rx.el.option(t("common.mine"), value="me"),
                value=L.owner_filter,
                on_change=lambda v: L.set_filter("owner_filter", v),
                class_name="kaktus-select",
                id="opportunities-owner",
            ),
            spacing="2",
            wrap="wrap",
        ),
        data_table(headers, L.rows, _list_row, table_id="opportunities-table"),
        pagination(L.page, L.pages, t("sales.cards", count=L.count_label), L.prev_page, L.next_page),
        width="100%",
        spacing="3",
    )


F = OpportunityFormState


def _stage_bar() -> rx.Component:
    return rx.hstack(
        rx.foreach(
            F.stages,
            lambda st: rx.button(
                st["name"],
                size="1",
                variant=rx.cond(st["id"] == F.record["stage_id"], "solid", "outline"),
                on_click=F.move(st["id"]),
                disabled=(F.record["state"] != "open") | (st["id"] == F.record["stage_id"]),
                id="stage-" + st["name"].to(str).lower(),
            ),
        ),
        spacing="1",
        wrap="wrap",
        id="stage-bar",
    )


def _input(name: str, label: str, **props) -> rx.Component:
    return protected("opportunities", name, label, lambda ro: text_input(name, F.values[name], disabled=ro, **props), F.errors[name])


def _form() -> rx.Component:
    return rx.form(
        card(
            rx.grid(
                _input("name", "sales.name"),
                field(
                    "sales.customer",
                    record_select("customer_id", F.customers, F.values["customer_id"], empty_label="—"),
                    F.errors["customer_id"],
                ),
                _input("expected_revenue", "sales.expected_revenue", placeholder="15.000.000"),
                _input("probability", "sales.probability", type="number", min=0, max=100),
                _input("expected_closing", "sales.expected_closing", type="date"),
                protected(
                    "opportunities",
                    "priority",
                    "sales.priority",
                    lambda ro: rx.el.select(
                        *[rx.el.option("★" * n if n else "☆", value=str(n)) for n in range(4)],
                        name="priority",
                        default_value=F.values["priority"],
                        class_name="kaktus-select",
                        id="field-priority",
                        disabled=ro,
                    ),
                    F.errors["priority"],
                ),
                field(
                    "common.owner",
                    record_select("owner_id", F.users, F.values["owner_id"]),
                    F.errors["owner_id"],
                ),
                _input("tags", "common.tags"),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            protected("opportunities", "memo", "sales.memo", lambda ro: text_area("memo", F.values["memo"], disabled=ro), F.errors["memo"]),
            rx.hstack(
                rx.text(t("sales.weighted"), ": ", size="2", color_scheme="gray"),
                rx.text(F.record["weighted_label"], size="2", weight="bold", id="weighted-revenue"),
            ),
            rx.cond(F.general_error != "", rx.callout(F.general_error, icon="triangle-alert", color_scheme="red", id="form-error")),
            rx.hstack(rx.button(rx.icon("save", size=16), t("common.save"), type="submit", id="opportunity-save")),
        ),
        on_submit=F.save,
        reset_on_submit=False,
        key=F.form_key.to_string(),
        width="100%",
    )


def _history() -> rx.Component:
    return card(
        rx.heading(t("sales.history"), size="3"),
        rx.foreach(
            F.history,
            lambda h: rx.hstack(
                rx.text(h["when"], size="1", color_scheme="gray", min_width="130px"),
                rx.text(h["from"], " → ", h["to"], size="2"),
                rx.cond(h["to_state"] != h["from_state"], badge(h["to_state"], "gray")),
                rx.spacer(),
                rx.text(h["who"], size="1", color_scheme="gray"),
                width="100%",
            ),
        ),
    )


@staff_page("/opportunities/[opportunity_id]", "sales.opportunity", on_load=[PipelineShared.join, F.load, RecordDocumentsState.load_for_opportunity])
def opportunity_form() -> rx.Component:
    return rx.cond(
        F.not_found,
        rx.callout(t("error.not_found"), icon="circle-alert", color_scheme="red"),
        rx.vstack(
            page_header(
                F.record["name"].to(str),
                _state_badge(F.record["state"].to(str)),
                rx.cond(
                    F.record["state"] == "open",
                    rx.hstack(
                        rx.button(rx.icon("trophy", size=14), t("sales.mark_won"), color_scheme="grass", on_click=F.mark_won, id="mark-won"),
                        rx.button(rx.icon("circle-x", size=14), t("sales.mark_lost"), color_scheme="red", variant="soft", on_click=F.set_lost_open(True), id="mark-lost"),
                    ),
                    rx.button(rx.icon("rotate-ccw", size=14), t("sales.restore"), variant="soft", on_click=F.restore, id="restore"),
                ),
                rx.link(rx.button(t("sales.pipeline"), variant="soft"), href="/pipeline"),
                subtitle=F.record["customer_name"].to(str),
            ),
            rx.cond(F.record["lost_reason"] != "", rx.callout(t("sales.lost_reason") + ": " + F.record["lost_reason"].to(str), icon="circle-x", color_scheme="red", size="1", id="lost-banner")),
            _stage_bar(),
            rx.grid(
                rx.vstack(
                    when_loaded(F.loaded, _form()),
                    opportunity_documents(),
                    _history(),
                    width="100%",
                    spacing="3",
                ),
                activity_panel("opportunity", F.opportunity_id, F.form_key),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="4",
                width="100%",
            ),
            lost_dialog(F.lost_open, F.set_lost_open, F.mark_lost, F.errors["lost_reason"]),
            width="100%",
            spacing="3",
        ),
    )


St = StageSettingsState


def _stage_row(stage: rx.Var) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="stage_id", value=stage["id"].to_string()),
            rx.input(name="name", default_value=stage["name"].to(str), width="220px", id="stage-name-" + stage["id"].to_string(), disabled=~St.can_edit),
            rx.input(name="probability", type="number", min=0, max=100, default_value=stage["probability"].to_string(), width="90px", disabled=~St.can_edit),
            rx.text("%", size="2"),
            rx.cond(stage["is_won"], badge(t("sales.state.won"), "grass")),
            badge(t("sales.cards", count=stage["count"]), "gray"),
            rx.spacer(),
            rx.cond(
                St.can_edit,
                rx.hstack(
                    rx.button(t("common.save"), type="submit", size="1", id="stage-save-" + stage["id"].to_string()),
                    rx.icon_button(rx.icon("arrow-up", size=14), size="1", variant="soft", type="button", on_click=St.move_stage(stage["id"], -1), aria_label="up"),
                    rx.icon_button(rx.icon("arrow-down", size=14), size="1", variant="soft", type="button", on_click=St.move_stage(stage["id"], 1), aria_label="down"),
                    rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="soft", color_scheme="red", type="button", on_click=St.delete_stage(stage["id"]), aria_label="delete"),
                ),
            ),
            width="100%",
            align="center",
            spacing="2",
        ),
        on_submit=St.save_stage,
        reset_on_submit=False,
        width="100%",
    )


@staff_page("/pipeline/stages", "sales.stages", on_load=St.load)
def stage_settings_page() -> rx.Component:
    return rx.vstack(
        page_header(t("sales.stages"), rx.link(rx.button(t("sales.pipeline"), variant="soft"), href="/pipeline"), subtitle=t("sales.stages_help")),
        rx.cond(~St.can_edit, rx.callout(t("sales.stages_managers_only"), icon="lock", size="1")),
        card(
            rx.foreach(St.stages, _stage_row),
            rx.cond(St.errors["name"], rx.text(St.errors["name"], color_scheme="red", size="1", class_name="field-error")),
            rx.cond(St.errors["probability"], rx.text(St.errors["probability"], color_scheme="red", size="1", class_name="field-error")),
            key=St.form_key.to_string(),
        ),
        rx.cond(
            St.can_edit,
            card(
                rx.form(
                    rx.hstack(
                        rx.input(name="name", placeholder=t("sales.stage_new"), width="220px", id="stage-new-name"),
                        rx.input(name="probability", type="number", min=0, max=100, placeholder="%", width="90px", id="stage-new-probability"),
                        rx.button(rx.icon("plus", size=14), t("sales.add"), type="submit", id="stage-add"),
                        align="center",
                        spacing="2",
                    ),
                    on_submit=St.add_stage,
                    reset_on_submit=True,
                ),
            ),
        ),
        width="100%",
        spacing="3",
    )
