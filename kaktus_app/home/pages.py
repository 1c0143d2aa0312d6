"""Home: the day at a glance — counts, and the overdue and today's agenda."""

import reflex as rx

from kaktus_app.activities.state import HomeState
from kaktus_app.auth.state import AuthState
from kaktus_app.layout import staff_page
from kaktus_app.ui.components import card, page_header
from kaktus_app.ui.lang import t


def _stat(label_key: str, value: rx.Var, href: str, color: str, element_id: str) -> rx.Component:
    return rx.link(
        card(rx.text(t(label_key), size="2", color_scheme="gray"), rx.heading(value, size="6", color=rx.color(color, 11), id=element_id)),
        href=href,
        underline="none",
        width="100%",
    )


def _agenda_row(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon("calendar-clock", size=16, color=rx.cond(row["overdue"], rx.color("red", 10), rx.color("gray", 10))),
        rx.vstack(
            rx.text(row["kind_label"], ": ", row["summary"], size="2", weight="medium"),
            rx.link(row["record"], href=row["href"], size="1"),
            spacing="0",
        ),
        rx.spacer(),
        rx.text(row["due"], size="2", color=rx.cond(row["overdue"], rx.color("red", 11), rx.color("gray", 11))),
        width="100%",
        align="center",
        padding_y="0.4rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


@staff_page("/", "nav.home", on_load=HomeState.load)
def home_page() -> rx.Component:
    c = HomeState.counts
    return rx.vstack(
        page_header(t("home.greeting", name=AuthState.user_name)),
        rx.grid(
            _stat("home.today", c["today"], "/activities", "amber", "home-today"),
            _stat("home.overdue", c["overdue"], "/activities", "red", "home-overdue"),
            _stat("home.open_opportunities", c["open_opportunities"].to(str) + " · " + c["open_revenue"].to(str), "/opportunities", "grass", "home-opportunities"),
            _stat("home.open_leads", c["open_leads"], "/leads", "blue", "home-leads"),
            columns=rx.breakpoints(initial="1", sm="2", lg="4"),
            spacing="3",
            width="100%",
        ),
        card(
            rx.heading(t("home.agenda"), size="3"),
            rx.cond(HomeState.agenda.length() > 0, rx.vstack(rx.foreach(HomeState.agenda, _agenda_row), spacing="0", width="100%"), rx.text(t("activities.nothing"), color_scheme="gray", size="2")),
        ),
        width="100%",
        spacing="4",
    )
