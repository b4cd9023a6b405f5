"""Scenario files: read TOML, apply ``--set``, validate against the parameter table, fill defaults.

The result of :func:`load_scenario` is a :class:`Scenario` whose ``data`` is the scenario *as
resolved*: every table present, every default filled in, strategies expanded. That dict is what
the model is built from and what the manifest records, so a run can be reproduced from it alone.

Every problem raises :class:`ScenarioError` with one line naming the file, the key and what is
wrong; nothing is built or written before the whole file has passed.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
EDGE_LIST_COLUMNS = ("source", "target", "strength")
"""Columns of an edge-list CSV, in order (``strength`` optional)."""


SHOCK_DEFAULTS = {"chain_store": {"duration": 0}, "viral_bad_review": {"duration": 1}}
"""Where a shock kind's default differs from the common one: a chain store stays for good."""


class ScenarioError(ValueError):
    """A problem with a scenario or experiment file: one line naming the file, key and problem."""


@dataclass
class Scenario:
    """A validated scenario.

    Attributes:
        data: the scenario as resolved (every default filled in).
        source: the file it came from ("<inline>" when built in Python).
        overrides: the ``--set`` items applied, as given.
    """

    data: dict[str, Any]
    source: str = "<inline>"
    overrides: list[str] = field(default_factory=list)

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
    """Validate a scenario given as a dict (as a TOML file would give it)."""
    raw = copy.deepcopy(raw)
    overrides = overrides or []
    for key, value in parse_set(overrides, source):
        set_dotted(raw, key, value, source)
    return Scenario(resolve(raw, source), source, list(overrides))


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
    table: dict[str, Any],
    params: dict[str, Param],
    where: str,
    source: str,
    extra_ok: tuple[str, ...] = (),
) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ScenarioError(f"{source}: {where}: expected a table")
    for key in table:
        if key not in params and key not in extra_ok:
            hint = _closest(key, list(params))
            raise ScenarioError(f"{source}: {where}.{key}: unknown key{hint}")
    out = {}
    for name, p in params.items():
        if name in table:
            out[name] = _check_value(p, table[name], f"{source}: {where}.{name}")
        else:
            out[name] = copy.deepcopy(p.default)
    return out


def _closest(key: str, known: list[str]) -> str:
    import difflib

    match = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {match[0]!r}?)" if match else f" (known: {', '.join(sorted(known))})"


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
    """Validate a raw scenario dict and return it with every default filled in."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: expected tables at the top level")
    for key in raw:
        if key not in TOP_LEVEL:
            raise ScenarioError(f"{source}: [{key}]: unknown table{_closest(key, list(TOP_LEVEL))}")
    out: dict[str, Any] = {}
    for table in SCALAR_TABLES:
        out[table] = _fill(raw.get(table, {}), table_params(table), table, source)
    check_name(out["run"]["name"], f"{source}: run.name")

    # Categories: built-ins, overridden or added to by the file.
    cat_params = table_params("categories")
    cats_raw = raw.get("categories", {})
    if not isinstance(cats_raw, dict):
        raise ScenarioError(f"{source}: categories: expected [categories.NAME] tables")
    categories = {name: dict(vals) for name, vals in BUILT_IN_CATEGORIES.items()}
    for name, vals in cats_raw.items():
        base = {**{k: p.default for k, p in cat_params.items()}, **categories.get(name, {})}
        given = _fill(vals, cat_params, f"categories.{name}", source)
        categories[name] = {k: (given[k] if k in vals else base[k]) for k in cat_params}
    out["categories"] = categories

    # Strategies: built-ins, then the file's, each possibly extending an earlier one.
    strat_params = table_params("strategies")
    strategies = {name: {"extends": "", **vals} for name, vals in BUILT_IN.items()}
    strategies = {name: _complete_strategy(vals) for name, vals in strategies.items()}
    strats_raw = raw.get("strategies", {})
    if not isinstance(strats_raw, dict):
        raise ScenarioError(f"{source}: strategies: expected [strategies.NAME] tables")
    for name, vals in strats_raw.items():
        checked = _fill(vals, strat_params, f"strategies.{name}", source)
        parent = vals.get("extends", name if name in strategies else "")
        if parent and parent not in strategies:
            raise ScenarioError(
                f"{source}: strategies.{name}.extends: unknown strategy {parent!r} "
                f"(known: {', '.join(sorted(strategies))})"
            )
        base = strategies[parent] if parent else {k: p.default for k, p in strat_params.items()}
        strategies[name] = {k: (checked[k] if k in vals else base[k]) for k in strat_params}
        strategies[name]["extends"] = parent
    out["strategies"] = strategies

    # Business groups.
    biz_params = table_params("businesses")
    groups = raw.get("businesses", [])
    if not isinstance(groups, list):
        raise ScenarioError(f"{source}: businesses: expected [[businesses]] groups")
    businesses = []
    for i, g in enumerate(groups):
        b = _fill(g, biz_params, f"businesses.{i}", source)
        if b["category"] not in categories:
            raise ScenarioError(
                f"{source}: businesses.{i}.category: unknown category {b['category']!r} "
                f"(known: {', '.join(sorted(categories))})"
            )
        if b["strategy"] not in strategies:
            raise ScenarioError(
                f"{source}: businesses.{i}.strategy: unknown strategy {b['strategy']!r} "
                f"(known: {', '.join(sorted(strategies))})"
            )
        businesses.append(b)
    out["businesses"] = businesses
    steps = out["run"]["steps"]
    for i, b in enumerate(businesses):
        if b["opens"] > steps:
            raise ScenarioError(
                f"{source}: businesses.{i}.opens: week {b['opens']} is outside the horizon of {steps} weeks"
            )
        if b["neighbourhood"] >= out["population"]["neighbourhoods"]:
            raise ScenarioError(
                f"{source}: businesses.{i}.neighbourhood: {b['neighbourhood']} but the town "
                f"has {out['population']['neighbourhoods']} neighbourhoods (0-based)"
            )
    for name, cat in categories.items():
        for other in cat["partners_with"]:
            if other not in categories:
                raise ScenarioError(f"{source}: categories.{name}.partners_with: unknown category {other!r}")

    # Shocks.
    shocks_raw = raw.get("shocks", [])
    if not isinstance(shocks_raw, list):
        raise ScenarioError(f"{source}: shocks: expected [[shocks]] entries")
    shocks = []
    names = business_names(businesses)
    for i, s in enumerate(shocks_raw):
        if not isinstance(s, dict):
            raise ScenarioError(f"{source}: shocks.{i}: expected a table")
        kind = s.get("kind")
        if kind not in SHOCK_KINDS:
            raise ScenarioError(
                f"{source}: shocks.{i}.kind: unknown shock kind {kind!r} "
                f"(choose from {', '.join(SHOCK_KINDS)})"
            )
        shock = _fill(s, table_params("shocks", kind), f"shocks.{i}", source)
        for key, value in SHOCK_DEFAULTS.get(kind, {}).items():
            if key not in s:
                shock[key] = value
        if shock["start"] > steps:
            raise ScenarioError(
                f"{source}: shocks.{i}.start: week {shock['start']} is outside the "
                f"horizon of {steps} weeks (1-{steps})"
            )
        if kind == "chain_store" and shock["category"] not in categories:
            raise ScenarioError(f"{source}: shocks.{i}.category: unknown category {shock['category']!r}")
        if kind == "viral_bad_review":
            target = shock["business"]
            if target not in names and not (target.isdigit() and int(target) < len(names)):
                raise ScenarioError(
                    f"{source}: shocks.{i}.business: no business {target!r} "
                    f"(names: {', '.join(names[:6])}{'...' if len(names) > 6 else ''})"
                )
        shocks.append(shock)
    out["shocks"] = shocks

    # Arms: variants run with the same seeds.
    arms_raw = raw.get("arms", [])
    if not isinstance(arms_raw, list):
        raise ScenarioError(f"{source}: arms: expected [[arms]] entries")
    arms = []
    for i, a in enumerate(arms_raw):
        arm = _fill(a, table_params("arms"), f"arms.{i}", source)
        if not arm["name"]:
            raise ScenarioError(f"{source}: arms.{i}.name: every arm needs a name")
        for key, value in arm["set"].items():
            p = param_for(key.split("."))
            if p is None and key.split(".")[-1] not in ("count", "strategy", "category"):
                raise ScenarioError(f"{source}: arms.{i}.set.{key}: unknown key")
            if key.split(".")[0] == "arms":
                raise ScenarioError(f"{source}: arms.{i}.set.{key}: an arm cannot change arms")
            if p is not None:
                _check_value(p, value, f"{source}: arms.{i}.set.{key}")
        arms.append(arm)
    if len({a["name"] for a in arms}) != len(arms):
        raise ScenarioError(f"{source}: arms: two arms have the same name")
    out["arms"] = arms

    _check_network(out, source)
    if sum(b["count"] for b in out["businesses"]) == 0:
        raise ScenarioError(
            f"{source}: businesses: the town has no businesses; add a [[businesses]] group with count >= 1"
        )
    check_memory(out, source)
    for i, arm in enumerate(arms):  # each arm as run will build it (arms() below), checked now
        _arm_variant(out, i, arm, source)
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


def _check_network(data: dict[str, Any], source: str) -> None:
    net = data["network"]
    if net["kind"] != "edge_list":
        return
    path = net["path"]
    if not path:
        raise ScenarioError(f"{source}: network.path: an edge_list network needs the path of a CSV file")
    p = Path(path)
    if not p.is_absolute() and source not in ("<inline>", "--set"):
        p = Path(source).resolve().parent / p
    if not p.is_file():
        raise ScenarioError(f"{source}: network.path: no such file {path}")
    nodes: set[str] = set()
    where = f"{source}: network.path: {path}"
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(row for row in fh if not row.startswith("#"))
            header = next(reader, None)
            if header is None:
                raise ScenarioError(f"{where}: empty file; the first line must be 'source,target[,strength]'")
            columns = edge_list_columns(header, where)
            has_strength = len(columns) > 2
            for n, row in enumerate(reader, start=2):
                if len(row) < 2 or not row[0].strip() or not row[1].strip():
                    raise ScenarioError(f"{source}: network.path: {path}: line {n}: expected source,target")
                if len(row) > len(columns) and any(v.strip() for v in row[len(columns) :]):
                    raise ScenarioError(
                        f"{where}: line {n}: {len(row)} values but the first line names "
                        f"{len(columns)} columns ({','.join(columns)})"
                    )
                if has_strength:
                    try:
                        s = float(row[2])
                    except (IndexError, ValueError):
                        raise ScenarioError(
                            f"{source}: network.path: {path}: line {n}: strength is not a number"
                        ) from None
                    if not s >= 0:
                        raise ScenarioError(
                            f"{source}: network.path: {path}: line {n}: strength must be >= 0"
                        )
                nodes.update((row[0].strip(), row[1].strip()))
    except UnicodeDecodeError:
        raise ScenarioError(f"{source}: network.path: {path}: not a text CSV file") from None
    customers = data["population"]["customers"]
    if len(nodes) > customers:
        raise ScenarioError(
            f"{source}: network.path: {path} names {len(nodes)} customers but "
            f"population.customers is {customers}"
        )
    net["path"] = str(p)


def edge_list_columns(header: list[str], where: str) -> list[str]:
    """The columns of an edge list's first line (``source,target[,strength]``), or a one-line error.

    An unknown column is named with the closest known one (a misspelt ``strength`` would
    otherwise be ignored and every tie read as strong). ``where`` names the file.
    """
    columns = [h.strip() for h in header]
    for col in columns:
        if not col:
            raise ScenarioError(
                f"{where}: an empty column name in the first line {','.join(columns)!r} "
                f"(expected 'source,target[,strength]')"
            )
        if col not in EDGE_LIST_COLUMNS:
            raise ScenarioError(f"{where}: unknown column {col!r}{_closest(col, list(EDGE_LIST_COLUMNS))}")
    if columns != list(EDGE_LIST_COLUMNS[: len(columns)]) or len(columns) < 2:
        raise ScenarioError(
            f"{where}: the first line must be 'source,target[,strength]', got {','.join(columns)!r}"
        )
    return columns


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
    "PARAMETERS",
    "Scenario",
    "ScenarioError",
    "arms",
    "load_scenario",
    "scenario_from_dict",
    "to_toml",
]
