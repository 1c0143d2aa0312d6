"""Help desk pieces: status / priority / SLA badges, board cards and columns, the conversation
timeline, attachment links, complaint alerts and the statistics charts.

Ticket text (titles, descriptions, messages) is always shown as text: never through rx.html.
"""

from __future__ import annotations

import reflex as rx
from plotly.graph_objects import Figure

from kaktus_app.helpdesk.state import CompanyTicketsState, TicketBoardState, TicketState
from kaktus_app.ui.components import attachment_buttons, badge, card
from kaktus_app.ui.dnd import draggable_drop_target, drop_target
from kaktus_app.ui.lang import t

B = TicketBoardState
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
STATUS_COLORS = (("new", "blue"), ("in_progress", "amber"), ("waiting", "purple"), ("resolved", "grass"), ("closed", "gray"))
PRIORITY_COLORS = (("low", "gray"), ("normal", "blue"), ("high", "orange"), ("urgent", "red"))


def options(items: rx.Var) -> rx.Component:
    """<option>s of a Var list of {"value", "label"} dicts."""
    return rx.foreach(items, lambda o: rx.el.option(o["label"], value=o["value"]))


def status_badge(status: rx.Var, label: rx.Var, element_id: str | None = None) -> rx.Component:
    return rx.badge(
        label,
        color_scheme=rx.match(status, *STATUS_COLORS, "gray"),
        variant="solid",
        radius="full",
        id=element_id,
        class_name="ticket-status-badge",
        data_status=status,
    )


def priority_badge(priority: rx.Var, label: rx.Var) -> rx.Component:
    return rx.badge(label, color_scheme=rx.match(priority, *PRIORITY_COLORS, "gray"), variant="soft", radius="full", class_name="ticket-priority")


def sla_badge(state: rx.Var, label: rx.Var, due: rx.Var | str = "") -> rx.Component:
    """Red when the SLA is breached, orange when due within two hours; the next due time beside it."""
    return rx.match(
        state,
        ("breached", rx.badge(rx.icon("alarm-clock-off", size=12), label, color_scheme="red", variant="solid", class_name="sla-badge sla-breached", title=due)),
        ("due_soon", rx.badge(rx.icon("alarm-clock", size=12), label, color_scheme="orange", variant="solid", class_name="sla-badge sla-due-soon", title=due)),
        ("met", rx.badge(label, color_scheme="grass", variant="soft", class_name="sla-badge sla-met")),
        ("ok", rx.badge(rx.icon("clock", size=12), due, color_scheme="gray", variant="soft", class_name="sla-badge sla-ok", title=label)),
        rx.fragment(),
    )


def alerts_callout(alerts: rx.Var, element_id: str = "complaint-alerts") -> rx.Component:
    """Complaint spikes (a category or a product), one line each."""
    return rx.cond(
        alerts.length() > 0,
        rx.callout.root(
            rx.callout.icon(rx.icon("siren")),
            rx.vstack(
                rx.text(t("hd.alerts.title"), weight="bold"),
                rx.foreach(alerts, lambda a: rx.text(a["message"], size="2", class_name="complaint-alert")),
                spacing="1",
            ),
            color_scheme="red",
            variant="surface",
            id=element_id,
            width="100%",
        ),
    )


# -------------------------------------------------------------------------------------------- board


def _card_menu(card_: rx.Var) -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(rx.icon("ellipsis-vertical", size=14), size="1", variant="ghost", color_scheme="gray", id="ticket-move-menu-" + card_["id"].to_string(), aria_label="Move"),
        ),
        rx.menu.content(
            rx.text(t("hd.board.move_to"), size="1", color_scheme="gray", padding_x="0.5rem"),
            rx.foreach(
                B.columns,
                lambda col: rx.menu.item(
                    col["label"],
                    on_click=B.move_to(card_["id"], card_["version"], col["status"]),
                    disabled=col["status"] == card_["status"],
                    class_name="move-to-" + col["status"].to(str),
                ),
            ),
            rx.menu.separator(),
            rx.menu.item(t("common.open"), on_click=rx.redirect("/tickets/" + card_["id"].to_string())),
        ),
    )


def ticket_card(card_: rx.Var) -> rx.Component:
    return draggable_drop_target(
        rx.vstack(
            rx.hstack(
                rx.text(card_["number"], size="1", color_scheme="gray", weight="medium"),
                priority_badge(card_["priority"], card_["priority_label"]),
                rx.spacer(),
                _card_menu(card_),
                width="100%",
                align="center",
                spacing="2",
            ),
            rx.link(card_["title"], href="/tickets/" + card_["id"].to_string(), weight="bold", size="2", color=rx.color("gray", 12), class_name="ticket-card-title"),
            rx.cond(card_["company_name"] != "", rx.text(card_["company_name"], size="1", color_scheme="gray")),
            rx.hstack(
                sla_badge(card_["sla_state"], card_["sla_state_label"], card_["sla_label"]),
                rx.spacer(),
                rx.text(rx.cond(card_["assignee_name"] != "", card_["assignee_name"], t("helpdesk.unassigned")), size="1", color_scheme="gray"),
                width="100%",
                align="center",
            ),
            spacing="1",
            width="100%",
        ),
        draggable=True,
        tab_index=0,
        on_drag_start=B.start_drag(card_["id"], card_["version"]),
        on_drag_over=rx.prevent_default,
        on_drop=[rx.stop_propagation, B.drop_on_column(card_["status"])],
        id="ticket-card-" + card_["id"].to_string(),
        class_name="kanban-card ticket-card",
        data_version=card_["version"].to_string(),
        background=rx.color("gray", 1),
        border=f"1px solid {rx.color('gray', 5)}",
        border_left=rx.match(
            card_["sla_state"],
            ("breached", f"3px solid {rx.color('red', 9)}"),
            ("due_soon", f"3px solid {rx.color('orange', 9)}"),
            f"3px solid {rx.color('grass', 8)}",
        ),
        border_radius="8px",
        padding="0.6rem",
        width="100%",
        box_shadow="0 1px 2px rgba(0,0,0,0.06)",
        _focus={"outline": f"2px solid {rx.color('grass', 8)}"},
    )


def board_column(column: rx.Var) -> rx.Component:
    cards = column["cards"].to(list[dict])
    return drop_target(
        rx.vstack(
            rx.hstack(
                rx.text(column["label"], weight="bold", size="3"),
                badge(column["count"].to_string(), "gray"),
                width="100%",
                align="center",
            ),
            rx.foreach(cards, ticket_card),
            rx.cond(
                cards.length() < column["count"].to(int),
                rx.link(t("hd.board.more_in_list"), href="/tickets", size="1", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
            align="stretch",
        ),
        on_drag_over=rx.prevent_default,
        on_drop=B.drop_on_column(column["status"]),
        id="ticket-column-" + column["status"].to(str),
        class_name="kanban-column ticket-column",
        data_status=column["status"],
        min_width="250px",
        width="250px",
        background=rx.color("gray", 3),
        border_radius="10px",
        padding="0.6rem",
        min_height="60vh",
        max_height="calc(100vh - 190px)",
        overflow_y="auto",
    )


# ------------------------------------------------------------------------------------- conversation


def attachment_links(files: rx.Var) -> rx.Component:
    """Each file as a button that downloads it (through the service, which checks who may read it)."""
    return attachment_buttons(files, TicketState.download, id_prefix="attachment-", class_name="ticket-attachment")


def _author_line(message: rx.Var, *extra: rx.Component) -> rx.Component:
    return rx.hstack(
        *extra,
        rx.text(message["author_name"], size="2", weight="bold"),
        rx.spacer(),
        rx.text(message["at_label"], size="1", color_scheme="gray"),
        width="100%",
        align="center",
        spacing="2",
    )


def _body(message: rx.Var) -> rx.Component:
    # Plain text: a <script> typed by a customer shows as the characters it is.
    return rx.text(message["body"], size="2", white_space="pre-wrap", class_name="ticket-message-body", style={"overflow_wrap": "anywhere"})


def _note(message: rx.Var) -> rx.Component:
    return rx.box(
        _author_line(message, rx.badge(rx.icon("lock", size=12), t("hd.timeline.internal_note"), color_scheme="amber", variant="solid")),
        _body(message),
        attachment_links(message["attachments"].to(list[dict])),
        background=rx.color("amber", 3),
        border=f"1px dashed {rx.color('amber', 8)}",
        border_radius="8px",
        padding="0.6rem 0.75rem",
        width="100%",
        class_name="ticket-message ticket-note",
    )


def _reply(message: rx.Var) -> rx.Component:
    from_customer = message["from_customer"].to(bool)
    return rx.box(
        _author_line(
            message,
            rx.cond(
                from_customer,
                rx.badge(rx.icon("user", size=12), t("hd.timeline.customer"), color_scheme="blue", variant="solid"),
                rx.badge(rx.icon("reply", size=12), t("hd.timeline.reply"), color_scheme="grass", variant="soft"),
            ),
        ),
        _body(message),
        attachment_links(message["attachments"].to(list[dict])),
        background=rx.cond(from_customer, rx.color("blue", 2), rx.color("gray", 1)),
        border=rx.cond(from_customer, f"1px solid {rx.color('blue', 6)}", f"1px solid {rx.color('gray', 5)}"),
        border_radius="8px",
        padding="0.6rem 0.75rem",
        width="100%",
        margin_left=rx.cond(from_customer, "0", "1.5rem"),
        max_width="calc(100% - 1.5rem)",
        class_name=rx.cond(from_customer, "ticket-message ticket-reply from-customer", "ticket-message ticket-reply"),
    )


def _event(message: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon(rx.cond(message["kind"] == "status", "arrow-right-left", "history"), size=12),
        rx.text(message["body"], size="1"),
        rx.text("·", size="1"),
        rx.text(message["author_name"], size="1"),
        rx.text(message["at_label"], size="1"),
        color=rx.color("gray", 10),
        align="center",
        spacing="2",
        padding_x="0.5rem",
        class_name="ticket-event",
    )


def timeline_entry(message: rx.Var) -> rx.Component:
    return rx.match(
        message["kind"],
        ("note", _note(message)),
        ("reply", _reply(message)),
        _event(message),
    )


def conversation(messages: rx.Var) -> rx.Component:
    return rx.cond(
        messages.length() > 0,
        rx.vstack(rx.foreach(messages, timeline_entry), spacing="2", width="100%", id="ticket-timeline"),
        rx.text(t("hd.timeline.empty"), size="2", color_scheme="gray", id="ticket-timeline"),
    )


# ------------------------------------------------------------------------------------------- charts


def bar_chart(title_key: str, figure: rx.Var, element_id: str) -> rx.Component:
    return card(
        rx.heading(t(title_key), size="3"),
        rx.cond(
            figure["data"].to(list).length() > 0,
            rx.plotly.basic(data=figure.to(Figure), config=PLOT_CONFIG, use_resize_handler=True, width="100%", id=element_id, class_name="kaktus-chart"),
            rx.center(rx.text(t("hd.stats.no_data"), color_scheme="gray", size="2"), height="200px"),
        ),
        spacing="2",
        min_width="0",
    )


def kpi(label_key: str, value: rx.Var, element_id: str, color: str = "gray") -> rx.Component:
    return card(
        rx.text(t(label_key), size="1", color_scheme="gray"),
        rx.heading(value, size="5", color=rx.color(color, 11), id=element_id, white_space="nowrap"),
        spacing="1",
    )


def company_tickets(customer_id: rx.Var) -> rx.Component:
    """The tickets card on a company's page (shown to users who may read tickets)."""
    c = CompanyTicketsState
    return rx.cond(
        c.can_read,
        card(
            rx.hstack(
                rx.heading(t("hd.company.tickets"), size="3"),
                rx.cond(c.open_count > 0, rx.badge(t("hd.company.open", count=c.open_count.to_string()), color_scheme="orange", variant="soft")),
                rx.spacer(),
                rx.cond(
                    c.can_create,
                    rx.link(rx.button(rx.icon("plus", size=14), t("hd.company.new"), size="1", variant="soft"), href="/tickets/new?company=" + customer_id.to_string(), id="company-new-ticket"),
                ),
                width="100%",
                align="center",
            ),
            rx.cond(
                c.rows.length() > 0,
                rx.vstack(
                    rx.foreach(
                        c.rows,
                        lambda r: rx.hstack(
                            rx.link(r["number"].to(str), href="/tickets/" + r["id"].to_string(), size="2", weight="medium", white_space="nowrap"),
                            rx.text(r["title"].to(str), size="2", flex="1", min_width="0", overflow="hidden", text_overflow="ellipsis", white_space="nowrap"),
                            status_badge(r["status"].to(str), r["status_label"].to(str)),
                            width="100%",
                            align="center",
                            class_name="company-ticket",
                        ),
                    ),
                    rx.link(t("hd.company.all"), href="/tickets?company=" + customer_id.to_string(), size="1"),
                    spacing="1",
                    width="100%",
                ),
                rx.text(t("hd.company.none"), size="2", color_scheme="gray"),
            ),
            id="company-tickets",
        ),
    )
