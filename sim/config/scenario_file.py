"""Writing a resolved scenario back as a short TOML file: only what differs from the defaults.

Every results folder holds such a file (``scenario.toml``) so that ``commsim run`` on it, or on
the folder, runs the same scenario again. Loading the text (:func:`sim.config.scenario.load_scenario`)
gives back the identical resolved scenario (the same ``data`` dict, hence the same SHA-256): each
field is compared with the value the loader would put there if the file left it out (the parameter
table's default, a built-in category's or strategy's value, the strategy it extends), and written
only where they differ. ``[run]`` is written whole: the name, horizon, seed and replications are
the run's identity, kept explicit so that a later change of a default cannot change what a saved
run re-runs as.
"""

from __future__ import annotations

import copy
from typing import Any

import tomli_w

from sim.config.parameters import BUILT_IN_CATEGORIES, LIST_TABLES, SCALAR_TABLES, table_params
from sim.config.scenario import SHOCK_DEFAULTS
from sim.config.strategies import BUILT_IN

ALWAYS = {"run": ("name", "steps", "seed", "replications"), "businesses": ("count", "category", "strategy")}
"""Fields written even at their default: what identifies a run and a business group to a reader."""


def _differs(
    values: dict[str, Any], reference: dict[str, Any], always: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The items of ``values`` that differ from ``reference`` (or are named in ``always``), in order."""
    return {k: copy.deepcopy(v) for k, v in values.items() if k in always or reference.get(k, object()) != v}


def _defaults(table: str, kind: str | None = None) -> dict[str, Any]:
    return {name: p.default for name, p in table_params(table, kind).items()}


def _strategies(resolved: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The ``[strategies.NAME]`` tables that rebuild ``resolved``, replayed as the loader reads them.

    The loader starts from the built-ins and reads the file's tables in order, each from the
    strategy it ``extends`` (by default: itself when it is a built-in, else the parameter
    defaults); the tables are written in the resolved order, each holding what differs from the
    strategy it will be read on top of.
    """
    defaults = _defaults("strategies")
    state = {name: {**defaults, "extends": "", **vals} for name, vals in BUILT_IN.items()}
    out = {}
    for name, values in resolved.items():
        if state.get(name) == values:
            continue
        parent = values["extends"]
        implied = name if name in state else ""
        base = state[parent] if parent else defaults
        table = {"extends": parent} if parent != implied else {}
        table |= _differs({k: v for k, v in values.items() if k != "extends"}, base)
        out[name] = table
        state[name] = copy.deepcopy(values)
    return out


def _categories(resolved: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The ``[categories.NAME]`` tables: what differs from the built-in category (or the defaults)."""
    out = {}
    for name, values in resolved.items():
        reference = {**_defaults("categories"), **BUILT_IN_CATEGORIES.get(name, {})}
        if name not in BUILT_IN_CATEGORIES or values != reference:
            out[name] = _differs(values, reference)
    return out


def _shock(shock: dict[str, Any]) -> dict[str, Any]:
    kind = shock["kind"]
    reference = {**_defaults("shocks", kind), **SHOCK_DEFAULTS.get(kind, {})}
    return _differs(shock, reference, ("kind", "start"))


def minimal_scenario(data: dict[str, Any]) -> dict[str, Any]:
    """The smallest scenario dict that resolves to ``data`` (a resolved scenario's ``data``)."""
    out: dict[str, Any] = {}
    for table in SCALAR_TABLES:
        written = _differs(data[table], _defaults(table), ALWAYS.get(table, ()))
        if written:
            out[table] = written
    for table, written in (
        ("categories", _categories(data["categories"])),
        ("strategies", _strategies(data["strategies"])),
    ):
        if written:
            out[table] = written
    out["businesses"] = [
        _differs(b, _defaults("businesses"), ALWAYS["businesses"]) for b in data["businesses"]
    ]
    out["shocks"] = [_shock(s) for s in data["shocks"]]
    out["arms"] = [_differs(a, _defaults("arms"), ("name",)) for a in data["arms"]]
    return {k: v for k, v in out.items() if v or k not in LIST_TABLES}


def _key(name: str) -> str:
    """``name`` as a TOML key (bare, or quoted when it needs to be), as tomli-w writes it."""
    return tomli_w.dumps({name: 0}).rsplit(" = ", 1)[0]


def _table(header: str, values: dict[str, Any], array: bool = False) -> str:
    """One ``[header]`` (or ``[[header]]``) table; tables inside it follow as ``[header.KEY]``."""
    plain = {k: v for k, v in values.items() if not isinstance(v, dict)}
    text = (f"[[{header}]]\n" if array else f"[{header}]\n") + tomli_w.dumps(plain)
    for k, v in values.items():
        if isinstance(v, dict):
            text += "\n" + _table(f"{header}.{_key(k)}", v)
    return text


def minimal_toml(data: dict[str, Any]) -> str:
    """:func:`minimal_scenario` as TOML text: scalar tables, named tables, then ``[[...]]`` entries."""
    raw = minimal_scenario(data)
    parts = []
    for table, values in raw.items():
        if table in LIST_TABLES:
            parts += [_table(table, entry, array=True) for entry in values]
        elif table in SCALAR_TABLES:
            parts.append(_table(table, values))
        else:
            parts += [_table(f"{table}.{_key(name)}", entry) for name, entry in values.items()]
    return "\n".join(parts)


def _printable(line: str) -> str:
    """``line`` with control characters (which a TOML comment may not hold) shown as spaces."""
    return "".join(" " if (ord(c) < 32 and c != "\t") or ord(c) == 127 else c for c in line)


def scenario_text(data: dict[str, Any], command: str = "", note: str = "") -> str:
    """The text of a results folder's ``scenario.toml``: a header comment, then :func:`minimal_toml`.

    Args:
        data: the resolved scenario.
        command: the command line that made the results (said in the header).
        note: an extra header line (e.g. how the file relates to a sweep's runs).
    """
    from sim import __version__

    run = data["run"]
    header = [
        f"Scenario {run['name']!r} as resolved by commsim {__version__}: "
        "only what differs from the defaults.",
        f"Made by: {command}" if command else "",
        f"Seed {run['seed']} (run.seed), {run['replications']} replication(s) of {run['steps']} weeks.",
        note,
        "Re-run with: commsim run FILE (this file, or the results folder that holds it).",
    ]
    comment = "".join(f"# {_printable(line)}\n" for line in header if line)
    return f"{comment}\n{minimal_toml(data)}"


__all__ = ["minimal_scenario", "minimal_toml", "scenario_text"]
