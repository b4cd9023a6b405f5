"""The strategy comparison printed by ``commsim run`` and shown in its report.

Per arm and strategy, at weeks 13, 26, 52, 78 and the last: the mean over replications and a 95%
interval (Student t) of revenue, active customers, retention, promoter score, lifetime value and
survival; plus the week from which a strategy's mean cumulative revenue stays ahead of another's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

COMPARED = {
    "revenue": ("revenue", "currency/week", "{:,.0f}"),
    "customers_active": ("active customers", "customers", "{:,.0f}"),
    "retention_rate": ("retention", "per week", "{:.3f}"),
    "promoter_score": ("promoter score", "points", "{:+.1f}"),
    "clv_estimate": ("lifetime value", "currency", "{:,.0f}"),
    "survival": ("survival", "share open", "{:.2f}"),
}
REPORT_WEEKS = (13, 26, 52, 78)


def mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t-interval of replications (the interval is the mean itself for one value)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if len(v) < 2:
        return m, m, m
    half = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return m, m - half, m + half


def comparison_table(strategy_ts: pd.DataFrame) -> pd.DataFrame:
    """Long table: arm, strategy, week, measure, mean, low, high."""
    last = int(strategy_ts["step"].max())
    weeks = [w for w in REPORT_WEEKS if w < last] + [last]
    rows = []
    at = strategy_ts[strategy_ts["step"].isin(weeks)]
    for (arm, strategy, week), g in at.groupby(["arm", "strategy", "step"], sort=False):
        for col in COMPARED:
            m, lo, hi = mean_interval(g[col].to_numpy())
            rows.append(
                {
                    "arm": arm,
                    "strategy": strategy,
                    "week": int(week),
                    "measure": col,
                    "mean": m,
                    "low": lo,
                    "high": hi,
                    "replications": len(g),
                }
            )
    return pd.DataFrame(rows)


def overtake_weeks(strategy_ts: pd.DataFrame) -> pd.DataFrame:
    """For each arm and ordered pair of strategies, the week from which A stays ahead of B.

    "Ahead" compares mean cumulative revenue since week 1 (weekly revenue crosses back and forth
    with noise; the cumulative sum settles), as the sweeps' ``overtake_week`` does. ``week`` is
    the first week of the final stretch in which A is ahead up to the last week, or -1 when A is
    not ahead at the end; ``ahead_from_start`` marks the strategy ahead in every week.
    """
    rows = []
    for arm, g in strategy_ts.groupby("arm", sort=False):
        rev = g.groupby(["step", "strategy"])["revenue"].mean().unstack("strategy").sort_index()
        cum = rev.fillna(0.0).cumsum()
        for a in cum.columns:
            for b in cum.columns:
                if a == b:
                    continue
                ahead = (cum[a] > cum[b]).to_numpy()
                week = -1
                if len(ahead) and ahead[-1] and not ahead.all():
                    week = int(cum.index[np.flatnonzero(~ahead)[-1] + 1])
                rows.append(
                    {
                        "arm": arm,
                        "strategy": a,
                        "over": b,
                        "week": week,
                        "ahead_from_start": bool(len(ahead) and ahead.all()),
                    }
                )
    return pd.DataFrame(rows)


def format_comparison(strategy_ts: pd.DataFrame) -> str:
    """The comparison as plain text for the terminal."""
    table = comparison_table(strategy_ts)
    out = []
    reps = int(table["replications"].max()) if len(table) else 0
    for arm, ga in table.groupby("arm", sort=False):
        title = f"Arm {arm!r}: " if table["arm"].nunique() > 1 else ""
        out.append(f"{title}mean [95% interval] over {reps} replication(s)")
        weeks = sorted(ga["week"].unique())
        header = f"{'measure':<17}{'strategy':<15}" + "".join(f"{'week ' + str(w):>26}" for w in weeks)
        out.append(header)
        for col, (label, _unit, fmt) in COMPARED.items():
            for strategy, gs in ga[ga["measure"] == col].groupby("strategy", sort=False):
                cells = []
                for w in weeks:
                    r = gs[gs["week"] == w]
                    if r.empty or not np.isfinite(r["mean"].iloc[0]):
                        cells.append(f"{'-':>26}")
                        continue
                    r = r.iloc[0]
                    cells.append(
                        f"{fmt.format(r['mean'])} [{fmt.format(r['low'])}, {fmt.format(r['high'])}]".rjust(26)
                    )
                out.append(f"{label:<17}{strategy:<15}" + "".join(cells))
        ov = overtake_weeks(strategy_ts[strategy_ts["arm"] == arm])
        for _, r in ov.iterrows():
            if r["week"] > 0:
                out.append(
                    f"cumulative revenue: {r['strategy']} overtakes {r['over']} in week {r['week']} "
                    "and stays ahead"
                )
            elif r["ahead_from_start"]:
                out.append(
                    f"cumulative revenue: {r['strategy']} is ahead of {r['over']} from week 1 and never "
                    "falls behind"
                )
        out.append("")
    return "\n".join(out)
