"""Scenario files: read TOML, apply ``--set``, validate against the parameter table, fill defaults.

The result of :func:`load_scenario` is a :class:`Scenario` whose ``data`` is the scenario *as
resolved*: every table present, every default filled in, strategies expanded. That dict is what
the model is built from and what the manifest records, so a run can be reproduced from it alone.

Every problem is one line naming the file, the key and what is wrong; the validator collects
every independent problem of the file's tables before it raises :class:`ScenarioError` (they are
in its ``problems``). Nothing is built or written before the whole file has passed.
:mod:`sim.config.scenario_file` writes a resolved scenario back as a short file.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.config.edge_list import EDGE_LIST_COLUMNS, check_network, edge_list_columns
from sim.config.errors import ScenarioError
from sim.config.errors import closest as _closest
from sim.config.memory_estimate import memory_estimate_gb
from sim.config.parameters import (
    BUILT_IN_CATEGORIES,
    LIST_TABLES,
    NAMED_TABLES,
    PARAMETERS,
    SCALAR_TABLES,
    SHOCK_KINDS,
    Param,
    param_for,
    table_params,
)
from sim.config.strategies import BUILT_IN

TOP_LEVEL = SCALAR_TABLES + NAMED_TABLES + LIST_TABLES


NAME_MAX = 100
"""Longest ``run.name`` (and experiment ``name``), in characters."""


SHOCK_DEFAULTS = {"chain_store": {"duration": 0}, "viral_bad_review": {"duration": 1}}
"""Where a shock kind's default differs from the common one: a chain store stays for good."""


@dataclass
class Scenario:
    """A validated scenario.

    Attributes:
        data: the scenario as resolved (every default filled in).
        source: the file it came from ("<inline>" when built in Python).
        overrides: the ``--set`` items applied, as given.
        notes: one line each on what the overrides changed beyond their own keys (shocks left
            out by a shorter horizon), for the command line to print.
    """

    data: dict[str, Any]
    source: str = "<inline>"
    overrides: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The scenario's name (``run.name``)."""
        return self.data["run"]["name"]

    @property
    def sha256(self) -> str:
        """Hash of the resolved scenario, for provenance and resume checks."""
        return hashlib.sha256(json.dumps(self.data, sort_keys=True).encode()).hexdigest()

    def with_overrides(self, overrides: list[str] | dict[str, Any]) -> Scenario:
        """A new validated scenario with dotted keys changed."""
        raw = copy.deepcopy(self.data)
        items = list(overrides.items()) if isinstance(overrides, dict) else parse_set(overrides, self.source)
        for key, value in items:
            set_dotted(raw, key, value, self.source)
        return Scenario(resolve(raw, self.source), self.source, self.overrides + _as_strings(overrides))


def _as_strings(overrides) -> list[str]:
    if isinstance(overrides, dict):
        return [f"{k}={json.dumps(v)}" for k, v in overrides.items()]
    return list(overrides)


def read_toml(path: str | os.PathLike) -> dict[str, Any]:
    """Read a TOML file, turning every failure into a one-line :class:`ScenarioError`."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"{path}: no such file")
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read: {exc}") from None


def load_scenario(path: str | os.PathLike, overrides: list[str] | None = None) -> Scenario:
    """Read, override and validate a scenario file."""
    raw = read_toml(path)
    return scenario_from_dict(raw, str(path), overrides or [])


def scenario_from_dict(
    raw: dict[str, Any], source: str = "<inline>", overrides: list[str] | None = None
) -> Scenario:
    """Validate a scenario given as a dict (as a TOML file would give it).

    An override of ``run.steps`` (``--steps N``) that ends the run before a shock starts leaves
    that shock out, with a note (:attr:`Scenario.notes`); in the file itself such a shock is an
    error.
    """
    raw = copy.deepcopy(raw)
    overrides = overrides or []
    items = parse_set(overrides, source)
    for key, value in items:
        set_dotted(raw, key, value, source)
    notes = _drop_late_shocks(raw, source) if any(k.strip() == "run.steps" for k, _ in items) else []
    return Scenario(resolve(raw, source), source, list(overrides), notes)


def _drop_late_shocks(raw: dict[str, Any], source: str) -> list[str]:
    """Remove from ``raw`` the shocks that start after ``run.steps``; a one-line note naming them.

    Values of the wrong type are left for :func:`resolve` to report.
    """
    steps = raw.get("run", {}).get("steps") if isinstance(raw.get("run"), dict) else None
    shocks = raw.get("shocks")
    if not isinstance(steps, int) or isinstance(steps, bool) or not isinstance(shocks, list):
        return []
    default_start = PARAMETERS["shocks.start"].default
    late = [
        (i, s)
        for i, s in enumerate(shocks)
        if isinstance(s, dict)
        and isinstance(start := s.get("start", default_start), int)
        and not isinstance(start, bool)
        and start > steps
    ]
    if not late:
        return []
    raw["shocks"] = [s for i, s in enumerate(shocks) if i not in {j for j, _ in late}]
    named = ", ".join(
        f"shocks.{i} ({s.get('kind', '?')}, week {s.get('start', default_start)})" for i, s in late
    )
    verb = "starts" if len(late) == 1 else "start"
    return [f"{source}: run.steps = {steps} ends before {named} {verb}: left out of this run"]


def parse_set(items: list[str], source: str = "--set") -> list[tuple[str, Any]]:
    """Parse ``KEY=VALUE`` items; values are TOML values, or plain strings when not."""
    out = []
    for item in items:
        if "=" not in item:
            raise ScenarioError(
                f"{source}: --set {item!r}: expected KEY=VALUE, e.g. population.customers=5000"
            )
        key, text = item.split("=", 1)
        key = key.strip()
        try:
            value = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = text.strip()
        out.append((key, value))
    return out


def set_dotted(raw: dict[str, Any], key: str, value: Any, source: str) -> None:
    """Set ``raw[a][b]...`` from a dotted key; list tables take an index (``shocks.0.depth``).

    A misuse (an empty key or part, an unknown table, a bad or missing entry number, a key below
    a value) is a one-line :class:`ScenarioError` naming ``source`` and the key.
    """
    parts = key.split(".")
    if len(parts) == 1 and key in TOP_LEVEL and isinstance(value, dict | list):
        raw[key] = value  # a whole table, from Python
        return
    bad = f"{source}: {key if key.strip() else repr(key)}:"
    if not all(part.strip() for part in parts):
        empty = "empty key" if not key.strip() else "empty part in the key"
        raise ScenarioError(f"{bad} {empty}; give a dotted key, e.g. population.customers")
    if parts[0] not in TOP_LEVEL:
        raise ScenarioError(f"{bad} unknown table {parts[0]!r}{_closest(parts[0], list(TOP_LEVEL))}")
    for n in range(2, len(parts)):  # a key below a field that is a value (run.name.x)
        if (p := param_for(parts[:n])) is not None and p.kind != "table":
            field_key, kind = ".".join(parts[:n]), KIND_WORDS.get(p.kind, "a value")
            example = "[...]" if p.kind == "list" else json.dumps(p.default)
            raise ScenarioError(
                f"{bad} {field_key} is {kind}, not a table: set it whole, e.g. {field_key}={example}"
            )
    node: Any = raw
    for i, part in enumerate(parts):
        here = ".".join(parts[:i])
        if not isinstance(node, dict | list):
            raise ScenarioError(f"{bad} {here} is {node!r}, not a table: it has no {part!r}")
        if i == len(parts) - 1 and isinstance(node, dict) and i > 0:
            node[part] = value
        elif i == len(parts) - 1:
            first = next(iter(table_params(parts[0])))
            entry = "NAME" if parts[0] in NAMED_TABLES else (part if part.isdigit() else "0")
            example = f"{parts[0]}.{first}" if parts[0] in SCALAR_TABLES else f"{parts[0]}.{entry}.{first}"
            raise ScenarioError(f"{bad} give a field of the {'entry' if i else 'table'}, e.g. {example}")
        elif isinstance(node, list):
            node = node[_entry_number(node, part, here, bad)]
        else:
            node = node.setdefault(part, [] if (i == 0 and part in LIST_TABLES) else {})


KIND_WORDS = {"int": "a whole number", "float": "a number", "bool": "true or false", "str": "a string"}
KIND_WORDS |= {"choice": "one of a list of choices", "list": "a list"}


def _entry_number(entries: list, part: str, here: str, bad: str) -> int:
    """``part`` as an index into ``entries`` (the list at ``here``), or a one-line error."""
    count = f"it has {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
    if part.startswith("-") and part[1:].isdigit():
        raise ScenarioError(f"{bad} entry {part} of {here}: entries are numbered from 0 ({count})")
    if not (part.isascii() and part.isdigit()):
        raise ScenarioError(f"{bad} expected an entry number after {here}, got {part!r} ({count})")
    if int(part) >= len(entries):
        raise ScenarioError(f"{bad} no entry {part} in {here} ({count}, numbered from 0)")
    return int(part)


def _check_value(p: Param, value: Any, where: str) -> Any:
    """Check one value against its parameter; returns it converted (ints to floats)."""
    kind = p.kind
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(f"{where}: expected a whole number, got {value!r}")
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(f"{where}: expected a number, got {value!r}")
        value = float(value)
        if value != value:
            raise ScenarioError(f"{where}: expected a number, got nan")
    elif kind == "bool":
        if not isinstance(value, bool):
            raise ScenarioError(f"{where}: expected true or false, got {value!r}")
    elif kind == "str":
        if not isinstance(value, str):
            raise ScenarioError(f"{where}: expected a string, got {value!r}")
    elif kind == "choice":
        if value not in p.choices:
            raise ScenarioError(f"{where}: unknown value {value!r} (choose from {', '.join(p.choices)})")
    elif kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ScenarioError(f"{where}: expected a list of strings, got {value!r}")
    elif kind == "table":
        if not isinstance(value, dict):
            raise ScenarioError(f"{where}: expected a table, got {value!r}")
    if kind in ("int", "float"):
        unit = f" {p.unit}" if p.unit else ""
        if p.low is not None and value < p.low:
            raise ScenarioError(f"{where}: {value} is below the smallest valid value {p.low:g}{unit}")
        if p.high is not None and value > p.high:
            raise ScenarioError(f"{where}: {value} is above the largest valid value {p.high:g}{unit}")
    return value


def _fill(
    table: Any, params: dict[str, Param], where: str, source: str, problems: list[str]
) -> dict[str, Any]:
    """``table`` checked field by field, defaults filled in; each bad field is noted in ``problems``.

    A bad field takes its default, so that the rest of the file can still be checked.
    """
    if not isinstance(table, dict):
        problems.append(f"{source}: {where}: expected a table")
        table = {}
    problems += [
        f"{source}: {where}.{key}: unknown key{_closest(key, list(params))}"
        for key in table
        if key not in params
    ]
    out = {}
    for name, p in params.items():
        out[name] = copy.deepcopy(p.default)
        if name in table:
            try:
                out[name] = _check_value(p, table[name], f"{source}: {where}.{name}")
            except ScenarioError as exc:
                problems.append(str(exc))
    return out


def _given(raw: dict[str, Any], out: dict[str, Any], table: str, key: str) -> bool:
    """Whether ``out[table][key]`` is what the file gave or its default (not a bad value's stand-in)."""
    given = raw.get(table, {})
    return not isinstance(given, dict) or key not in given or given[key] == out[table][key]


def check_name(name: Any, where: str, hint: str = "") -> str:
    r"""``name`` if it is a name (of a scenario or an experiment), not a path; else a one-line error.

    Results are written to ``results/<name>-<time>``, so a name may not hold a path separator
    (``/`` or ``\``), ``..``, NUL or another control character, may not be empty or blank and has
    at most :data:`NAME_MAX` characters. ``where`` is ``"FILE: FIELD"``; ``hint`` ends the message.
    """
    if not isinstance(name, str):
        raise ScenarioError(f"{where}: expected a string, got {name!r}{hint}")
    shown = repr(name if len(name) <= 40 else name[:37] + "...")
    problem = ""
    if not name.strip():
        problem = "empty; give a short name, e.g. 'baseline'"
    elif len(name) > NAME_MAX:
        problem = f"{shown} has {len(name)} characters, more than {NAME_MAX}: give a shorter name"
    elif ".." in name:
        problem = f"{shown} contains '..': a name is not a path (choose the folder with --out)"
    elif bad := next((c for c in name if c in "/\\"), None):
        problem = f"{shown} contains {bad!r}: a name is not a path (choose the folder with --out)"
    elif bad := next((c for c in name if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None):
        problem = f"{shown} contains the control character {bad!r}"
    if problem:
        raise ScenarioError(f"{where}: {problem}{hint}")
    return name


def resolve(raw: dict[str, Any], source: str = "<inline>") -> dict[str, Any]:
    """Validate a raw scenario dict and return it with every default filled in.

    Every independent problem of the tables is collected (one line each) before the error is
    raised; the checks of the town as a whole (network file, size, memory, arms) follow only when
    the tables are clean.
    """
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: expected tables at the top level")
    problems: list[str] = []
    for key in raw:
        if key not in TOP_LEVEL:
            problems.append(f"{source}: [{key}]: unknown table{_closest(key, list(TOP_LEVEL))}")
    out: dict[str, Any] = {}
    for table in SCALAR_TABLES:
        out[table] = _fill(raw.get(table, {}), table_params(table), table, source, problems)
    try:
        check_name(out["run"]["name"], f"{source}: run.name")
    except ScenarioError as exc:
        problems.append(str(exc))
    out["categories"] = categories = _categories(raw, source, problems)
    out["strategies"] = strategies = _strategies(raw, source, problems)

    # Business groups.
    biz_params = table_params("businesses")
    groups = raw.get("businesses", [])
    if not isinstance(groups, list):
        problems.append(f"{source}: businesses: expected [[businesses]] groups")
        groups = []
    businesses = []
    steps, hoods = out["run"]["steps"], out["population"]["neighbourhoods"]
    horizon_known = _given(raw, out, "run", "steps")
    for i, g in enumerate(groups):
        b = _fill(g, biz_params, f"businesses.{i}", source, problems)
        where = f"{source}: businesses.{i}"
        for key, known in (("category", categories), ("strategy", strategies)):
            if b[key] not in known:
                listed = ", ".join(sorted(known))
                problems.append(f"{where}.{key}: unknown {key} {b[key]!r} (known: {listed})")
        if horizon_known and b["opens"] > steps:
            problems.append(f"{where}.opens: week {b['opens']} is outside the horizon of {steps} weeks")
        if _given(raw, out, "population", "neighbourhoods") and b["neighbourhood"] >= hoods:
            problems.append(
                f"{where}.neighbourhood: {b['neighbourhood']} but the town has "
                f"{hoods} neighbourhoods (0-based)"
            )
        businesses.append(b)
    out["businesses"] = businesses
    for name, cat in categories.items():
        problems += [
            f"{source}: categories.{name}.partners_with: unknown category {other!r}"
            for other in cat["partners_with"]
            if other not in categories
        ]
    out["shocks"] = _shocks(raw, source, out, horizon_known, problems)
    out["arms"] = _arms(raw, source, problems)
    if problems:
        raise ScenarioError(problems)

    check_network(out, source)
    if sum(b["count"] for b in out["businesses"]) == 0:
        raise ScenarioError(
            f"{source}: businesses: the town has no businesses; add a [[businesses]] group with count >= 1"
        )
    check_memory(out, source)
    for i, arm in enumerate(out["arms"]):  # each arm as run will build it (arms() below), checked now
        _arm_variant(out, i, arm, source)
    return out


def _named_tables(raw: dict[str, Any], table: str, source: str, problems: list[str]) -> dict[str, Any]:
    """``raw[table]`` (``[table.NAME]`` entries), or nothing with a problem noted."""
    given = raw.get(table, {})
    if isinstance(given, dict):
        return given
    problems.append(f"{source}: {table}: expected [{table}.NAME] tables")
    return {}


def _categories(raw: dict[str, Any], source: str, problems: list[str]) -> dict[str, dict[str, Any]]:
    """Built-in categories, overridden or added to by the file."""
    cat_params = table_params("categories")
    categories = {name: dict(vals) for name, vals in BUILT_IN_CATEGORIES.items()}
    for name, vals in _named_tables(raw, "categories", source, problems).items():
        base = {**{k: p.default for k, p in cat_params.items()}, **categories.get(name, {})}
        given = _fill(vals, cat_params, f"categories.{name}", source, problems)
        vals = vals if isinstance(vals, dict) else {}
        categories[name] = {k: (given[k] if k in vals else base[k]) for k in cat_params}
    return categories


def _strategies(raw: dict[str, Any], source: str, problems: list[str]) -> dict[str, dict[str, Any]]:
    """Built-in strategies, then the file's, each possibly extending an earlier one."""
    strat_params = table_params("strategies")
    strategies = {name: _complete_strategy({"extends": "", **vals}) for name, vals in BUILT_IN.items()}
    for name, vals in _named_tables(raw, "strategies", source, problems).items():
        checked = _fill(vals, strat_params, f"strategies.{name}", source, problems)
        vals = vals if isinstance(vals, dict) else {}
        parent = checked["extends"] if "extends" in vals else (name if name in strategies else "")
        if parent and parent not in strategies:
            problems.append(
                f"{source}: strategies.{name}.extends: unknown strategy {parent!r} "
                f"(known: {', '.join(sorted(strategies))})"
            )
            parent = ""
        base = strategies[parent] if parent else {k: p.default for k, p in strat_params.items()}
        strategies[name] = {k: (checked[k] if k in vals else base[k]) for k in strat_params}
        strategies[name]["extends"] = parent
    return strategies


def _shocks(
    raw: dict[str, Any], source: str, out: dict[str, Any], horizon_known: bool, problems: list[str]
) -> list[dict[str, Any]]:
    """The ``[[shocks]]`` entries checked (kind, fields, horizon, what they name)."""
    shocks_raw = raw.get("shocks", [])
    if not isinstance(shocks_raw, list):
        problems.append(f"{source}: shocks: expected [[shocks]] entries")
        shocks_raw = []
    shocks = []
    steps, names = out["run"]["steps"], business_names(out["businesses"])
    for i, s in enumerate(shocks_raw):
        where = f"{source}: shocks.{i}"
        if not isinstance(s, dict):
            problems.append(f"{where}: expected a table")
            continue
        kind = s.get("kind")
        if kind not in SHOCK_KINDS:
            kinds = ", ".join(SHOCK_KINDS)
            problems.append(f"{where}.kind: unknown shock kind {kind!r} (choose from {kinds})")
            continue
        shock = _fill(s, table_params("shocks", kind), f"shocks.{i}", source, problems)
        for key, value in SHOCK_DEFAULTS.get(kind, {}).items():
            if key not in s:
                shock[key] = value
        if horizon_known and shock["start"] > steps:
            problems.append(
                f"{where}.start: week {shock['start']} is outside the horizon of {steps} weeks (1-{steps})"
            )
        if kind == "chain_store" and shock["category"] not in out["categories"]:
            problems.append(f"{where}.category: unknown category {shock['category']!r}")
        if kind == "viral_bad_review":
            target = shock["business"]
            if target not in names and not (target.isdigit() and int(target) < len(names)):
                problems.append(
                    f"{where}.business: no business {target!r} "
                    f"(names: {', '.join(names[:6])}{'...' if len(names) > 6 else ''})"
                )
        shocks.append(shock)
    return shocks


def _arms(raw: dict[str, Any], source: str, problems: list[str]) -> list[dict[str, Any]]:
    """The ``[[arms]]`` entries: variants run with the same seeds."""
    arms_raw = raw.get("arms", [])
    if not isinstance(arms_raw, list):
        problems.append(f"{source}: arms: expected [[arms]] entries")
        arms_raw = []
    out = []
    for i, a in enumerate(arms_raw):
        where = f"{source}: arms.{i}"
        arm = _fill(a, table_params("arms"), f"arms.{i}", source, problems)
        if not arm["name"]:
            problems.append(f"{where}.name: every arm needs a name")
        for key, value in arm["set"].items():
            p = param_for(key.split("."))
            if p is None and key.split(".")[-1] not in ("count", "strategy", "category"):
                problems.append(f"{where}.set.{key}: unknown key")
            elif key.split(".")[0] == "arms":
                problems.append(f"{where}.set.{key}: an arm cannot change arms")
            elif p is not None:
                try:
                    _check_value(p, value, f"{where}.set.{key}")
                except ScenarioError as exc:
                    problems.append(str(exc))
        out.append(arm)
    if len({a["name"] for a in out}) != len(out):
        problems.append(f"{source}: arms: two arms have the same name")
    return out


def _arm_variant(data: dict[str, Any], i: int, arm: dict[str, Any], source: str) -> dict[str, Any]:
    """The resolved scenario of arm ``i``: ``data`` with the arm's ``set`` applied, or an error."""
    where = f"{source}: arms.{i}.set"
    raw = copy.deepcopy(data)
    raw["arms"] = []
    for key, value in arm["set"].items():
        set_dotted(raw, key, value, where)
    try:
        return resolve(raw, source)
    except ScenarioError as exc:
        detail = str(exc)
        detail = detail[len(source) + 2 :] if detail.startswith(f"{source}: ") else detail
        raise ScenarioError(f"{where}: {detail}") from None


def _complete_strategy(vals: dict[str, Any]) -> dict[str, Any]:
    params = table_params("strategies")
    return {k: vals.get(k, p.default) for k, p in params.items()}


def business_names(businesses: list[dict[str, Any]]) -> list[str]:
    """Names of every business, in id order: the group's ``name`` or category-strategy, numbered."""
    names, seen = [], {}
    for b in businesses:
        prefix = b["name"] or f"{b['category']}-{b['strategy']}"
        for _ in range(b["count"]):
            seen[prefix] = seen.get(prefix, 0) + 1
            names.append(f"{prefix}-{seen[prefix]}")
    return names


def available_memory_gb() -> float:
    """This machine's physical memory in GB."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        return 8.0


def check_memory(data: dict[str, Any], source: str) -> None:
    """Refuse, before allocating anything, a town that would not fit in memory."""
    limit = data["population"]["memory_limit_gb"] or 0.8 * available_memory_gb()
    need = memory_estimate_gb(data)
    if need > limit:
        raise ScenarioError(
            f"{source}: population.customers: {data['population']['customers']:,} customers with "
            f"{sum(b['count'] for b in data['businesses'])} businesses need about {need:.1f} GB, "
            f"more than the {limit:.1f} GB allowed (population.memory_limit_gb)"
        )


def arms(scenario: Scenario) -> list[tuple[str, Scenario]]:
    """The scenario's arms as separate scenarios (one named ``base`` when it declares none)."""
    declared = scenario.data["arms"]
    if not declared:
        return [("base", scenario)]
    out = []
    for i, arm in enumerate(declared):
        data = _arm_variant(scenario.data, i, arm, scenario.source)
        out.append((arm["name"], Scenario(data, scenario.source, scenario.overrides)))
    return out


def to_toml(data: dict[str, Any]) -> str:
    """Write a (resolved) scenario back as TOML text that :func:`load_scenario` reads."""
    lines: list[str] = []

    def fmt(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(fmt(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {fmt(x)}" for k, x in v.items()) + " }"
        raise TypeError(v)

    for table in SCALAR_TABLES:
        if table in data:
            lines.append(f"[{table}]")
            lines += [f"{k} = {fmt(v)}" for k, v in data[table].items()]
            lines.append("")
    for table in NAMED_TABLES:
        for name, vals in data.get(table, {}).items():
            lines.append(f"[{table}.{name}]")
            lines += [f"{k} = {fmt(v)}" for k, v in vals.items()]
            lines.append("")
    for table in LIST_TABLES:
        for vals in data.get(table, []):
            lines.append(f"[[{table}]]")
            lines += [f"{k} = {fmt(v)}" for k, v in vals.items()]
            lines.append("")
    return "\n".join(lines)


def check_known_key(key: str, source: str) -> Param:
    """The parameter behind a dotted key used in a sweep, or a one-line error."""
    p = param_for(key.split("."))
    if p is None:
        raise ScenarioError(f"{source}: {key}: unknown parameter key")
    return p


__all__ = [
    "EDGE_LIST_COLUMNS",
    "PARAMETERS",
    "Scenario",
    "ScenarioError",
    "arms",
    "edge_list_columns",
    "load_scenario",
    "scenario_from_dict",
    "to_toml",
]
