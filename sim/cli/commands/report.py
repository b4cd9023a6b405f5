"""``commsim report RESULTS_DIR``: rebuild figures and report.html from stored results.

Only derived files (``comparison.csv``, ``figures/`` and ``report.html``) are rewritten, each
atomically; the stored tables and the manifest are read, never changed.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from sim.config.errors import UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of ``commsim report``."""
    p.add_argument("folder", help="a results folder written by commsim run or commsim sweep")


def read_manifest(folder: Path) -> dict:
    """The folder's manifest, or a one-line error."""
    path = folder / "manifest.json"
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such results folder")
    if not path.is_file():
        raise UsageError(f"{folder}: not a results folder (no manifest.json)")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid JSON: {exc}") from None


def rebuild_run(folder: Path, manifest: dict) -> Path:
    """comparison.csv, figures and report.html of a ``commsim run`` folder."""
    import pandas as pd

    from sim.config.scenario_file import scenario_text
    from sim.outputs.compare import write_comparison
    from sim.outputs.plots import run_figures
    from sim.outputs.report import BUSINESS_COLUMNS, run_report
    from sim.outputs.storage import write_text

    for name in ("strategy_timeseries.parquet", "timeseries.parquet"):
        if not (folder / name).is_file():
            raise UsageError(f"{folder}: {name} is missing")
    strat = pd.read_parquet(folder / "strategy_timeseries.parquet")
    ts = pd.read_parquet(folder / "timeseries.parquet", columns=list(BUSINESS_COLUMNS))
    scenario = manifest["scenario"]
    band_table = write_comparison(folder, strat)
    figures = run_figures(strat, folder / "figures", scenario.get("shocks", []), band_table)
    write_text(
        folder / "report.html",
        run_report(
            f"commsim run: {scenario['run']['name']}",
            strat,
            figures,
            scenario_text(scenario, manifest.get("command", "")),
            f"commsim run {shlex.quote(str(folder))}",  # re-runs from scenario.toml or the manifest
            notes=[
                f"{len(manifest.get('seeds', []))} replication(s); arms of one replication share seeds "
                "(common random numbers), so arm differences are paired.",
                "Rebuilt by commsim report.",
            ],
            band_table=band_table,
            timeseries=ts,
        ),
    )
    return folder / "report.html"


def main(args: argparse.Namespace) -> int:
    """Rebuild the report of a run or a sweep folder and print its path."""
    folder = Path(args.folder)
    manifest = read_manifest(folder)
    kind = manifest.get("kind")
    if kind == "run":
        path = rebuild_run(folder, manifest)
    elif kind == "sweep":
        from sim.experiments.analysis import analyse_folder

        path = analyse_folder(folder)
    else:
        raise UsageError(f"{folder}/manifest.json: kind {kind!r} is neither 'run' nor 'sweep'")
    print(f"Report: {path}")
    return 0
