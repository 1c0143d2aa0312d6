"""The map page and the sales territories page."""

from __future__ import annotations

import reflex as rx

from kaktus_app import db
from kaktus_app.auth import service as auth_service
from kaktus_app.auth.state import require_actor
from kaktus_app.errors import DomainError
from kaktus_app.geo import charts, service
from kaktus_app.i18n import translate
from kaktus_app.ui.form_state import error_messages, query_param, show_errors
from kaktus_app.ui.lang import current_lang

LAYERS = ("customers", "deals", "tickets", "provinces")
MAP_POINT_LIMIT = 2000  # beyond it the service sends one point per city


class MapState(rx.State):
    province: str = ""
    city: str = ""
    owner_id: str = ""
    segment: str = ""
    color_by: str = "segment"
    layers: list[str] = ["customers", "provinces"]
    figure: dict = {}
    _trace_ids: list[list[int]] = []
    total: int = 0
    clustered: bool = False
    province_rows: list[dict[str, str]] = []
    provinces: list[dict[str, str]] = []
    owners: list[dict[str, str]] = []
    loaded: bool = False

    # the selection list (box / lasso)
    selected_rows: list[dict[str, str]] = []
    selected_total: int = 0
    selection_open: bool = False
    _selection: dict = {}
    selection_page: int = 1
    selection_pages: int = 1

    # what could not be placed
    unplaced_rows: list[dict[str, str]] = []
    unplaced_total: int = 0
    geocode_message: str = ""

    def _filters(self) -> dict:
        return {"province": self.province, "city": self.city.strip(), "owner_id": self.owner_id, "segment": self.segment}

    async def _reload(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        lang = await current_lang(self)
        filters = self._filters()
        try:
            points = await db.run(service.map_points, actor, filters, limit=MAP_POINT_LIMIT)
            totals = await db.run(service.province_totals, actor, filters)
            deals = await db.run(service.opportunity_points, actor, filters) if "deals" in self.layers else []
            tickets = await db.run(service.ticket_points, actor, filters) if "tickets" in self.layers else []
            unplaced = await db.run(service.unplaced_customers, actor, page=1, per_page=10)
        except DomainError as exc:
            self.loaded = True
            return rx.toast.error(exc.message(lang))
        self.figure, self._trace_ids = charts.customer_map(points, totals, deals, color_by=self.color_by, layers=list(self.layers), lang=lang, tickets=tickets)
        self.total = points["total"]
        self.clustered = bool(points.get("clustered"))
        self.province_rows = [
            {
                "province": t["province"] or translate("geo.no_province", lang), "customers": str(t["customers"]),
                "open_pipeline": charts.format_idr(t["open_pipeline"]) if t["open_pipeline"] is not None else "—",
                "won_revenue": charts.format_idr(t["won_revenue"]) if t["won_revenue"] is not None else "—",
                "open_tickets": str(t["open_tickets"]),
            }
            for t in totals
        ]
        self.unplaced_rows = [{"id": str(r["id"]), "name": r["name"], "city": r["city"], "province": r["province"]} for r in unplaced["rows"]]
        self.unplaced_total = unplaced["total"]
        self.loaded = True

    @rx.event
    async def load(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        self.provinces = [{"value": p["province"], "label": p["province"]} for p in service.provinces()]
        users = await db.run(auth_service.list_users)
        self.owners = [{"value": str(u["id"]), "label": u["name"]} for u in users]
        if query_param(self, "province"):
            self.province = service.normalise_province(query_param(self, "province"))
        self.selection_open = False
        self.geocode_message = ""
        await self._reload()

    @rx.event
    async def set_filter(self, name: str, value: str):
        if name in ("province", "owner_id", "segment", "color_by"):
            setattr(self, name, "" if value == "all" else value)
            await self._reload()

    @rx.event
    async def set_city(self, form: dict):
        self.city = str(form.get("city") or "")[:80]
        await self._reload()

    @rx.event
    async def toggle_layer(self, layer: str, on: bool):
        if layer in LAYERS:
            layers = [x for x in self.layers if x != layer]
            self.layers = layers + [layer] if on else layers
            await self._reload()

    @rx.event
    async def clear_filters(self):
        self.province = self.city = self.owner_id = self.segment = ""
        await self._reload()

    async def _load_selection(self):
        actor = await require_actor(self)
        if "ids" in self._selection:
            result = await db.run(service.customers_by_ids, actor, self._selection["ids"], page=self.selection_page, per_page=15)
        else:
            box = self._selection["box"]
            result = await db.run(service.customers_in_box, actor, *box, self._filters(), page=self.selection_page, per_page=15)
        self.selected_rows = [
            {"id": str(r["id"]), "name": r["name"], "city": r["city"] or "", "province": r["province"] or "", "owner": r["owner"] or "",
             "segment": r["segment"] or ""}
            for r in result["rows"]
        ]
        self.selected_total = result["total"]
        self.selection_pages = max(1, -(-result["total"] // 15))

    @rx.event
    async def select_points(self, points: list[dict]):
        """A box or lasso selection: single customers by id, city clusters by the box around them."""
        if not points:
            return
        ids: list[int] = []
        lats, lons = [], []
        for p in points:
            curve, index = p.get("curveNumber"), p.get("pointNumber")
            if curve is None or index is None or curve >= len(self._trace_ids):
                continue
            trace = self._trace_ids[curve]
            if trace:
                if index < len(trace):
                    ids.append(trace[index])
            elif p.get("lat") is not None and p.get("lon") is not None:
                lats.append(float(p["lat"]))
                lons.append(float(p["lon"]))
        if ids:
            self._selection = {"ids": ids[: service.MAX_SELECTED_IDS]}
        elif lats and self.clustered:
            pad = 0.05
            self._selection = {"box": [min(lats) - pad, max(lats) + pad, min(lons) - pad, max(lons) + pad]}
        else:
            return
        self.selection_page = 1
        self.selection_open = True
        await self._load_selection()
        return rx.scroll_to("selection-panel")

    @rx.event
    async def selection_prev(self):
        if self.selection_page > 1:
            self.selection_page -= 1
            await self._load_selection()

    @rx.event
    async def selection_next(self):
        if self.selection_page < self.selection_pages:
            self.selection_page += 1
            await self._load_selection()

    @rx.event
    def close_selection(self):
        self.selection_open = False
        self.selected_rows = []

    @rx.event
    async def geocode_missing(self):
        actor = await require_actor(self)
        lang = await current_lang(self)
        try:
            report = await db.run(service.geocode_all, actor)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        self.geocode_message = translate("geo.geocoded", lang, placed=report["placed"], unplaced=report["unplaced"])
        await self._reload()
        return rx.toast.success(self.geocode_message)


class TerritoryState(rx.State):
    rows: list[dict[str, str]] = []
    provinces: list[dict[str, str]] = []
    cities: list[dict[str, str]] = []
    owners: list[dict[str, str]] = []
    values: dict[str, str] = {"province": "", "city": "", "owner_id": ""}
    errors: dict[str, str] = {}
    form_key: int = 0

    async def _reload(self):
        self.rows = [
            {"id": str(r["id"]), "province": r["province"], "city": r["city"], "owner": r["owner"], "owner_id": str(r["owner_id"])}
            for r in await db.run(service.list_territories)
        ]

    @rx.event
    async def load(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        self.provinces = [{"value": p["province"], "label": p["province"]} for p in service.provinces()]
        users = await db.run(auth_service.list_users)
        self.owners = [{"value": str(u["id"]), "label": u["name"]} for u in users]
        self.errors = {}
        await self._reload()

    @rx.event
    def pick_province(self, province: str):
        self.values = {**self.values, "province": province, "city": ""}
        self.cities = [{"value": c["name"], "label": c["name"]} for c in service.cities(province)] if province else []
        self.form_key += 1

    @rx.event
    async def save(self, form: dict):
        actor = await require_actor(self)
        self.values = {k: str(form.get(k) or "") for k in ("province", "city", "owner_id")}
        try:
            await db.run(service.save_territory, actor, self.values["province"], self.values["city"], self.values["owner_id"])
        except DomainError as exc:
            return await show_errors(self, exc, "errors")
        lang = await current_lang(self)
        self.errors = {}
        self.values = {"province": "", "city": "", "owner_id": ""}
        self.cities = []
        self.form_key += 1
        await self._reload()
        return rx.toast.success(translate("geo.territory_saved", lang))

    @rx.event
    async def delete(self, territory_id: str):
        actor = await require_actor(self)
        try:
            await db.run(service.delete_territory, actor, int(territory_id))
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        await self._reload()


class MapPickState(rx.State):
    """The customer form's "Pick on the map" dialog. It reads the form's typed coordinates, city and
    province when it opens and, on "Use this point", writes the chosen point into the form's latitude
    and longitude fields (nothing is saved until the form is)."""

    open: bool = False
    figure: dict = {}
    zoom: int = 0
    centre: list[float] = [0.0, 0.0]
    pin: list[float] = []
    place: str = ""
    error: str = ""

    async def _draw(self):
        lang = await current_lang(self)
        box = service.pick_view_box(self.centre[0], self.centre[1], self.zoom)
        places = service.places_in_view(box)
        self.figure = charts.pick_map(box, self.pin or None, places, lang)

    @rx.var
    def pin_label(self) -> str:
        return f"{self.pin[0]:.5f}, {self.pin[1]:.5f}" if len(self.pin) == 2 else ""

    @rx.event
    async def start(self, typed: list):
        """``typed``: [latitude, longitude, city, province] as they stand in the form."""
        try:
            await require_actor(self)
        except DomainError:
            return
        values = [str(v or "") for v in (list(typed or []) + ["", "", "", ""])[:4]]
        view = service.pick_start(*values)
        self.centre, self.zoom = [view["lat"], view["lon"]], view["zoom"]
        self.pin = list(view["pin"]) if view["pin"] else []
        self.place, self.error = view["place"], ""
        await self._draw()
        self.open = True

    @rx.event
    async def pick(self, point: list):
        """A click on the map: ``point`` is [lat, lon] as the browser inverted the projection ([] off the map)."""
        try:
            lat, lon = service.picked_point(point)
        except DomainError as exc:
            fields, general = await error_messages(self, exc)
            self.error = fields.get("point", general)
            return
        self.pin, self.error = [lat, lon], ""
        await self._draw()

    @rx.event
    async def zoom_by(self, step: int):
        self.zoom = max(0, min(service.PICK_MAX_ZOOM, self.zoom + int(step)))
        if len(self.pin) == 2:
            self.centre = list(self.pin)
        await self._draw()

    @rx.event
    def set_open(self, value: bool):
        self.open = bool(value)

    @rx.event
    def use(self):
        if len(self.pin) != 2:
            return
        self.open = False
        return [rx.set_value("field-latitude", f"{self.pin[0]:.5f}"), rx.set_value("field-longitude", f"{self.pin[1]:.5f}")]
