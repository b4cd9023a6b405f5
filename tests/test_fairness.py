"""A fair comparison by construction (ODD 7.2, 7.7, "Where the answer comes from").

Nothing but the strategies may decide a comparison: identical strategies tie whichever is listed
first, the order of a scenario's groups does not change the verdict, contacts per unit of spend
do not depend on the town's size (except through saturation), every lever costs money or the
owner's hours, and the built-in strategies plan and realise the same spend.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from scipy import stats

from sim import load_scenario, run_scenario, simulate
from sim.cli.commands.validate import spend_warning
from sim.core.owner_time import planned_spend
from sim.core.strategies import Strategy

BASELINE = "scenarios/baseline.toml"
PAIRS = 6  # the baseline's categories, each with a business listed first and one listed second


def paired_interval(diff: np.ndarray) -> tuple[float, float]:
    """95% Student-t interval of the mean of paired differences."""
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    return float(diff.mean() - half), float(diff.mean() + half)


def profit_by_strategy(scenario, replications: int):
    """Replication x strategy: total profit over the run (currency), summed over the group."""
    ts = run_scenario(scenario, replications=replications).timeseries
    return ts.groupby(["replication", "strategy"])["profit"].sum().unstack()


def twins(order: str) -> list[str]:
    """The baseline with every transactional business replaced by a copy of community named twin."""
    sets = ["population.customers=2000", "run.steps=156", "strategies.twin.extends=community"]
    for i in range(2 * PAIRS):
        first = i % 2 == 0
        name = (
            ("community" if first else "twin")
            if order == "community first"
            else ("twin" if first else "community")
        )
        sets.append(f"businesses.{i}.strategy={name}")
    return sets


@pytest.mark.slow
@pytest.mark.parametrize("order", ["community first", "twin first"])
def test_identical_strategies_under_two_names_tie_whichever_is_listed_first(order):
    profit = profit_by_strategy(load_scenario(BASELINE, twins(order)), replications=10)
    low, high = paired_interval((profit["twin"] - profit["community"]).to_numpy())
    assert low <= 0.0 <= high, (order, low, high)


@pytest.mark.slow
def test_listing_the_groups_in_another_order_keeps_the_verdict():
    """Reversing the business groups moves the community lead by nothing measurable.

    The leads of the two listings (paired by replication seed) differ by an amount whose 95%
    interval includes 0, and their own intervals overlap. (Asking for the same sign of two
    means is a coin flip when the lead itself is within the noise, as in the baseline.)
    """
    base = load_scenario(BASELINE, ["population.customers=2000", "run.steps=156"])
    reversed_order = base.with_overrides({"businesses": list(reversed(base.data["businesses"]))})
    leads = []
    for scenario in (base, reversed_order):
        profit = profit_by_strategy(scenario, replications=20)
        leads.append((profit["community"] - profit["transactional"]).to_numpy())
    (low_a, high_a), (low_b, high_b) = paired_interval(leads[0]), paired_interval(leads[1])
    assert low_a <= high_b and low_b <= high_a, (low_a, high_a, low_b, high_b)
    low, high = paired_interval(leads[1] - leads[0])
    assert low <= 0.0 <= high, (low, high)


def contacts_per_spender(customers: int) -> tuple[float, float]:
    """Mean weekly community contacts per engaged business, ad contacts per advertising business."""
    s = load_scenario(BASELINE, [f"population.customers={customers}", "run.steps=26"])
    ts = run_scenario(s, replications=2).timeseries
    engaged = ts[ts["alive"] & (ts["community_cost"] > 0)]
    advertising = ts[ts["alive"] & (ts["ad_cost"] > 0)]
    return engaged["community_contacts"].mean(), advertising["ad_contacts"].mean()


def test_contacts_per_unit_of_spend_do_not_depend_on_the_towns_size():
    """ODD 7.2: at 2,000 and 8,000 customers, contacts per spender differ by less than 25%."""
    small, large = contacts_per_spender(2000), contacts_per_spender(8000)
    for channel, a, b in zip(("community", "ads"), small, large, strict=True):
        assert a > 0 and b > 0
        assert abs(b / a - 1.0) < 0.25, (channel, a, b)


LEVERS = {  # strategy field: what raising it must raise
    "ad_budget": "ad_cost",
    "community_time": "owner_hours",
    "personalisation": "owner_hours",
    "partner_referrals": "owner_hours",
}
NOT_LEVERS = {  # fields that spend nothing by themselves, and why
    "name": "a label",
    "seeks_partners": "tested on its own below (a switch, not a level)",
    "price_factor": "a price: it costs in revenue per purchase, not in spend",
    "downturn_discount": "a price cut in a downturn: it costs in revenue, not in spend",
    "engagement": "when community time is spent, not how much (bursts spend the same hours on average)",
    "burst_weeks": "timing of bursts",
    "pause_weeks": "timing of bursts",
    "consistency_memory": "how customers judge showing up, not the owner's conduct",
}


def test_every_strategy_field_is_a_priced_lever_or_says_why_not():
    assert {f.name for f in fields(Strategy)} == set(LEVERS) | set(NOT_LEVERS)


RAISES = {
    "ad_budget": (20.0, 40.0),
    "community_time": (0.06, 0.12),
    "personalisation": (0.4, 0.8),
    "partner_referrals": (0.05, 0.5),
}
"""Each lever's low and high setting: far enough apart that its own cost dwarfs the run's noise."""


@pytest.mark.parametrize("lever", sorted(LEVERS))
def test_raising_a_lever_raises_what_it_costs(lever):
    """ODD 7.7: a lever with no cost would be a defect; all else fixed, more of it costs more."""
    sets = ["population.customers=1000", "run.steps=30", "economy.closure_weeks=520"]
    spent = []
    for value in RAISES[lever]:
        ts = simulate(load_scenario(BASELINE, [*sets, f"strategies.community.{lever}={value}"]), 7)
        community = ts[(ts["strategy"] == "community") & ts["alive"]]
        spent.append((community[LEVERS[lever]].sum(), community["total_spend"].sum()))
    (cost_low, total_low), (cost_high, total_high) = spent
    assert cost_high > cost_low and total_high > total_low, (lever, spent)


def test_taking_part_in_partnerships_costs_owner_hours():
    sets = ["population.customers=1000", "run.steps=20", "economy.closure_weeks=520"]
    hours = []
    for seeks in ("false", "true"):
        ts = simulate(load_scenario(BASELINE, [*sets, f"strategies.transactional.seeks_partners={seeks}"]), 3)
        hours.append(ts.loc[ts["strategy"] == "transactional", "owner_hours"].sum())
    assert hours[1] > hours[0], hours


def test_built_in_strategies_plan_the_same_spend_in_the_baseline():
    spend = planned_spend(load_scenario(BASELINE).data)
    assert abs(spend["community"] / spend["transactional"] - 1.0) < 0.05, spend
    assert spend_warning(load_scenario(BASELINE).data) is None


@pytest.mark.slow
def test_built_in_strategies_realise_the_same_spend_over_the_baseline_run():
    """Mean weekly total_spend of open businesses within 10% (the baseline run as shipped)."""
    results = run_scenario(load_scenario(BASELINE))
    ts = results.timeseries
    spend = ts[ts["alive"]].groupby("strategy")["total_spend"].mean()
    assert abs(spend["community"] / spend["transactional"] - 1.0) < 0.10, spend
    per_run = results.summary[["mean_weekly_total_spend_community", "mean_weekly_total_spend_transactional"]]
    assert (per_run > 0).all().all()


def test_validate_warns_when_compared_strategies_plan_unequal_spend(tmp_path, capsys):
    from sim.cli import main

    s = load_scenario(BASELINE, ["strategies.transactional.ad_budget=50"])
    assert "transactional" in (spend_warning(s.data) or "")
    path = tmp_path / "cheap.toml"
    text = open(BASELINE).read().replace("[run]", "[strategies.transactional]\nad_budget = 50.0\n\n[run]", 1)
    path.write_text(text)
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "warning" in err[0] and "planned weekly spend" in err[0]
    assert main(["validate", BASELINE]) == 0
    assert capsys.readouterr().err == ""
