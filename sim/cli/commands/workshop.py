"""``commsim workshop [SCENARIO.toml]``: one shared town, a facilitator and one business per participant.

Order of work, so that bad input fails fast and nothing is started half-way:

1. the scenario is loaded with its ``--set`` changes and validated, and with ``--customers`` cut to
   that many customers with its money scaled to match (as the dashboard does); a bad file or value:
   one line, exit 2;
2. the weeks per round, the debrief folder (``--out``: must not hold results) and the address are
   checked (a port in use: one line, exit 2);
3. the town is built and the server started; the terminal shows the join address for the room and
   the facilitator's address with its key. Serving on an address other than this machine's own
   (``--host``) prints a warning: anyone who can reach it can join;
4. Ctrl-C stops the server (a debrief being written is finished first): one line, exit status 0.
"""

from __future__ import annotations

import argparse
import copy
import ipaddress
import socket
import sys
from pathlib import Path

from sim.config.errors import UsageError
from sim.config.paths import builtin_dirs

DEFAULT_PORT = 8766
DEFAULT_HOST = "127.0.0.1"
WILDCARD = ("0.0.0.0", "::", "")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of ``commsim workshop``."""
    p.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario file of the town (default: scenarios/baseline.toml); every business can be run "
        "by a participant",
    )
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})"
    )
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to serve on (default {DEFAULT_HOST}, this machine only; 0.0.0.0 lets phones on "
        "the local network join, and prints a warning)",
    )
    p.add_argument(
        "--weeks-per-round", type=int, default=4, help="weeks a round simulates (default 4; 1 to 26)"
    )
    p.add_argument(
        "--customers",
        type=int,
        default=None,
        help="customers in the town (default: the scenario's); money is scaled to match, as on the dashboard",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change a scenario field, e.g. --set run.steps=52 (repeatable)",
    )
    p.add_argument("--out", help="debrief folder (default: results/workshop-<name>-<UTC time>)")


def town(path: str, overrides: list[str], customers: int | None):
    """The town's scenario and the factor its money was scaled by (:class:`ScenarioError` if bad)."""
    from sim.config.errors import ScenarioError
    from sim.config.scenario import load_scenario, scenario_from_dict
    from sim.dashboard.workshop_town import scale_money

    sc = load_scenario(path, overrides)
    if customers is None:
        return sc, 1.0
    if customers < 10:
        raise ScenarioError(f"--customers {customers}: a town needs at least 10 customers")
    raw = copy.deepcopy(sc.data)
    f = customers / float(raw["population"]["customers"])
    raw["population"]["customers"] = customers
    scale_money(raw, f)
    return scenario_from_dict(raw, sc.source), f


def lan_address() -> str:
    """This machine's address on the local network (the one it would reach others from), else its name."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # a documentation address: nothing is sent for a UDP connect
            return s.getsockname()[0]
        except OSError:
            return socket.gethostname()


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def addresses(host: str, port: int) -> tuple[str, list[str] | None]:
    """The join address to show, and the ``Host`` headers to accept (None: any, on every address)."""
    shown = lan_address() if host in WILDCARD else host
    if ":" in shown:
        shown = f"[{shown}]"
    allowed = None if host in WILDCARD else sorted({host, "localhost", "127.0.0.1"})
    return f"http://{shown}:{port}/", allowed


def main(args: argparse.Namespace) -> int:
    """Validate, build the town, print the addresses, serve until Ctrl-C."""
    from sim.cli.commands.dashboard import check_address
    from sim.outputs.storage import new_results_dir

    path = args.scenario or str(builtin_dirs()["scenarios"] / "baseline.toml")
    scenario, scale = town(path, list(args.set), args.customers)
    if not 1 <= args.weeks_per_round <= 26:
        raise UsageError(f"--weeks-per-round {args.weeks_per_round}: from 1 to 26 weeks")
    if args.out:
        new_results_dir("workshop", args.out)  # refuses a folder that already holds results
    check_address(args.host, args.port)

    from sim.dashboard.room.room import Room
    from sim.dashboard.room.server import WorkshopApp

    room = Room(scenario, args.weeks_per_round, scale)
    join_url, allowed = addresses(args.host, args.port)
    web = WorkshopApp(room, join_url, "results", args.out, allowed)
    local = f"http://127.0.0.1:{args.port}" if args.host in WILDCARD else join_url.rstrip("/")
    print(
        f"commsim workshop: {Path(path).name}, {room.model.n_customers:,} customers, "
        f"{len(room.order)} businesses to run, {room.weeks_per_round} weeks a round",
        flush=True,
    )
    print(f"  participants join at  {join_url}", flush=True)
    print(f"  facilitator (keep it) {local}/facilitator#key={room.key}", flush=True)
    print(f"  facilitator key       {room.key}", flush=True)
    if not is_loopback(args.host):
        print(
            f"commsim workshop: warning: serving on {args.host}: anyone on that network who can reach "
            f"port {args.port} can open the join page and take a business (the controls need the key)",
            file=sys.stderr,
            flush=True,
        )
    serve(web, args.host, args.port)
    if web.debrief_thread is not None:
        web.debrief_thread.join()
        if room.debrief.get("folder"):
            print(f"commsim workshop: debrief in {room.debrief['folder']}", flush=True)
    print("commsim workshop: stopped", flush=True)
    return 0


def serve(web, host: str, port: int) -> None:
    """Run the server in this process until Ctrl-C."""
    import uvicorn

    config = uvicorn.Config(
        web.app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        limit_concurrency=400,
    )
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:  # pragma: no cover - uvicorn handles Ctrl-C itself
        pass
