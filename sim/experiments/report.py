"""The figures and ``report.html`` of a sweep folder.

Drawn from the tables that :mod:`sim.experiments.analysis` builds (paired differences, per-point
intervals, sensitivity indices) and from the manifest. The pictures and the page are kept apart
from the tables so that one can change without touching the other; docs/sweeps.md lists the
figures.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.outputs import storage

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


__all__ = ["figures", "write_report"]
