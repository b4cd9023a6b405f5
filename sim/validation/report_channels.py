"""The report's section on channels over time (Goldenberg, Libai & Muller 2001; ODD 1, pattern 2).

Advertising wins customers early and fades while word of mouth carries later growth: new first
customers by channel and period, in the baseline town (the weak-tie half of the pattern is a
seed claim of ``sim.validation.claims``, judged in every regime).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.validation.estimates import all_groups
from sim.validation.evidence import Section, greater, judge, judge_all, less, md_table, savefig
from sim.validation.replicate import CHANNELS, Store, split

NAMES = {
    "new_from_ads": "ads",
    "new_from_community": "community",
    "new_from_word_of_mouth": "word of mouth + referral",
    "new_from_referral": "word of mouth + referral",
    "new_from_partner": "partner",
    "new_from_walk_in": "walk-in",
}
PERIODS = ((1, 13), (14, 26), (27, 52), (53, 104), (105, 156))
EARLY, LATE = (1, 13), (53, 156)


def shares(store: Store, n: int, weeks: tuple[int, int]) -> pd.DataFrame:
    """Replications x channel: share of new first customers won by each channel in ``weeks``."""
    counts = {}
    for col in CHANNELS:
        w = all_groups(store, ("base", "baseline", "base"), (col,), n)[:, weeks[0] - 1 : weeks[1]].sum(axis=1)
        name = NAMES[col]
        counts[name] = counts.get(name, 0.0) + w
    df = pd.DataFrame(counts)
    tot = df.sum(axis=1)
    return df.div(tot.where(tot > 0), axis=0)


def section_channels(store: Store, reps: int, figdir: Path, log: Any) -> Section:
    """Advertising early and fading; word of mouth carrying later growth."""
    import matplotlib.pyplot as plt

    n = 2 * reps
    early, late = shares(store, n, EARLY), shares(store, n, LATE)
    wom = "word of mouth + referral"
    others = late.drop(columns=wom).max(axis=1)
    parts = [
        judge(*split((late["ads"] - early["ads"]).to_numpy()), less(0.0)),
        judge(*split((late[wom] - early[wom]).to_numpy()), greater(0.0)),
        judge(*split((late[wom] - others).to_numpy()), greater(0.0)),
    ]
    overall = judge_all(parts)
    per = pd.DataFrame(
        [{"weeks": f"{a}-{b}", **shares(store, n, (a, b)).mean().to_dict()} for a, b in PERIODS]
    )
    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.arange(len(per))
    bottom = np.zeros(len(per))
    for name in dict.fromkeys(NAMES.values()):
        ax.bar(x, per[name], bottom=bottom, label=name)
        bottom += per[name].fillna(0).to_numpy()
    ax.set_xticks(x, per["weeks"], fontsize=8)
    ax.set(
        xlabel="weeks",
        ylabel="share of new first customers (mean over replications)",
        title="baseline town, all businesses: first customers by channel",
    )
    ax.legend(fontsize=7)
    f = savefig(fig, figdir, "channels_over_time.png")
    texts = [
        "ads share, weeks 53-156 minus weeks 1-13",
        "word of mouth + referral share, same",
        "word of mouth + referral share minus the largest other channel's, weeks 53-156",
    ]
    regions = ("< 0", "> 0", "> 0")
    rows = [
        {
            "part": chr(97 + i),
            "estimate (points)": t,
            "claim's region": r,
            "both seed sets": j.estimates[0].text(100, " pts"),
            "verdict (both; set 1; set 2)": f"{j.pooled}; {j.first}; {j.second}",
        }
        for i, (t, r, j) in enumerate(zip(texts, regions, parts, strict=True))
    ]
    return Section(
        "Advertising works early and fades; word of mouth carries later growth",
        "(a) The share of new first customers won by ads falls from the first quarter to weeks 53-156; (b) "
        "the "
        "share won by word of mouth and referrals rises; (c) and becomes the largest channel.",
        overall.pooled,
        "; ".join(f"({chr(97 + i)}) {j.estimates[0].text(100, ' pts')}" for i, j in enumerate(parts)),
        [
            md_table(pd.DataFrame(rows)),
            "Share of new first customers by channel (all businesses, mean over replications):",
            md_table(per),
            f"Baseline town, {n} replications ({reps} per seed set); per replication, each channel's share "
            "of the "
            "first customers of all businesses in the weeks named.",
        ],
        [f],
        overall.stability,
    )
