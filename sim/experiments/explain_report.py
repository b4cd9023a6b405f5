"""What ``commsim explain`` shows: the waterfall, the community-work gain, the summary and the folder.

The folder is written like a run's (:mod:`sim.outputs.results_folder`): built in a hidden
``.NAME.part-PID`` folder beside its place, locked, and renamed into place at the end, so it
appears whole or not at all. Every figure and printed number states its unit and aggregation.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.config.scenario import Scenario  # noqa: E402
from sim.experiments.explain import COMMUNITY_WORK, OUTCOMES, QUARTER, Explanation  # noqa: E402
from sim.outputs.intervals import METHOD  # noqa: E402
from sim.outputs.results_folder import building  # noqa: E402
from sim.outputs.storage import (  # noqa: E402
    atomic_write,
    provenance,
    utc_now,
    write_csv,
    write_json,
)

UNITS = {
    "profit": "profit difference ({money},\nwhole run, sum over the group)",
    "revenue": "revenue difference ({money},\nwhole run, sum over the group)",
    "survival": "survival difference (percentage points of the\ngroup's businesses open at the last week)",
}
"""Axis labels; money is shown in thousands when the figures are large."""


def scale_of(outcome: str, values) -> tuple[float, str]:
    """Divisor and unit word for showing an outcome: thousands of currency when large, points."""
    if outcome == "survival":
        return 0.01, "points"
    big = np.nanmax(np.abs(np.asarray(values, dtype=float)), initial=0.0) >= 1e4
    return (1e3, "thousand currency") if big else (1.0, "currency")


DEFINITIONS = {
    "first_results_week": "first week from which the paired cumulative gross-margin gain of the group "
    "has its 95% interval above 0 every week to the end of the run",
    "momentum_week": f"first week that starts {QUARTER} consecutive weeks in which the paired gain of the "
    f"last {QUARTER} weeks exceeds that of the {QUARTER} weeks before (interval above 0); "
    f"{2 * QUARTER} is the earliest possible",
    "payback_week": "first week from which the paired cumulative profit gain (net of the work's cost) "
    "has its interval above 0 every week to the end",
    "sroi": "(group gross margin with the work - without) / cost of the work (owner hours at their "
    "value), whole run, per replication; mean and interval over replications",
    "lever": "Shapley value: the average over orders of switching the levers to the other strategy's "
    "values of the fall in the difference when this lever is switched; per replication",
}
"""What each reported figure means, written to the manifest (ODD section 11 says the same)."""


def _save(fig: plt.Figure, path: Path) -> Path:
    atomic_write(path, lambda p: fig.savefig(p, dpi=110, bbox_inches="tight", format="png"))
    plt.close(fig)
    return path


def waterfall_figure(ex: Explanation, path: Path) -> Path:
    """One panel per outcome: each lever's contribution, the residual, and the total they make."""
    rows = ex.rows[ex.rows["kind"].isin(["lever", "residual", "total"])]
    fig, axes = plt.subplots(1, len(OUTCOMES), figsize=(5.2 * len(OUTCOMES), 5.2))
    for ax, outcome in zip(np.atleast_1d(axes), OUTCOMES, strict=True):
        part = rows[rows["measure"] == outcome]
        scale, word = scale_of(outcome, part[["mean", "low", "high"]].to_numpy())
        labels, start = [], 0.0
        for i, r in enumerate(part.itertuples()):
            mean, low, high = r.mean / scale, r.low / scale, r.high / scale
            if r.kind == "total":
                bottom, top, colour = 0.0, mean, "0.45"
                label = "total (observed)"
            else:
                bottom, top = start, start + mean
                colour = "tab:green" if mean >= 0 else "tab:red"
                label = "residual (identical)" if r.kind == "residual" else r.lever
                start = top
            ax.bar(i, top - bottom, bottom=bottom, color=colour, width=0.7)
            if math.isfinite(low) and math.isfinite(high):
                ax.errorbar(i, top, yerr=[[mean - low], [high - mean]], color="black", capsize=3, lw=1)
            if r.kind != "total":
                ax.plot([i + 0.35, i + 0.65], [top, top], color="0.6", lw=0.8)
            labels.append(label)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(range(len(labels)), labels, fontsize=8, rotation=35, ha="right")
        ax.set_ylabel(UNITS[outcome].format(money=word))
        ax.set_title(f"{outcome}: {ex.subject} - {ex.against}", fontsize=10)
    n = len(ex.seeds)
    fig.suptitle(
        f"Lever by lever: Shapley contributions to the paired difference, the levers of {ex.subject} "
        f"switched to {ex.against}'s values\nbars: mean of {n} paired replications; whiskers: {METHOD}",
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return _save(fig, path)


def gain_figure(ex: Explanation, path: Path) -> Path:
    """The paired cumulative gross-margin gain of community work, week by week, with the timings."""
    w = ex.weekly[ex.weekly["measure"] == "cumulative_margin_gain"]
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    ax.plot(w["week"], w["mean"] / 1e3, color="tab:green", lw=1.6, label="mean")
    ax.fill_between(w["week"], w["low"] / 1e3, w["high"] / 1e3, color="tab:green", alpha=0.25, lw=0)
    timings = (
        (ex.first_results, "first results"),
        (ex.payback, "pays for itself"),
        (ex.momentum, "momentum"),
    )
    for height, (week, label) in zip((0.98, 0.7, 0.42), timings, strict=True):  # staggered: may be close
        if week:
            ax.axvline(week, color="grey", ls="--", lw=0.8)
            ax.annotate(f"{label}: week {week}", (week, height), xycoords=("data", "axes fraction"),
                        fontsize=7, rotation=90, va="top", ha="left", color="grey")  # fmt: skip
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("week")
    ax.set_ylabel(f"thousand currency, cumulative,\nsum over the {ex.subject} group")
    ax.set_title(
        f"Gross margin with community work minus without ({COMMUNITY_WORK} = 0), paired\n"
        f"line: mean of {len(ex.seeds)} replications; band: {METHOD}",
        fontsize=9,
    )
    return _save(fig, path)


# ---------------------------------------------------------------------------------------------
# The printed summary


def _money(v: float) -> str:
    return f"{v:,.0f}" if math.isfinite(v) else "n/a"


def _interval(lo: float, hi: float, fmt=_money) -> str:
    return f"({fmt(lo)} to {fmt(hi)})" if math.isfinite(lo) and math.isfinite(hi) else "(no interval)"


def _week(week: int | None) -> str:
    if not week:
        return "not within the run"
    return f"week {week}" + (" (the earliest the definition allows)" if week == 2 * QUARTER else "")


def format_summary(ex: Explanation, scenario: Scenario) -> str:
    """The short printed summary: units, aggregation and 95% intervals on every figure."""
    rows = ex.rows.set_index(["kind", "lever", "measure"])
    cf = rows.xs("counterfactual", level="kind").droplevel("lever")
    subject_value = scenario.data["strategies"][ex.subject][COMMUNITY_WORK]
    n = len(ex.seeds)
    pop = scenario.data["population"]["customers"]
    out = [
        f"Scenario {scenario.name}: {n} paired replications of {ex.steps} weeks, {pop:,} customers; "
        f"{ex.runs:,} runs in {ex.seconds:,.0f} s",
        f"Community work of the {ex.subject} group ({COMMUNITY_WORK} {subject_value:g} -> 0, same seeds); "
        f"currency, whole run, sum over the group; mean (95% interval):",
    ]
    for measure, label in (
        ("margin_gain", "gross margin gained"),
        ("community_cost", "cost of the work (owner hours)"),
        ("profit_gain", "profit gained, net of the cost"),
    ):
        r = cf.loc[measure]
        out.append(f"  {label:<32}{_money(r['mean']):>12} {_interval(r['low'], r['high'])}")
    r = cf.loc["sroi"]
    two = "{:.2f}".format
    label = "SROI (margin per currency spent)"
    out.append(f"  {label:<32}{two(r['mean']):>12} {_interval(r['low'], r['high'], two)}")
    out.append(
        f"  first results: {_week(ex.first_results)}; pays for itself: {_week(ex.payback)}; "
        f"momentum: {_week(ex.momentum)}"
    )
    out.append(
        f"Lever by lever, {ex.subject} - {ex.against}: Shapley contributions, mean (95% interval) "
        f"of {n} paired replications"
    )
    part = ex.rows[ex.rows["kind"].isin(["lever", "residual", "total"])]
    scales = {
        o: scale_of(o, part.loc[part["measure"] == o, ["mean", "low", "high"]].to_numpy()) for o in OUTCOMES
    }
    out.append((f"  {'lever':<22}" + "".join(f"{f'{o} ({w})':<32}" for o, (_, w) in scales.items())).rstrip())

    def f(v: float) -> str:
        return f"{round(v) + 0:+,}" if math.isfinite(v) else "n/a"  # round: no "-0"

    for (kind, lever), g in part.groupby(["kind", "lever"], sort=False):
        name = {"residual": "residual (identical)", "total": "total (observed)"}.get(kind, lever)
        cells = []
        for outcome in OUTCOMES:
            r = g[g["measure"] == outcome].iloc[0]
            s = scales[outcome][0]
            cells.append(f"{f(r['mean'] / s)} {_interval(r['low'] / s, r['high'] / s, f)}")
        out.append((f"  {name:<22}" + "".join(f"{c:<32}" for c in cells)).rstrip())
    if ex.streams:
        kept = sorted(k for k, w in ex.streams.items() if w < 0)
        moved = [w for w in ex.streams.values() if w > 0]
        if moved:
            out.append(
                f"Common random numbers: {len(kept)} of {len(ex.streams)} random streams stay in step "
                f"all run without community work; the others fall out of step from week {min(moved)} to "
                f"{max(moved)} (replication 0)"
            )
    out += [f"Note: {note}" for note in ex.notes]
    out.append(f"Intervals: {METHOD}; survival in percentage points of the group's businesses.")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# The folder


def long_contributions(ex: Explanation) -> pd.DataFrame:
    """Per replication, outcome and lever: the Shapley value, the residual and the total."""
    frames = []
    for outcome, frame in ex.contributions.items():
        f = frame.assign(replication=range(len(frame)), seed=ex.seeds)
        long = f.melt(id_vars=["replication", "seed"], var_name="lever", value_name="value")
        long.insert(2, "measure", outcome)
        long.insert(4, "unit", OUTCOMES[outcome])
        frames.append(long)
    return pd.concat(frames, ignore_index=True)


def write_explain_folder(
    ex: Explanation, scenario: Scenario, out: Path, started: str, extra: dict[str, Any]
) -> Path:
    """Write the folder atomically: built beside ``out`` in a locked part folder, renamed into place."""
    out = Path(out)
    with building(out) as tmp:
        write_csv(tmp / "explain.csv", ex.rows)
        write_csv(tmp / "explain_weekly.csv", ex.weekly)
        write_csv(tmp / "explain_replications.csv", long_contributions(ex))
        waterfall_figure(ex, tmp / "figures" / "waterfall.png")
        gain_figure(ex, tmp / "figures" / "community_gain.png")
        manifest = {
            "kind": "explain",
            "scenario": scenario.data,
            "scenario_file": scenario.source,
            "overrides": scenario.overrides,
            "scenario_sha256": scenario.sha256,
            "subject": ex.subject,
            "against": ex.against,
            "levers": ex.levers,
            "seeds": ex.seeds,
            "replications": len(ex.seeds),
            "runs": ex.runs,
            "seconds": round(ex.seconds, 1),
            "intervals": METHOD,
            "definitions": DEFINITIONS,
            "stream_divergence_week": ex.streams,
            "notes": ex.notes,
            "started": started,
            "finished": utc_now(),
            **extra,
            **provenance(),
        }
        write_json(tmp / "manifest.json", manifest)
    return out


__all__ = ["format_summary", "gain_figure", "long_contributions", "waterfall_figure", "write_explain_folder"]
