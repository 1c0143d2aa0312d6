"""/import: upload a CSV / XLSX file, map its columns, choose what duplicates do, dry run, import with
a progress bar, read or download the report, undo."""

from __future__ import annotations

import reflex as rx

from kaktus_app.imports.service import MAX_FILE_BYTES
from kaktus_app.imports.state import UPLOAD_ID, ImportState
from kaktus_app.layout import staff_page
from kaktus_app.ui.components import badge, card, data_table, page_header, radio_choices
from kaktus_app.ui.lang import t

S = ImportState
ACCEPT = {"text/csv": [".csv", ".txt"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"]}
STATUS_COLORS = {"uploaded": "gray", "checked": "blue", "running": "amber", "done": "grass", "failed": "red", "undone": "gray"}


def _steps() -> rx.Component:
    def step(key: str, active) -> rx.Component:
        return rx.badge(t(key), color_scheme=rx.cond(active, "grass", "gray"), variant=rx.cond(active, "solid", "soft"), size="2")

    return rx.hstack(
        step("imports.step.upload", S.step == "upload"),
        step("imports.step.map", S.step == "map"),
        step("imports.step.check", (S.step == "report") & S.job["dry_run"].to(bool)),
        step("imports.step.import", (S.step == "report") & ~S.job["dry_run"].to(bool)),
        spacing="2",
        wrap="wrap",
        id="import-steps",
    )


def _history_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["created_label"]),
        rx.table.cell(row["module_label"]),
        rx.table.cell(row["file_name"]),
        rx.table.cell(badge(row["status_label"], rx.match(row["status"], *[(k, v) for k, v in STATUS_COLORS.items()], "gray"))),
        rx.table.cell(rx.text(row["created"].to_string() + " / " + row["updated"].to_string() + " / " + row["failed"].to_string(), size="2")),
        rx.table.cell(row["user"]),
        rx.table.cell(rx.button(t("imports.history.open"), size="1", variant="soft", on_click=S.open_job(row["id"]))),
    )


def _history() -> rx.Component:
    return card(
        rx.heading(t("imports.history"), size="3"),
        data_table(
            [
                rx.table.column_header_cell(t("imports.history.when")),
                rx.table.column_header_cell(t("imports.what")),
                rx.table.column_header_cell(t("imports.file")),
                rx.table.column_header_cell(t("imports.status")),
                rx.table.column_header_cell(t("imports.count.created") + " / " + t("imports.count.updated") + " / " + t("imports.count.failed")),
                rx.table.column_header_cell(t("imports.history.by")),
                rx.table.column_header_cell(""),
            ],
            S.history,
            _history_row,
            empty_key="imports.history.none",
            table_id="import-history",
        ),
    )


def _upload_step() -> rx.Component:
    return rx.vstack(
        rx.cond(S.modules.length() == 0, rx.callout(t("imports.none_allowed"), icon="lock", color_scheme="amber", id="import-none-allowed")),
        card(
            rx.text(t("imports.what"), size="2", weight="medium"),
            rx.el.select(
                rx.foreach(S.modules, lambda m: rx.el.option(m["label"], value=m["value"])),
                value=S.module,
                on_change=S.set_module,
                class_name="kaktus-select",
                id="import-module",
            ),
            rx.text(t("imports.file"), size="2", weight="medium"),
            rx.upload(
                rx.vstack(
                    rx.icon("file-spreadsheet", size=24),
                    rx.text(t("imports.drop"), size="2", text_align="center"),
                    rx.foreach(rx.selected_files(UPLOAD_ID), lambda name: badge(name, "grass")),
                    align="center",
                    spacing="2",
                ),
                id=UPLOAD_ID,
                accept=ACCEPT,
                multiple=False,
                max_files=1,
                max_size=MAX_FILE_BYTES,
                on_drop_rejected=S.rejected,
                border="1px dashed var(--gray-7)",
                border_radius="var(--radius-3)",
                padding="1.5rem",
                width="100%",
                cursor="pointer",
            ),
            rx.cond(S.file_error != "", rx.text(S.file_error, color_scheme="red", size="2", class_name="field-error", id="import-file-error")),
            rx.text(t("imports.tolerance"), size="1", color_scheme="gray"),
            rx.hstack(
                rx.button(rx.icon("upload", size=16), t("imports.upload"), on_click=S.upload(rx.upload_files(upload_id=UPLOAD_ID)), id="import-upload"),
            ),
        ),
        _history(),
        width="100%",
        spacing="4",
    )


def _column_row(column: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(column["name"], weight="medium")),
        rx.table.cell(rx.text(column["samples"].to(list[str]).join(" · "), size="1", color_scheme="gray", max_width="28rem", class_name="import-samples")),
        rx.table.cell(
            rx.el.select(
                rx.el.option(t("imports.skip_column"), value="-"),
                rx.foreach(S.fields, lambda f: rx.el.option(f["label"], value=f["value"])),
                value=rx.cond(column["field"].to(str) != "", column["field"].to(str), "-"),
                on_change=lambda value: S.set_field(column["index"].to(str), value),
                class_name="kaktus-select",
                id="map-" + column["index"].to(str),
            )
        ),
    )


def _map_step() -> rx.Component:
    return rx.vstack(
        card(
            rx.hstack(
                rx.icon("file-spreadsheet", size=18),
                rx.text(t("imports.file_info", file=S.job["file_name"].to(str), rows=S.job["total"].to_string()), weight="medium", id="import-file-info"),
                badge(S.job["module_label"].to(str), "grass"),
                align="center",
            ),
            data_table(
                [
                    rx.table.column_header_cell(t("imports.column")),
                    rx.table.column_header_cell(t("imports.samples")),
                    rx.table.column_header_cell(t("imports.field")),
                ],
                S.columns,
                _column_row,
                table_id="import-mapping",
            ),
            rx.text(t("imports.required_hint"), size="1", color_scheme="gray"),
            rx.cond(S.mapping_error != "", rx.callout(S.mapping_error, icon="triangle-alert", color_scheme="red", id="import-mapping-error")),
        ),
        card(
            rx.heading(t("imports.duplicates"), size="3"),
            rx.cond(
                S.match_keys.length() > 0,
                rx.vstack(
                    rx.text(t("imports.match_on"), size="2"),
                    rx.hstack(
                        rx.foreach(
                            S.match_keys,
                            lambda key: rx.checkbox(
                                rx.match(key, ("email", t("imports.match.email")), ("phone", t("imports.match.phone")), ("code", t("imports.match.code")), t("imports.match.name")),
                                checked=S.match_on.contains(key),
                                on_change=lambda on: S.toggle_match(key, on),
                                id="match-" + key,
                            ),
                        ),
                        spacing="4",
                        wrap="wrap",
                    ),
                    rx.text(t("imports.on_duplicate"), size="2"),
                    radio_choices(
                        [(f"imports.dup.{choice}", choice, f"dup-{choice}") for choice in ("skip", "update", "create")],
                        S.on_duplicate,
                        S.set_on_duplicate,
                        id="import-on-duplicate",
                    ),
                    spacing="2",
                ),
                rx.text(t("imports.no_duplicates"), size="2", color_scheme="gray"),
            ),
        ),
        rx.hstack(
            rx.button(rx.icon("flask-conical", size=16), t("imports.dry_run"), variant="soft", on_click=S.start(True), id="import-dry-run"),
            rx.button(rx.icon("download", size=16), t("imports.run"), on_click=S.start(False), id="import-run"),
            rx.spacer(),
            rx.button(t("imports.new"), variant="ghost", on_click=S.new_import, id="import-new"),
            width="100%",
        ),
        rx.text(t("imports.dry_run_hint"), size="1", color_scheme="gray"),
        width="100%",
        spacing="4",
    )


def _count(key: str, value: rx.Var, color: str, element_id: str) -> rx.Component:
    return rx.card(
        rx.vstack(rx.text(t(key), size="1", color_scheme="gray"), rx.heading(value.to_string(), size="5", color_scheme=color, id=element_id), spacing="1"),
        min_width="9rem",
    )


def _report_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["row"].to_string()),
        rx.table.cell(row["field"]),
        rx.table.cell(rx.text(row["message"], color_scheme=rx.cond(row["error"].to(bool), "red", "gray"), size="2")),
        rx.table.cell(rx.text(row["values"].to(list[str]).join(" · "), size="1", color_scheme="gray", class_name="import-samples")),
    )


def _undo_button() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(rx.icon("undo-2", size=16), t("imports.undo"), color_scheme="red", variant="soft", id="import-undo")),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("imports.undo")),
            rx.alert_dialog.description(
                t("imports.undo_confirm", file=S.job["file_name"].to(str), created=S.job["created"].to_string(), updated=S.job["updated"].to_string())
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("imports.back"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(t("imports.undo"), color_scheme="red", on_click=S.undo, id="import-undo-confirm")),
                justify="end",
                spacing="3",
                margin_top="1rem",
            ),
        ),
    )


def _report_step() -> rx.Component:
    job = S.job
    return rx.vstack(
        card(
            rx.hstack(
                rx.icon("file-spreadsheet", size=18),
                rx.text(t("imports.file_info", file=job["file_name"].to(str), rows=job["total"].to_string()), weight="medium"),
                badge(job["module_label"].to(str), "grass"),
                badge(job["status_label"].to(str), rx.match(job["status"].to(str), *[(k, v) for k, v in STATUS_COLORS.items()], "gray")),
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                S.running,
                rx.vstack(
                    rx.progress(value=S.percent, max=100, width="100%", id="import-progress"),
                    rx.text(t("imports.running", processed=job["processed"].to_string(), total=job["total"].to_string()), size="2", id="import-progress-text"),
                    width="100%",
                ),
                rx.text(
                    rx.cond(
                        job["status"].to(str) == "undone",
                        t("imports.result.undone"),
                        rx.cond(
                            job["dry_run"].to(bool),
                            t("imports.result.dry", created=job["created"].to_string(), updated=job["updated"].to_string(), skipped=job["skipped"].to_string(), failed=job["failed"].to_string()),
                            t("imports.result.done", created=job["created"].to_string(), updated=job["updated"].to_string(), skipped=job["skipped"].to_string(), failed=job["failed"].to_string(), seconds=job["seconds"].to_string()),
                        ),
                    ),
                    weight="medium",
                    id="import-result",
                ),
            ),
            rx.hstack(
                _count("imports.count.created", job["created"], "grass", "count-created"),
                _count("imports.count.updated", job["updated"], "blue", "count-updated"),
                _count("imports.count.skipped", job["skipped"], "gray", "count-skipped"),
                _count("imports.count.failed", job["failed"], "red", "count-failed"),
                spacing="3",
                wrap="wrap",
            ),
            rx.cond(S.message != "", rx.callout(S.message, icon="info", id="import-message")),
        ),
        card(
            rx.hstack(
                rx.heading(t("imports.report"), size="3"),
                rx.spacer(),
                rx.cond(S.report_total > 0, rx.button(rx.icon("file-down", size=16), t("imports.download_report"), variant="soft", on_click=S.download_report, id="import-report-download")),
                width="100%",
            ),
            rx.cond(
                S.report_total > 0,
                data_table(
                    [
                        rx.table.column_header_cell(t("imports.report.row")),
                        rx.table.column_header_cell(t("imports.report.field")),
                        rx.table.column_header_cell(t("imports.report.message")),
                        rx.table.column_header_cell(t("imports.report.values")),
                    ],
                    S.report,
                    _report_row,
                    table_id="import-report",
                ),
                rx.cond(~S.running, rx.text(t("imports.report.none"), color_scheme="gray", size="2", id="import-report-none")),
            ),
            rx.cond(S.report_total > S.report.length(), rx.text(t("imports.report.more", shown=S.report.length().to_string(), total=S.report_total.to_string()), size="1", color_scheme="gray")),
        ),
        rx.hstack(
            rx.cond(S.can_import, rx.button(rx.icon("arrow-left", size=16), t("imports.back"), variant="soft", on_click=S.back_to_mapping, id="import-back")),
            rx.cond(S.can_import, rx.button(rx.icon("download", size=16), t("imports.run"), on_click=S.start(False), id="import-run-after-check")),
            rx.cond(job["can_undo"].to(bool) & ~S.running, _undo_button()),
            rx.spacer(),
            rx.button(t("imports.new"), variant="ghost", on_click=S.new_import, disabled=S.running, id="import-new"),
            width="100%",
            wrap="wrap",
        ),
        width="100%",
        spacing="4",
    )


@staff_page("/import", "nav.import", on_load=S.load)
def import_page() -> rx.Component:
    return rx.vstack(
        page_header(t("imports.title"), subtitle=t("imports.intro")),
        _steps(),
        rx.match(S.step, ("map", _map_step()), ("report", _report_step()), _upload_step()),
        width="100%",
        spacing="4",
    )
