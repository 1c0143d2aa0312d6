"""Documents cards shown on other modules' pages: an opportunity's quotations, a customer's documents."""

from __future__ import annotations

import reflex as rx

from kaktus_app.documents.state import RecordDocumentsState
from kaktus_app.ui.components import card
from kaktus_app.ui.lang import t

R = RecordDocumentsState


def _state(row: rx.Var) -> rx.Component:
    return rx.badge(row["state_label"].to(str), color_scheme=row["color"].to(str), variant="soft", radius="full")


def _doc_row(row: rx.Var, href_prefix: str) -> rx.Component:
    return rx.hstack(
        rx.link(row["number"].to(str), href=href_prefix + row["id"].to_string(), weight="medium", size="2"),
        rx.cond(row["order_number"].to(str) != "", rx.text(row["order_number"].to(str), size="1", color_scheme="gray")),
        rx.text(row["date"].to(str), size="1", color_scheme="gray"),
        rx.spacer(),
        rx.text(row["total_label"].to(str), size="2"),
        _state(row),
        width="100%",
        spacing="2",
        align="center",
        class_name="doc-row",
    )


def opportunity_documents() -> rx.Component:
    """The quotations of the opportunity on its page, with "New quotation"."""
    return card(
        rx.hstack(
            rx.heading(t("documents.quotations"), size="3"),
            rx.spacer(),
            rx.button(rx.icon("file-plus", size=14), t("documents.new_quotation"), size="1", on_click=R.new_quotation, id="opportunity-new-quotation"),
            width="100%",
            align="center",
        ),
        rx.foreach(R.opportunity_quotes, lambda row: _doc_row(row, "/quotations/")),
        rx.cond(R.opportunity_quotes.length() == 0, rx.text(t("documents.none_yet"), size="2", color_scheme="gray")),
        id="opportunity-quotations",
    )


def customer_documents(customer_id: rx.Var) -> rx.Component:
    """Quotations, orders, invoices and the open balance on the customer's page."""
    section = lambda rows, title, prefix: rx.cond(  # noqa: E731
        rows.length() > 0,
        rx.vstack(
            rx.text(t(title), size="2", weight="bold"),
            rx.foreach(rows, lambda row: _doc_row(row, prefix)),
            spacing="1",
            width="100%",
        ),
    )
    return card(
        rx.hstack(
            rx.heading(t("documents.customer_documents"), size="3"),
            rx.spacer(),
            rx.link(rx.button(rx.icon("file-plus", size=14), t("documents.new_quotation"), size="1", variant="soft"), href="/quotations/new?customer=" + customer_id.to_string(), id="customer-new-quotation"),
            width="100%",
            align="center",
        ),
        rx.hstack(
            rx.text(t("documents.open_balance"), size="2"),
            rx.spacer(),
            rx.text(R.balance_label, size="3", weight="bold", color=rx.cond(R.has_balance, rx.color("amber", 11), rx.color("gray", 12)), id="customer-balance"),
            width="100%",
        ),
        section(R.customer_quotations, "documents.quotations", "/quotations/"),
        section(R.customer_orders, "documents.sales_orders", "/quotations/"),
        section(R.customer_invoices, "documents.invoices", "/invoices/"),
        id="customer-documents",
    )
