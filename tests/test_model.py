"""Mechanisms, identities, formulas and reproducibility of the model (docs/ODD.md, Submodels)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest

from sim import CommunityModel, Strategy, load_scenario, run_scenario, simulate
from sim.config.scenario import scenario_from_dict
from sim.core.measures import clv_estimate, momentum_week, promoter_score
from sim.runs.runner import replication_seeds
from sim.validation.bass import discrete_bass

SEEDS = (11, 12, 13)


def small(*overrides: str, customers: int = 2000, steps: int = 52):
    return load_scenario(
        "scenarios/baseline.toml",
        [f"population.customers={customers}", f"run.steps={steps}", *overrides],
    )


def total(df, column, strategy=None, weeks=None):
    if strategy:
        df = df[df["strategy"] == strategy]
    if weeks:
        df = df[df["step"].between(*weeks)]
    return df[column].sum()


# --- Mechanisms, by direction across seeds (ODD 7.1-7.7) -----------------------------------------


def test_more_ad_spend_brings_more_customers_from_ads():
    low = small("strategies.transactional.ad_budget=30")
    high = small("strategies.transactional.ad_budget=300")
    for seed in SEEDS:
        a = total(simulate(low, seed), "new_from_ads", "transactional")
        b = total(simulate(high, seed), "new_from_ads", "transactional")
        assert b > 1.5 * a, (seed, a, b)


def test_stronger_word_of_mouth_brings_more_word_of_mouth_and_referrals():
    weak = small("behaviour.word_of_mouth=0.05")
    strong = small("behaviour.word_of_mouth=0.6")
    for seed in SEEDS:
        a, b = simulate(weak, seed), simulate(strong, seed)
        assert total(b, "new_from_referral") > 1.5 * total(a, "new_from_referral"), seed
        assert total(b, "new_from_word_of_mouth") > total(a, "new_from_word_of_mouth"), seed


def test_recession_lowers_revenue_during_it():
    calm = small()
    slump = calm.with_overrides(
        {"shocks": [{"kind": "recession", "start": 20, "duration": 15, "depth": 0.4, "recovery": 0}]}
    )
    for seed in SEEDS:
        a = total(simulate(calm, seed), "revenue", weeks=(20, 34))
        b = total(simulate(slump, seed), "revenue", weeks=(20, 34))
        assert b < 0.8 * a, (seed, a, b)


def _churn_by_trust(scenario, seed, start=21, end=40):
    """Churn over weeks start..end of customer-business pairs active at ``start``, by trust quartile."""
    m = CommunityModel(scenario, seed=seed)
    m.run(start - 1)
    active = m.active_mask()
    frequent = m.churn_window <= 10  # businesses whose customers can churn within the window
    before = {b: np.flatnonzero(active[:, b]) for b in np.flatnonzero(frequent & m.alive)}
    trust = {b: m.trust[c, b].copy() for b, c in before.items()}
    m.run(end - start + 1)
    low_churn, high_churn = [], []
    for b, c in before.items():
        churned = m.last_purchase[c, b] <= m.week - m.churn_window[b]
        lo, hi = np.quantile(trust[b], [0.25, 0.75])
        low_churn.append(churned[trust[b] <= lo])
        high_churn.append(churned[trust[b] >= hi])
    return np.concatenate(low_churn).mean(), np.concatenate(high_churn).mean()


def test_in_a_recession_churn_falls_as_trust_rises():
    """The resilience mechanism (ODD 7.3): low-trust customers cut back first."""
    slump = small().with_overrides(
        {"shocks": [{"kind": "recession", "start": 21, "duration": 20, "depth": 0.5, "recovery": 0}]}
    )
    for seed in SEEDS:
        low, high = _churn_by_trust(slump, seed)
        assert high < low, (seed, low, high)
        # The same town with trust set low or high just before the recession: cut-backs fall.
        cut = []
        for level in (0.2, 0.9):
            m = CommunityModel(slump, seed=seed)
            m.run(20)
            m.trust[:] = np.float32(level)
            m.run(4)
            cut.append(m.recorder.table().query("step >= 21")["cut_backs"].sum())
        assert cut[1] < 0.6 * cut[0], (seed, cut)


def test_lockdown_stops_community_reach_and_its_cost():
    scenario = small().with_overrides({"shocks": [{"kind": "lockdown", "start": 20, "duration": 10}]})
    df = simulate(scenario, 5)
    during = df[df["step"].between(20, 29)]
    before = df[df["step"].between(10, 19)]
    assert during["community_cost"].sum() == 0
    assert during["community_contacts"].sum() == 0
    assert before["community_cost"].sum() > 0
    assert before["community_contacts"].sum() > 0
    after = df[df["step"].between(30, 40)]
    assert after["community_contacts"].sum() > 0


def test_a_closing_business_customers_move_to_its_competitor():
    scenario = small("businesses.1.fixed_cost=5000", "businesses.1.cash=0", "businesses.1.credit_line=0")
    m = CommunityModel(scenario, seed=3)
    m.run(30)
    closed = m.business_index("cafe-transactional-1")
    other = m.business_index("cafe-community-1")
    assert not m.alive[closed]
    week_closed = int(m.closed_week[closed])
    former = np.flatnonzero(m.first_purchase[:, closed] >= 0)
    assert len(former) > 20
    assert not (m.last_purchase[:, closed] > week_closed).any()
    moved = (m.last_purchase[former, other] > week_closed).mean()
    assert moved > 0.5, moved
    assert not (m.patron[:, m.business_category[closed]] == closed).any()


def test_chain_store_opens_at_its_week_and_takes_customers():
    scenario = small().with_overrides({"shocks": [{"kind": "chain_store", "start": 20, "category": "cafe"}]})
    df = simulate(scenario, 2)
    chain = df[df["strategy"] == "chain"]
    assert chain["step"].min() == 20
    assert chain[chain["step"] == 52]["customers_active"].iloc[0] > 0


def test_owners_leave_local_businesses_but_not_a_chain_store():
    # Every owner leaves in the first week they could: the town's own businesses all close for
    # that reason, the chain store (no local owner) trades on.
    scenario = small("economy.owner_exit=1.0", steps=12).with_overrides(
        {"shocks": [{"kind": "chain_store", "start": 2, "category": "cafe"}]}
    )
    m = CommunityModel(scenario, seed=3)
    m.run()
    chain = m.business_name.index(next(n for n in m.business_name if n.startswith("chain-")))
    local = [b for b in range(m.n_businesses) if b != chain]
    assert all(m.exit_reason[b] == "owner" for b in local)
    assert m.alive[chain] and m.exit_reason[chain] == ""


def test_viral_bad_review_lowers_trust_in_that_business_only():
    base = small("run.steps=30")
    hit = base.with_overrides(
        {
            "shocks": [
                {
                    "kind": "viral_bad_review",
                    "start": 25,
                    "business": "gym-community-1",
                    "reach": 0.8,
                }
            ]
        }
    )
    a, b = simulate(base, 4), simulate(hit, 4)
    week = a["step"] == 25
    target = a["business"] == "gym-community-1"
    assert b[week & target]["trust_mean"].iloc[0] < 0.8 * a[week & target]["trust_mean"].iloc[0]
    # Businesses outside the gym and its partner category (nutritionist) are untouched that week.
    apart = week & ~a["category"].isin(["gym", "nutritionist"])
    assert np.allclose(b[apart]["trust_mean"], a[apart]["trust_mean"])


def test_free_riders_lose_their_partners_referrals():
    scenario = load_scenario("scenarios/partnerships.toml", ["run.steps=104"])
    m = CommunityModel(scenario, seed=1)
    m.run()
    assert m.alive.sum() >= 8
    strategies = np.array(m.strategy_names())
    rider = (strategies == "free_rider") & m.alive
    honest = (strategies == "community") & m.alive
    # Willingness of honest partners to refer to free riders decays; to each other it holds.
    pairs = m.partnerships
    to_riders = pairs.willingness[honest[pairs.business] & rider[pairs.partner]]
    to_honest = pairs.willingness[honest[pairs.business] & honest[pairs.partner]]
    assert len(to_riders) and len(to_honest)
    assert to_riders.mean() < 0.5 * to_honest.mean()


def test_partnerships_are_the_eligible_pairs_and_their_reverses():
    """ODD 7.6: both seek partners, complementary categories (either side), never with itself."""
    m = CommunityModel(load_scenario("scenarios/partnerships.toml", ["population.customers=500"]), rng=1)
    pairs, seeks = m.partnerships, np.array([s.seeks_partners for s in m.business_strategy])
    names = m.category_names
    for b, c in zip(pairs.business, pairs.partner, strict=True):
        mine, theirs = names[m.business_category[b]], names[m.business_category[c]]
        assert b != c and seeks[b] and seeks[c]
        assert theirs in m.categories[mine]["partners_with"] or mine in m.categories[theirs]["partners_with"]
    assert (pairs.business[pairs.reverse] == pairs.partner).all()
    expected = sum(
        1
        for b in range(m.n_businesses)
        for c in range(m.n_businesses)
        if b != c
        and seeks[b]
        and seeks[c]
        and (
            names[m.business_category[c]] in m.categories[names[m.business_category[b]]]["partners_with"]
            or names[m.business_category[b]] in m.categories[names[m.business_category[c]]]["partners_with"]
        )
    )
    assert len(pairs) == expected


# --- Identities (ODD 7.7, results contract) ---------------------------------------------------


@pytest.fixture(scope="module")
def shocked_run():
    scenario = small().with_overrides(
        {
            "shocks": [
                {"kind": "recession", "start": 10, "duration": 10, "depth": 0.3},
                {"kind": "cost_spike", "start": 30, "duration": 5, "size": 0.5},
                {"kind": "chain_store", "start": 15, "category": "bakery"},
            ]
        }
    )
    return run_scenario(scenario, replications=2)


def test_cash_changes_by_exactly_profit(shocked_run):
    ts = shocked_run.timeseries.sort_values(["run_id", "business_id", "step"])
    for (_, _), g in ts.groupby(["run_id", "business_id"]):
        diff = np.diff(g["cash"].to_numpy())
        assert np.allclose(diff, g["profit"].to_numpy()[1:], atol=1e-6)
    start = ts[(ts["step"] == 1) & (ts["strategy"] != "chain")]
    fixed = start["fixed_cost"]  # no cost shock in week 1: the business's fixed cost
    assert np.allclose(start["cash"] - start["profit"], 13.0 * fixed)


def test_profit_is_revenue_minus_every_cost(shocked_run):
    """ODD 7.7: every lever is paid for: ads in money, the owner's hours at their value."""
    ts = shocked_run.timeseries
    eco = shocked_run.scenario.data["economy"]
    costs = ts["goods_cost"] + ts["fixed_cost"] + ts["ad_cost"] + ts["owner_time_cost"]
    assert np.allclose(ts["profit"], ts["revenue"] - costs, atol=1e-9)
    assert np.allclose(ts["total_spend"], ts["ad_cost"] + ts["owner_time_cost"])
    wage = eco["owner_week_value"] / eco["owner_hours"]
    assert np.allclose(ts["owner_time_cost"], ts["owner_hours"] * wage)
    assert (ts["owner_time_cost"] >= ts["community_cost"] - 1e-9).all()  # community work is one use of it
    assert (ts["owner_hours"] <= eco["owner_hours"] + 1e-9).all()
    assert (
        ts.loc[ts["strategy"] == "community", "owner_hours"]
        > ts.loc[ts["strategy"] == "community", "community_cost"] / wage
    ).any()


def test_channels_add_up_to_new_customers(shocked_run):
    ts = shocked_run.timeseries
    channels = ts[[c for c in ts.columns if c.startswith("new_from_")]].sum(axis=1)
    assert (channels == ts["new_customers"]).all()
    assert ts["new_customers"].sum() > 0


def test_cumulative_customers_never_fall_and_count_first_purchases(shocked_run):
    ts = shocked_run.timeseries.sort_values(["run_id", "business_id", "step"])
    for _, g in ts.groupby(["run_id", "business_id"]):
        c = g["cumulative_customers"].to_numpy()
        assert (np.diff(c) >= 0).all()
        assert c[-1] == g["new_customers"].sum()


# --- Formulas (ODD 7.9) --------------------------------------------------------------------------


def test_promoter_score_is_share_of_promoters_minus_detractors():
    assert promoter_score(np.array([10, 9, 8, 7, 6, 0])) == pytest.approx(0.0)
    assert promoter_score(np.array([10, 10, 9, 3])) == pytest.approx(50.0)
    assert promoter_score(np.array([10, 9, -1, -1])) == pytest.approx(100.0)
    assert np.isnan(promoter_score(np.array([-1])))


def test_recorded_promoter_score_matches_the_formula_on_the_model_state():
    m = CommunityModel(small(), seed=9)
    m.run(30)
    df = m.recorder.table()
    active = m.active_mask()
    for b in range(m.n_businesses):
        expected = promoter_score(m.score[active[:, b], b])
        got = df[(df["step"] == 30) & (df["business_id"] == b)]["promoter_score"].iloc[0]
        assert got == pytest.approx(expected, nan_ok=True)


def test_active_promoter_detractor_and_lapse_counts_match_the_state(monkeypatch):
    """Stage 5's counts come from the purchase book; they must equal a count over the whole state.

    Checked every week through a chain store's opening (new columns), closures and weeks past
    the planned run (the book grows), with the town in two pieces (the second keeps its own book).
    """
    monkeypatch.setattr("sim.core.parallel.SPLIT_AT", 500)
    scenario = small("run.steps=20", "economy.closure_weeks=2", customers=1500).with_overrides(
        {"shocks": [{"kind": "chain_store", "start": 5, "category": "cafe"}]}
    )
    m = CommunityModel(scenario, seed=4)
    for _ in range(45):
        m.step()
        open_at_stage_5 = m.alive | (m.closed_week == m.week)  # closures come later, in stage 7
        threshold = np.where(open_at_stage_5, np.maximum(m.week - m.churn_window, -1), m.week + 1)
        active = m.last_purchase > threshold[None, :]
        lapsed = m.week - m.churn_window
        assert np.array_equal(m.standing["active"], active.sum(axis=0))
        assert np.array_equal(m.standing["promoters"], (active & (m.score >= 9)).sum(axis=0))
        detractors = active & (m.score >= 0) & (m.score <= 6)
        assert np.array_equal(m.standing["detractors"], detractors.sum(axis=0))
        churned = ((m.last_purchase == lapsed[None, :]) & (lapsed >= 1)[None, :]).sum(axis=0)
        assert np.array_equal(m.standing["churned"], churned)
    assert m.n_businesses == 13 and (~m.alive).any() and m.standing["churned"].sum() > 0


def test_lifetime_value_estimate_is_gupta_lehmann_per_purchase_cycle_without_winbacks():
    """ODD 7.9: with no win-backs and no horizon, m + m r / (1 + d / p - r) (first purchase included)."""
    m, r, p, d = 10.0, 0.8, 0.25, 0.002
    assert clv_estimate(m, r, 0.0, p, d) == pytest.approx(m + m * r / (1 + d / p - r))
    assert clv_estimate(5.0, 0.0, 0.0, 0.5, 0.002) == pytest.approx(5.0)  # only the first purchase
    assert np.isnan(clv_estimate(5.0, np.nan, 0.1, 0.5, 0.002))


def test_recorded_lifetime_value_uses_the_formula_with_the_quarters_rates():
    m = CommunityModel(small(), seed=9)
    m.run(40)
    rec = m.recorder.data
    t = m.recorder.rows - 1
    lo = t - 12

    def quarter(column):
        return rec[column][lo : t + 1].sum(axis=0)

    with np.errstate(invalid="ignore", divide="ignore"):  # a closed business has no customers: nan
        r = quarter("repeats") / quarter("repeat_chances")
        rho = quarter("winbacks") / quarter("winback_chances")
        margin = (quarter("revenue") - quarter("goods_cost")) / quarter("purchases")
    assert np.isfinite(r).sum() >= m.n_businesses // 2  # the identity is checked on real numbers
    assert ((r > 0) & (r < 1)).sum() >= m.n_businesses // 2
    d = 1.10 ** (1 / 52) - 1
    need = m.category_frequency[m.business_category]
    assert np.allclose(rec["retention_rate"][t], r, equal_nan=True)
    assert np.allclose(rec["clv_estimate"][t], clv_estimate(margin, r, rho, need, d), equal_nan=True)


def test_momentum_week_finds_the_start_of_sustained_growth():
    flat = np.full(60, 100.0)
    assert momentum_week(flat) == -1
    growing = np.concatenate([np.full(30, 100.0), 100 * 1.02 ** np.arange(1, 51)])
    week = momentum_week(growing)
    assert 30 < week < 50


def test_values_weight_share_matches_the_parameter():
    m = CommunityModel(small("population.values_weight_share=0.85", customers=20000, steps=1), seed=1)
    assert np.mean(m.values_weight >= 0.5) == pytest.approx(0.85, abs=0.01)


# --- Reproducibility and paired arms (ODD 4, stochasticity; ODD 3, two cores) --------------------


def test_same_seed_same_numbers_different_seed_different():
    s = small(steps=20)
    a, b, c = simulate(s, 1), simulate(s, 1), simulate(s, 2)
    assert a.equals(b)
    assert not a[["revenue", "cash"]].equals(c[["revenue", "cash"]])


def test_one_or_two_threads_give_identical_results(monkeypatch):
    """A town large enough to be cut in two (sim.core.parallel) gives the same numbers on 1 or 2 threads."""
    from sim.core import parallel

    s = load_scenario("scenarios/baseline.toml", [f"population.customers={parallel.SPLIT_AT + 10_000}"])
    tables, trust = [], []
    for threads in ("1", "2"):
        monkeypatch.setenv(parallel.ENV, threads)
        m = CommunityModel(s, seed=3)
        m.run(12)
        tables.append(m.recorder.table())
        trust.append(m.trust.copy())
    assert tables[0]["new_from_word_of_mouth"].sum() > 0  # the pieces did real work
    assert tables[0].equals(tables[1])
    assert np.array_equal(trust[0], trust[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator settings")
def test_large_towns_reuse_freed_memory_instead_of_faulting_it_in_again():
    """sim.core.memory keeps freed blocks for reuse: a freed 256 MB array comes back without page faults."""
    code = (
        "import resource, sys; import numpy as np; from sim.core import memory\n"
        "if sys.argv[1] == 'keep': assert memory.keep_freed_memory()\n"
        "a = np.ones(2**25); del a\n"
        "r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "for _ in range(4):\n    a = np.ones(2**25); del a\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0)\n"
    )

    def faults(mode: str) -> int:
        out = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, check=True)
        return int(out.stdout)

    assert faults("keep") < 100 < faults("default")  # 4 x 256 MB: at least 512 huge or 262,144 small pages


def test_replication_seeds_come_from_seedsequence_and_differ():
    seeds = replication_seeds(7, 5)
    assert seeds == replication_seeds(7, 5)
    assert len(set(seeds)) == 5
    assert seeds[:3] == replication_seeds(7, 3)


def test_identical_arms_give_identical_results():
    s = small(steps=20).with_overrides(
        {
            "arms": [
                {"name": "a", "set": {"network.rewire": 0.1}},
                {"name": "b", "set": {"network.rewire": 0.1}},
            ]
        }
    )
    ts = run_scenario(s, replications=2).timeseries
    a = ts[ts["arm"] == "a"].drop(columns=["arm", "run_id"]).reset_index(drop=True)
    b = ts[ts["arm"] == "b"].drop(columns=["arm", "run_id"]).reset_index(drop=True)
    assert a.equals(b)


def test_arms_share_random_numbers_where_they_do_the_same_thing():
    """Changing ad spend leaves the network and the customers drawn unchanged."""
    s = small(steps=5)
    m1 = CommunityModel(s, seed=4)
    m2 = CommunityModel(s.with_overrides({"strategies.transactional.ad_budget": 500.0}), seed=4)
    assert (m1.network.weights != m2.network.weights).nnz == 0
    assert np.array_equal(m1.budget, m2.budget)
    assert np.array_equal(m1.values_weight, m2.values_weight)


# --- Strategies from Python (ODD 2, strategies) --------------------------------------------------


@dataclass(frozen=True)
class WinterOnly(Strategy):
    """Community work only in the first 10 weeks of every 52."""

    def engagement_intensity(self, week: int) -> float:
        return 5.2 if week % 52 < 10 else 0.0


def test_a_python_subclass_changes_the_rules():
    s = small(steps=30)
    base = s.data["strategies"]["community"]
    custom = WinterOnly(name="community", **{k: v for k, v in base.items() if k != "extends"})
    df = run_scenario(s, replications=1, strategies={"community": custom}).timeseries
    community = df[df["strategy"] == "community"]
    assert community[community["step"].between(12, 30)]["community_cost"].sum() == 0
    assert community[community["step"] <= 10]["community_cost"].sum() > 0


# --- Networks (ODD 2, social network) ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["small_world", "scale_free", "random", "neighbourhoods", "complete"])
def test_every_network_kind_builds_and_spreads_word_of_mouth(kind):
    df = simulate(small(f'network.kind="{kind}"', steps=26), 1)
    assert df["new_from_referral"].sum() + df["new_from_word_of_mouth"].sum() > 0


def test_small_world_rewiring_sets_the_share_of_weak_ties():
    for rewire in (0.0, 0.1, 0.3):
        m = CommunityModel(small(f"network.rewire={rewire}", customers=5000, steps=1), seed=1)
        assert m.network.weak.mean() == pytest.approx(rewire, abs=0.02)


def test_edge_list_network(tmp_path):
    path = tmp_path / "ties.csv"
    path.write_text("source,target,strength\nann,bob,1\nbob,cy,0.5\ncy,ann,1\n")
    raw = {
        "run": {"steps": 3},
        "population": {"customers": 5},
        "network": {"kind": "edge_list", "path": str(path)},
        "businesses": [{"category": "cafe", "strategy": "community"}],
    }
    m = CommunityModel(scenario_from_dict(raw), seed=1)
    assert m.network.ties == 3
    assert m.network.weak.sum() == 1
    row = m.network.weights[0].toarray().ravel()  # ann: strong to bob, strong to cy
    assert row[1] == pytest.approx(0.5) and row[2] == pytest.approx(0.5)


# --- Docking with Bass (ODD 1, pattern 1) -------------------------------------------------------


def test_bass_docking_stays_within_002_of_the_discrete_recursion():
    scenario = load_scenario("scenarios/bass_docking.toml")
    results = run_scenario(scenario, replications=5)
    n = scenario.data["population"]["customers"]
    assert n == 20000
    simulated = results.timeseries.groupby("step")["cumulative_customers"].mean().to_numpy() / n
    expected = discrete_bass(0.03, 0.38, len(simulated))[1:]
    assert np.abs(simulated - expected).max() < 0.02


# --- Agents and the smallest towns (ODD 2) --------------------------------------------------------


def test_agents_are_views_of_the_arrays():
    m = CommunityModel(small(customers=300, steps=5), seed=1)
    m.run(5)
    customers = m.customers
    assert len(customers) == 300 and len(m.businesses) == 12
    c = m.customer(7)
    assert c.budget == pytest.approx(float(m.budget[7]))
    assert np.array_equal(c.trust, m.trust[7])
    b = m.businesses[3]
    assert b.cash == pytest.approx(float(m.cash[3])) and b.name == m.business_name[3]
    assert b.active_customers == int(m.active_mask()[:, 3].sum())


@pytest.mark.parametrize("customers", [1, 2, 3])
def test_a_town_of_one_or_two_customers_runs(customers):
    raw = {
        "run": {"steps": 4},
        "population": {"customers": customers},
        "businesses": [{"category": "cafe", "strategy": "community"}],
    }
    m = CommunityModel(scenario_from_dict(raw), seed=1)
    m.run()
    assert m.network.ties <= customers * (customers - 1) // 2
    assert m.recorder.table()["step"].max() == 4


# --- Rules on hand-made inputs (ODD 7.3, 7.5, 7.6) ------------------------------------------------


def test_logit_choice_matches_the_logit_probabilities():
    """Purchases (ODD 7.3, stages.purchases.shop) pick known shop b with probability exp(U_b) / sum exp(U)."""
    from sim.core.stages import purchases

    n = 200_000
    contact = np.zeros((n, 4), dtype=np.int8)
    contact[:, :3] = 1  # the fourth shop (best on paper) is unknown to everyone
    trust = np.zeros((n, 4), dtype=np.float32)
    shops = purchases.Shops(np.array([0, 4]), np.arange(4), np.zeros(4, dtype=np.int32))
    next_need = np.ones((n, 1), dtype=np.int32)  # everyone needs the category in week 1
    who, cat, knows, knowing, unknowing, due = purchases.needs(0, n, 1, next_need, shops, contact)
    assert knowing[0] == n and unknowing[0] == 0 and due[0] == n  # everyone knows a shop
    draws = purchases.Draws(
        np.full(n, 0.25), np.zeros(0), np.zeros(0), np.random.default_rng(1).random(n), np.zeros(0)
    )
    market = purchases.Market(walk_in=0.0, demand_index=1.0, trust_resilience=0.0)
    no_price = np.zeros(n, dtype=np.float32)
    tastes = purchases.Tastes(np.array([0.0, 1.0, 2.0, 5.0]), np.ones(4), no_price, no_price, 0.0, 0.0)
    counts = purchases.Counts(
        np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.int64), np.zeros(1, dtype=np.int64)
    )
    customers, picks = purchases.shop(
        who, cat, knows, draws, np.zeros((4, 1), dtype=np.int64), 1, next_need, np.array([0.5]), shops,
        market, tastes, np.zeros(n, dtype=np.int32), contact, trust, np.full((n, 1), -1, dtype=np.int32),
        np.int8(6), counts,
    )  # fmt: skip
    assert len(customers) == n and np.array_equal(customers, np.arange(n))
    assert (next_need == 2).all()  # u = 0.25 < p = 0.5: the next need comes a week later
    expected = np.exp([0.0, 1.0, 2.0]) / np.exp([0.0, 1.0, 2.0]).sum()
    shares = np.bincount(picks, minlength=4) / len(picks)
    assert shares[3] == 0
    assert np.allclose(shares[:3], expected, atol=0.005)


def test_needs_come_with_the_need_frequency_each_week_and_without_memory():
    """Needs (ODD 7.3) are scheduled by geometric gaps; the weekly process must still be Bernoulli(p).

    Across weeks, the number of customers with a need in a category averages the sum of their
    need frequencies, and having a need this week leaves next week's chance at p.
    """
    m = CommunityModel(small(customers=3000, steps=80), seed=5)
    p = m.need_frequency.max(axis=0)  # the category's probability, for those who take part
    takes_part = m.need_frequency > 0
    due, again, after_none = [], [], []
    for _ in range(80):
        now = m.next_need == m.week + 1
        m.step()
        later = m.next_need == m.week + 1
        due.append(now.sum(axis=0))
        again.append((now & later).sum(axis=0) / np.maximum(now.sum(axis=0), 1))
        after_none.append((~now & takes_part & later).sum(axis=0) / (~now & takes_part).sum(axis=0))
    expected = m.need_frequency.sum(axis=0)
    assert np.all(np.abs(np.mean(due, axis=0) - expected) < 4 * np.sqrt(expected / 80))  # 4 sd
    frequent = p >= 0.3  # enough needs a week for a tight estimate
    assert frequent.sum() >= 3
    assert np.allclose(np.mean(again, axis=0)[frequent], p[frequent], atol=0.02)
    assert np.allclose(np.mean(after_none, axis=0)[frequent], p[frequent], atol=0.02)


def test_weeks_between_needs_are_geometric():
    """ODD 7.3: P(gap = g) = (1 - p)^(g - 1) p, either side of the counting / logarithm switch (p = 0.25)."""
    from sim.core.stages import purchases

    u = (np.arange(200_000) + 0.5) / 200_000  # an even grid of uniforms: exact shares
    for p in (1.0, 0.6, 0.25, 0.2499, 0.04, 0.002):
        gaps = purchases.need_gaps(u, p)
        g = np.arange(1, 6)
        shares = np.array([(gaps == x).mean() for x in g])
        assert np.allclose(shares, (1 - p) ** (g - 1) * p, atol=2e-5), p
        assert gaps.mean() == pytest.approx(1 / p, rel=2e-3)
    assert (purchases.need_gaps(u[:10], 0.0) == purchases.NEVER_WEEKS).all()


def test_partner_picks_are_independent_with_the_given_chance():
    """Each served customer is sent to a partner with probability p, independently (ODD 7.6)."""
    from sim.core.streams import sent_positions

    rng = np.random.default_rng(3)
    for n, p in ((40, 0.5), (1000, 0.05), (30, 0.001)):
        hits = np.zeros(n)
        counts = []
        for _ in range(4000):
            picked = sent_positions(rng, n, p)
            assert np.all(np.diff(picked) > 0) and (picked.size == 0 or 0 <= picked[0] <= picked[-1] < n)
            hits[picked] += 1
            counts.append(len(picked))
        assert np.mean(counts) == pytest.approx(n * p, rel=0.05, abs=0.01)
        assert np.var(counts) == pytest.approx(n * p * (1 - p), rel=0.1, abs=0.01)  # binomial
        if n * p >= 10:  # every position as likely, first and last included
            share = hits / 4000
            assert abs(share[0] - p) < 0.04 and abs(share[-1] - p) < 0.04
            assert abs(share.mean() - p) < 0.005
    assert np.array_equal(sent_positions(rng, 7, 1.0), np.arange(7))


def test_week_progress_is_reported_and_changes_nothing():
    s = small(steps=12)
    weeks = []
    with_bar = simulate(s, 4, on_week=weeks.append)
    assert weeks == [1] * 12
    assert with_bar.equals(simulate(s, 4))


def test_a_customer_hears_with_probability_q_times_the_promoters_share_of_tie_strength():
    """Word of mouth (ODD 7.5): P(hear about b) = q x_ib; the tie was weak with probability x_weak / x."""
    from sim.core.stages import word_of_mouth

    listeners, q = 200_000, 0.5
    n = listeners + 4  # four tellers, ids listeners .. listeners + 3
    shares = np.array([0.4, 0.3, 0.2, 0.1], dtype=np.float32)  # row-normalised tie strength
    weak = np.array([False, True, False, True])
    indptr = np.concatenate([np.arange(listeners + 1) * 4, np.full(4, listeners * 4)]).astype(np.int32)
    indices = np.tile(np.arange(listeners, n), listeners).astype(np.int32)
    weights, weak_entry = np.tile(shares, listeners), np.tile(weak, listeners)
    # The second and third tellers (shares 0.3 weak, 0.2 strong) promote business 0: x = 0.5, 0.6 weak.
    start, end = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    tellers = slice(listeners + 1, listeners + 3)
    start[tellers], end[tellers] = [0, 1], [1, 2]  # customer j tells tell_biz[start[j]:end[j]]
    tells = (start, end, np.zeros(2, dtype=np.int32))
    u = np.random.default_rng(5).random(n, dtype=np.float32)
    contact = np.zeros((n, 1), dtype=np.int8)
    by_weak = np.zeros((n, 1), dtype=bool)
    first = np.zeros(1, dtype=np.int64)
    tie, entry, asked = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.zeros(n, dtype=bool)
    word_of_mouth.conversations(0, listeners, u, q, indptr, indices, weights, tie, entry, asked)
    assert asked[listeners:].all() and not asked[:listeners].any()  # listeners talk to the tellers only
    word_of_mouth.recommend(
        0, listeners, tie, entry, weak_entry, tells, 3, 0.3,
        np.int8(3), contact, np.zeros((n, 1), dtype=np.float32), np.full((n, 1), -1, dtype=np.int16),
        np.full((n, 1), -1, dtype=np.int16), by_weak, first,
    )  # fmt: skip
    heard = contact[:listeners, 0] == 3
    assert first[0] == heard.sum()
    assert heard.mean() == pytest.approx(q * 0.5, abs=0.004)  # sd of the mean is about 0.001
    assert by_weak[:listeners, 0][heard].mean() == pytest.approx(0.6, abs=0.01)
