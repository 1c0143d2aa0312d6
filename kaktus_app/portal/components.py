"""The customer portal's own look: its translation function, page templates (signed in and public),
navigation (a top bar on wide screens, a tab bar at the bottom of a phone), and small pieces.

Deliberately not the staff shell: a teal accent, a centred column, large touch targets.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from kaktus_app.i18n import text_pair, translate
from kaktus_app.portal.state import PortalState
from kaktus_app.ui.lang import _fill

ACCENT = "teal"
CONTENT_WIDTH = "980px"
NAV = (
    ("portal.nav.tickets", "/portal/tickets", "life-buoy"),
    ("portal.nav.faq", "/portal/faq", "circle-help"),
    ("portal.nav.documents", "/portal/documents", "file-text"),
    ("portal.nav.profile", "/portal/profile", "circle-user"),
)


def t(key: str, **params) -> rx.Var:
    """The text for ``key`` in the portal's language (``params`` may be Vars)."""
    en, id_ = text_pair(key)
    return rx.cond(PortalState.lang == "id", _fill(id_, params), _fill(en, params))


# ------------------------------------------------------------------------------------------ pieces


def language_select(element_id: str = "portal-language") -> rx.Component:
    return rx.el.select(
        rx.el.option("Bahasa Indonesia", value="id"),
        rx.el.option("English", value="en"),
        value=PortalState.lang,
        on_change=PortalState.set_lang,
        id=element_id,
        aria_label="Language / Bahasa",
        class_name="kaktus-select",
    )


def brand(size: str = "32px") -> rx.Component:
    return rx.hstack(
        rx.image(src="/logo.svg", width=size, height=size, alt="Kaktus"),
        rx.vstack(
            rx.text(t("app.company"), weight="bold", size="3", line_height="1.1", white_space="nowrap"),
            rx.text(t("portal.brand"), size="1", color=rx.color(ACCENT, 11), line_height="1.1"),
            spacing="0",
        ),
        align="center",
        spacing="2",
    )


def field(label_key: str, control: rx.Component, error: rx.Var | str = "", *, name: str = "", hint_key: str = "") -> rx.Component:
    """A labelled control with its error right under it (error element id: ``error-<name>``)."""
    return rx.vstack(
        rx.el.label(rx.text(t(label_key), size="2", weight="medium"), html_for=f"field-{name}" if name else None),
        control,
        rx.cond(error, rx.text(error, color_scheme="red", size="1", class_name="field-error", id=f"error-{name or label_key.split('.')[-1]}")),
        *([rx.text(t(hint_key), size="1", color_scheme="gray")] if hint_key else []),
        spacing="1",
        width="100%",
        align="stretch",
    )


def text_input(name: str, value: rx.Var | str = "", **props) -> rx.Component:
    return rx.input(name=name, default_value=value, id=f"field-{name}", width="100%", size="3", **props)


def status_badge(label: rx.Var, status: rx.Var) -> rx.Component:
    color = rx.match(status, ("new", "blue"), ("in_progress", "amber"), ("waiting", "orange"), ("resolved", "grass"), ("closed", "gray"), "gray")
    return rx.badge(label, color_scheme=color, variant="soft", radius="full", size="2", class_name="portal-status")


def panel(*children, **props) -> rx.Component:
    return rx.box(
        rx.vstack(*children, spacing="3", align="stretch", width="100%"),
        background=rx.color("gray", 1),
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="14px",
        padding=["1rem", "1.25rem"],
        width="100%",
        **props,
    )


def page_title(title: rx.Var | str, *actions: rx.Component, subtitle: rx.Var | str | None = None) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.heading(title, size="6", id="portal-title"),
            *([rx.text(subtitle, size="2", color_scheme="gray")] if subtitle is not None else []),
            spacing="1",
        ),
        rx.spacer(),
        *actions,
        align=rx.breakpoints(initial="start", sm="center"),
        direction=rx.breakpoints(initial="column", sm="row"),
        gap="0.75rem",
        width="100%",
    )


def pager(page: rx.Var, pages: rx.Var, on_prev, on_next) -> rx.Component:
    return rx.cond(
        pages > 1,
        rx.hstack(
            rx.button(rx.icon("chevron-left", size=16), t("common.previous"), variant="soft", on_click=on_prev, disabled=page <= 1, id="portal-prev"),
            rx.text(t("common.page_of", page=page, pages=pages), size="2"),
            rx.button(t("common.next"), rx.icon("chevron-right", size=16), variant="soft", on_click=on_next, disabled=page >= pages, id="portal-next"),
            justify="center",
            align="center",
            width="100%",
            spacing="3",
        ),
    )


def file_picker(upload_id: str, on_rejected=None) -> rx.Component:
    """Choose up to 5 files (PDF, images, text, Word, Excel; 5 MB each); they go with the form.
    ``on_rejected(names, codes)`` hears of the files the picker refused (shown at the field)."""
    rejected = (
        {
            "on_drop_rejected": lambda files: on_rejected(
                files.to(list[dict]).map(lambda f: f["file"].to(dict)["name"].to(str)),
                files.to(list[dict]).map(lambda f: f["errors"].to(list[dict])[0].to(dict)["code"].to(str)),
            )
        }
        if on_rejected is not None
        else {}
    )
    return rx.vstack(
        rx.upload(
            rx.hstack(
                rx.icon("paperclip", size=16),
                rx.text(t("portal.attach"), size="2"),
                align="center",
                spacing="2",
            ),
            id=upload_id,
            multiple=True,
            max_files=5,
            max_size=5 * 1024 * 1024,
            accept={
                "application/pdf": [".pdf"], "image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"],
                "text/plain": [".txt"], "text/csv": [".csv"],
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [".docx"],
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
            },
            border=f"1px dashed {rx.color('gray', 7)}",
            border_radius="10px",
            **rejected,
            padding="0.6rem 0.9rem",
            cursor="pointer",
            width="100%",
        ),
        rx.foreach(
            rx.selected_files(upload_id),
            lambda name: rx.hstack(rx.icon("file", size=14), rx.text(name, size="1"), align="center", spacing="1", class_name="portal-selected-file"),
        ),
        rx.text(t("portal.attach_help"), size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
        align="stretch",
    )


# ------------------------------------------------------------------------------------------ layout


def _active(route: str) -> rx.Var:
    path = rx.State.router.page.path
    return (path == route) | path.startswith(route + "/")


def _top_nav() -> rx.Component:
    return rx.hstack(
        *[
            rx.link(
                rx.hstack(rx.icon(icon, size=16), rx.text(t(key), size="2", weight="medium"), spacing="2", align="center"),
                href=route,
                underline="none",
                padding="0.45rem 0.8rem",
                border_radius="999px",
                color=rx.cond(_active(route), rx.color(ACCENT, 12), rx.color("gray", 11)),
                background=rx.cond(_active(route), rx.color(ACCENT, 4), "transparent"),
                _hover={"background": rx.color(ACCENT, 3)},
                id=f"portal-nav-{route.rsplit('/', 1)[-1]}",
            )
            for key, route, icon in NAV
        ],
        spacing="1",
        display=["none", "none", "flex"],
    )


def _bottom_nav() -> rx.Component:
    """The phone's tab bar (fixed at the bottom, thumbs reach it)."""
    return rx.box(
        rx.grid(
            *[
                rx.link(
                    rx.vstack(rx.icon(icon, size=20), rx.text(t(key), size="1", weight="medium"), spacing="1", align="center"),
                    href=route,
                    underline="none",
                    padding="0.5rem 0.25rem",
                    color=rx.cond(_active(route), rx.color(ACCENT, 11), rx.color("gray", 11)),
                    id=f"portal-tab-{route.rsplit('/', 1)[-1]}",
                )
                for key, route, icon in NAV
            ],
            columns="4",
            width="100%",
        ),
        position="fixed",
        bottom="0",
        left="0",
        right="0",
        z_index="20",
        background=rx.color("gray", 1),
        border_top=f"1px solid {rx.color('gray', 5)}",
        padding_bottom="env(safe-area-inset-bottom)",
        display=["block", "block", "none"],
        id="portal-tabbar",
    )


def _user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("circle-user", size=18),
                rx.text(PortalState.user_name, size="2", display=["none", "none", "inline"], max_width="160px", overflow="hidden", text_overflow="ellipsis", white_space="nowrap"),
                variant="ghost",
                id="portal-user-menu",
                aria_label="Account",
            )
        ),
        rx.menu.content(
            rx.box(rx.text(PortalState.company_name, size="1", color_scheme="gray"), padding="0.25rem 0.75rem"),
            rx.menu.item(t("portal.nav.profile"), on_click=rx.redirect("/portal/profile"), id="portal-menu-profile"),
            rx.menu.separator(),
            rx.menu.item(t("portal.sign_out"), on_click=PortalState.logout, id="portal-logout", color_scheme="red"),
        ),
    )


def _header() -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.link(brand(), href="/portal/tickets", underline="none", color="inherit"),
            rx.spacer(),
            _top_nav(),
            rx.spacer(),
            rx.box(language_select(), display=["none", "block"]),
            _user_menu(),
            align="center",
            spacing="3",
            max_width=CONTENT_WIDTH,
            margin="0 auto",
            padding="0.6rem 1rem",
            width="100%",
        ),
        position="sticky",
        top="0",
        z_index="20",
        background=rx.color("gray", 1),
        border_bottom=f"3px solid {rx.color(ACCENT, 9)}",
        width="100%",
    )


def portal_layout(*content) -> rx.Component:
    return rx.theme(
        rx.box(
            _header(),
            rx.box(
                rx.cond(PortalState.company_name != "", rx.text(PortalState.company_name, size="1", color_scheme="gray", id="portal-company", padding_bottom="0.5rem")),
                *content,
                max_width=CONTENT_WIDTH,
                margin="0 auto",
                padding=["1rem 0.85rem 6rem", "1.25rem 1rem 6rem", "1.5rem 1rem 3rem"],
                width="100%",
            ),
            _bottom_nav(),
            min_height="100vh",
            background=rx.color(ACCENT, 2),
            width="100%",
        ),
        accent_color=ACCENT,
        radius="large",
    )


def public_layout(*content) -> rx.Component:
    """The signed-out pages: one centred card on the portal's background."""
    return rx.theme(
        rx.center(
            rx.box(
                rx.vstack(
                    rx.hstack(brand("40px"), rx.spacer(), language_select(), align="center", width="100%", wrap="wrap", spacing="2"),
                    *content,
                    spacing="4",
                    align="stretch",
                    width="100%",
                ),
                background=rx.color("gray", 1),
                border_radius="18px",
                border_top=f"4px solid {rx.color(ACCENT, 9)}",
                box_shadow="0 10px 30px rgba(0,0,0,0.08)",
                padding=["1.25rem", "2rem"],
                width="min(460px, 94vw)",
            ),
            min_height="100vh",
            padding="1rem 0",
            background=f"linear-gradient(160deg, {rx.color(ACCENT, 3)}, {rx.color('amber', 2)})",
        ),
        accent_color=ACCENT,
        radius="large",
    )


def _title(title_key: str) -> str:
    return f"{translate(title_key, 'id')} · {translate('portal.brand', 'id')}"


def portal_page(route: str, title_key: str, on_load: list | Callable | None = None):
    """Register a signed-in portal page: the portal guard runs first, then the page's own on_load."""
    extra = on_load if isinstance(on_load, list) else ([on_load] if on_load else [])

    def decorator(render: Callable[[], rx.Component]):
        def page() -> rx.Component:
            return rx.cond(
                PortalState.signed_in,
                portal_layout(render()),
                rx.center(rx.spinner(size="3"), height="100vh"),
            )

        rx.page(route=route, title=_title(title_key), on_load=[PortalState.check_login, *extra])(page)
        return render

    return decorator


def public_page(route: str, title_key: str, on_load: list | Callable | None = None):
    """Register a signed-out portal page (sign-in, sign-up, reset, link landing)."""
    extra = on_load if isinstance(on_load, list) else ([on_load] if on_load else [])

    def decorator(render: Callable[[], rx.Component]):
        def page() -> rx.Component:
            return public_layout(render())

        rx.page(route=route, title=_title(title_key), on_load=extra or None)(page)
        return render

    return decorator
