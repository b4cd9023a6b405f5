"""``commsim run SCENARIO.toml``: run a scenario's replications and write a results folder."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sim.scenario import arms, load_scenario, to_toml
from sim.storage import (
    new_results_dir,
    provenance,
    utc_now,
    write_csv,
    write_json,
    write_parquet,
    write_text,
)

if TYPE_CHECKING:  # pragma: no cover
    from sim.runner import Results


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


def write_results(results: Results, out: Path, started: str, quiet_figures: bool = False) -> Path:
    """Write a run's results folder atomically: built beside ``out``, then renamed into place."""
    from sim.plots import run_figures
    from sim.report import run_report

    tmp = out.with_name(f".{out.name}.part-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        tmp.mkdir(parents=True)
        sc = results.scenario
        ts = results.timeseries
        write_parquet(tmp / "timeseries.parquet", ts)
        write_csv(tmp / "timeseries.csv", ts)
        write_parquet(tmp / "strategy_timeseries.parquet", results.strategy_timeseries)
        write_csv(tmp / "summary.csv", results.summary)
        figures = run_figures(results.strategy_timeseries, tmp / "figures", sc.data["shocks"])
        prov = provenance()
        command = (
            prov["command"]
            if prov["command"].startswith("commsim")
            else f"commsim run {shlex.quote(sc.source)}"
            + "".join(f" --set {shlex.quote(s)}" for s in sc.overrides)
        )
        write_text(
            tmp / "report.html",
            run_report(
                f"commsim run: {sc.name}",
                results.strategy_timeseries,
                figures,
                to_toml(sc.data),
                command,
                notes=[
                    f"{len(results.seeds)} replication(s); arms of one replication share seeds "
                    f"(common random numbers), so arm differences are paired."
                ],
            ),
        )
        manifest = {
            "kind": "run",
            "scenario": sc.data,
            "scenario_file": sc.source,
            "overrides": sc.overrides,
            "scenario_sha256": sc.sha256,
            "arms": [name for name, _ in arms(sc)],
            "seeds": results.seeds,
            "started": started,
            "finished": utc_now(),
            **prov,
        }
        write_json(tmp / "manifest.json", manifest)
        if out.exists():  # an empty folder the user made for us
            out.rmdir()
        out.parent.mkdir(parents=True, exist_ok=True)
        os.rename(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out


def main(args: argparse.Namespace) -> int:
    """Run the scenario, write the folder, print the comparison and the folder's path."""
    from tqdm import tqdm

    from sim.compare import format_comparison
    from sim.runner import run_scenario

    scenario = load_scenario(args.scenario, scenario_overrides(args))
    out = new_results_dir(scenario.name, args.out)
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
