"""``commsim list``: the built-in scenarios and experiments, one line each."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.config.paths import builtin_dirs


def first_comment(path: Path) -> str:
    """The question a file asks: its opening comment, joined into one line."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    text = " ".join(x for x in lines if x)
    return text.removeprefix("Question: ")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """No flags."""


def main(args: argparse.Namespace) -> int:
    """Print each built-in file with its question."""
    for label, folder in builtin_dirs().items():
        files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
        print(f"{label} ({folder}):")
        for f in files:
            q = first_comment(f)
            print(f"  {f.stem:<26} {q[:110] + ('...' if len(q) > 110 else '')}")
    return 0
