"""What every part of the validation report is made of, and how it is computed.

A :class:`Section` (a claim, a verdict and its evidence), the verdict words, the 95% intervals
over replications (:func:`ci`, :func:`fmt_ci`), markdown tables, and the runs behind them: a
shipped scenario (:func:`scenario`), every arm x replication with the seeds of ``commsim run``
(:func:`run_tables`), one value per replication (:func:`per_rep`) and saving a figure. Kept apart
so that the modules of the report's sections (``sim.validation.report_*``) share one definition
of each and import nothing from one another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.scenario import Scenario, arms, load_scenario
from sim.core.model import CommunityModel
from sim.runs.runner import replication_seeds, strategy_table

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"

SUPPORTED, PARTLY, NOT_SUPPORTED = "supported", "partly supported", "not supported"


@dataclass
class Section:
    """One part of the report.

    Attributes:
        title: heading.
        claim: the pattern or claim, stated so that it can fail.
        verdict: ``supported`` / ``partly supported`` / ``not supported`` (or ``pass``/``fail``).
        evidence: one line for the summary table.
        body: markdown paragraphs and tables.
        figures: file names under the figures folder.
    """

    title: str
    claim: str
    verdict: str
    evidence: str
    body: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)


def ci(values: np.ndarray | list[float]) -> tuple[float, float]:
    """Mean and half-width of a 95% t interval over replications."""
    from scipy.stats import t as t_dist

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return (float(v.mean()) if len(v) else float("nan"), float("nan"))
    return float(v.mean()), float(t_dist.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))


def fmt_ci(values: np.ndarray | list[float], digits: int = 2, pct: bool = False) -> str:
    """``mean ± half-width`` as text."""
    m, h = ci(values)
    k = 100.0 if pct else 1.0
    unit = "%" if pct else ""
    return f"{m * k:.{digits}f}{unit} ± {h * k:.{digits}f}{unit}"


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


def run_tables(
    sc: Scenario, reps: int, steps: int | None = None, keep_models: bool = False, log: Any = None
) -> tuple[pd.DataFrame, list[tuple[str, int, CommunityModel]]]:
    """Run every arm x replication of ``sc`` (seeds as ``commsim run``); return the strategy table.

    Returns:
        ``(strategy_timeseries, models)``; ``models`` holds ``(arm, replication, model)`` when
        ``keep_models`` is set (for per-customer arrays), else is empty.
    """
    seeds = replication_seeds(sc.data["run"]["seed"], reps)
    steps = steps or sc.data["run"]["steps"]
    tables, models = [], []
    for r, s in enumerate(seeds):
        for arm_name, arm in arms(sc):
            m = CommunityModel(arm, seed=s)
            m.run(steps)
            df = m.recorder.table()
            df.insert(0, "seed", s)
            df.insert(0, "replication", r)
            df.insert(0, "arm", arm_name)
            df.insert(0, "run_id", f"{arm_name}-r{r}")
            tables.append(df)
            if keep_models:
                models.append((arm_name, r, m))
    if log:
        log(f"  {sc.name}: {len(tables)} runs of {steps} weeks")
    return strategy_table(pd.concat(tables, ignore_index=True)), models


def per_rep(
    st: pd.DataFrame,
    strategy: str,
    column: str,
    weeks: tuple[int, int],
    how: str = "sum",
    arm: str | None = None,
) -> pd.Series:
    """A column of one strategy over a window of weeks, one value per replication."""
    sel = (st["strategy"] == strategy) & st["step"].between(*weeks)
    if arm is not None:
        sel &= st["arm"] == arm
    g = st[sel].groupby("replication")[column]
    return g.sum() if how == "sum" else g.mean()


def savefig(fig: Any, figdir: Path, name: str) -> str:
    """Save ``fig`` as ``figdir / name`` and close it; returns ``name`` for :attr:`Section.figures`."""
    fig.tight_layout()
    fig.savefig(figdir / name, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return name
