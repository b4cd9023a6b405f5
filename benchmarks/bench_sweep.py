"""Sweep speed: parallel efficiency on smoke x 200 runs; runs per minute at 10,000 customers.

``--big-runs 1000`` times the issue-6 target directly: 1,000 runs of ``baseline`` at 10,000
customers and 156 weeks on the process pool (target: under 10 minutes on 2 cores).

Parallel efficiency = serial time of the N runs (one after another in this process) /
(workers x wall time of the sweep on the process pool, including starting the workers and
writing every part file). Target: at least 0.85 on 2 cores. Run on an otherwise idle machine:

    .venv/bin/python benchmarks/bench_sweep.py [--workers 2] [--runs 200] [--big-runs 8]
"""

from __future__ import annotations

import os

# As `commsim sweep` does: single-threaded numerical libraries, one worker per core.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def smoke_scaled(tmp: Path, runs: int) -> Path:
    text = (ROOT / "experiments" / "smoke.toml").read_text(encoding="utf-8")
    per_rep = 8  # 4 design points x 2 arms
    reps = max(1, runs // per_rep)
    text = re.sub(r"^replications = \d+", f"replications = {reps}", text, flags=re.M)
    base = ROOT / "scenarios" / "baseline.toml"
    text = text.replace('base = "../scenarios/baseline.toml"', f'base = "{base}"')
    path = tmp / "smoke_scaled.toml"
    path.write_text(text, encoding="utf-8")
    return path


def big(tmp: Path, runs: int) -> Path:
    """``baseline`` as it is at 10,000 customers: the one factor is held at the baseline's own value."""
    from sim.config.scenario import load_scenario

    q = load_scenario(ROOT / "scenarios" / "baseline.toml").data["behaviour"]["word_of_mouth"]
    text = f"""name = "baseline10k"
base = "{ROOT / "scenarios" / "baseline.toml"}"
replications = {runs}
seed = 1
measures = ["revenue", "cum_profit"]

[set]
"population.customers" = 10000

[parameters]
"behaviour.word_of_mouth" = [{q}]

[design]
kind = "grid"
"""
    path = tmp / "big.toml"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--big-runs", type=int, default=8)
    ap.add_argument("--only-big", action="store_true", help="skip the smoke efficiency measurement")
    args = ap.parse_args()
    for flag, value in (("--workers", args.workers), ("--runs", args.runs), ("--big-runs", args.big_runs)):
        if value < 1:
            ap.error(f"{flag} must be at least 1, got {value}")

    from sim.experiments.designs import design_points, run_table
    from sim.experiments.experiment_file import load_experiment
    from sim.experiments.sweep import plan_from, run_sweep
    from sim.experiments.worker import execute_run

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if not args.only_big:
            exp_path = smoke_scaled(tmp, args.runs)
            exp = load_experiment(exp_path)
            points, _ = design_points(exp)
            runs = run_table(exp, points)
            p = plan_from(exp, points, runs, tmp / "unused")
            n = len(runs)
            execute_run(p.task(0))  # warm up imports and caches
            t0 = time.perf_counter()
            for i in range(n):
                res = execute_run(p.task(i))
                assert "error" not in res, res
            serial = time.perf_counter() - t0

            t0 = time.perf_counter()
            out = run_sweep(exp_path, tmp / "par", workers=args.workers, analyse=False, quiet=True)
            wall = time.perf_counter() - t0
            assert out.ran == n and out.failed == 0
            eff = serial / (args.workers * wall)
            print(
                f"smoke x{n} runs: serial {serial:.1f} s ({serial / n * 1000:.0f} ms/run), "
                f"{args.workers} workers {wall:.1f} s, speed-up {serial / wall:.2f}, "
                f"parallel efficiency {eff:.2f} (target >= 0.85)"
            )

        big_path = big(tmp, args.big_runs)
        t0 = time.perf_counter()
        out = run_sweep(big_path, tmp / "big", workers=args.workers, analyse=False, quiet=True)
        wall = time.perf_counter() - t0
        assert out.failed == 0
        print(
            f"baseline at 10,000 customers, 156 weeks: {out.ran} runs in {wall:.1f} s on "
            f"{args.workers} workers = {out.ran / wall * 60:.1f} runs/minute "
            f"({wall * args.workers / out.ran:.2f} worker-seconds per run; {wall / 60:.1f} minutes)"
        )
        if not args.only_big:
            t0 = time.perf_counter()
            from sim.experiments.analysis import analyse_folder

            analyse_folder(tmp / "par")
            took = time.perf_counter() - t0
            print(f"analysis of {n} runs (tables, figures, report.html): {took:.1f} s")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
