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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from sim.config.scenario import Scenario, arms, load_scenario, scenario_from_dict
from sim.core.channels import REFERRED_CHANNELS
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
    "winback_rate",
    "promoter_score",
    "clv_estimate",
    "clv_estimate_52w",
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
    return simulate_tables(scenario, seed, steps, strategies, on_week)[0]


def simulate_tables(
    scenario: Scenario,
    seed: int,
    steps: int | None = None,
    strategies: dict | None = None,
    on_week: Callable[[int], Any] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`simulate`, returning its business x week table and its cohort table (:func:`cohort_table`)."""
    model = CommunityModel(scenario, seed=seed, strategies=strategies)
    model.run(scenario.data["run"]["steps"] if steps is None else steps, on_week)
    return model.recorder.table(), cohort_table(model)


def cohort_table(model: CommunityModel) -> pd.DataFrame:
    """A model's cohorts so far: one row per business x acquisition channel x quarter won (ODD 7.9).

    Customers, the share retained and the margin per customer (plain and discounted, currency)
    13, 26 and 52 weeks after the first purchase; nan where the run ended before that age.
    """
    return model.cohorts.table(model)


@dataclass
class Results:
    """The tables of a run, as pandas DataFrames.

    Attributes:
        timeseries: one row per arm x replication x week x business.
        cohorts: one row per arm x replication x business x acquisition channel x quarter won
            (:func:`cohort_table`).
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
    cohorts: pd.DataFrame = field(default_factory=pd.DataFrame)


def as_run(scenario: Scenario, **settings: int | None) -> Scenario:
    """The scenario with the run settings given (``replications``, ``steps``, ``seed``) written in.

    So that ``Results.scenario`` (and the ``scenario.toml`` written from it) is what was run; a
    shorter horizon leaves out later shocks with a note, as ``--steps`` does.
    """
    given = [f"run.{k}={v}" for k, v in settings.items() if v is not None and v != scenario.data["run"][k]]
    if not given:
        return scenario
    ran = scenario_from_dict(scenario.data, scenario.source, given)
    return replace(ran, overrides=scenario.overrides + given, notes=scenario.notes + ran.notes)


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
    scenario = as_run(scenario, replications=replications, steps=steps, seed=seed)
    run = scenario.data["run"]
    reps = run["replications"]
    seeds = replication_seeds(run["seed"], reps)
    steps = run["steps"]
    tables, cohorts = [], []
    for r, s in enumerate(seeds):
        for arm_name, arm in arms(scenario):
            weekly, cohort = simulate_tables(arm, s, steps, strategies, on_week)
            for df in (weekly, cohort):
                df.insert(0, "seed", s)
                df.insert(0, "replication", r)
                df.insert(0, "arm", arm_name)
                df.insert(0, "run_id", f"{arm_name}-r{r}")
            tables.append(weekly)
            cohorts.append(cohort)
            if progress:
                progress(1)
    ts = pd.concat(tables, ignore_index=True)
    strat = strategy_table(ts)
    return Results(ts, strat, summary_table(strat), scenario, seeds, pd.concat(cohorts, ignore_index=True))


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
                "winback_rate",
                "promoter_score",
                "clv_estimate",
                "clv_estimate_52w",
                "clv_realised",
                "trust_mean",
            ):
                row[f"{c}_{strategy}"] = end[c]
            row.update({f"{k}_{strategy}": v for k, v in acquisition_measures(sg).items()})
            row[f"total_revenue_{strategy}"] = sg["revenue"].sum()
            row[f"total_profit_{strategy}"] = sg["profit"].sum()
            # Currency per week per open business of the group (the budget the comparison holds equal).
            open_weeks = (sg["survival"] * sg["businesses"]).sum()
            spend = sg["total_spend"].sum() / open_weeks if open_weeks else 0.0
            row[f"mean_weekly_total_spend_{strategy}"] = spend
            row[f"momentum_week_{strategy}"] = momentum_week(sg.sort_values("step")["revenue"].to_numpy())
        rows.append(row)
    return pd.DataFrame(rows)


def acquisition_measures(group: pd.DataFrame) -> dict[str, float]:
    """Acquisition cost and referral share of revenue of one strategy group over a run (ODD 7.9).

    ``group``: the group's rows of the strategy table, every week. ``cac`` is acquisition spend
    (ads, community work and partnership time, currency) per new customer (all channels);
    ``cac_ads`` and ``cac_community`` are each lever's cost per customer it won directly (first
    purchase through that channel); ``referral_revenue_share`` is the share of revenue (0-1)
    from customers won by referral, word of mouth or a partner. Nan where nothing was divided.
    """
    total = group.sum(numeric_only=True)

    def ratio(a: float, b: float) -> float:
        return float(a / b) if b > 0 else float("nan")

    referred = sum(total[f"revenue_from_{c}"] for c in REFERRED_CHANNELS)
    return {
        "cac": ratio(total["acquisition_spend"], total["new_customers"]),
        "cac_ads": ratio(total["ad_cost"], total["new_from_ads"]),
        "cac_community": ratio(total["community_cost"], total["new_from_community"]),
        "referral_revenue_share": ratio(referred, total["revenue"]),
    }
