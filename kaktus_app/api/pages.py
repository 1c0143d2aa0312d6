"""/account/api-keys: create and revoke personal API keys, subscribe webhooks, watch deliveries."""

from __future__ import annotations

import reflex as rx

from kaktus_app.api.service import EVENTS
from kaktus_app.api.state import ApiKeysState as S
from kaktus_app.layout import staff_page
from kaktus_app.ui.components import badge, card, data_table, field, page_header, plain_header
from kaktus_app.ui.lang import t


def _key_status(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        ("active", badge(t("api.status.active"), "grass")),
        ("revoked", badge(t("api.status.revoked"), "red")),
        badge(t("api.status.expired"), "orange"),
    )


def _key_row(key: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(key["name"].to(str)),
        rx.table.cell(rx.code(key["prefix"].to(str))),
        rx.table.cell(key["created"].to(str)),
        rx.table.cell(rx.cond(key["last_used"].to(str) != "", key["last_used"].to(str), t("api.never"))),
        rx.table.cell(key["rate_limit"].to(str)),
        rx.table.cell(_key_status(key["status"].to(str))),
        rx.table.cell(
            rx.cond(
                key["status"].to(str) == "active",
                rx.button(t("api.revoke"), size="1", color_scheme="red", variant="soft", on_click=S.revoke(key["id"].to(int)), class_name="revoke-key"),
            )
        ),
        class_name="api-key-row",
    )


def _once(text: rx.Var, label_key: str, on_done, element_id: str) -> rx.Component:
    """A secret shown once, with a copy button."""
    return rx.cond(
        text != "",
        rx.callout.root(
            rx.vstack(
                rx.text(t(label_key), size="2", weight="medium"),
                rx.hstack(
                    rx.code(text, id=element_id, style={"word_break": "break-all"}),
                    rx.button(rx.icon("copy", size=14), t("api.copy"), size="1", variant="soft", on_click=[rx.set_clipboard(text), rx.toast.info(t("api.copied"))]),
                    rx.button(t("api.done"), size="1", variant="ghost", on_click=on_done),
                    align="center",
                    wrap="wrap",
                ),
                spacing="2",
            ),
            color_scheme="amber",
            width="100%",
        ),
    )


def _keys_card() -> rx.Component:
    return card(
        rx.heading(t("api.keys"), size="4"),
        rx.text(t("api.keys_help"), size="2", color_scheme="gray"),
        rx.form(
            rx.hstack(
                rx.box(
                    field("api.key_name", rx.input(name="name", id="api-key-name", max_length=80, width="100%"), S.key_errors["name"], hint_key="api.key_name_hint"),
                    width="100%",
                    max_width="360px",
                ),
                rx.button(rx.icon("key-round", size=16), t("api.create_key"), type="submit", id="api-key-create", margin_top="1.5rem"),
                align="start",
                spacing="3",
                wrap="wrap",
            ),
            on_submit=S.create_key,
            reset_on_submit=True,
            key="key-form-" + S.key_form.to_string(),
        ),
        _once(S.new_key, "api.new_key", S.dismiss_key, "api-new-key"),
        data_table(
            [plain_header(k) for k in ("api.col.name", "api.col.key", "api.col.created", "api.col.last_used", "api.col.limit", "api.col.status")] + [rx.table.column_header_cell("")],
            S.keys,
            _key_row,
            empty_key="api.no_keys",
            table_id="api-keys-table",
        ),
    )


def _webhook_row(hook: rx.Var) -> rx.Component:
    active = hook["active"].to(bool)
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.code(hook["url"].to(str), style={"word_break": "break-all"}), rx.text(hook["description"].to(str), size="1", color_scheme="gray"), spacing="1")),
        rx.table.cell(rx.text(rx.cond(hook["events"].to(str) == "*", t("api.all_events"), hook["events"].to(str)), size="1")),
        rx.table.cell(rx.cond(active, badge(t("api.status.active"), "grass"), badge(t("api.paused"), "gray"))),
        rx.table.cell(
            rx.hstack(
                rx.button(t("api.ping"), size="1", variant="soft", on_click=S.ping(hook["id"].to(int))),
                rx.button(rx.cond(active, t("api.pause"), t("api.resume")), size="1", variant="soft", color_scheme="gray", on_click=S.toggle_webhook(hook["id"].to(int), active)),
                rx.button(t("api.delete"), size="1", variant="soft", color_scheme="red", on_click=S.delete_webhook(hook["id"].to(int))),
                spacing="2",
                wrap="wrap",
            )
        ),
        class_name="webhook-row",
    )


def _delivery_status(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        ("delivered", badge(t("api.delivery.delivered"), "grass")),
        ("failed", badge(t("api.delivery.failed"), "red")),
        ("sending", badge(t("api.delivery.sending"), "blue")),
        badge(t("api.delivery.pending"), "orange"),
    )


def _delivery_row(d: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(d["when"].to(str)),
        rx.table.cell(rx.code(d["event"].to(str))),
        rx.table.cell(_delivery_status(d["status"].to(str))),
        rx.table.cell(d["attempts"].to(str)),
        rx.table.cell(rx.text(d["answer"].to(str), size="1")),
        rx.table.cell(rx.cond(d["can_redeliver"].to(bool), rx.button(t("api.redeliver"), size="1", variant="soft", on_click=S.redeliver(d["id"].to(int))))),
        class_name="delivery-row",
    )


def _webhooks_card() -> rx.Component:
    checkboxes = [
        rx.el.label(rx.checkbox(name="event:*", id="event-all"), rx.text(t("api.all_events"), size="2", weight="medium"), style={"display": "flex", "gap": "0.4rem", "align_items": "center"})
    ] + [
        rx.el.label(rx.checkbox(name=f"event:{event}"), rx.code(event, size="1"), style={"display": "flex", "gap": "0.4rem", "align_items": "center"})
        for event in EVENTS
    ]
    return card(
        rx.heading(t("api.webhooks"), size="4"),
        rx.text(t("api.webhooks_help"), size="2", color_scheme="gray"),
        rx.form(
            rx.vstack(
                rx.hstack(
                    field("api.url", rx.input(name="url", id="webhook-url", placeholder="https://", width="100%"), S.hook_errors["url"]),
                    field("api.description", rx.input(name="description", id="webhook-description", width="100%"), S.hook_errors["description"]),
                    spacing="3",
                    width="100%",
                ),
                rx.text(t("api.events"), size="2", weight="medium"),
                rx.grid(*checkboxes, columns=rx.breakpoints(initial="1", sm="2", lg="4"), spacing="2", width="100%"),
                rx.cond(S.hook_errors["events"], rx.text(S.hook_errors["events"], color_scheme="red", size="1", class_name="field-error")),
                rx.button(rx.icon("webhook", size=16), t("api.subscribe"), type="submit", id="webhook-create"),
                spacing="2",
                align="start",
                width="100%",
            ),
            on_submit=S.create_webhook,
            reset_on_submit=True,
            key="hook-form-" + S.hook_form.to_string(),
        ),
        _once(S.new_secret, "api.new_secret", S.dismiss_secret, "webhook-new-secret"),
        data_table(
            [plain_header("api.url"), plain_header("api.events"), plain_header("api.col.status"), rx.table.column_header_cell("")],
            S.webhooks,
            _webhook_row,
            empty_key="api.no_webhooks",
            table_id="webhooks-table",
        ),
        rx.hstack(
            rx.heading(t("api.deliveries"), size="3"),
            rx.spacer(),
            rx.button(rx.icon("refresh-cw", size=14), t("api.refresh"), size="1", variant="soft", on_click=S.refresh, id="deliveries-refresh"),
            align="center",
            width="100%",
        ),
        data_table(
            [plain_header(k) for k in ("api.col.when", "api.col.event", "api.col.status", "api.col.attempts", "api.col.answer")] + [rx.table.column_header_cell("")],
            S.deliveries,
            _delivery_row,
            empty_key="api.no_deliveries",
            table_id="deliveries-table",
        ),
    )


@staff_page("/account/api-keys", "api.title", on_load=S.load)
def api_keys_page() -> rx.Component:
    return rx.vstack(
        page_header(t("api.title"), subtitle=t("api.subtitle")),
        _keys_card(),
        _webhooks_card(),
        width="100%",
        spacing="3",
        max_width="1100px",
    )
