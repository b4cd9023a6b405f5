"""The workshop's drawings as SVG strings: the shared town, the charts, and the join address as a QR code.

Drawn on the server once per change of the room and put in the facilitator's page as they are;
every name in them is escaped. Text is at least 16 px at the size the page draws them, for a
projector.
"""

from __future__ import annotations

import html
import math
import weakref
from typing import Any

import numpy as np

from sim.dashboard.room.levers import PARTICIPANT
from sim.dashboard.room.room import Room
from sim.dashboard.town_layout import TownLayout

GROUP_LABELS = {
    PARTICIPANT: "participants",
    "community": "built-in community",
    "transactional": "built-in transactional",
    "chain": "chain stores",
}
"""What the views call each strategy group."""

GROUP_COLOURS = {
    PARTICIPANT: "#1f78b4",
    "community": "#1b9e77",
    "transactional": "#d95f02",
    "inconsistent": "#7570b3",
    "free_rider": "#e7298a",
    "chain": "#a50f15",
}
"""Colour of each strategy group in the town view and the charts."""
OTHER_COLOUR = "#666666"
NO_BUSINESS = "#cfcfcf"
LINE_COLOURS = {GROUP_LABELS.get(k, k): c for k, c in GROUP_COLOURS.items()}

LABEL = 36
"""Font size of the town view's text, in its units (a 1000-unit square drawn about 450 px wide: 16 px)."""

TOP = 160
"""Room above the town for its legend, in the town view's units."""

_layouts: weakref.WeakKeyDictionary[Room, TownLayout] = weakref.WeakKeyDictionary()


def _colour(group: str) -> str:
    return GROUP_COLOURS.get(group, OTHER_COLOUR)


def main_business(room: Room) -> np.ndarray:
    """Each customer's main business: the last one bought from among those still active (-1: none)."""
    m = room.model
    last = np.where(m.active_mask(), m.last_purchase, -1)
    main = last.argmax(axis=1)
    return np.where(last.max(axis=1) >= 0, main, -1)


def town_svg(room: Room) -> str:
    """The town: customers as dots coloured by their main business's group, businesses as squares.

    A participant's business has a thick outline and the participant's name under it (every
    business's name is its tooltip); a closed business is drawn white and crossed out; a chain
    store that has not opened is not drawn.
    """
    m = room.model
    if room not in _layouts:
        _layouts[room] = TownLayout(m)
    lay = _layouts[room]
    groups = m.strategy_names()
    main = main_business(room)
    palette = np.array([_colour(g) for g in groups] + [NO_BUSINESS])
    fill = palette[main]
    size = lay.SIZE
    parts = [
        f'<svg class="town" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 {-TOP} {size:.0f} {size + TOP:.0f}" role="img" aria-label="the town">',
        f'<path d="{lay.strong_path}" stroke="#e3e3e3" stroke-width="1" fill="none"/>',
    ]
    parts += [
        f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{lay.dot:.1f}" fill="{c}"/>'
        for (x, y), c in zip(lay.xy, fill, strict=True)
    ]
    for b in range(m.n_businesses):
        closed = m.closed_week[b] >= 0
        if b >= room.n_joinable and not m.alive[b] and not closed:
            continue  # a chain store that has not opened yet
        x, y = lay.business_xy(m, b)
        token = room.by_business.get(b)
        s = 40
        c = _colour(groups[b])
        name = html.escape(m.business_name[b])
        parts.append(
            f'<g class="business" data-name="{name}"><title>{name}</title>'
            f'<rect x="{x - s / 2:.0f}" y="{y - s / 2:.0f}" width="{s}" height="{s}" '
            f'fill="{"#fff" if closed else c}" stroke="#111" stroke-width="{6 if token else 2}"/>'
        )
        if closed:
            parts.append(
                f'<path d="M{x - s / 2:.0f} {y - s / 2:.0f}L{x + s / 2:.0f} {y + s / 2:.0f}'
                f'M{x + s / 2:.0f} {y - s / 2:.0f}L{x - s / 2:.0f} {y + s / 2:.0f}" stroke="#111" '
                'stroke-width="4"/>'
            )
        if token is not None:  # the room finds its own names on the map
            parts.append(
                f'<text x="{x:.0f}" y="{y + s / 2 + 34:.0f}" font-size="{LABEL}" font-weight="700" '
                'text-anchor="middle" font-family="sans-serif" stroke="#fff" stroke-width="8" '
                f'paint-order="stroke">{html.escape(room.participants[token].name)}</text>'
            )
        parts.append("</g>")
    entries = [(GROUP_LABELS.get(g, g), _colour(g)) for g in dict.fromkeys(groups)]
    entries.append(("no business yet", NO_BUSINESS))
    for i, (label, colour) in enumerate(entries):  # the legend, in two columns above the town
        lx, ly = 10 + 500 * (i % 2), -TOP + 44 + 48 * (i // 2)
        parts.append(
            f'<rect x="{lx}" y="{ly - 28}" width="32" height="32" fill="{colour}" stroke="#111"/>'
            f'<text x="{lx + 44}" y="{ly}" font-size="{LABEL}" font-family="sans-serif">'
            f"{html.escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """Round tick values covering ``lo`` to ``hi``."""
    if not math.isfinite(lo) or not math.isfinite(hi) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    start = math.floor(lo / step) * step
    return [start + i * step for i in range(int(math.ceil((hi - start) / step)) + 1)]


def _fmt(v: float) -> str:
    return f"{v / 1000:g}k" if abs(v) >= 10000 else f"{v:g}"


def line_chart(title: str, aggregation: str, weeks: list[int], series: dict[str, list[float | None]]) -> str:
    """One chart: a line per group over the weeks; its title states the unit, the line below the aggregation.

    Drawn in a 420 x 300 box, about the size the facilitator's page shows it at 1280 px wide, so
    its 16 px text stays 16 px.
    """
    w, h, left, right, bottom = 420, 300, 58, 12, 44
    legend_rows: list[list[tuple[float, str]]] = [[]]
    x = 8.0
    for name in series:
        width = 24 + 8.4 * len(name)
        if x + width > w and legend_rows[-1]:
            legend_rows.append([])
            x = 8.0
        legend_rows[-1].append((x, name))
        x += width + 10
    top = 50 + 22 * len(legend_rows) + 8
    values = [v for vals in series.values() for v in vals if v is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    ticks = _ticks(min(lo, 0.0), hi)
    y0, y1 = ticks[0], ticks[-1]
    x_hi = max(weeks[-1] if weeks else 1, 1)

    def sx(v: float) -> float:
        return left + (w - left - right) * v / x_hi

    def sy(v: float) -> float:
        return top + (h - top - bottom) * (1 - (v - y0) / ((y1 - y0) or 1))

    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" '
        f'aria-label="{html.escape(title)}" font-family="sans-serif">',
        f'<text x="8" y="22" font-size="17" font-weight="700">{html.escape(title)}</text>',
        f'<text x="8" y="44" font-size="16" fill="#555">{html.escape(aggregation)}</text>',
    ]
    for row, entries in enumerate(legend_rows):
        for lx, name in entries:
            c = LINE_COLOURS.get(name, OTHER_COLOUR)
            ly = 54 + 22 * row
            parts.append(
                f'<rect x="{lx:.0f}" y="{ly}" width="16" height="16" fill="{c}"/>'
                f'<text x="{lx + 21:.0f}" y="{ly + 14}" font-size="16">{html.escape(name)}</text>'
            )
    for t in ticks:
        parts.append(
            f'<line x1="{left}" x2="{w - right}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" stroke="#e5e5e5"/>'
            f'<text x="{left - 6}" y="{sy(t) + 6:.1f}" font-size="16" text-anchor="end">{_fmt(t)}</text>'
        )
    for t in _ticks(0, x_hi):
        if t <= x_hi:
            parts.append(
                f'<text x="{sx(t):.1f}" y="{h - bottom + 20}" font-size="16" '
                f'text-anchor="middle">{t:g}</text>'
            )
    parts.append(
        f'<text x="{(left + w) / 2:.0f}" y="{h - 4}" font-size="16" text-anchor="middle">week</text>'
    )
    for name, vals in series.items():
        c = LINE_COLOURS.get(name, OTHER_COLOUR)
        pts = [(sx(wk), sy(v)) for wk, v in zip(weeks, vals, strict=True) if v is not None]
        if len(pts) == 1:
            parts.append(f'<circle cx="{pts[0][0]:.1f}" cy="{pts[0][1]:.1f}" r="4" fill="{c}"/>')
        elif pts:
            d = "M" + "L".join(f"{px:.1f} {py:.1f}" for px, py in pts)
            parts.append(f'<path d="{d}" stroke="{c}" stroke-width="3" fill="none"/>')
    parts.append("</svg>")
    return "".join(parts)


def charts_svg(series: dict[str, Any]) -> list[str]:
    """The facilitator's charts from :func:`~sim.dashboard.room.views.group_series`."""
    return [
        line_chart(m["title"], m["aggregation"], series["weeks"], m["series"]) for m in series["measures"]
    ]


def qr_svg(text: str, scale: int = 6) -> str:
    """``text`` (the join address) as a QR code in SVG; empty when segno is not installed."""
    try:
        import segno
    except ImportError:  # pragma: no cover - segno is a dependency; the address is printed anyway
        return ""
    qr = segno.make_qr(text, error="m")
    w, h = qr.symbol_size(scale=scale, border=2)
    return qr.svg_inline(scale=scale, border=2).replace("<svg ", f'<svg viewBox="0 0 {w} {h}" ', 1)
