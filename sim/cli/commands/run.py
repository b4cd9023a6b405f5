"""``commsim run SCENARIO``: run a scenario's replications and write a results folder.

SCENARIO is a scenario file, a results folder (its ``scenario.toml``: the same tables again; a
workshop's debrief folder: its session replayed from ``workshop.json``) or the name of a built-in
scenario as ``commsim list`` shows it. The folder is claimed (created and
locked) before the run starts, so a bad ``--out`` stops the command at once and two commands never
write to one folder; it is filled in one step at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sim.config.errors import UsageError
from sim.config.paths import builtin_dirs
from sim.config.scenario import Scenario, arms, load_scenario, scenario_from_dict
from sim.outputs.results_folder import write_results
from sim.outputs.storage import claim_results_dir, utc_now
from sim.runs.runner import Results


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of ``commsim run``."""
    p.add_argument(
        "scenario", help="scenario file (TOML), results folder to re-run, or built-in name (commsim list)"
    )
    p.add_argument("--out", help="results folder (default: results/<name>-<UTC time>)")
    p.add_argument("--replications", type=int, help="replications (overrides run.replications)")
    add_scenario_flags(p)


def add_scenario_flags(p: argparse.ArgumentParser) -> None:
    """``--seed``, ``--steps`` and ``--set``: changing the scenario from the command line (run, explain)."""
    p.add_argument("--seed", type=int, help="seed (overrides run.seed)")
    p.add_argument("--steps", type=int, help="weeks to simulate (overrides run.steps)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change a scenario field, e.g. --set population.customers=5000 (repeatable)",
    )


RUN_FLAGS = ("seed", "steps", "replications")
"""The shortcut flags of ``commsim run`` that change ``run.<flag>``."""


def scenario_overrides(args: argparse.Namespace, flags: tuple[str, ...] = RUN_FLAGS) -> list[str]:
    """``--set`` items plus the shortcut ``flags`` that change ``run.<flag>``, in the order they apply."""
    extra = [f"run.{k}={v}" for k in flags if (v := getattr(args, k, None)) is not None]
    return list(args.set) + extra


def main(args: argparse.Namespace) -> int:
    """Run the scenario, write the folder, print the comparison and the folder's path."""
    from tqdm import tqdm

    from sim.outputs.compare import format_comparison
    from sim.runs.runner import run_scenario

    session = _workshop_session(args)
    scenario = session.scenario if session else find_scenario(args.scenario, scenario_overrides(args))
    for note in scenario.notes:
        print(f"commsim run: note: {note}", file=sys.stderr)
    # Held until the folder is written; a folder it created is removed again if the run stops.
    with claim_results_dir(scenario.name, args.out, part_folder=True) as claim:
        out = claim.path
        started = utc_now()
        if session:
            results = session
        else:
            n_models = scenario.data["run"]["replications"] * len(arms(scenario))
            weeks = n_models * scenario.data["run"]["steps"]
            # Progress in weeks, so that a long run of a large town moves too.
            bar = tqdm(total=weeks, desc=f"{n_models} run(s)", unit="week", disable=not sys.stderr.isatty())
            results = run_scenario(scenario, on_week=bar.update)
            bar.close()
        write_results(results, out, started)
    print(
        f"Scenario {scenario.name}: {scenario.data['run']['replications']} replication(s) of "
        f"{scenario.data['run']['steps']} weeks, {scenario.data['population']['customers']:,} customers"
    )
    print(format_comparison(results.strategy_timeseries))
    print(f"Results: {out}")
    return 0


def _workshop_session(args: argparse.Namespace) -> Results | None:
    """A workshop debrief folder's session replayed (``Results``), or None for anything else.

    The session is replayed as played, with its two counterfactuals, from ``workshop.json``; the
    flags that would change it are refused. A folder written before the events were saved is
    re-run from its ``scenario.toml`` (the town with nobody playing), with a note saying so.
    """
    path = Path(args.scenario)
    folder = path.parent if path.name == "manifest.json" else path
    if not (folder / "workshop.json").is_file():
        return None
    from sim.dashboard.room.debrief import replay_folder

    try:
        results = replay_folder(folder)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(
            f"{folder / 'workshop.json'}: cannot replay the session ({type(exc).__name__}: {exc})"
        ) from None
    if results is None:
        print(
            f"commsim run: note: {folder} is a workshop session saved without its decisions: this "
            "re-runs its town and shocks with nobody playing",
            file=sys.stderr,
        )
        return None
    if used := [f"--{k}" for k in RUN_FLAGS if getattr(args, k, None) is not None]:
        raise UsageError(
            f"{folder}: a workshop session is replayed as played: {', '.join(used)} does not apply"
        )
    if args.set:
        raise UsageError(f"{folder}: a workshop session is replayed as played: --set does not apply")
    print(
        f"commsim run: note: replaying the workshop session in {folder} "
        "(as played, and its two counterfactuals)",
        file=sys.stderr,
    )
    return results


def built_in_names() -> list[str]:
    """Names of the built-in scenarios (``commsim list``)."""
    return sorted(p.stem for p in builtin_dirs()["scenarios"].glob("*.toml"))


def find_scenario(target: str, overrides: list[str] | None = None) -> Scenario:
    """The scenario ``target`` names: a file, a results folder, or a built-in scenario's name.

    A results folder (or its ``manifest.json``) is re-run from its ``scenario.toml``; a folder
    written before that file existed, from the resolved scenario its manifest holds. Anything else
    is a one-line error listing the built-in names.
    """
    path = Path(target)
    if path.name == "manifest.json" and path.is_file():
        path = path.parent
    if path.is_dir():
        if (path / "scenario.toml").is_file():
            return load_scenario(path / "scenario.toml", overrides)
        if (path / "manifest.json").is_file():
            return _from_manifest(path / "manifest.json", overrides)
        raise UsageError(f"{target}: a folder without scenario.toml: not a results folder")
    if path.is_file():
        return load_scenario(path, overrides)
    builtin = builtin_dirs()["scenarios"] / f"{path.name.removesuffix('.toml')}.toml"
    if path.parent == Path(".") and builtin.is_file():
        return load_scenario(builtin, overrides)
    raise UsageError(
        f"{target}: no such file, results folder or built-in scenario "
        f"(built-in: {', '.join(built_in_names())})"
    )


def _from_manifest(manifest: Path, overrides: list[str] | None) -> Scenario:
    """The resolved scenario recorded in a run's (or a sweep's base) manifest."""
    try:
        m = json.loads(manifest.read_text(encoding="utf-8"))
        data = m["scenario"] if m.get("kind") == "run" else m["experiment"]["base_scenario"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"{manifest}: holds no scenario to re-run ({type(exc).__name__}: {exc})") from None
    return scenario_from_dict(data, str(manifest), overrides)
