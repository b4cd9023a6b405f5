"""``commsim list``: the built-in scenarios and experiments, each with the question it asks.

Questions are wrapped whole to the terminal's width (never cut), under the name they follow.
"""

from __future__ import annotations

import argparse
import shutil
import textwrap
from pathlib import Path

from sim.config.paths import builtin_dirs

NAME_WIDTH = 26
"""Characters of the name column."""
MIN_WIDTH = 60
"""Narrowest layout, in characters (a narrower terminal wraps the lines itself)."""


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


def entry(name: str, question: str, width: int) -> str:
    """One file's lines: the name, then its whole question wrapped to ``width`` characters."""
    indent = " " * (NAME_WIDTH + 3)
    first = f"  {name:<{NAME_WIDTH}} "
    if len(first) > len(indent):  # a long name: the question starts on the next line
        first = first.rstrip() + "\n" + indent
    return textwrap.fill(
        question, width, initial_indent=first, subsequent_indent=indent, break_on_hyphens=False
    )


def main(args: argparse.Namespace) -> int:
    """Print each built-in file with its question, and how to run it."""
    width = max(shutil.get_terminal_size((100, 24)).columns - 1, MIN_WIDTH)
    for label, folder in builtin_dirs().items():
        files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
        how = "commsim run NAME" if label == "scenarios" else f"commsim sweep {folder / 'NAME.toml'}"
        print(f"{label} in {folder} (run one: {how}):")
        for f in files:
            print(entry(f.stem, first_comment(f), width))
    return 0
