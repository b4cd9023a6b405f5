"""Offline Solara front-end assets (sim/dashboard/assets.py and the asset modules it gathers).

All tests but the ``network`` one run without network: ``prepare`` is driven by a
fake ``npm`` that writes tarballs locally.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import shutil
import stat
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from sim.dashboard import asset_cache, asset_list
from sim.dashboard import assets as da

# What solara 1.64.x (ipyvue < 3, ipywidgets 8) requests, in page order.
EXPECTED_PACKAGES = [
    "@widgetti/solara-vuetify-app@10.1.1",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "vega@5",
    "vega-lite@5",
    "vega-embed@6",
    "katex@0.16.9",
    "mermaid@10.8.0",
]


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return ""


pinned_solara = pytest.mark.skipif(
    not _version("solara").startswith("1.64.") or _version("ipyvue").startswith("3"),
    reason="expected list is for solara 1.64.x with ipyvue < 3",
)


# --------------------------------------------------------------------- path mapping


@pytest.mark.parametrize(
    ("url_path", "expected"),
    [
        ("requirejs@2.3.6/require.js", "requirejs@2.3.6/require.js"),
        ("/_solara/cdn/requirejs@2.3.6/require.js", "requirejs@2.3.6/require.js"),
        (
            "@widgetti/solara-vuetify-app@10.1.1/dist/main8.css",
            "@widgetti/solara-vuetify-app@10.1.1/dist/main8.css",
        ),
        (
            "font-awesome@4.5.0/fonts/fontawesome-webfont.woff2?v=4.5.0",
            "font-awesome@4.5.0/fonts/fontawesome-webfont.woff2",
        ),
        ("vega@5/build/vega.min.js", "vega@5/build/vega.min.js"),
        ("vega@5", "vega@5/__main.js"),  # a bare spec is stored as <spec>/__main.js
    ],
)
def test_cache_path_for_maps_like_solara(tmp_path, url_path, expected):
    assert da.cache_path_for(tmp_path, url_path) == tmp_path.joinpath(*expected.split("/"))


@pytest.mark.parametrize("bad", ["", "/", "../etc/passwd", "vega@5/../../x", "a/./b"])
def test_cache_path_for_refuses_escapes(tmp_path, bad):
    with pytest.raises(ValueError):
        da.cache_path_for(tmp_path, bad)


def test_package_dir_layout(tmp_path):
    assert da.package_dir(tmp_path, "requirejs@2.3.6") == tmp_path / "requirejs@2.3.6"
    assert (
        da.package_dir(tmp_path, "@widgetti/vue-grid-layout@2.3.13-alpha.2")
        == tmp_path / "@widgetti" / "vue-grid-layout@2.3.13-alpha.2"
    )
    with pytest.raises(ValueError):
        da.package_dir(tmp_path, "requirejs")
    with pytest.raises(ValueError):
        da.package_dir(tmp_path, "requirejs@2.3.6/require.js")


def test_mapping_agrees_with_solara_get_path(tmp_path):
    """Solara's own lookup finds exactly the files we put in place (no fetch happens)."""
    cdn_helper = pytest.importorskip("solara.server.cdn_helper")
    for ref in da.required_files():
        target = da.cache_path_for(tmp_path, ref.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x")
        assert Path(cdn_helper.get_path(tmp_path, ref.path)) == target


# ----------------------------------------------------------------- what is requested


@pinned_solara
def test_required_packages_for_pinned_solara():
    assert da.required_packages() == EXPECTED_PACKAGES
    assert da.required_packages(["core"]) == EXPECTED_PACKAGES[:3]


@pinned_solara
def test_scan_matches_fallback_list(monkeypatch):
    scanned = [(r.group, r.path) for r in da.required_files()]
    monkeypatch.setattr(asset_list, "_solara_dir", lambda: None)
    fallback = [(r.group, r.path) for r in da.required_files()]
    assert scanned == fallback
    assert {r.source for r in da.required_files()} == {"fallback list"}


def test_required_files_are_inside_their_package():
    for ref in da.required_files():
        assert ref.path.startswith(ref.spec + "/")
        assert "${" not in ref.path and "{{" not in ref.path


def test_unknown_group_is_an_error():
    with pytest.raises(ValueError):
        da.required_packages(["nope"])


def test_template_branches():
    text = textwrap.dedent(
        """\
        {% if vue3 == True %}
        <link href="{{cdn}}/three@1.0.0/a.css">
        {% if production %}
        <script src="{{cdn}}/three@1.0.0/a.min.js"></script>
        {% else %}
        <script src="{{cdn}}/three@1.0.0/a.js"></script>
        {% endif %}
        {% else %}
        <link href="{{cdn}}/two@1.0.0/a.css">
        {% if production %}
        <script src="{{cdn}}/two@1.0.0/a.min.js"></script>
        {% else %}
        <script src="{{cdn}}/two@1.0.0/a.js"></script>
        {% endif %}
        {% endif %}
        <script src="{{cdn}}/requirejs@2.3.6/require.js"></script>
        """
    )
    vue2 = asset_list._template_vue2_part(text, vue3=False)
    assert "three@" not in vue2
    assert "two@1.0.0/a.min.js" in vue2 and "two@1.0.0/a.js" in vue2 and "requirejs" in vue2
    vue3 = asset_list._template_vue2_part(text, vue3=True)
    assert "two@" not in vue3 and "three@1.0.0/a.js" in vue3 and "requirejs" in vue3


# ------------------------------------------------------------------- is_prepared


def _fake_fill(cache: Path) -> None:
    """Lay out the cache as prepare() would, with placeholder file contents."""
    refs = da.required_files()
    for ref in refs:
        target = da.cache_path_for(cache, ref.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("// placeholder\n")
    for spec in dict.fromkeys(r.spec for r in refs):
        marker = {"spec": spec, "layout": asset_cache.LAYOUT_VERSION}
        (da.package_dir(cache, spec) / asset_cache.MARKER_NAME).write_text(json.dumps(marker))


def test_is_prepared_empty_then_filled(tmp_path):
    assert not da.is_prepared(tmp_path)
    assert not da.is_prepared(tmp_path / "does-not-exist")
    _fake_fill(tmp_path)
    assert da.is_prepared(tmp_path)
    assert da.is_prepared(tmp_path, groups=["core"])


def test_is_prepared_needs_marker_and_files(tmp_path):
    _fake_fill(tmp_path)
    marker = da.package_dir(tmp_path, "requirejs@2.3.6") / asset_cache.MARKER_NAME
    marker.unlink()
    assert not da.is_prepared(tmp_path)
    assert da.is_prepared(tmp_path, groups=["vega"]) is False  # vega also loads requirejs
    _fake_fill(tmp_path)
    da.cache_path_for(tmp_path, "vega@5/build/vega.min.js").unlink()
    assert not da.is_prepared(tmp_path)
    assert da.is_prepared(tmp_path, groups=["core", "grid"])


# ------------------------------------------------------- prepare (with a fake npm)

FAKE_NPM = """\
#!{python}
# Fake `npm pack --json --pack-destination DIR spec...`: writes one tarball per spec
# with the files listed in $FAKE_NPM_FILES, or fails as $FAKE_NPM_FAIL says.
import io, json, os, sys, tarfile
args = sys.argv[1:]
if os.environ.get("FAKE_NPM_FAIL"):
    sys.stderr.write(os.environ["FAKE_NPM_FAIL"])
    sys.exit(1)
assert args[:3] == ["pack", "--json", "--pack-destination"], args
dest, specs = args[3], args[4:]
files = json.loads(os.environ["FAKE_NPM_FILES"])
out = []
for spec in specs:
    fname = spec.lstrip("@").replace("/", "-").replace("@", "-") + ".tgz"
    with tarfile.open(os.path.join(dest, fname), "w:gz") as tar:
        for rel in files[spec] + ["package.json"]:
            data = ("// " + spec + " " + rel + "\\n").encode()
            info = tarfile.TarInfo("package/" + rel)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    out.append({{"id": spec.replace("@5", "@5.33.1"), "filename": fname,
                "integrity": "sha512-fake", "unpackedSize": 1}})
print("npm warn something on stdout first")
print(json.dumps(out))
"""


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    script = tmp_path / "bin" / "npm"
    script.parent.mkdir()
    script.write_text(FAKE_NPM.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    files: dict[str, list[str]] = {}
    for ref in da.required_files():
        rel = ref.path[len(ref.spec) + 1 :]
        if rel == "require.min.js":
            continue  # not in the real tarball either: prepare() derives it
        files.setdefault(ref.spec, []).append(rel)
    monkeypatch.setenv("FAKE_NPM_FILES", json.dumps(files))
    monkeypatch.delenv("FAKE_NPM_FAIL", raising=False)
    return str(script)


def test_prepare_with_fake_npm(tmp_path, fake_npm):
    cache = tmp_path / "cache"
    lines: list[str] = []
    fetched = da.prepare(cache, progress=lines.append, npm=fake_npm)
    assert fetched == da.required_packages()
    assert da.is_prepared(cache)
    assert any("ready" in line for line in lines)
    # the CDN would minify require.js on the fly; the cache gets a copy
    assert (cache / "requirejs@2.3.6" / "require.min.js").read_text() == (
        cache / "requirejs@2.3.6" / "require.js"
    ).read_text()
    marker = json.loads((cache / "vega@5" / asset_cache.MARKER_NAME).read_text())
    assert marker["spec"] == "vega@5" and marker["resolved"] == "vega@5.33.1"
    assert not list(cache.glob(".tmp-prepare-*"))  # temp folder removed
    assert da.prepare(cache, npm=fake_npm) == []  # nothing left to do


def test_prepare_refetches_only_broken_package(tmp_path, fake_npm):
    cache = tmp_path / "cache"
    da.prepare(cache, npm=fake_npm)
    shutil.rmtree(cache / "katex@0.16.9")
    assert da.prepare(cache, npm=fake_npm) == ["katex@0.16.9"]
    assert da.is_prepared(cache)


@pytest.mark.parametrize(
    ("stderr", "phrase"),
    [
        ("npm error code ENOTFOUND\nnpm error getaddrinfo ENOTFOUND registry", "cannot reach"),
        ("npm error code ECONNREFUSED", "cannot reach"),
        ("npm error code E404\nnpm error 404 Not Found - GET", "no such package"),
        ("npm error something odd", "`npm pack` failed"),
    ],
)
def test_prepare_npm_failure_is_clear_and_leaves_nothing(tmp_path, fake_npm, monkeypatch, stderr, phrase):
    monkeypatch.setenv("FAKE_NPM_FAIL", stderr)
    cache = tmp_path / "cache"
    with pytest.raises(da.AssetError) as info:
        da.prepare(cache, npm=fake_npm)
    message = str(info.value)
    assert phrase in message and "\n" not in message
    assert not da.is_prepared(cache)
    assert [p.name for p in cache.iterdir()] == []  # no partial package, no temp folder


def test_prepare_without_npm(tmp_path, monkeypatch):
    monkeypatch.setattr(asset_cache.shutil, "which", lambda _name: None)
    with pytest.raises(da.AssetError, match="npm is not installed"):
        da.prepare(tmp_path / "cache")


def test_safe_extract_rejects_traversal(tmp_path):
    tarball = tmp_path / "evil.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        info = tarfile.TarInfo("package/../../evil.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    (tmp_path / "out").mkdir()
    with pytest.raises(da.AssetError):
        asset_cache._safe_extract_package(tarball, tmp_path / "out")


# -------------------------------------------------------------------- environment


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("COMMSIM_SOLARA_CDN_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert da.default_cache_dir() == tmp_path / "commsim" / "solara-cdn"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert da.default_cache_dir() == tmp_path / "home" / ".cache" / "commsim" / "solara-cdn"
    monkeypatch.setenv("COMMSIM_SOLARA_CDN_DIR", str(tmp_path / "x"))
    assert da.default_cache_dir() == tmp_path / "x"


def test_configure_environment(monkeypatch, tmp_path):
    for name in (
        "SOLARA_ASSETS_PROXY",
        "SOLARA_ASSETS_PROXY_CACHE_DIR",
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE",
        "SOLARA_ASSETS_CDN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SOLARA_HOME", str(tmp_path / "solara-home"))
    # keep already-imported solara settings (if any) untouched by this test
    for mod in ("solara.server.settings", "solara.settings"):
        monkeypatch.delitem(sys.modules, mod, raising=False)
    da.configure_environment(tmp_path / "cache")
    assert os.environ["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str((tmp_path / "cache").resolve())
    assert os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert os.environ["SOLARA_ASSETS_PROXY"] == "True"
    assert os.environ["SOLARA_ASSETS_CDN"].startswith("http://127.0.0.1:")
    assert (tmp_path / "solara-home" / ".solara_checked").exists()


# ------------------------------------------------------------------ real registry


@pytest.mark.network
def test_prepare_from_npm_registry(tmp_path):
    if shutil.which("npm") is None:
        pytest.skip("npm not installed")
    cache = tmp_path / "cache"
    try:
        da.prepare(cache, groups=["core"])
    except da.AssetError as exc:
        if "cannot reach" in str(exc):
            pytest.skip(str(exc))
        raise
    assert da.is_prepared(cache, groups=["core"])
    head = (cache / "requirejs@2.3.6" / "require.js").read_text()[:200]
    assert "RequireJS 2.3.6" in head
