"""Customer list and customer form states: thin handlers over customers.service."""

from __future__ import annotations

import reflex as rx

from kaktus_app import db
from kaktus_app.auth import service as auth_service
from kaktus_app.auth.state import require_actor
from kaktus_app.customers import service
from kaktus_app.errors import DomainError
from kaktus_app.i18n import translate
from kaktus_app.portal import service as portal_service
from kaktus_app.ui.form_state import as_form_values, error_messages, query_param, record_id_from_path
from kaktus_app.ui.lang import current_lang
from kaktus_app.ui.paging import PagedListState

FILTER_KEYS = ("search", "kind", "segment", "city", "owner_id", "tag", "province")


class CustomerListState(PagedListState, rx.State):
    rows: list[dict] = []
    sort: str = "name"
    filters: dict[str, str] = {k: "" for k in FILTER_KEYS}
    users: list[dict] = []
    saved_filters: list[dict] = []
    active_filter_id: int = 0
    new_filter_name: str = ""

    EXPORT_MODULE = "customers"

    def _export_filters(self) -> dict:
        f = self.filters
        return {k: f.get(k, "") for k in ("search", "kind", "segment", "city", "tag", "province")} | {"owner_id": f.get("owner_id") or None}

    async def _reload(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        lang = await current_lang(self)
        f = self.filters
        result = await db.run(
            service.list_customers, actor, search=f.get("search", ""), kind=f.get("kind", ""), segment=f.get("segment", ""),
            city=f.get("city", ""), owner_id=f.get("owner_id") or None, tag=f.get("tag", ""), province=f.get("province", ""),
            sort=self.sort, desc=self.desc, page=self.page, lang=lang,
        )
        self._take(result)

    @rx.event
    async def load(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        self.users = await db.run(lambda s: auth_service.list_users(s))
        self.saved_filters = await db.run(service.list_saved_filters, actor)
        await self._reload()

    @rx.event
    async def set_filter(self, key: str, value: str):
        if key in FILTER_KEYS:
            self.filters = {**self.filters, key: value}
            self.page, self.active_filter_id = 1, 0
            await self._reload()

    @rx.event
    async def clear_filters(self):
        self.filters = {k: "" for k in FILTER_KEYS}
        self.page, self.active_filter_id = 1, 0
        await self._reload()

    @rx.event
    async def apply_saved(self, filter_id: int):
        for saved in self.saved_filters:
            if saved["id"] == filter_id:
                self.filters = {k: str(saved["criteria"].get(k, "")) for k in FILTER_KEYS}
                self.active_filter_id, self.page = filter_id, 1
        await self._reload()

    @rx.event
    def set_new_filter_name(self, value: str):
        self.new_filter_name = value

    @rx.event
    async def save_current_filter(self):
        actor = await require_actor(self)
        lang = await current_lang(self)
        try:
            await db.run(service.save_filter, actor, self.new_filter_name, dict(self.filters))
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        self.new_filter_name = ""
        self.saved_filters = await db.run(service.list_saved_filters, actor)
        return rx.toast.success(translate("customers.filter_saved", lang))

    @rx.event
    async def delete_saved(self, filter_id: int):
        actor = await require_actor(self)
        try:
            await db.run(service.delete_saved_filter, actor, filter_id)
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        self.saved_filters = await db.run(service.list_saved_filters, actor)


EMPTY_FORM = {
    "kind": "company", "name": "", "company_id": "", "industry": "", "segment": "", "tags": "", "street": "", "city": "",
    "province": "", "postal_code": "", "latitude": "", "longitude": "", "phone": "", "mobile": "", "email": "", "website": "",
    "npwp": "", "department": "", "person_in_charge": "", "job_title": "", "owner_id": "", "notes": "",
    "profile_needs": "", "profile_preferences": "", "profile_history": "",
}


class CustomerFormState(rx.State):
    customer_id: int = 0
    values: dict[str, str] = dict(EMPTY_FORM)
    errors: dict[str, str] = {}
    general_error: str = ""
    contacts: list[dict] = []
    companies: list[dict] = []
    users: list[dict] = []
    duplicates: list[dict] = []
    form_key: int = 0
    loaded: bool = False
    not_found: bool = False
    title: str = ""
    _pending: dict = {}

    @rx.var
    def is_new(self) -> bool:
        return self.customer_id == 0

    @rx.var
    def is_company(self) -> bool:
        return self.values.get("kind", "company") == "company"

    @rx.event
    async def load(self):
        """Hide the form until this record's data is in, so nothing typed meanwhile is lost."""
        self.loaded = False
        yield
        await self._load_record()

    async def _load_record(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        lang = await current_lang(self)
        self.errors, self.general_error, self.duplicates, self.not_found = {}, "", [], False
        self.users = await db.run(lambda s: auth_service.list_users(s))
        self.companies = await db.run(lambda s: service.customer_options(s, "", kind="company", limit=500))
        record_id = record_id_from_path(self)
        if record_id is None:
            self.customer_id, self.contacts, self.title = 0, [], ""
            values = dict(EMPTY_FORM, owner_id="")  # automatic: the sales territory's owner, else the creator
            company = query_param(self, "company")
            if company.isdigit():
                values.update(kind="person", company_id=company)
            self.values = values
        else:
            try:
                record = await db.run(service.get_customer, actor, record_id, lang)
            except DomainError:
                self.not_found, self.loaded = True, True
                return
            self.customer_id, self.title = record_id, record["name"]
            self.values = {k: v for k, v in as_form_values(record).items() if k in EMPTY_FORM}
            self.contacts = record["contacts"]
        self.form_key += 1
        self.loaded = True

    @rx.event
    def set_kind(self, kind: str):
        self.values = {**self.values, "kind": kind if kind in ("company", "person") else "company"}

    async def _save(self, data: dict, check_duplicates: bool):
        actor = await require_actor(self)
        lang = await current_lang(self)
        self.values = {**self.values, **{k: str(v) for k, v in data.items() if k in EMPTY_FORM}}
        self.errors, self.general_error = {}, ""
        if self.customer_id == 0 and check_duplicates:
            hits = await db.run(
                lambda s: service.find_duplicates(s, name=data.get("name", ""), email=data.get("email", ""), phone=data.get("phone", "") or data.get("mobile", ""))
            )
            if hits:
                self.duplicates = [h | {"reason_label": translate(f"customers.duplicate_reason.{h['reason']}", lang)} for h in hits]
                self._pending = data
                return
        try:
            if self.customer_id == 0:
                customer = await db.run(service.create_customer, actor, data)
                self.duplicates, self._pending = [], {}
                return [rx.toast.success(translate("customers.saved", lang)), rx.redirect(f"/customers/{customer.id}")]
            await db.run(service.update_customer, actor, self.customer_id, data)
        except DomainError as exc:
            self.errors, self.general_error = await error_messages(self, exc)
            self.duplicates = []
            return
        await self._load_record()
        return rx.toast.success(translate("customers.saved", lang))

    @rx.event
    async def save(self, form: dict):
        data = {k: form.get(k, "") for k in EMPTY_FORM if k in form}
        data["kind"] = self.values.get("kind", "company")
        return await self._save(data, check_duplicates=True)

    @rx.event
    async def create_anyway(self):
        return await self._save(dict(self._pending), check_duplicates=False)

    @rx.event
    def dismiss_duplicates(self):
        self.duplicates = []


class ContactExportState(rx.State):
    """"Contacts as vCard" on the customer list: the people of the list as it is filtered."""

    @rx.event
    async def export_vcard(self):
        from kaktus_app.integration import service as integration

        actor = await require_actor(self)
        lang = await current_lang(self)
        listing = await self.get_state(CustomerListState)
        f = listing.filters
        filters = {k: f.get(k, "") for k in ("search", "segment", "city", "tag", "province")} | {"owner_id": f.get("owner_id") or ""}
        try:
            name, text = await db.run(integration.contacts_vcard, actor, filters=filters, lang=lang)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        return rx.download(data=text.encode(), filename=name, mime_type="text/vcard")


class ContactPortalState(rx.State):
    """The "Invite to portal" control on a contact's page (the rules are in portal.service)."""

    status: dict = {}
    link: str = ""

    @rx.event
    async def load(self):
        self.link, self.status = "", {}
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        contact_id = record_id_from_path(self)
        if contact_id is None:
            return
        try:
            self.status = await db.run(portal_service.contact_portal_status, actor, contact_id, await current_lang(self))
        except DomainError:
            self.status = {}

    @rx.event
    async def invite(self):
        actor = await require_actor(self)
        lang = await current_lang(self)
        contact_id = record_id_from_path(self)
        try:
            _user, link = await db.run(portal_service.invite_contact, actor, contact_id)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        self.link = link
        self.status = await db.run(portal_service.contact_portal_status, actor, contact_id, lang)
        return ContactPortalState.deliver

    @rx.event
    async def revoke(self):
        actor = await require_actor(self)
        lang = await current_lang(self)
        contact_id = record_id_from_path(self)
        try:
            await db.run(portal_service.revoke_access, actor, contact_id)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        self.status = await db.run(portal_service.contact_portal_status, actor, contact_id, lang)
        return rx.toast.success(translate("portal.staff.revoked", lang))

    @rx.event
    def hide_link(self, _open: bool = False):
        self.link = ""

    @rx.event(background=True)
    async def deliver(self):
        """Hand the invitation to SMTP after the answer (it stays in the outbox without SMTP)."""
        import asyncio

        await asyncio.to_thread(portal_service.deliver_outbox)

