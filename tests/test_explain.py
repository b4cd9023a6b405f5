"""``commsim explain`` (docs/ODD.md section 11): paired counterfactuals and the Shapley decomposition."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.config.scenario import scenario_from_dict
from sim.core.strategies import STRATEGY_FIELDS
from sim.experiments.explain import (
    LEVERS,
    explain,
    first_run,
    first_sustained,
    gain_paths,
    shapley,
)
from sim.runs.runner import run_scenario

ROOT = Path(__file__).resolve().parent.parent


def town(groups=("community", "transactional"), customers=250, steps=16, **tables):
    """Two categories, one business of each strategy in each: a small town that runs fast."""
    raw = {
        "run": {"name": "small", "steps": steps, "seed": 11},
        "population": {"customers": customers},
        "businesses": [{"category": c, "strategy": s} for c in ("cafe", "florist") for s in groups],
        **tables,
    }
    return raw


def tiny(*overrides: str):
    return scenario_from_dict(town(), overrides=list(overrides))


def commsim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


# ---------------------------------------------------------------------------------------------
# The arithmetic


def test_every_strategy_field_belongs_to_exactly_one_lever():
    fields = [f for group in LEVERS.values() for f in group]
    assert sorted(fields) == sorted(STRATEGY_FIELDS)  # a new field must be given a lever


def _brute_force_shapley(d: dict[frozenset, float], k: int) -> np.ndarray:
    """Average over all k! orders of the fall in D when each lever is switched."""
    phi = np.zeros(k)
    orders = list(itertools.permutations(range(k)))
    for order in orders:
        s: frozenset = frozenset()
        for i in order:
            phi[i] += d[s] - d[s | {i}]
            s = s | {i}
    return phi / len(orders)


def test_shapley_equals_the_average_over_orders_and_adds_up():
    rng = np.random.default_rng(3)
    k = 4
    values = rng.normal(size=2**k) * 1000
    d = {frozenset(i for i in range(k) if m >> i & 1): values[m] for m in range(2**k)}
    phi = shapley(values, k)
    np.testing.assert_allclose(phi, _brute_force_shapley(d, k), rtol=1e-12)
    assert phi.sum() + values[-1] == pytest.approx(values[0], rel=1e-12)  # contributions + residual = total


def test_shapley_of_an_additive_game_is_each_levers_own_effect():
    effects = np.array([5.0, -3.0, 2.0])
    base = 10.0  # D(all levers): the residual
    d = np.array([base + sum(effects[i] for i in range(3) if not m >> i & 1) for m in range(8)])
    np.testing.assert_allclose(shapley(d, 3), effects)


def test_timings_on_hand_made_paths():
    low = np.array([-1, 2, 3, -1, 4, 5, 6])
    assert first_sustained(low) == 5  # above 0 from week 5 to the end; the dip at week 4 resets it
    assert first_sustained(np.array([1.0, 2.0, np.nan])) is None  # not above 0 at the end
    assert first_sustained(np.ones(4)) == 1
    runs = np.array([1, 1, -1] + [1] * 13 + [-1])
    assert first_run(runs, 13) == 4
    assert first_run(np.ones(12), 13) is None
    with_work = np.tile(np.arange(1.0, 40.0), (2, 1))  # gain grows by 1 each week: accelerating
    gain, growth = gain_paths(with_work, np.zeros_like(with_work))
    assert gain[0, 2] == 1 + 2 + 3
    assert np.isnan(growth[0, 24]) and not np.isnan(growth[0, 25])
    # quarter gain (weeks 14-26) minus the quarter before (weeks 1-13): 13 weeks x 13 more each week
    assert growth[0, 25] == pytest.approx(13 * 13)


# ---------------------------------------------------------------------------------------------
# Runs on a small town


@pytest.fixture(scope="module")
def tiny_explanation():
    return explain(tiny(), replications=3, check_streams=False)


def test_contributions_and_residual_add_up_to_the_observed_difference(tiny_explanation):
    ex = tiny_explanation
    for frame in ex.contributions.values():
        levers = frame[list(LEVERS)].sum(axis=1)
        scale = max(1.0, frame["total"].abs().max())
        np.testing.assert_allclose(levers + frame["residual"], frame["total"], rtol=0, atol=1e-9 * scale)
    rows = ex.rows[ex.rows["measure"] == "profit"].set_index("kind")
    lever_sum = rows.loc["lever", "mean"].sum()
    assert lever_sum + rows.loc["residual", "mean"] == pytest.approx(rows.loc["total", "mean"], rel=1e-9)
    # downturn discount: no downturn in this town, so the lever cannot contribute
    dd = ex.rows[(ex.rows["lever"] == "downturn discount")]
    assert (dd[["mean", "low", "high"]] == 0).all().all()


def test_the_factual_run_is_commsim_runs_replication_with_the_same_seed(tiny_explanation):
    ex = tiny_explanation
    res = run_scenario(tiny(), replications=3)
    s = res.summary
    observed = (s["total_profit_community"] - s["total_profit_transactional"]).to_numpy()
    assert ex.seeds == res.seeds
    np.testing.assert_allclose(ex.contributions["profit"]["total"].to_numpy(), observed, rtol=1e-12)


def test_community_work_already_at_zero_has_exactly_no_effect():
    sc = tiny("strategies.community.community_time=0.0")
    ex = explain(sc, replications=3, levers=[], check_streams=False)
    cf = ex.rows[ex.rows["kind"] == "counterfactual"].set_index("measure")
    for measure in ("margin_gain", "revenue_gain", "profit_gain", "survival_gain", "community_cost"):
        assert (cf.loc[measure, ["mean", "low", "high"]] == 0).all(), measure
    assert math.isnan(cf.loc["sroi", "mean"])  # no cost: no return to speak of
    assert ex.first_results is None and ex.momentum is None
    assert any("no community work" in n for n in ex.notes)
    assert ex.runs == 3 * 2  # the counterfactual was run, not assumed


def test_identical_strategies_give_levers_that_contribute_exactly_zero():
    raw = town(("community", "twin"), customers=200, steps=10, strategies={"twin": {"extends": "community"}})
    sc = scenario_from_dict(raw)
    # every lever is switched for real (set to its own value), so each subset is its own run
    ex = explain(sc, against="twin", replications=3, levers=list(LEVERS), check_streams=False)
    assert ex.runs == 3 * (2 ** len(LEVERS) + 1)
    for frame in ex.contributions.values():
        assert (frame[list(LEVERS)] == 0).all().all()
        assert (frame["residual"] == frame["total"]).all()  # all of it is position and luck
    assert ex.contributions["revenue"]["total"].abs().sum() > 0  # ... and there is some


def test_a_lever_changes_the_outcome_in_its_direction(tiny_explanation):
    ex = tiny_explanation
    rev = ex.rows[(ex.rows["measure"] == "revenue") & (ex.rows["kind"] == "lever")].set_index("lever")
    # community's ads are 20 a week against 250: switching them to 250 raises its revenue, so its own
    # (small) ad budget contributes negatively to the community - transactional difference
    assert rev.loc["ads", "high"] < 0
    assert rev.loc["community work", "low"] > 0


# ---------------------------------------------------------------------------------------------
# The command


def _write_toml(path: Path, raw: dict) -> Path:
    from sim.config.scenario import to_toml

    path.write_text(to_toml(scenario_from_dict(raw).data))
    return path


def test_explain_writes_its_folder(tmp_path):
    # "lean" differs from community in its ads only: 2 subsets (+ the community-work run) a replication
    raw = town(("community", "lean"), strategies={"lean": {"extends": "community", "ad_budget": 120.0}})
    path = _write_toml(tmp_path / "lean.toml", raw)
    out = tmp_path / "ex"
    r = commsim(
        "explain", str(path), "--against", "lean", "--replications", "3", "--out", str(out), "--workers", "2"
    )
    assert r.returncode == 0, r.stderr
    assert f"Results: {out}" in r.stdout and "SROI" in r.stdout and "95%" in r.stdout
    table = pd.read_csv(out / "explain.csv")
    assert list(table.columns) == ["kind", "lever", "measure", "unit", "mean", "low", "high", "replications"]
    assert set(table["kind"]) == {"lever", "residual", "total", "counterfactual"}
    assert table["unit"].notna().all()
    assert (out / "figures" / "waterfall.png").stat().st_size > 10_000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "explain" and manifest["against"] == "lean" and manifest["runs"] == 3 * 3
    assert manifest["scenario"]["population"]["customers"] == 250 and len(manifest["seeds"]) == 3
    levers = table[table["kind"] == "lever"]
    assert (levers.loc[levers["lever"] != "ads", ["mean", "low", "high"]] == 0).all().all()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no part folder left


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["scenarios/nowhere.toml"], "no such file"),
        (["nowhere"], "built-in: baseline"),  # a name is looked up among the built-ins, as run does
        (["baseline", "--against", "nobody"], "transactional"),  # and a built-in name is found
        (["scenarios/baseline.toml", "--against", "nobody"], "transactional"),  # names those that exist
        (["scenarios/baseline.toml", "--against", "free_rider"], "no business"),
        (["scenarios/baseline.toml", "--against", "community"], "other than"),
        (["scenarios/baseline.toml", "--replications", "2"], "at least 3"),
        (["scenarios/baseline.toml", "--replications", "many"], "invalid int"),
        (["scenarios/baseline.toml", "--workers", "0"], "at least 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, args, expected):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "never"
    try:
        code = main(["explain", *args, "--out", str(out)])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert not out.exists()  # nothing written
