"""``commsim dashboard [SCENARIO.toml]``: serve the workshop page (``sim.dashboard.page``) with Solara.

Order of work, so that bad input fails fast and nothing is started half-way:

1. the scenario file is loaded and validated (a bad file: one line, exit 2);
2. the host and port are checked by binding them once (a port in use or a host that cannot be
   bound: one line, exit 2);
3. Solara's front-end files are made available offline (:mod:`sim.dashboard.assets`): the first
   start fills a cache under the user's cache folder from the npm registry; later starts need no
   network at all (``--prepare`` only does this step);
4. Solara is configured (local asset cache, no telemetry, no CDN) and started in production
   mode, without its version check, on the address printed;
5. Ctrl-C stops it: one line, exit status 0.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from pathlib import Path

from sim.config.errors import UsageError
from sim.config.paths import builtin_dirs

DEFAULT_PORT = 8765
DEFAULT_HOST = "127.0.0.1"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of ``commsim dashboard``."""
    p.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario file the town is drawn from (default: scenarios/baseline.toml)",
    )
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})"
    )
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to serve on (default {DEFAULT_HOST}, this machine only; "
        "0.0.0.0 shares the page on the local network)",
    )
    p.add_argument(
        "--prepare",
        action="store_true",
        help="only fetch the page's front-end files for offline use, then exit",
    )


def check_address(host: str, port: int) -> None:
    """Raise :class:`UsageError` unless ``host:port`` can be bound now (nothing is started)."""
    if not 0 < port < 65536:
        raise UsageError(f"--port {port}: must be between 1 and 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host}: cannot be resolved ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is already in use: choose another with --port") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise UsageError(f"--host {host}: not an address of this machine, cannot serve on it") from None
        if exc.errno == errno.EACCES:
            raise UsageError(f"port {port} on {host}: permission denied (use a port above 1023)") from None
        raise UsageError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    finally:
        sock.close()


def page_url(host: str, port: int) -> str:
    """The address to open in a browser."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("localhost" if host == "::" else host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def prepare_assets(quiet: bool = False) -> Path:
    """Make sure Solara's front-end files are cached; returns the cache folder."""
    from sim.dashboard import assets as da

    cache = da.default_cache_dir()
    if da.is_prepared(cache):
        return cache
    say = None if quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        da.prepare(cache, progress=say)
    except da.AssetError as exc:
        raise UsageError(f"the page's front-end files are not available offline: {exc}") from None
    return cache


def main(args: argparse.Namespace) -> int:
    """Validate, check the address, prepare the assets, then serve until interrupted."""
    from sim.config.scenario import load_scenario
    from sim.dashboard import assets as da

    if args.prepare:
        cache = prepare_assets()
        print(f"dashboard front-end files ready in {cache}")
        return 0
    scenario_file = None
    if args.scenario:
        load_scenario(args.scenario)  # ScenarioError: one line, exit 2
        scenario_file = str(Path(args.scenario).resolve())
    else:  # sim.dashboard.page imports solara: not before configure_environment below
        scenario_file = str(builtin_dirs()["scenarios"] / "baseline.toml")
    check_address(args.host, args.port)
    cache = prepare_assets()
    da.configure_environment(cache)
    os.environ["COMMSIM_DASHBOARD_SCENARIO"] = scenario_file
    url = page_url(args.host, args.port)
    print(f"commsim dashboard: {Path(scenario_file).name} at {url} (Ctrl-C to stop)", flush=True)
    return serve(args.host, args.port)


def serve(host: str, port: int) -> int:
    """Run Solara's server in this process (production mode, no browser, no version check).

    Returns 0 when stopped with Ctrl-C (click's ``Abort``), printing one line.
    """
    import warnings

    from click.exceptions import Abort
    from solara.__main__ import run as solara_run

    # Solara warns that its session cookie falls back to SameSite=Lax over plain http: expected
    # for a page served on this machine or a venue's network, and nothing the user can act on.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    argv = [
        "sim.dashboard.page",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
        "--log-level",
        "warning",
    ]
    try:
        solara_run.main(args=argv, prog_name="commsim dashboard", standalone_mode=False)
    except (KeyboardInterrupt, Abort):  # Ctrl-C: click turns it into Abort outside standalone mode
        pass
    except SystemExit as exc:  # click may still exit on its own errors
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(f"commsim dashboard: {exc.code}", file=sys.stderr)
        return 1
    print("commsim dashboard: stopped", flush=True)
    return 0
