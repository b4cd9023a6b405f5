"""Regenerate the screenshots of docs/workshop.md (docs/figures/workshop/*.png).

They are taken by the test suite's own browser run, not drawn: this script runs the dashboard's
browser tests (``tests/test_dashboard.py -m browser``) with ``COMMSIM_DOCS_FIGURES=1``, which
makes them copy each screenshot into docs/figures/workshop/. Each is what a screen of 1280x720
(a projector) or 1920x1080 shows, without scrolling. Needs Debian's Chromium at
/usr/bin/chromium and the project's virtualenv (``make venv``); run from anywhere::

    .venv/bin/python docs/make_workshop_screenshots.py

Exit status is pytest's (0 when the pages rendered and every check passed).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Run the browser tests with the docs-figures switch on."""
    env = {**os.environ, "COMMSIM_DOCS_FIGURES": "1"}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-s",
        "-m",
        "browser",
        "-p",
        "no:cacheprovider",
        str(ROOT / "tests" / "test_dashboard.py"),
    ]
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    out = ROOT / "docs" / "figures" / "workshop"
    for png in sorted(out.glob("*.png")):
        print(png.relative_to(ROOT))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
