"""``commsim explain SCENARIO.toml``: counterfactual attribution and the lever-by-lever decomposition.

Runs the scenario's town with the community group's community work switched off, and with every
subset of its levers switched to another strategy's values, all on the same seeds (paired), and
writes ``explain.csv``, ``figures/waterfall.png`` and a manifest (docs/ODD.md section 11). The
folder is claimed before any run starts and filled in one step at the end, as ``commsim run``'s.
"""

from __future__ import annotations

import argparse
import os
import sys

from sim.cli.commands.run import add_scenario_flags, find_scenario, scenario_overrides
from sim.config.errors import UsageError
from sim.outputs.storage import claim_results_dir, utc_now


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of ``commsim explain``."""
    from sim.experiments.explain import DEFAULT_AGAINST, DEFAULT_REPLICATIONS, SUBJECT

    p.add_argument(
        "scenario",
        help=f"scenario file, built-in name or results folder, with a {SUBJECT!r} group and another",
    )
    p.add_argument(
        "--against",
        default=DEFAULT_AGAINST,
        metavar="STRATEGY",
        help=f"the strategy the {SUBJECT} group is compared with (default: {DEFAULT_AGAINST})",
    )
    p.add_argument(
        "--replications",
        type=int,
        default=DEFAULT_REPLICATIONS,
        help=f"paired replications (default: {DEFAULT_REPLICATIONS}; run.replications is not used)",
    )
    p.add_argument("--out", help="results folder (default: results/<name>-explain-<UTC time>)")
    p.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    add_scenario_flags(p)


def main(args: argparse.Namespace) -> int:
    """Check the input, claim the folder, run the counterfactuals, write and print the summary."""
    from tqdm import tqdm

    from sim.experiments.explain import LEVERS, check_groups, explain, plan_variants
    from sim.experiments.explain_report import format_summary, write_explain_folder
    from sim.outputs.intervals import MIN_REPLICATIONS

    # --replications here counts paired replications, not run.replications: only seed and steps apply
    scenario = find_scenario(
        args.scenario, scenario_overrides(args, ("seed", "steps"))
    )  # file, name or folder
    for note in scenario.notes:
        print(f"commsim explain: note: {note}", file=sys.stderr)
    check_groups(scenario, args.against)
    if args.replications < MIN_REPLICATIONS:
        raise UsageError(
            f"--replications {args.replications}: explain needs at least {MIN_REPLICATIONS} "
            f"(the fewest an interval is given for)"
        )
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise UsageError(f"--workers {workers}: must be at least 1")
    runs = args.replications * len(plan_variants(scenario.data, args.against)[0])
    with claim_results_dir(f"{scenario.name}-explain", args.out, part_folder=True) as claim:
        started = utc_now()
        bar = tqdm(total=runs, desc="explain", unit="run", disable=not sys.stderr.isatty())
        try:
            ex = explain(scenario, args.against, args.replications, workers=workers, progress=bar.update)
        finally:
            bar.close()
        write_explain_folder(ex, scenario, claim.path, started, {"workers": workers, "lever_fields": LEVERS})
    print(format_summary(ex, scenario))
    print(f"Results: {claim.path}")
    return 0
