"""Cohorts (ODD 7.9): customers by business, acquisition channel and the quarter of their first purchase.

A cohort is the customers a business won through one channel in one quarter (13 weeks; quarter 1
is weeks 1-13). For each cohort the book keeps how many customers it has, how many are still
*retained* 13, 26 and 52 weeks after their first purchase (their latest purchase in the
category was from the business, and it is open), and the margin they brought in up to those
ages (from the first purchase on; also discounted to the week of the first purchase at the
economy's discount rate). Realised lifetime value comes from it: ``clv_realised`` is the
discounted margin per customer over the first 52 weeks of the customers won at least 52 weeks
before.

Everything is booked by whole-week updates on this week's purchases and first purchases (a
compiled loop over the purchases, bincounts over the first purchases of 13, 26 and 52 weeks
ago), never by a pass over the customers x businesses arrays: the book holds per business x
channel x quarter counts and the first purchases of the last 52 weeks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from mesa import Model
from numba import njit

from sim.core.channels import CHANNELS
from sim.core.compiled import JIT

QUARTER = 13
"""Weeks in a cohort's acquisition period."""
AGES = (13, 26, 52)
"""Ages (weeks after the first purchase) at which a cohort's retention and margin are read."""
WIDTH = len(CHANNELS) + 1
"""Channel codes (0 unused: a customer is always won through a channel)."""


@njit(**JIT)
def book_margins(
    business, channel, first, price, unit_cost, week, powers, margin, discounted, value_by_week
):  # pragma: no cover - compiled
    """Add this ``week``'s purchases' margins to their cohorts, by age band (ODD 7.9).

    Purchase k, at business ``business[k]`` for ``price[k]`` by a customer won through
    ``channel[k]`` in week ``first[k]``, has margin ``price[k] - unit_cost[business[k]]`` and age
    ``week - first[k]`` weeks. It is added to the first age band of :data:`AGES` it has not
    passed (0-13, 14-26, 27-52 weeks), in ``margin`` and, times ``powers[age]`` (the discount
    factor), in ``discounted`` (bands x businesses x channels x quarters; the cumulative figure at
    an age is the sum of the bands up to it), and in ``value_by_week`` (businesses x week won,
    discounted).
    """
    last = AGES[-1]
    for k in range(len(business)):
        age = week - first[k]
        if age > last or first[k] < 1:
            continue
        b = business[k]
        q = (first[k] - 1) // QUARTER
        m = price[k] - unit_cost[b]
        pv = m * powers[age]
        band = 0
        while age > AGES[band]:
            band += 1
        margin[band, b, channel[k], q] += m
        discounted[band, b, channel[k], q] += pv
        value_by_week[b, first[k]] += pv


class Cohorts:
    """The cohort book of one model: filled each week, read as a table at the end.

    Args:
        n_businesses: businesses so far (chain stores opened live are added with :meth:`grow`).
        weeks: weeks the run is planned for (the book grows if it runs longer).
        discount: weekly discount rate.
    """

    def __init__(self, n_businesses: int, weeks: int, discount: float) -> None:
        q = weeks // QUARTER + 2
        self.customers = np.zeros((n_businesses, WIDTH, q), dtype=np.int64)
        self.retained = np.zeros((len(AGES), n_businesses, WIDTH, q), dtype=np.int64)
        self.margin_bands = np.zeros((len(AGES), n_businesses, WIDTH, q))
        """Margin by age band (0-13, 14-26, 27-52 weeks) x business x channel x quarter won."""
        self.discounted_bands = np.zeros((len(AGES), n_businesses, WIDTH, q))
        self.won_by_week = np.zeros((n_businesses, weeks + 2), dtype=np.int64)
        self.value_by_week = np.zeros((n_businesses, weeks + 2))
        self.powers = (1.0 + discount) ** -np.arange(AGES[-1] + 1, dtype=float)
        self.recent: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        """First purchases of the last 52 weeks by week: (customers, businesses, channels)."""
        self.done_customers = np.zeros(n_businesses, dtype=np.int64)
        self.done_value = np.zeros(n_businesses)
        self.week = 0

    def grow(self, k: int) -> None:
        """Make room for ``k`` more businesses (a chain store opened live)."""

        def widen(a: np.ndarray, axis: int) -> np.ndarray:
            shape = list(a.shape)
            shape[axis] = k
            return np.concatenate([a, np.zeros(shape, dtype=a.dtype)], axis=axis)

        self.customers = widen(self.customers, 0)
        for name in ("retained", "margin_bands", "discounted_bands"):
            setattr(self, name, widen(getattr(self, name), 1))
        self.won_by_week = widen(self.won_by_week, 0)
        self.value_by_week = widen(self.value_by_week, 0)
        self.done_customers = widen(self.done_customers, 0)
        self.done_value = widen(self.done_value, 0)

    def _room_for(self, week: int) -> None:
        """Lengthen the week and quarter axes when a run goes past its planned weeks."""
        if week >= self.won_by_week.shape[1]:
            for name in ("won_by_week", "value_by_week"):
                a = getattr(self, name)
                setattr(self, name, np.concatenate([a, np.zeros_like(a)], axis=1))
        if (week - 1) // QUARTER >= self.customers.shape[2]:
            self.customers = np.concatenate([self.customers, np.zeros_like(self.customers)], axis=2)
            for name in ("retained", "margin_bands", "discounted_bands"):
                a = getattr(self, name)
                setattr(self, name, np.concatenate([a, np.zeros_like(a)], axis=3))

    def acquire(self, week: int, customer: np.ndarray, business: np.ndarray, channel: np.ndarray) -> None:
        """Stage 4: this week's first purchases (customer, business, acquisition channel code)."""
        self._room_for(week)
        q = (week - 1) // QUARTER
        nb = self.customers.shape[0]
        self.customers[:, :, q] += np.bincount(business * WIDTH + channel, minlength=nb * WIDTH).reshape(
            nb, WIDTH
        )
        self.won_by_week[:, week] += np.bincount(business, minlength=nb)
        self.recent[week] = (customer.astype(np.int32), business.astype(np.int32), channel)  # 9 bytes each

    def book(self, model: Model, buys: dict[str, np.ndarray]) -> None:
        """Stage 7: this week's purchases' margins, to their cohorts by age (after the first purchases)."""
        b = buys["business"]
        if len(b) == 0:
            return
        unit = model.unit_cost * model.usual_price * float(model.cost_index)
        book_margins(
            b,
            buys["channel"],
            buys["since"],
            buys["price"],
            unit,
            model.week,
            self.powers,
            self.margin_bands,
            self.discounted_bands,
            self.value_by_week,
        )

    def age(self, model: Model) -> None:
        """Stage 9: who of the customers won 13, 26 and 52 weeks ago is still retained."""
        week = self.week = model.week
        for a, age in enumerate(AGES):
            won = self.recent.get(week - age)
            if won is None or len(won[0]) == 0:
                continue
            c, b, ch = won
            kept = (model.patron[c, model.business_category[b]] == b) & model.alive[b]
            nb = self.retained.shape[1]
            q = (week - age - 1) // QUARTER
            counts = np.bincount(b * WIDTH + ch, weights=kept, minlength=nb * WIDTH)
            self.retained[a, :, :, q] += counts.astype(np.int64).reshape(nb, WIDTH)
        done = week - AGES[-1]
        if done >= 1:
            self.done_customers += self.won_by_week[:, done]
            self.done_value += self.value_by_week[:, done]
        for old in [w for w in self.recent if w <= done]:
            del self.recent[old]

    @property
    def margin(self) -> np.ndarray:
        """Margin from the first purchase to each age of :data:`AGES`, by business, channel and quarter."""
        return np.cumsum(self.margin_bands, axis=0)

    @property
    def discounted(self) -> np.ndarray:
        """:attr:`margin` discounted to the week of each customer's first purchase."""
        return np.cumsum(self.discounted_bands, axis=0)

    def realised(self) -> np.ndarray:
        """Per business: discounted margin per customer in the first 52 weeks, of those won 52+ weeks ago.

        Currency per customer, discounted to the week of each customer's first purchase; nan until
        a customer won has reached 52 weeks.
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.done_customers > 0, self.done_value / self.done_customers, np.nan)

    def table(self, model: Model) -> pd.DataFrame:
        """One row per business x acquisition channel x cohort with customers (ODD 7.9).

        Columns: ``business_id, business, strategy, category, channel, cohort`` (quarter 1, 2,
        ...), ``first_week`` (the quarter's first week), ``customers``, and per age A of 13, 26,
        52 weeks: ``retained_Aw`` (share of the cohort's customers retained A weeks after their
        first purchase), ``margin_Aw`` (margin per customer from the first purchase to age A,
        currency) and ``discounted_margin_Aw`` (the same discounted to the first purchase's
        week). Nan where the run ended before every customer of the cohort reached that age.
        """
        b, ch, q = np.nonzero(self.customers)
        n = self.customers[b, ch, q]
        strategies = np.array(model.strategy_names(), dtype=object)
        categories = np.array([model.category_names[k] for k in model.business_category], dtype=object)
        df = pd.DataFrame(
            {
                "business_id": b,
                "business": np.array(model.business_name, dtype=object)[b],
                "strategy": strategies[b],
                "category": categories[b],
                "channel": np.array(("none", *CHANNELS), dtype=object)[ch],
                "cohort": q + 1,
                "first_week": q * QUARTER + 1,
                "customers": n,
            }
        )
        end_of_quarter = (q + 1) * QUARTER
        margin, discounted = self.margin, self.discounted
        with np.errstate(invalid="ignore", divide="ignore"):
            for a, age in enumerate(AGES):
                complete = end_of_quarter + age <= self.week
                for name, values in (
                    ("retained", self.retained),
                    ("margin", margin),
                    ("discounted_margin", discounted),
                ):
                    df[f"{name}_{age}w"] = np.where(complete, values[a, b, ch, q] / n, np.nan)
        return df  # in business, channel code and cohort order (np.nonzero's)
