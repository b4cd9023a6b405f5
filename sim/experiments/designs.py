"""Designs: the points an experiment samples in its parameter space, and its table of runs.

A design (grid, random, Latin hypercube, Sobol, Morris) places points in the space of the varied
parameters; each point is run ``replications`` times in every arm, each replication with a seed
derived from the experiment's seed alone. The three steps of a sweep are kept apart, as in SALib:
this module *samples* (the design points and the run table), :mod:`sim.experiments.sweep`
*evaluates* (runs the model) and :mod:`sim.experiments.analysis` *analyses*. The experiment file
that chooses the design is read in :mod:`sim.experiments.experiment_file`; docs/sweeps.md
describes each design.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.experiment import Experiment, Factor

# ---------------------------------------------------------------------------------------------
# Sampling (SALib's "sample" step)


def salib_problem(factors: list[Factor]) -> dict[str, Any]:
    """The SALib problem dict of the range factors, in unit scale (bounds [0, 1])."""
    return {
        "num_vars": len(factors),
        "names": [f.key for f in factors],
        "bounds": [[0.0, 1.0]] * len(factors),
    }


def sample_unit(kind: str, problem: dict[str, Any], options: dict[str, Any], seed: int) -> np.ndarray:
    """Sample a design in the problem's own scale with SALib (sobol, morris, latin_hypercube).

    This is the one path from a design to its points, used for experiments and for tests on
    known functions (Ishigami).
    """
    s = int(seed) % (2**32)
    if kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(
            problem,
            options["N"],
            calc_second_order=options.get("second_order", False),
            scramble=True,
            seed=s,
        )
    if kind == "morris":
        from SALib.sample import morris

        return morris.sample(problem, options["trajectories"], num_levels=options["levels"], seed=s)
    if kind == "latin_hypercube":
        from SALib.sample import latin

        return latin.sample(problem, options["samples"], seed=s)
    raise ValueError(kind)


def _design_seed(exp: Experiment) -> int:
    """Seed of the design sampler: the experiment seed's first derived word."""
    return int(np.random.SeedSequence(exp.seed, spawn_key=(2**31 - 1,)).generate_state(1)[0])


def n_points(exp: Experiment) -> int:
    """Number of design points (without sampling)."""
    d, k = exp.design, len(exp.factors)
    if d["kind"] == "grid":
        return math.prod(len(f.values) if not f.is_range else d["levels"] for f in exp.factors)
    if d["kind"] in ("random", "latin_hypercube"):
        return d["samples"]
    if d["kind"] == "sobol":
        return d["N"] * (2 * k + 2 if d["second_order"] else k + 2)
    return d["trajectories"] * (k + 1)


def design_points(exp: Experiment) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The design's points as a table (column ``point`` and one column per parameter).

    Returns the table and, for sobol and morris, SALib's sample matrix in unit scale (the input
    its ``analyze`` needs, in the same row order as the points).
    """
    kind = exp.design["kind"]
    factors = exp.factors
    unit: np.ndarray | None = None
    if kind == "grid":
        axes = [
            list(f.values)
            if not f.is_range
            else [f.cast(v) for v in np.linspace(f.low, f.high, exp.design["levels"])]
            for f in factors
        ]
        rows = [dict(zip([f.key for f in factors], combo, strict=True)) for combo in itertools.product(*axes)]
        df = pd.DataFrame(rows)
    else:
        if kind == "random":
            rng = np.random.default_rng(_design_seed(exp))
            u = rng.random((exp.design["samples"], len(factors)))
        else:
            u = sample_unit(kind, salib_problem(factors), exp.design, _design_seed(exp))
            if kind in ("sobol", "morris"):
                unit = u
        df = pd.DataFrame({f.key: f.from_unit(u[:, j]) for j, f in enumerate(factors)})
    df.insert(0, "point", np.arange(len(df)))
    return df, unit


def run_seed(seed: int, point: int, replication: int) -> int:
    """Seed of replication ``replication`` at design point ``point``.

    Derived with ``numpy.random.SeedSequence(seed, spawn_key=(point, replication))``: it depends on
    nothing else (not the arm, the worker or the order), so every arm of one replication shares it
    (a paired comparison) and results are the same with any number of workers.
    """
    state = np.random.SeedSequence(seed, spawn_key=(point, replication)).generate_state(1, dtype=np.uint64)
    return int(state[0] >> np.uint64(1))


def run_table(exp: Experiment, points: pd.DataFrame) -> pd.DataFrame:
    """Every run: ``run`` index, ``point``, ``arm``, ``replication``, ``seed``.

    Run ``(point * replications + replication) * arms + arm``: the arms of one replication are
    neighbours, which lets the analysis pair them while reading runs in order.
    """
    arms = exp.arm_names
    n = len(points) * exp.replications * len(arms)
    idx = np.arange(n)
    arm_i = idx % len(arms)
    rep = (idx // len(arms)) % exp.replications
    point = idx // (len(arms) * exp.replications)
    seeds = {(p, r): run_seed(exp.seed, p, r) for p in range(len(points)) for r in range(exp.replications)}
    return pd.DataFrame(
        {
            "run": idx,
            "point": point,
            "arm": [arms[i] for i in arm_i],
            "replication": rep,
            "seed": np.array([seeds[(p, r)] for p, r in zip(point, rep, strict=True)], dtype=np.uint64),
        }
    )


def run_overrides(exp: Experiment, points: pd.DataFrame, point: int, arm: str) -> dict[str, Any]:
    """Dotted overrides for one run: the arm's, then the design point's values."""
    row = points.iloc[point]
    out = exp.arm_overrides(arm)
    for f in exp.factors:
        v = row[f.key]  # a row of mixed parameters comes as floats: cast back (customers=3333, not 3333.0)
        out[f.key] = f.cast(v.item() if hasattr(v, "item") else v)
    return out


__all__ = [
    "design_points",
    "n_points",
    "run_overrides",
    "run_seed",
    "run_table",
    "sample_unit",
]
