"""Lead list, lead form and the conversion dialog."""

from __future__ import annotations

import reflex as rx

from kaktus_app import db
from kaktus_app.auth import service as auth_service
from kaktus_app.auth.state import require_actor
from kaktus_app.customers import service as customers_service
from kaktus_app.errors import DomainError
from kaktus_app.i18n import translate
from kaktus_app.leads import service
from kaktus_app.sales import service as sales_service
from kaktus_app.ui.form_state import as_form_values, error_messages, record_id_from_path
from kaktus_app.ui.lang import current_lang
from kaktus_app.ui.paging import PagedListState


class LeadListState(PagedListState, rx.State):
    rows: list[dict] = []
    sort: str = "created_at"
    desc: bool = True
    search: str = ""
    status: str = "open"
    source: str = ""
    owner: str = ""
    EXPORT_MODULE = "leads"

    def _export_filters(self) -> dict:
        return {"search": self.search, "status": self.status, "source": self.source, "owner_id": self.owner or None}

    async def _reload(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        result = await db.run(
            service.list_leads, actor, search=self.search, status=self.status, source=self.source, owner_id=self.owner or None,
            sort=self.sort, desc=self.desc, page=self.page, lang=await current_lang(self),
        )
        self._take(result)

    @rx.event
    async def load(self):
        await self._reload()

    @rx.event
    async def set_filter(self, key: str, value: str):
        if key in ("search", "status", "source", "owner"):
            setattr(self, key, value)
            self.page = 1
            await self._reload()



LEAD_FIELDS = ("title", "customer_id", "contact_name", "company_name", "email", "phone", "city", "source", "expected_revenue", "memo", "owner_id", "tags")


class LeadFormState(rx.State):
    lead_id: int = 0
    record: dict = {}
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    general_error: str = ""
    users: list[dict] = []
    customers: list[dict] = []
    form_key: int = 0
    not_found: bool = False
    # conversion dialog
    convert_open: bool = False
    action: str = "convert"
    customer_mode: str = "link"
    matches: list[dict] = []
    merge_options: list[dict] = []
    chosen_customer: str = ""
    chosen_opportunity: str = ""
    customer_query: str = ""
    customer_results: list[dict] = []
    convert_error: str = ""
    lost_open: bool = False
    loaded: bool = False

    @rx.var
    def is_new(self) -> bool:
        return self.lead_id == 0

    @rx.var
    def merge_choices(self) -> list[dict]:
        return [o for o in self.merge_options if str(o.get("customer_id")) == self.chosen_customer]

    @rx.event
    async def load(self):
        """Hide the form until this lead's data is in, so nothing typed meanwhile is lost."""
        self.loaded = False
        yield
        await self._load_record()

    async def _load_record(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        self.errors, self.general_error, self.convert_open, self.lost_open, self.not_found = {}, "", False, False, False
        if not self.users:
            self.users = await db.run(lambda s: auth_service.list_users(s))
        self.customers = await db.run(lambda s: customers_service.customer_options(s, "", limit=1000))
        record_id = record_id_from_path(self)
        if record_id is None:
            self.lead_id, self.record = 0, {}
            self.values = {k: "" for k in LEAD_FIELDS} | {"source": "web", "owner_id": str(actor.id)}
        else:
            try:
                record = await db.run(service.get_lead, actor, record_id, await current_lang(self))
            except DomainError:
                self.not_found, self.loaded = True, True
                return
            self.lead_id, self.record = record_id, record
            self.values = {k: v for k, v in as_form_values(record).items() if k in LEAD_FIELDS}
        self.form_key += 1
        self.loaded = True

    @rx.event
    async def save(self, form: dict):
        actor = await require_actor(self)
        lang = await current_lang(self)
        data = {k: form.get(k, "") for k in LEAD_FIELDS if k in form}
        self.values = {**self.values, **{k: str(v) for k, v in data.items()}}
        self.errors, self.general_error = {}, ""
        try:
            if self.lead_id == 0:
                lead = await db.run(service.create_lead, actor, data)
                return [rx.toast.success(translate("leads.saved", lang)), rx.redirect(f"/leads/{lead.id}")]
            await db.run(service.update_lead, actor, self.lead_id, data)
        except DomainError as exc:
            self.errors, self.general_error = await error_messages(self, exc)
            return
        await self._load_record()
        return rx.toast.success(translate("leads.saved", lang))

    @rx.event
    async def open_convert(self):
        actor = await require_actor(self)
        options = await db.run(service.conversion_options, actor, self.lead_id)
        self.matches, self.merge_options = options["matches"], options["opportunities"]
        self.chosen_customer = str(self.matches[0]["id"]) if self.matches else ""
        self.customer_mode = "link" if self.matches else "create"
        self.action, self.chosen_opportunity, self.convert_error = "convert", "", ""
        self.customer_query, self.customer_results = "", []
        self.convert_open = True

    @rx.event
    def set_convert_open(self, value: bool):
        self.convert_open = value

    @rx.event
    def set_action(self, value: str):
        self.action = value
        if value == "merge":
            self.customer_mode = "link"

    @rx.event
    def set_customer_mode(self, value: str):
        self.customer_mode = value

    @rx.event
    async def choose_customer(self, value: str):
        await self._choose_customer(value)

    async def _choose_customer(self, value: str):
        self.chosen_customer = str(value)
        self.customer_mode = "link"
        if not any(str(o.get("customer_id")) == self.chosen_customer for o in self.merge_options) and self.chosen_customer.isdigit():
            extra = await db.run(sales_service.open_opportunities_for_customer, int(self.chosen_customer))
            self.merge_options = self.merge_options + [o | {"customer_id": int(self.chosen_customer)} for o in extra]

    @rx.event
    def choose_opportunity(self, value: str):
        self.chosen_opportunity = str(value)

    @rx.event
    async def search_customers(self, value: str):
        self.customer_query = value
        self.customer_results = await db.run(lambda s: customers_service.customer_options(s, value, limit=8)) if len(value.strip()) >= 2 else []

    @rx.event
    async def pick_customer(self, customer_id: int, name: str):
        if not any(m["id"] == customer_id for m in self.matches):
            self.matches = [*self.matches, {"id": customer_id, "name": name, "city": "", "reason": "search"}]
        self.customer_results, self.customer_query = [], ""
        await self._choose_customer(str(customer_id))

    @rx.event
    async def confirm_convert(self):
        actor = await require_actor(self)
        self.convert_error = ""
        try:
            opportunity_id = await db.run(
                service.convert_lead, actor, self.lead_id, action=self.action, customer_mode=self.customer_mode,
                customer_id=int(self.chosen_customer) if self.chosen_customer.isdigit() else None,
                opportunity_id=int(self.chosen_opportunity) if self.chosen_opportunity.isdigit() else None,
            )
        except DomainError as exc:
            self.convert_error = exc.message(await current_lang(self))
            return
        self.convert_open = False
        return rx.redirect(f"/opportunities/{opportunity_id}")

    @rx.event
    def set_lost_open(self, value: bool):
        self.lost_open = value

    @rx.event
    async def mark_lost(self, form: dict):
        actor = await require_actor(self)
        try:
            await db.run(service.mark_lead_lost, actor, self.lead_id, form.get("reason", ""))
        except DomainError as exc:
            self.errors = {"lost_reason": exc.message(await current_lang(self))}
            return
        await self._load_record()

    @rx.event
    async def reopen(self):
        actor = await require_actor(self)
        try:
            await db.run(service.reopen_lead, actor, self.lead_id)
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        await self._load_record()
