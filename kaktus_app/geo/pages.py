"""The customer map (offline: plotly's country outlines served from assets/topojson) and the
sales territories."""

from __future__ import annotations

import reflex as rx
from plotly.graph_objects import Figure

from kaktus_app.auth.state import AuthState
from kaktus_app.customers.models import SEGMENTS
from kaktus_app.geo.state import MapState, TerritoryState
from kaktus_app.layout import staff_page
from kaktus_app.ui.components import card, field, filter_select, page_header, pagination
from kaktus_app.ui.lang import t

M = MapState
T = TerritoryState
MAP_CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": True, "topojsonURL": "/topojson/"}


def _select(name: str, options, all_key: str, element_id: str) -> rx.Component:
    return filter_select(name, getattr(M, name), options, M.set_filter, all_key=all_key, element_id=element_id)


def _layer(layer: str) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(checked=M.layers.contains(layer), on_change=lambda on: M.toggle_layer(layer, on), id=f"layer-{layer}"),
            rx.text(t(f"geo.layer.{layer}"), size="2"),
            spacing="1",
            align="center",
        )
    )


def _filters() -> rx.Component:
    return card(
        rx.flex(
            _select("province", M.provinces, "analytics.all_regions", "map-province"),
            rx.form(
                rx.input(name="city", default_value=M.city, placeholder=t("common.city"), id="map-city", size="2", width="150px"),
                on_submit=M.set_city,
                reset_on_submit=False,
                width="auto",
            ),
            _select("owner_id", M.owners, "analytics.all_salespeople", "map-owner"),
            _select("segment", [(s, f"customers.segment.{s}") for s in SEGMENTS], "analytics.all_segments", "map-segment"),
            _select("color_by", [("segment", "geo.color.segment"), ("pipeline", "geo.color.pipeline")], "", "map-color"),
            rx.button(rx.icon("x", size=14), t("analytics.clear"), on_click=M.clear_filters, size="1", variant="ghost"),
            wrap="wrap",
            gap="2",
            align="center",
        ),
        rx.hstack(_layer("customers"), _layer("deals"), _layer("tickets"), _layer("provinces"), spacing="4", wrap="wrap"),
        spacing="2",
    )


def _selection_panel() -> rx.Component:
    return rx.cond(
        M.selection_open,
        card(
            rx.hstack(
                rx.icon("square-dashed-mouse-pointer", size=18),
                rx.heading(t("geo.selected"), size="3"),
                rx.badge(M.selected_total, color_scheme="blue", id="selected-total"),
                rx.spacer(),
                rx.icon_button(rx.icon("x", size=16), variant="ghost", on_click=M.close_selection, aria_label=t("common.close")),
                width="100%",
                align="center",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(*[rx.table.column_header_cell(t(k)) for k in ("customers.name", "common.city", "customers.province", "customers.segment", "common.owner")])
                ),
                rx.table.body(
                    rx.foreach(
                        M.selected_rows,
                        lambda r: rx.table.row(
                            rx.table.cell(rx.link(r["name"], href="/customers/" + r["id"])),
                            rx.table.cell(r["city"]),
                            rx.table.cell(r["province"]),
                            rx.table.cell(r["segment"]),
                            rx.table.cell(r["owner"]),
                            class_name="selected-row",
                        ),
                    )
                ),
                size="1",
                width="100%",
            ),
            pagination(M.selection_page, M.selection_pages, t("common.rows_total", count=M.selected_total), M.selection_prev, M.selection_next),
            id="selection-panel",
            overflow_x="auto",
        ),
    )


def _province_table() -> rx.Component:
    return card(
        rx.heading(t("geo.province_totals"), size="3"),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[rx.table.column_header_cell(t(k)) for k in ("customers.province", "geo.customers", "geo.open_pipeline", "geo.won_revenue", "geo.open_tickets")]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        M.province_rows,
                        lambda r: rx.table.row(
                            rx.table.cell(r["province"]),
                            rx.table.cell(r["customers"], text_align="right"),
                            rx.table.cell(rx.text(r["open_pipeline"], white_space="nowrap"), text_align="right"),
                            rx.table.cell(rx.text(r["won_revenue"], white_space="nowrap"), text_align="right"),
                            rx.table.cell(r["open_tickets"], text_align="right"),
                            class_name="province-row",
                        ),
                    )
                ),
                size="1",
                width="100%",
            ),
            max_height="420px",
            overflow_y="auto",
            width="100%",
        ),
        overflow_x="auto",
    )


def _unplaced() -> rx.Component:
    return card(
        rx.hstack(
            rx.heading(t("geo.unplaced"), size="3"),
            rx.badge(M.unplaced_total, color_scheme=rx.cond(M.unplaced_total > 0, "amber", "grass"), id="unplaced-total"),
            rx.spacer(),
            rx.cond(
                AuthState.is_manager,
                rx.button(rx.icon("map-pin", size=14), t("geo.geocode_missing"), size="1", variant="soft", on_click=M.geocode_missing, id="geocode-missing"),
            ),
            width="100%",
            align="center",
        ),
        rx.text(t("geo.unplaced_hint"), size="1", color_scheme="gray"),
        rx.cond(M.geocode_message != "", rx.text(M.geocode_message, size="2", id="geocode-message")),
        rx.vstack(
            rx.foreach(
                M.unplaced_rows,
                lambda r: rx.hstack(
                    rx.link(r["name"], href="/customers/" + r["id"], size="2"),
                    rx.spacer(),
                    rx.text(r["city"], " ", r["province"], size="1", color_scheme="gray"),
                    width="100%",
                    class_name="unplaced-row",
                ),
            ),
            spacing="1",
            width="100%",
        ),
    )


@staff_page("/map", "geo.map", on_load=M.load)
def map_page() -> rx.Component:
    return rx.vstack(
        page_header(
            t("geo.map"),
            rx.link(rx.button(rx.icon("map", size=16), t("geo.territories"), variant="soft"), href="/territories"),
            subtitle=t("geo.subtitle"),
        ),
        _filters(),
        rx.cond(
            M.loaded,
            rx.vstack(
                card(
                    rx.hstack(
                        rx.text(t("geo.points_shown", n=M.total), size="2", id="map-count"),
                        rx.cond(M.clustered, rx.badge(t("geo.clustered"), color_scheme="amber")),
                        rx.spacer(),
                        rx.text(t("geo.select_hint"), size="1", color_scheme="gray"),
                        width="100%",
                        align="center",
                    ),
                    rx.plotly.geo(
                        data=M.figure.to(Figure), config=MAP_CONFIG, use_resize_handler=True, width="100%", id="customer-map",
                        on_selected=M.select_points,
                    ),
                ),
                _selection_panel(),
                rx.grid(_province_table(), _unplaced(), columns=rx.breakpoints(initial="1", lg="2"), spacing="3", width="100%"),
                width="100%",
                spacing="3",
            ),
            rx.center(rx.spinner(size="3"), height="40vh"),
        ),
        width="100%",
        spacing="3",
    )


@staff_page("/territories", "geo.territories", on_load=T.load)
def territories_page() -> rx.Component:
    return rx.vstack(
        page_header(t("geo.territories"), subtitle=t("geo.territories_subtitle")),
        rx.cond(
            AuthState.is_manager,
            card(
                rx.form(
                    rx.grid(
                        field(
                            "customers.province",
                            rx.el.select(
                                rx.el.option("—", value=""),
                                rx.foreach(T.provinces, lambda o: rx.el.option(o["label"], value=o["value"])),
                                name="province",
                                value=T.values["province"],
                                on_change=T.pick_province,
                                class_name="kaktus-select",
                                id="territory-province",
                            ),
                            T.errors["province"],
                        ),
                        field(
                            "common.city",
                            rx.el.select(
                                rx.el.option(t("geo.whole_province"), value=""),
                                rx.foreach(T.cities, lambda o: rx.el.option(o["label"], value=o["value"])),
                                name="city",
                                class_name="kaktus-select",
                                id="territory-city",
                                key=T.form_key.to_string(),
                            ),
                            T.errors["city"],
                        ),
                        field(
                            "common.owner",
                            rx.el.select(
                                rx.el.option("—", value=""),
                                rx.foreach(T.owners, lambda o: rx.el.option(o["label"], value=o["value"])),
                                name="owner_id",
                                class_name="kaktus-select",
                                id="territory-owner",
                                key=T.form_key.to_string(),
                            ),
                            T.errors["owner_id"],
                        ),
                        rx.box(rx.button(rx.icon("plus", size=16), t("geo.add_territory"), type="submit", id="territory-save"), padding_top="1.6rem"),
                        columns=rx.breakpoints(initial="1", md="4"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=T.save,
                    reset_on_submit=False,
                ),
            ),
        ),
        card(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(t(k)) for k in ("customers.province", "common.city", "common.owner")], rx.table.column_header_cell(""))),
                rx.table.body(
                    rx.foreach(
                        T.rows,
                        lambda r: rx.table.row(
                            rx.table.cell(r["province"]),
                            rx.table.cell(rx.cond(r["city"] != "", r["city"], t("geo.whole_province"))),
                            rx.table.cell(r["owner"]),
                            rx.table.cell(
                                rx.cond(
                                    AuthState.is_manager,
                                    rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red", on_click=T.delete(r["id"]), aria_label=t("common.delete")),
                                )
                            ),
                            class_name="territory-row",
                        ),
                    )
                ),
                size="1",
                width="100%",
            ),
            rx.cond(T.rows.length() == 0, rx.text(t("geo.no_territories"), color_scheme="gray", size="2")),
            rx.text(t("geo.territories_hint"), size="1", color_scheme="gray"),
        ),
        width="100%",
        spacing="3",
    )
