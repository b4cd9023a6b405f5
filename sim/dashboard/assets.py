"""Offline front-end assets for the Solara dashboard: what the package calls, and the command line.

Solara's page loads its front end (the Vuetify app, requirejs, font-awesome and,
on demand, vue-grid-layout, vega/vega-lite/vega-embed, katex and mermaid) from
``/_solara/cdn/<name>@<version>/<file>``. The Solara server answers those
requests from a cache folder (``SOLARA_ASSETS_PROXY_CACHE_DIR``) and only falls
back to a public CDN when a file is missing there; without network the page then
stays blank. The cache is filled from the npm registry with
``npm pack`` so the dashboard works on a machine with no internet access.

The work is shared by four modules: :mod:`sim.dashboard.asset_list` (which packages and files
the page requests), :mod:`sim.dashboard.asset_paths` (where each lives in the cache),
:mod:`sim.dashboard.asset_cache` (filling the cache with ``npm pack``, and whether it is
complete) and :mod:`sim.dashboard.solara_environment` (pointing Solara at it). This module
gathers what the rest of the package uses and is the command line
``python -m sim.dashboard.assets [--cache DIR] [--check] [--list] [--force]``.

Typical use, before anything imports solara::

    from sim.dashboard import assets as da

    cache = da.default_cache_dir()
    if not da.is_prepared(cache):
        da.prepare(cache, progress=print)
    da.configure_environment(cache)
    import solara  # noqa: E402  (only now)

None of these modules imports solara: :mod:`sim.dashboard.asset_list` reads solara's
installed source files to find out which packages the page requests.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.dashboard.asset_cache import AssetError, is_prepared, prepare
from sim.dashboard.asset_list import AssetRef, required_files, required_packages
from sim.dashboard.asset_paths import cache_path_for, default_cache_dir, package_dir
from sim.dashboard.solara_environment import configure_environment

__all__ = [
    "AssetError",
    "AssetRef",
    "cache_path_for",
    "configure_environment",
    "default_cache_dir",
    "is_prepared",
    "package_dir",
    "prepare",
    "required_files",
    "required_packages",
    "main",
]


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.dashboard.assets [--cache DIR] [--check] [--list]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m sim.dashboard.assets",
        description="Fetch the Solara dashboard's front-end files from npm for offline use.",
    )
    parser.add_argument("--cache", type=Path, default=None, help="cache folder")
    parser.add_argument("--check", action="store_true", help="only report whether it is ready")
    parser.add_argument("--list", action="store_true", help="list the packages and files")
    parser.add_argument("--force", action="store_true", help="fetch again even if ready")
    args = parser.parse_args(argv)
    cache = args.cache or default_cache_dir()
    if args.list:
        for ref in required_files():
            print(f"{ref.group:9} {ref.path}  ({ref.source})")
        return 0
    if args.check:
        ready = is_prepared(cache)
        print(f"{cache}: {'ready' if ready else 'not prepared'}")
        return 0 if ready else 1
    try:
        prepare(cache, progress=print, force=args.force)
    except AssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
