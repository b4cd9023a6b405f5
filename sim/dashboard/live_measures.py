"""What the headline and the live charts report about a town, read from the model's weekly recorder.

Per strategy and week: revenue per business (currency a week), active customers per business,
promoter score (-100 to 100, mean over open businesses), cash per business (currency) and new
customers by channel (the units and aggregations of :mod:`sim.outputs.measure_units`); which
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
from sim.outputs.measure_units import MEASURES

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


REVENUE_DECIMALS = 0
"""Revenue is shown in whole currency units: two values equal at that precision are a tie."""
RETENTION_DECIMALS = 2
"""Retention (a share, 0 to 1) is shown with two decimals: equal at that precision is a tie."""


def leader(values: dict[str, float], decimals: int) -> tuple[str | None, bool]:
    """The key with the largest value and whether the lead is a tie.

    A tie is a lead no larger than what the page shows (``decimals`` after rounding), so the
    page never names a leader whose figure reads the same as the runner-up's. With fewer than
    two values there is no leader and no tie.
    """
    if len(values) < 2:
        return None, False
    ranked = sorted(values, key=values.get, reverse=True)
    if round(values[ranked[0]], decimals) == round(values[ranked[1]], decimals):
        return None, True
    return ranked[0], False


def leaders(model: CommunityModel) -> dict[str, Any]:
    """Which strategy leads on revenue and on retention (chain stores left out).

    Revenue: mean weekly revenue per business of the strategy over the last 4 weeks (per
    business, so a group of two is not outweighed by a group of eight; currency a week).
    Retention: mean retention rate of the strategy's open businesses this week (share, 0 to 1).
    A leader is ``None`` when it is a tie at the precision shown (``revenue_tie``,
    ``retention_tie``; see :func:`leader`).
    """
    data, t = recorded(model)
    out: dict[str, Any] = {
        "revenue_leader": None,
        "retention_leader": None,
        "revenue_tie": False,
        "retention_tie": False,
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
    out["revenue_leader"], out["revenue_tie"] = leader(out["revenue"], REVENUE_DECIMALS)
    out["retention_leader"], out["retention_tie"] = leader(out["retention"], RETENTION_DECIMALS)
    return out


def chart_value(v: float) -> float | None:
    """A value as the charts take it: rounded to 3 decimals, ``None`` when not finite."""
    return None if not math.isfinite(v) else round(float(v), 3)


def chart_title(measure: str, one_business: bool = False) -> str:
    """A chart's title in the words of every output (:mod:`sim.outputs.measure_units`).

    With ``one_business`` (the side-by-side charts of one business) the aggregation is left out.
    """
    m = MEASURES[measure]
    title = f"{m.label} ({m.unit})" if one_business else m.title
    return title[0].upper() + title[1:]


SERIES = tuple((m, chart_title(m)) for m in ("revenue", "customers_active", "promoter_score", "cash"))
"""The line charts: measure and title (unit and aggregation as in ``commsim run``'s table)."""


def strategy_series(model: CommunityModel) -> tuple[list[dict], list[dict]]:
    """Per strategy and week, aggregated as :data:`SERIES` says.

    Per business = the group's total over its businesses opened by that week (a closed one
    counts 0; nothing before the first opens); the promoter score is the mean over open businesses.
    """
    data, t = recorded(model)
    names = np.array(model.strategy_names())
    rows: list[dict] = []
    bars: list[dict] = []
    if t == 0:
        return rows, bars
    weeks = np.arange(1, t + 1)
    alive = data["alive"][:t] > 0
    opened = weeks[:, None] >= np.asarray(model.opens)[None, : len(names)]
    for s in dict.fromkeys(names):
        cols = names == s
        n_opened = opened[:, cols].sum(axis=1)
        for m, _ in SERIES:
            block = data[m][:t, cols]
            if MEASURES[m].aggregation == "open_mean":
                vals = _nanmean_rows(np.where(alive[:, cols], block, np.nan))
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    vals = np.where(
                        n_opened > 0, np.where(opened[:, cols], block, 0).sum(axis=1) / n_opened, np.nan
                    )
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


# ---------------------------------------------------------------- one business, one customer
OPEN, CLOSED, NOT_YET_OPEN = "open", "closed", "not yet open"
"""A business's state: trading this week, closed for good, or not opened yet (week 0, a chain
store announced for next week, a business a scenario opens later)."""

EXIT_REASONS = {
    "market": "cash below its credit line",
    "owner": "the owner left",
    "shock": "its shock ended",
    "removed": "removed",
}
"""Why a business closed, in the page's words (``model.exit_reason``; docs/ODD.md section 7.7)."""


def business_states(model: CommunityModel) -> list[str]:
    """Each business's state: :data:`OPEN`, :data:`CLOSED` or :data:`NOT_YET_OPEN`."""
    closed = np.asarray(model.closed_week) >= 0
    return [OPEN if a else CLOSED if c else NOT_YET_OPEN for a, c in zip(model.alive, closed, strict=True)]


def state_counts(model: CommunityModel) -> dict[str, int]:
    """How many businesses are open, closed and not yet open (every business counted once)."""
    states = business_states(model)
    return {s: states.count(s) for s in (OPEN, CLOSED, NOT_YET_OPEN)}


def _last(data: dict[str, np.ndarray], t: int, column: str, b: int) -> float:
    return float(data[column][t - 1, b]) if t and b < data[column].shape[1] else math.nan


def business_monitor(model: CommunityModel) -> list[dict[str, Any]]:
    """One row per business: its state, cash now, and last week's active customers and promoter score.

    Units: cash in currency (what the business holds now; negative: drawing on its credit
    line), active customers in customers, promoter score in points (-100 to 100; nan when it
    had no active customer). Each row is one business, not a group.
    """
    data, t = recorded(model)
    states = business_states(model)
    strat = model.strategy_names()
    return [
        {
            "name": model.business_name[b],
            "strategy": strat[b],
            "category": model.category_names[model.business_category[b]],
            "state": states[b],
            "cash": float(model.cash[b]),
            "customers_active": int(_last(data, t, "customers_active", b)) if t else 0,
            "promoter_score": _last(data, t, "promoter_score", b),
        }
        for b in range(model.n_businesses)
    ]


def state_phrase(model: CommunityModel, b: int) -> str:
    """A business's state in words, with its week: "open since week 1", "closed in week 40 (...)"."""
    state = business_states(model)[b]
    if state == OPEN:
        return f"open since week {max(int(model.opens[b]), 1)}"
    if state == CLOSED:
        why = EXIT_REASONS.get(model.exit_reason[b], model.exit_reason[b])
        return f"closed in week {int(model.closed_week[b])} ({why})"
    return f"not yet open (opens in week {max(int(model.opens[b]), model.week + 1)})"


def business_detail(model: CommunityModel, b: int) -> list[tuple[str, str]]:
    """What the page shows about one business it was asked about: (what, value with its unit) pairs.

    Cash is what it holds now; customers and the promoter score are last week's, revenue and
    profit last week's (currency a week).
    """
    data, t = recorded(model)
    row = business_monitor(model)[b]

    def money(x: float) -> str:
        return "-" if not math.isfinite(x) else f"{x:,.0f}"

    ps = row["promoter_score"]
    ever = int(_last(data, t, "cumulative_customers", b)) if t else 0
    return [
        ("business", f"{row['name']} ({row['category']}, {row['strategy']})"),
        ("state", state_phrase(model, b)),
        ("cash", f"{money(row['cash'])} currency (credit line {money(float(model.credit_line[b]))})"),
        ("active customers", f"{row['customers_active']:,} ({ever:,} ever)"),
        ("promoter score", ("-" if not math.isfinite(ps) else f"{ps:+.0f}") + " points (-100 to 100)"),
        (
            "last week",
            f"revenue {money(_last(data, t, 'revenue', b))}, profit "
            f"{money(_last(data, t, 'profit', b))} (currency a week)",
        ),
        (
            "price, quality",
            f"{float(model.price[b]):,.2f} currency a purchase, {float(model.quality[b]):.2f} (0-1)",
        ),
    ]


def customer_detail(model: CommunityModel, i: int) -> list[tuple[str, str]]:
    """What the page shows about one customer: (label with unit, value) pairs.

    Then one pair per business the customer knows: trust (0 to 1), last score (0-10, a
    promoter at 9-10, a detractor at 0-6) and the week of the last purchase.
    """
    main = int(main_business(model)[i])
    out = [
        ("customer", f"#{i}, neighbourhood {int(model.neighbourhood[i])}"),
        ("budget", f"{float(model.budget[i]):,.1f} currency a week"),
        (
            "weighs",
            f"conduct {float(model.values_weight[i]):.2f} (0-1); price sensitivity "
            f"{float(model.price_sensitivity[i]):.2f}",
        ),
        ("main business", model.business_name[main] if main >= 0 else "none"),
    ]
    known = np.flatnonzero(np.asarray(model.contact[i]) > 0)
    for b in known:
        score = int(model.score[i, b])
        last = int(model.last_purchase[i, b])
        bought = f"score {score}/10, bought week {last}" if score >= 0 and last > 0 else "never bought"
        out.append((model.business_name[b], f"trust {float(model.trust[i, b]):.2f} (0-1), {bought}"))
    if not len(known):
        out.append(("businesses known", "none yet"))
    return out
