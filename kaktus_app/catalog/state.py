"""States of the catalog pages: products, price lists, vendors, purchase orders."""

from __future__ import annotations

import reflex as rx

from kaktus_app import db
from kaktus_app.auth.state import require_actor
from kaktus_app.catalog import service
from kaktus_app.errors import DomainError, NotFound
from kaktus_app.i18n import translate
from kaktus_app.ui.form_state import as_form_values, error_messages, record_id_from_path, show_errors
from kaktus_app.ui.lang import current_lang
from kaktus_app.ui.paging import PagedListState

PRODUCT_FIELDS = ("code", "name", "category", "uom", "sale_price", "cost", "tax_rate", "description", "vendor_id")


def _checked(form: dict, name: str) -> bool:
    return str(form.get(name, "")).lower() in ("on", "true", "1", "yes")


class ProductListState(PagedListState, rx.State):
    rows: list[dict] = []
    sort: str = "name"
    search: str = ""
    category: str = ""
    active: str = "active"
    EXPORT_MODULE = "products"

    def _export_filters(self) -> dict:
        return {"search": self.search, "category": self.category, "active": self.active}

    async def _reload(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        result = await db.run(
            service.list_products, actor, search=self.search, category=self.category, active=self.active, sort=self.sort,
            desc=self.desc, page=self.page, lang=await current_lang(self),
        )
        self._take(result)

    @rx.event
    async def load(self):
        await self._reload()

    @rx.event
    async def set_filter(self, key: str, value: str):
        if key in ("search", "category", "active"):
            setattr(self, key, value)
            self.page = 1
            await self._reload()


class ProductFormState(rx.State):
    product_id: int = 0
    record: dict = {}
    values: dict[str, str] = {}
    active: bool = True
    errors: dict[str, str] = {}
    general_error: str = ""
    image_error: str = ""
    vendors: list[dict] = []
    vendor_prices: list[dict] = []
    form_key: int = 0
    loaded: bool = False
    not_found: bool = False

    @rx.var
    def is_new(self) -> bool:
        return self.product_id == 0

    async def _reload(self):
        actor = await require_actor(self)
        if not self.product_id:
            self.record, self.vendor_prices, self.active = {}, [], True
            self.values = {"category": "nasi_box", "uom": "box", "tax_rate": "11", "sale_price": "", "cost": "", "code": "", "name": "", "description": "", "vendor_id": ""}
        else:
            try:
                record = await db.run(service.get_product, actor, self.product_id, await current_lang(self))
            except NotFound:
                self.not_found = True
                return
            self.vendor_prices = record.pop("vendor_prices")
            self.record, self.active = record, bool(record["active"])
            self.values = {k: v for k, v in as_form_values(record).items() if k in PRODUCT_FIELDS}
        self.not_found = False
        self.form_key += 1

    @rx.event
    async def load(self):
        self.loaded = False
        yield
        try:
            await require_actor(self)
        except DomainError:
            return
        self.product_id = record_id_from_path(self) or 0
        self.errors, self.general_error, self.image_error = {}, "", ""
        self.vendors = await db.run(lambda s: [{"id": v["id"], "name": v["name"]} for v in service.list_vendors(s)])
        await self._reload()
        self.loaded = True

    @rx.event
    async def save(self, form: dict):
        actor = await require_actor(self)
        lang = await current_lang(self)
        # Only what the form sent: a hidden or read-only field (cost) is not in it and stays as it is.
        data = {k: form[k] for k in PRODUCT_FIELDS if k in form}
        data["active"] = _checked(form, "active")
        self.values = {**self.values, **{k: str(v) for k, v in data.items()}}
        self.errors, self.general_error = {}, ""
        product_id = self.product_id
        try:
            if product_id:
                await db.run(service.update_product, actor, product_id, data)
            else:
                product_id = await db.run(lambda s: service.create_product(s, actor, data).id)
        except DomainError as exc:
            self.errors, self.general_error = await error_messages(self, exc)
            return
        if not self.product_id:
            return rx.redirect(f"/products/{product_id}")
        await self._reload()
        return rx.toast.success(translate("catalog.saved", lang))

    @rx.event
    async def upload_image(self, files: list[rx.UploadFile]):
        actor = await require_actor(self)
        lang = await current_lang(self)
        if not files or not self.product_id:
            return  # the dropzone also sends an empty drop when it refused the file (image_rejected says why)
        self.image_error = ""
        upload = files[0]
        data = await upload.read(service.MAX_IMAGE + 1)
        try:
            name = service.product_image_name(self.product_id, upload.filename, data)
        except DomainError as exc:
            self.image_error = exc.message(lang)
            return
        path = rx.get_upload_dir() / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        old = str(self.record.get("image") or "")
        try:
            await db.run(service.set_product_image, actor, self.product_id, name)
        except DomainError as exc:
            path.unlink(missing_ok=True)
            self.image_error = exc.message(lang)
            return
        if old.startswith("products/") and old != name:
            (rx.get_upload_dir() / old).unlink(missing_ok=True)
        await self._reload()
        return rx.toast.success(translate("catalog.image_saved", lang))

    @rx.event
    async def image_rejected(self):
        """The browser refused the file (type or size) before sending it (the files stay in the browser)."""
        self.image_error = translate("catalog.image_invalid", await current_lang(self))


class PriceListsState(rx.State):
    lists: list[dict] = []
    errors: dict[str, str] = {}
    form_key: int = 0

    @rx.event
    async def load(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        self.lists = await db.run(service.list_price_lists, await current_lang(self))

    @rx.event
    async def create(self, form: dict):
        actor = await require_actor(self)
        self.errors = {}
        try:
            new_id = await db.run(lambda s: service.save_price_list(s, actor, None, {"name": form.get("name", ""), "segment": form.get("segment", "")}).id)
        except DomainError as exc:
            return await show_errors(self, exc, "errors")
        return rx.redirect(f"/price-lists/{new_id}")


class PriceListState(rx.State):
    price_list_id: int = 0
    record: dict = {}
    rules: list[dict] = []
    products: list[dict] = []
    values: dict[str, str] = {}
    active: bool = True
    errors: dict[str, str] = {}
    rule_errors: dict[str, str] = {}
    form_key: int = 0
    rule_key: int = 0
    loaded: bool = False
    not_found: bool = False

    async def _reload(self):
        try:
            record = await db.run(service.get_price_list, self.price_list_id, await current_lang(self))
        except NotFound:
            self.not_found = True
            return
        self.not_found = False
        self.rules = record.pop("rules")
        self.record, self.active = record, bool(record["active"])
        self.values = {k: v for k, v in as_form_values(record).items() if k in ("name", "segment", "note")}
        self.form_key += 1

    @rx.event
    async def load(self):
        self.loaded = False
        yield
        try:
            await require_actor(self)
        except DomainError:
            return
        self.price_list_id = record_id_from_path(self) or 0
        self.errors, self.rule_errors = {}, {}
        self.products = await db.run(lambda s: service.product_options(s))
        await self._reload()
        self.loaded = True

    @rx.event
    async def save(self, form: dict):
        actor = await require_actor(self)
        data = {"name": form.get("name", ""), "segment": form.get("segment", ""), "note": form.get("note", ""), "active": _checked(form, "active")}
        self.values = {**self.values, **{k: str(v) for k, v in data.items()}}
        self.errors = {}
        try:
            await db.run(service.save_price_list, actor, self.price_list_id, data)
        except DomainError as exc:
            return await show_errors(self, exc, "errors")
        await self._reload()
        return rx.toast.success(translate("catalog.saved", await current_lang(self)))

    @rx.event
    async def add_rule(self, form: dict):
        actor = await require_actor(self)
        self.rule_errors = {}
        try:
            await db.run(service.add_rule, actor, self.price_list_id, form)
        except DomainError as exc:
            return await show_errors(self, exc, "rule_errors")
        self.rule_key += 1
        await self._reload()

    @rx.event
    async def delete_rule(self, rule_id: int):
        actor = await require_actor(self)
        try:
            await db.run(service.delete_rule, actor, rule_id)
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        await self._reload()


class VendorsState(rx.State):
    vendors: list[dict] = []
    errors: dict[str, str] = {}

    @rx.event
    async def load(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        self.vendors = await db.run(service.list_vendors)

    @rx.event
    async def create(self, form: dict):
        actor = await require_actor(self)
        self.errors = {}
        try:
            new_id = await db.run(lambda s: service.save_vendor(s, actor, None, form).id)
        except DomainError as exc:
            return await show_errors(self, exc, "errors")
        return rx.redirect(f"/vendors/{new_id}")


class VendorState(rx.State):
    vendor_id: int = 0
    record: dict = {}
    prices: list[dict] = []
    products: list[dict] = []
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    price_errors: dict[str, str] = {}
    form_key: int = 0
    price_key: int = 0
    loaded: bool = False
    not_found: bool = False

    async def _reload(self):
        try:
            record = await db.run(service.get_vendor, self.vendor_id, await current_lang(self))
        except NotFound:
            self.not_found = True
            return
        self.not_found = False
        self.prices = record.pop("prices")
        self.record = record
        self.values = as_form_values(record)
        self.form_key += 1

    @rx.event
    async def load(self):
        self.loaded = False
        yield
        try:
            await require_actor(self)
        except DomainError:
            return
        self.vendor_id = record_id_from_path(self) or 0
        self.errors, self.price_errors = {}, {}
        self.products = await db.run(lambda s: service.product_options(s))
        await self._reload()
        self.loaded = True

    @rx.event
    async def save(self, form: dict):
        actor = await require_actor(self)
        self.values = {**self.values, **{k: str(v) for k, v in form.items()}}
        self.errors = {}
        try:
            await db.run(service.save_vendor, actor, self.vendor_id, form)
        except DomainError as exc:
            return await show_errors(self, exc, "errors")
        await self._reload()
        return rx.toast.success(translate("catalog.saved", await current_lang(self)))

    @rx.event
    async def set_price(self, form: dict):
        actor = await require_actor(self)
        self.price_errors = {}
        try:
            await db.run(service.set_vendor_price, actor, self.vendor_id, form)
        except DomainError as exc:
            return await show_errors(self, exc, "price_errors")
        self.price_key += 1
        await self._reload()


class PurchaseOrdersState(PagedListState, rx.State):
    """/purchase-orders: the newest orders (no filter, no paging); "Export" gives every order."""

    orders: list[dict] = []
    vendors: list[dict] = []
    errors: dict[str, str] = {}
    EXPORT_MODULE = "purchase_orders"

    @rx.event
    async def load(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        lang = await current_lang(self)
        self.orders = await db.run(service.list_purchase_orders, lang)
        self.vendors = await db.run(lambda s: [{"id": v["id"], "name": v["name"]} for v in service.list_vendors(s)])

    @rx.event
    async def create(self, form: dict):
        actor = await require_actor(self)
        self.errors = {}
        try:
            new_id = await db.run(lambda s: service.create_purchase_order(s, actor, form.get("vendor_id", ""), form).id)
        except DomainError as exc:
            return await show_errors(self, exc, "errors")
        return rx.redirect(f"/purchase-orders/{new_id}")


class PurchaseOrderState(rx.State):
    po_id: int = 0
    record: dict = {}
    lines: list[dict] = []
    products: list[dict] = []
    line_errors: dict[str, str] = {}
    line_key: int = 0
    loaded: bool = False
    not_found: bool = False

    async def _reload(self):
        try:
            record = await db.run(service.get_purchase_order, self.po_id, await current_lang(self))
        except NotFound:
            self.not_found = True
            return
        self.not_found = False
        self.lines = record.pop("lines")
        self.record = record

    @rx.event
    async def load(self):
        self.loaded = False
        yield
        try:
            await require_actor(self)
        except DomainError:
            return
        self.po_id = record_id_from_path(self) or 0
        self.line_errors = {}
        self.products = await db.run(lambda s: service.product_options(s))
        await self._reload()
        self.loaded = True

    @rx.event
    async def add_line(self, form: dict):
        actor = await require_actor(self)
        self.line_errors = {}
        try:
            await db.run(service.add_po_line, actor, self.po_id, form)
        except DomainError as exc:
            return await show_errors(self, exc, "line_errors")
        self.line_key += 1
        await self._reload()

    @rx.event
    async def remove_line(self, line_id: int):
        actor = await require_actor(self)
        try:
            await db.run(service.remove_po_line, actor, line_id)
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        await self._reload()

    @rx.event
    async def set_state(self, target: str):
        actor = await require_actor(self)
        lang = await current_lang(self)
        try:
            await db.run(service.set_po_state, actor, self.po_id, target)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        await self._reload()
        return rx.toast.success(translate("catalog.saved", lang))
