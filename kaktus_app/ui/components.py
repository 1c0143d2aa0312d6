"""Generic building blocks: page header, sortable table, pagination, form fields, badges."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from kaktus_app.ui.lang import t


def page_header(title: rx.Var | str, *actions: rx.Component, subtitle: rx.Var | str | None = None) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.heading(title, size="6", id="page-title"),
            rx.text(subtitle, color_scheme="gray", size="2", id="page-subtitle") if subtitle is not None else rx.fragment(),
            spacing="1",
        ),
        rx.spacer(),
        *actions,
        align="center",
        width="100%",
        padding_bottom="0.75rem",
        wrap="wrap",
        spacing="3",
    )


def sort_header(label_key: str, column: str, sort_by: rx.Var, sort_desc: rx.Var, on_sort: Callable) -> rx.Component:
    """A column header that sorts by ``column`` on click and shows the direction."""
    arrow = rx.cond(sort_by == column, rx.cond(sort_desc, " ↓", " ↑"), "")
    return rx.table.column_header_cell(
        rx.el.button(
            t(label_key),
            arrow,
            on_click=on_sort(column),
            style={"background": "none", "border": "none", "cursor": "pointer", "font_weight": "600", "padding": 0},
            data_sort=column,
        )
    )


def plain_header(label_key: str) -> rx.Component:
    return rx.table.column_header_cell(t(label_key))


def data_table(headers: list[rx.Component], rows: rx.Var, render_row: Callable, *, empty_key: str = "common.no_results", table_id: str = "") -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*headers)),
            rx.table.body(rx.foreach(rows, render_row)),
            variant="surface",
            size="2",
            width="100%",
            id=table_id or None,
        ),
        rx.cond(rows.length() == 0, rx.center(rx.text(t(empty_key), color_scheme="gray"), padding="2rem")),
        width="100%",
        overflow_x="auto",
    )


def pagination(page: rx.Var, pages: rx.Var, total_label: rx.Var, on_prev, on_next) -> rx.Component:
    return rx.hstack(
        rx.text(total_label, size="2", color_scheme="gray", id="list-count"),
        rx.spacer(),
        rx.button(t("common.previous"), on_click=on_prev, variant="soft", disabled=page <= 1, id="page-prev"),
        rx.text(t("common.page_of", page=page, pages=pages), size="2"),
        rx.button(t("common.next"), on_click=on_next, variant="soft", disabled=page >= pages, id="page-next"),
        align="center",
        width="100%",
        padding_top="0.75rem",
    )


def filter_select(name: str, value: rx.Var, options: list[tuple[str, str]] | rx.Var, on_change: Callable, *, all_key: str = "", element_id: str = "") -> rx.Component:
    """A list or chart filter: a <select> that applies on change. With ``all_key`` its first option
    ("All …", value "all") stands for the empty value. ``options`` are (value, label_key) pairs or a
    Var list of {"value", "label"} dicts."""
    if isinstance(options, rx.Var):
        children = [rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["value"]))]
    else:
        children = [rx.el.option(t(label), value=v) for v, label in options]
    return rx.el.select(
        *([rx.el.option(t(all_key), value="all")] if all_key else []),
        *children,
        value=rx.cond(value == "", "all", value) if all_key else value,
        on_change=lambda chosen: on_change(name, chosen),
        class_name="kaktus-select",
        id=element_id or f"filter-{name}",
    )


def field(label_key: str, control: rx.Component, error: rx.Var | str = "", *, hint_key: str = "") -> rx.Component:
    """A labelled form control with its error message right under it."""
    return rx.vstack(
        rx.text(t(label_key), size="2", weight="medium"),
        control,
        rx.cond(error, rx.text(error, color_scheme="red", size="1", class_name="field-error", id=f"error-{label_key.split('.')[-1]}")),
        rx.cond(hint_key != "", rx.text(t(hint_key) if hint_key else "", size="1", color_scheme="gray")),
        spacing="1",
        width="100%",
        align="stretch",
    )


def field_access(module: str, name: str) -> tuple[rx.Var, rx.Var]:
    """(hidden, read-only) of a field for the signed-in user's profile. Only the look: the services
    refuse and blank the same fields again."""
    from kaktus_app.auth.state import AuthState

    key = f"{module}.{name}"
    return AuthState.hidden_fields.contains(key), AuthState.readonly_fields.contains(key)


def guarded(module: str, name: str, component: rx.Component) -> rx.Component:
    """``component`` unless the user's profile hides the field."""
    hidden, _ = field_access(module, name)
    return rx.cond(hidden, rx.fragment(), component)


def protected(module: str, name: str, label_key: str, make_control: Callable, error: rx.Var | str = "", **field_props) -> rx.Component:
    """A form field that follows the profile's field access: left out when hidden, disabled when
    read-only (a disabled control is not submitted, so its stored value stays)."""
    from kaktus_app.auth.permissions import FIELDS

    if name not in FIELDS.get(module, {}):
        return field(label_key, make_control(False), error, **field_props)
    hidden, readonly = field_access(module, name)
    return rx.cond(hidden, rx.fragment(), field(label_key, make_control(readonly), error, **field_props))


def text_input(name: str, value: rx.Var | str = "", **props) -> rx.Component:
    return rx.input(name=name, default_value=value, id=f"field-{name}", width="100%", **props)


def text_area(name: str, value: rx.Var | str = "", **props) -> rx.Component:
    return rx.text_area(name=name, default_value=value, id=f"field-{name}", width="100%", rows="3", **props)


def select_field(name: str, options: list[tuple[str, str]] | rx.Var, value: rx.Var | str = "", **props) -> rx.Component:
    """A native <select> (robust with forms and tests); ``options`` are (value, label_key) pairs
    or a Var list of {"value", "label"} dicts."""
    if isinstance(options, rx.Var):
        children = [rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["value"]))]
    else:
        children = [rx.el.option(t(label), value=v) for v, label in options]
    return rx.el.select(
        *children,
        name=name,
        default_value=value,
        id=f"field-{name}",
        class_name="kaktus-select",
        **props,
    )


def badge(text: rx.Var | str, color: rx.Var | str = "gray") -> rx.Component:
    return rx.badge(text, color_scheme=color, variant="soft", radius="full")


def tag_list(tags: rx.Var) -> rx.Component:
    return rx.hstack(rx.foreach(tags.to(list[str]), lambda tag: badge(tag, "grass")), spacing="1", wrap="wrap")


def stars(priority: rx.Var) -> rx.Component:
    return rx.text(
        rx.cond(priority >= 1, "★", "☆"),
        rx.cond(priority >= 2, "★", "☆"),
        rx.cond(priority >= 3, "★", "☆"),
        color="orange",
        size="2",
    )


def modal(title: rx.Var | str | rx.Component, *body: rx.Component, open: rx.Var, on_open_change, max_width: str | None = "480px", **content_props) -> rx.Component:
    """A dialog that a state var opens: its title (text, or a ready ``rx.dialog.title``) and body."""
    heading = title if isinstance(title, rx.Component) else rx.dialog.title(title)
    if max_width:
        content_props["max_width"] = max_width
    return rx.dialog.root(rx.dialog.content(heading, *body, **content_props), open=open, on_open_change=on_open_change)


def dialog_buttons(*buttons: rx.Component, cancel_key: str = "common.cancel", **cancel_props) -> rx.Component:
    """A dialog's foot, right-aligned: a button that closes it (Cancel), then ``buttons``."""
    cancel = rx.dialog.close(rx.button(t(cancel_key), variant="soft", type="button", **cancel_props))
    return rx.hstack(cancel, *buttons, justify="end", width="100%")


def form_modal(
    title: rx.Var | str, *fields: rx.Component, submit: rx.Component, on_submit, open: rx.Var, on_open_change, max_width: str | None = "480px", **form_props
) -> rx.Component:
    """A dialog holding one form: its fields, then Cancel and ``submit`` (a ``type="submit"`` button)."""
    form = rx.form(rx.vstack(*fields, dialog_buttons(submit), spacing="3"), on_submit=on_submit, **form_props)
    return modal(title, form, open=open, on_open_change=on_open_change, max_width=max_width)


def radio_choices(choices: list[tuple[str, str, str]], value: rx.Var, on_change, **props) -> rx.Component:
    """Radio buttons one under another: ``choices`` are (label key, value, element id)."""
    items = [rx.radio_group.item(t(label_key), value=choice, id=element_id) for label_key, choice, element_id in choices]
    return rx.radio_group.root(rx.vstack(*items, spacing="2"), value=value, on_change=on_change, **props)


def card(*children, **props) -> rx.Component:
    return rx.card(rx.vstack(*children, spacing="3", align="stretch", width="100%"), width="100%", **props)


def when_loaded(loaded: rx.Var, content: rx.Component) -> rx.Component:
    """A record's form once its data is in, a spinner until then. The page's own on_load must have
    finished too (``is_hydrated`` turns false in the browser the moment the URL changes): the form
    left from the previous record is never shown, so nothing typed into it is lost when it re-mounts."""
    return rx.cond(loaded & rx.State.is_hydrated, content, rx.center(rx.spinner(size="3"), padding="3rem", width="100%"))


def record_select(name: str, records: rx.Var, value: rx.Var | str, *, empty_label: rx.Var | str | None = None) -> rx.Component:
    """A form <select> over records ``{"id", "name"}`` (owners, customers, companies)."""
    empty = [rx.el.option(empty_label, value="")] if empty_label is not None else []
    return rx.el.select(
        *empty,
        rx.foreach(records, lambda r: rx.el.option(r["name"], value=r["id"].to_string())),
        name=name,
        default_value=value,
        class_name="kaktus-select",
        id=f"field-{name}",
    )


def export_menu(state, module: str) -> rx.Component:
    """"Export" (CSV / Excel) for a list state with ``EXPORT_MODULE``; shown with the module's export
    right (the service checks it again)."""
    from kaktus_app.auth.state import AuthState

    return rx.cond(
        AuthState.export_modules.contains(module),
        rx.menu.root(
            rx.menu.trigger(rx.button(rx.icon("download", size=16), t("integration.export"), variant="soft", id=f"{module}-export")),
            rx.menu.content(
                rx.menu.item(t("integration.export_csv"), on_click=state.export("csv"), id=f"{module}-export-csv"),
                rx.menu.item(t("integration.export_xlsx"), on_click=state.export("xlsx"), id=f"{module}-export-xlsx"),
            ),
        ),
    )


def attachment_buttons(files: rx.Var, on_download, *, id_prefix: str, class_name: str, container_id: str = "") -> rx.Component:
    """Each file ``{"id", "filename", "size_label"}`` as a button that downloads it through
    ``on_download(id)`` (a state event whose service checks who may read it)."""
    return rx.cond(
        files.length() > 0,
        rx.hstack(
            rx.foreach(
                files,
                lambda f: rx.button(
                    rx.icon("paperclip", size=12),
                    f["filename"],
                    rx.text(f["size_label"], size="1", color_scheme="gray"),
                    size="1",
                    variant="outline",
                    type="button",
                    on_click=on_download(f["id"].to(int)),
                    class_name=class_name,
                    id=id_prefix + f["id"].to_string(),
                ),
            ),
            spacing="2",
            wrap="wrap",
            id=container_id or None,
        ),
    )
