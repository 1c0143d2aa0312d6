"""The global search box with its drop-down of results."""

from __future__ import annotations

import reflex as rx

from kaktus_app.search.state import SearchState
from kaktus_app.ui.lang import t


def _hit(hit: rx.Var) -> rx.Component:
    return rx.box(
        rx.text(hit["name"], size="2", weight="medium"),
        rx.text(hit["detail"], size="1", color_scheme="gray"),
        on_click=SearchState.go(hit["href"]),
        padding="0.4rem 0.6rem",
        border_radius="6px",
        cursor="pointer",
        _hover={"background": rx.color("grass", 3)},
        class_name="search-hit",
    )


def _group(label_key: str, hits: rx.Var) -> rx.Component:
    return rx.cond(
        hits.length() > 0,
        rx.vstack(
            rx.text(t(label_key), size="1", weight="bold", color_scheme="gray", padding_x="0.6rem"),
            rx.foreach(hits, _hit),
            spacing="0",
            align="stretch",
            width="100%",
        ),
    )


def global_search() -> rx.Component:
    return rx.box(
        rx.input(
            rx.input.slot(rx.icon("search", size=16)),
            placeholder=t("shell.search_placeholder"),
            value=SearchState.query,
            on_change=SearchState.set_query.debounce(250),
            on_blur=SearchState.close.debounce(200),
            id="global-search",
            width=["100%", "320px", "420px"],
            aria_label="Search",
        ),
        rx.cond(
            SearchState.open,
            rx.box(
                rx.cond(
                    SearchState.has_results,
                    rx.vstack(
                        _group("nav.customers", SearchState.customers),
                        _group("nav.leads", SearchState.leads),
                        _group("nav.opportunities", SearchState.opportunities),
                        spacing="2",
                        align="stretch",
                    ),
                    rx.text(t("common.no_results"), size="2", color_scheme="gray", padding="0.5rem"),
                ),
                position="absolute",
                top="110%",
                left="0",
                width=["100%", "320px", "420px"],
                background=rx.color("gray", 1),
                border=f"1px solid {rx.color('gray', 6)}",
                border_radius="8px",
                box_shadow="0 8px 24px rgba(0,0,0,0.12)",
                padding="0.4rem",
                z_index="50",
                id="search-results",
            ),
        ),
        position="relative",
    )
