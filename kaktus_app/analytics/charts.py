"""Plotly figures as plain dicts, built from the small aggregates of ``analytics.service``.

No Figure objects and no DataFrames ever reach a Reflex state: a dict of a few short lists is all a
chart needs (DESIGN.md, "Small states"). Every label goes through the translation function.
"""

from __future__ import annotations

from decimal import Decimal

from kaktus_app.i18n import format_idr, format_idr_short, translate

PALETTE = ["#2f9e44", "#1c7ed6", "#f08c00", "#ae3ec9", "#e03131", "#0c8599", "#5c940d", "#d6336c", "#495057"]
WON, LOST, OPEN, WEIGHTED = "#2f9e44", "#e03131", "#1c7ed6", "#74c0fc"


def _num(value) -> float:
    return float(value) if value not in (None, "") else 0.0


def _layout(title: str = "", *, money_axis: str = "y", height: int = 320, barmode: str | None = None, legend: bool = True) -> dict:
    layout = {
        "title": {"text": title, "font": {"size": 14}} if title else None,
        "height": height,
        "margin": {"l": 56, "r": 16, "t": 36 if title else 12, "b": 48},
        "separators": ",.",  # Indonesian: 1.500.000,5
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": legend,
        "legend": {"orientation": "h", "y": -0.22},
        "hovermode": "closest",
        "font": {"family": "Inter, system-ui, sans-serif", "size": 12},
    }
    if money_axis:
        layout[f"{money_axis}axis"] = {"tickprefix": "Rp ", "tickformat": "~s", "gridcolor": "rgba(128,128,128,0.2)"}
    if barmode:
        layout["barmode"] = barmode
    return {k: v for k, v in layout.items() if v is not None}


def _hidden_money(rows: list[dict], key: str) -> bool:
    return bool(rows) and all(r.get(key) is None for r in rows)


def _faded(rows: list[dict]) -> list[float] | None:
    """Under a click filter the chosen bar or slice stands out: the others' opacity (None: no filter)."""
    if not any(r.get("selected") for r in rows):
        return None
    return [1.0 if r.get("selected") else 0.35 for r in rows]


def _marker(color: str, opacity: list[float] | None) -> dict:
    return {"color": color} if opacity is None else {"color": color, "opacity": opacity}


def pipeline_by_stage(rows: list[dict], lang: str) -> dict:
    """Bars per stage: expected and weighted revenue (or counts when revenue is hidden from the user);
    under a stage filter the chosen stage is drawn solid, the others faded."""
    stages = [r["stage"] for r in rows]
    counts = [r["count"] for r in rows]
    opacity = _faded(rows)
    if _hidden_money(rows, "expected"):
        data = [{"type": "bar", "x": stages, "y": counts, "name": translate("analytics.count", lang), "marker": _marker(OPEN, opacity)}]
        return {"data": data, "layout": _layout(money_axis="", legend=False)}
    text = [f"{c} · {format_idr_short(r['expected'])}" for c, r in zip(counts, rows, strict=True)]
    data = [
        {
            "type": "bar", "x": stages, "y": [_num(r["expected"]) for r in rows], "name": translate("analytics.expected", lang),
            "marker": _marker(OPEN, opacity), "text": text, "textposition": "outside", "cliponaxis": False, "textfont": {"size": 11}, "constraintext": "none",
            "hovertemplate": "%{x}<br>%{text}<extra></extra>",
        },
        {
            "type": "bar", "x": stages, "y": [_num(r["weighted"]) for r in rows], "name": translate("analytics.weighted", lang),
            "marker": _marker(WEIGHTED, opacity), "hovertemplate": "%{x}<br>Rp %{y:,.0f}<extra></extra>",
        },
    ]
    return {"data": data, "layout": _layout(barmode="group")}


def pipeline_by_period(rows: list[dict], stage_order: list[tuple[int, str]], lang: str) -> dict:
    """Stacked bars: expected revenue per closing period, one trace per stage (trace i = stage_order[i])."""
    periods = sorted({r["period"] for r in rows})
    by_key = {(r["period"], r["stage_id"]): r for r in rows}
    hidden = _hidden_money(rows, "expected")
    data = []
    for i, (stage_id, stage_name) in enumerate(stage_order):
        values = []
        for p in periods:
            r = by_key.get((p, stage_id))
            values.append((r["count"] if hidden else _num(r["expected"])) if r else 0)
        data.append(
            {
                "type": "bar", "x": periods, "y": values, "name": stage_name, "marker": {"color": PALETTE[i % len(PALETTE)]},
                "hovertemplate": "%{x} · " + stage_name + ("<br>%{y}" if hidden else "<br>Rp %{y:,.0f}") + "<extra></extra>",
            }
        )
    layout = _layout(barmode="stack", money_axis="" if hidden else "y")
    layout["xaxis"] = {"type": "category"}
    return {"data": data, "layout": layout}


def by_source(rows: list[dict], lang: str) -> dict:
    """A donut of deals per lead source; under a source filter the chosen slice is pulled out."""
    labels = [translate(f"leads.source.{r['source']}", lang) if r["source"] != "direct" else translate("analytics.direct", lang) for r in rows]
    trace = {
        "type": "pie", "labels": labels, "values": [r["count"] for r in rows], "hole": 0.45, "sort": False,
        "marker": {"colors": PALETTE[: len(rows)]}, "textinfo": "label+value",
        "hovertemplate": "%{label}: %{value}<extra></extra>",
    }
    if any(r.get("selected") for r in rows):
        trace["pull"] = [0.12 if r.get("selected") else 0 for r in rows]
    return {"data": [trace], "layout": _layout(money_axis="", legend=False)}


def forecast(rows: list[dict], lang: str) -> dict:
    months = [r["month"] for r in rows]
    if _hidden_money(rows, "expected"):
        return {"data": [], "layout": _layout(money_axis="")}
    data = [
        {"type": "bar", "x": months, "y": [_num(r["expected"]) for r in rows], "name": translate("analytics.expected", lang), "marker": {"color": OPEN}},
        {
            "type": "scatter", "mode": "lines+markers", "x": months, "y": [_num(r["weighted"]) for r in rows],
            "name": translate("analytics.weighted", lang), "line": {"color": WON, "width": 3},
        },
    ]
    layout = _layout()
    layout["xaxis"] = {"type": "category"}
    return {"data": data, "layout": layout}


def won_lost_trend(rows: list[dict], lang: str) -> dict:
    periods = [r["period"] for r in rows]
    data = [
        {"type": "bar", "x": periods, "y": [r["won_count"] for r in rows], "name": translate("sales.state.won", lang), "marker": {"color": WON}},
        {"type": "bar", "x": periods, "y": [r["lost_count"] for r in rows], "name": translate("sales.state.lost", lang), "marker": {"color": LOST}},
    ]
    layout = _layout(money_axis="", barmode="group")
    layout["xaxis"] = {"type": "category"}
    return {"data": data, "layout": layout}


def top_customers(rows: list[dict], lang: str) -> dict:
    rows = list(reversed(rows))  # the biggest on top of a horizontal bar chart
    hidden = _hidden_money(rows, "won_revenue")
    data = [
        {
            "type": "bar", "orientation": "h", "y": [r["customer"] or "—" for r in rows],
            "x": [r["won_count"] if hidden else _num(r["won_revenue"]) for r in rows], "marker": {"color": WON},
            "hovertemplate": "%{y}<br>" + ("%{x}" if hidden else "Rp %{x:,.0f}") + "<extra></extra>",
        }
    ]
    layout = _layout(money_axis="" if hidden else "x", legend=False, height=max(240, 36 * len(rows) + 60))
    layout["margin"]["l"] = 160
    return {"data": data, "layout": layout}


def report(result: dict, chart: str, lang: str) -> dict:
    """A report builder result as a bar, line or pie chart (one trace per second grouping)."""
    rows = result.get("rows", [])
    groups = list(dict.fromkeys(r["group"] or "—" for r in rows))
    seconds = list(dict.fromkeys(r.get("group2") or "" for r in rows))
    values = {(r["group"] or "—", r.get("group2") or ""): _num(r["value"]) for r in rows}
    if chart == "pie":
        totals = [sum(values.get((g, s), 0) for s in seconds) for g in groups]
        data = [{"type": "pie", "labels": groups, "values": totals, "hole": 0.4, "marker": {"colors": PALETTE}}]
        return {"data": data, "layout": _layout(money_axis="", legend=True)}
    data = []
    for i, second in enumerate(seconds):
        trace = {"x": groups, "y": [values.get((g, second), 0) for g in groups], "name": second or translate("analytics.value", lang)}
        if chart == "line":
            trace |= {"type": "scatter", "mode": "lines+markers", "line": {"color": PALETTE[i % len(PALETTE)]}}
        else:
            trace |= {"type": "bar", "marker": {"color": PALETTE[i % len(PALETTE)]}}
        data.append(trace)
    layout = _layout(money_axis="", barmode="stack" if len(seconds) > 1 and chart == "bar" else None, legend=len(seconds) > 1)
    layout["xaxis"] = {"type": "category"}
    return {"data": data, "layout": layout}


def money_text(value) -> str:
    """A KPI's money text, or "—" when the user may not see it."""
    return "—" if value is None else format_idr(value)


def short_money_text(value) -> str:
    """A KPI tile's money: "Rp 656,9 jt" (the tile is narrow), or "—" when the user may not see it."""
    return "—" if value is None else format_idr_short(value)


def percent_text(value) -> str:
    if value is None:
        return "—"
    return f"{(Decimal(str(value)) * 100).quantize(Decimal('0.1'))}%".replace(".", ",")
