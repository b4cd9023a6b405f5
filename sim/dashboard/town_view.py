"""The town view: one run's customers, businesses and ties drawn as an SVG string.

Drawn from the positions of :class:`~sim.dashboard.town_layout.TownLayout` and the colours of
:meth:`~sim.dashboard.workshop.Workshop.colours`; the page puts the string in the browser as is.
"""

from __future__ import annotations

import html

import numpy as np

from sim.dashboard.live_measures import main_business
from sim.dashboard.workshop import Run, Workshop

NO_BUSINESS = "#c9c9c9"
"""Colour of a customer with no main business (and of its legend entry)."""


def town_svg(ws: Workshop, run: Run, width: int = 520) -> str:
    """The town view of one run as an SVG string.

    Customers are dots coloured by the strategy of their main business
    (:func:`~sim.dashboard.live_measures.main_business`; grey for none); businesses are larger
    squares in their strategy's colour, labelled with their name (crossed out when closed);
    the side-by-side business has a thick outline.
    """
    with ws.lock:
        m = run.model
        lay = ws.layout
        colours = ws.colours()
        strat = m.strategy_names()
        main = main_business(m)
        fill = np.array([colours.get(s, "#888") for s in strat] + [NO_BUSINESS])[main]
        dot = lay.dot
        parts = [
            f'<svg class="town" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {lay.SIZE:.0f} {lay.SIZE:.0f}" '
            f'width="{width}" height="{width}" style="background:#fff">',
            f'<path d="{lay.strong_path}" stroke="#d9d9d9" stroke-width="1" fill="none"/>',
            f'<path d="{lay.weak_path}" stroke="#9ecae1" stroke-width="1" '
            f'stroke-dasharray="4 3" fill="none"/>',
        ]
        parts += [
            f'<circle class="customer" cx="{x:.0f}" cy="{y:.0f}" r="{dot:.1f}" fill="{c}"/>'
            for (x, y), c in zip(lay.xy, fill, strict=True)
        ]
        focus = ws.params["focus"] if ws.side_by_side else None
        for b in range(m.n_businesses):
            if m.opens[b] > m.week and not m.alive[b]:
                continue  # a chain store that has not opened yet
            x, y = lay.business_xy(m, b)
            name = m.business_name[b]
            c = colours.get(strat[b], "#888")
            s = 26
            stroke = 6 if name == focus else 2
            parts.append(
                f'<g class="business" data-name="{html.escape(name)}" data-strategy="{strat[b]}">'
                f'<rect x="{x - s / 2:.0f}" y="{y - s / 2:.0f}" width="{s}" height="{s}" '
                f'fill="{c if m.alive[b] else "#fff"}" stroke="#111" stroke-width="{stroke}"/>'
            )
            if not m.alive[b]:
                parts.append(
                    f'<path d="M{x - s / 2:.0f} {y - s / 2:.0f}L{x + s / 2:.0f} {y + s / 2:.0f}'
                    f'M{x + s / 2:.0f} {y - s / 2:.0f}L{x - s / 2:.0f} {y + s / 2:.0f}" '
                    f'stroke="#111" '
                    f'stroke-width="3"/>'
                )
            parts.append(
                f'<text x="{x:.0f}" y="{y + s / 2 + 16:.0f}" font-size="18" text-anchor="middle" '
                f'font-family="sans-serif" stroke="#fff" stroke-width="4" paint-order="stroke">'
                f"{html.escape(name)}</text></g>"
            )
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
