"""A run's results folder (the results contract): tables, figures, report and manifest, written atomically.

The folder is built in a hidden ``.NAME.part-PID`` folder beside it (locked while it is written)
and renamed into place at the end, so it appears whole or not at all. A part folder whose process
is dead (a run killed with SIGKILL) is removed by the next run written in the same place.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sim.config.scenario import arms
from sim.config.scenario_file import scenario_text
from sim.outputs.storage import (
    FolderInUseError,
    lock_folder,
    not_empty_error,
    part_folder_name,
    provenance,
    unlock,
    utc_now,
    write_csv,
    write_json,
    write_parquet,
    write_text,
)

if TYPE_CHECKING:  # pragma: no cover
    from sim.runs.runner import Results


@contextlib.contextmanager
def building(out: Path) -> Iterator[Path]:
    """Build a results folder beside ``out`` and rename it into place when the block ends.

    Yields the hidden part folder (``.NAME.part-PID``, locked while it is written); part folders
    left by dead processes are removed first. If the block raises, the part folder is removed
    and ``out`` is left as it was: a folder appears whole or not at all.
    """
    out = Path(out)
    remove_stale_parts(out.parent)
    tmp = out.with_name(part_folder_name(out))
    if tmp.exists():  # left by an earlier process with this PID
        shutil.rmtree(tmp)
    fd = None
    try:
        tmp.mkdir(parents=True)
        fd = lock_folder(tmp)
        yield tmp
        _move_into_place(tmp, out)
    finally:
        unlock(fd)
        if tmp.exists():
            shutil.rmtree(tmp)


def write_results(results: Results, out: Path, started: str, quiet_figures: bool = False) -> Path:
    """Write a run's results folder atomically: built beside ``out``, then renamed into place."""
    from sim.outputs.compare import write_comparison
    from sim.outputs.plots import run_figures
    from sim.outputs.report import run_report

    out = Path(out)
    with building(out) as tmp:
        sc = results.scenario
        ts = results.timeseries
        write_parquet(tmp / "timeseries.parquet", ts)
        write_csv(tmp / "timeseries.csv", ts)
        write_parquet(tmp / "strategy_timeseries.parquet", results.strategy_timeseries)
        write_csv(tmp / "summary.csv", results.summary)
        write_parquet(tmp / "cohorts.parquet", results.cohorts)  # by business x channel x quarter won
        band_table = write_comparison(tmp, results.strategy_timeseries)  # comparison.csv
        figures = run_figures(results.strategy_timeseries, tmp / "figures", sc.data["shocks"], band_table)
        prov = provenance()
        command = (
            prov["command"]
            if prov["command"].startswith("commsim")
            else f"commsim run {shlex.quote(sc.source)}"
            + "".join(f" --set {shlex.quote(s)}" for s in sc.overrides)
        )
        scenario_toml = scenario_text(sc.data, command)  # what `commsim run` re-runs from the folder
        write_text(tmp / "scenario.toml", scenario_toml)
        rerun = f"commsim run {shlex.quote(str(out / 'scenario.toml'))}"
        write_text(
            tmp / "report.html",
            run_report(
                f"commsim run: {sc.name}",
                results.strategy_timeseries,
                figures,
                scenario_toml,
                rerun,
                notes=[
                    f"{len(results.seeds)} replication(s); arms of one replication share seeds "
                    f"(common random numbers), so arm differences are paired."
                ],
                band_table=band_table,
                timeseries=ts,
            ),
        )
        manifest = {
            "kind": "run",
            "scenario": sc.data,
            "scenario_file": sc.source,
            "overrides": sc.overrides,
            "scenario_sha256": sc.sha256,
            "arms": [name for name, _ in arms(sc)],
            "seeds": results.seeds,
            "started": started,
            "finished": utc_now(),
            **prov,
        }
        write_json(tmp / "manifest.json", manifest)
    return out


def _move_into_place(tmp: Path, out: Path) -> None:
    """Rename the built folder to ``out``, replacing only an empty folder (claimed, or the user's)."""
    try:
        os.rename(tmp, out)  # POSIX: replaces an empty folder in one step, refuses a non-empty one
    except OSError as exc:
        if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY) or not out.is_dir():
            raise
        if any(out.iterdir()):
            raise not_empty_error(out) from None
        out.rmdir()  # pragma: no cover - platforms whose rename never replaces a folder
        os.rename(tmp, out)


_PART = re.compile(r"^\..+\.part-(\d+)$")


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (on this machine)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, but is not ours
        return True
    return True


def remove_stale_parts(folder: Path) -> list[Path]:
    """Remove the ``.NAME.part-PID`` folders in ``folder`` left by dead processes; returns them.

    A part folder is stale when its process is dead and nobody holds its lock; one of a live
    process (or one this process is writing) is left alone.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _PART.match(entry.name)
        if not m or not entry.is_dir(follow_symlinks=False):
            continue
        pid = int(m.group(1))
        path = Path(entry.path)
        if pid == os.getpid() or _alive(pid):
            continue
        try:
            fd = lock_folder(path)
        except FolderInUseError:
            continue
        except Exception:  # vanished, or not ours to open: leave it
            continue
        try:
            shutil.rmtree(path, ignore_errors=True)
        finally:
            unlock(fd)
        if not path.exists():
            removed.append(path)
    return removed


__all__ = ["building", "remove_stale_parts", "write_results"]
