"""The package's layers (docs/ARCHITECTURE.md): data flows one way, nothing imports upwards, no circles.

Every ``import`` in ``sim/`` counts, including those inside functions and ``if TYPE_CHECKING:``
blocks: a circle that only a type hint closes is still a circle for the reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"

LAYERS = ("config", "core", "runs", "outputs", "experiments", "validation", "dashboard", "cli")
"""Bottom to top: a module may import from its own layer and the layers below it."""

LONGEST = 650
"""Lines a module may have (about 600), apart from the data tables below."""

DATA_TABLES = {"sim.config.parameters"}


def module_name(path: Path) -> str:
    """``sim/core/model.py`` -> ``sim.core.model``; a package's ``__init__.py`` -> the package."""
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def imported(path: Path, name: str, known: set[str]) -> set[str]:
    """The package's modules that ``path`` imports anywhere (``from a import b``: ``a.b`` if a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.add(full if full in known else base)
    return {m for m in out if m in known and m != name}


def import_graph() -> nx.DiGraph:
    """Module -> module it imports, for every module of ``sim``."""
    found = modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(found)
    for name, path in found.items():
        graph.add_edges_from((name, other) for other in imported(path, name, set(found)))
    return graph


def layer(module: str) -> int | None:
    """A module's layer (index in :data:`LAYERS`); None for the package's root facade."""
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def upward_imports(graph: nx.DiGraph) -> list[tuple[str, str]]:
    """Edges from a module to a module of a higher layer."""
    return [
        (a, b)
        for a, b in graph.edges
        if layer(a) is not None and layer(b) is not None and layer(b) > layer(a)  # type: ignore[operator]
    ]


def circles(graph: nx.DiGraph) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others."""
    return [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]


def test_every_module_belongs_to_a_layer():
    """Apart from the root facade (``sim/__init__.py``, ``sim/__main__.py``) each module sits in one layer."""
    stray = [m for m in modules() if layer(m) is None and m not in ("sim", "sim.__main__")]
    assert stray == []


def test_no_module_imports_from_a_layer_above_its_own():
    assert upward_imports(import_graph()) == []


def test_no_import_circles():
    assert circles(import_graph()) == []


def test_the_core_imports_only_configuration_and_itself():
    graph = import_graph()
    outside = {b for a, b in graph.edges if a.startswith("sim.core") and layer(b) not in (0, 1)}
    assert outside <= {"sim"}, outside  # ``sim`` itself only for ``__version__``


def test_the_checks_catch_what_they_look_for():
    """On a made-up graph: a circle through three modules and an import from core into outputs."""
    g = nx.DiGraph([("sim.core.a", "sim.core.b"), ("sim.core.b", "sim.core.c"), ("sim.core.c", "sim.core.a")])
    g.add_edge("sim.core.a", "sim.outputs.storage")
    g.add_edge("sim.cli.x", "sim.core.a")  # downwards: allowed
    assert circles(g) == [["sim.core.a", "sim.core.b", "sim.core.c"]]
    assert upward_imports(g) == [("sim.core.a", "sim.outputs.storage")]


def test_imports_inside_functions_and_type_checking_blocks_count(tmp_path):
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sim.core.model import X\n"
    source += "def f():\n    from sim.core import kernels\n"
    path = tmp_path / "m.py"
    path.write_text(source)
    known = {"sim.core.model", "sim.core.kernels", "sim.core"}
    assert imported(path, "sim.core.m", known) == {"sim.core.model", "sim.core.kernels"}


@pytest.mark.parametrize("name", sorted(set(modules()) - DATA_TABLES))
def test_modules_stay_readable(name):
    """One idea per module: none much over 600 lines (data tables excepted)."""
    lines = modules()[name].read_text().count("\n")
    assert lines <= LONGEST, f"{name}: {lines} lines"
