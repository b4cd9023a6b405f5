"""Pointing Solara at the asset cache and keeping it from contacting the internet.

Solara reads its settings from environment variables once, when it is imported, so
:func:`configure_environment` must run before anything imports solara.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: Unreachable CDN set by :func:`configure_environment` (offline mode): a cache
#: miss then fails at once on this machine instead of reaching the internet.
OFFLINE_CDN = "http://127.0.0.1:9/npm/"


def _solara_home() -> Path:
    # same rule as solara.util.get_solara_home, without importing solara
    if "SOLARA_HOME" in os.environ:
        return Path(os.environ["SOLARA_HOME"])
    try:
        return Path.home() / ".solara"
    except RuntimeError:
        return Path.cwd() / ".solara"


def configure_environment(cache_dir: str | os.PathLike[str], *, offline: bool = True) -> None:
    """Point Solara at the prepared cache and stop it from contacting the internet.

    Call before solara is imported: Solara reads these variables once, at import.
    (If solara is already imported, its settings objects are patched as well.)

    Sets:

    * ``SOLARA_ASSETS_PROXY=True`` and ``SOLARA_ASSETS_PROXY_CACHE_DIR``: serve
      ``/_solara/cdn/`` from the cache.
    * ``SOLARA_TELEMETRY_MIXPANEL_ENABLE=False``: no usage pings (to
      api.mixpanel.com and api.ipify.org).
    * with ``offline``: ``SOLARA_ASSETS_CDN`` to an address on this machine that
      refuses connections, so a file missing from the cache is a quick 404 instead
      of a download (Solara still retries it for about 7 s).

    It also creates ``~/.solara/.solara_checked`` (``$SOLARA_HOME``), without which a
    development-mode page embeds a hidden "installation check" iframe from
    solara.dev on first run. ``solara run`` itself asks PyPI for a newer version:
    pass ``--no-check-version``.

    Args:
        cache_dir: The folder filled by :func:`sim.dashboard.asset_cache.prepare`.
        offline: Also make cache misses fail locally instead of using the CDN.
    """
    cache = str(Path(cache_dir).expanduser().resolve())
    os.environ["SOLARA_ASSETS_PROXY"] = "True"
    os.environ["SOLARA_ASSETS_PROXY_CACHE_DIR"] = cache
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    if offline:
        os.environ["SOLARA_ASSETS_CDN"] = OFFLINE_CDN
    try:
        home = _solara_home()
        home.mkdir(parents=True, exist_ok=True)
        for name in (".solara_checked", ".jupyter_checked"):
            (home / name).touch(exist_ok=True)
    except OSError:
        pass  # the check iframe only fails to load; the page still works

    # Already imported: the settings objects were built from the old environment.
    server_settings = sys.modules.get("solara.server.settings")
    if server_settings is not None:
        server_settings.assets.proxy_cache_dir = Path(cache)
        server_settings.telemetry.mixpanel_enable = False
    solara_settings = sys.modules.get("solara.settings")
    if solara_settings is not None:
        solara_settings.assets.proxy = True
        if offline:
            solara_settings.assets.cdn = OFFLINE_CDN
