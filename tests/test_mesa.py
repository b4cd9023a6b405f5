"""CommunityModel as Mesa users expect it: constructor, rng, batch_run, DataCollector, agents, running."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from sim import CommunityModel, ScenarioError, load_scenario, simulate
from sim.core.agents import Business, Customer

SMALL = {"population__customers": 400, "run__steps": 6}


def batch(rng=None, iterations=None, processes=1) -> pd.DataFrame:
    rows = mesa.batch_run(
        CommunityModel,
        parameters=SMALL,
        iterations=iterations,
        rng=rng,
        max_steps=50,
        number_processes=processes,
        display_progress=False,
    )
    return pd.DataFrame(rows).sort_values("RunId", ignore_index=True)  # processes finish in any order


def test_batch_run_needs_no_subclass_and_gives_distinct_replications():
    rows = batch(rng=[None, None])  # Mesa 3.5's spelling of iterations=2 (seeds drawn fresh)
    assert len(rows) == 2 and (rows["Step"] == 6).all()  # stopped at the horizon, not max_steps
    assert rows["revenue_community"].nunique() == 2  # two replications, not one run twice


def test_batch_run_repeats_exactly_with_the_same_rng_list_on_one_or_two_processes():
    first = batch(rng=[11, 12])
    assert first.equals(batch(rng=[11, 12]))
    assert first.equals(batch(rng=[11, 12], processes=2))
    assert first["revenue_community"].nunique() == 2


def test_rng_drives_every_stream_and_no_seed_draws_fresh_entropy():
    a, b = CommunityModel(rng=5, **SMALL), CommunityModel(rng=5, **SMALL)
    a.run(), b.run()
    assert a.recorder.table().equals(b.recorder.table())
    fresh = [CommunityModel(**SMALL) for _ in range(2)]
    assert fresh[0].seed != fresh[1].seed  # recorded, so either run can be repeated
    again = CommunityModel(rng=fresh[0].seed, **SMALL)
    fresh[0].run(), again.run()
    assert fresh[0].recorder.table().equals(again.recorder.table())
    with pytest.raises(ValueError):
        CommunityModel(rng=1, seed=1)


def test_the_same_seed_gives_the_command_lines_numbers():
    """The runner (what ``commsim run`` uses) and the model built Mesa's way agree for one seed."""
    s = load_scenario("scenarios/baseline.toml", ["population.customers=400", "run.steps=6"])
    m = CommunityModel(s, rng=9)
    m.run()
    assert m.recorder.table().equals(simulate(s, 9))


def test_parameters_are_validated_as_set_is():
    m = CommunityModel(params={"behaviour.word_of_mouth": 0.2}, population__customers=300, rng=1)
    assert m.beh["word_of_mouth"] == 0.2 and m.n_customers == 300
    with pytest.raises(ScenarioError, match="behaviour.word_of_mouth"):
        CommunityModel(behaviour__word_of_mouth=2.0)
    with pytest.raises(ScenarioError, match="population.customerz"):
        CommunityModel(population__customerz=10)
    with pytest.raises(ScenarioError, match="unknown argument"):
        CommunityModel(customers=10)
    assert issubclass(ScenarioError, ValueError)


def test_agents_by_type_and_agent_reporters_work_on_a_fresh_model():
    m = CommunityModel(rng=2, **SMALL)
    assert len(m.agents_by_type[Customer]) == 400 and len(m.agents_by_type[Business]) == 12
    assert len(m.agents) == 412
    m.datacollector = mesa.DataCollector(
        agenttype_reporters={Business: {"cash": "cash"}, Customer: {"budget": "budget"}}
    )
    m.step()
    cash = m.datacollector.get_agenttype_vars_dataframe(Business)
    assert len(cash) == 12 and np.allclose(sorted(cash["cash"]), sorted(m.cash))
    assert len(m.datacollector.get_agenttype_vars_dataframe(Customer)) == 400


def test_a_large_town_builds_no_customer_agents_unless_asked():
    m = CommunityModel(population__customers=20_000, run__steps=1, rng=1)
    m.run()
    assert m._customer_agents is None and len(m.businesses) == 12


def test_model_reporters_sum_the_recorded_week():
    m = CommunityModel(rng=4, **SMALL)
    m.run()
    collected = m.datacollector.get_model_vars_dataframe()
    assert len(collected) == 6  # one row per week
    table = m.recorder.table()
    last = table[table["step"] == 6]
    community = last[last["strategy"] == "community"]
    assert collected["revenue_community"].iloc[-1] == pytest.approx(community["revenue"].sum())
    assert collected["survival_community"].iloc[-1] == pytest.approx(community["alive"].mean())
    assert -100 <= collected["promoter_score_transactional"].iloc[-1] <= 100


def test_an_agents_step_raises_instead_of_doing_nothing():
    m = CommunityModel(rng=1, **SMALL)
    with pytest.raises(NotImplementedError, match="model.step"):
        m.agents.shuffle_do("step")


def test_removing_a_business_closes_it_in_the_model():
    m = CommunityModel(rng=3, **SMALL)
    m.step()
    cafe = m.businesses[0]
    cafe.remove()
    assert not m.alive[0] and m.exit_reason[0] == "removed" and m.closed_week[0] == 1
    assert cafe not in m.agents and not (m.patron == 0).any()
    m.step()
    assert m.recorder.table().query("business_id == 0 and step == 2")["revenue"].item() == 0.0


def test_running_turns_false_at_the_horizon_and_when_every_business_has_closed():
    m = CommunityModel(rng=1, **SMALL)
    m.run()
    assert m.week == 6 and not m.running
    m.step()  # stepping on is allowed
    assert m.week == 7
    closed = CommunityModel(rng=1, **SMALL)
    for b in list(closed.businesses):
        b.remove()
    closed.step()
    assert not closed.running
