"""Experiment files: schema, validation and design sampling for parameter sweeps.

An experiment file (TOML) names a base scenario, the scenario fields to vary, a design that
places points in that space, replications per point, the measures to keep, the weeks at which
to record them, a seed and, optionally, arms (variants of the town run on the same seeds so
that their comparison is paired). Example::

    name = "smoke"
    base = "../scenarios/baseline.toml"     # or an inline [scenario] table
    replications = 2
    seed = 11
    steps = 52                              # optional: the base scenario's run.steps
    measures = ["revenue", "cum_profit"]    # optional
    weeks = [13, 26, 52]                    # optional: 13, 26, 52, 78 and the last

    [set]                                   # optional: fixed changes to the base scenario
    "population.customers" = 500

    [parameters]
    "behaviour.word_of_mouth" = [0.05, 0.3]                 # values
    "population.price_sensitivity_mean" = {low = 1, high = 4}   # a range

    [design]
    kind = "grid"                           # grid | random | latin_hypercube | sobol | morris
    levels = 3                              # grid: points per range

    [arms.community]                        # as is
    [arms.transactional]                    # every community business made transactional
    strategy_map = {community = "transactional"}

    [compare]                               # optional; see :class:`Compare`
    a = "community"
    b = "transactional"

The three steps of a sweep are kept apart, as in SALib: this module *samples* (the design
points and the run table), :mod:`sim.experiments.sweep` *evaluates* (runs the model) and
:mod:`sim.experiments.analysis` *analyses*. Every problem raises :class:`ScenarioError` with one
line naming the file and the key.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.parameters import PARAMETERS, Param, param_for
from sim.config.scenario import (
    Scenario,
    ScenarioError,
    read_toml,
    resolve,
    scenario_from_dict,
    set_dotted,
)
from sim.runs.runner import MEAN_COLUMNS, SUM_COLUMNS

DESIGN_KINDS = ("grid", "random", "latin_hypercube", "sobol", "morris")
DESIGN_KEYS = {
    "grid": {"levels"},
    "random": {"samples"},
    "latin_hypercube": {"samples"},
    "sobol": {"N", "second_order"},
    "morris": {"trajectories", "levels"},
}
DESIGN_COMMON = {"kind", "target", "target_week"}
TOP_KEYS = {
    "name",
    "base",
    "scenario",
    "set",
    "parameters",
    "design",
    "replications",
    "measures",
    "weeks",
    "seed",
    "steps",
    "arms",
    "compare",
    "description",
}
DEFAULT_WEEKS = (13, 26, 52, 78)
WEEKLY_MEASURES = tuple(dict.fromkeys((*SUM_COLUMNS, *MEAN_COLUMNS, "survival", "cum_revenue", "cum_profit")))
"""Measures recorded each week per group of businesses (sums of counts and money, means of
rates, ``survival`` = share open, ``cum_revenue``/``cum_profit`` = totals since week 1)."""
RUN_MEASURES = ("momentum_week",)
"""Measures with one value per run and group (weeks: see :func:`sim.core.measures.momentum_week`)."""
MEASURES = WEEKLY_MEASURES + RUN_MEASURES
DEFAULT_MEASURES = ("revenue", "customers_active", "cum_profit", "survival", "promoter_score")
MAX_RUNS = 10_000_000


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


def _flatten(table: dict[str, Any], prefix: str = "", leaf_keys: frozenset = frozenset()) -> dict[str, Any]:
    """Flatten nested TOML tables into dotted keys (``a.b = 1`` and ``"a.b" = 1`` read alike)."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v and not (leaf_keys and set(v) <= leaf_keys):
            out.update(_flatten(v, f"{key}.", leaf_keys))
        else:
            out[key] = v
    return out


def param_for_key(key: str, base: dict[str, Any]) -> Param | None:
    """The parameter behind a concrete dotted key, looking up shock kinds in the base scenario."""
    parts = key.split(".")
    if parts[0] == "shocks" and len(parts) == 3 and parts[1].isdigit():
        shocks = base.get("shocks", [])
        i = int(parts[1])
        if i < len(shocks):
            kind = shocks[i]["kind"]
            return PARAMETERS.get(f"shocks.{kind}.{parts[2]}") or PARAMETERS.get(f"shocks.{parts[2]}")
        return None
    if parts[0] == "arms":
        return None
    return param_for(parts)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _factor(key: str, spec: Any, base: Scenario, src: str) -> Factor:
    where = f"{src}: parameters.{key}"
    p = param_for_key(key, base.data)
    if p is None:
        raise ScenarioError(
            f"{where}: unknown parameter key (use dotted scenario keys, e.g. "
            f"behaviour.word_of_mouth, strategies.community.community_time, shocks.0.depth)"
        )
    if p.kind in ("table", "list"):
        raise ScenarioError(f"{where}: this field cannot be swept")
    if isinstance(spec, dict):
        extra = set(spec) - {"low", "high", "values"}
        if extra:
            raise ScenarioError(
                f"{where}.{sorted(extra)[0]}: unknown key (give values = [...] or low and high)"
            )
        if "values" in spec:
            if set(spec) != {"values"}:
                raise ScenarioError(f"{where}: give either values or low and high, not both")
            spec = spec["values"]
        else:
            if "low" not in spec or "high" not in spec:
                raise ScenarioError(f"{where}: a range needs both low and high")
            if p.kind not in ("int", "float"):
                raise ScenarioError(f"{where}: a range needs a numeric parameter; {key} is a {p.kind}")
            lo, hi = spec["low"], spec["high"]
            if not _number(lo) or not _number(hi):
                raise ScenarioError(f"{where}: low and high must be numbers")
            if not lo < hi:
                raise ScenarioError(f"{where}: low ({lo}) must be below high ({hi})")
            if (p.low is not None and lo < p.low) or (p.high is not None and hi > p.high):
                unit = f" {p.unit}" if p.unit else ""
                raise ScenarioError(
                    f"{where}: range {lo:g}-{hi:g} is outside the valid range "
                    f"{_fmt(p.low)}-{_fmt(p.high)}{unit} of {p.key}"
                )
            f = Factor(key, p, (), float(lo), float(hi))
            for v in (lo, hi):
                _check_override(base, key, f.cast(v), where)
            return f
    if not isinstance(spec, list) or not spec:
        raise ScenarioError(
            f"{where}: expected a non-empty list of values or a range {{low = ..., high = ...}}"
        )
    if len(set(map(repr, spec))) != len(spec):
        raise ScenarioError(f"{where}: a value appears twice")
    values = []
    for v in spec:
        if p.kind == "float" and _is_int(v):
            v = float(v)
        _check_override(base, key, v, f"{where}")
        values.append(v)
    return Factor(key, p, tuple(values))


def _fmt(x: float | None) -> str:
    return "-inf" if x is None else f"{x:g}"


def _check_override(base: Scenario, key: str, value: Any, where: str) -> None:
    """Apply one override to the base scenario, turning any problem into a line naming ``where``."""
    raw = copy.deepcopy(base.data)
    try:
        set_dotted(raw, key, value, base.source)
        resolve(raw, base.source)
    except ScenarioError as exc:
        detail = str(exc).split(": ", 1)[-1]
        raise ScenarioError(f"{where}: {value!r}: {detail}") from None


def _positive_int(value: Any, where: str, minimum: int = 1) -> int:
    if not _is_int(value) or value < minimum:
        raise ScenarioError(f"{where}: expected a whole number of at least {minimum}, got {value!r}")
    return value


def load_experiment(path: str | os.PathLike) -> Experiment:
    """Read and validate an experiment file."""
    raw = read_toml(path)
    text = Path(path).read_text(encoding="utf-8")
    return experiment_from_dict(raw, str(path), text=text)


def experiment_from_dict(raw: dict[str, Any], source: str = "<inline>", text: str = "") -> Experiment:
    """Validate an experiment given as a dict (as a TOML file gives it)."""
    src = source
    for key in raw:
        if key not in TOP_KEYS:
            import difflib

            m = difflib.get_close_matches(key, sorted(TOP_KEYS), n=1)
            hint = f" (did you mean {m[0]!r}?)" if m else f" (known: {', '.join(sorted(TOP_KEYS))})"
            raise ScenarioError(f"{src}: {key}: unknown key{hint}")
    # Base scenario.
    if ("base" in raw) == ("scenario" in raw):
        raise ScenarioError(
            f'{src}: base: give the base scenario as base = "FILE.toml" or as an '
            f"inline [scenario] table (exactly one)"
        )
    base_dir = Path(source).resolve().parent if source != "<inline>" else Path.cwd()
    digest = hashlib.sha256(text.encode() if text else repr(sorted(raw.items())).encode())
    base_path = ""
    if "base" in raw:
        if not isinstance(raw["base"], str):
            raise ScenarioError(f"{src}: base: expected the path of a scenario file")
        bp = Path(raw["base"])
        bp = bp if bp.is_absolute() else base_dir / bp
        if not bp.is_file():
            raise ScenarioError(f"{src}: base: no such scenario file {raw['base']}")
        base_path = str(bp)
        try:
            base_raw = read_toml(bp)
        except ScenarioError as exc:
            raise ScenarioError(f"{src}: base: {exc}") from None
        digest.update(bp.read_bytes())
        scen_source = str(bp)
    else:
        base_raw = raw["scenario"]
        if not isinstance(base_raw, dict):
            raise ScenarioError(f"{src}: scenario: expected a table")
        scen_source = f"{src}: scenario"
    fixed = raw.get("set", {})
    if not isinstance(fixed, dict):
        raise ScenarioError(f"{src}: set: expected a table of dotted keys")
    fixed = _flatten(fixed)
    base_raw = copy.deepcopy(base_raw)
    if base_raw.get("arms"):
        raise ScenarioError(
            f"{src}: base: the base scenario declares [[arms]]; declare arms in the experiment file instead"
        )
    try:
        for key, value in fixed.items():
            set_dotted(base_raw, key, value, f"{src}: set")
        base = scenario_from_dict(base_raw, scen_source)
    except ScenarioError as exc:
        raise ScenarioError(f"{src}: {exc}" if not str(exc).startswith(src) else str(exc)) from None

    name = raw.get("name", Path(source).stem if source != "<inline>" else "sweep")
    if not isinstance(name, str) or not name or "/" in name:
        raise ScenarioError(f"{src}: name: expected a short name without '/'")
    reps = raw.get("replications", base.data["run"]["replications"])
    reps = _positive_int(reps, f"{src}: replications")
    seed = raw.get("seed", base.data["run"]["seed"])
    if not _is_int(seed) or seed < 0:
        raise ScenarioError(f"{src}: seed: expected a whole number >= 0, got {seed!r}")
    steps = _positive_int(raw.get("steps", base.data["run"]["steps"]), f"{src}: steps")
    if steps > PARAMETERS["run.steps"].high:
        raise ScenarioError(f"{src}: steps: at most {PARAMETERS['run.steps'].high:g} weeks")
    base = base.with_overrides({"run.steps": steps})

    measures = raw.get("measures", list(DEFAULT_MEASURES))
    if not isinstance(measures, list) or not measures:
        raise ScenarioError(f"{src}: measures: expected a non-empty list of measure names")
    for m in measures:
        if m not in MEASURES:
            raise ScenarioError(f"{src}: measures: unknown measure {m!r} (known: {', '.join(MEASURES)})")
    if len(set(measures)) != len(measures):
        raise ScenarioError(f"{src}: measures: a measure appears twice")
    weeks = raw.get("weeks")
    if weeks is None:
        weeks = sorted({w for w in DEFAULT_WEEKS if w < steps} | {steps})
    else:
        if not isinstance(weeks, list) or not weeks or not all(_is_int(w) for w in weeks):
            raise ScenarioError(f"{src}: weeks: expected a list of week numbers")
        for w in weeks:
            if not 1 <= w <= steps:
                raise ScenarioError(f"{src}: weeks: week {w} is outside the horizon of {steps} weeks")
        weeks = sorted(set(weeks))

    # Parameters.
    params = raw.get("parameters", {})
    if not isinstance(params, dict):
        raise ScenarioError(f"{src}: parameters: expected a table of dotted keys")
    flat = _flatten(params, leaf_keys=frozenset({"low", "high", "values"}))
    if not flat:
        raise ScenarioError(f"{src}: parameters: vary at least one parameter")
    base_with_src = Scenario(base.data, src, [])
    factors = [_factor(k, v, base_with_src, src) for k, v in flat.items()]

    design = _check_design(raw.get("design"), factors, measures, weeks, src)

    # Arms.
    arms_raw = raw.get("arms", {})
    if not isinstance(arms_raw, dict):
        raise ScenarioError(f"{src}: arms: expected [arms.NAME] tables")
    arms: dict[str, dict[str, Any]] = {}
    maps: dict[str, dict[str, str]] = {}
    strategies = set(base.data["strategies"])
    for arm, table in arms_raw.items():
        if not isinstance(table, dict):
            raise ScenarioError(f"{src}: arms.{arm}: expected a table of dotted keys")
        table = dict(table)
        smap = table.pop("strategy_map", {})
        if not isinstance(smap, dict) or not all(isinstance(v, str) for v in smap.values()):
            raise ScenarioError(f'{src}: arms.{arm}.strategy_map: expected {{old = "new", ...}}')
        for old, new in smap.items():
            for s in (old, new):
                if s not in strategies:
                    raise ScenarioError(
                        f"{src}: arms.{arm}.strategy_map: unknown strategy {s!r} "
                        f"(known: {', '.join(sorted(strategies))})"
                    )
        overrides = _flatten(table)
        for key in overrides:
            if key.split(".")[0] == "arms" or (
                param_for_key(key, base.data) is None
                and key.split(".")[-1] not in ("strategy", "category", "count")
            ):
                raise ScenarioError(f"{src}: arms.{arm}.{key}: unknown key")
            if key in flat:
                raise ScenarioError(f"{src}: arms.{arm}.{key}: also a swept parameter; an arm cannot set it")
        arms[arm] = overrides
        maps[arm] = dict(smap)
    compare = _check_compare(raw.get("compare", {}), arms, base, src)
    exp = Experiment(
        name,
        src,
        digest.hexdigest(),
        base,
        factors,
        design,
        reps,
        list(measures),
        weeks,
        seed,
        steps,
        arms,
        compare,
        text,
        base_path,
        maps,
    )
    for arm in arms:
        raw_arm = copy.deepcopy(base.data)
        try:
            for key, value in exp.arm_overrides(arm).items():
                set_dotted(raw_arm, key, value, src)
            resolve(raw_arm, src)
        except ScenarioError as exc:
            raise ScenarioError(f"{src}: arms.{arm}: {str(exc).split(': ', 1)[-1]}") from None
    n = n_points(exp) * reps * len(exp.arm_names)
    if n > MAX_RUNS:
        raise ScenarioError(f"{src}: design: {n:,} runs is more than {MAX_RUNS:,}")
    return exp


def _check_design(
    design: Any, factors: list[Factor], measures: list[str], weeks: list[int], src: str
) -> dict[str, Any]:
    if not isinstance(design, dict):
        raise ScenarioError(f"{src}: design: missing [design] table with kind = {' | '.join(DESIGN_KINDS)}")
    kind = design.get("kind")
    if kind not in DESIGN_KINDS:
        raise ScenarioError(
            f"{src}: design.kind: unknown design {kind!r} (choose from {', '.join(DESIGN_KINDS)})"
        )
    allowed = DESIGN_KEYS[kind] | DESIGN_COMMON
    for key in design:
        if key not in allowed:
            raise ScenarioError(
                f"{src}: design.{key}: unknown key for a {kind} design (known: {', '.join(sorted(allowed))})"
            )
    out: dict[str, Any] = {"kind": kind}
    if kind == "grid":
        out["levels"] = _positive_int(design.get("levels", 5), f"{src}: design.levels", 2)
    elif kind in ("random", "latin_hypercube"):
        if "samples" not in design:
            raise ScenarioError(f"{src}: design.samples: a {kind} design needs samples = N")
        out["samples"] = _positive_int(design["samples"], f"{src}: design.samples")
    elif kind == "sobol":
        if "N" not in design:
            raise ScenarioError(
                f"{src}: design.N: a sobol design needs SALib's base sample size N (a power of 2, e.g. 64)"
            )
        n = _positive_int(design["N"], f"{src}: design.N", 2)
        if n & (n - 1):
            raise ScenarioError(
                f"{src}: design.N: {n} is not a power of 2, which SALib's Sobol "
                f"sampler needs (try {1 << (n.bit_length() - 1)} or {1 << n.bit_length()})"
            )
        out["N"] = n
        so = design.get("second_order", False)
        if not isinstance(so, bool):
            raise ScenarioError(f"{src}: design.second_order: expected true or false")
        out["second_order"] = so
        if len(factors) < 2:
            raise ScenarioError(f"{src}: parameters: a sobol design needs at least 2 parameters")
    elif kind == "morris":
        out["trajectories"] = _positive_int(design.get("trajectories", 10), f"{src}: design.trajectories", 2)
        levels = _positive_int(design.get("levels", 4), f"{src}: design.levels", 2)
        if levels % 2:
            raise ScenarioError(f"{src}: design.levels: Morris needs an even number of levels, got {levels}")
        out["levels"] = levels
    if kind in ("sobol", "morris"):
        for f in factors:
            if not f.is_range:
                raise ScenarioError(
                    f"{src}: parameters.{f.key}: a {kind} design needs ranges "
                    f"{{low = ..., high = ...}}, not a list of values"
                )
    target = design.get("target", measures[0])
    if target not in measures:
        raise ScenarioError(f"{src}: design.target: {target!r} is not one of the kept measures")
    out["target"] = target
    tw = design.get("target_week", weeks[-1])
    if tw not in weeks:
        raise ScenarioError(f"{src}: design.target_week: {tw!r} is not one of the recorded weeks")
    out["target_week"] = tw
    return out


def _check_compare(table: Any, arms: dict[str, Any], base: Scenario, src: str) -> Compare:
    if not isinstance(table, dict):
        raise ScenarioError(f"{src}: compare: expected a table")
    for key in table:
        if key not in ("a", "b", "group"):
            raise ScenarioError(f"{src}: compare.{key}: unknown key (known: a, b, group)")
    strategies = sorted(base.data["strategies"])
    if arms:
        names = list(arms)
        if len(names) < 2 and ("a" in table or "b" in table):
            raise ScenarioError(f"{src}: compare: comparing arms needs at least two [arms.NAME] tables")
        if len(names) < 2:
            raise ScenarioError(f"{src}: arms: declare at least two arms (or none)")
        a, b = table.get("a", names[0]), table.get("b", names[1])
        for k, v in (("a", a), ("b", b)):
            if v not in arms:
                raise ScenarioError(f"{src}: compare.{k}: unknown arm {v!r} (arms: {', '.join(names)})")
        if a == b:
            raise ScenarioError(f"{src}: compare: a and b are the same arm")
        group = table.get("group", "community")
        if group != "all" and group not in strategies:
            raise ScenarioError(f'{src}: compare.group: unknown strategy {group!r} (or "all")')
        return Compare("arms", a, b, group)
    if "group" in table:
        raise ScenarioError(f"{src}: compare.group: only used when comparing arms")
    a, b = table.get("a", "community"), table.get("b", "transactional")
    present = {biz["strategy"] for biz in base.data["businesses"]}
    for k, v in (("a", a), ("b", b)):
        if v not in present:
            raise ScenarioError(
                f"{src}: compare.{k}: no business in the base scenario follows strategy "
                f"{v!r} (present: {', '.join(sorted(present))})"
            )
    if a == b:
        raise ScenarioError(f"{src}: compare: a and b are the same strategy")
    return Compare("strategies", a, b)


def validate_experiment(path: str | os.PathLike) -> str:
    """Check an experiment file; returns a one-line description (raises ScenarioError)."""
    exp = load_experiment(path)
    points = n_points(exp)
    runs = points * exp.replications * len(exp.arm_names)
    return (
        f"{path}: OK: experiment {exp.name!r}, {exp.design['kind']} design over "
        f"{len(exp.factors)} parameter(s), {points} point(s) x {exp.replications} replication(s) x "
        f"{len(exp.arm_names)} arm(s) = {runs} runs of {exp.steps} weeks, "
        f"{exp.base.data['population']['customers']:,} customers; paired: {exp.compare.label}"
    )


# ---------------------------------------------------------------------------------------------
# Sampling (SALib's "sample" step)


def salib_problem(factors: list[Factor]) -> dict[str, Any]:
    """The SALib problem dict of the range factors, in unit scale (bounds [0, 1])."""
    return {
        "num_vars": len(factors),
        "names": [f.key for f in factors],
        "bounds": [[0.0, 1.0]] * len(factors),
    }


def sample_unit(kind: str, problem: dict[str, Any], options: dict[str, Any], seed: int) -> np.ndarray:
    """Sample a design in the problem's own scale with SALib (sobol, morris, latin_hypercube).

    This is the one path from a design to its points, used for experiments and for tests on
    known functions (Ishigami).
    """
    s = int(seed) % (2**32)
    if kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(
            problem,
            options["N"],
            calc_second_order=options.get("second_order", False),
            scramble=True,
            seed=s,
        )
    if kind == "morris":
        from SALib.sample import morris

        return morris.sample(problem, options["trajectories"], num_levels=options["levels"], seed=s)
    if kind == "latin_hypercube":
        from SALib.sample import latin

        return latin.sample(problem, options["samples"], seed=s)
    raise ValueError(kind)


def _design_seed(exp: Experiment) -> int:
    """Seed of the design sampler: the experiment seed's first derived word."""
    return int(np.random.SeedSequence(exp.seed, spawn_key=(2**31 - 1,)).generate_state(1)[0])


def n_points(exp: Experiment) -> int:
    """Number of design points (without sampling)."""
    d, k = exp.design, len(exp.factors)
    if d["kind"] == "grid":
        return math.prod(len(f.values) if not f.is_range else d["levels"] for f in exp.factors)
    if d["kind"] in ("random", "latin_hypercube"):
        return d["samples"]
    if d["kind"] == "sobol":
        return d["N"] * (2 * k + 2 if d["second_order"] else k + 2)
    return d["trajectories"] * (k + 1)


def design_points(exp: Experiment) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The design's points as a table (column ``point`` and one column per parameter).

    Returns the table and, for sobol and morris, SALib's sample matrix in unit scale (the input
    its ``analyze`` needs, in the same row order as the points).
    """
    kind = exp.design["kind"]
    factors = exp.factors
    unit: np.ndarray | None = None
    if kind == "grid":
        axes = [
            list(f.values)
            if not f.is_range
            else [f.cast(v) for v in np.linspace(f.low, f.high, exp.design["levels"])]
            for f in factors
        ]
        rows = [dict(zip([f.key for f in factors], combo, strict=True)) for combo in itertools.product(*axes)]
        df = pd.DataFrame(rows)
    else:
        if kind == "random":
            rng = np.random.default_rng(_design_seed(exp))
            u = rng.random((exp.design["samples"], len(factors)))
        else:
            u = sample_unit(kind, salib_problem(factors), exp.design, _design_seed(exp))
            if kind in ("sobol", "morris"):
                unit = u
        df = pd.DataFrame({f.key: f.from_unit(u[:, j]) for j, f in enumerate(factors)})
    df.insert(0, "point", np.arange(len(df)))
    return df, unit


def run_seed(seed: int, point: int, replication: int) -> int:
    """Seed of replication ``replication`` at design point ``point``.

    Derived with ``numpy.random.SeedSequence(seed, spawn_key=(point, replication))``: it depends on
    nothing else (not the arm, the worker or the order), so every arm of one replication shares it
    (a paired comparison) and results are the same with any number of workers.
    """
    state = np.random.SeedSequence(seed, spawn_key=(point, replication)).generate_state(1, dtype=np.uint64)
    return int(state[0] >> np.uint64(1))


def run_table(exp: Experiment, points: pd.DataFrame) -> pd.DataFrame:
    """Every run: ``run`` index, ``point``, ``arm``, ``replication``, ``seed``.

    Run ``(point * replications + replication) * arms + arm``: the arms of one replication are
    neighbours, which lets the analysis pair them while reading runs in order.
    """
    arms = exp.arm_names
    n = len(points) * exp.replications * len(arms)
    idx = np.arange(n)
    arm_i = idx % len(arms)
    rep = (idx // len(arms)) % exp.replications
    point = idx // (len(arms) * exp.replications)
    seeds = {(p, r): run_seed(exp.seed, p, r) for p in range(len(points)) for r in range(exp.replications)}
    return pd.DataFrame(
        {
            "run": idx,
            "point": point,
            "arm": [arms[i] for i in arm_i],
            "replication": rep,
            "seed": np.array([seeds[(p, r)] for p, r in zip(point, rep, strict=True)], dtype=np.uint64),
        }
    )


def run_overrides(exp: Experiment, points: pd.DataFrame, point: int, arm: str) -> dict[str, Any]:
    """Dotted overrides for one run: the arm's, then the design point's values."""
    row = points.iloc[point]
    out = exp.arm_overrides(arm)
    for f in exp.factors:
        v = row[f.key]
        out[f.key] = v.item() if hasattr(v, "item") else v
    return out


__all__ = [
    "Experiment",
    "Factor",
    "design_points",
    "load_experiment",
    "run_seed",
    "run_table",
    "sample_unit",
    "validate_experiment",
]
