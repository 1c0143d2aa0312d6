"""The staff page template: login guard + shell with global search, language switch and user menu."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from kaktus_app.auth.state import AuthState
from kaktus_app.search.components import global_search
from kaktus_app.ui.lang import t
from kaktus_app.ui.shell import NavItem, language_switch, shell

NAV_ITEMS = [
    NavItem("nav.home", "/", "house"),
    NavItem("nav.dashboard", "/dashboard", "chart-column"),
    NavItem("nav.reports", "/reports", "chart-bar-big"),
    NavItem("nav.map", "/map", "map"),
    NavItem("nav.customers", "/customers", "building-2"),
    NavItem("nav.leads", "/leads", "sparkles"),
    NavItem("nav.pipeline", "/pipeline", "kanban"),
    NavItem("nav.opportunities", "/opportunities", "handshake"),
    NavItem("nav.activities", "/activities", "calendar-check"),
    NavItem("nav.mail", "/mail", "inbox"),
    NavItem("hd.nav.tickets", "/tickets", "life-buoy"),
    NavItem("hd.nav.board", "/tickets/board", "square-kanban"),
    NavItem("hd.nav.faq", "/faq", "book-open"),
    NavItem("hd.nav.stats", "/helpdesk/stats", "chart-pie"),
    NavItem("nav.quotations", "/quotations", "file-text"),
    NavItem("nav.invoices", "/invoices", "receipt"),
    NavItem("nav.products", "/products", "package"),
    NavItem("nav.price_lists", "/price-lists", "tags"),
    NavItem("nav.purchasing", "/purchase-orders", "truck"),
    NavItem("nav.import", "/import", "file-up"),
]


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(rx.icon("circle-user", size=18), rx.text(AuthState.user_name, size="2"), variant="ghost", id="user-menu")
        ),
        rx.menu.content(
            rx.cond(
                AuthState.is_admin,
                rx.fragment(
                    rx.menu.item(t("documents.settings"), on_click=rx.redirect("/settings/documents"), id="menu-documents-settings"),
                    rx.menu.item(t("audit.title"), on_click=rx.redirect("/admin/audit"), id="menu-audit"),
                    rx.menu.item(t("profiles.title"), on_click=rx.redirect("/admin/profiles"), id="menu-profiles"),
                    rx.menu.item(t("users.title"), on_click=rx.redirect("/admin/users"), id="menu-users"),
                    rx.menu.item(t("roles.title"), on_click=rx.redirect("/admin/roles"), id="menu-roles"),
                ),
            ),
            rx.cond(
                AuthState.is_manager,
                rx.menu.item(t("hd.menu.settings"), on_click=rx.redirect("/helpdesk/settings"), id="menu-helpdesk-settings"),
            ),
            rx.menu.item(t("auth.security"), on_click=rx.redirect("/account/security"), id="menu-security"),
            rx.menu.item(t("api.menu"), on_click=rx.redirect("/account/api-keys"), id="menu-api-keys"),
            rx.menu.separator(),
            rx.menu.item(t("shell.logout"), on_click=AuthState.logout, id="logout"),
            rx.menu.item(t("shell.logout_everywhere"), on_click=AuthState.logout_everywhere, id="logout-everywhere"),
        ),
    )


def staff_page(route: str, title_key: str, on_load: list | Callable | None = None):
    """Register a staff page: runs the login guard first, then the page's own on_load events."""
    extra = on_load if isinstance(on_load, list) else ([on_load] if on_load else [])

    def decorator(render: Callable[[], rx.Component]):
        def page() -> rx.Component:
            return rx.cond(
                AuthState.is_logged_in,
                shell(
                    NAV_ITEMS,
                    rx.State.router.page.path,
                    global_search(),
                    rx.hstack(language_switch(AuthState.remember_language), user_menu(), align="center", spacing="3"),
                    render(),
                ),
                rx.center(rx.spinner(size="3"), height="100vh"),
            )

        from kaktus_app.i18n import translate

        rx.page(route=route, title=f"{translate(title_key)} · Kaktus CRM", on_load=[AuthState.check_login, *extra])(page)
        return render

    return decorator
