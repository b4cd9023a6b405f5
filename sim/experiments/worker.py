"""What a worker does with one run of a sweep: simulate it and keep its weekly series per group.

This is the only code of a sweep that runs in the worker processes (local, or on a Dask
cluster). It takes plain data (the resolved base scenario, overrides, seed) and returns plain
data (a table, or the error the run raised), so a task can be sent to another process or
machine; planning the runs and storing their results stay with :mod:`sim.experiments.sweep`.
"""

from __future__ import annotations

import os
import time
import traceback
from typing import Any

import numpy as np
import pandas as pd

from sim.runs.runner import MEAN_COLUMNS, SUM_COLUMNS

# ---------------------------------------------------------------------------------------------
# One run (executed in a worker process, local or on a cluster)


def group_series(ts: pd.DataFrame, groups: dict[str, np.ndarray | None], measures: list[str]) -> pd.DataFrame:
    """Weekly series per group of businesses.

    Sums of counts and money, means of rates over open businesses, ``survival`` (share open),
    cumulative revenue and profit.

    Args:
        ts: one row per week x business (:func:`sim.runs.runner.simulate`).
        groups: group name -> business ids (``None``: every business).
        measures: the weekly measures to keep (revenue and cum_revenue are always kept).
    """
    keep = list(dict.fromkeys(["revenue", "cum_revenue", *measures]))
    frames = []
    for name, ids in groups.items():
        sub = ts if ids is None else ts[ts["business_id"].isin(ids)]
        g = sub.groupby("step", sort=True)
        out = g[list(SUM_COLUMNS)].sum()
        means = sub[sub["alive"]].groupby("step")[list(MEAN_COLUMNS)].mean()
        out = out.join(means)
        out["survival"] = g["alive"].mean()
        out["businesses"] = g.size()
        out["cum_revenue"] = out["revenue"].cumsum()
        out["cum_profit"] = out["profit"].cumsum()
        out = out.reset_index()
        out.insert(0, "group", name)
        frames.append(out[["group", "step", *[c for c in keep if c in out.columns]]])
    return pd.concat(frames, ignore_index=True)


def execute_run(task: dict[str, Any]) -> dict[str, Any]:
    """Run one model and return its weekly group table (or the error it raised).

    ``task`` holds plain data only (the resolved base scenario, overrides, seed), so it can be
    sent to another process or another machine.
    """
    from sim.config.scenario import Scenario
    from sim.runs.runner import simulate

    # One thread per run: a sweep's parallelism is across runs (see sim.core.parallel).
    os.environ.setdefault("COMMSIM_THREADS", "1")
    t0 = time.perf_counter()
    try:
        base = Scenario(task["base"], task["source"])
        scenario = base.with_overrides(task["overrides"])
        groups: dict[str, np.ndarray | None] = {}
        for g in task["groups"]:
            if g == "all":
                groups[g] = None
            elif g == "focal":
                focal = base.with_overrides(task["focal_overrides"])
                groups[g] = _ids_with_strategy(focal.data, task["focal_strategy"])
            else:
                groups[g] = _ids_with_strategy(scenario.data, g)
        ts = simulate(scenario, task["seed"], task["steps"])
        table = group_series(ts, groups, task["measures"])
        return {"run": task["run"], "table": table, "seconds": time.perf_counter() - t0}
    except Exception as exc:  # a failed run is recorded and the sweep goes on
        return {
            "run": task["run"],
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
            "seconds": time.perf_counter() - t0,
        }


def _ids_with_strategy(data: dict[str, Any], strategy: str) -> np.ndarray:
    ids, i = [], 0
    for b in data["businesses"]:
        for _ in range(b["count"]):
            if b["strategy"] == strategy:
                ids.append(i)
            i += 1
    return np.array(ids, dtype=int)


__all__ = ["execute_run", "group_series"]
