"""The staff login page."""

from __future__ import annotations

import reflex as rx

from kaktus_app.auth import audit, permissions
from kaktus_app.auth.models import AUDIT_ACTIONS
from kaktus_app.auth.state import AuditState, AuthState, ProfilesState, RolesState, SecurityState, UsersState
from kaktus_app.layout import staff_page
from kaktus_app.ui.components import (
    card,
    data_table,
    export_menu,
    field,
    page_header,
    pagination,
    plain_header,
    text_input,
)
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
                        AuthState.need_code,
                        rx.vstack(
                            rx.text(t("auth.code"), size="2", weight="medium"),
                            rx.input(name="code", id="login-code", width="100%", auto_complete="one-time-code", input_mode="numeric", placeholder="123456", auto_focus=True),
                            spacing="1",
                            width="100%",
                        ),
                    ),
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


# -------------------------------------------------------------------------------- audit trail

A = AuditState
RECORD_LINKS = {"customers": "/customers/", "leads": "/leads/", "opportunities": "/opportunities/", "products": "/products/", "quotations": "/quotations/", "invoices": "/invoices/"}
ACTION_COLORS = {"create": "grass", "update": "blue", "delete": "red", "stage_move": "violet", "login": "gray", "login_failed": "amber", "logout": "gray", "export": "cyan", "permission_change": "orange"}


def _audit_record(row: rx.Var) -> rx.Component:
    label = rx.text(row["label"].to(str), size="2")
    link = rx.match(
        row["module"].to(str),
        *[(module, rx.link(row["label"].to(str), href=prefix + row["record_id"].to_string(), size="2")) for module, prefix in RECORD_LINKS.items()],
        label,
    )
    return rx.cond(row["record_id"].to(int) > 0, link, label)


def _audit_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["when"].to(str), size="1", white_space="nowrap")),
        rx.table.cell(rx.text(row["who"].to(str), size="2")),
        rx.table.cell(
            rx.badge(row["action_label"].to(str), color_scheme=rx.match(row["action"].to(str), *ACTION_COLORS.items(), "gray"), variant="soft", class_name="audit-action")
        ),
        rx.table.cell(rx.text(row["module_label"].to(str), size="2")),
        rx.table.cell(_audit_record(row)),
        rx.table.cell(
            rx.vstack(
                rx.foreach(
                    row["changes"].to(list[dict]),
                    lambda c: rx.cond(
                        (c["old"].to(str) == "") & (c["new"].to(str) == ""),
                        rx.text(c["field"].to(str), size="1", color_scheme="gray"),
                        rx.text(rx.text.strong(c["field"].to(str)), ": ", c["old"].to(str), " → ", c["new"].to(str), size="1", class_name="audit-change"),
                    ),
                ),
                rx.cond(row["detail"].to(str) != "", rx.text(row["detail"].to(str), size="1", color_scheme="gray")),
                spacing="0",
                max_width="520px",
            )
        ),
        class_name="audit-row",
    )


@staff_page("/admin/audit", "audit.title", on_load=A.load)
def audit_page() -> rx.Component:
    def select(key: str, options: list[tuple[str, str]], value, element_id: str) -> rx.Component:
        return rx.el.select(
            rx.el.option(t("audit.any"), value=""),
            *[rx.el.option(t(label), value=v) for v, label in options],
            value=value,
            on_change=lambda v: A.set_filter(key, v),
            class_name="kaktus-select",
            id=element_id,
        )

    return rx.vstack(
        page_header(t("audit.title"), export_menu(A, "audit"), subtitle=t("audit.subtitle")),
        rx.cond(
            A.allowed,
            rx.vstack(
                rx.hstack(
                    rx.input(placeholder=t("audit.search"), default_value=A.text, on_change=lambda v: A.set_filter("text", v).debounce(300), id="audit-search", width="220px"),
                    select("action", [(a, f"audit.action.{a}") for a in AUDIT_ACTIONS], A.action, "audit-action"),
                    select("module", [(m, f"audit.module.{m}") for m in audit.MODULES], A.module, "audit-module"),
                    rx.el.select(
                        rx.el.option(t("audit.anyone"), value=""),
                        rx.foreach(A.users, lambda u: rx.el.option(u["name"], value=u["id"].to_string())),
                        value=A.user_filter,
                        on_change=lambda v: A.set_filter("user_filter", v),
                        class_name="kaktus-select",
                        id="audit-user",
                    ),
                    rx.input(type="date", value=A.date_from, on_change=lambda v: A.set_filter("date_from", v), id="audit-from", width="150px"),
                    rx.input(type="date", value=A.date_to, on_change=lambda v: A.set_filter("date_to", v), id="audit-to", width="150px"),
                    spacing="2",
                    wrap="wrap",
                ),
                data_table(
                    [plain_header("audit.when"), plain_header("audit.who"), plain_header("audit.action"), plain_header("audit.module"), plain_header("audit.record"), plain_header("audit.changes")],
                    A.rows,
                    _audit_row,
                    table_id="audit-table",
                ),
                pagination(A.page, A.pages, A.count_label, A.prev_page, A.next_page),
                width="100%",
                spacing="3",
            ),
            rx.callout(t("error.permission_denied"), icon="lock", color_scheme="red", id="audit-denied"),
        ),
        width="100%",
        spacing="3",
    )


# ------------------------------------------------------------------------------- account security

SEC = SecurityState


@staff_page("/account/security", "auth.security", on_load=SEC.load)
def security_page() -> rx.Component:
    code_form = rx.form(
        rx.hstack(
            rx.vstack(
                rx.input(name="code", id="totp-code", placeholder="123456", input_mode="numeric", auto_complete="one-time-code", width="160px"),
                rx.cond(SEC.code_error != "", rx.text(SEC.code_error, color_scheme="red", size="1", class_name="field-error", id="totp-error")),
                spacing="1",
            ),
            rx.button(rx.cond(SEC.enabled, t("auth.totp_disable"), t("auth.totp_enable")), type="submit", id="totp-submit", color_scheme=rx.cond(SEC.enabled, "red", "grass")),
            align="start",
            spacing="2",
        ),
        on_submit=SEC.confirm,
        reset_on_submit=True,
        key=SEC.form_key.to_string(),
    )
    return rx.vstack(
        page_header(t("auth.security")),
        card(
            rx.hstack(
                rx.heading(t("auth.two_factor"), size="3"),
                rx.badge(rx.cond(SEC.enabled, t("auth.totp_state_on"), t("auth.totp_state_off")), color_scheme=rx.cond(SEC.enabled, "grass", "gray"), id="totp-state"),
                spacing="3",
                align="center",
            ),
            rx.text(t("auth.two_factor_help"), size="2", color_scheme="gray"),
            rx.cond(
                SEC.enabled,
                rx.vstack(rx.text(t("auth.totp_disable_help"), size="2"), code_form, spacing="2"),
                rx.cond(
                    SEC.secret != "",
                    rx.vstack(
                        rx.text(t("auth.totp_scan"), size="2"),
                        rx.image(src=SEC.qr, width="200px", height="200px", alt="QR", id="totp-qr"),
                        rx.text(t("auth.totp_key"), ": ", rx.code(SEC.secret, id="totp-secret"), size="2"),
                        rx.text(t("auth.totp_enter_code"), size="2"),
                        code_form,
                        spacing="2",
                    ),
                    rx.button(rx.icon("shield-check", size=16), t("auth.totp_setup"), on_click=SEC.start_setup, id="totp-setup"),
                ),
            ),
            max_width="640px",
        ),
        rx.form(
            card(
                rx.heading(t("users.change_password"), size="3"),
                field("users.current_password", rx.input(name="current", type="password", id="field-current", auto_complete="current-password"), SEC.password_errors["current"]),
                field("users.new_password", rx.input(name="new", type="password", id="field-new", auto_complete="new-password"), SEC.password_errors["new"]),
                field("users.repeat_password", rx.input(name="repeat", type="password", id="field-repeat", auto_complete="new-password"), SEC.password_errors["repeat"]),
                rx.hstack(rx.button(t("users.change_password"), type="submit", id="change-password")),
                max_width="640px",
            ),
            on_submit=SEC.change_password,
            reset_on_submit=False,
            key="pw-" + SEC.password_key.to_string(),
        ),
        card(
            rx.heading(t("auth.sessions"), size="3"),
            rx.text(t("auth.sessions_help"), size="2", color_scheme="gray"),
            rx.button(rx.icon("log-out", size=16), t("shell.logout_everywhere"), color_scheme="red", variant="soft", on_click=AuthState.logout_everywhere, id="security-logout-everywhere"),
            max_width="640px",
        ),
        width="100%",
        spacing="3",
    )


# ------------------------------------------------------------------------------------- profiles

PR = ProfilesState


def _profile_card(profile: rx.Var) -> rx.Component:
    perms = profile["permissions"].to(dict)
    fields = profile["fields"].to(dict)
    return rx.form(
        card(
            rx.hstack(rx.heading(profile["name"].to(str), size="4"), rx.badge(profile["key"].to(str), variant="soft"), spacing="2", align="center"),
            rx.el.input(type="hidden", name="profile_id", value=profile["id"].to_string()),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(t("profiles.module")),
                            *[rx.table.column_header_cell(t(f"profiles.action.{a}")) for a in permissions.ACTIONS],
                        )
                    ),
                    rx.table.body(
                        *[
                            rx.table.row(
                                rx.table.cell(t(f"audit.module.{m}" if m != "purchasing" else "audit.module.purchase_orders")),
                                *[
                                    rx.table.cell(
                                        rx.el.input(
                                            type="checkbox",
                                            name=f"perm:{m}:{a}",
                                            default_checked=perms[m].to(list[str]).contains(a),
                                            class_name=f"perm-{m}-{a}",
                                        )
                                    )
                                    for a in permissions.ACTIONS
                                ],
                            )
                            for m in permissions.MODULES
                        ]
                    ),
                    size="1",
                    variant="surface",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.text(t("profiles.fields"), size="2", weight="bold"),
            # native <details>: a closed section's selects stay in the form (a Radix accordion would
            # unmount them, and the save would reset those fields to editable)
            rx.vstack(
                *[
                    rx.el.details(
                        rx.el.summary(rx.text(t(f"audit.module.{m}"), size="2", weight="medium", as_="span"), style={"cursor": "pointer"}),
                        rx.grid(
                            *[
                                rx.hstack(
                                    rx.text(t(label), size="2", min_width="180px"),
                                    rx.el.select(
                                        *[rx.el.option(t(f"profiles.mode.{mode}"), value=mode) for mode in permissions.FIELD_MODES],
                                        name=f"field:{m}.{f}",
                                        default_value=fields[f"{m}.{f}"].to(str),
                                        class_name=f"kaktus-select field-mode-{m}-{f}",
                                    ),
                                    align="center",
                                )
                                for f, label in fs.items()
                            ],
                            columns=rx.breakpoints(initial="1", md="2", lg="3"),
                            spacing="2",
                            width="100%",
                            padding_top="8px",
                        ),
                        class_name=f"fields-{m}",
                        width="100%",
                    )
                    for m, fs in permissions.FIELDS.items()
                ],
                spacing="2",
                width="100%",
            ),
            rx.hstack(rx.button(rx.icon("save", size=16), t("common.save"), type="submit", class_name="profile-save")),
        ),
        on_submit=PR.save,
        reset_on_submit=False,
        id="profile-" + profile["key"].to(str),
        width="100%",
    )


@staff_page("/admin/profiles", "profiles.title", on_load=PR.load)
def profiles_page() -> rx.Component:
    return rx.vstack(
        page_header(t("profiles.title"), subtitle=t("profiles.subtitle")),
        rx.cond(
            PR.allowed,
            rx.vstack(rx.foreach(PR.profiles, _profile_card), width="100%", spacing="4", key=PR.form_key.to_string()),
            rx.callout(t("error.permission_denied"), icon="lock", color_scheme="red", id="profiles-denied"),
        ),
        width="100%",
        spacing="3",
    )


# ---------------------------------------------------------------------------------------- users

US = UsersState


def _user_row(user: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(user["full_name"].to(str), weight="medium", size="2"), rx.text(user["username"].to(str), size="1", color_scheme="gray"), spacing="0")),
        rx.table.cell(rx.text(user["email"].to(str), size="2")),
        rx.table.cell(
            rx.el.select(
                rx.foreach(US.roles, lambda r: rx.el.option(r["name"], value=r["id"].to_string())),
                value=user["role_id"].to(str),
                on_change=lambda v: US.set_role(user["id"].to(int), v),
                class_name="kaktus-select user-role",
            )
        ),
        rx.table.cell(rx.cond(user["two_factor"].to(bool), rx.badge(t("auth.totp_state_on"), color_scheme="grass"), rx.text("—", color_scheme="gray"))),
        rx.table.cell(rx.text(user["last_login"].to(str), size="1")),
        rx.table.cell(rx.cond(user["active"].to(bool), rx.badge(t("users.active"), color_scheme="grass", class_name="user-state"), rx.badge(t("users.inactive"), color_scheme="gray", class_name="user-state"))),
        rx.table.cell(
            rx.hstack(
                rx.button(t("users.reset_password"), size="1", variant="soft", on_click=US.reset_password(user["id"].to(int), user["username"].to(str)), class_name="user-reset"),
                rx.cond(
                    user["active"].to(bool),
                    rx.button(t("users.deactivate"), size="1", variant="soft", color_scheme="red", on_click=US.set_active(user["id"].to(int), False), disabled=user["is_me"].to(bool), class_name="user-deactivate"),
                    rx.button(t("users.reactivate"), size="1", variant="soft", on_click=US.set_active(user["id"].to(int), True), class_name="user-reactivate"),
                ),
                spacing="1",
            )
        ),
        id="user-row-" + user["username"].to(str),
        class_name="user-row",
    )


@staff_page("/admin/users", "users.title", on_load=US.load)
def users_page() -> rx.Component:
    return rx.vstack(
        page_header(t("users.title")),
        rx.cond(
            US.allowed,
            rx.vstack(
                data_table(
                    [plain_header("users.name"), plain_header("common.email"), plain_header("users.role"), plain_header("auth.two_factor"), plain_header("users.last_login"), plain_header("users.state"), rx.table.column_header_cell("")],
                    US.users,
                    _user_row,
                    table_id="users-table",
                ),
                rx.form(
                    card(
                        rx.heading(t("users.invite"), size="3"),
                        rx.text(t("users.invite_help"), size="2", color_scheme="gray"),
                        rx.grid(
                            field("users.username", text_input("username"), US.errors["username"]),
                            field("users.name", text_input("full_name"), US.errors["full_name"]),
                            field("common.email", text_input("email", type="email"), US.errors["email"]),
                            field(
                                "users.role",
                                rx.el.select(
                                    rx.el.option("—", value=""),
                                    rx.foreach(US.roles, lambda r: rx.el.option(r["name"], value=r["id"].to_string())),
                                    name="role_id",
                                    class_name="kaktus-select",
                                    id="field-role_id",
                                ),
                                US.errors["role_id"],
                            ),
                            columns=rx.breakpoints(initial="1", sm="2"),
                            spacing="3",
                            width="100%",
                        ),
                        rx.hstack(rx.button(rx.icon("user-plus", size=16), t("users.invite"), type="submit", id="invite-user")),
                        max_width="760px",
                    ),
                    on_submit=US.invite,
                    reset_on_submit=False,
                    key="invite-" + US.invite_key.to_string(),
                ),
                width="100%",
                spacing="3",
            ),
            rx.callout(t("error.permission_denied"), icon="lock", color_scheme="red", id="users-denied"),
        ),
        rx.dialog.root(
            rx.dialog.content(
                rx.dialog.title(t("users.temporary_password")),
                rx.text(t("users.temporary_password_help", user=US.shown_for), size="2"),
                rx.code(US.shown_password, size="5", id="temporary-password"),
                rx.hstack(rx.dialog.close(rx.button(t("common.close"), id="temporary-close")), justify="end", width="100%"),
            ),
            open=US.shown_password != "",
            on_open_change=US.hide_password,
        ),
        width="100%",
        spacing="3",
    )


# ------------------------------------------------------------------------------ roles and sharing

RS = RolesState


def _role_row(role: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.hstack(rx.icon("corner-down-right", size=14, color=rx.color("gray", 8)), rx.text(role["name"].to(str), weight="medium", size="2"), padding_left=role["indent"].to(str), spacing="1")),
        rx.table.cell(
            rx.el.select(
                rx.el.option("—", value=""),
                rx.foreach(RS.roles, lambda r: rx.el.option(r["name"], value=r["id"].to_string())),
                value=role["parent_id"].to_string(),
                on_change=lambda v: RS.set_parent(role, v),
                class_name="kaktus-select role-parent",
            )
        ),
        rx.table.cell(
            rx.el.select(
                rx.foreach(RS.profiles, lambda p: rx.el.option(p["name"], value=p["id"])),
                value=role["profile_key"].to(str),
                on_change=lambda v: RS.set_profile(role, v),
                class_name="kaktus-select role-profile",
            )
        ),
        rx.table.cell(rx.text(role["people"].to(str), size="1", color_scheme="gray")),
        id="role-" + role["id"].to_string(),
        class_name="role-row",
    )


@staff_page("/admin/roles", "roles.title", on_load=RS.load)
def roles_page() -> rx.Component:
    return rx.vstack(
        page_header(t("roles.title"), subtitle=t("roles.subtitle")),
        rx.cond(
            RS.allowed,
            rx.vstack(
                card(
                    rx.heading(t("roles.tree"), size="3"),
                    data_table(
                        [plain_header("roles.role"), plain_header("roles.reports_to"), plain_header("roles.profile"), plain_header("roles.people")],
                        RS.roles,
                        _role_row,
                        table_id="roles-table",
                    ),
                    rx.form(
                        rx.hstack(
                            field("roles.new_role", text_input("name"), RS.errors["name"]),
                            field(
                                "roles.reports_to",
                                rx.el.select(
                                    rx.el.option("—", value=""),
                                    rx.foreach(RS.roles, lambda r: rx.el.option(r["name"], value=r["id"].to_string())),
                                    name="parent_id",
                                    class_name="kaktus-select",
                                    id="field-parent_id",
                                ),
                                RS.errors["parent_id"],
                            ),
                            field(
                                "roles.profile",
                                rx.el.select(rx.foreach(RS.profiles, lambda p: rx.el.option(p["name"], value=p["id"])), name="profile_key", class_name="kaktus-select", id="field-profile_key"),
                                RS.errors["profile_key"],
                            ),
                            rx.button(rx.icon("plus", size=16), t("roles.add"), type="submit", id="add-role"),
                            align="end",
                            spacing="3",
                            wrap="wrap",
                        ),
                        on_submit=RS.add_role,
                        reset_on_submit=False,
                        key="role-" + RS.add_key.to_string(),
                    ),
                ),
                card(
                    rx.heading(t("roles.sharing"), size="3"),
                    rx.text(t("roles.sharing_help"), size="2", color_scheme="gray"),
                    rx.foreach(
                        RS.rules,
                        lambda rule: rx.hstack(
                            rx.text(rx.match(rule["module"].to(str), *[(m, t(f"audit.module.{m}" if m != "purchasing" else "audit.module.purchase_orders")) for m in permissions.MODULES], rule["module"].to(str)), size="2", min_width="200px"),
                            rx.el.select(
                                *[rx.el.option(t(f"roles.sharing.{a}"), value=a) for a in permissions.SHARING],
                                value=rule["access"].to(str),
                                on_change=lambda v: RS.set_sharing(rule["module"].to(str), v),
                                class_name="kaktus-select",
                                id="sharing-" + rule["module"].to(str),
                            ),
                            align="center",
                        ),
                    ),
                    max_width="640px",
                ),
                width="100%",
                spacing="3",
            ),
            rx.callout(t("error.permission_denied"), icon="lock", color_scheme="red", id="roles-denied"),
        ),
        width="100%",
        spacing="3",
    )
