"""The staff login page."""

from __future__ import annotations

import reflex as rx

from kaktus_app.auth.state import AuthState
from kaktus_app.ui.lang import LangState, t
from kaktus_app.ui.shell import language_switch


@rx.page(route="/login", title="Login · Kaktus CRM", on_load=AuthState.redirect_if_logged_in)
def login_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.hstack(
                        rx.image(src="/logo.svg", width="44px", height="44px", alt="Kaktus CRM"),
                        rx.vstack(
                            rx.heading(t("auth.title"), size="5"),
                            rx.text(t("auth.subtitle"), size="2", color_scheme="gray"),
                            spacing="0",
                        ),
                        align="center",
                    ),
                    rx.text(t("auth.username"), size="2", weight="medium"),
                    rx.input(name="username", id="login-username", default_value=AuthState.login_username, auto_focus=True, width="100%", auto_complete="username"),
                    rx.text(t("auth.password"), size="2", weight="medium"),
                    rx.input(name="password", id="login-password", type="password", width="100%", auto_complete="current-password"),
                    rx.cond(
                        AuthState.login_error != "",
                        rx.callout(AuthState.login_error, icon="triangle-alert", color_scheme="red", size="1", id="login-error"),
                    ),
                    rx.button(t("auth.submit"), type="submit", width="100%", id="login-submit", size="3"),
                    spacing="3",
                    align="stretch",
                ),
                on_submit=AuthState.submit_login,
                reset_on_submit=False,
            ),
            rx.hstack(rx.spacer(), language_switch(LangState.set_lang), width="100%", padding_top="0.75rem"),
            width="min(420px, 92vw)",
            size="4",
        ),
        min_height="100vh",
        background=f"linear-gradient(135deg, {rx.color('grass', 3)}, {rx.color('amber', 2)})",
    )
