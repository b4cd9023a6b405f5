"""Where the built-in scenarios and experiments live (the project's folders beside ``sim/``)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def builtin_dirs() -> dict[str, Path]:
    """Folders of built-in files by kind."""
    return {"scenarios": ROOT / "scenarios", "experiments": ROOT / "experiments"}
