"""What the headline and the live charts report about a town, read from the model's weekly recorder.

Per strategy and week: revenue per business (currency per week), active customers per business,
promoter score (-100 to 100), cash per business (currency) and new customers by channel; which
strategy leads on revenue and on retention; and each customer's main business, which colours the
town view. The measures are the model's own (docs/ODD.md section 7.9); the side-by-side versions,
for one business in two runs, are in :mod:`sim.dashboard.workshop`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.core.measures import CHANNELS
from sim.core.model import CommunityModel

CHANNEL_LABELS = {
    "ads": "ads",
    "community": "community work",
    "word_of_mouth": "word of mouth",
    "referral": "referral",
    "partner": "partner",
    "walk_in": "walk-in",
}
"""What the charts call each channel through which a business gains a customer."""


def recorded(model: CommunityModel) -> tuple[dict[str, np.ndarray], int]:
    """The model's recorded measures (arrays of week x business) and the number of weeks recorded."""
    rec = model.recorder
    return rec.data, rec.rows


def main_business(model: CommunityModel) -> np.ndarray:
    """Each customer's main business, -1 for none.

    The business they bought from most recently among those they are still active with
    (bought within the business's churn window).
    """
    active = model.active_mask()
    last = np.where(active, model.last_purchase, -1)
    main = last.argmax(axis=1)
    return np.where(last.max(axis=1) >= 0, main, -1)


def leaders(model: CommunityModel) -> dict[str, Any]:
    """Which strategy leads on revenue and on retention (chain stores left out).

    Revenue: mean weekly revenue per business of the strategy over the last 4 weeks (per
    business, so a group of two is not outweighed by a group of eight). Retention: mean
    retention rate of the strategy's open businesses this week.
    """
    data, t = recorded(model)
    out: dict[str, Any] = {
        "revenue_leader": None,
        "retention_leader": None,
        "revenue": {},
        "retention": {},
    }
    if t == 0:
        return out
    names = np.array(model.strategy_names())
    lo = max(0, t - 4)
    alive = data["alive"][t - 1] > 0
    for s in dict.fromkeys(str(x) for x in names):
        if s == "chain":
            continue
        cols = names == s
        out["revenue"][s] = float(data["revenue"][lo:t, cols].sum(axis=1).mean() / cols.sum())
        r = data["retention_rate"][t - 1, cols & alive]
        r = r[np.isfinite(r)]
        if len(r):
            out["retention"][s] = float(r.mean())
    if len(out["revenue"]) > 1:
        out["revenue_leader"] = max(out["revenue"], key=out["revenue"].get)
    if len(out["retention"]) > 1:
        out["retention_leader"] = max(out["retention"], key=out["retention"].get)
    return out


def chart_value(v: float) -> float | None:
    """A value as the charts take it: rounded to 3 decimals, ``None`` when not finite."""
    return None if not math.isfinite(v) else round(float(v), 3)


SERIES = (
    ("revenue", "Revenue per business (per week)"),
    ("customers_active", "Active customers per business"),
    ("promoter_score", "Promoter score (-100 to 100)"),
    ("cash", "Cash per business"),
)
"""The line charts: measure and title."""


def strategy_series(model: CommunityModel) -> tuple[list[dict], list[dict]]:
    """Per strategy and week: means per business (promoter score over open businesses)."""
    data, t = recorded(model)
    names = np.array(model.strategy_names())
    rows: list[dict] = []
    bars: list[dict] = []
    if t == 0:
        return rows, bars
    weeks = np.arange(1, t + 1)
    alive = data["alive"][:t] > 0
    for s in dict.fromkeys(names):
        cols = names == s
        for m, _ in SERIES:
            block = data[m][:t, cols]
            if m == "promoter_score":
                vals = _nanmean_rows(np.where(alive[:, cols], block, np.nan))
            else:
                vals = block.sum(axis=1) / cols.sum()
            rows += [
                {"w": int(w), "s": s, "m": m, "v": chart_value(v)} for w, v in zip(weeks, vals, strict=True)
            ]
        for ch in CHANNELS:
            total = data[f"new_from_{ch}"][:t, cols].sum() / cols.sum()
            bars.append({"ch": CHANNEL_LABELS[ch], "s": s, "v": round(float(total), 2)})
    return rows, bars


def _nanmean_rows(a: np.ndarray) -> np.ndarray:
    n = np.isfinite(a).sum(axis=1)
    s = np.where(np.isfinite(a), a, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)
