"""The live charts: one Vega-Lite spec of the weekly measures, with every shock's week marked.

Four line charts over weeks (revenue, active customers, promoter score, cash) and a bar chart of
new customers by channel; per business of each strategy, or, side by side, of the compared
business in each run (numbers from :mod:`sim.dashboard.live_measures`). The browser draws the
spec as SVG.
"""

from __future__ import annotations

from typing import Any

from sim.core.measures import CHANNELS
from sim.dashboard.live_measures import CHANNEL_LABELS, SERIES
from sim.dashboard.workshop import Workshop


def chart_spec(ws: Workshop) -> dict[str, Any]:
    """A Vega-Lite spec of the live charts, with every shock's week marked by a labelled rule."""
    rows, bars = ws.chart_data()
    if ws.side_by_side:
        domain = [r.label for r in ws.runs]
        colours = [r.colour for r in ws.runs]
        subject = f"{ws.params['focus']}: "
    else:
        c = ws.colours()
        domain, colours, subject = list(c), list(c.values()), ""
    colour = {
        "field": "s",
        "type": "nominal",
        "title": None,
        "scale": {"domain": domain, "range": colours},
        "legend": {"orient": "bottom", "columns": 4},
    }
    x_max = max(ws.week + 1, 13)
    x = {
        "field": "w",
        "type": "quantitative",
        "title": "week",
        "scale": {"domain": [0, x_max], "nice": False},
    }
    marks = ws.shock_marks()
    panels = []
    for m, title in SERIES:
        y: dict[str, Any] = {"field": "v", "type": "quantitative", "title": None}
        if m == "promoter_score":
            y["scale"] = {"domain": [-100, 100]}
        panels.append(
            {
                "title": subject + title.replace(" per business", "") if ws.side_by_side else title,
                "width": 270,
                "height": 150,
                "layer": [
                    {
                        "data": {"name": "series"},
                        "transform": [{"filter": {"field": "m", "equal": m}}],
                        "mark": {"type": "line", "strokeWidth": 2},
                        "encoding": {"x": x, "y": y, "color": colour},
                    },
                    {
                        "data": {"name": "shocks"},
                        "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#444"},
                        "encoding": {"x": {"field": "w", "type": "quantitative"}},
                    },
                    {
                        "data": {"name": "shocks"},
                        "mark": {
                            "type": "text",
                            "align": "left",
                            "baseline": "top",
                            "dx": 3,
                            "fontSize": 10,
                            "color": "#222",
                        },
                        "encoding": {
                            "x": {"field": "w", "type": "quantitative"},
                            "y": {"value": 2},
                            "text": {"field": "label"},
                        },
                    },
                ],
            }
        )
    panels.append(
        {
            "title": (subject if ws.side_by_side else "")
            + "New customers so far, by channel"
            + ("" if ws.side_by_side else " (per business)"),
            "width": 270,
            "height": 150,
            "data": {"name": "channels"},
            "mark": "bar",
            "encoding": {
                "x": {
                    "field": "ch",
                    "type": "nominal",
                    "title": None,
                    "sort": [CHANNEL_LABELS[c] for c in CHANNELS],
                    "axis": {"labelAngle": -30},
                },
                "xOffset": {"field": "s", "type": "nominal", "scale": {"domain": domain}},
                "y": {"field": "v", "type": "quantitative", "title": None},
                "color": colour,
            },
        }
    )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        # SVG (not canvas): shock labels are text in the page; no action menu (links to the web)
        "usermeta": {"embedOptions": {"renderer": "svg", "actions": False}},
        "datasets": {"series": rows, "channels": bars, "shocks": marks},
        "concat": panels,
        "columns": 3,
        "config": {
            "view": {"stroke": None},
            "axis": {"labelFontSize": 10},
            "title": {"fontSize": 12},
        },
    }
