"""Results folders: where runs and sweeps write, atomically, without ever overwriting.

Contract (docs/ARCHITECTURE.md, "Results folder"): ``results/<name>-<UTC timestamp>/`` unless
``--out`` is given; an existing folder with results in it is never touched. Every file is written
to a ``.part`` file in the same folder and renamed into place, so a reader (or a resumed sweep)
never sees half a file.

A folder belongs to one command at a time (:func:`claim_results_dir`): the command creates it with
``os.mkdir`` (which fails when it exists) or opens the existing one, then takes an exclusive
``flock`` on the folder itself and holds it until the command ends. The kernel drops the lock when
the process dies (even on SIGKILL), so a lock is never stale; a second command that cannot take it
stops with one line. Claims in the same parent folder take turns, so the command that creates a
folder is the one that holds it. Problems with the folder (a file in the way, no permission, a
name too long) are :class:`~sim.config.errors.UsageError` (exit status 2), raised before any work
is done.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import platform
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.config.errors import UsageError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the atomic mkdir alone claims a new folder
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


class ResultsExistError(FileExistsError):
    """The results folder already holds results."""


class FolderInUseError(UsageError):
    """Another commsim command holds the results folder."""


class MissingFolderError(UsageError):
    """The folder to resume does not exist."""


DEFAULT_NAME_MAX = 255
"""Bytes in one file name when the file system does not say (most allow 255)."""
_FREE_NAME_TRIES = 100
"""Default folders tried when several commands start in the same second (``NAME-STAMP-2``, ...)."""

_CLAIM_WAIT = 2.0
"""Seconds a claim waits for another claim in the same folder (see :func:`_one_claim_at_a_time`)."""

_held: set[int] = set()
"""Descriptors of the folders this process has locked (closed in forked children)."""


def _forget_locks_in_child() -> None:
    """In a forked child (a sweep's worker), close the inherited lock descriptors.

    Closing a copy does not release the parent's lock (``flock`` lasts until every copy is
    closed), but a child must not keep the folder locked after its parent is gone.
    """
    for fd in list(_held):
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_in_child)


def utc_stamp() -> str:
    """A UTC timestamp usable in a folder name, e.g. ``20261122T141300Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def utc_now() -> str:
    """The current UTC time in ISO 8601."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def not_empty_error(path: Path) -> ResultsExistError:
    """The error for a folder that already holds something."""
    return ResultsExistError(
        f"{path}: already exists and is not empty; results are never overwritten (choose another --out)"
    )


def new_results_dir(name: str, out: str | os.PathLike | None, root: str | os.PathLike = "results") -> Path:
    """The folder to write to: ``out``, or ``root/<name>-<stamp>``; refuses one that has results.

    The folder itself is not created here (see :func:`claim_results_dir` for a command that
    holds its folder from start to end).
    """
    path = Path(out) if out else Path(root) / f"{name}-{utc_stamp()}"
    try:
        taken = path.exists() and (not path.is_dir() or any(path.iterdir()))
    except OSError as exc:
        raise folder_error(path, exc) from None
    if taken:
        raise not_empty_error(path)
    return path


def folder_error(path: Path, exc: OSError) -> UsageError:
    """A one-line error for an OS error on a results folder."""
    hints = {
        errno.ENOTDIR: " (a part of the path is a file, not a folder)",
        errno.EACCES: " (no permission to write there)",
        errno.EPERM: " (no permission to write there)",
        errno.EROFS: " (read-only file system)",
        errno.ENOENT: " (the file system does not allow it)",
    }
    reason = exc.strerror or type(exc).__name__
    return UsageError(f"{path}: cannot create the results folder: {reason}{hints.get(exc.errno, '')}")


def _follow_link(path: Path) -> Path:
    """``path``, or the folder it links to: a symbolic link to a folder is followed."""
    if not os.path.islink(path):
        return path
    target = Path(os.path.realpath(path))
    if not target.exists():
        raise UsageError(f"{path}: a symbolic link to {target}, which does not exist; give a folder")
    if not target.is_dir():
        raise UsageError(f"{path}: a symbolic link to {target}, which is a file, not a folder; give a folder")
    return target


def _make_parents(path: Path) -> list[Path]:
    """Create the missing parent folders of ``path``; returns those created (deepest last)."""
    missing: list[Path] = []
    parent = path.parent
    while True:
        try:
            st = os.stat(parent)
        except (FileNotFoundError, NotADirectoryError):
            missing.append(parent)
            if parent.parent == parent:
                break
            parent = parent.parent
            continue
        except OSError as exc:
            raise folder_error(path, exc) from None
        if not stat.S_ISDIR(st.st_mode):
            raise UsageError(f"{path}: cannot create the results folder: {parent} is a file, not a folder")
        break
    made: list[Path] = []
    try:
        for d in reversed(missing):
            os.mkdir(d)
            made.append(d)
    except OSError as exc:
        _remove_empty(made)
        raise folder_error(path, exc) from None
    return made


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders (deepest first) that are still empty."""
    for d in reversed(folders):
        with contextlib.suppress(OSError):
            os.rmdir(d)


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return DEFAULT_NAME_MAX


def part_folder_name(out: Path, pid: int | None = None) -> str:
    """The hidden folder a run is built in, beside ``out``: ``.NAME.part-PID``."""
    return f".{out.name}.part-{os.getpid() if pid is None else pid}"


def lock_folder(path: Path) -> int | None:
    """Lock a folder for this process (``flock`` on the folder itself); returns its descriptor.

    Raises FolderInUseError when another process holds it. Returns None (no lock) where the
    file system or the platform has no ``flock``: then only the atomic ``mkdir`` claims a folder.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise folder_error(path, exc) from None
    if fcntl is None:  # pragma: no cover
        os.close(fd)
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise FolderInUseError(
            f"{path}: in use by another commsim command (a run or sweep is writing there); "
            f"wait for it to end, or choose another --out"
        ) from None
    except OSError:  # pragma: no cover - a file system without flock (some network ones)
        os.close(fd)
        return None
    _held.add(fd)
    return fd


def unlock(fd: int | None) -> None:
    """Release a lock taken by :func:`lock_folder` (nothing when ``fd`` is None)."""
    if fd is not None and fd in _held:
        _held.discard(fd)
        with contextlib.suppress(OSError):
            os.close(fd)


def require_empty(path: Path) -> None:
    """Accept only an empty folder (one the user made for us, or one a killed command left)."""
    with os.scandir(path) as entries:
        if next(entries, None) is not None:
            raise not_empty_error(path)


class FolderClaim:
    """A results folder held by this command until :meth:`release` (also a context manager)."""

    def __init__(self, path: Path, created: bool, fd: int | None, parents: list[Path]) -> None:
        self.path = path
        self.created = created
        self.fd = fd
        self.parents = parents
        self._stat = os.stat(path)

    def release(self) -> None:
        """Let the folder go; one this command created and left empty is removed (with its parents)."""
        if self.created:
            try:
                unchanged = os.path.samestat(os.stat(self.path), self._stat)
                if unchanged and not any(os.scandir(self.path)):
                    os.rmdir(self.path)
                    _remove_empty(self.parents)
            except OSError:
                pass
            self.created = False
        unlock(self.fd)
        self.fd = None

    def __enter__(self) -> FolderClaim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextlib.contextmanager
def _one_claim_at_a_time(parent: Path) -> Iterator[None]:
    """Claims of folders in ``parent`` take turns (a short ``flock`` on ``parent``).

    ``mkdir`` and ``flock`` are two steps: without turns, a command that finds the folder another
    has just created could lock it in between, and the creator would be refused while the
    winner, not having created it, would leave it behind if it ends without writing. The turn
    only decides who wins, never whether two can: that is the folder's own lock. So when
    ``parent`` cannot be locked within ``_CLAIM_WAIT`` seconds (it is a running command's
    results folder) or at all, the claim goes on without a turn.
    """
    deadline = time.monotonic() + _CLAIM_WAIT
    while True:
        try:
            fd = lock_folder(parent)
        except FolderInUseError:
            if time.monotonic() < deadline:
                time.sleep(0.002)
                continue
            fd = None
        except UsageError:  # the parent cannot be opened (no permission to read it)
            fd = None
        break
    try:
        yield
    finally:
        unlock(fd)  # ends the turn


def _claim(path: Path, create: bool, must_create: bool, part_folder: bool) -> FolderClaim | None:
    """Create or open ``path`` and lock it; None when ``must_create`` and it exists."""
    parents = _make_parents(path)
    try:
        if part_folder:
            limit = _name_max(path.parent)
            extra = len(os.fsencode(part_folder_name(path))) - len(os.fsencode(path.name))
            if len(os.fsencode(path.name)) + extra > limit:
                raise UsageError(
                    f"{path}: cannot create the results folder: File name too long (a run is built "
                    f"beside it in '{part_folder_name(Path('NAME'))}', so at most {limit - extra} "
                    f"bytes here)"
                )
        with _one_claim_at_a_time(path.parent):
            created = False
            if create:
                try:
                    os.mkdir(path)
                    created = True
                except FileExistsError:
                    if must_create:
                        return None
                except OSError as exc:
                    raise folder_error(path, exc) from None
            try:
                st = os.stat(path)
            except FileNotFoundError:
                raise MissingFolderError(f"{path}: no such folder") from None
            except OSError as exc:
                raise folder_error(path, exc) from None
            if not stat.S_ISDIR(st.st_mode):
                raise UsageError(f"{path}: a file is there, not a folder; choose another --out")
            fd = lock_folder(path)
        try:
            # Opened and locked, but is it still the folder at ``path``? Another command may have
            # renamed its finished run over it, or removed it, in the meantime.
            same = os.path.samestat(os.fstat(fd), os.stat(path)) if fd is not None else True
        except OSError:
            same = False
        if not same:
            unlock(fd)
            raise FolderInUseError(f"{path}: taken by another commsim command; choose another --out")
        return FolderClaim(path, created, fd, parents if created else [])
    except BaseException:
        _remove_empty(parents)
        raise


def claim_results_dir(
    name: str,
    out: str | os.PathLike | None,
    root: str | os.PathLike = "results",
    *,
    create: bool = True,
    accept: Callable[[Path], Any] | None = None,
    part_folder: bool = False,
) -> FolderClaim:
    """Take the results folder for this command: create (or open) it and lock it.

    Args:
        name: the default folder's name (``root/<name>-<UTC stamp>``, with ``-2``, ``-3``, ...
            when several commands start in the same second).
        out: the folder asked for (``--out``), or None for the default; a symbolic link to a
            folder is followed (the folder it points to is used).
        root: where default folders go.
        create: create the folder when missing (False to resume: it must exist).
        accept: called with the folder once it is locked; raises to refuse it (default: it
            must be empty).
        part_folder: a run is built beside the folder in ``.NAME.part-PID``: check that name fits.

    Raises UsageError (FolderInUseError, MissingFolderError) or ResultsExistError, with one line
    naming the folder; a folder this call created is removed again when it raises. Commands that
    claim the same folder at once take turns, so the one that creates it is the one that holds it.
    """
    accept = accept or require_empty
    if out:
        try:
            candidates = [_follow_link(Path(out))]
        except OSError as exc:
            raise folder_error(Path(out), exc) from None
    else:
        first = Path(root) / f"{name}-{utc_stamp()}"
        candidates = [first] + [first.with_name(f"{first.name}-{i}") for i in range(2, _FREE_NAME_TRIES)]
    for path in candidates:
        claim = _claim(path, create, must_create=not out, part_folder=part_folder)
        if claim is None:
            continue
        try:
            accept(path)
        except BaseException:
            claim.release()
            raise
        return claim
    raise UsageError(f"{candidates[-1]}: no free results folder name under {root}")


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


CSV_FLOAT_FORMAT = "%.12g"
"""Twelve significant digits: sums of cents print as 1754.3, not 1754.299999999952 (parquet keeps all)."""


def write_csv(path: Path, df: pd.DataFrame) -> None:
    """Atomically write a CSV file (floats to :data:`CSV_FLOAT_FORMAT`)."""
    atomic_write(path, lambda p: df.to_csv(p, index=False, float_format=CSV_FLOAT_FORMAT))


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
