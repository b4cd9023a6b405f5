"""Offline front-end assets for the Solara dashboard.

Solara's page loads its front end (the Vuetify app, requirejs, font-awesome and,
on demand, vue-grid-layout, vega/vega-lite/vega-embed, katex and mermaid) from
``/_solara/cdn/<name>@<version>/<file>``. The Solara server answers those
requests from a cache folder (``SOLARA_ASSETS_PROXY_CACHE_DIR``) and only falls
back to a public CDN when a file is missing there; without network the page then
stays blank. This module fills that cache from the npm registry with
``npm pack`` so the dashboard works on a machine with no internet access.

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

Typical use, before anything imports solara::

    from sim.dashboard import assets as da

    cache = da.default_cache_dir()
    if not da.is_prepared(cache):
        da.prepare(cache, progress=print)
    da.configure_environment(cache)
    import solara  # noqa: E402  (only now)

This module never imports solara itself: it reads solara's installed source
files to find out which packages the page requests.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

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

#: URL prefix under which Solara proxies CDN files (``cdn_helper.cdn_url_path``).
CDN_URL_PATH = "_solara/cdn"

#: Marker written into every package folder once it is completely unpacked.
MARKER_NAME = ".commsim-asset.json"

#: Bump when the cache layout written by :func:`prepare` changes.
LAYOUT_VERSION = 1

#: Unreachable CDN set by :func:`configure_environment` (offline mode): a cache
#: miss then fails at once on this machine instead of reaching the internet.
OFFLINE_CDN = "http://127.0.0.1:9/npm/"

# Where each asset is referenced in solara's installed sources (paths relative to
# the ``solara`` package folder). ``group`` says when the browser asks for it:
#   core      - every page load (solara.html.j2 and the font-awesome setting)
#   grid      - solara.GridDraggable (SolaraViz lays out its components with it)
#   vega      - solara.FigureAltair (Mesa's Altair plots / space drawer)
#   markdown  - solara.Markdown (Mesa's CommandConsole; any Markdown in the app):
#               its mounted() hook always loads mermaid and katex.
_SOURCES: tuple[tuple[str, str], ...] = (
    ("server/templates/solara.html.j2", "core"),
    ("widgets/vue/gridlayout.vue", "grid"),
    ("widgets/vue/vegalite.vue", "vega"),
    ("components/markdown.py", "markdown"),
)
_SOURCES_VUE3: dict[str, str] = {"widgets/vue/gridlayout.vue": "widgets/vue/gridlayout_v3.vue"}

#: Groups fetched by default.
DEFAULT_GROUPS: tuple[str, ...] = ("core", "grid", "vega", "markdown")

# What solara 1.64.1 requests (ipyvue/ipyvuetify < 3, ipywidgets 8). Used only when
# solara's sources cannot be read; tests check the scan still finds exactly these.
_FALLBACK_REFS: tuple[tuple[str, str], ...] = (
    ("core", "@widgetti/solara-vuetify-app@10.1.1/dist/main8.css"),
    ("core", "@widgetti/solara-vuetify-app@10.1.1/dist/fonts.css"),
    ("core", "@widgetti/solara-vuetify-app@10.1.1/dist/solara-vuetify-app8.min.js"),
    ("core", "@widgetti/solara-vuetify-app@10.1.1/dist/solara-vuetify-app8.js"),
    ("core", "requirejs@2.3.6/require.js"),
    ("core", "font-awesome@4.5.0/css/font-awesome.min.css"),
    ("grid", "@widgetti/vue-grid-layout@2.3.13-alpha.2/dist/vue-grid-layout.umd.js"),
    ("grid", "requirejs@2.3.6/require.js"),
    ("vega", "vega@5/build/vega.min.js"),
    ("vega", "vega-lite@5/build/vega-lite.min.js"),
    ("vega", "vega-embed@6/build/vega-embed.min.js"),
    ("vega", "requirejs@2.3.6/require.js"),
    ("markdown", "katex@0.16.9/dist/katex.min.js"),
    ("markdown", "katex@0.16.9/dist/katex.min.css"),
    ("markdown", "katex@0.16.9/dist/contrib/auto-render.min.js"),
    ("markdown", "mermaid@10.8.0/dist/mermaid.min.js"),
    ("markdown", "requirejs@2.3.6/require.min.js"),
)

# ``{{cdn}}/<path>"`` in the Jinja template, ``${this.getCdn()}/<path>``` in Vue/JS.
_URL_RE = re.compile(r"""(?:\{\{\s*cdn\s*\}\}|\$\{this\.getCdn\(\)\})/([^"'`\s]+)""")
_FONTAWESOME_RE = re.compile(r"""fontawesome_path:\s*str\s*=\s*["']([^"']+)["']""")
# name@version at the start of a CDN path; the name may be scoped (@scope/name).
_SPEC_RE = re.compile(r"^((?:@[^/@]+/)?[^/@]+@[^/]+)(?:/(.*))?$")


class AssetError(RuntimeError):
    """The dashboard's front-end assets cannot be prepared; the message says what to do."""


@dataclass(frozen=True)
class AssetRef:
    """One file the dashboard page asks ``/_solara/cdn/`` for.

    Attributes:
        spec: The package as requested, ``name@version`` (version may be a range).
        path: The full path after ``/_solara/cdn/``, e.g. ``requirejs@2.3.6/require.js``.
        group: When it is requested (see ``DEFAULT_GROUPS``).
        source: Where in solara's sources the reference was found.
    """

    spec: str
    path: str
    group: str
    source: str


# ----------------------------------------------------------------------------- paths


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


def _split_path(url_path: str) -> tuple[str, str]:
    m = _SPEC_RE.match(url_path.lstrip("/"))
    if not m:
        raise ValueError(f"CDN path does not start with name@version: {url_path!r}")
    return m.group(1), m.group(2) or ""


# ------------------------------------------------------------------ what is requested


def _solara_dir() -> Path | None:
    """Folder of the installed solara package, found without importing it."""
    try:
        spec = importlib.util.find_spec("solara")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _major(dist: str, default: int) -> int:
    try:
        return int(importlib.metadata.version(dist).split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return default


def _template_vue2_part(text: str, vue3: bool) -> str:
    """Keep only the Vue 2 (or Vue 3) branches of ``{% if vue3 == True %}`` blocks.

    Other ``{% if %}`` blocks (production vs development, ...) keep both branches:
    the page may be served either way.
    """
    out: list[str] = []
    stack: list[tuple[bool, bool]] = []  # (is the vue3 switch, keep this branch)
    for line in text.splitlines():
        s = line.strip()
        if re.match(r"\{%-?\s*if\b", s):
            is_switch = re.match(r"\{%-?\s*if\s+vue3\b", s) is not None
            stack.append((is_switch, vue3 if is_switch else True))
            continue
        if stack and re.match(r"\{%-?\s*(else|elif)\b", s):
            is_switch, keep = stack[-1]
            stack[-1] = (is_switch, (not keep) if is_switch else True)
            continue
        if stack and re.match(r"\{%-?\s*endif\b", s):
            stack.pop()
            continue
        if all(keep for _, keep in stack):
            out.append(line)
    return "\n".join(out)


def _scan_solara(solara_dir: Path) -> list[AssetRef]:
    vue3 = _major("ipyvue", 1) >= 3
    widgets_major = _major("ipywidgets", 8)
    refs: list[AssetRef] = []
    for rel, group in _SOURCES:
        if vue3:
            rel = _SOURCES_VUE3.get(rel, rel)
        text = (solara_dir / rel).read_text(encoding="utf-8")
        if rel.endswith(".j2"):
            text = _template_vue2_part(text, vue3)
            text = re.sub(r"\{\{\s*ipywidget_major_version\s*\}\}", str(widgets_major), text)
        for m in _URL_RE.finditer(text):
            path = m.group(1)
            if "${" in path or "{{" in path or "{%" in path:
                continue  # built at run time (echarts@${version}...), not a fixed asset
            spec, _ = _split_path(path)
            refs.append(AssetRef(spec, path, group, f"solara/{rel}"))
        if group == "core":
            # <link href="{{cdn}}{{assets.fontawesome_path}}"> in the template
            fa = os.environ.get("SOLARA_ASSETS_FONTAWESOME_PATH")
            source = "$SOLARA_ASSETS_FONTAWESOME_PATH"
            if not fa:
                settings_text = (solara_dir / "server/settings.py").read_text(encoding="utf-8")
                m = _FONTAWESOME_RE.search(settings_text)
                fa = m.group(1) if m else None
                source = "solara/server/settings.py (Assets.fontawesome_path)"
            if fa and "fontawesome_path" in text:
                path = fa.lstrip("/")
                refs.append(AssetRef(_split_path(path)[0], path, group, source))
    return refs


def _refs(groups: Iterable[str] | None = None) -> list[AssetRef]:
    wanted = tuple(DEFAULT_GROUPS if groups is None else groups)
    unknown = set(wanted) - set(DEFAULT_GROUPS)
    if unknown:
        raise ValueError(f"unknown asset groups {sorted(unknown)}; known: {DEFAULT_GROUPS}")
    solara_dir = _solara_dir()
    refs: list[AssetRef] = []
    if solara_dir is not None:
        try:
            refs = _scan_solara(solara_dir)
        except (OSError, ValueError):
            refs = []
    if not refs:
        refs = [AssetRef(_split_path(p)[0], p, g, "fallback list") for g, p in _FALLBACK_REFS]
    seen: set[str] = set()
    out = []
    for r in refs:
        if r.group in wanted and r.path not in seen:
            seen.add(r.path)
            out.append(r)
    return out


def required_files(groups: Iterable[str] | None = None) -> list[AssetRef]:
    """Every fixed file the dashboard page requests under ``/_solara/cdn/``.

    Found by scanning solara's installed sources (see ``_SOURCES``); with the
    versions pinned in this project (solara 1.64.1, ipyvue < 3, ipywidgets 8)
    this is the list in ``_FALLBACK_REFS``. Files those pull in by relative URL
    (fonts named in CSS, webpack chunks) live in the same npm package and need
    no entry here.

    Args:
        groups: Subset of ``DEFAULT_GROUPS``; all of them by default.
    """
    return _refs(groups)


def required_packages(groups: Iterable[str] | None = None) -> list[str]:
    """The ``name@version`` specs Solara's page requests, in first-use order.

    For solara 1.64.1 with ipyvue/ipyvuetify < 3 this is:

    * ``@widgetti/solara-vuetify-app@10.1.1``: the Vue 2/Vuetify app, CSS and
      Roboto/MDI fonts (``server/templates/solara.html.j2``).
    * ``requirejs@2.3.6``: module loader (same template; also the Vue widgets).
    * ``font-awesome@4.5.0``: icons (``server/settings.py``,
      ``Assets.fontawesome_path``; overridable by ``SOLARA_ASSETS_FONTAWESOME_PATH``).
    * ``@widgetti/vue-grid-layout@2.3.13-alpha.2``: ``solara.GridDraggable``,
      used by Mesa's SolaraViz (``widgets/vue/gridlayout.vue``).
    * ``vega@5``, ``vega-lite@5``, ``vega-embed@6``: ``solara.FigureAltair``
      (``widgets/vue/vegalite.vue``). These are semver *ranges*: the folder keeps
      the range as its name and holds the newest matching release.
    * ``katex@0.16.9``, ``mermaid@10.8.0``: ``solara.Markdown``
      (``components/markdown.py``), which loads both whenever it mounts.

    Args:
        groups: Subset of ``DEFAULT_GROUPS``; all of them by default.
    """
    specs: list[str] = []
    for ref in _refs(groups):
        if ref.spec not in specs:
            specs.append(ref.spec)
    return specs


# ---------------------------------------------------------------------- prepared?


def _read_marker(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _package_ready(cache_dir: Path, spec: str, refs: list[AssetRef]) -> bool:
    folder = package_dir(cache_dir, spec)
    marker = _read_marker(folder)
    if not marker or marker.get("spec") != spec or marker.get("layout") != LAYOUT_VERSION:
        return False
    return all(cache_path_for(cache_dir, r.path).is_file() for r in refs if r.spec == spec)


def is_prepared(cache_dir: str | os.PathLike[str], groups: Iterable[str] | None = None) -> bool:
    """Whether every required package is completely unpacked in ``cache_dir``.

    A package counts when its folder carries the marker :func:`prepare` writes last
    and every file the page requests from it exists.
    """
    cache = Path(cache_dir)
    refs = _refs(groups)
    return all(_package_ready(cache, spec, refs) for spec in dict.fromkeys(r.spec for r in refs))


# ------------------------------------------------------------------------- prepare

_UNREACHABLE = (
    "ENOTFOUND",
    "EAI_AGAIN",
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "network",
    "proxy",
    "certificate",
    "CERT_",
    "socket hang up",
)


def _npm_error(stderr: str, specs: list[str]) -> AssetError:
    text = " ".join(stderr.split())
    hint = "run `npm config get registry` to check the registry and proxy settings"
    if "E404" in text or "404 Not Found" in text or "No matching version" in text:
        return AssetError(
            f"npm registry has no such package among {', '.join(specs)}: "
            "the installed solara asks for a version npm cannot find; reinstall "
            "solara 1.64.x or report it"
        )
    if any(code in text for code in _UNREACHABLE):
        return AssetError(
            "cannot reach the npm registry to fetch the dashboard assets: connect "
            f"to the network (or set npm's proxy/registry) and retry; {hint}"
        )
    tail = text[-300:] if text else "no output"
    return AssetError(f"`npm pack` failed ({tail}); {hint} and retry")


def _safe_extract_package(tarball: Path, dest: Path) -> Path:
    """Extract the tarball's ``package/`` folder into ``dest`` and return it."""
    with tarfile.open(tarball, "r:gz") as tar:
        members = []
        for member in tar.getmembers():
            name = PurePosixPath(member.name)
            if name.is_absolute() or ".." in name.parts:
                raise AssetError(f"refusing unsafe path {member.name!r} in {tarball.name}")
            members.append(member)
        tar.extractall(dest, members=members, filter="data")
    roots = [p for p in dest.iterdir() if p.is_dir()]
    if (dest / "package").is_dir():
        return dest / "package"
    if len(roots) == 1:  # a few old tarballs use another top folder name
        return roots[0]
    raise AssetError(f"{tarball.name} has no package/ folder; cannot unpack it")


def _fill_minified(folder: Path, refs: list[AssetRef]) -> list[str]:
    """Stand in for files the CDN minifies on the fly.

    jsdelivr answers ``x.min.js``/``x.min.css`` by minifying ``x.js``/``x.css`` when
    the package has no such file; e.g. ``solara.Markdown`` asks for
    ``requirejs@2.3.6/require.min.js``, which the npm tarball lacks. A copy of the
    unminified file behaves the same.
    """
    made = []
    for ref in refs:
        rel = _split_path(ref.path)[1]
        target = folder / rel
        if target.is_file():
            continue
        m = re.match(r"^(.*)\.min\.(js|css)$", rel)
        if m and (folder / f"{m.group(1)}.{m.group(2)}").is_file():
            shutil.copyfile(folder / f"{m.group(1)}.{m.group(2)}", target)
            made.append(rel)
    return made


def _run_npm_pack(npm: str, specs: list[str], dest: Path, timeout: float) -> list[dict]:
    cmd = [npm, "pack", "--json", "--pack-destination", str(dest), *specs]
    env = dict(os.environ)
    env.setdefault("npm_config_update_notifier", "false")
    env.setdefault("npm_config_fund", "false")
    env.setdefault("npm_config_audit", "false")
    try:
        proc = subprocess.run(
            cmd,
            cwd=dest,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise AssetError(
            "npm is not installed: install Node.js/npm (e.g. `apt-get install npm`) "
            "and retry, or copy a prepared cache folder here"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise AssetError(
            f"`npm pack` took over {timeout:.0f}s: the npm registry is unreachable or "
            "slow; check the network/proxy (`npm config get registry`) and retry"
        ) from exc
    if proc.returncode != 0:
        raise _npm_error(proc.stderr + proc.stdout, specs)
    out = proc.stdout
    try:
        data = json.loads(out[out.index("[") :])
    except ValueError as exc:
        raise AssetError(f"unexpected output from `npm pack --json`: {out[:200]!r}") from exc
    if not isinstance(data, list) or len(data) != len(specs):
        raise AssetError(f"`npm pack` returned {len(data)} tarballs for {len(specs)} packages")
    return data


def _remove_stale_temp(cache: Path, max_age_s: float = 3600.0) -> None:
    """Delete temporary folders an interrupted :func:`prepare` left behind."""
    now = time.time()
    for tmp in cache.glob(".tmp-prepare-*"):
        try:
            if tmp.is_dir() and now - tmp.stat().st_mtime > max_age_s:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            pass


def prepare(
    cache_dir: str | os.PathLike[str],
    progress: Callable[[str], None] | None = None,
    *,
    groups: Iterable[str] | None = None,
    force: bool = False,
    npm: str | None = None,
    timeout: float = 600.0,
) -> list[str]:
    """Fill ``cache_dir`` with the front-end packages from the npm registry.

    Runs ``npm pack name@version`` for each package still missing, unpacks the
    tarball's ``package/`` folder in a temporary folder inside ``cache_dir`` and
    renames it into place as ``<cache_dir>/<name>@<version>/`` once complete (with
    a marker file), so an interrupted run never leaves a half-filled package that
    :func:`is_prepared` would accept. Packages already prepared are skipped.

    Args:
        cache_dir: The folder to fill (created if missing).
        progress: Called with a short line of text at each step (e.g. ``print``).
        groups: Subset of ``DEFAULT_GROUPS``; all of them by default.
        force: Re-fetch packages that are already prepared.
        npm: The npm executable; found on ``PATH`` by default.
        timeout: Seconds allowed for the whole ``npm pack`` run.

    Returns:
        The specs that were fetched (empty when everything was ready).

    Raises:
        AssetError: npm is missing, the registry is unreachable, or a package
            cannot be unpacked. The message is one line saying what to do.
    """
    say = progress or (lambda _msg: None)
    cache = Path(cache_dir).expanduser()
    refs = _refs(groups)
    specs = list(dict.fromkeys(r.spec for r in refs))
    todo = [s for s in specs if force or not _package_ready(cache, s, refs)]
    if not todo:
        say(f"dashboard assets ready in {cache}")
        return []
    npm_exe = npm or shutil.which("npm")
    if not npm_exe:
        raise AssetError(
            "npm is not installed: install Node.js/npm (e.g. `apt-get install npm`) and "
            f"retry, or copy a prepared cache folder to {cache}"
        )
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AssetError(f"cannot create the asset cache {cache}: {exc.strerror}") from exc
    _remove_stale_temp(cache)
    started = time.monotonic()
    say(f"fetching {len(todo)} package(s) from the npm registry: {', '.join(todo)}")
    with tempfile.TemporaryDirectory(prefix=".tmp-prepare-", dir=cache) as tmp_name:
        tmp = Path(tmp_name)
        packed = _run_npm_pack(npm_exe, todo, tmp, timeout)
        for spec, info in zip(todo, packed, strict=True):
            tarball = tmp / info["filename"]
            unpack_root = tmp / ("unpack-" + info["filename"])
            unpack_root.mkdir()
            folder = _safe_extract_package(tarball, unpack_root)
            synthesized = _fill_minified(folder, [r for r in refs if r.spec == spec])
            missing = [
                r.path for r in refs if r.spec == spec and not (folder / _split_path(r.path)[1]).is_file()
            ]
            if missing:
                raise AssetError(
                    f"{info.get('id', spec)} from npm lacks {', '.join(missing)}; "
                    "the installed solara expects another version, reinstall solara 1.64.x"
                )
            marker = {
                "spec": spec,
                "resolved": info.get("id"),
                "integrity": info.get("integrity"),
                "layout": LAYOUT_VERSION,
                "synthesized": synthesized,
                "fetched": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            (folder / MARKER_NAME).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
            final = package_dir(cache, spec)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                old = tmp / ("old-" + info["filename"])
                os.replace(final, old)  # move aside, then swap in; removed with tmp
            try:
                os.replace(folder, final)
            except OSError:
                # another prepare() swapped in the same package meanwhile: keep its copy
                if not _package_ready(cache, spec, refs):
                    raise
            say(f"  {spec} -> {info.get('id', spec)} ({info.get('unpackedSize', 0) / 1e6:.1f} MB)")
    say(f"dashboard assets ready in {cache} ({time.monotonic() - started:.1f}s)")
    return todo


# --------------------------------------------------------------------- environment


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
        cache_dir: The folder filled by :func:`prepare`.
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
