"""``commsim validate FILE.toml``: check a scenario or experiment file; change nothing.

Every problem the validator finds is printed, one line each (exit status 2), so that a file with
several mistakes is mended in one go rather than one run at a time.
"""

from __future__ import annotations

import argparse
import sys

from sim.config.scenario import ScenarioError, load_scenario, memory_estimate_gb, read_toml

SPEND_GAP = 0.10
"""Planned spends of compared strategies further apart than this share get a warning."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of ``commsim validate``."""
    p.add_argument("file", help="scenario or experiment file (TOML)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="check the file with a field changed (repeatable)",
    )


def main(args: argparse.Namespace) -> int:
    """Validate and print one line saying what the file is; or every problem, one line each."""
    try:
        return check(args)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"commsim validate: {problem}", file=sys.stderr)
        return 2


def check(args: argparse.Namespace) -> int:
    """Validate the file; print what it is (and any warning and notes)."""
    raw = read_toml(args.file)
    if "design" in raw or "parameters" in raw:
        from sim.experiments.experiment_file import validate_experiment

        print(validate_experiment(args.file))
        return 0
    s = load_scenario(args.file, args.set)
    for note in s.notes:
        print(f"commsim validate: note: {note}", file=sys.stderr)
    d = s.data
    n_biz = sum(b["count"] for b in d["businesses"])
    print(
        f"{args.file}: OK: scenario {s.name!r}, {d['population']['customers']:,} customers, "
        f"{n_biz} businesses, {len(d['shocks'])} shock(s), {max(1, len(d['arms']))} arm(s), "
        f"{d['run']['steps']} weeks x {d['run']['replications']} replication(s), "
        f"about {memory_estimate_gb(d):.1f} GB"
    )
    warning = spend_warning(d)
    if warning:
        print(f"{args.file}: warning: {warning}", file=sys.stderr)
    return 0


def spend_warning(data: dict) -> str | None:
    """A one-line warning when the scenario's strategies plan to spend unequal amounts, else None.

    Compared strategies that differ in mean planned weekly spend (ads + owner time at its value,
    :func:`sim.core.owner_time.planned_spend`) by more than :data:`SPEND_GAP` make the comparison
    also one of how much is spent, not only of how it is spent.
    """
    from sim.core.owner_time import planned_spend

    spend = planned_spend(data)
    if len(spend) < 2:
        return None
    low, high = min(spend, key=spend.get), max(spend, key=spend.get)
    if spend[high] <= (1.0 + SPEND_GAP) * spend[low]:
        return None
    listed = ", ".join(f"{name} {value:,.0f}" for name, value in sorted(spend.items()))
    return (
        f"strategies differ in planned weekly spend (ads + owner time, currency per business: {listed}); "
        f"{high} plans {spend[high] / max(spend[low], 1e-9) - 1:.0%} more than {low}, so the comparison is "
        "also about how much is spent"
    )
