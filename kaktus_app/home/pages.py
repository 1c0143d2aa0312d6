"""Home: a greeting for now (the activities module adds today's agenda)."""

import reflex as rx

from kaktus_app.layout import staff_page
from kaktus_app.ui.components import page_header
from kaktus_app.ui.lang import t


@staff_page("/", "nav.home")
def home_page() -> rx.Component:
    return rx.vstack(page_header(t("nav.home")), width="100%")
