"""Running a sweep: every run of an experiment, on local processes or a Dask cluster.

The evaluation step of a sweep (sampling is in :mod:`sim.experiments.designs`, analysis in
:mod:`sim.experiments.analysis`): this module plans the runs, hands them to the workers
(:mod:`sim.experiments.worker` holds what a worker does with one run) and stores what comes back.
Each run is one model with one seed; its seed depends only on the experiment seed, the design
point and the replication, so results do not depend on the number of workers, their order, or the
machine. Each finished run is written at once, atomically, as ``runs/run-NNNNNN.parquet``: the
parent only holds the runs in flight, an interrupted sweep loses at most those, and ``--resume``
runs only the missing ones. A run that raises is written as ``failures/run-NNNNNN.json``
(gathered into ``failures.csv``) and the sweep goes on.

The folder belongs to one command at a time: it is claimed (created, or opened, and locked) before
anything is written and held until the sweep ends (:func:`sim.outputs.storage.claim_results_dir`),
so two sweeps, or two ``--resume``, never write into one folder. A sweep killed while setting its
folder up (before any run finished) can be resumed or started afresh there.

Results folder layout::

    manifest.json       experiment as resolved, its file hash, seeds, versions, times, status
    experiment.toml     a copy of the experiment file
    scenario.toml       the base scenario as resolved (only what differs from the defaults)
    design.csv          one row per design point (the varied parameters)
    runs.csv            one row per run: run, point, arm, replication, seed
    runs/               one parquet part file per finished run (weekly series per group)
    failures/           one JSON file per failed run; failures.csv gathers them
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.errors import UsageError
from sim.config.scenario_file import scenario_text
from sim.experiments.designs import design_points, run_overrides, run_table
from sim.experiments.experiment import Experiment
from sim.experiments.experiment_file import load_experiment
from sim.experiments.worker import execute_run, exit_with_parent
from sim.outputs import storage

IN_FLIGHT_PER_WORKER = 2
"""Runs queued per worker: enough to keep workers busy, few enough to keep the parent small."""
SCHEDULER_TIMEOUT = 8.0
"""Seconds to wait for a Dask scheduler before giving up with a one-line error."""
EXIT_SOME_FAILED = 3
"""Exit status when the sweep finished but some runs raised (see failures.csv)."""
SCENARIO_FILE = "scenario.toml"  # the base scenario, for `commsim run FOLDER`
SETUP_FILES = ("manifest.json", "experiment.toml", SCENARIO_FILE, "design.csv", "runs.csv", "design_unit.csv")
"""The files a sweep writes before its first run (the manifest first and last)."""
SETTING_UP = "setting up"
"""The manifest's status while the other fixed files are being written."""


def part_path(folder: Path, run: int) -> Path:
    """Where a finished run is stored."""
    return folder / "runs" / f"run-{run:06d}.parquet"


def failure_path(folder: Path, run: int) -> Path:
    """Where a failed run's error is stored."""
    return folder / "failures" / f"run-{run:06d}.json"


# ---------------------------------------------------------------------------------------------
# Planning


@dataclass
class Plan:
    """A sweep ready to run: the experiment, its points, its runs and the folder."""

    experiment: Experiment
    points: pd.DataFrame
    runs: pd.DataFrame
    folder: Path
    claim: storage.FolderClaim | None = None
    """The folder's lock, held until the sweep ends (None: not claimed, e.g. in benchmarks)."""

    def task(self, run: int) -> dict[str, Any]:
        """The plain-data task of one run."""
        exp = self.experiment
        row = self.runs.iloc[run]
        point, arm = int(row["point"]), row["arm"]
        task = {
            "run": int(run),
            "point": point,
            "arm": arm,
            "replication": int(row["replication"]),
            "seed": int(row["seed"]),
            "steps": exp.steps,
            "base": exp.base.data,
            "source": exp.source,
            "overrides": run_overrides(exp, self.points, point, arm),
            "groups": list(exp.compare.groups),
            "measures": exp.measures,
        }
        if exp.compare.mode == "arms":
            task["focal_overrides"] = run_overrides(exp, self.points, point, exp.compare.a)
            task["focal_strategy"] = exp.compare.group
        return task

    def missing(self) -> list[int]:
        """Runs without a part file."""
        done = done_runs(self.folder)
        return [r for r in range(len(self.runs)) if r not in done]


def done_runs(folder: Path) -> set[int]:
    """Indices of the runs whose part file exists."""
    runs_dir = folder / "runs"
    if not runs_dir.is_dir():
        return set()
    return {int(p.stem.split("-")[1]) for p in runs_dir.glob("run-*.parquet")}


_PART_FILE = re.compile(r"^\..+\.\d+\.part$")


def _is_part(path: Path) -> bool:
    """A half-written file (``.NAME.PID.part``) of :func:`sim.outputs.storage.atomic_write`."""
    return bool(_PART_FILE.match(path.name)) and path.is_file() and not path.is_symlink()


def unfinished_setup(folder: Path) -> bool:
    """Whether ``folder`` holds only what a sweep writes before any run finishes (or nothing).

    Such a folder is left by a sweep stopped (killed) while it was being set up or before its
    first run ended: nothing in it is a result, so a sweep may start there afresh. The manifest is
    the first file a sweep writes, so any other file without a sweep's manifest is not ours.
    """
    entries = list(folder.iterdir())
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return all(_is_part(e) for e in entries)
    try:
        if json.loads(manifest.read_text(encoding="utf-8")).get("kind") != "sweep":
            return False
    except (OSError, ValueError, AttributeError):
        return False
    for entry in entries:
        if _is_part(entry) or (entry.name in SETUP_FILES and entry.is_file() and not entry.is_symlink()):
            continue
        if entry.name in ("runs", "failures") and entry.is_dir() and not entry.is_symlink():
            if all(_is_part(f) for f in entry.iterdir()):
                continue
        return False
    return True


def _clear_setup(folder: Path) -> None:
    """Remove an unfinished setup (see :func:`unfinished_setup`) before starting afresh."""
    for entry in folder.iterdir():
        if entry.name in ("runs", "failures") and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        elif _is_part(entry) or entry.name in SETUP_FILES:
            entry.unlink(missing_ok=True)


def _check_folder(folder: Path, exp: Experiment, experiment_path: str | os.PathLike, resume: bool) -> bool:
    """Accept the (locked) folder for this sweep; True when the sweep starts afresh there.

    A fresh sweep needs an empty folder or one with no finished run (see :func:`unfinished_setup`);
    ``--resume`` needs the same experiment's manifest, or no manifest and no finished run.
    """
    manifest = folder / "manifest.json"
    if not resume or not manifest.is_file():
        if unfinished_setup(folder):
            return True
        if not resume:
            raise storage.not_empty_error(folder)
        raise UsageError(f"{folder}: no sweep to resume here (no manifest.json)")
    try:
        old = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"{manifest}: cannot be read: {exc}") from None
    if old.get("kind") != "sweep":
        raise UsageError(f"{folder}: not a sweep folder (manifest kind {old.get('kind')!r})")
    if old.get("experiment_sha256") != exp.sha256:
        raise UsageError(
            f"{experiment_path}: the experiment (or its base scenario) has changed since "
            f"{folder} was started (SHA-256 differs); resume only with the same file, "
            f"or start a new --out"
        )
    return old.get("status") == SETTING_UP  # stopped while writing its fixed files: write them again


def plan(
    experiment_path: str | os.PathLike,
    out: str | os.PathLike | None,
    resume: bool,
    root: str | os.PathLike = "results",
) -> Plan:
    """Validate the experiment, claim the folder, and create or check the folder's fixed files.

    Raises ScenarioError or UsageError (exit status 2) before anything is written. The plan
    holds the folder's lock (``Plan.claim``): release it when the sweep ends.
    """
    exp = load_experiment(experiment_path)
    points, unit = design_points(exp)
    runs = run_table(exp, points)
    if resume and not out:
        raise UsageError("--resume needs --out DIR: the folder of the sweep to complete")
    fresh: list[bool] = []
    try:
        claim = storage.claim_results_dir(
            exp.name,
            out,
            root,
            create=not resume,
            accept=lambda folder: fresh.append(_check_folder(folder, exp, experiment_path, resume)),
        )
    except storage.ResultsExistError as exc:
        raise UsageError(f"{exc}; use --resume to complete an interrupted sweep") from None
    except storage.MissingFolderError:
        raise UsageError(f"{out}: no sweep to resume here (no such folder)") from None
    folder = claim.path
    if not fresh[0]:
        return Plan(exp, points, runs, folder, claim)
    try:
        _clear_setup(folder)
        _write_setup(folder, exp, experiment_path, points, runs, unit)
    except BaseException:
        _clear_setup(folder)
        claim.release()
        raise
    return Plan(exp, points, runs, folder, claim)


def _write_setup(folder: Path, exp: Experiment, path: str | os.PathLike, points, runs, unit) -> None:
    """Write the sweep's fixed files: the manifest first (marking the folder as a sweep's) and last."""
    manifest = {
        "kind": "sweep",
        "experiment": exp.resolved(),
        "experiment_sha256": exp.sha256,
        "experiment_file": str(Path(path).resolve()),
        "runs": len(runs),
        "points": len(points),
        "arms": exp.arm_names,
        "replications": exp.replications,
        "seed_rule": "numpy.random.SeedSequence(seed, spawn_key=(point, replication)); every arm of "
        "a replication shares its seed (common random numbers: a paired comparison)",
        "paired": exp.compare.label,
        "started": storage.utc_now(),
        "finished": None,
        "status": SETTING_UP,
        **storage.provenance(),
    }
    storage.write_json(folder / "manifest.json", manifest)
    storage.write_text(folder / "experiment.toml", exp.text)
    note = f"Base scenario of sweep {exp.name!r}; its runs take the experiment's weeks, seeds, replications."
    storage.write_text(folder / SCENARIO_FILE, scenario_text(exp.base.data, manifest["command"], note))
    storage.write_csv(folder / "design.csv", points)
    storage.write_csv(folder / "runs.csv", runs)
    if unit is not None:
        storage.write_csv(
            folder / "design_unit.csv", pd.DataFrame(unit, columns=[f.key for f in exp.factors])
        )
    manifest["status"] = "running"
    storage.write_json(folder / "manifest.json", manifest)


def plan_from(exp: Experiment, points: pd.DataFrame, runs: pd.DataFrame, folder: Path) -> Plan:
    """A plan from its parts."""
    return Plan(exp, points, runs, folder)


# ---------------------------------------------------------------------------------------------
# Execution


def _worker_init(parent: int | None) -> None:
    """Workers ignore Ctrl-C (the parent decides how to stop) and end when the parent dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(parent)


class ProcessBackend:
    """Runs on a local process pool (one worker per core by default)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        if sys.platform == "linux":
            # Import the model here once and fork the workers from it: they start at once, where a
            # forkserver costs a second or two of imports before the first run (measured:
            # parallel efficiency 0.81 against 1.02 on smoke x 200). The only other threads of
            # this process then are idle ones of libraries with fork handlers (jemalloc under
            # pyarrow; OpenBLAS is single-threaded under `commsim sweep`), so Python's generic
            # warning about forking a multi-threaded process is silenced for this pool.
            import sim.runs.runner  # noqa: F401
            from sim.core.model import warm_up

            warm_up()  # the compiled rules are loaded once here, and the forked workers share them

            warnings.filterwarnings(
                "ignore",
                message=r".*is multi-threaded, use of fork\(\) may lead to deadlocks",
                category=DeprecationWarning,
            )
            ctx = mp.get_context("fork")
        elif sys.platform != "win32":  # pragma: no cover - macOS: fork is unsafe there
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(
                ["sim.runs.runner", "sim.experiments.sweep"]
            )  # import the model once, fork workers
        else:  # pragma: no cover
            ctx = mp.get_context("spawn")
        # Forked workers are this process's children; others (forkserver) watch their own parent.
        parent = os.getpid() if ctx.get_start_method() == "fork" else None
        self.pool = cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(parent,)
        )
        self.description = f"{workers} local worker process(es)"

    def submit(self, task: dict[str, Any]) -> cf.Future:
        """Start one run."""
        return self.pool.submit(execute_run, task)

    def wait(self, futures: set) -> tuple[set, set]:
        """Wait until at least one run finishes."""
        done, rest = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return set(done), set(rest)

    def close(self, abort: bool = False) -> None:
        """Stop the workers (at once when aborting)."""
        if abort:
            procs = list((self.pool._processes or {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                if p.is_alive():
                    p.terminate()
            for p in procs:
                p.join(timeout=5)
        else:
            self.pool.shutdown(wait=True)


class DaskBackend:
    """Runs on a Dask distributed cluster (``tcp://HOST:PORT``) or a local one (``local``)."""

    def __init__(self, address: str, workers: int) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - a dependency of the package
            raise UsageError(
                "--scheduler needs the 'distributed' package (pip install 'dask[distributed]')"
            ) from None
        self.cluster = None
        if address == "local":
            self.cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            address = self.cluster.scheduler_address
        elif not address.startswith(("tcp://", "tls://", "ws://", "wss://", "inproc://")):
            raise UsageError(f"--scheduler {address}: expected tcp://HOST:PORT or 'local'")
        try:
            import dask

            with dask.config.set({"distributed.comm.timeouts.connect": f"{SCHEDULER_TIMEOUT}s"}):
                self.client = Client(address, timeout=f"{SCHEDULER_TIMEOUT}s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            if self.cluster is not None:
                self.cluster.close()
            raise UsageError(
                f"--scheduler {address}: cannot reach a Dask scheduler there within "
                f"{SCHEDULER_TIMEOUT:g} s ({type(exc).__name__}); start one with "
                f"'dask scheduler' and 'dask worker ADDRESS'"
            ) from None
        n = len(self.client.scheduler_info().get("workers", {}))
        self.workers = max(n, workers if self.cluster is not None else 1)
        self.description = f"Dask scheduler {address} ({n} worker(s) now)"
        from distributed import as_completed

        self._done = as_completed(loop=self.client.loop)

    def submit(self, task: dict[str, Any]):
        """Start one run on the cluster."""
        fut = self.client.submit(execute_run, task, pure=False)
        self._done.add(fut)
        return fut

    def wait(self, futures: set) -> tuple[set, set]:
        """Wait until at least one run finishes."""
        done = {next(self._done)}
        done.update(self._done.next_batch(block=False))
        return done, set(futures) - done

    def close(self, abort: bool = False) -> None:
        """Disconnect (and stop a local cluster)."""
        try:
            self.client.close(timeout=5)
        finally:
            if self.cluster is not None:
                self.cluster.close()


def _progress(total: int, initial: int) -> Callable[[int], None] | None:
    """A progress bar on a terminal (runs done, runs per minute, time left); None in pipes."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        initial=initial,
        unit="run",
        file=sys.stderr,
        dynamic_ncols=True,
        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} runs [{elapsed}<{remaining}{postfix}]",
    )
    start, first = time.monotonic(), initial

    def update(n: int) -> None:
        if n < 0:
            bar.close()
            return
        bar.update(n)
        minutes = (time.monotonic() - start) / 60
        if minutes > 0:
            bar.set_postfix_str(f"{(bar.n - first) / minutes:.1f} runs/min", refresh=False)

    return update


@dataclass
class Outcome:
    """What a sweep did."""

    folder: Path
    total: int
    ran: int
    failed: int
    interrupted: bool
    seconds: float
    done: int = 0
    """Runs stored in the folder (from any attempt), once the sweep has ended."""
    failures: int = 0
    """Failed runs without a stored result (failures.csv), once the sweep has ended."""


def execute(
    p: Plan,
    backend: Any,
    progress: Callable[[int], None] | None = None,
    stop_after: int | None = None,
) -> Outcome:
    """Run every missing run of a plan on a backend, writing each as it finishes.

    Args:
        p: the plan.
        backend: a :class:`ProcessBackend` or :class:`DaskBackend`.
        progress: called with the number of runs just finished.
        stop_after: stop (as if interrupted) after this many runs (for tests).
    """
    folder = p.folder
    for stale in list((folder / "runs").glob(".*.part")) + list(folder.glob(".*.part")):
        stale.unlink(missing_ok=True)
    todo: Iterator[int] = iter(p.missing())
    limit = max(1, backend.workers * IN_FLIGHT_PER_WORKER)
    in_flight: dict[Any, int] = {}
    ran = failed = 0
    t0 = time.perf_counter()
    interrupted = False

    def fill() -> None:
        while len(in_flight) < limit:
            run = next(todo, None)
            if run is None:
                return
            in_flight[backend.submit(p.task(run))] = run

    try:
        fill()
        while in_flight:
            done, _ = backend.wait(set(in_flight))
            for fut in done:
                run = in_flight.pop(fut)
                res = fut.result()
                _store(p, run, res)
                ran += 1
                failed += "error" in res
                if progress:
                    progress(1)
            if stop_after is not None and ran >= stop_after:
                raise KeyboardInterrupt
            fill()
    except KeyboardInterrupt:
        interrupted = True
        backend.close(abort=True)
    else:
        backend.close()
    finally:
        if progress:
            progress(-1)
    return Outcome(folder, len(p.runs), ran, failed, interrupted, time.perf_counter() - t0)


def _store(p: Plan, run: int, res: dict[str, Any]) -> None:
    row = p.runs.iloc[run]
    if "error" in res:
        point = p.points.iloc[int(row["point"])].to_dict()
        record = {
            "run": run,
            "point": int(row["point"]),
            "arm": row["arm"],
            "replication": int(row["replication"]),
            "seed": int(row["seed"]),
            "parameters": json.dumps({k: v for k, v in point.items() if k != "point"}, default=str),
            "error": res["error"],
            "traceback": res.get("traceback", ""),
        }
        storage.write_json(failure_path(p.folder, run), record)
        return
    table = res["table"]
    table.insert(0, "seed", np.uint64(row["seed"]))
    table.insert(0, "replication", int(row["replication"]))
    table.insert(0, "arm", row["arm"])
    table.insert(0, "point", int(row["point"]))
    table.insert(0, "run", int(run))
    storage.write_parquet(part_path(p.folder, run), table)
    failure_path(p.folder, run).unlink(missing_ok=True)


def gather_failures(folder: Path) -> pd.DataFrame:
    """Every failed run (without a part file) as a table; also written to failures.csv."""
    files = sorted((folder / "failures").glob("run-*.json")) if (folder / "failures").is_dir() else []
    done = done_runs(folder)
    rows = []
    for f in files:
        rec = json.loads(f.read_text(encoding="utf-8"))
        if rec["run"] in done:
            continue
        rec.pop("traceback", None)
        rows.append(rec)
    cols = ["run", "point", "arm", "replication", "seed", "parameters", "error"]
    df = pd.DataFrame(rows, columns=cols)
    if len(df) or (folder / "failures.csv").exists():
        storage.write_csv(folder / "failures.csv", df)
    return df


def finish_manifest(folder: Path, outcome: Outcome, backend_desc: str, failures: int) -> None:
    """Record the end of a sweep (or of this attempt at it) in the manifest."""
    path = folder / "manifest.json"
    m = json.loads(path.read_text(encoding="utf-8"))
    done = len(done_runs(folder))
    m["status"] = (
        "interrupted"
        if outcome.interrupted
        else "complete"
        if done == m["runs"]
        else "complete with failures"
    )
    m["finished"] = storage.utc_now()
    m.setdefault("attempts", []).append(
        {
            "ended": m["finished"],
            "ran": outcome.ran,
            "failed": outcome.failed,
            "seconds": round(outcome.seconds, 3),
            "backend": backend_desc,
            "command": storage.provenance()["command"],
        }
    )
    m["runs_done"] = done
    m["runs_failed"] = failures
    storage.write_json(path, m)


def make_backend(scheduler: str | None, workers: int | None) -> Any:
    """The process pool, or a Dask client when ``scheduler`` is given."""
    if workers is not None and workers < 1:
        raise UsageError(f"--workers {workers}: expected at least 1")
    n = workers or os.cpu_count() or 1
    if scheduler:
        return DaskBackend(scheduler, n)
    return ProcessBackend(n)


def run_sweep(
    experiment_path: str | os.PathLike,
    out: str | os.PathLike | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    analyse: bool = True,
    quiet: bool = False,
    stop_after: int | None = None,
    root: str | os.PathLike = "results",
) -> Outcome:
    """Run (or resume) a sweep and analyse it; the Python entry point behind ``commsim sweep``."""
    if workers is not None and workers < 1:
        raise UsageError(f"--workers {workers}: expected at least 1")
    if scheduler and not (scheduler == "local" or "://" in scheduler):
        raise UsageError(f"--scheduler {scheduler}: expected tcp://HOST:PORT or 'local'")
    if scheduler and scheduler != "local":
        # Check the scheduler before creating a folder: an unreachable one leaves nothing behind.
        load_experiment(experiment_path)
        backend = make_backend(scheduler, workers)
        try:
            p = plan(experiment_path, out, resume, root)
        except BaseException:
            backend.close()
            raise
    else:
        p = plan(experiment_path, out, resume, root)
        try:
            backend = make_backend(scheduler, workers)
        except BaseException:
            p.claim.release()
            raise
    try:
        missing = p.missing()
        progress = None if quiet else _progress(len(p.runs), len(p.runs) - len(missing))
        outcome = execute(p, backend, progress, stop_after)
        failures = gather_failures(p.folder)
        finish_manifest(p.folder, outcome, backend.description, len(failures))
        outcome.done, outcome.failures = len(done_runs(p.folder)), len(failures)
        if analyse and not outcome.interrupted and outcome.done > 0:
            from sim.experiments.analysis import analyse_folder

            analyse_folder(p.folder)
    finally:
        if p.claim is not None:
            p.claim.release()  # the folder is free for another command (e.g. --resume)
    return outcome


__all__ = ["EXIT_SOME_FAILED", "Outcome", "execute_run", "plan", "run_sweep", "unfinished_setup"]
