"""Bass (1969) diffusion maths: discrete recursion, closed form, adoptions, peak.

Notation follows Bass (1969), "A New Product Growth for Model Consumer
Durables", Management Science 15(5): 215-227.

* ``p``: coefficient of innovation (external influence), per period.
* ``q``: coefficient of imitation (internal influence / word of mouth), per period.
* ``m``: market potential, the number of eventual adopters (people, firms, units).
* ``F(t)``: cumulative fraction of the potential that has adopted by time ``t``
  (dimensionless, in [0, 1]).

The continuous model is the Riccati equation ``dF/dt = (p + q F)(1 - F)`` with
``F(0) = 0``. Time is measured in whatever period ``p`` and ``q`` are expressed
per (weeks in the simulator, years in the classic published series).

All functions are pure and use numpy only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "bass_adoptions",
    "closed_form_bass",
    "discrete_bass",
    "peak_adoptions",
    "peak_time",
]


def _check_pq(p: float, q: float) -> None:
    """Validate Bass coefficients.

    Args:
        p: Coefficient of innovation, per period. Must be > 0.
        q: Coefficient of imitation, per period. Must be >= 0.

    Raises:
        ValueError: If ``p <= 0``, ``q < 0`` or either is not finite.
    """
    if not (np.isfinite(p) and np.isfinite(q)):
        raise ValueError(f"p and q must be finite, got p={p!r}, q={q!r}")
    if p <= 0:
        raise ValueError(f"p must be > 0, got {p!r}")
    if q < 0:
        raise ValueError(f"q must be >= 0, got {q!r}")


def discrete_bass(p: float, q: float, weeks: int, f0: float = 0.0) -> np.ndarray:
    """Iterate the discrete-time Bass recursion.

    ``F(t+1) = F(t) + (p + q F(t)) (1 - F(t))``, one step per period. This is
    the forward-Euler discretisation of the continuous model with unit step;
    it is what an agent-based simulation with a weekly tick produces in
    expectation. It is *not* identical to :func:`closed_form_bass`; the gap
    shrinks as the step shrinks (apply with ``p*h``, ``q*h`` for step ``h``).

    Args:
        p: Coefficient of innovation, per period (per week in the simulator).
            Must be > 0. For ``p + q > 1`` the recursion can overshoot 1; the
            result is returned as computed, not clipped.
        q: Coefficient of imitation, per period. Must be >= 0.
        weeks: Number of steps (periods) to take. Must be >= 0.
        f0: Cumulative adopted fraction at ``t = 0`` (dimensionless, in [0, 1]).

    Returns:
        Array of length ``weeks + 1`` with ``F(t)`` (fraction of the market
        potential, dimensionless) for ``t = 0, 1, ..., weeks``; ``F[0] == f0``.

    Raises:
        ValueError: If a parameter is out of range.
    """
    _check_pq(p, q)
    if int(weeks) != weeks or weeks < 0:
        raise ValueError(f"weeks must be a non-negative integer, got {weeks!r}")
    if not 0.0 <= f0 <= 1.0:
        raise ValueError(f"f0 must be in [0, 1], got {f0!r}")
    out = np.empty(int(weeks) + 1, dtype=float)
    out[0] = f0
    f = float(f0)
    for t in range(1, int(weeks) + 1):
        f = f + (p + q * f) * (1.0 - f)
        out[t] = f
    return out


def closed_form_bass(p: float, q: float, t: ArrayLike) -> np.ndarray:
    """Evaluate the closed-form solution of the continuous Bass model.

    ``F(t) = (1 - exp(-(p+q) t)) / (1 + (q/p) exp(-(p+q) t))``, the solution of
    ``dF/dt = (p + q F)(1 - F)`` with ``F(0) = 0``.

    Args:
        p: Coefficient of innovation, per unit time. Must be > 0.
        q: Coefficient of imitation, per unit time. Must be >= 0.
        t: Time(s) since launch, in the same unit as ``1/p`` (scalar or array,
            may be fractional).

    Returns:
        Array (same shape as ``t``) of cumulative adopted fraction ``F(t)``,
        dimensionless, in [0, 1).
    """
    _check_pq(p, q)
    t_arr = np.asarray(t, dtype=float)
    e = np.exp(-(p + q) * t_arr)
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_adoptions(p: float, q: float, m: float, periods: ArrayLike) -> np.ndarray:
    """Per-period new adoptions of the continuous Bass model.

    For period ``t`` (periods are numbered 1..n, period ``t`` covering the
    interval ``(t-1, t]``) the expected number of new adopters is
    ``m * (F(t) - F(t-1))`` with ``F`` from :func:`closed_form_bass`. This is
    the Srinivasan & Mason (1986) formulation used for NLS estimation; it
    avoids the time-interval bias of Bass's discrete regression.

    Args:
        p: Coefficient of innovation, per period. Must be > 0.
        q: Coefficient of imitation, per period. Must be >= 0.
        m: Market potential (number of eventual adopters, in adopters).
        periods: Period numbers ``t`` (scalar or array, normally 1..n; may be
            any real values, each giving the adoptions in ``(t-1, t]``).

    Returns:
        Array of new adopters per period (same unit as ``m``), same shape as
        ``periods``.
    """
    t = np.asarray(periods, dtype=float)
    return m * (closed_form_bass(p, q, t) - closed_form_bass(p, q, t - 1.0))


def peak_time(p: float, q: float) -> float:
    """Time of peak adoption rate of the continuous Bass model.

    ``t* = ln(q/p) / (p + q)``. When ``q <= p`` the adoption rate is highest
    at launch and ``t*`` is clipped to 0.

    Args:
        p: Coefficient of innovation, per unit time. Must be > 0.
        q: Coefficient of imitation, per unit time. Must be >= 0.

    Returns:
        Peak time, in the time unit of ``p`` and ``q`` (e.g. weeks or years),
        as a float >= 0.
    """
    _check_pq(p, q)
    if q <= p:
        return 0.0
    return float(np.log(q / p) / (p + q))


def peak_adoptions(p: float, q: float, m: float = 1.0) -> float:
    """Peak adoption rate of the continuous Bass model.

    ``m f(t*)`` with ``f = dF/dt``; for ``q > p`` this is
    ``m (p + q)^2 / (4 q)``, and for ``q <= p`` it is the launch rate ``m p``.

    Args:
        p: Coefficient of innovation, per unit time. Must be > 0.
        q: Coefficient of imitation, per unit time. Must be >= 0.
        m: Market potential, in adopters (default 1, giving a fraction).

    Returns:
        Instantaneous adoption rate at the peak, in adopters per unit time.
        Note that this is a rate; the adoptions within the one period that
        contains the peak (see :func:`bass_adoptions`) are slightly lower.
    """
    _check_pq(p, q)
    if q <= p:
        return float(m * p)
    return float(m * (p + q) ** 2 / (4.0 * q))
