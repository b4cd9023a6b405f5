"""What each compared measure is: its unit, how a strategy group is summarised, its range.

The printed table, ``comparison.csv``, ``report.html``, the run figures and the dashboard take
their words from here, so the same number carries the same name, unit and aggregation
everywhere. A measure is one :class:`Measure` entry in :data:`MEASURES`: its ``column`` in the
strategy table (:func:`sim.runs.runner.strategy_table`: counts and money summed over the group,
rates averaged over its open businesses) and an ``aggregation`` that turns that column into the
figure shown (:func:`group_values`).

Aggregations:

- ``per_business``: the group's total divided by its businesses opened so far; a closed business
  counts as 0 (its cash as what it held when it closed). Groups of different sizes compare fairly.
- ``open_mean``: the mean over the group's businesses still open; it jumps when a weak member
  closes, so outputs show how many are open beside it.
- ``opened_share``: the share of the group's opened businesses still open.
- ``group_total``: the sum over the group's businesses.
- ``group_ratio``: one group total over another (e.g. spend per new customer), by ``compute``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core.channels import REFERRED_CHANNELS

AGGREGATIONS = {
    "per_business": "per business (group total / businesses opened; a closed business counts 0)",
    "open_mean": "mean over the group's open businesses",
    "opened_share": "share of the group's opened businesses still open",
    "group_total": "group total (sum over the group's businesses)",
    "group_ratio": "ratio of the group's totals",
}
"""Each aggregation in the words every output uses."""

SHORT_AGGREGATIONS = {
    "per_business": "per business",
    "open_mean": "mean over open businesses",
    "opened_share": "share of opened businesses",
    "group_total": "group total",
    "group_ratio": "ratio of group totals",
}
"""The same, short enough for a table's row or a chart's title."""


@dataclass(frozen=True)
class Measure:
    """One compared measure.

    Attributes:
        name: its name in ``comparison.csv`` and the figures' files.
        label: its name in tables and figures.
        unit: its unit ("currency a week", "customers", "share", "points").
        aggregation: a key of :data:`AGGREGATIONS`.
        low, high: the range its values can take (None: unbounded on that side).
        fmt: how a value is printed.
        table: shown in the printed comparison (and ``comparison.csv``).
        figure: drawn in the run's figures.
        column: the strategy table's column it is computed from (default: ``name``).
        compute: for ``group_ratio``, the value of each strategy-table row from the table.
    """

    name: str
    label: str
    unit: str
    aggregation: str
    low: float | None = None
    high: float | None = None
    fmt: str = "{:,.0f}"
    table: bool = True
    figure: bool = True
    column: str | None = None
    compute: Callable[[pd.DataFrame], pd.Series] | None = None

    @property
    def how(self) -> str:
        """Unit and aggregation in full, e.g. "currency a week; per business (...)"."""
        return f"{self.unit}; {AGGREGATIONS[self.aggregation]}"

    @property
    def title(self) -> str:
        """A chart title: label, unit and short aggregation."""
        return f"{self.label} ({self.unit}; {SHORT_AGGREGATIONS[self.aggregation]})"


def _to_date(numerator, denominator):
    """A ratio of two group totals summed from week 1 to each row's week, per run and group."""

    def compute(strategy_ts: pd.DataFrame) -> pd.Series:
        order = strategy_ts.sort_values("step")
        groups = order.groupby(["run_id", "strategy"], sort=False)
        top = numerator(order).groupby([order["run_id"], order["strategy"]], sort=False).cumsum()
        bottom = groups[denominator].cumsum()
        with np.errstate(invalid="ignore", divide="ignore"):
            value = top / bottom.where(bottom > 0)
        return value.reindex(strategy_ts.index)

    return compute


def _column(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda df: df[name]


def _referred_revenue(df: pd.DataFrame) -> pd.Series:
    return sum(df[f"revenue_from_{c}"] for c in REFERRED_CHANNELS)


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("revenue", "revenue", "currency a week", "per_business", 0.0),
        Measure("profit", "profit", "currency a week", "per_business", figure=False),
        Measure("customers_active", "active customers", "customers", "per_business", 0.0),
        Measure(
            "retention_rate",
            "retention",
            "share of repeat chances taken, 0 to 1",
            "open_mean",
            0.0,
            1.0,
            "{:.3f}",
        ),
        Measure(
            "promoter_score", "promoter score", "points, -100 to 100", "open_mean", -100.0, 100.0, "{:+.1f}"
        ),
        Measure("clv_estimate", "lifetime value", "currency", "open_mean", 0.0, figure=False),
        Measure("cash", "cash", "currency", "per_business", table=False),
        Measure("survival", "survival", "share, 0 to 1", "opened_share", 0.0, 1.0, "{:.2f}"),
        Measure(
            "cac",
            "acquisition cost",
            "currency per new customer, weeks 1 to this",
            "group_ratio",
            0.0,
            figure=False,
            compute=_to_date(_column("acquisition_spend"), "new_customers"),
        ),
        Measure(
            "cac_ads",
            "cost per ad customer",
            "currency per customer won by ads, weeks 1 to this",
            "group_ratio",
            0.0,
            figure=False,
            compute=_to_date(_column("ad_cost"), "new_from_ads"),
        ),
        Measure(
            "cac_community",
            "cost per community customer",
            "currency per customer won by community work, weeks 1 to this",
            "group_ratio",
            0.0,
            figure=False,
            compute=_to_date(_column("community_cost"), "new_from_community"),
        ),
        Measure(
            "referral_revenue_share",
            "referred revenue",
            "share of revenue from referred customers, weeks 1 to this, 0 to 1",
            "group_ratio",
            0.0,
            1.0,
            "{:.2f}",
            figure=False,
            compute=_to_date(_referred_revenue, "revenue"),
        ),
    )
}
"""The compared measures by name, in the order they are shown."""


def group_values(strategy_ts: pd.DataFrame, measure: str) -> pd.Series:
    """The measure's value for each row (run x week x strategy group) of the strategy table."""
    m = MEASURES[measure]
    if m.compute is not None:
        return m.compute(strategy_ts)
    column = strategy_ts[m.column or m.name]
    if m.aggregation == "per_business":
        return column / strategy_ts["businesses"]
    return column


def businesses_open(strategy_ts: pd.DataFrame) -> pd.Series:
    """Open businesses of each row of the strategy table (survival x businesses opened)."""
    return (strategy_ts["survival"] * strategy_ts["businesses"]).round()


def in_range(measure: str, values) -> np.ndarray:
    """Whether each finite value lies in the measure's range (nan counts as inside)."""
    m = MEASURES[measure]
    v = np.asarray(values, dtype=float)
    ok = np.ones(v.shape, dtype=bool)
    if m.low is not None:
        ok &= ~(v < m.low - 1e-9)
    if m.high is not None:
        ok &= ~(v > m.high + 1e-9)
    return ok


__all__ = [
    "AGGREGATIONS",
    "MEASURES",
    "Measure",
    "SHORT_AGGREGATIONS",
    "businesses_open",
    "group_values",
    "in_range",
]
