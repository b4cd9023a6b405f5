"""Sweeps: invariance to workers and order, resume, Dask, paired arms, Sobol, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main as cli_main
from sim.experiments.analysis import diff_columns, sensitivity_table
from sim.experiments.designs import sample_unit
from sim.experiments.experiment_file import validate_experiment
from sim.experiments.sweep import Plan, done_runs, run_sweep

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
PY = sys.executable

TINY = f"""# Question: a tiny sweep for tests.
name = "tiny"
base = "{BASELINE}"
replications = 2
seed = 5
steps = 30
weeks = [13, 30]
measures = ["revenue", "cum_profit", "customers_active", "momentum_week"]

[set]
"population.customers" = 300

[parameters]
"behaviour.word_of_mouth" = [0.05, 0.3]
"population.price_sensitivity_mean" = {{ low = 1.0, high = 4.0 }}

[design]
kind = "grid"
levels = 2

[arms.community]

[arms.transactional]
strategy_map = {{ community = "transactional" }}
"""


def write(tmp: Path, text: str, name: str = "exp.toml") -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


def summary(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "summary.parquet").sort_values("run").reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The tiny sweep, uninterrupted, on 2 local workers."""
    tmp = tmp_path_factory.mktemp("ref")
    exp = write(tmp, TINY)
    out = run_sweep(exp, tmp / "out", workers=2, quiet=True)
    assert out.failed == 0 and out.ran == 16
    return tmp / "out"


def test_one_and_two_workers_and_any_order_give_identical_summary(reference, tmp_path, monkeypatch):
    exp = write(tmp_path, TINY)
    run_sweep(exp, tmp_path / "one", workers=1, quiet=True)
    pd.testing.assert_frame_equal(summary(tmp_path / "one"), summary(reference))
    # Reversed submission order gives the same table.
    monkeypatch.setattr(
        Plan,
        "missing",
        lambda self: sorted(set(range(len(self.runs))) - done_runs(self.folder), reverse=True),
    )
    run_sweep(exp, tmp_path / "rev", workers=2, quiet=True)
    pd.testing.assert_frame_equal(summary(tmp_path / "rev"), summary(reference))
    # And the runs differ from one another (a constant table would pass trivially).
    assert summary(reference)["revenue.all.w13"].nunique() > 4


def test_resume_after_a_killed_sweep_equals_an_uninterrupted_one(reference, tmp_path):
    exp = write(tmp_path, TINY)
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [PY, "-m", "sim", "sweep", str(exp), "--out", str(out), "--workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline and len(done_runs(out)) < 3:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(done_runs(out))
    assert 3 <= partial < 16, partial
    before = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("run-*.parquet")}
    res = run_sweep(exp, out, workers=2, resume=True, quiet=True)
    assert res.ran == 16 - partial  # only the missing runs
    after = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("run-*.parquet")}
    assert all(after[k] == v for k, v in before.items())  # finished runs were not redone
    s = summary(out)
    assert s["run"].is_unique and len(s) == 16
    pd.testing.assert_frame_equal(s, summary(reference))
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def test_dask_cluster_equals_process_pool(reference, tmp_path):
    dask = Path(PY).with_name("dask")
    sched_file = tmp_path / "scheduler.json"
    procs = [
        subprocess.Popen(
            [
                str(dask),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
    ]
    try:
        deadline = time.time() + 60
        while not sched_file.exists() and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)
        address = json.loads(sched_file.read_text())["address"]
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        str(dask),
                        "worker",
                        address,
                        "--host",
                        "127.0.0.1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    cwd=ROOT,
                )
            )
        from distributed import Client

        with Client(address, timeout="20s") as c:
            c.wait_for_workers(2, timeout=60)
        exp = write(tmp_path, TINY)
        res = run_sweep(exp, tmp_path / "dask", scheduler=address, quiet=True)
        assert res.ran == 16 and res.failed == 0
        pd.testing.assert_frame_equal(summary(tmp_path / "dask"), summary(reference))
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def test_paired_arms_share_seeds(tmp_path):
    text = TINY.replace(
        'strategy_map = {{ community = "transactional" }}'.replace("{{", "{").replace("}}", "}"),
        '"population.need_scale" = 1.0',
    )
    assert '"population.need_scale" = 1.0' in text  # arm b made identical to arm a
    exp = write(tmp_path, text)
    run_sweep(exp, tmp_path / "same", workers=2, quiet=True)
    runs = pd.read_csv(tmp_path / "same" / "runs.csv")
    per_pair = runs.groupby(["point", "replication"])["seed"].nunique()
    assert (per_pair == 1).all()
    assert runs.groupby("arm")["seed"].nunique().min() == 8  # but differ between pairs
    paired = pd.read_parquet(tmp_path / "same" / "paired.parquet")
    cols = [c for c in diff_columns(paired) if c not in ("overtake_week", "momentum_week")]
    assert len(paired) == 8 and len(cols) == 6
    assert (paired[cols].to_numpy() == 0).all()
    assert "same seeds" in (tmp_path / "same" / "report.html").read_text()


def test_real_arms_differ(reference):
    paired = pd.read_parquet(reference / "paired.parquet")
    assert (paired["revenue.w13"].abs() > 0).any()


def test_sobol_on_ishigami_matches_analytic_values():
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    x = sample_unit("sobol", problem, {"N": 2048, "second_order": False}, seed=3)
    a, b = 7.0, 0.1
    y = np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    t = sensitivity_table("sobol", problem, y, x, {"second_order": False}, seed=3).set_index("parameter")
    var = a**2 / 8 + b * np.pi**4 / 5 + b**2 * np.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    s1 = [v1 / var, v2 / var, 0.0]
    st = [(v1 + v13) / var, v2 / var, v13 / var]
    np.testing.assert_allclose(t["S1"], s1, atol=0.04)
    np.testing.assert_allclose(t["ST"], st, atol=0.04)
    assert (t["S1_conf"] > 0).all()


def test_morris_ranks_the_important_input_first():
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    x = sample_unit("morris", problem, {"trajectories": 20, "levels": 4}, seed=1)
    y = 10 * x[:, 0] + 1 * x[:, 1] + 0 * x[:, 2]
    t = sensitivity_table("morris", problem, y, x, {"levels": 4}).set_index("parameter")
    np.testing.assert_allclose(t["mu_star"], [10, 1, 0], atol=1e-9)


@pytest.mark.parametrize("path", sorted((ROOT / "experiments").glob("*.toml")), ids=lambda p: p.stem)
def test_every_builtin_experiment_validates(path):
    line = validate_experiment(path)
    assert "OK" in line and "\n" not in line
    assert path.read_text().startswith("# Question:")


def test_smoke_is_small():
    line = validate_experiment(ROOT / "experiments" / "smoke.toml")
    runs = int(line.split(" = ")[1].split(" runs")[0])
    assert runs <= 20


BAD = {
    "unknown top-level key": (TINY.replace("replications = 2", "replicatons = 2"), "replicatons"),
    "unknown parameter key": (
        TINY.replace('"behaviour.word_of_mouth"', '"behaviour.word_of_moth"'),
        "word_of_moth",
    ),
    "range outside valid range": (
        TINY.replace("{ low = 1.0, high = 4.0 }", "{ low = 1.0, high = 99.0 }"),
        "valid range",
    ),
    "sobol not a power of two": (
        TINY.replace('kind = "grid"\nlevels = 2', 'kind = "sobol"\nN = 100').replace(
            "[0.05, 0.3]", "{ low = 0.05, high = 0.3 }"
        ),
        "power of 2",
    ),
    "zero replications": (TINY.replace("replications = 2", "replications = 0"), "replications"),
    "unknown measure": (TINY.replace('"momentum_week"]', '"momentum"]'), "momentum"),
    "week beyond horizon": (TINY.replace("weeks = [13, 30]", "weeks = [13, 40]"), "40"),
    "unknown design key": (TINY.replace("levels = 2", "levels = 2\nsample = 3"), "design.sample"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_experiment_exits_2_with_one_line_and_writes_nothing(case, tmp_path, capsys):
    text, word = BAD[case]
    exp = write(tmp_path, text)
    rc = cli_main(["sweep", str(exp), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and word in err and "exp.toml" in err, err
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_fails_fast(tmp_path, capsys):
    exp = write(tmp_path, TINY)
    t0 = time.time()
    rc = cli_main(["sweep", str(exp), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and time.time() - t0 < 10
    assert len(err.splitlines()) == 1 and "scheduler" in err
    assert not (tmp_path / "out").exists()


def test_existing_folder_and_changed_experiment_are_refused(reference, tmp_path, capsys):
    before = {p: p.stat().st_mtime_ns for p in reference.rglob("*")}
    exp = write(tmp_path, TINY)
    assert cli_main(["sweep", str(exp), "--out", str(reference)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--resume" in err
    changed = write(tmp_path, TINY.replace("seed = 5", "seed = 6"), "changed.toml")
    assert cli_main(["sweep", str(changed), "--out", str(reference), "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "changed" in err
    assert {p: p.stat().st_mtime_ns for p in reference.rglob("*")} == before


def test_failed_runs_are_recorded_and_the_sweep_goes_on(tmp_path, capsys):
    # Each value is valid alone; home neighbourhood 5 in a town of 2 neighbourhoods is not.
    text = TINY.replace(
        '"behaviour.word_of_mouth" = [0.05, 0.3]\n'
        '"population.price_sensitivity_mean" = { low = 1.0, high = 4.0 }',
        '"businesses.0.neighbourhood" = [0, 5]\n"population.neighbourhoods" = [2, 8]',
    )
    exp = write(tmp_path, text)
    rc = cli_main(["sweep", str(exp), "--out", str(tmp_path / "out"), "--workers", "2"])
    assert rc == 3
    failures = pd.read_csv(tmp_path / "out" / "failures.csv")
    assert len(failures) == 4 and failures["error"].str.contains("neighbourhood").all()
    assert len(pd.read_parquet(tmp_path / "out" / "summary.parquet")) == 12
    assert (tmp_path / "out" / "report.html").exists()


def test_a_whole_number_parameter_swept_with_decimal_ones_stays_whole():
    """A design row mixing int and float parameters comes back as floats: runs get ints again."""
    import pandas as pd

    from sim.experiments.designs import run_overrides
    from sim.experiments.experiment_file import experiment_from_dict

    exp = experiment_from_dict(
        {
            "name": "mixed",
            "base": "scenarios/baseline.toml",
            "parameters": {"population.customers": [1000, 3333], "behaviour.word_of_mouth": [0.1, 0.2]},
            "design": {"kind": "grid"},
        },
        "mixed.toml",
    )
    points = pd.DataFrame({"population.customers": [3333.0], "behaviour.word_of_mouth": [0.1]})
    out = run_overrides(exp, points, 0, exp.arm_names[0])
    assert out["population.customers"] == 3333 and isinstance(out["population.customers"], int)
