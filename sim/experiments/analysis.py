"""Analysing a sweep folder: summary, paired differences, intervals, sensitivity, figures, report.

The analysis step of a sweep (sampling is in :mod:`sim.experiments.experiment`, evaluation in
:mod:`sim.experiments.sweep`). Everything here reads only the results folder (``manifest.json``,
``design.csv``, ``runs/``), so ``commsim report DIR`` can rebuild it anywhere, and a sweep of
10,000 runs is read one replication at a time.

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

import base64
import html
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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


# ---------------------------------------------------------------------------------------------
# Figures


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _numeric_factors(points: pd.DataFrame, keys: list[str]) -> list[str]:
    return [
        k
        for k in keys
        if k in points and pd.api.types.is_numeric_dtype(points[k]) and points[k].nunique() > 1
    ]


def figures(
    folder: Path,
    paired: pd.DataFrame,
    stats_df: pd.DataFrame,
    sens: pd.DataFrame,
    manifest: dict[str, Any],
) -> list[tuple[str, Path]]:
    """Write the sweep's figures; returns (caption, path) pairs."""
    plt = _plt()
    exp = manifest["experiment"]
    comp = exp["compare"]
    target, tw = exp["design"]["target"], exp["design"]["target_week"]
    tcol = f"{target}.w{tw}" if target != "momentum_week" else target
    who = f"{comp['a']} - {comp['b']}"
    keys = [p["key"] for p in exp["parameters"]]
    fig_dir = folder / "figures"
    fig_dir.mkdir(exist_ok=True)
    out: list[tuple[str, Path]] = []
    if not len(paired) or tcol not in paired.columns:
        return out
    first_arm = paired["arm"].iloc[0]
    pr = paired[paired["arm"] == first_arm]
    st = stats_df[
        (stats_df["arm"] == first_arm)
        & (stats_df["measure"] == target)
        & (stats_df["week"] == (tw if target != "momentum_week" else -1))
    ]
    num = _numeric_factors(st, keys)

    def save(fig, name: str, caption: str) -> None:
        path = fig_dir / name
        storage.atomic_write(path, lambda p: fig.savefig(p, dpi=110, bbox_inches="tight", format="png"))
        plt.close(fig)
        out.append((caption, path))

    # Heat map of the advantage over two parameters with the 50% win-probability contour.
    if len(num) >= 2:
        fx, fy = num[0], num[1]
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        grid = st.groupby([fy, fx])[["mean", "p_win"]].mean().reset_index()
        lim = np.nanmax(np.abs(grid["mean"])) or 1.0
        if exp["design"]["kind"] == "grid":
            mean = grid.pivot(index=fy, columns=fx, values="mean")
            pwin = grid.pivot(index=fy, columns=fx, values="p_win")
            mesh = ax.pcolormesh(
                mean.columns,
                mean.index,
                mean.to_numpy(),
                cmap="RdBu",
                vmin=-lim,
                vmax=lim,
                shading="nearest",
            )
            if pwin.shape[0] > 1 and pwin.shape[1] > 1 and np.nanmin(pwin) < 0.5 < np.nanmax(pwin):
                cs = ax.contour(pwin.columns, pwin.index, pwin.to_numpy(), levels=[0.5], colors="k")
                ax.clabel(cs, fmt="P(win)=50%%")
        else:
            mesh = ax.tricontourf(
                grid[fx], grid[fy], grid["mean"], levels=14, cmap="RdBu", vmin=-lim, vmax=lim
            )
            ax.scatter(grid[fx], grid[fy], s=4, c="k", alpha=0.3)
            if np.nanmin(grid["p_win"]) < 0.5 < np.nanmax(grid["p_win"]):
                try:
                    cs = ax.tricontour(grid[fx], grid[fy], grid["p_win"], levels=[0.5], colors="k")
                    ax.clabel(cs, fmt="P(win)=50%%")
                except (ValueError, RuntimeError):
                    pass
        fig.colorbar(mesh, ax=ax, label=f"{who}: {target} at week {tw} (mean)")
        ax.set_xlabel(fx)
        ax.set_ylabel(fy)
        ax.set_title(f"Paired advantage of {comp['a']} (black line: P(win) = 50%)")
        save(
            fig,
            "heatmap.png",
            f"Mean paired difference ({who}) in {target} at week {tw} over {fx} and "
            f"{fy} (averaged over other parameters); black line: the community side "
            f"wins in half of the replications.",
        )

    # Advantage against each numeric parameter with its 95% band.
    if num:
        k = min(len(num), 4)
        fig, axes = plt.subplots(1, k, figsize=(4.2 * k, 3.6), squeeze=False)
        for ax, f in zip(axes[0], num[:k], strict=False):
            x = pr[f]
            if x.nunique() > 12:
                x = pd.qcut(x, 10, duplicates="drop").apply(lambda iv: iv.mid).astype(float)
            g = pr.assign(_x=x).groupby("_x")[tcol]
            mean, sem, n = g.mean(), g.sem(), g.count()
            from scipy import stats

            half = sem * stats.t.ppf(0.975, np.maximum(n - 1, 1))
            ax.plot(mean.index, mean.to_numpy(), "o-", color="C0")
            ax.fill_between(
                mean.index,
                (mean - half).to_numpy(),
                (mean + half).to_numpy(),
                alpha=0.25,
                color="C0",
            )
            ax.axhline(0, color="grey", lw=0.8)
            ax.set_xlabel(f)
            ax.set_ylabel(f"{who}: {target} wk {tw}")
        fig.suptitle("Paired advantage against each parameter (band: 95% interval)")
        save(
            fig,
            "advantage_vs_parameter.png",
            f"Mean paired difference in {target} at week {tw} against each varied parameter "
            f"(others "
            f"averaged over), with its 95% interval; above zero: {comp['a']} ahead.",
        )

    # Advantage over the recorded weeks.
    weeks = exp["weeks"]
    wcols = [f"{target}.w{w}" for w in weeks if f"{target}.w{w}" in pr.columns]
    if len(wcols) > 1:
        fig, ax = plt.subplots(figsize=(6, 3.6))
        arr = pr[wcols].to_numpy(dtype=float)
        ws = [int(c.rsplit(".w", 1)[1]) for c in wcols]
        ax.plot(ws, np.nanmean(arr, axis=0), "o-")
        ax.fill_between(ws, np.nanpercentile(arr, 10, axis=0), np.nanpercentile(arr, 90, axis=0), alpha=0.2)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel("week")
        ax.set_ylabel(f"{who}: {target}")
        ax.set_title("Paired advantage over time, all design points (band: 10-90%)")
        save(
            fig,
            "advantage_over_time.png",
            f"Paired difference in {target} at each recorded week, over every design point and replication.",
        )

    # Sensitivity bars.
    if len(sens):
        s = sens[sens["measure"] == target]
        if not len(s):
            s = sens[sens["measure"] == sens["measure"].iloc[0]]
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(s) + 1.6))
        y = np.arange(len(s))
        if "S1" in s:
            ax.barh(y - 0.2, s["S1"], 0.4, xerr=s["S1_conf"], label="S1 (first order)")
            ax.barh(y + 0.2, s["ST"], 0.4, xerr=s["ST_conf"], label="ST (total)")
            ax.set_xlabel("Sobol index (95% interval)")
        else:
            ax.barh(y - 0.2, s["mu_star"], 0.4, xerr=s["mu_star_conf"], label="mu* (mean |effect|)")
            ax.barh(y + 0.2, s["sigma"], 0.4, label="sigma (interactions, non-linearity)")
            ax.set_xlabel("Morris elementary effect over the full range")
        ax.set_yticks(y, s["parameter"])
        ax.invert_yaxis()
        ax.legend(loc="lower right")
        ax.set_title(f"What decides {who} in {s['measure'].iloc[0]}")
        save(
            fig,
            "sensitivity.png",
            f"Sensitivity of the paired difference in {s['measure'].iloc[0]} to each parameter (SALib).",
        )

    # Time to overtake by design point.
    ot = stats_df[(stats_df["arm"] == first_arm) & (stats_df["measure"] == "overtake_week")]
    if len(ot):
        fig, ax = plt.subplots(figsize=(7, 3.6))
        if num:
            sc = ax.scatter(ot[num[0]], ot["mean"], c=ot["p_win"], cmap="viridis", vmin=0, vmax=1)
            ax.set_xlabel(num[0])
        else:
            sc = ax.scatter(ot["point"], ot["mean"], c=ot["p_win"], cmap="viridis", vmin=0, vmax=1)
            ax.set_xlabel("design point")
        fig.colorbar(sc, ax=ax, label="share of replications that overtake")
        ax.set_ylabel("week (mean over those that do)")
        ax.set_title(f"Time for {comp['a']} to overtake {comp['b']} in cumulative revenue")
        save(
            fig,
            "overtake.png",
            "Week from which the community side's cumulative revenue stays ahead, by "
            "design point (colour: share of replications in which it ever does).",
        )
    return out


# ---------------------------------------------------------------------------------------------
# Report


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(path.stem)}">'


def write_report(
    folder: Path,
    manifest: dict[str, Any],
    stats_df: pd.DataFrame,
    sens: pd.DataFrame,
    figs: list[tuple[str, Path]],
    failures: int,
) -> Path:
    """A self-contained report.html (figures embedded) for a sweep folder."""
    exp = manifest["experiment"]
    comp = exp["compare"]
    target, tw = exp["design"]["target"], exp["design"]["target_week"]
    text = (
        (folder / "experiment.toml").read_text(encoding="utf-8")
        if (folder / "experiment.toml").exists()
        else ""
    )
    question = (
        " ".join(line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#"))
        if text.startswith("#")
        else ""
    )
    if text.startswith("#"):
        lines = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            lines.append(line.lstrip("# ").strip())
        question = " ".join(x for x in lines if x)
    st = stats_df[(stats_df["measure"] == target) & (stats_df["week"] == tw)] if len(stats_df) else stats_df
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>commsim sweep: {html.escape(exp['name'])}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;"
        "padding:0 1em;"
        "color:#222}table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;"
        "padding:2px 6px;text-align:right}img{max-width:100%;margin:0.5em 0}pre{background:#f6f6f6;"
        "padding:1em;overflow:auto;font-size:0.85em}"
        ".note{background:#eef5ff;padding:0.6em 1em}</style>",
        "</head><body>",
        f"<h1>Sweep: {html.escape(exp['name'])}</h1>",
        f"<p><b>Question.</b> {html.escape(question)}</p>" if question else "",
        f"<p class='note'><b>Paired comparison:</b> {html.escape(comp['paired'])}. "
        f"{html.escape(manifest['seed_rule'])}.</p>",
        f"<p>{manifest['points']} design point(s) "
        f"({html.escape(exp['design']['kind'])} design over "
        f"{len(exp['parameters'])} parameter(s)) x {exp['replications']} replication(s) x "
        f"{len(manifest['arms'])} arm(s) = {manifest['runs']} runs of {exp['steps']} weeks; "
        f"{manifest.get('runs_done', '?')} finished, {failures} failed"
        f"{' (see failures.csv)' if failures else ''}. "
        f"Status: {html.escape(str(manifest.get('status')))}. "
        f"Headline measure: <b>{html.escape(target)}</b> at week {tw}.</p>",
    ]
    if len(st):
        parts.append("<h2>Where does it win?</h2>")
        n_pts = len(st)
        wins = int((st["p_win"] > 0.5).sum())
        parts.append(
            f"<p>{comp['a']} wins in more than half of the replications at {wins} of {n_pts} "
            f"design point(s) (mean {target} difference {st['mean'].mean():,.2f}).</p>"
        )
    for caption, path in figs:
        parts.append(f"<figure>{_img(path)}<figcaption>{html.escape(caption)}</figcaption></figure>")
    if len(sens):
        parts.append("<h2>Sensitivity indices (SALib)</h2>")
        parts.append(sens.to_html(index=False, float_format=lambda v: f"{v:.3f}"))
    if len(st):
        parts.append(f"<h2>Per design point: {html.escape(target)} at week {tw}</h2>")
        show = st.drop(columns=["measure", "week"]).sort_values("mean", ascending=False)
        if len(show) > 40:
            parts.append("<p>The 20 best and 20 worst points (all in points.csv).</p>")
            show = pd.concat([show.head(20), show.tail(20)])
        parts.append(show.to_html(index=False, float_format=lambda v: f"{v:,.3f}"))
    parts += [
        "<h2>Reproduce</h2>",
        f"<pre>commsim sweep {html.escape(manifest.get('experiment_file', 'EXPERIMENT.toml'))} "
        "--out NEW_DIR\n"
        f"commsim report {html.escape(str(folder))}</pre>",
        f"<p>Package {html.escape(str(manifest.get('package_version')))}, Mesa "
        f"{html.escape(str(manifest.get('mesa_version')))}, experiment SHA-256 "
        f"<code>{html.escape(manifest['experiment_sha256'])}</code>, started "
        f"{html.escape(str(manifest.get('started')))}, finished "
        f"{html.escape(str(manifest.get('finished')))}.</p>",
        "<h2>Experiment file</h2>",
        f"<pre>{html.escape(text)}</pre>",
        "</body></html>",
    ]
    path = folder / "report.html"
    storage.write_text(path, "\n".join(parts))
    return path


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
