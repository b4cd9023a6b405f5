"""The report's sections on the seed texts' claims: what the simulator tests, not targets (ODD 1).

Each claim of ``sim.validation.claims.CLAIMS`` gets a section: its verdict in the default town
from both seed sets pooled (and whether each set alone agrees), a table of the regimes of
``sim.validation.regimes`` with the estimate, its interval and the verdict in each, and the
evidence behind the estimate in the default town.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.validation.claim_context import context
from sim.validation.claims import CLAIMS, Claim, judge_claim
from sim.validation.evidence import Judged, Section, estimate, md_table, savefig
from sim.validation.regimes import Regime
from sim.validation.replicate import Store, split


def evidence_line(claim: Claim, parts: list[Judged]) -> str:
    """The summary's evidence: each part's pooled estimate [95% interval] against its region."""
    return "; ".join(
        (f"({chr(97 + i)}) " if len(parts) > 1 else "")
        + f"{j.estimates[0].text(p.scale, p.unit)} (claim: {p.region.text(p.scale, p.unit)})"
        for i, (p, j) in enumerate(zip(claim.parts, parts, strict=True))
    )


def regime_table(claim: Claim, store: Store, regs: list[Regime], reps: int) -> tuple[pd.DataFrame, dict]:
    """Per regime: each part's pooled estimate [95% interval], the verdict and its stability."""
    rows, judged = [], {}
    for reg in regs:
        overall, parts = judge_claim(claim, store, reg.name, reps)
        judged[reg.name] = (overall, parts)
        row: dict[str, Any] = {"regime": reg.name, "setting": reg.label}
        for i, (p, j) in enumerate(zip(claim.parts, parts, strict=True)):
            row[f"estimate ({chr(97 + i)})" if len(parts) > 1 else "estimate"] = j.estimates[0].text(
                p.scale, p.unit
            )
        row["verdict"] = f"**{overall.pooled}**"
        row["both seed sets"] = overall.stability
        rows.append(row)
    return pd.DataFrame(rows), judged


def regime_figure(claim: Claim, judged: dict, regs: list[Regime], figdir: Path) -> str:
    """One panel per part: each regime's estimate and 95% interval against the claim's region."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(claim.parts), figsize=(6 * len(claim.parts), 0.45 * len(regs) + 1.6))
    axes = np.atleast_1d(axes)
    y = np.arange(len(regs))[::-1]
    for k, (ax, part) in enumerate(zip(axes, claim.parts, strict=True)):
        est = [judged[r.name][1][k].estimates[0] for r in regs]
        m = np.array([e.mean for e in est]) * part.scale
        lo = np.array([e.low for e in est]) * part.scale
        hi = np.array([e.high for e in est]) * part.scale
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.errorbar(m[ok], y[ok], xerr=[m[ok] - lo[ok], hi[ok] - m[ok]], fmt="o", color="C0", capsize=3)
        ax.plot(m[~ok], y[~ok], "o", mfc="none", color="C0")
        reg = part.region
        ends = [v * part.scale for v in (reg.low, reg.high) if np.isfinite(v)]
        shown = np.concatenate([m[np.isfinite(m)], lo[ok], hi[ok], ends])
        left, right = (shown.min(), shown.max()) if len(shown) else (0.0, 1.0)
        pad = 0.08 * (right - left) or 1.0
        left, right = left - pad, right + pad
        span_lo = max(reg.low * part.scale, left)
        span_hi = min(reg.high * part.scale, right)
        ax.axvspan(
            span_lo, span_hi, color="C2", alpha=0.15, label=f"claim: {reg.text(part.scale, part.unit)}"
        )
        ax.set_xlim(left, right)
        ax.set_yticks(y, [r.name for r in regs], fontsize=8)
        unit = f" ({part.unit.strip()})" if part.unit.strip() else ""
        ax.set_xlabel(f"{part.measure}{unit}", fontsize=8)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(f"{claim.key}: mean over replications and 95% bootstrap interval, per regime", fontsize=9)
    return savefig(fig, figdir, f"claim_{claim.key}_regimes.png")


def section_claim(claim: Claim, store: Store, regs: list[Regime], reps: int, figdir: Path) -> Section:
    """One claim's section: the default town's verdict, the regimes, the evidence."""
    table, judged = regime_table(claim, store, regs, reps)
    overall, parts = judged["base"]
    base_rows = []
    for i, (p, j) in enumerate(zip(claim.parts, parts, strict=True)):
        a, b = split(p.values(store, "base", 2 * reps))
        base_rows.append(
            {
                "part": chr(97 + i) if len(parts) > 1 else "",
                "estimate": p.measure,
                "claim's region": p.region.text(p.scale, p.unit),
                f"both sets ({2 * reps} replications)": j.estimates[0].text(p.scale, p.unit),
                f"set 1 ({reps})": estimate(a).text(p.scale, p.unit),
                f"set 2 ({reps})": estimate(b).text(p.scale, p.unit),
                "verdict (both; set 1; set 2)": f"{j.pooled}; {j.first}; {j.second}",
            }
        )
    base_df = pd.DataFrame(base_rows)
    if len(parts) == 1:
        base_df = base_df.drop(columns="part")
    extra, figs = context(claim.key, store, 2 * reps, figdir)
    figs.append(regime_figure(claim, judged, regs, figdir))
    holds = [r.name for r in regs if judged[r.name][0].pooled == "supported"]
    fails = [r.name for r in regs if judged[r.name][0].pooled == "contradicted"]
    where = (
        f"Supported in: {', '.join(holds) or 'no regime'}. Contradicted in: "
        f"{', '.join(fails) or 'no regime'}. "
        "Inconclusive elsewhere."
    )
    return Section(
        claim.title,
        claim.statement,
        overall.pooled,
        evidence_line(claim, parts),
        [
            f"**Source.** {claim.source}",
            f"**How it is tested.** {claim.method}",
            "**Default town** (the shipped scenarios as they are):",
            md_table(base_df),
            *extra,
            "**Where it holds.** One parameter at a time at a low or high value, the rest at their "
            "defaults; "
            f"{2 * reps} replications per regime ({reps} per seed set). {where}",
            md_table(table),
        ],
        figs,
        overall.stability,
        (sum(not judged[r.name][0].stable for r in regs), len(regs)),
    )


def section_claims(store: Store, regs: list[Regime], reps: int, figdir: Path, log: Any) -> list[Section]:
    """Every seed claim of :data:`CLAIMS`."""
    out = []
    for claim in CLAIMS:
        log(f"  {claim.key}")
        out.append(section_claim(claim, store, regs, reps, figdir))
    return out
