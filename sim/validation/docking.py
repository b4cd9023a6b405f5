"""Docking the agent-based model with the Bass (1969) diffusion model.

The ``bass_docking`` scenario has one business, complete mixing, ads that reach a share ``p`` of
the town each week and word of mouth of strength ``q``, with every community mechanism off. A
weekly model must then follow the discrete recursion ``F(t+1) = F(t) + (p + q F(t)) (1 - F(t))``
in expectation (:func:`sim.validation.bass.discrete_bass`); the continuous closed form
(:func:`sim.validation.bass.closed_form_bass`) is reached only as the time step shrinks, so its gap is
measured and stated, not used as a pass criterion.

Three checks, each a plain function returning plain data (the ``commsim dock`` command, the
validation report and the tests all build on them):

* :func:`dock` at one town size: the mean simulated ``F(t)`` over replications against the
  recursion and the closed form;
* :func:`error_by_customers`: the error of one run against the recursion shrinks like
  ``1/sqrt(N)``;
* :func:`network_ladder`: the week at which half the town has bought, on complete mixing and on
  networks at the same ``p`` and ``q``; by Fibich & Levin (2010) no network diffuses faster
  than complete mixing.

Adoption is read from the model's ``first_purchase`` array: ``F(t)`` is the share of customers
whose first purchase was in week ``t`` or before, which is ``cumulative_customers / customers``
of the results table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.config.paths import builtin_dirs
from sim.config.scenario import Scenario, ScenarioError, load_scenario
from sim.core.model import CommunityModel
from sim.runs.runner import replication_seeds
from sim.validation.bass import closed_form_bass, discrete_bass

__all__ = [
    "DEFAULT_P",
    "DEFAULT_Q",
    "LADDER",
    "SIZES",
    "Tolerances",
    "adoption_curves",
    "bass_scenario",
    "dock",
    "docking_scenario_path",
    "error_by_customers",
    "half_adoption_week",
    "network_ladder",
    "per_run_max_error",
    "run_dock",
]

DEFAULT_P = 0.03
"""Coefficient of innovation per week (Sultan, Farley & Lehmann 1990 mean, used per week)."""
DEFAULT_Q = 0.38
"""Coefficient of imitation per week (Sultan, Farley & Lehmann 1990 mean, used per week)."""
SIZES = (1_000, 10_000, 100_000)
"""Town sizes of the ``1/sqrt(N)`` table."""

LADDER: dict[str, dict[str, Any]] = {
    "complete": {"network.kind": "complete"},
    "random": {"network.kind": "random"},
    "scale_free": {"network.kind": "scale_free"},
    "small_world": {"network.kind": "small_world", "network.rewire": 0.1},
    "ring_lattice": {"network.kind": "small_world", "network.rewire": 0.0},
}
"""The network ladder: name -> scenario overrides (degree 10, the default, on every network)."""

Progress = Callable[[int], Any] | None


class Tolerances:
    """The stated tolerances of the ``verdict``.

    A run of ``N`` customers has a sampling error of order ``1/sqrt(N)``; measured on this model,
    the largest weekly gap of one run from the recursion is about ``1.2/sqrt(N)`` on average. The
    mean of ``R`` runs has ``sqrt(R)`` times less. The docking tolerance is therefore
    ``ABSOLUTE + SIGMAS * 1.2 / sqrt(N R)`` with a small absolute floor for a systematic
    error the eye would see on a plot.

    Attributes:
        ABSOLUTE: floor of the docking tolerance (share of customers).
        SIGMAS: multiples of the expected sampling error allowed on top.
        TREND_FACTOR: least ratio of the error at the smallest town to that at the largest, when
            the sizes differ by a factor 100 (``1/sqrt(N)`` predicts 10).
        LADDER_SLACK: weeks a network's half-adoption week may fall before complete mixing's
            (sampling noise of a mean over replications) before the bound counts as broken.
    """

    ABSOLUTE = 0.005
    SIGMAS = 3.0
    TREND_FACTOR = 4.0
    LADDER_SLACK = 0.25

    @classmethod
    def docking(cls, customers: int, replications: int) -> float:
        """Tolerance on the largest weekly gap of the mean curve from the recursion."""
        return cls.ABSOLUTE + cls.SIGMAS * 1.2 / math.sqrt(customers * replications)


def docking_scenario_path() -> Path:
    """Path of the bundled ``scenarios/bass_docking.toml``.

    Raises:
        ScenarioError: if the file is not there (a source tree without scenarios).
    """
    path = builtin_dirs()["scenarios"] / "bass_docking.toml"
    if not path.is_file():
        raise ScenarioError(f"{path}: no such file (the Bass docking scenario ships with the repository)")
    return path


def bass_scenario(
    customers: int,
    p: float = DEFAULT_P,
    q: float = DEFAULT_Q,
    network: dict[str, Any] | None = None,
    base: Scenario | None = None,
    weeks: int | None = None,
) -> Scenario:
    """The docking scenario for a town of ``customers`` with Bass coefficients ``p`` and ``q``.

    Ads reach a share ``p`` of the town per week: ads reach 1 - exp(-ad_budget / (customers x
    economy.ad_cost_per_reach)) of the town (ODD 7.2), so ``ad_budget = -ln(1 - p) x customers x
    ad_cost_per_reach``; word of mouth is ``behaviour.word_of_mouth = q``.

    Args:
        customers: town size.
        p: coefficient of innovation per week (0 < p <= 1).
        q: coefficient of imitation per week (q >= 0).
        network: extra ``network.*`` overrides (default: the scenario's complete mixing).
        base: the scenario to start from (default: ``scenarios/bass_docking.toml``).
        weeks: ``run.steps``, if given.
    """
    base = base if base is not None else load_scenario(docking_scenario_path())
    cost = base.data["economy"]["ad_cost_per_reach"]
    strategy = base.data["businesses"][0]["strategy"]
    overrides: dict[str, Any] = {
        "population.customers": int(customers),
        f"strategies.{strategy}.ad_budget": -math.log1p(-float(p)) * int(customers) * cost,
        "behaviour.word_of_mouth": float(q),
    }
    if weeks is not None:
        overrides["run.steps"] = int(weeks)
    overrides.update(network or {})
    return base.with_overrides(overrides)


def adoption_curves(
    scenario: Scenario,
    replications: int,
    weeks: int,
    seed: int | None = None,
    progress: Progress = None,
) -> np.ndarray:
    """Simulated adoption share ``F(t)`` of business 0, one row per replication.

    Replication ``r`` uses the seed the runner would give it (``SeedSequence`` children of
    ``seed``, default ``run.seed``), so the curves are those of ``commsim run``.

    Returns:
        Array ``(replications, weeks + 1)``; column ``t`` is the share of customers who had
        bought by the end of week ``t`` (column 0 is 0).
    """
    seeds = replication_seeds(scenario.data["run"]["seed"] if seed is None else seed, replications)
    out = np.zeros((replications, weeks + 1))
    for r, s in enumerate(seeds):
        model = CommunityModel(scenario, seed=s)
        model.run(weeks)
        first = model.first_purchase[:, 0].astype(np.int64)
        counts = np.bincount(first[first >= 0], minlength=weeks + 1)[: weeks + 1]
        out[r] = np.cumsum(counts) / model.n_customers
        if progress:
            progress(1)
    return out


def half_adoption_week(f: Sequence[float] | np.ndarray) -> float | None:
    """The (fractional) week at which ``F`` first reaches 0.5, by linear interpolation.

    Args:
        f: ``F(t)`` for ``t = 0, 1, ...``.

    Returns:
        The week, or ``None`` if ``F`` never reaches one half.
    """
    f = np.asarray(f, dtype=float)
    above = np.flatnonzero(f >= 0.5)
    if len(above) == 0:
        return None
    t = int(above[0])
    if t == 0:
        return 0.0
    lo, hi = f[t - 1], f[t]
    return float(t - 1 + (0.5 - lo) / (hi - lo))


def per_run_max_error(curves: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Largest weekly gap ``max_t |F_r(t) - reference(t)|`` of each run ``r``."""
    return np.abs(curves - reference[None, :]).max(axis=1)


def dock(
    customers: int = 20_000,
    replications: int = 20,
    weeks: int = 52,
    p: float = DEFAULT_P,
    q: float = DEFAULT_Q,
    seed: int | None = None,
    progress: Progress = None,
    base: Scenario | None = None,
) -> dict[str, Any]:
    """Mean simulated adoption against the discrete recursion and the closed form.

    Returns:
        Dict with ``p, q, customers, replications, weeks`` (list 0..weeks), ``simulated`` (mean F
        per week), ``simulated_sd`` (standard deviation over replications), ``discrete_bass``,
        ``closed_form``, ``max_error_discrete``, ``max_error_closed_form``,
        ``max_gap_recursion_closed_form`` (the gap between the two references, which no
        simulation can close), ``tolerance`` and ``passed``.
    """
    scenario = bass_scenario(customers, p, q, base=base, weeks=weeks)
    curves = adoption_curves(scenario, replications, weeks, seed, progress)
    mean = curves.mean(axis=0)
    rec = discrete_bass(p, q, weeks)
    closed = closed_form_bass(p, q, np.arange(weeks + 1))
    err = float(np.abs(mean - rec).max())
    tol = Tolerances.docking(customers, replications)
    return {
        "p": p,
        "q": q,
        "customers": int(customers),
        "replications": int(replications),
        "weeks": list(range(weeks + 1)),
        "simulated": mean.tolist(),
        "simulated_sd": curves.std(axis=0, ddof=1).tolist() if replications > 1 else [0.0] * (weeks + 1),
        "discrete_bass": rec.tolist(),
        "closed_form": closed.tolist(),
        "max_error_discrete": err,
        "max_error_closed_form": float(np.abs(mean - closed).max()),
        "max_gap_recursion_closed_form": float(np.abs(rec - closed).max()),
        "tolerance": tol,
        "passed": err <= tol,
    }


def error_by_customers(
    sizes: Sequence[int] = SIZES,
    replications: int | dict[int, int] = 10,
    weeks: int = 52,
    p: float = DEFAULT_P,
    q: float = DEFAULT_Q,
    seed: int | None = None,
    progress: Progress = None,
    base: Scenario | None = None,
) -> dict[int, dict[str, float]]:
    """The error of single runs against the recursion, by town size.

    The statistic is the largest weekly gap of one run from the recursion, averaged over
    replications: its expectation shrinks like ``1/sqrt(N)`` (the sampling error of a share of
    ``N`` customers), and averaging over runs makes it reliable without changing what it
    measures. (The gap of the *mean* curve would mix in the number of replications.)

    Args:
        sizes: town sizes.
        replications: runs per size, or a dict size -> runs (small towns are cheap and noisy).
        weeks: horizon in weeks.
        p: coefficient of innovation per week.
        q: coefficient of imitation per week.
        seed: master seed (default: the scenario's ``run.seed``).
        progress: called with 1 after each model run.
        base: the scenario to start from (default: ``scenarios/bass_docking.toml``).

    Returns:
        Dict ``N -> {"mean_max_error", "se", "replications", "scaled"}`` where ``scaled`` is
        ``mean_max_error * sqrt(N)`` (constant if the error goes like ``1/sqrt(N)``).
    """
    rec = discrete_bass(p, q, weeks)
    out: dict[int, dict[str, float]] = {}
    for n in sizes:
        reps = replications[n] if isinstance(replications, dict) else replications
        curves = adoption_curves(bass_scenario(n, p, q, base=base, weeks=weeks), reps, weeks, seed, progress)
        errs = per_run_max_error(curves, rec)
        mean = float(errs.mean())
        out[int(n)] = {
            "mean_max_error": mean,
            "se": float(errs.std(ddof=1) / math.sqrt(reps)) if reps > 1 else float("nan"),
            "replications": int(reps),
            "scaled": mean * math.sqrt(n),
        }
    return out


def network_ladder(
    customers: int = 20_000,
    replications: int = 5,
    weeks: int = 52,
    p: float = DEFAULT_P,
    q: float = DEFAULT_Q,
    seed: int | None = None,
    ladder: dict[str, dict[str, Any]] | None = None,
    progress: Progress = None,
    base: Scenario | None = None,
) -> dict[str, dict[str, Any]]:
    """Half-adoption week on each network of the ladder, at the same ``p`` and ``q``.

    Every network is run on the same replication seeds (common random numbers).

    Returns:
        Dict name -> ``{"half_week", "half_week_sd", "curve", "final"}``: the mean over
        replications of each run's interpolated half-adoption week (``None`` if some run never
        got there), its standard deviation, the mean ``F(t)`` and the share adopted at the end.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, overrides in (ladder or LADDER).items():
        sc = bass_scenario(customers, p, q, network=overrides, base=base, weeks=weeks)
        curves = adoption_curves(sc, replications, weeks, seed, progress)
        halves = [half_adoption_week(c) for c in curves]
        ok = all(h is not None for h in halves)
        out[name] = {
            "half_week": float(np.mean(halves)) if ok else None,
            "half_week_sd": float(np.std(halves, ddof=1)) if ok and len(halves) > 1 else 0.0,
            "curve": curves.mean(axis=0).tolist(),
            "final": float(curves[:, -1].mean()),
        }
    return out


def run_dock(
    customers: int = 20_000,
    replications: int = 20,
    weeks: int = 52,
    sizes: Sequence[int] = SIZES,
    size_replications: dict[int, int] | None = None,
    ladder_replications: int = 5,
    ladder_customers: int | None = None,
    seed: int | None = None,
    progress: Progress = None,
) -> dict[str, Any]:
    """The whole docking check: ``commsim dock``'s answer.

    Args:
        customers: town size of the docking run.
        replications: replications of the docking run.
        weeks: horizon in weeks.
        sizes: town sizes of the ``1/sqrt(N)`` table.
        size_replications: runs per size (default: more for small towns, where they are cheap).
        ladder_replications: runs per network of the ladder.
        ladder_customers: town size of the ladder (default ``customers``).
        seed: master seed (default: the scenario's ``run.seed``).
        progress: called with 1 after each model run.

    Returns:
        Dict with the keys of ``commsim dock --json`` (``p, q, customers, replications, weeks,
        simulated, discrete_bass, closed_form, max_error_discrete, max_error_closed_form,
        error_by_customers, half_adoption_week_by_network, verdict``) and, under ``details``,
        everything else (tolerances, standard errors, the ladder's curves, the checks).
    """
    base = load_scenario(docking_scenario_path())
    d = dock(customers, replications, weeks, seed=seed, progress=progress, base=base)
    size_reps = size_replications or default_size_replications(sizes)
    by_n = error_by_customers(sizes, size_reps, weeks, seed=seed, progress=progress, base=base)
    ladder = network_ladder(
        ladder_customers or customers,
        ladder_replications,
        weeks,
        seed=seed,
        progress=progress,
        base=base,
    )
    checks = checks_for(d, by_n, ladder)
    return {
        "p": d["p"],
        "q": d["q"],
        "customers": d["customers"],
        "replications": d["replications"],
        "weeks": d["weeks"],
        "simulated": d["simulated"],
        "discrete_bass": d["discrete_bass"],
        "closed_form": d["closed_form"],
        "max_error_discrete": d["max_error_discrete"],
        "max_error_closed_form": d["max_error_closed_form"],
        "error_by_customers": {str(n): v["mean_max_error"] for n, v in by_n.items()},
        "half_adoption_week_by_network": {k: v["half_week"] for k, v in ladder.items()},
        "verdict": "pass" if all(c["passed"] for c in checks.values()) else "fail",
        "details": {"dock": d, "error_by_customers": by_n, "ladder": ladder, "checks": checks},
    }


def default_size_replications(sizes: Sequence[int]) -> dict[int, int]:
    """Runs per town size: about a million customer-runs each, between 3 and 40 runs."""
    return {int(n): int(min(40, max(3, round(1_000_000 / n)))) for n in sizes}


def checks_for(
    d: dict[str, Any], by_n: dict[int, dict[str, float]], ladder: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The three pass/fail checks of the verdict, each with its measured value and tolerance."""
    checks: dict[str, dict[str, Any]] = {
        "docking": {
            "passed": bool(d["passed"]),
            "value": d["max_error_discrete"],
            "tolerance": d["tolerance"],
            "rule": "max_t |mean simulated F - discrete recursion| <= tolerance",
        },
    }
    sizes = sorted(by_n)
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        ratio = by_n[small]["mean_max_error"] / max(by_n[large]["mean_max_error"], 1e-12)
        need = Tolerances.TREND_FACTOR * math.sqrt(large / small) / 10.0
        checks["one_over_sqrt_n"] = {
            "passed": bool(ratio >= need),
            "value": ratio,
            "tolerance": need,
            "expected": math.sqrt(large / small),
            "rule": f"error at N={small} / error at N={large} >= {need:.2f} (1/sqrt(N) predicts "
            f"{math.sqrt(large / small):.1f})",
        }
    if "complete" in ladder and ladder["complete"]["half_week"] is not None:
        ref = ladder["complete"]["half_week"]
        earliest = min(
            (v["half_week"] for k, v in ladder.items() if k != "complete" and v["half_week"] is not None),
            default=ref,
        )
        checks["network_bound"] = {
            "passed": bool(earliest >= ref - Tolerances.LADDER_SLACK),
            "value": earliest - ref,
            "tolerance": -Tolerances.LADDER_SLACK,
            "rule": "no network's half-adoption week earlier than complete mixing's "
            f"(by more than {Tolerances.LADDER_SLACK} week)",
        }
    return checks


# ---------------------------------------------------------------------------------------------
# From a fitted Bass curve to a scenario whose agents reproduce it (``commsim calibrate``)
# ---------------------------------------------------------------------------------------------


def _discrete_at(p_w: float, q_w: float, weeks_per_period: float, periods: int) -> np.ndarray:
    """The weekly recursion read at the end of each period ``k = 0..periods`` (interpolated)."""
    steps = int(math.ceil(periods * weeks_per_period))
    f = discrete_bass(p_w, q_w, steps)
    return np.interp(np.arange(periods + 1) * weeks_per_period, np.arange(steps + 1), f)


def weekly_coefficients(p: float, q: float, weeks_per_period: float, periods: int) -> dict[str, float]:
    """Per-week ``p`` and ``q`` whose weekly recursion follows a fitted per-period Bass curve.

    The continuous model's rates scale with time, so ``p / W`` and ``q / W`` per week are the
    natural start (``W`` weeks per period). A weekly model follows the discrete recursion,
    which lags the continuous curve when a step is coarse; the coefficients are therefore
    refined by least squares so that the weekly recursion, read at the end of every period,
    matches the fitted closed form ``F(k)`` for ``k = 1..2 * periods``.

    Returns:
        Dict with ``p_week, q_week`` (refined), ``p_scaled, q_scaled`` (``p/W, q/W``) and
        ``max_gap`` (largest gap in ``F`` between the weekly recursion and the fitted curve at
        period ends, after refinement).
    """
    from scipy.optimize import least_squares

    horizon = 2 * periods
    target = closed_form_bass(p, q, np.arange(horizon + 1))
    p0, q0 = p / weeks_per_period, q / weeks_per_period

    def resid(x: np.ndarray) -> np.ndarray:
        return _discrete_at(x[0], x[1], weeks_per_period, horizon)[1:] - target[1:]

    x0 = np.array([min(p0, 0.999), min(q0, 0.999)])
    try:
        fit = least_squares(resid, x0, bounds=([1e-9, 0.0], [1.0, 1.0]), x_scale="jac")
        p_w, q_w = float(fit.x[0]), float(fit.x[1])
    except ValueError:  # pragma: no cover - degenerate input
        p_w, q_w = float(x0[0]), float(x0[1])
    gap = float(np.abs(resid(np.array([p_w, q_w]))).max())
    return {"p_week": p_w, "q_week": q_w, "p_scaled": p0, "q_scaled": q0, "max_gap": gap}


def calibrated_scenario(
    p_week: float,
    q_week: float,
    customers: int,
    weeks: int,
    name: str,
    replications: int = 3,
    seed: int | None = None,
) -> Scenario:
    """The ``bass_docking`` scenario with per-week coefficients, town size and horizon set.

    Raises:
        ScenarioError: if a value is out of the scenario's ranges (e.g. ``q_week`` above the
            word-of-mouth maximum).
    """
    base = load_scenario(docking_scenario_path())
    extra: dict[str, Any] = {"run.name": name, "run.replications": int(replications)}
    if seed is not None:
        extra["run.seed"] = int(seed)
    sc = bass_scenario(customers, p_week, q_week, base=base, weeks=weeks)
    return sc.with_overrides(extra)


def simulated_fit(
    scenario: Scenario,
    periods: np.ndarray,
    adoptions: np.ndarray,
    m: float,
    weeks_per_period: float,
    p: float,
    q: float,
    replications: int | None = None,
    progress: Progress = None,
) -> dict[str, Any]:
    """Run a calibrated scenario and measure how well its agents reproduce the data.

    Each simulated customer stands for ``m / customers`` adopters. The simulated adoptions of
    period ``k`` are ``m * (F(k W) - F((k-1) W))`` with ``F`` the mean simulated share (read
    between weeks by linear interpolation when ``W`` is not whole).

    Returns:
        Dict with ``r2_data`` (R squared of the simulated per-period adoptions against the data),
        ``r2_fit`` (the fitted Bass curve's own R squared, for comparison), ``max_gap_F`` (largest
        gap of the simulated ``F`` from the fitted curve at period ends), ``periods``, ``data``,
        ``simulated_adoptions`` and ``fitted_adoptions`` (lists, per period), ``replications``
        and ``weeks``.
    """
    n = len(adoptions)
    weeks = scenario.data["run"]["steps"]
    reps = replications or scenario.data["run"]["replications"]
    curves = adoption_curves(scenario, reps, weeks, progress=progress)
    mean = curves.mean(axis=0)
    f_sim = np.interp(np.arange(n + 1) * weeks_per_period, np.arange(weeks + 1), mean)
    sim = m * np.diff(f_sim)
    f_fit = closed_form_bass(p, q, np.arange(n + 1))
    fitted = m * np.diff(f_fit)
    y = np.asarray(adoptions, dtype=float)
    sst = float(((y - y.mean()) ** 2).sum())

    def r2(pred: np.ndarray) -> float:
        return 1.0 - float(((y - pred) ** 2).sum()) / sst if sst > 0 else float("nan")

    return {
        "r2_data": r2(sim),
        "r2_fit": r2(fitted),
        "max_gap_F": float(np.abs(f_sim - f_fit).max()),
        "periods": [float(x) for x in periods],
        "data": y.tolist(),
        "simulated_adoptions": sim.tolist(),
        "fitted_adoptions": fitted.tolist(),
        "replications": int(reps),
        "weeks": int(weeks),
    }
