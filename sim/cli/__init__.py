"""The ``commsim`` command line (also ``python -m sim``).

Exit status: 0 success, 2 bad input (one line naming the file, key and problem, no traceback,
nothing written), 1 an internal failure. Long work shows a progress bar on a terminal only.

Each subcommand lives in its own module with ``add_arguments(parser)`` and ``main(args)``;
this module only dispatches and turns input errors into exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from sim.config.errors import ScenarioError, UsageError

COMMANDS = {
    "run": ("sim.cli.commands.run", "run a scenario file and write a results folder"),
    "sweep": ("sim.cli.commands.sweep", "run an experiment file: a parameter sweep with replications"),
    "validate": ("sim.cli.commands.validate", "check a scenario or experiment file; change nothing"),
    "report": ("sim.cli.commands.report", "rebuild figures and report.html from a results folder"),
    "dock": ("sim.cli.commands.dock", "check the model against the Bass (1969) diffusion model"),
    "calibrate": ("sim.cli.commands.calibrate", "fit Bass p, q, m to an adoption series"),
    "dashboard": ("sim.cli.commands.dashboard", "serve the workshop dashboard in the browser"),
    "list": ("sim.cli.commands.list", "list the built-in scenarios and experiments"),
    "explain": ("sim.cli.commands.explain", "what community work and each lever are worth, paired"),
    "workshop": ("sim.cli.commands.workshop", "a shared town: each participant runs a business"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for every other bad input
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only ``command``'s module is imported (so the CLI starts fast)."""
    parser = _Parser(
        prog="commsim",
        description="Agent-based simulator of how small businesses grow through their communities.",
    )
    from sim import __version__

    parser.add_argument("--version", action="version", version=f"commsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        if name == command:
            importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in ("sweep", "explain"):
        # One worker per core: each single-threaded, so numerical libraries start no thread pools
        # (this also lets the workers be forked from this process, see sim.experiments.sweep).
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
    from sim.core.parallel import threads_from_env

    try:
        threads_from_env()
    except ValueError as exc:
        print(f"commsim: {exc}", file=sys.stderr)
        return 2
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(importlib.import_module(args._module).main(args) or 0)
    except (ScenarioError, UsageError) as exc:
        print(f"commsim {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"commsim {args.command}: interrupted", file=sys.stderr)
        return 130
    except FileExistsError as exc:
        print(f"commsim {args.command}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # an internal failure: one line, exit 1 (COMMSIM_DEBUG=1 for the traceback)
        if os.environ.get("COMMSIM_DEBUG"):
            raise
        if _caused_by_ctrl_c(exc):  # e.g. click's Abort: Ctrl-C, not a failure
            print(f"commsim {args.command}: interrupted", file=sys.stderr)
            return 130
        print(
            f"commsim {args.command}: internal error: {type(exc).__name__}: {exc} "
            f"(rerun with COMMSIM_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        return 1


def _caused_by_ctrl_c(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while handling a KeyboardInterrupt (a library's own "aborted")."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
