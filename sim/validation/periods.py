"""The period of an adoption series: how many weeks one row of the data stands for.

A Bass fit is per period of the data while the simulator steps in weeks, so turning a fitted
curve into weekly coefficients and a horizon needs the length of a period. Read as weekly, an
annual series of 13 years becomes a 13-week scenario; so the period is read from the data and,
when the data do not say, asked for (``--weeks-per-period``), never assumed. Sources, explicit
ones first:

* the time column's name: ``year``, ``quarter``, ``month``, ``week`` or ``day`` (or ``year``
  with ``month`` or ``quarter``, read together as one month or quarter per step);
* ISO dates (``1999-01-31`` or ``1999-01``) in the time column, evenly spaced: the spacing;
* beside a ``period`` column, one of the columns above that advances evenly with it;
* a comment line ``# period: 1 year`` (``quarter``, ``month``, ``2 weeks``, ...) or
  ``# weeks per period: 52``;
* only when none of these is there: a ``period`` column of consecutive whole numbers within
  1800..2100, read as calendar years (the bundled ``docs/data/*.csv`` are written so).

A year is 52 weeks (the simulator's year: its 156-week default is three years), a quarter 13, a
month 52/12 and a day 1/7. Explicit sources that disagree make the period ambiguous; the flag
then decides.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "TIME_COLUMNS",
    "UNIT_WEEKS",
    "Period",
    "PeriodError",
    "TimeAxis",
    "choose_period",
    "find_periods",
    "time_axis",
]

UNIT_WEEKS = {"day": 1 / 7, "week": 1.0, "month": 52 / 12, "quarter": 13.0, "year": 52.0}
"""Weeks in one unit of time, on the simulator's 52-week year."""
TIME_COLUMNS = ("period", "date", "week", "month", "quarter", "year", "day")
"""Column names that can label the rows, in the order one is chosen as the time column."""
YEAR_RANGE = (1800, 2100)
"""Whole numbers in this range, consecutive, in a ``period`` column are read as calendar years."""
_COMMENT = re.compile(
    r"^period\s*[:=]\s*(?:(\d+(?:\.\d+)?)\s*)?(day|week|month|quarter|year)s?\b"
    r"|^weeks?[ _-]per[ _-]period\s*[:=]\s*(\d+(?:\.\d+)?)",
    re.IGNORECASE,
)


class PeriodError(ValueError):
    """A time column that cannot be read, or a period that is missing or ambiguous.

    Attributes:
        problem: One line saying what is wrong.
        column: The column concerned, or ``None``.
        row: Data row (from 1) concerned, or ``None``.
    """

    def __init__(self, problem: str, column: str | None = None, row: int | None = None) -> None:
        """Keep the parts; the caller adds the file name and line."""
        self.problem, self.column, self.row = problem, column, row
        super().__init__(problem)


@dataclass(frozen=True)
class Period:
    """The length of one period (one step of the time column) and where it was read.

    Attributes:
        weeks: Weeks in one period (52 for a year).
        length: The period in words, e.g. ``"1 year"`` or ``"4 weeks"``.
        unit: ``"year"``, ``"quarter"``, ``"month"``, ``"week"`` or ``"day"`` when the period
            is one such unit, else ``None``.
        source: Where it was read, e.g. ``"column 'year'"`` or ``"--weeks-per-period"``.
    """

    weeks: float
    length: str
    unit: str | None
    source: str

    def describe(self) -> str:
        """E.g. ``1 year = 52 weeks, read from column 'year'``."""
        verb = "given by" if self.source.startswith("--") else "read from"
        size = (
            self.length
            if self.length == _weeks_text(self.weeks)
            else f"{self.length} = {_weeks_text(self.weeks)}"
        )
        return f"{size}, {verb} {self.source}"

    @property
    def per(self) -> str:
        """Rate wording for per-period figures: ``per year`` or ``per period of 4 weeks``."""
        return f"per {self.unit}" if self.unit else f"per period of {self.length}"

    @property
    def plural(self) -> str:
        """Name of several periods: ``years`` or ``periods``."""
        return f"{self.unit}s" if self.unit else "periods"

    def to_dict(self) -> dict[str, object]:
        """Plain dict for ``--json``: weeks, length, unit, source and the description."""
        return {
            "weeks": self.weeks,
            "length": self.length,
            "unit": self.unit,
            "source": self.source,
            "text": self.describe(),
        }


@dataclass(frozen=True)
class TimeAxis:
    """The rows' time labels as read from the time column(s).

    Attributes:
        column: Name of the time column (``"year+month"`` for the pair).
        labels: Numeric labels, strictly increasing; the fit uses their offsets as periods.
        display: The labels as shown to the user (the dates as written, or ``1963``).
        period: The period the column itself states (by its name or its dates), or ``None``.
    """

    column: str
    labels: np.ndarray
    display: list[str]
    period: Period | None


def _weeks_text(weeks: float) -> str:
    return f"{weeks:.4g} week" + ("" if weeks == 1 else "s")


def _words(count: float, unit: str) -> str:
    """``1 month`` or ``3 days``."""
    return f"{count:g} {unit}" + ("" if count == 1 else "s")


def _units(count: float, unit: str, source: str) -> Period:
    """``count`` units (``count`` may be 1) as a :class:`Period`."""
    return Period(count * UNIT_WEEKS[unit], _words(count, unit), unit if count == 1 else None, source)


def _numbers(cells: list[str]) -> np.ndarray | None:
    """Cells as floats, or ``None`` if any is not a finite number."""
    try:
        return _parsed(cells, "")
    except PeriodError:
        return None


def _whole(values: np.ndarray, column: str, low: int, high: int) -> np.ndarray:
    for i, v in enumerate(values):
        if v != int(v) or not low <= v <= high:
            raise PeriodError(f"{v:g} is not a whole number within {low}..{high}", column, i + 1)
    return values.astype(int)


def _date_axis(cells: list[str], column: str) -> TimeAxis | None:
    """Evenly spaced ISO dates as a time axis (the spacing is the period), else ``None``."""
    if not all(re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", c.strip()) for c in cells):
        return None
    dates = pd.to_datetime(pd.Series([c.strip() for c in cells]), format="ISO8601", errors="coerce")
    if dates.isna().any():
        bad = int(dates.isna().to_numpy().argmax())
        raise PeriodError(f"{cells[bad].strip()!r} is not a valid date", column, bad + 1)
    months = (dates.dt.year * 12 + dates.dt.month).to_numpy()
    step_m = np.diff(months)
    same_day = dates.dt.day.nunique() == 1 or bool(dates.dt.is_month_end.all())
    days = np.diff(dates.to_numpy().astype("datetime64[D]")).astype(int)
    if np.any(days <= 0):
        bad = int(np.argmax(days <= 0)) + 2
        raise PeriodError(f"dates not strictly increasing: {cells[bad - 1].strip()}", column, bad)
    if same_day and np.all(step_m == step_m[0]) and step_m[0] > 0:
        k = int(step_m[0])
        unit, count = (
            ("year", k // 12) if k % 12 == 0 else ("quarter", k // 3) if k % 3 == 0 else ("month", k)
        )
    elif np.all(days == days[0]):
        d = int(days[0])
        unit, count = ("week", d // 7) if d % 7 == 0 else ("day", d)
    else:
        i = int(np.argmax(days != days[0]))
        raise PeriodError(
            f"dates not evenly spaced: {days[0]} days then {days[i]} days (one row per period is needed)",
            column,
            i + 2,
        )
    period = _units(count, unit, f"column '{column}' (dates spaced {_words(count, unit)})")
    labels = np.arange(1.0, len(cells) + 1)
    return TimeAxis(column, labels, [c.strip() for c in cells], period)


def time_axis(columns: dict[str, list[str]]) -> TimeAxis:
    """Choose and read the time column among the time columns present.

    Args:
        columns: Raw cells of each column of :data:`TIME_COLUMNS` present (at least one).

    Returns:
        The :class:`TimeAxis`; its ``period`` says what the column itself tells.

    Raises:
        PeriodError: A cell that is neither a number nor an ISO date, a month outside 1..12,
            unevenly spaced dates.
    """
    if "period" not in columns and "date" not in columns and "year" in columns:
        for sub, per_year in (("month", 12), ("quarter", 4)):
            if sub in columns:
                years = _whole(_parsed(columns["year"], "year"), "year", -9999, 9999)
                subs = _whole(_parsed(columns[sub], sub), sub, 1, per_year)
                labels = (years * per_year + subs - 1).astype(float)
                fmt = "{}-{:02d}" if sub == "month" else "{}-Q{}"
                display = [fmt.format(y, s) for y, s in zip(years, subs, strict=True)]
                source = f"columns 'year' and '{sub}'"
                return TimeAxis(f"year+{sub}", labels, display, _units(1, sub, source))
    name = next(c for c in TIME_COLUMNS if c in columns)
    cells = columns[name]
    values = _numbers(cells)
    if values is None:
        axis = _date_axis(cells, name)
        if axis is not None:
            return axis
        _parsed(cells, name)  # raises at the first bad cell
    period = _units(1, name, f"column '{name}'") if name in UNIT_WEEKS else None
    return TimeAxis(name, values, [f"{v:g}" for v in values], period)


def _parsed(cells: list[str], column: str) -> np.ndarray:
    """Cells as floats; raises at the first cell that is not a number."""
    out = []
    for i, c in enumerate(cells, 1):
        try:
            v = float(c.strip().replace("_", ""))
        except ValueError:
            v = math.nan
        if not math.isfinite(v):
            raise PeriodError(
                f"non-numeric value {c.strip()!r} (a number or an ISO date such as 1999-01-31 is needed)",
                column,
                i,
            )
        out.append(v)
    return np.array(out)


def find_periods(axis: TimeAxis, columns: dict[str, list[str]], comments: list[str]) -> list[Period]:
    """Every period the data state, explicit sources first; the year guess only if none.

    Args:
        axis: The time axis (from :func:`time_axis`).
        columns: Raw cells of every time column present.
        comments: The file's comment lines, without ``#``.

    Returns:
        The periods found (possibly disagreeing; :func:`choose_period` decides), or ``[]``.
    """
    found = [axis.period] if axis.period else []
    if axis.column == "period":
        others = {k: v for k, v in columns.items() if k != "period"}
        if others:
            try:
                other = time_axis(others)
            except PeriodError:
                other = None
            step = np.diff(other.labels) / np.diff(axis.labels) if other is not None else None
            if other is not None and other.period and np.allclose(step, step[0]) and step[0] > 0:
                p = other.period
                found.append(
                    Period(p.weeks * step[0], _scaled(p, step[0]), p.unit if step[0] == 1 else None, p.source)
                )
    for line in comments:
        match = _COMMENT.match(line.strip())
        if match:
            count, unit, weeks = match.groups()
            source = f"the line '# {line.strip()}'"
            if weeks is not None:
                found.append(Period(float(weeks), _weeks_text(float(weeks)), None, source))
            else:
                found.append(_units(float(count or 1), unit.lower(), source))
    if not found and axis.column in ("period", "date"):
        lab = axis.labels
        if np.all(lab == np.round(lab)) and np.all(np.diff(lab) == 1):
            if YEAR_RANGE[0] <= lab[0] and lab[-1] <= YEAR_RANGE[1]:
                found.append(
                    _units(
                        1,
                        "year",
                        f"column '{axis.column}' (consecutive whole numbers {lab[0]:g}..{lab[-1]:g}, "
                        "taken as calendar years)",
                    )
                )
    return found


def _scaled(p: Period, factor: float) -> str:
    if factor == 1:
        return p.length
    return f"{factor:g} x {p.length}"


def choose_period(found: list[Period], weeks: float | None, source: str) -> Period:
    """The period to use: the flag's if given, else the data's.

    Args:
        found: Periods the data state (:func:`find_periods`).
        weeks: ``--weeks-per-period``, or ``None``.
        source: The data file's name, for the messages.

    Returns:
        The :class:`Period`.

    Raises:
        PeriodError: No period given or found, or the data state different ones.
    """
    how = (
        "give it with --weeks-per-period N (52 yearly, 13 quarterly, 4.333 monthly, 1 weekly), "
        "a column 'year', 'quarter', 'month' or 'week', or a line '# period: 1 year'"
    )
    if weeks is not None:
        return Period(
            float(weeks), _weeks_text(float(weeks)), "week" if weeks == 1 else None, "--weeks-per-period"
        )
    if not found:
        raise PeriodError(f"{source}: the length of a period (a row) could not be found in the data; {how}")
    distinct = {round(p.weeks, 9) for p in found}
    if len(distinct) > 1:
        a, b = found[0], next(p for p in found if round(p.weeks, 9) != round(found[0].weeks, 9))
        raise PeriodError(
            f"{source}: the period is ambiguous: {a.describe()}, but {b.describe()}; "
            "give the right one with --weeks-per-period N"
        )
    return found[0]
