"""/import: the import wizard (file → columns and duplicates → dry run → import) and its history."""

from __future__ import annotations

import asyncio

import reflex as rx

from kaktus_app import db
from kaktus_app.auth.state import require_actor
from kaktus_app.errors import DomainError
from kaktus_app.i18n import translate
from kaktus_app.imports import service
from kaktus_app.ui.form_state import read_uploads
from kaktus_app.ui.lang import current_lang

UPLOAD_ID = "import-file"
REPORT_LINES = 100
POLL_SECONDS = 0.4


class ImportState(rx.State):
    modules: list[dict] = []
    module: str = "customers"
    job_id: int = 0
    job: dict = {}
    columns: list[dict] = []
    fields: list[dict] = []
    match_keys: list[str] = []
    mapping: dict[str, str] = {}
    match_on: list[str] = []
    on_duplicate: str = "skip"
    running: bool = False
    report: list[dict] = []
    report_total: int = 0
    history: list[dict] = []
    file_error: str = ""
    mapping_error: str = ""
    message: str = ""
    editing: bool = False  # back at the columns after a dry run

    @rx.var
    def step(self) -> str:
        """upload, map (columns and duplicates), report (after a dry run or the import)."""
        if not self.job_id:
            return "upload"
        if self.editing and not self.running:
            return "map"
        if self.running or self.job.get("status") in ("checked", "done", "undone", "failed", "running"):
            return "report"
        return "map"

    @rx.var
    def can_import(self) -> bool:
        return bool(self.job_id) and not self.running and self.job.get("status") in ("uploaded", "checked")

    @rx.var
    def percent(self) -> int:
        return int(self.job.get("percent", 0) or 0)

    async def _lang_actor(self):
        return await require_actor(self), await current_lang(self)

    @rx.event
    async def load(self):
        actor, lang = await self._lang_actor()
        allowed = await db.run(service.importable_modules, actor)
        self.modules = [{"value": m, "label": translate(f"imports.module.{m}", lang)} for m in allowed]
        if allowed and self.module not in allowed:
            self.module = allowed[0]
        self.history = await db.run(service.history, actor, lang=lang)
        requested = str(self.router.url.query_parameters.get("job", ""))
        if requested.isdigit():
            await self._open(int(requested))
        elif not self.running:  # the page opens at a new import (the history reopens earlier ones)
            self._reset()

    @rx.event
    def set_module(self, value: str):
        self.module, self.file_error = value, ""

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        actor, lang = await self._lang_actor()
        self.file_error = self.message = ""
        uploads = await read_uploads(files, 1, service.MAX_FILE_BYTES)
        if not uploads:
            self.file_error = translate("imports.error.no_file", lang)
            return
        name, data = uploads[0]
        try:
            job = await db.run(service.upload, actor, self.module, name, data, lang=lang)
        except DomainError as exc:
            self.file_error = exc.message(lang)
            return
        await self._open(job.id)
        return rx.clear_selected_files(UPLOAD_ID)

    @rx.event
    async def rejected(self, _files=None):
        """The drop zone refused the file (type or size) before it was sent."""
        self.file_error = translate("imports.error.format", await current_lang(self))

    async def _open(self, job_id: int) -> None:
        actor, lang = await self._lang_actor()
        try:
            view = await db.run(service.preview, actor, job_id, lang=lang)
        except DomainError as exc:
            self.message = exc.message(lang)
            return
        self.job_id, self.job = job_id, view["job"]
        self.columns, self.fields, self.match_keys = view["columns"], view["fields"], view["match_keys"]
        self.mapping = {c["index"]: c["field"] for c in view["columns"] if c["field"]}
        self.match_on, self.on_duplicate = list(view["job"]["match_on"]), view["job"]["on_duplicate"]
        self.module, self.mapping_error, self.editing = view["job"]["module"], "", False
        await self._load_report()

    async def _load_report(self) -> None:
        actor, lang = await self._lang_actor()
        if self.job.get("status") in ("checked", "done", "undone", "failed"):
            result = await db.run(service.issues, actor, self.job_id, lang=lang, limit=REPORT_LINES)
            self.report, self.report_total = result["rows"], result["total"]
        else:
            self.report, self.report_total = [], 0

    @rx.event
    def set_field(self, index: str, value: str):
        value = "" if value == "-" else value
        self.columns = [{**c, "field": value} if c["index"] == index else c for c in self.columns]
        self.mapping = {c["index"]: c["field"] for c in self.columns if c["field"]}
        self.mapping_error = ""

    @rx.event
    def back_to_mapping(self):
        self.editing, self.message = True, ""

    @rx.event
    def toggle_match(self, key: str, on: bool):
        keys = [k for k in self.match_on if k != key]
        self.match_on = [k for k in self.match_keys if k in keys or (k == key and on)]

    @rx.event
    def set_on_duplicate(self, value: str):
        self.on_duplicate = value

    @rx.event
    async def start(self, dry_run: bool):
        """Keep the options (refused here, at the mapping, when a required field has no column), then
        run in the background while the progress bar follows."""
        actor, lang = await self._lang_actor()
        self.mapping_error = self.message = ""
        try:
            await db.run(service.set_options, actor, self.job_id, mapping=self.mapping, match_on=self.match_on, on_duplicate=self.on_duplicate)
        except DomainError as exc:
            self.mapping_error = exc.message(lang)
            return
        self.running, self.editing = True, False
        self.job = {**self.job, "status": "running", "processed": 0, "percent": 0, "dry_run": dry_run}
        self.report, self.report_total = [], 0
        return ImportState.run_in_background(dry_run)

    @rx.event(background=True)
    async def run_in_background(self, dry_run: bool):
        async with self:
            actor, lang = await self._lang_actor()
            job_id = self.job_id
        task = asyncio.create_task(db.run(service.run_job, actor, job_id, dry_run=dry_run))
        while not task.done():
            await asyncio.sleep(POLL_SECONDS)
            summary = await db.run(service.progress_of, actor, job_id, lang)
            async with self:
                self.job = summary
        error = ""
        try:
            await task
        except DomainError as exc:
            error = exc.message(lang)
        except Exception:  # noqa: BLE001  (the job is marked failed; the user sees it)
            error = translate("imports.status.failed", lang)
        summary = await db.run(service.progress_of, actor, job_id, lang)
        async with self:
            self.job, self.running, self.message = summary, False, error
            await self._load_report()
            self.history = await db.run(service.history, actor, lang=lang)

    @rx.event
    async def download_report(self):
        from kaktus_app.integration.service import EXPORT_SUBFOLDER

        actor, lang = await self._lang_actor()
        try:
            name, stored = await db.run(service.error_report, actor, self.job_id, lang=lang, folder=rx.get_upload_dir() / EXPORT_SUBFOLDER)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        return rx.download(url=rx.get_upload_url(f"{EXPORT_SUBFOLDER}/{stored}"), filename=name)

    @rx.event
    def undo(self):
        self.running = True
        return ImportState.undo_in_background

    @rx.event(background=True)
    async def undo_in_background(self):
        async with self:
            actor, lang = await self._lang_actor()
            job_id = self.job_id
        message, ok = "", True
        try:
            counts = await db.run(service.undo, actor, job_id)
            message = translate("imports.undone", lang, **counts)
        except DomainError as exc:
            message, ok = exc.message(lang), False
        summary = await db.run(service.progress_of, actor, job_id, lang)
        history = await db.run(service.history, actor, lang=lang)
        async with self:
            self.job, self.running, self.history, self.message = summary, False, history, message
        return rx.toast.success(message) if ok else rx.toast.error(message)

    @rx.event
    async def open_job(self, job_id: int):
        await self._open(int(job_id))

    @rx.event
    def new_import(self):
        self._reset()

    def _reset(self) -> None:
        self.job_id, self.job, self.columns, self.mapping, self.report, self.report_total = 0, {}, [], {}, [], 0
        self.file_error = self.mapping_error = self.message = ""
        self.running = self.editing = False
