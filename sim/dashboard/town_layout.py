"""Where the town view draws each customer and business: computed once per Reset, in SVG units.

Positions are in the town view's own units, a square of :attr:`TownLayout.SIZE` (1000) a side
that the browser scales to the panel; no force-directed layout, so a town of thousands of
customers is placed at once.
"""

from __future__ import annotations

import math

import numpy as np

from sim.core.model import CommunityModel

MAX_EDGES_DRAWN = 3000
"""Ties drawn in the town view (a fixed random sample when there are more)."""


class TownLayout:
    """Positions of the town view, computed once per reset (no force-directed layout).

    Neighbourhoods sit on a circle (a grid when there are many); each neighbourhood's customers
    fill a disc around its centre on a sunflower spiral, so the layout is O(customers) and
    deterministic. Businesses sit on a small ring inside their home neighbourhood. Strong ties
    (within a neighbourhood) and weak ties (long range) are drawn as two pre-built paths.
    """

    SIZE = 1000.0

    def __init__(self, model: CommunityModel) -> None:
        n = model.n_customers
        hood = np.asarray(model.neighbourhood)
        n_hoods = int(hood.max()) + 1 if n else 1
        self.centres = self._centres(n_hoods)
        sizes = np.bincount(hood, minlength=n_hoods)
        spacing = self._spacing(n_hoods)
        radius = 0.45 * spacing * np.sqrt(sizes / max(sizes.max(), 1))
        self.hood_radius = radius
        xy = np.zeros((n, 2))
        golden = math.pi * (3 - math.sqrt(5))
        for h in range(n_hoods):
            idx = np.flatnonzero(hood == h)
            k = np.arange(len(idx))
            r = radius[h] * np.sqrt((k + 0.5) / max(len(idx), 1))
            a = k * golden
            xy[idx, 0] = self.centres[h, 0] + r * np.cos(a)
            xy[idx, 1] = self.centres[h, 1] + r * np.sin(a)
        self.xy = xy
        self.dot = float(np.clip(0.9 * spacing / math.sqrt(max(sizes.max(), 1)) * 0.5, 1.5, 9.0))
        net = model.network
        src, dst = np.asarray(net.sources), np.asarray(net.targets)
        weak = (
            np.asarray(net.weak, dtype=bool)
            if getattr(net, "weak", None) is not None
            else np.zeros(len(src), bool)
        )
        if len(src) > MAX_EDGES_DRAWN:
            keep = np.random.default_rng(0).choice(len(src), MAX_EDGES_DRAWN, replace=False)
            src, dst, weak = src[keep], dst[keep], weak[keep]
        self.strong_path = self._path(src[~weak], dst[~weak])
        self.weak_path = self._path(src[weak], dst[weak])
        self.edges_drawn = len(src)
        self._business_xy: dict[int, tuple[float, float]] = {}
        self.spacing = spacing

    def _spacing(self, n_hoods: int) -> float:
        if n_hoods <= 1:
            return 0.8 * self.SIZE
        if n_hoods <= 12:
            ring = 0.34 * self.SIZE
            return min(2 * ring * math.sin(math.pi / n_hoods), 0.45 * self.SIZE)
        return 0.9 * self.SIZE / math.ceil(math.sqrt(n_hoods))

    def _centres(self, n_hoods: int) -> np.ndarray:
        c = self.SIZE / 2
        if n_hoods <= 1:
            return np.array([[c, c]])
        if n_hoods <= 12:
            a = 2 * math.pi * np.arange(n_hoods) / n_hoods - math.pi / 2
            return np.column_stack([c + 0.34 * self.SIZE * np.cos(a), c + 0.34 * self.SIZE * np.sin(a)])
        side = math.ceil(math.sqrt(n_hoods))
        cell = 0.9 * self.SIZE / side
        i = np.arange(n_hoods)
        return np.column_stack(
            [
                0.05 * self.SIZE + cell * (i % side + 0.5),
                0.05 * self.SIZE + cell * (i // side + 0.5),
            ]
        )

    def _path(self, s: np.ndarray, d: np.ndarray) -> str:
        a, b = self.xy[s], self.xy[d]
        return "".join(
            f"M{x0:.0f} {y0:.0f}L{x1:.0f} {y1:.0f}" for (x0, y0), (x1, y1) in zip(a, b, strict=True)
        )

    def business_xy(self, model: CommunityModel, b: int) -> tuple[float, float]:
        """Where business ``b`` is drawn (cached; chain stores opened live get a place too)."""
        if b not in self._business_xy:
            h = int(model.business_hood[b]) % len(self.centres)
            same = [
                i for i in range(model.n_businesses) if int(model.business_hood[i]) % len(self.centres) == h
            ]
            j = same.index(b)
            # two share a small ring; a third (or a chain store opened beside them) a wider one,
            # so that names written 16 px high under their squares do not overlap
            r = (0.45 if len(same) <= 2 else 0.75) * self.hood_radius[h] if len(same) > 1 else 0.0
            a = 2 * math.pi * j / max(len(same), 1) - math.pi / 2
            self._business_xy[b] = (
                self.centres[h, 0] + r * math.cos(a),
                self.centres[h, 1] + r * math.sin(a),
            )
        return self._business_xy[b]
