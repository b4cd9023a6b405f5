"""The command line contract: run, validate, list; bad input gives one line, exit 2, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim import load_scenario, run_scenario
from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
SMALL = ["--set", "population.customers=800", "--steps", "20", "--replications", "2"]


def commsim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_run_writes_the_results_folder_contract(tmp_path):
    out = tmp_path / "res"
    r = commsim("run", "scenarios/baseline.toml", "--out", str(out), *SMALL)
    assert r.returncode == 0, r.stderr
    assert f"Results: {out}" in r.stdout
    assert "community" in r.stdout and "week 13" in r.stdout
    for name in (
        "manifest.json",
        "timeseries.parquet",
        "timeseries.csv",
        "strategy_timeseries.parquet",
        "summary.csv",
        "report.html",
        "figures/overview.png",
        "figures/channels.png",
        "figures/revenue.png",
        "figures/survival.png",
    ):
        assert (out / name).is_file(), name
    ts = pd.read_parquet(out / "timeseries.parquet")
    required = (
        "run_id replication seed step business_id strategy category alive customers_active "
        "cumulative_customers new_customers new_from_ads new_from_word_of_mouth new_from_referral "
        "new_from_partner revenue profit cash retention_rate promoter_score clv_estimate trust_mean "
        "community_cost ad_cost"
    ).split()
    assert set(required) <= set(ts.columns)
    assert ts["replication"].nunique() == 2 and ts["step"].max() == 20
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["population"]["customers"] == 800
    assert manifest["scenario"]["behaviour"]["word_of_mouth"] > 0  # defaults filled in
    assert len(manifest["scenario_sha256"]) == 64 and manifest["mesa_version"].startswith("3.")
    assert len(manifest["seeds"]) == 2
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "commsim run" in html and "[population]" in html


def test_same_seed_same_files_different_seed_different_files(tmp_path):
    outs = []
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        out = tmp_path / name
        r = commsim(
            "run",
            "scenarios/recession.toml",
            "--out",
            str(out),
            "--seed",
            seed,
            *SMALL,
            "--set",
            "shocks.0.start=10",
        )
        assert r.returncode == 0, r.stderr
        outs.append(out)
    for f in ("timeseries.csv", "summary.csv"):
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes()
        assert (outs[0] / f).read_bytes() != (outs[2] / f).read_bytes()
    a, b = (json.loads((o / "manifest.json").read_text()) for o in outs[:2])
    for key in ("started", "finished", "command"):
        a.pop(key), b.pop(key)
    a.pop("overrides"), b.pop("overrides")
    assert a == b


def test_existing_results_folder_is_never_overwritten(tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    r = commsim("run", "scenarios/baseline.toml", "--out", str(out), *SMALL)
    assert r.returncode == 2
    assert "never overwritten" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert (out / "mine.txt").read_text() == "keep me"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_built_in_scenario_validates_and_runs(path, capsys):
    assert main(["validate", str(path)]) == 0
    assert "OK" in capsys.readouterr().out
    text = path.read_text().splitlines()
    assert text[0].startswith("# Question:"), "each scenario opens with the question it asks"
    scenario = load_scenario(path, ["population.customers=400"])
    results = run_scenario(scenario, replications=1, steps=4)
    assert results.timeseries["step"].max() == 4
    assert results.timeseries["revenue"].sum() > 0


def test_list_names_every_built_in_scenario(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for path in SCENARIOS:
        assert path.stem in out


BAD_TOML = {
    "malformed.toml": ("[run\nsteps = 3", "not valid TOML"),
    "unknown_key.toml": ("[population]\ncustomerz = 10", "population.customerz: unknown key"),
    "unknown_table.toml": ("[popul]\ncustomers = 10", "[popul]: unknown table"),
    "wrong_type.toml": (
        '[population]\ncustomers = "many"',
        "population.customers: expected a whole number",
    ),
    "negative.toml": ("[population]\ncustomers = -5", "population.customers: -5 is below"),
    "zero_weeks.toml": ("[run]\nsteps = 0", "run.steps: 0 is below"),
    "probability.toml": (
        "[behaviour]\nword_of_mouth = 1.5",
        "behaviour.word_of_mouth: 1.5 is above",
    ),
    "strategy.toml": (
        '[[businesses]]\ncategory = "cafe"\nstrategy = "friendly"',
        "businesses.0.strategy: unknown strategy 'friendly'",
    ),
    "network.toml": ('[network]\nkind = "hexagons"', "network.kind: unknown value 'hexagons'"),
    "shock.toml": (
        '[[shocks]]\nkind = "meteor"\nstart = 3',
        "shocks.0.kind: unknown shock kind 'meteor'",
    ),
    "horizon.toml": (
        '[run]\nsteps = 10\n[[shocks]]\nkind = "recession"\nstart = 30',
        "shocks.0.start: week 30 is outside the horizon",
    ),
    "edge_missing.toml": (
        '[network]\nkind = "edge_list"\npath = "nowhere.csv"',
        "network.path: no such file",
    ),
    "edge_bad.toml": (
        '[network]\nkind = "edge_list"\npath = "bad.csv"',
        "line 3: expected source,target",
    ),
    "too_big.toml": (
        '[population]\ncustomers = 50000000\n[[businesses]]\ncount = 500\ncategory = "cafe"',
        "more than the",
    ),
    "no_business.toml": ("[run]\nsteps = 3", "businesses: the town has no businesses"),
    "review.toml": (
        '[[shocks]]\nkind = "viral_bad_review"\nstart = 3\nbusiness = "nobody"',
        "shocks.0.business: no business 'nobody'",
    ),
    "name_path.toml": ('[run]\nname = "../up"', "run.name: '../up' contains '..': a name is not a path"),
    "arm.toml": (
        '[[businesses]]\ncategory = "cafe"\n[[arms]]\nname = "a"\nset = {"businesses.0.strategy" = "nope"}',
        "arms.0.set: businesses.0.strategy: unknown strategy 'nope'",
    ),
    "edge_column.toml": (
        '[network]\nkind = "edge_list"\npath = "typo.csv"',
        "typo.csv: unknown column 'strenght' (did you mean 'strength'?)",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_TOML))
def test_bad_scenarios_give_one_line_exit_2_and_write_nothing(name, tmp_path):
    text, expected = BAD_TOML[name]
    (tmp_path / "bad.csv").write_text("source,target\n1,2\n3\n")
    (tmp_path / "typo.csv").write_text("source,target,strenght\n1,2,0.5\n")
    path = tmp_path / name
    path.write_text(text)
    out = tmp_path / "results"
    for command in (["run", str(path), "--out", str(out)], ["validate", str(path)]):
        r = commsim(*command, cwd=tmp_path)
        assert r.returncode == 2, (command, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1, r.stderr
        assert expected in lines[0] and name in lines[0], lines[0]
        assert "Traceback" not in r.stderr
        assert not out.exists()
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--set", "population.customers=-1"], "population.customers: -1 is below"),
        (["--set", "nonsense"], "expected KEY=VALUE"),
        (["--set", "population.nope=1"], "population.nope: unknown key"),
        (["--set", "run.name.x=1"], "run.name.x: run.name is a string, not a table"),
        (["--set", "businesses.0.count.x=1"], "businesses.0.count.x: businesses.0.count is a whole number"),
        (["--set", "businesses.99.count=1"], "businesses.99.count: no entry 99 in businesses"),
        (["--set", "run.name=../x"], "run.name: '../x' contains '..'"),
        (["--steps", "0"], "run.steps: 0 is below"),
        (["--replications", "zero"], "invalid int value"),
    ],
)
def test_bad_flags_give_one_line_and_exit_2(args, expected, tmp_path):
    r = commsim("run", "scenarios/baseline.toml", "--out", str(tmp_path / "o"), *args)
    assert r.returncode == 2
    assert expected in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_bad_thread_count_gives_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMSIM_THREADS", "8")
    r = commsim("run", "scenarios/baseline.toml", "--out", str(tmp_path / "o"), *SMALL)
    assert r.returncode == 2
    assert "COMMSIM_THREADS='8': must be 1 or 2" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_missing_scenario_file():
    r = commsim("run", "no/such.toml")
    assert r.returncode == 2 and "no/such.toml: no such file" in r.stderr


def test_report_rebuilds_figures_and_page_from_stored_results(tmp_path):
    out = tmp_path / "res"
    assert commsim("run", "scenarios/baseline.toml", "--out", str(out), *SMALL).returncode == 0
    tables = {p.name: p.read_bytes() for p in out.glob("*.parquet")}
    (out / "report.html").unlink()
    for png in (out / "figures").glob("*.png"):
        png.unlink()
    r = commsim("report", str(out))
    assert r.returncode == 0, r.stderr
    assert (out / "report.html").is_file() and (out / "figures" / "overview.png").is_file()
    assert {p.name: p.read_bytes() for p in out.glob("*.parquet")} == tables
    bad = commsim("report", str(tmp_path / "nothing"))
    assert bad.returncode == 2 and "no such results folder" in bad.stderr


# ------------------------------------------------------------------ frictions (issue 16, point 5)
TINY = ["--set", "population.customers=300", "--replications", "1"]


def test_run_takes_a_built_in_name_as_list_shows_it(tmp_path):
    out = tmp_path / "o"
    r = commsim("run", "baseline", "--out", str(out), "--steps", "3", *TINY, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert Path(manifest["scenario_file"]) == ROOT / "scenarios" / "baseline.toml"
    assert manifest["scenario"]["run"]["seed"] == 2026  # the built-in file's, not a default


def test_an_unknown_name_is_one_line_listing_the_built_in_names(tmp_path):
    r = commsim("run", "baselin", "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "baselin: no such file, results folder or built-in scenario" in lines[0]
    assert all(p.stem in lines[0] for p in SCENARIOS)
    assert not (tmp_path / "o").exists()


def test_list_wraps_whole_questions_to_the_terminal(monkeypatch, capsys):
    from sim.cli.commands.list import first_comment

    monkeypatch.setenv("COLUMNS", "72")
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines() if not line.endswith(":")) <= 72
    flat = " ".join(out.split())
    for path in SCENARIOS + sorted((ROOT / "experiments").glob("*.toml")):
        question = " ".join(first_comment(path).split())
        assert f"{path.stem} {question}" in flat, path.stem  # whole, not cut


THREE_MISTAKES = """\
[population]
customerz = 500

[behaviour]
word_of_mouth = 1.5

[[businesses]]
category = "cafe"
strategy = "friendly"
"""


def test_validate_reports_every_mistake_one_line_each(tmp_path):
    path = tmp_path / "three.toml"
    path.write_text(THREE_MISTAKES)
    r = commsim("validate", str(path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 3, r.stderr
    for field in (
        "population.customerz: unknown key",
        "behaviour.word_of_mouth: 1.5 is above",
        "businesses.0.strategy: unknown strategy 'friendly'",
    ):
        assert sum(field in line and "three.toml" in line for line in lines) == 1, field
    r = commsim("run", str(path), "--out", str(tmp_path / "o"))  # run: the first, and how many more
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "and 2 more problems" in r.stderr and not (tmp_path / "o").exists()


@pytest.mark.parametrize("flag", [["--set", "run.steps=40"], ["--steps", "40"]], ids=["set", "steps"])
def test_a_shorter_horizon_drops_later_shocks_with_a_note(flag, tmp_path):
    out = tmp_path / "o"
    r = commsim("run", "recession", "--out", str(out), *flag, *TINY)
    assert r.returncode == 0, r.stderr
    notes = [line for line in r.stderr.splitlines() if "note:" in line]
    assert len(notes) == 1 and "shocks.0 (recession, week 52)" in notes[0] and "run.steps = 40" in notes[0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["shocks"] == [] and manifest["scenario"]["run"]["steps"] == 40
    # a shock inside the shorter horizon stays
    r = commsim("validate", "scenarios/recession.toml", "--set", "run.steps=52")
    assert r.returncode == 0 and "1 shock(s)" in r.stdout and "note:" not in r.stderr
