"""Experiment files: reading and checking the TOML that describes a parameter sweep.

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

Reading is kept apart from what the file describes (:mod:`sim.experiments.experiment`) and from
sampling its points (:mod:`sim.experiments.designs`); docs/sweeps.md is the user's guide. Every
problem raises :class:`ScenarioError` with one line naming the file and the key.
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
from pathlib import Path
from typing import Any

from sim.config.parameters import PARAMETERS, Param, param_for
from sim.config.scenario import (
    Scenario,
    ScenarioError,
    check_name,
    read_toml,
    resolve,
    scenario_from_dict,
    set_dotted,
)
from sim.experiments.designs import n_points
from sim.experiments.experiment import MEASURES, Compare, Experiment, Factor

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
DEFAULT_MEASURES = ("revenue", "customers_active", "cum_profit", "survival", "promoter_score")
MAX_RUNS = 10_000_000


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

    if "name" in raw:
        name = check_name(raw["name"], f"{src}: name")
    else:
        name = Path(source).stem if source != "<inline>" else "sweep"
        check_name(name, f"{src}: name", ' (taken from the file name; give name = "..." in the file)')
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


__all__ = ["experiment_from_dict", "load_experiment", "validate_experiment"]
