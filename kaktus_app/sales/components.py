"""Kanban board pieces: columns, cards, the card menu, quick create."""

from __future__ import annotations

import reflex as rx

from kaktus_app.sales.models import LOST_REASONS
from kaktus_app.sales.state import BoardState, PipelineShared
from kaktus_app.ui.components import badge, form_modal, stars
from kaktus_app.ui.dnd import draggable_drop_target, drop_target
from kaktus_app.ui.lang import t

B = BoardState


def _card_menu(card: rx.Var) -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(rx.icon("ellipsis-vertical", size=14), size="1", variant="ghost", color_scheme="gray", id="card-move-menu-" + card["id"].to_string(), aria_label="Move to stage"),
        ),
        rx.menu.content(
            rx.text(t("sales.move_to"), size="1", color_scheme="gray", padding_x="0.5rem"),
            rx.foreach(
                B.columns,
                lambda col: rx.menu.item(
                    col["name"],
                    on_click=B.move_to(card["id"], card["version"], col["id"]),
                    disabled=col["id"] == card["stage_id"],
                    class_name="move-to-" + col["key"].to(str),
                ),
            ),
            rx.menu.separator(),
            rx.menu.item(t("common.open"), on_click=rx.redirect("/opportunities/" + card["id"].to_string())),
            rx.cond(
                card["state"] == "open",
                rx.fragment(
                    rx.menu.item(t("sales.mark_won"), on_click=B.mark_won(card["id"]), color="green"),
                    rx.menu.item(t("sales.mark_lost"), on_click=B.ask_lost(card["id"]), color="red"),
                ),
            ),
        ),
    )


def kanban_card(card: rx.Var, column: rx.Var) -> rx.Component:
    return draggable_drop_target(
        rx.vstack(
            rx.hstack(
                rx.link(card["name"], href="/opportunities/" + card["id"].to_string(), weight="bold", size="2", color=rx.color("gray", 12)),
                rx.spacer(),
                _card_menu(card),
                width="100%",
                align="start",
            ),
            rx.cond(card["customer"] != "", rx.text(card["customer"], size="1", color_scheme="gray")),
            rx.hstack(
                rx.text(card["revenue"], size="2", weight="medium"),
                rx.spacer(),
                rx.cond(card["probability"].to(str) != "", badge(card["probability"].to_string() + "%", "grass")),
                width="100%",
                align="center",
            ),
            rx.hstack(stars(card["priority"].to(int)), rx.spacer(), rx.text(card["owner"], size="1", color_scheme="gray"), width="100%", align="center"),
            rx.cond(
                card["next_summary"] != "",
                rx.hstack(
                    rx.icon("calendar-clock", size=12),
                    rx.text(card["next_summary"], " · ", card["next_due"], size="1"),
                    color=rx.cond(card["next_overdue"], rx.color("red", 11), rx.color("gray", 11)),
                    class_name=rx.cond(card["next_overdue"], "next-activity overdue", "next-activity"),
                    align="center",
                    spacing="1",
                ),
                rx.text(t("sales.no_activity"), size="1", color=rx.color("amber", 11)),
            ),
            spacing="1",
            width="100%",
        ),
        draggable=True,
        tab_index=0,
        on_drag_start=B.start_drag(card["id"], card["version"]),
        on_drag_over=rx.prevent_default,
        on_drop=[rx.stop_propagation, B.drop_before(column["id"], card["id"])],
        on_key_down=lambda key: B.move_by_key(card["id"], card["version"], key),
        id="kanban-card-" + card["id"].to_string(),
        class_name="kanban-card",
        data_version=card["version"].to_string(),
        background=rx.color("gray", 1),
        border=f"1px solid {rx.color('gray', 5)}",
        border_left=rx.cond(card["next_overdue"], f"3px solid {rx.color('red', 9)}", f"3px solid {rx.color('grass', 8)}"),
        border_radius="8px",
        padding="0.6rem",
        width="100%",
        box_shadow="0 1px 2px rgba(0,0,0,0.06)",
        _focus={"outline": f"2px solid {rx.color('grass', 8)}"},
    )


def _quick_create(column: rx.Var) -> rx.Component:
    return rx.cond(
        B.quick_stage_id == column["id"],
        rx.form(
            rx.vstack(
                rx.input(name="name", placeholder=t("sales.quick_name"), id="quick-name", width="100%", auto_focus=True),
                rx.cond(B.quick_errors["name"], rx.text(B.quick_errors["name"], color_scheme="red", size="1")),
                rx.input(name="customer", placeholder=t("sales.customer"), id="quick-customer", width="100%"),
                rx.input(name="expected_revenue", placeholder="Rp", id="quick-revenue", width="100%"),
                rx.cond(B.quick_errors["expected_revenue"], rx.text(B.quick_errors["expected_revenue"], color_scheme="red", size="1")),
                rx.button(t("sales.add"), type="submit", size="1", width="100%", id="quick-save"),
                spacing="1",
                width="100%",
            ),
            on_submit=B.quick_create,
            reset_on_submit=False,
            key=B.quick_form_key.to_string(),
            width="100%",
        ),
    )


def kanban_column(column: rx.Var) -> rx.Component:
    cards = column["cards"].to(list[dict])
    return drop_target(
        rx.vstack(
            rx.hstack(
                rx.text(column["name"], weight="bold", size="3"),
                badge(column["count"].to_string(), "gray"),
                rx.spacer(),
                rx.icon_button(rx.icon("plus", size=14), size="1", variant="ghost", on_click=B.open_quick(column["id"]), id="quick-create-" + column["id"].to_string(), aria_label="Quick add"),
                width="100%",
                align="center",
            ),
            rx.text(column["sum_expected_label"], size="1", color_scheme="gray", class_name="column-sum"),
            _quick_create(column),
            rx.foreach(cards, lambda card: kanban_card(card, column)),
            rx.cond(
                column["shown"].to(int) < column["count"].to(int),
                rx.button(t("common.load_more"), size="1", variant="soft", width="100%", on_click=B.load_more(column["id"]), class_name="load-more"),
            ),
            spacing="2",
            width="100%",
            align="stretch",
        ),
        on_drag_over=rx.prevent_default,
        on_drop=B.drop_on_column(column["id"]),
        on_scroll_end=B.load_more_on_scroll(column["id"]),
        id="kanban-column-" + column["key"].to(str),
        class_name="kanban-column",
        data_stage=column["id"].to_string(),
        min_width="260px",
        width="260px",
        background=rx.color("gray", 3),
        border_radius="10px",
        padding="0.6rem",
        min_height="60vh",
        max_height="calc(100vh - 190px)",
        overflow_y="auto",
    )


def live_sync() -> rx.Component:
    """Re-mounts whenever the shared board version changes, so this client reloads its view."""
    return rx.fragment(rx.box(on_mount=BoardState.refresh, display="none", id="board-sync"), key=PipelineShared.version.to_string())


def lost_dialog(open_: rx.Var, on_open_change, on_submit, error: rx.Var | str = "") -> rx.Component:
    return form_modal(
        t("sales.lost_dialog"),
        rx.el.select(*[rx.el.option(t(f"sales.lost_reason.{r}"), value=r) for r in LOST_REASONS], name="reason", class_name="kaktus-select", id="lost-reason"),
        rx.cond(error, rx.text(error, color_scheme="red", size="1")),
        submit=rx.button(t("sales.mark_lost"), type="submit", color_scheme="red", id="lost-confirm"),
        on_submit=on_submit,
        open=open_,
        on_open_change=on_open_change,
        max_width="400px",
    )
