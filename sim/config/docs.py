"""Documentation generated from the code: the parameter table of docs/ODD.md.

``python -m sim.config.docs`` rewrites the table between the ``parameters`` markers of docs/ODD.md from
:data:`sim.config.parameters.PARAMETERS`; a test fails when the two differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.config.parameters import PARAMETERS

ODD = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def parameter_table() -> str:
    """Markdown table of every parameter: key, default, range, unit, meaning, source."""
    rows = [
        "| key | default | range | unit | meaning | source or reason |",
        "|---|---|---|---|---|---|",
    ]
    for p in PARAMETERS.values():
        if p.choices:
            rng = " / ".join(p.choices)
        elif p.low is not None:
            rng = f"{_fmt(p.low)} to {_fmt(p.high)}"
        else:
            rng = ""
        default = "(none)" if p.default in ("", [], {}) else _fmt(p.default)
        rows.append(
            f"| `{p.key}` | {default} | {rng} | {p.unit} | {p.meaning} | {p.source} |".replace("\n", " ")
        )
    return "\n".join(rows)


def update_odd(path: Path = ODD) -> None:
    """Rewrite the table in place."""
    text = path.read_text()
    start, end = "<!-- parameters:start -->", "<!-- parameters:end -->"
    i, j = text.index(start) + len(start), text.index(end)
    path.write_text(text[:i] + "\n" + parameter_table() + "\n" + text[j:])


if __name__ == "__main__":
    update_odd(Path(sys.argv[1]) if len(sys.argv) > 1 else ODD)
    print(f"updated {ODD}")
