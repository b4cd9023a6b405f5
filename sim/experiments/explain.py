"""Counterfactual attribution (``commsim explain``): what community work and each lever are worth.

Every variant of the town runs on the factual run's seeds (replication k of every variant uses
seed k, the seed ``commsim run`` gives replication k), so every difference is paired: the same
customers, network, quality luck and needs, with one thing changed (common random numbers,
docs/ODD.md section 11). Two questions are answered:

* **The effect of community work**: the community group with its community time set to 0, all
  else equal. The Social Return on Community Investment is the group's gross margin with the work
  minus without, per currency the work cost (the owner's hours at their value); "first results"
  and "momentum" are read off the paired gain week by week.
* **Lever by lever**: the paired difference between the community group and another group
  (transactional by default), split into one contribution per lever by Shapley values over every
  subset of levers switched to the other strategy's values, plus a residual (the difference left
  when the two strategies are identical: positions and luck).

Tables and figures are written by :mod:`sim.experiments.explain_report`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.config.errors import UsageError
from sim.config.scenario import Scenario
from sim.experiments.explain_runs import SERIES, run_variants, stream_divergence
from sim.outputs.intervals import MIN_REPLICATIONS, mean_interval, mean_intervals
from sim.runs.runner import replication_seeds

SUBJECT = "community"
"""The strategy group whose levers are explained."""
DEFAULT_AGAINST = "transactional"
"""The group it is compared with by default (as in scenarios/baseline.toml)."""
DEFAULT_REPLICATIONS = 20
"""Replications when ``--replications`` is not given: 64 runs each in the baseline town (1,280 runs,
about 6 CPU-minutes: 3 minutes on 2 free cores)."""
COMMUNITY_WORK = "community_time"
"""The community-work lever: share of the owner's hours in community work."""

LEVERS: dict[str, tuple[str, ...]] = {
    "ads": ("ad_budget",),
    "community work": ("community_time", "engagement", "burst_weeks", "pause_weeks", "consistency_memory"),
    "personalisation": ("personalisation",),
    "partnerships": ("partner_referrals", "seeks_partners"),
    "price": ("price_factor",),
    "downturn discount": ("downturn_discount",),
}
"""The levers of the decomposition (the rows of ODD section 10) and the strategy fields each holds.

Fields that only act together are one lever: the engagement schedule with the community time it
spreads, the partner referral rate with taking part in partnerships at all. Six levers make at
most 2^6 = 64 runs per replication."""

OUTCOMES = {
    "profit": "currency, whole run, sum over the group",
    "revenue": "currency, whole run, sum over the group",
    "survival": "share of the group's businesses open at the last week",
}
"""Outcomes of the decomposition and their units (a difference: subject group minus other)."""

QUARTER = 13
"""Weeks in the windows of first results and momentum."""


@dataclass
class Explanation:
    """What ``commsim explain`` found.

    Attributes:
        rows: one row per lever or counterfactual and measure (``explain.csv``).
        weekly: the community-work gain week by week with intervals (``explain_weekly.csv``).
        contributions: per outcome, replications x (levers..., ``residual``, ``total``): each
            lever's Shapley value, D(all levers) and D(no lever) per replication (they add up).
        levers: each lever compared: its fields and their values in both strategies.
        subject, against: the two strategy groups.
        seeds: the replication seeds.
        runs: models run; seconds: wall time.
        first_results, momentum, payback: weeks (1-based, ODD 11), or None when not within the run.
        sroi: mean, low and high of the Social Return on Community Investment.
        notes: what a reader should know (no community work, levers not run).
        streams: per named random stream, the first week the community-work counterfactual
            put it out of step (-1: never), replication 0.
    """

    rows: pd.DataFrame
    weekly: pd.DataFrame
    contributions: dict[str, pd.DataFrame]
    levers: list[dict[str, Any]]
    subject: str
    against: str
    seeds: list[int]
    steps: int
    runs: int = 0
    seconds: float = 0.0
    first_results: int | None = None
    momentum: int | None = None
    payback: int | None = None
    sroi: tuple[float, float, float] = (math.nan, math.nan, math.nan)
    notes: list[str] = field(default_factory=list)
    streams: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Levers and variants


def check_groups(scenario: Scenario, against: str, subject: str = SUBJECT) -> None:
    """Raise a one-line UsageError unless both groups have businesses in the town."""
    strategies = scenario.data["strategies"]
    in_town = sorted({b["strategy"] for b in scenario.data["businesses"] if b["count"] > 0})
    if scenario.data["arms"]:
        raise UsageError(
            f"{scenario.source}: arms: explain compares levers within one town; "
            f"remove the [[arms]] (or explain each arm as its own scenario)"
        )
    if against not in strategies:
        raise UsageError(
            f"--against {against!r}: unknown strategy (strategies: {', '.join(sorted(strategies))})"
        )
    if against == subject:
        raise UsageError(f"--against {against!r}: choose a strategy other than {subject!r} to compare with")
    for name, flag in ((subject, ""), (against, "--against ")):
        if name not in in_town:
            raise UsageError(
                f"{scenario.source}: businesses: {flag}{name!r} has no business in this town "
                f"(strategies in the town: {', '.join(in_town)})"
            )


def lever_table(data: dict[str, Any], subject: str, against: str) -> list[dict[str, Any]]:
    """Each lever with its fields' values in both strategies and whether they differ."""
    a, b = data["strategies"][subject], data["strategies"][against]
    return [
        {
            "lever": name,
            "fields": list(fields),
            subject: {f: a[f] for f in fields},
            against: {f: b[f] for f in fields},
            "differs": any(a[f] != b[f] for f in fields),
        }
        for name, fields in LEVERS.items()
    ]


def lever_overrides(
    data: dict[str, Any], subject: str, against: str, levers: list[str], every_field: bool = False
) -> dict[str, Any]:
    """Dotted overrides that set ``levers`` of the subject strategy to the other's values.

    Only fields that differ, unless ``every_field`` (then a field set to its own value makes a
    variant of its own, run like any other: how the identical-strategies check is made).
    """
    a, b = data["strategies"][subject], data["strategies"][against]
    return {
        f"strategies.{subject}.{f}": b[f]
        for lever in levers
        for f in LEVERS[lever]
        if every_field or a[f] != b[f]
    }


def plan_variants(
    data: dict[str, Any],
    against: str,
    subject: str = SUBJECT,
    levers: list[str] | None = None,
    every_field: bool = False,
) -> tuple[list[dict[str, Any]], int, int, list[int]]:
    """The distinct variants to run, each once however many subsets ask for it.

    Returns the overrides of each variant, the factual run's index, the index of the run without
    community work, and the index of each subset of ``levers`` (bitmask order).
    """
    if levers is None:
        levers = [t["lever"] for t in lever_table(data, subject, against) if t["differs"]]
    variants: list[dict[str, Any]] = []
    index: dict[tuple, int] = {}

    def variant(overrides: dict[str, Any]) -> int:
        key = tuple(sorted(overrides.items()))
        if key not in index:
            index[key] = len(variants)
            variants.append(overrides)
        return index[key]

    factual = variant({})
    off = variant({f"strategies.{subject}.{COMMUNITY_WORK}": 0.0})
    subsets = [
        variant(
            lever_overrides(
                data, subject, against, [lv for i, lv in enumerate(levers) if m >> i & 1], every_field
            )
        )
        for m in range(2 ** len(levers))
    ]
    return variants, factual, off, subsets


# ---------------------------------------------------------------------------------------------
# Shapley values and the community-work effect


def shapley(d: np.ndarray, k: int) -> np.ndarray:
    """Shapley contributions of ``k`` levers from D of every subset (bitmask-indexed, first axis).

    ``d[mask]`` is the outcome difference with the levers in ``mask`` switched to the other
    strategy's values. Lever i's contribution is the average over orders of D(S) - D(S + {i}),
    i.e. sum over S without i of |S|! (k - |S| - 1)! / k! (D(S) - D(S + {i})); the contributions add
    up to D(no lever) - D(all levers). Returns k x the trailing shape of ``d``.
    """
    d = np.asarray(d, dtype=float)
    if d.shape[0] != 2**k:
        raise ValueError(f"shapley: {d.shape[0]} subsets given, {2**k} needed for {k} levers")
    size = np.array([bin(m).count("1") for m in range(2**k)])
    weight = np.array(
        [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) if s < k else 0.0 for s in size]
    )
    out = np.zeros((k, *d.shape[1:]))
    for i in range(k):
        without = np.array([m for m in range(2**k) if not m >> i & 1], dtype=int)
        w = weight[without].reshape(-1, *([1] * (d.ndim - 1)))
        out[i] = (w * (d[without] - d[without | 1 << i])).sum(axis=0)
    return out


def first_sustained(low: np.ndarray) -> int | None:
    """First week (1-based) from which ``low`` > 0 every week to the end, or None."""
    ok = np.asarray(low) > 0  # nan: not above
    if not ok[-1]:
        return None
    fails = np.flatnonzero(~ok)
    return int(fails[-1]) + 2 if len(fails) else 1


def first_run(low: np.ndarray, length: int = QUARTER) -> int | None:
    """First week (1-based) that starts ``length`` consecutive weeks with ``low`` > 0, or None."""
    ok = (np.asarray(low) > 0).astype(int)
    if len(ok) < length:
        return None
    runs = np.convolve(ok, np.ones(length, dtype=int), mode="valid") == length
    hits = np.flatnonzero(runs)
    return int(hits[0]) + 1 if len(hits) else None


def gain_paths(with_work: np.ndarray, without: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paired cumulative gain and its quarter-on-quarter growth, replications x weeks.

    ``gain[t]`` = sum over weeks 1..t of (weekly margin with the work - without); ``growth[t]`` =
    (gain[t] - gain[t-13]) - (gain[t-13] - gain[t-26]), the change of the quarter's gain over the
    quarter before (nan before week 26).
    """
    gain = np.cumsum(with_work - without, axis=-1)
    g0 = np.concatenate([np.zeros((*gain.shape[:-1], 1)), gain], axis=-1)  # g0[t] = gain at week t
    growth = np.full(gain.shape, np.nan)
    q = QUARTER
    if gain.shape[-1] >= 2 * q:
        t = np.arange(2 * q, gain.shape[-1] + 1)
        growth[..., t - 1] = g0[..., t] - 2 * g0[..., t - q] + g0[..., t - 2 * q]
    return gain, growth


# ---------------------------------------------------------------------------------------------
# The whole explanation


def explain(
    scenario: Scenario,
    against: str = DEFAULT_AGAINST,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int], Any] | None = None,
    levers: list[str] | None = None,
    subject: str = SUBJECT,
    check_streams: bool = True,
) -> Explanation:
    """Run the counterfactuals of ``scenario`` and attribute the differences.

    Args:
        scenario: a validated scenario with a ``subject`` group and an ``against`` group.
        against: the strategy the subject group is compared with.
        replications: paired replications (at least :data:`MIN_REPLICATIONS`).
        seed: overrides ``run.seed``; replication seeds as :func:`sim.runs.runner.run_scenario`'s.
        workers: processes (1: in this process).
        progress: called with 1 after each model.
        levers: the levers to decompose (default: those whose values differ; a lever with equal
            values contributes exactly 0 and is reported without runs).
        subject: the strategy group explained.
        check_streams: also record how far the community-work counterfactual puts each random
            stream out of step (:func:`stream_divergence`, replication 0; two more models).
    """
    t0 = time.perf_counter()
    check_groups(scenario, against, subject)
    if replications < MIN_REPLICATIONS:
        raise UsageError(
            f"--replications {replications}: explain needs at least {MIN_REPLICATIONS} "
            f"(the fewest an interval is given for)"
        )
    data = scenario.data
    table = lever_table(data, subject, against)
    explicit = levers is not None
    if levers is None:
        levers = [t["lever"] for t in table if t["differs"]]
    unknown = [lv for lv in levers if lv not in LEVERS]
    if unknown:
        raise UsageError(f"levers: unknown {', '.join(map(repr, unknown))} (levers: {', '.join(LEVERS)})")
    k = len(levers)
    seeds = replication_seeds(data["run"]["seed"] if seed is None else seed, replications)
    steps = data["run"]["steps"]

    variants, factual, off, subsets = plan_variants(data, against, subject, levers, explicit)
    series = run_variants(scenario, variants, seeds, [subject, against], workers, progress)

    rows: list[dict[str, Any]] = []

    def add(kind: str, lever: str, measure: str, unit: str, values: np.ndarray) -> tuple[float, float, float]:
        m, lo, hi = mean_interval(values)
        n = int(np.isfinite(values).sum())
        rows.append(
            dict(kind=kind, lever=lever, measure=measure, unit=unit, mean=m, low=lo, high=hi, replications=n)
        )
        return m, lo, hi

    # Lever by lever: D(S) per subset and replication, for each outcome.
    idx = {name: i for i, name in enumerate(SERIES)}
    contributions: dict[str, pd.DataFrame] = {}
    for outcome, unit in OUTCOMES.items():
        s = series[subsets][:, :, :, idx[outcome]]  # subsets x reps x groups x weeks
        value = s[..., -1] if outcome == "survival" else s.sum(axis=-1)
        d = value[:, :, 0] - value[:, :, 1]  # subsets x reps
        phi = shapley(d, k)
        frame = pd.DataFrame({levers[i]: phi[i] for i in range(k)})
        for t in table:
            if t["lever"] not in frame:
                frame[t["lever"]] = 0.0  # equal values in both strategies: exactly no contribution
        frame["residual"] = d[-1]
        frame["total"] = d[0]
        contributions[outcome] = frame
        for t in table:
            add("lever", t["lever"], outcome, unit, frame[t["lever"]].to_numpy())
        add("residual", "identical strategies (positions, luck)", outcome, unit, d[-1])
        add("total", f"{subject} - {against}", outcome, unit, d[0])

    # The effect of community work on the subject group.
    fact, cf_ = series[factual][:, 0], series[off][:, 0]  # reps x SERIES x weeks
    name = f"{COMMUNITY_WORK} = 0"
    money = f"currency, whole run, sum over the {subject} group"
    for measure in ("margin", "revenue", "profit"):
        add(
            "counterfactual",
            name,
            f"{measure}_gain",
            money,
            (fact[:, idx[measure]] - cf_[:, idx[measure]]).sum(-1),
        )
    cost = fact[:, idx["community_cost"]].sum(-1)
    add("counterfactual", name, "community_cost", money + " (owner hours at their value)", cost)
    gain_total = (fact[:, idx["margin"]] - cf_[:, idx["margin"]]).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(cost > 0, gain_total / cost, np.nan)
    sroi = add(
        "counterfactual", name, "sroi", "currency of gross margin per currency of community work", ratio
    )
    add(
        "counterfactual",
        name,
        "survival_gain",
        f"share of the {subject} group's businesses open at the last week",
        fact[:, idx["survival"], -1] - cf_[:, idx["survival"], -1],
    )
    gain, growth = gain_paths(fact[:, idx["margin"]], cf_[:, idx["margin"]])
    g_mean, g_low, g_high = mean_intervals(gain.T)
    a_mean, a_low, a_high = mean_intervals(growth.T)
    net = np.cumsum(fact[:, idx["profit"]] - cf_[:, idx["profit"]], axis=-1)
    first, mom = first_sustained(g_low), first_run(a_low)
    payback = first_sustained(mean_intervals(net.T)[1])
    timings = (("first_results_week", first), ("momentum_week", mom), ("payback_week", payback))
    for measure, week in timings:
        rows.append(
            dict(
                kind="counterfactual",
                lever=name,
                measure=measure,
                unit="week (1-based; empty: not within the run)",
                mean=float(week) if week else math.nan,
                low=math.nan,
                high=math.nan,
                replications=replications,
            )
        )
    weeks = np.arange(1, steps + 1)
    weekly = pd.concat(
        [
            pd.DataFrame(
                dict(week=weeks, measure="cumulative_margin_gain", mean=g_mean, low=g_low, high=g_high)
            ),
            pd.DataFrame(
                dict(week=weeks, measure="quarter_gain_growth", mean=a_mean, low=a_low, high=a_high)
            ),
        ],
        ignore_index=True,
    )
    weekly.insert(2, "unit", f"currency, sum over the {subject} group")
    notes = []
    if not (cost > 0).any():
        notes.append(f"the {subject} group does no community work here: its effect is 0 and SROI undefined")
    skipped = [t["lever"] for t in table if t["lever"] not in levers]
    if skipped:
        notes.append(f"same values in both strategies (contribute exactly 0, not run): {', '.join(skipped)}")
    streams = stream_divergence(scenario, variants[off], seeds[0], steps) if check_streams else {}
    return Explanation(
        rows=pd.DataFrame(rows),
        weekly=weekly,
        contributions=contributions,
        levers=table,
        subject=subject,
        against=against,
        seeds=seeds,
        steps=steps,
        runs=len(variants) * len(seeds),
        seconds=time.perf_counter() - t0,
        first_results=first,
        momentum=mom,
        payback=payback,
        streams=streams,
        sroi=sroi,
        notes=notes,
    )


__all__ = [
    "COMMUNITY_WORK",
    "DEFAULT_AGAINST",
    "DEFAULT_REPLICATIONS",
    "LEVERS",
    "OUTCOMES",
    "Explanation",
    "explain",
    "first_run",
    "first_sustained",
    "gain_paths",
    "shapley",
    "stream_divergence",
]
