"""The report's section on the survival of young businesses (Knaup 2005; ODD 1, pattern 4)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.validation.evidence import (
    NOT_SUPPORTED,
    PARTLY,
    SUPPORTED,
    Section,
    md_table,
    run_tables,
    savefig,
    scenario,
)


def section_survival(reps: int, figdir: Path, log: Any) -> Section:
    """Knaup (2005): 66% survive two years and 44% four years."""
    import matplotlib.pyplot as plt

    sc = scenario("baseline")
    st, _ = run_tables(sc, reps, steps=208, log=log)
    rows, curves = [], {}
    for strat in sorted(st["strategy"].unique()):
        s = st[st["strategy"] == strat]
        surv = s.groupby("step")["survival"].mean()
        curves[strat] = surv
        n = int(s[s["step"] == 1]["businesses"].sum())
        s2, s4 = surv.loc[104], surv.loc[208]
        rows.append(
            {
                "strategy": strat,
                "businesses (all runs)": n,
                "survive 2 years": f"{s2:.0%}",
                "survive 4 years": f"{s4:.0%}",
                "yearly conditional (years 1-4)": f"{s4**0.25:.0%}",
                "± 2 se at 2 years": f"{2 * math.sqrt(max(s2 * (1 - s2), 1e-9) / n):.0%}",
            }
        )
    allb = st.groupby("step").apply(lambda g: (g["survival"] * g["businesses"]).sum() / g["businesses"].sum())
    a2, a4 = float(allb.loc[104]), float(allb.loc[208])
    rows.append(
        {
            "strategy": "all",
            "businesses (all runs)": int(st[st["step"] == 1]["businesses"].sum()),
            "survive 2 years": f"{a2:.0%}",
            "survive 4 years": f"{a4:.0%}",
            "yearly conditional (years 1-4)": f"{a4**0.25:.0%}",
            "± 2 se at 2 years": "",
        }
    )
    rows.append(
        {
            "strategy": "Knaup (2005), new US establishments",
            "businesses (all runs)": "",
            "survive 2 years": "66%",
            "survive 4 years": "44%",
            "yearly conditional (years 1-4)": "≈ 81-83%",
            "± 2 se at 2 years": "",
        }
    )
    in_band = abs(a2 - 0.66) <= 0.10 and abs(a4 - 0.44) <= 0.10
    near = abs(a2 - 0.66) <= 0.20 and abs(a4 - 0.44) <= 0.20
    verdict = SUPPORTED if in_band else PARTLY if near else NOT_SUPPORTED
    fig, ax = plt.subplots(figsize=(6, 4))
    for strat, surv in curves.items():
        ax.plot(surv.index, surv.to_numpy(), label=strat)
    ax.plot([104, 208], [0.66, 0.44], "ks", label="Knaup (2005)")
    ax.set(
        xlabel="week",
        ylabel="share of businesses open",
        ylim=(0, 1.05),
        title="survival of young businesses",
    )
    ax.legend(fontsize=8)
    f = savefig(fig, figdir, "survival.png")
    return Section(
        "Survival of young businesses (Knaup 2005)",
        "In the baseline town, where every business is new, about 66% survive two years and 44% "
        "four years "
        "(within 10 points counts as reproduced).",
        verdict,
        f"all businesses: {a2:.0%} at 2 years, {a4:.0%} at 4 years (published 66%, 44%)",
        [
            md_table(pd.DataFrame(rows)),
            f"Baseline scenario run for 208 weeks, {reps} replications. Criterion: supported if "
            "both the 2- and "
            "4-year shares are within 10 points of the published figures, partly if within 20.",
        ],
        [f],
    )
