"""The validation report: ``python -m sim.validation`` writes ``docs/VALIDATION.md`` and figures.

Everything in the report comes from runs made by this script with the scenarios shipped in
``scenarios/`` (nothing is typed in): the Bass docking (``sim.validation.docking``), the network ladder,
the empirical patterns of ODD 1 in docs/ODD.md (Goldenberg, Libai & Muller 2001; Schmitt, Skiera
& Van den Bulte 2011; Knaup 2005) and the seed texts' claims, each stated as a testable pattern
and judged *supported*, *partly supported* or *not supported* by explicit rules written next to
the evidence. Comparisons between strategies or arms are paired (common random numbers: the same
replication seeds in every arm) and given with a mean and a 95% interval over replications.

This module runs the sections in order and writes the page; each group of sections lives in its
own module (``report_docking``, ``report_weak_ties``, ``report_referrals``, ``report_survival``,
``report_seed_claims``), built from the shared pieces of ``sim.validation.evidence``.

Run by hand (a few minutes on 2 cores)::

    python -m sim.validation                 # docs/VALIDATION.md, docs/figures/validation/*.png
    python -m sim.validation --replications 4 --out /tmp/V.md --figures /tmp/fig   # quicker
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.validation.evidence import ROOT, Section
from sim.validation.report_docking import section_docking
from sim.validation.report_referrals import section_referral
from sim.validation.report_seed_claims import section_claims
from sim.validation.report_survival import section_survival
from sim.validation.report_weak_ties import section_weak_ties


def build(reps: int, out: Path, figdir: Path, log: Any = print) -> list[Section]:
    """Run everything and write the markdown report and figures; returns the sections."""
    import matplotlib

    matplotlib.use("Agg")
    figdir.mkdir(parents=True, exist_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    sections: list[Section] = []
    log("docking ...")
    sections += section_docking(figdir, log)
    log("weak ties and channels ...")
    sections += section_weak_ties(reps, figdir, log)
    log("referrals ...")
    sections.append(section_referral(reps, log))
    log("survival ...")
    sections.append(section_survival(reps, figdir, log))
    log("seed claims ...")
    sections += section_claims(reps, figdir, log)
    elapsed = time.time() - t0
    write_report(sections, out, figdir, reps, elapsed)
    log(f"wrote {out} and {len(list(figdir.glob('*.png')))} figures in {figdir} ({elapsed:.0f} s)")
    return sections


def write_report(sections: list[Section], out: Path, figdir: Path, reps: int, elapsed: float) -> None:
    """Write ``VALIDATION.md``."""
    from sim import __version__

    try:
        rel = figdir.resolve().relative_to(out.parent.resolve())
    except ValueError:
        rel = figdir.resolve()
    lines = [
        "# Validation",
        "",
        f"Produced by `python -m sim.validation` (commsim {__version__}, "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, {elapsed:.0f} s, {reps} replications "
        "per "
        "scenario unless stated). Every number below comes from runs of the shipped scenarios made "
        "by that "
        "script; rerun it after changing the model or the defaults. Verdicts follow the criteria "
        "written "
        "in each section. A claim the model does not reproduce is reported as such: the goal is a "
        "truthful "
        "tool, not a brochure.",
        "",
        "## Summary",
        "",
        "| check | verdict | evidence |",
        "|---|---|---|",
    ]
    for s in sections:
        lines.append(f"| {s.title} | **{s.verdict}** | {s.evidence} |")
    lines += [
        "",
        "Docking checks are verification (pass/fail against stated tolerances); the empirical "
        "patterns (Goldenberg et al., Schmitt et al., Knaup) are pattern-oriented calibration "
        "targets "
        "for the defaults (Grimm et al. 2005); the seed texts' claims are what the simulator "
        "tests, "
        "not targets.",
        "",
    ]
    for s in sections:
        lines += [
            f"## {s.title}",
            "",
            f"**Claim.** {s.claim}",
            "",
            f"**Verdict: {s.verdict}.** {s.evidence}",
            "",
        ]
        for part in s.body:
            lines += [part, ""]
        for f in s.figures:
            lines += [f"![{s.title}]({rel / f})", ""]
    lines += [
        "## References",
        "",
        "- Bass, F. M. (1969). A new product growth for model consumer durables. *Management "
        "Science* "
        "15(5), 215-227.",
        "- Fibich & Levin's bound (no network diffuses faster than complete "
        "mixing; bibliographic details not checked here); see also Fibich, G. & Gibori, R. (2010). "
        "Aggregate diffusion dynamics in agent-based models with a spatial structure. *Operations "
        "Research* 58(5).",
        "- Goldenberg, J., Libai, B. & Muller, E. (2001). Talk of the network: a complex systems "
        "look at "
        "the underlying process of word-of-mouth. *Marketing Letters* 12(3), 211-223.",
        "- Grimm, V. et al. (2005). Pattern-oriented modeling of agent-based complex systems. "
        "*Science* "
        "310, 987-991.",
        "- Knaup, A. E. (2005). Survival and longevity in the Business Employment Dynamics data. "
        "*Monthly Labor Review* 128(5), 50-56.",
        "- Schmitt, P., Skiera, B. & Van den Bulte, C. (2011). Referral programs and customer "
        "value. "
        "*Journal of Marketing* 75(1), 46-59.",
        "- Sultan, F., Farley, J. U. & Lehmann, D. R. (1990). A meta-analysis of applications of "
        "diffusion models. *Journal of Marketing Research* 27(1), 70-77.",
        "",
    ]
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.replace(out)


def main(argv: list[str] | None = None) -> int:
    """Command line of ``python -m sim.validation``."""
    ap = argparse.ArgumentParser(prog="python -m sim.validation", description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "VALIDATION.md"), help="markdown report to write")
    ap.add_argument("--figures", default=str(ROOT / "docs" / "figures" / "validation"), help="figures folder")
    ap.add_argument("--replications", type=int, default=10, help="replications per scenario (default 10)")
    args = ap.parse_args(argv)
    if args.replications < 2:
        print("python -m sim.validation: --replications must be at least 2", file=sys.stderr)
        return 2
    build(
        args.replications,
        Path(args.out),
        Path(args.figures),
        log=lambda s: print(s, file=sys.stderr),
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
