"""What every part of the validation report is made of: the verdict rule and its pieces.

**The verdict rule, written once.** A claim is stated as a :class:`Region` in which an estimate
must lie ("paired difference > 0", "relative gain >= 0.5", "week in [13, 26]"). The estimate is a
mean over replications with the project's one interval (``sim.outputs.intervals``: a 95%
expanded percentile bootstrap over replications). The verdict (:func:`verdict`) is *supported* when the
whole interval lies inside the region, *contradicted* when it lies entirely outside it, and
*inconclusive* otherwise (also when there is no interval). A claim made of several parts holds
only if every part does (:func:`combine`).

**Stability.** Every claim is judged on two independent sets of seeds and on the pooled
replications (:func:`judge`); the report gives the pooled verdict and says whether each set alone
gives the same one (:attr:`Judged.stable`).

Also here: a report :class:`Section`, markdown tables, shipped scenarios and saving figures, so
that the modules of the report's sections (``sim.validation.report_*``) share one definition of
each and import nothing from one another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.scenario import Scenario, load_scenario
from sim.outputs.intervals import METHOD, NO_INTERVAL, mean_interval

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"

SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"
VERDICTS = (SUPPORTED, CONTRADICTED, INCONCLUSIVE)
RULE = (
    f"Verdicts: *supported* when the whole 95% interval of the estimate ({METHOD}) lies inside the "
    "claim's region, *contradicted* when it lies entirely outside it, *inconclusive* otherwise "
    f"(also when there is no interval: {NO_INTERVAL}). A claim with several parts is supported "
    "only if every part is, contradicted if any part is."
)
"""The rule in words, printed at the top of the report."""


@dataclass(frozen=True)
class Region:
    """Where an estimate must lie for a claim to hold: one interval of the real line.

    Attributes:
        low, high: its ends (``-inf`` / ``inf`` for a one-sided region).
        low_open, high_open: whether an end itself is outside the region ("> 0" is open at 0).
    """

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def __post_init__(self) -> None:
        if math.isnan(self.low) or math.isnan(self.high) or self.low > self.high:
            raise ValueError(f"region [{self.low}, {self.high}] is empty")

    def holds(self, x: float) -> bool:
        """Whether the point ``x`` lies in the region."""
        above = x > self.low if self.low_open else x >= self.low
        below = x < self.high if self.high_open else x <= self.high
        return bool(above and below)

    def below(self, x: float) -> bool:
        """Whether ``x`` lies below the whole region."""
        return bool(x <= self.low if self.low_open else x < self.low)

    def above(self, x: float) -> bool:
        """Whether ``x`` lies above the whole region."""
        return bool(x >= self.high if self.high_open else x > self.high)

    def text(self, scale: float = 1.0, unit: str = "") -> str:
        """The region as text, e.g. ``> 0``, ``>= 50%`` or ``in [13, 26]`` (values x ``scale``)."""

        def n(v: float) -> str:
            return f"{v * scale:,.4g}{unit}"

        if self.low == -math.inf and self.high == math.inf:
            return "any value"
        if self.high == math.inf:
            return f"{'>' if self.low_open else '>='} {n(self.low)}"
        if self.low == -math.inf:
            return f"{'<' if self.high_open else '<='} {n(self.high)}"
        return (
            f"in {'(' if self.low_open else '['}{n(self.low)}, {n(self.high)}{')' if self.high_open else ']'}"
        )


def greater(x: float, or_equal: bool = False) -> Region:
    """The region ``> x`` (or ``>= x``)."""
    return Region(low=x, low_open=not or_equal)


def less(x: float, or_equal: bool = False) -> Region:
    """The region ``< x`` (or ``<= x``)."""
    return Region(high=x, high_open=not or_equal)


def within(low: float, high: float) -> Region:
    """The closed region ``[low, high]``."""
    return Region(low=low, high=high)


def verdict(low: float, high: float, region: Region) -> str:
    """The verdict rule: interval ``[low, high]`` inside ``region``, outside it, or neither.

    A missing (nan) interval is inconclusive; ``low > high`` is an error.
    """
    if not (np.isfinite(low) and np.isfinite(high)):
        return INCONCLUSIVE
    if low > high:
        raise ValueError(f"interval [{low}, {high}] has its ends the wrong way round")
    if region.holds(low) and region.holds(high):  # a region is convex: the whole interval is in
        return SUPPORTED
    if region.below(high) or region.above(low):
        return CONTRADICTED
    return INCONCLUSIVE


def combine(verdicts: list[str] | tuple[str, ...]) -> str:
    """The verdict of a claim made of parts that must all hold."""
    if not verdicts:
        return INCONCLUSIVE
    if any(v == CONTRADICTED for v in verdicts):
        return CONTRADICTED
    if all(v == SUPPORTED for v in verdicts):
        return SUPPORTED
    return INCONCLUSIVE


def number(v: float, digits: int = 3) -> str:
    """A figure for a table: no decimals from 1,000 up (thousands separated), else ``digits`` digits."""
    if not np.isfinite(v):
        return "n/a"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.{digits}g}"


@dataclass(frozen=True)
class Estimate:
    """A mean over replications and its 95% interval (nan bounds without an interval)."""

    mean: float
    low: float
    high: float
    n: int

    def text(self, scale: float = 1.0, unit: str = "", digits: int = 3) -> str:
        """``mean [low, high]`` (values x ``scale``), or the mean and why there is no interval."""

        def n(v: float) -> str:
            return number(v * scale, digits) + unit

        if not np.isfinite(self.mean):
            return "n/a"
        if not (np.isfinite(self.low) and np.isfinite(self.high)):
            return f"{n(self.mean)} (no interval)"
        return f"{n(self.mean)} [{n(self.low)}, {n(self.high)}]"


def estimate(values: Any) -> Estimate:
    """Mean and 95% interval of per-replication values (nan values are left out)."""
    v = np.asarray(values, dtype=float).ravel()
    m, lo, hi = mean_interval(v) if len(v) else (math.nan, math.nan, math.nan)
    return Estimate(m, lo, hi, int(np.isfinite(v).sum()))


@dataclass(frozen=True)
class Judged:
    """A claim's verdict from the pooled replications and from each seed set alone.

    Attributes:
        pooled, first, second: verdicts from both sets together, the first set, the second set.
        estimates: the pooled estimate of each part of the claim.
    """

    pooled: str
    first: str
    second: str
    estimates: tuple[Estimate, ...] = field(default_factory=tuple)

    @property
    def stable(self) -> bool:
        """Whether each set alone gives the pooled verdict."""
        return self.first == self.second == self.pooled

    @property
    def stability(self) -> str:
        """``stable``, or which verdict each set gives."""
        return "stable" if self.stable else f"flips (set 1: {self.first}; set 2: {self.second})"


def judge(first: Any, second: Any, region: Region) -> Judged:
    """Judge per-replication values of two independent seed sets against ``region``."""
    a = np.asarray(first, dtype=float).ravel()
    b = np.asarray(second, dtype=float).ravel()
    pooled = estimate(np.concatenate([a, b]))
    ea, eb = estimate(a), estimate(b)
    return Judged(
        verdict(pooled.low, pooled.high, region),
        verdict(ea.low, ea.high, region),
        verdict(eb.low, eb.high, region),
        (pooled,),
    )


def judge_all(parts: list[Judged]) -> Judged:
    """A claim whose parts must all hold: each verdict combined over the parts."""
    return Judged(
        combine([p.pooled for p in parts]),
        combine([p.first for p in parts]),
        combine([p.second for p in parts]),
        tuple(e for p in parts for e in p.estimates),
    )


@dataclass
class Section:
    """One part of the report.

    Attributes:
        title: heading.
        claim: the pattern or claim, stated so that it can fail.
        verdict: one of :data:`VERDICTS` (``pass``/``fail`` for the docking checks).
        evidence: one line for the summary table.
        body: markdown paragraphs and tables.
        figures: file names under the figures folder.
        stability: whether each seed set alone gives the verdict (empty for the docking checks).
        flips: (verdicts that differ between the seed sets, verdicts) over a claim's regimes.
    """

    title: str
    claim: str
    verdict: str
    evidence: str
    body: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    stability: str = ""
    flips: tuple[int, int] = (0, 0)


def md_table(df: pd.DataFrame) -> str:
    """A DataFrame as a markdown table (strings as given, floats to 3 significant digits)."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in df.iterrows():
        cells = []
        for v in row:
            if isinstance(v, float | np.floating):
                cells.append("n/a" if not np.isfinite(v) else f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def scenario(name: str, fallback: str = "baseline", overrides: dict[str, Any] | None = None) -> Scenario:
    """A shipped scenario, or ``fallback`` with ``overrides`` if it is missing."""
    path = SCENARIOS / f"{name}.toml"
    if path.is_file():
        return load_scenario(path)
    sc = load_scenario(SCENARIOS / f"{fallback}.toml")
    return sc.with_overrides(overrides or {})


def savefig(fig: Any, figdir: Path, name: str) -> str:
    """Save ``fig`` as ``figdir / name`` and close it; returns ``name`` for :attr:`Section.figures`."""
    fig.tight_layout()
    fig.savefig(figdir / name, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return name
