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
from sim.experiments.analysis import (
    diff_columns,
    momentum_weeks,
    overtake_week,
    overtake_weeks,
    point_stats,
    sensitivity_table,
    summary_lines,
)
from sim.experiments.designs import sample_unit
from sim.experiments.experiment_file import validate_experiment
from sim.experiments.sensitivity import (
    NOISE_LIMIT,
    elementary_effects,
    noise,
    sensitivity,
    sensitivity_lines,
    tier_stability,
    tiers,
)
from sim.experiments.sweep import Plan, done_runs, run_sweep
from sim.experiments.where import describe_region, where_lines, where_wins

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
    for name in ("S1", "ST"):  # percentile intervals inside [0, 1] around the estimate
        assert (t[f"{name}_low"] >= 0).all() and (t[f"{name}_high"] <= 1).all()
        assert (t[f"{name}_low"] <= t[name] + 1e-12).all() and (t[name] <= t[f"{name}_high"] + 1e-12).all()
    assert (t["ST_high"] - t["ST_low"]).max() < 0.2


def test_morris_ranks_the_important_input_first():
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    x = sample_unit("morris", problem, {"trajectories": 20, "levels": 4}, seed=1)
    y = 10 * x[:, 0] + 1 * x[:, 1] + 0 * x[:, 2]
    t = sensitivity_table("morris", problem, y, x, {"levels": 4}).set_index("parameter")
    np.testing.assert_allclose(t["mu_star"], [10, 1, 0], atol=1e-9)
    assert list(t["tier"]) == [1, 2, 3]  # exact effects: every step told apart
    # Our elementary effects (behind the intervals) are SALib's: their mean |EE| is its mu*.
    y2 = y + np.sin(7 * x[:, 2]) + x[:, 0] * x[:, 1]
    t2 = sensitivity_table("morris", problem, y2, x, {"levels": 4})
    np.testing.assert_allclose(np.abs(elementary_effects(x, y2, 3)).mean(axis=0), t2["mu_star"], rtol=1e-9)
    assert (t2["mu_star_low"] <= t2["mu_star"]).all() and (t2["mu_star"] <= t2["mu_star_high"]).all()


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


# ---------------------------------------------------------------------------------------------
# What the analysis says: intervals, where each side wins, how much the indices know


def test_vectorised_momentum_and_overtake_equal_the_one_run_rules():
    from sim.core.measures import momentum_week

    rng = np.random.default_rng(3)
    steps = np.arange(1, 105)
    trend = np.linspace(0, 1, 104) ** rng.uniform(0.5, 3, size=(60, 1))
    revenue = 1000 * (1 + trend * rng.uniform(0, 2, size=(60, 1))) + rng.normal(0, 30, size=(60, 104))
    expected = [momentum_week(r) for r in revenue]
    assert len(set(expected)) > 5  # the rule fires at different weeks, and sometimes not (-1)
    np.testing.assert_array_equal(momentum_weeks(revenue, steps), expected)
    a = np.cumsum(rng.normal(0, 1, size=(60, 104)), axis=1)
    b = np.zeros_like(a)
    got = overtake_weeks(a, b, steps)
    for row, week in zip(a, got, strict=True):
        ahead = row > 0
        if not ahead[-1]:
            assert np.isnan(week)
        else:
            first = int(week) - 1
            assert ahead[first:].all() and (first == 0 or not ahead[first - 1])
    assert overtake_week(np.array([0, 2, 3]), np.array([1, 1, 1]), np.array([5, 6, 7])) == 6


def _synthetic_paired(diff, x, z, reps, rng, measure="cum_profit.w52"):
    rows = []
    for p, (xv, zv, d) in enumerate(zip(x, z, diff, strict=True)):
        for r in range(reps):
            rows.append(
                {"point": p, "arm": "a-b", "replication": r, "x": xv, "z": zv, measure: d + rng.normal(0, 1)}
            )
    return pd.DataFrame(rows)


def _exp(target="cum_profit", week=52, kind="grid", keys=("x", "z"), **design):
    return {
        "compare": {"mode": "arms", "a": "community", "b": "transactional", "group": "community"},
        "design": {"kind": kind, "target": target, "target_week": week, **design},
        "parameters": [{"key": k} for k in keys],
        "measures": [target],
        "seed": 1,
        "steps": week,
    }


def test_where_each_side_wins_names_the_region_and_the_share_of_replications():
    rng = np.random.default_rng(0)
    gx, gz = np.meshgrid([1.0, 2.0, 3.0, 4.0], [10.0, 20.0])
    x, z = gx.ravel(), gz.ravel()
    paired = _synthetic_paired(np.where(x >= 3, 5.0, -5.0), x, z, 4, rng)
    stats_df = point_stats(paired, ["x", "z"])
    wins = where_wins(paired, stats_df, _exp()).set_index("side")
    a, b = wins.loc["community"], wins.loc["transactional"]
    assert (a["points"], a["of_points"], a["region"], a["rule_fits"]) == (4, 8, "x >= 3", 1.0)
    assert b["region"] == "x <= 2" and b["points"] == 4
    assert a["share_replications"] == 1.0 and a["clear_points"] == 4  # noise sd 1 against +-5
    lines = where_lines(wins.reset_index(), _exp())
    assert "community ahead at 4 of 8 points (x >= 3): ahead in 100% of the replications there" in lines[1]
    # Two parameters: ahead only where x >= 3 and z <= 10; and a side that holds nothing.
    paired = _synthetic_paired(np.where((x >= 3) & (z <= 10), 5.0, -5.0), x, z, 4, rng)
    wins = where_wins(paired, point_stats(paired, ["x", "z"]), _exp()).set_index("side")
    assert wins.loc["community", "region"] == "x >= 3 and z <= 10"
    assert wins.loc["community", "points"] == 2
    paired = _synthetic_paired(np.full(8, -5.0), x, z, 4, rng)
    wins = where_wins(paired, point_stats(paired, ["x", "z"]), _exp())
    assert "community ahead at none of the 8 points." in where_lines(wins, _exp())[1]
    assert wins.set_index("side").loc["transactional", "region"] == "everywhere tested"


def test_a_region_no_simple_rule_fits_is_not_named():
    x = np.arange(12.0)
    mask = np.array([1, 0] * 6, dtype=bool)  # every other point: no threshold fits 3 in 4
    text, fit = describe_region(pd.DataFrame({"x": x}), mask)
    assert text == "" and fit < 0.75


def test_intervals_of_shares_and_differences_stay_in_range():
    rng = np.random.default_rng(1)
    rows = []
    for p in range(30):
        for r in range(5):
            a, b = rng.integers(0, 7, size=2) / 6  # survival: a share of 6 businesses
            rows.append({"point": p, "arm": "a-b", "replication": r, "x": p, "survival.w52": a - b})
    for r in range(2):  # a point with only 2 replications: no interval
        rows.append({"point": 30, "arm": "a-b", "replication": r, "x": 30, "survival.w52": 0.5})
    paired = pd.DataFrame(rows)
    st = point_stats(paired, ["x"])
    st = st[st["measure"] == "survival"].set_index("point")
    per_point = paired.groupby("point")["survival.w52"]
    lo_ok, hi_ok = st["low"] >= per_point.min() - 1e-12, st["high"] <= per_point.max() + 1e-12
    assert lo_ok[:30].all() and hi_ok[:30].all()
    assert (st["low"][:30] >= -1).all() and (st["high"][:30] <= 1).all()
    assert (st["low"][:30] <= st["mean"][:30]).all() and (st["mean"][:30] <= st["high"][:30]).all()
    for c in ("share_ahead", "share_ahead_low", "share_ahead_high"):
        assert st[c][:30].between(0, 1).all()
    assert (st["share_ahead_low"][:30] < st["share_ahead_high"][:30]).any()
    assert np.isnan(st.loc[30, "low"]) and st.loc[30, "replications"] == 2
    np.testing.assert_allclose(st["mean"], per_point.mean(), atol=1e-12)


def test_noise_share_is_near_one_for_pure_noise_and_zero_for_a_deterministic_output():
    rng = np.random.default_rng(2)
    pure = rng.normal(0, 3, size=(400, 4))
    assert noise(pure)["noise_share"] > 0.85
    signal = np.repeat(rng.uniform(0, 10, size=(400, 1)), 4, axis=1)
    out = noise(signal)
    assert out["noise_share"] == 0.0 and out["replications_needed"] == 4
    # Half and half in the per-point mean: noise of one replication = 4 x the signal's variance / 4.
    mixed = signal[:, :1] * 0 + rng.normal(0, 1, size=(400, 1)) + rng.normal(0, 2, size=(400, 4))
    assert 0.4 < noise(mixed)["noise_share"] < 0.6
    assert np.isnan(noise(signal[:, :1])["noise_share"])  # one replication: noise unknown


def _sobol_case(tmp_path, noisy: bool):
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[0.0, 1.0]] * 3}
    u = sample_unit("sobol", problem, {"N": 256, "second_order": False}, seed=4)
    x = (u - 0.5) * 2 * np.pi
    f = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    rng = np.random.default_rng(5)
    rows = []
    for p, fp in enumerate(f):
        for r in range(3):
            y = rng.normal(0, 20) if noisy else fp
            rows.append({"point": p, "arm": "a-b", "replication": r, "y.w1": y})
    exp = _exp("y", 1, "sobol", ("x1", "x2", "x3"), N=256, second_order=False)
    return sensitivity(tmp_path, pd.DataFrame(rows), {"experiment": exp, "points": len(f)}), exp


def test_sensitivity_ranks_a_deterministic_output_and_refuses_pure_noise(tmp_path):
    sens, exp = _sobol_case(tmp_path, noisy=False)
    assert (sens["noise_share"] < 1e-9).all() and (sens["verdict"] == "ranked").all()
    assert list(sens.sort_values("rank")["parameter"]) == ["x1", "x2", "x3"]  # ST 0.56, 0.44, 0.24
    assert list(sens.sort_values("rank")["rank"]) == [1, 2, 3]
    assert "Ranked in tiers by total index ST" in sensitivity_lines(sens, exp)[0]
    sens, exp = _sobol_case(tmp_path, noisy=True)
    assert (sens["noise_share"] > NOISE_LIMIT).all() and (sens["verdict"] == "noise dominates").all()
    assert sens["rank"].isna().all()
    line = sensitivity_lines(sens, exp)[0]
    assert (
        "NO RANKING" in line and "noise" in line and "replications per point" in line or "no effect" in line
    )


def test_noise_is_removed_from_the_sobol_indices(tmp_path):
    """Replication noise lifts SALib's ST of a parameter that does nothing to about the noise
    share; removed, it is near 0 and the others are the noise-free Ishigami values again."""
    problem = {"num_vars": 4, "names": ["x1", "x2", "x3", "idle"], "bounds": [[0.0, 1.0]] * 4}
    u = sample_unit("sobol", problem, {"N": 1024, "second_order": False}, seed=7)
    x = (u - 0.5) * 2 * np.pi
    f = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    rng = np.random.default_rng(8)
    noisy = f[:, None] + rng.normal(0, 4.0, size=(len(f), 2))  # noise of the mean: 8 against 13.8
    rows = [
        {"point": p, "arm": "a-b", "replication": r, "y.w1": noisy[p, r]}
        for p in range(len(f))
        for r in range(2)
    ]
    exp = _exp("y", 1, "sobol", ("x1", "x2", "x3", "idle"), N=1024, second_order=False)
    t = sensitivity(tmp_path, pd.DataFrame(rows), {"experiment": exp, "points": len(f)}).set_index(
        "parameter"
    )
    share = t["noise_share"].iloc[0]
    assert 0.25 < share < 0.5
    assert t.loc["idle", "ST_raw"] == pytest.approx(share, abs=0.06)  # the bias, before removal
    assert t.loc["idle", "ST"] < 0.05 and t.loc["idle", "ST_low"] == 0.0
    a, b = 7.0, 0.1
    var = a**2 / 8 + b * np.pi**4 / 5 + b**2 * np.pi**8 / 18 + 0.5
    v1, v2 = 0.5 * (1 + b * np.pi**4 / 5) ** 2, a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    np.testing.assert_allclose(
        t.loc[["x1", "x2", "x3"], "ST"], [(v1 + v13) / var, v2 / var, v13 / var], atol=0.07
    )
    np.testing.assert_allclose(t.loc[["x1", "x2"], "S1"], [v1 / var, v2 / var], atol=0.07)
    assert (t["ST_low"] <= t["ST"]).all() and (t["ST"] <= t["ST_high"]).all()


def test_tiers_part_parameters_only_where_every_paired_difference_is_apart_from_zero():
    rng = np.random.default_rng(9)
    n = 2000
    # a clearly first; b and c close (not told apart); d last.
    draws = np.column_stack(
        [
            rng.normal(1.0, 0.02, n),
            rng.normal(0.5, 0.1, n),
            rng.normal(0.45, 0.02, n),
            rng.normal(0.0, 0.02, n),
        ]
    )
    assert list(tiers(draws.mean(axis=0), draws)) == [1, 2, 2, 3]
    # Paired: two indices that move together (the same resampled rows) are told apart by their
    # difference, though each one's own interval covers the other's value.
    common = rng.normal(0.0, 1.0, n)
    together = np.column_stack([common + 0.1, common])
    assert list(tiers(together.mean(axis=0), together)) == [1, 2]
    apart = np.column_stack([common + 0.1, rng.permutation(common)])  # the same spread, unpaired
    assert list(tiers(apart.mean(axis=0), apart)) == [1, 1]


def test_tier_stability_is_how_often_redrawn_experiments_give_the_same_tiers():
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3}
    rng = np.random.default_rng(10)
    u = sample_unit("sobol", problem, {"N": 128, "second_order": False}, seed=11)
    clear = (10 * u[:, 0] + 3 * u[:, 1])[:, None] + rng.normal(0, 0.05, size=(len(u), 2))
    opts = {"N": 128, "second_order": False}
    # Effects far apart: every redrawn experiment gives a > b > c again.
    assert tier_stability("sobol", problem, clear, None, opts, np.array([1, 2, 3]), seed=1) == 1.0
    # Three equal effects: a claimed order a > b > c almost never comes back.
    equal = (u.sum(axis=1))[:, None] + rng.normal(0, 0.05, size=(len(u), 2))
    assert tier_stability("sobol", problem, equal, None, opts, np.array([1, 2, 3]), seed=1) <= 0.1
    # Morris: trajectories are redrawn whole (k + 1 rows each).
    x = sample_unit("morris", problem, {"trajectories": 30, "levels": 4}, seed=12)
    y = (10 * x[:, 0] + x[:, 1])[:, None] + np.zeros((len(x), 2))
    assert tier_stability("morris", problem, y, x, {"levels": 4}, np.array([1, 2, 3]), seed=2) == 1.0


def test_report_and_printed_summary_say_where_each_side_wins(reference):
    html = (reference / "report.html").read_text()
    assert "<b>Question:</b> a tiny sweep" in html and "Question. Question" not in html
    assert "Where each side wins" in html and "95% expanded percentile bootstrap" in html
    lines = summary_lines(reference)
    assert lines[0].startswith("Where each side wins: paired difference community - transactional")
    assert sum(" ahead at " in line for line in lines[1:3]) == 2
    wins = pd.read_csv(reference / "where_wins.csv")
    assert wins["points"].sum() <= 4 * 2 and set(wins["side"]) == {"community", "transactional"}
    points = pd.read_csv(reference / "points.csv")
    assert {"unit", "low", "high", "share_ahead"} <= set(points.columns)
    import re

    decimals = re.findall(r"(?<![\w.])-?\d+\.\d+(?:e[-+]\d+)?", (reference / "summary.csv").read_text())
    assert decimals and max(len(re.sub(r"\D|e.*", "", d).lstrip("0")) for d in decimals) <= 10


def test_morris_noise_floor_is_the_mu_star_of_a_parameter_that_does_nothing(tmp_path):
    problem = {"num_vars": 3, "names": ["a", "b", "dummy"], "bounds": [[0.0, 1.0]] * 3}
    x = sample_unit("morris", problem, {"trajectories": 300, "levels": 4}, seed=2)
    pd.DataFrame(x, columns=problem["names"]).to_csv(tmp_path / "design_unit.csv", index=False)
    rng = np.random.default_rng(6)
    scale = 1 + 3 * x[:, 1]  # noise that grows with b, as money does with town size
    rows = [
        {"point": p, "arm": "a-b", "replication": r, "y.w1": 10 * x[p, 0] + rng.normal(0, scale[p])}
        for p in range(len(x))
        for r in range(2)
    ]
    exp = _exp("y", 1, "morris", ("a", "b", "dummy"), trajectories=300, levels=4)
    sens = sensitivity(tmp_path, pd.DataFrame(rows), {"experiment": exp, "points": len(x)})
    t = sens.set_index("parameter")
    assert t.loc["dummy", "noise_floor"] == pytest.approx(t.loc["dummy", "mu_star"], rel=0.15)
    assert t.loc["a", "mu_star_low"] > t.loc["a", "noise_floor"]  # the real effect stands above it


def test_heatmap_cells_sit_on_the_tested_values_and_carry_their_numbers():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.experiments.report import _heatmap

    gx, gz = np.meshgrid([0.0, 0.02, 0.05, 0.4], [1.0, 4.0])  # uneven spacing
    st = pd.DataFrame({"x": gx.ravel(), "z": gz.ravel(), "mean": gx.ravel() - 0.04})
    st["share_ahead"] = np.where(st["mean"] > 0, 0.75, 0.25)
    fig, ax = plt.subplots()
    _, drawn, share = _heatmap(ax, st, "x", "z", grid=True)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "0.02", "0.05", "0.4"]
    assert ax.get_xlim() == (-0.5, 3.5)  # four equal cells, none stretched past a tested value
    assert len(ax.texts) == 8 and ax.texts[3].get_text() == "0.36\n75%"
    assert drawn and share.shape == (2, 4)
    plt.close(fig)
