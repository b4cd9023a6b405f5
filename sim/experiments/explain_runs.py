"""Running the variants of ``commsim explain``: every variant on every seed, and how paired they stay.

Each task takes plain data (the resolved scenario, overrides, seed) and returns the weekly series
of the two groups compared, so it can run in a worker process; the processes are the sweep's
(forked, ending with this process).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sim.config.scenario import Scenario
from sim.runs.runner import simulate

CATEGORY_STREAMS = ("choice", "cutback", "walk_in", "experience", "needs")
"""The streams of a category, in the order :func:`sim.core.streams.category_streams` makes them."""

SERIES = ("revenue", "margin", "profit", "community_cost", "survival")
"""Weekly series kept per run and group: currency per week (sums over the group's businesses),
gross margin = revenue - goods cost; survival = share of the group's businesses open."""


def group_series(ts: pd.DataFrame, groups: list[str], steps: int) -> np.ndarray:
    """Groups x :data:`SERIES` x weeks from one run's business x week table."""
    ts = ts.assign(margin=ts["revenue"] - ts["goods_cost"], survival=ts["alive"].astype(float))
    g = ts.groupby(["strategy", "step"], sort=True)
    table = g[list(SERIES[:-1])].sum().join(g["survival"].mean())
    out = np.full((len(groups), len(SERIES), steps), np.nan)
    for i, name in enumerate(groups):
        part = table.xs(name, level="strategy")
        weeks = part.index.to_numpy(dtype=int) - 1
        out[i][:, weeks] = part[list(SERIES)].to_numpy().T
    return out


def run_variant(task: dict[str, Any]) -> tuple[int, int, np.ndarray]:
    """One model of one variant (runs in a worker process): (variant, replication, series)."""
    if os.getpid() != task["parent"]:
        os.environ.setdefault("COMMSIM_THREADS", "1")  # parallelism is across runs here
    scenario = Scenario(task["base"], task["source"])
    if task["overrides"]:
        scenario = scenario.with_overrides(task["overrides"])
    ts = simulate(scenario, task["seed"], task["steps"])
    return task["variant"], task["replication"], group_series(ts, task["groups"], task["steps"])


def run_variants(
    scenario: Scenario,
    variants: list[dict[str, Any]],
    seeds: list[int],
    groups: list[str],
    workers: int = 1,
    progress: Callable[[int], Any] | None = None,
) -> np.ndarray:
    """Every variant on every seed: variants x replications x groups x SERIES x weeks."""
    steps = scenario.data["run"]["steps"]
    tasks = [
        {
            "base": scenario.data,
            "source": scenario.source,
            "overrides": ov,
            "seed": s,
            "steps": steps,
            "groups": groups,
            "variant": v,
            "replication": r,
            "parent": os.getpid(),
        }
        for r, s in enumerate(seeds)
        for v, ov in enumerate(variants)
    ]
    out = np.full((len(variants), len(seeds), len(groups), len(SERIES), steps), np.nan)
    if workers <= 1 or len(tasks) <= 1:
        for t in tasks:
            v, r, series = run_variant(t)
            out[v, r] = series
            if progress:
                progress(1)
        return out
    import concurrent.futures as cf

    from sim.experiments.sweep import ProcessBackend  # forked workers that end with this process

    backend = ProcessBackend(workers)
    try:
        futures = [backend.pool.submit(run_variant, t) for t in tasks]
        for fut in cf.as_completed(futures):
            v, r, series = fut.result()
            out[v, r] = series
            if progress:
                progress(1)
    except BaseException:
        backend.close(abort=True)
        raise
    backend.close()
    return out


def stream_divergence(scenario: Scenario, overrides: dict[str, Any], seed: int, steps: int) -> dict[str, int]:
    """Per named random stream: the first week its state differs between the run and its variant.

    Both models are stepped side by side; -1: the stream stayed in step for the whole run (its
    draws are paired one for one). A stream whose number of draws depends on who knows or buys
    what (choice, walk-in, experience noise, partner referrals) falls out of step once the lever
    changes that; the variant is still a fair counterfactual, only less tightly paired.
    """
    from sim.core.model import CommunityModel

    def states(m: CommunityModel) -> dict[str, Any]:
        out = {k: g.bit_generator.state["state"] for k, g in m.rngs.items()}
        for k, g in m.named_rngs.items():
            if isinstance(g, tuple):  # a category's streams, named as the model derives them
                names = CATEGORY_STREAMS if len(g) == len(CATEGORY_STREAMS) else range(len(g))
                out.update(
                    {f"{n}:{k}": gen.bit_generator.state["state"] for n, gen in zip(names, g, strict=True)}
                )
            else:
                out[k] = g.bit_generator.state["state"]
        return out

    a = CommunityModel(scenario, seed=seed)
    b = CommunityModel(scenario.with_overrides(overrides), seed=seed)
    first: dict[str, int] = {}
    names: set[str] = set()
    for week in range(1, steps + 1):
        a.step()
        b.step()
        sa, sb = states(a), states(b)
        names |= set(sa) | set(sb)
        for k in names - set(first):
            if sa.get(k) != sb.get(k):
                first[k] = week
    return {k: first.get(k, -1) for k in sorted(names)}


__all__ = ["CATEGORY_STREAMS", "SERIES", "group_series", "run_variant", "run_variants", "stream_divergence"]
