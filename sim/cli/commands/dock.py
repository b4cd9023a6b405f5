"""``commsim dock``: check the model against the Bass (1969) diffusion model.

Runs ``scenarios/bass_docking.toml`` (one business, complete mixing, ads as Bass ``p``, word of
mouth as Bass ``q``) and compares the simulated adoption share with the discrete recursion (which
a weekly model must match) and the continuous closed form (which it approaches only as the time
step shrinks: the gap is stated, not hidden). Then the ``1/sqrt(N)`` table and the network
ladder. Exit status 0 if every check passes, 1 if one fails, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys

from tqdm import tqdm

from sim.config.errors import UsageError
from sim.validation.docking import LADDER, SIZES, Tolerances, default_size_replications, run_dock

JSON_KEYS = (
    "p",
    "q",
    "customers",
    "replications",
    "weeks",
    "simulated",
    "discrete_bass",
    "closed_form",
    "max_error_discrete",
    "max_error_closed_form",
    "error_by_customers",
    "half_adoption_week_by_network",
    "verdict",
)
"""Keys of the ``--json`` answer, in order."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of ``commsim dock``."""
    p.add_argument(
        "--customers",
        type=int,
        default=20_000,
        metavar="N",
        help="town size of the docking run and the network ladder (default 20000)",
    )
    p.add_argument(
        "--replications",
        type=int,
        default=20,
        metavar="R",
        help="replications of the docking run (default 20)",
    )
    p.add_argument("--weeks", type=int, default=52, metavar="W", help="horizon in weeks (default 52)")
    p.add_argument(
        "--ladder-replications",
        type=int,
        default=5,
        metavar="R",
        help="replications per network of the ladder (default 5)",
    )
    p.add_argument(
        "--sizes",
        default=",".join(str(n) for n in SIZES),
        metavar="N,N,...",
        help="town sizes of the 1/sqrt(N) table (default 1000,10000,100000)",
    )
    p.add_argument("--seed", type=int, default=None, help="master seed (default: the scenario's)")
    p.add_argument("--json", action="store_true", help="print one JSON object on standard output")


def _check(args: argparse.Namespace) -> list[int]:
    if not 10 <= args.customers <= 2_000_000:
        raise UsageError(f"--customers: {args.customers} is out of range 10..2000000")
    if not 1 <= args.replications <= 1000:
        raise UsageError(f"--replications: {args.replications} is out of range 1..1000")
    if not 1 <= args.ladder_replications <= 1000:
        raise UsageError(f"--ladder-replications: {args.ladder_replications} is out of range 1..1000")
    if not 2 <= args.weeks <= 2000:
        raise UsageError(f"--weeks: {args.weeks} is out of range 2..2000")
    try:
        sizes = sorted({int(s) for s in str(args.sizes).split(",") if s.strip()})
    except ValueError:
        raise UsageError(f"--sizes: {args.sizes!r} is not a comma-separated list of whole numbers") from None
    if not sizes or not all(10 <= n <= 2_000_000 for n in sizes):
        raise UsageError(f"--sizes: {args.sizes!r}: give one or more sizes in 10..2000000")
    return sizes


def main(args: argparse.Namespace) -> int:
    """Run the docking check; print a table (or JSON) and the verdict."""
    sizes = _check(args)
    size_reps = default_size_replications(sizes)
    total = args.replications + sum(size_reps.values()) + args.ladder_replications * len(LADDER)
    with tqdm(total=total, desc="dock", unit="run", disable=not sys.stderr.isatty(), leave=False) as bar:
        result = run_dock(
            customers=args.customers,
            replications=args.replications,
            weeks=args.weeks,
            sizes=sizes,
            size_replications=size_reps,
            ladder_replications=args.ladder_replications,
            seed=args.seed,
            progress=bar.update,
        )
    if args.json:
        print(json.dumps({k: result[k] for k in JSON_KEYS}))
    else:
        print(format_text(result))
    return 0 if result["verdict"] == "pass" else 1


def format_text(result: dict) -> str:
    """The human-readable report of :func:`sim.validation.docking.run_dock`."""
    d = result["details"]
    dk, checks = d["dock"], d["checks"]
    lines = [
        f"Bass docking: p = {result['p']}, q = {result['q']} per week, {result['customers']:,} "
        "customers, "
        f"{result['replications']} replications, {len(result['weeks']) - 1} weeks",
        "",
        " week   simulated F   discrete   closed form",
    ]
    for t in result["weeks"]:
        if t in (1, 2, 4, 6, 8, 10, 13, 20, 26, 39, 52) or t == result["weeks"][-1]:
            lines.append(
                f" {t:4d}   {result['simulated'][t]:11.4f}   {result['discrete_bass'][t]:8.4f}"
                f"   {result['closed_form'][t]:11.4f}"
            )
    lines += [
        "",
        f"max |simulated - discrete recursion| = {result['max_error_discrete']:.4f} "
        f"(tolerance {dk['tolerance']:.4f}): {'pass' if checks['docking']['passed'] else 'FAIL'}",
        f"max |simulated - continuous closed form| = {result['max_error_closed_form']:.4f} "
        f"(not a criterion: the recursion itself is {dk['max_gap_recursion_closed_form']:.4f} from "
        "the "
        "closed form at a one-week step)",
        "",
        "error of one run against the recursion (mean over runs of max_t |F - recursion|):",
        "  customers   runs   mean max error   x sqrt(N)",
    ]
    for n, v in d["error_by_customers"].items():
        lines.append(f"  {n:9,d}   {v['replications']:4d}   {v['mean_max_error']:14.4f}   {v['scaled']:9.2f}")
    if "one_over_sqrt_n" in checks:
        c = checks["one_over_sqrt_n"]
        lines.append(
            f"  ratio smallest/largest town = {c['value']:.1f} (1/sqrt(N) predicts "
            f"{c['expected']:.1f};"
            f" pass if >= {c['tolerance']:.1f}): {'pass' if c['passed'] else 'FAIL'}"
        )
    lines += ["", "week at which half the town has bought (mean over runs, interpolated):"]
    for name, v in d["ladder"].items():
        hw = "never" if v["half_week"] is None else f"{v['half_week']:.2f} +/- {v['half_week_sd']:.2f}"
        lines.append(f"  {name:13s} {hw}")
    if "network_bound" in checks:
        c = checks["network_bound"]
        lines.append(
            f"  earliest network minus complete mixing = {c['value']:+.2f} weeks (Fibich & Levin: "
            f">= 0; slack {Tolerances.LADDER_SLACK}): {'pass' if c['passed'] else 'FAIL'}"
        )
    lines += ["", f"verdict: {result['verdict']}"]
    return "\n".join(lines)
