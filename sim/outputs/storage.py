"""Results folders: where runs and sweeps write, atomically, without ever overwriting.

Contract (docs/ARCHITECTURE.md, "Results folder"): ``results/<name>-<UTC timestamp>/`` unless
``--out`` is given; an existing folder with results in it is never touched. Every file is written
to a ``.part`` file in the same folder and renamed into place, so a reader (or a resumed sweep)
never sees half a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


class ResultsExistError(FileExistsError):
    """The results folder already holds results."""


def utc_stamp() -> str:
    """A UTC timestamp usable in a folder name, e.g. ``20261122T141300Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def utc_now() -> str:
    """The current UTC time in ISO 8601."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_results_dir(name: str, out: str | os.PathLike | None, root: str | os.PathLike = "results") -> Path:
    """The folder to write to: ``out``, or ``root/<name>-<stamp>``; refuses one that has results.

    The folder itself is not created here, so that a run refused later leaves nothing behind.
    """
    path = Path(out) if out else Path(root) / f"{name}-{utc_stamp()}"
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ResultsExistError(
            f"{path}: already exists and is not empty; results are never overwritten (choose another --out)"
        )
    return path


def atomic_write(path: Path, writer: Callable[[Path], Any]) -> None:
    """Write ``path`` by calling ``writer(tmp)`` on a part file, then renaming it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        writer(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path: Path, text: str) -> None:
    """Atomically write text."""
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: Any) -> None:
    """Atomically write JSON (sorted keys, indented)."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n")


def write_parquet(path: Path, df: pd.DataFrame) -> None:
    """Atomically write a parquet file."""
    atomic_write(path, lambda p: df.to_parquet(p, index=False))


def write_csv(path: Path, df: pd.DataFrame) -> None:
    """Atomically write a CSV file."""
    atomic_write(path, lambda p: df.to_csv(p, index=False))


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o)}")


def git_hash() -> str | None:
    """The git commit of the package's source tree, when it is a checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def provenance() -> dict[str, Any]:
    """Versions and environment to store beside every result."""
    import mesa
    import numpy

    from sim import __version__

    return {
        "package_version": __version__,
        "mesa_version": mesa.__version__,
        "numpy_version": numpy.__version__,
        "python_version": sys.version.split()[0],
        "platform": platform.platform(),
        "git_commit": git_hash(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
