"""Quotations and sales orders (/quotations), invoices (/invoices), documents settings."""

from __future__ import annotations

import reflex as rx

from kaktus_app.documents.models import PAYMENT_METHODS, PAYMENT_TERMS
from kaktus_app.documents.state import (
    DocumentSettingsState,
    InvoiceListState,
    InvoiceState,
    NewQuotationState,
    OrderState,
    QuotationListState,
)
from kaktus_app.layout import staff_page
from kaktus_app.ui.components import (
    badge,
    card,
    data_table,
    export_menu,
    field,
    form_modal,
    page_header,
    pagination,
    plain_header,
    protected,
    radio_choices,
    record_select,
    select_field,
    sort_header,
    text_area,
    text_input,
)
from kaktus_app.ui.lang import t

TERMS_OPTIONS = [(key, f"documents.terms.{key}") for key in PAYMENT_TERMS]
METHOD_OPTIONS = [(key, f"documents.method.{key}") for key in PAYMENT_METHODS]


def state_badge(row: rx.Var) -> rx.Component:
    return rx.badge(row["state_label"].to(str), color_scheme=row["color"].to(str), variant="soft", radius="full", class_name="doc-state")


def _tabs(options: list[tuple[str, str]], current: rx.Var, on_change) -> rx.Component:
    return rx.segmented_control.root(
        *[rx.segmented_control.item(t(label), value=value) for value, label in options],
        value=current,
        on_change=on_change,
        id="doc-tabs",
    )


def _error(message: rx.Var) -> rx.Component:
    return rx.cond(message, rx.text(message, color_scheme="red", size="1", class_name="field-error"))


# ------------------------------------------------------------------------------------ the lists

L = QuotationListState


def _order_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["number"].to(str), href="/quotations/" + row["id"].to_string(), weight="medium")),
        rx.table.cell(row["order_number"].to(str)),
        rx.table.cell(rx.link(row["customer"].to(str), href="/customers/" + row["customer_id"].to_string())),
        rx.table.cell(row["date"].to(str)),
        rx.table.cell(row["owner"].to(str)),
        rx.table.cell(rx.text(row["total_label"].to(str), white_space="nowrap"), text_align="right"),
        rx.table.cell(state_badge(row)),
        class_name="order-row",
    )


@staff_page("/quotations", "nav.quotations", on_load=L.load)
def quotation_list() -> rx.Component:
    return rx.vstack(
        page_header(
            t("nav.quotations"),
            export_menu(L, "quotations"),
            rx.link(rx.button(rx.icon("plus", size=16), t("documents.new_quotation"), id="new-quotation"), href="/quotations/new"),
        ),
        rx.hstack(
            _tabs(
                [
                    ("quotations", "documents.view.quotations"),
                    ("orders", "documents.view.orders"),
                    ("cancelled", "documents.view.cancelled"),
                    ("all", "documents.view.all"),
                ],
                L.view,
                L.set_view,
            ),
            rx.input(placeholder=t("documents.search"), default_value=L.search, on_change=L.set_search.debounce(300), id="doc-search", width="260px"),
            wrap="wrap",
            spacing="3",
            width="100%",
        ),
        data_table(
            [
                sort_header("documents.number", "number", L.sort, L.desc, L.sort_by),
                plain_header("documents.sales_order"),
                plain_header("documents.customer"),
                sort_header("documents.date", "date", L.sort, L.desc, L.sort_by),
                plain_header("documents.salesperson"),
                sort_header("documents.total", "total", L.sort, L.desc, L.sort_by),
                sort_header("sales.state", "state", L.sort, L.desc, L.sort_by),
            ],
            L.rows,
            _order_row,
            table_id="order-table",
        ),
        pagination(L.page, L.pages, L.count_label, L.prev_page, L.next_page),
        width="100%",
        spacing="3",
    )


IL = InvoiceListState


def _invoice_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["number"].to(str), href="/invoices/" + row["id"].to_string(), weight="medium")),
        rx.table.cell(
            rx.hstack(rx.text(row["kind_label"].to(str), size="2"), rx.cond(row["down_payment"], badge(t("documents.down_payment_badge"), "blue")), spacing="1")
        ),
        rx.table.cell(rx.link(row["customer"].to(str), href="/customers/" + row["customer_id"].to_string())),
        rx.table.cell(row["date"].to(str)),
        rx.table.cell(rx.text(row["due"].to(str), color=rx.cond(row["overdue"], rx.color("red", 11), "inherit"))),
        rx.table.cell(rx.text(row["total_label"].to(str), white_space="nowrap"), text_align="right"),
        rx.table.cell(rx.text(row["balance_label"].to(str), white_space="nowrap"), text_align="right"),
        rx.table.cell(state_badge(row)),
        class_name="invoice-row",
    )


@staff_page("/invoices", "nav.invoices", on_load=IL.load)
def invoice_list() -> rx.Component:
    return rx.vstack(
        page_header(t("nav.invoices"), export_menu(IL, "invoices")),
        rx.hstack(
            _tabs(
                [("all", "documents.view.all"), ("open", "documents.view.open"), ("draft", "documents.view.draft"), ("paid", "documents.view.paid")],
                IL.view,
                IL.set_view,
            ),
            rx.input(placeholder=t("documents.search"), default_value=IL.search, on_change=IL.set_search.debounce(300), id="doc-search", width="260px"),
            wrap="wrap",
            spacing="3",
            width="100%",
        ),
        data_table(
            [
                sort_header("documents.number", "number", IL.sort, IL.desc, IL.sort_by),
                plain_header("documents.invoice"),
                plain_header("documents.customer"),
                sort_header("documents.date", "date", IL.sort, IL.desc, IL.sort_by),
                sort_header("documents.due_date", "due", IL.sort, IL.desc, IL.sort_by),
                sort_header("documents.total", "total", IL.sort, IL.desc, IL.sort_by),
                plain_header("documents.balance_due"),
                sort_header("sales.state", "state", IL.sort, IL.desc, IL.sort_by),
            ],
            IL.rows,
            _invoice_row,
            table_id="invoice-table",
        ),
        pagination(IL.page, IL.pages, IL.count_label, IL.prev_page, IL.next_page),
        width="100%",
        spacing="3",
    )


# ------------------------------------------------------------------------------ new quotation

N = NewQuotationState


@staff_page("/quotations/new", "documents.new_quotation", on_load=N.load)
def new_quotation() -> rx.Component:
    return rx.vstack(
        page_header(t("documents.new_quotation")),
        rx.form(
            card(
                field("documents.customer", record_select("customer_id", N.customers, N.values["customer_id"], empty_label="—"), N.errors["customer_id"]),
                rx.grid(
                    protected("quotations", "validity_date", "documents.validity_date", lambda ro: text_input("validity_date", N.values["validity_date"], type="date", disabled=ro), N.errors["validity_date"]),
                    protected("quotations", "payment_terms", "documents.payment_terms", lambda ro: select_field("payment_terms", TERMS_OPTIONS, N.values["payment_terms"], disabled=ro), N.errors["payment_terms"]),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.hstack(rx.button(rx.icon("file-plus", size=16), t("documents.new_quotation"), type="submit", id="create-quotation")),
                max_width="640px",
            ),
            on_submit=N.create,
            reset_on_submit=False,
            key=N.form_key.to_string(),
            width="100%",
        ),
        width="100%",
        spacing="3",
    )


# ------------------------------------------------------------------------------- order editor

Q = OrderState


def _header_form() -> rx.Component:
    editable = Q.record["editable"].to(bool)
    return rx.form(
        rx.el.fieldset(
            card(
                rx.grid(
                    field("documents.customer", record_select("customer_id", Q.customers, Q.values["customer_id"]), Q.errors["customer_id"]),
                    protected("quotations", "validity_date", "documents.validity_date", lambda ro: text_input("validity_date", Q.values["validity_date"], type="date", disabled=ro), Q.errors["validity_date"]),
                    protected("quotations", "payment_terms", "documents.payment_terms", lambda ro: select_field("payment_terms", TERMS_OPTIONS, Q.values["payment_terms"], disabled=ro), Q.errors["payment_terms"]),
                    field("documents.salesperson", record_select("owner_id", Q.users, Q.values["owner_id"]), Q.errors["owner_id"]),
                    columns=rx.breakpoints(initial="1", sm="2", lg="4"),
                    spacing="3",
                    width="100%",
                ),
                rx.grid(
                    protected("quotations", "note", "documents.note", lambda ro: text_area("note", Q.values["note"], disabled=ro), Q.errors["note"]),
                    protected("quotations", "terms", "documents.terms", lambda ro: text_area("terms", Q.values["terms"], disabled=ro), Q.errors["terms"]),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.cond(Q.general_error != "", rx.callout(Q.general_error, icon="triangle-alert", color_scheme="red", size="1")),
                rx.cond(editable, rx.hstack(rx.button(rx.icon("save", size=16), t("documents.save_header"), type="submit", variant="soft", id="save-header"))),
            ),
            disabled=~editable,
            style={"border": "none", "padding": 0, "margin": 0, "min_width": 0},
        ),
        on_submit=Q.save_header,
        reset_on_submit=False,
        key=Q.form_key.to_string(),
        width="100%",
    )


def _num_input(name: str, value, width: str = "90px", **props) -> rx.Component:
    return rx.input(name=name, default_value=value, id=f"line-{name}", width=width, size="1", **props)


def _edit_row(line: rx.Var) -> rx.Component:
    ev, ee = Q.edit_values, Q.edit_errors
    return rx.table.row(
        rx.table.cell(
            rx.form(
                rx.hstack(
                    rx.vstack(
                        rx.el.select(
                            rx.foreach(Q.products, lambda p: rx.el.option(p["name"], value=p["id"].to_string())),
                            name="product_id",
                            default_value=ev["product_id"],
                            class_name="kaktus-select",
                            id="edit-product_id",
                        ),
                        _error(ee["product_id"]),
                        rx.input(name="description", default_value=ev["description"], id="edit-description", size="1", width="100%"),
                        _error(ee["description"]),
                        spacing="1",
                        flex="1",
                        min_width="240px",
                    ),
                    rx.vstack(rx.text(t("documents.line.quantity"), size="1"), _num_input("quantity", ev["quantity"]), _error(ee["quantity"]), spacing="1"),
                    rx.vstack(
                        rx.text(t("documents.line.unit_price"), size="1"),
                        _num_input("unit_price", ev["unit_price"], "120px"),
                        _error(ee["unit_price"]),
                        spacing="1",
                    ),
                    rx.vstack(
                        rx.text(t("documents.line.discount"), size="1"), _num_input("discount", ev["discount"], "70px"), _error(ee["discount"]), spacing="1"
                    ),
                    rx.vstack(
                        rx.text(t("documents.line.optional"), size="1"),
                        rx.el.input(type="checkbox", name="optional", default_checked=ev["optional"] == "on", id="edit-optional"),
                        spacing="1",
                    ),
                    rx.hstack(
                        rx.button(rx.icon("check", size=14), t("common.save"), size="1", type="submit", id="save-line"),
                        rx.button(t("common.cancel"), size="1", variant="soft", type="button", on_click=Q.cancel_edit),
                        spacing="1",
                        align="end",
                    ),
                    spacing="3",
                    align="start",
                    wrap="wrap",
                    width="100%",
                ),
                on_submit=Q.save_line,
                reset_on_submit=False,
                width="100%",
            ),
            col_span=9,
        ),
        class_name="line-edit-row",
    )


def _line_row(line: rx.Var) -> rx.Component:
    editable = Q.record["editable"].to(bool)
    view = rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.hstack(
                    rx.text(line["description"].to(str), weight="medium", size="2"),
                    rx.cond(line["optional"], badge(t("documents.line.optional"), "amber")),
                    spacing="2",
                ),
                rx.cond(
                    line["price_rule"] != "",
                    rx.hstack(rx.icon("tag", size=11), rx.text(line["price_rule"].to(str), size="1", color_scheme="gray", class_name="price-rule"), spacing="1", align="center"),
                ),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(line["quantity"].to(str), " ", line["uom_label"].to(str), white_space="nowrap"), text_align="right"),
        rx.table.cell(rx.text(line["unit_price_label"].to(str), white_space="nowrap"), text_align="right"),
        rx.table.cell(line["discount_label"].to(str), text_align="right"),
        rx.table.cell(rx.text(line["tax_label"].to(str), size="1", white_space="nowrap")),
        rx.table.cell(
            rx.text(line["subtotal_label"].to(str), white_space="nowrap", color=rx.cond(line["optional"], rx.color("gray", 9), "inherit")),
            text_align="right",
        ),
        rx.table.cell(
            rx.cond(
                editable,
                rx.hstack(
                    rx.icon_button(
                        rx.icon("pencil", size=14),
                        size="1",
                        variant="ghost",
                        on_click=Q.start_edit(line),
                        title=t("documents.line.edit"),
                        class_name="edit-line",
                    ),
                    rx.icon_button(
                        rx.icon("arrow-up", size=14),
                        size="1",
                        variant="ghost",
                        on_click=Q.move_line(line["id"], -1),
                        title=t("documents.line.up"),
                        class_name="line-up",
                    ),
                    rx.icon_button(
                        rx.icon("arrow-down", size=14),
                        size="1",
                        variant="ghost",
                        on_click=Q.move_line(line["id"], 1),
                        title=t("documents.line.down"),
                        class_name="line-down",
                    ),
                    rx.icon_button(
                        rx.icon("trash-2", size=14),
                        size="1",
                        variant="ghost",
                        color_scheme="red",
                        on_click=Q.remove_line(line["id"]),
                        title=t("documents.line.remove"),
                        class_name="remove-line",
                    ),
                    spacing="1",
                ),
            )
        ),
        class_name="line-row",
    )
    return rx.cond(Q.editing_line == line["id"].to(int), _edit_row(line), view)


def _add_line_form() -> rx.Component:
    ae = Q.add_errors
    return rx.form(
        rx.hstack(
            rx.vstack(
                rx.text(t("documents.line.product"), size="1", weight="medium"),
                rx.el.select(
                    rx.el.option("—", value=""),
                    rx.foreach(Q.products, lambda p: rx.el.option(p["name"], value=p["id"].to_string())),
                    name="product_id",
                    class_name="kaktus-select",
                    id="add-product_id",
                ),
                _error(ae["product_id"]),
                spacing="1",
                flex="1",
                min_width="260px",
            ),
            rx.vstack(
                rx.text(t("documents.line.quantity"), size="1", weight="medium"),
                rx.input(name="quantity", default_value="1", id="add-quantity", width="90px"),
                _error(ae["quantity"]),
                spacing="1",
            ),
            rx.vstack(
                rx.text(t("documents.line.unit_price"), size="1", weight="medium"),
                rx.input(name="unit_price", placeholder=t("documents.line.unit_price_hint"), id="add-unit_price", width="170px"),
                _error(ae["unit_price"]),
                spacing="1",
            ),
            rx.vstack(
                rx.text(t("documents.line.discount"), size="1", weight="medium"),
                rx.input(name="discount", placeholder="0", id="add-discount", width="80px"),
                _error(ae["discount"]),
                spacing="1",
            ),
            rx.vstack(
                rx.text(t("documents.line.optional"), size="1", weight="medium"),
                rx.el.input(type="checkbox", name="optional", id="add-optional", title=t("documents.line.optional_hint")),
                spacing="1",
            ),
            rx.button(rx.icon("plus", size=16), t("documents.add_line"), type="submit", id="add-line"),
            spacing="3",
            align="end",
            wrap="wrap",
            width="100%",
        ),
        on_submit=Q.add_line,
        reset_on_submit=False,
        key="add-" + Q.add_key.to_string(),
        width="100%",
        id="add-line-form",
    )


def _totals(untaxed, taxes, total, extra: list[rx.Component] | None = None) -> rx.Component:
    def row(label, value, bold=False, id_=None):
        return rx.hstack(
            rx.text(label, size="2", weight="bold" if bold else "regular"),
            rx.spacer(),
            rx.text(value, size="3" if bold else "2", weight="bold" if bold else "regular", id=id_),
            width="100%",
        )

    return rx.vstack(
        row(t("documents.untaxed"), untaxed, id_="doc-untaxed"),
        rx.foreach(taxes, lambda tx: row(tx["label"], tx["amount"])),
        rx.divider(),
        row(t("documents.total"), total, bold=True, id_="doc-total"),
        *(extra or []),
        spacing="1",
        width="100%",
        max_width="360px",
        margin_left="auto",
        id="doc-totals",
    )


def _lines_card() -> rx.Component:
    return card(
        rx.heading(t("documents.lines"), size="3"),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        plain_header("documents.line.description"),
                        plain_header("documents.line.quantity"),
                        plain_header("documents.line.unit_price"),
                        plain_header("documents.line.discount"),
                        plain_header("documents.line.tax"),
                        plain_header("documents.line.subtotal"),
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(rx.foreach(Q.lines, _line_row)),
                variant="surface",
                size="1",
                width="100%",
                id="lines-table",
            ),
            rx.cond(Q.lines.length() == 0, rx.center(rx.text(t("documents.no_lines"), color_scheme="gray", size="2"), padding="1.5rem")),
            width="100%",
            overflow_x="auto",
        ),
        rx.cond(Q.record["editable"].to(bool), _add_line_form()),
        _totals(Q.record["untaxed_label"].to(str), Q.taxes, Q.record["total_label"].to(str)),
    )


def _invoice_dialog() -> rx.Component:
    return form_modal(
        t("documents.create_invoice"),
        radio_choices(
            [(f"documents.invoice_mode.{mode}", mode, f"mode-{mode}") for mode in ("full", "percent", "amount")],
            Q.invoice_mode,
            Q.set_invoice_mode,
            name="mode",
        ),
        rx.cond(
            Q.invoice_mode != "full",
            field(
                "documents.down_payment",
                rx.input(name="down_payment", id="field-down_payment", placeholder=rx.cond(Q.invoice_mode == "percent", "30", "5.000.000")),
                Q.invoice_errors["down_payment"],
            ),
        ),
        rx.text(t("documents.remaining"), ": ", Q.record["remaining_label"].to(str), size="2", color_scheme="gray"),
        submit=rx.button(t("documents.create_invoice"), type="submit", id="create-invoice-submit"),
        on_submit=Q.create_invoice,
        open=Q.invoice_open,
        on_open_change=Q.set_invoice_open,
        max_width=None,
        reset_on_submit=False,
    )


def _order_actions() -> rx.Component:
    state = Q.record["state"].to(str)
    return rx.hstack(
        rx.cond(state == "draft", rx.button(rx.icon("send", size=14), t("documents.mark_sent"), variant="soft", on_click=Q.mark_sent, id="mark-sent")),
        rx.cond(
            (state == "draft") | (state == "sent"),
            rx.button(rx.icon("check-check", size=14), t("documents.confirm"), color_scheme="grass", on_click=Q.confirm, id="confirm-sale"),
        ),
        rx.cond(
            Q.record["can_invoice"].to(bool),
            rx.button(rx.icon("receipt", size=14), t("documents.create_invoice"), on_click=Q.set_invoice_open(True), id="create-invoice"),
        ),
        rx.button(rx.icon("file-down", size=14), t("documents.download_pdf"), variant="outline", on_click=Q.download_pdf, id="download-pdf"),
        rx.cond(
            (state != "cancelled") & (state != "invoiced"),
            rx.button(t("documents.cancel"), variant="ghost", color_scheme="red", on_click=Q.cancel, id="cancel-order"),
        ),
        rx.cond(state == "cancelled", rx.button(t("documents.reset"), variant="soft", on_click=Q.reset_to_draft, id="reset-order")),
        spacing="2",
        wrap="wrap",
    )


def _side() -> rx.Component:
    return rx.vstack(
        card(
            rx.heading(t("documents.invoices"), size="3"),
            rx.foreach(
                Q.invoices,
                lambda inv: rx.hstack(
                    rx.link(inv["number"].to(str), href="/invoices/" + inv["id"].to_string(), class_name="order-invoice"),
                    rx.cond(inv["down_payment"], badge(t("documents.down_payment_badge"), "blue")),
                    rx.spacer(),
                    rx.text(inv["total_label"].to(str), size="2"),
                    state_badge(inv),
                    width="100%",
                    spacing="2",
                ),
            ),
            rx.cond(Q.invoices.length() == 0, rx.text(t("documents.none_yet"), size="2", color_scheme="gray")),
            rx.hstack(rx.text(t("documents.invoiced"), size="2"), rx.spacer(), rx.text(Q.record["invoiced_label"].to(str), size="2"), width="100%"),
            rx.hstack(
                rx.text(t("documents.remaining"), size="2"), rx.spacer(), rx.text(Q.record["remaining_label"].to(str), size="2", weight="bold"), width="100%"
            ),
        ),
        card(
            rx.heading(t("documents.history"), size="3"),
            rx.foreach(
                Q.history,
                lambda h: rx.vstack(
                    rx.text(h["text"], size="2"),
                    rx.text(h["when"], " · ", h["who"], size="1", color_scheme="gray"),
                    spacing="0",
                ),
            ),
            id="doc-history",
        ),
        width="100%",
        spacing="3",
    )


@staff_page("/quotations/[order_id]", "documents.quotation", on_load=Q.load)
def order_page() -> rx.Component:
    return rx.cond(
        Q.not_found,
        rx.callout(t("error.not_found"), icon="circle-alert", color_scheme="red", id="not-found"),
        rx.cond(
            Q.loaded,
            rx.vstack(
                page_header(
                    Q.record["title"].to(str),
                    state_badge(Q.record),
                    _order_actions(),
                    subtitle=Q.record["customer_name"].to(str),
                ),
                rx.hstack(
                    rx.cond(Q.record["order_number"] != "", rx.text(t("documents.quotation"), ": ", Q.record["number"].to(str), size="2", color_scheme="gray")),
                    rx.cond(
                        Q.record["opportunity_id"].to(int) > 0,
                        rx.link(
                            rx.hstack(rx.icon("handshake", size=14), rx.text(Q.record["opportunity_name"].to(str)), spacing="1", align="center"),
                            href="/opportunities/" + Q.record["opportunity_id"].to_string(),
                            size="2",
                            id="order-opportunity",
                        ),
                    ),
                    rx.text(
                        t("documents.price_list"),
                        ": ",
                        rx.cond(Q.record["price_list"] != "", Q.record["price_list"].to(str), t("documents.no_price_list")),
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.text(t("documents.date"), ": ", Q.record["date"].to(str), size="2", color_scheme="gray"),
                    spacing="4",
                    wrap="wrap",
                ),
                rx.cond(
                    Q.record["expired"].to(bool),
                    rx.callout(
                        t("documents.expired_banner", date=Q.record["validity_label"].to(str)),
                        icon="clock",
                        color_scheme="amber",
                        size="1",
                        id="expired-banner",
                    ),
                ),
                rx.cond(
                    (Q.record["state"] == "confirmed") | (Q.record["state"] == "invoiced"),
                    rx.callout(t("documents.locked_banner"), icon="lock", color_scheme="gray", size="1"),
                ),
                rx.grid(
                    rx.vstack(_header_form(), _lines_card(), width="100%", spacing="3"),
                    _side(),
                    columns=rx.breakpoints(initial="1", lg="3fr 1fr"),
                    spacing="4",
                    width="100%",
                ),
                _invoice_dialog(),
                width="100%",
                spacing="3",
            ),
            rx.center(rx.spinner(size="3"), padding="3rem", width="100%"),
        ),
    )


# ---------------------------------------------------------------------------------- invoice page

V = InvoiceState


def _payment_dialog() -> rx.Component:
    return form_modal(
        rx.cond(V.record["kind"] == "credit_note", t("documents.register_refund"), t("documents.register_payment")),
        field("documents.amount", rx.input(name="amount", default_value=V.record["due_amount"].to(str), id="field-amount"), V.pay_errors["amount"]),
        field("documents.paid_on", rx.input(name="paid_on", type="date", id="field-paid_on"), V.pay_errors["paid_on"]),
        field("documents.method", select_field("method", METHOD_OPTIONS, "transfer"), V.pay_errors["method"]),
        field("documents.reference", rx.input(name="reference", id="field-reference"), V.pay_errors["reference"]),
        submit=rx.button(t("documents.register_payment"), type="submit", id="payment-submit"),
        on_submit=V.register_payment,
        open=V.pay_open,
        on_open_change=V.set_pay_open,
        max_width=None,
        reset_on_submit=False,
        key="pay-" + V.pay_key.to_string(),
    )


def _credit_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("documents.credit_note")),
            rx.alert_dialog.description(t("documents.credit_note_confirm")),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft")),
                rx.alert_dialog.action(rx.button(t("documents.create_credit_note"), color_scheme="red", on_click=V.credit_note, id="credit-confirm")),
                justify="end",
                spacing="2",
            ),
        ),
        open=V.credit_open,
        on_open_change=V.set_credit_open,
    )


def _invoice_actions() -> rx.Component:
    state = V.record["state"].to(str)
    return rx.hstack(
        rx.cond(state == "draft", rx.button(rx.icon("stamp", size=14), t("documents.post"), color_scheme="grass", on_click=V.post, id="post-invoice")),
        rx.cond(
            V.record["payable"].to(bool),
            rx.button(
                rx.icon("banknote", size=14),
                rx.cond(V.record["kind"] == "credit_note", t("documents.register_refund"), t("documents.register_payment")),
                on_click=V.set_pay_open(True),
                id="register-payment",
            ),
        ),
        rx.button(rx.icon("file-down", size=14), t("documents.download_pdf"), variant="outline", on_click=V.download_pdf, id="download-pdf"),
        rx.cond(
            V.record["can_credit"].to(bool),
            rx.button(t("documents.create_credit_note"), variant="soft", color_scheme="red", on_click=V.set_credit_open(True), id="credit-note"),
        ),
        rx.cond(state == "draft", rx.button(t("documents.cancel"), variant="ghost", color_scheme="red", on_click=V.cancel, id="cancel-invoice")),
        spacing="2",
        wrap="wrap",
    )


def _invoice_line(line: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(line["description"].to(str)),
        rx.table.cell(rx.text(line["quantity"].to(str), " ", line["uom_label"].to(str), white_space="nowrap"), text_align="right"),
        rx.table.cell(rx.text(line["unit_price_label"].to(str), white_space="nowrap"), text_align="right"),
        rx.table.cell(line["discount_label"].to(str), text_align="right"),
        rx.table.cell(rx.text(line["tax_label"].to(str), size="1")),
        rx.table.cell(rx.text(line["subtotal_label"].to(str), white_space="nowrap"), text_align="right"),
    )


@staff_page("/invoices/[invoice_id]", "documents.invoice", on_load=V.load)
def invoice_page() -> rx.Component:
    due_label = rx.cond(V.record["kind"] == "credit_note", t("documents.refund_due"), t("documents.balance_due"))
    return rx.cond(
        V.not_found,
        rx.callout(t("error.not_found"), icon="circle-alert", color_scheme="red", id="not-found"),
        rx.cond(
            V.loaded,
            rx.vstack(
                page_header(
                    rx.hstack(rx.text(V.record["kind_label"].to(str)), rx.text(V.record["title"].to(str)), spacing="2"),
                    state_badge(V.record),
                    _invoice_actions(),
                    subtitle=V.record["customer"].to(str),
                ),
                rx.hstack(
                    rx.cond(
                        V.record["order_id"].to(int) > 0,
                        rx.link(
                            rx.hstack(rx.icon("file-text", size=14), rx.text(V.record["order_number"].to(str)), spacing="1", align="center"),
                            href="/quotations/" + V.record["order_id"].to_string(),
                            size="2",
                            id="invoice-order",
                        ),
                    ),
                    rx.text(t("documents.date"), ": ", V.record["date"].to(str), size="2", color_scheme="gray"),
                    rx.cond(
                        V.record["due"] != "",
                        rx.text(
                            t("documents.due_date"),
                            ": ",
                            V.record["due"].to(str),
                            size="2",
                            color=rx.cond(V.record["overdue"].to(bool), rx.color("red", 11), rx.color("gray", 11)),
                        ),
                    ),
                    rx.cond(
                        V.record["reversed_by_id"].to(int) > 0,
                        rx.link(
                            t("documents.reversed_by"),
                            " ",
                            V.record["reversed_by"].to(str),
                            href="/invoices/" + V.record["reversed_by_id"].to_string(),
                            size="2",
                            color_scheme="red",
                        ),
                    ),
                    rx.cond(
                        V.record["reverses_id"].to(int) > 0,
                        rx.link(t("documents.reverses"), " ", V.record["reverses"].to(str), href="/invoices/" + V.record["reverses_id"].to_string(), size="2"),
                    ),
                    spacing="4",
                    wrap="wrap",
                ),
                rx.cond(V.record["note"] != "", rx.text(V.record["note"].to(str), size="2")),
                rx.grid(
                    card(
                        rx.box(
                            rx.table.root(
                                rx.table.header(
                                    rx.table.row(
                                        plain_header("documents.line.description"),
                                        plain_header("documents.line.quantity"),
                                        plain_header("documents.line.unit_price"),
                                        plain_header("documents.line.discount"),
                                        plain_header("documents.line.tax"),
                                        plain_header("documents.line.subtotal"),
                                    )
                                ),
                                rx.table.body(rx.foreach(V.lines, _invoice_line)),
                                variant="surface",
                                size="1",
                                width="100%",
                            ),
                            width="100%",
                            overflow_x="auto",
                        ),
                        _totals(
                            V.record["untaxed_label"].to(str),
                            V.taxes,
                            V.record["total_label"].to(str),
                            [
                                rx.hstack(
                                    rx.text(t("documents.paid"), size="2"),
                                    rx.spacer(),
                                    rx.text(V.record["paid_label"].to(str), size="2", id="invoice-paid"),
                                    width="100%",
                                ),
                                rx.hstack(
                                    rx.text(due_label, size="2", weight="bold"),
                                    rx.spacer(),
                                    rx.text(V.record["due_label"].to(str), size="3", weight="bold", id="invoice-due"),
                                    width="100%",
                                ),
                            ],
                        ),
                    ),
                    rx.vstack(
                        card(
                            rx.heading(t("documents.payments"), size="3"),
                            rx.foreach(
                                V.payments,
                                lambda p: rx.hstack(
                                    rx.vstack(
                                        rx.text(p["date"], " · ", p["method"], size="2"),
                                        rx.text(p["reference"], " ", p["who"], size="1", color_scheme="gray"),
                                        spacing="0",
                                    ),
                                    rx.spacer(),
                                    rx.text(p["amount_label"], size="2", weight="medium"),
                                    width="100%",
                                    class_name="payment-row",
                                ),
                            ),
                            rx.cond(V.payments.length() == 0, rx.text(t("documents.none_yet"), size="2", color_scheme="gray")),
                        ),
                        card(
                            rx.heading(t("documents.history"), size="3"),
                            rx.foreach(
                                V.history,
                                lambda h: rx.vstack(
                                    rx.text(h["text"], size="2"), rx.text(h["when"], " · ", h["who"], size="1", color_scheme="gray"), spacing="0"
                                ),
                            ),
                        ),
                        width="100%",
                        spacing="3",
                    ),
                    columns=rx.breakpoints(initial="1", lg="3fr 1fr"),
                    spacing="4",
                    width="100%",
                ),
                _payment_dialog(),
                _credit_dialog(),
                width="100%",
                spacing="3",
            ),
            rx.center(rx.spinner(size="3"), padding="3rem", width="100%"),
        ),
    )


# ------------------------------------------------------------------------------------- settings

S = DocumentSettingsState


def _setting(name: str, label: str, **props) -> rx.Component:
    return field(label, text_input(name, S.values[name], **props), S.errors[name])


@staff_page("/settings/documents", "documents.settings", on_load=S.load)
def documents_settings() -> rx.Component:
    grid = {"columns": rx.breakpoints(initial="1", sm="2"), "spacing": "3", "width": "100%"}
    return rx.vstack(
        page_header(t("documents.settings")),
        rx.cond(
            S.loaded,
            rx.form(
                rx.vstack(
                    card(
                        rx.heading(t("documents.settings.company"), size="3"),
                        rx.grid(
                            _setting("company_name", "documents.settings.company_name"),
                            _setting("phone", "documents.settings.phone"),
                            _setting("email", "documents.settings.email"),
                            _setting("npwp", "documents.settings.npwp"),
                            **grid,
                        ),
                        _setting("address", "documents.settings.address"),
                    ),
                    card(
                        rx.heading(t("documents.settings.bank"), size="3"),
                        rx.grid(
                            _setting("bank_name", "documents.settings.bank_name"),
                            _setting("bank_account", "documents.settings.bank_account"),
                            _setting("bank_holder", "documents.settings.bank_holder"),
                            **grid,
                        ),
                    ),
                    card(
                        rx.heading(t("documents.settings.flow"), size="3"),
                        rx.grid(
                            field(
                                "documents.settings.won_on",
                                select_field(
                                    "won_on",
                                    [("confirm", "documents.settings.won_on.confirm"), ("create", "documents.settings.won_on.create")],
                                    S.values["won_on"],
                                ),
                                S.errors["won_on"],
                            ),
                            _setting("validity_days", "documents.settings.validity_days", type="number", min=1, max=365),
                            field(
                                "documents.payment_terms", select_field("payment_terms", TERMS_OPTIONS, S.values["payment_terms"]), S.errors["payment_terms"]
                            ),
                            **grid,
                        ),
                        field("documents.settings.default_terms", text_area("default_terms", S.values["default_terms"]), S.errors["default_terms"]),
                    ),
                    rx.cond(S.general_error != "", rx.callout(S.general_error, icon="triangle-alert", color_scheme="red", id="form-error")),
                    rx.button(rx.icon("save", size=16), t("common.save"), type="submit", id="settings-save"),
                    spacing="3",
                    width="100%",
                    max_width="900px",
                ),
                on_submit=S.save,
                reset_on_submit=False,
                key=S.form_key.to_string(),
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding="3rem", width="100%"),
        ),
        width="100%",
        spacing="3",
    )
