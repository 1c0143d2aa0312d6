"""The activity panel that record pages (customer, lead, opportunity) place beside their form."""

from __future__ import annotations

import reflex as rx

from kaktus_app.activities.models import ACTIVITY_KINDS, CALL_OUTCOMES
from kaktus_app.activities.state import RecordActivitiesState
from kaktus_app.auth.state import AuthState
from kaktus_app.ui.components import card, field, form_modal
from kaktus_app.ui.lang import t
from kaktus_app.ui.timeline import timeline

S = RecordActivitiesState


def kind_options(name: str = "kind", element_id: str = "activity-kind") -> rx.Component:
    return rx.el.select(*[rx.el.option(t(f"activities.kind.{k}"), value=k) for k in ACTIVITY_KINDS], name=name, class_name="kaktus-select", id=element_id)


def outcome_options(name: str = "outcome", element_id: str = "log-call-outcome", allow_empty: bool = False) -> rx.Component:
    options = [rx.el.option("—", value="")] if allow_empty else []
    options += [rx.el.option(t(f"activities.outcome.{o}"), value=o) for o in CALL_OUTCOMES]
    return rx.el.select(*options, name=name, class_name="kaktus-select", id=element_id)


def user_options(users: rx.Var, name: str, element_id: str) -> rx.Component:
    """Users to assign to; the signed-in user is preselected."""
    return rx.el.select(
        rx.foreach(users, lambda u: rx.el.option(u["name"], value=u["id"].to_string())),
        name=name,
        default_value=AuthState.user_id.to_string(),
        class_name="kaktus-select",
        id=element_id,
    )


def next_activity_fields(users: rx.Var, errors: rx.Var) -> rx.Component:
    return rx.vstack(
        field("activities.kind", kind_options("next_kind", "next-kind")),
        field("activities.summary", rx.input(name="next_summary", id="next-summary", width="100%"), errors["next_summary"]),
        field("activities.due", rx.input(name="next_due_at", type="datetime-local", id="next-due", width="100%"), errors["due_at"]),
        field("activities.assignee", user_options(users, "next_assignee_id", "next-assignee")),
        spacing="2",
        width="100%",
    )


def _dialog(name: str, title_key: str, body: rx.Component, on_submit, submit_id: str) -> rx.Component:
    return form_modal(
        t(title_key),
        body,
        submit=rx.button(t("common.save"), type="submit", id=submit_id),
        on_submit=on_submit,
        open=S.dialog == name,
        on_open_change=S.set_dialog_open,
        reset_on_submit=False,
        key=S.form_key.to_string(),
    )


def _schedule_dialog() -> rx.Component:
    return _dialog(
        "schedule",
        "activities.schedule",
        rx.vstack(
            field("activities.kind", kind_options(), S.errors["kind"]),
            field("activities.summary", rx.input(name="summary", id="activity-summary", width="100%"), S.errors["summary"]),
            field("activities.due", rx.input(name="due_at", type="datetime-local", id="activity-due", width="100%"), S.errors["due_at"]),
            field("activities.assignee", user_options(S.users, "assignee_id", "activity-assignee"), S.errors["assignee_id"]),
            field("activities.note", rx.text_area(name="note", id="activity-note", width="100%"), S.errors["note"]),
            rx.cond(S.errors["record"], rx.text(S.errors["record"], color_scheme="red", size="1")),
            spacing="2",
            width="100%",
        ),
        S.schedule,
        "activity-save",
    )


def _log_call_dialog() -> rx.Component:
    return _dialog(
        "log_call",
        "activities.log_call",
        rx.vstack(
            field("activities.outcome", outcome_options(), S.errors["outcome"]),
            field("activities.summary", rx.input(name="summary", id="log-call-summary", width="100%"), S.errors["summary"]),
            field("activities.memo", rx.text_area(name="note", id="log-call-note", width="100%"), S.errors["note"]),
            spacing="2",
            width="100%",
        ),
        S.log_call,
        "log-call-save",
    )


def _note_dialog() -> rx.Component:
    return _dialog(
        "note",
        "activities.add_note",
        field("activities.note", rx.text_area(name="body", id="note-body", width="100%", rows="4"), S.errors["body"]),
        S.add_note,
        "note-save",
    )


def _done_dialog() -> rx.Component:
    return _dialog(
        "done",
        "activities.mark_done",
        rx.vstack(
            field("activities.outcome", outcome_options(allow_empty=True, element_id="done-outcome"), S.errors["outcome"]),
            field("activities.note", rx.text_area(name="note", id="done-note", width="100%"), S.errors["note"]),
            rx.hstack(rx.checkbox(checked=S.schedule_next, on_change=S.toggle_schedule_next, id="done-schedule-next"), rx.text(t("activities.schedule_next"), size="2")),
            rx.cond(S.schedule_next, next_activity_fields(S.users, S.errors)),
            spacing="2",
            width="100%",
        ),
        S.mark_done,
        "done-save",
    )


def _done_button(entry: rx.Var) -> rx.Component:
    return rx.cond(
        entry["planned"],
        rx.button(
            rx.icon("check", size=14),
            t("activities.mark_done"),
            size="1",
            variant="soft",
            on_click=S.open_done(entry["activity_id"]),
            id="activity-done-" + entry["activity_id"].to_string(),
        ),
    )


def activity_panel(record_type: str, record_id: rx.Var, revision: rx.Var | None = None) -> rx.Component:
    """Schedule / log / note buttons and the record's whole timeline. Re-mounts per record."""
    return rx.box(
        card(
            rx.hstack(
                rx.heading(t("common.timeline"), size="3"),
                rx.spacer(),
                rx.button(rx.icon("calendar-plus", size=14), t("activities.schedule"), size="1", on_click=S.open_dialog("schedule"), id="activity-schedule"),
                rx.button(rx.icon("phone", size=14), t("activities.log_call"), size="1", variant="soft", on_click=S.open_dialog("log_call"), id="activity-log-call"),
                rx.button(rx.icon("sticky-note", size=14), t("activities.add_note"), size="1", variant="soft", on_click=S.open_dialog("note"), id="note-add"),
                wrap="wrap",
                spacing="2",
                width="100%",
                align="center",
            ),
            timeline(S.entries, rx.text(t("activities.empty_timeline"), size="2", color_scheme="gray"), _done_button),
        ),
        _schedule_dialog(),
        _log_call_dialog(),
        _note_dialog(),
        _done_dialog(),
        # A hidden loader keyed by the record and the record form's revision: it re-mounts (and the
        # timeline reloads) when another record opens or the form was saved.
        rx.fragment(
            rx.box(on_mount=S.open_record(record_type, record_id.to_string()), display="none"),
            key=f"{record_type}-" + record_id.to_string() + ("" if revision is None else "-" + revision.to_string()),
        ),
        key=f"{record_type}-" + record_id.to_string(),
        width="100%",
        id="activity-panel",
    )
