"""States of the documents pages: quotation/order lists and editor, invoices, payments, settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import reflex as rx

from kaktus_app import db
from kaktus_app.auth import service as auth_service
from kaktus_app.auth.state import require_actor
from kaktus_app.catalog import service as catalog_service
from kaktus_app.customers import service as customers_service
from kaktus_app.documents import service
from kaktus_app.errors import Conflict, DomainError, NotFound
from kaktus_app.i18n import translate
from kaktus_app.ui.form_state import as_form_values, error_messages, query_param, record_id_from_path
from kaktus_app.ui.lang import current_lang
from kaktus_app.ui.paging import PagedListState

HEADER_FIELDS = ("customer_id", "validity_date", "payment_terms", "owner_id", "note", "terms")
LINE_FIELDS = ("product_id", "description", "quantity", "unit_price", "discount")


def _optional(form: dict) -> bool:
    return str(form.get("optional", "")).lower() in ("on", "true", "1", "yes")


class _DocumentListState(PagedListState, rx.State, mixin=True):
    """A documents list: a view tab (quotations / orders..., unpaid / paid...), a search, paging.
    The subclass names its service list function and views."""

    rows: list[dict] = []
    sort: str = "number"
    desc: bool = True
    view: str = ""
    search: str = ""

    # (the service's list function, its views): each subclass names its own
    _source: ClassVar[tuple[Callable, dict]]

    def _export_filters(self) -> dict:
        return {"view": self.view, "search": self.search}

    async def _reload(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        result = await db.run(
            self._source[0], actor, view=self.view, search=self.search, sort=self.sort, desc=self.desc, page=self.page,
            lang=await current_lang(self),
        )
        self._take(result)

    @rx.event
    async def load(self):
        view = query_param(self, "view")
        if view in self._source[1]:
            self.view = view
        await self._reload()

    @rx.event
    async def set_view(self, view: str | list[str]):
        self.view, self.page = view if isinstance(view, str) else view[0], 1
        await self._reload()

    @rx.event
    async def set_search(self, value: str):
        self.search, self.page = value, 1
        await self._reload()


class QuotationListState(_DocumentListState, rx.State):
    view: str = "quotations"
    EXPORT_MODULE = "quotations"

    _source: ClassVar[tuple[Callable, dict]] = (service.list_orders, service.ORDER_VIEWS)


class InvoiceListState(_DocumentListState, rx.State):
    view: str = "all"
    EXPORT_MODULE = "invoices"

    _source: ClassVar[tuple[Callable, dict]] = (service.list_invoices, service.INVOICE_VIEWS)


class NewQuotationState(rx.State):
    """/quotations/new: pick the customer (and validity, terms) of a new quotation."""

    customers: list[dict] = []
    opportunity_id: str = ""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    form_key: int = 0

    @rx.event
    async def load(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        self.opportunity_id = query_param(self, "opportunity")
        self.errors = {}
        self.customers = await db.run(lambda s: customers_service.customer_options(s, "", limit=1000))
        settings = await db.run(service.settings_values)
        self.values = {"customer_id": query_param(self, "customer"), "payment_terms": settings["payment_terms"], "validity_date": ""}
        self.form_key += 1

    @rx.event
    async def create(self, form: dict):
        actor = await require_actor(self)
        data = {k: v for k, v in form.items() if k in ("customer_id", "validity_date", "payment_terms") and (v or k == "customer_id")}
        if self.opportunity_id:
            data["opportunity_id"] = self.opportunity_id
        self.values = {**self.values, **{k: str(v) for k, v in form.items()}}
        try:
            order = await db.run(lambda s: service.create_quotation(s, actor, data).id)
        except DomainError as exc:
            self.errors, _ = await error_messages(self, exc)
            return
        return rx.redirect(f"/quotations/{order}")


class OrderState(rx.State):
    """/quotations/<id>: a quotation or sales order with its lines, totals, invoices and history."""

    order_id: int = 0
    record: dict = {}
    lines: list[dict] = []
    taxes: list[dict] = []
    invoices: list[dict] = []
    history: list[dict] = []
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    general_error: str = ""
    form_key: int = 0
    loaded: bool = False
    not_found: bool = False
    products: list[dict] = []
    customers: list[dict] = []
    users: list[dict] = []
    editing_line: int = 0
    edit_values: dict[str, str] = {}
    edit_errors: dict[str, str] = {}
    add_errors: dict[str, str] = {}
    add_key: int = 0
    invoice_open: bool = False
    invoice_mode: str = "full"
    invoice_errors: dict[str, str] = {}

    async def _reload(self):
        actor = await require_actor(self)
        try:
            record = await db.run(service.get_order, actor, self.order_id, await current_lang(self))
        except NotFound:
            self.not_found = True
            return
        self.not_found = False
        self.lines, self.taxes = record.pop("lines"), record.pop("taxes")
        self.invoices, self.history = record.pop("invoices"), record.pop("history")
        self.record = record
        self.values = {k: v for k, v in as_form_values(record).items() if k in HEADER_FIELDS}
        self.form_key += 1

    @rx.event
    async def load(self):
        self.loaded = False
        yield
        try:
            await require_actor(self)
        except DomainError:
            return
        self.order_id = record_id_from_path(self) or 0
        self.errors, self.general_error, self.add_errors, self.edit_errors = {}, "", {}, {}
        self.editing_line, self.invoice_open = 0, False
        self.products = await db.run(lambda s: catalog_service.product_options(s))
        self.customers = await db.run(lambda s: customers_service.customer_options(s, "", limit=1000))
        if not self.users:
            self.users = await db.run(lambda s: auth_service.list_users(s))
        await self._reload()
        self.loaded = True

    async def _call(self, fn, *args, errors_attr: str = "", **kwargs):
        """Run a service call; on a rule error show it (at the field when it has one) and reload on a conflict."""
        actor = await require_actor(self)
        try:
            result = await db.run(fn, actor, *args, **kwargs)
        except DomainError as exc:
            fields, message = await error_messages(self, exc)
            if isinstance(exc, (Conflict, NotFound)):
                await self._reload()
            if errors_attr and fields:
                setattr(self, errors_attr, fields)
                return False, None
            return False, rx.toast.error(message)
        return True, result

    @rx.event
    async def save_header(self, form: dict):
        data = {k: form.get(k, "") for k in HEADER_FIELDS if k in form}
        self.values = {**self.values, **{k: str(v) for k, v in data.items()}}
        self.errors, self.general_error = {}, ""
        ok, result = await self._call(service.update_quotation, self.order_id, data, self.record.get("version"), errors_attr="errors")
        if not ok:
            if self.errors:
                self.general_error = translate("error.fix_fields", await current_lang(self))
            return result
        await self._reload()
        return rx.toast.success(translate("documents.saved", await current_lang(self)))

    @rx.event
    async def add_line(self, form: dict):
        data = {k: form.get(k, "") for k in LINE_FIELDS}
        data["optional"] = _optional(form)
        self.add_errors = {}
        ok, result = await self._call(service.add_line, self.order_id, data, lang=await current_lang(self), errors_attr="add_errors")
        if not ok:
            return result
        self.add_key += 1
        await self._reload()

    @rx.event
    def start_edit(self, line: dict):
        self.editing_line = int(line["id"])
        self.edit_values = {k: str(line.get(k, "")) for k in LINE_FIELDS}
        self.edit_values["optional"] = "on" if line.get("optional") else ""
        self.edit_errors = {}

    @rx.event
    def cancel_edit(self):
        self.editing_line, self.edit_errors = 0, {}

    @rx.event
    async def save_line(self, form: dict):
        data = {k: form.get(k, "") for k in LINE_FIELDS if k in form}
        data["optional"] = _optional(form)
        self.edit_values = {**self.edit_values, **{k: str(v) for k, v in form.items()}}
        self.edit_errors = {}
        ok, result = await self._call(service.update_line, self.editing_line, data, lang=await current_lang(self), errors_attr="edit_errors")
        if not ok:
            return result
        self.editing_line = 0
        await self._reload()

    @rx.event
    async def remove_line(self, line_id: int):
        ok, result = await self._call(service.remove_line, line_id)
        await self._reload()
        return None if ok else result

    @rx.event
    async def move_line(self, line_id: int, direction: int):
        ok, result = await self._call(service.move_line, line_id, direction)
        await self._reload()
        return None if ok else result

    async def _transition(self, fn, toast_key: str = "documents.done"):
        ok, result = await self._call(fn, self.order_id)
        await self._reload()
        if not ok:
            return result
        return rx.toast.success(translate(toast_key, await current_lang(self)))

    @rx.event
    async def mark_sent(self):
        return await self._transition(service.mark_sent)

    @rx.event
    async def confirm(self):
        return await self._transition(service.confirm)

    @rx.event
    async def cancel(self):
        return await self._transition(service.cancel_order)

    @rx.event
    async def reset_to_draft(self):
        return await self._transition(service.reset_to_draft)

    @rx.event
    def set_invoice_open(self, value: bool):
        self.invoice_open, self.invoice_errors, self.invoice_mode = value, {}, "full"

    @rx.event
    def set_invoice_mode(self, value: str):
        self.invoice_mode, self.invoice_errors = value, {}

    @rx.event
    async def create_invoice(self, form: dict):
        self.invoice_errors = {}
        mode = form.get("mode", self.invoice_mode) or "full"
        lang, order_id, value = await current_lang(self), self.order_id, form.get("down_payment", "")
        ok, result = await self._call(
            lambda s, actor: service.create_invoice(s, actor, order_id, mode, value, lang=lang).id,
            errors_attr="invoice_errors",
        )
        if not ok:
            return result
        self.invoice_open = False
        return rx.redirect(f"/invoices/{result}")

    @rx.event
    async def download_pdf(self):
        actor = await require_actor(self)
        try:
            name, data = await db.run(service.order_pdf, actor, self.order_id, await current_lang(self))
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        return rx.download(data=data, filename=name, mime_type="application/pdf")


class InvoiceState(rx.State):
    """/invoices/<id>: post, pay (partially), reverse with a credit note, PDF."""

    invoice_id: int = 0
    record: dict = {}
    lines: list[dict] = []
    taxes: list[dict] = []
    payments: list[dict] = []
    history: list[dict] = []
    not_found: bool = False
    loaded: bool = False
    pay_open: bool = False
    pay_errors: dict[str, str] = {}
    pay_key: int = 0
    credit_open: bool = False

    async def _reload(self):
        actor = await require_actor(self)
        try:
            record = await db.run(service.get_invoice, actor, self.invoice_id, await current_lang(self))
        except NotFound:
            self.not_found = True
            return
        self.not_found = False
        self.lines, self.taxes = record.pop("lines"), record.pop("taxes")
        self.payments, self.history = record.pop("payments"), record.pop("history")
        self.record = record

    @rx.event
    async def load(self):
        self.loaded = False
        yield
        try:
            await require_actor(self)
        except DomainError:
            return
        self.invoice_id = record_id_from_path(self) or 0
        self.pay_open, self.credit_open, self.pay_errors = False, False, {}
        await self._reload()
        self.loaded = True

    async def _act(self, fn, *args):
        actor = await require_actor(self)
        lang = await current_lang(self)
        try:
            result = await db.run(fn, actor, *args)
        except DomainError as exc:
            await self._reload()
            return None, rx.toast.error(exc.message(lang))
        await self._reload()
        return result, rx.toast.success(translate("documents.done", lang))

    @rx.event
    async def post(self):
        _, toast = await self._act(service.post_invoice, self.invoice_id)
        return toast

    @rx.event
    async def cancel(self):
        _, toast = await self._act(service.cancel_invoice, self.invoice_id)
        return toast

    @rx.event
    def set_pay_open(self, value: bool):
        self.pay_open, self.pay_errors = value, {}
        self.pay_key += 1

    @rx.event
    async def register_payment(self, form: dict):
        actor = await require_actor(self)
        self.pay_errors = {}
        try:
            await db.run(service.register_payment, actor, self.invoice_id, form)
        except DomainError as exc:
            fields, message = await error_messages(self, exc)
            self.pay_errors = fields or {"amount": message}
            return
        self.pay_open = False
        await self._reload()
        return rx.toast.success(translate("documents.done", await current_lang(self)))

    @rx.event
    def set_credit_open(self, value: bool):
        self.credit_open = value

    @rx.event
    async def credit_note(self):
        actor = await require_actor(self)
        lang = await current_lang(self)
        self.credit_open = False
        try:
            invoice_id = self.invoice_id
            note = await db.run(lambda s: service.create_credit_note(s, actor, invoice_id, lang).id)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        return rx.redirect(f"/invoices/{note}")

    @rx.event
    async def download_pdf(self):
        actor = await require_actor(self)
        try:
            name, data = await db.run(service.invoice_pdf, actor, self.invoice_id, await current_lang(self))
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        return rx.download(data=data, filename=name, mime_type="application/pdf")


class DocumentSettingsState(rx.State):
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    general_error: str = ""
    form_key: int = 0
    loaded: bool = False

    @rx.event
    async def load(self):
        self.loaded = False
        yield
        try:
            await require_actor(self)
        except DomainError:
            return
        self.values = await db.run(service.settings_values)
        self.errors, self.general_error = {}, ""
        self.form_key += 1
        self.loaded = True

    @rx.event
    async def save(self, form: dict):
        actor = await require_actor(self)
        self.values = {**self.values, **{k: str(v) for k, v in form.items()}}
        self.errors, self.general_error = {}, ""
        try:
            await db.run(service.update_settings, actor, form)
        except DomainError as exc:
            self.errors, self.general_error = await error_messages(self, exc)
            return
        return rx.toast.success(translate("documents.saved", await current_lang(self)))


class RecordDocumentsState(rx.State):
    """The documents card on an opportunity (its quotations) and on a customer (all documents, open balance)."""

    opportunity_quotes: list[dict] = []
    customer_quotations: list[dict] = []
    customer_orders: list[dict] = []
    customer_invoices: list[dict] = []
    balance_label: str = ""
    has_balance: bool = False

    @rx.event
    async def load_for_opportunity(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        opportunity_id = record_id_from_path(self)
        if opportunity_id:
            self.opportunity_quotes = await db.run(service.quotations_for_opportunity, opportunity_id, await current_lang(self))

    @rx.event
    async def load_for_customer(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        customer_id = record_id_from_path(self)
        if not customer_id:
            self.customer_quotations, self.customer_orders, self.customer_invoices = [], [], []
            self.balance_label, self.has_balance = "", False
            return
        docs = await db.run(service.documents_for_customer, customer_id, await current_lang(self))
        self.balance_label, self.has_balance = docs["balance_label"], docs["has_balance"]
        self.customer_quotations, self.customer_orders, self.customer_invoices = docs["quotations"], docs["orders"], docs["invoices"]

    @rx.event
    async def new_quotation(self):
        """From the opportunity page: create the quotation at once, or ask for the customer when it has none."""
        actor = await require_actor(self)
        opportunity_id = record_id_from_path(self)
        try:
            order = await db.run(lambda s: service.create_quotation(s, actor, {"opportunity_id": opportunity_id}).id)
        except DomainError as exc:
            if exc.field == "customer_id" or getattr(exc, "errors", {}).get("customer_id"):
                return rx.redirect(f"/quotations/new?opportunity={opportunity_id}")
            return rx.toast.error(exc.message(await current_lang(self)))
        return rx.redirect(f"/quotations/{order}")
