"""Analysing a sweep folder: summary, paired differences, intervals, sensitivity.

The analysis step of a sweep (sampling is in :mod:`sim.experiments.designs`, evaluation in
:mod:`sim.experiments.sweep`). Everything here reads only the results folder (``manifest.json``,
``design.csv``, ``runs/``), so ``commsim report DIR`` can rebuild it anywhere, and a sweep of
10,000 runs is read one replication at a time. The figures and ``report.html`` drawn from these
tables are in :mod:`sim.experiments.report`.

Files written:

- ``summary.parquet``/``.csv``: one row per run (design point, arm, replication, seed, every
  varied parameter, every kept measure of every group at every recorded week, named
  ``MEASURE.GROUP.wWEEK``; per-run measures are ``MEASURE.GROUP``).
- ``paired.parquet``/``.csv``: one row per design point and replication (and arm, when groups
  within one town are compared) with ``a`` minus ``b`` for every measure and week
  (``MEASURE.wWEEK``) and ``overtake_week``: the first week from which ``a``'s cumulative revenue
  stays above ``b``'s to the end (missing if it never does).
- ``points.parquet``/``.csv``: per design point, measure and week: mean difference, its 95%
  interval (Student t over replications) and the probability that ``a`` wins (share of
  replications with a positive difference).
- ``sensitivity.csv``: Sobol S1/ST with 95% intervals or Morris mu*/sigma (SALib), per measure
  at the target week, computed on the per-point mean difference.
- ``figures/*.png`` and a self-contained ``report.html``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.report import figures, write_report
from sim.outputs import storage

KEYS = ["run", "point", "arm", "replication", "seed"]


# ---------------------------------------------------------------------------------------------
# Reading


def read_manifest(folder: Path) -> dict[str, Any]:
    """The sweep's manifest (raises ValueError when the folder is not a sweep)."""
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if m.get("kind") != "sweep":
        raise ValueError(f"{folder}: not a sweep folder")
    return m


def _blocks(folder: Path, n_arms: int) -> Iterator[list[pd.DataFrame]]:
    """Part files in run order, grouped by design point and replication (all arms together)."""
    files = sorted((folder / "runs").glob("run-*.parquet"))
    block: list[pd.DataFrame] = []
    current = None
    for f in files:
        run = int(f.stem.split("-")[1])
        key = run // n_arms
        if current is not None and key != current:
            yield block
            block = []
        current = key
        block.append(pd.read_parquet(f))
    if block:
        yield block


def overtake_week(a: np.ndarray, b: np.ndarray, steps: np.ndarray) -> float:
    """First week from which ``a`` stays above ``b`` to the end (nan if not ahead at the end)."""
    ahead = np.asarray(a) > np.asarray(b)
    if not len(ahead) or not ahead[-1]:
        return float("nan")
    behind = np.flatnonzero(~ahead)
    first = 0 if not len(behind) else behind[-1] + 1
    return float(steps[first])


def _run_row(
    table: pd.DataFrame,
    design: pd.DataFrame,
    groups: list[str],
    measures: list[str],
    weeks: list[int],
) -> dict[str, Any]:
    from sim.core.measures import momentum_week
    from sim.experiments.experiment import RUN_MEASURES

    first = table.iloc[0]
    row: dict[str, Any] = {k: first[k] for k in KEYS}
    row["seed"] = int(row["seed"])
    prow = design.iloc[int(first["point"])]
    for col in design.columns:
        if col != "point":
            row[col] = prow[col]
    for g in groups:
        gt = table[table["group"] == g].set_index("step")
        for m in measures:
            if m in RUN_MEASURES:
                if m == "momentum_week":
                    row[f"{m}.{g}"] = momentum_week(gt["revenue"].to_numpy()) if len(gt) else -1
                continue
            for w in weeks:
                row[f"{m}.{g}.w{w}"] = gt[m].get(w, np.nan) if m in gt.columns else np.nan
    return row


def build_tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every part file into the summary (one row a run) and paired (one row a pair) tables."""
    m = read_manifest(folder)
    exp = m["experiment"]
    design = pd.read_csv(folder / "design.csv")
    arms = m["arms"]
    comp = exp["compare"]
    measures, weeks = exp["measures"], exp["weeks"]
    groups = (
        ["focal", "all"]
        if comp["mode"] == "arms" and comp["group"] != "all"
        else (["all"] if comp["mode"] == "arms" else [comp["a"], comp["b"], "all"])
    )
    rows, pairs = [], []
    for block in _blocks(folder, len(arms)):
        by_arm = {t["arm"].iloc[0]: t for t in block}
        for t in block:
            rows.append(_run_row(t, design, groups, measures, weeks))
        if comp["mode"] == "arms":
            g = "focal" if comp["group"] != "all" else "all"
            if comp["a"] in by_arm and comp["b"] in by_arm:
                ta = by_arm[comp["a"]][by_arm[comp["a"]]["group"] == g].set_index("step")
                tb = by_arm[comp["b"]][by_arm[comp["b"]]["group"] == g].set_index("step")
                pairs.append(
                    _pair(
                        ta,
                        tb,
                        by_arm[comp["a"]].iloc[0],
                        f"{comp['a']}-{comp['b']}",
                        design,
                        measures,
                        weeks,
                    )
                )
        else:
            for arm, t in by_arm.items():
                ta = t[t["group"] == comp["a"]].set_index("step")
                tb = t[t["group"] == comp["b"]].set_index("step")
                pairs.append(_pair(ta, tb, t.iloc[0], arm, design, measures, weeks))
    summary = pd.DataFrame(rows)
    paired = pd.DataFrame(pairs)
    return summary, paired


def _pair(
    ta: pd.DataFrame,
    tb: pd.DataFrame,
    first: pd.Series,
    arm: str,
    design: pd.DataFrame,
    measures: list[str],
    weeks: list[int],
) -> dict[str, Any]:
    from sim.core.measures import momentum_week
    from sim.experiments.experiment import RUN_MEASURES

    row: dict[str, Any] = {
        "point": int(first["point"]),
        "arm": arm,
        "replication": int(first["replication"]),
        "seed": int(first["seed"]),
    }
    prow = design.iloc[row["point"]]
    for col in design.columns:
        if col != "point":
            row[col] = prow[col]
    for m in measures:
        if m in RUN_MEASURES:
            ma = momentum_week(ta["revenue"].to_numpy())
            mb = momentum_week(tb["revenue"].to_numpy())
            row[m] = float(ma - mb) if ma > 0 and mb > 0 else np.nan
            continue
        for w in weeks:
            row[f"{m}.w{w}"] = float(ta[m].get(w, np.nan) - tb[m].get(w, np.nan))
    common = ta.index.intersection(tb.index)
    row["overtake_week"] = overtake_week(
        ta.loc[common, "cum_revenue"].to_numpy(),
        tb.loc[common, "cum_revenue"].to_numpy(),
        common.to_numpy(),
    )
    return row


def diff_columns(paired: pd.DataFrame) -> list[str]:
    """The difference columns of the paired table (``MEASURE.wWEEK``, run measures, overtake)."""
    from sim.experiments.experiment import RUN_MEASURES

    def is_diff(c: str) -> bool:
        measure, sep, week = c.rpartition(".w")
        return bool(sep) and week.isdigit() and "." not in measure

    return [c for c in paired.columns if is_diff(c) or c in RUN_MEASURES or c == "overtake_week"]


def point_stats(paired: pd.DataFrame, factor_keys: list[str]) -> pd.DataFrame:
    """Per design point (and arm), measure and week: mean difference, 95% interval, P(a wins)."""
    from scipy import stats

    cols = [c for c in diff_columns(paired) if c != "overtake_week"]
    out = []
    for (point, arm), grp in paired.groupby(["point", "arm"], sort=True):
        base = {"point": point, "arm": arm, **{k: grp[k].iloc[0] for k in factor_keys if k in grp}}
        for c in cols:
            x = grp[c].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            n = len(x)
            mean = float(x.mean()) if n else np.nan
            if n > 1:
                half = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
            else:
                half = np.nan
            measure, _, week = c.rpartition(".w") if ".w" in c else (c, "", "")
            out.append(
                {
                    **base,
                    "measure": measure,
                    "week": int(week) if week else -1,
                    "n": n,
                    "mean": mean,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "p_win": float(np.mean(x > 0)) if n else np.nan,
                }
            )
        ot = grp["overtake_week"].to_numpy(dtype=float)
        out.append(
            {
                **base,
                "measure": "overtake_week",
                "week": -1,
                "n": int(np.isfinite(ot).sum()),
                "mean": float(np.nanmean(ot)) if np.isfinite(ot).any() else np.nan,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "p_win": float(np.mean(np.isfinite(ot))),
            }
        )
    return pd.DataFrame(out)


# ---------------------------------------------------------------------------------------------
# Sensitivity (SALib's "analyze" step)


def sensitivity_table(
    kind: str,
    problem: dict[str, Any],
    y: np.ndarray,
    x: np.ndarray | None = None,
    options: dict[str, Any] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Sobol (S1, ST with 95% intervals) or Morris (mu, mu*, sigma, mu* interval) indices via SALib.

    Args:
        kind: ``sobol`` or ``morris``.
        problem: the SALib problem the sample was drawn for.
        y: the output at each sample row, in SALib's order.
        x: the sample matrix (Morris needs it).
        options: the design options (``second_order`` for Sobol, ``levels`` for Morris).
        seed: seed of the bootstrap.
    """
    options = options or {}
    y = np.asarray(y, dtype=float)
    if kind == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(
            problem,
            y,
            calc_second_order=options.get("second_order", False),
            conf_level=0.95,
            num_resamples=500,
            seed=seed,
            print_to_console=False,
        )
        df = pd.DataFrame(
            {
                "parameter": problem["names"],
                "S1": res["S1"],
                "S1_conf": res["S1_conf"],
                "ST": res["ST"],
                "ST_conf": res["ST_conf"],
            }
        )
    elif kind == "morris":
        from SALib.analyze import morris

        res = morris.analyze(
            problem,
            x,
            y,
            num_levels=options.get("levels", 4),
            conf_level=0.95,
            num_resamples=500,
            seed=seed,
            print_to_console=False,
        )
        df = pd.DataFrame(
            {
                "parameter": problem["names"],
                "mu": res["mu"],
                "mu_star": res["mu_star"],
                "sigma": res["sigma"],
                "mu_star_conf": res["mu_star_conf"],
            }
        )
    else:
        raise ValueError(f"no sensitivity indices for a {kind} design")
    return df


def sensitivity(folder: Path, paired: pd.DataFrame, manifest: dict[str, Any]) -> pd.DataFrame:
    """Indices for every kept weekly measure at the target week, from per-point mean differences."""
    exp = manifest["experiment"]
    kind = exp["design"]["kind"]
    if kind not in ("sobol", "morris") or not len(paired):
        return pd.DataFrame()
    names = [p["key"] for p in exp["parameters"]]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    x = pd.read_csv(folder / "design_unit.csv").to_numpy() if kind == "morris" else None
    n_points = manifest["points"]
    first_arm = paired["arm"].iloc[0]
    sub = paired[paired["arm"] == first_arm]
    tw = exp["design"]["target_week"]
    out = []
    for m in exp["measures"]:
        col = f"{m}.w{tw}" if f"{m}.w{tw}" in sub.columns else m
        if col not in sub.columns:
            continue
        y = sub.groupby("point")[col].mean().reindex(range(n_points)).to_numpy(dtype=float)
        if not np.isfinite(y).all():
            continue  # failed or missing runs, or a measure undefined in some runs
        t = sensitivity_table(kind, problem, y, x, exp["design"], seed=exp["seed"] % 2**32)
        t.insert(0, "week", tw if col != m else -1)
        t.insert(0, "measure", m)
        out.append(t)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def analyse_folder(folder: str | Path) -> Path:
    """(Re)build every table, figure and report.html of a sweep folder from its stored runs."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    exp = manifest["experiment"]
    summary, paired = build_tables(folder)
    keys = [p["key"] for p in exp["parameters"]]
    storage.write_parquet(folder / "summary.parquet", summary)
    storage.write_csv(folder / "summary.csv", summary)
    storage.write_parquet(folder / "paired.parquet", paired)
    storage.write_csv(folder / "paired.csv", paired)
    stats_df = point_stats(paired, keys) if len(paired) else pd.DataFrame()
    storage.write_parquet(folder / "points.parquet", stats_df)
    storage.write_csv(folder / "points.csv", stats_df)
    sens = sensitivity(folder, paired, manifest)
    if len(sens):
        storage.write_csv(folder / "sensitivity.csv", sens)
    figs = figures(folder, paired, stats_df, sens, manifest) if len(stats_df) else []
    failures = 0
    if (folder / "failures.csv").exists():
        failures = len(pd.read_csv(folder / "failures.csv"))
    return write_report(folder, manifest, stats_df, sens, figs, failures)


__all__ = ["analyse_folder", "build_tables", "overtake_week", "point_stats", "sensitivity_table"]
