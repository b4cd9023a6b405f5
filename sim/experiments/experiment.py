"""An experiment once read: what it varies, what it compares, what it keeps.

:class:`Experiment` is the checked form of an experiment file: its varied parameters
(:class:`Factor`), its paired comparison (:class:`Compare`) and the measures it may keep. It sits
apart from reading the file (:mod:`sim.experiments.experiment_file`) so that the designs, the sweep
and the analysis can use an experiment without the file's checks. The sweep as a whole is
described in docs/sweeps.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.config.parameters import Param
from sim.config.scenario import Scenario
from sim.runs.runner import MEAN_COLUMNS, SUM_COLUMNS

WEEKLY_MEASURES = tuple(dict.fromkeys((*SUM_COLUMNS, *MEAN_COLUMNS, "survival", "cum_revenue", "cum_profit")))
"""Measures recorded each week per group of businesses (sums of counts and money, means of
rates, ``survival`` = share open, ``cum_revenue``/``cum_profit`` = totals since week 1)."""
RUN_MEASURES = ("momentum_week",)
"""Measures with one value per run and group (weeks: see :func:`sim.core.measures.momentum_week`)."""
MEASURES = WEEKLY_MEASURES + RUN_MEASURES


@dataclass(frozen=True)
class Factor:
    """One varied parameter.

    Attributes:
        key: dotted scenario key, e.g. ``behaviour.word_of_mouth``.
        param: its entry in the parameter table.
        values: the values to use (a values list), or empty for a range.
        low: the range's lower bound (ranges only).
        high: the range's upper bound (ranges only).
    """

    key: str
    param: Param
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def is_range(self) -> bool:
        """Whether this factor is a continuous range (else a list of values)."""
        return not self.values

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map numbers in [0, 1] to this factor's values (ranges linearly, lists by index)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.is_range:
            x = self.low + u * (self.high - self.low)
            return [self.cast(v) for v in x]
        idx = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
        return [self.values[i] for i in idx]

    def cast(self, v: Any) -> Any:
        """A sampled number as the parameter's type (whole numbers rounded)."""
        if self.param.kind == "int":
            return int(round(float(v)))
        if self.param.kind == "float":
            return float(v)
        return v


@dataclass(frozen=True)
class Compare:
    """What the paired comparison subtracts.

    Without arms, ``a`` and ``b`` are strategy groups in the same simulated town (default
    ``community`` minus ``transactional``): both groups live through the same customers and
    random numbers. With arms, ``a`` and ``b`` are arm names (default: the first two arms) run on
    the same seed, and the businesses measured are ``group``: those following that strategy in
    arm ``a`` (default ``community``; ``all`` for the whole town), followed by business id into
    arm ``b``.
    """

    mode: str
    a: str
    b: str
    group: str = "community"

    @property
    def groups(self) -> tuple[str, ...]:
        """Groups of businesses whose series every run records."""
        if self.mode == "arms":
            return ("focal", "all") if self.group != "all" else ("all",)
        return (self.a, self.b, "all")

    @property
    def label(self) -> str:
        """A phrase for reports: what minus what."""
        if self.mode == "arms":
            who = (
                "every business"
                if self.group == "all"
                else f"the businesses that are {self.group!r} in arm {self.a!r}"
            )
            return f"arm {self.a!r} minus arm {self.b!r}, measured on {who}, on the same seeds"
        return f"strategy group {self.a!r} minus {self.b!r} in the same simulated town"


@dataclass
class Experiment:
    """A validated experiment.

    Attributes:
        name: used for the results folder.
        source: the file it came from.
        sha256: hash of the file's bytes (and the base scenario file's), checked on resume.
        base: the base scenario as resolved (with ``[set]`` applied).
        factors: the varied parameters.
        design: ``kind`` and its options (defaults filled in).
        replications: runs per design point and arm.
        measures: measures kept.
        weeks: weeks at which weekly measures are recorded.
        seed: the experiment's seed.
        steps: weeks simulated.
        arms: arm name -> dotted overrides (empty dict: as is).
        compare: the paired comparison.
        text: the file's text, for reports.
    """

    name: str
    source: str
    sha256: str
    base: Scenario
    factors: list[Factor]
    design: dict[str, Any]
    replications: int
    measures: list[str]
    weeks: list[int]
    seed: int
    steps: int
    arms: dict[str, dict[str, Any]]
    compare: Compare
    text: str = ""
    base_path: str = ""
    strategy_maps: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def arm_names(self) -> list[str]:
        """Arms in order (``base`` alone when the file declares none)."""
        return list(self.arms) or ["base"]

    def resolved(self) -> dict[str, Any]:
        """The experiment as resolved, every default filled in (for the manifest)."""
        return {
            "name": self.name,
            "source": self.source,
            "sha256": self.sha256,
            "base_path": self.base_path,
            "base_scenario": self.base.data,
            "base_scenario_sha256": self.base.sha256,
            "parameters": [
                {"key": f.key, "values": list(f.values)}
                if not f.is_range
                else {"key": f.key, "low": f.low, "high": f.high}
                for f in self.factors
            ],
            "design": self.design,
            "replications": self.replications,
            "measures": self.measures,
            "weeks": self.weeks,
            "seed": self.seed,
            "steps": self.steps,
            "arms": {name: self.arm_overrides(name) for name in self.arm_names},
            "compare": {
                "mode": self.compare.mode,
                "a": self.compare.a,
                "b": self.compare.b,
                "group": self.compare.group,
                "paired": self.compare.label,
            },
        }

    def arm_overrides(self, arm: str) -> dict[str, Any]:
        """Dotted overrides that make an arm, with ``strategy_map`` expanded on the base."""
        out = dict(self.arms.get(arm, {}))
        for old, new in self.strategy_maps.get(arm, {}).items():
            for i, b in enumerate(self.base.data["businesses"]):
                if b["strategy"] == old:
                    out.setdefault(f"businesses.{i}.strategy", new)
        return out


__all__ = ["Compare", "Experiment", "Factor"]
