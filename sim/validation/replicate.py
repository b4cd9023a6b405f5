"""The runs behind the validation report: two independent seed sets, run on local processes.

A claim's verdict must not depend on which seeds happened to be drawn, so every claim is judged
on two independent sets of seeds (:func:`seed_sets`): the first from ``run.seed`` and the second
from ``run.seed + SEED_OFFSET``, each derived as ``commsim run`` derives its replication seeds
(:func:`sim.runs.runner.replication_seeds`). Replication ``r`` of every scenario and arm uses the
same seed, so arms and scenarios built on one town are compared on common random numbers (paired).

A run is a :class:`Job`; :func:`run_jobs` runs many on ``workers`` processes and keeps of each only
what the claims read (a reducer turns the model into a small record), so that a sweep of thousands
of runs fits in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config.scenario import Scenario
from sim.core.model import CommunityModel
from sim.core.strategies import Strategy
from sim.experiments.sweep import ProcessBackend
from sim.runs.runner import replication_seeds

SEED_OFFSET = 1_000_003
"""The second seed set is derived from ``run.seed + SEED_OFFSET`` (independent of the first)."""

WEEKLY = ("revenue", "profit", "customers_active")
"""Weekly columns kept per strategy group by default (sums over the group's businesses)."""
CHANNELS = (
    "new_from_ads",
    "new_from_community",
    "new_from_word_of_mouth",
    "new_from_referral",
    "new_from_partner",
    "new_from_walk_in",
)


def seed_sets(seed: int, replications: int) -> list[int]:
    """Seeds of both sets, the first set's ``replications`` seeds first, then the second's."""
    return replication_seeds(seed, replications) + replication_seeds(seed + SEED_OFFSET, replications)


def split(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-replication values of both sets (as :func:`seed_sets` orders them) into the two sets."""
    v = np.asarray(values, dtype=float)
    half = len(v) // 2
    return v[:half], v[half:]


@dataclass(frozen=True)
class PhasedBursts(Strategy):
    """Bursts of engagement started ``phase`` weeks into their cycle (ODD 7.2).

    The built-in ``inconsistent`` strategy starts every business's first burst in week 1, which in
    a town where all businesses open at once front-loads awareness; shifting the phase lets the
    report average over where a business stands in its cycle instead.
    """

    phase: int = 0

    def engagement_intensity(self, week: int) -> float:
        """As :meth:`Strategy.engagement_intensity`, ``phase`` weeks later in the cycle."""
        return Strategy.engagement_intensity(self, week + self.phase)


@dataclass(frozen=True)
class Job:
    """One run: a scenario, a replication's seed, and what to keep of it.

    Attributes:
        key: where its record goes (e.g. ``(regime, scenario, arm)``).
        scenario: the scenario as run.
        replication: index in :func:`seed_sets` order.
        seed: the replication's seed.
        steps: weeks to run.
        strategies: Python strategy objects by name (e.g. :class:`PhasedBursts`).
        groups: strategy name -> the group it is reported in (default: its own name).
        weekly: columns kept per group and week.
        reducer: turns ``(model, job)`` into the record (default :func:`group_weeks`).
        cohorts: also keep the model's cohort table (ODD 7.9), with the group of each row.
    """

    key: tuple[str, ...]
    scenario: Scenario
    replication: int
    seed: int
    steps: int
    strategies: tuple[tuple[str, Strategy], ...] = ()
    groups: tuple[tuple[str, str], ...] = ()
    weekly: tuple[str, ...] = WEEKLY
    reducer: Callable[[CommunityModel, Job], dict[str, Any]] | None = None
    cohorts: bool = False


def group_weeks(model: CommunityModel, job: Job) -> dict[str, Any]:
    """The default record: per group, weekly sums of ``job.weekly``; per business, its totals.

    Returns:
        ``{"weeks": {group: {column: array over weeks}}, "open": {group: array}, "business":
        DataFrame(group, category, profit, revenue, partners_max)}``; ``open`` counts the group's
        open businesses each week; with ``job.cohorts``, ``"cohorts"``: the cohort table.
        Columns the model does not record are left out.
    """
    t = model.recorder.table()
    rename = dict(job.groups)
    t["group"] = t["strategy"].map(lambda s: rename.get(s, s))
    cols = [c for c in job.weekly if c in t.columns]
    weeks: dict[str, dict[str, np.ndarray]] = {}
    opened: dict[str, np.ndarray] = {}
    for g, gt in t.groupby("group", sort=False):
        by = gt.groupby("step", sort=True)
        sums = by[cols].sum()
        weeks[str(g)] = {c: sums[c].to_numpy(dtype=float) for c in cols}
        opened[str(g)] = by["alive"].sum().to_numpy(dtype=float)
    per_b = t.groupby("business_id", sort=True).agg(
        group=("group", "first"),
        category=("category", "first"),
        profit=("profit", "sum"),
        revenue=("revenue", "sum"),
        partners_max=("partners", "max"),
    )
    record = {"weeks": weeks, "open": opened, "business": per_b}
    if job.cohorts and hasattr(model, "cohorts"):
        ct = model.cohorts.table(model)
        ct["group"] = ct["strategy"].map(lambda s: rename.get(s, s))
        record["cohorts"] = ct.drop(columns=["business", "strategy", "category"])
    return record


def run_job(job: Job) -> tuple[tuple[str, ...], int, dict[str, Any]]:
    """Run one job; returns its key, replication and record."""
    model = CommunityModel(job.scenario, seed=job.seed, strategies=dict(job.strategies) or None)
    model.run(job.steps)
    reducer = job.reducer or group_weeks
    return job.key, job.replication, reducer(model, job)


Store = dict[tuple[str, ...], dict[int, dict[str, Any]]]
"""Records by job key, then by replication."""


def run_jobs(jobs: Iterable[Job], workers: int = 2, log: Any = None) -> Store:
    """Run every job on ``workers`` processes (1: in this process); records by key and replication."""
    jobs = list(jobs)
    store: Store = {}
    if workers <= 1:
        results: Iterable = map(run_job, jobs)
        backend = None
    else:
        # The sweep's pool: workers forked from the warmed-up model that end with this process.
        backend = ProcessBackend(workers)
        results = backend.pool.map(run_job, jobs, chunksize=max(1, min(8, len(jobs) // (8 * workers))))
    try:
        step = max(1, len(jobs) // 10)
        for i, (key, rep, record) in enumerate(results, 1):
            store.setdefault(key, {})[rep] = record
            if log and (i % step == 0 or i == len(jobs)):
                log(f"  {i:,} of {len(jobs):,} runs")
    except BaseException:
        if backend is not None:
            backend.close(abort=True)
        raise
    if backend is not None:
        backend.close()
    return store


def weekly(store: Store, key: tuple[str, ...], group: str, column: str, reps: int) -> np.ndarray:
    """Replications x weeks of one group's weekly column (nan rows where a record is missing)."""
    runs = store.get(key, {})
    rows = []
    width = 0
    for r in range(reps):
        rec = runs.get(r)
        arr = rec["weeks"].get(group, {}).get(column) if rec else None
        rows.append(arr)
        width = max(width, 0 if arr is None else len(arr))
    out = np.full((reps, width), np.nan)
    for r, arr in enumerate(rows):
        if arr is not None:
            out[r, : len(arr)] = arr
    return out


def businesses(store: Store, key: tuple[str, ...], reps: int) -> list[pd.DataFrame | None]:
    """Each replication's per-business totals (None where a record is missing)."""
    runs = store.get(key, {})
    return [runs[r]["business"] if r in runs else None for r in range(reps)]
