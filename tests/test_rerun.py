"""Runs that can be re-run: every results folder holds ``scenario.toml`` (only what differs from
the defaults), and ``commsim run FOLDER`` (or its ``scenario.toml``) gives the identical tables.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.config.scenario import load_scenario, scenario_from_dict, to_toml
from sim.config.scenario_file import minimal_scenario, scenario_text

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


def commsim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def reload(data: dict, tmp_path: Path, name: str = "again.toml") -> dict:
    """Write ``data`` as scenario.toml text, load it back, return the resolved data."""
    path = tmp_path / name
    path.write_text(scenario_text(data, "commsim run x.toml"), encoding="utf-8")
    return load_scenario(path).data


# ------------------------------------------------------------------ the writer
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_built_in_scenario_round_trips_identically(path, tmp_path):
    sc = load_scenario(path)
    assert reload(sc.data, tmp_path) == sc.data
    text = scenario_text(sc.data)
    # only what differs: placeholders and untouched tables stay out, the run settings stay in
    assert "cash = -1.0" not in text and "unit_cost = -1.0" not in text
    assert "[categories.cafe]" not in text and "[strategies.community]" not in text
    assert (
        f"seed = {sc.data['run']['seed']}" in text
        and f"replications = {sc.data['run']['replications']}" in text
    )
    assert len(text.splitlines()) < len(to_toml(sc.data).splitlines()) / 2


def test_round_trip_with_set_overrides(tmp_path):
    overrides = [
        "population.customers=700",
        "run.seed=99",
        "run.replications=2",
        "behaviour.word_of_mouth=0.2",
        "strategies.community.community_time=0.2",
        "shocks.0.depth=0.3",
        "businesses.1.cash=5000",
    ]
    sc = load_scenario(ROOT / "scenarios" / "recession.toml", overrides)
    again = reload(sc.data, tmp_path)
    assert again == sc.data
    assert again["strategies"]["community"]["community_time"] == 0.2
    assert again["run"]["seed"] == 99 and again["run"]["replications"] == 2
    # a value set back to its default is not written
    back = load_scenario(ROOT / "scenarios" / "baseline.toml", ["behaviour.word_of_mouth=0.2"])
    default = load_scenario(ROOT / "scenarios" / "baseline.toml")
    assert "[behaviour]" in scenario_text(back.data) and "[behaviour]" not in scenario_text(default.data)


TRICKY = """\
[run]
name = "tricky"
steps = 60
seed = 5
replications = 5

[network]
kind = "edge_list"
path = "ties.csv"

[categories.cafe]
price = 7.5

[categories.bookshop]
price = 20.0
partners_with = ["cafe"]

[strategies.mine]
extends = "community"
ad_budget = 55.0

[strategies.community]
ad_budget = 5.0

[strategies."odd name"]
extends = ""
personalisation = 0.5

[strategies.copy]
extends = "mine"

[strategies.transactional]
extends = ""

[[businesses]]
count = 2
category = "bookshop"
strategy = "mine"
name = "books"
opens = 4

[[businesses]]
category = "cafe"
strategy = "odd name"
cash = 9000.0
neighbourhood = 3

[[businesses]]
category = "cafe"
strategy = "copy"
quality = 0.85

[[shocks]]
kind = "recession"
start = 10

[[shocks]]
kind = "cost_spike"
start = 12
size = 0.4

[[shocks]]
kind = "chain_store"
start = 20
category = "bookshop"

[[shocks]]
kind = "lockdown"
start = 30
duration = 4

[[shocks]]
kind = "viral_bad_review"
start = 40
business = "books-1"
duration = 3

[[arms]]
name = "a"
set = { "network.rewire" = 0, "strategies.mine.ad_budget" = 70.0 }

[[arms]]
name = "b"
"""


def test_round_trip_of_every_kind_of_field(tmp_path):
    """Strategies extending ones changed later in the file, odd names, new categories, every
    shock kind (with their own default durations), arms, an edge-list file."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "ties.csv").write_text("source,target\n0,1\n1,2\n")
    (folder / "tricky.toml").write_text(TRICKY)
    sc = load_scenario(folder / "tricky.toml", ["strategies.copy.price_factor=1.2"])
    # read from another folder: the edge list's path was made absolute
    elsewhere = tmp_path / "results"
    elsewhere.mkdir()
    assert reload(sc.data, elsewhere) == sc.data
    raw = minimal_scenario(sc.data)
    assert "quality" not in raw["businesses"][2]  # given, but the default
    assert raw["shocks"][2] == {"kind": "chain_store", "start": 20, "category": "bookshop"}
    assert raw["shocks"][4]["duration"] == 3 and "duration" not in raw["shocks"][0]
    # "mine" was read on top of the built-in community, before community was changed
    assert sc.data["strategies"]["mine"]["personalisation"] == 0.8


def test_a_manifest_scenario_resolves_to_itself(tmp_path):
    """Folders written before scenario.toml are re-run from the manifest's resolved scenario."""
    for path in SCENARIOS:
        sc = load_scenario(path, ["run.steps=60"])
        assert scenario_from_dict(json.loads(json.dumps(sc.data))).data == sc.data, path.stem


def test_the_header_says_command_version_and_seed():
    from sim import __version__

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml")
    text = scenario_text(sc.data, "commsim run scenarios/baseline.toml --seed 4\nrm -rf /")
    head = [line for line in text.splitlines() if line.startswith("#")]
    assert any(f"commsim {__version__}" in line for line in head)
    assert any("Made by: commsim run scenarios/baseline.toml --seed 4 rm -rf /" in line for line in head)
    run = sc.data["run"]
    assert any(
        f"Seed {run['seed']} (run.seed), {run['replications']} replication(s)" in line for line in head
    )
    assert "rm -rf" not in text.split("\n[run]")[1]  # the command's newline did not end the comment


# ------------------------------------------------------------------ re-running folders
SMALL = ["--set", "population.customers=300", "--steps", "20", "--replications", "2", "--seed", "17"]


def test_rerun_from_a_results_folder_gives_identical_tables(tmp_path):
    first, again, from_file = tmp_path / "first", tmp_path / "again", tmp_path / "from_file"
    r = commsim("run", "scenarios/chain_store.toml", "--out", str(first), *SMALL, "--set", "shocks.0.start=8")
    assert r.returncode == 0, r.stderr
    text = (first / "scenario.toml").read_text()
    assert "seed = 17" in text and "replications = 2" in text and "start = 8" in text
    assert commsim("run", str(first), "--out", str(again)).returncode == 0
    r = commsim("run", str(first / "scenario.toml"), "--out", str(from_file))
    assert r.returncode == 0, r.stderr
    for out in (again, from_file):
        for name in ("timeseries.parquet", "strategy_timeseries.parquet"):
            pd.testing.assert_frame_equal(pd.read_parquet(first / name), pd.read_parquet(out / name))
        pd.testing.assert_frame_equal(pd.read_csv(first / "summary.csv"), pd.read_csv(out / "summary.csv"))
        a, b = (json.loads((f / "manifest.json").read_text()) for f in (first, out))
        assert a["scenario_sha256"] == b["scenario_sha256"] and a["seeds"] == b["seeds"]
    html = (again / "report.html").read_text()
    assert f"commsim run {again}/scenario.toml" in html


def test_rerun_of_an_old_folder_uses_its_manifest(tmp_path):
    first, again = tmp_path / "first", tmp_path / "again"
    small = ["--set", "population.customers=300", "--steps", "6", "--replications", "1"]
    assert commsim("run", "baseline", "--out", str(first), *small).returncode == 0
    (first / "scenario.toml").unlink()  # as written before this file existed
    r = commsim("run", str(first / "manifest.json"), "--out", str(again))
    assert r.returncode == 0, r.stderr
    pd.testing.assert_frame_equal(
        pd.read_parquet(first / "timeseries.parquet"), pd.read_parquet(again / "timeseries.parquet")
    )


def test_a_folder_without_a_scenario_is_one_line_exit_2(tmp_path):
    (tmp_path / "empty").mkdir()
    r = commsim("run", str(tmp_path / "empty"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "without scenario.toml" in r.stderr and not (tmp_path / "o").exists()


def test_a_sweep_folder_holds_its_base_scenario(tmp_path):
    from sim.experiments.experiment_file import load_experiment
    from sim.experiments.sweep import plan

    p = plan(ROOT / "experiments" / "smoke.toml", tmp_path / "sweep", resume=False)
    try:
        assert load_scenario(p.folder / "scenario.toml").data == p.experiment.base.data
        assert p.experiment.base.data == load_experiment(ROOT / "experiments" / "smoke.toml").base.data
        assert "Base scenario of sweep 'smoke'" in (p.folder / "scenario.toml").read_text()
    finally:
        p.claim.release()


def test_a_dashboard_save_is_re_run_by_commsim_run(tmp_path):
    from sim.dashboard.workshop import Workshop
    from sim.dashboard.workshop_town import default_params
    from sim.runs.runner import run_scenario

    ws = Workshop(**{**default_params(str(ROOT / "scenarios" / "baseline.toml")), "customers": 300})
    for _ in range(4):
        ws.step()
    ws.add_shock("recession")
    for _ in range(3):
        ws.step()
    out = ws.save(tmp_path / "results")
    html = (out / "report.html").read_text()
    assert (
        f"commsim run {out}/scenario.toml" in html
        and "commsim dashboard" not in html.split("Reproduce")[1][:200]
    )
    header = (out / "scenario.toml").read_text().split("\n[run]")[0]
    assert "Made by:" in header  # the dashboard command that made it stays in the header
    rerun = run_scenario(load_scenario(out / "scenario.toml"))
    saved = pd.read_parquet(out / "timeseries.parquet")
    pd.testing.assert_frame_equal(rerun.timeseries.reset_index(drop=True), saved, check_dtype=False)


def test_run_settings_given_in_python_are_the_ones_the_results_record():
    """run_scenario(replications=, steps=, seed=) writes them into Results.scenario (and so scenario.toml)."""
    from sim import load_scenario, run_scenario

    sc = load_scenario(ROOT / "scenarios" / "recession.toml").with_overrides({"population.customers": 200})
    r = run_scenario(sc, replications=2, steps=20, seed=5)
    assert r.scenario.data["run"] == {**sc.data["run"], "replications": 2, "steps": 20, "seed": 5}
    assert r.scenario.data["shocks"] == [] and "left out" in r.scenario.notes[0]  # recession starts later
    again = run_scenario(r.scenario)
    pd.testing.assert_frame_equal(again.timeseries, r.timeseries)
