"""How the fast engine's cost grows with customers, and the issue-2 speed targets.

    python benchmarks/bench_scale.py [--sizes 10000 100000 1000000] [--businesses 50]
        [--weeks 156] [--weeks-at 1000000=13] [--repetitions 3] [--no-issue2]
        [--out benchmarks/RESULTS.md]

Every measurement runs ``scenarios/baseline.toml`` (with ``--set``-style overrides) in a fresh
child process, so peak memory (``resource.getrusage``) belongs to that run alone. The scale
table uses the same town shape at every size: ``--businesses`` businesses spread over the
baseline's 12 groups (both strategies in every category). For each size it reports the
network build time (timed inside model construction), the rest of construction, the weekly
time, customer-weeks per second over the weekly steps, the total wall time and the peak RSS.
``--weeks-at SIZE=W`` runs a size for fewer weeks when the full horizon would take too long
today; the 156-week time is then extrapolated from the measured weekly time and marked so.

The issue-2 rows time the unmodified baseline (12 businesses) at 10,000 and 100,000 customers for
156 weeks, against the targets of 2 s and 20 s of model time (construction + weeks).

Each child first loads the compiled rules (``sim.core.model.warm_up``, a one-off of about a
quarter of a second per process once numba's cache is filled) outside the timings; the threads
a run may use (``COMMSIM_THREADS``, default 2 on a 2-core machine) are recorded. The figures and
the command are written to ``--out`` (``benchmarks/RESULTS.md``) with the
machine's CPU model, core count and memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
BASELINE_GROUPS = 12

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
import sim.core.model as model_module
from sim.config.scenario import load_scenario
timed = {{}}
original = model_module.build_network
def build_network(*args, **kwargs):
    t = time.perf_counter()
    out = original(*args, **kwargs)
    timed["network_build_s"] = time.perf_counter() - t
    return out
model_module.build_network = build_network
from sim.core.model import warm_up
from sim.core.parallel import threads
t = time.perf_counter()
warm_up()  # load the compiled rules (a one-off per process), kept out of the timings
timed["first_use_s"] = time.perf_counter() - t
s = load_scenario({scenario!r}, {overrides!r})
t0 = time.perf_counter()
m = model_module.CommunityModel(s, seed={seed})
t1 = time.perf_counter()
m.run({weeks})
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print(json.dumps(dict(timed, build_s=t1 - t0, run_s=t2 - t1, businesses=int(m.n_businesses),
                      threads=threads(), peak_rss_mb=peak)))
"""


def group_counts(total: int, groups: int = BASELINE_GROUPS) -> list[int]:
    """Spread ``total`` businesses over the baseline's groups as evenly as possible."""
    base, extra = divmod(total, groups)
    return [base + (1 if i < extra else 0) for i in range(groups)]


def overrides_for(customers: int, weeks: int, businesses: int | None) -> list[str]:
    """The ``--set`` items of one measurement."""
    items = [f"population.customers={customers}", f"run.steps={weeks}"]
    if businesses is not None:
        items += [f"businesses.{i}.count={c}" for i, c in enumerate(group_counts(businesses))]
    return items


def measure(customers: int, weeks: int, businesses: int | None, seed: int = 1) -> dict:
    """One run in a fresh child process."""
    overrides = overrides_for(customers, weeks, businesses)
    code = CHILD.format(root=str(ROOT), scenario=str(BASELINE), overrides=overrides, seed=seed, weeks=weeks)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res.update(customers=customers, weeks=weeks, wall_s=time.perf_counter() - t0, overrides=overrides)
    res["weekly_s"] = res["run_s"] / weeks
    res["customer_weeks_per_s"] = customers * weeks / res["run_s"]
    res["model_s"] = res["build_s"] + res["run_s"]
    return res


def median_of(runs: list[dict]) -> dict:
    """Field-wise median of repeated measurements (peak memory: the largest)."""
    out = dict(runs[0])
    for key in (
        "network_build_s",
        "build_s",
        "run_s",
        "wall_s",
        "first_use_s",
        "weekly_s",
        "customer_weeks_per_s",
        "model_s",
    ):
        out[key] = statistics.median(r[key] for r in runs)
    out["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    out["repetitions"] = len(runs)
    return out


def machine() -> dict:
    """CPU model, cores and memory of this machine."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = float("nan")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = int(line.split()[1]) / 1024**2
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": cores, "memory_gb": mem_gb, "python": platform.python_version()}


def fmt_row(r: dict, horizon: int) -> str:
    note = ""
    total = r["build_s"] + r["weekly_s"] * horizon
    if r["weeks"] < horizon:
        note = f" (extrapolated from {r['weeks']} weeks)"
    return (
        f"| {r['customers']:,} | {r['businesses']} | {r['weeks']} | "
        f"{r['network_build_s']:.2f} | {r['build_s'] - r['network_build_s']:.2f} | "
        f"{r['weekly_s'] * 1000:.1f} | {r['customer_weeks_per_s'] / 1e6:.2f} | "
        f"{total:.1f}{note} | {r['peak_rss_mb']:,.0f} | {r.get('threads', 1)} | {r['repetitions']} |"
    )


def verdict(big: dict, total: float) -> str:
    """Whether the million-customer target holds for the largest size measured."""
    if big["customers"] < 1_000_000:
        return "not measured at 10^6"
    if big["weeks"] < 156:
        return "not measured over 156 weeks"
    return "met" if total < 60 and big["peak_rss_mb"] < 4096 else "NOT met"


def report(args: argparse.Namespace, scale: list[dict], issue2: list[dict], command: str) -> str:
    m = machine()
    lines = [
        "# Benchmark results",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']:.1f} GB memory, "
        f"Python {m['python']}; shared and noisy, so figures are medians (runs per size in "
        "the last column).",
        "",
        f"Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        f"## Scale: baseline with {args.businesses} businesses",
        "",
        "Each run in a fresh process. `network s`: network construction; `other build s`: the "
        "rest of model construction; `week ms`: mean weekly step; `M cw/s`: million "
        f"customer-weeks per second over the weekly steps; `{args.weeks}-week model s`: "
        "construction plus the weeks; peak RSS of the process; `threads`: threads a run may use "
        "(towns of 50,000 customers or more cut their large passes in two, `sim/core/parallel.py`); "
        "`runs`: repetitions (medians; peak RSS: the largest).",
        "",
        f"| customers | businesses | weeks run | network s | other build s | week ms | M cw/s | "
        f"{args.weeks}-week model s | peak RSS MB | threads | runs |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [fmt_row(r, args.weeks) for r in scale]
    if scale:
        big = scale[-1]
        total = big["build_s"] + big["weekly_s"] * args.weeks
        lines += [
            "",
            f"Target (issue 6): 10^6 customers, 50 businesses, 156 weeks under 60 s wall "
            f"and 4 GB peak. Largest size measured: {big['customers']:,} customers, "
            f"{total:.0f} s for {args.weeks} weeks"
            f"{' (extrapolated)' if big['weeks'] < args.weeks else ''}, "
            f"{big['peak_rss_mb'] / 1024:.2f} GB peak: "
            f"{verdict(big, total)}.",
        ]
    if issue2:
        lines += [
            "",
            "## Issue 2 targets: unmodified baseline (12 businesses), 156 weeks",
            "",
            "| customers | model s (build + weeks) | target s | met | M cw/s | peak RSS MB |",
            "|---:|---:|---:|:---:|---:|---:|",
        ]
        for r in issue2:
            target = 2.0 if r["customers"] <= 10_000 else 20.0
            lines.append(
                f"| {r['customers']:,} | {r['model_s']:.2f} | {target:.0f} | "
                f"{'yes' if r['model_s'] < target else 'NO'} | "
                f"{r['customer_weeks_per_s'] / 1e6:.2f} | {r['peak_rss_mb']:,.0f} |"
            )
    lines += [
        "",
        "Raw figures:",
        "",
        "```json",
        json.dumps({"scale": scale, "issue2": issue2, "machine": m}, indent=1),
        "```",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--businesses", type=int, default=50)
    ap.add_argument("--weeks", type=int, default=156)
    ap.add_argument(
        "--weeks-at",
        action="append",
        default=[],
        metavar="SIZE=WEEKS",
        help="run this size for fewer weeks and extrapolate (e.g. 1000000=13)",
    )
    ap.add_argument(
        "--repetitions",
        type=int,
        default=3,
        help="runs at 10,000 customers or fewer (medians)",
    )
    ap.add_argument("--large-repetitions", type=int, default=1, help="runs at larger sizes (medians)")
    ap.add_argument("--no-issue2", action="store_true", help="skip the issue-2 baseline rows")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    args = ap.parse_args(argv)
    weeks_at = {int(k): int(v) for k, v in (item.split("=", 1) for item in args.weeks_at)}
    given = argv if argv is not None else sys.argv[1:]
    command = "python benchmarks/bench_scale.py " + " ".join(given)

    scale = []
    for n in args.sizes:
        weeks = weeks_at.get(n, args.weeks)
        reps = args.repetitions if n <= 10_000 else args.large_repetitions
        r = median_of([measure(n, weeks, args.businesses, seed=1 + i) for i in range(reps)])
        scale.append(r)
        print(fmt_row(r, args.weeks), flush=True)
    issue2 = []
    if not args.no_issue2:
        for n in (10_000, 100_000):
            reps = args.repetitions if n <= 10_000 else args.large_repetitions
            r = median_of([measure(n, 156, None, seed=1 + i) for i in range(reps)])
            issue2.append(r)
            print(
                f"issue 2: {n:,} customers x 156 weeks: {r['model_s']:.2f} s model time, "
                f"{r['peak_rss_mb']:,.0f} MB",
                flush=True,
            )
    text = report(args, scale, issue2, command)
    Path(args.out).write_text(text)
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
