"""Where a week goes: wall time per stage, and the time spent inside the compiled loops.

    python benchmarks/bench_stages.py [--customers 10000] [--businesses 50] [--weeks 52]
        [--warm-up 3] [--json]

Runs ``scenarios/baseline.toml`` (``--businesses`` spread over its 12 groups as in
``bench_scale.py``; default: the baseline's own 12) for ``--warm-up`` weeks untimed, then times
``--weeks`` weeks. For each stage of :meth:`sim.core.model.CommunityModel.step` (a module of
:mod:`sim.core.stages`) it reports the wall time per week, the time inside its compiled loops
(every call summed) and the
rest: Python, numpy and the random draws around them. With two threads (towns of 50,000
customers or more) the compiled time adds both threads' work and can exceed the wall time; set
``COMMSIM_THREADS=1`` for a clean split. The per-loop table lists each compiled loop's time per
week and calls per week.

This is the profile behind the stage figures quoted in ``benchmarks/RESULTS.md``: run it before
optimising, and after, side by side with the previous commit (the machine is shared and its
speed drifts through the day).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

from bench_scale import BASELINE, overrides_for  # noqa: E402

from sim.config.scenario import load_scenario  # noqa: E402
from sim.core import meeting  # noqa: E402
from sim.core.model import CommunityModel  # noqa: E402
from sim.core.model import warm_up as warm_up_rules  # noqa: E402
from sim.core.parallel import threads  # noqa: E402

STAGES = (
    "shocks",
    "outreach",
    "purchases",
    "experience",
    "word_of_mouth",
    "partner_referrals",
    "accounting",
    "forgetting",
)
"""The stage modules of :mod:`sim.core.stages`, in the order of a week."""

MODULES = [importlib.import_module(f"sim.core.stages.{name}") for name in STAGES] + [meeting]


def compiled_loops() -> dict[str, object]:
    """The compiled loops (numba dispatchers) called from Python, by name, from the stage modules."""
    return {
        name: fn
        for module in MODULES
        for name, fn in vars(module).items()
        if hasattr(fn, "py_func") and fn.targetoptions.get("inline", "never") == "never"
    }


def profile(customers: int, businesses: int | None, weeks: int, warm_up: int, seed: int = 1) -> dict:
    """Build the town, run ``warm_up`` weeks, then time ``weeks`` weeks stage by stage."""
    warm_up_rules()
    scenario = load_scenario(BASELINE, overrides_for(customers, warm_up + weeks, businesses))
    model = CommunityModel(scenario, seed=seed)
    model.run(warm_up)
    current = ["(between stages)"]
    stage_s: dict[str, float] = {}
    loop_s: dict[str, float] = {}
    loop_calls: dict[str, int] = {}
    loop_in_stage: dict[str, float] = {}
    loops = compiled_loops()

    def timed_loop(name: str, fn):
        def call(*args):
            t = time.perf_counter()
            out = fn(*args)
            dt = time.perf_counter() - t
            loop_s[name] = loop_s.get(name, 0.0) + dt
            loop_calls[name] = loop_calls.get(name, 0) + 1
            loop_in_stage[current[0]] = loop_in_stage.get(current[0], 0.0) + dt
            return out

        return call

    def timed_stage(name: str, fn):
        def call(*args):
            current[0] = name
            t = time.perf_counter()
            try:
                return fn(*args)
            finally:
                stage_s[name] = stage_s.get(name, 0.0) + time.perf_counter() - t
                current[0] = "(between stages)"

        return call

    # Each module calls a loop by its own name for it (an imported loop is bound in the importer too).
    patched = [
        (m, name, fn) for m in MODULES for name, fn in vars(m).items() if name in loops and fn is loops[name]
    ]
    patched += [(m, "run", m.run) for m in MODULES[: len(STAGES)]]
    for module, name, fn in patched:
        if name == "run":
            setattr(module, name, timed_stage(module.__name__.rpartition(".")[2], fn))
        else:
            setattr(module, name, timed_loop(name, fn))
    try:
        model.recorder.record = timed_stage("measures", model.recorder.record)
        t0 = time.perf_counter()
        model.run(weeks)
        total = time.perf_counter() - t0
    finally:
        for module, name, fn in patched:
            setattr(module, name, fn)
    per_week = 1000.0 / weeks
    rows = []
    for stage in (*STAGES, "measures"):
        wall, inside = stage_s.get(stage, 0.0), loop_in_stage.get(stage, 0.0)
        rows.append(
            {
                "stage": stage.replace("_", " "),
                "wall_ms": wall * per_week,
                "compiled_ms": inside * per_week,
                "rest_ms": (wall - inside) * per_week,
            }
        )
    loops = [
        {"loop": name, "ms": loop_s[name] * per_week, "calls": loop_calls[name] / weeks}
        for name in sorted(loop_s, key=loop_s.get, reverse=True)
    ]
    return {
        "customers": customers,
        "businesses": int(model.n_businesses),
        "weeks": weeks,
        "threads": threads(),
        "week_ms": total * per_week,
        "stages": rows,
        "loops": loops,
    }


def table(res: dict) -> str:
    """The profile as two plain-text tables."""
    lines = [
        f"{res['customers']:,} customers, {res['businesses']} businesses, {res['weeks']} weeks, "
        f"{res['threads']} thread(s): {res['week_ms']:.2f} ms a week",
        "",
        f"{'stage':<20}{'wall ms':>10}{'compiled ms':>13}{'rest ms':>10}",
    ]
    for r in res["stages"]:
        lines.append(f"{r['stage']:<20}{r['wall_ms']:>10.3f}{r['compiled_ms']:>13.3f}{r['rest_ms']:>10.3f}")
    lines += ["", f"{'compiled loop':<20}{'ms a week':>10}{'calls':>8}"]
    for r in res["loops"]:
        lines.append(f"{r['loop']:<20}{r['ms']:>10.3f}{r['calls']:>8.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--businesses", type=int, default=None, help="default: the baseline's 12")
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--warm-up", type=int, default=3, help="untimed weeks first")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = ap.parse_args(argv)
    res = profile(args.customers, args.businesses, args.weeks, args.warm_up)
    print(json.dumps(res) if args.json else table(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
