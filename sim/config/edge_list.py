"""Edge-list networks (``network.kind = "edge_list"``): checking the CSV file a scenario names.

The file is read once here, before anything is built, so that a bad line is one clear error
naming the file and the line rather than a failure halfway through building the town.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sim.config.errors import ScenarioError, closest

EDGE_LIST_COLUMNS = ("source", "target", "strength")
"""Columns of an edge-list CSV, in order (``strength`` optional)."""


def check_network(data: dict[str, Any], source: str) -> None:
    """Check an edge-list network's CSV file and make its path absolute (in ``data``), or raise."""
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
            raise ScenarioError(f"{where}: unknown column {col!r}{closest(col, list(EDGE_LIST_COLUMNS))}")
    if columns != list(EDGE_LIST_COLUMNS[: len(columns)]) or len(columns) < 2:
        raise ScenarioError(
            f"{where}: the first line must be 'source,target[,strength]', got {','.join(columns)!r}"
        )
    return columns
