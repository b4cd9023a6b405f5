"""How the validation report's claims are estimated and run (sim/validation/{estimates,regimes,replicate}).

Each estimator is checked on a hand-made store of runs against a hand-computed value; the runs
themselves against the model's own table; the seed sets, pairing and burst phases by identity.
"""

import numpy as np
import pandas as pd
import pytest

from sim.config.scenario import load_scenario
from sim.core.strategies import built_in
from sim.runs.runner import replication_seeds
from sim.validation import estimates as e
from sim.validation.evidence import SCENARIOS
from sim.validation.regimes import PHASES, RUNS, Regime, owner_time_arm, phased, plan, regimes
from sim.validation.replicate import SEED_OFFSET, Job, PhasedBursts, group_weeks, run_job, seed_sets, split

W = 156


def record(groups: dict[str, dict[str, np.ndarray]], business=None, cohorts=None) -> dict:
    rec = {"weeks": groups, "open": {}, "business": business}
    if cohorts is not None:
        rec["cohorts"] = cohorts
    return rec


def const(v: float) -> np.ndarray:
    return np.full(W, float(v))


def test_peak_is_the_vertex_of_a_parabola_and_the_end_of_a_rising_curve():
    x = np.array([0.0, 0.06, 0.12, 0.2, 0.3, 0.45, 0.6, 0.8])
    assert e.peak(x, -((x - 0.37) ** 2)) == pytest.approx(0.37)
    assert e.peak(x, x) == 0.8
    assert e.peak(x, -x) == 0.0
    assert np.isnan(e.peak(x, np.where(x > 0.5, np.nan, x)))


def test_owner_time_best_reads_every_level_of_one_replication():
    store = {}
    for lv in (0.0, 0.06, 0.12, 0.2, 0.3, 0.45, 0.6, 0.8):
        profit = -((lv - 0.25) ** 2) * 1e6
        store[("base", "baseline", owner_time_arm(lv))] = {
            0: record({"community": {"profit": const(profit / W)}})
        }
    best = e.owner_time_best(store, "base", 2)
    assert best[0] == pytest.approx(0.25)
    assert np.isnan(best[1])  # replication 1 missing


def test_free_rider_change_and_a_run_with_no_referrals_at_first():
    w = np.r_[np.full(26, 10.0), np.full(W - 26 - 52, 5.0), np.full(52, 2.0)]
    store = {
        ("base", "partnerships", "base"): {
            0: record({"free_rider": {"partner_referrals_received": w}}),
            1: record({"free_rider": {"partner_referrals_received": np.zeros(W)}}),
        }
    }
    out = e.free_rider_change(store, "base", 2)
    assert out[0] == pytest.approx(2.0 / 10.0 - 1.0)
    assert np.isnan(out[1])


def test_resilience_is_the_paired_difference_of_shares_lost():
    a, b = e.recession_weeks()
    base = record(
        {"community": {"customers_active": const(100)}, "transactional": {"customers_active": const(100)}}
    )
    rec_c, rec_t = const(100), const(100)
    rec_c[a - 1 : b] = 90.0  # community loses 10%
    rec_t[a - 1 : b] = 70.0  # transactional loses 30%
    rec = record({"community": {"customers_active": rec_c}, "transactional": {"customers_active": rec_t}})
    store = {("base", "baseline", "base"): {0: base}, ("base", "recession", "base"): {0: rec}}
    assert e.resilience(store, "base", 1)[0] == pytest.approx(0.30 - 0.10)


def test_steady_minus_bursts_sums_whole_cycles_only():
    assert e.matched_weeks(156) == 144 and e.matched_weeks(23) == 0
    steady = const(2.0)
    bursts = const(1.0)
    bursts[144:] = 1000.0  # after the last whole cycle: must not count
    store = {
        ("base", "inconsistent", "phased"): {
            0: record({"community": {"profit": steady}, "inconsistent": {"profit": bursts}})
        }
    }
    assert e.steady_minus_bursts(store, "base", 1)[0] == pytest.approx(144 * 1.0)


def test_weak_tie_change_sums_word_of_mouth_over_every_group():
    def arm(k):
        return record(
            {g: {"new_from_word_of_mouth": const(k), "new_from_referral": const(k)} for g in ("a", "b")}
        )

    store = {
        ("base", "baseline", "no_long_ties"): {0: arm(1.0)},
        ("base", "baseline", "doubled_long_ties"): {0: arm(1.1)},
    }
    assert e.weak_tie_change(store, "base", 1)[0] == pytest.approx(0.1)


def test_partners_both_gain_takes_the_smaller_gain_of_each_pair():
    # baseline categories: cafe-bakery, bakery-caterer, caterer-florist, gym-nutritionist may partner
    cats = ["cafe", "bakery", "gym", "florist", "caterer", "nutritionist"]
    gain = {"cafe": 10.0, "bakery": -4.0, "gym": 6.0, "nutritionist": 2.0, "caterer": 1.0, "florist": 3.0}
    b = pd.DataFrame({"group": "community", "category": cats, "profit": [gain[c] for c in cats]})
    nb = b.assign(profit=0.0)
    store = {
        ("base", "baseline", "base"): {0: record({}, b)},
        ("base", "baseline", "no_partnerships"): {0: record({}, nb)},
    }
    pairs = [min(10, -4), min(-4, 1), min(1, 3), min(6, 2)]
    assert e.partners_both_gain(store, "base", 1)[0] == pytest.approx(np.mean(pairs))


def test_retention_and_value_gains():
    def grp(repeats, chances):
        return {"repeats": const(repeats), "repeat_chances": const(chances)}

    ct = pd.DataFrame(
        {
            "group": ["community", "community", "transactional", "community"],
            "customers": [10, 30, 20, 5],
            "discounted_margin_52w": [100.0, 60.0, 50.0, np.nan],  # the last cohort is too young
        }
    )
    store = {
        ("base", "baseline", "base"): {
            0: record({"community": grp(3, 4), "transactional": grp(1, 2)}, cohorts=ct)
        }
    }
    assert e.retention_gain(store, "base", 1)[0] == pytest.approx(0.75 / 0.5 - 1)
    assert e.realised_value(store, "base", 1, "community")[0] == pytest.approx((1000 + 1800) / 40)
    assert e.value_gain(store, "base", 1)[0] == pytest.approx(70.0 / 50.0 - 1)


def test_community_work_already_off_gives_no_first_results_ever():
    m = {"revenue": const(50.0), "goods_cost": const(20.0)}
    store = {
        ("base", "baseline", "base"): {0: record({"community": dict(m)})},
        ("base", "baseline", owner_time_arm(0.0)): {0: record({"community": dict(m)})},
    }
    gain, growth = e.community_work_gain(store, "base", 1)
    assert np.all(gain == 0.0)
    assert e.first_results_week(store, "base", 1)[0] == W + 1  # never within the run
    assert e.momentum_week(store, "base", 1)[0] == W + 1


def test_first_results_week_is_when_the_gain_turns_and_stays_positive():
    # weekly margin gain -1 for 5 weeks, then +1: the cumulative gain is -5 at week 5, 0 at week
    # 10 and positive from week 11 on
    with_work = np.r_[np.zeros(5), np.full(W - 5, 10.0)]
    without = np.r_[np.ones(5), np.full(W - 5, 9.0)]
    zero = const(0.0)
    store = {
        ("base", "baseline", "base"): {0: record({"community": {"revenue": with_work, "goods_cost": zero}})},
        ("base", "baseline", owner_time_arm(0.0)): {
            0: record({"community": {"revenue": without, "goods_cost": zero}})
        },
    }
    assert e.first_results_week(store, "base", 1)[0] == 11


def test_seed_sets_are_two_independent_commsim_run_sets():
    s = seed_sets(2026, 4)
    assert s[:4] == replication_seeds(2026, 4)
    assert s[4:] == replication_seeds(2026 + SEED_OFFSET, 4)
    assert not set(s[:4]) & set(s[4:])
    a, b = split(np.arange(8.0))
    assert list(a) == [0, 1, 2, 3] and list(b) == [4, 5, 6, 7]


def test_phased_bursts_spend_the_same_hours_whatever_the_phase():
    base = built_in("inconsistent")
    cycle = base.burst_weeks + base.pause_weeks
    params = {k: v for k, v in base.to_dict().items() if k != "name"}
    for phase in range(0, cycle, 4):
        s = PhasedBursts(name="x", phase=phase, **params)
        weeks = np.arange(1, cycle * 6 + 1)
        got = np.array([s.engagement_intensity(w) for w in weeks])
        assert got.mean() == pytest.approx(1.0)  # a steady owner's hours over whole cycles
        assert got[0] == base.engagement_intensity(1 + phase)
    assert [PhasedBursts(name="x", phase=0, **params).engagement_intensity(w) for w in range(50)] == [
        base.engagement_intensity(w) for w in range(50)
    ]


def test_phases_rotate_so_every_business_takes_every_phase():
    sc = load_scenario(SCENARIOS / "inconsistent_engagement.toml")
    idx = [i for i, g in enumerate(sc.data["businesses"]) if g["strategy"] == "inconsistent"]
    seen = {i: set() for i in idx}
    for r in range(PHASES):
        this, objects, groups = phased(sc, r)
        phases = {name: obj.phase for name, obj in objects}
        assert len(phases) == len(idx)  # distinct phases within a run
        assert all(g == "inconsistent" for _, g in groups)
        for i in idx:
            seen[i].add(phases[this.data["businesses"][i]["strategy"]])
    assert all(len(v) == PHASES for v in seen.values())


def test_plan_pairs_every_run_of_a_replication_on_one_seed():
    regs = [Regime("base"), Regime("town size low", "population.customers", 1000)]
    jobs = plan(regs, 2)
    per_regime = {"base": len(RUNS), "town size low": sum(not r.base_only for r in RUNS)}
    assert len(jobs) == 4 * sum(per_regime.values())
    for reg in per_regime:
        for r in range(4):
            seeds = {j.seed for j in jobs if j.key[0] == reg and j.replication == r}
            assert len(seeds) == 1
    low = [j for j in jobs if j.key[0] == "town size low"]
    assert all(j.scenario.data["population"]["customers"] == 1000 for j in low)
    assert [r.name for r in regimes()][:3] == ["base", "town size low", "town size high"]


def test_kept_weekly_sums_equal_the_models_table():
    sc = load_scenario(SCENARIOS / "baseline.toml").with_overrides({"population.customers": 400})
    job = Job(("k",), sc, 0, 7, 12, weekly=("revenue", "profit", "no_such_column"))
    _, _, rec = run_job(job)
    from sim.core.model import CommunityModel

    m = CommunityModel(sc, seed=7)
    m.run(12)
    t = m.recorder.table()
    for g in ("community", "transactional"):
        got = rec["weeks"][g]
        assert set(got) == {"revenue", "profit"}
        want = t[t["strategy"] == g].groupby("step")["profit"].sum().to_numpy()
        np.testing.assert_allclose(got["profit"], want)
    assert rec["business"]["profit"].sum() == pytest.approx(t["profit"].sum())
    again = group_weeks(m, job)
    np.testing.assert_array_equal(
        again["weeks"]["community"]["revenue"], rec["weeks"]["community"]["revenue"]
    )


def test_runs_on_two_worker_processes_equal_runs_in_this_process():
    """run_jobs on the sweep's process pool gives the records of running the jobs here."""
    from sim.validation.replicate import run_jobs

    sc = load_scenario(SCENARIOS / "baseline.toml").with_overrides({"population.customers": 300})
    jobs = [Job(("k",), sc, r, s, 10) for r, s in enumerate((3, 4, 5))]
    here, pooled = run_jobs(jobs, workers=1), run_jobs(jobs, workers=2)
    assert sorted(pooled[("k",)]) == [0, 1, 2]
    for r in range(3):
        for g in ("community", "transactional"):
            np.testing.assert_array_equal(
                pooled[("k",)][r]["weeks"][g]["revenue"], here[("k",)][r]["weeks"][g]["revenue"]
            )
