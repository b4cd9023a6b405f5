"""Where each side wins: the region of the varied parameters in which a strategy is ahead.

For each arm comparison, each design point is given to the side whose mean paired difference
(over replications) in the headline measure is above zero. The points a side holds are then
described by the simplest rule on the varied parameters that fits them: one threshold
(``word_of_mouth >= 0.17``) or two joined by "and", chosen for the share of points it classifies
correctly; a rule that fits fewer than :data:`FITS` of the points is not offered. Beside the
region: the share of replications at those points in which the side is ahead (with its 95%
interval from :mod:`sim.outputs.intervals`) and at how many points the mean difference's own
95% interval excludes zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.experiments import labels
from sim.experiments.paired import replication_matrix
from sim.outputs.intervals import MIN_REPLICATIONS, mean_interval

FITS = 0.75
"""Fewest share of points a region's rule must classify correctly to be named."""
MAX_CANDIDATES = 12
"""Thresholds tried per parameter: its tested values when this few, else its deciles."""
PAIR_GAIN = 0.1
"""How much better a two-parameter rule must fit than the best one-parameter rule."""


def _rules(x: pd.DataFrame) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Candidate one-parameter rules: (parameter, text) and a rules x points truth matrix."""
    names, rows = [], []
    for f in x.columns:
        v = x[f]
        if pd.api.types.is_numeric_dtype(v):
            values = np.unique(v.to_numpy(dtype=float))
            if len(values) > MAX_CANDIDATES:
                values = np.unique(np.quantile(v, np.linspace(0.1, 0.9, 9)))
            for t in values[1:]:
                names.append((f, f"{f} >= {labels.number(t)}"))
                rows.append(v.to_numpy(dtype=float) >= t)
            for t in values[:-1]:
                names.append((f, f"{f} <= {labels.number(t)}"))
                rows.append(v.to_numpy(dtype=float) <= t)
        else:
            for t in pd.unique(v):
                names.append((f, f"{f} = {t}"))
                rows.append((v == t).to_numpy())
    return names, np.array(rows, dtype=bool).reshape(len(rows), len(x))


def describe_region(x: pd.DataFrame, mask: np.ndarray) -> tuple[str, float]:
    """The simplest rule on the parameters ``x`` (points x parameters) that picks the ``mask`` points.

    Returns the rule as text and the share of all points it classifies correctly: "everywhere
    tested" (1.0) when every point is in the mask; "" when none is or no rule fits
    :data:`FITS` of the points.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.all():
        return "everywhere tested", 1.0
    if not mask.any() or x.shape[1] == 0:
        return "", float("nan")
    names, r = _rules(x)
    if not len(names):
        return "", float("nan")
    n = len(mask)
    fits = (r == mask).mean(axis=1)
    recall = (r & mask).sum(axis=1)
    best = int(np.lexsort((-recall, -fits))[0])  # best fit, then the rule covering most of the side
    text, fit = names[best][1], float(fits[best])
    if fit < 1 and x.shape[1] > 1:
        rf = r.astype(np.float32)
        both_in = (rf * mask) @ rf.T  # points where both rules hold and the side is ahead
        both_out = (rf * ~mask) @ rf.T
        pair_fit = (both_in + (n - mask.sum()) - both_out) / n
        same = np.array([p for p, _ in names])
        pair_fit[same[:, None] == same[None, :]] = -1
        i, j = np.unravel_index(int(np.argmax(pair_fit)), pair_fit.shape)
        if pair_fit[i, j] >= min(1.0, fit + PAIR_GAIN) - 1e-12 and pair_fit[i, j] > fit:
            text, fit = f"{names[i][1]} and {names[j][1]}", float(pair_fit[i, j])
    if fit < FITS:
        return "", fit
    return text, fit


def where_wins(paired: pd.DataFrame, stats_df: pd.DataFrame, exp: dict[str, Any]) -> pd.DataFrame:
    """One row per arm comparison and side: the points it holds, their region, its share ahead.

    Columns: ``arm``, ``measure``, ``week``, ``side``, ``points`` (where the side's mean
    difference is ahead), ``of_points``, ``region`` and ``rule_fits`` (see
    :func:`describe_region`), ``share_replications`` with ``share_low``/``share_high`` (share of
    the replications at those points in which the side is ahead, 95% interval), ``clear_points``
    (of those points, where the mean difference's 95% interval excludes 0; nan when points have
    fewer than 3 replications).
    """
    comp, design = exp["compare"], exp["design"]
    target, tw = design["target"], design["target_week"]
    tcol = f"{target}.w{tw}" if target != "momentum_week" else target
    week = tw if target != "momentum_week" else -1
    keys = [p["key"] for p in exp["parameters"]]
    if tcol not in paired.columns:
        return pd.DataFrame()
    rows = []
    for arm, grp in paired.groupby("arm", sort=False):
        index, arr = replication_matrix(grp, [tcol])
        vals = arr[0]
        count = np.isfinite(vals).sum(axis=1)
        mean = np.where(count > 0, np.nansum(vals, axis=1) / np.maximum(count, 1), np.nan)
        x = grp.drop_duplicates("point").set_index("point").loc[index["point"], keys].reset_index(drop=True)
        x = x.loc[:, [k for k in keys if x[k].nunique() > 1]]
        st = stats_df[(stats_df["arm"] == arm) & (stats_df["measure"] == target) & (stats_df["week"] == week)]
        st = st.set_index("point").reindex(index["point"])
        enough = count >= MIN_REPLICATIONS
        for sign, side in ((1, comp["a"]), (-1, comp["b"])):
            mask = sign * mean > 0
            region, fit = describe_region(x, mask)
            held = vals[mask]
            ahead = np.where(np.isfinite(held), (sign * held > 0).astype(float), np.nan).ravel()
            share, lo, hi = mean_interval(ahead[np.isfinite(ahead)]) if mask.any() else (np.nan,) * 3
            bound = st["low"].to_numpy() if sign > 0 else -st["high"].to_numpy()
            clear = float(np.sum(mask & (bound > 0))) if enough[mask].all() and mask.any() else np.nan
            rows.append(
                {
                    "arm": arm,
                    "measure": target,
                    "week": week,
                    "side": side,
                    "points": int(mask.sum()),
                    "of_points": len(mask),
                    "region": region,
                    "rule_fits": fit,
                    "share_replications": share,
                    "share_low": lo,
                    "share_high": hi,
                    "clear_points": clear,
                }
            )
    return pd.DataFrame(rows)


def _side_line(r: pd.Series) -> str:
    n, of = int(r["points"]), int(r["of_points"])
    if n == 0:
        return f"{r['side']} ahead at none of the {of} points."
    region = r["region"] if isinstance(r["region"], str) and r["region"] else ""
    if region and region != "everywhere tested" and r["rule_fits"] < 1:
        region = f"mostly where {region}: the rule fits {labels.share(r['rule_fits'])} of the points"
    elif not region and n < of:
        region = "no simple region: no one- or two-parameter threshold fits 75% of the points"
    where = f" ({region})" if region else ""
    interval = (
        f" (95% interval {labels.share(r['share_low'])} to {labels.share(r['share_high'])})"
        if np.isfinite(r["share_low"])
        else ""
    )
    clear = r["clear_points"]
    clear_words = (
        f"; the mean difference's 95% interval excludes 0 at {int(clear)} of them"
        if np.isfinite(clear)
        else f"; no per-point interval with fewer than {MIN_REPLICATIONS} replications"
    )
    return (
        f"{r['side']} ahead at {n} of {of} points{where}: ahead in {labels.share(r['share_replications'])} "
        f"of the replications there{interval}{clear_words}."
    )


def where_lines(wins: pd.DataFrame, exp: dict[str, Any]) -> list[str]:
    """The printed "where each side wins" summary, a heading and one line per side."""
    if not len(wins):
        return []
    comp = exp["compare"]
    out = []
    for arm, grp in wins.groupby("arm", sort=False):
        m, week = grp["measure"].iloc[0], int(grp["week"].iloc[0])
        at = f"{m} at week {week}" if week >= 0 else m
        within = f" in arm {arm!r}" if comp["mode"] != "arms" else ""
        out.append(
            f"Where each side wins{within}: paired difference {comp['a']} - {comp['b']} in {at} "
            f"({labels.how(m)}), mean over replications at each design point:"
        )
        out += [f"  {_side_line(r)}" for _, r in grp.iterrows()]
    return out


__all__ = ["FITS", "describe_region", "where_lines", "where_wins"]
