"""Which npm packages and files the dashboard page asks Solara's ``/_solara/cdn/`` for.

Found by reading solara's installed sources (the page template and the Vue widgets), never by
importing solara: the list must be known before solara is configured. When the sources cannot
be read, the list for the pinned solara 1.64.1 (:data:`_FALLBACK_REFS`) stands in.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sim.dashboard.asset_paths import split_path

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
            spec, _ = split_path(path)
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
                refs.append(AssetRef(split_path(path)[0], path, group, source))
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
        refs = [AssetRef(split_path(p)[0], p, g, "fallback list") for g, p in _FALLBACK_REFS]
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
