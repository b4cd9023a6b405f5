"""The figures and ``report.html`` of a sweep folder.

Drawn from the tables that :mod:`sim.experiments.analysis` builds (paired differences, per-point
intervals, where each side wins, sensitivity indices) and from the manifest. Every band is the
95% interval of :mod:`sim.outputs.intervals` and every axis names its unit and how a group's
value is made; docs/sweeps.md lists the figures.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments import labels
from sim.experiments.sensitivity import verdict_text
from sim.experiments.where import where_lines
from sim.outputs import storage
from sim.outputs.intervals import METHOD, MIN_REPLICATIONS, NO_INTERVAL, mean_intervals

MAX_ANNOTATED_CELLS = 100
"""Heat-map cells that carry their numbers (beyond this they would not be legible)."""
MAX_LINES = 6
"""Levels of a parameter drawn as separate lines; more are pooled."""

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


def _thousands(axis) -> None:
    """Short tick labels: 500k, 1.5M (k: thousand, M: million), or -2,500 for smaller values."""
    from matplotlib.ticker import FuncFormatter

    def fmt(v, _):
        big = max(abs(x) for x in axis.get_view_interval())
        if v == 0:
            return "0"
        if big >= 1e6:
            return f"{v / 1e6:.3g}M"
        if big >= 1e4:
            return f"{v / 1e3:.3g}k"
        return f"{v:,.6g}"

    axis.set_major_formatter(FuncFormatter(fmt))


def _band(groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and 95% interval of each group of values (a group: the runs at one x)."""
    width = max((len(g) for g in groups), default=0)
    m = np.full((len(groups), max(width, 1)), np.nan)
    for i, g in enumerate(groups):
        m[i, : len(g)] = g
    return mean_intervals(m)


def _binned(x: pd.Series) -> pd.Series:
    """A parameter's tested values, or the middles of its deciles when it takes many values."""
    if x.nunique() <= 12:
        return x.astype(float)
    return pd.qcut(x, 10, duplicates="drop").apply(lambda iv: iv.mid).astype(float)


def _heatmap(ax, st: pd.DataFrame, fx: str, fy: str, grid: bool):
    """Draw the advantage over two parameters; returns the mesh and whether the 50% line was drawn.

    A grid's cells are its tested pairs of values; any other design's points are pooled into
    cells of quintiles of the two parameters (each cell: the mean over the points in it).
    """
    cells = st[[fx, fy, "mean", "share_ahead"]].copy()
    if not grid:
        for f in (fx, fy):
            bins = pd.qcut(cells[f], min(5, cells[f].nunique()), duplicates="drop")
            cells[f] = bins.map(lambda iv: f"{labels.number(iv.left)}-{labels.number(iv.right)}")
            cells[f] = pd.Categorical(
                cells[f],
                categories=[
                    f"{labels.number(iv.left)}-{labels.number(iv.right)}" for iv in bins.cat.categories
                ],
                ordered=True,
            )
    cells = cells.groupby([fy, fx], observed=True)[["mean", "share_ahead"]].mean().reset_index()
    mean = cells.pivot(index=fy, columns=fx, values="mean")
    share = cells.pivot(index=fy, columns=fx, values="share_ahead")
    lim = float(np.nanmax(np.abs(mean.to_numpy()))) or 1.0
    ny, nx = mean.shape
    mesh = ax.pcolormesh(
        np.arange(nx + 1) - 0.5, np.arange(ny + 1) - 0.5, mean.to_numpy(), cmap="RdBu", vmin=-lim, vmax=lim
    )
    ticks = (lambda v: labels.number(v)) if grid else str
    ax.set_xticks(range(nx), [ticks(v) for v in mean.columns], fontsize=8 if grid else 7)
    ax.set_yticks(range(ny), [ticks(v) for v in mean.index], fontsize=8 if grid else 7)
    what = "tested values" if grid else "quintiles of the design points"
    ax.set_xlabel(f"{fx} ({what})")
    ax.set_ylabel(f"{fy} ({what})")
    if nx * ny <= MAX_ANNOTATED_CELLS:
        size = 9 if nx <= 6 else 7
        for i in range(ny):
            for j in range(nx):
                v, s = mean.iat[i, j], share.iat[i, j]
                dark = np.isfinite(v) and abs(v) > 0.6 * lim
                ax.text(
                    j,
                    i,
                    f"{labels.number(v, 2)}\n{labels.share(s)}",
                    ha="center",
                    va="center",
                    fontsize=size,
                    color="white" if dark else "black",
                )
    # The 50% line along cell edges: between cells where a is ahead in more than half of the
    # replications and cells where it is not (a contour through cell centres would cross the numbers).
    more = share.to_numpy(dtype=float) > 0.5
    drawn = False
    for i in range(ny):
        for j in range(nx):
            if j + 1 < nx and more[i, j] != more[i, j + 1]:
                ax.plot([j + 0.5, j + 0.5], [i - 0.5, i + 0.5], color="k", lw=2.5)
                drawn = True
            if i + 1 < ny and more[i, j] != more[i + 1, j]:
                ax.plot([j - 0.5, j + 0.5], [i + 0.5, i + 0.5], color="k", lw=2.5)
                drawn = True
    return mesh, drawn, share.to_numpy(dtype=float)


def figures(
    folder: Path,
    paired: pd.DataFrame,
    stats_df: pd.DataFrame,
    sens: pd.DataFrame,
    manifest: dict[str, Any],
) -> list[tuple[str, Path | None]]:
    """Write the sweep's figures; returns (caption, path) pairs (path None: said in words only)."""
    plt = _plt()
    exp = manifest["experiment"]
    comp = exp["compare"]
    target, tw = exp["design"]["target"], exp["design"]["target_week"]
    tcol = f"{target}.w{tw}" if target != "momentum_week" else target
    who = f"{comp['a']} - {comp['b']}"
    what = f"{target} at week {tw}" if target != "momentum_week" else target
    unit = labels.how(target)
    keys = [p["key"] for p in exp["parameters"]]
    fig_dir = folder / "figures"
    fig_dir.mkdir(exist_ok=True)
    for old in fig_dir.glob("*.png"):  # a figure not drawn this time must not linger
        old.unlink()
    out: list[tuple[str, Path | None]] = []
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
    grid = exp["design"]["kind"] == "grid"

    def save(fig, name: str, caption: str) -> None:
        path = fig_dir / name
        storage.atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
        plt.close(fig)
        out.append((caption, path))

    if len(num) >= 2:
        fx, fy = num[0], num[1]
        fig, ax = plt.subplots(figsize=(7.2, 5.4), layout="constrained")
        mesh, drawn, cell_share = _heatmap(ax, st, fx, fy, grid)
        bar = fig.colorbar(mesh, ax=ax, label=f"mean paired difference\n({unit})")
        _thousands(bar.ax.yaxis)
        if drawn:
            ax.plot(
                [],
                [],
                color="k",
                lw=2,
                label=f"edge of the cells where {comp['a']} is ahead in more than half of the replications",
            )
        if drawn:
            ax.legend(loc="upper left", bbox_to_anchor=(0, -0.12), fontsize=8, frameon=False)
        ax.set_title(f"{who}: {what}", fontsize=11)
        others = " (mean over the other parameters' values)" if len(num) > 2 else ""
        cell_words = (
            " Each cell is a tested pair of values and shows the mean difference and the share of "
            f"replications in which {comp['a']} is ahead."
            if grid
            else " Each cell pools the design points whose two values fall in that pair of quintiles "
            "and shows the mean over those points of the mean difference, and the share of "
            f"replications in which {comp['a']} is ahead."
        )
        line_words = (
            f" Black line: the edge of the cells where {comp['a']} is ahead in more than half of "
            "the replications."
            if drawn
            else f" {comp['a']} is ahead in more than half of the replications in "
            + ("every cell" if np.nanmin(cell_share) > 0.5 else "no cell")
            + ", so there is no such edge."
        )
        save(
            fig,
            "heatmap.png",
            f"Mean paired difference {who} in {what} ({unit}) over {fx} and {fy}{others}; blue: "
            f"{comp['a']} ahead.{cell_words}{line_words}",
        )

    if num:
        k = min(len(num), 4)
        rows, cols = (1, k) if k <= 2 else (2, 2)
        fig, axes = plt.subplots(
            rows,
            cols,
            figsize=(4.2 * cols + 0.8, 3.4 * rows + 0.4),
            squeeze=False,
            sharey=True,
            layout="constrained",
        )
        for ax in axes.ravel()[k:]:
            ax.set_visible(False)
        for ax, f in zip(axes.ravel(), num[:k], strict=False):
            x = _binned(pr[f])
            groups = [g[tcol].to_numpy(dtype=float) for _, g in pr.assign(_x=x).groupby("_x", sort=True)]
            xs = np.sort(x.unique())
            few = pr[f].nunique() <= 12
            pos = np.arange(len(xs)) if few else xs  # tested values evenly spaced, each a tick
            mean, lo, hi = _band([g[np.isfinite(g)] for g in groups])
            ax.plot(pos, mean, "o-", color="C0", label="mean")
            ax.fill_between(pos, lo, hi, alpha=0.25, color="C0", label="95% interval")
            ax.axhline(0, color="grey", lw=0.8)
            if few:
                ax.set_xticks(pos, [labels.number(v) for v in xs], fontsize=8)
                ax.set_xlabel(f"{f}\n(tested values, evenly spaced)", fontsize=9)
            else:
                ax.set_xlabel(f"{f} (middles of deciles)", fontsize=9)
        for row in axes:
            row[0].set_ylabel(f"{who}:\n{what}\n({unit})", fontsize=9)
        _thousands(axes[0][0].yaxis)
        axes[0][0].legend(fontsize=8)
        fig.suptitle("Paired advantage against each parameter (band: 95% interval of the mean)", fontsize=11)
        save(
            fig,
            "advantage_vs_parameter.png",
            f"Mean paired difference {who} in {what} ({unit}) at each value of each varied parameter, "
            "over every run at that value (the other parameters' values and the replications); band: "
            "95% expanded percentile-bootstrap interval of that mean over those runs. Above zero: "
            f"{comp['a']} ahead.",
        )

    weeks = exp["weeks"]
    wcols = [f"{target}.w{w}" for w in weeks if f"{target}.w{w}" in pr.columns]
    if len(wcols) > 1:
        fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
        ws = np.array([int(c.rsplit(".w", 1)[1]) for c in wcols])
        split = num[0] if num and pr[num[0]].nunique() <= MAX_LINES else None
        parts = list(pr.groupby(split, sort=True)) if split else [(None, pr)]
        for i, (level, g) in enumerate(parts):
            arr = g[wcols].to_numpy(dtype=float)
            mean, lo, hi = _band([c[np.isfinite(c)] for c in arr.T])
            name = f"{split} = {labels.number(level)}" if split else "every design point"
            dodge = (i - (len(parts) - 1) / 2) * 0.012 * (ws.max() - ws.min())  # bars side by side
            err = np.clip(np.vstack([mean - lo, hi - mean]), 0, None)
            ax.errorbar(ws + dodge, mean, yerr=err, fmt="o-", color=f"C{i}", label=name, capsize=3, lw=1.2)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xticks(ws)
        ax.set_xlabel("week")
        ax.set_ylabel(f"{who}: {target}\n({labels.how(target)})", fontsize=9)
        _thousands(ax.yaxis)
        ax.legend(fontsize=8)
        ax.set_title("Paired advantage over time (bars: 95% interval of the mean)", fontsize=11)
        save(
            fig,
            "advantage_over_time.png",
            f"Mean paired difference {who} in {target} ({labels.how(target)}) at each recorded week, over "
            + (f"every run at each value of {split}" if split else "every design point and replication")
            + "; bars: 95% expanded percentile-bootstrap interval of that mean (no bar: fewer than 3 runs).",
        )

    if len(sens):
        _sensitivity_figure(plt, sens, target, who, exp, save)
    words = _overtake(plt, pr, exp, num, save)
    if words:
        out.append((words, None))
    return out


def _sensitivity_figure(plt, sens, target, who, exp, save) -> None:
    """Indices as bars, greyed and in file order when they do not rank the parameters."""
    s = sens[sens["measure"] == target]
    if not len(s):
        s = sens[sens["measure"] == sens["measure"].iloc[0]]
    kind = exp["design"]["kind"]
    m, week = s["measure"].iloc[0], int(s["week"].iloc[0])
    ranked = s["verdict"].iloc[0] == "ranked"
    key = "ST" if kind == "sobol" else "mu_star"
    if ranked:
        s = s.sort_values(key, ascending=False)
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(s) + 2.2), layout="constrained")
    y = np.arange(len(s))
    alpha = 1.0 if ranked else 0.45

    def bars(col, offset, label, color):
        v = s[col].to_numpy(dtype=float)
        if f"{col}_low" in s:
            err = np.vstack([v - s[f"{col}_low"].to_numpy(), s[f"{col}_high"].to_numpy() - v])
            err = np.clip(err, 0, None)
        else:
            err = None
        ax.barh(y + offset, v, 0.4, xerr=err, label=label, color=color, alpha=alpha, capsize=2)

    if kind == "sobol":
        bars("S1", -0.2, "S1 (first order)", "C0")
        bars("ST", 0.2, "ST (total)", "C1")
        share = s["noise_share"].iloc[0]
        removed = f"replication noise ({labels.share(share)}) removed; " if np.isfinite(share) else ""
        ax.set_xlabel(f"Sobol index: share of the output's variance\n({removed}bars: 95% interval)")
        ax.set_xlim(0, 1)
    else:
        bars("mu_star", -0.2, "mu* (mean |effect|)", "C0")
        v = s["sigma"].to_numpy(dtype=float)
        ax.barh(y + 0.2, v, 0.4, label="sigma (interactions, non-linearity)", color="C1", alpha=alpha)
        ax.set_xlabel(
            "Morris elementary effect: change over each parameter's full range\n"
            f"({labels.unit(m)}; bars: 95% interval)"
        )
        _thousands(ax.xaxis)
        floor = s["noise_floor"].iloc[0]
        if np.isfinite(floor):
            ax.axvline(floor, color="k", ls="--", lw=1, label="mu* from noise alone")
    ax.set_yticks(y, s["parameter"])
    if ranked:  # a line where one tier ends: every parameter above it is above every one below
        tier = s["tier"].to_numpy()
        for i in np.flatnonzero(tier[1:] != tier[:-1]):
            ax.axhline(i + 0.5, color="k", lw=0.8, ls=":")
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=8)
    at = f"{m} at week {week}" if week >= 0 else m
    verdict = s["verdict"].iloc[0]
    if ranked:
        head = f"What decides {who} in {at}\n(ranked; dotted lines part the tiers told apart)"
    else:
        r = s.iloc[0]
        need = (
            f"noise {labels.share(r['noise_share'])} of the variance"
            if verdict == "noise dominates"
            else f"{'N' if kind == 'sobol' else 'trajectories'} = {r['samples_needed']:,.0f} would do"
        )
        head = f"No ranking: {verdict} ({need})\n{who} in {at}"
    ax.set_title(head, fontsize=10)
    caption = f"Sensitivity of the paired difference in {at} ({labels.how(m)}) to each parameter (SALib). "
    save(fig, "sensitivity.png", caption + verdict_text(s, kind))


def _overtake(plt, pr, exp, num, save) -> str | None:
    """Share of replications in which a's cumulative revenue is ahead for good, by week.

    Drawn only when a gets ahead after the first week in at least 3 replications (otherwise
    the curves are flat lines: the figure would only repeat the share that ends ahead); a
    sentence says what there is instead.
    """
    comp = exp["compare"]
    ot = pr["overtake_week"].to_numpy(dtype=float)
    first = 1
    ahead = int(np.isfinite(ot).sum())
    late = int((ot > first).sum())
    words = (
        f"{comp['a']}'s cumulative revenue (group total) ends ahead of {comp['b']}'s in {ahead} of "
        f"{len(ot)} replications: ahead from week {first} on in {ahead - late}, getting ahead later in {late}"
    )
    if late < MIN_REPLICATIONS:
        return f"{words} (too few to draw when it gets ahead)."
    steps = np.arange(1, exp["steps"] + 1)
    fig, ax = plt.subplots(figsize=(6.8, 4.6), layout="constrained")
    split = num[0] if num and pr[num[0]].nunique() <= MAX_LINES else None
    parts = list(pr.groupby(split, sort=True)) if split else [(None, pr)]
    for i, (level, g) in enumerate(parts):
        w = g["overtake_week"].to_numpy(dtype=float)
        share = (w[None, :] <= steps[:, None]).mean(axis=1)  # nan (never) counts as not ahead
        name = f"{split} = {labels.number(level)}" if split else "every design point"
        ax.step(steps, share, where="post", color=f"C{i}", label=f"{name} ({len(w)} replications)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("week")
    ax.set_ylabel("share of replications (0-1)")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    ax.set_title(f"{comp['a']} ahead of {comp['b']} in cumulative revenue for good", fontsize=10)
    save(
        fig,
        "overtake.png",
        f"Share of replications in which {comp['a']}'s cumulative revenue (group total) is ahead of "
        f"{comp['b']}'s from that week to the end ({words}).",
    )
    return None


# ---------------------------------------------------------------------------------------------
# Report


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(path.stem)}">'


def question(text: str) -> str:
    """The experiment file's leading comment, without its "Question:" label."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    q = " ".join(x for x in lines if x)
    return q[len("Question:") :].strip() if q.lower().startswith("question:") else q


def _short(keys: list[str]) -> dict[str, str]:
    """Parameter keys by their last part (``word_of_mouth``) where that is unambiguous."""
    last = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: (s if last.count(s) == 1 else k) for k, s in zip(keys, last, strict=True)}


def _points_table(st: pd.DataFrame, keys: list[str], a: str) -> str:
    cols = {
        "point": "point",
        **{k: v for k, v in _short(keys).items() if k in st},
        "mean": "mean difference",
        "low": "95% low",
        "high": "95% high",
        "replications": "replications",
        "share_ahead": f"share of replications {a} ahead",
    }
    show = (
        st[[c for c in cols if c in st]].rename(columns=cols).sort_values("mean difference", ascending=False)
    )
    note = ""
    if len(show) > 40:
        note = "<p>The 20 best and 20 worst points (all in points.csv).</p>"
        show = pd.concat([show.head(20), show.tail(20)])
    fmt = {c: labels.number for c in show.columns if c not in ("point", "replications")}
    fmt[f"share of replications {a} ahead"] = labels.share
    table = show.to_html(index=False, formatters=fmt, na_rep="n/a")
    return f"{note}<div class='scroll'>{table}</div>"


def _sensitivity_table(sens: pd.DataFrame, target: str) -> str:
    s = sens[sens["measure"] == target]
    if not len(s):
        s = sens[sens["measure"] == sens["measure"].iloc[0]]
    cols = [
        c
        for c in (
            "rank",
            "parameter",
            "S1",
            "S1_low",
            "S1_high",
            "ST",
            "ST_low",
            "ST_high",
            "mu_star",
            "mu_star_low",
            "mu_star_high",
            "sigma",
            "noise_floor",
        )
        if c in s
    ]
    key = "ST" if "ST" in s else "mu_star"
    show = s.sort_values(key, ascending=False) if s["verdict"].iloc[0] == "ranked" else s
    fmt = {c: (lambda v: labels.number(v, 2)) for c in cols if c not in ("parameter", "rank")}
    fmt["rank"] = lambda v: "-" if not np.isfinite(v) else f"{v:.0f}"
    return show[cols].to_html(index=False, formatters=fmt, na_rep="n/a")


def write_report(
    folder: Path,
    manifest: dict[str, Any],
    stats_df: pd.DataFrame,
    wins: pd.DataFrame,
    sens: pd.DataFrame,
    figs: list[tuple[str, Path | None]],
    failures: int,
) -> Path:
    """A self-contained report.html (figures embedded) for a sweep folder."""
    exp = manifest["experiment"]
    comp = exp["compare"]
    target, tw = exp["design"]["target"], exp["design"]["target_week"]
    week = tw if target != "momentum_week" else -1
    keys = [p["key"] for p in exp["parameters"]]
    text = (
        (folder / "experiment.toml").read_text(encoding="utf-8")
        if (folder / "experiment.toml").exists()
        else ""
    )
    q = question(text)
    st = stats_df[(stats_df["measure"] == target) & (stats_df["week"] == week)] if len(stats_df) else stats_df
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>commsim sweep: {esc(exp['name'])}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
        "color:#222}table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#f3f3f3}"
        "img{max-width:100%;margin:0.5em 0}"
        "pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:0.85em}figure{margin:1.5em 0}"
        "figcaption{font-size:0.9em;color:#444}.note{background:#eef5ff;padding:0.6em 1em}"
        ".warn{background:#fff4e5;padding:0.6em 1em;border-left:4px solid #e69500}"
        "ul.wins li{margin:0.3em 0}.scroll{overflow-x:auto}</style>",
        "</head><body>",
        f"<h1>Sweep: {esc(exp['name'])}</h1>",
        f"<p><b>Question:</b> {esc(q)}</p>" if q else "",
        f"<p class='note'><b>Paired comparison:</b> {esc(comp['paired'])}. {esc(manifest['seed_rule'])}.</p>",
        f"<p>{manifest['points']} design point(s) ({esc(exp['design']['kind'])} design over "
        f"{len(exp['parameters'])} parameter(s)) x {exp['replications']} replication(s) x "
        f"{len(manifest['arms'])} arm(s) = {manifest['runs']} runs of {exp['steps']} weeks; "
        f"{manifest.get('runs_done', '?')} finished, {failures} failed"
        f"{' (see failures.csv)' if failures else ''}. Status: {esc(str(manifest.get('status')))}. "
        f"Headline measure: <b>{esc(target)}</b>{f' at week {tw}' if week >= 0 else ''} "
        f"({esc(labels.how(target))}).</p>",
        f"<p class='note'><b>Intervals:</b> {esc(METHOD)}; {esc(NO_INTERVAL)}.</p>",
    ]
    lines = where_lines(wins, exp) if len(wins) else []
    if lines:
        parts.append("<h2>Where each side wins</h2>")
        for line in lines:
            if line.startswith("  "):
                parts.append(f"<li>{esc(line.strip())}</li>")
            else:
                parts += ["</ul>"] if parts[-1].startswith("<li>") else []
                head = line.removeprefix("Where each side wins").lstrip(": ")
                parts += [f"<p>{esc(head[:1].upper() + head[1:])}</p>", "<ul class='wins'>"]
        parts.append("</ul>")
    if len(sens):
        s = sens[sens["measure"] == target] if (sens["measure"] == target).any() else sens
        verdict = verdict_text(s[s["measure"] == s["measure"].iloc[0]], exp["design"]["kind"])
        cls = "note" if s["verdict"].iloc[0] == "ranked" else "warn"
        parts.append("<h2>What decides it (sensitivity, SALib)</h2>")
        parts.append(f"<p class='{cls}'>{esc(verdict[:1].upper() + verdict[1:])}</p>")
        parts.append(_sensitivity_table(sens, target))
        parts.append(
            "<p>Every measure, with the noise share and the sizes that would do: sensitivity.csv.</p>"
        )
    parts.append("<h2>Figures</h2>")
    for caption, path in figs:
        if path is None:
            parts.append(f"<p>{esc(caption)}</p>")
        else:
            parts.append(f"<figure>{_img(path)}<figcaption>{esc(caption)}</figcaption></figure>")
    if len(st):
        first = st[st["arm"] == st["arm"].iloc[0]]
        at = f" at week {tw}" if week >= 0 else ""
        parts.append(
            f"<h2>Per design point: {esc(target)}{at}, {esc(comp['a'])} - {esc(comp['b'])} "
            f"({esc(labels.how(target))})</h2>"
        )
        parts.append(_points_table(first, keys, comp["a"]))
    parts += [
        "<h2>Reproduce</h2>",
        f"<pre>commsim sweep {esc(manifest.get('experiment_file', 'EXPERIMENT.toml'))} --out NEW_DIR\n"
        f"commsim report {esc(str(folder))}</pre>",
        f"<p>Package {esc(str(manifest.get('package_version')))}, Mesa "
        f"{esc(str(manifest.get('mesa_version')))}, experiment SHA-256 "
        f"<code>{esc(manifest['experiment_sha256'])}</code>, started "
        f"{esc(str(manifest.get('started')))}, finished {esc(str(manifest.get('finished')))}.</p>",
        "<h2>Experiment file</h2>",
        f"<pre>{esc(text)}</pre>",
        "</body></html>",
    ]
    path = folder / "report.html"
    storage.write_text(path, "\n".join(parts))
    return path


__all__ = ["figures", "question", "write_report"]
