"""The fast engine against the plain-Mesa reference engine, side by side in one run.

    python benchmarks/bench_engine.py --customers 10000 --weeks 26 --json [--no-reference]
                                      [--repetitions 3] [--set KEY=VALUE ...]

Each repetition runs the fast engine (``sim.core.model.CommunityModel``) and then the reference
engine (``benchmarks/reference_mesa.py``) on the same scenario and seed, interleaved so that
both see the same machine load; ``ratio`` is the median over repetitions of the per-repetition
ratio of their customer-weeks per second. Speeds count the weekly steps only (model and network
construction are timed apart: ``network_build_s`` is the fast engine's network build, median).
``fast_first_use_s`` is the one-off cost of loading the compiled rules (numba, cached on disk
after the first compile), timed on a small town before the repetitions. ``fast_peak_rss_mb`` is
the peak resident memory of a fresh child process that builds and runs
the fast engine alone (``resource.getrusage`` in the child), so the reference engine's objects
do not inflate it.

Prints one JSON object with ``--json`` (keys: customers, weeks, fast_customer_weeks_per_s,
reference_customer_weeks_per_s, ratio, fast_peak_rss_mb, network_build_s, repetitions, and a
few more), otherwise a table.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

from sim.config.scenario import load_scenario  # noqa: E402
from sim.core.model import CommunityModel  # noqa: E402
from sim.core.network import build_network  # noqa: E402
from sim.core.streams import stream  # noqa: E402

CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from sim.core.model import CommunityModel
from sim.config.scenario import load_scenario
s = load_scenario({scenario!r}, {overrides!r})
t0 = time.perf_counter()
m = CommunityModel(s, seed={seed})
t1 = time.perf_counter()
m.run({weeks})
t2 = time.perf_counter()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, t1 - t0, t2 - t1)
"""


def scenario_overrides(customers: int, weeks: int, extra: list[str]) -> list[str]:
    """The ``--set`` items of a benchmark run."""
    return [f"population.customers={customers}", f"run.steps={weeks}", *extra]


def time_engine(engine, scenario, seed: int, weeks: int) -> tuple[float, float]:
    """(construction seconds, weekly-steps seconds) of one run of ``engine`` (a model class)."""
    gc.collect()
    t0 = time.perf_counter()
    model = engine(scenario, seed=seed)
    t1 = time.perf_counter()
    model.run(weeks)
    t2 = time.perf_counter()
    del model
    gc.collect()
    return t1 - t0, t2 - t1


def time_network(scenario, seed: int) -> float:
    """Seconds to build the fast engine's network (the model's own generator and stream)."""
    data = scenario.data
    t0 = time.perf_counter()
    build_network(data["network"], data["population"], stream(seed, "network"))
    return time.perf_counter() - t0


def peak_rss_mb(scenario_path: str, overrides: list[str], seed: int, weeks: int) -> dict[str, float]:
    """Peak RSS (MB), build and run seconds of the fast engine in a fresh child process."""
    code = CHILD.format(root=str(ROOT), scenario=scenario_path, overrides=overrides, seed=seed, weeks=weeks)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    rss, build, run = (float(x) for x in out.stdout.split()[-3:])
    return {"peak_rss_mb": rss, "build_s": build, "run_s": run}


def run(args: argparse.Namespace) -> dict:
    """Run the benchmark and return its figures."""
    from reference_mesa import ReferenceModel

    overrides = scenario_overrides(args.customers, args.weeks, args.set)
    scenario = load_scenario(args.scenario, overrides)
    n, w = args.customers, args.weeks
    fast_speed, ref_speed, ratios, net, fast_build, ref_build = [], [], [], [], [], []
    # The compiled rules are loaded (or compiled, on a fresh clone) on first use: time that
    # once, on a small town, and keep it out of the weekly speeds.
    t0 = time.perf_counter()
    CommunityModel(load_scenario(args.scenario, scenario_overrides(300, 2, args.set)), seed=args.seed).run(2)
    first_use = time.perf_counter() - t0
    for r in range(args.repetitions):
        seed = args.seed + r
        net.append(time_network(scenario, seed))
        build, secs = time_engine(CommunityModel, scenario, seed, w)
        fast_build.append(build)
        fast_speed.append(n * w / secs)
        if not args.no_reference:
            build, secs = time_engine(ReferenceModel, scenario, seed, w)
            ref_build.append(build)
            ref_speed.append(n * w / secs)
            ratios.append(fast_speed[-1] / ref_speed[-1])
    child = peak_rss_mb(args.scenario, overrides, args.seed, w)
    result = {
        "customers": n,
        "weeks": w,
        "fast_customer_weeks_per_s": statistics.median(fast_speed),
        "fast_peak_rss_mb": child["peak_rss_mb"],
        "network_build_s": statistics.median(net),
        "fast_build_s": statistics.median(fast_build),
        "fast_first_use_s": first_use,
        "repetitions": args.repetitions,
        "seed": args.seed,
        "scenario": str(args.scenario),
        "overrides": overrides,
    }
    if not args.no_reference:
        result["reference_customer_weeks_per_s"] = statistics.median(ref_speed)
        result["reference_build_s"] = statistics.median(ref_build)
        result["ratio"] = statistics.median(ratios)
        result["ratios"] = ratios
    return result


def table(res: dict) -> str:
    """A readable table of the figures."""
    lines = [
        f"{res['customers']:,} customers x {res['weeks']} weeks, "
        f"{res['repetitions']} interleaved repetitions (medians)",
        f"{'engine':<12}{'customer-weeks/s':>18}{'build s':>10}",
    ]
    lines.append(f"{'fast':<12}{res['fast_customer_weeks_per_s']:>18,.0f}{res['fast_build_s']:>10.2f}")
    if "ratio" in res:
        lines.append(
            f"{'reference':<12}{res['reference_customer_weeks_per_s']:>18,.0f}"
            f"{res['reference_build_s']:>10.2f}"
        )
        lines.append(f"ratio fast / reference (median of per-repetition ratios): {res['ratio']:.1f}")
    lines.append(
        f"fast network build: {res['network_build_s']:.3f} s; "
        f"fast peak RSS (fresh process): {res['fast_peak_rss_mb']:.0f} MB"
    )
    lines.append(
        f"fast engine's first use (loading its compiled rules, small town): {res['fast_first_use_s']:.2f} s"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="scenario override, as commsim run --set",
    )
    ap.add_argument("--no-reference", action="store_true", help="time the fast engine only")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.repetitions < 1 or args.customers < 1 or args.weeks < 1:
        ap.error("--customers, --weeks and --repetitions must be at least 1")
    res = run(args)
    print(json.dumps(res) if args.json else table(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
