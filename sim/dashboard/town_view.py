"""The town view: one run's customers, businesses and ties, and the page's tables about them, as HTML.

Drawn from the positions of :class:`~sim.dashboard.town_layout.TownLayout` and the colours of
:meth:`~sim.dashboard.workshop.Workshop.colours`; the page puts the strings in the browser as
they are. :func:`town_svg` is the drawing alone; :func:`town_html` wraps it for the page with
the business names as HTML labels (16 px whatever the size the drawing is scaled to) and, when
something was clicked, its state (:func:`inspector_html`). Every element a click can pick carries
``data-pick`` (:func:`pick_key`, :func:`parse_pick`).
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from sim.dashboard.live_measures import (
    CLOSED,
    NOT_YET_OPEN,
    OPEN,
    business_detail,
    business_monitor,
    business_states,
    customer_detail,
    main_business,
)
from sim.dashboard.workshop import Run, Workshop
from sim.outputs.measure_units import MEASURES, SHORT_AGGREGATIONS

NO_BUSINESS = "#c9c9c9"
"""Colour of a customer with no main business (and of its legend entry)."""
SQUARE = 40
"""A business's square, in the town view's units (1000 a side)."""


def pick_key(kind: str, run: int, index: int) -> str:
    """What a click on a business (``"b"``) or a customer (``"c"``) of run ``run`` sends."""
    return f"{kind}:{run}:{index}"


def parse_pick(value: str | None) -> tuple[str, int, int] | None:
    """``(kind, run, index)`` from :func:`pick_key`'s text; ``None`` for anything else (a close)."""
    parts = str(value or "").split(":")
    if len(parts) != 3 or parts[0] not in ("b", "c") or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return parts[0], int(parts[1]), int(parts[2])


def _business_mark(x: float, y: float, colour: str, state: str, stroke: int) -> str:
    """Open: filled in its strategy's colour; not yet open: dashed outline; closed: crossed out."""
    h = SQUARE / 2
    box = f'x="{x - h:.0f}" y="{y - h:.0f}" width="{SQUARE}" height="{SQUARE}"'
    if state == OPEN:
        return f'<rect {box} fill="{colour}" stroke="#111" stroke-width="{stroke}"/>'
    if state == NOT_YET_OPEN:
        return (
            f'<rect {box} fill="#fff" fill-opacity="0.85" stroke="{colour}" '
            f'stroke-width="{max(stroke, 4)}" stroke-dasharray="8 5"/>'
        )
    return (
        f'<rect {box} fill="#fff" stroke="#111" stroke-width="{stroke}"/>'
        f'<path d="M{x - h:.0f} {y - h:.0f}L{x + h:.0f} {y + h:.0f}M{x + h:.0f} {y - h:.0f}'
        f'L{x - h:.0f} {y + h:.0f}" stroke="#111" stroke-width="4"/>'
    )


def town_svg(
    ws: Workshop,
    run: Run,
    width: int | None = 520,
    labels: bool = True,
    picked: tuple[str, int] | None = None,
) -> str:
    """The town view of one run as an SVG string.

    Customers are dots coloured by the strategy of their main business
    (:func:`~sim.dashboard.live_measures.main_business`; grey for none); businesses are larger
    squares: filled in their strategy's colour when open, a dashed outline when not yet open
    (every business before week 1, a chain store announced for next week), crossed out when
    closed; the side-by-side business has a thick outline. ``width`` None: the SVG fills its
    box (the page's CSS sizes it). ``labels`` draws the names and the legend in the SVG (the
    page draws them as HTML instead); ``picked`` (``("b" | "c", index)``) is ringed.
    """
    with ws.lock:
        m = run.model
        r = ws.runs.index(run)
        lay = ws.layout
        colours = ws.colours()
        strat = m.strategy_names()
        states = business_states(m)
        main = main_business(m)
        fill = np.array([colours.get(s, "#888") for s in strat] + [NO_BUSINESS])[main]
        dot = lay.dot
        size = f'width="{width}" height="{width}"' if width else 'width="100%" height="100%"'
        parts = [
            f'<svg class="town" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {lay.SIZE:.0f} {lay.SIZE:.0f}" {size} style="background:#fff;display:block">',
            f'<path d="{lay.strong_path}" stroke="#d9d9d9" stroke-width="1" fill="none"/>',
            f'<path d="{lay.weak_path}" stroke="#9ecae1" stroke-width="1" '
            f'stroke-dasharray="4 3" fill="none"/>',
        ]
        parts += [
            f'<circle class="customer" data-pick="{pick_key("c", r, i)}" cx="{x:.0f}" cy="{y:.0f}" '
            f'r="{dot:.1f}" fill="{c}"/>'
            for i, ((x, y), c) in enumerate(zip(lay.xy, fill, strict=True))
        ]
        focus = ws.params["focus"] if ws.side_by_side else None
        for b in range(m.n_businesses):
            x, y = lay.business_xy(m, b)
            name = m.business_name[b]
            parts.append(
                f'<g class="business" data-pick="{pick_key("b", r, b)}" data-name="{html.escape(name)}" '
                f'data-strategy="{strat[b]}" data-state="{states[b]}">'
                + _business_mark(x, y, colours.get(strat[b], "#888"), states[b], 7 if name == focus else 2)
            )
            if labels:
                parts.append(
                    f'<text x="{x:.0f}" y="{y + SQUARE / 2 + 18:.0f}" font-size="18" text-anchor="middle" '
                    f'font-family="sans-serif" stroke="#fff" stroke-width="4" paint-order="stroke">'
                    f"{html.escape(name)}</text>"
                )
            parts.append("</g>")
        if picked is not None:
            kind, i = picked
            if kind == "b" and i < m.n_businesses:
                (x, y), rad = lay.business_xy(m, i), SQUARE
            elif kind == "c" and i < m.n_customers:
                (x, y), rad = lay.xy[i], max(3 * dot, 14)
            else:
                x = y = rad = None
            if rad is not None:
                parts.append(
                    f'<circle class="picked" cx="{x:.0f}" cy="{y:.0f}" r="{rad:.0f}" fill="none" '
                    f'stroke="#000" stroke-width="5" pointer-events="none"/>'
                )
        if labels:
            ly = 24
            for s, c in list(colours.items()) + [("no business", NO_BUSINESS)]:
                parts.append(
                    f'<circle cx="20" cy="{ly}" r="8" fill="{c}"/>'
                    f'<text x="34" y="{ly + 6}" font-size="18" '
                    f'font-family="sans-serif">{html.escape(s)}</text>'
                )
                ly += 26
        parts.append("</svg>")
        return "".join(parts)


def town_html(ws: Workshop, run: Run, picked: tuple[str, int, int] | None = None) -> str:
    """One run's town for the page: the drawing, the business names as HTML, the picked agent's state.

    The drawing fills its box (the page's CSS sizes the box); a label sits under its business
    at a position in percent, so it keeps its CSS font size whatever the drawing's scale.
    ``picked`` (from :func:`parse_pick`) of this run is ringed and its state shown over the
    drawing's corner, with a close button.
    """
    with ws.lock:
        m = run.model
        r = ws.runs.index(run)
        mine = picked[1:] if picked is not None and picked[1] == r else None
        ring = (picked[0], picked[2]) if mine is not None else None
        parts = [f'<div class="commsim-town-box" data-run="{r}">', town_svg(ws, run, None, False, ring)]
        states = business_states(m)
        for b, (side, x, y) in enumerate(label_places(ws, m)):
            parts.append(
                f'<div class="commsim-town-label commsim-state-{states[b].replace(" ", "-")} '
                f'commsim-label-{side}" data-pick="{pick_key("b", r, b)}" '
                f'style="left:{100 * x / ws.layout.SIZE:.2f}%;top:{100 * y / ws.layout.SIZE:.2f}%">'
                f"{html.escape(m.business_name[b])}</div>"
            )
        if ring is not None:
            kind, i = ring
            x, y = ws.layout.business_xy(m, i) if kind == "b" and i < m.n_businesses else (500.0, 500.0)
            if kind == "c" and i < m.n_customers:
                x, y = ws.layout.xy[i]
            corner = ("bottom" if y < ws.layout.SIZE / 2 else "top") + (
                "-left" if x > ws.layout.SIZE / 2 else "-right"
            )
            parts.append(
                inspector_html(ws, run, kind, i).replace(
                    'commsim-inspector"', f'commsim-inspector {corner}"', 1
                )
            )
        parts.append("</div>")
        return "".join(parts)


LABEL_TOWN_PX = 400
"""The smallest the page draws a town (px a side): label sizes are reckoned at it, so labels
that do not overlap there do not overlap on a larger town either."""


def _clear(box: tuple[float, float, float, float], taken: list[tuple[float, float, float, float]]) -> bool:
    """Whether ``box`` (x, y, width, height) overlaps none of ``taken``."""
    x0, y0, w0, h0 = box
    return all(x0 + w0 <= x or x + w <= x0 or y0 + h0 <= y or y + h <= y0 for x, y, w, h in taken)


def label_places(ws: Workshop, model) -> list[tuple[str, float, float]]:
    """Where each business's name goes: (side of its square, x, y of the anchor in town units).

    Under the square, unless that covers a business's square or a name placed before (a 16 px
    name, about 0.55 em a character, on a town :data:`LABEL_TOWN_PX` wide); then left, right
    or above it (under it when every side is taken).
    """
    unit = ws.layout.SIZE / LABEL_TOWN_PX  # town units per CSS px at the smallest town
    high, gap, h = 19 * unit, 3 * unit, SQUARE / 2
    where = [ws.layout.business_xy(model, b) for b in range(model.n_businesses)]
    taken = [(x - h, y - h, float(SQUARE), float(SQUARE)) for x, y in where]
    out = []
    for b, (x, y) in enumerate(where):
        wide = 0.55 * 16 * len(model.business_name[b]) * unit
        options = {
            "below": ((x - wide / 2, y + h + gap), (x, y + h + gap)),
            "left": ((x - h - gap - wide, y - high / 2), (x - h - gap, y)),
            "right": ((x + h + gap, y - high / 2), (x + h + gap, y)),
            "above": ((x - wide / 2, y - h - gap - high), (x, y - h - gap)),
        }
        side = next((k for k, (c, _) in options.items() if _clear((*c, wide, high), taken)), "below")
        corner, anchor = options[side]
        taken.append((*corner, wide, high))
        out.append((side, *anchor))
    return out


def inspector_html(ws: Workshop, run: Run, kind: str, index: int) -> str:
    """The state of one business (``kind`` "b") or customer ("c") as a small table with a close button."""
    m = run.model
    if kind == "b" and index < m.n_businesses:
        rows, title = business_detail(m, index), "Business"
    elif kind == "c" and index < m.n_customers:
        rows, title = customer_detail(m, index), "Customer"
    else:
        return ""
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return (
        f'<div class="commsim-inspector" data-kind="{kind}">'
        f'<div class="commsim-inspector-head"><b>{title}, week {m.week}</b>'
        f'<button class="commsim-inspector-close" data-pick="none" title="close">&times;</button></div>'
        f"<table>{body}</table></div>"
    )


def legend_html(ws: Workshop) -> str:
    """The town's legend as HTML: what the colours and the business marks mean.

    Customers are coloured by their main business's strategy; a business is drawn open, not
    yet open or closed.
    """
    items = [
        f'<span class="commsim-key"><span class="commsim-dot" style="background:{c}"></span>'
        f"{html.escape(s)}</span>"
        for s, c in list(ws.colours().items()) + [("no business", NO_BUSINESS)]
    ]

    def mark(state: str, label: str) -> str:
        svg = _business_mark(20, 20, "#777", state, 2).replace("#111", "#333")
        return (
            f'<span class="commsim-key"><svg viewBox="-4 -4 48 48" width="18" height="18">{svg}</svg>'
            f"{label}</span>"
        )

    items += [mark(OPEN, "open"), mark(NOT_YET_OPEN, "not yet open"), mark(CLOSED, "closed")]
    return '<div class="commsim-legend">' + "".join(items) + "</div>"


def monitor_html(ws: Workshop) -> str:
    """A monitor per business: state, cash, active customers and promoter score, one table per run.

    Units in the header; each row is one business (not a group). A row can be clicked to show
    the business's state (``data-pick``).
    """
    with ws.lock:
        colours = ws.colours()
        tables = []
        for r, run in enumerate(ws.runs):
            rows = []
            for b, row in enumerate(business_monitor(run.model)):
                ps = row["promoter_score"]
                state = row["state"].replace(" ", "-")
                colour = colours.get(row["strategy"], "#888")
                rows.append(
                    f'<tr data-pick="{pick_key("b", r, b)}" class="commsim-state-{state}">'
                    f'<td><span class="commsim-dot" style="background:{colour}">'
                    f"</span>{html.escape(row['name'])}</td><td>{html.escape(row['strategy'])}</td>"
                    f"<td>{row['state']}</td><td class=num>{row['cash']:,.0f}</td>"
                    f"<td class=num>{row['customers_active']:,}</td>"
                    f"<td class=num>{'-' if not math.isfinite(ps) else f'{ps:+.0f}'}</td></tr>"
                )
            caption = html.escape(run.label) + ": " if ws.side_by_side else ""
            tables.append(
                f'<table class="commsim-monitor-table" data-run="{r}"><caption>{caption}each business, '
                f"week {run.model.week}</caption><thead><tr><th>business</th><th>strategy</th><th>state</th>"
                + "".join(
                    f"<th>{MEASURES[k].label}<br>({MEASURES[k].unit})</th>"
                    for k in ("cash", "customers_active", "promoter_score")
                )
                + "</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>"
            )
        return '<div class="commsim-monitor">' + "".join(tables) + "</div>"


def headline_parts(h: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The headline's tiles as (class, caption, figure HTML, detail HTML).

    Week, demand, businesses open, and the leaders on revenue and retention (or, side by side,
    each run and which run the business earns more in). Every figure states its unit and
    aggregation; a lead at the precision shown is called a tie.
    """
    tiles = [
        ("cs-week", "week", f"<b>{h['week']}</b> of {h['horizon']}", ""),
        ("cs-demand", "demand", f"<b>{100 * h['demand']:.0f}%</b>", "of normal"),
    ]
    if h["side_by_side"]:
        comp = h["comparison"]
        for run in comp["runs"]:
            tiles.append(
                (
                    "cs-run",
                    html.escape(run["label"]),
                    f"<b>{run['customers']:,}</b> customers",
                    f"active last week; cash {run['cash']:,.0f} (currency); {run['state']}; "
                    f"businesses: {_count_text(run['states'], h['week'])}",
                )
            )
        tiles.append(("cs-lead", "which run earns more", html.escape(comp["sentence"]), ""))
        return tiles
    states = h["states"]
    counts = _count_text(states, h["week"])
    figure, _, rest = counts.partition(",")
    tiles.append(
        (
            "cs-size",
            "businesses",
            figure,
            (rest.strip() + "; " if rest else "") + f"{h['customers']:,} customers",
        )
    )
    for key, measure, fmt, when in (
        ("revenue", "revenue", "{:,.0f}", ", last 4 weeks"),
        ("retention", "retention_rate", "{:.2f}", ""),
    ):
        m = MEASURES[measure]
        caption = f"{m.label} leader"
        unit = f"{m.unit}; {SHORT_AGGREGATIONS[m.aggregation]}{when}"
        values = h.get(key) or {}
        ranked = sorted(values, key=values.get, reverse=True)
        figures = ", ".join(f"{html.escape(s)} {fmt.format(values[s])}" for s in ranked)
        if h.get(f"{key}_leader"):
            figure = f"<b>{html.escape(h[f'{key}_leader'])}</b>"
        elif h.get(f"{key}_tie"):
            figure = "<b>a tie</b>"
        else:
            figure = "<b>-</b>"
        tiles.append((f"cs-lead-{key}", caption, figure, (f"{figures} " if figures else "") + f"({unit})"))
    return tiles


def _count_text(states: dict[str, int], week: int) -> str:
    if week == 0 and states[OPEN] == 0:
        return f"<b>{states[NOT_YET_OPEN]}</b> open in week 1"
    text = f"<b>{states[OPEN]}</b> open"
    if states[CLOSED]:
        text += f", {states[CLOSED]} closed"
    if states[NOT_YET_OPEN]:
        text += f", {states[NOT_YET_OPEN]} not yet open"
    return text
