"""The evidence behind each seed claim's estimate in the default town: tables and figures.

One function per claim (:data:`CONTEXT`), each returning markdown paragraphs and figure names;
every figure's axes state the unit and the aggregation (mean over replications, 95% interval).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.explain import first_run, first_sustained
from sim.outputs.intervals import mean_intervals
from sim.validation import estimates as e
from sim.validation.evidence import estimate, md_table, savefig
from sim.validation.regimes import OWNER_TIME_LEVELS, owner_time_arm
from sim.validation.replicate import Store, split, weekly

Parts = tuple[list[str], list[str]]


def _fmt(values: Any, scale: float = 1.0, unit: str = "") -> str:
    return estimate(values).text(scale, unit)


def _timing(store: Store, n: int, figdir: Path, which: str) -> Parts:
    """First results or momentum: the pooled rule of ``commsim explain`` per seed set, and a figure."""
    import matplotlib.pyplot as plt

    gain, growth = e.community_work_gain(store, "base", n)
    path, find = (gain, first_sustained) if which == "first_results" else (growth, first_run)
    rows = []
    for name, part in (("both sets", path), *zip(("set 1", "set 2"), split(path), strict=True)):
        low = mean_intervals(part.T)[1]
        week = find(low)
        rows.append({"replications": f"{name} ({len(part)})", "week (pooled rule)": week or "never"})
    per = (
        e.first_results_week(store, "base", n)
        if which == "first_results"
        else e.momentum_week(store, "base", n)
    )
    never = np.mean(per > path.shape[1]) if np.isfinite(per).any() else float("nan")
    body = [
        "The rule of `commsim explain` applied to the pooled paths (the first week from which the lower "
        "end of the 95% interval "
        + (
            "of the cumulative gain stays above zero"
            if which == "first_results"
            else "of the quarter's gain growth is above zero for 13 weeks"
        )
        + "), for each seed set and both:",
        md_table(pd.DataFrame(rows)),
        f"Replications in which it never happens within the run: {never:.0%}.",
    ]
    figs = []
    if which == "first_results":
        fig, ax = plt.subplots(figsize=(6, 4))
        m, lo, hi = mean_intervals(gain.T)
        w = np.arange(1, len(m) + 1)
        ax.plot(w, m / 1e3, label="paired cumulative margin gain")
        ax.fill_between(w, lo / 1e3, hi / 1e3, alpha=0.25, label="95% interval")
        ax.axhline(0, color="k", lw=0.8)
        ax.axvspan(13, 26, color="C2", alpha=0.12, label="3-6 months")
        ax.axvspan(52, 78, color="C3", alpha=0.12, label="12-18 months")
        ax.set(
            xlabel="week",
            ylabel="cumulative gross margin gain (thousand currency)",
            title="community work on minus off: community group (6 businesses),\nmean over replications",
        )
        ax.legend(fontsize=8)
        figs.append(savefig(fig, figdir, "community_work_gain.png"))
    return body, figs


def _first_results(store: Store, n: int, figdir: Path) -> Parts:
    return _timing(store, n, figdir, "first_results")


def _momentum(store: Store, n: int, figdir: Path) -> Parts:
    return _timing(store, n, figdir, "momentum")


def _owner_time(store: Store, n: int, figdir: Path) -> Parts:
    import matplotlib.pyplot as plt

    prof = e.owner_time_profits(store, "base", n)
    trans = np.column_stack(
        [
            e.total(store, ("base", "baseline", owner_time_arm(lv)), "transactional", "profit", n)
            for lv in OWNER_TIME_LEVELS
        ]
    )
    rows = [
        {
            "share of owner time on community work": f"{lv:.0%}",
            "community group profit, 3 years (currency)": _fmt(prof[:, i]),
            "transactional group profit, same towns": _fmt(trans[:, i]),
        }
        for i, lv in enumerate(OWNER_TIME_LEVELS)
    ]
    ok = np.isfinite(prof).all(axis=1)
    best = np.argmax(prof[ok], axis=1)
    shares = ", ".join(
        f"{lv:.0%}: {np.mean(best == i):.0%}" for i, lv in enumerate(OWNER_TIME_LEVELS) if np.any(best == i)
    )
    body = [
        md_table(pd.DataFrame(rows)),
        "Profit summed over each group's six businesses, weeks 1-156, mean over replications [95% "
        f"interval]. Grid point with the highest profit, share of replications: {shares}.",
    ]
    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.array(OWNER_TIME_LEVELS) * 100
    for data, name in ((prof, "community group"), (trans, "transactional group")):
        m, lo, hi = mean_intervals(data.T)
        ax.plot(x, m / 1e3, "o-", label=name)
        ax.fill_between(x, lo / 1e3, hi / 1e3, alpha=0.2)
    ax.axvspan(10, 15, color="C2", alpha=0.12, label="seed claim 10-15%")
    ax.set(
        xlabel="community group's share of owner time on community work (%)",
        ylabel="profit, 3 years, sum of 6 (thousand currency)",
        title="baseline town: mean over replications, 95% interval",
    )
    ax.legend(fontsize=8)
    return body, [savefig(fig, figdir, "owner_time_profit.png")]


def _retention(store: Store, n: int, figdir: Path) -> Parts:
    rows = [
        {
            "group": g,
            "purchase-cycle retention, weeks 27-156": _fmt(e.retention(store, "base", n, g), 100, "%"),
        }
        for g in ("community", "transactional")
    ]
    return [
        md_table(pd.DataFrame(rows)),
        "Repeat purchases / chances, summed over each group's businesses.",
    ], []


def _lifetime_value(store: Store, n: int, figdir: Path) -> Parts:
    rows = [
        {
            "group": g,
            "realised lifetime value (discounted margin per customer, 52 weeks; currency)": _fmt(
                e.realised_value(store, "base", n, g)
            ),
        }
        for g in ("community", "transactional")
    ]
    return [md_table(pd.DataFrame(rows))], []


def _referrals(store: Store, n: int, figdir: Path) -> Parts:
    rows = [
        {
            "group": g,
            "acquisition cost per new customer (currency)": _fmt(e.acquisition(store, "base", n, g, "cac")),
            "share of revenue from referred customers": _fmt(
                e.acquisition(store, "base", n, g, "referral_revenue_share"), 100, "%"
            ),
            "ads: cost per customer won by ads": _fmt(e.acquisition(store, "base", n, g, "cac_ads")),
        }
        for g in ("community", "transactional")
    ]
    return [md_table(pd.DataFrame(rows)), "Whole run, sums over each group's businesses."], []


def _partnerships(store: Store, n: int, figdir: Path) -> Parts:
    gains = e.partnership_gains(store, "base", n)
    group = np.array([np.nan if g is None else g.sum() for g in gains])
    windows = ((1, 26), (27, 52), (53, 104), (105, 156))
    rows = []
    for strat in ("community", "free_rider"):
        w = weekly(store, ("base", "partnerships", "base"), strat, "partner_referrals_received", n)
        rows.append(
            {
                "group (scenario partnerships)": strat,
                **{
                    f"weeks {a}-{b}": _fmt(w[:, a - 1 : b].mean(axis=1))
                    for a, b in windows
                    if b <= w.shape[1]
                },
            }
        )
    return [
        "(a) The community group's profit over 3 years with partnerships minus without (sum over its "
        f"six businesses, paired): {_fmt(group)}.",
        "(b) Partner referrals received a week, sum over the group's eight businesses, mean over weeks "
        "and replications [95% interval]:",
        md_table(pd.DataFrame(rows)),
    ], []


def _resilience(store: Store, n: int, figdir: Path) -> Parts:
    rows = [
        {
            "group": g,
            "share of active customers lost in the recession's weeks": _fmt(
                e.active_lost(store, "base", n, g), 100, "%"
            ),
        }
        for g in ("community", "transactional")
    ]
    return [md_table(pd.DataFrame(rows))], []


def _inconsistency(store: Store, n: int, figdir: Path) -> Parts:
    key = ("base", "inconsistent", "phased")
    span = (1, e.matched_weeks(weekly(store, key, "community", "profit", n).shape[1]))
    rows = [
        {
            "group": "steady community" if g == "community" else g,
            f"profit, weeks 1-{span[1]} (currency)": _fmt(e.total(store, key, g, "profit", n, span)),
            f"revenue, weeks 1-{span[1]} (currency)": _fmt(e.total(store, key, g, "revenue", n, span)),
        }
        for g in ("community", "inconsistent", "transactional")
    ]
    old = e.steady_minus_bursts(store, "base", n, arm="phase0")
    rev = e.steady_minus_bursts(store, "base", n, column="revenue")
    return [
        md_table(pd.DataFrame(rows)),
        "Sums over each group's six businesses, mean over replications [95% interval]. Steady minus "
        f"bursts in revenue over the same weeks: {_fmt(rev)}. For comparison, with every burst "
        "business starting with a burst in week 1 (the built-in `inconsistent` strategy as is, the "
        f"test of earlier versions), the profit difference is {_fmt(old)}: starting with a burst "
        "front-loads awareness in a town where every business opens in week 1, which the "
        "phase-averaged test removes.",
    ], []


def _weak_ties(store: Store, n: int, figdir: Path) -> Parts:
    rows = []
    for arm, rewire in (("no_long_ties", 0.0), ("base", 0.1), ("doubled_long_ties", 0.2)):
        w = e.all_groups(store, ("base", "baseline", arm), e.WOM, n)
        rows.append(
            {
                "long-range share (`network.rewire`)": rewire,
                "word-of-mouth + referral first customers, weeks 1-52": _fmt(w[:, :52].sum(axis=1)),
                "same, all weeks": _fmt(w.sum(axis=1)),
            }
        )
    return [
        md_table(pd.DataFrame(rows)),
        "All businesses of the baseline town, mean over replications [95% interval].",
    ], []


CONTEXT: dict[str, Callable[[Store, int, Path], Parts]] = {
    "first_results": _first_results,
    "momentum": _momentum,
    "owner_time": _owner_time,
    "retention": _retention,
    "lifetime_value": _lifetime_value,
    "referrals": _referrals,
    "partnerships": _partnerships,
    "resilience": _resilience,
    "inconsistency": _inconsistency,
    "weak_ties": _weak_ties,
}
"""The default town's evidence, per claim key."""


def context(key: str, store: Store, n: int, figdir: Path) -> Parts:
    """Markdown paragraphs and figure names behind claim ``key`` (none for an unknown key)."""
    fn = CONTEXT.get(key)
    return fn(store, n, figdir) if fn else ([], [])
