"""Hostile and careless input: one line on stderr naming the file and the field, exit 2, nothing written.

Names that are paths, ``--set`` keys below a value, arms that only failed when run, misspelt
edge-list columns, Ctrl-C on the dashboard and a dashboard run that cannot be saved. Everything
runs in this process (``sim.cli.main``) with the working folder in the test's temporary folder,
so that a result written anywhere it should not be is seen.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.cli import main
from sim.config.scenario import NAME_MAX, ScenarioError, load_scenario, scenario_from_dict, set_dotted

BUSINESSES = """\
[population]
customers = 300
[[businesses]]
category = "cafe"
strategy = "community"
count = 2
[[businesses]]
category = "cafe"
strategy = "transactional"
count = 2
"""


def scenario_text(name: str = '"ok"', extra: str = "", steps: int = 4) -> str:
    """A small valid scenario; ``name`` is the TOML text of run.name, ``extra`` is appended."""
    return f"[run]\nname = {name}\nsteps = {steps}\nreplications = 1\n{BUSINESSES}{extra}"


def write(tmp_path: Path, filename: str, text: str) -> Path:
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    return path


def experiment_text(base: str, name: str | None = None) -> str:
    head = f"name = {name}\n" if name is not None else ""
    return (
        f'{head}base = "{base}"\nreplications = 1\nsteps = 4\n'
        '[parameters]\n"behaviour.word_of_mouth" = [0.1, 0.2]\n[design]\nkind = "grid"\n'
    )


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    return lines[0]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Run in the temporary folder; the sweep's thread variables are restored afterwards."""
    monkeypatch.chdir(tmp_path)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, os.environ.get(var, "1"))
    return tmp_path


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# ------------------------------------------------------------------------------ A: names
BAD_NAMES = {
    "dotdot": ('"../escape"', "'..'"),
    "slash": ('"a/b"', "'/'"),
    "absolute": ('"/tmp/commsim-escape"', "'/'"),
    "backslash": ('"a\\\\b"', "'\\\\'"),
    "empty": ('""', "empty"),
    "blank": ('"   "', "empty"),
    "long": (f'"{"x" * (NAME_MAX + 1)}"', f"{NAME_MAX + 1} characters"),
    "nul": ('"a\\u0000b"', "control character"),
    "newline": ('"a\\nb"', "control character"),
    "escape": ('"a\\u001bb"', "control character"),
    "bidi": ('"a\\u202eb"', "control character"),
    "number": ("42", "expected a string"),
}


@pytest.mark.parametrize("case", sorted(BAD_NAMES))
def test_a_name_that_is_not_a_name_is_refused_by_run_validate_and_sweep(case, workdir, capsys):
    toml_name, expected = BAD_NAMES[case]
    path = write(workdir, f"name_{case}.toml", scenario_text(toml_name))
    exp = write(workdir, f"exp_{case}.toml", experiment_text(path.name))
    before = listing(workdir)
    for argv in (["validate", path.name], ["run", path.name, "--steps", "2"], ["sweep", exp.name]):
        assert main(argv) == 2, argv
        line = one_line(capsys)
        assert "run.name" in line and path.name in line and expected in line, line
    assert listing(workdir) == before
    assert not Path("/tmp/commsim-escape").exists()


@pytest.mark.parametrize("case", ["dotdot", "slash", "backslash", "empty", "long", "nul"])
def test_an_experiment_name_that_is_not_a_name_is_refused(case, workdir, capsys):
    toml_name, expected = BAD_NAMES[case]
    write(workdir, "base.toml", scenario_text())
    exp = write(workdir, f"exp_{case}.toml", experiment_text("base.toml", toml_name))
    before = listing(workdir)
    for argv in (["validate", exp.name], ["sweep", exp.name]):
        assert main(argv) == 2, argv
        line = one_line(capsys)
        assert f"{exp.name}: name:" in line and expected in line, line
    assert listing(workdir) == before


def test_an_experiment_named_after_a_bad_file_name_says_so(workdir, capsys):
    write(workdir, "base.toml", scenario_text())
    exp = write(workdir, "a..b.toml", experiment_text("base.toml"))
    assert main(["validate", exp.name]) == 2
    assert "taken from the file name" in one_line(capsys)


@pytest.mark.parametrize("name", ["x" * NAME_MAX, "café 2024 v1.5", "community-vs_ads (draft)"])
def test_ordinary_names_are_still_accepted(name, workdir, capsys):
    path = write(workdir, "good.toml", scenario_text(f'"{name}"'))
    assert main(["validate", path.name]) == 0
    assert "OK" in capsys.readouterr().out


# ------------------------------------------------------------------------------ B: --set
BAD_SETS = [
    (["run.name.x=1"], "run.name.x", "not a table"),
    (["businesses.0.count.x=1"], "businesses.0.count.x", "not a table"),
    (["run.steps.x=1"], "run.steps.x", "not a table"),
    (["run.steps.=1"], "run.steps.", "empty part"),
    (["businesses.9.count=1"], "businesses.9.count", "no entry 9"),
    (["businesses.-1.count=1"], "businesses.-1.count", "from 0"),
    (["businesses.x.count=1"], "businesses.x.count", "entry number"),
    (["businesses.0=5"], "businesses.0", "give a field"),
    (["shocks.0.depth=0.1"], "shocks.0.depth", "no entry 0"),
    (
        ['categories.cafe.partners_with=["bakery"]', "categories.cafe.partners_with.0=x"],
        "partners_with.0",
        "list",
    ),
    (["categories.cafe.partners_with.0.x=1"], "partners_with.0.x", "list"),
    (["=5"], "''", "empty key"),
    (["  =5"], "''", "empty key"),
    (["run.=5"], "run.", "empty part"),
    (["run..steps=5"], "run..steps", "empty part"),
    ([".run.steps=5"], ".run.steps", "empty part"),
    (["run=5"], "run", "give a field"),
    (["popluation.customers=5"], "popluation.customers", "did you mean 'population'"),
]


@pytest.mark.parametrize("sets,key,expected", BAD_SETS, ids=[s[-1] for s, _, _ in BAD_SETS])
def test_bad_set_keys_give_one_line_naming_the_key(sets, key, expected, workdir, capsys):
    path = write(workdir, "s.toml", scenario_text())
    set_args = [a for s in sets for a in ("--set", s)]
    before = listing(workdir)
    for argv in (["validate", path.name, *set_args], ["run", path.name, "--steps", "2", *set_args]):
        assert main(argv) == 2, argv
        line = one_line(capsys)
        assert key in line and expected in line and "s.toml" in line, line
    assert listing(workdir) == before


def test_set_below_a_table_that_is_a_value_in_the_file(workdir, capsys):
    path = write(workdir, "s.toml", "run = 5\n" + BUSINESSES)
    assert main(["validate", path.name, "--set", "run.steps=3"]) == 2
    line = one_line(capsys)
    assert "run.steps" in line and "not a table" in line, line


@pytest.mark.parametrize(
    "key", ["run.name.x", "businesses.0.count.x", "businesses.5.count", "businesses.-1.count", ""]
)
def test_set_dotted_raises_scenario_errors_only(key):
    raw = {"run": {"name": "x", "steps": 3}, "businesses": [{"category": "cafe", "count": 1}]}
    with pytest.raises(ScenarioError):
        set_dotted(raw, key, 1, "f.toml")
    scenario = scenario_from_dict(raw)
    with pytest.raises(ScenarioError):
        scenario.with_overrides({key: 1})


# ------------------------------------------------------------------------------ C: validate == run
ARM_HEAD = '[[arms]]\nname = "a"\n[[arms]]\nname = "b"\n'
SAME_CASES = {
    # arms: checked at load, so validate rejects them as run does
    "arm_strategy": (
        scenario_text(extra=ARM_HEAD + 'set = {"businesses.0.strategy" = "nope"}\n'),
        [],
        "arms.1.set: businesses.0.strategy: unknown strategy 'nope'",
    ),
    "arm_index": (
        scenario_text(extra=ARM_HEAD + 'set = {"businesses.7.count" = 1}\n'),
        [],
        "arms.1.set: businesses.7.count: no entry 7",
    ),
    "arm_negative": (
        scenario_text(extra=ARM_HEAD + 'set = {"businesses.-1.count" = 1}\n'),
        [],
        "arms.1.set: businesses.-1.count",
    ),
    "arm_category": (
        scenario_text(extra=ARM_HEAD + 'set = {"businesses.0.category" = "zoo"}\n'),
        [],
        "arms.1.set: businesses.0.category: unknown category 'zoo'",
    ),
    "arm_shock": (
        scenario_text(extra=ARM_HEAD + 'set = {"shocks.0.start" = 2}\n'),
        [],
        "arms.1.set: shocks.0.start: no entry 0",
    ),
    "arm_memory": (
        scenario_text(extra=ARM_HEAD + 'set = {"population.memory_limit_gb" = 0.01}\n'),
        [],
        "arms.1.set: population.customers",
    ),
    "arm_name": (scenario_text(extra=ARM_HEAD + 'set = {"run.name" = "../x"}\n'), [], "arms.1.set: run.name"),
    "arm_below_value": (
        scenario_text(extra=ARM_HEAD + 'set = {"run.name.x" = 1}\n'),
        [],
        "arms.1.set.run.name.x: unknown key",
    ),
    # names
    "name_dotdot": (scenario_text('"../up"'), [], "run.name: '../up' contains '..'"),
    "name_long": (scenario_text(f'"{"y" * 150}"'), [], "has 150 characters, more than 100"),
    "name_control": (scenario_text('"tab\\there"'), [], "run.name"),
    # --set
    "set_below_name": (scenario_text(), ["--set", "run.name.x=1"], "run.name.x"),
    "set_below_count": (scenario_text(), ["--set", "businesses.0.count.x=1"], "businesses.0.count.x"),
    "set_index": (scenario_text(), ["--set", "businesses.4.count=1"], "businesses.4.count: no entry 4"),
    "set_name": (scenario_text(), ["--set", "run.name=a/b"], "run.name: 'a/b' contains '/'"),
    # already covered by tests/test_cli.py, here to hold validate and run to the same line
    "malformed": ("[run\nsteps = 3", [], "not valid TOML"),
    "unknown_key": (
        scenario_text(extra="[behaviour]\nword_of_mouht = 0.1\n"),
        [],
        "behaviour.word_of_mouht: unknown key (did you mean 'word_of_mouth'?)",
    ),
    "wrong_type": (
        scenario_text().replace("customers = 300", 'customers = "many"'),
        [],
        "population.customers: expected a whole number",
    ),
    "unknown_strategy": (
        scenario_text().replace('"transactional"', '"friendly"'),
        [],
        "businesses.1.strategy: unknown strategy 'friendly'",
    ),
    "network_kind": (
        scenario_text(extra='[network]\nkind = "hexagons"\n'),
        [],
        "network.kind: unknown value 'hexagons'",
    ),
    "shock_kind": (
        scenario_text(extra='[[shocks]]\nkind = "meteor"\nstart = 1\n'),
        [],
        "shocks.0.kind: unknown shock kind 'meteor'",
    ),
    "review": (
        scenario_text(extra='[[shocks]]\nkind = "viral_bad_review"\nstart = 1\nbusiness = "nobody"\n'),
        [],
        "shocks.0.business: no business 'nobody'",
    ),
    "edge_missing": (
        scenario_text(extra='[network]\nkind = "edge_list"\npath = "nowhere.csv"\n'),
        [],
        "network.path: no such file",
    ),
    "no_business": ("[run]\nsteps = 3\n", [], "businesses: the town has no businesses"),
    "bad_set_value": (
        scenario_text(),
        ["--set", "population.customers=-1"],
        "population.customers: -1 is below",
    ),
    # D: edge list columns
    "edge_typo": (
        scenario_text(extra='[network]\nkind = "edge_list"\npath = "typo.csv"\n'),
        [],
        "typo.csv: unknown column 'strenght' (did you mean 'strength'?)",
    ),
}


@pytest.mark.parametrize("case", sorted(SAME_CASES))
def test_validate_rejects_what_run_rejects_with_the_same_line(case, workdir, capsys):
    text, extra, expected = SAME_CASES[case]
    write(workdir, "typo.csv", "source,target,strenght\n1,2,0.5\n")
    path = write(workdir, f"{case}.toml", text)
    out = workdir / "o"
    assert main(["validate", path.name, *extra]) == 2
    validate_line = one_line(capsys)
    assert main(["run", path.name, "--steps", "2", "--out", str(out), *extra]) == 2
    run_line = one_line(capsys)
    assert validate_line.startswith("commsim validate: ") and run_line.startswith("commsim run: ")
    assert validate_line.split(": ", 1)[1] == run_line.split(": ", 1)[1]
    assert expected in run_line and path.name in run_line, run_line
    assert not out.exists() and not (workdir / "results").exists()


def test_arms_that_validate_still_run_as_before(workdir, capsys):
    path = write(
        workdir,
        "arms.toml",
        scenario_text(
            extra=ARM_HEAD + 'set = {"businesses.0.strategy" = "transactional", "network.rewire" = 0.3}\n'
        ),
    )
    assert main(["validate", path.name]) == 0
    from sim.config.scenario import arms

    variants = dict(arms(load_scenario(path)))
    assert variants["b"].data["businesses"][0]["strategy"] == "transactional"
    assert variants["b"].data["network"]["rewire"] == 0.3
    assert variants["a"].data["businesses"][0]["strategy"] == "community"


# ------------------------------------------------------------------------------ D: edge lists
EDGE_HEADERS = {
    "source,target,strenght\n1,2,0.5\n": "unknown column 'strenght' (did you mean 'strength'?)",
    "sourse,target\n1,2\n": "unknown column 'sourse' (did you mean 'source'?)",
    "source,traget,strength\n1,2,1\n": "unknown column 'traget' (did you mean 'target'?)",
    "source,target,weight\n1,2,1\n": "unknown column 'weight'",
    "source,target,strength,extra\n1,2,1,3\n": "unknown column 'extra'",
    "target,source\n1,2\n": "the first line must be 'source,target[,strength]'",
    "source,target,\n1,2,\n": "an empty column name",
    "source,target\n1,2,0.5\n": "line 2: 3 values",
}


@pytest.mark.parametrize("csv_text", sorted(EDGE_HEADERS))
def test_edge_list_columns_are_checked(csv_text, workdir, capsys):
    write(workdir, "ties.csv", csv_text)
    path = write(workdir, "s.toml", scenario_text(extra='[network]\nkind = "edge_list"\npath = "ties.csv"\n'))
    for argv in (["validate", path.name], ["run", path.name, "--out", "o"]):
        assert main(argv) == 2, argv
        line = one_line(capsys)
        assert EDGE_HEADERS[csv_text] in line and "ties.csv" in line and "s.toml" in line, line
        assert "network.path" in line
    assert not (workdir / "o").exists()


def test_edge_list_with_a_byte_order_mark_is_read(workdir, capsys):
    from sim.core.model import CommunityModel

    (workdir / "ties.csv").write_text("source,target,strength\na,b,1\nb,c,0.5\n", encoding="utf-8-sig")
    path = write(workdir, "s.toml", scenario_text(extra='[network]\nkind = "edge_list"\npath = "ties.csv"\n'))
    assert main(["validate", path.name]) == 0
    model = CommunityModel(load_scenario(path), seed=1)
    assert model.network.ties == 2 and model.network.weak.sum() == 1


def test_read_edge_list_names_a_misspelt_column(tmp_path):
    from sim.core.network import read_edge_list

    path = write(tmp_path, "ties.csv", "source,target,strenght\n1,2,0.5\n")
    with pytest.raises(
        ValueError, match=r"ties.csv: unknown column 'strenght' \(did you mean 'strength'\?\)"
    ):
        read_edge_list(str(path), 10)


# ------------------------------------------------------------------------------ E: dashboard Ctrl-C
def _interrupt_with(exc_type):
    def run_main(*args, **kwargs):
        if exc_type is KeyboardInterrupt:
            raise KeyboardInterrupt
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise exc_type() from None  # as click and rich-click do on Ctrl-C

    return run_main


@pytest.mark.parametrize("kind", ["KeyboardInterrupt", "Abort"])
def test_ctrl_c_stops_the_dashboard_with_exit_0(kind, monkeypatch, capsys):
    import click
    import solara.__main__ as solara_main

    from sim.cli.commands import dashboard

    exc_type = KeyboardInterrupt if kind == "KeyboardInterrupt" else click.exceptions.Abort
    monkeypatch.setattr(solara_main.run, "main", _interrupt_with(exc_type))
    try:
        status = dashboard.serve("127.0.0.1", 8765)
    except KeyboardInterrupt:  # not pytest's own Ctrl-C: fail this test, do not stop the session
        pytest.fail("KeyboardInterrupt escaped serve()")
    assert status == 0
    out, err = capsys.readouterr()
    assert "commsim dashboard: stopped" in out and "internal error" not in out + err


def test_ctrl_c_on_commsim_dashboard_exits_0_with_one_line(monkeypatch, capsys):
    import click
    import solara.__main__ as solara_main

    from sim.cli.commands import dashboard
    from sim.dashboard import assets

    monkeypatch.setenv("COMMSIM_DASHBOARD_SCENARIO", "")
    monkeypatch.setattr(dashboard, "check_address", lambda host, port: None)
    monkeypatch.setattr(dashboard, "prepare_assets", lambda quiet=False: Path("."))
    monkeypatch.setattr(assets, "configure_environment", lambda cache: None)
    monkeypatch.setattr(solara_main.run, "main", _interrupt_with(click.exceptions.Abort))
    assert main(["dashboard"]) == 0
    out, err = capsys.readouterr()
    assert out.strip().splitlines()[-1] == "commsim dashboard: stopped"
    assert "internal error" not in err and "Abort" not in err


def test_an_error_raised_by_ctrl_c_is_an_interruption_not_an_internal_error(monkeypatch, capsys):
    from sim.cli.commands import list as list_command

    def interrupted(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise RuntimeError("Abort") from None

    monkeypatch.setattr(list_command, "main", interrupted)
    assert main(["list"]) == 130
    assert "interrupted" in capsys.readouterr().err


# ------------------------------------------------------------------------------ F: "save this run"
def _workshop(tmp_path: Path, name: str = "ok"):
    from sim.dashboard.workshop import Workshop
    from sim.dashboard.workshop_town import default_params

    scenario = write(tmp_path, "town.toml", scenario_text(f'"{name}"'))
    ws = Workshop(**{**default_params(str(scenario)), "scenario_file": str(scenario)})
    ws.step()
    return ws


def test_save_into_a_folder_that_cannot_be_written_is_a_message(tmp_path, monkeypatch):
    ws = _workshop(tmp_path)
    blocker = write(tmp_path, "results", "a file where the results folder should be")
    with pytest.raises(ValueError, match="cannot save the run") as info:
        ws.save(blocker)
    assert str(blocker) in str(info.value) and "\n" not in str(info.value)
    monkeypatch.setenv("COMMSIM_DASHBOARD_RESULTS", str(blocker / "deeper"))
    with pytest.raises(ValueError, match="cannot save the run"):
        ws.save()
    assert blocker.is_file()


def test_save_with_a_long_name_clips_it_to_a_valid_name(tmp_path):
    import json

    ws = _workshop(tmp_path, "n" * NAME_MAX)  # a valid name; "dashboard-" would make it too long
    out = ws.save(tmp_path / "results")
    saved = json.loads((out / "manifest.json").read_text())["scenario"]["run"]["name"]
    assert saved.startswith("dashboard-n") and len(saved) == NAME_MAX


def test_calibrate_names_its_scenario_after_any_data_file(tmp_path, capsys):
    data = tmp_path / "a..b c.csv"
    data.write_text((Path(__file__).resolve().parents[1] / "docs/data/color_tv_1963_1970.csv").read_text())
    out = tmp_path / "calibrated.toml"
    assert main(["calibrate", str(data), "--scenario-out", str(out)]) == 0
    assert load_scenario(out).name == "calibrated-a-b-c"


def test_save_still_writes_under_the_given_folder(tmp_path):
    ws = _workshop(tmp_path)
    out = ws.save(tmp_path / "results")
    assert out.parent == (tmp_path / "results").resolve() and (out / "manifest.json").is_file()
