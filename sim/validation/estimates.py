"""How each seed claim's estimate is made: one number per replication, from the stored runs.

Every function here takes the runs of ``sim.validation.regimes.RUNS`` (a
:data:`sim.validation.replicate.Store`), a regime's name and the number of replications of both
seed sets, and returns one value per replication (nan where a run is missing or the figure is
undefined), so that the project's one interval method and the verdict rule apply. Comparisons
are paired: the arms and scenarios compared share each replication's seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.config.partners import complement
from sim.experiments.explain import first_run, first_sustained, gain_paths
from sim.runs.runner import acquisition_measures
from sim.validation.evidence import scenario
from sim.validation.regimes import OWNER_TIME_LEVELS, owner_time_arm
from sim.validation.replicate import Store, businesses, weekly


# --- pieces ------------------------------------------------------------------------------------
def total(store: Store, key: tuple[str, ...], group: str, column: str, n: int, weeks=None) -> np.ndarray:
    """Per replication, the sum of a group's weekly column over ``weeks`` (1-based, inclusive)."""
    w = weekly(store, key, group, column, n)
    if weeks is not None:
        w = w[:, weeks[0] - 1 : weeks[1]]
    return w.sum(axis=1) if w.shape[1] else np.full(n, np.nan)


def all_groups(store: Store, key: tuple[str, ...], columns: tuple[str, ...], n: int) -> np.ndarray:
    """Replications x weeks: ``columns`` summed over every strategy group (nan where missing)."""
    runs = store.get(key, {})
    rows: list[np.ndarray | None] = []
    for r in range(n):
        rec = runs.get(r)
        rows.append(
            None if rec is None else sum(g[c] for g in rec["weeks"].values() for c in columns)  # type: ignore[misc]
        )
    width = max((len(x) for x in rows if x is not None), default=0)
    out = np.full((n, width), np.nan)
    for r, x in enumerate(rows):
        if x is not None:
            out[r, : len(x)] = x
    return out


def peak(x: np.ndarray, y: np.ndarray) -> float:
    """Where ``y(x)`` peaks: the best grid point refined by the parabola through it and its neighbours.

    At an end of the grid, the end itself (the peak may lie beyond it); nan if any ``y`` is nan.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if not np.isfinite(y).all():
        return float("nan")
    i = int(np.argmax(y))
    if i == 0 or i == len(y) - 1:
        return float(x[i])
    a, b, _ = np.polyfit(x[i - 1 : i + 2], y[i - 1 : i + 2], 2)
    if a >= 0:
        return float(x[i])
    return float(np.clip(-b / (2 * a), x[i - 1], x[i + 1]))


def recession_weeks() -> tuple[int, int]:
    """First and last week of the shipped recession (weeks 52-77 by default)."""
    shock = next(s for s in scenario("recession").data["shocks"] if s["kind"] == "recession")
    return int(shock["start"]), int(shock["start"] + shock["duration"] - 1)


def matched_weeks(steps: int) -> int:
    """Weeks in whole burst cycles within ``steps``: steady and burst owners have spent the same."""
    s = scenario("inconsistent_engagement").data["strategies"]["inconsistent"]
    cycle = int(s["burst_weeks"]) + int(s["pause_weeks"])
    return (steps // cycle) * cycle


# --- estimates -----------------------------------------------------------------------------------
def owner_time_profits(store: Store, regime: str, n: int) -> np.ndarray:
    """Replications x levels: the community group's profit over the run at each share of owner time."""
    return np.column_stack(
        [
            total(store, (regime, "baseline", owner_time_arm(lv)), "community", "profit", n)
            for lv in OWNER_TIME_LEVELS
        ]
    )


def owner_time_best(store: Store, regime: str, n: int) -> np.ndarray:
    """Per replication, the share of owner time on community work at which the group's profit peaks."""
    return np.array([peak(np.array(OWNER_TIME_LEVELS), row) for row in owner_time_profits(store, regime, n)])


def partnership_gains(store: Store, regime: str, n: int) -> list[np.ndarray | None]:
    """Per replication, each community business's profit with partnerships minus without (paired)."""
    with_p = businesses(store, (regime, "baseline", "base"), n)
    without = businesses(store, (regime, "baseline", "no_partnerships"), n)
    out: list[np.ndarray | None] = []
    for b, nb in zip(with_p, without, strict=True):
        if b is None or nb is None:
            out.append(None)
            continue
        comm = b[b["group"] == "community"]
        out.append((comm["profit"] - nb.loc[comm.index, "profit"]).to_numpy())
    return out


def partners_both_gain(store: Store, regime: str, n: int) -> np.ndarray:
    """Per replication, the mean over partner pairs of the smaller partner's profit gain.

    Pairs: every two community businesses whose categories may partner (ODD 7.6); the value is > 0
    when both partners of a pair gain from partnerships (currency, whole run).
    """
    data = scenario("baseline").data
    with_p = businesses(store, (regime, "baseline", "base"), n)
    out = np.full(n, np.nan)
    for r, (b, gain) in enumerate(zip(with_p, partnership_gains(store, regime, n), strict=True)):
        if b is None or gain is None:
            continue
        cats = b.loc[b["group"] == "community", "category"].tolist()
        pairs = [
            (i, j)
            for i in range(len(cats))
            for j in range(i + 1, len(cats))
            if complement(data, cats[i], cats[j])
        ]
        if pairs:
            out[r] = float(np.mean([min(gain[i], gain[j]) for i, j in pairs]))
    return out


def free_rider_change(store: Store, regime: str, n: int) -> np.ndarray:
    """Per replication, free riders' partner referrals a week in the last year / first 26 weeks - 1."""
    w = weekly(store, (regime, "partnerships", "base"), "free_rider", "partner_referrals_received", n)
    first, last = w[:, :26].mean(axis=1), w[:, -52:].mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(first > 0, last / first - 1.0, np.nan)


def active_lost(store: Store, regime: str, n: int, strategy: str) -> np.ndarray:
    """Per replication, the share of a group's active customers lost in the recession's weeks.

    Against the same weeks of the same town and seeds without the recession.
    """
    a, b = recession_weeks()
    rec = weekly(store, (regime, "recession", "base"), strategy, "customers_active", n)[:, a - 1 : b].mean(
        axis=1
    )
    base = weekly(store, (regime, "baseline", "base"), strategy, "customers_active", n)[:, a - 1 : b].mean(
        axis=1
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(base > 0, 1.0 - rec / base, np.nan)


def resilience(store: Store, regime: str, n: int) -> np.ndarray:
    """Per replication, share of active customers lost in the recession: transactional - community."""
    return active_lost(store, regime, n, "transactional") - active_lost(store, regime, n, "community")


def steady_minus_bursts(
    store: Store, regime: str, n: int, arm: str = "phased", column: str = "profit"
) -> np.ndarray:
    """Per replication, steady community group minus burst group, summed over whole burst cycles."""
    key = (regime, "inconsistent", arm)
    steps = weekly(store, key, "community", column, n).shape[1]
    span = (1, matched_weeks(steps))
    return total(store, key, "community", column, n, span) - total(
        store, key, "inconsistent", column, n, span
    )


WOM = ("new_from_word_of_mouth", "new_from_referral")


def weak_tie_change(store: Store, regime: str, n: int) -> np.ndarray:
    """Per replication, word-of-mouth + referral first customers with doubled long ties / none - 1."""
    none = all_groups(store, (regime, "baseline", "no_long_ties"), WOM, n).sum(axis=1)
    doubled = all_groups(store, (regime, "baseline", "doubled_long_ties"), WOM, n).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(none > 0, doubled / none - 1.0, np.nan)


# --- timing of the paired gain from community work (the counterfactual of `commsim explain`) ----
def margin(store: Store, key: tuple[str, ...], group: str, n: int) -> np.ndarray:
    """Replications x weeks: a group's gross margin (revenue - goods cost), currency a week."""
    return weekly(store, key, group, "revenue", n) - weekly(store, key, group, "goods_cost", n)


def community_work_gain(store: Store, regime: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The community group's paired cumulative margin gain from its community work, and its growth.

    Replications x weeks each (``sim.experiments.explain.gain_paths``): the baseline town against
    the same town and seeds with the group's community time at 0.
    """
    with_work = margin(store, (regime, "baseline", "base"), "community", n)
    without = margin(store, (regime, "baseline", owner_time_arm(0.0)), "community", n)
    return gain_paths(with_work, without)


def _weeks(paths: np.ndarray, find) -> np.ndarray:
    """Per replication, ``find(path)`` (a 1-based week or None: never, counted as the run's end + 1)."""
    out = np.full(len(paths), np.nan)
    for r, path in enumerate(paths):
        if np.isnan(path[-1]):  # a missing run
            continue
        week = find(path)
        out[r] = float(week) if week else float(paths.shape[1] + 1)
    return out


def first_results_week(store: Store, regime: str, n: int) -> np.ndarray:
    """Per replication, the first week from which the paired cumulative gain stays above zero."""
    gain, _ = community_work_gain(store, regime, n)
    return _weeks(gain, first_sustained)


def momentum_week(store: Store, regime: str, n: int) -> np.ndarray:
    """Per replication, the first week that starts 13 weeks of growth in the quarter's paired gain."""
    _, growth = community_work_gain(store, regime, n)
    return _weeks(growth, first_run)  # nan (weeks 1-25) is not growth


# --- retention, lifetime value, acquisition -------------------------------------------------------
def retention(
    store: Store, regime: str, n: int, group: str, weeks: tuple[int, int] = (27, 156)
) -> np.ndarray:
    """Per replication, a group's purchase-cycle retention: repeat purchases / chances (ODD 7.9)."""
    key = (regime, "baseline", "base")
    with np.errstate(invalid="ignore", divide="ignore"):
        return total(store, key, group, "repeats", n, weeks) / total(
            store, key, group, "repeat_chances", n, weeks
        )


def retention_gain(store: Store, regime: str, n: int) -> np.ndarray:
    """Per replication, community retention / transactional retention - 1."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return retention(store, regime, n, "community") / retention(store, regime, n, "transactional") - 1.0


def realised_value(store: Store, regime: str, n: int, group: str) -> np.ndarray:
    """Per replication, a group's realised lifetime value (currency per customer).

    The discounted margin per customer in the 52 weeks after the first purchase, over the cohorts
    whose customers all reached 52 weeks (ODD 7.9), weighted by customers.
    """
    runs = store.get((regime, "baseline", "base"), {})
    out = np.full(n, np.nan)
    for r, rec in runs.items():
        ct = rec.get("cohorts")
        if ct is None or "discounted_margin_52w" not in ct:
            continue
        c = ct[(ct["group"] == group) & ct["discounted_margin_52w"].notna()]
        if c["customers"].sum() > 0:
            out[r] = float((c["discounted_margin_52w"] * c["customers"]).sum() / c["customers"].sum())
    return out


def value_gain(store: Store, regime: str, n: int) -> np.ndarray:
    """Per replication, community realised lifetime value / transactional - 1."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (
            realised_value(store, regime, n, "community") / realised_value(store, regime, n, "transactional")
            - 1.0
        )


def acquisition(store: Store, regime: str, n: int, group: str, measure: str) -> np.ndarray:
    """Per replication, one of ``sim.runs.runner.acquisition_measures`` of a group over the run."""
    runs = store.get((regime, "baseline", "base"), {})
    out = np.full(n, np.nan)
    for r, rec in runs.items():
        cols = rec["weeks"].get(group)
        if cols:
            try:
                out[r] = acquisition_measures(pd.DataFrame(cols))[measure]
            except KeyError:  # a column the model does not record
                continue
    return out


def referral_share_difference(store: Store, regime: str, n: int) -> np.ndarray:
    """Per replication, share of revenue from referred customers: community - transactional."""
    return acquisition(store, regime, n, "community", "referral_revenue_share") - acquisition(
        store, regime, n, "transactional", "referral_revenue_share"
    )


def cac_ratio(store: Store, regime: str, n: int) -> np.ndarray:
    """Per replication, community acquisition cost per new customer / transactional - 1."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (
            acquisition(store, regime, n, "community", "cac")
            / acquisition(store, regime, n, "transactional", "cac")
            - 1.0
        )
