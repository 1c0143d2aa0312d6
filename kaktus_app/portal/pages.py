"""The customer portal's pages (/portal/...): sign-in and links, tickets, help articles, documents, profile."""

from __future__ import annotations

import reflex as rx

from kaktus_app.helpdesk.models import CATEGORIES
from kaktus_app.portal.components import (
    field,
    file_picker,
    page_title,
    pager,
    panel,
    portal_page,
    public_page,
    status_badge,
    t,
    text_input,
)
from kaktus_app.portal.state import (
    CHANNEL,
    NEW_TICKET_FILES,
    REPLY_FILES,
    PortalArticleState,
    PortalDocumentsState,
    PortalFaqState,
    PortalLinkState,
    PortalNewTicketState,
    PortalProfileState,
    PortalSignInState,
    PortalState,
    PortalTicketsState,
    PortalTicketState,
)
from kaktus_app.ui.live import LiveSignal, reload_on_change

SI = PortalSignInState


def _sent_notice() -> rx.Component:
    return rx.callout(t("portal.link_sent", email=SI.email), icon="mail-check", color_scheme="teal", id="portal-sent")


def _email_field(autofocus: bool = True) -> rx.Component:
    return field(
        "portal.email",
        rx.input(
            # type "text" (with the e-mail keyboard): a bad address gets our message at the field, in the portal's language
            name="email", id="field-email", type="text", default_value=SI.email, auto_focus=autofocus, auto_complete="email",
            input_mode="email", width="100%", size="3", placeholder="nama@perusahaan.co.id",
        ),
        SI.email_error,
        name="email",
    )


# ----------------------------------------------------------------------------------------- sign-in


@public_page("/portal", "portal.sign_in", on_load=[PortalState.redirect_if_signed_in, SI.reset_form])
def sign_in_page() -> rx.Component:
    return rx.fragment(
        rx.vstack(rx.heading(t("portal.sign_in"), size="6"), rx.text(t("portal.sign_in_help"), size="2", color_scheme="gray"), spacing="1"),
        rx.segmented_control.root(
            rx.segmented_control.item(t("portal.with_password"), value="password"),
            rx.segmented_control.item(t("portal.with_link"), value="link"),
            value=SI.mode,
            on_change=SI.set_mode,
            width="100%",
            id="portal-login-mode",
        ),
        rx.form(
            rx.vstack(
                _email_field(),
                rx.cond(
                    SI.mode == "password",
                    field(
                        "portal.password",
                        rx.input(name="password", id="field-password", type="password", auto_complete="current-password", width="100%", size="3"),
                        name="password",
                    ),
                    rx.text(t("portal.link_help"), size="2", color_scheme="gray"),
                ),
                rx.cond(SI.error != "", rx.callout(SI.error, icon="triangle-alert", color_scheme="red", size="1", id="portal-login-error")),
                rx.cond(SI.sent, _sent_notice()),
                rx.button(
                    rx.cond(SI.mode == "password", t("portal.sign_in"), t("portal.send_link")),
                    type="submit", size="3", width="100%", id="portal-login-submit",
                ),
                spacing="3",
                align="stretch",
            ),
            on_submit=SI.submit_login,
            reset_on_submit=False,
        ),
        rx.flex(
            rx.link(t("portal.forgot_password"), href="/portal/reset", size="2", id="portal-forgot"),
            rx.link(t("portal.first_time"), href="/portal/signup", size="2", id="portal-signup-link"),
            justify="between",
            wrap="wrap",
            gap="0.5rem",
            width="100%",
        ),
    )


def _email_only_page(title_key: str, help_key: str, button_key: str, on_submit, submit_id: str) -> rx.Component:
    return rx.fragment(
        rx.vstack(rx.heading(t(title_key), size="6"), rx.text(t(help_key), size="2", color_scheme="gray"), spacing="1"),
        rx.form(
            rx.vstack(
                _email_field(),
                rx.cond(SI.sent, _sent_notice()),
                rx.button(t(button_key), type="submit", size="3", width="100%", id=submit_id),
                spacing="3",
                align="stretch",
            ),
            on_submit=on_submit,
            reset_on_submit=False,
        ),
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), t("portal.back_to_sign_in"), align="center", spacing="1"), href="/portal", size="2", id="portal-back-sign-in"),
    )


@public_page("/portal/signup", "portal.signup", on_load=[PortalState.redirect_if_signed_in, SI.reset_form])
def signup_page() -> rx.Component:
    return _email_only_page("portal.signup", "portal.signup_help", "portal.signup_submit", SI.submit_signup, "portal-signup-submit")


@public_page("/portal/reset", "portal.reset", on_load=SI.reset_form)
def reset_page() -> rx.Component:
    return _email_only_page("portal.reset", "portal.reset_help", "portal.reset_submit", SI.submit_reset, "portal-reset-submit")


L = PortalLinkState


def _password_fields(errors: rx.Var, *, current: rx.Var | bool = False) -> list[rx.Component]:
    fields = [
        field("portal.new_password", rx.input(name="new", id="field-new", type="password", auto_complete="new-password", width="100%", size="3"), errors["new"], name="new", hint_key="portal.password_rule"),
        field("portal.repeat_password", rx.input(name="repeat", id="field-repeat", type="password", auto_complete="new-password", width="100%", size="3"), errors["repeat"], name="repeat"),
    ]
    if current is not False:
        fields.insert(0, rx.cond(current, field("portal.current_password", rx.input(name="current", id="field-current", type="password", auto_complete="current-password", width="100%", size="3"), errors["current"], name="current")))
    return fields


@public_page("/portal/link/[token]", "portal.link_title", on_load=L.redeem)
def link_page() -> rx.Component:
    return rx.match(
        L.status,
        (
            "invalid",
            rx.vstack(
                rx.callout(t("portal.error.link_invalid"), icon="link-2-off", color_scheme="red", id="portal-link-invalid"),
                rx.link(rx.button(t("portal.send_new_link"), size="3", width="100%"), href="/portal", width="100%"),
                spacing="3",
                align="stretch",
            ),
        ),
        (
            "set_password",
            rx.form(
                rx.vstack(
                    rx.heading(rx.cond(L.purpose == "reset", t("portal.choose_new_password"), t("portal.welcome")), size="6"),
                    rx.text(rx.cond(L.purpose == "reset", t("portal.reset_set_help"), t("portal.welcome_help")), size="2", color_scheme="gray"),
                    *_password_fields(L.errors),
                    rx.button(t("portal.save_password"), type="submit", size="3", width="100%", id="portal-save-password"),
                    rx.cond(
                        L.purpose != "reset",
                        rx.link(t("portal.skip_password"), href="/portal/tickets", size="2", id="portal-skip-password", align="center"),
                    ),
                    spacing="3",
                    align="stretch",
                ),
                on_submit=L.save_password,
                reset_on_submit=False,
                key=L.form_key.to_string(),
            ),
        ),
        rx.center(rx.vstack(rx.spinner(size="3"), rx.text(t("portal.checking_link"), size="2", color_scheme="gray"), align="center"), padding="2rem", id="portal-link-checking"),
    )


# ----------------------------------------------------------------------------------------- tickets

TL = PortalTicketsState


def _ticket_card(row: rx.Var) -> rx.Component:
    return rx.link(
        rx.box(
            rx.hstack(
                rx.text(row["number"].to(str), size="1", color_scheme="gray", weight="medium"),
                rx.spacer(),
                status_badge(row["status_label"].to(str), row["status"].to(str)),
                align="center",
                width="100%",
            ),
            rx.text(row["title"].to(str), size="3", weight="medium", padding_y="0.25rem", class_name="portal-ticket-title"),
            rx.flex(
                rx.text(row["category_label"].to(str), size="1", color_scheme="gray"),
                rx.cond(row["contact_name"].to(str) != "", rx.text("· ", row["contact_name"].to(str), size="1", color_scheme="gray")),
                rx.spacer(),
                rx.text(t("portal.updated", when=row["updated_label"].to(str)), size="1", color_scheme="gray"),
                gap="0.4rem",
                wrap="wrap",
                width="100%",
            ),
            padding="0.85rem 1rem",
            border_radius="12px",
            border=f"1px solid {rx.color('gray', 5)}",
            background=rx.color("gray", 1),
            _hover={"border_color": rx.color("teal", 8)},
            width="100%",
        ),
        href="/portal/tickets/" + row["id"].to_string(),
        underline="none",
        color="inherit",
        width="100%",
        id="portal-ticket-" + row["id"].to_string(),
        class_name="portal-ticket-row",
    )


@portal_page("/portal/tickets", "portal.nav.tickets", on_load=[LiveSignal.join(CHANNEL), TL.load])
def tickets_page() -> rx.Component:
    return rx.vstack(
        reload_on_change(TL.refresh),
        page_title(
            t("portal.my_tickets"),
            rx.link(rx.button(rx.icon("plus", size=16), t("portal.new_ticket"), size="3", id="portal-new-ticket"), href="/portal/tickets/new"),
            subtitle=t("portal.my_tickets_help"),
        ),
        rx.segmented_control.root(
            rx.segmented_control.item(t("portal.filter.open"), value="open"),
            rx.segmented_control.item(t("portal.filter.closed"), value="closed"),
            rx.segmented_control.item(t("portal.filter.all"), value="all"),
            value=TL.status,
            on_change=TL.set_status,
            id="portal-ticket-filter",
        ),
        rx.vstack(rx.foreach(TL.rows, _ticket_card), spacing="2", width="100%", id="portal-ticket-list"),
        rx.cond(
            TL.loaded & (TL.rows.length() == 0),
            panel(
                rx.text(t("portal.no_tickets"), size="2", color_scheme="gray"),
                rx.hstack(rx.link(t("portal.search_faq"), href="/portal/faq", size="2"), spacing="3"),
                id="portal-no-tickets",
            ),
        ),
        pager(TL.page, TL.pages, TL.prev_page, TL.next_page),
        spacing="4",
        width="100%",
    )


TD = PortalTicketState


def _files(files: rx.Var) -> rx.Component:
    return rx.flex(
        rx.foreach(
            files,
            lambda f: rx.button(
                rx.icon("paperclip", size=14),
                rx.text(f["filename"].to(str), size="1", max_width="220px", overflow="hidden", text_overflow="ellipsis", white_space="nowrap"),
                rx.text(f["size_label"].to(str), size="1", color_scheme="gray"),
                variant="surface",
                size="1",
                on_click=TD.download(f["id"].to(int)),
                class_name="portal-attachment",
            ),
        ),
        gap="0.4rem",
        wrap="wrap",
    )


def _message(m: rx.Var) -> rx.Component:
    mine = m["from_customer"].to(bool)
    bubble = rx.box(
        rx.hstack(
            rx.text(m["author_name"].to(str), size="1", weight="bold"),
            rx.text(m["at_label"].to(str), size="1", color_scheme="gray"),
            spacing="2",
            wrap="wrap",
        ),
        rx.text(m["body"].to(str), size="2", white_space="pre-wrap", word_break="break-word", class_name="portal-message-body"),
        rx.cond(m["attachments"].to(list).length() > 0, _files(m["attachments"].to(list[dict]))),
        background=rx.cond(mine, rx.color("teal", 3), rx.color("gray", 1)),
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius=rx.cond(mine, "14px 14px 4px 14px", "14px 14px 14px 4px"),
        padding="0.65rem 0.85rem",
        max_width=["92%", "80%"],
        class_name=rx.cond(mine, "portal-message portal-message-mine", "portal-message portal-message-staff"),
    )
    return rx.cond(
        m["kind"].to(str) == "reply",
        rx.flex(bubble, justify=rx.cond(mine, "end", "start"), width="100%"),
        rx.center(rx.text(m["body"].to(str), " · ", m["at_label"].to(str), size="1", color_scheme="gray", class_name="portal-event"), width="100%"),
    )


def _reply_form() -> rx.Component:
    return rx.form(
        panel(
            rx.text(t("portal.your_reply"), size="2", weight="medium"),
            rx.text_area(name="body", id="portal-reply-body", rows="4", width="100%", size="3", placeholder=t("portal.reply_placeholder")),
            rx.cond(TD.errors["body"], rx.text(TD.errors["body"], color_scheme="red", size="1", class_name="field-error", id="error-body")),
            file_picker(REPLY_FILES, TD.files_rejected),
            rx.cond(TD.errors["attachments"], rx.text(TD.errors["attachments"], color_scheme="red", size="1", class_name="field-error", id="error-attachments")),
            rx.hstack(rx.spacer(), rx.button(rx.icon("send", size=16), t("portal.send_reply"), type="submit", size="3", id="portal-reply-submit"), width="100%"),
        ),
        on_submit=lambda form: TD.reply(rx.upload_files(upload_id=REPLY_FILES), form),
        reset_on_submit=False,
        key=TD.form_key.to_string(),
        width="100%",
    )


def _ticket_detail() -> rx.Component:
    tk = TD.ticket
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), t("portal.all_tickets"), align="center", spacing="1"), href="/portal/tickets", size="2", id="portal-back-tickets"),
        rx.flex(
            rx.vstack(
                rx.text(tk["number"].to(str), size="2", color_scheme="gray", id="portal-ticket-number"),
                rx.heading(tk["title"].to(str), size="6", id="portal-title", word_break="break-word"),
                spacing="1",
            ),
            rx.spacer(),
            status_badge(tk["status_label"].to(str), tk["status"].to(str)),
            direction=rx.breakpoints(initial="column-reverse", sm="row"),
            align=rx.breakpoints(initial="start", sm="center"),
            gap="0.5rem",
            width="100%",
        ),
        rx.flex(
            rx.text(t("portal.category"), ": ", tk["category_label"].to(str), size="1", color_scheme="gray"),
            rx.text(t("portal.opened", when=tk["created_label"].to(str)), size="1", color_scheme="gray"),
            rx.cond(tk["order_number"].to(str) != "", rx.text(t("portal.order"), ": ", tk["order_number"].to(str), size="1", color_scheme="gray")),
            rx.cond(tk["assignee_name"].to(str) != "", rx.text(t("portal.handled_by", name=tk["assignee_name"].to(str)), size="1", color_scheme="gray")),
            gap="0.4rem 1rem",
            wrap="wrap",
        ),
        rx.cond(
            tk["merged_into"].to(dict),
            rx.callout(
                t("portal.merged_into", number=tk["merged_into"].to(dict)["number"].to(str)),
                icon="merge", color_scheme="amber", size="1", id="portal-merged",
            ),
        ),
        panel(
            rx.text(tk["description"].to(str), size="2", white_space="pre-wrap", word_break="break-word", id="portal-ticket-description"),
            rx.cond(tk["files"].to(list).length() > 0, _files(tk["files"].to(list[dict]))),
        ),
        rx.cond(
            tk["article"].to(dict),
            rx.callout(
                rx.hstack(
                    rx.text(t("portal.suggested_article"), size="2"),
                    rx.link(tk["article"].to(dict)["title"].to(str), href="/portal/faq/" + tk["article"].to(dict)["id"].to_string(), size="2", weight="medium"),
                    wrap="wrap",
                    spacing="2",
                ),
                icon="book-open", color_scheme="teal", size="1",
            ),
        ),
        rx.heading(t("portal.conversation"), size="3", padding_top="0.5rem"),
        rx.vstack(rx.foreach(tk["messages"].to(list[dict]), _message), spacing="2", width="100%", id="portal-messages"),
        rx.cond(tk["messages"].to(list).length() == 0, rx.text(t("portal.no_replies_yet"), size="2", color_scheme="gray")),
        rx.cond(tk["can_reply"].to(bool), _reply_form()),
        rx.flex(
            rx.cond(
                tk["can_close"].to(bool),
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(rx.button(rx.icon("circle-check", size=16), t("portal.close_ticket"), variant="soft", color_scheme="gray", size="3", id="portal-close-ticket")),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title(t("portal.close_ticket")),
                        rx.alert_dialog.description(t("portal.close_confirm")),
                        rx.flex(
                            rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                            rx.alert_dialog.action(rx.button(t("portal.close_ticket"), on_click=TD.change_status("closed"), id="portal-close-confirm")),
                            gap="0.75rem",
                            justify="end",
                            padding_top="1rem",
                        ),
                    ),
                ),
            ),
            rx.cond(
                tk["can_reopen"].to(bool),
                rx.button(rx.icon("rotate-ccw", size=16), t("portal.reopen_ticket"), variant="soft", size="3", on_click=TD.change_status("reopen"), id="portal-reopen-ticket"),
            ),
            gap="0.75rem",
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
        align="stretch",
    )


@portal_page("/portal/tickets/[ticket_id]", "portal.ticket", on_load=[LiveSignal.join(CHANNEL), TD.load])
def ticket_page() -> rx.Component:
    return rx.fragment(
        reload_on_change(TD.refresh),
        rx.cond(
            TD.not_found,
            panel(
                rx.callout(t("portal.ticket_not_found"), icon="circle-alert", color_scheme="red", id="portal-not-found"),
                rx.link(t("portal.all_tickets"), href="/portal/tickets", size="2"),
            ),
            rx.cond(TD.ticket.contains("id"), _ticket_detail(), rx.center(rx.spinner(size="3"), padding="3rem")),
        ),
    )


NT = PortalNewTicketState


@portal_page("/portal/tickets/new", "portal.new_ticket", on_load=NT.load)
def new_ticket_page() -> rx.Component:
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), t("portal.all_tickets"), align="center", spacing="1"), href="/portal/tickets", size="2"),
        page_title(t("portal.new_ticket"), subtitle=t("portal.new_ticket_help")),
        rx.form(
            panel(
                field("portal.subject", text_input("title", NT.title, max_length=200), NT.errors["title"], name="title"),
                rx.grid(
                    field(
                        "portal.category",
                        rx.el.select(
                            *[rx.el.option(t(f"helpdesk.category.{c}"), value=c) for c in CATEGORIES],
                            name="category", default_value="question", id="field-category", class_name="kaktus-select", style={"min_height": "40px", "width": "100%"},
                        ),
                        NT.errors["category"],
                        name="category",
                    ),
                    field(
                        "portal.order_optional",
                        rx.el.select(
                            rx.el.option("—", value=""),
                            rx.foreach(NT.orders, lambda o: rx.el.option(o["label"], value=o["value"])),
                            name="order_id", default_value="", id="field-order_id", class_name="kaktus-select", style={"min_height": "40px", "width": "100%"},
                        ),
                        NT.errors["order_id"],
                        name="order_id",
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                field(
                    "portal.description",
                    rx.text_area(name="description", id="field-description", rows="6", width="100%", size="3", placeholder=t("portal.description_placeholder")),
                    NT.errors["description"],
                    name="description",
                ),
                file_picker(NEW_TICKET_FILES, NT.files_rejected),
                rx.cond(NT.errors["attachments"], rx.text(NT.errors["attachments"], color_scheme="red", size="1", class_name="field-error", id="error-attachments")),
                rx.hstack(
                    rx.spacer(),
                    rx.link(rx.button(t("common.cancel"), type="button", variant="soft", color_scheme="gray", size="3"), href="/portal/tickets"),
                    rx.button(rx.icon("send", size=16), t("portal.submit_ticket"), type="submit", size="3", id="portal-ticket-submit"),
                    width="100%",
                    spacing="2",
                ),
            ),
            on_submit=lambda form: NT.submit(rx.upload_files(upload_id=NEW_TICKET_FILES), form),
            reset_on_submit=False,
            key=NT.form_key.to_string(),
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


# --------------------------------------------------------------------------------------------- FAQ

FQ = PortalFaqState


def _article_row(row: rx.Var) -> rx.Component:
    return rx.link(
        rx.box(
            rx.text(row["title"].to(str), size="3", weight="medium"),
            rx.text(row["excerpt"].to(str), size="2", color_scheme="gray", padding_top="0.2rem"),
            rx.cond(row["category_name"].to(str) != "", rx.badge(row["category_name"].to(str), variant="soft", margin_top="0.4rem")),
            padding="0.8rem 1rem",
            border_radius="12px",
            border=f"1px solid {rx.color('gray', 5)}",
            background=rx.color("gray", 1),
            _hover={"border_color": rx.color("teal", 8)},
            width="100%",
        ),
        href="/portal/faq/" + row["id"].to_string(),
        underline="none",
        color="inherit",
        width="100%",
        class_name="portal-article-row",
    )


def _open_ticket_prompt() -> rx.Component:
    return panel(
        rx.flex(
            rx.vstack(
                rx.text(t("portal.not_found_prompt"), size="3", weight="medium"),
                rx.text(t("portal.not_found_prompt_help"), size="2", color_scheme="gray"),
                spacing="1",
            ),
            rx.spacer(),
            rx.link(rx.button(rx.icon("life-buoy", size=16), t("portal.open_ticket"), size="3"), href=FQ.new_ticket_href, id="portal-faq-open-ticket"),
            direction=rx.breakpoints(initial="column", sm="row"),
            align=rx.breakpoints(initial="stretch", sm="center"),
            gap="0.75rem",
            width="100%",
        ),
    )


@portal_page("/portal/faq", "portal.nav.faq", on_load=FQ.load)
def faq_page() -> rx.Component:
    return rx.vstack(
        page_title(t("portal.faq_title"), subtitle=t("portal.faq_help")),
        rx.input(
            rx.input.slot(rx.icon("search", size=18)),
            placeholder=t("portal.faq_search"),
            default_value=FQ.text,
            on_change=FQ.search.debounce(350),
            size="3",
            width="100%",
            id="portal-faq-search",
            type="search",
        ),
        rx.cond(
            FQ.categories.length() > 0,
            rx.flex(
                rx.button(t("portal.filter.all"), size="1", radius="full", variant=rx.cond(FQ.category_id == "", "solid", "soft"), on_click=FQ.set_category("")),
                rx.foreach(
                    FQ.categories,
                    lambda c: rx.button(
                        c["name"].to(str), size="1", radius="full",
                        variant=rx.cond(FQ.category_id == c["id"].to_string(), "solid", "soft"),
                        on_click=FQ.set_category(c["id"].to_string()),
                        class_name="portal-faq-category",
                    ),
                ),
                gap="0.4rem",
                wrap="wrap",
            ),
        ),
        rx.cond(
            (FQ.text == "") & (FQ.category_id == "") & (FQ.total > FQ.popular.length()),
            panel(
                rx.heading(t("portal.most_read"), size="3"),
                rx.vstack(
                    rx.foreach(
                        FQ.popular,
                        lambda row: rx.link(
                            rx.hstack(rx.icon("book-open", size=14, flex_shrink="0"), rx.text(row["title"].to(str), size="2"), align="center", spacing="2"),
                            href="/portal/faq/" + row["id"].to_string(),
                            class_name="portal-popular-link",
                        ),
                    ),
                    spacing="2",
                    width="100%",
                    id="portal-faq-popular",
                ),
            ),
        ),
        rx.heading(rx.cond((FQ.text == "") & (FQ.category_id == ""), t("portal.all_articles"), t("portal.results", count=FQ.total)), size="3", id="portal-faq-results-title"),
        rx.vstack(rx.foreach(FQ.rows, _article_row), spacing="2", width="100%", id="portal-faq-results"),
        rx.cond(FQ.rows.length() == 0, rx.text(t("portal.no_articles"), size="2", color_scheme="gray", id="portal-faq-empty")),
        pager(FQ.page, FQ.pages, FQ.prev_page, FQ.next_page),
        _open_ticket_prompt(),
        spacing="3",
        width="100%",
    )


AR = PortalArticleState


@portal_page("/portal/faq/[article_id]", "portal.nav.faq", on_load=AR.load)
def article_page() -> rx.Component:
    a = AR.article
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), t("portal.all_articles"), align="center", spacing="1"), href="/portal/faq", size="2"),
        rx.cond(
            AR.not_found,
            rx.callout(t("error.not_found"), icon="circle-alert", color_scheme="red", id="portal-not-found"),
            rx.cond(
                a.contains("id"),
                rx.vstack(
                    panel(
                        rx.heading(a["title"].to(str), size="6", id="portal-title", word_break="break-word"),
                        rx.flex(
                            rx.cond(a["category_name"].to(str) != "", rx.badge(a["category_name"].to(str), variant="soft")),
                            rx.text(t("portal.updated", when=a["updated_label"].to(str)), size="1", color_scheme="gray"),
                            gap="0.5rem",
                            align="center",
                            wrap="wrap",
                        ),
                        rx.box(
                            rx.markdown(a["body"].to(str), use_raw=False, use_math=False, use_katex=False),
                            id="portal-article-body",
                            class_name="portal-article-body",
                            width="100%",
                            overflow_x="auto",
                        ),
                    ),
                    panel(
                        rx.cond(
                            AR.voted == "",
                            rx.flex(
                                rx.text(t("portal.helpful_question"), size="3", weight="medium"),
                                rx.spacer(),
                                rx.hstack(
                                    rx.button(rx.icon("thumbs-up", size=16), t("common.yes"), variant="soft", size="3", on_click=AR.vote(True), id="portal-vote-yes"),
                                    rx.button(rx.icon("thumbs-down", size=16), t("common.no"), variant="soft", color_scheme="gray", size="3", on_click=AR.vote(False), id="portal-vote-no"),
                                    spacing="2",
                                ),
                                direction=rx.breakpoints(initial="column", sm="row"),
                                align=rx.breakpoints(initial="start", sm="center"),
                                gap="0.75rem",
                                width="100%",
                            ),
                            rx.vstack(
                                rx.text(t("portal.thanks_vote"), size="3", weight="medium", id="portal-vote-thanks"),
                                rx.text(t("portal.vote_counts", yes=a["helpful_yes"].to(int), no=a["helpful_no"].to(int)), size="2", color_scheme="gray"),
                                rx.cond(
                                    AR.voted == "no",
                                    rx.link(rx.button(rx.icon("life-buoy", size=16), t("portal.open_ticket"), size="3"), href=AR.new_ticket_href, id="portal-article-open-ticket"),
                                ),
                                spacing="2",
                            ),
                        ),
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.center(rx.spinner(size="3"), padding="3rem"),
            ),
        ),
        spacing="3",
        width="100%",
    )


# --------------------------------------------------------------------------------------- documents

DC = PortalDocumentsState


def _document_card(row: rx.Var) -> rx.Component:
    return rx.box(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.text(row["number"].to(str), size="3", weight="bold", class_name="portal-doc-number"),
                    rx.badge(row["state_label"].to(str), color_scheme=row["color"].to(str), variant="soft", radius="full"),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                rx.text(row["type_label"].to(str), " · ", row["date"].to(str), size="1", color_scheme="gray"),
                rx.cond(
                    row["due"].to(str) != "",
                    rx.text(
                        rx.cond(row["kind"].to(str) == "invoice", t("portal.due", date=row["due"].to(str)), t("portal.valid_until", date=row["due"].to(str))),
                        size="1",
                        color=rx.cond(row["overdue"].to(bool), rx.color("red", 11), rx.color("gray", 11)),
                    ),
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.flex(
                rx.vstack(
                    rx.text(row["total_label"].to(str), size="3", weight="medium"),
                    rx.cond(row["balance_label"].to(str) != "", rx.text(t("portal.balance", amount=row["balance_label"].to(str)), size="1", color=rx.color("amber", 11))),
                    align=rx.breakpoints(initial="start", sm="end"),
                    spacing="0",
                ),
                rx.button(
                    rx.icon("file-down", size=16), "PDF", variant="soft", size="2",
                    on_click=DC.download(row["kind"].to(str), row["id"].to(int)),
                    class_name="portal-doc-pdf",
                    aria_label="PDF",
                ),
                align="center",
                gap="0.75rem",
                justify="between",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            gap="0.6rem",
            width="100%",
        ),
        padding="0.85rem 1rem",
        border_radius="12px",
        border=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        width="100%",
        class_name="portal-doc-row",
    )


@portal_page("/portal/documents", "portal.nav.documents", on_load=DC.load)
def documents_page() -> rx.Component:
    return rx.vstack(
        page_title(t("portal.documents_title"), subtitle=t("portal.documents_help")),
        rx.segmented_control.root(
            rx.segmented_control.item(t("portal.invoices"), value="invoices"),
            rx.segmented_control.item(t("portal.orders"), value="orders"),
            rx.segmented_control.item(t("portal.quotations"), value="quotations"),
            value=DC.kind,
            on_change=DC.set_kind,
            id="portal-doc-kind",
        ),
        rx.vstack(rx.foreach(DC.rows, _document_card), spacing="2", width="100%", id="portal-doc-list"),
        rx.cond(DC.rows.length() == 0, panel(rx.text(t("portal.no_documents"), size="2", color_scheme="gray"), id="portal-no-documents")),
        pager(DC.page, DC.pages, DC.prev_page, DC.next_page),
        spacing="4",
        width="100%",
    )


# ----------------------------------------------------------------------------------------- profile

PF = PortalProfileState


@portal_page("/portal/profile", "portal.nav.profile", on_load=PF.load)
def profile_page() -> rx.Component:
    return rx.vstack(
        page_title(t("portal.profile_title"), subtitle=PF.values["company_name"]),
        rx.form(
            panel(
                rx.heading(t("portal.your_details"), size="3"),
                field("portal.email", rx.input(value=PF.values["email"], read_only=True, disabled=True, width="100%", size="3", id="field-email"), name="email", hint_key="portal.email_fixed"),
                field("portal.full_name", text_input("full_name", PF.values["full_name"], auto_complete="name"), PF.errors["full_name"], name="full_name"),
                field("portal.phone", text_input("phone", PF.values["phone"], type="tel", auto_complete="tel", placeholder="0812-3456-7890"), PF.errors["phone"], name="phone"),
                field(
                    "portal.language",
                    rx.el.select(
                        rx.el.option("Bahasa Indonesia", value="id"),
                        rx.el.option("English", value="en"),
                        name="language", default_value=PF.values["language"], id="field-language", class_name="kaktus-select", style={"min_height": "40px"},
                    ),
                    PF.errors["language"],
                    name="language",
                ),
                rx.hstack(rx.spacer(), rx.button(rx.icon("save", size=16), t("common.save"), type="submit", size="3", id="portal-profile-save"), width="100%"),
            ),
            on_submit=PF.save,
            reset_on_submit=False,
            key=PF.form_key.to_string(),
            width="100%",
        ),
        rx.form(
            panel(
                rx.heading(rx.cond(PF.has_password, t("portal.change_password"), t("portal.set_password")), size="3"),
                rx.cond(PF.has_password, rx.fragment(), rx.text(t("portal.no_password_yet"), size="2", color_scheme="gray")),
                *_password_fields(PF.password_errors, current=PF.has_password),
                rx.hstack(rx.spacer(), rx.button(t("portal.save_password"), type="submit", size="3", id="portal-password-save"), width="100%"),
            ),
            on_submit=PF.change_password,
            reset_on_submit=False,
            key="pw-" + PF.password_key.to_string(),
            width="100%",
        ),
        panel(
            rx.flex(
                rx.text(t("portal.sign_out_help"), size="2", color_scheme="gray"),
                rx.spacer(),
                rx.button(rx.icon("log-out", size=16), t("portal.sign_out"), color_scheme="red", variant="soft", size="3", on_click=PortalState.logout, id="portal-profile-logout"),
                direction=rx.breakpoints(initial="column", sm="row"),
                align=rx.breakpoints(initial="stretch", sm="center"),
                gap="0.75rem",
            ),
        ),
        spacing="4",
        width="100%",
    )
