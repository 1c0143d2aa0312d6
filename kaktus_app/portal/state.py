"""The customer portal's states: its own session cookie, its own language, and one small state per page.

Nothing here is shared with the staff app: portal states never read the staff session (AuthState) or
the staff language (LangState), and the staff guard never reads the portal cookie. Every handler asks
the server who is signed in (``require_portal_actor``); the services limit every read to the portal
user's company.
"""

from __future__ import annotations

import contextlib
import os

import reflex as rx

from kaktus_app import db
from kaktus_app.errors import DomainError, ValidationError
from kaktus_app.helpdesk import service as helpdesk
from kaktus_app.i18n import normalise_language, translate
from kaktus_app.portal import service
from kaktus_app.portal.service import PortalActor
from kaktus_app.ui.form_state import read_uploads, record_id_from_path
from kaktus_app.ui.live import announce

PORTAL_COOKIE = "kaktus_portal"
HOME = "/portal/tickets"
SIGNED_IN_PAGES = ("/portal/tickets", "/portal/faq", "/portal/documents", "/portal/profile")
CHANNEL = "helpdesk"
NEW_TICKET_FILES = "portal-new-ticket-files"
REPLY_FILES = "portal-reply-files"


class PortalState(rx.State):
    """The portal session (its own cookie), who is signed in, and the portal's UI language."""

    # Only a random token is in the cookie; the server keeps its hash, expiry and revocation.
    token: str = rx.Cookie(
        "", name=PORTAL_COOKIE, max_age=14 * 24 * 3600, same_site="strict", secure=os.environ.get("KAKTUS_SECURE_COOKIES") == "1"
    )
    lang: str = rx.LocalStorage("id", name="kaktus_portal_lang", sync=True)
    user_name: str = ""
    company_name: str = ""
    signed_in: bool = False
    _actor: PortalActor | None = None

    async def actor(self) -> PortalActor | None:
        """The portal user, checked against the database (a revoked session stops at once)."""
        actor = await db.run(service.resolve_session, self.token) if self.token else None
        await self._set_actor(actor)
        return actor

    async def _set_actor(self, actor: PortalActor | None) -> None:
        if actor is not None and (self._actor is None or self._actor.company_id != actor.company_id or not self.company_name):
            self.company_name = (await db.run(service.profile, actor))["company_name"]
        self._actor = actor
        self.signed_in = actor is not None
        self.user_name = actor.full_name if actor else ""
        if actor is None:
            self.company_name = ""

    async def sign_in(self, token: str, actor: PortalActor) -> None:
        self.token = token
        self.lang = normalise_language(actor.language)
        await self._set_actor(actor)

    @rx.event
    async def check_login(self):
        """on_load guard of every signed-in portal page: back to the sign-in page without a session."""
        if await self.actor() is None:
            path = str(self.router.url.path or HOME)
            return rx.redirect(f"/portal?next={path}" if path.startswith("/portal/") else "/portal")

    @rx.event
    async def redirect_if_signed_in(self):
        if await self.actor() is not None:
            return rx.redirect(HOME)

    @rx.event
    async def set_lang(self, lang: str):
        """Switch the portal's language; a signed-in user keeps it in their profile."""
        self.lang = normalise_language(lang)
        actor = self._actor
        if actor is None:
            return
        if actor.language != self.lang:
            with contextlib.suppress(DomainError):
                self._actor = await db.run(service.update_profile, actor, {"language": self.lang})
        # a signed-in page's lists carry labels worded on the server: load it again in the new language
        # (not a link page: its link is used up, a reload would skip "choose a password")
        if str(self.router.page.path or "").startswith(SIGNED_IN_PAGES):
            return rx.call_script("window.location.reload()")

    @rx.event
    async def logout(self):
        await db.run(service.logout, self.token)
        self.token = ""
        await self._set_actor(None)
        return [rx.remove_cookie(PORTAL_COOKIE), rx.redirect("/portal")]


async def require_portal_actor(state: rx.State) -> PortalActor:
    """The signed-in portal user for a handler of any portal state; DomainError when signed out."""
    portal = await state.get_state(PortalState)
    actor = portal._actor if portal._actor is not None else await portal.actor()
    if actor is None:
        raise DomainError("portal.error.signed_out")
    return actor


async def portal_lang(state: rx.State) -> str:
    return normalise_language(await state.get_var_value(PortalState.lang))


async def field_errors(state: rx.State, exc: DomainError) -> tuple[dict[str, str], str]:
    """(field -> message, general message) of a service error, in the portal's language."""
    lang = await portal_lang(state)
    if isinstance(exc, ValidationError):
        return exc.messages(lang), translate("error.fix_fields", lang)
    if exc.field:
        return {exc.field: exc.message(lang)}, exc.message(lang)
    return {}, exc.message(lang)


def _safe_next(target: str) -> str:
    return target if target.startswith("/portal/") and not target.startswith("//") else HOME


def _one(value: str | list[str]) -> str:
    """A segmented control's choice (it may send a list)."""
    return str(value[0] if isinstance(value, list) and value else value or "")


def _new_ticket_href(text: str) -> str:
    """ "Didn't find it? Open a ticket" carries the search text into the new ticket's title."""
    from urllib.parse import quote

    text = (text or "").strip()
    return f"/portal/tickets/new?q={quote(text)}" if text else "/portal/tickets/new"


async def _read_files(files: list[rx.UploadFile]) -> list[tuple[str, bytes]]:
    return await read_uploads(files, helpdesk.MAX_FILES, helpdesk.MAX_ATTACHMENT)


# --------------------------------------------------------------------------------------- sign-in


class PortalSignInState(rx.State):
    """/portal, /portal/signup, /portal/reset: sign in, ask for a link, sign up, reset the password."""

    email: str = ""
    error: str = ""
    email_error: str = ""
    sent: bool = False
    mode: str = "password"  # "password" | "link" on the sign-in page

    @rx.event
    def reset_form(self):
        self.error, self.email_error, self.sent = "", "", False
        self.mode = "password"

    @rx.event
    def set_mode(self, mode: str | list[str]):
        self.mode = "link" if _one(mode) == "link" else "password"
        self.error, self.email_error, self.sent = "", "", False

    @rx.event
    async def submit_login(self, form: dict):
        self.error, self.email_error, self.sent = "", "", False
        self.email = str(form.get("email", ""))[:200]
        lang = await portal_lang(self)
        if self.mode == "link":
            return await self._send(service.request_magic_link)
        try:
            token, actor = await db.run(service.login, self.email, str(form.get("password", "")))
        except DomainError as exc:
            self.error = exc.message(lang)
            return
        portal = await self.get_state(PortalState)
        await portal.sign_in(token, actor)
        return rx.redirect(_safe_next(str(self.router.url.query_parameters.get("next", HOME))))

    async def _send(self, fn):
        """Ask the service to e-mail a link; the page says the same whatever the address was."""
        lang = await portal_lang(self)
        try:
            await db.run(fn, self.email)
        except DomainError as exc:
            self.email_error = exc.messages(lang).get("email", exc.message(lang)) if isinstance(exc, ValidationError) else exc.message(lang)
            return
        self.sent = True
        return PortalMailer.deliver

    @rx.event
    async def submit_signup(self, form: dict):
        self.error, self.email_error, self.sent = "", "", False
        self.email = str(form.get("email", ""))[:200]
        return await self._send(service.signup)

    @rx.event
    async def submit_reset(self, form: dict):
        self.error, self.email_error, self.sent = "", "", False
        self.email = str(form.get("email", ""))[:200]
        return await self._send(service.request_password_reset)


class PortalMailer(rx.State):
    """Hands queued e-mail to SMTP after the page has answered (nothing happens without SMTP)."""

    @rx.event(background=True)
    async def deliver(self):
        import asyncio

        await asyncio.to_thread(service.deliver_outbox)


# ------------------------------------------------------------------------------------ link landing


class PortalLinkState(rx.State):
    """/portal/link/[token]: an invitation, e-mail check, sign-in or reset link."""

    status: str = "checking"  # checking | invalid | set_password | done
    purpose: str = ""
    errors: dict[str, str] = {}
    form_key: int = 0

    @rx.event
    async def redeem(self):
        self.status, self.errors, self.purpose = "checking", {}, ""
        yield
        token = str(self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1]
        portal = await self.get_state(PortalState)
        try:
            session_token, actor, purpose = await db.run(service.redeem_token, token)
        except DomainError:
            if await portal.actor() is not None:  # a reload of a link already used in this browser
                yield rx.redirect(HOME)
                return
            self.status = "invalid"
            return
        await portal.sign_in(session_token, actor)
        self.purpose = purpose
        if purpose == "magic":
            self.status = "done"
            yield rx.redirect(HOME)
            return
        self.status = "set_password"
        self.form_key += 1

    @rx.event
    async def save_password(self, form: dict):
        actor = await require_portal_actor(self)
        portal = await self.get_state(PortalState)
        self.errors = {}
        try:
            await db.run(service.set_password, actor, str(form.get("new", "")), str(form.get("repeat", "")), session_token=portal.token)
        except DomainError as exc:
            self.errors, general = await field_errors(self, exc)
            return None if self.errors else rx.toast.error(general)
        self.status = "done"
        return [rx.toast.success(translate("portal.password_saved", await portal_lang(self))), rx.redirect(HOME)]


# ------------------------------------------------------------------------------------------ tickets


class PortalTicketsState(rx.State):
    """/portal/tickets: the company's tickets, open or closed, a page at a time."""

    rows: list[dict] = []
    status: str = "open"
    page: int = 1
    pages: int = 1
    total: int = 0
    loaded: bool = False

    async def _reload(self):
        try:
            actor = await require_portal_actor(self)
        except DomainError:
            return
        status = "" if self.status == "all" else self.status
        result = await db.run(helpdesk.portal_tickets, actor, status=status, page=self.page, page_size=20, lang=await portal_lang(self))
        self.rows, self.total, self.page, self.pages = result["rows"], result["total"], result["page"], result["pages"]
        self.loaded = True

    @rx.event
    async def load(self):
        self.page = 1
        await self._reload()

    @rx.event
    async def refresh(self):
        await self._reload()

    @rx.event
    async def set_status(self, status: str | list[str]):
        status = _one(status)
        self.status = status if status in ("open", "closed", "all") else "open"
        self.page = 1
        await self._reload()

    @rx.event
    async def next_page(self):
        self.page += 1
        await self._reload()

    @rx.event
    async def prev_page(self):
        self.page = max(1, self.page - 1)
        await self._reload()


class RejectedFilesMixin(rx.State, mixin=True):
    """Files the browser's picker refused (type, size, count) get a message at the attachments field
    (the class using it has ``errors``)."""

    @rx.event
    async def files_rejected(self, names: list[str], codes: list[str]):
        lang = await portal_lang(self)
        code = next((c for c in codes if c), "")
        key = {"file-too-large": "helpdesk.error.attachment_size", "too-many-files": "helpdesk.error.too_many_files"}.get(code, "helpdesk.error.attachment_type")
        name = ", ".join(n for n in names if n)[:120]
        self.errors = {**self.errors, "attachments": translate(key, lang, name=name, max="5 MB" if code == "file-too-large" else helpdesk.MAX_FILES)}


class PortalTicketState(RejectedFilesMixin, rx.State):
    """/portal/tickets/[ticket_id]: one ticket's public conversation, reply, close and reopen."""

    ticket: dict = {}
    ticket_id: int = 0
    not_found: bool = False
    errors: dict[str, str] = {}
    form_key: int = 0
    busy: bool = False

    async def _reload(self):
        try:
            actor = await require_portal_actor(self)
        except DomainError:
            return
        try:
            self.ticket = await db.run(helpdesk.portal_ticket, actor, self.ticket_id, await portal_lang(self))
            self.not_found = False
        except DomainError:  # another company's ticket is "not found" too
            self.ticket, self.not_found = {}, True

    @rx.event
    async def load(self):
        self.ticket_id = record_id_from_path(self) or 0
        self.errors, self.ticket, self.not_found = {}, {}, False
        await self._reload()

    @rx.event
    async def refresh(self):
        if self.ticket_id:
            await self._reload()

    @rx.event
    async def reply(self, files: list[rx.UploadFile], form: dict):
        actor = await require_portal_actor(self)
        self.errors = {}
        try:
            attachments = await _read_files(files)
            await db.run(helpdesk.portal_reply, actor, self.ticket_id, str((form or {}).get("body", "")), attachments)
        except DomainError as exc:
            self.errors, general = await field_errors(self, exc)
            return None if self.errors else rx.toast.error(general)
        self.form_key += 1
        await announce(self)
        await self._reload()
        return [rx.clear_selected_files(REPLY_FILES), rx.toast.success(translate("portal.reply_sent", await portal_lang(self)))]

    @rx.event
    async def change_status(self, action: str):
        actor = await require_portal_actor(self)
        try:
            await db.run(helpdesk.portal_set_status, actor, self.ticket_id, action)
        except DomainError as exc:
            return rx.toast.error(exc.message(await portal_lang(self)))
        await announce(self)
        await self._reload()

    @rx.event
    async def download(self, attachment_id: int):
        actor = await require_portal_actor(self)
        try:
            name, content_type, data = await db.run(helpdesk.portal_attachment_file, actor, attachment_id)
        except DomainError as exc:
            return rx.toast.error(exc.message(await portal_lang(self)))
        return rx.download(data=data, filename=name, mime_type=content_type)


class PortalNewTicketState(RejectedFilesMixin, rx.State):
    """/portal/tickets/new: open a ticket (with files); ?q= carries a FAQ search into the title."""

    title: str = ""
    orders: list[dict] = []
    errors: dict[str, str] = {}
    form_key: int = 0

    @rx.event
    async def load(self):
        try:
            actor = await require_portal_actor(self)
        except DomainError:
            return
        self.errors = {}
        self.title = str(self.router.url.query_parameters.get("q", ""))[:200]
        self.orders = await db.run(service.order_choices, actor)
        self.form_key += 1

    @rx.event
    async def submit(self, files: list[rx.UploadFile], form: dict):
        actor = await require_portal_actor(self)
        form = form or {}
        self.title = str(form.get("title", ""))[:200]
        self.errors = {}
        data = {key: str(form.get(key, "")) for key in ("title", "description", "category", "order_id")}
        try:
            attachments = await _read_files(files)
            ticket_id = await db.run(lambda s: helpdesk.portal_create_ticket(s, actor, data, attachments).id)
        except DomainError as exc:
            self.errors, general = await field_errors(self, exc)
            return None if self.errors else rx.toast.error(general)
        await announce(self)
        return [
            rx.clear_selected_files(NEW_TICKET_FILES),
            rx.toast.success(translate("portal.ticket_created", await portal_lang(self))),
            rx.redirect(f"/portal/tickets/{ticket_id}"),
        ]


# -------------------------------------------------------------------------------------------- FAQ


class PortalFaqState(rx.State):
    """/portal/faq: search the published articles; the most read ones when nothing is typed."""

    text: str = ""
    category_id: str = ""
    categories: list[dict] = []
    rows: list[dict] = []
    popular: list[dict] = []
    new_ticket_href: str = "/portal/tickets/new"
    total: int = 0
    page: int = 1
    pages: int = 1

    async def _reload(self):
        lang = await portal_lang(self)
        self.new_ticket_href = _new_ticket_href(self.text)
        result = await db.run(
            helpdesk.search_articles, text=self.text, language=lang, category_id=self.category_id or None, page=self.page, page_size=10, lang=lang
        )
        self.rows, self.total, self.page, self.pages = result["rows"], result["total"], result["page"], result["pages"]

    @rx.event
    async def load(self):
        try:
            await require_portal_actor(self)
        except DomainError:
            return
        lang = await portal_lang(self)
        self.text = str(self.router.url.query_parameters.get("q", ""))[:200]
        self.page = 1
        self.categories = [c for c in await db.run(helpdesk.faq_categories, lang, published_only=True) if c["count"]]
        self.popular = await db.run(helpdesk.most_viewed, language=lang, limit=5, lang=lang)
        await self._reload()

    @rx.event
    async def search(self, text: str):
        self.text, self.page = str(text or "")[:200], 1
        await self._reload()

    @rx.event
    async def set_category(self, category_id: str):
        self.category_id, self.page = category_id if str(category_id).isdigit() else "", 1
        await self._reload()

    @rx.event
    async def next_page(self):
        self.page += 1
        await self._reload()

    @rx.event
    async def prev_page(self):
        self.page = max(1, self.page - 1)
        await self._reload()


class PortalArticleState(rx.State):
    """/portal/faq/[article_id]: one article and its "was this helpful" vote."""

    article: dict = {}
    not_found: bool = False
    voted: str = ""  # "" | "yes" | "no"
    new_ticket_href: str = "/portal/tickets/new"

    @rx.event
    async def load(self):
        try:
            await require_portal_actor(self)
        except DomainError:
            return
        last = str(self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1]
        self.voted = ""
        try:
            self.article = await db.run(helpdesk.get_article, last, count_view=True, lang=await portal_lang(self))
            self.not_found = False
            self.new_ticket_href = _new_ticket_href(self.article.get("title", ""))
        except DomainError:
            self.article, self.not_found = {}, True

    @rx.event
    async def vote(self, helpful: bool):
        actor = await require_portal_actor(self)
        try:
            counts = await db.run(helpdesk.vote_article, self.article.get("id", 0), actor.voter, helpful)
        except DomainError as exc:
            return rx.toast.error(exc.message(await portal_lang(self)))
        self.article = {**self.article, **counts}
        self.voted = "yes" if helpful else "no"



# -------------------------------------------------------------------------------------- documents


class PortalDocumentsState(rx.State):
    """/portal/documents: the company's quotations, orders and invoices, with their PDFs."""

    kind: str = "invoices"
    rows: list[dict] = []
    page: int = 1
    pages: int = 1
    total: int = 0

    async def _reload(self):
        try:
            actor = await require_portal_actor(self)
        except DomainError:
            return
        result = await db.run(service.my_documents, actor, self.kind, page=self.page, page_size=20, lang=await portal_lang(self))
        self.rows, self.total, self.page, self.pages = result["rows"], result["total"], result["page"], result["pages"]

    @rx.event
    async def load(self):
        self.page = 1
        await self._reload()

    @rx.event
    async def set_kind(self, kind: str | list[str]):
        kind = _one(kind)
        self.kind = kind if kind in service.DOCUMENT_KINDS else "invoices"
        self.page = 1
        await self._reload()

    @rx.event
    async def next_page(self):
        self.page += 1
        await self._reload()

    @rx.event
    async def prev_page(self):
        self.page = max(1, self.page - 1)
        await self._reload()

    @rx.event
    async def download(self, kind: str, document_id: int):
        actor = await require_portal_actor(self)
        lang = await portal_lang(self)
        try:
            name, data = await db.run(service.document_pdf, actor, kind, document_id, lang)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        return rx.download(data=data, filename=name, mime_type="application/pdf")


# ---------------------------------------------------------------------------------------- profile


class PortalProfileState(rx.State):
    """/portal/profile: name, phone, language and the password."""

    values: dict[str, str] = {}
    has_password: bool = False
    errors: dict[str, str] = {}
    password_errors: dict[str, str] = {}
    form_key: int = 0
    password_key: int = 0

    async def _reload(self, actor: PortalActor):
        record = await db.run(service.profile, actor)
        self.values = {key: str(record[key] or "") for key in ("email", "full_name", "phone", "language", "company_name")}
        self.has_password = bool(record["has_password"])
        self.form_key += 1

    @rx.event
    async def load(self):
        try:
            actor = await require_portal_actor(self)
        except DomainError:
            return
        self.errors, self.password_errors = {}, {}
        await self._reload(actor)

    @rx.event
    async def save(self, form: dict):
        actor = await require_portal_actor(self)
        self.errors = {}
        data = {key: str(form.get(key, "")) for key in ("full_name", "phone", "language")}
        try:
            updated = await db.run(service.update_profile, actor, data)
        except DomainError as exc:
            self.errors, general = await field_errors(self, exc)
            self.values = {**self.values, **data}
            return None if self.errors else rx.toast.error(general)
        portal = await self.get_state(PortalState)
        portal.lang = normalise_language(updated.language)
        await portal._set_actor(updated)
        await self._reload(updated)
        return rx.toast.success(translate("portal.profile_saved", portal.lang))

    @rx.event
    async def change_password(self, form: dict):
        actor = await require_portal_actor(self)
        portal = await self.get_state(PortalState)
        self.password_errors = {}
        try:
            await db.run(
                service.set_password, actor, str(form.get("new", "")), str(form.get("repeat", "")),
                current=str(form.get("current", "")), session_token=portal.token,
            )
        except DomainError as exc:
            self.password_errors, general = await field_errors(self, exc)
            return None if self.password_errors else rx.toast.error(general)
        self.has_password = True
        self.password_key += 1
        return rx.toast.success(translate("portal.password_saved", await portal_lang(self)))
