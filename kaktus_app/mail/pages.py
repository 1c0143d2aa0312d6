"""/mail: inbound e-mail. Upload .eml files, see where each received mail went (a contact's
timeline, a lead, a ticket's conversation, or unmatched), read one with its files, file an
unmatched one on a customer, and (administrators) the mail settings and the mailbox poller's state.

Mail text is always shown as text (HTML mail was turned into text by the service): never rx.html.
"""

from __future__ import annotations

import reflex as rx

from kaktus_app.layout import staff_page
from kaktus_app.mail import service
from kaktus_app.mail.state import OUTCOMES, UPLOAD_ID, MailState
from kaktus_app.ui.components import (
    attachment_buttons,
    badge,
    card,
    data_table,
    field,
    page_header,
    pagination,
    plain_header,
)
from kaktus_app.ui.lang import t
from kaktus_app.ui.live import LiveSignal

M = MailState
# The help desk's live channel: a reply filed on a ticket from here makes open ticket pages reload.
HELPDESK_CHANNEL = "helpdesk"
OUTCOME_COLORS = (("contact", "grass"), ("lead", "violet"), ("ticket", "blue"), ("unmatched", "orange"))
# A button that looks like a link (opens the message dialog; keyboard-reachable, no navigation).
LINK_BUTTON = {
    "background": "none", "border": "none", "padding": 0, "cursor": "pointer", "text_align": "left", "font_weight": "500",
    "color": "var(--accent-11)", "font_size": "var(--font-size-2)", "overflow_wrap": "anywhere",
}


def outcome_badge(outcome: rx.Var, label: rx.Var, element_id: str | rx.Var | None = None) -> rx.Component:
    return rx.badge(
        label,
        color_scheme=rx.match(outcome, *OUTCOME_COLORS, "gray"),
        variant="soft",
        radius="full",
        class_name="mail-outcome",
        data_outcome=outcome,
        id=element_id,
    )


def _record_link(row: rx.Var, element_id: rx.Var | str) -> rx.Component:
    """Where the mail went: a link to the contact / lead / ticket, or "record deleted"."""
    return rx.cond(
        row["href"].to(str) != "",
        rx.link(row["link_label"].to(str), href=row["href"].to(str), size="2", class_name="mail-record-link", id=element_id),
        rx.cond(row["link_label"].to(str) != "", rx.text(row["link_label"].to(str), size="1", color_scheme="gray")),
    )


# ------------------------------------------------------------------------------------------ upload


def _result_line(result: rx.Var) -> rx.Component:
    status = result["status"]
    return rx.hstack(
        rx.match(
            status,
            ("ok", rx.icon("circle-check", size=16, color=rx.color("grass", 10))),
            ("duplicate", rx.icon("copy", size=16, color=rx.color("amber", 10))),
            rx.icon("circle-x", size=16, color=rx.color("red", 10)),
        ),
        rx.text(result["name"], size="2", weight="medium"),
        rx.text(result["text"], size="2", color=rx.cond(status == "error", rx.color("red", 11), rx.color("gray", 11)), class_name=rx.cond(status == "error", "field-error", "")),
        rx.cond(result["href"] != "", rx.link(result["link_label"], href=result["href"], size="2")),
        rx.cond(result["id"] != "", rx.button(t("mail.open"), size="1", variant="ghost", type="button", on_click=M.open_message(result["id"].to(int)))),
        align="center",
        spacing="2",
        wrap="wrap",
        class_name="mail-upload-result",
        data_status=status,
    )


def _upload_card() -> rx.Component:
    return card(
        rx.heading(t("mail.upload.title"), size="3"),
        rx.upload(
            rx.vstack(
                rx.hstack(rx.icon("upload", size=16), rx.text(t("mail.upload.hint"), size="2"), align="center", spacing="2"),
                rx.text(t("mail.upload.limits", max=service.MAX_MESSAGE_LABEL, files=str(service.MAX_UPLOAD_FILES), file_max=service.size_label(service.MAX_ATTACHMENT), file_count=str(service.MAX_FILES)), size="1", color_scheme="gray"),
                spacing="1",
                align="center",
            ),
            id=UPLOAD_ID,
            multiple=True,
            border=f"1px dashed {rx.color('gray', 7)}",
            border_radius="var(--radius-3)",
            padding="1rem",
            width="100%",
            cursor="pointer",
            class_name="mail-upload-zone",
        ),
        rx.hstack(
            rx.foreach(rx.selected_files(UPLOAD_ID), lambda name: badge(name, "gray")),
            spacing="1",
            wrap="wrap",
            id=f"{UPLOAD_ID}-selected",
        ),
        rx.hstack(
            rx.button(rx.icon("inbox", size=14), t("mail.upload.submit"), on_click=M.upload(rx.upload_files(upload_id=UPLOAD_ID)), id="mail-upload-submit"),
            rx.button(t("common.clear"), variant="soft", type="button", on_click=rx.clear_selected_files(UPLOAD_ID), id="mail-upload-clear"),
            spacing="2",
        ),
        rx.cond(M.upload_error != "", rx.text(M.upload_error, color_scheme="red", size="2", class_name="field-error", id="mail-upload-error")),
        rx.cond(M.upload_results.length() > 0, rx.vstack(rx.foreach(M.upload_results, _result_line), spacing="1", width="100%", id="mail-upload-results")),
        id="mail-upload-card",
    )


# -------------------------------------------------------------------------------------------- list


def _filters() -> rx.Component:
    return rx.flex(
        rx.input(
            rx.input.slot(rx.icon("search", size=14)),
            placeholder=t("mail.search"),
            value=M.search,
            on_change=M.set_search,
            debounce_timeout=300,
            width="260px",
            id="mail-search",
        ),
        rx.el.select(
            rx.el.option(t("mail.filter.any"), value=""),
            *[
                rx.el.option(t("mail.filter.count", outcome=t(f"mail.outcome.{o}"), count=M.counts[o].to_string()), value=o)
                for o in OUTCOMES
            ],
            value=M.outcome,
            on_change=M.set_outcome,
            class_name="kaktus-select",
            id="mail-filter-outcome",
            aria_label="Outcome",
        ),
        rx.button(t("common.clear"), variant="ghost", on_click=M.clear_filters, id="mail-filters-clear"),
        wrap="wrap",
        gap="2",
        align="center",
        width="100%",
    )


def _row(row: rx.Var) -> rx.Component:
    row_id = row["id"].to_string()
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["from_label"], size="2", weight="medium", class_name="mail-from"),
                rx.cond(row["from_name"].to(str) != "", rx.text(row["from_address"], size="1", color_scheme="gray")),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.el.button(
                    row["subject"],
                    type="button",
                    on_click=M.open_message(row["id"].to(int)),
                    class_name="mail-subject",
                    id="mail-open-" + row_id,
                    style=LINK_BUTTON,
                ),
                rx.cond(row["attachment_count"].to(int) > 0, rx.hstack(rx.icon("paperclip", size=12), rx.text(row["attachment_count"].to_string(), size="1"), spacing="1", align="center", color=rx.color("gray", 10))),
                rx.cond(row["thread_count"].to(int) > 1, rx.badge(rx.icon("messages-square", size=12), row["thread_count"].to_string(), variant="outline", color_scheme="gray", title=t("mail.thread"))),
                align="center",
                spacing="2",
                wrap="wrap",
            )
        ),
        rx.table.cell(rx.text(row["received_label"], size="1", white_space="nowrap")),
        rx.table.cell(
            rx.vstack(
                outcome_badge(row["outcome"].to(str), row["outcome_label"].to(str)),
                _record_link(row, "mail-link-" + row_id),
                spacing="1",
            )
        ),
        id="mail-row-" + row_id,
        class_name="mail-row",
        data_outcome=row["outcome"],
    )


# ------------------------------------------------------------------------------------------ dialog


def _line(label_key: str, value: rx.Var, element_id: str) -> rx.Component:
    return rx.cond(
        value != "",
        rx.hstack(rx.text(t(label_key), size="2", color_scheme="gray", min_width="90px"), rx.text(value, size="2", id=element_id, style={"overflow_wrap": "anywhere"}), spacing="2", align="start"),
    )


def _file_section() -> rx.Component:
    return rx.cond(
        (M.detail["can_file"] == "1") & M.can_file,
        rx.vstack(
            rx.divider(),
            rx.text(t("mail.file.title"), weight="bold", size="2"),
            rx.text(t("mail.file.hint"), size="1", color_scheme="gray"),
            rx.hstack(
                rx.input(placeholder=t("mail.file.search"), value=M.file_query, on_change=M.set_file_query, debounce_timeout=300, width="220px", id="mail-file-search"),
                rx.el.select(
                    rx.el.option("—", value=""),
                    rx.foreach(M.file_choices, lambda c: rx.el.option(c["name"], value=c["id"])),
                    value=M.file_customer_id,
                    on_change=M.pick_customer,
                    class_name="kaktus-select",
                    id="mail-file-customer",
                    aria_label="Customer",
                ),
                rx.button(rx.icon("folder-input", size=14), t("mail.file.submit"), on_click=M.file_to_customer, id="mail-file-submit"),
                spacing="2",
                wrap="wrap",
                align="center",
            ),
            rx.cond(M.file_error != "", rx.text(M.file_error, color_scheme="red", size="1", class_name="field-error", id="mail-file-error")),
            spacing="2",
            width="100%",
        ),
    )


def _detail_dialog() -> rx.Component:
    d = M.detail
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(d["subject"], id="mail-detail-subject", style={"overflow_wrap": "anywhere"}),
            rx.vstack(
                rx.hstack(
                    outcome_badge(d["outcome"], d["outcome_label"], "mail-detail-outcome"),
                    _record_link(d, "mail-detail-link"),
                    rx.spacer(),
                    rx.text(d["source_label"], size="1", color_scheme="gray"),
                    align="center",
                    spacing="2",
                    width="100%",
                    wrap="wrap",
                ),
                _line("mail.field.from", rx.cond(d["from_name"] != "", d["from_name"] + " <" + d["from_address"] + ">", d["from_address"]), "mail-detail-from"),
                _line("mail.field.to", d["to_addresses"], "mail-detail-to"),
                _line("mail.field.sent", d["sent_label"], "mail-detail-sent"),
                _line("mail.field.received", d["received_label"], "mail-detail-received"),
                attachment_buttons(M.attachments, M.download, id_prefix="mail-attachment-", class_name="mail-attachment", container_id="mail-attachments"),
                rx.cond(
                    M.skipped.length() > 0,
                    rx.callout.root(
                        rx.callout.icon(rx.icon("file-x")),
                        rx.vstack(
                            rx.text(t("mail.skipped.title"), weight="bold", size="2"),
                            rx.foreach(M.skipped, lambda s: rx.text(s["text"], size="2", class_name="mail-skipped-file")),
                            spacing="1",
                        ),
                        color_scheme="amber",
                        size="1",
                        id="mail-skipped",
                    ),
                ),
                rx.cond(d["body_cut"] != "", rx.text(d["body_cut"], size="1", color_scheme="gray", id="mail-detail-body-cut")),
                rx.box(
                    rx.cond(
                        d["body"] != "",
                        rx.text(d["body"], size="2", white_space="pre-wrap", style={"overflow_wrap": "anywhere"}),
                        rx.text(t("mail.no_text"), size="2", color_scheme="gray"),
                    ),
                    id="mail-detail-body",
                    max_height="45vh",
                    overflow_y="auto",
                    width="100%",
                    padding="0.6rem 0.75rem",
                    border=f"1px solid {rx.color('gray', 5)}",
                    border_radius="8px",
                    background=rx.color("gray", 2),
                ),
                rx.cond(
                    M.thread.length() > 0,
                    rx.vstack(
                        rx.text(t("mail.thread"), weight="bold", size="2"),
                        rx.foreach(
                            M.thread,
                            lambda m: rx.hstack(
                                rx.icon(rx.cond(m["current"] == "1", "chevron-right", "mail"), size=12),
                                rx.cond(
                                    m["current"] == "1",
                                    rx.text(m["subject"], size="2", weight="bold"),
                                    rx.el.button(m["subject"], type="button", on_click=M.open_message(m["id"].to(int)), style=LINK_BUTTON | {"font_weight": "400"}),
                                ),
                                rx.text(m["from_label"], " · ", m["received_label"], size="1", color_scheme="gray"),
                                align="center",
                                spacing="2",
                                wrap="wrap",
                                class_name="mail-thread-item",
                                id="mail-thread-" + m["id"],
                            ),
                        ),
                        spacing="1",
                        width="100%",
                        id="mail-thread",
                    ),
                ),
                _file_section(),
                rx.hstack(
                    rx.dialog.close(rx.button(t("common.close"), variant="soft", id="mail-detail-close")),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="760px",
            id="mail-detail",
        ),
        open=M.detail_open,
        on_open_change=M.set_detail_open,
    )


# ---------------------------------------------------------------------------------------- settings


def _imap_line() -> rx.Component:
    i = M.imap
    return rx.vstack(
        rx.cond(
            i["configured"] == "1",
            rx.text(t("mail.imap.on", host=i["host"].to(str), folder=i["folder"].to(str), interval=i["interval"].to(str)), size="2", id="mail-imap-status", data_configured="1"),
            rx.text(t("mail.imap.off"), size="2", color_scheme="gray", id="mail-imap-status", data_configured="0"),
        ),
        rx.cond(
            i["last_poll_label"] != "",
            rx.text(t("mail.imap.last", when=i["last_poll_label"].to(str), count=i["last_poll_stored"].to(str)), size="1", color_scheme="gray", id="mail-imap-last"),
        ),
        rx.cond(i["last_poll_error"] != "", rx.text(i["last_poll_error"], size="1", color_scheme="red", id="mail-imap-error")),
        spacing="1",
        width="100%",
    )


def _settings_card() -> rx.Component:
    e = M.settings_errors
    return card(
        rx.heading(t("mail.settings.title"), size="3"),
        rx.form(
            rx.vstack(
                rx.el.label(
                    rx.el.input(type="checkbox", name="create_leads", default_checked=M.create_leads, id="mail-create-leads"),
                    rx.text(t("mail.settings.create_leads"), size="2"),
                    style={"display": "flex", "gap": "0.5rem", "align_items": "center"},
                ),
                field(
                    "mail.settings.lead_owner",
                    rx.el.select(
                        rx.el.option(t("mail.settings.owner_default"), value=""),
                        rx.foreach(M.owners, lambda o: rx.el.option(o["name"], value=o["id"])),
                        name="lead_owner_id",
                        default_value=M.lead_owner_id,
                        class_name="kaktus-select",
                        id="mail-lead-owner",
                    ),
                    e["lead_owner_id"],
                ),
                rx.button(t("common.save"), type="submit", id="mail-settings-save"),
                spacing="3",
                align="start",
                width="100%",
            ),
            on_submit=M.save_settings,
            reset_on_submit=False,
            key=M.settings_key.to_string(),
            width="100%",
        ),
        rx.divider(),
        rx.text(t("mail.imap.title"), weight="bold", size="2"),
        _imap_line(),
        id="mail-settings",
    )


@staff_page("/mail", "mail.title", on_load=[LiveSignal.join(HELPDESK_CHANNEL), M.load])
def mail_page() -> rx.Component:
    headers = [plain_header("mail.field.from"), plain_header("mail.field.subject"), plain_header("mail.field.received"), plain_header("mail.field.outcome")]
    return rx.vstack(
        page_header(t("mail.title"), subtitle=t("mail.subtitle")),
        rx.cond(
            M.allowed,
            rx.vstack(
                rx.grid(
                    rx.cond(M.can_upload, _upload_card()),
                    rx.cond(M.is_admin, _settings_card()),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="3",
                    width="100%",
                ),
                _filters(),
                data_table(headers, M.rows, _row, empty_key="mail.empty", table_id="mail-table"),
                pagination(M.page, M.pages, t("mail.count", count=M.count_label), M.prev_page, M.next_page),
                _detail_dialog(),
                width="100%",
                spacing="3",
            ),
            rx.callout(t("mail.not_allowed"), icon="lock", color_scheme="red", id="mail-not-allowed"),
        ),
        width="100%",
        spacing="3",
    )
