"""The live charts: Vega-Lite specs of the weekly measures, with every shock's week marked.

Four line charts over weeks (revenue, active customers, promoter score, cash) and a bar chart of
new customers by channel; per business of each strategy, or, side by side, of the compared
business in each run (numbers from :mod:`sim.dashboard.live_measures`, titles with unit and
aggregation from :mod:`sim.outputs.measure_units`). :func:`chart_specs` gives one spec per chart,
as wide as its box on the page (``width: "container"``); :func:`chart_spec` the same charts as
one spec. Text is at least :data:`MIN_FONT_PX` (16 px), titles larger, so a room can read it
from the back. The browser draws the specs as SVG; the colour legend is the page's
(:func:`chart_legend`), one for all the charts.
"""

from __future__ import annotations

from typing import Any

from sim.core.measures import CHANNELS
from sim.dashboard.live_measures import CHANNEL_LABELS, SERIES
from sim.dashboard.workshop import Workshop
from sim.outputs.measure_units import MEASURES, SHORT_AGGREGATIONS

MIN_FONT_PX = 16
"""Smallest text on a chart, CSS px (axis labels and titles, shock labels, legends)."""
TITLE_FONT_PX = 19
"""A chart's title, CSS px."""
PLOT_HEIGHT = 150
"""Height of a chart's plot area in :func:`chart_spec` (the page sizes its charts to the screen)."""
CHAIN = "chain"
"""The chain stores' strategy: left out of the cash chart (reserves of millions flatten the rest)."""

CHART_CONFIG: dict[str, Any] = {
    "view": {"stroke": None},
    "font": "sans-serif",
    "axis": {
        "labelFontSize": MIN_FONT_PX,
        "titleFontSize": MIN_FONT_PX,
        "titleFontWeight": "normal",
        "labelLimit": 150,
    },
    "legend": {"labelFontSize": MIN_FONT_PX, "titleFontSize": MIN_FONT_PX},
    "title": {
        "fontSize": TITLE_FONT_PX,
        "subtitleFontSize": MIN_FONT_PX,
        "subtitleColor": "#444",
        "anchor": "start",
    },
    "text": {"fontSize": MIN_FONT_PX},
}
"""Fonts and sizes of every chart (Vega-Lite ``config``)."""


def _colour(ws: Workshop) -> tuple[list[str], list[str]]:
    if ws.side_by_side:
        return [r.label for r in ws.runs], [r.colour for r in ws.runs]
    c = ws.colours()
    return list(c), list(c.values())


def chart_legend(ws: Workshop) -> list[tuple[str, str]]:
    """The charts' colour legend: (name, colour) of each line (strategy, or run side by side)."""
    domain, colours = _colour(ws)
    return list(zip(domain, colours, strict=True))


def _title(ws: Workshop, measure: str) -> dict[str, Any]:
    """Title (what) and subtitle (unit; aggregation) of a chart."""
    m = MEASURES[measure]
    label = m.label[0].upper() + m.label[1:]
    if ws.side_by_side:
        return {"text": f"{ws.params['focus']}: {label}", "subtitle": [m.unit, "this business"]}
    return {"text": label, "subtitle": [m.unit, SHORT_AGGREGATIONS[m.aggregation]]}


def _shock_label_layer(side: str) -> dict[str, Any]:
    """Shock labels written on the ``side`` of their week's line (16 px, in rows by ``dy``)."""
    return {
        "data": {"name": "shock_labels"},
        "transform": [{"filter": {"field": "side", "equal": side}}],
        "mark": {
            "type": "text",
            "align": "left" if side == "right" else "right",
            "baseline": "top",
            "dx": 3 if side == "right" else -3,
            "fontSize": MIN_FONT_PX,
            "color": "#222",
        },
        "encoding": {
            "x": {"field": "w", "type": "quantitative"},
            "y": {"field": "dy", "type": "quantitative", "scale": None},
            "text": {"field": "label"},
        },
    }


def chart_specs(
    ws: Workshop, width: int | str = "container", height: int | str = "container"
) -> list[dict[str, Any]]:
    """One Vega-Lite spec per chart (the four line charts, then new customers by channel).

    Each carries its data and the shocks' marks, the colour scale shared by all, no legend of
    its own (:func:`chart_legend`), and :data:`CHART_CONFIG`. ``width`` and ``height``: CSS px,
    or ``"container"`` to fill the chart's box on the page (whose CSS sizes it to the screen),
    titles and axes included.
    """
    fit = {(True, True): "fit", (True, False): "fit-x", (False, True): "fit-y"}.get(
        (width == "container", height == "container"), "pad"
    )
    rows, bars = ws.chart_data()
    domain, colours = _colour(ws)
    colour = {
        "field": "s",
        "type": "nominal",
        "title": None,
        "scale": {"domain": domain, "range": colours},
        "legend": None,
    }
    x_max = max(ws.week + 1, 13)
    x = {
        "field": "w",
        "type": "quantitative",
        "title": "week",
        "scale": {"domain": [0, x_max], "nice": False},
        "axis": {"tickCount": 5},
    }
    marks = ws.shock_marks()
    labels = [  # staggered in three rows; right of the line in the chart's left part, else left of it
        {**mk, "dy": 2 + (MIN_FONT_PX + 3) * (k % 3), "side": "right" if mk["w"] <= 0.6 * x_max else "left"}
        for k, mk in enumerate(marks)
    ]
    specs = []
    for m, _ in SERIES:
        y: dict[str, Any] = {"field": "v", "type": "quantitative", "title": None, "axis": {"tickCount": 4}}
        if m == "promoter_score":
            y["scale"] = {"domain": [-100, 100]}
        keep: list[dict[str, Any]] = [{"filter": {"field": "m", "equal": m}}]
        title = _title(ws, m)
        if m == "cash" and CHAIN in domain and not ws.side_by_side:  # its reserves would flatten the rest
            keep.append({"filter": f"datum.s !== '{CHAIN}'"})
            title["subtitle"] = [title["subtitle"][0], title["subtitle"][1] + ", chains left out"]
        specs.append(
            {
                "title": title,
                "datasets": {"series": rows, "shocks": marks, "shock_labels": labels},
                "layer": [
                    {
                        "data": {"name": "series"},
                        "transform": keep,
                        "mark": {"type": "line", "strokeWidth": 3},
                        "encoding": {"x": x, "y": y, "color": colour},
                    },
                    {
                        "data": {"name": "shocks"},
                        "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#444"},
                        "encoding": {"x": {"field": "w", "type": "quantitative"}},
                    },
                    *(_shock_label_layer(side) for side in ("right", "left")),
                ],
            }
        )
    specs.append(
        {
            "title": {
                "text": (f"{ws.params['focus']}: " if ws.side_by_side else "") + "New customers",
                "subtitle": [
                    "customers so far, by channel",
                    "this business" if ws.side_by_side else "per business",
                ],
            },
            "datasets": {"channels": bars},
            "data": {"name": "channels"},
            "mark": "bar",
            "encoding": {
                "y": {
                    "field": "ch",
                    "type": "nominal",
                    "title": None,
                    "sort": [CHANNEL_LABELS[c] for c in CHANNELS],
                },
                "yOffset": {"field": "s", "type": "nominal", "scale": {"domain": domain}},
                "x": {"field": "v", "type": "quantitative", "title": None, "axis": {"tickCount": 4}},
                "color": colour,
            },
        }
    )
    for spec in specs:
        spec.update(
            {
                "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
                # SVG (not canvas): labels are text in the page; no action menu (links to the web)
                "usermeta": {"embedOptions": {"renderer": "svg", "actions": False}},
                "width": width,
                "height": height,
                "autosize": {"type": fit, "contains": "padding"},
                "config": CHART_CONFIG,
            }
        )
    return specs


def chart_spec(ws: Workshop) -> dict[str, Any]:
    """The charts of :func:`chart_specs` as one Vega-Lite spec (three columns of 280 px charts)."""
    panels = []
    datasets: dict[str, Any] = {}
    for spec in chart_specs(ws, width=280, height=PLOT_HEIGHT):
        datasets.update(spec["datasets"])
        skip = ("$schema", "usermeta", "config", "datasets", "autosize")
        panels.append({k: v for k, v in spec.items() if k not in skip})
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "usermeta": {"embedOptions": {"renderer": "svg", "actions": False}},
        "datasets": datasets,
        "concat": panels,
        "columns": 3,
        "config": CHART_CONFIG,
    }
