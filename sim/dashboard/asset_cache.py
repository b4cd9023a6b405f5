"""Filling the asset cache from the npm registry, and telling whether it is complete.

Each package the page requests (:mod:`sim.dashboard.asset_list`) is fetched with ``npm pack``
and its ``package/`` folder unpacked into ``<cache>/<name>@<version>/``
(:mod:`sim.dashboard.asset_paths`), with a marker file written last, so an interrupted fetch
never leaves a package that counts as ready.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from sim.dashboard.asset_list import AssetRef, required_files
from sim.dashboard.asset_paths import cache_path_for, package_dir, split_path

#: Marker written into every package folder once it is completely unpacked.
MARKER_NAME = ".commsim-asset.json"

#: Bump when the cache layout written by :func:`prepare` changes.
LAYOUT_VERSION = 1


class AssetError(RuntimeError):
    """The dashboard's front-end assets cannot be prepared; the message says what to do."""


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
    refs = required_files(groups)
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
        rel = split_path(ref.path)[1]
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
    refs = required_files(groups)
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
                r.path for r in refs if r.spec == spec and not (folder / split_path(r.path)[1]).is_file()
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
