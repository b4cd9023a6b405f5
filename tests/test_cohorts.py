"""Cohorts (ODD 7.9): customers by business, acquisition channel and quarter won; realised value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config.scenario import load_scenario
from sim.core.channels import CHANNELS
from sim.core.cohorts import AGES, QUARTER
from sim.core.measures import clv_estimate
from sim.core.model import CommunityModel
from sim.core.stages.purchases import need_probability
from sim.runs.runner import cohort_table, run_scenario

ROOT = Path(__file__).resolve().parents[1]
SHOCKS = [
    {"kind": "recession", "start": 10, "duration": 10, "depth": 0.3},
    {"kind": "cost_spike", "start": 30, "duration": 5, "size": 0.5},
    {"kind": "chain_store", "start": 15, "category": "bakery"},
]
NO_CLOSURES = [f"businesses.{i}.credit_line=1e12" for i in range(12)] + ["economy.owner_exit=0"]


def town(*overrides: str, customers: int = 1000, steps: int = 60, name: str = "partnerships", shocks=True):
    scenario = load_scenario(
        ROOT / "scenarios" / f"{name}.toml",
        [f"population.customers={customers}", f"run.steps={steps}", *overrides],
    )
    return scenario.with_overrides({"shocks": SHOCKS}) if shocks else scenario


def test_cohorts_add_up_to_each_business_cumulative_customers():
    res = run_scenario(town(), replications=2)
    co, ts = res.cohorts, res.timeseries
    assert set(co["channel"]) <= set(CHANNELS) and (co["customers"] > 0).all()
    won = co.groupby(["run_id", "business_id"])["customers"].sum()
    last = ts[ts["step"] == ts["step"].max()].set_index(["run_id", "business_id"])["cumulative_customers"]
    last = last[last > 0]
    assert len(won) == len(last) >= 2 * 16  # every business that won a customer, the chain store too
    assert won.sort_index().equals(last.sort_index().astype(won.dtype))
    # By channel too: a cohort's channel is its customers' acquisition channel.
    for name in CHANNELS:
        by = co[co["channel"] == name].groupby(["run_id", "business_id"])["customers"].sum()
        new = ts.groupby(["run_id", "business_id"])[f"new_from_{name}"].sum()
        assert by.reindex(new.index, fill_value=0).equals(new.astype(by.dtype)), name


@pytest.fixture(scope="module")
def year_run():
    """A 78-week model with shocks and a chain store, and retention counted from its state each week."""
    model = CommunityModel(town(steps=78), seed=5)
    expected = np.zeros((len(AGES), 20, len(CHANNELS) + 1, 8), dtype=np.int64)
    for _ in range(78):
        model.step()
        t = model.week
        for a, age in enumerate(AGES):
            i, b = np.nonzero(model.first_purchase == t - age)
            kept = (model.patron[i, model.business_category[b]] == b) & model.alive[b]
            np.add.at(expected[a], (b, model.acquired[i, b], (t - age - 1) // QUARTER), kept)
    return model, expected


def test_retained_counts_match_the_state_at_each_age(year_run):
    model, expected = year_run
    got = model.cohorts.retained
    nb, q = got.shape[1], got.shape[3]
    assert np.array_equal(got, expected[:, :nb, :, :q])
    assert expected[:, nb:].sum() == 0 and expected[:, :, :, q:].sum() == 0
    assert got[0].sum() > 100 and got[2].sum() > 10  # customers are retained at 13 and at 52 weeks


def test_margin_by_age_adds_up_to_margin_by_channel_within_a_year():
    """A 52-week run: every purchase is within 52 weeks of its customer's first: cohorts hold all margin."""
    model = CommunityModel(town(steps=52), seed=6)
    model.run(52)
    by_cohort = model.cohorts.margin[-1].sum(axis=2)  # business x channel
    np.testing.assert_allclose(by_cohort, model.margin_by_channel, rtol=1e-9, atol=1e-6)
    assert model.margin_by_channel.sum() > 0
    younger = model.cohorts.margin[0].sum()
    assert 0 < younger < model.margin_by_channel.sum()  # later purchases are not in the 13-week figure


def test_table_is_nan_where_the_run_ends_before_an_age(year_run):
    model, _ = year_run
    co = cohort_table(model)
    end = co["cohort"] * QUARTER
    for age in AGES:
        complete = end + age <= 78
        for name in ("retained", "margin", "discounted_margin"):
            column = co[f"{name}_{age}w"]
            assert column[complete].notna().all() and column[~complete].isna().all(), (name, age)
    assert (co["retained_52w"].notna()).any()
    shares = co[[f"retained_{a}w" for a in AGES]].to_numpy()
    assert np.nanmin(shares) >= 0 and np.nanmax(shares) <= 1
    m13, m26, m52 = (co[f"margin_{a}w"] for a in AGES)
    assert (m13 <= m26 + 1e-9)[m26.notna()].all() and (m26 <= m52 + 1e-9)[m52.notna()].all()
    assert (co["discounted_margin_52w"] <= m52 + 1e-9)[m52.notna()].all()
    assert (co["discounted_margin_52w"] < m52)[m52.notna()].any()  # later purchases are discounted


def test_realised_value_is_the_cohorts_discounted_first_year_margin(year_run):
    """At week 78 clv_realised covers the customers won in weeks 1-26: cohorts 1 and 2 at 52 weeks."""
    model, _ = year_run
    co = cohort_table(model)
    old = co[co["cohort"] <= 2]
    value = (old["discounted_margin_52w"] * old["customers"]).groupby(old["business_id"]).sum()
    per_customer = value / old.groupby("business_id")["customers"].sum()
    realised = model.recorder.data["clv_realised"][77]
    np.testing.assert_allclose(realised[per_customer.index], per_customer.to_numpy(), rtol=1e-9)
    assert np.isnan(np.delete(realised, per_customer.index)).all()  # the chain store opened later
    assert np.isnan(model.recorder.data["clv_realised"][50]).all()  # no one is 52 weeks old yet


def test_no_discount_leaves_margin_undiscounted():
    model = CommunityModel(town("economy.discount_rate=0", steps=30, shocks=False), seed=2)
    model.run(30)
    np.testing.assert_allclose(model.cohorts.discounted, model.cohorts.margin, rtol=1e-12)


def steady_comparison(overrides: list[str], seeds=(1, 2, 3, 4), weeks: int = 260) -> dict[str, np.ndarray]:
    """Per business that won 200+ of them: the steady-state customers' value, realised and estimated.

    Customers won in weeks weeks-156 .. weeks-52, when the town has long settled (no business
    closes). Returns (customers, realised, estimated, estimated without win-backs): realised is
    their discounted margin over their first 52 weeks per customer (the cohort book, by week
    won); estimated is ``clv_estimate_52w`` in the week each was won, averaged over them; the
    last is the same formula with win-backs left out (customers lost for good).
    """
    first, last = weeks - 156, weeks - 52
    rows = slice(first - 1, last)  # the recorder's row of week w is w - 1
    totals: dict[str, np.ndarray] = {}
    for seed in seeds:
        scenario = load_scenario(
            ROOT / "scenarios" / "baseline.toml",
            ["population.customers=2000", f"run.steps={weeks}", *NO_CLOSURES, *overrides],
        )
        model = CommunityModel(scenario, seed=seed)
        model.run(weeks)
        rec, book = model.recorder.data, model.cohorts

        def quarter(column: str, rec: dict = rec) -> np.ndarray:  # 13-week totals, as the recorder takes them
            return pd.DataFrame(rec[column][:weeks]).rolling(13, min_periods=1).sum().to_numpy()[rows]

        margin = (quarter("revenue") - quarter("goods_cost")) / quarter("purchases")
        need = need_probability(model)[model.business_category]
        retention = rec["retention_rate"][rows]
        lost_for_good = clv_estimate(margin, retention, 0.0, need, model.weekly_discount, 52)
        won = book.won_by_week[:, first : last + 1].T.astype(float)  # week x business
        for b, name in enumerate(model.business_name):
            add = np.array(
                [
                    won[:, b].sum(),
                    book.value_by_week[b, first : last + 1].sum(),
                    np.nansum(rec["clv_estimate_52w"][rows, b] * won[:, b]),
                    np.nansum(lost_for_good[:, b] * won[:, b]),
                ]
            )
            totals[name] = totals.get(name, 0) + add
    return {b: np.array([v[0], *(v[1:] / v[0])]) for b, v in totals.items() if v[0] >= 200}


def test_lifetime_value_estimate_agrees_with_realised_cohort_value_in_steady_state():
    """ODD 7.9: within 12% per business, in the categories where a settled baseline town still wins customers.

    Cafes, bakeries and gyms have won every customer they will within months (no steady-state
    cohort); caterers, florists and nutritionists keep winning customers for years.
    """
    result = steady_comparison([])
    assert len(result) >= 5, result.keys()
    for name, (customers, realised, estimated, _) in result.items():
        assert realised > 0
        assert abs(estimated / realised - 1) <= 0.12, (name, customers, estimated, realised)


def test_lifetime_value_estimate_agrees_in_every_category_of_a_slowly_aware_town():
    """ODD 7.9: within 20% in every category when awareness spreads slowly (cafes win customers for years).

    New customers are less loyal than the business's settled customers (their trust is still
    building), so in frequent categories the estimate runs high: by 9-16% in this town. Leaving
    win-backs out (customers lost for good, the textbook m r / (1 + d - r)) misses by more.
    """
    slow = [
        "behaviour.word_of_mouth=0.01",
        "economy.ad_cost_per_reach=100",
        "behaviour.community_reach=0.3",
        "economy.walk_in=0.005",
    ]
    result = steady_comparison(slow)
    assert {name.split("-")[0] for name in result} == {
        "cafe",
        "bakery",
        "gym",
        "caterer",
        "florist",
        "nutritionist",
    }
    worst_without_winbacks = 0.0
    for name, (customers, realised, estimated, lost_for_good) in result.items():
        assert abs(estimated / realised - 1) <= 0.20, (name, customers, estimated, realised)
        worst_without_winbacks = max(worst_without_winbacks, abs(lost_for_good / realised - 1))
    assert worst_without_winbacks > 0.25


def test_a_run_folder_holds_the_cohorts(tmp_path):
    from sim.outputs.results_folder import write_results
    from sim.outputs.storage import utc_now

    res = run_scenario(town(customers=400, steps=30, name="baseline", shocks=False), replications=2)
    out = write_results(res, tmp_path / "run", utc_now(), quiet_figures=True)
    stored = pd.read_parquet(out / "cohorts.parquet")
    pd.testing.assert_frame_equal(stored, res.cohorts)
    assert set(stored["run_id"]) == {"base-r0", "base-r1"} and stored["customers"].sum() > 0


def test_book_is_right_in_two_pieces_and_past_the_planned_weeks(monkeypatch):
    """A town cut in two (sim.core.parallel), a chain store opening, and 53 weeks of a 35-week plan.

    Every purchase is then within 52 weeks of its customer's first, so the cohorts hold all margin.
    """
    monkeypatch.setattr("sim.core.parallel.SPLIT_AT", 500)
    model = CommunityModel(town(customers=1500, steps=35), seed=8)
    expected = np.zeros((len(AGES), 20, len(CHANNELS) + 1, 8), dtype=np.int64)
    for _ in range(53):
        model.step()
        t = model.week
        for a, age in enumerate(AGES):
            i, b = np.nonzero(model.first_purchase == t - age)
            kept = model.patron[i, model.business_category[b]] == b
            np.add.at(expected[a], (b, model.acquired[i, b], (t - age - 1) // QUARTER), kept)
    book = model.cohorts
    assert np.array_equal(book.customers.sum(axis=(1, 2)), model.customers_won)
    rec = model.recorder.data
    for code, name in enumerate(CHANNELS, 1):
        assert np.array_equal(
            book.customers[:, code].sum(axis=1), rec[f"new_from_{name}"][:53].sum(axis=0)
        ), name
    nb, q = book.retained.shape[1], book.retained.shape[3]
    assert np.array_equal(book.retained, expected[:, :nb, :, :q]) and expected[:, :, :, q:].sum() == 0
    np.testing.assert_allclose(book.margin[-1].sum(axis=2), model.margin_by_channel, rtol=1e-9, atol=1e-6)
