"""Staff help desk pages: /tickets, /tickets/board, /tickets/new, /tickets/<id>, /helpdesk/stats,
/faq (+ /faq/new, /faq/<id>) and /helpdesk/settings. Every ticket page joins the "helpdesk" live
channel on load and reloads when another user changes a ticket."""

from __future__ import annotations

import reflex as rx

from kaktus_app.helpdesk.components import (
    alerts_callout,
    attachment_links,
    bar_chart,
    board_column,
    conversation,
    kpi,
    options,
    priority_badge,
    sla_badge,
    status_badge,
)
from kaktus_app.helpdesk.state import (
    CHANNEL,
    NEW_TICKET_UPLOAD,
    REPLY_UPLOAD,
    FaqEditState,
    FaqListState,
    HelpdeskStatsState,
    NewTicketState,
    SlaSettingsState,
    TicketBoardState,
    TicketListState,
    TicketState,
)
from kaktus_app.layout import staff_page
from kaktus_app.ui.components import (
    badge,
    card,
    data_table,
    export_menu,
    field,
    page_header,
    pagination,
    plain_header,
    record_select,
    select_field,
    tag_list,
    text_input,
    when_loaded,
)
from kaktus_app.ui.lang import t
from kaktus_app.ui.live import LiveSignal, reload_on_change

JOIN = LiveSignal.join(CHANNEL)
SORT_OPTIONS = (
    ("-updated", "hd.sort.updated"),
    ("-created", "hd.sort.newest"),
    ("created", "hd.sort.oldest"),
    ("priority", "hd.sort.priority"),
    ("due", "hd.sort.due"),
    ("-number", "hd.sort.number"),
)


def _select(name: str, items: rx.Var, value: rx.Var, *, empty_label: rx.Var | str | None = None, **props) -> rx.Component:
    """A form <select> over {"value", "label"} options, with an optional first empty choice."""
    return rx.el.select(
        *([rx.el.option(empty_label, value="")] if empty_label is not None else []),
        options(items),
        name=name,
        default_value=value,
        class_name="kaktus-select",
        id=f"field-{name}",
        **props,
    )


def _filter(name: str, value: rx.Var, all_key: str, *choices: rx.Component, on_change) -> rx.Component:
    return rx.el.select(
        rx.el.option(t(all_key), value=""),
        *choices,
        value=value,
        on_change=lambda v: on_change(name, v),
        class_name="kaktus-select",
        id=f"tickets-filter-{name}",
    )


def _upload(upload_id: str, hint_key: str) -> rx.Component:
    """A drop zone that keeps the chosen files in the browser until the form is sent with them."""
    return rx.vstack(
        rx.upload(
            rx.hstack(rx.icon("paperclip", size=16), rx.text(t(hint_key), size="1"), align="center", spacing="2"),
            id=upload_id,
            multiple=True,
            border=f"1px dashed {rx.color('gray', 7)}",
            border_radius="var(--radius-3)",
            padding="0.6rem",
            width="100%",
            cursor="pointer",
        ),
        rx.hstack(
            rx.foreach(rx.selected_files(upload_id), lambda name: badge(name, "gray")),
            spacing="1",
            wrap="wrap",
            class_name="selected-files",
            id=f"{upload_id}-selected",
        ),
        width="100%",
        spacing="1",
    )


# ---------------------------------------------------------------------------------------- /tickets

L = TicketListState


def _list_filters() -> rx.Component:
    f = L.filters
    return rx.flex(
        rx.input(
            rx.input.slot(rx.icon("search", size=14)),
            placeholder=t("hd.tickets.search"),
            value=f["search"],
            on_change=lambda v: L.set_filter("search", v),
            debounce_timeout=300,
            width="240px",
            id="tickets-search",
        ),
        _filter("status", f["status"], "hd.filter.any_status", rx.el.option(t("hd.filter.open"), value="open"), options(L.statuses), on_change=L.set_filter),
        _filter("priority", f["priority"], "hd.filter.any_priority", options(L.priorities), on_change=L.set_filter),
        _filter("category", f["category"], "hd.filter.any_category", options(L.categories), on_change=L.set_filter),
        _filter(
            "assignee", f["assignee"], "hd.filter.any_assignee",
            rx.el.option(t("hd.filter.mine"), value="me"), rx.el.option(t("helpdesk.unassigned"), value="none"), options(L.agents),
            on_change=L.set_filter,
        ),
        _filter("sla", f["sla"], "hd.filter.any_sla", rx.el.option(t("helpdesk.sla.breached"), value="breached"), rx.el.option(t("helpdesk.sla.due_soon"), value="due_soon"), on_change=L.set_filter),
        rx.el.select(
            *[rx.el.option(t(label), value=value) for value, label in SORT_OPTIONS],
            value=L.sort,
            on_change=L.set_sort,
            class_name="kaktus-select",
            id="tickets-sort",
            aria_label="Sort",
        ),
        rx.cond(
            L.company_id > 0,
            rx.badge(rx.icon("building-2", size=12), L.company_name, rx.icon("x", size=12, cursor="pointer", on_click=L.clear_filters), variant="soft", size="2", id="tickets-company-filter"),
        ),
        rx.button(t("common.clear"), variant="ghost", on_click=L.clear_filters, id="tickets-filters-clear"),
        wrap="wrap",
        gap="2",
        align="center",
        width="100%",
    )


def _list_row(row: rx.Var) -> rx.Component:
    link = "/tickets/" + row["id"].to_string()
    return rx.table.row(
        rx.table.cell(rx.link(row["number"], href=link, weight="medium", white_space="nowrap")),
        rx.table.cell(
            rx.vstack(
                rx.link(row["title"], href=link, weight="medium", class_name="ticket-row-title"),
                rx.cond(row["tags"].to(list).length() > 0, tag_list(row["tags"])),
                spacing="1",
            )
        ),
        rx.table.cell(rx.vstack(rx.text(row["company_name"], size="2"), rx.text(row["contact_name"], size="1", color_scheme="gray"), spacing="0")),
        rx.table.cell(row["category_label"]),
        rx.table.cell(priority_badge(row["priority"], row["priority_label"])),
        rx.table.cell(status_badge(row["status"], row["status_label"])),
        rx.table.cell(rx.cond(row["assignee_name"] != "", row["assignee_name"], rx.text(t("helpdesk.unassigned"), color_scheme="gray", size="2"))),
        rx.table.cell(sla_badge(row["sla_state"], row["sla_state_label"], row["sla_label"])),
        rx.table.cell(rx.text(row["updated_label"], size="1", white_space="nowrap")),
        id="ticket-row-" + row["id"].to_string(),
        class_name="ticket-row",
        data_sla=row["sla_state"],
    )


@staff_page("/tickets", "hd.tickets.title", on_load=[JOIN, L.load])
def ticket_list() -> rx.Component:
    headers = [
        plain_header("hd.col.number"),
        plain_header("hd.field.title"),
        plain_header("hd.col.customer"),
        plain_header("hd.field.category"),
        plain_header("hd.field.priority"),
        plain_header("hd.col.status"),
        plain_header("hd.field.assignee_id"),
        plain_header("hd.col.sla"),
        plain_header("common.updated_at"),
    ]
    return rx.vstack(
        reload_on_change(L.refresh),
        page_header(
            t("hd.tickets.title"),
            export_menu(L, "tickets"),
            rx.link(rx.button(rx.icon("square-kanban", size=16), t("hd.board.title"), variant="soft", id="tickets-board-link"), href="/tickets/board"),
            rx.cond(L.can_create, rx.link(rx.button(rx.icon("plus", size=16), t("hd.tickets.new"), id="tickets-new"), href="/tickets/new")),
        ),
        alerts_callout(L.alerts),
        _list_filters(),
        data_table(headers, L.rows, _list_row, table_id="tickets-table"),
        pagination(L.page, L.pages, t("hd.tickets.count", count=L.count_label), L.prev_page, L.next_page),
        width="100%",
        spacing="3",
    )


# ---------------------------------------------------------------------------------- /tickets/board

B = TicketBoardState


@staff_page("/tickets/board", "hd.board.title", on_load=[JOIN, B.load])
def ticket_board() -> rx.Component:
    return rx.vstack(
        reload_on_change(B.refresh),
        page_header(
            t("hd.board.title"),
            rx.hstack(rx.switch(checked=B.mine, on_change=B.toggle_mine, id="board-mine"), rx.text(t("hd.filter.mine"), size="2"), align="center"),
            rx.input(
                rx.input.slot(rx.icon("search", size=14)),
                placeholder=t("hd.tickets.search"),
                value=B.search,
                on_change=B.set_search,
                debounce_timeout=300,
                width="220px",
                id="board-search",
            ),
            rx.link(rx.button(rx.icon("list", size=16), t("hd.tickets.title"), variant="soft"), href="/tickets"),
            rx.link(rx.button(rx.icon("plus", size=16), t("hd.tickets.new"), id="board-new"), href="/tickets/new"),
        ),
        rx.text(t("hd.board.hint"), size="1", color_scheme="gray"),
        rx.hstack(
            rx.foreach(B.columns, board_column),
            spacing="3",
            align="start",
            overflow_x="auto",
            width="100%",
            # the shell's content column grows with its widest child: keep the board inside the window
            max_width=rx.breakpoints(initial="calc(100vw - 2.5rem)", md="calc(100vw - 220px - 2.5rem)"),
            padding_bottom="1rem",
            id="ticket-board",
        ),
        width="100%",
        spacing="3",
    )


# ------------------------------------------------------------------------------------ /tickets/new

N = NewTicketState


def _new_form() -> rx.Component:
    v, e = N.values, N.errors
    return rx.form(
        rx.vstack(
            card(
                field("hd.field.title", text_input("title", v["title"], max_length=200), e["title"]),
                field("hd.field.description", rx.text_area(name="description", default_value=v["description"], id="field-description", width="100%", rows="6"), e["description"]),
                rx.grid(
                    field(
                        "hd.field.company_id",
                        rx.vstack(
                            rx.input(
                                rx.input.slot(rx.icon("search", size=14)),
                                placeholder=t("hd.new.company_search"),
                                value=N.company_query,
                                on_change=N.set_company_query,
                                debounce_timeout=300,
                                id="company-search",
                                name="company_query",
                                width="100%",
                            ),
                            rx.el.select(
                                rx.el.option(t("hd.new.choose_company"), value=""),
                                rx.foreach(N.companies, lambda c: rx.el.option(c["name"], value=c["id"].to_string())),
                                name="company_id",
                                value=v["company_id"],
                                on_change=N.pick_company,
                                class_name="kaktus-select",
                                id="field-company_id",
                            ),
                            spacing="1",
                            width="100%",
                        ),
                        e["company_id"],
                    ),
                    field(
                        "hd.field.contact_id",
                        rx.el.select(
                            rx.el.option(t("hd.new.no_contact"), value=""),
                            rx.foreach(N.contacts, lambda c: rx.el.option(c["name"], value=c["id"].to_string())),
                            name="contact_id",
                            value=v["contact_id"],
                            on_change=N.pick_contact,
                            class_name="kaktus-select",
                            id="field-contact_id",
                        ),
                        e["contact_id"],
                    ),
                    field("hd.field.category", select_field("category", N.categories, v["category"]), e["category"]),
                    field("hd.field.priority", select_field("priority", N.priorities, v["priority"]), e["priority"]),
                    field("hd.field.channel", select_field("channel", N.channels, v["channel"]), e["channel"]),
                    field("hd.field.product_id", record_select("product_id", N.products, v["product_id"], empty_label="—"), e["product_id"]),
                    field(
                        "hd.field.order_id",
                        rx.el.select(
                            rx.el.option("—", value=""),
                            options(N.orders),
                            name="order_id",
                            value=v["order_id"],
                            on_change=N.pick_order,
                            class_name="kaktus-select",
                            id="field-order_id",
                        ),
                        e["order_id"],
                    ),
                    field("hd.field.team_id", _select("team_id", N.teams, v["team_id"], empty_label=t("hd.new.default_team")), e["team_id"]),
                    field("hd.field.assignee_id", _select("assignee_id", N.agents, v["assignee_id"], empty_label=t("hd.new.round_robin")), e["assignee_id"]),
                    field("common.tags", text_input("tags", v["tags"], placeholder=t("hd.new.tags_hint")), e["tags"]),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                field("hd.field.attachments", _upload(NEW_TICKET_UPLOAD, "hd.upload.hint"), e["attachments"]),
            ),
            rx.cond(N.general_error != "", rx.callout(N.general_error, icon="triangle-alert", color_scheme="red", id="form-error")),
            rx.hstack(
                rx.button(rx.icon("send", size=16), t("hd.new.create"), type="submit", size="3", id="ticket-create"),
                rx.link(rx.button(t("common.cancel"), variant="soft", size="3", type="button"), href="/tickets"),
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=lambda form: N.create(rx.upload_files(upload_id=NEW_TICKET_UPLOAD), form),
        reset_on_submit=False,
        key=N.form_key.to_string(),
        width="100%",
        max_width="900px",
    )


@staff_page("/tickets/new", "hd.tickets.new", on_load=[JOIN, N.load])
def new_ticket() -> rx.Component:
    return rx.vstack(
        page_header(t("hd.tickets.new"), rx.link(rx.button(t("common.back"), variant="soft"), href="/tickets")),
        _new_form(),
        width="100%",
        spacing="3",
    )


# ------------------------------------------------------------------------------ /tickets/<id>

T = TicketState


def _status_buttons() -> rx.Component:
    return rx.hstack(
        rx.foreach(
            T.allowed_statuses,
            lambda s: rx.button(
                s["label"],
                size="2",
                variant="soft",
                color_scheme=rx.match(s["value"], ("resolved", "grass"), ("closed", "gray"), ("reopen", "orange"), ("waiting", "purple"), "blue"),
                on_click=T.change_status(s["value"]),
                id="status-" + s["value"],
                class_name="ticket-status-action",
            ),
        ),
        spacing="2",
        wrap="wrap",
        id="status-actions",
    )


def _sla_line(label_key: str, due: rx.Var, done_key: str, done: rx.Var, element_id: str) -> rx.Component:
    breached = T.ticket["sla_state"] == "breached"
    return rx.hstack(
        rx.text(t(label_key), size="2", color_scheme="gray", min_width="150px"),
        rx.text(due, size="2", weight="medium", id=element_id, color=rx.cond(breached & (done == ""), rx.color("red", 11), rx.color("gray", 12))),
        rx.cond(done != "", rx.text("· ", t(done_key), " ", done, size="1", color_scheme="gray")),
        align="center",
        spacing="2",
        wrap="wrap",
    )


def _sla_panel() -> rx.Component:
    state = T.ticket["sla_state"].to(str)
    return rx.box(
        rx.hstack(
            rx.icon("timer", size=16),
            rx.text(t("hd.sla.title"), weight="bold", size="2"),
            sla_badge(state, T.ticket["sla_state_label"].to(str), T.ticket["sla_label"].to(str)),
            align="center",
            spacing="2",
        ),
        _sla_line("hd.sla.first_response_due", T.ticket["first_response_due_label"].to(str), "hd.sla.answered", T.ticket["first_response_at_label"].to(str), "sla-first-response-due"),
        _sla_line("hd.sla.resolution_due", T.ticket["resolution_due_label"].to(str), "hd.sla.resolved", T.ticket["resolved_at_label"].to(str), "sla-resolution-due"),
        padding="0.6rem 0.8rem",
        border_radius="8px",
        width="100%",
        border=rx.match(state, ("breached", f"1px solid {rx.color('red', 8)}"), ("due_soon", f"1px solid {rx.color('orange', 8)}"), f"1px solid {rx.color('gray', 5)}"),
        background=rx.match(state, ("breached", rx.color("red", 2)), ("due_soon", rx.color("orange", 2)), rx.color("gray", 2)),
        id="ticket-sla",
        data_sla=state,
    )


def _composer() -> rx.Component:
    note = T.compose_mode == "note"
    return card(
        rx.hstack(
            rx.button(
                rx.icon("reply", size=14), t("hd.compose.reply"), type="button", size="2",
                variant=rx.cond(note, "outline", "solid"), color_scheme="grass", on_click=T.set_compose_mode("reply"), id="compose-reply",
            ),
            rx.button(
                rx.icon("lock", size=14), t("hd.compose.note"), type="button", size="2",
                variant=rx.cond(note, "solid", "outline"), color_scheme="amber", on_click=T.set_compose_mode("note"), id="compose-note",
            ),
            rx.spacer(),
            rx.text(rx.cond(note, t("hd.compose.note_hint"), t("hd.compose.reply_hint")), size="1", color_scheme="gray"),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.form(
            rx.vstack(
                rx.text_area(
                    name="body",
                    id="reply-body",
                    rows="4",
                    width="100%",
                    placeholder=rx.cond(note, t("hd.compose.note_placeholder"), t("hd.compose.reply_placeholder")),
                    style={"background": rx.cond(note, rx.color("amber", 3), "transparent")},
                ),
                rx.cond(T.compose_error != "", rx.text(T.compose_error, color_scheme="red", size="1", class_name="field-error", id="error-body")),
                _upload(REPLY_UPLOAD, "hd.upload.hint"),
                rx.hstack(
                    rx.cond(
                        note,
                        rx.button(rx.icon("lock", size=14), t("hd.compose.send_note"), type="submit", color_scheme="amber", id="send-note"),
                        rx.button(rx.icon("send", size=14), t("hd.compose.send_reply"), type="submit", color_scheme="grass", id="send-reply"),
                    ),
                    justify="end",
                    width="100%",
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=lambda form: T.send(rx.upload_files(upload_id=REPLY_UPLOAD), form),
            reset_on_submit=False,
            key=T.compose_key.to_string(),
            width="100%",
        ),
        id="ticket-composer",
        background=rx.cond(note, rx.color("amber", 2), rx.color("gray", 1)),
    )


def _side_form() -> rx.Component:
    r, e = T.ticket, T.errors
    return card(
        rx.heading(t("common.details"), size="3"),
        rx.form(
            rx.vstack(
                field("hd.field.category", select_field("category", T.categories, r["category"].to(str)), e["category"]),
                field("hd.field.priority", select_field("priority", T.priorities, r["priority"].to(str)), e["priority"]),
                field("hd.field.assignee_id", _select("assignee_id", T.agents, r["assignee_id"].to(str), empty_label=t("helpdesk.unassigned")), e["assignee_id"]),
                field("hd.field.team_id", _select("team_id", T.teams, r["team_id"].to(str), empty_label="—"), e["team_id"]),
                field("common.tags", text_input("tags", r["tags_text"].to(str)), e["tags"]),
                rx.cond(T.general_error != "", rx.text(T.general_error, color_scheme="red", size="1", id="form-error")),
                rx.button(rx.icon("save", size=14), t("common.save"), type="submit", id="ticket-save-fields", width="100%"),
                spacing="3",
                width="100%",
            ),
            on_submit=T.save_fields,
            reset_on_submit=False,
            key=T.form_key.to_string(),
            width="100%",
        ),
    )


def _info_line(label_key: str, value: rx.Component | rx.Var) -> rx.Component:
    return rx.hstack(rx.text(t(label_key), size="1", color_scheme="gray", min_width="100px"), rx.box(value, font_size="13px"), align="start", width="100%")


def _customer_card() -> rx.Component:
    r = T.ticket
    return card(
        rx.heading(t("hd.col.customer"), size="3"),
        _info_line("hd.field.company_id", rx.cond(r["company_id"].to(str) != "", rx.link(r["company_name"].to(str), href="/customers/" + r["company_id"].to(str)), "—")),
        rx.cond(r["contact_name"].to(str) != "", _info_line("hd.field.contact_id", rx.text(r["contact_name"].to(str)))),
        rx.cond(r["portal_user_name"].to(str) != "", _info_line("hd.info.portal_user", rx.text(r["portal_user_name"].to(str)))),
        rx.cond(r["product_name"].to(str) != "", _info_line("hd.field.product_id", rx.text(r["product_name"].to(str)))),
        rx.cond(
            r["order_number"].to(str) != "",
            _info_line("hd.field.order_id", rx.link(r["order_number"].to(str), href="/quotations/" + r["order_id"].to_string())),
        ),
        rx.cond(r["order_number"].to(str) != "", _info_line("hd.info.order", rx.text(r["order_number"].to(str)))),
        _info_line("hd.field.channel", rx.text(r["channel_label"].to(str))),
        _info_line("common.created_at", rx.text(r["created_label"].to(str))),
        _info_line("common.updated_at", rx.text(r["updated_label"].to(str))),
    )


def _article_card() -> rx.Component:
    article_id = T.ticket["article_id"].to(str)
    return card(
        rx.heading(t("hd.article.title"), size="3"),
        rx.el.select(
            rx.el.option(t("hd.article.none"), value=""),
            options(T.articles),
            value=article_id,
            on_change=T.link_article,
            class_name="kaktus-select",
            id="ticket-article",
        ),
        rx.cond(article_id != "", rx.link(rx.icon("book-open", size=14), " ", T.ticket["article_title"].to(str), href="/faq/" + article_id, size="2", id="ticket-article-link")),
    )


def _merge_card() -> rx.Component:
    return card(
        rx.heading(t("hd.merge.title"), size="3"),
        rx.text(t("hd.merge.help"), size="1", color_scheme="gray"),
        rx.form(
            rx.hstack(
                rx.input(name="number", placeholder="TK-00012", default_value=T.merge_number, id="merge-number", width="100%"),
                rx.button(rx.icon("merge", size=14), t("hd.merge.submit"), type="submit", variant="soft", color_scheme="orange", id="merge-submit"),
                width="100%",
            ),
            on_submit=T.merge,
            reset_on_submit=False,
            width="100%",
        ),
        rx.cond(T.merge_error != "", rx.text(T.merge_error, color_scheme="red", size="1", class_name="field-error", id="error-merge")),
    )


def _merged_banners() -> rx.Component:
    return rx.fragment(
        rx.cond(
            T.ticket["merged_into_id"].to(int) > 0,
            rx.callout.root(
                rx.callout.icon(rx.icon("merge")),
                rx.callout.text(
                    t("hd.merge.merged_into"), " ",
                    rx.link(T.ticket["merged_into_number"].to(str), href="/tickets/" + T.ticket["merged_into_id"].to_string()),
                ),
                color_scheme="orange",
                id="merged-into",
                width="100%",
            ),
        ),
        rx.cond(
            T.merged_from.length() > 0,
            rx.hstack(
                rx.text(t("hd.merge.merged_from"), size="2", color_scheme="gray"),
                rx.foreach(T.merged_from, lambda m: rx.link(m["number"].to(str), " ", m["title"].to(str), href="/tickets/" + m["id"].to_string(), size="2")),
                spacing="2",
                wrap="wrap",
                id="merged-from",
            ),
        ),
    )


def _ticket_body() -> rx.Component:
    r = T.ticket
    locked = (r["merged_into_id"].to(int) > 0) | ~T.can_update  # a merged ticket, or a read-only user: no edits
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    rx.text(r["number"].to(str), size="3", color_scheme="gray", weight="medium", id="ticket-number"),
                    status_badge(r["status"].to(str), r["status_label"].to(str), "ticket-status"),
                    priority_badge(r["priority"].to(str), r["priority_label"].to(str)),
                    rx.badge(r["category_label"].to(str), variant="outline", color_scheme="gray"),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                rx.heading(r["title"].to(str), size="6", id="page-title", style={"overflow_wrap": "anywhere"}),
                rx.text(r["company_name"].to(str), rx.cond(r["contact_name"].to(str) != "", " · " + r["contact_name"].to(str), ""), color_scheme="gray", size="2"),
                spacing="1",
                min_width="0",
                flex="1",
            ),
            rx.hstack(
                rx.link(rx.button(rx.icon("list", size=16), t("hd.tickets.title"), variant="soft"), href="/tickets"),
                rx.link(rx.button(rx.icon("square-kanban", size=16), t("hd.board.title"), variant="soft"), href="/tickets/board"),
                spacing="2",
            ),
            width="100%",
            align="start",
            wrap="wrap",
        ),
        _merged_banners(),
        rx.cond(T.can_update, _status_buttons()),
        _sla_panel(),
        rx.grid(
            rx.vstack(
                card(
                    rx.heading(t("hd.field.description"), size="3"),
                    rx.cond(
                        r["description"].to(str) != "",
                        rx.text(r["description"].to(str), size="2", white_space="pre-wrap", id="ticket-description", style={"overflow_wrap": "anywhere"}),
                        rx.text(t("hd.ticket.no_description"), size="2", color_scheme="gray"),
                    ),
                    attachment_links(T.files),
                    rx.cond(r["tags"].to(list).length() > 0, tag_list(r["tags"])),
                ),
                card(rx.heading(t("hd.timeline.title"), size="3"), conversation(T.messages)),
                rx.cond(locked, rx.fragment(), _composer()),
                spacing="3",
                width="100%",
                min_width="0",
            ),
            rx.vstack(
                rx.cond(locked, rx.fragment(), _side_form()),
                _customer_card(),
                _article_card(),
                rx.cond(locked, rx.fragment(), _merge_card()),
                spacing="3",
                width="100%",
            ),
            columns=rx.breakpoints(initial="1", lg="3fr 1fr"),
            spacing="4",
            width="100%",
        ),
        width="100%",
        spacing="3",
    )


@staff_page("/tickets/[ticket_id]", "hd.ticket.title", on_load=[JOIN, T.load])
def ticket_page() -> rx.Component:
    return rx.vstack(
        reload_on_change(T.refresh),
        rx.cond(
            T.not_found,
            rx.callout(t("hd.ticket.not_found"), icon="circle-alert", color_scheme="red", id="ticket-not-found"),
            when_loaded(T.loaded, _ticket_body()),
        ),
        width="100%",
    )


# -------------------------------------------------------------------------------- /helpdesk/stats

S = HelpdeskStatsState


def _agent_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["name"]),
        rx.table.cell(row["created"]),
        rx.table.cell(row["open"]),
        rx.table.cell(row["resolved"]),
        rx.table.cell(rx.text(row["breaches"], color=rx.cond(row["breaches"].to(int) > 0, rx.color("red", 11), rx.color("gray", 12)))),
        rx.table.cell(row["avg_first_response_label"]),
        rx.table.cell(row["avg_resolution_label"]),
        class_name="agent-row",
    )


@staff_page("/helpdesk/stats", "hd.stats.title", on_load=[JOIN, S.load])
def helpdesk_stats() -> rx.Component:
    return rx.vstack(
        reload_on_change(S.refresh),
        page_header(t("hd.stats.title"), rx.link(rx.button(rx.icon("list", size=16), t("hd.tickets.title"), variant="soft"), href="/tickets"), subtitle=t("hd.stats.subtitle")),
        rx.cond(~S.allowed, rx.callout(t("error.permission_denied"), icon="lock", color_scheme="red")),
        alerts_callout(S.alerts, "stats-alerts"),
        card(
            rx.form(
                rx.hstack(
                    rx.text(t("hd.stats.period"), size="2"),
                    rx.input(type="date", name="date_from", default_value=S.date_from, key=S.date_from, id="stats-date-from", size="2"),
                    rx.text("–", size="2"),
                    rx.input(type="date", name="date_to", default_value=S.date_to, key=S.date_to, id="stats-date-to", size="2"),
                    rx.button(t("hd.stats.apply"), type="submit", variant="soft", id="stats-apply"),
                    rx.button(t("common.clear"), type="button", variant="ghost", on_click=S.clear_dates, id="stats-clear"),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                on_submit=S.set_dates,
                reset_on_submit=False,
            ),
            rx.cond(S.date_error != "", rx.text(S.date_error, color_scheme="red", size="1", class_name="field-error", id="error-date")),
        ),
        rx.grid(
            kpi("hd.stats.created", S.kpis["created"], "kpi-created"),
            kpi("hd.stats.resolved", S.kpis["resolved"], "kpi-resolved", "grass"),
            kpi("hd.stats.breaches", S.kpis["breaches"], "kpi-breaches", "red"),
            kpi("hd.stats.avg_first_response", S.kpis["first_response"], "kpi-first-response"),
            kpi("hd.stats.avg_resolution", S.kpis["resolution"], "kpi-resolution"),
            columns=rx.breakpoints(initial="2", md="5"),
            spacing="3",
            width="100%",
        ),
        rx.text(t("hd.stats.open_now"), size="2", color_scheme="gray"),
        rx.grid(
            bar_chart("hd.stats.by_status", S.fig_status, "chart-status"),
            bar_chart("hd.stats.by_priority", S.fig_priority, "chart-priority"),
            bar_chart("hd.stats.by_category", S.fig_category, "chart-category"),
            columns=rx.breakpoints(initial="1", md="2", xl="3"),
            spacing="3",
            width="100%",
        ),
        card(
            rx.heading(t("hd.stats.per_agent"), size="3"),
            data_table(
                [
                    plain_header("hd.stats.agent"),
                    plain_header("hd.stats.created"),
                    plain_header("hd.stats.open"),
                    plain_header("hd.stats.resolved"),
                    plain_header("hd.stats.breaches"),
                    plain_header("hd.stats.avg_first_response"),
                    plain_header("hd.stats.avg_resolution"),
                ],
                S.per_agent,
                _agent_row,
                table_id="agents-table",
            ),
        ),
        width="100%",
        spacing="3",
    )


# ------------------------------------------------------------------------------------------- /faq

FL = FaqListState
LANGUAGE_OPTIONS = (("en", "hd.faq.lang.en"), ("id", "hd.faq.lang.id"))


def _faq_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(row["title"], href="/faq/" + row["id"].to_string(), weight="medium"),
                rx.text(row["excerpt"], size="1", color_scheme="gray"),
                spacing="1",
            )
        ),
        rx.table.cell(row["category_name"]),
        rx.table.cell(rx.match(row["language"], ("id", badge("ID", "orange")), badge("EN", "blue"))),
        rx.table.cell(rx.cond(row["published"].to(bool), badge(t("hd.faq.published"), "grass"), badge(t("hd.faq.draft"), "gray"))),
        rx.table.cell(row["views"]),
        rx.table.cell(rx.hstack(rx.icon("thumbs-up", size=12), rx.text(row["helpful_yes"]), rx.icon("thumbs-down", size=12), rx.text(row["helpful_no"]), spacing="1", align="center")),
        rx.table.cell(rx.text(row["updated_label"], size="1")),
        id="faq-row-" + row["id"].to_string(),
        class_name="faq-row",
    )


def _category_row(category: rx.Var) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="category_id", value=category["id"].to_string()),
            rx.input(name="name", default_value=category["name_en"].to(str), width="180px", aria_label="Name (English)"),
            rx.input(name="name_id", default_value=category["name_id"].to(str), width="180px", aria_label="Nama (Indonesia)"),
            rx.input(name="position", type="number", default_value=category["position"].to_string(), width="70px", aria_label="Position"),
            badge(category["count"].to_string(), "gray"),
            rx.button(t("common.save"), type="submit", size="1", variant="soft", id="category-save-" + category["id"].to_string()),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        on_submit=FL.save_category,
        reset_on_submit=False,
        width="100%",
        class_name="faq-category",
    )


def _categories_card() -> rx.Component:
    e = FL.category_errors
    return card(
        rx.heading(t("hd.faq.categories"), size="3"),
        rx.text(t("hd.faq.categories_help"), size="1", color_scheme="gray"),
        rx.vstack(rx.foreach(FL.categories, _category_row), spacing="2", width="100%", key=FL.category_key.to_string()),
        rx.form(
            rx.hstack(
                rx.input(name="name", placeholder=t("hd.faq.category_name_en"), width="180px", id="category-new-name"),
                rx.input(name="name_id", placeholder=t("hd.faq.category_name_id"), width="180px", id="category-new-name-id"),
                rx.input(name="position", type="number", default_value="0", width="70px", id="category-new-position"),
                rx.button(rx.icon("plus", size=14), t("hd.faq.add_category"), type="submit", size="1", id="category-add"),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            on_submit=FL.save_category,
            reset_on_submit=False,
            key=FL.category_key.to_string(),
            width="100%",
        ),
        *[rx.cond(e[name], rx.text(e[name], color_scheme="red", size="1", class_name="field-error", id=f"error-category-{name}")) for name in ("name", "name_id", "position")],
    )


@staff_page("/faq", "hd.faq.title", on_load=FL.load)
def faq_list() -> rx.Component:
    headers = [
        plain_header("hd.faq.field.title"),
        plain_header("hd.faq.field.category_id"),
        plain_header("hd.faq.field.language"),
        plain_header("hd.faq.state"),
        plain_header("hd.faq.views"),
        plain_header("hd.faq.helpful"),
        plain_header("common.updated_at"),
    ]
    return rx.vstack(
        page_header(
            t("hd.faq.title"),
            rx.cond(FL.can_edit, rx.link(rx.button(rx.icon("plus", size=16), t("hd.faq.new"), id="faq-new"), href="/faq/new")),
            subtitle=t("hd.faq.subtitle"),
        ),
        rx.flex(
            rx.input(
                rx.input.slot(rx.icon("search", size=14)),
                placeholder=t("hd.faq.search"),
                value=FL.search,
                on_change=lambda v: FL.set_filter("search", v),
                debounce_timeout=300,
                width="260px",
                id="faq-search",
            ),
            rx.el.select(
                rx.el.option(t("hd.faq.any_category"), value=""),
                rx.foreach(FL.categories, lambda c: rx.el.option(c["name"], value=c["id"].to_string())),
                value=FL.category,
                on_change=lambda v: FL.set_filter("category", v),
                class_name="kaktus-select",
                id="faq-filter-category",
            ),
            rx.el.select(
                rx.el.option(t("hd.faq.any_language"), value=""),
                *[rx.el.option(t(label), value=value) for value, label in LANGUAGE_OPTIONS],
                value=FL.language,
                on_change=lambda v: FL.set_filter("language", v),
                class_name="kaktus-select",
                id="faq-filter-language",
            ),
            wrap="wrap",
            gap="2",
            align="center",
        ),
        data_table(headers, FL.rows, _faq_row, table_id="faq-table"),
        pagination(FL.page, FL.pages, t("hd.faq.count", count=FL.count_label), FL.prev_page, FL.next_page),
        rx.cond(FL.can_edit, _categories_card()),
        width="100%",
        spacing="3",
    )


FE = FaqEditState


def _faq_form() -> rx.Component:
    v, e = FE.values, FE.errors
    return rx.form(
        rx.vstack(
            card(
                field("hd.faq.field.title", text_input("title", v["title"], max_length=200), e["title"]),
                rx.grid(
                    field(
                        "hd.faq.field.category_id",
                        rx.el.select(
                            rx.el.option("—", value=""),
                            rx.foreach(FE.categories, lambda c: rx.el.option(c["name"], value=c["id"].to_string())),
                            name="category_id",
                            default_value=v["category_id"],
                            class_name="kaktus-select",
                            id="field-category_id",
                        ),
                        e["category_id"],
                    ),
                    field("hd.faq.field.language", select_field("language", list(LANGUAGE_OPTIONS), v["language"]), e["language"]),
                    field(
                        "hd.faq.field.published",
                        rx.el.label(
                            rx.el.input(type="checkbox", name="published", default_checked=v["published"] == "on", id="field-published"),
                            rx.text(t("hd.faq.published_help"), size="2"),
                            style={"display": "flex", "gap": "6px", "align_items": "center"},
                        ),
                        e["published"],
                    ),
                    columns=rx.breakpoints(initial="1", sm="3"),
                    spacing="3",
                    width="100%",
                ),
                rx.grid(
                    field(
                        "hd.faq.field.body",
                        rx.text_area(name="body", value=FE.body, on_change=FE.set_body, debounce_timeout=250, rows="18", width="100%", id="field-body", font_family="monospace"),
                        e["body"],
                        hint_key="hd.faq.markdown_hint",
                    ),
                    rx.vstack(
                        rx.text(t("hd.faq.preview"), size="2", weight="medium"),
                        rx.box(
                            rx.markdown(FE.body, use_raw=False, use_math=False, use_katex=False),  # raw HTML stays text, never markup
                            border=f"1px solid {rx.color('gray', 5)}",
                            border_radius="8px",
                            padding="0.5rem 1rem",
                            width="100%",
                            min_height="300px",
                            overflow_y="auto",
                            id="faq-preview",
                        ),
                        spacing="1",
                        width="100%",
                    ),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="3",
                    width="100%",
                ),
            ),
            rx.cond(FE.general_error != "", rx.callout(FE.general_error, icon="triangle-alert", color_scheme="red", id="form-error")),
            rx.hstack(
                rx.cond(FE.can_edit, rx.button(rx.icon("save", size=16), t("common.save"), type="submit", size="3", id="faq-save")),
                rx.link(rx.button(t("common.cancel"), variant="soft", size="3", type="button"), href="/faq"),
                rx.spacer(),
                rx.cond(
                    FE.is_new | ~FE.can_delete,
                    rx.fragment(),
                    rx.button(rx.icon("trash-2", size=16), t("common.delete"), type="button", color_scheme="red", variant="soft", size="3", on_click=FE.ask_delete(True), id="faq-delete"),
                ),
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=FE.save,
        reset_on_submit=False,
        key=FE.form_key.to_string(),
        width="100%",
    )


def _delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("hd.faq.delete_title")),
            rx.alert_dialog.description(t("hd.faq.delete_text")),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft", on_click=FE.ask_delete(False))),
                rx.alert_dialog.action(rx.button(t("common.delete"), color_scheme="red", on_click=FE.delete, id="faq-delete-confirm")),
                justify="end",
                spacing="2",
                padding_top="1rem",
            ),
            max_width="420px",
        ),
        open=FE.confirm_delete,
        on_open_change=FE.ask_delete,
    )


def _faq_edit_page() -> rx.Component:
    return rx.cond(
        FE.not_found,
        rx.callout(t("error.not_found"), icon="circle-alert", color_scheme="red", id="faq-not-found"),
        rx.vstack(
            page_header(
                rx.cond(FE.is_new, t("hd.faq.new"), FE.values["title"]),
                rx.link(rx.button(t("common.back"), variant="soft"), href="/faq"),
                subtitle=rx.cond(
                    FE.is_new,
                    "",
                    t("hd.faq.stats_line", views=FE.stats["views"], yes=FE.stats["helpful_yes"], no=FE.stats["helpful_no"], updated=FE.stats["updated"]),
                ),
            ),
            rx.cond(FE.loaded & ~FE.can_edit, rx.callout(t("hd.faq.read_only"), icon="lock", size="1", id="faq-read-only")),
            when_loaded(FE.loaded, _faq_form()),
            _delete_dialog(),
            width="100%",
            spacing="3",
        ),
    )


@staff_page("/faq/new", "hd.faq.new", on_load=FE.load)
def faq_new() -> rx.Component:
    return _faq_edit_page()


@staff_page("/faq/[article_id]", "hd.faq.article", on_load=FE.load)
def faq_edit() -> rx.Component:
    return _faq_edit_page()


# ----------------------------------------------------------------------------- /helpdesk/settings

SL = SlaSettingsState


def _sla_row(row: rx.Var) -> rx.Component:
    priority = row["priority"].to(str)
    first, resolve = priority + ".first_response_hours", priority + ".resolution_hours"
    return rx.table.row(
        rx.table.cell(priority_badge(priority, row["label"].to(str))),
        rx.table.cell(
            rx.vstack(
                rx.input(name=first, type="number", min=1, default_value=row["first_response_hours"].to(str), width="110px", disabled=~SL.can_edit, id="sla-" + first.replace(".", "-")),
                rx.cond(SL.errors[first], rx.text(SL.errors[first], color_scheme="red", size="1", class_name="field-error")),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.input(name=resolve, type="number", min=1, default_value=row["resolution_hours"].to(str), width="110px", disabled=~SL.can_edit, id="sla-" + resolve.replace(".", "-")),
                rx.cond(SL.errors[resolve], rx.text(SL.errors[resolve], color_scheme="red", size="1", class_name="field-error")),
                spacing="1",
            )
        ),
        class_name="sla-row",
    )


@staff_page("/helpdesk/settings", "hd.settings.title", on_load=SL.load)
def helpdesk_settings() -> rx.Component:
    return rx.vstack(
        page_header(t("hd.settings.title"), subtitle=t("hd.settings.subtitle")),
        rx.cond(~SL.can_edit, rx.callout(t("hd.settings.managers_only"), icon="lock", size="1", id="sla-readonly")),
        rx.form(
            card(
                rx.heading(t("hd.settings.sla"), size="3"),
                rx.table.root(
                    rx.table.header(rx.table.row(plain_header("hd.field.priority"), plain_header("hd.settings.first_response_hours"), plain_header("hd.settings.resolution_hours"))),
                    rx.table.body(rx.foreach(SL.rows, _sla_row)),
                    variant="surface",
                    width="100%",
                ),
                rx.cond(SL.can_edit, rx.hstack(rx.button(rx.icon("save", size=16), t("common.save"), type="submit", id="sla-save"))),
            ),
            on_submit=SL.save,
            reset_on_submit=False,
            key=SL.form_key.to_string(),
            width="100%",
            max_width="720px",
        ),
        width="100%",
        spacing="3",
    )

