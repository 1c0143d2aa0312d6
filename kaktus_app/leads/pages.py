"""Lead list (/leads), lead form (/leads/new, /leads/<id>) and the conversion dialog."""

from __future__ import annotations

import reflex as rx

from kaktus_app.activities.components import activity_panel
from kaktus_app.layout import staff_page
from kaktus_app.leads.models import LEAD_SOURCES
from kaktus_app.leads.state import LeadFormState, LeadListState
from kaktus_app.ui.components import (
    badge,
    card,
    data_table,
    dialog_buttons,
    export_menu,
    field,
    form_modal,
    modal,
    page_header,
    pagination,
    protected,
    record_select,
    select_field,
    sort_header,
    text_area,
    text_input,
    when_loaded,
)
from kaktus_app.ui.lang import t

L = LeadListState
F = LeadFormState
SOURCE_OPTIONS = [(s, f"leads.source.{s}") for s in LEAD_SOURCES]


def _status_badge(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        ("converted", badge(t("leads.status.converted"), "grass")),
        ("lost", badge(t("leads.status.lost"), "red")),
        badge(t("leads.status.open"), "blue"),
    )


def _source_label(source: rx.Var) -> rx.Component:
    return rx.match(source, *[(s, t(f"leads.source.{s}")) for s in LEAD_SOURCES], source)


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["title"], href="/leads/" + row["id"].to_string(), weight="medium")),
        rx.table.cell(row["company"]),
        rx.table.cell(_source_label(row["source"])),
        rx.table.cell(_status_badge(row["status"])),
        rx.table.cell(row["revenue"]),
        rx.table.cell(row["owner"]),
        rx.table.cell(row["created_at"]),
        id="lead-row-" + row["id"].to_string(),
    )


@staff_page("/leads", "leads.title", on_load=L.load)
def lead_list() -> rx.Component:
    headers = [
        sort_header("leads.field.title", "title", L.sort, L.desc, L.sort_by),
        sort_header("leads.company", "company_name", L.sort, L.desc, L.sort_by),
        sort_header("leads.source", "source", L.sort, L.desc, L.sort_by),
        sort_header("leads.status", "status", L.sort, L.desc, L.sort_by),
        sort_header("leads.expected_revenue", "expected_revenue", L.sort, L.desc, L.sort_by),
        rx.table.column_header_cell(t("common.owner")),
        sort_header("common.created_at", "created_at", L.sort, L.desc, L.sort_by),
    ]
    return rx.vstack(
        page_header(t("leads.title"), export_menu(L, "leads"), rx.link(rx.button(rx.icon("plus", size=16), t("leads.new"), id="leads-new"), href="/leads/new")),
        rx.hstack(
            rx.input(rx.input.slot(rx.icon("search", size=14)), placeholder=t("common.search"), value=L.search, on_change=lambda v: L.set_filter("search", v), debounce_timeout=300, width="240px", id="leads-search"),
            rx.el.select(
                rx.el.option(t("common.all"), value=""),
                *[rx.el.option(t(f"leads.status.{s}"), value=s) for s in ("open", "converted", "lost")],
                value=L.status,
                on_change=lambda v: L.set_filter("status", v),
                class_name="kaktus-select",
                id="leads-status",
            ),
            rx.el.select(
                rx.el.option(t("common.all"), value=""),
                *[rx.el.option(t(label), value=v) for v, label in SOURCE_OPTIONS],
                value=L.source,
                on_change=lambda v: L.set_filter("source", v),
                class_name="kaktus-select",
                id="leads-source",
            ),
            rx.el.select(
                rx.el.option(t("customers.filter.any_owner"), value=""),
                rx.el.option(t("common.mine"), value="me"),
                value=L.owner,
                on_change=lambda v: L.set_filter("owner", v),
                class_name="kaktus-select",
                id="leads-owner",
            ),
            spacing="2",
            wrap="wrap",
        ),
        data_table(headers, L.rows, _row, table_id="leads-table"),
        pagination(L.page, L.pages, t("common.rows_total", count=L.count_label), L.prev_page, L.next_page),
        width="100%",
        spacing="3",
    )


def _input(name: str, label: str, **props) -> rx.Component:
    return protected("leads", name, label, lambda ro: text_input(name, F.values[name], disabled=ro, **props), F.errors[name])


def _form() -> rx.Component:
    return rx.form(
        card(
            _input("title", "leads.field.title", placeholder="Nasi box 300 pax — rapat tahunan"),
            rx.grid(
                field(
                    "leads.customer",
                    record_select("customer_id", F.customers, F.values["customer_id"], empty_label=t("leads.customer_none")),
                    F.errors["customer_id"],
                ),
                _input("company_name", "leads.company_name"),
                _input("contact_name", "leads.contact_name"),
                _input("email", "common.email"),
                _input("phone", "common.phone"),
                _input("city", "common.city"),
                protected("leads", "source", "leads.source", lambda ro: select_field("source", SOURCE_OPTIONS, F.values["source"], disabled=ro), F.errors["source"]),
                _input("expected_revenue", "leads.expected_revenue", placeholder="25.000.000"),
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
            protected("leads", "memo", "leads.memo", lambda ro: text_area("memo", F.values["memo"], disabled=ro), F.errors["memo"]),
            rx.cond(F.general_error != "", rx.callout(F.general_error, icon="triangle-alert", color_scheme="red", id="form-error")),
            rx.cond(
                F.record["status"].to(str) != "converted",
                rx.hstack(rx.button(rx.icon("save", size=16), t("common.save"), type="submit", id="lead-save", size="3")),
            ),
        ),
        on_submit=F.save,
        reset_on_submit=False,
        key=F.form_key.to_string(),
        width="100%",
    )


def _radio(value: str, label_key: str, current: rx.Var, on_change, element_id: str) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.el.input(type="radio", checked=current == value, on_change=lambda _v: on_change(value), id=element_id, name=element_id.rsplit("-", 1)[0]),
            rx.text(t(label_key), size="2"),
            align="center",
            spacing="2",
        ),
        cursor="pointer",
    )


def _convert_dialog() -> rx.Component:
    customer_section = rx.vstack(
        rx.text(t("leads.related_customer"), weight="bold", size="2"),
        _radio("link", "leads.customer_mode.link", F.customer_mode, F.set_customer_mode, "convert-customer-link"),
        rx.cond(
            F.customer_mode == "link",
            rx.vstack(
                rx.text(t("leads.suggested"), size="1", color_scheme="gray"),
                rx.cond(F.matches.length() == 0, rx.text(t("leads.no_matches"), size="1", color_scheme="gray")),
                rx.foreach(
                    F.matches,
                    lambda m: rx.el.label(
                        rx.hstack(
                            rx.el.input(type="radio", name="convert-match", checked=F.chosen_customer == m["id"].to_string(), on_change=lambda _v: F.choose_customer(m["id"].to_string()), id="convert-match-" + m["id"].to_string()),
                            rx.text(m["name"], size="2", weight="medium"),
                            rx.text(m["city"], size="1", color_scheme="gray"),
                            align="center",
                            spacing="2",
                        ),
                        cursor="pointer",
                    ),
                ),
                rx.input(placeholder=t("leads.search_customer"), value=F.customer_query, on_change=F.search_customers, debounce_timeout=250, size="1", width="100%", id="convert-customer-search"),
                rx.foreach(F.customer_results, lambda c: rx.button(c["name"], size="1", variant="ghost", on_click=F.pick_customer(c["id"], c["name"]), class_name="convert-search-hit")),
                padding_left="1.5rem",
                spacing="1",
                width="100%",
            ),
        ),
        rx.cond(
            F.action == "convert",
            rx.vstack(
                _radio("create", "leads.customer_mode.create", F.customer_mode, F.set_customer_mode, "convert-customer-create"),
                _radio("none", "leads.customer_mode.none", F.customer_mode, F.set_customer_mode, "convert-customer-none"),
                spacing="1",
            ),
        ),
        spacing="2",
        width="100%",
    )
    return modal(
        t("leads.convert_title"),
        rx.vstack(
            rx.text(t("leads.conversion_action"), weight="bold", size="2"),
            _radio("convert", "leads.action.convert", F.action, F.set_action, "convert-action-convert"),
            _radio("merge", "leads.action.merge", F.action, F.set_action, "convert-action-merge"),
            rx.divider(),
            customer_section,
            rx.cond(
                F.action == "merge",
                rx.vstack(
                    rx.text(t("leads.merge_into"), weight="bold", size="2"),
                    rx.cond(
                        F.merge_choices.length() > 0,
                        rx.el.select(
                            rx.el.option("—", value=""),
                            rx.foreach(F.merge_choices, lambda o: rx.el.option(o["name"].to(str) + " · " + o["stage"].to(str) + " · " + o["expected_revenue"].to(str), value=o["id"].to_string())),
                            value=F.chosen_opportunity,
                            on_change=F.choose_opportunity,
                            class_name="kaktus-select",
                            id="convert-opportunity",
                        ),
                        rx.text(t("leads.no_open_opportunities"), size="2", color_scheme="gray"),
                    ),
                    width="100%",
                ),
            ),
            rx.cond(F.convert_error != "", rx.callout(F.convert_error, icon="triangle-alert", color_scheme="red", size="1", id="convert-error")),
            dialog_buttons(rx.button(t("leads.confirm_convert"), on_click=F.confirm_convert, id="convert-confirm")),
            spacing="3",
            width="100%",
        ),
        open=F.convert_open,
        on_open_change=F.set_convert_open,
        max_width="520px",
        id="convert-dialog",
    )


def _lost_dialog() -> rx.Component:
    return form_modal(
        t("leads.mark_lost"),
        field("leads.reason", rx.input(name="reason", id="lead-lost-reason", width="100%"), F.errors["lost_reason"]),
        submit=rx.button(t("leads.mark_lost"), type="submit", color_scheme="red", id="lead-lost-confirm"),
        on_submit=F.mark_lost,
        open=F.lost_open,
        on_open_change=F.set_lost_open,
        max_width="400px",
    )


@staff_page("/leads/[lead_id]", "leads.lead", on_load=F.load)
def lead_form() -> rx.Component:
    status = F.record["status"].to(str)
    return rx.cond(
        F.not_found,
        rx.callout(t("error.not_found"), icon="circle-alert", color_scheme="red"),
        rx.vstack(
            page_header(
                rx.cond(F.is_new, t("leads.new"), F.record["title"].to(str)),
                rx.cond(~F.is_new, _status_badge(status)),
                rx.cond(
                    status == "open",
                    rx.hstack(
                        rx.button(rx.icon("arrow-right-left", size=14), t("leads.convert"), on_click=F.open_convert, id="lead-convert"),
                        rx.button(t("leads.mark_lost"), variant="soft", color_scheme="red", on_click=F.set_lost_open(True), id="lead-mark-lost"),
                    ),
                ),
                rx.cond(status == "lost", rx.button(t("leads.reopen"), variant="soft", on_click=F.reopen, id="lead-reopen")),
                rx.link(rx.button(t("common.back"), variant="soft"), href="/leads"),
            ),
            rx.cond(
                status == "converted",
                rx.callout.root(
                    rx.callout.icon(rx.icon("circle-check")),
                    rx.callout.text(t("leads.converted_banner"), " ", rx.link(F.record["opportunity_name"].to(str), href="/opportunities/" + F.record["opportunity_id"].to_string(), id="converted-link")),
                    color_scheme="grass",
                ),
            ),
            rx.cond(status == "lost", rx.callout(t("leads.lost_banner", reason=F.record["lost_reason"].to(str)), icon="circle-x", color_scheme="red")),
            rx.grid(
                when_loaded(F.loaded, _form()),
                rx.cond(F.is_new, rx.fragment(), activity_panel("lead", F.lead_id, F.form_key)),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="4",
                width="100%",
            ),
            _convert_dialog(),
            _lost_dialog(),
            width="100%",
            spacing="3",
        ),
    )
