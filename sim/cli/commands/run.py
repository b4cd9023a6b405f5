"""``commsim run SCENARIO.toml``: run a scenario's replications and write a results folder.

The folder is claimed (created and locked) before the run starts, so a bad ``--out`` stops the
command at once and two commands never write to one folder; it is filled in one step at the end.
"""

from __future__ import annotations

import argparse
import sys

from sim.config.scenario import arms, load_scenario
from sim.outputs.results_folder import write_results
from sim.outputs.storage import claim_results_dir, utc_now


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of ``commsim run``."""
    p.add_argument("scenario", help="scenario file (TOML)")
    p.add_argument("--out", help="results folder (default: results/<name>-<UTC time>)")
    p.add_argument("--seed", type=int, help="seed (overrides run.seed)")
    p.add_argument("--steps", type=int, help="weeks to simulate (overrides run.steps)")
    p.add_argument("--replications", type=int, help="replications (overrides run.replications)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change a scenario field, e.g. --set population.customers=5000 (repeatable)",
    )


def scenario_overrides(args: argparse.Namespace) -> list[str]:
    """``--set`` items plus the shortcut flags, in the order they apply."""
    extra = [
        f"run.{k}={v}" for k in ("seed", "steps", "replications") if (v := getattr(args, k, None)) is not None
    ]
    return list(args.set) + extra


def main(args: argparse.Namespace) -> int:
    """Run the scenario, write the folder, print the comparison and the folder's path."""
    from tqdm import tqdm

    from sim.outputs.compare import format_comparison
    from sim.runs.runner import run_scenario

    scenario = load_scenario(args.scenario, scenario_overrides(args))
    # Held until the folder is written; a folder it created is removed again if the run stops.
    with claim_results_dir(scenario.name, args.out, part_folder=True) as claim:
        out = claim.path
        started = utc_now()
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
