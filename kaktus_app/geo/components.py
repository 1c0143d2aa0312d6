"""The "Pick on the map" control of the customer form: a button beside the coordinates and its dialog.

Plotly's geo map sends no click event where there is no point, so the dialog's map sits in a div
whose mouse-up handler inverts the map's own projection in the browser (the pixel under the pointer
→ longitude / latitude) and sends only that pair to ``MapPickState.pick``. The outlines are the
offline ones of the map page (``assets/topojson/``).
"""

from __future__ import annotations

import reflex as rx
from plotly.graph_objects import Figure
from reflex.event import EventHandler, JavascriptMouseEvent
from reflex.vars import ObjectVar, Var
from reflex.vars.function import FunctionStringVar

from kaktus_app.geo.state import MapPickState as P
from kaktus_app.ui.components import field_access
from kaktus_app.ui.lang import t

PICK_CONFIG = {"displaylogo": False, "displayModeBar": False, "scrollZoom": False, "responsive": True, "topojsonURL": "/topojson/"}

# [lat, lon] under the pointer, or [] when it is outside the map's plot area.
# The projection maps degrees to pixels of the plot area (the main svg less its margins): invert it
# at the click's position.
_POINT_UNDER_POINTER = FunctionStringVar.create(
    """((e) => {
  const gd = e.currentTarget.querySelector('.js-plotly-plot');
  const geo = gd && gd._fullLayout && gd._fullLayout.geo && gd._fullLayout.geo._subplot;
  if (!geo) return [];
  const r = gd.querySelector('.main-svg').getBoundingClientRect();
  const size = gd._fullLayout._size;
  const x = e.clientX - r.left - size.l, y = e.clientY - r.top - size.t;
  if (x < 0 || y < 0 || x > size.w || y > size.h) return [];
  const p = geo.projection.invert([x, y]);
  return (p && isFinite(p[0]) && isFinite(p[1])) ? [p[1], p[0]] : [];
})"""
)


def _point_under_pointer(e: ObjectVar[JavascriptMouseEvent]) -> tuple[Var[list]]:
    return (_POINT_UNDER_POINTER.call(e).to(list),)


class MapClickArea(rx.el.Div):
    """A div that reports the [lat, lon] under the pointer of the plotly geo map inside it when the
    mouse button is released (``on_mouse_up``): plotly takes the mouse down on its map for its own
    dragging, so the browser sends no click event there."""

    on_mouse_up: EventHandler[_point_under_pointer]


map_click_area = MapClickArea.create

_READ_FORM = (
    "['field-latitude', 'field-longitude', 'field-city', 'field-province']"
    ".map((id) => (document.getElementById(id) || {value: ''}).value)"
)


def pick_button() -> rx.Component:
    """Opens the dialog on what the form holds now (typed, not yet saved, values too); left out for a
    profile that may not change the coordinates."""
    lat_hidden, lat_readonly = field_access("customers", "latitude")
    lon_hidden, lon_readonly = field_access("customers", "longitude")
    return rx.cond(
        lat_hidden | lat_readonly | lon_hidden | lon_readonly,
        rx.fragment(),
        rx.button(
            rx.icon("map-pin", size=14), t("geo.pick_on_map"), type="button", variant="soft", size="2", id="pick-on-map",
            on_click=rx.call_script(_READ_FORM, callback=P.start),
        ),
    )


def pick_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("geo.pick_title")),
            rx.dialog.description(t("geo.pick_hint"), size="2", color_scheme="gray"),
            rx.vstack(
                map_click_area(
                    rx.plotly.geo(data=P.figure.to(Figure), config=PICK_CONFIG, use_resize_handler=True, width="100%"),
                    on_mouse_up=P.pick,
                    id="pick-map",
                    width="100%",
                    style={"cursor": "crosshair"},
                ),
                rx.cond(P.error != "", rx.text(P.error, color_scheme="red", size="2", id="pick-error", class_name="field-error")),
                rx.hstack(
                    rx.icon_button(rx.icon("zoom-in", size=16), type="button", variant="soft", on_click=P.zoom_by(1), id="pick-zoom-in", aria_label=t("geo.zoom_in"), title=t("geo.zoom_in")),
                    rx.icon_button(rx.icon("zoom-out", size=16), type="button", variant="soft", on_click=P.zoom_by(-1), id="pick-zoom-out", aria_label=t("geo.zoom_out"), title=t("geo.zoom_out")),
                    rx.cond(
                        P.pin_label != "",
                        rx.text(t("geo.pick_chosen"), " ", rx.code(P.pin_label, id="pick-point"), size="2"),
                        rx.text(rx.cond(P.place != "", t("geo.pick_opened_on") + " " + P.place, t("geo.pick_nothing")), size="2", color_scheme="gray", id="pick-point-none"),
                    ),
                    rx.spacer(),
                    rx.dialog.close(rx.button(t("common.cancel"), type="button", variant="soft", color_scheme="gray", id="pick-cancel")),
                    rx.button(t("geo.pick_use"), type="button", on_click=P.use, disabled=P.pin_label == "", id="pick-use"),
                    width="100%",
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="820px",
            id="pick-dialog",
        ),
        open=P.open,
        on_open_change=P.set_open,
    )
