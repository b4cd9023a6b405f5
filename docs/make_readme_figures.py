"""Regenerate the README's figures: the baseline overview and the "What the defaults show" table.

Run after a change to the model or its defaults (a few minutes on 2 cores)::

    .venv/bin/python docs/make_readme_figures.py            # prints the table, writes the figure

It runs ``scenarios/baseline.toml`` with 20 replications (seed as in the file) and the same 20
seeds with one ``--set`` each, and prints the markdown table the README quotes: three-year
profit per group (sum over its six businesses, mean of the replications), the paired
community - transactional differences with their 95% intervals (sim/outputs/intervals.py), the
replications in which community is ahead, the businesses still open, and the realised weekly
spend per open business.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.config.scenario import load_scenario  # noqa: E402
from sim.outputs.intervals import mean_interval, paired_interval  # noqa: E402
from sim.outputs.plots import run_figures  # noqa: E402
from sim.runs.runner import run_scenario  # noqa: E402

REPLICATIONS = 20
VARIANTS = [
    ("defaults", None),
    ("`population.customers=8000`", "population.customers=8000"),
    ("`economy.ad_cost_per_reach=1` (default 2)", "economy.ad_cost_per_reach=1"),
    ("`population.price_sensitivity_mean=0.5` (default 2)", "population.price_sensitivity_mean=0.5"),
    ("`population.price_sensitivity_mean=6`", "population.price_sensitivity_mean=6"),
    ("`behaviour.word_of_mouth=0.02` (default 0.4)", "behaviour.word_of_mouth=0.02"),
]
C, T = "community", "transactional"


def millions(x: float) -> str:
    """Signed millions with two decimals."""
    return f"{x / 1e6:+.2f}"


def interval(values) -> str:
    """``mean (low to high)`` in millions."""
    m, lo, hi = mean_interval(values)
    return f"{millions(m)} ({millions(lo)} to {millions(hi)})"


def row(label: str, setting: str | None) -> str:
    """One markdown row of the table."""
    sc = load_scenario(ROOT / "scenarios" / "baseline.toml", [setting] if setting else [])
    res = run_scenario(sc, replications=REPLICATIONS)
    s = res.summary
    profit_c, profit_t = s[f"total_profit_{C}"].to_numpy(), s[f"total_profit_{T}"].to_numpy()
    rev_c, rev_t = s[f"total_revenue_{C}"].to_numpy(), s[f"total_revenue_{T}"].to_numpy()
    m, lo, hi = paired_interval(profit_c, profit_t)
    end = res.timeseries[res.timeseries["step"] == res.timeseries["step"].max()]
    open_c = int(end[(end["strategy"] == C) & end["alive"]].shape[0])
    open_t = int(end[(end["strategy"] == T) & end["alive"]].shape[0])
    groups = int(end[end["strategy"] == C].shape[0])
    spend = f"{s[f'mean_weekly_total_spend_{C}'].mean():.0f} / {s[f'mean_weekly_total_spend_{T}'].mean():.0f}"
    return (
        f"| {label} | {profit_c.mean() / 1e6:.2f} / {profit_t.mean() / 1e6:.2f} | "
        f"{millions(m)} ({millions(lo)} to {millions(hi)}) | {int(np.sum(profit_c > profit_t))} of "
        f"{len(s)} | {interval(rev_c - rev_t)} | {open_c} / {open_t} of {groups} | {spend} |"
    ), res


def main() -> None:
    """Print the table and write docs/figures/baseline_overview.png."""
    print(
        "| run | 3-year profit, community / transactional | profit difference | community ahead | "
        "revenue difference | open at the end | weekly spend per open business, community / transactional |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, setting in VARIANTS:
        line, res = row(label, setting)
        print(line, flush=True)
        if setting is None:
            tmp = ROOT / "results" / ".readme-figures"
            paths = run_figures(res.strategy_timeseries, tmp, res.scenario.data["shocks"])
            overview = next(p for p in paths if p.name == "overview.png")
            shutil.copy(overview, ROOT / "docs" / "figures" / "baseline_overview.png")
            shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
