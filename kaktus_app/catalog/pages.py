"""Catalog pages: products (/products), price lists (/price-lists), vendors (/vendors), purchasing (/purchase-orders)."""

from __future__ import annotations

import reflex as rx

from kaktus_app.auth.state import AuthState
from kaktus_app.catalog import service
from kaktus_app.catalog.models import CATEGORIES, UNITS
from kaktus_app.catalog.state import (
    PriceListsState,
    PriceListState,
    ProductFormState,
    ProductListState,
    PurchaseOrdersState,
    PurchaseOrderState,
    VendorsState,
    VendorState,
)
from kaktus_app.customers.models import SEGMENTS
from kaktus_app.layout import staff_page
from kaktus_app.ui.components import (
    badge,
    card,
    data_table,
    export_menu,
    field,
    page_header,
    pagination,
    plain_header,
    protected,
    record_select,
    select_field,
    sort_header,
    text_area,
    text_input,
)
from kaktus_app.ui.lang import t

CATEGORY_OPTIONS = [(c, f"catalog.category.{c}") for c in CATEGORIES]
UNIT_OPTIONS = [(u, f"catalog.uom.{u}") for u in UNITS]
SEGMENT_OPTIONS = [("", "catalog.default_list"), *[(s, f"customers.segment.{s}") for s in SEGMENTS]]
PO_COLORS = {"draft": "gray", "sent": "blue", "received": "grass", "cancelled": "red"}
IMAGE_ACCEPT = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"]}
# The margin shows the cost, so it is hidden with it (the service blanks both as well).
SEES_MARGIN = AuthState.sees_cost & ~AuthState.hidden_fields.contains("products.margin")


def _not_found(flag, body: rx.Component) -> rx.Component:
    return rx.cond(flag, rx.callout(t("error.not_found"), icon="circle-alert", color_scheme="red", id="not-found"), body)


def _spinner() -> rx.Component:
    return rx.center(rx.spinner(size="3"), padding="3rem", width="100%")


def _managers_note(can_edit: rx.Var = AuthState.can_edit_products) -> rx.Component:
    return rx.cond(~can_edit, rx.callout(t("catalog.managers_edit"), icon="lock", color_scheme="gray", size="1", id="managers-note"))


def _lead_days(days: rx.Var) -> rx.Component:
    return rx.text(t("catalog.lead_days_value", days=days.to_string()), size="1", color_scheme="gray", white_space="nowrap")


def _empty(key: str) -> rx.Component:
    return rx.text(t(key), size="2", color_scheme="gray")


# -------------------------------------------------------------------------------------- products

PL = ProductListState


def _product_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["code"].to(str), href="/products/" + row["id"].to_string(), weight="medium")),
        rx.table.cell(rx.hstack(rx.text(row["name"].to(str)), rx.cond(~row["active"].to(bool), badge(t("catalog.archived"), "gray")), spacing="2")),
        rx.table.cell(row["category_label"].to(str)),
        rx.table.cell(row["uom_label"].to(str)),
        rx.table.cell(rx.text(row["sale_price_label"].to(str), white_space="nowrap"), text_align="right"),
        rx.cond(AuthState.sees_cost, rx.table.cell(rx.text(row["cost_label"].to(str), white_space="nowrap"), text_align="right", class_name="cost-cell")),
        rx.cond(SEES_MARGIN, rx.table.cell(row["margin_label"].to(str), text_align="right", class_name="margin-cell")),
        rx.table.cell(rx.text(row["tax_label"].to(str), size="1")),
        id="product-row-" + row["code"].to(str),
        class_name="product-row",
    )


@staff_page("/products", "catalog.products", on_load=PL.load)
def product_list() -> rx.Component:
    return rx.vstack(
        page_header(
            t("catalog.products"),
            export_menu(PL, "products"),
            rx.cond(AuthState.can_create_products, rx.link(rx.button(rx.icon("plus", size=16), t("catalog.new_product"), id="new-product"), href="/products/new")),
        ),
        rx.hstack(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                placeholder=t("catalog.search"),
                default_value=PL.search,
                on_change=lambda v: PL.set_filter("search", v),
                debounce_timeout=300,
                id="product-search",
                width="260px",
            ),
            rx.el.select(
                rx.el.option(t("catalog.all_categories"), value=""),
                *[rx.el.option(t(label), value=value) for value, label in CATEGORY_OPTIONS],
                value=PL.category,
                on_change=lambda v: PL.set_filter("category", v),
                class_name="kaktus-select",
                id="product-category",
            ),
            rx.el.select(
                rx.el.option(t("catalog.show_active"), value="active"),
                rx.el.option(t("catalog.show_archived"), value="archived"),
                rx.el.option(t("catalog.show_all"), value="all"),
                value=PL.active,
                on_change=lambda v: PL.set_filter("active", v),
                class_name="kaktus-select",
                id="product-active",
            ),
            spacing="3",
            wrap="wrap",
        ),
        data_table(
            [
                sort_header("catalog.code", "code", PL.sort, PL.desc, PL.sort_by),
                sort_header("catalog.name", "name", PL.sort, PL.desc, PL.sort_by),
                sort_header("catalog.category", "category", PL.sort, PL.desc, PL.sort_by),
                plain_header("catalog.uom"),
                sort_header("catalog.sale_price", "sale_price", PL.sort, PL.desc, PL.sort_by),
                rx.cond(AuthState.sees_cost, sort_header("catalog.cost", "cost", PL.sort, PL.desc, PL.sort_by)),
                rx.cond(SEES_MARGIN, plain_header("catalog.margin")),
                plain_header("catalog.tax"),
            ],
            PL.rows,
            _product_row,
            table_id="product-table",
        ),
        pagination(PL.page, PL.pages, PL.count_label, PL.prev_page, PL.next_page),
        width="100%",
        spacing="3",
    )


PF = ProductFormState
# A new product needs the "create" right, an existing one "update".
PF_CAN_SAVE = rx.cond(PF.is_new, AuthState.can_create_products, AuthState.can_edit_products)


def _product_form() -> rx.Component:
    def text(name: str, label: str, **props) -> rx.Component:
        return protected("products", name, label, lambda ro: text_input(name, PF.values[name], disabled=ro, **props), PF.errors[name])

    return rx.form(
        rx.el.fieldset(
            card(
                rx.grid(
                    text("code", "catalog.code", placeholder="NB-AYAM"),
                    text("name", "catalog.name"),
                    protected("products", "category", "catalog.category", lambda ro: select_field("category", CATEGORY_OPTIONS, PF.values["category"], disabled=ro), PF.errors["category"]),
                    protected("products", "uom", "catalog.uom", lambda ro: select_field("uom", UNIT_OPTIONS, PF.values["uom"], disabled=ro), PF.errors["uom"]),
                    text("sale_price", "catalog.sale_price", placeholder="35.000"),
                    text("cost", "catalog.cost", placeholder="21.000"),
                    protected("products", "tax_rate", "catalog.tax_rate", lambda ro: text_input("tax_rate", PF.values["tax_rate"], disabled=ro), PF.errors["tax_rate"], hint_key="catalog.tax_hint"),
                    field("catalog.vendor", record_select("vendor_id", PF.vendors, PF.values["vendor_id"], empty_label="—"), PF.errors["vendor_id"]),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                protected("products", "description", "catalog.description", lambda ro: text_area("description", PF.values["description"], disabled=ro), PF.errors["description"]),
                rx.el.label(
                    rx.hstack(rx.el.input(type="checkbox", name="active", default_checked=PF.active, id="field-active"), rx.text(t("catalog.active"), size="2"), spacing="2", align="center"),
                ),
                rx.cond(PF.general_error != "", rx.callout(PF.general_error, icon="triangle-alert", color_scheme="red", size="1", id="form-error")),
                rx.cond(PF_CAN_SAVE, rx.hstack(rx.button(rx.icon("save", size=16), t("common.save"), type="submit", id="product-save"))),
            ),
            disabled=~PF_CAN_SAVE,
            style={"border": "none", "padding": 0, "margin": 0, "min_width": 0},
        ),
        on_submit=PF.save,
        reset_on_submit=False,
        key=PF.form_key.to_string(),
        width="100%",
    )


def _product_side() -> rx.Component:
    image = PF.record["image"].to(str)
    return rx.vstack(
        card(
            rx.heading(t("catalog.image"), size="3"),
            rx.cond(
                image != "",
                rx.center(
                    rx.image(src=rx.get_upload_url(image), alt=PF.record["name"].to(str), max_height="220px", max_width="100%", object_fit="contain", id="product-image"),
                    width="100%",
                ),
                _empty("catalog.no_image"),
            ),
            rx.cond(
                AuthState.can_edit_products,
                rx.vstack(
                    rx.upload(
                        rx.vstack(rx.icon("image-up", size=20), rx.text(t("catalog.upload_image_types"), size="1", text_align="center"), align="center", spacing="1"),
                        id="product-image-upload",
                        accept=IMAGE_ACCEPT,
                        multiple=False,
                        max_files=1,
                        max_size=service.MAX_IMAGE,
                        on_drop=PF.upload_image(rx.upload_files(upload_id="product-image-upload")),
                        on_drop_rejected=lambda _rejected: PF.image_rejected(),
                        border="1px dashed var(--gray-7)",
                        border_radius="var(--radius-3)",
                        padding="1rem",
                        width="100%",
                        cursor="pointer",
                    ),
                    rx.cond(PF.image_error != "", rx.text(PF.image_error, color_scheme="red", size="1", class_name="field-error", id="image-error")),
                    width="100%",
                ),
            ),
        ),
        card(
            rx.heading(t("catalog.vendor_prices"), size="3"),
            rx.foreach(
                PF.vendor_prices,
                lambda vp: rx.hstack(
                    rx.text(vp["vendor"].to(str), size="2"),
                    rx.spacer(),
                    rx.cond(AuthState.sees_cost, rx.text(vp["cost_label"].to(str), size="2", white_space="nowrap")),
                    _lead_days(vp["lead_days"]),
                    width="100%",
                    align="center",
                    class_name="product-vendor-price",
                ),
            ),
            rx.cond(PF.vendor_prices.length() == 0, _empty("catalog.no_vendor_prices")),
        ),
        width="100%",
        spacing="3",
    )


@staff_page("/products/[product_id]", "catalog.product", on_load=PF.load)
def product_form() -> rx.Component:
    return _not_found(
        PF.not_found,
        rx.vstack(
            page_header(
                rx.cond(PF.is_new, t("catalog.new_product"), PF.record["name"].to(str)),
                rx.link(rx.button(t("common.back"), variant="soft"), href="/products"),
                subtitle=rx.cond(PF.is_new, "", PF.record["code"].to(str)),
            ),
            _managers_note(PF_CAN_SAVE),
            rx.cond(
                PF.loaded,
                rx.grid(
                    _product_form(),
                    rx.cond(PF.is_new, rx.fragment(), _product_side()),
                    columns=rx.breakpoints(initial="1", lg="2fr 1fr"),
                    spacing="4",
                    width="100%",
                ),
                _spinner(),
            ),
            width="100%",
            spacing="3",
        ),
    )


# ----------------------------------------------------------------------------------- price lists

PLS = PriceListsState


@staff_page("/price-lists", "catalog.price_lists", on_load=PLS.load)
def price_lists() -> rx.Component:
    return rx.vstack(
        page_header(t("catalog.price_lists")),
        data_table(
            [plain_header("catalog.name"), plain_header("catalog.segment"), plain_header("catalog.rules"), plain_header("catalog.show_active")],
            PLS.lists,
            lambda row: rx.table.row(
                rx.table.cell(rx.link(row["name"].to(str), href="/price-lists/" + row["id"].to_string(), weight="medium")),
                rx.table.cell(row["segment_label"].to(str)),
                rx.table.cell(row["rules"].to_string()),
                rx.table.cell(rx.cond(row["active"].to(bool), badge("✓", "grass"), badge(t("catalog.archived"), "gray"))),
                class_name="price-list-row",
            ),
            table_id="price-list-table",
        ),
        rx.cond(
            AuthState.can_edit_products,
            rx.form(
                card(
                    rx.heading(t("catalog.new_price_list"), size="3"),
                    rx.hstack(
                        field("catalog.name", text_input("name"), PLS.errors["name"]),
                        field("catalog.segment", select_field("segment", SEGMENT_OPTIONS), PLS.errors["segment"]),
                        rx.button(rx.icon("plus", size=16), t("catalog.new_price_list"), type="submit", id="create-price-list"),
                        align="end",
                        spacing="3",
                        wrap="wrap",
                    ),
                    max_width="760px",
                ),
                on_submit=PLS.create,
                reset_on_submit=False,
            ),
        ),
        width="100%",
        spacing="3",
    )


P = PriceListState


def _rule_form() -> rx.Component:
    e = P.rule_errors
    return rx.form(
        rx.vstack(
            rx.heading(t("catalog.add_rule"), size="2"),
            rx.grid(
                field("catalog.rule.value", rx.hstack(
                    rx.el.select(
                        rx.el.option(t("catalog.rule.discount"), value="discount"),
                        rx.el.option(t("catalog.rule.fixed"), value="fixed"),
                        name="kind",
                        class_name="kaktus-select",
                        id="field-kind",
                    ),
                    rx.input(name="value", id="field-value", placeholder="10", width="120px"),
                    spacing="2",
                ), e["value"]),
                field("catalog.product", record_select("product_id", P.products, "", empty_label=t("catalog.rule.any_product")), e["product_id"]),
                field(
                    "catalog.category",
                    rx.el.select(
                        rx.el.option(t("catalog.rule.any_category"), value=""),
                        *[rx.el.option(t(label), value=value) for value, label in CATEGORY_OPTIONS],
                        name="category",
                        class_name="kaktus-select",
                        id="field-category",
                    ),
                    e["category"],
                ),
                field("catalog.rule.min_quantity", text_input("min_quantity", "1"), e["min_quantity"]),
                field("catalog.rule.date_from", text_input("date_from", type="date"), e["date_from"]),
                field("catalog.rule.date_to", text_input("date_to", type="date"), e["date_to"]),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                spacing="3",
                width="100%",
            ),
            rx.button(rx.icon("plus", size=16), t("catalog.add_rule"), type="submit", id="add-rule"),
            spacing="3",
            width="100%",
        ),
        on_submit=P.add_rule,
        reset_on_submit=False,
        key="rule-" + P.rule_key.to_string(),
        width="100%",
    )


def _rules() -> rx.Component:
    return card(
        rx.heading(t("catalog.rules"), size="3"),
        rx.text(t("catalog.rules_hint"), size="1", color_scheme="gray"),
        data_table(
            [
                plain_header("catalog.rule.applies_to"),
                plain_header("catalog.rule.min_quantity"),
                plain_header("catalog.rule.value"),
                plain_header("catalog.rule.valid"),
                rx.table.column_header_cell(""),
            ],
            P.rules,
            lambda r: rx.table.row(
                rx.table.cell(r["scope"].to(str)),
                rx.table.cell(r["min_quantity"].to(str), text_align="right"),
                rx.table.cell(rx.text(r["kind"].to(str), ": ", r["price"].to(str))),
                rx.table.cell(r["valid"].to(str)),
                rx.table.cell(
                    rx.cond(
                        AuthState.can_edit_products,
                        rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red", on_click=P.delete_rule(r["id"]), class_name="delete-rule"),
                    )
                ),
                class_name="rule-row",
            ),
            table_id="rule-table",
        ),
        rx.cond(AuthState.can_edit_products, _rule_form()),
    )


@staff_page("/price-lists/[price_list_id]", "catalog.price_list", on_load=P.load)
def price_list_page() -> rx.Component:
    return _not_found(
        P.not_found,
        rx.vstack(
            page_header(P.record["name"].to(str), rx.link(rx.button(t("common.back"), variant="soft"), href="/price-lists")),
            _managers_note(),
            rx.cond(
                P.loaded,
                rx.vstack(
                    rx.form(
                        rx.el.fieldset(
                            card(
                                rx.grid(
                                    field("catalog.name", text_input("name", P.values["name"]), P.errors["name"]),
                                    field("catalog.segment", select_field("segment", SEGMENT_OPTIONS, P.values["segment"]), P.errors["segment"]),
                                    columns=rx.breakpoints(initial="1", sm="2"),
                                    spacing="3",
                                    width="100%",
                                ),
                                field("catalog.note", text_area("note", P.values["note"]), P.errors["note"]),
                                rx.el.label(rx.hstack(rx.el.input(type="checkbox", name="active", default_checked=P.active, id="field-active"), rx.text(t("catalog.show_active"), size="2"), spacing="2")),
                                rx.cond(AuthState.can_edit_products, rx.hstack(rx.button(rx.icon("save", size=16), t("common.save"), type="submit", variant="soft", id="price-list-save"))),
                            ),
                            disabled=~AuthState.can_edit_products,
                            style={"border": "none", "padding": 0, "margin": 0, "min_width": 0},
                        ),
                        on_submit=P.save,
                        reset_on_submit=False,
                        key=P.form_key.to_string(),
                        width="100%",
                    ),
                    _rules(),
                    width="100%",
                    spacing="3",
                ),
                _spinner(),
            ),
            width="100%",
            spacing="3",
        ),
    )


# --------------------------------------------------------------------------------------- vendors

VS = VendorsState


def _vendor_fields(values, errors) -> rx.Component:
    return rx.grid(
        field("catalog.name", text_input("name", values["name"]), errors["name"]),
        field("common.phone", text_input("phone", values["phone"]), errors["phone"]),
        field("common.email", text_input("email", values["email"]), errors["email"]),
        field("common.city", text_input("city", values["city"]), errors["city"]),
        columns=rx.breakpoints(initial="1", sm="2"),
        spacing="3",
        width="100%",
    )


@staff_page("/vendors", "catalog.vendors", on_load=VS.load)
def vendors() -> rx.Component:
    return rx.vstack(
        page_header(t("catalog.vendors"), rx.link(rx.button(t("catalog.purchase_orders"), variant="soft"), href="/purchase-orders")),
        data_table(
            [plain_header("catalog.name"), plain_header("common.phone"), plain_header("common.city"), plain_header("catalog.products")],
            VS.vendors,
            lambda v: rx.table.row(
                rx.table.cell(rx.link(v["name"].to(str), href="/vendors/" + v["id"].to_string(), weight="medium")),
                rx.table.cell(v["phone"].to(str)),
                rx.table.cell(v["city"].to(str)),
                rx.table.cell(v["products"].to_string()),
                class_name="vendor-row",
            ),
            table_id="vendor-table",
        ),
        rx.cond(
            AuthState.can_purchase,
            rx.form(
                card(
                    rx.heading(t("catalog.new_vendor"), size="3"),
                    _vendor_fields({"name": "", "phone": "", "email": "", "city": ""}, VS.errors),
                    rx.hstack(rx.button(rx.icon("plus", size=16), t("catalog.new_vendor"), type="submit", id="create-vendor")),
                    max_width="760px",
                ),
                on_submit=VS.create,
                reset_on_submit=False,
            ),
        ),
        width="100%",
        spacing="3",
    )


V = VendorState


@staff_page("/vendors/[vendor_id]", "catalog.vendors", on_load=V.load)
def vendor_page() -> rx.Component:
    return _not_found(
        V.not_found,
        rx.vstack(
            page_header(V.record["name"].to(str), rx.link(rx.button(t("common.back"), variant="soft"), href="/vendors")),
            rx.cond(
                V.loaded,
                rx.grid(
                    rx.form(
                        rx.el.fieldset(
                            card(
                                _vendor_fields(V.values, V.errors),
                                field("catalog.note", text_area("note", V.values["note"]), V.errors["note"]),
                                rx.cond(AuthState.can_purchase, rx.hstack(rx.button(rx.icon("save", size=16), t("common.save"), type="submit", id="vendor-save"))),
                            ),
                            disabled=~AuthState.can_purchase,
                            style={"border": "none", "padding": 0, "margin": 0, "min_width": 0},
                        ),
                        on_submit=V.save,
                        reset_on_submit=False,
                        key=V.form_key.to_string(),
                        width="100%",
                    ),
                    card(
                        rx.heading(t("catalog.vendor_prices"), size="3"),
                        rx.foreach(
                            V.prices,
                            lambda p: rx.hstack(
                                rx.link(p["product"], href="/products/" + p["product_id"].to_string(), size="2"),
                                rx.spacer(),
                                rx.text(p["cost_label"].to(str), size="2", white_space="nowrap"),
                                _lead_days(p["lead_days"]),
                                width="100%",
                                align="center",
                                class_name="vendor-price-row",
                            ),
                        ),
                        rx.cond(V.prices.length() == 0, _empty("catalog.no_vendor_prices")),
                        rx.cond(
                            AuthState.can_purchase,
                            rx.form(
                                rx.vstack(
                                    field("catalog.product", record_select("product_id", V.products, "", empty_label="—"), V.price_errors["product_id"]),
                                    rx.hstack(
                                        field("catalog.cost", text_input("cost"), V.price_errors["cost"]),
                                        field("catalog.lead_days", text_input("lead_days", "1"), V.price_errors["lead_days"]),
                                        spacing="2",
                                        width="100%",
                                    ),
                                    rx.button(t("catalog.set_vendor_price"), type="submit", size="2", id="set-vendor-price"),
                                    spacing="2",
                                    width="100%",
                                ),
                                on_submit=V.set_price,
                                reset_on_submit=False,
                                key="price-" + V.price_key.to_string(),
                            ),
                        ),
                    ),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="4",
                    width="100%",
                ),
                _spinner(),
            ),
            width="100%",
            spacing="3",
        ),
    )


# ------------------------------------------------------------------------------ purchase orders

POS = PurchaseOrdersState


def _po_badge(state: rx.Var, label: rx.Var) -> rx.Component:
    return rx.badge(label, color_scheme=rx.match(state, *[(k, v) for k, v in PO_COLORS.items()], "gray"), variant="soft", radius="full", class_name="po-state")


@staff_page("/purchase-orders", "catalog.purchase_orders", on_load=POS.load)
def purchase_orders() -> rx.Component:
    return rx.vstack(
        page_header(
            t("catalog.purchase_orders"),
            export_menu(POS, "purchase_orders"),
            rx.link(rx.button(rx.icon("truck", size=16), t("catalog.vendors"), variant="soft"), href="/vendors"),
        ),
        data_table(
            [plain_header("documents.number"), plain_header("catalog.po_vendor"), plain_header("documents.date"), plain_header("documents.total"), plain_header("sales.state")],
            POS.orders,
            lambda o: rx.table.row(
                rx.table.cell(rx.link(o["number"].to(str), href="/purchase-orders/" + o["id"].to_string(), weight="medium")),
                rx.table.cell(o["vendor"].to(str)),
                rx.table.cell(o["date"].to(str)),
                rx.table.cell(rx.text(o["total_label"].to(str), white_space="nowrap"), text_align="right"),
                rx.table.cell(_po_badge(o["state"].to(str), o["state_label"].to(str))),
                class_name="po-row",
            ),
            table_id="po-table",
        ),
        rx.cond(
            AuthState.can_purchase,
            rx.form(
                card(
                    rx.heading(t("catalog.new_po"), size="3"),
                    rx.hstack(
                        field("catalog.po_vendor", record_select("vendor_id", POS.vendors, "", empty_label="—"), POS.errors["vendor_id"]),
                        field("catalog.expected_date", text_input("expected_date", type="date"), POS.errors["expected_date"]),
                        rx.button(rx.icon("plus", size=16), t("catalog.new_po"), type="submit", id="create-po"),
                        align="end",
                        spacing="3",
                        wrap="wrap",
                    ),
                    max_width="760px",
                ),
                on_submit=POS.create,
                reset_on_submit=False,
            ),
        ),
        width="100%",
        spacing="3",
    )


PO = PurchaseOrderState


def _po_actions() -> rx.Component:
    state = PO.record["state"].to(str)
    return rx.cond(
        AuthState.can_purchase,
        rx.hstack(
            rx.cond(state == "draft", rx.button(rx.icon("send", size=14), t("catalog.po_send"), on_click=PO.set_state("sent"), id="po-send")),
            rx.cond(state == "sent", rx.button(rx.icon("package-check", size=14), t("catalog.po_receive"), color_scheme="grass", on_click=PO.set_state("received"), id="po-receive")),
            rx.cond((state == "draft") | (state == "sent"), rx.button(rx.icon("x", size=14), t("documents.cancel"), variant="soft", color_scheme="red", on_click=PO.set_state("cancelled"), id="po-cancel")),
            spacing="2",
        ),
    )


@staff_page("/purchase-orders/[po_id]", "catalog.purchase_order", on_load=PO.load)
def purchase_order_page() -> rx.Component:
    draft = PO.record["state"] == "draft"
    return _not_found(
        PO.not_found,
        rx.cond(
            PO.loaded,
            rx.vstack(
                page_header(
                    PO.record["number"].to(str),
                    _po_badge(PO.record["state"].to(str), PO.record["state_label"].to(str)),
                    _po_actions(),
                    rx.link(rx.button(rx.icon("truck", size=16), t("catalog.vendors"), variant="soft"), href="/vendors", id="po-vendors-link"),
                    rx.link(rx.button(t("common.back"), variant="soft"), href="/purchase-orders"),
                    subtitle=PO.record["vendor"].to(str),
                ),
                rx.hstack(
                    rx.text(
                        t("catalog.po_vendor"), ": ",
                        rx.link(PO.record["vendor"].to(str), href="/vendors/" + PO.record["vendor_id"].to_string(), id="po-vendor-link"),
                        size="2", color_scheme="gray",
                    ),
                    rx.text(t("documents.date"), ": ", PO.record["date"].to(str), size="2", color_scheme="gray"),
                    rx.cond(PO.record["expected"] != "", rx.text(t("catalog.expected_date"), ": ", PO.record["expected"].to(str), size="2", color_scheme="gray")),
                    spacing="4",
                    wrap="wrap",
                ),
                rx.callout(t("catalog.po_received_hint"), icon="info", size="1", color_scheme="gray"),
                card(
                    data_table(
                        [plain_header("catalog.product"), plain_header("documents.line.quantity"), plain_header("catalog.unit_cost"), plain_header("documents.line.subtotal"), rx.table.column_header_cell("")],
                        PO.lines,
                        lambda line: rx.table.row(
                            rx.table.cell(line["product"].to(str)),
                            rx.table.cell(rx.text(line["quantity"].to(str), " ", line["uom"].to(str)), text_align="right"),
                            rx.table.cell(line["unit_cost_label"].to(str), text_align="right"),
                            rx.table.cell(line["subtotal_label"].to(str), text_align="right"),
                            rx.table.cell(
                                rx.cond(
                                    draft & AuthState.can_purchase,
                                    rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red", on_click=PO.remove_line(line["id"]), class_name="remove-po-line"),
                                )
                            ),
                            class_name="po-line-row",
                        ),
                        table_id="po-lines",
                    ),
                    rx.hstack(rx.spacer(), rx.text(t("documents.total"), ": ", size="3"), rx.text(PO.record["total_label"].to(str), size="3", weight="bold", id="po-total"), width="100%"),
                    rx.cond(
                        draft & AuthState.can_purchase,
                        rx.form(
                            rx.vstack(
                                rx.grid(
                                    field("catalog.product", record_select("product_id", PO.products, "", empty_label="—"), PO.line_errors["product_id"]),
                                    field("documents.line.quantity", text_input("quantity", "1"), PO.line_errors["quantity"]),
                                    field("catalog.unit_cost", text_input("unit_cost"), PO.line_errors["unit_cost"], hint_key="catalog.unit_cost_hint"),
                                    columns=rx.breakpoints(initial="1", md="3fr 1fr 1.5fr"),
                                    spacing="3",
                                    width="100%",
                                ),
                                rx.button(rx.icon("plus", size=16), t("documents.add_line"), type="submit", id="add-po-line"),
                                spacing="3",
                                width="100%",
                            ),
                            on_submit=PO.add_line,
                            reset_on_submit=False,
                            key="po-line-" + PO.line_key.to_string(),
                        ),
                    ),
                ),
                width="100%",
                spacing="3",
            ),
            _spinner(),
        ),
    )
