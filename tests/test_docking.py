"""Docking with the Bass model, the 1/sqrt(N) trend, the network bound, and the calibrate CLI."""

from __future__ import annotations

import json
import math
import tomllib

import numpy as np
import pytest

from sim.cli import main as cli
from sim.validation.bass import closed_form_bass, discrete_bass
from sim.validation.calibrate import synthetic_series
from sim.validation.docking import (
    adoption_curves,
    bass_scenario,
    error_by_customers,
    half_adoption_week,
    network_ladder,
    weekly_coefficients,
)

P, Q = 0.03, 0.38


# ---------------------------------------------------------------- docking


def test_simulated_adoption_docks_with_discrete_recursion_at_20000():
    weeks = 52
    curves = adoption_curves(bass_scenario(20_000, P, Q), replications=5, weeks=weeks)
    mean = curves.mean(axis=0)
    rec = discrete_bass(P, Q, weeks)
    gap = np.abs(mean - rec)
    assert gap.max() < 0.02, (
        f"week {gap.argmax()}: simulated {mean[gap.argmax()]:.4f} vs {rec[gap.argmax()]:.4f}"
    )
    # The closed form is a different curve at a one-week step: the model must not match it
    # better than the recursion does (it tracks the weekly model, not the continuous one).
    closed = closed_form_bass(P, Q, np.arange(weeks + 1))
    assert np.abs(mean - closed).max() > 3 * gap.max()


def test_error_against_recursion_shrinks_like_one_over_sqrt_n():
    # Statistic: the largest weekly gap of ONE run from the recursion, averaged over runs. Its
    # expectation goes like 1/sqrt(N) (100x more customers: 10x smaller); 30 runs at N=1000
    # give its mean to about 7%, 4 runs at N=100,000 to about 15%.
    table = error_by_customers((1_000, 100_000), {1_000: 30, 100_000: 4}, weeks=40)
    small, large = table[1_000]["mean_max_error"], table[100_000]["mean_max_error"]
    assert small / large >= 4.0, table
    # and the scaled error is of the same order at both sizes (not a fluke of one size)
    assert 0.4 < table[1_000]["scaled"] / table[100_000]["scaled"] < 2.5, table


def test_no_network_diffuses_faster_than_complete_mixing():
    ladder = network_ladder(customers=10_000, replications=3, weeks=30)
    ref = ladder["complete"]["half_week"]
    assert ref is not None
    for name, v in ladder.items():
        assert v["half_week"] is not None, name
        assert v["half_week"] >= ref - 0.25, (name, v["half_week"], ref)
    # the most clustered network (a ring lattice) is strictly slower than complete mixing
    assert ladder["ring_lattice"]["half_week"] > ref + 0.1


def test_half_adoption_week_interpolates():
    assert half_adoption_week([0.0, 0.2, 0.4, 0.6, 0.8]) == pytest.approx(2.5)
    assert half_adoption_week([0.0, 0.1, 0.2]) is None


def test_weekly_coefficients_follow_the_fitted_curve():
    # yearly p, q: the weekly recursion read every 52 weeks must lie on the yearly closed form
    coef = weekly_coefficients(0.02, 0.4, 52, 12)
    f = discrete_bass(coef["p_week"], coef["q_week"], 52 * 12)[::52]
    np.testing.assert_allclose(f, closed_form_bass(0.02, 0.4, np.arange(13)), atol=0.002)
    assert coef["p_week"] == pytest.approx(0.02 / 52, rel=0.05)


# ---------------------------------------------------------------- commsim dock


def test_dock_cli_json_keys_and_pass(capsys):
    rc = cli(
        [
            "dock",
            "--customers",
            "2000",
            "--replications",
            "4",
            "--ladder-replications",
            "2",
            "--sizes",
            "500,5000",
            "--weeks",
            "30",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {
        "p",
        "q",
        "customers",
        "replications",
        "weeks",
        "simulated",
        "discrete_bass",
        "closed_form",
        "max_error_discrete",
        "max_error_closed_form",
        "error_by_customers",
        "half_adoption_week_by_network",
        "verdict",
    }
    assert rc == 0 and out["verdict"] == "pass"
    assert len(out["simulated"]) == len(out["weeks"]) == 31
    assert out["max_error_discrete"] < out["max_error_closed_form"]
    assert set(out["half_adoption_week_by_network"]) == {
        "complete",
        "random",
        "scale_free",
        "small_world",
        "ring_lattice",
    }


def test_dock_cli_bad_flag_exits_2(capsys):
    assert cli(["dock", "--customers", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--customers" in err


# ---------------------------------------------------------------- commsim calibrate


def _write(path, df):
    path.write_text(
        "period,adoptions\n"
        + "".join(f"{int(p)},{a:.3f}\n" for p, a in zip(df["period"], df["adoptions"], strict=True))
    )
    return path


def test_calibrate_json_keys_and_synthetic_recovery(tmp_path, capsys):
    p, q, m = 0.02, 0.45, 50_000.0
    csv = _write(tmp_path / "synthetic.csv", synthetic_series(p, q, m, 16, noise_sd=60.0, rng=7))
    assert cli(["calibrate", str(csv), "--json", "--weeks-per-period", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"p", "q", "m", "p_se", "q_se", "m_se", "r2", "peak_period", "n_periods", "period"}
    assert out["period"]["weeks"] == 1 and out["period"]["source"] == "--weeks-per-period"
    assert out["n_periods"] == 16
    for name, true in (("p", p), ("q", q), ("m", m)):
        assert abs(out[name] - true) <= 2.5 * out[f"{name}_se"], (
            name,
            out[name],
            true,
            out[f"{name}_se"],
        )
    assert out["r2"] > 0.95
    assert out["peak_period"] == pytest.approx(math.log(q / p) / (p + q), abs=0.5)


@pytest.mark.parametrize(
    "content, word",
    [
        ("period,sales\n1,1\n2,2\n3,3\n4,4\n", "adoptions"),  # missing column
        ("period,adoptions\n1,1\n2,2\n3,3\n", "4"),  # fewer than 4 periods
        ("period,adoptions\n1,1\n2,-2\n3,3\n4,4\n", "negative"),
        ("period,adoptions\n1,1\n2,two\n3,3\n4,4\n", "non-numeric"),
        ("period,adoptions\n1,0\n2,0\n3,0\n4,0\n", "zero"),
    ],
)
def test_calibrate_bad_data_exits_2_with_one_line(tmp_path, capsys, content, word):
    csv = tmp_path / "bad.csv"
    csv.write_text(content)
    out_file = tmp_path / "never.toml"
    assert cli(["calibrate", str(csv), "--json", "--scenario-out", str(out_file)]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert cap.err.count("\n") == 1 and "bad.csv" in cap.err and word in cap.err
    assert not out_file.exists()


def test_calibrate_missing_file_exits_2(tmp_path, capsys):
    assert cli(["calibrate", str(tmp_path / "nope.csv")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_calibrate_scenario_out_reproduces_curve_and_refuses_to_overwrite(tmp_path, capsys):
    p, q, m = 0.03, 0.5, 8_000.0
    csv = _write(tmp_path / "weekly.csv", synthetic_series(p, q, m, 14, noise_sd=10.0, rng=3))
    out_file = tmp_path / "calibrated.toml"
    assert (
        cli(
            [
                "calibrate",
                str(csv),
                "--json",
                "--scenario-out",
                str(out_file),
                "--weeks-per-period",
                "4",
                "--customers",
                "4000",
                "--replications",
                "2",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    sc = out["scenario"]
    data = tomllib.loads(out_file.read_text())
    assert data["population"]["customers"] == 4000
    assert data["run"]["steps"] == 14 * 4
    assert data["behaviour"]["word_of_mouth"] == pytest.approx(sc["q_week"])
    assert sc["p_week"] == pytest.approx(out["p"] / 4, rel=0.15)
    assert sc["r2_simulated"] > 0.9 and sc["max_gap_F"] < 0.03
    # a second run must not touch the existing file
    before = out_file.read_bytes()
    assert cli(["calibrate", str(csv), "--scenario-out", str(out_file)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists" in err
    assert out_file.read_bytes() == before
