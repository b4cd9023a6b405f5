"""Calibrate the Bass diffusion model to an observed adoption series.

Reads a small CSV of per-period (or cumulative) adoptions, validates it, and
fits the continuous Bass (1969) model by non-linear least squares on
per-period adoptions, following Srinivasan & Mason (1986), "Nonlinear Least
Squares Estimation of New Product Diffusion Models", Marketing Science 5(2):
169-178::

    adoptions(t) = m * (F(t) - F(t-1)),   t = 1..n

with ``F`` the closed-form Bass cumulative fraction
(:func:`sim.validation.bass.closed_form_bass`). Starting values come from Bass's (1969)
OLS regression of per-period sales on lagged cumulative sales and its square,
plus a small grid of restarts; the fit with the lowest residual sum of
squares wins.

Time convention: the first observed period is taken as period 1 of the
diffusion, i.e. launch (``t = 0``) is the start of the first row. If the
product launched before the first observed period the fitted ``p`` absorbs
that (the same convention as Srinivasan & Mason 1986).
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeWarning, curve_fit

from sim.validation.bass import bass_adoptions, peak_adoptions, peak_time
from sim.validation.periods import TIME_COLUMNS, PeriodError, find_periods, time_axis

__all__ = [
    "BassFit",
    "CalibrationError",
    "fit_bass",
    "read_adoption_series",
    "synthetic_series",
]

MIN_PERIODS = 4
"""Fewest periods accepted: three parameters need at least one residual dof."""


class CalibrationError(ValueError):
    """Bad adoption data or a failed calibration.

    The message is a single line naming the file (or ``<data>`` for in-memory
    arrays), the column where relevant, and the problem, e.g.
    ``data.csv: column 'adoptions': negative value -3 in row 4 (line 9)``.

    Attributes:
        source: File name (or ``<data>``) the error refers to.
        column: Column name, or ``None`` if the problem is not column specific.
        problem: Description of the problem.
    """

    def __init__(self, source: str, problem: str, column: str | None = None) -> None:
        """Build the one-line message.

        Args:
            source: File name (or ``<data>``) the error refers to.
            problem: Description of the problem (one line).
            column: Column name, if the problem is in one column.
        """
        self.source = source
        self.column = column
        self.problem = problem
        where = f"{source}: column '{column}': " if column else f"{source}: "
        super().__init__((where + problem).replace("\n", " "))


# --------------------------------------------------------------------------
# Reading data
# --------------------------------------------------------------------------


def _parse_number(text: str) -> float | None:
    """Parse one CSV cell as a finite float.

    Args:
        text: Raw cell text.

    Returns:
        The value, or ``None`` if the cell is not a finite number.
    """
    try:
        value = float(text.strip().replace("_", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_adoption_series(path: str | Path) -> pd.DataFrame:
    """Read and validate an adoption series CSV.

    The file has a header row, a time column and either ``adoptions`` (new
    adopters in each period) or ``cumulative`` (total adopters up to the end
    of each period; converted to per-period adoptions with the first row's
    cumulative taken as that period's adoptions). If both are present
    ``adoptions`` is used. The time column is ``period`` (numbers or ISO
    dates), else ``date``, ``week``, ``month``, ``quarter`` or ``year``
    (``year`` with ``month`` or ``quarter`` is read as one step per month or
    quarter); what it and the comments say about the length of a period is
    kept for :func:`sim.validation.periods.choose_period`. Other columns are
    ignored. Lines whose first non-blank character is ``#`` are comments (the
    bundled data files cite their source there); blank lines are skipped.

    Rows are numbered from 1 at the first data row after the header; line
    numbers count every physical line of the file from 1.

    Args:
        path: Path to the CSV file.

    Returns:
        DataFrame with columns ``period`` (float, strictly increasing; the
        period label, e.g. a year or week number; 1..n for dates), ``adoptions`` (float,
        adopters per period, >= 0) and ``cumulative`` (float, adopters to
        date). ``df.attrs`` holds ``source`` (the path as a string),
        ``comments`` (the comment lines, without the leading ``#``),
        ``labels`` (the time column as written, one string per row) and
        ``periods`` (the :class:`~sim.validation.periods.Period` s the data
        state; empty if they say nothing, several if they disagree).

    Raises:
        CalibrationError: If the file is missing or unreadable, a column is
            missing, there are fewer than 4 periods, a value is missing or
            not numeric, an adoption is negative, the cumulative column
            decreases, all adoptions are zero, or periods are not strictly
            increasing.
    """
    path = Path(path)
    name = path.name or str(path)
    if not path.is_file():
        raise CalibrationError(name, f"file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationError(name, f"cannot read file ({exc})") from exc

    comments: list[str] = []
    data_lines: list[tuple[int, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            comments.append(stripped[1:].strip())
            continue
        data_lines.append((lineno, line))
    if not data_lines:
        raise CalibrationError(name, "no header row and no data (file is empty)")

    header = [h.strip().lower() for h in next(csv.reader([data_lines[0][1]]))]
    time_names = [c for c in TIME_COLUMNS if c in header]
    if not time_names:
        raise CalibrationError(
            name,
            "missing required column: need 'period' or a time column 'date', 'year', 'quarter', "
            f"'month' or 'week' (found columns: {header})",
            "period",
        )
    if "adoptions" in header:
        value_col = "adoptions"
    elif "cumulative" in header:
        value_col = "cumulative"
    else:
        raise CalibrationError(
            name,
            f"missing column: need 'adoptions' or 'cumulative' (found columns: {header})",
            "adoptions",
        )
    i_value = header.index(value_col)

    cells_of: dict[str, list[str]] = {c: [] for c in time_names}
    values: list[float] = []
    rows = list(csv.reader(io.StringIO("\n".join(line for _, line in data_lines[1:]))))
    for row_no, (cells, (lineno, _)) in enumerate(zip(rows, data_lines[1:], strict=True), 1):
        where = f"in row {row_no} (line {lineno})"
        for col in [*time_names, value_col]:
            idx = header.index(col)
            if idx >= len(cells) or not cells[idx].strip():
                raise CalibrationError(name, f"missing value {where}", col)
            if col in cells_of:
                cells_of[col].append(cells[idx].strip())
        value = _parse_number(cells[i_value])
        if value is None:
            raise CalibrationError(name, f"non-numeric value {cells[i_value].strip()!r} {where}", value_col)
        values.append(value)

    n = len(values)
    if n < MIN_PERIODS:
        raise CalibrationError(name, f"only {n} period(s); need at least {MIN_PERIODS}", time_names[0])
    try:
        axis = time_axis(cells_of)
    except PeriodError as exc:
        row = f" in row {exc.row} (line {data_lines[exc.row][0]})" if exc.row else ""
        raise CalibrationError(name, exc.problem + row, exc.column) from None
    periods = axis.labels
    for i in range(1, n):
        if periods[i] <= periods[i - 1]:
            raise CalibrationError(
                name,
                f"periods not strictly increasing: {axis.display[i]} after "
                f"{axis.display[i - 1]} in row {i + 1} (line {data_lines[i + 1][0]})",
                axis.column,
            )

    vals = np.asarray(values, dtype=float)
    for i, v in enumerate(vals):
        if v < 0:
            raise CalibrationError(
                name,
                f"negative value {v:g} in row {i + 1} (line {data_lines[i + 1][0]})",
                value_col,
            )
    if value_col == "cumulative":
        for i in range(1, n):
            if vals[i] < vals[i - 1]:
                raise CalibrationError(
                    name,
                    f"cumulative decreases from {vals[i - 1]:g} to {vals[i]:g} "
                    f"in row {i + 1} (line {data_lines[i + 1][0]})",
                    value_col,
                )
        adoptions = np.diff(vals, prepend=0.0)
    else:
        adoptions = vals
    if not np.any(adoptions > 0):
        raise CalibrationError(name, "all values are zero (no adoptions)", value_col)

    df = pd.DataFrame(
        {
            "period": np.asarray(periods, dtype=float),
            "adoptions": adoptions,
            "cumulative": np.cumsum(adoptions),
        }
    )
    df.attrs["source"] = str(path)
    df.attrs["comments"] = comments
    df.attrs["labels"] = axis.display
    df.attrs["periods"] = find_periods(axis, cells_of, comments)
    return df


# --------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class BassFit:
    """Result of :func:`fit_bass`.

    Attributes:
        p: Coefficient of innovation, per period.
        q: Coefficient of imitation, per period.
        m: Market potential, in adopters (same unit as the data).
        p_se: Asymptotic standard error of ``p`` (per period); ``nan`` if
            unavailable.
        q_se: Asymptotic standard error of ``q`` (per period).
        m_se: Asymptotic standard error of ``m`` (adopters).
        r2: Coefficient of determination on per-period adoptions
            (1 - SSE/SST), dimensionless.
        peak_period: Peak time ``t* = ln(q/p)/(p+q)`` of the fitted curve, in
            periods since launch (launch = start of the first observed period,
            so the first row covers ``(0, 1]``); 0 if ``q <= p``.
        peak_adoptions: Fitted adoption rate at the peak, ``m (p+q)^2/(4q)``,
            in adopters per period (``m p`` if ``q <= p``).
        n_periods: Number of periods fitted.
    """

    p: float
    q: float
    m: float
    p_se: float
    q_se: float
    m_se: float
    r2: float
    peak_period: float
    peak_adoptions: float
    n_periods: int

    def to_dict(self) -> dict[str, float | int]:
        """Return the fit as a plain dict (JSON-serialisable).

        Returns:
            Dict with keys ``p, q, m, p_se, q_se, m_se, r2, peak_period,
            peak_adoptions, n_periods``.
        """
        return asdict(self)


def _as_series(periods: ArrayLike, adoptions: ArrayLike, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate in-memory arrays for :func:`fit_bass`.

    Args:
        periods: Period labels.
        adoptions: Adopters per period.
        source: Name used in error messages.

    Returns:
        Tuple ``(t, y)``: time index 1..n relative to the first period, and
        adoptions, both float arrays.

    Raises:
        CalibrationError: On bad input.
    """
    try:
        per = np.asarray(periods, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise CalibrationError(source, f"non-numeric values ({exc})", "period") from exc
    try:
        y = np.asarray(adoptions, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise CalibrationError(source, f"non-numeric values ({exc})", "adoptions") from exc
    if per.size != y.size:
        raise CalibrationError(source, f"{per.size} periods but {y.size} adoption values", "adoptions")
    if per.size < MIN_PERIODS:
        raise CalibrationError(source, f"only {per.size} period(s); need at least {MIN_PERIODS}", "period")
    if not np.all(np.isfinite(per)):
        raise CalibrationError(source, "non-finite value", "period")
    if not np.all(np.isfinite(y)):
        raise CalibrationError(source, "non-finite value", "adoptions")
    if np.any(np.diff(per) <= 0):
        raise CalibrationError(source, "periods not strictly increasing", "period")
    if np.any(y < 0):
        raise CalibrationError(source, "negative value", "adoptions")
    if not np.any(y > 0):
        raise CalibrationError(source, "all values are zero (no adoptions)", "adoptions")
    return per - per[0] + 1.0, y


def _ols_start(y: np.ndarray) -> tuple[float, float, float] | None:
    """Bass (1969) OLS starting values.

    Regress ``s_t = a + b Y_{t-1} + c Y_{t-1}^2`` (``Y`` cumulative sales)
    and solve ``m = (-b - sqrt(b^2 - 4ac)) / (2c)``, ``p = a/m``, ``q = -c m``.

    Args:
        y: Adopters per period.

    Returns:
        ``(p, q, m)``, or ``None`` if the regression gives an infeasible
        solution (e.g. ``c >= 0`` or ``p <= 0``).
    """
    cum_lag = np.concatenate(([0.0], np.cumsum(y)[:-1]))
    design = np.column_stack([np.ones_like(cum_lag), cum_lag, cum_lag**2])
    try:
        (a, b, c), *_ = np.linalg.lstsq(design, y, rcond=None)
    except np.linalg.LinAlgError:
        return None
    disc = b * b - 4.0 * a * c
    if c >= 0 or disc < 0:
        return None
    m = (-b - math.sqrt(disc)) / (2.0 * c)
    if not (m > 0 and math.isfinite(m)):
        return None
    p, q = a / m, -c * m
    if p <= 0 or q < 0:
        return None
    return float(p), float(q), float(m)


def fit_bass(periods: ArrayLike, adoptions: ArrayLike, *, source: str = "<data>") -> BassFit:
    """Fit the Bass model by non-linear least squares (Srinivasan & Mason 1986).

    Minimises ``sum_t (y_t - m (F(t) - F(t-1)))^2`` over ``p > 0``,
    ``q >= 0`` and ``m >= sum(y)`` with :func:`scipy.optimize.curve_fit`
    (trust-region reflective). Starts from the Bass (1969) OLS estimates when
    they are feasible, plus a grid of restarts; keeps the lowest SSE.

    Args:
        periods: Period labels, strictly increasing (e.g. years 1949..1961 or
            week numbers). Only their offsets from the first label matter:
            ``t = period - period[0] + 1``.
        adoptions: New adopters in each period (>= 0, not all zero).
        source: Name used in error messages (e.g. the CSV file name).

    Returns:
        The fitted :class:`BassFit`. Standard errors are the usual asymptotic
        NLS ones, ``sqrt(diag(s^2 (J^T J)^-1))`` with
        ``s^2 = SSE/(n-3)``; they are unreliable when a parameter sits on a
        bound (notably ``m`` at the observed cumulative total, i.e. when the
        series has not yet turned down) and ``nan`` if ``J`` is singular.

    Raises:
        CalibrationError: If the input is invalid or no start converges.
    """
    t, y = _as_series(periods, adoptions, source)
    total = float(y.sum())
    lower = np.array([1e-9, 0.0, total])
    upper = np.array([np.inf, np.inf, np.inf])

    starts: list[tuple[float, float, float]] = []
    ols = _ols_start(y)
    if ols is not None:
        starts.append(ols)
    for p0 in (0.001, 0.01, 0.05):
        for q0 in (0.05, 0.3, 0.8):
            for mult in (1.2, 3.0):
                starts.append((p0, q0, mult * total))

    def model(tt: np.ndarray, p: float, q: float, m: float) -> np.ndarray:
        return bass_adoptions(p, q, m, tt)

    best: tuple[float, np.ndarray, np.ndarray] | None = None
    last_error: Exception | None = None
    for p0, q0, m0 in starts:
        x0 = np.clip(
            np.array([p0, q0, m0], dtype=float),
            lower * (1 + 1e-6) + np.array([0.0, 1e-9, 1e-9 * total]),
            None,
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OptimizeWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                popt, pcov = curve_fit(
                    model,
                    t,
                    y,
                    p0=x0,
                    bounds=(lower, upper),
                    method="trf",
                    x_scale="jac",
                    max_nfev=5000,
                )
        except (RuntimeError, ValueError, FloatingPointError) as exc:
            last_error = exc
            continue
        resid = y - model(t, *popt)
        sse = float(resid @ resid)
        if not math.isfinite(sse):
            continue
        if best is None or sse < best[0] * (1 - 1e-12):
            best = (sse, popt, pcov)
    if best is None:
        raise CalibrationError(source, f"NLS fit did not converge ({last_error})")

    sse, popt, pcov = best
    p, q, m = (float(v) for v in popt)
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diag(pcov)) if np.all(np.isfinite(pcov)) else np.full(3, np.nan)
    sst = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - sse / sst if sst > 0 else float("nan")
    return BassFit(
        p=p,
        q=q,
        m=m,
        p_se=float(se[0]),
        q_se=float(se[1]),
        m_se=float(se[2]),
        r2=float(r2),
        peak_period=peak_time(p, q),
        peak_adoptions=peak_adoptions(p, q, m),
        n_periods=int(y.size),
    )


def synthetic_series(
    p: float,
    q: float,
    m: float,
    periods: int | ArrayLike,
    noise_sd: float,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Generate a noisy Bass adoption series (for tests and demos).

    Expected adoptions are :func:`sim.validation.bass.bass_adoptions`; independent
    Gaussian noise with standard deviation ``noise_sd`` (adopters) is added
    and the result clipped at 0 (choose ``noise_sd`` well below the smallest
    expected value if the clipping bias matters).

    Args:
        p: Coefficient of innovation, per period.
        q: Coefficient of imitation, per period.
        m: Market potential, in adopters.
        periods: Number of periods ``n`` (giving periods 1..n) or an array of
            period numbers.
        noise_sd: Standard deviation of additive noise, in adopters per period.
        rng: A numpy ``Generator``, or a seed for :func:`numpy.random.default_rng`.

    Returns:
        DataFrame with columns ``period``, ``adoptions`` and ``cumulative``,
        like :func:`read_adoption_series`.
    """
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if np.ndim(periods) == 0:
        t = np.arange(1, int(periods) + 1, dtype=float)
    else:
        t = np.asarray(periods, dtype=float)
    if noise_sd < 0:
        raise ValueError(f"noise_sd must be >= 0, got {noise_sd!r}")
    y = bass_adoptions(p, q, m, t) + gen.normal(0.0, noise_sd, size=t.shape)
    y = np.clip(y, 0.0, None)
    return pd.DataFrame({"period": t, "adoptions": y, "cumulative": np.cumsum(y)})
