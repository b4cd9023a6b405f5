"""The fast engine against the plain-Mesa reference engine (benchmarks/reference_mesa.py).

Both engines run the same small town over many seeds; for each strategy and at weeks 13, 26 and
52 the means of revenue, active customers, retention, new customers and referrals (cumulative
since week 1, as weekly referral counts are tiny in a small town) must agree: the difference of
the two means must lie inside its 95% interval, widened by Bonferroni for the number of
comparisons so that the whole family has a 5% false-alarm rate. The engines use different
random numbers, so single runs are never compared.

Deliberate differences allowed for (see the reference's docstring): sequential activation and
different random streams change nothing in distribution in the customer stages; partner
referrals go in random business order in the reference, which only matters for referrals
passed on through a chain of partners (a second-order effect, far inside the intervals here).
Every business gets a credit line it cannot exhaust and no owner quits, so none closes:
closure is a threshold on accumulated cash, which turns small differences into all-or-nothing
ones and would make the comparison about survival, not the weekly rules. A check on the width
of the intervals keeps the test able to fail: with too few seeds any two engines would "agree".
"""

from __future__ import annotations

import sys
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from reference_mesa import simulate_reference  # noqa: E402

from sim.config.scenario import load_scenario  # noqa: E402
from sim.runs.runner import simulate  # noqa: E402

CUSTOMERS = 500
WEEKS = 52
SEEDS = range(1000, 1024)
CHECK_WEEKS = (13, 26, 52)
MEASURES = ("revenue", "customers_active", "retention_rate", "new_customers", "referrals_to_date")
STRATEGIES = ("community", "transactional")


def small_town():
    overrides = [f"population.customers={CUSTOMERS}", f"run.steps={WEEKS}"]
    overrides += [f"businesses.{i}.credit_line=1e12" for i in range(12)]
    overrides += ["economy.owner_exit=0"]
    return load_scenario(ROOT / "scenarios" / "baseline.toml", overrides)


def per_strategy(df: pd.DataFrame) -> pd.DataFrame:
    """Strategy x week: sums of counts and money, mean retention over open businesses."""
    df = df.sort_values(["business_id", "step"]).copy()
    df["referrals_to_date"] = df.groupby("business_id")["new_from_referral"].cumsum()
    g = df[df["step"].isin(CHECK_WEEKS)].groupby(["strategy", "step"])
    out = g[["revenue", "customers_active", "new_customers", "referrals_to_date"]].sum()
    out["retention_rate"] = g["retention_rate"].mean()
    return out


@pytest.fixture(scope="module")
def runs() -> dict[str, pd.DataFrame]:
    scenario = small_town()
    out = {}
    for name, engine in (("fast", simulate), ("reference", simulate_reference)):
        tables = [per_strategy(engine(scenario, seed, WEEKS)).assign(seed=seed) for seed in SEEDS]
        out[name] = pd.concat(tables)
    return out


def summary(table: pd.DataFrame) -> pd.DataFrame:
    g = table.groupby(["strategy", "step"])
    return pd.concat({"mean": g[list(MEASURES)].mean(), "sem": g[list(MEASURES)].sem()}, axis=1)


def test_engines_agree_on_key_measures(runs):
    fast, ref = summary(runs["fast"]), summary(runs["reference"])
    n_checks = len(MEASURES) * len(STRATEGIES) * len(CHECK_WEEKS)
    z = NormalDist().inv_cdf(1 - 0.05 / (2 * n_checks))
    failures = []
    for strategy in STRATEGIES:
        for week in CHECK_WEEKS:
            for m in MEASURES:
                key = (strategy, week)
                a, b = fast.loc[key, ("mean", m)], ref.loc[key, ("mean", m)]
                sa, sb = fast.loc[key, ("sem", m)], ref.loc[key, ("sem", m)]
                half = z * np.hypot(sa, sb)
                if not abs(a - b) <= half + 1e-12:
                    failures.append(
                        f"{strategy} week {week} {m}: fast {a:.4g} vs reference "
                        f"{b:.4g} (allowed difference {half:.3g})"
                    )
    assert not failures, "\n".join(failures)


def test_comparison_is_sharp_enough_to_fail(runs):
    """The intervals are narrow: a 15% change in revenue or active customers would be caught."""
    for name, table in runs.items():
        s = summary(table)
        for m in ("revenue", "customers_active"):
            rel = 1.96 * s[("sem", m)] / s[("mean", m)]
            assert (rel < 0.15).all(), f"{name}: {m} intervals too wide:\n{rel}"
    # And the measures move: the comparison is not between two constant series.
    s = summary(runs["reference"])
    assert (s.loc["community", ("mean", "customers_active")].diff().dropna() > 0).all()
    assert s.loc["community", ("mean", "referrals_to_date")].iloc[-1] > 0
