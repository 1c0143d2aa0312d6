"""My activities: today / overdue / upcoming / done, mark done and schedule the next in one step."""

from __future__ import annotations

import reflex as rx

from kaktus_app.activities.components import next_activity_fields, outcome_options
from kaktus_app.activities.state import BUCKETS, CalendarExportState, MyActivitiesState
from kaktus_app.layout import staff_page
from kaktus_app.ui.components import badge, export_menu, field, form_modal, page_header, pagination
from kaktus_app.ui.lang import t

S = MyActivitiesState


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.hstack(rx.icon(rx.match(row["kind"], ("call", "phone"), ("meeting", "users"), ("email", "mail"), "square-check"), size=14), rx.text(row["kind_label"], size="2"), align="center")),
        rx.table.cell(rx.text(row["summary"], weight="medium")),
        rx.table.cell(rx.link(row["record"], href=row["href"])),
        rx.table.cell(rx.text(row["due"], color=rx.cond(row["overdue"], rx.color("red", 11), rx.color("gray", 12)))),
        rx.table.cell(row["assignee"]),
        rx.table.cell(
            rx.cond(
                row["done"],
                badge(row["outcome"], "grass"),
                rx.button(rx.icon("check", size=14), t("activities.mark_done"), size="1", variant="soft", on_click=S.open_done(row["id"]), id="my-activity-done-" + row["id"].to_string()),
            )
        ),
        class_name=rx.cond(row["overdue"], "activity-row overdue", "activity-row"),
    )


def _done_dialog() -> rx.Component:
    return form_modal(
        t("activities.mark_done"),
        field("activities.outcome", outcome_options(allow_empty=True, element_id="done-outcome"), S.errors["outcome"]),
        field("activities.note", rx.text_area(name="note", width="100%"), S.errors["note"]),
        rx.hstack(rx.checkbox(checked=S.schedule_next, on_change=S.toggle_schedule_next, id="done-schedule-next"), rx.text(t("activities.schedule_next"), size="2")),
        rx.cond(S.schedule_next, next_activity_fields(S.users, S.errors)),
        submit=rx.button(t("common.save"), type="submit", id="done-save"),
        on_submit=S.mark_done,
        open=S.dialog_open,
        on_open_change=S.set_dialog_open,
        reset_on_submit=False,
        key=S.form_key.to_string(),
    )


@staff_page("/activities", "activities.title", on_load=S.load)
def my_activities() -> rx.Component:
    return rx.vstack(
        page_header(
            t("activities.title"),
            rx.button(rx.icon("calendar-arrow-down", size=16), t("integration.download_ics"), variant="soft", on_click=CalendarExportState.download_ics, id="activities-ics"),
            export_menu(S, "activities"),
        ),
        rx.text(t("integration.calendar_feed", url="/api/v1/calendar.ics"), size="1", color_scheme="gray", id="activities-feed-hint"),
        rx.tabs.root(
            rx.tabs.list(
                *[
                    rx.tabs.trigger(rx.hstack(t(f"activities.tab.{b}"), badge(S.counts[b].to_string(), "red" if b == "overdue" else "gray"), align="center"), value=b, id=f"tab-{b}")
                    for b in BUCKETS
                ]
            ),
            value=S.bucket,
            on_change=S.set_bucket,
        ),
        rx.cond(
            S.rows.length() > 0,
            rx.table.root(rx.table.body(rx.foreach(S.rows, _row)), variant="surface", width="100%"),
            rx.center(rx.text(t("activities.nothing"), color_scheme="gray"), padding="2rem", width="100%"),
        ),
        pagination(S.page, S.pages, "", S.prev_page, S.next_page),
        _done_dialog(),
        width="100%",
        spacing="3",
    )
