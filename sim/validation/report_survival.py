"""The report's section on the survival of young businesses (Knaup 2005; ODD 1, pattern 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.validation.evidence import Section, estimate, judge, judge_all, md_table, savefig, within
from sim.validation.replicate import Store, split

KEY = ("base", "survival", "base")
BAND = 0.10
"""Points either side of a published share that count as reproducing it."""
PUBLISHED = {104: 0.66, 208: 0.44}


def open_shares(store: Store, n: int, group: str | None = None) -> np.ndarray:
    """Replications x weeks: share of the businesses (of ``group``, or all) open each week."""
    runs = store.get(KEY, {})
    width = max((len(next(iter(r["open"].values()))) for r in runs.values()), default=0)
    out = np.full((n, width), np.nan)
    for r, rec in runs.items():
        groups = [group] if group else list(rec["open"])
        opened = sum(rec["open"][g] for g in groups if g in rec["open"])
        b = rec["business"]
        size = int((b["group"].isin(groups)).sum())
        if size:
            out[r, : len(opened)] = opened / size
    return out


def section_survival(store: Store, reps: int, figdir: Path, log: Any) -> Section:
    """Knaup (2005): 66% survive two years and 44% four years."""
    import matplotlib.pyplot as plt

    n = 2 * reps
    allb = open_shares(store, n)
    parts = [judge(*split(allb[:, w - 1]), within(p - BAND, p + BAND)) for w, p in PUBLISHED.items()]
    overall = judge_all(parts)
    groups = sorted({g for rec in store.get(KEY, {}).values() for g in rec["open"]})
    rows = []
    curves = {}
    for g in [*groups, None]:
        s = open_shares(store, n, g)
        curves[g or "all"] = s
        rows.append(
            {
                "group": g or "all businesses",
                "open after 2 years": estimate(s[:, 103]).text(100, "%"),
                "open after 4 years": estimate(s[:, 207]).text(100, "%"),
            }
        )
    rows.append(
        {
            "group": "Knaup (2005), new US establishments",
            "open after 2 years": "66%",
            "open after 4 years": "44%",
        }
    )
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, s in curves.items():
        ax.plot(np.arange(1, s.shape[1] + 1), np.nanmean(s, axis=0), label=name)
    ax.errorbar(
        list(PUBLISHED),
        list(PUBLISHED.values()),
        yerr=BAND,
        fmt="ks",
        capsize=4,
        label="Knaup (2005) ± 10 pts",
    )
    ax.set(
        xlabel="week",
        ylabel="share of businesses open (mean over replications)",
        ylim=(0, 1.05),
        title="baseline town: survival of young businesses",
    )
    ax.legend(fontsize=8)
    f = savefig(fig, figdir, "survival.png")
    return Section(
        "Survival of young businesses (Knaup 2005)",
        "In the baseline town, where every business is new, the share of businesses open after two years "
        "lies "
        "within 10 points of 66%, and after four years within 10 points of 44%.",
        overall.pooled,
        f"all businesses open after 2 years {parts[0].estimates[0].text(100, '%')}, after 4 years "
        f"{parts[1].estimates[0].text(100, '%')} (published 66%, 44%)",
        [
            md_table(pd.DataFrame(rows)),
            f"Baseline scenario run for 208 weeks, {n} replications ({reps} per seed set); per "
            "replication, the "
            "share of all its businesses open; mean over replications [95% interval]. Verdicts per band: 2 "
            "years "
            f"{parts[0].pooled}, 4 years {parts[1].pooled}.",
        ],
        [f],
        overall.stability,
    )
