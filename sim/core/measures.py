"""Measures: what the model reports each week, per business, and the formulas behind them.

Reporters are kept apart from the dynamics: :class:`Recorder` reads the model's state at stage 9
of each week into preallocated, labelled arrays, and :meth:`Recorder.table` turns them into one
row per week x business. The formulas (promoter score, lifetime value, time to momentum, social
return on community investment) are plain functions, tested against hand-computed values.
Cohorts are kept by :mod:`sim.core.cohorts`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from mesa import Model

from sim.core.channels import CHANNELS, CODE
from sim.core.stages.purchases import need_probability

Referred = tuple[np.ndarray, np.ndarray]
"""Partner referrals given and received this week, per business."""

RETENTION_WINDOW = 13
"""Weeks over which retention and win-back events and the margin per purchase are summed (a quarter)."""

REPEAT_COLUMNS = ("repeat_chances", "repeats", "winback_chances", "winbacks")
"""This week's retention and win-back events per business (stage 4; ODD 7.9)."""
COUNT_COLUMNS = (
    "new_customers",
    *(f"new_from_{name}" for name in CHANNELS),
    "churned",
    "purchases",
    "cut_backs",
    "partner_referrals_given",
    "partner_referrals_received",
    *REPEAT_COLUMNS,
)
MONEY_COLUMNS = (
    "revenue",
    "profit",
    "cash",
    "goods_cost",
    "fixed_cost",
    "ad_cost",
    "community_cost",
    "owner_time_cost",
    "total_spend",
    "acquisition_spend",
    *(f"revenue_from_{name}" for name in CHANNELS),
)
CLV_HORIZON = 52
"""Weeks after the first purchase over which value is realised (``clv_realised``, ``clv_estimate_52w``)."""
COLUMNS = (
    "alive",
    "closed_by_market",
    "customers_active",
    "cumulative_customers",
    *COUNT_COLUMNS,
    *MONEY_COLUMNS,
    "price",
    "retention_rate",
    "winback_rate",
    "promoter_score",
    "promoters",
    "detractors",
    "clv_estimate",
    "clv_estimate_52w",
    "clv_realised",
    "trust_mean",
    "social_capital",
    "partners",
    "community_value",
    "sroi",
    "ad_reach",
    "ad_contacts",
    "community_contacts",
    "owner_hours",
)


def promoter_score(scores: np.ndarray) -> float:
    """Share of promoters (9-10) minus share of detractors (0-6), in points (-100 to 100).

    The "Net Promoter" name is a trademark; the arithmetic is the usual one. Scores below 0 mean
    "no score" and are ignored. Returns nan for an empty population.
    """
    s = np.asarray(scores)
    s = s[s >= 0]
    if len(s) == 0:
        return float("nan")
    return 100.0 * (np.mean(s >= 9) - np.mean(s <= 6))


def clv_estimate(margin, retention, winback, need, discount: float, weeks: int | None = None):
    """Expected discounted margin of a newly won customer, from the first purchase on (ODD 7.9).

    A customer needs the category with probability ``need`` a week (purchase cycle 1 / need
    weeks); at each need they buy from the business again with probability ``retention`` if
    their previous purchase in the category was there, and with probability ``winback`` if it
    was elsewhere (a two-state chain; 0 when nothing was measured). Each purchase earns
    ``margin`` (currency); ``discount`` is per week. Over ``weeks`` weeks after the first
    purchase (None: for ever) the value is

        margin x (1 + need x sum_w x^w [pi + (1 - pi) lambda g^(w-1)]),

    with x = 1 / (1 + discount), lambda = retention - winback, pi = winback / (1 - lambda) and
    g = 1 - need + need x lambda. With winback 0 and no horizon this is margin + m r / (1 + d' - r)
    with d' = discount / need, the Gupta & Lehmann (2003) formula per purchase cycle. Nan where
    a figure is nan; inf where nothing discounts a customer who never leaves. Takes numbers or
    arrays (one value per business).
    """
    m = np.asarray(margin, dtype=float)
    r = np.asarray(retention, dtype=float)
    rho = np.nan_to_num(np.asarray(winback, dtype=float), nan=0.0)
    p = np.asarray(need, dtype=float)
    x = 1.0 / (1.0 + discount)
    lam = r - rho
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        pi = np.where((rho > 0) & (lam < 1), rho / (1.0 - lam), 0.0)
        g = 1.0 - p + p * lam
        if weeks is None:
            stay = np.where(pi > 0, pi * x / (1.0 - x), 0.0)
            decay = (1.0 - pi) * lam * x / (1.0 - g * x)
        else:
            stay = pi * (x * (1.0 - x**weeks) / (1.0 - x) if x < 1.0 else weeks)
            gx = g * x
            decay = (1.0 - pi) * lam * x * np.where(gx < 1.0, (1.0 - gx**weeks) / (1.0 - gx), weeks)
        value = m * (1.0 + p * (stay + decay))
    value = np.where(np.isnan(r), np.nan, value)
    return value if value.ndim else float(value)


def momentum_week(revenue: np.ndarray, window: int = 13, sustain: int = 13, growth: float = 0.02) -> int:
    """The first week from which revenue growth is sustained, or -1.

    Revenue is smoothed with a trailing ``window``-week mean; momentum starts at the first week
    t where the smoothed revenue grows by more than ``growth`` (relative) over each of the next
    ``sustain`` weeks' quarter-on-quarter comparison, i.e. mean(t+s) > (1+growth) mean(t+s-window)
    for every s in 0..sustain-1. Weeks are 1-based.
    """
    r = np.asarray(revenue, dtype=float)
    if len(r) < 2 * window + sustain:
        return -1
    smooth = pd.Series(r).rolling(window, min_periods=window).mean().to_numpy()
    ok = np.zeros(len(r), dtype=bool)
    ok[window:] = smooth[window:] > (1 + growth) * np.nan_to_num(smooth[:-window], nan=np.inf)
    run = pd.Series(ok).rolling(sustain).sum().to_numpy() == sustain
    hits = np.flatnonzero(run)
    return int(hits[0] - sustain + 2) if len(hits) else -1


def sroi(community_value, community_cost):
    """Social Return on Community Investment: value attributable to community work / its cost.

    Attribution rule (docs/ODD.md): the gross margin earned from customers whose first purchase
    came through community work, partner referrals, or referrals and word of mouth, times the
    share of the business's first contacts that community work made. nan when nothing was
    spent. Takes numbers or arrays (one value per business).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(np.asarray(community_cost) > 0, community_value / community_cost, np.nan)
    return value if value.ndim else float(value)


class Recorder:
    """Preallocated weekly measures of every business."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.steps = model.run_config["steps"]
        self.rows = 0
        self.data: dict[str, np.ndarray] = {c: np.zeros((self.steps, model.n_businesses)) for c in COLUMNS}
        self.demand = np.ones(self.steps)
        self.cost = np.ones(self.steps)

    def grow(self, k: int) -> None:
        """Make room for ``k`` more businesses (a chain store opened live)."""
        for c, a in self.data.items():
            self.data[c] = np.hstack([a, np.zeros((a.shape[0], k))])

    def _ensure_rows(self) -> None:
        if self.rows >= self.data["alive"].shape[0]:
            extra = max(52, self.rows)
            for c, a in self.data.items():
                self.data[c] = np.vstack([a, np.zeros((extra, a.shape[1]))])
            self.demand = np.concatenate([self.demand, np.ones(extra)])
            self.cost = np.concatenate([self.cost, np.ones(extra)])

    def record(
        self,
        buys: dict[str, np.ndarray],
        money: dict[str, np.ndarray],
        referred: Referred,
    ) -> None:
        """Stage 9: read this week's state."""
        with np.errstate(invalid="ignore", divide="ignore"):  # shares of nothing are nan
            self._record(buys, money, referred)

    def _record(
        self,
        buys: dict[str, np.ndarray],
        money: dict[str, np.ndarray],
        referred: Referred,
    ) -> None:
        m = self.model
        self._ensure_rows()
        t = self.rows
        d = self.data
        standing = m.standing  # counted at the word-of-mouth stage, before closures
        open_now = m.alive  # a business that closed this week has no active customers left
        d["alive"][t] = m.alive
        d["closed_by_market"][t] = [r == "market" for r in m.exit_reason]
        n_scored = np.where(open_now, standing["active"], 0)  # an active customer always has a score
        d["customers_active"][t] = n_scored
        d["cumulative_customers"][t] = m.customers_won
        d["new_customers"][t] = m.new_by_channel.sum(axis=1)
        for name, code in CODE.items():
            d[f"new_from_{name}"][t] = m.new_by_channel[:, code]
        d["churned"][t] = standing["churned"]
        d["purchases"][t] = money["units"]
        d["cut_backs"][t] = m.cut_backs
        d["partner_referrals_given"][t], d["partner_referrals_received"][t] = referred
        for c in (*MONEY_COLUMNS, "owner_hours"):
            if c != "cash" and not c.startswith("revenue_from_"):
                d[c][t] = money[c]
        for name, code in CODE.items():
            d[f"revenue_from_{name}"][t] = money["revenue_by_channel"][:, code]
        for c, counts in zip(REPEAT_COLUMNS, m.repeat_counts, strict=True):
            d[c][t] = counts
        d["cash"][t] = m.cash
        d["price"][t] = m.price
        prom = np.where(open_now, standing["promoters"], 0)
        det = np.where(open_now, standing["detractors"], 0)
        d["promoters"][t] = prom
        d["detractors"][t] = det
        d["promoter_score"][t] = np.where(n_scored > 0, 100.0 * (prom - det) / n_scored, np.nan)
        lo = max(0, t - RETENTION_WINDOW + 1)

        def quarter(column: str) -> np.ndarray:  # the last 13 weeks' total
            return d[column][lo : t + 1].sum(axis=0)

        def rate(events: str, chances: str) -> np.ndarray:  # nan where there was no chance
            n = quarter(chances)
            return quarter(events) / np.where(n > 0, n, np.nan)

        r = rate("repeats", "repeat_chances")
        rho = rate("winbacks", "winback_chances")
        units = quarter("purchases")
        margin = np.where(units > 0, (quarter("revenue") - quarter("goods_cost")) / units, np.nan)
        need = need_probability(m)[m.business_category]
        d["retention_rate"][t] = r
        d["winback_rate"][t] = rho
        d["clv_estimate"][t] = clv_estimate(margin, r, rho, need, m.weekly_discount)
        d["clv_estimate_52w"][t] = clv_estimate(margin, r, rho, need, m.weekly_discount, CLV_HORIZON)
        m.cohorts.age(m)
        d["clv_realised"][t] = m.cohorts.realised()
        n_aware = m.contact_counts[:, 1:].sum(axis=1)
        trust_sum = m.trust_held
        d["trust_mean"][t] = np.where(n_aware > 0, trust_sum / n_aware, np.nan)
        d["social_capital"][t] = trust_sum
        d["partners"][t] = m.partnerships.active_partners(m, open_only=False)
        d["ad_reach"][t] = m.ad_reach
        d["ad_contacts"][t] = m.ad_contacts
        d["community_contacts"][t] = m.community_contacts
        # Community value: margin of customers won by community work or partners, plus the
        # community-made share of first contacts applied to word-of-mouth and referral margin.
        mc = m.margin_by_channel
        seeding = m.contact_counts[:, [CODE[c] for c in ("ads", "community", "partner", "walk_in")]].sum(
            axis=1
        )
        community_share = np.where(seeding > 0, m.contact_counts[:, CODE["community"]] / seeding, 0.0)
        value = (
            mc[:, CODE["community"]]
            + mc[:, CODE["partner"]]
            + community_share * (mc[:, CODE["word_of_mouth"]] + mc[:, CODE["referral"]])
        )
        d["community_value"][t] = value
        spent = d["community_cost"][: t + 1].sum(axis=0)
        d["sroi"][t] = sroi(value, spent)
        self.demand[t] = m.demand_index
        self.cost[t] = m.cost_index
        self.rows += 1

    def table(self) -> pd.DataFrame:
        """One row per week x business, in (step, business_id) order."""
        m = self.model
        t, nb = self.rows, m.n_businesses
        step = np.repeat(np.arange(1, t + 1), nb)
        df = pd.DataFrame(
            {
                "step": step,
                "business_id": np.tile(np.arange(nb), t),
                "business": np.tile(np.array(m.business_name, dtype=object), t),
                "strategy": np.tile(np.array(m.strategy_names(), dtype=object), t),
                "category": np.tile(
                    np.array([m.category_names[k] for k in m.business_category], dtype=object), t
                ),
            }
        )
        for c in COLUMNS:
            df[c] = self.data[c][:t].reshape(-1)
        df["alive"] = df["alive"].astype(bool)
        df["closed_by_market"] = df["closed_by_market"].astype(bool)
        for c in (
            "customers_active",
            "cumulative_customers",
            *COUNT_COLUMNS,
            "promoters",
            "detractors",
            "partners",
            "ad_contacts",
            "community_contacts",
        ):
            df[c] = df[c].astype(np.int64)
        df["demand_index"] = np.repeat(self.demand[:t], nb)
        df["cost_index"] = np.repeat(self.cost[:t], nb)
        opened = df["step"].to_numpy() >= np.tile(m.opens, t)
        return df[opened | df["alive"].to_numpy()].reset_index(drop=True)


GROUP_MEASURES = {
    "revenue": "currency per week, summed over the group's businesses",
    "customers_active": "customers, summed over the group's businesses",
    "promoter_score": "-100 to 100, pooled over the group's active customers (nan: none)",
    "cash": "currency, mean over the group's businesses that have opened",
    "survival": "share of the group's opened businesses still open (0-1)",
}
"""The DataCollector's model-level measures, one column per measure and strategy group."""


def group_reporters(strategies: list[str]) -> dict[str, Callable[[Model], float]]:
    """Model reporters for ``mesa.DataCollector``: ``<measure>_<strategy>`` for :data:`GROUP_MEASURES`.

    Each reads the week just recorded (:class:`Recorder`), so collecting costs a few sums over the
    businesses, not a pass over the town.
    """
    members: dict[tuple[str, int], np.ndarray] = {}  # (strategy, businesses so far): its businesses

    def reporter(measure: str, strategy: str) -> Callable[[Model], float]:
        def report(model: Model) -> float:
            key = (strategy, model.n_businesses)  # a chain store opened live adds a business
            if key not in members:
                members[key] = np.array([s.name == strategy for s in model.business_strategy])
            return group_measure(model, measure, members[key])

        return report

    return {f"{m}_{s}": reporter(m, s) for s in strategies for m in GROUP_MEASURES}


def group_measure(model: Model, measure: str, members: np.ndarray) -> float:
    """One of :data:`GROUP_MEASURES` for the businesses in ``members`` (a mask) in the week just recorded."""
    rec = model.recorder
    t = rec.rows - 1
    if t < 0 or not members.any():
        return float("nan")

    def week(column: str) -> float:  # the group's total this week
        return float(rec.data[column][t, members].sum())

    opened = members & (model.opens <= model.week)
    if measure in ("revenue", "customers_active"):
        return week(measure)
    if measure == "promoter_score":
        active = week("customers_active")
        return 100.0 * (week("promoters") - week("detractors")) / active if active else float("nan")
    if measure == "cash":
        return float(model.cash[opened].mean()) if opened.any() else float("nan")
    if measure == "survival":
        return float(model.alive[opened].mean()) if opened.any() else float("nan")
    raise KeyError(measure)
