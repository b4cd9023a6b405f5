"""Sensitivity indices that say how much they know (SALib's analyze step, and the noise).

A sweep's output at a design point is a mean over a few replications, each with its own random
numbers, so part of its variance across points is replication noise, not any parameter's doing.
This module estimates the noise from the replications at each point (the pooled within-point
variance, divided by the replications to get the noise in the per-point mean) and its share of
the output's variance. Noise adds its share to every Sobol total index (Jansen's estimator averages
squared differences of two points with independent noise) and divides every first-order index by
one minus it (the variance grows); both are removed here, so a parameter that does nothing has ST
near 0, not near the noise share. Morris mu* keeps its noise floor, reported beside it.

A ranking is given in tiers: a parameter is above another only when the 95% interval of the
difference of their indices (the same bootstrap resamples for both: a paired difference) lies
above zero, and a tier ends only where every parameter above stands apart from every parameter
below. When the noise share is above :data:`NOISE_LIMIT`, or the indices' intervals are wider
than :data:`WIDE` (on the 0-1 scale), or no tier stands apart from the rest, no ranking is given
and it says what size would give one.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import gammaln

from sim.experiments import labels
from sim.experiments.paired import replication_matrix
from sim.outputs.intervals import LEVEL, mean_intervals

NOISE_LIMIT = 0.5
"""Noise share of the output's variance above which the indices are not ranked."""
NOISE_TARGET = 0.2
"""Noise share that the suggested number of replications aims at."""
WIDE = 0.5
"""Median width of the indices' 95% intervals (0-1 scale) above which they are not ranked."""
WIDTH_TARGET = 0.2
"""Interval width (0-1 scale: about +-0.1) that the suggested number of samples aims at."""
RESAMPLES = 1000
"""Bootstrap resamples of the Sobol indices (SALib)."""
STABILITY_DRAWS = 20
"""Experiments of the same size redrawn from the design to measure how often its tiers recur."""
STABILITY_RESAMPLES = 200
"""Bootstrap resamples inside each of those redrawn experiments (fewer: it is repeated)."""


def noise(values: np.ndarray) -> dict[str, float]:
    """Replication noise of a design: points x replications of an output (nan: missing).

    Returns ``noise_var`` (pooled within-point variance of one replication), ``noise_sd`` (the
    mean over points of each point's within-point standard deviation), ``total_var``
    (variance of the per-point mean across points), ``noise_share`` (the noise's part of
    ``total_var``: ``noise_var`` x mean(1 / replications) / ``total_var``, in [0, 1]; nan with
    fewer than 2 replications at every point), ``signal_var`` and ``replications_needed`` (per
    point, for a noise share of :data:`NOISE_TARGET`; inf when no signal shows above the noise).
    """
    v = np.asarray(values, dtype=float)
    n = np.isfinite(v).sum(axis=1)
    use = n > 0
    y = np.nanmean(v[use], axis=1) if use.any() else np.array([])
    total = float(np.var(y, ddof=1)) if len(y) > 1 else float("nan")
    multi = n >= 2
    out = {
        "noise_var": float("nan"),
        "noise_sd": float("nan"),
        "total_var": total,
        "noise_share": float("nan"),
        "signal_var": float("nan"),
        "replications": float(n[use].mean()) if use.any() else 0.0,
        "replications_needed": float("nan"),
    }
    if not multi.any() or not math.isfinite(total):
        return out
    dev = v[multi] - np.nanmean(v[multi], axis=1, keepdims=True)
    noise_var = float(np.nansum(dev**2) / (n[multi] - 1).sum())
    of_mean = noise_var * float(np.mean(1.0 / n[use]))
    if total > 0:
        share = min(1.0, of_mean / total)
    else:
        share = 0.0 if noise_var == 0 else 1.0
    signal = max(total - of_mean, 0.0)
    if share <= NOISE_TARGET:
        needed = float(np.ceil(out["replications"]))
    elif signal > 0:
        needed = float(math.ceil(noise_var * (1 - NOISE_TARGET) / (NOISE_TARGET * signal)))
    else:
        needed = float("inf")
    # Mean over points of each point's own sd (unbiased for normal noise: / c4), as noise grows
    # with the point (a town of 8,000 is noisier in money than one of 1,000).
    k = n[multi].astype(float)
    c4 = np.sqrt(2 / (k - 1)) * np.exp(gammaln(k / 2) - gammaln((k - 1) / 2))
    sd = float(np.mean(np.sqrt(np.nansum(dev**2, axis=1) / (k - 1)) / c4))
    out.update(
        noise_var=noise_var, noise_sd=sd, noise_share=share, signal_var=signal, replications_needed=needed
    )
    return out


def elementary_effects(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Morris elementary effects, trajectories x parameters: dy / dx of each one-parameter step."""
    t = len(y) // (k + 1)
    xs = np.asarray(x, dtype=float)[: t * (k + 1)].reshape(t, k + 1, k)
    ys = np.asarray(y, dtype=float)[: t * (k + 1)].reshape(t, k + 1)
    dx = np.diff(xs, axis=1)  # t x k steps x k parameters: one non-zero per step
    dy = np.diff(ys, axis=1)
    j = np.abs(dx).argmax(axis=2)
    step = np.take_along_axis(dx, j[..., None], axis=2)[..., 0]
    ee = np.full((t, k), np.nan)
    ee[np.repeat(np.arange(t), k), j.ravel()] = (dy / step).ravel()
    return ee


def sensitivity_table(
    kind: str,
    problem: dict[str, Any],
    y: np.ndarray,
    x: np.ndarray | None = None,
    options: dict[str, Any] | None = None,
    seed: int = 0,
    noise_share: float = 0.0,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """Sobol (S1, ST) or Morris (mu, mu*, sigma) indices via SALib, with 95% intervals and tiers.

    Sobol: ``S1_low``/``S1_high`` and ``ST_low``/``ST_high`` are percentiles of SALib's bootstrap
    over the sample rows. With ``noise_share`` s (the replication noise's share of the output's
    variance), the indices are those of the noise-free output: ST = (ST' - s) / (1 - s) and
    S1 = S1' / (1 - s), where ST' and S1' are SALib's (kept as ``ST_raw`` and ``S1_raw``); each
    resample is corrected alike. Indices and bounds are kept inside [0, 1] (an index is a share of
    variance; the estimates stray outside by sampling error). Morris: ``mu_star_low``/``_high``
    are the percentile bootstrap of the mean |elementary effect| over trajectories
    (:func:`sim.outputs.intervals.mean_intervals`). ``tier`` (1 = the top) comes from
    :func:`tiers` on the resamples of ST or mu*.

    Args:
        kind: ``sobol`` or ``morris``.
        problem: the SALib problem the sample was drawn for.
        y: the output at each sample row, in SALib's order.
        x: the sample matrix (Morris needs it).
        options: the design options (``second_order`` for Sobol, ``levels`` for Morris).
        seed: seed of the bootstrap.
        noise_share: the noise's share of the output's variance (0 or nan: no correction).
        resamples: bootstrap resamples.
    """
    options = options or {}
    s = float(noise_share) if math.isfinite(noise_share) and 0 < noise_share < 1 else 0.0
    y = np.asarray(y, dtype=float)
    if kind == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(
            problem,
            y,
            calc_second_order=options.get("second_order", False),
            conf_level=LEVEL,
            num_resamples=resamples,
            keep_resamples=True,
            seed=seed,
            print_to_console=False,
        )
        q = [(1 - LEVEL) / 2, (1 + LEVEL) / 2]
        df = pd.DataFrame({"parameter": problem["names"]})
        remove = {"S1": lambda v: v / (1 - s), "ST": lambda v: (v - s) / (1 - s)}
        for name in ("S1", "ST"):
            index = remove[name](np.asarray(res[name], dtype=float))
            draws = remove[name](np.asarray(res[f"{name}_conf_all"], dtype=float))
            lo, hi = np.nanquantile(draws, q, axis=0)
            df[name] = np.clip(index, 0, 1)
            df[f"{name}_low"], df[f"{name}_high"] = np.clip(lo, 0, 1), np.clip(hi, 0, 1)
        df["S1_raw"], df["ST_raw"] = res["S1"], res["ST"]
        df["tier"] = tiers(index, draws)  # the last pass: ST, unclipped, with its resamples
        return df
    if kind == "morris":
        from SALib.analyze import morris

        res = morris.analyze(
            problem,
            x,
            y,
            num_levels=options.get("levels", 4),
            conf_level=LEVEL,
            num_resamples=resamples,
            seed=seed,
            print_to_console=False,
        )
        ee = np.abs(elementary_effects(x, y, problem["num_vars"]))
        _, lo, hi = mean_intervals(ee.T)
        rows = np.random.default_rng(seed).integers(0, len(ee), size=(resamples, len(ee)))
        draws = np.nanmean(ee[rows], axis=1)  # trajectories resampled jointly: paired across parameters
        return pd.DataFrame(
            {
                "parameter": problem["names"],
                "mu": res["mu"],
                "mu_star": res["mu_star"],
                "mu_star_low": lo,
                "mu_star_high": hi,
                "sigma": res["sigma"],
                "tier": tiers(np.asarray(res["mu_star"], dtype=float), draws),
            }
        )
    raise ValueError(f"no sensitivity indices for a {kind} design")


def _width(t: pd.DataFrame, kind: str) -> float:
    """Median width of the indices' intervals on the 0-1 scale (Morris: relative to the largest mu*)."""
    if kind == "sobol":
        return float(max(np.median(t["S1_high"] - t["S1_low"]), np.median(t["ST_high"] - t["ST_low"])))
    top = t["mu_star"].max()
    return float(np.median(t["mu_star_high"] - t["mu_star_low"]) / top) if top > 0 else float("inf")


def tiers(index: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Tiers of parameters (1 = the top) that their indices tell apart.

    ``index`` holds each parameter's index, ``draws`` its bootstrap resamples (resamples x
    parameters, drawn from the same rows for every parameter, so their differences are paired).
    In order of the index, a new tier starts below position m only when, for every parameter i
    above and j below, the 95% interval of index_i - index_j (percentiles of the paired
    differences) lies above zero; parameters within a tier are not told apart.
    """
    index = np.asarray(index, dtype=float)
    draws = np.asarray(draws, dtype=float)
    k = len(index)
    order = np.argsort(-index, kind="stable")
    # low[i, j]: lower 95% bound of index_i - index_j
    low = np.nanquantile(draws[:, :, None] - draws[:, None, :], (1 - LEVEL) / 2, axis=0)
    out = np.empty(k, dtype=int)
    tier = 1
    out[order[0]] = tier
    for m in range(1, k):
        above, below = order[:m], order[m:]
        if (low[np.ix_(above, below)] > 0).all():
            tier += 1
        out[order[m]] = tier
    return out


def judge(t: pd.DataFrame, kind: str, design: dict[str, Any], nz: dict[str, float]) -> pd.DataFrame:
    """Add the noise, the verdict, the rank (only when ranked) and the sizes that would do."""
    t = t.copy()
    width = _width(t, kind)
    share = nz["noise_share"]
    if math.isfinite(share) and share > NOISE_LIMIT:
        verdict = "noise dominates"
    elif not math.isfinite(width) or width > WIDE:
        verdict = "intervals too wide"
    elif t["tier"].max() == 1:  # no group of parameters told apart from the rest
        verdict = "order not resolved"
    else:
        verdict = "ranked"
    t["noise_share"] = share
    t["replications"] = nz["replications"]
    t["interval_width"] = width
    t["verdict"] = verdict
    t["rank"] = t["tier"].astype(float) if verdict == "ranked" else np.nan  # tied within a tier
    t["replications_needed"] = nz["replications_needed"]
    size = design["N"] if kind == "sobol" else design["trajectories"]
    if not math.isfinite(width):
        needed = float("inf")
    elif width <= WIDTH_TARGET:
        needed = float(size)
    else:
        needed = size * (width / WIDTH_TARGET) ** 2
        needed = float(2 ** math.ceil(math.log2(needed))) if kind == "sobol" else float(math.ceil(needed))
    t["samples_needed"] = needed  # Sobol: N (a power of 2); Morris: trajectories
    if kind == "morris":
        levels = design.get("levels", 4)
        delta = levels / (2 * (levels - 1))  # SALib's Morris step on the 0-1 scale
        r = max(nz["replications"], 1.0)
        # E|e1 - e2| / delta for two neighbouring points' noises of sd noise_sd / sqrt(r) each.
        floor = 2 * nz["noise_sd"] / math.sqrt(math.pi * r) / delta
        t["noise_floor"] = floor  # the mu* that replication noise alone gives
    return t


def tier_stability(
    kind: str,
    problem: dict[str, Any],
    values: np.ndarray,
    x: np.ndarray | None,
    options: dict[str, Any],
    reference: np.ndarray,
    seed: int = 0,
    draws: int = STABILITY_DRAWS,
) -> float:
    """Share of redrawn experiments of the same size whose tiers equal ``reference``.

    An experiment is redrawn from the one run: its design blocks (Sobol: a base sample with its
    k + 1 companions, ``values`` rows in SALib's order) or trajectories (Morris: k + 1 rows of
    ``x``) drawn with replacement, as many as it has, each with its replications; the noise,
    indices and tiers are then computed as for the real one. This is how often a second seed set
    of this size would print the same ranking, estimated from the first.
    """
    k = problem["num_vars"]
    v = np.asarray(values, dtype=float)
    step = len(v) // options["N"] if kind == "sobol" else k + 1
    blocks = len(v) // step
    rng = np.random.default_rng(seed)
    same = 0
    for _ in range(draws):
        rows = (rng.integers(0, blocks, blocks)[:, None] * step + np.arange(step)).ravel()
        vd = v[rows]
        nz = noise(vd)
        t = sensitivity_table(
            kind,
            problem,
            np.nanmean(vd, axis=1),
            None if x is None else x[rows],
            options,
            seed=int(rng.integers(2**32)),
            noise_share=nz["noise_share"],
            resamples=STABILITY_RESAMPLES,
        )
        same += bool(np.array_equal(t["tier"].to_numpy(), np.asarray(reference)))
    return same / draws


def sensitivity(folder: Path, paired: pd.DataFrame, manifest: dict[str, Any]) -> pd.DataFrame:
    """Indices, noise and verdict for every kept weekly measure at the target week.

    The output at a point is its mean paired difference over replications (of the first arm
    comparison), the same number the figures show.
    """
    exp = manifest["experiment"]
    kind = exp["design"]["kind"]
    if kind not in ("sobol", "morris") or not len(paired):
        return pd.DataFrame()
    names = [p["key"] for p in exp["parameters"]]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    x = pd.read_csv(folder / "design_unit.csv").to_numpy() if kind == "morris" else None
    n_points = manifest["points"]
    sub = paired[paired["arm"] == paired["arm"].iloc[0]]
    tw = exp["design"]["target_week"]
    out = []
    for m in exp["measures"]:
        col = f"{m}.w{tw}" if f"{m}.w{tw}" in sub.columns else m
        if col not in sub.columns:
            continue
        index, arr = replication_matrix(sub, [col])
        values = np.full((n_points, arr.shape[2]), np.nan)
        values[index["point"].to_numpy()] = arr[0]
        count = np.isfinite(values).sum(axis=1)
        y = np.where(count > 0, np.nansum(values, axis=1) / np.maximum(count, 1), np.nan)
        if not np.isfinite(y).all():
            continue  # failed or missing runs, or a measure undefined in some runs
        nz = noise(values)
        t = sensitivity_table(
            kind, problem, y, x, exp["design"], seed=exp["seed"] % 2**32, noise_share=nz["noise_share"]
        )
        t = judge(t, kind, exp["design"], nz)
        t["tier_stability"] = np.nan  # the target measure's only: it repeats the analysis
        if m == exp["design"]["target"] and t["verdict"].iloc[0] == "ranked":
            t["tier_stability"] = tier_stability(
                kind, problem, values, x, exp["design"], t["tier"].to_numpy(), seed=exp["seed"] % 2**32
            )
        t.insert(0, "week", tw if col != m else -1)
        t.insert(0, "measure", m)
        out.append(t)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def verdict_text(t: pd.DataFrame, kind: str) -> str:
    """One measure's verdict in a sentence (``t``: its rows of sensitivity.csv)."""
    r = t.iloc[0]
    share, reps = r["noise_share"], r["replications"]
    size = "N" if kind == "sobol" else "trajectories"
    noise_words = (
        f"replication noise is {labels.share(share)} of the variance of the per-point mean "
        f"({reps:.0f} replications per point; limit {labels.share(NOISE_LIMIT)})"
        if math.isfinite(share)
        else f"replication noise not measured ({reps:.0f} replication per point: use 2 or more)"
    )
    need_r = r["replications_needed"]
    need_s = r["samples_needed"]
    need_r_words = (
        "no effect of the parameters shows above the noise"
        if need_r == float("inf")
        else f"about {need_r:,.0f} replications per point would bring noise below "
        f"{labels.share(NOISE_TARGET)}"
    )
    need_s_words = f"{size} = {need_s:,.0f} would narrow the intervals to about +-{WIDTH_TARGET / 2:g}" + (
        "" if kind == "sobol" else " of the largest mu*"
    )
    if r["verdict"] == "noise dominates":
        return (
            f"NO RANKING: {noise_words}, so the indices mostly measure noise; {need_r_words}; {need_s_words}."
        )
    if r["verdict"] == "order not resolved":
        return (
            f"NO RANKING: no group of parameters stands apart from the rest (the 95% intervals of the "
            f"paired differences of their indices include zero), so the indices do not order the "
            f"parameters; {noise_words}; {need_s_words}."
        )
    if r["verdict"] == "intervals too wide":
        return (
            f"NO RANKING: the indices' 95% intervals are {r['interval_width']:.2f} wide (median, on the "
            f"0-1 scale; limit {WIDE:g}); {noise_words}; {need_s_words}."
        )
    key = "ST" if kind == "sobol" else "mu_star"
    shown, groups = 0, []
    for _, tier in t.sort_values(key, ascending=False).groupby("tier", sort=True):
        if shown >= 6 and len(tier) > 1:  # a long tier lower down: its range, not every member
            groups.append(
                f"{len(tier)} more, {key} {labels.number(tier[key].min(), 2)} to "
                f"{labels.number(tier[key].max(), 2)} (in sensitivity.csv)"
            )
            continue
        groups.append(
            " ~ ".join(
                f"{q['parameter']} {labels.number(q[key], 2)} "
                f"[{labels.number(q[key + '_low'], 2)}, {labels.number(q[key + '_high'], 2)}]"
                for _, q in tier.iterrows()
            )
        )
        shown += len(tier)
    by = "total index ST (noise removed)" if kind == "sobol" else "mu* (mean |elementary effect|)"
    stability = r.get("tier_stability", float("nan"))
    recur = (
        f" These tiers recur in {labels.share(stability)} of {STABILITY_DRAWS} experiments of this size "
        f"redrawn from this one ({'design blocks' if kind == 'sobol' else 'trajectories'} drawn with "
        "replacement): about how often a second seed set would print the same ranking."
        if isinstance(stability, float) and math.isfinite(stability)
        else ""
    )
    return (
        f"{noise_words}. Ranked in tiers by {by}, 95% intervals in brackets ('>': every parameter "
        f"before it is above every one after it, by the paired 95% interval of their difference; "
        f"'~': not told apart): {' > '.join(groups)}.{recur}"
    )


def sensitivity_lines(sens: pd.DataFrame, exp: dict[str, Any]) -> list[str]:
    """The printed summary of the indices of the target measure."""
    if not len(sens):
        return []
    kind = exp["design"]["kind"]
    target = exp["design"]["target"]
    t = sens[sens["measure"] == target]
    if not len(t):
        t = sens[sens["measure"] == sens["measure"].iloc[0]]
    m = t["measure"].iloc[0]
    week = t["week"].iloc[0]
    where = f"{m} at week {week}" if week >= 0 else m
    size = f"N = {exp['design']['N']}" if kind == "sobol" else f"{exp['design']['trajectories']} trajectories"
    head = f"Sensitivity ({kind.capitalize()}, {size}) of the paired difference in {where} ({labels.how(m)}):"
    return [f"{head} {verdict_text(t, kind)} Every measure: sensitivity.csv."]


__all__ = [
    "NOISE_LIMIT",
    "NOISE_TARGET",
    "WIDE",
    "WIDTH_TARGET",
    "elementary_effects",
    "judge",
    "noise",
    "sensitivity",
    "sensitivity_lines",
    "sensitivity_table",
    "tier_stability",
    "tiers",
    "verdict_text",
]
