"""A vertical timeline of entry dicts {id, icon, title, body, when, who, overdue, planned, done}."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx


def timeline(entries: rx.Var, empty: rx.Component, action: Callable[[rx.Var], rx.Component] | None = None) -> rx.Component:
    def item(entry: rx.Var) -> rx.Component:
        color = rx.cond(entry["overdue"], "red", rx.cond(entry["planned"], "amber", "gray"))
        return rx.hstack(
            rx.box(
                rx.match(
                    entry["icon"],
                    ("phone", rx.icon("phone", size=14)),
                    ("users", rx.icon("users", size=14)),
                    ("mail", rx.icon("mail", size=14)),
                    ("square-check", rx.icon("square-check", size=14)),
                    ("sticky-note", rx.icon("sticky-note", size=14)),
                    rx.icon("history", size=14),
                ),
                color=rx.color(color, 11),
                background=rx.color(color, 3),
                border_radius="50%",
                padding="6px",
                line_height="0",
            ),
            rx.vstack(
                rx.hstack(
                    rx.text(entry["title"], size="2", weight="medium", color=rx.cond(entry["overdue"], rx.color("red", 11), rx.color("gray", 12))),
                    rx.spacer(),
                    action(entry) if action else rx.fragment(),
                    width="100%",
                    align="center",
                ),
                rx.cond(entry["body"] != "", rx.text(entry["body"], size="2", white_space="pre-wrap", color_scheme="gray")),
                rx.text(entry["when"], " · ", entry["who"], size="1", color=rx.cond(entry["overdue"], rx.color("red", 10), rx.color("gray", 10))),
                spacing="1",
                width="100%",
            ),
            align="start",
            spacing="3",
            width="100%",
            padding_y="0.4rem",
            border_bottom=f"1px solid {rx.color('gray', 4)}",
            class_name=rx.cond(entry["overdue"], "timeline-entry overdue", rx.cond(entry["planned"], "timeline-entry planned", "timeline-entry")),
        )

    return rx.cond(entries.length() > 0, rx.vstack(rx.foreach(entries, item), spacing="0", width="100%"), empty)
