"""States for the activity panel on record pages, "My activities" and the home page."""

from __future__ import annotations

import reflex as rx

from kaktus_app import db
from kaktus_app.activities import service
from kaktus_app.auth import service as auth_service
from kaktus_app.auth.state import require_actor
from kaktus_app.errors import DomainError
from kaktus_app.i18n import translate
from kaktus_app.ui.form_state import error_messages
from kaktus_app.ui.lang import current_lang
from kaktus_app.ui.paging import PagedListState

RECORD_FIELD = {"customer": "customer_id", "lead": "lead_id", "opportunity": "opportunity_id"}


class RecordActivitiesState(rx.State):
    """The timeline and activity dialogs of the record page that is open."""

    record_type: str = ""
    record_id: int = 0
    entries: list[dict] = []
    users: list[dict] = []
    errors: dict[str, str] = {}
    dialog: str = ""
    done_activity_id: int = 0
    schedule_next: bool = False
    form_key: int = 0

    async def _reload(self):
        if not self.record_type or not self.record_id:
            self.entries = []
            return
        actor = await require_actor(self)
        self.entries = await db.run(service.timeline, actor, self.record_type, self.record_id, await current_lang(self))

    @rx.event
    async def open_record(self, record_type: str, record_id: str):
        """Called on mount of the panel (it is keyed by the record, so it re-mounts per record)."""
        try:
            await require_actor(self)
        except DomainError:
            return
        self.record_type = record_type
        self.record_id = int(record_id) if str(record_id).isdigit() else 0
        self.dialog, self.errors = "", {}
        if not self.users:
            self.users = await db.run(lambda s: auth_service.list_users(s))
        await self._reload()

    @rx.event
    def open_dialog(self, name: str):
        self.dialog, self.errors = name, {}
        self.form_key += 1

    @rx.event
    def open_done(self, activity_id: int):
        self.dialog, self.errors, self.done_activity_id, self.schedule_next = "done", {}, activity_id, False
        self.form_key += 1

    @rx.event
    def set_dialog_open(self, is_open: bool):
        if not is_open:
            self.dialog = ""

    @rx.event
    def toggle_schedule_next(self, value: bool):
        self.schedule_next = value

    async def _run(self, fn, *args, toast_key: str, **kwargs):
        actor = await require_actor(self)
        lang = await current_lang(self)
        try:
            await db.run(fn, actor, *args, **kwargs)
        except DomainError as exc:
            self.errors, general = await error_messages(self, exc)
            if not self.errors:
                return rx.toast.error(general)
            return None
        self.dialog, self.errors = "", {}
        await self._reload()
        return rx.toast.success(translate(toast_key, lang))

    @rx.event
    async def schedule(self, form: dict):
        data = dict(form) | {RECORD_FIELD[self.record_type]: self.record_id}
        return await self._run(service.schedule_activity, data, toast_key="activities.scheduled")

    @rx.event
    async def log_call(self, form: dict):
        data = dict(form) | {RECORD_FIELD[self.record_type]: self.record_id}
        return await self._run(service.log_call, data, toast_key="activities.call_logged")

    @rx.event
    async def add_note(self, form: dict):
        return await self._run(service.add_note, self.record_type, self.record_id, form.get("body", ""), toast_key="activities.note_added")

    @rx.event
    async def mark_done(self, form: dict):
        next_activity = None
        if self.schedule_next:
            next_activity = {k.removeprefix("next_"): v for k, v in form.items() if k.startswith("next_")}
            if not next_activity.get("summary", "").strip():
                self.errors = {"next_summary": translate("error.required", await current_lang(self))}
                return
        return await self._run(
            service.mark_done, self.done_activity_id, outcome=form.get("outcome", ""), note=form.get("note", ""), next_activity=next_activity, toast_key="activities.done_toast"
        )


BUCKETS = ("today", "overdue", "upcoming", "done")


class MyActivitiesState(PagedListState, rx.State):
    """My activities: one bucket, paged; its order is the bucket's (the list has no sort headers)."""

    bucket: str = "today"
    rows: list[dict] = []
    counts: dict[str, int] = {b: 0 for b in BUCKETS}
    done_activity_id: int = 0
    dialog_open: bool = False
    schedule_next: bool = False
    errors: dict[str, str] = {}
    form_key: int = 0
    users: list[dict] = []

    async def _reload(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        lang = await current_lang(self)
        if not self.users:
            self.users = await db.run(lambda s: auth_service.list_users(s))
        result = await db.run(service.my_activities, actor, bucket=self.bucket, page=self.page, lang=lang)
        self.rows, self.page, self.pages = result["rows"], result["page"], result["pages"]
        self.counts = await db.run(service.bucket_counts, actor)

    EXPORT_MODULE = "activities"

    def _export_filters(self) -> dict:
        return {"bucket": self.bucket}

    @rx.event
    async def load(self):
        await self._reload()

    @rx.event
    async def set_bucket(self, bucket: str):
        if bucket in BUCKETS:
            self.bucket, self.page = bucket, 1
            await self._reload()

    @rx.event
    def open_done(self, activity_id: int):
        self.done_activity_id, self.dialog_open, self.schedule_next, self.errors = activity_id, True, False, {}
        self.form_key += 1

    @rx.event
    def set_dialog_open(self, value: bool):
        self.dialog_open = value

    @rx.event
    def toggle_schedule_next(self, value: bool):
        self.schedule_next = value

    @rx.event
    async def mark_done(self, form: dict):
        actor = await require_actor(self)
        lang = await current_lang(self)
        next_activity = None
        if self.schedule_next:
            next_activity = {k.removeprefix("next_"): v for k, v in form.items() if k.startswith("next_")}
            if not next_activity.get("summary", "").strip():
                self.errors = {"next_summary": translate("error.required", lang)}
                return
        try:
            await db.run(service.mark_done, actor, self.done_activity_id, outcome=form.get("outcome", ""), note=form.get("note", ""), next_activity=next_activity)
        except DomainError as exc:
            self.errors, general = await error_messages(self, exc)
            return rx.toast.error(general)
        self.dialog_open, self.errors = False, {}
        await self._reload()
        return rx.toast.success(translate("activities.done_toast", lang))


class CalendarExportState(rx.State):
    """"Calendar (.ics)" on My activities: the user's activities as an iCalendar file."""

    @rx.event
    async def download_ics(self):
        from kaktus_app.integration import service as integration

        actor = await require_actor(self)
        lang = await current_lang(self)
        try:
            text = await db.run(integration.activities_ical, actor, lang=lang)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        return rx.download(data=text.encode(), filename="kaktus-activities.ics", mime_type="text/calendar")


class HomeState(rx.State):
    counts: dict[str, str] = {}
    agenda: list[dict] = []

    @rx.event
    async def load(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        lang = await current_lang(self)
        counts = await db.run(service.counts_for_home, actor)
        self.counts = {k: str(v) for k, v in counts.items()}
        overdue = await db.run(service.my_activities, actor, bucket="overdue", page_size=10, lang=lang)
        today = await db.run(service.my_activities, actor, bucket="today", page_size=10, lang=lang)
        self.agenda = overdue["rows"] + today["rows"]
