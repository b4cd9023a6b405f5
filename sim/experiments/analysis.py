"""Analysing a sweep folder: summary, paired differences, intervals, where each side wins.

The analysis step of a sweep (sampling is in :mod:`sim.experiments.designs`, evaluation in
:mod:`sim.experiments.sweep`). Everything here reads only the results folder (``manifest.json``,
``design.csv``, ``runs/``), so ``commsim report DIR`` can rebuild it anywhere. Part files are read
a few thousand at a time and turned into tables with whole-array operations, so 10,000 runs take
seconds (``benchmarks/bench_sweep_analysis.py``). Sensitivity indices are in
:mod:`sim.experiments.sensitivity`, "where each side wins" in :mod:`sim.experiments.where`, the
figures and ``report.html`` in :mod:`sim.experiments.report`.

Files written:

- ``summary.parquet``/``.csv``: one row per run (design point, arm, replication, seed, every
  varied parameter, every kept measure of every group at every recorded week, named
  ``MEASURE.GROUP.wWEEK``; per-run measures are ``MEASURE.GROUP``).
- ``paired.parquet``/``.csv``: one row per design point and replication (and arm, when groups
  within one town are compared) with ``a`` minus ``b`` for every measure and week
  (``MEASURE.wWEEK``) and ``overtake_week``: the first week from which ``a``'s cumulative revenue
  stays above ``b``'s to the end (missing if it never does).
- ``points.parquet``/``.csv``: per design point, measure and week: the mean difference with its
  95% interval (:mod:`sim.outputs.intervals`: percentile bootstrap over replications; none with
  fewer than 3) and the share of replications in which ``a`` is ahead, with its interval.
- ``where_wins.csv``, ``sensitivity.csv``, ``figures/*.png`` and a self-contained ``report.html``.

CSV files hold numbers to 10 significant figures (the parquet files hold them exactly).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments import labels
from sim.experiments.paired import diff_columns, replication_matrix
from sim.experiments.report import figures, write_report
from sim.experiments.sensitivity import sensitivity, sensitivity_lines, sensitivity_table
from sim.experiments.where import where_lines, where_wins
from sim.outputs import storage
from sim.outputs.intervals import mean_intervals

KEYS = ["run", "point", "arm", "replication", "seed"]
CHUNK_FILES = 2000
"""Part files read at once (a few hundred MB at most for runs of 156 weeks)."""


# ---------------------------------------------------------------------------------------------
# Reading


def read_manifest(folder: Path) -> dict[str, Any]:
    """The sweep's manifest (raises ValueError when the folder is not a sweep)."""
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if m.get("kind") != "sweep":
        raise ValueError(f"{folder}: not a sweep folder")
    return m


def write_csv(path: Path, df: pd.DataFrame) -> None:
    """A CSV with numbers to 10 significant figures (``1754.3``, not ``1754.299999999952``)."""
    storage.atomic_write(path, lambda p: df.to_csv(p, index=False, float_format="%.10g"))


def _chunks(folder: Path, n_arms: int) -> list[list[Path]]:
    """Part files in run order, cut into chunks that never split a design point's replication."""
    files = sorted((folder / "runs").glob("run-*.parquet"))
    out: list[list[Path]] = []
    chunk: list[Path] = []
    last = None
    for f in files:
        key = int(f.stem.split("-")[1]) // n_arms
        if len(chunk) >= CHUNK_FILES and key != last:
            out.append(chunk)
            chunk = []
        chunk.append(f)
        last = key
    if chunk:
        out.append(chunk)
    return out


def _read(files: list[Path]) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [pq.ParquetFile(f).read() for f in files]  # about 0.5 ms a file
    return pa.concat_tables(tables, promote_options="permissive").to_pandas() if tables else pd.DataFrame()


def overtake_week(a: np.ndarray, b: np.ndarray, steps: np.ndarray) -> float:
    """First week from which ``a`` stays above ``b`` to the end (nan if not ahead at the end)."""
    return float(overtake_weeks(np.atleast_2d(a), np.atleast_2d(b), np.asarray(steps))[0])


def overtake_weeks(a: np.ndarray, b: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """:func:`overtake_week` of each row of ``a`` and ``b`` (runs x weeks; nan counts as not ahead)."""
    ahead = np.asarray(a, dtype=float) > np.asarray(b, dtype=float)
    if ahead.shape[1] == 0:
        return np.full(len(ahead), np.nan)
    behind_rev = ~ahead[:, ::-1]
    last_behind = np.where(behind_rev.any(axis=1), ahead.shape[1] - 1 - behind_rev.argmax(axis=1), -1)
    first = np.minimum(last_behind + 1, ahead.shape[1] - 1)
    return np.where(ahead[:, -1], np.asarray(steps, dtype=float)[first], np.nan)


def momentum_weeks(
    revenue: np.ndarray, steps: np.ndarray, window: int = 13, sustain: int = 13, growth: float = 0.02
) -> np.ndarray:
    """:func:`sim.core.measures.momentum_week` of each row of ``revenue`` (runs x weeks), as a week.

    The same rule on whole arrays; weeks before a group opened are nan and cannot start
    momentum. -1 where momentum never starts.
    """
    from numpy.lib.stride_tricks import sliding_window_view as windows

    r = np.asarray(revenue, dtype=float)
    n, t = r.shape
    if t < 2 * window + sustain:
        return np.full(n, -1.0)
    smooth = np.full_like(r, np.nan)
    smooth[:, window - 1 :] = windows(r, window, axis=1).mean(axis=2)  # trailing mean, nan if any is
    ok = np.zeros_like(r, dtype=bool)
    with np.errstate(invalid="ignore"):
        ok[:, window:] = smooth[:, window:] > (1 + growth) * np.nan_to_num(smooth[:, :-window], nan=np.inf)
    run = np.zeros_like(ok)
    run[:, sustain - 1 :] = windows(ok, sustain, axis=1).all(axis=2)
    hit = run.any(axis=1)
    start = np.clip(run.argmax(axis=1) - sustain + 1, 0, t - 1)
    return np.where(hit, np.asarray(steps, dtype=float)[start], -1.0)


def _groups(comp: dict[str, Any]) -> list[str]:
    if comp["mode"] == "arms":
        return ["focal", "all"] if comp["group"] != "all" else ["all"]
    return [comp["a"], comp["b"], "all"]


def _series(df: pd.DataFrame, column: str, steps: np.ndarray) -> pd.DataFrame:
    """One row per (run, group), one column per week, of ``column`` (nan where not recorded)."""
    if column not in df.columns:
        return pd.DataFrame(columns=steps, dtype=float)
    wide = df.set_index(["run", "group", "step"])[column].unstack("step")
    return wide.reindex(columns=steps).astype(float)


def _tables(df: pd.DataFrame, exp: dict[str, Any], design: pd.DataFrame, steps: np.ndarray):
    """Summary and paired rows of one chunk of runs."""
    from sim.experiments.experiment import RUN_MEASURES

    comp, measures, weeks = exp["compare"], exp["measures"], exp["weeks"]
    groups = _groups(comp)
    weekly = [m for m in measures if m not in RUN_MEASURES]
    keys = df.drop_duplicates("run").set_index("run")[KEYS[1:]].sort_index()
    keys["seed"] = keys["seed"].astype(np.int64)  # derived seeds are below 2**63
    at_weeks = df[df["step"].isin(weeks)]
    present = [m for m in weekly if m in df.columns]
    wide = at_weeks.set_index(["run", "group", "step"])[present].unstack(["group", "step"])
    full = pd.MultiIndex.from_product([weekly, groups, weeks])
    wide = wide.reindex(columns=full).reindex(keys.index)
    revenue = _series(df, "revenue", steps)
    momentum = pd.Series(momentum_weeks(revenue.to_numpy(), steps), index=revenue.index)

    summary = keys.reset_index()
    summary = summary.merge(design, on="point", how="left")
    cols: dict[str, np.ndarray] = {}
    for g in groups:
        for m in measures:
            if m in RUN_MEASURES:
                cols[f"{m}.{g}"] = momentum.reindex(pd.MultiIndex.from_product([keys.index, [g]])).to_numpy()
                continue
            for w in weeks:
                cols[f"{m}.{g}.w{w}"] = wide[(m, g, w)].to_numpy()
    summary = pd.concat([summary, pd.DataFrame(cols)], axis=1)

    cum = _series(df, "cum_revenue", steps)

    def values(runs: pd.Index, g: str) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """Group ``g`` of these runs: its measures at the weeks, momentum week, cumulative revenue."""
        idx = pd.MultiIndex.from_product([runs, [g]])
        out = {f"{m}.w{w}": wide[(m, g, w)].reindex(runs).to_numpy() for m in weekly for w in weeks}
        return out, momentum.reindex(idx).to_numpy(), cum.reindex(idx).to_numpy()

    if comp["mode"] == "arms":
        g = "focal" if comp["group"] != "all" else "all"
        by = keys.reset_index().set_index(["point", "replication", "arm"])["run"]
        ra = by.xs(comp["a"], level="arm") if comp["a"] in keys["arm"].values else by.iloc[:0]
        rb = by.xs(comp["b"], level="arm") if comp["b"] in keys["arm"].values else by.iloc[:0]
        both = ra.index.intersection(rb.index)
        ra, rb = pd.Index(ra.loc[both].to_numpy()), pd.Index(rb.loc[both].to_numpy())
        (va, ma, ca), (vb, mb, cb) = values(ra, g), values(rb, g)
        base = keys.loc[ra].reset_index(drop=True)[["point", "replication", "seed"]]
        base.insert(1, "arm", f"{comp['a']}-{comp['b']}")
        order = ra
    else:
        ra = rb = keys.index
        va, ma, ca = values(ra, comp["a"])
        vb, mb, cb = values(rb, comp["b"])
        base = keys.reset_index(drop=True)[["point", "arm", "replication", "seed"]]
        order = ra
    paired = base.merge(design, on="point", how="left")
    diffs = {c: va[c] - vb[c] for c in va}
    for m in measures:
        if m in RUN_MEASURES:
            diffs[m] = np.where((ma > 0) & (mb > 0), ma - mb, np.nan)
    diffs["overtake_week"] = overtake_weeks(ca, cb, steps) if len(order) else np.array([])
    paired = pd.concat([paired, pd.DataFrame(diffs)], axis=1)
    paired.insert(0, "_run", np.asarray(order))
    return summary, paired


def build_tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every part file into the summary (one row a run) and paired (one row a pair) tables."""
    m = read_manifest(folder)
    exp = m["experiment"]
    design = pd.read_csv(folder / "design.csv")
    steps = np.arange(1, exp["steps"] + 1)
    parts = [_tables(_read(files), exp, design, steps) for files in _chunks(folder, len(m["arms"]))]
    if not parts:
        return pd.DataFrame(), pd.DataFrame()
    summary = pd.concat([p[0] for p in parts], ignore_index=True).sort_values("run", ignore_index=True)
    paired = pd.concat([p[1] for p in parts], ignore_index=True).sort_values("_run", ignore_index=True)
    return summary, paired.drop(columns="_run")


def point_stats(paired: pd.DataFrame, factor_keys: list[str]) -> pd.DataFrame:
    """Per design point (and arm), measure and week: mean difference, its interval, share ahead.

    ``mean``, ``low`` and ``high``: the mean paired difference over replications and its 95%
    percentile-bootstrap interval (nan with fewer than 3 replications); ``share_ahead`` with
    ``share_ahead_low``/``_high``: the share of replications in which ``a`` is ahead (difference
    above 0), bootstrapped the same way. For ``overtake_week`` the mean is over the replications
    in which ``a`` overtakes and ``share_ahead`` is the share in which it does.
    """
    cols = diff_columns(paired)
    index, arr = replication_matrix(paired, cols)
    n_cells = len(index)
    is_ot = np.array([c == "overtake_week" for c in cols])
    ahead = np.where(np.isfinite(arr), (arr > 0).astype(float), np.nan)
    ahead[is_ot] = np.isfinite(arr[is_ot]).astype(float)  # overtaking at all is "ahead"
    mean, low, high = mean_intervals(arr.reshape(-1, arr.shape[2]))
    sh, sh_lo, sh_hi = mean_intervals(ahead.reshape(-1, arr.shape[2]))
    n = np.isfinite(arr).sum(axis=2).reshape(-1)
    n[np.repeat(is_ot, n_cells)] = arr.shape[2]
    first = paired.drop_duplicates(["point", "arm"]).set_index(["point", "arm"])
    base = index.join(first[[k for k in factor_keys if k in first]], on=["point", "arm"])
    split = [c.rpartition(".w") if ".w" in c else (c, "", "") for c in cols]
    out = pd.concat([base] * len(cols), ignore_index=True)
    measure = np.repeat([s[0] for s in split], n_cells)
    out["measure"] = measure
    out["week"] = np.repeat([int(s[2]) if s[2] else -1 for s in split], n_cells)
    out["unit"] = [labels.unit(x) for x in measure]
    out["replications"] = n
    out["mean"], out["low"], out["high"] = mean, low, high
    out["share_ahead"], out["share_ahead_low"], out["share_ahead_high"] = sh, sh_lo, sh_hi
    return out


def analyse_folder(folder: str | Path) -> Path:
    """(Re)build every table, figure and report.html of a sweep folder from its stored runs."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    exp = manifest["experiment"]
    summary, paired = build_tables(folder)
    keys = [p["key"] for p in exp["parameters"]]
    storage.write_parquet(folder / "summary.parquet", summary)
    write_csv(folder / "summary.csv", summary)
    storage.write_parquet(folder / "paired.parquet", paired)
    write_csv(folder / "paired.csv", paired)
    stats_df = point_stats(paired, keys) if len(paired) else pd.DataFrame()
    storage.write_parquet(folder / "points.parquet", stats_df)
    write_csv(folder / "points.csv", stats_df)
    wins = where_wins(paired, stats_df, exp) if len(stats_df) else pd.DataFrame()
    write_csv(folder / "where_wins.csv", wins)
    sens = sensitivity(folder, paired, manifest)
    (folder / "sensitivity.csv").unlink(missing_ok=True)
    if len(sens):
        write_csv(folder / "sensitivity.csv", sens)
    figs = figures(folder, paired, stats_df, sens, manifest) if len(stats_df) else []
    failures = 0
    if (folder / "failures.csv").exists():
        failures = len(pd.read_csv(folder / "failures.csv"))
    return write_report(folder, manifest, stats_df, wins, sens, figs, failures)


def summary_lines(folder: str | Path) -> list[str]:
    """What a sweep prints after its runs: where each side wins, and what the indices know."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    out: list[str] = []
    if (folder / "where_wins.csv").is_file():
        try:
            wins = pd.read_csv(folder / "where_wins.csv")
        except pd.errors.EmptyDataError:
            wins = pd.DataFrame()
        out += where_lines(wins, manifest["experiment"])
    if (folder / "sensitivity.csv").is_file():
        out += sensitivity_lines(pd.read_csv(folder / "sensitivity.csv"), manifest["experiment"])
    return out


__all__ = [
    "analyse_folder",
    "build_tables",
    "diff_columns",
    "momentum_weeks",
    "overtake_week",
    "overtake_weeks",
    "point_stats",
    "sensitivity_table",
    "summary_lines",
]
