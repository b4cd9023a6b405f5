"""commsim: an agent-based simulator of how small businesses grow through their communities.

From Python::

    from sim import load_scenario, run_scenario, CommunityModel
    scenario = load_scenario("scenarios/baseline.toml", ["population.customers=1000"])
    results = run_scenario(scenario, replications=2, steps=52)
    results.strategy_timeseries       # pandas DataFrame

Names are imported on first use, so that the command line starts quickly.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("commsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

_EXPORTS = {
    "CommunityModel": "sim.core.model",
    "Results": "sim.runs.runner",
    "run_scenario": "sim.runs.runner",
    "simulate": "sim.runs.runner",
    "Scenario": "sim.config.scenario",
    "ScenarioError": "sim.config.scenario",
    "load_scenario": "sim.config.scenario",
    "scenario_from_dict": "sim.config.scenario",
    "Strategy": "sim.core.strategies",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """Import an exported name from its module on first use (PEP 562)."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
