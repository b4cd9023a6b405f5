"""``commsim sweep EXPERIMENT.toml``: run a parameter sweep with replications and analyse it."""

from __future__ import annotations

import argparse
import sys

from sim.experiments.sweep import EXIT_SOME_FAILED, run_sweep


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of ``commsim sweep``."""
    p.add_argument("experiment", help="experiment file (TOML), e.g. experiments/smoke.toml")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="results folder (default results/<name>-<UTC timestamp>); never overwritten",
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes (default: one per core; with --scheduler local: workers of the local cluster)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster: tcp://HOST:PORT, or 'local' for a LocalCluster on 127.0.0.1",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="complete the interrupted sweep in --out DIR (only missing runs; the experiment "
        "file must be unchanged)",
    )


def main(args: argparse.Namespace) -> int:
    """Run the sweep; exit 0 when every run finished, 3 when some failed, 130 when interrupted."""
    outcome = run_sweep(args.experiment, args.out, args.workers, args.scheduler, args.resume)
    folder = outcome.folder
    done, failed = outcome.done, outcome.failures
    if outcome.interrupted:
        print(
            f"commsim sweep: interrupted: {done} of {outcome.total} runs stored in {folder}; "
            f"complete it with: commsim sweep {args.experiment} --out {folder} --resume",
            file=sys.stderr,
        )
        return 130
    print(
        f"{folder}: {done} of {outcome.total} runs done ({outcome.ran} now, "
        f"{outcome.seconds:.1f} s){f', {failed} failed (see failures.csv)' if failed else ''}; "
        f"report: {folder / 'report.html'}"
    )
    if done:
        from sim.experiments.analysis import summary_lines

        for line in summary_lines(folder):
            print(line)
    return EXIT_SOME_FAILED if failed else 0
