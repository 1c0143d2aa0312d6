"""The customer map as a plain plotly dict (scattergeo on plotly's own country outlines).

The outlines come from ``assets/topojson/`` (``config.topojsonURL``), so the map draws with no
network. Trace order is part of the contract with the map state: ``trace_ids[i]`` holds the
customer ids of trace ``i`` (empty for traces whose points are not single customers).
"""

from __future__ import annotations

import math

from kaktus_app.i18n import format_idr, format_idr_short, translate

SEGMENT_COLORS = {
    "corporate": "#1c7ed6", "government": "#e8590c", "retail": "#ae3ec9", "event_organiser": "#f08c00",
    "education": "#2f9e44", "healthcare": "#e03131", "hospitality": "#0c8599", "": "#868e96",
}
TICKET_COLORS = {"new": "#f03e3e", "in_progress": "#f59f00", "waiting": "#845ef7"}  # open tickets by status
STAGE_COLORS = ["#74c0fc", "#4dabf7", "#228be6", "#1864ab", "#2f9e44", "#5f3dc4", "#e64980"]
INDONESIA = {"lon": [94.0, 141.5], "lat": [-11.5, 7.0]}
PICK_NAMED_PLACES = 24  # the picking map writes the places' names when no more are in view


def _size(value: float, largest: float, low: float = 7, high: float = 30) -> float:
    if largest <= 0 or value <= 0:
        return low
    return round(low + (high - low) * math.sqrt(value / largest), 1)


def _geo_layout(height: int) -> dict:
    return {
        "height": height,
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "dragmode": "select",
        "showlegend": True,
        "legend": {"orientation": "h", "y": 0.02, "x": 0.01, "bgcolor": "rgba(255,255,255,0.75)"},
        "separators": ",.",
        "geo": {
            "scope": "asia",
            "resolution": 50,
            "projection": {"type": "mercator"},
            "lonaxis": {"range": INDONESIA["lon"]},
            "lataxis": {"range": INDONESIA["lat"]},
            "showland": True, "landcolor": "#f4f1e8",
            "showocean": True, "oceancolor": "#e7f5ff",
            "showcountries": True, "countrycolor": "#adb5bd",
            "showcoastlines": True, "coastlinecolor": "#868e96",
            "showlakes": False, "showframe": False,
            "bgcolor": "rgba(0,0,0,0)",
        },
    }


def customer_map(
    points: dict, provinces: list[dict], deals: list[dict], *, color_by: str, layers: list[str], lang: str, height: int = 470,
    tickets: list[dict] | None = None,
) -> tuple[dict, list[list[int]]]:
    """(figure, trace_ids) for the map page."""
    data: list[dict] = []
    trace_ids: list[list[int]] = []
    if "provinces" in layers and provinces:
        placed = [p for p in provinces if p.get("lat") is not None]
        largest = max((p["customers"] for p in placed), default=0)
        data.append(
            {
                "type": "scattergeo", "mode": "markers+text", "name": translate("geo.layer.provinces", lang),
                "lat": [p["lat"] for p in placed], "lon": [p["lon"] for p in placed],
                "text": [f"{p['customers']}" for p in placed], "textfont": {"size": 10, "color": "#1b1b1b"},
                "hovertext": [
                    f"<b>{p['province']}</b><br>{translate('geo.customers_n', lang, n=p['customers'])}"
                    f"<br>{translate('geo.open_pipeline', lang)}: {format_idr(p['open_pipeline']) if p['open_pipeline'] is not None else '—'}"
                    f"<br>{translate('geo.won_revenue', lang)}: {format_idr(p['won_revenue']) if p['won_revenue'] is not None else '—'}"
                    f"<br>{translate('geo.open_tickets', lang)}: {p['open_tickets']}"
                    for p in placed
                ],
                "hoverinfo": "text",
                "marker": {
                    "size": [_size(p["customers"], largest, 14, 46) for p in placed],
                    "color": [float(p["open_pipeline"] or 0) for p in placed], "colorscale": "Greens", "cmin": 0,
                    "opacity": 0.55, "line": {"width": 1, "color": "#2b8a3e"},
                },
            }
        )
        trace_ids.append([])
    if "customers" in layers:
        rows = points.get("points", [])
        if points.get("clustered"):
            largest = max((p.get("count", 1) for p in rows), default=1)
            data.append(
                {
                    "type": "scattergeo", "mode": "markers", "name": translate("geo.layer.cities", lang),
                    "lat": [p["lat"] for p in rows], "lon": [p["lon"] for p in rows],
                    "hovertext": [f"<b>{p['name']}</b><br>{translate('geo.customers_n', lang, n=p.get('count', 1))}<br>{format_idr_short(p['open_pipeline'])}" for p in rows],
                    "hoverinfo": "text",
                    "marker": {"size": [_size(p.get("count", 1), largest, 6, 34) for p in rows], "color": "#1c7ed6", "opacity": 0.7},
                }
            )
            trace_ids.append([])
        elif color_by == "pipeline":
            largest = max((float(p["won_revenue"] or 0) for p in rows), default=0)
            data.append(
                {
                    "type": "scattergeo", "mode": "markers", "name": translate("geo.layer.customers", lang),
                    "lat": [p["lat"] for p in rows], "lon": [p["lon"] for p in rows],
                    "hovertext": [_customer_hover(p, lang) for p in rows], "hoverinfo": "text",
                    "marker": {
                        "size": [_size(float(p["won_revenue"] or 0), largest) for p in rows],
                        "color": [float(p["open_pipeline"] or 0) for p in rows], "colorscale": "Viridis", "showscale": True,
                        "colorbar": {"title": {"text": translate("geo.open_pipeline", lang)}, "thickness": 10, "len": 0.5, "tickprefix": "Rp "},
                        "line": {"width": 0.5, "color": "#fff"}, "opacity": 0.85,
                    },
                }
            )
            trace_ids.append([p["id"] for p in rows])
        else:
            largest = max((float(p["won_revenue"] or 0) for p in rows), default=0)
            for segment in dict.fromkeys(p["segment"] or "" for p in rows):
                group = [p for p in rows if (p["segment"] or "") == segment]
                data.append(
                    {
                        "type": "scattergeo", "mode": "markers",
                        "name": translate(f"customers.segment.{segment}", lang) if segment else translate("geo.no_segment", lang),
                        "lat": [p["lat"] for p in group], "lon": [p["lon"] for p in group],
                        "hovertext": [_customer_hover(p, lang) for p in group], "hoverinfo": "text",
                        "marker": {
                            "size": [_size(float(p["won_revenue"] or 0), largest) for p in group],
                            "color": SEGMENT_COLORS.get(segment, "#868e96"), "line": {"width": 0.5, "color": "#fff"}, "opacity": 0.85,
                        },
                    }
                )
                trace_ids.append([p["id"] for p in group])
    if "deals" in layers and deals:
        stages = sorted({(d["sequence"], d["stage"]) for d in deals})
        largest = max((float(d["open_pipeline"] or 0) for d in deals), default=0)
        for i, (_, stage) in enumerate(stages):
            group = [d for d in deals if d["stage"] == stage]
            data.append(
                {
                    "type": "scattergeo", "mode": "markers", "name": f"{translate('geo.layer.deals', lang)}: {stage}",
                    "lat": [d["lat"] + 0.06 * (i + 1) for d in group], "lon": [d["lon"] + 0.06 * (i + 1) for d in group],
                    "hovertext": [f"<b>{d['city'] or d['province']}</b> · {stage}<br>{d['count']} · {format_idr_short(d['open_pipeline'])}" for d in group],
                    "hoverinfo": "text",
                    "marker": {
                        "symbol": "diamond", "size": [_size(float(d["open_pipeline"] or 0), largest, 6, 22) for d in group],
                        "color": STAGE_COLORS[i % len(STAGE_COLORS)], "line": {"width": 0.5, "color": "#fff"},
                    },
                }
            )
            trace_ids.append([])
    if "tickets" in layers and tickets:
        statuses = [s for s in TICKET_COLORS if any(t["status"] == s for t in tickets)]
        largest = max((t["count"] for t in tickets), default=0)
        for i, status in enumerate(statuses):
            group = [t for t in tickets if t["status"] == status]
            label = translate(f"helpdesk.status.{status}", lang)
            data.append(
                {
                    "type": "scattergeo", "mode": "markers", "name": f"{translate('geo.layer.tickets', lang)}: {label}",
                    "lat": [t["lat"] - 0.06 * (i + 1) for t in group], "lon": [t["lon"] + 0.06 * (i + 1) for t in group],
                    "hovertext": [f"<b>{t['city'] or t['province']}</b> · {label}<br>{translate('geo.tickets_count', lang, count=t['count'])}" for t in group],
                    "hoverinfo": "text",
                    "marker": {"symbol": "square", "size": [_size(float(t["count"]), largest, 7, 20) for t in group], "color": TICKET_COLORS[status], "line": {"width": 0.5, "color": "#fff"}},
                }
            )
            trace_ids.append([])
    return {"data": data, "layout": _geo_layout(height)}, trace_ids


def _customer_hover(p: dict, lang: str) -> str:
    place = ", ".join(x for x in (p.get("city"), p.get("province")) if x)
    return (
        f"<b>{p['name']}</b><br>{place}<br>{translate('geo.open_pipeline', lang)}: {format_idr_short(p['open_pipeline'])}"
        f"<br>{translate('geo.won_revenue', lang)}: {format_idr_short(p['won_revenue'])}" + (f"<br>{p['owner']}" if p.get("owner") else "")
    )


def pick_map(box: dict, pin: list[float] | None, places: list[dict], lang: str, height: int = 420) -> dict:
    """The customer form's "pick on the map" figure: the outlines in the window ``box`` ({"lat": [s, n],
    "lon": [w, e]}), the kabupaten/kota seats in it for orientation (named), and the chosen point.
    No dragging (a click places the point; the dialog's buttons zoom), so a click is never a pan."""
    layout = _geo_layout(height)
    layout["dragmode"] = False
    layout["showlegend"] = False
    layout["hovermode"] = "closest"
    layout["geo"] = {**layout["geo"], "lonaxis": {"range": box["lon"]}, "lataxis": {"range": box["lat"]}}
    # names written on the map while they fit (a close view); in a wide view only on hover
    named = len(places) <= PICK_NAMED_PLACES
    data: list[dict] = [
        {
            "type": "scattergeo", "mode": "markers+text" if named else "markers", "name": translate("geo.pick_places", lang),
            "lat": [p["latitude"] for p in places], "lon": [p["longitude"] for p in places],
            "text": [p["name"] for p in places], "textposition": "top center",
            "textfont": {"size": 10, "color": "#495057"}, "hoverinfo": "text",
            "marker": {"size": 6, "color": "#868e96", "symbol": "square"},
        },
    ]
    if pin is not None:
        data.append(
            {
                "type": "scattergeo", "mode": "markers", "name": translate("geo.pick_point", lang),
                "lat": [pin[0]], "lon": [pin[1]], "hoverinfo": "text",
                "hovertext": [f"{pin[0]:.5f}, {pin[1]:.5f}"],
                "marker": {"size": 16, "color": "#e03131", "symbol": "circle", "line": {"width": 2, "color": "#ffffff"}},
            }
        )
    return {"data": data, "layout": layout}
