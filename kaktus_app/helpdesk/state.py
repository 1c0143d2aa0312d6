"""Staff help desk states: ticket list, live board, new ticket, ticket page, statistics, FAQ, SLA settings.

Thin handlers over ``helpdesk.service``: every rule (validation, permissions, transitions, SLA) lives
there. A handler that changed a ticket announces it on the "helpdesk" live channel afterwards, so
every open list, board and ticket page reloads what it shows.
"""

from __future__ import annotations

import reflex as rx

from kaktus_app import db
from kaktus_app.auth import permissions
from kaktus_app.auth.service import Actor
from kaktus_app.auth.state import require_actor
from kaktus_app.catalog import service as catalog_service
from kaktus_app.customers import service as customers_service
from kaktus_app.errors import Conflict, DomainError
from kaktus_app.helpdesk import service
from kaktus_app.i18n import translate
from kaktus_app.ui.form_state import error_messages, query_param, read_uploads, record_id_from_path
from kaktus_app.ui.lang import current_lang
from kaktus_app.ui.live import announce
from kaktus_app.ui.paging import PagedListState

CHANNEL = "helpdesk"
NEW_TICKET_UPLOAD = "ticket-files"
REPLY_UPLOAD = "reply-files"
TICKET_FIELDS = ("title", "description", "company_id", "contact_id", "product_id", "order_id", "category", "priority", "channel", "assignee_id", "team_id", "tags")
SIDE_FIELDS = ("category", "priority", "assignee_id", "team_id", "tags")
LIST_FILTERS = ("search", "status", "priority", "category", "assignee", "sla")
# Bar colours of the statistics charts (status, priority, category).
STATUS_BAR_COLORS = {"new": "#1c7ed6", "in_progress": "#f08c00", "waiting": "#ae3ec9", "resolved": "#2f9e44", "closed": "#868e96"}
PRIORITY_BAR_COLORS = {"low": "#868e96", "normal": "#1c7ed6", "high": "#f08c00", "urgent": "#e03131"}


async def _actor_lang(state: rx.State) -> tuple[Actor, str]:
    return await require_actor(state), await current_lang(state)


async def _can(actor: Actor, module: str, action: str) -> bool:
    """Whether to offer a control (the service checks again on every call)."""
    return await db.run(permissions.can, actor, module, action)


async def _uploaded(files: list[rx.UploadFile]) -> list[tuple[str, bytes]]:
    return await read_uploads(files, service.MAX_FILES, service.MAX_ATTACHMENT)


class TicketOptionsMixin(rx.State, mixin=True):
    """The pickers every ticket form shows (categories, priorities, channels, statuses, agents, teams)."""

    categories: list[dict[str, str]] = []
    priorities: list[dict[str, str]] = []
    channels: list[dict[str, str]] = []
    statuses: list[dict[str, str]] = []
    agents: list[dict[str, str]] = []
    teams: list[dict[str, str]] = []

    async def _load_options(self, actor: Actor, lang: str) -> None:
        options = await db.run(service.ticket_options, actor, lang)
        for name in ("categories", "priorities", "channels", "statuses", "agents", "teams"):
            setattr(self, name, [{"value": str(o["value"]), "label": str(o["label"])} for o in options.get(name, [])])


# ------------------------------------------------------------------------------------ ticket list


class TicketListState(PagedListState, TicketOptionsMixin, rx.State):
    rows: list[dict] = []
    sort: str = "-updated"  # a key of service.SORTS, chosen in a select (some sorts have one direction only)
    filters: dict[str, str] = {k: "" for k in LIST_FILTERS}
    alerts: list[dict] = []
    can_create: bool = True
    company_id: int = 0  # "all tickets" of one customer (from its page)
    company_name: str = ""
    EXPORT_MODULE = "tickets"

    def _export_filters(self) -> dict:
        return {k: self.filters.get(k, "") for k in LIST_FILTERS} | {"company_id": self.company_id or None}

    async def _reload(self):
        try:
            actor, lang = await _actor_lang(self)
        except DomainError:
            return
        f = self.filters
        result = await db.run(
            service.list_tickets, actor, search=f.get("search", ""), status=f.get("status", ""), priority=f.get("priority", ""),
            category=f.get("category", ""), assignee=f.get("assignee", ""), sla=f.get("sla", ""), company_id=self.company_id or None,
            sort=self.sort, page=self.page, lang=lang,
        )
        self._take(result)

    @rx.event
    async def load(self):
        try:
            actor, lang = await _actor_lang(self)
        except DomainError:
            return
        company = query_param(self, "company")
        self.company_id, self.company_name = 0, ""
        if company.isdigit():
            try:
                self.company_name = (await db.run(customers_service.get_customer, actor, int(company), lang))["name"]
                self.company_id = int(company)
            except DomainError:
                pass
        await self._load_options(actor, lang)
        self.can_create = await _can(actor, "tickets", "create")
        self.alerts = await db.run(service.complaint_alerts, lang=lang) if actor.is_manager else []
        await self._reload()

    @rx.event
    async def refresh(self):
        """Somebody changed a ticket: reload the page of rows this client shows."""
        await self._reload()

    @rx.event
    async def set_filter(self, key: str, value: str):
        if key in LIST_FILTERS:
            self.filters = {**self.filters, key: "" if value == "all" else value}
            self.page = 1
            await self._reload()

    @rx.event
    async def set_sort(self, value: str):
        self.sort, self.page = value, 1
        await self._reload()

    @rx.event
    async def toggle_mine(self, value: bool):
        self.filters = {**self.filters, "assignee": "me" if value else ""}
        self.page = 1
        await self._reload()

    @rx.event
    async def clear_filters(self):
        self.filters = {k: "" for k in LIST_FILTERS}
        self.company_id, self.company_name = 0, ""
        self.page = 1
        await self._reload()


# ------------------------------------------------------------------------------------ live board


class TicketBoardState(rx.State):
    columns: list[dict] = []
    mine: bool = False
    search: str = ""
    dragging_id: int = 0
    dragging_version: int = 0

    async def _reload(self):
        try:
            actor, lang = await _actor_lang(self)
        except DomainError:
            return
        board = await db.run(service.board, actor, mine=self.mine, search=self.search, lang=lang)
        self.columns = board["columns"]

    @rx.event
    async def load(self):
        self.dragging_id = 0
        await self._reload()

    @rx.event
    async def refresh(self):
        await self._reload()

    @rx.event
    async def toggle_mine(self, value: bool):
        self.mine = bool(value)
        await self._reload()

    @rx.event
    async def set_search(self, value: str):
        self.search = value
        await self._reload()

    @rx.event
    def start_drag(self, ticket_id: int, version: int):
        self.dragging_id, self.dragging_version = ticket_id, version

    async def _move(self, ticket_id: int, version: int, status: str):
        """Change the status; a refused transition or a stale card comes back as a toast."""
        actor, lang = await _actor_lang(self)
        try:
            await db.run(service.set_status, actor, ticket_id, status, version)
        except Conflict as exc:
            await self._reload()
            yield rx.toast.warning(exc.message(lang), duration=6000)
            return
        except DomainError as exc:
            await self._reload()
            yield rx.toast.error(exc.message(lang))
            return
        await announce(self)
        yield
        await self._reload()

    @rx.event
    async def drop_on_column(self, status: str):
        if not self.dragging_id:
            return
        ticket_id, version = self.dragging_id, self.dragging_version
        self.dragging_id = 0
        current = next((c["status"] for c in self.columns for card in c["cards"] if card["id"] == ticket_id), None)
        if current == status:
            return
        async for update in self._move(ticket_id, version, status):
            yield update

    @rx.event
    async def move_to(self, ticket_id: int, version: int, status: str):
        """The keyboard / menu way to move a card."""
        async for update in self._move(ticket_id, version, status):
            yield update


# ------------------------------------------------------------------------------------ new ticket


class NewTicketState(TicketOptionsMixin, rx.State):
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    general_error: str = ""
    company_query: str = ""
    companies: list[dict] = []
    contacts: list[dict] = []
    orders: list[dict] = []
    products: list[dict] = []
    form_key: int = 0
    saving: bool = False

    async def _search_companies(self) -> None:
        query = self.company_query
        self.companies = await db.run(customers_service.customer_options, query, kind="company", limit=30)
        chosen = self.values.get("company_id", "")
        if chosen and all(str(c["id"]) != chosen for c in self.companies):
            self.values = {**self.values, "company_id": "", "contact_id": ""}
            self.contacts = []

    @rx.event
    async def load(self):
        try:
            actor, lang = await _actor_lang(self)
        except DomainError:
            return
        self.errors, self.general_error, self.saving = {}, "", False
        self.values = {k: "" for k in TICKET_FIELDS} | {"priority": "normal", "channel": "phone", "category": "question"}
        self.company_query, self.contacts, self.orders = "", [], []
        await self._load_options(actor, lang)
        self.products = await db.run(catalog_service.product_options, limit=300)
        await self._search_companies()
        company = query_param(self, "company")  # "New ticket" from a customer's page
        if company.isdigit():
            await self._pick(company)
        self.form_key += 1

    @rx.event
    async def set_company_query(self, value: str):
        self.company_query = value
        await self._search_companies()

    async def _pick(self, company_id: str) -> None:
        """The contact list follows the company (its people)."""
        self.values = {**self.values, "company_id": company_id, "contact_id": "", "order_id": ""}
        self.contacts, self.orders = [], []
        if not company_id.isdigit():
            return
        actor, lang = await _actor_lang(self)
        try:
            company = await db.run(customers_service.get_customer, actor, int(company_id), lang)
        except DomainError:
            self.values = {**self.values, "company_id": ""}
            return
        if all(str(c["id"]) != company_id for c in self.companies):
            self.companies = [{"id": int(company_id), "name": company["name"], "city": company.get("city", "")}, *self.companies]
        self.contacts = [{"id": c["id"], "name": c["name"]} for c in company.get("contacts", [])]
        self.orders = await db.run(service.company_orders, actor, int(company_id))

    @rx.event
    async def pick_company(self, company_id: str):
        await self._pick(company_id)

    @rx.event
    def pick_contact(self, contact_id: str):
        self.values = {**self.values, "contact_id": contact_id}

    @rx.event
    def pick_order(self, order_id: str):
        self.values = {**self.values, "order_id": order_id}

    @rx.event
    async def create(self, files: list[rx.UploadFile], form: dict):
        """The form and its files arrive together (one upload request)."""
        actor, lang = await _actor_lang(self)
        data = {k: str(form.get(k, "") or "") for k in TICKET_FIELDS if k in form}
        data["company_id"], data["contact_id"] = self.values.get("company_id", ""), self.values.get("contact_id", "")
        data["order_id"] = self.values.get("order_id", "")
        self.values = {**self.values, **data}
        self.errors, self.general_error = {}, ""
        attachments = await _uploaded(files)
        try:
            ticket = await db.run(service.create_ticket, actor, data, attachments)
        except DomainError as exc:
            self.errors, self.general_error = await error_messages(self, exc)
            return
        await announce(self)
        return [
            rx.clear_selected_files(NEW_TICKET_UPLOAD),
            rx.toast.success(translate("hd.toast.created", lang, number=ticket.number)),
            rx.redirect(f"/tickets/{ticket.id}"),
        ]


# ------------------------------------------------------------------------------------ ticket page


class TicketState(TicketOptionsMixin, rx.State):
    ticket_id: int = 0
    ticket: dict = {}
    messages: list[dict] = []
    files: list[dict] = []
    allowed_statuses: list[dict[str, str]] = []
    merged_from: list[dict] = []
    articles: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    general_error: str = ""
    compose_mode: str = "reply"
    compose_error: str = ""
    merge_number: str = ""
    merge_error: str = ""
    form_key: int = 0
    compose_key: int = 0
    not_found: bool = False
    loaded: bool = False
    can_update: bool = True

    async def _reload(self) -> None:
        actor, lang = await _actor_lang(self)
        try:
            detail = await db.run(service.ticket_detail, actor, self.ticket_id, lang)
        except DomainError:
            self.not_found, self.ticket, self.messages = True, {}, []
            return
        self.not_found = False
        self.messages = detail.pop("messages", [])
        self.files = detail.pop("files", []) or []
        self.allowed_statuses = [{"value": str(s["value"]), "label": str(s["label"])} for s in detail.pop("allowed_statuses", [])]
        self.merged_from = detail.pop("merged_from", []) or []
        merged_into, article = detail.pop("merged_into", None), detail.pop("article", None)
        detail["merged_into_id"] = merged_into["id"] if merged_into else 0
        detail["merged_into_number"] = merged_into["number"] if merged_into else ""
        detail["article_id"] = str(article["id"]) if article else ""
        detail["article_title"] = article["title"] if article else ""
        detail["tags"] = list(detail.get("tags") or [])
        for key in ("assignee_id", "team_id", "contact_id", "company_id"):
            detail[key] = "" if detail.get(key) is None else str(detail[key])
        if detail.get("version") != self.ticket.get("version") or detail.get("id") != self.ticket.get("id"):
            self.form_key += 1  # re-fill the side form only when the ticket changed (keeps what is being typed)
        self.ticket = detail

    @rx.event
    async def load(self):
        self.loaded = False
        yield
        try:
            actor, lang = await _actor_lang(self)
        except DomainError:
            return
        self.errors, self.general_error, self.compose_error, self.merge_error, self.merge_number = {}, "", "", "", ""
        self.compose_mode = "reply"
        self.ticket_id = record_id_from_path(self) or 0
        self.can_update = await _can(actor, "tickets", "update")
        await self._load_options(actor, lang)
        self.articles = await db.run(service.published_articles, lang)
        await self._reload()
        self.compose_key += 1
        self.loaded = True

    @rx.event
    async def refresh(self):
        """Another user changed a ticket: reload this one (cheap, and keeps the composer as typed)."""
        if self.ticket_id and self.loaded:
            await self._reload()

    async def _after(self, actor: Actor, action: str, toast_key: str = "common.saved"):
        await self._reload()
        await announce(self)
        return rx.toast.success(translate(toast_key, await current_lang(self)))

    @rx.event
    async def save_fields(self, form: dict):
        actor, _lang = await _actor_lang(self)
        data = {k: str(form.get(k, "") or "") for k in SIDE_FIELDS if k in form}
        self.errors, self.general_error = {}, ""
        try:
            await db.run(service.update_ticket, actor, self.ticket_id, data, int(self.ticket.get("version", 0) or 0))
        except DomainError as exc:
            self.errors, self.general_error = await error_messages(self, exc)
            if isinstance(exc, Conflict):
                await self._reload()
            return
        return await self._after(actor, "edited")

    @rx.event
    async def change_status(self, status: str):
        actor, lang = await _actor_lang(self)
        try:
            await db.run(service.set_status, actor, self.ticket_id, status, int(self.ticket.get("version", 0) or 0))
        except DomainError as exc:
            await self._reload()
            return rx.toast.error(exc.message(lang))
        return await self._after(actor, "status", "hd.toast.status")

    @rx.event
    async def link_article(self, article_id: str):
        actor, lang = await _actor_lang(self)
        try:
            await db.run(service.link_article, actor, self.ticket_id, int(article_id) if article_id.isdigit() else None)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        return await self._after(actor, "article")

    @rx.event
    def set_compose_mode(self, mode: str):
        self.compose_mode = "note" if mode == "note" else "reply"
        self.compose_error = ""

    @rx.event
    async def send(self, files: list[rx.UploadFile], form: dict):
        """A reply to the customer or an internal note, as chosen in the composer, with its files."""
        actor, lang = await _actor_lang(self)
        public = self.compose_mode != "note"
        self.compose_error = ""
        attachments = await _uploaded(files)
        try:
            await db.run(service.add_message, actor, self.ticket_id, str(form.get("body", "") or ""), public=public, attachments=attachments)
        except DomainError as exc:
            fields, general = await error_messages(self, exc)
            self.compose_error = fields.get("body") or fields.get("attachments") or general
            return
        self.compose_key += 1
        await self._reload()
        await announce(self)
        return [rx.clear_selected_files(REPLY_UPLOAD), rx.toast.success(translate("hd.toast.reply_sent" if public else "hd.toast.note_added", lang))]

    @rx.event
    async def download(self, attachment_id: int):
        actor, lang = await _actor_lang(self)
        try:
            filename, content_type, data = await db.run(service.attachment_file, actor, attachment_id)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        return rx.download(data=data, filename=filename, mime_type=content_type or "application/octet-stream")

    @rx.event
    async def merge(self, form: dict):
        """Merge this ticket into another one, named by its number (TCK-…)."""
        actor, lang = await _actor_lang(self)
        number = str(form.get("number", "") or "").strip()
        self.merge_number, self.merge_error = number, ""
        if not number:
            self.merge_error = translate("error.required", lang)
            return
        try:
            target_id = await db.run(service.find_ticket_id, actor, number)
            target = await db.run(service.merge_tickets, actor, self.ticket_id, target_id)
        except DomainError as exc:
            self.merge_error = exc.message(lang)
            return
        await announce(self)
        return [rx.toast.success(translate("hd.toast.merged", lang, number=target.number)), rx.redirect(f"/tickets/{target.id}")]


# ------------------------------------------------------------------------------------ statistics


EMPTY_FIGURE = {"data": [], "layout": {}}


def _bar(rows: list[dict], colors: dict[str, str] | None = None, default: str = "#2f9e44") -> dict:
    """A plain plotly dict (no Figure in state): one bar per row of {"key", "label", "count"}."""
    if not rows or not any(r["count"] for r in rows):
        return EMPTY_FIGURE
    return {
        "data": [
            {
                "type": "bar", "x": [r["label"] for r in rows], "y": [r["count"] for r in rows],
                "marker": {"color": [(colors or {}).get(r["key"], default) for r in rows]},
                "text": [r["count"] for r in rows], "textposition": "auto", "hovertemplate": "%{x}: %{y}<extra></extra>",
            }
        ],
        "layout": {
            "height": 280, "margin": {"l": 40, "r": 12, "t": 12, "b": 60}, "showlegend": False, "separators": ",.",
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
            "yaxis": {"rangemode": "tozero", "dtick": 1 if max((r["count"] for r in rows), default=0) <= 10 else None, "gridcolor": "rgba(128,128,128,0.2)"},
            "font": {"family": "Inter, system-ui, sans-serif", "size": 12},
        },
    }


class HelpdeskStatsState(rx.State):
    date_from: str = ""
    date_to: str = ""
    date_error: str = ""
    kpis: dict[str, str] = {}
    fig_status: dict = EMPTY_FIGURE
    fig_priority: dict = EMPTY_FIGURE
    fig_category: dict = EMPTY_FIGURE
    per_agent: list[dict] = []
    alerts: list[dict] = []
    allowed: bool = True

    async def _reload(self) -> None:
        from kaktus_app.validation import parse_date

        try:
            actor, lang = await _actor_lang(self)
        except DomainError:
            return
        start, end = parse_date(self.date_from), parse_date(self.date_to)
        try:
            stats = await db.run(service.stats, actor, date_from=start, date_to=end, lang=lang)
        except DomainError:
            self.allowed = False
            return
        self.allowed = True
        self.kpis = {
            "created": str(stats.get("created", 0)),
            "resolved": str(stats.get("resolved", 0)),
            "breaches": str(stats.get("breaches", 0)),
            "first_response": str(stats.get("avg_first_response_label") or "—"),
            "resolution": str(stats.get("avg_resolution_label") or "—"),
        }
        self.fig_status = _bar(stats.get("open_by_status", []), STATUS_BAR_COLORS)
        self.fig_priority = _bar(stats.get("open_by_priority", []), PRIORITY_BAR_COLORS)
        self.fig_category = _bar(stats.get("open_by_category", []), default="#0c8599")
        self.per_agent = stats.get("per_agent", [])
        self.alerts = await db.run(service.complaint_alerts, lang=lang)

    @rx.event
    async def load(self):
        self.date_error = ""
        await self._reload()

    @rx.event
    async def refresh(self):
        await self._reload()

    @rx.event
    async def set_dates(self, form: dict):
        from kaktus_app.validation import FieldError, parse_date

        lang = await current_lang(self)
        start, end = str(form.get("date_from") or ""), str(form.get("date_to") or "")
        try:
            first, last = parse_date(start), parse_date(end)
        except FieldError:
            self.date_error = translate("hd.stats.date_invalid", lang)
            return
        if first and last and first > last:
            self.date_error = translate("hd.stats.date_range", lang)
            return
        self.date_error, self.date_from, self.date_to = "", start, end
        await self._reload()

    @rx.event
    async def clear_dates(self):
        self.date_error, self.date_from, self.date_to = "", "", ""
        await self._reload()


# ------------------------------------------------------------------------------------ FAQ (staff)


class FaqListState(PagedListState, rx.State):
    rows: list[dict] = []
    search: str = ""
    category: str = ""
    language: str = ""
    categories: list[dict] = []
    category_errors: dict[str, str] = {}
    category_key: int = 0
    can_edit: bool = False

    async def _reload(self):
        try:
            lang = await current_lang(self)
            await require_actor(self)
        except DomainError:
            return
        text, category, language, page = self.search, self.category, self.language, self.page
        result = await db.run(
            service.search_articles, text=text, language=language, category_id=int(category) if category.isdigit() else None,
            published_only=False, page=page, page_size=20, lang=lang,
        )
        self._take(result)

    async def _load_categories(self) -> None:
        lang = await current_lang(self)
        self.categories = await db.run(service.faq_categories, lang)

    @rx.event
    async def load(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        self.category_errors = {}
        self.can_edit = await _can(actor, "faq", "update")
        await self._load_categories()
        await self._reload()

    @rx.event
    async def set_filter(self, key: str, value: str):
        if key in ("search", "category", "language"):
            setattr(self, key, "" if value == "all" else value)
            self.page = 1
            await self._reload()

    @rx.event
    async def save_category(self, form: dict):
        actor, lang = await _actor_lang(self)
        raw_id = str(form.get("category_id", "") or "")
        data = {k: str(form.get(k, "") or "") for k in ("name", "name_id", "position")}
        try:
            await db.run(service.save_faq_category, actor, int(raw_id) if raw_id.isdigit() else None, data)
        except DomainError as exc:
            self.category_errors, general = await error_messages(self, exc)
            if not self.category_errors:
                return rx.toast.error(general)
            return
        self.category_errors = {}
        self.category_key += 1
        await self._load_categories()
        return rx.toast.success(translate("common.saved", lang))


FAQ_FIELDS = ("title", "body", "category_id", "language", "published")


class FaqEditState(rx.State):
    article_id: int = 0
    values: dict[str, str] = {}
    body: str = ""
    stats: dict[str, str] = {}
    categories: list[dict] = []
    errors: dict[str, str] = {}
    general_error: str = ""
    form_key: int = 0
    not_found: bool = False
    loaded: bool = False
    confirm_delete: bool = False
    can_edit: bool = False
    can_delete: bool = False

    @rx.var
    def is_new(self) -> bool:
        return self.article_id == 0

    @rx.event
    async def load(self):
        self.loaded = False
        yield
        try:
            actor, lang = await _actor_lang(self)
        except DomainError:
            return
        self.errors, self.general_error, self.not_found, self.confirm_delete = {}, "", False, False
        self.can_delete = await _can(actor, "faq", "delete")
        self.categories = await db.run(service.faq_categories, lang)
        article_id = record_id_from_path(self)
        self.can_edit = await _can(actor, "faq", "create" if article_id is None else "update")
        if article_id is None:
            self.article_id, self.stats = 0, {}
            self.values = {"title": "", "category_id": "", "language": lang, "published": ""}
            self.body = ""
        else:
            try:
                article = await db.run(service.get_article, article_id, published_only=False, lang=lang)
            except DomainError:
                self.not_found, self.loaded = True, True
                return
            self.article_id = article_id
            self.values = {
                "title": str(article.get("title", "")),
                "category_id": "" if article.get("category_id") is None else str(article["category_id"]),
                "language": str(article.get("language", "en")),
                "published": "on" if article.get("published") else "",
            }
            self.body = str(article.get("body", ""))
            self.stats = {
                "views": str(article.get("views", 0)), "helpful_yes": str(article.get("helpful_yes", 0)),
                "helpful_no": str(article.get("helpful_no", 0)), "updated": str(article.get("updated_label", "")),
            }
        self.form_key += 1
        self.loaded = True

    @rx.event
    def set_body(self, value: str):
        """The Markdown as typed, for the live preview."""
        self.body = value

    @rx.event
    async def save(self, form: dict):
        actor, lang = await _actor_lang(self)
        data = {
            "title": str(form.get("title", "") or ""),
            "body": str(form.get("body", self.body) or ""),
            "category_id": str(form.get("category_id", "") or ""),
            "language": str(form.get("language", "") or ""),
            "published": bool(form.get("published")),
        }
        self.values = {**self.values, **{k: str(v) for k, v in data.items() if k != "published"}, "published": "on" if data["published"] else ""}
        self.body = data["body"]
        self.errors, self.general_error = {}, ""
        try:
            article = await db.run(service.save_article, actor, self.article_id or None, data)
        except DomainError as exc:
            self.errors, self.general_error = await error_messages(self, exc)
            return
        toast = rx.toast.success(translate("common.saved", lang))
        if not self.article_id:
            return [toast, rx.redirect(f"/faq/{article.id}")]
        return toast

    @rx.event
    def ask_delete(self, value: bool = True):
        self.confirm_delete = bool(value)

    @rx.event
    async def delete(self):
        actor, lang = await _actor_lang(self)
        try:
            await db.run(service.delete_article, actor, self.article_id)
        except DomainError as exc:
            self.confirm_delete = False
            return rx.toast.error(exc.message(lang))
        self.confirm_delete = False
        return [rx.toast.success(translate("common.deleted", lang)), rx.redirect("/faq")]


# ------------------------------------------------------------------------------------ SLA settings


class SlaSettingsState(rx.State):
    rows: list[dict] = []
    errors: dict[str, str] = {}
    can_edit: bool = False
    form_key: int = 0

    async def _reload(self) -> None:
        actor = await require_actor(self)
        self.can_edit = actor.is_manager
        lang = await current_lang(self)
        self.rows = await db.run(service.sla_policies, lang)
        self.form_key += 1

    @rx.event
    async def load(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        self.errors = {}
        await self._reload()

    @rx.event
    async def save(self, form: dict):
        actor, lang = await _actor_lang(self)
        try:
            await db.run(service.save_sla_policies, actor, {k: str(v) for k, v in form.items()})
        except DomainError as exc:
            self.errors, general = await error_messages(self, exc)
            return rx.toast.error(general)
        self.errors = {}
        await self._reload()
        return rx.toast.success(translate("common.saved", lang))


class CompanyTicketsState(rx.State):
    """The tickets card on a company's customer page: its latest tickets and how many are open."""

    rows: list[dict] = []
    open_count: int = 0
    can_read: bool = False
    can_create: bool = False

    @rx.event
    async def load(self):
        self.rows, self.open_count, self.can_read, self.can_create = [], 0, False, False
        try:
            actor, lang = await _actor_lang(self)
        except DomainError:
            return
        company_id = record_id_from_path(self)
        if not company_id:
            return
        summary = await db.run(service.company_tickets, actor, company_id, lang)
        if summary is not None:
            self.rows, self.open_count, self.can_read = summary["rows"], summary["open"], True
            self.can_create = await db.run(permissions.can, actor, "tickets", "create")
