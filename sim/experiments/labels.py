"""Words for a sweep's numbers: each measure's unit and how a group of businesses is summarised.

A sweep records each measure per group of businesses (:func:`sim.experiments.worker.group_series`):
counts and money are summed over the group (a group total), rates are averaged over the group's
open businesses, ``survival`` is the share of its opened businesses still open. The words are
those of :mod:`sim.outputs.measure_units` (the run outputs' convention), so a number carries the
same unit and aggregation in a run's report and in a sweep's.
"""

from __future__ import annotations

import math

from sim.core.measures import COUNT_COLUMNS, MONEY_COLUMNS
from sim.outputs.measure_units import AGGREGATIONS, MEASURES, SHORT_AGGREGATIONS
from sim.runs.runner import MEAN_COLUMNS

_STOCKS = {"cash", "cum_revenue", "cum_profit"}
_UNITS = {  # the measures the run outputs do not compare (those take their unit from MEASURES)
    "cumulative_customers": "customers",
    "promoters": "customers",
    "detractors": "customers",
    "purchases": "purchases a week",
    "cut_backs": "purchases cut a week",
    "owner_hours": "hours a week",
    "community_value": "currency a week",
    "clv_realised": "currency",
    "trust_mean": "trust, 0 to 1",
    "price": "currency a purchase",
    "momentum_week": "weeks",
    "overtake_week": "week",
}
_AGGREGATION = {
    "group_total": SHORT_AGGREGATIONS["group_total"],
    "open_mean": AGGREGATIONS["open_mean"],
    "opened_share": AGGREGATIONS["opened_share"],
    "run": "one value per run",
}


def unit(measure: str) -> str:
    """The unit of a sweep measure, e.g. ``currency a week`` for revenue."""
    if measure in MEASURES:
        return MEASURES[measure].unit
    if measure in _UNITS:
        return _UNITS[measure]
    if measure in _STOCKS:
        return "currency" if measure == "cash" else "currency since week 1"
    if measure in MONEY_COLUMNS:
        return "currency a week"
    if measure in COUNT_COLUMNS:
        return "customers a week" if measure != "purchases" else "purchases a week"
    return ""


def aggregation(measure: str) -> str:
    """How a group's value is made from its businesses (in words)."""
    if measure == "survival":
        return _AGGREGATION["opened_share"]
    if measure in MEAN_COLUMNS:
        return _AGGREGATION["open_mean"]
    if measure in ("momentum_week", "overtake_week"):
        return _AGGREGATION["run"]
    return _AGGREGATION["group_total"]


def how(measure: str) -> str:
    """Unit and aggregation, e.g. ``currency since week 1; group total``."""
    return "; ".join(x for x in (unit(measure), aggregation(measure)) if x)


def number(v: float, digits: int = 3) -> str:
    """A value for text: ``digits`` significant figures, thousands separated (``-12,300``)."""
    if v is None or not math.isfinite(v):
        return "n/a"
    r = float(f"{v:.{digits}g}")  # rounded to `digits` significant figures
    if abs(r) >= 10 ** (digits - 1):
        return f"{r:,.0f}"
    return f"{r:.{digits}g}"


def share(v: float) -> str:
    """A share as a whole percentage (``61%``)."""
    return "n/a" if v is None or not math.isfinite(v) else f"{100 * v:.0f}%"


__all__ = ["aggregation", "how", "number", "share", "unit"]
