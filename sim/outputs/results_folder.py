"""A run's results folder (the results contract): tables, figures, report and manifest, written atomically."""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from sim.config.scenario import arms, to_toml
from sim.outputs.storage import provenance, utc_now, write_csv, write_json, write_parquet, write_text

if TYPE_CHECKING:  # pragma: no cover
    from sim.runs.runner import Results


def write_results(results: Results, out: Path, started: str, quiet_figures: bool = False) -> Path:
    """Write a run's results folder atomically: built beside ``out``, then renamed into place."""
    from sim.outputs.plots import run_figures
    from sim.outputs.report import run_report

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
