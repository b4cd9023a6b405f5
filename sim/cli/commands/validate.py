"""``commsim validate FILE.toml``: check a scenario or experiment file; change nothing."""

from __future__ import annotations

import argparse

from sim.config.scenario import load_scenario, memory_estimate_gb, read_toml


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
    """Validate and print one line saying what the file is."""
    raw = read_toml(args.file)
    if "design" in raw or "parameters" in raw:
        from sim.experiments.experiment_file import validate_experiment

        print(validate_experiment(args.file))
        return 0
    s = load_scenario(args.file, args.set)
    d = s.data
    n_biz = sum(b["count"] for b in d["businesses"])
    print(
        f"{args.file}: OK: scenario {s.name!r}, {d['population']['customers']:,} customers, "
        f"{n_biz} businesses, {len(d['shocks'])} shock(s), {max(1, len(d['arms']))} arm(s), "
        f"{d['run']['steps']} weeks x {d['run']['replications']} replication(s), "
        f"about {memory_estimate_gb(d):.1f} GB"
    )
    return 0
