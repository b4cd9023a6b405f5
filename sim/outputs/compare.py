"""The strategy comparison printed by ``commsim run``, written to ``comparison.csv`` and shown in its report.

Per arm and strategy group, at weeks 13, 26, 52, 78 and the last: the mean over replications of each
measure of :data:`sim.outputs.measure_units.MEASURES` (with its unit and aggregation) and its
interval (:mod:`sim.outputs.intervals`, none below 3 replications). Per pair of strategies, the
verdicts: the paired difference (same replication = same seeds) of whole-run revenue and profit
per business, with its interval and the number of replications in which each is ahead; and,
when that interval is clear of zero, the week from which the paired interval of cumulative
revenue stays above zero to the end. A group is compared only from the week it opens.
"""

from __future__ import annotations

import textwrap
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from sim.outputs import intervals
from sim.outputs.measure_units import (
    AGGREGATIONS,
    MEASURES,
    SHORT_AGGREGATIONS,
    businesses_open,
    group_values,
)
from sim.outputs.storage import write_csv

REPORT_WEEKS = (13, 26, 52, 78)
"""Weeks shown besides the last."""
COLUMNS = (
    "arm strategy week measure unit aggregation mean low high replications businesses businesses_open"
).split()
"""Columns of :func:`comparison_table` (and ``comparison.csv``)."""
VERDICT_MEASURES = {"revenue": "whole-run revenue", "profit": "whole-run profit"}
"""Per-business money summed over the compared weeks, for the verdicts."""
DIFFERENCE = "paired difference per business, summed from the week both groups are open"
"""The aggregation of the verdicts' rows in ``comparison.csv``."""


def in_order(df: pd.DataFrame, column: str) -> list:
    """The distinct values of ``column`` in the order they first appear."""
    return list(dict.fromkeys(df[column]))


def bands(strategy_ts: pd.DataFrame, measures=None) -> pd.DataFrame:
    """Mean and interval over replications of each measure, per arm, strategy and week.

    One long table (the figures' data; :func:`comparison_table` is its rows at the reported
    weeks): arm, strategy, week, measure, mean, low, high, replications (finite values),
    businesses (opened, mean over replications) and businesses_open (mean over replications,
    given where the measure averages open businesses).
    """
    names = [m for m in (measures or MEASURES) if m in MEASURES]
    keys = ["arm", "strategy", "step"]
    # rows = (arm, strategy, week) in the order they appear; columns = replications
    row, index = pd.MultiIndex.from_frame(strategy_ts[keys]).factorize()
    rep, _ = pd.factorize(strategy_ts["replication"])
    shape = (len(index), rep.max() + 1 if len(rep) else 0)

    def wide(values) -> np.ndarray:
        out = np.full(shape, np.nan)
        out[row, rep] = np.asarray(values, dtype=float)
        return out

    businesses = np.nanmean(wide(strategy_ts["businesses"]), axis=1)
    open_now = np.nanmean(wide(businesses_open(strategy_ts)), axis=1)
    frame = pd.DataFrame(
        {
            "arm": index.get_level_values(0),
            "strategy": index.get_level_values(1),
            "week": index.get_level_values(2).astype(int),
        }
    )
    parts = []
    for name in names:
        v = wide(group_values(strategy_ts, name))
        mean, low, high = intervals.mean_intervals(v)
        parts.append(
            frame.assign(
                measure=name,
                mean=mean,
                low=low,
                high=high,
                replications=np.isfinite(v).sum(axis=1),
                businesses=businesses,
                businesses_open=open_now if MEASURES[name].aggregation == "open_mean" else np.nan,
            )
        )
    out = pd.concat(parts, ignore_index=True)
    arms = {a: i for i, a in enumerate(in_order(strategy_ts, "arm"))}
    order = np.lexsort((out["week"].to_numpy(), out["arm"].map(arms).to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def report_weeks(strategy_ts: pd.DataFrame) -> list[int]:
    """The weeks a comparison shows: those of :data:`REPORT_WEEKS` before the last, and the last."""
    last = int(strategy_ts["step"].max())
    return [w for w in REPORT_WEEKS if w < last] + [last]


def comparison_table(strategy_ts: pd.DataFrame, band_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """What the comparison prints (the rows of ``comparison.csv``), columns :data:`COLUMNS`.

    ``band_table`` (from :func:`bands`) saves computing the intervals twice; the rows are its
    rows at the reported weeks, so the figures and the table hold the same numbers.
    """
    table_measures = [n for n, m in MEASURES.items() if m.table]
    b = bands(strategy_ts, table_measures) if band_table is None else band_table
    t = b[b["week"].isin(report_weeks(strategy_ts)) & b["measure"].isin(table_measures)].copy()
    t["unit"] = t["measure"].map(lambda n: MEASURES[n].unit)
    t["aggregation"] = t["measure"].map(lambda n: AGGREGATIONS[MEASURES[n].aggregation])
    order = {n: i for i, n in enumerate(table_measures)}
    t = t.sort_values(["measure"], key=lambda c: c.map(order), kind="stable")
    return t[COLUMNS].reset_index(drop=True)


def _weekly_per_business(g: pd.DataFrame, column: str) -> pd.DataFrame:
    """Week x replication table of a group's per-business weekly ``column`` (nan: not open yet)."""
    v = g.assign(_v=g[column] / g["businesses"])
    return v.pivot_table(index="step", columns="replication", values="_v", aggfunc="first").sort_index()


def paired_cumulative(g_a: pd.DataFrame, g_b: pd.DataFrame, column: str) -> tuple[pd.DataFrame, int]:
    """Per week from when both groups are open: the paired difference A - B of cumulative ``column``.

    Per business (the group's total over its opened businesses), summed from the first week both
    groups have opened; paired by replication (common random numbers). Returns a table indexed by
    week with mean, low, high (:func:`intervals.mean_intervals`), ahead (replications with A - B >
    0), behind (< 0), replications; and the first compared week.
    """
    a = _weekly_per_business(g_a, column)
    b = _weekly_per_business(g_b, column)
    start = int(max(a.index.min(), b.index.min()))
    weeks = np.arange(start, int(max(a.index.max(), b.index.max())) + 1)
    reps = sorted(set(a.columns) & set(b.columns))
    ca = a.reindex(index=weeks, columns=reps).fillna(0.0).cumsum()
    cb = b.reindex(index=weeks, columns=reps).fillna(0.0).cumsum()
    diff = (ca - cb).to_numpy()
    mean, low, high = intervals.mean_intervals(diff)
    out = pd.DataFrame(
        {
            "mean": mean,
            "low": low,
            "high": high,
            "ahead": (diff > 0).sum(axis=1),
            "behind": (diff < 0).sum(axis=1),
            "replications": len(reps),
        },
        index=pd.Index(weeks, name="week"),
    )
    return out, start


def ahead_from_week(low: np.ndarray, weeks: np.ndarray) -> int:
    """The first week from which ``low`` (a paired interval's lower bound) stays above zero to the end.

    -1 when it is not above zero in the last week (or there is no interval).
    """
    above = np.asarray(low, dtype=float) > 0  # nan (no interval) is not above
    if len(above) == 0 or not above[-1]:
        return -1
    below = np.flatnonzero(~above)
    return int(weeks[below[-1] + 1]) if len(below) else int(weeks[0])


def verdicts(strategy_ts: pd.DataFrame) -> pd.DataFrame:
    """Per arm and pair of strategies (in the order they appear), the whole-run verdicts.

    Columns: arm, a, b, measure (revenue or profit), first_week, last_week, mean, low, high
    (paired difference A - B of the per-business sum over the compared weeks), ahead (replications
    with A ahead), behind (with B ahead), replications, clear (the interval excludes 0), and
    ahead_from: for revenue, the week from which the paired interval of cumulative revenue stays
    above zero (positive: A ahead) or below zero (B ahead, given as the week) to the end; -1 when
    neither.
    """
    rows = []
    for arm in in_order(strategy_ts, "arm"):
        ga = strategy_ts[strategy_ts["arm"] == arm]
        groups = {s: g for s, g in ga.groupby("strategy", sort=False)}
        for a, b in combinations(list(groups), 2):
            for column in VERDICT_MEASURES:
                cum, start = paired_cumulative(groups[a], groups[b], column)
                end = cum.iloc[-1]
                weeks = cum.index.to_numpy()
                ahead_a = ahead_from_week(cum["low"].to_numpy(), weeks)
                ahead_b = ahead_from_week(-cum["high"].to_numpy(), weeks)
                rows.append(
                    {
                        "arm": arm,
                        "a": a,
                        "b": b,
                        "measure": column,
                        "first_week": start,
                        "last_week": int(weeks[-1]),
                        "mean": end["mean"],
                        "low": end["low"],
                        "high": end["high"],
                        "ahead": int(end["ahead"]),
                        "behind": int(end["behind"]),
                        "replications": int(end["replications"]),
                        "clear": bool(end["low"] > 0 or end["high"] < 0),
                        "leader_from": ahead_a if ahead_a > 0 else ahead_b,
                        "leader": a if ahead_a > 0 else (b if ahead_b > 0 else ""),
                    }
                )
    return pd.DataFrame(rows)


def money(values: list[float], signed: bool = False) -> list[str]:
    """Money on one scale (M, k or units) chosen from the largest, e.g. ["+0.10 M", "-0.56 M"]."""
    finite = [abs(v) for v in values if np.isfinite(v)]
    top = max(finite, default=0.0)
    scale, suffix, digits = (1e6, " M", 2) if top >= 1e6 else (1e3, " k", 1) if top >= 1e4 else (1.0, "", 0)
    sign = "+" if signed else ""
    return [f"{v / scale:{sign},.{digits}f}{suffix}" for v in values]


def verdict_lines(strategy_ts: pd.DataFrame, table: pd.DataFrame | None = None) -> list[str]:
    """The verdicts in words, one line per pair and measure (and per arm when there are several)."""
    v = verdicts(strategy_ts) if table is None else table
    several = v["arm"].nunique() > 1 if len(v) else False
    lines = []
    for _, r in v.iterrows():
        a, b, n = r["a"], r["b"], r["replications"]
        if r["mean"] >= 0:
            lead, other, k, k_other, d = a, b, r["ahead"], r["behind"], [r["mean"], r["low"], r["high"]]
        else:  # say it the way round that makes the difference positive
            lead, other, k, k_other, d = b, a, r["behind"], r["ahead"], [-r["mean"], -r["high"], -r["low"]]
        mean, low, high = money(d, signed=True)
        weeks = f"weeks {r['first_week']}-{r['last_week']}"
        head = f"arm {r['arm']}: " if several else ""
        if np.isfinite(r["low"]):
            spread = f"95% interval {low} to {high}"
            word = "clear" if r["clear"] else "not clear (the interval includes 0)"
        else:
            spread, word = intervals.NO_INTERVAL, "no verdict"
        lines.append(
            f"{head}{lead} ahead on {VERDICT_MEASURES[r['measure']]} per business ({weeks}) in {k} of {n} "
            f"replications ({other} in {k_other}); paired difference {lead} - {other} {mean} "
            f"({spread}): {word}"
        )
        if r["measure"] == "revenue" and r["leader"]:
            behind = b if r["leader"] == a else a
            lines.append(
                f"{head}{r['leader']} ahead of {behind} on cumulative revenue per business from week "
                f"{r['leader_from']} to the end (paired 95% interval clear of 0 in every week since)"
            )
    return lines


def verdict_rows(v: pd.DataFrame) -> pd.DataFrame:
    """The verdicts as rows of ``comparison.csv``: strategy "A - B", measure whole_run_<m>_difference.

    mean, low, high: the paired difference A - B and its interval (currency per business);
    replications_ahead: replications in which A is ahead; ahead_from_week: the week from which
    the paired interval of the cumulative difference is clear of 0 to the end (the sign of mean
    says who leads), -1 when it never is.
    """
    if v.empty:
        return pd.DataFrame(columns=[*COLUMNS, "replications_ahead", "ahead_from_week"])
    return pd.DataFrame(
        {
            "arm": v["arm"],
            "strategy": v["a"] + " - " + v["b"],
            "week": v["last_week"],
            "measure": "whole_run_" + v["measure"] + "_difference",
            "unit": "currency",
            "aggregation": DIFFERENCE + " (week " + v["first_week"].astype(str) + ")",
            "mean": v["mean"],
            "low": v["low"],
            "high": v["high"],
            "replications": v["replications"],
            "businesses": np.nan,
            "businesses_open": np.nan,
            "replications_ahead": v["ahead"],
            "ahead_from_week": v["leader_from"],
        }
    )


def for_csv(table: pd.DataFrame) -> pd.DataFrame:
    """A table of means and intervals as CSV files hold it: money to cents, other figures to 6 decimals."""
    out = table.copy()
    money_rows = out["measure"].map(lambda n: n not in MEASURES or MEASURES[n].unit.startswith("currency"))
    for c in ("mean", "low", "high"):
        out[c] = np.where(money_rows, out[c].astype(float).round(2), out[c].astype(float).round(6))
    for c in ("businesses", "businesses_open"):
        if c in out:
            out[c] = out[c].astype(float).round(2)
    for c in ("replications_ahead", "ahead_from_week"):
        if c in out:
            out[c] = out[c].astype("Int64")
    return out


def comparison_csv(strategy_ts: pd.DataFrame, band_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """``comparison.csv``: the table's rows, then the verdicts' rows (:func:`verdict_rows`)."""
    return for_csv(
        pd.concat(
            [comparison_table(strategy_ts, band_table), verdict_rows(verdicts(strategy_ts))],
            ignore_index=True,
        )
    )


def write_comparison(folder: Path, strategy_ts: pd.DataFrame) -> pd.DataFrame:
    """Write ``comparison.csv`` into ``folder``; returns the bands of every measure (for figures, report)."""
    band_table = bands(strategy_ts)
    write_csv(Path(folder) / "comparison.csv", comparison_csv(strategy_ts, band_table))
    return band_table


def row_label(name: str) -> str:
    """A measure's row name: its label and, shortly, its aggregation."""
    m = MEASURES[name]
    if m.aggregation == "open_mean":
        return f"{m.label}*"
    if m.aggregation == "per_business":
        return f"{m.label} per business"
    if m.aggregation in ("group_total", "group_ratio"):
        return f"{m.label}, {SHORT_AGGREGATIONS[m.aggregation]}"
    return m.label


def _count(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 else f"{x:.1f}"


def cell_text(mean: float, low: float, high: float, fmt: str, k: int = 0, n: int = 0) -> str:
    """One cell: "mean [low, high]", or the mean alone when there is no interval.

    "(k of n)" follows when the mean is over k of the n replications (the others had no open
    business to average).
    """
    if not np.isfinite(mean):
        return "-"
    text = fmt.format(mean)
    if np.isfinite(low):
        text += f" [{fmt.format(low)}, {fmt.format(high)}]"
    return f"{text} ({k} of {n})" if k < n else text


def table_rows(table: pd.DataFrame, arm) -> tuple[list[int], list[tuple[str, str, list[str]]]]:
    """Weeks and rows (label, strategy, cells) of one arm's table, with a "businesses open" row."""
    ga = table[table["arm"] == arm]
    weeks = sorted(ga["week"].unique())
    strategies = in_order(ga, "strategy")
    cell = {(r.measure, r.strategy, r.week): r for r in ga.itertuples(index=False)}
    n = int(ga["replications"].max()) if len(ga) else 0
    rows = []
    for name in in_order(ga, "measure"):
        for s in strategies:
            cells = []
            for w in weeks:
                r = cell.get((name, s, w))
                fmt = MEASURES[name].fmt
                cells.append("-" if r is None else cell_text(r.mean, r.low, r.high, fmt, r.replications, n))
            rows.append((row_label(name), s, cells))
    for s in strategies:
        cells = []
        for w in weeks:
            r = cell.get(("survival", s, w))
            cells.append("-" if r is None else f"{_count(r.mean * r.businesses)} of {_count(r.businesses)}")
        rows.append(("businesses open", s, cells))
    return weeks, rows


def legend_lines(table: pd.DataFrame) -> list[str]:
    """Each shown measure's unit and aggregation in full."""
    lines = []
    for name in in_order(table, "measure"):
        m = MEASURES[name]
        lines.append(f"  {m.label}: {m.unit}; {AGGREGATIONS[m.aggregation]}")
    if any(MEASURES[n].aggregation == "open_mean" for n in table["measure"].unique()):
        lines.append(
            "  * averages open businesses only: it jumps when a member closes (see 'businesses open');"
        )
        lines.append(
            "    (k of n): the mean over the k of n replications in which the group had an open business"
        )
    lines.append("  businesses open: mean over replications, of the group's businesses opened so far")
    return lines


def interval_note(reps: int) -> str:
    """How the cells are made, or why they have no interval."""
    if reps < intervals.MIN_REPLICATIONS:
        return (
            f"Each cell: mean over {reps} replication(s); {intervals.NO_INTERVAL} "
            "(run more with --replications)."
        )
    return f"Each cell: mean over {reps} replications [interval]; {intervals.METHOD}."


def format_comparison(strategy_ts: pd.DataFrame) -> str:
    """The comparison as plain text for the terminal."""
    table = comparison_table(strategy_ts)
    reps = int(strategy_ts["replication"].nunique())
    out = [interval_note(reps)]
    several = table["arm"].nunique() > 1
    for arm in in_order(table, "arm"):
        weeks, rows = table_rows(table, arm)
        label_w = max(len("measure"), *(len(r[0]) for r in rows)) + 2
        strat_w = max(len("strategy"), *(len(r[1]) for r in rows)) + 2
        cell_w = max(len(f"week {w}") for w in weeks)
        cell_w = max(cell_w, *(len(c) for r in rows for c in r[2])) + 2
        if several:
            out.append(f"Arm {arm!r}:")
        out.append(
            f"{'measure':<{label_w}}{'strategy':<{strat_w}}"
            + "".join(f"{'week ' + str(w):>{cell_w}}" for w in weeks)
        )
        for label, s, cells in rows:
            out.append(f"{label:<{label_w}}{s:<{strat_w}}" + "".join(f"{c:>{cell_w}}" for c in cells))
    out.append("Units and aggregation:")
    out += legend_lines(table)
    lines = verdict_lines(strategy_ts)
    if lines:
        out.append("Verdicts (paired: each replication gives every strategy the same seeds):")
        out += [textwrap.fill(line, 110, initial_indent="  ", subsequent_indent="      ") for line in lines]
    out.append("")
    return "\n".join(out)


__all__ = [
    "COLUMNS",
    "REPORT_WEEKS",
    "ahead_from_week",
    "bands",
    "comparison_csv",
    "comparison_table",
    "for_csv",
    "in_order",
    "format_comparison",
    "paired_cumulative",
    "verdict_lines",
    "verdicts",
    "write_comparison",
]
