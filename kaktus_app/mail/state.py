"""The /mail page's state: upload .eml files, the list of received mail (filters, search, pages),
one message in a dialog (text, files, thread, "file to customer"), and the administrators' mail
settings. Thin handlers over ``mail.service``: every rule lives there."""

from __future__ import annotations

import reflex as rx

from kaktus_app import db
from kaktus_app.auth.service import Actor
from kaktus_app.auth.state import require_actor
from kaktus_app.customers import service as customers_service
from kaktus_app.errors import DomainError
from kaktus_app.i18n import translate
from kaktus_app.mail import service
from kaktus_app.ui.form_state import error_messages, query_param
from kaktus_app.ui.lang import current_lang
from kaktus_app.ui.live import announce
from kaktus_app.ui.paging import PagedListState

UPLOAD_ID = "mail-eml-files"
OUTCOMES = ("contact", "lead", "ticket", "unmatched")
SHOWN_BODY = 30_000  # characters of a message's text kept in the dialog's state (states stay small)
IMAP_KEYS = ("configured", "host", "folder", "user", "ssl", "interval", "last_poll_label", "last_poll_stored", "last_poll_error")


async def _actor_lang(state: rx.State) -> tuple[Actor, str]:
    return await require_actor(state), await current_lang(state)


def _text_dict(values: dict) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in values.items() if not isinstance(v, (list, dict))}


class MailState(PagedListState, rx.State):
    rows: list[dict] = []
    outcome: str = ""
    search: str = ""
    counts: dict[str, int] = {o: 0 for o in OUTCOMES}
    allowed: bool = True
    can_upload: bool = False
    can_file: bool = False
    is_admin: bool = False
    # the last upload: one line per file
    upload_results: list[dict[str, str]] = []
    upload_error: str = ""
    # the message dialog
    detail_open: bool = False
    detail: dict[str, str] = {}
    attachments: list[dict[str, str]] = []
    skipped: list[dict[str, str]] = []
    thread: list[dict[str, str]] = []
    file_query: str = ""
    file_choices: list[dict[str, str]] = []
    file_customer_id: str = ""
    file_error: str = ""
    # administrators: the settings
    create_leads: bool = True
    lead_owner_id: str = ""
    owners: list[dict[str, str]] = []
    imap: dict[str, str] = dict.fromkeys(IMAP_KEYS, "")
    settings_errors: dict[str, str] = {}
    settings_key: int = 0

    async def _reload(self) -> None:
        try:
            actor, lang = await _actor_lang(self)
        except DomainError:
            return
        try:
            result = await db.run(service.list_messages, actor, page=self.page, outcome=self.outcome, search=self.search, lang=lang)
        except DomainError:
            self.allowed, self.rows = False, []
            return
        self.allowed = True
        self.counts = result.pop("counts", {})
        self._take(result)

    async def _load_settings(self, actor: Actor, lang: str) -> None:
        if not actor.is_admin:
            return
        settings = await db.run(service.get_mail_settings, actor, lang)
        self.create_leads = bool(settings["create_leads"])
        self.lead_owner_id = settings["lead_owner_id"]
        self.owners = [{"id": str(o["id"]), "name": str(o["name"])} for o in settings["owners"]]
        self.imap = _text_dict(settings["imap"]) | {"configured": "1" if settings["imap"]["configured"] else "", "ssl": "1" if settings["imap"]["ssl"] else ""}
        self.settings_key += 1

    @rx.event
    async def load(self):
        try:
            actor, lang = await _actor_lang(self)
        except DomainError:
            return
        self.upload_results, self.upload_error, self.settings_errors = [], "", {}
        self.detail_open, self.page = False, 1
        self.can_upload = await db.run(service.can_upload, actor)
        from kaktus_app.auth import permissions

        self.can_file = await db.run(permissions.can, actor, "activities", "create")
        self.is_admin = actor.is_admin
        await self._load_settings(actor, lang)
        await self._reload()
        message = query_param(self, "message")  # a link from a timeline or another page
        if message.isdigit() and self.allowed:
            error = await self._open(int(message))
            if error:
                return rx.toast.error(error)

    @rx.event
    async def set_outcome(self, value: str):
        self.outcome = value if value in OUTCOMES else ""
        self.page = 1
        await self._reload()

    @rx.event
    async def set_search(self, value: str):
        self.search = value
        self.page = 1
        await self._reload()

    @rx.event
    async def clear_filters(self):
        self.outcome, self.search, self.page = "", "", 1
        await self._reload()

    # ------------------------------------------------------------------------------ upload

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        """Each .eml file in its own transaction: a bad file is reported and the others are kept."""
        actor, lang = await _actor_lang(self)
        self.upload_results, self.upload_error = [], ""
        files = list(files or [])
        if not files:
            self.upload_error = translate("mail.error.no_files", lang)
            return
        if len(files) > service.MAX_UPLOAD_FILES:
            self.upload_error = translate("mail.error.too_many_files", lang, max=service.MAX_UPLOAD_FILES)
            return
        results, ticket_changed = [], False
        for upload in files:
            name = str(upload.filename or upload.name or "file").replace("\\", "/").rsplit("/", 1)[-1]
            data = await upload.read(service.MAX_MESSAGE_BYTES + 1)  # one byte over the limit is enough to say "too big"
            try:
                outcome = await db.run(service.receive_file, actor, name, data, lang)
            except DomainError as exc:
                results.append({"name": name, "status": "error", "text": exc.message(lang), "href": "", "link_label": "", "id": ""})
                continue
            except Exception:  # e.g. the same message stored by the mailbox at the same moment
                results.append({"name": name, "status": "error", "text": translate("error.unexpected", lang), "href": "", "link_label": "", "id": ""})
                continue
            ticket_changed = ticket_changed or (outcome["outcome"] == "ticket" and not outcome["duplicate"])
            key = "mail.upload.duplicate" if outcome["duplicate"] else f"mail.upload.done.{outcome['outcome']}"
            results.append({
                "name": outcome["name"], "status": "duplicate" if outcome["duplicate"] else "ok", "text": translate(key, lang),
                "href": outcome["href"], "link_label": outcome["link_label"], "id": str(outcome["id"]),
            })
        self.upload_results = results
        self.page = 1
        await self._reload()
        if ticket_changed:
            await announce(self)  # open ticket pages show the appended reply
        stored = sum(1 for r in results if r["status"] == "ok")
        events = [rx.clear_selected_files(UPLOAD_ID)]
        if stored:
            events.append(rx.toast.success(translate("mail.toast.stored", lang, count=stored)))
        return events

    # ------------------------------------------------------------------------------ one message

    async def _open(self, message_id: int) -> str:
        """Show one message in the dialog; returns an error message when it cannot be read."""
        actor, lang = await _actor_lang(self)
        try:
            detail = await db.run(service.get_message, actor, message_id, lang)
        except DomainError as exc:
            self.detail_open = False
            return exc.message(lang)
        self.attachments = [_text_dict(a) for a in detail.pop("attachments", [])]
        self.skipped = [_text_dict(s) for s in detail.pop("skipped", [])]
        self.thread = [_text_dict(m) | {"current": "1" if m.get("current") else ""} for m in detail.pop("thread", [])]
        body = str(detail.get("body") or "")
        self.detail = _text_dict(detail) | {
            "can_file": "1" if detail.get("can_file") else "", "gone": "1" if detail.get("gone") else "",
            "body": body[:SHOWN_BODY], "body_cut": translate("mail.body_cut", lang, count=f"{SHOWN_BODY:,}".replace(",", ".")) if len(body) > SHOWN_BODY else "",
        }
        self.file_query, self.file_customer_id, self.file_error, self.file_choices = "", "", "", []
        self.detail_open = True
        if detail.get("can_file") and self.can_file:
            await self._search_customers()
        return ""

    @rx.event
    async def open_message(self, message_id: int):
        error = await self._open(int(message_id))
        if error:
            return rx.toast.error(error)

    @rx.event
    def set_detail_open(self, value: bool):
        self.detail_open = bool(value)
        if not self.detail_open:  # the text leaves the state with the dialog
            self.detail = {k: v for k, v in self.detail.items() if k != "body"}

    @rx.event
    async def download(self, attachment_id: int):
        actor, lang = await _actor_lang(self)
        try:
            filename, content_type, data = await db.run(service.attachment_file, actor, attachment_id)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        return rx.download(data=data, filename=filename, mime_type=content_type)

    async def _search_customers(self) -> None:
        await require_actor(self)  # the pickers list only the customers this user may see
        found = await db.run(customers_service.customer_options, self.file_query, limit=30)
        self.file_choices = [{"id": str(c["id"]), "name": str(c["name"]) + (f" · {c['city']}" if c.get("city") else "")} for c in found]
        if self.file_customer_id and all(c["id"] != self.file_customer_id for c in self.file_choices):
            self.file_customer_id = ""

    @rx.event
    async def set_file_query(self, value: str):
        self.file_query = value
        await self._search_customers()

    @rx.event
    def pick_customer(self, value: str):
        self.file_customer_id = value
        self.file_error = ""

    @rx.event
    async def file_to_customer(self):
        actor, lang = await _actor_lang(self)
        message_id = int(self.detail.get("id", "0") or 0)
        try:
            await db.run(service.file_message, actor, message_id, self.file_customer_id)
        except DomainError as exc:
            fields, general = await error_messages(self, exc)
            self.file_error = fields.get("customer_id") or general
            return
        await self._open(message_id)
        await self._reload()
        return rx.toast.success(translate("mail.toast.filed", lang, name=self.detail.get("link_label", "")))

    # ------------------------------------------------------------------------------ settings

    @rx.event
    async def save_settings(self, form: dict):
        actor, lang = await _actor_lang(self)
        data = {"create_leads": bool(form.get("create_leads")), "lead_owner_id": str(form.get("lead_owner_id", "") or "")}
        try:
            await db.run(service.update_mail_settings, actor, data)
        except DomainError as exc:
            self.settings_errors, general = await error_messages(self, exc)
            return None if self.settings_errors else rx.toast.error(general)
        self.settings_errors = {}
        await self._load_settings(actor, lang)
        return rx.toast.success(translate("common.saved", lang))
