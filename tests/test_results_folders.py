"""Results folders: one command per folder, one-line folder errors, and what an interrupt leaves.

Every process these tests start is bounded in time and killed (by its id) at the end.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main as cli_main
from sim.config.errors import UsageError
from sim.experiments.experiment_file import load_experiment
from sim.experiments.sweep import done_runs, plan, run_sweep
from sim.outputs import storage
from sim.outputs.results_folder import remove_stale_parts

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
PY = sys.executable
# Sweeps and the claim test fork from this (multi-threaded) process, as `commsim sweep` does.
pytestmark = pytest.mark.filterwarnings(r"ignore:.*is multi-threaded, use of fork\(\):DeprecationWarning")
SMALL_RUN = ["--steps", "3", "--replications", "1", "--set", "population.customers=200"]

QUICK = f"""# Question: a quick sweep for folder tests.
name = "quick"
base = "{BASELINE}"
replications = 1
seed = {{seed}}
steps = {{steps}}
weeks = [{{steps}}]
measures = ["revenue"]

[set]
"population.customers" = {{customers}}

[parameters]
"behaviour.word_of_mouth" = {{values}}

[design]
kind = "grid"
"""


def experiment(
    tmp: Path, name: str = "exp.toml", seed: int = 5, steps: int = 4, customers: int = 200, n: int = 2
) -> Path:
    """A quick experiment file: n runs (n values of one parameter, one replication, no arms)."""
    values = [round(0.05 + 0.3 * i / max(1, n - 1), 4) for i in range(n)]
    text = QUICK.format(seed=seed, steps=steps, customers=customers, values=values)
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "internal error" not in lines[0] and "Traceback" not in err, err
    return lines[0]


def _running_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the name (state first); None when gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields


def _start_time(pid: int) -> str | None:
    """The process's start time (field 22 of /proc/PID/stat); None when gone or a zombie."""
    fields = _running_stat(pid)
    return None if fields is None else fields[19]


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def _kill(pids: dict[int, str | None]) -> None:
    """SIGKILL each process that is still the one recorded (same id, same start time)."""
    for pid, start in pids.items():
        if start is not None and _start_time(pid) == start:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _popen(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [PY, "-m", "sim", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _group_running(pgid: int) -> bool:
    """Whether a process of group ``pgid`` has not exited yet (zombies have: their locks are gone)."""
    stats = (_running_stat(int(e.name)) for e in os.scandir("/proc") if e.name.isdigit())
    return any(fields is not None and int(fields[2]) == pgid for fields in stats)


def _stop(proc: subprocess.Popen) -> None:
    """Kill a started command's process group (by its id), reap it, and wait until all of it exited.

    Reaping the command is not enough: a child it was forking when killed (a worker, or git asked
    for the commit) holds the folder's lock until its own exit, which can lag under load.
    """
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while os.path.isdir("/proc") and _group_running(proc.pid):
        assert time.monotonic() < deadline, f"process group {proc.pid} outlived its kill by 30 s"
        time.sleep(0.005)


# ---------------------------------------------------------------------------------------------
# 1. One command per folder

DRIVER = r"""
import contextlib, io, json, sys, time
from pathlib import Path
from sim.cli import main
import sim.cli.commands.run, sim.cli.commands.sweep, sim.experiments.sweep, sim.runs.runner  # noqa
me, other, base, commands = sys.argv[1], sys.argv[2], Path(sys.argv[3]), json.loads(sys.argv[4])
results = []
for i, command in enumerate(commands):
    (base / f"ready-{i}-{me}").touch()
    deadline = time.monotonic() + 120
    while not (base / f"ready-{i}-{other}").exists() and time.monotonic() < deadline:
        time.sleep(0.0005)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(command)
    results.append({"rc": rc, "out": out.getvalue(), "err": err.getvalue()})
(base / f"result-{me}.json").write_text(json.dumps(results))
"""

ROUNDS = 10


def test_two_commands_started_at_once_on_one_new_folder_one_wins(tmp_path):
    """Two drivers start the same command at the same moment (file barrier), ROUNDS times.

    Even rounds race two sweeps (different seeds), odd rounds two runs (different seeds); each
    round exactly one succeeds, the other gets one line and exit 2, and the folder is the winner's.
    """
    exps = {me: experiment(tmp_path, f"exp-{me}.toml", seed=seed) for me, seed in (("A", 5), ("B", 6))}
    seeds = {"A": "11", "B": "12"}

    def command(me: str, i: int) -> list[str]:
        out = str(tmp_path / f"round-{i}" / "out")
        if i % 2 == 0:
            return ["sweep", str(exps[me]), "--out", out, "--workers", "1"]
        return ["run", str(BASELINE), "--out", out, "--seed", seeds[me], *SMALL_RUN]

    drivers = {
        me: subprocess.Popen(
            [PY, "-c", DRIVER, me, other, str(tmp_path), json.dumps([command(me, i) for i in range(ROUNDS)])],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"driver-{me}.err").open("wb"),
            start_new_session=True,
        )
        for me, other in (("A", "B"), ("B", "A"))
    }
    try:
        for proc in drivers.values():
            proc.wait(timeout=300)
    finally:
        for proc in drivers.values():
            _stop(proc)
    for me, proc in drivers.items():
        assert proc.returncode == 0, (tmp_path / f"driver-{me}.err").read_text()[-2000:]
    results = {me: json.loads((tmp_path / f"result-{me}.json").read_text()) for me in drivers}
    wins = {"A": 0, "B": 0}
    for i in range(ROUNDS):
        rcs = {me: results[me][i]["rc"] for me in drivers}
        assert sorted(rcs.values()) == [0, 2], (i, rcs, results["A"][i]["err"], results["B"][i]["err"])
        winner = min(rcs, key=rcs.get)
        loser = "B" if winner == "A" else "A"
        wins[winner] += 1
        out = tmp_path / f"round-{i}" / "out"
        line = one_line(results[loser][i]["err"])
        assert str(out) in line and results[loser][i]["out"] == "", line
        assert [p.name for p in out.parent.iterdir()] == ["out"]  # no part folder left
        manifest = json.loads((out / "manifest.json").read_text())
        if i % 2 == 0:
            assert manifest["experiment_sha256"] == load_experiment(exps[winner]).sha256
            assert manifest["status"] == "complete" and len(manifest["attempts"]) == 1
            runs = pd.read_csv(out / "runs.csv")
            assert done_runs(out) == set(range(len(runs)))
            for run in runs.itertuples():
                stored = pd.read_parquet(out / "runs" / f"run-{run.run:06d}.parquet")
                assert set(stored["seed"]) == {run.seed}
        else:
            assert manifest["scenario"]["run"]["seed"] == int(seeds[winner])
            ts = pd.read_parquet(out / "timeseries.parquet")
            assert set(ts["seed"]) == set(manifest["seeds"])
    print("wins", wins)


def _claim_in_child(folder: str, start: float, queue, done) -> None:
    time.sleep(max(0.0, start - time.time()))
    try:
        claim = storage.claim_results_dir("x", folder)
    except UsageError as exc:
        queue.put(("refused", str(exc)))
        return
    queue.put(("claimed", "created" if claim.created else "found"))
    done.wait(30)  # hold it until every other process has tried
    claim.release()


def test_claiming_a_folder_is_atomic_among_four_processes(tmp_path):
    ctx = mp.get_context("fork")
    for i in range(8):
        folder = tmp_path / f"f{i}"
        queue, done = ctx.Queue(), ctx.Event()
        start = time.time() + 0.2
        args = (str(folder), start, queue, done)
        procs = [ctx.Process(target=_claim_in_child, args=args) for _ in range(4)]
        for p in procs:
            p.start()
        try:
            outcomes = [queue.get(timeout=30) for _ in procs]
        finally:
            done.set()
            for p in procs:
                p.join(timeout=10)
                if p.is_alive():
                    p.kill()
                    p.join()
        assert sorted(o for o, _ in outcomes) == ["claimed", "refused", "refused", "refused"], outcomes
        assert all(str(folder) in msg for o, msg in outcomes if o == "refused")
        (how,) = [msg for o, msg in outcomes if o == "claimed"]
        assert how == "created"  # claims take turns: nobody locks the folder between mkdir and flock
        assert not folder.exists()  # the winner created it, left it empty and removed it


def test_a_second_resume_is_refused_while_the_first_holds_the_folder(tmp_path):
    exp = experiment(tmp_path, steps=80, customers=300, n=6)  # runs slow enough to be held mid-sweep
    out = tmp_path / "out"
    first = run_sweep(exp, out, workers=1, analyse=False, quiet=True, stop_after=2)
    before = len(done_runs(out))
    assert first.interrupted and 2 <= before <= 3
    proc = _popen(["sweep", str(exp), "--out", str(out), "--resume", "--workers", "1"])
    try:
        deadline = time.monotonic() + 60
        while len(done_runs(out)) == before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        os.killpg(proc.pid, signal.SIGSTOP)  # hold the first --resume mid-sweep
        assert len(done_runs(out)) < 6, "the first --resume finished too soon"
        held = len(done_runs(out))
        err = subprocess.run(
            [PY, "-m", "sim", "sweep", str(exp), "--out", str(out), "--resume", "--workers", "1"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert err.returncode == 2, err.stdout + err.stderr
        line = one_line(err.stderr)
        assert str(out) in line and "in use" in line
        assert len(done_runs(out)) == held  # the second one ran nothing
        os.killpg(proc.pid, signal.SIGCONT)
        assert proc.wait(timeout=120) == 0
    finally:
        try:
            os.killpg(proc.pid, signal.SIGCONT)
        except OSError:
            pass
        _stop(proc)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["attempts"]) == 2
    assert sum(a["ran"] for a in manifest["attempts"]) == 6  # every run ran exactly once


def test_an_empty_folder_the_user_made_is_accepted(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    assert cli_main(["run", str(BASELINE), "--out", str(out), *SMALL_RUN]) == 0
    assert (out / "manifest.json").is_file()
    out2 = tmp_path / "mine2"
    out2.mkdir()
    assert run_sweep(experiment(tmp_path), out2, workers=1, analyse=False, quiet=True).ran == 2


# ---------------------------------------------------------------------------------------------
# 3. Output-folder errors: one line naming the folder, exit 2, nothing written


def _bad_out(tmp_path: Path, case: str) -> Path:
    if case == "under a file":
        (tmp_path / "file").write_text("x")
        return tmp_path / "file" / "out"
    if case == "deeper under a file":
        (tmp_path / "file").write_text("x")
        return tmp_path / "file" / "a" / "out"
    if case == "a file":
        (tmp_path / "file").write_text("x")
        return tmp_path / "file"
    if case == "not writable":
        if os.geteuid() == 0:  # root writes anywhere on disk; /proc refuses it too
            return Path("/proc") / f"commsim-test-{os.getpid()}"
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        return ro / "out"
    if case == "name too long":
        return tmp_path / ("x" * 300)
    if case == "symlink to nowhere":
        (tmp_path / "link").symlink_to(tmp_path / "nowhere")
        return tmp_path / "link"
    if case == "symlink to a file":
        (tmp_path / "file").write_text("x")
        (tmp_path / "link").symlink_to(tmp_path / "file")
        return tmp_path / "link"
    raise AssertionError(case)


BAD_OUT = [
    "under a file",
    "deeper under a file",
    "a file",
    "not writable",
    "name too long",
    "symlink to nowhere",
    "symlink to a file",
]


@pytest.mark.parametrize("command", ["run", "sweep"])
@pytest.mark.parametrize("case", BAD_OUT)
def test_bad_output_folder_gives_one_line_and_exit_2(case, command, tmp_path, capsys):
    out = _bad_out(tmp_path, case)
    before = sorted(p.name for p in tmp_path.iterdir())
    if command == "run":
        args = ["run", str(BASELINE), "--out", str(out), *SMALL_RUN]
    else:
        args = ["sweep", str(experiment(tmp_path)), "--out", str(out), "--workers", "1"]
        before.append("exp.toml")
    t0 = time.monotonic()
    rc = cli_main(args)
    line = one_line(capsys.readouterr().err)
    assert rc == 2 and str(out) in line, line
    assert time.monotonic() - t0 < 30  # refused before any run
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)


def test_a_run_name_that_fits_but_leaves_no_room_for_its_part_folder_is_refused_at_once(tmp_path, capsys):
    out = tmp_path / ("y" * 250)  # fits (255), but ".NAME.part-PID" beside it would not
    assert cli_main(["run", str(BASELINE), "--out", str(out), *SMALL_RUN]) == 2
    line = one_line(capsys.readouterr().err)
    assert "too long" in line
    assert list(tmp_path.iterdir()) == []


def test_a_symlink_to_a_folder_is_followed(tmp_path, capsys):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    assert cli_main(["run", str(BASELINE), "--out", str(tmp_path / "link"), *SMALL_RUN]) == 0
    assert f"Results: {real}" in capsys.readouterr().out
    assert (tmp_path / "link").is_symlink() and (real / "manifest.json").is_file()
    sweep_real = tmp_path / "sweep-real"
    sweep_real.mkdir()
    (tmp_path / "sweep-link").symlink_to(sweep_real)
    res = run_sweep(experiment(tmp_path), tmp_path / "sweep-link", workers=1, analyse=False, quiet=True)
    assert res.folder == sweep_real and len(done_runs(sweep_real)) == 2
    names = ["exp.toml", "link", "real", "sweep-link", "sweep-real"]
    assert sorted(p.name for p in tmp_path.iterdir()) == names


def test_parent_folders_are_created_and_removed_again_on_refusal(tmp_path, capsys):
    out = tmp_path / "a" / "b" / ("x" * 300)
    assert cli_main(["sweep", str(experiment(tmp_path)), "--out", str(out)]) == 2
    one_line(capsys.readouterr().err)
    assert not (tmp_path / "a").exists()


# ---------------------------------------------------------------------------------------------
# 6. Interrupts


def test_a_killed_runs_part_folder_is_removed_by_the_next_run(tmp_path, capsys):
    out = tmp_path / "out"
    proc = _popen(["run", str(BASELINE), "--out", str(out), *SMALL_RUN])
    part = tmp_path / f".out.part-{proc.pid}"
    try:
        deadline = time.monotonic() + 90
        while not (part / "timeseries.parquet").exists() and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.002)
        os.killpg(proc.pid, signal.SIGKILL)  # while it writes its folder
    finally:
        _stop(proc)
    assert part.is_dir() and not (out / "manifest.json").exists()
    # A part folder of a dead process that is not this one's, and one of a live process.
    other = tmp_path / f".other.part-{_dead_pid()}"
    other.mkdir()
    live = tmp_path / f".live.part-{os.getppid()}"
    live.mkdir()
    assert cli_main(["run", str(BASELINE), "--out", str(out), *SMALL_RUN]) == 0
    capsys.readouterr()
    assert not part.exists() and not other.exists() and live.is_dir()
    assert (out / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "out"]


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_a_part_folder_being_written_is_left_alone(tmp_path):
    part = tmp_path / f".busy.part-{_dead_pid()}"
    part.mkdir()
    fd = storage.lock_folder(part)  # a writer in another PID namespace would hold this lock
    try:
        assert remove_stale_parts(tmp_path) == [] and part.is_dir()
    finally:
        storage.unlock(fd)
    assert remove_stale_parts(tmp_path) == [part] and not part.exists()


def _leftover(tmp_path: Path, exp: Path, state: str) -> Path:
    """The folder a sweep killed at some moment before its first run ended leaves."""
    out = tmp_path / "out"
    if state in ("empty", "half a manifest"):  # killed right after creating it, or in its first write
        out.mkdir()
        if state == "half a manifest":
            (out / ".manifest.json.4242.part").write_text('{"kind": "sw')
        return out
    p = plan(exp, out, resume=False)
    p.claim.created = False  # killed: nothing is removed (and the lock dies with the process)
    p.claim.release()
    if state == "setting up":  # killed while writing the fixed files
        manifest = json.loads((out / "manifest.json").read_text())
        (out / "manifest.json").write_text(json.dumps({**manifest, "status": "setting up"}))
        (out / "runs.csv").unlink()
        (out / ".runs.csv.4242.part").write_text("run,po")
    else:  # killed after the manifest, while its first run was being written
        (out / "runs").mkdir()
        (out / "runs" / ".run-000000.parquet.4242.part").write_bytes(b"PAR1")
    return out


@pytest.mark.parametrize("resume", [True, False], ids=["resume", "fresh"])
@pytest.mark.parametrize("state", ["empty", "half a manifest", "setting up", "manifest, no run"])
def test_a_sweep_killed_before_any_run_finished_can_be_resumed_or_restarted(state, resume, tmp_path):
    exp = experiment(tmp_path)
    out = _leftover(tmp_path, exp, state)
    res = run_sweep(exp, out, workers=1, resume=resume, analyse=False, quiet=True)
    assert res.ran == 2 and res.done == 2 and not res.interrupted
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["attempts"]) == 1
    assert (out / "runs.csv").is_file() and (out / "experiment.toml").read_text() == exp.read_text()
    assert not [p for p in out.rglob(".*")]  # no half-written file is left


def test_a_folder_with_a_finished_run_or_anyone_elses_files_is_not_restarted(tmp_path, capsys):
    exp = experiment(tmp_path, n=4)
    out = tmp_path / "out"
    run_sweep(exp, out, workers=1, analyse=False, quiet=True, stop_after=1)
    assert cli_main(["sweep", str(exp), "--out", str(out)]) == 2
    assert "--resume" in one_line(capsys.readouterr().err)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "experiment.toml").write_text(exp.read_text())  # the user's own file, named like ours
    for resume in ([], ["--resume"]):
        assert cli_main(["sweep", str(mine / "experiment.toml"), "--out", str(mine), *resume]) == 2
        assert str(mine) in one_line(capsys.readouterr().err)
    assert cli_main(["sweep", str(exp), "--out", str(tmp_path / "none"), "--resume"]) == 2
    assert "no sweep to resume" in one_line(capsys.readouterr().err)
    assert [p.name for p in mine.iterdir()] == ["experiment.toml"] and not (tmp_path / "none").exists()


def test_a_sweep_killed_as_soon_as_its_folder_appears_can_be_resumed(tmp_path):
    exp = experiment(tmp_path)
    out = tmp_path / "out"
    proc = _popen(["sweep", str(exp), "--out", str(out), "--workers", "1"])
    try:
        deadline = time.monotonic() + 90
        while not out.exists() and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.001)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        _stop(proc)
    res = run_sweep(exp, out, workers=1, resume=True, analyse=False, quiet=True)
    assert res.done == 2 and not res.interrupted


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_sweep_workers_exit_when_the_sweep_is_killed(tmp_path):
    exp = experiment(tmp_path, steps=60, customers=400, n=12)  # long enough to find the workers
    proc = _popen(["sweep", str(exp), "--out", str(tmp_path / "out"), "--workers", "2"])
    workers: dict[int, str | None] = {}
    try:
        cmdline = None
        deadline = time.monotonic() + 90
        while len(workers) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "no workers seen"
            cmdline = cmdline or Path(f"/proc/{proc.pid}/cmdline").read_bytes()
            for kid in _children(proc.pid):
                try:
                    if Path(f"/proc/{kid}/cmdline").read_bytes() == cmdline:
                        workers[kid] = _start_time(kid)
                except OSError:
                    pass
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # the parent only, not its group
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_start_time(w) == s for w, s in workers.items()):
            time.sleep(0.05)
        left = [w for w, s in workers.items() if _start_time(w) == s]
        assert left == [], f"worker(s) {left} outlived the killed sweep"
    finally:
        _kill(workers)
        _stop(proc)


def test_a_claim_inside_a_held_folder_goes_on_without_a_turn(tmp_path, monkeypatch):
    """Turns are taken on the parent; when it is a running command's folder, wait briefly, then claim."""
    monkeypatch.setattr(storage, "_CLAIM_WAIT", 0.05)
    with storage.claim_results_dir("x", tmp_path / "outer") as outer:
        with storage.claim_results_dir("x", outer.path / "inner") as inner:
            assert inner.created and inner.fd is not None
            with pytest.raises(storage.FolderInUseError):
                storage.claim_results_dir("x", outer.path / "inner")  # still the folder's own lock
        assert not (outer.path / "inner").exists()
    assert not (tmp_path / "outer").exists()
