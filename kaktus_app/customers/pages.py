"""Customer list (/customers) and customer form (/customers/new, /customers/<id>)."""

from __future__ import annotations

import reflex as rx

from kaktus_app.activities.components import activity_panel
from kaktus_app.auth.state import AuthState
from kaktus_app.customers.models import SEGMENTS
from kaktus_app.customers.state import (
    ContactExportState,
    ContactPortalState,
    CustomerFormState,
    CustomerListState,
)
from kaktus_app.documents.components import customer_documents
from kaktus_app.documents.state import RecordDocumentsState
from kaktus_app.geo.components import pick_button, pick_dialog
from kaktus_app.helpdesk.components import company_tickets
from kaktus_app.helpdesk.state import CompanyTicketsState
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
    tag_list,
    text_area,
    text_input,
    when_loaded,
)
from kaktus_app.ui.lang import t

SEGMENT_OPTIONS = [(s, f"customers.segment.{s}") for s in SEGMENTS]


def _filter_bar() -> rx.Component:
    f = CustomerListState.filters
    return rx.hstack(
        rx.input(
            rx.input.slot(rx.icon("search", size=16)),
            placeholder=t("customers.search_placeholder"),
            value=f["search"],
            on_change=lambda v: CustomerListState.set_filter("search", v),
            debounce_timeout=300,
            id="customers-search",
            width="260px",
        ),
        rx.el.select(
            rx.el.option(t("customers.filter.any_kind"), value=""),
            rx.el.option(t("customers.kind.company"), value="company"),
            rx.el.option(t("customers.kind.person"), value="person"),
            value=f["kind"],
            on_change=lambda v: CustomerListState.set_filter("kind", v),
            class_name="kaktus-select",
            id="filter-kind",
        ),
        rx.el.select(
            rx.el.option(t("customers.filter.any_segment"), value=""),
            *[rx.el.option(t(label), value=value) for value, label in SEGMENT_OPTIONS],
            value=f["segment"],
            on_change=lambda v: CustomerListState.set_filter("segment", v),
            class_name="kaktus-select",
            id="filter-segment",
        ),
        rx.input(
            placeholder=t("customers.filter.city"),
            value=f["city"],
            on_change=lambda v: CustomerListState.set_filter("city", v),
            debounce_timeout=300,
            width="140px",
            id="filter-city",
        ),
        rx.el.select(
            rx.el.option(t("customers.filter.any_owner"), value=""),
            rx.el.option(t("common.mine"), value="me"),
            rx.foreach(CustomerListState.users, lambda u: rx.el.option(u["name"], value=u["id"].to_string())),
            value=f["owner_id"],
            on_change=lambda v: CustomerListState.set_filter("owner_id", v),
            class_name="kaktus-select",
            id="filter-owner",
        ),
        rx.input(
            placeholder=t("customers.filter.tag"),
            value=f["tag"],
            on_change=lambda v: CustomerListState.set_filter("tag", v),
            debounce_timeout=300,
            width="120px",
            id="filter-tag",
        ),
        rx.button(t("common.clear"), variant="ghost", on_click=CustomerListState.clear_filters, id="filters-clear"),
        wrap="wrap",
        spacing="2",
        align="center",
        width="100%",
    )


def _saved_filters() -> rx.Component:
    return rx.hstack(
        rx.text(t("customers.saved_filters"), size="2", color_scheme="gray"),
        rx.foreach(
            CustomerListState.saved_filters,
            lambda sf: rx.hstack(
                rx.button(
                    sf["name"],
                    size="1",
                    radius="full",
                    variant=rx.cond(CustomerListState.active_filter_id == sf["id"], "solid", "soft"),
                    on_click=CustomerListState.apply_saved(sf["id"]),
                    id="saved-filter-" + sf["id"].to_string(),
                ),
                rx.cond(
                    sf["mine"],
                    rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", color_scheme="gray", on_click=CustomerListState.delete_saved(sf["id"]), aria_label="delete"),
                ),
                spacing="0",
                align="center",
            ),
        ),
        rx.spacer(),
        rx.input(placeholder=t("customers.filter_name"), value=CustomerListState.new_filter_name, on_change=CustomerListState.set_new_filter_name, size="1", width="160px", id="filter-name"),
        rx.button(t("customers.save_filter"), size="1", variant="outline", on_click=CustomerListState.save_current_filter, id="filter-save"),
        wrap="wrap",
        spacing="2",
        align="center",
        width="100%",
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["name"], href="/customers/" + row["id"].to_string(), weight="medium")),
        rx.table.cell(rx.cond(row["kind"] == "company", badge(t("customers.kind.company"), "blue"), badge(t("customers.kind.person"), "gray"))),
        rx.table.cell(rx.match(row["segment"], *[(v, t(label)) for v, label in SEGMENT_OPTIONS], row["segment"])),
        rx.table.cell(row["city"]),
        rx.table.cell(row["email"]),
        rx.table.cell(row["phone"]),
        rx.table.cell(row["owner"]),
        rx.table.cell(tag_list(row["tags"])),
        id="customer-row-" + row["id"].to_string(),
        class_name="customer-row",
        style={"cursor": "pointer"},
    )


@staff_page("/customers", "customers.title", on_load=CustomerListState.load)
def customer_list() -> rx.Component:
    s = CustomerListState
    headers = [
        sort_header("common.name", "name", s.sort, s.desc, s.sort_by),
        sort_header("customers.kind", "kind", s.sort, s.desc, s.sort_by),
        sort_header("customers.segment", "segment", s.sort, s.desc, s.sort_by),
        sort_header("common.city", "city", s.sort, s.desc, s.sort_by),
        sort_header("common.email", "email", s.sort, s.desc, s.sort_by),
        sort_header("common.phone", "phone", s.sort, s.desc, s.sort_by),
        sort_header("common.owner", "owner", s.sort, s.desc, s.sort_by),
        plain_header("common.tags"),
    ]
    return rx.vstack(
        page_header(
            t("customers.title"),
            rx.cond(
                AuthState.export_modules.contains("customers"),
                rx.button(
                    rx.icon("contact", size=16), t("integration.export_vcard"), variant="soft", on_click=ContactExportState.export_vcard,
                    title=t("integration.export_vcard_hint"), id="customers-export-vcard",
                ),
            ),
            export_menu(CustomerListState, "customers"),
            rx.link(rx.button(rx.icon("plus", size=16), t("customers.new"), id="customers-new"), href="/customers/new"),
        ),
        _saved_filters(),
        _filter_bar(),
        data_table(headers, s.rows, _row, table_id="customers-table"),
        pagination(s.page, s.pages, t("customers.count", count=s.count_label), s.prev_page, s.next_page),
        width="100%",
        spacing="3",
    )


# ------------------------------------------------------------------------------------------ form


def _input(name: str, label: str, **props) -> rx.Component:
    s = CustomerFormState
    return protected("customers", name, label, lambda ro: text_input(name, s.values[name], disabled=ro, **props), s.errors[name])


def _area(name: str, label: str) -> rx.Component:
    s = CustomerFormState
    return protected("customers", name, label, lambda ro: text_area(name, s.values[name], disabled=ro), s.errors[name])


def _section(title_key: str, *children) -> rx.Component:
    return card(rx.heading(t(title_key), size="3"), rx.grid(*children, columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"))


def _duplicates() -> rx.Component:
    return rx.cond(
        CustomerFormState.duplicates.length() > 0,
        rx.callout.root(
            rx.callout.icon(rx.icon("copy")),
            rx.vstack(
                rx.text(t("customers.duplicates_title"), weight="bold"),
                rx.text(t("customers.duplicates_text"), size="2"),
                rx.foreach(
                    CustomerFormState.duplicates,
                    lambda d: rx.hstack(
                        rx.link(d["name"], href="/customers/" + d["id"].to_string(), weight="medium"),
                        rx.text(d["city"], size="2", color_scheme="gray"),
                        badge(d["reason_label"], "orange"),
                        spacing="2",
                        align="center",
                    ),
                ),
                rx.hstack(
                    rx.button(t("customers.create_anyway"), on_click=CustomerFormState.create_anyway, color_scheme="orange", id="duplicate-create-anyway"),
                    rx.button(t("common.cancel"), variant="soft", on_click=CustomerFormState.dismiss_duplicates),
                ),
                spacing="2",
            ),
            color_scheme="orange",
            id="duplicate-warning",
            width="100%",
        ),
    )


def _kind_switch() -> rx.Component:
    return rx.el.select(
        rx.el.option(t("customers.kind.company"), value="company"),
        rx.el.option(t("customers.kind.person"), value="person"),
        value=CustomerFormState.values["kind"],
        on_change=CustomerFormState.set_kind,
        class_name="kaktus-select",
        id="field-kind",
    )


def _contacts() -> rx.Component:
    return card(
        rx.hstack(
            rx.heading(t("customers.contacts"), size="3"),
            rx.spacer(),
            rx.link(rx.button(rx.icon("user-plus", size=14), t("customers.new_contact"), size="1", variant="soft", id="contact-new"), href="/customers/new?company=" + CustomerFormState.customer_id.to_string()),
        ),
        rx.cond(
            CustomerFormState.contacts.length() > 0,
            rx.vstack(
                rx.foreach(
                    CustomerFormState.contacts,
                    lambda c: rx.hstack(
                        rx.icon("user", size=14),
                        rx.link(c["name"], href="/customers/" + c["id"].to_string()),
                        rx.text(c["job_title"], size="1", color_scheme="gray"),
                        rx.spacer(),
                        rx.text(c["phone"], size="1"),
                        width="100%",
                        align="center",
                    ),
                ),
                width="100%",
                spacing="1",
            ),
            rx.text(t("customers.no_contacts"), size="2", color_scheme="gray"),
        ),
    )


def _portal_access() -> rx.Component:
    """A contact's access to the customer portal: invite (or send a new link), and the link itself,
    shown to staff too so it can be passed on by hand when the firm has no e-mail server."""
    p = ContactPortalState
    status = p.status
    return rx.fragment(
        # re-mounts after each load or save of the form, so the control follows the saved e-mail / company
        rx.fragment(rx.box(on_mount=p.load, display="none"), key=CustomerFormState.form_key.to_string()),
        rx.cond(
            status["applies"].to(bool),
            card(
                rx.hstack(
                    rx.heading(t("portal.staff.title"), size="3"),
                    rx.spacer(),
                    rx.badge(status["status_label"].to(str), color_scheme=rx.match(status["status"].to(str), ("active", "grass"), ("invited", "amber"), ("revoked", "red"), "gray"), variant="soft", id="portal-access-status"),
                    width="100%",
                    align="center",
                ),
                rx.cond(status["last_login_label"].to(str) != "", rx.text(t("portal.staff.last_login", when=status["last_login_label"].to(str)), size="1", color_scheme="gray")),
                rx.cond(
                    status["can_invite"].to(bool),
                    rx.hstack(
                        rx.button(
                            rx.icon("send", size=14),
                            rx.cond(status["status"].to(str) == "none", t("portal.staff.invite"), t("portal.staff.reinvite")),
                            size="2", on_click=p.invite, id="portal-invite",
                        ),
                        rx.cond(
                            status["can_revoke"].to(bool),
                            rx.button(rx.icon("user-x", size=14), t("portal.staff.revoke"), size="2", variant="soft", color_scheme="red", on_click=p.revoke, id="portal-revoke"),
                        ),
                        rx.text(status["email"].to(str), size="1", color_scheme="gray"),
                        align="center",
                        spacing="2",
                        wrap="wrap",
                    ),
                    rx.cond(status["reason"].to(str) != "", rx.text(status["reason"].to(str), size="2", color_scheme="gray", id="portal-invite-reason")),
                ),
                id="portal-access",
            ),
        ),
        rx.dialog.root(
            rx.dialog.content(
                rx.dialog.title(t("portal.staff.link_title")),
                rx.text(
                    rx.cond(status["mail_configured"].to(bool), t("portal.staff.link_mailed", email=status["email"].to(str)), t("portal.staff.link_not_mailed", email=status["email"].to(str))),
                    size="2",
                ),
                rx.box(rx.code(p.link, id="portal-invite-link", word_break="break-all"), padding_y="0.75rem"),
                rx.hstack(
                    rx.button(rx.icon("copy", size=14), t("portal.staff.copy"), variant="soft", on_click=[rx.set_clipboard(p.link), rx.toast.success(t("portal.staff.copied"))], id="portal-invite-copy"),
                    rx.spacer(),
                    rx.dialog.close(rx.button(t("common.close"), id="portal-invite-close")),
                    width="100%",
                ),
            ),
            open=p.link != "",
            on_open_change=p.hide_link,
        ),
    )


def _form() -> rx.Component:
    s = CustomerFormState
    return rx.form(
        rx.vstack(
            _section(
                "customers.section.identity",
                field("customers.kind", _kind_switch(), s.errors["kind"]),
                _input("name", "customers.name"),
                rx.cond(
                    s.is_company,
                    _input("industry", "customers.industry"),
                    field(
                        "customers.company",
                        record_select("company_id", s.companies, s.values["company_id"], empty_label="—"),
                        s.errors["company_id"],
                    ),
                ),
                _input("job_title", "customers.job_title"),
                _input("department", "customers.department"),
                _input("person_in_charge", "customers.person_in_charge"),
            ),
            _section(
                "customers.section.contact",
                _input("phone", "common.phone", placeholder="021-8448205"),
                _input("mobile", "customers.mobile", placeholder="0812-3456-7890"),
                _input("email", "common.email", placeholder="nama@perusahaan.co.id"),
                _input("website", "customers.website"),
            ),
            _section(
                "customers.section.address",
                _input("street", "customers.street"),
                _input("city", "common.city"),
                _input("province", "customers.province"),
                _input("postal_code", "customers.postal_code"),
                _input("latitude", "customers.latitude"),
                _input("longitude", "customers.longitude"),
                rx.box(pick_button(), pick_dialog()),
            ),
            _section(
                "customers.section.commercial",
                protected(
                    "customers", "segment", "customers.segment",
                    lambda ro: select_field("segment", [("", "common.none"), *SEGMENT_OPTIONS], s.values["segment"], disabled=ro),
                    s.errors["segment"],
                ),
                _input("tags", "common.tags", placeholder="catering, halal"),
                field(
                    "common.owner",
                    rx.cond(
                        s.is_new,
                        record_select("owner_id", s.users, s.values["owner_id"], empty_label=t("customers.owner_auto")),
                        record_select("owner_id", s.users, s.values["owner_id"]),
                    ),
                    s.errors["owner_id"],
                ),
                _input("npwp", "customers.npwp", placeholder="01.234.567.8-901.000"),
            ),
            card(
                rx.heading(t("customers.profile"), size="3"),
                _area("profile_needs", "customers.profile_needs"),
                _area("profile_preferences", "customers.profile_preferences"),
                _area("profile_history", "customers.profile_history"),
                _area("notes", "customers.notes"),
            ),
            rx.cond(s.general_error != "", rx.callout(s.general_error, icon="triangle-alert", color_scheme="red", id="form-error")),
            _duplicates(),
            rx.hstack(
                rx.button(rx.icon("save", size=16), t("common.save"), type="submit", id="customer-save", size="3"),
                rx.link(rx.button(t("common.cancel"), variant="soft", size="3", type="button"), href="/customers"),
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=s.save,
        reset_on_submit=False,
        key=s.form_key.to_string(),
        width="100%",
    )


@staff_page("/customers/[customer_id]", "customers.title", on_load=[CustomerFormState.load, RecordDocumentsState.load_for_customer, CompanyTicketsState.load])
def customer_form() -> rx.Component:
    s = CustomerFormState
    return rx.cond(
        s.not_found,
        rx.callout(t("error.not_found"), icon="circle-alert", color_scheme="red"),
        rx.vstack(
            page_header(
                rx.cond(s.is_new, t("customers.new"), s.title),
                rx.link(rx.button(t("common.back"), variant="soft"), href="/customers"),
            ),
            rx.grid(
                rx.vstack(when_loaded(s.loaded, _form()), width="100%"),
                rx.cond(
                    s.is_new,
                    rx.fragment(),
                    rx.vstack(
                        rx.cond(s.is_company, _contacts(), _portal_access()),
                        rx.cond(s.is_company, company_tickets(s.customer_id)),
                        customer_documents(s.customer_id),
                        activity_panel("customer", s.customer_id, s.form_key),
                        width="100%",
                        spacing="3",
                    ),
                ),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="4",
                width="100%",
            ),
            width="100%",
        ),
    )
