"""Speed of a sweep's analysis: tables, intervals, sensitivity, figures and report.html.

Builds a sweep folder of ``experiments/sobol_community.toml`` at ``--N`` (default 256: 3,072
design points x 2 replications x 2 arms = 12,288 runs of 104 weeks, the size of the issue-16
report) with its real setup files (manifest, design, runs table, written by the sweep's own
planner) and synthetic part files in the workers' format (one parquet file per run: two groups of
businesses x 104 weeks, the kept measures), then times ``analyse_folder`` and its steps.
Target: under 30 s for 10,000 runs on 2 cores. Writing the part files is not timed.

    .venv/bin/python benchmarks/bench_sweep_analysis.py [--N 256] [--replications 2]
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def experiment(tmp: Path, n: int, replications: int) -> Path:
    """sobol_community.toml at another N and number of replications (same parameters and measures)."""
    text = (ROOT / "experiments" / "sobol_community.toml").read_text(encoding="utf-8")
    text = text.replace(
        'base = "../scenarios/baseline.toml"', f'base = "{ROOT / "scenarios" / "baseline.toml"}"'
    )
    text = re.sub(r"^N = \d+", f"N = {n}", text, flags=re.M)
    text = re.sub(r"^replications = \d+", f"replications = {replications}", text, flags=re.M)
    path = tmp / "bench_analysis.toml"
    path.write_text(text, encoding="utf-8")
    return path


def write_parts(
    folder: Path, runs: pd.DataFrame, points: pd.DataFrame, steps: int, measures: list[str]
) -> None:
    """One part file per run, as a worker writes it (same columns and types), with plausible series."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    weeks = np.tile(np.arange(1, steps + 1), 2)
    group = pa.array(["focal"] * steps + ["all"] * steps)
    size = np.repeat([6.0, 12.0], steps)
    first = points.columns[1]
    lift = (points[first].to_numpy(dtype=float) - points[first].mean()) / (points[first].std() or 1.0)
    keep = list(dict.fromkeys(["revenue", "cum_revenue", *measures]))
    n = 2 * steps
    (folder / "runs").mkdir(exist_ok=True)
    for run, point, arm, rep, seed in runs[["run", "point", "arm", "replication", "seed"]].itertuples(
        index=False
    ):
        drift = 900 * size * (1 + 0.05 * lift[point] * (arm == "community"))
        revenue = np.maximum(drift + rng.normal(0, 150, n) * size, 0)
        profit = revenue * 0.2 - 150 * size + rng.normal(0, 50, n) * size
        cum = lambda v: np.concatenate([np.cumsum(v[:steps]), np.cumsum(v[steps:])])  # noqa: E731
        series = {
            "revenue": revenue,
            "cum_revenue": cum(revenue),
            "cum_profit": cum(profit),
            "customers_active": (revenue / 9).astype(np.int64),
            "survival": np.clip(1 - np.tile(np.arange(steps), 2) * rng.uniform(0, 0.004), 0, 1),
        }
        cols = {
            "run": np.full(n, run, dtype=np.int64),
            "point": np.full(n, point, dtype=np.int64),
            "arm": pa.array([arm] * n),
            "replication": np.full(n, rep, dtype=np.int64),
            "seed": np.full(n, seed, dtype=np.uint64),
            "group": group,
            "step": weeks,
            **{k: series[k] for k in keep},
        }
        pq.write_table(pa.table(cols), folder / "runs" / f"run-{run:06d}.parquet")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--N", type=int, default=256, help="Sobol N (a power of 2); runs = N x 12 x replications x 2"
    )
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument(
        "--keep", metavar="DIR", help="build the folder in DIR and keep it (reused when it exists)"
    )
    args = ap.parse_args()
    if args.N < 1 or args.N & (args.N - 1) or args.replications < 1:
        ap.error("--N must be a power of 2 and --replications at least 1")

    from sim.experiments import analysis
    from sim.experiments.report import figures, write_report
    from sim.experiments.sensitivity import sensitivity
    from sim.experiments.sweep import plan
    from sim.experiments.where import where_wins

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        folder = Path(args.keep) if args.keep else tmp / "sweep"
        if not (folder / "runs").is_dir():
            p = plan(experiment(tmp, args.N, args.replications), folder, resume=False)
            p.claim.release()
            t0 = time.perf_counter()
            write_parts(p.folder, p.runs, p.points, p.experiment.steps, p.experiment.measures)
            print(f"{len(p.runs):,} synthetic runs written in {time.perf_counter() - t0:.1f} s (not timed)")
        manifest = analysis.read_manifest(folder)
        keys = [p["key"] for p in manifest["experiment"]["parameters"]]
        t = {}
        t0 = time.perf_counter()
        summary, paired = analysis.build_tables(folder)
        t["read runs, summary and paired tables"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        stats_df = analysis.point_stats(paired, keys)
        wins = where_wins(paired, stats_df, manifest["experiment"])
        t["per-point intervals and where each side wins"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        sens = sensitivity(folder, paired, manifest)
        t["sensitivity (SALib) and noise"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        figs = figures(folder, paired, stats_df, sens, manifest)
        write_report(folder, manifest, stats_df, wins, sens, figs, 0)
        t["figures and report.html"] = time.perf_counter() - t0
        for step, secs in t.items():
            print(f"  {step}: {secs:.1f} s")
        print(f"steps together: {sum(t.values()):.1f} s")

        t0 = time.perf_counter()
        analysis.analyse_folder(folder)  # everything, with every file written
        whole = time.perf_counter() - t0
        print(
            f"analyse_folder (as commsim sweep and commsim report run it) on {len(summary):,} runs: "
            f"{whole:.1f} s (target: under 30 s for 10,000 runs on 2 cores); "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )


if __name__ == "__main__":
    main()
