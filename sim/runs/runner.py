"""Running a scenario: replications and arms in, tables out.

``simulate(scenario, seed)`` is the small pure function everything else builds on (the command
line, sweeps, the dashboard's "save this run", notebooks): one model, one seed, one table.
:func:`run_scenario` runs every replication of every arm; replication ``r`` gets the seed
``SeedSequence(run.seed).spawn`` child ``r`` and every arm of that replication uses it, so arms are
compared on common random numbers (a paired comparison).

From Python::

    from sim import load_scenario, run_scenario
    results = run_scenario(load_scenario("scenarios/baseline.toml"), replications=2, steps=52)
    results.strategy_timeseries.head()
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.config.scenario import Scenario, arms, load_scenario
from sim.core.measures import COUNT_COLUMNS, MONEY_COLUMNS, momentum_week
from sim.core.model import CommunityModel
from sim.core.streams import seed_from

SUMMARY_WEEKS = (13, 26, 52, 78)
"""Weeks at which the comparison is printed (and the last week)."""

SUM_COLUMNS = (
    "customers_active",
    "cumulative_customers",
    *COUNT_COLUMNS,
    *MONEY_COLUMNS,
    "promoters",
    "detractors",
    "community_value",
    "owner_hours",
)
"""Columns summed over a strategy group (counts and money)."""
MEAN_COLUMNS = (
    "retention_rate",
    "promoter_score",
    "clv_estimate",
    "clv_realised",
    "trust_mean",
    "price",
)


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Seed of each replication, derived with ``numpy.random.SeedSequence``."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [seed_from(c) for c in children]


def simulate(
    scenario: Scenario,
    seed: int,
    steps: int | None = None,
    strategies: dict | None = None,
    on_week: Callable[[int], Any] | None = None,
) -> pd.DataFrame:
    """Run one model for ``steps`` weeks and return its business x week table.

    ``on_week`` (for progress bars) is called with 1 after each week.
    """
    model = CommunityModel(scenario, seed=seed, strategies=strategies)
    model.run(scenario.data["run"]["steps"] if steps is None else steps, on_week)
    return model.recorder.table()


@dataclass
class Results:
    """The tables of a run, as pandas DataFrames.

    Attributes:
        timeseries: one row per arm x replication x week x business.
        strategy_timeseries: the same measures per strategy group (sums of counts and money,
            means of rates, ``survival`` = share of the group's businesses open).
        summary: one row per arm x replication with end-of-run measures per strategy.
        scenario: the scenario as run.
        seeds: the replication seeds.
    """

    timeseries: pd.DataFrame
    strategy_timeseries: pd.DataFrame
    summary: pd.DataFrame
    scenario: Scenario
    seeds: list[int] = field(default_factory=list)


def run_scenario(
    scenario: Scenario | str,
    replications: int | None = None,
    steps: int | None = None,
    seed: int | None = None,
    progress: Callable[[int], Any] | None = None,
    strategies: dict | None = None,
    on_week: Callable[[int], Any] | None = None,
) -> Results:
    """Run every replication of every arm of a scenario.

    Args:
        scenario: a validated scenario or the path of a scenario file.
        replications: overrides ``run.replications``.
        steps: overrides ``run.steps`` (weeks).
        seed: overrides ``run.seed``.
        progress: called with 1 after each finished model (for progress bars).
        strategies: Python strategy objects by name (subclasses of Strategy).
        on_week: called with 1 after each week of each model (for progress bars in large towns).
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    run = scenario.data["run"]
    reps = replications or run["replications"]
    seeds = replication_seeds(run["seed"] if seed is None else seed, reps)
    steps = steps or run["steps"]
    tables = []
    for r, s in enumerate(seeds):
        for arm_name, arm in arms(scenario):
            df = simulate(arm, s, steps, strategies, on_week)
            df.insert(0, "seed", s)
            df.insert(0, "replication", r)
            df.insert(0, "arm", arm_name)
            df.insert(0, "run_id", f"{arm_name}-r{r}")
            tables.append(df)
            if progress:
                progress(1)
    ts = pd.concat(tables, ignore_index=True)
    strat = strategy_table(ts)
    return Results(ts, strat, summary_table(strat), scenario, seeds)


def strategy_table(ts: pd.DataFrame) -> pd.DataFrame:
    """Per strategy group and week: sums of counts and money, means of rates, survival."""
    keys = ["run_id", "arm", "replication", "seed", "step", "strategy"]
    g = ts.groupby(keys, sort=False)
    out = g[list(SUM_COLUMNS)].sum()
    open_rows = ts[ts["alive"]]
    means = open_rows.groupby(keys, sort=False)[list(MEAN_COLUMNS)].mean()
    out = out.join(means)
    out["businesses"] = g.size()
    out["survival"] = g["alive"].mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["promoter_score_pooled"] = (
            100.0 * (out["promoters"] - out["detractors"]) / out["customers_active"]
        )
    return out.reset_index()


def summary_table(strat: pd.DataFrame) -> pd.DataFrame:
    """One row per run (arm x replication): end-of-run measures of each strategy, side by side."""
    rows = []
    for (run_id, arm, rep, seed), grp in strat.groupby(["run_id", "arm", "replication", "seed"], sort=False):
        row: dict[str, Any] = {"run_id": run_id, "arm": arm, "replication": rep, "seed": seed}
        last = grp["step"].max()
        for strategy, sg in grp.groupby("strategy", sort=False):
            end = sg[sg["step"] == last].iloc[0]
            for c in (
                "revenue",
                "customers_active",
                "cumulative_customers",
                "cash",
                "survival",
                "retention_rate",
                "promoter_score",
                "clv_estimate",
                "clv_realised",
                "trust_mean",
            ):
                row[f"{c}_{strategy}"] = end[c]
            row[f"total_revenue_{strategy}"] = sg["revenue"].sum()
            row[f"total_profit_{strategy}"] = sg["profit"].sum()
            # Currency per week per open business of the group (the budget the comparison holds equal).
            open_weeks = (sg["survival"] * sg["businesses"]).sum()
            spend = sg["total_spend"].sum() / open_weeks if open_weeks else 0.0
            row[f"mean_weekly_total_spend_{strategy}"] = spend
            row[f"momentum_week_{strategy}"] = momentum_week(sg.sort_values("step")["revenue"].to_numpy())
        rows.append(row)
    return pd.DataFrame(rows)
