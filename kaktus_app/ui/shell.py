"""The staff app shell: sidebar navigation, top bar, content area."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from kaktus_app.ui.lang import LangState, t

SIDEBAR_WIDTH = "220px"


@dataclass(frozen=True)
class NavItem:
    label_key: str
    route: str
    icon: str


def _nav_link(item: NavItem, active: rx.Var) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(item.icon, size=18), rx.text(t(item.label_key), size="2"), spacing="3", align="center"),
        href=item.route,
        underline="none",
        padding="0.5rem 0.75rem",
        border_radius="8px",
        width="100%",
        color=rx.cond(active, rx.color("grass", 11), rx.color("gray", 12)),
        background=rx.cond(active, rx.color("grass", 4), "transparent"),
        _hover={"background": rx.color("grass", 3)},
        id=f"nav-{item.route.strip('/') or 'home'}",
    )


def sidebar(items: list[NavItem], current_path: rx.Var) -> rx.Component:
    links = []
    for item in items:
        active = (current_path == item.route) | current_path.startswith(item.route + "/") if item.route != "/" else current_path == "/"
        links.append(_nav_link(item, active))
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.image(src="/logo.svg", width="32px", height="32px", alt="Kaktus CRM"),
                rx.vstack(
                    rx.text(t("app.name"), weight="bold", size="3"),
                    rx.text(t("app.company"), size="1", color_scheme="gray"),
                    spacing="0",
                ),
                align="center",
                padding_bottom="1rem",
            ),
            *links,
            spacing="1",
            align="stretch",
            padding="1rem 0.75rem",
        ),
        width=SIDEBAR_WIDTH,
        min_width=SIDEBAR_WIDTH,
        height="100vh",
        position="sticky",
        top="0",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
        display=["none", "none", "block"],
        overflow_y="auto",
    )


def language_switch(on_change) -> rx.Component:
    return rx.el.select(
        rx.el.option("English", value="en"),
        rx.el.option("Bahasa Indonesia", value="id"),
        value=LangState.lang,
        on_change=on_change,
        id="language-switch",
        aria_label="Language",
        class_name="kaktus-select",
    )


def topbar(left: rx.Component, right: rx.Component) -> rx.Component:
    return rx.hstack(
        left,
        rx.spacer(),
        right,
        align="center",
        width="100%",
        padding="0.6rem 1.25rem",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="10",
        spacing="3",
    )


def mobile_nav(items: list[NavItem]) -> rx.Component:
    """A menu button with the same links, for phone-sized screens."""
    return rx.box(
        rx.menu.root(
            rx.menu.trigger(rx.icon_button(rx.icon("menu"), variant="soft", aria_label="Menu")),
            rx.menu.content(*[rx.menu.item(t(i.label_key), on_click=rx.redirect(i.route)) for i in items]),
        ),
        display=["block", "block", "none"],
    )


def shell(items: list[NavItem], current_path: rx.Var, top_left: rx.Component, top_right: rx.Component, *content) -> rx.Component:
    return rx.hstack(
        sidebar(items, current_path),
        rx.vstack(
            topbar(rx.hstack(mobile_nav(items), top_left, align="center", spacing="2"), top_right),
            rx.box(*content, padding="1.25rem", width="100%", max_width="1400px"),
            spacing="0",
            width="100%",
            min_height="100vh",
            align="stretch",
        ),
        spacing="0",
        width="100%",
        align="start",
    )
