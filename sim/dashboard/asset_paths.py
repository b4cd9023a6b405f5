"""Where each front-end file of the dashboard lives in the asset cache, as Solara looks for it.

How Solara maps a request onto the cache (``solara/server/cdn_helper.py``,
``get_path``): the part of the URL after ``/_solara/cdn/`` is used verbatim as a
relative path under the cache folder, e.g.
``/_solara/cdn/@widgetti/solara-vuetify-app@10.1.1/dist/main8.css`` is read from
``<cache>/@widgetti/solara-vuetify-app@10.1.1/dist/main8.css``. A path with no
``/`` at all (a bare ``name@version``) is stored as ``<cache>/<path>/__main.js``.
The public CDN (jsdelivr's ``/npm/``) serves a package's published files at
``<name>@<version>/<file>``, which is exactly the ``package/`` folder of the npm
tarball, so unpacking ``package/`` into ``<cache>/<name>@<version>/`` recreates
what Solara would have cached. The folder keeps the spec *as Solara requests it*:
``vega@5`` (a semver range) is stored as ``<cache>/vega@5/`` holding the newest
5.x release, the one the CDN would have answered with.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: URL prefix under which Solara proxies CDN files (``cdn_helper.cdn_url_path``).
CDN_URL_PATH = "_solara/cdn"

# name@version at the start of a CDN path; the name may be scoped (@scope/name).
_SPEC_RE = re.compile(r"^((?:@[^/@]+/)?[^/@]+@[^/]+)(?:/(.*))?$")


def default_cache_dir() -> Path:
    """Return the per-user cache folder for the assets.

    ``$COMMSIM_SOLARA_CDN_DIR`` wins when set; otherwise
    ``$XDG_CACHE_HOME/commsim/solara-cdn`` or ``~/.cache/commsim/solara-cdn``.
    """
    override = os.environ.get("COMMSIM_SOLARA_CDN_DIR")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base).expanduser() if base else Path.home() / ".cache"
    return root / "commsim" / "solara-cdn"


def cache_path_for(cache_dir: str | os.PathLike[str], url_path: str) -> Path:
    """Map a path requested under ``/_solara/cdn/`` onto the cache, as Solara does.

    Mirrors ``solara.server.cdn_helper.get_path``: the path is used as is below the
    cache folder, except that a single-segment path gets ``/__main.js`` appended.
    A leading ``/`` and a query string (``?v=4.5.0`` on font URLs) are ignored, as
    the server does; a path escaping the cache folder is refused.

    Args:
        cache_dir: The cache folder (``SOLARA_ASSETS_PROXY_CACHE_DIR``).
        url_path: The request path, with or without the ``/_solara/cdn/`` prefix.

    Returns:
        The file Solara serves for that request.

    Raises:
        ValueError: If the path would leave the cache folder.
    """
    path = url_path.split("?", 1)[0].split("#", 1)[0].replace("\\", "/")
    path = path.lstrip("/")
    if path.startswith(CDN_URL_PATH + "/"):
        path = path[len(CDN_URL_PATH) + 1 :]
    parts = [p for p in path.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise ValueError(f"not a path inside the cache: {url_path!r}")
    if len(parts) == 1:
        parts.append("__main.js")
    return Path(cache_dir, *parts)


def package_dir(cache_dir: str | os.PathLike[str], spec: str) -> Path:
    """Folder holding the unpacked npm ``package/`` for ``spec`` (``name@version``)."""
    m = _SPEC_RE.match(spec)
    if not m or m.group(2) is not None or any(p in (".", "..") for p in spec.split("/")):
        raise ValueError(f"not a name@version spec: {spec!r}")
    return Path(cache_dir, *spec.split("/"))


def split_path(url_path: str) -> tuple[str, str]:
    """``name@version/rest`` -> (``name@version``, ``rest``); ``rest`` is empty for a bare spec."""
    m = _SPEC_RE.match(url_path.lstrip("/"))
    if not m:
        raise ValueError(f"CDN path does not start with name@version: {url_path!r}")
    return m.group(1), m.group(2) or ""
