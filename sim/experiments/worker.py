"""What a worker does with one run of a sweep: simulate it and keep its weekly series per group.

This is the only code of a sweep that runs in the worker processes (local, or on a Dask
cluster). It takes plain data (the resolved base scenario, overrides, seed) and returns plain
data (a table, or the error the run raised), so a task can be sent to another process or
machine; planning the runs and storing their results stay with :mod:`sim.experiments.sweep`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from typing import Any

import numpy as np
import pandas as pd

from sim.runs.runner import MEAN_COLUMNS, SUM_COLUMNS

PR_SET_PDEATHSIG = 1
"""Linux prctl option: the signal this process gets when its parent dies."""
PARENT_POLL_SECONDS = 1.0
"""Where prctl is missing: how often a worker checks that its parent is alive."""

# ---------------------------------------------------------------------------------------------
# A local worker process's life


def exit_with_parent(parent: int | None = None) -> None:
    """Make this (local worker) process end when its parent dies, even by SIGKILL.

    On Linux the kernel sends SIGTERM when the parent dies (``prctl(PR_SET_PDEATHSIG)``);
    elsewhere a daemon thread checks ``os.getppid()`` every second and ends the process when it
    changes. ``parent`` is the parent's process id as the parent saw it (None: the current
    parent): if it died before this call, the process ends at once.
    """
    parent = os.getppid() if parent is None else parent
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            ok = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) == 0
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            ok = False
        if ok:
            if os.getppid() != parent:  # the parent died before prctl took effect
                os.kill(os.getpid(), signal.SIGTERM)
            return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="commsim-parent").start()


def _watch_parent(parent: int) -> None:  # pragma: no cover - used where prctl is missing
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


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


__all__ = ["execute_run", "exit_with_parent", "group_series"]
