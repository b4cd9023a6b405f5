"""commsim: an agent-based simulator of how small businesses grow through their communities.

From Python::

    from sim import load_scenario, run_scenario, CommunityModel
    scenario = load_scenario("scenarios/baseline.toml", ["population.customers=1000"])
    results = run_scenario(scenario, replications=2, steps=52)
    results.strategy_timeseries       # pandas DataFrame
"""

from importlib.metadata import PackageNotFoundError, version

from sim.model import CommunityModel
from sim.runner import Results, run_scenario, simulate
from sim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict
from sim.strategies import Strategy

try:
    __version__ = version("commsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "CommunityModel",
    "Results",
    "Scenario",
    "ScenarioError",
    "Strategy",
    "load_scenario",
    "run_scenario",
    "scenario_from_dict",
    "simulate",
]
