"""The community growth model: a Mesa model whose weekly rules run on whole-population arrays.

State lives in numpy arrays held by the model (customers, businesses, and customer x business
pairs); :class:`~sim.core.agents.Customer` and :class:`~sim.core.agents.Business` are Mesa agents
that view it. The town is built by :mod:`sim.core.town`. One :meth:`CommunityModel.step` is one
week: the stages of ODD section 3, each in its own module of :mod:`sim.core.stages` (its
orchestration and its compiled loops side by side). Units: weeks, currency, probabilities per
week. Every draw comes from the model's named streams (:mod:`sim.core.streams`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
from mesa.agentset import AgentSet

from sim.config.paths import builtin_dirs
from sim.config.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict
from sim.core import measures, memory, parallel, standing
from sim.core.agents import Business, Customer
from sim.core.cohorts import Cohorts
from sim.core.network import build_network
from sim.core.shocks import ChainStore, Shock, shock_from_dict
from sim.core.stages import (
    accounting,
    experience,
    forgetting,
    outreach,
    partner_referrals,
    purchases,
    shocks,
    word_of_mouth,
)
from sim.core.strategies import Strategy
from sim.core.streams import STREAMS, seed_from, stream
from sim.core.town import (
    add_businesses,
    build_businesses,
    build_categories,
    build_customers,
    build_strategies,
    chain_row,
)


def dotted(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Keyword parameters as scenario keys: ``population__customers`` is ``population.customers``."""
    bad = [k for k in kwargs if "__" not in k]
    if bad:
        raise ScenarioError(
            f"CommunityModel: unknown argument {bad[0]!r} (scenario keys are written with __, "
            "e.g. population__customers=2000, or passed as params={'population.customers': 2000})"
        )
    return {k.replace("__", "."): v for k, v in kwargs.items()}


def town_scenario(scenario: Scenario | dict | None, params: dict[str, Any]) -> Scenario:
    """The scenario to build: the given one (or the built-in baseline) with ``params`` applied.

    ``params`` are dotted scenario keys, validated as ``--set`` is (a :class:`ScenarioError`, a
    ``ValueError``, names the key and the problem).
    """
    if scenario is None:
        scenario = load_scenario(builtin_dirs()["scenarios"] / "baseline.toml")
    elif not isinstance(scenario, Scenario):
        scenario = scenario_from_dict(scenario)
    return scenario.with_overrides(params) if params else scenario


def model_seed(rng: Any, seed: int | None) -> int:
    """The seed of every named stream, from Mesa's ``rng`` or ``seed`` (not both).

    An integer is used as it is; a ``numpy.random.Generator`` or ``SeedSequence`` gives one; with
    neither, fresh entropy from the operating system (recorded as ``model.seed``, so the run can
    be repeated): pass ``rng=`` an integer for reproducible replications.
    """
    if rng is not None and seed is not None:
        raise ValueError("CommunityModel: pass either rng or seed, not both")
    value = seed if seed is not None else rng
    if value is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(value, np.random.Generator):
        return int(value.integers(2**63 - 1))
    if isinstance(value, np.random.SeedSequence):
        return seed_from(value)
    return int(value)


class CommunityModel(mesa.Model):
    """A town of customers and small businesses, one step per week.

    Args:
        scenario: a validated :class:`~sim.config.scenario.Scenario`, a raw scenario dict, or None
            for the built-in baseline.
        rng: Mesa's random-number argument: an integer seed (or a numpy Generator or SeedSequence)
            from which every named stream is derived.
        seed: the same as an integer ``rng`` (give one or the other). With neither, the seed is
            drawn fresh and recorded as :attr:`seed`; the scenario's ``run.seed`` is used by the
            command line and :func:`sim.runs.runner.run_scenario`, not here.
        strategies: optional strategy objects by name, overriding the scenario's (for Python
            subclasses of :class:`~sim.core.strategies.Strategy`).
        params: scenario keys to change, dotted (``{"behaviour.word_of_mouth": 0.2}``).
        **kwargs: scenario keys to change written with ``__`` (``population__customers=2000``), as
            ``mesa.batch_run`` passes them.
    """

    def __init__(
        self,
        scenario: Scenario | dict | None = None,
        *,
        rng: Any = None,
        seed: int | None = None,
        strategies: dict[str, Strategy] | None = None,
        params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        scenario = town_scenario(scenario, {**(params or {}), **dotted(kwargs)})
        self.config = scenario
        data = scenario.data
        seed = model_seed(rng, seed)
        super().__init__(rng=seed)
        self.seed = seed
        """The seed every named stream derives from (drawn fresh when neither rng nor seed was given)."""
        self.rngs = {name: stream(seed, name) for name in STREAMS}
        self.named_rngs: dict[str, Any] = {}
        """Streams per category and per business, made on first use (:mod:`sim.core.streams`)."""
        self.week = 0
        self.run_config = data["run"]
        self.beh = data["behaviour"]
        self.eco = data["economy"]
        self.shocks: list[Shock] = [shock_from_dict(s) for s in data["shocks"]]
        self.shock_log: list[dict[str, Any]] = []
        self.demand_index = 1.0
        self.cost_index = 1.0
        self.lockdown = False
        self.weekly_discount = (1.0 + self.eco["discount_rate"]) ** (1 / 52) - 1.0

        if data["population"]["customers"] >= parallel.SPLIT_AT:  # large weekly temporaries
            memory.keep_freed_memory()
        build_categories(self, data)
        build_customers(self, data)
        self.network = build_network(data["network"], data["population"], self.rngs["network"])
        self.neighbourhood = self.network.neighbourhood
        self.hood_sizes = np.bincount(self.neighbourhood, minlength=self.n_neighbourhoods)
        self.hood_starts = np.concatenate([[0], np.cumsum(self.hood_sizes)[:-1]])
        self.strategy_objects = build_strategies(self, data, strategies or {})
        build_businesses(self, data)
        self._customer_agents: AgentSet | None = None
        self.standing: dict[str, np.ndarray] | None = None
        """This week's active customers, promoters, detractors and lapses per business (stage 5)."""
        self.trust_held = np.zeros(self.n_businesses)
        """Trust held by each business's aware customers at the end of the week (after fading)."""
        self.cohorts = Cohorts(self.n_businesses, int(self.run_config["steps"]), self.weekly_discount)
        """Customers by business, channel and quarter won: retention and margin by age (ODD 7.9)."""
        self.recorder = measures.Recorder(self)
        strategies_here = list(dict.fromkeys(s.name for s in self.business_strategy))
        self.datacollector = mesa.DataCollector(model_reporters=measures.group_reporters(strategies_here))
        """Mesa's DataCollector: the main measures per strategy group, each week (ODD 7.9)."""

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """One week, in the order of ODD section 3 (one module of :mod:`sim.core.stages` each).

        1. Shocks due this week set the demand and cost indices and the lockdown flag.
        2. Outreach: ads reach random customers; community work reaches the home neighbourhood.
        3. Purchases: customers with a need choose among businesses they know (logit);
           in a downturn, low-trust customers cut back first.
        4. Experience: satisfaction, trust (slow up, fast down), recommendation score.
        5. Word of mouth: promoters recommend, detractors warn, along weighted ties.
        6. Partner referrals between businesses; partnerships follow reciprocity.
        7. Accounting: revenue, costs, cash; closures.
        8. Forgetting: all trust fades towards a stranger's.
        9. Measures.
        """
        self.week += 1
        shocks.run(self)
        outreach.run(self)
        buys = purchases.run(self)
        experience.run(self, buys)
        word_of_mouth.run(self)
        referred = partner_referrals.run(self, buys)
        money = accounting.run(self, buys)
        forgetting.run(self)
        self.recorder.record(buys, money, referred)
        self.datacollector.collect(self)
        if self.week >= self.run_config["steps"] or (self.closed_week >= 0).all():
            self.running = False  # the horizon, or every business has closed; stepping on is allowed

    def run(self, weeks: int | None = None, on_week: Callable[[int], Any] | None = None) -> None:
        """Run ``weeks`` weeks, or (``weeks`` None) until :attr:`running` turns False.

        ``running`` turns False at the scenario's horizon (``run.steps``) and when every business
        has closed. ``on_week(1)`` is called after each week.
        """
        done = 0
        while self.running if weeks is None else done < weeks:
            self.step()
            done += 1
            if on_week is not None:
                on_week(1)

    # ------------------------------------------------------------------ views and live changes
    @property
    def churn_window(self) -> np.ndarray:
        """Weeks without a purchase after which a customer has churned, per business."""
        return standing.churn_window(self)

    def active_mask(self) -> np.ndarray:
        """Customer x business: bought within the business's churn window, and it is open."""
        return self.last_purchase > standing.active_threshold(self)[None, :]

    @property
    def customers(self) -> AgentSet:
        """Customer agents (views of the arrays), created on first use: costly for large towns."""
        if self._customer_agents is None:
            self._customer_agents = AgentSet([], random=self.random)  # guards against re-entry
            self._customer_list = [Customer(self, i) for i in range(self.n_customers)]
            self._customer_agents = AgentSet(self._customer_list, random=self.random)
        return self._customer_agents

    @property
    def agents(self) -> AgentSet:
        """Every agent, Mesa's way; asking for them creates the customer agents (see :attr:`customers`)."""
        _ = self.customers
        return super().agents

    @property
    def agents_by_type(self) -> dict:
        """Agents by type, Mesa's way (``Business``, ``Customer``); creates the customer agents."""
        _ = self.customers
        return super().agents_by_type

    @property
    def businesses(self) -> list[Business]:
        """Business agents, in id order."""
        return self.business_agents

    def customer(self, index: int) -> Customer:
        """One customer's agent (creating the customer agents on first use)."""
        _ = self.customers
        return self._customer_list[index]

    def strategy_names(self) -> list[str]:
        """Strategy name of each business."""
        return [s.name for s in self.business_strategy]

    def business_index(self, business: str | int) -> int:
        """A business's id from its name or number."""
        if isinstance(business, int | np.integer):
            return int(business)
        if business in self.business_name:
            return self.business_name.index(business)
        if str(business).isdigit():
            return int(business)
        raise KeyError(f"no business {business!r}")

    def add_shock(self, shock: Shock) -> None:
        """Schedule a shock (the dashboard's buttons add one at the current week)."""
        if isinstance(shock, ChainStore) and not hasattr(shock, "slot"):
            row = chain_row(self, shock, self.n_businesses)
            add_businesses(self, [row])
            shock.slot = self.n_businesses - 1  # type: ignore[attr-defined]
        self.shocks.append(shock)

    def open_chain_store(self, shock: ChainStore) -> None:
        """Open the chain store slot reserved for ``shock``."""
        slot = shock.slot  # type: ignore[attr-defined]
        self.opens[slot] = min(self.opens[slot], self.week)

    def bad_review(self, business: int, trust_loss: float, reach: float) -> None:
        """A share ``reach`` of customers see a bad review and lose ``trust_loss`` of their trust."""
        rng = self.rngs["shocks"]
        k = rng.binomial(self.n_customers, reach)
        seen = rng.choice(self.n_customers, k, replace=False)
        self.trust[seen, business] *= np.float32(1.0 - trust_loss)


def warm_up() -> None:
    """Load (or, on a fresh install, compile) every compiled rule now, on a tiny town.

    The first call of each rule otherwise costs a fraction of a second (seconds when compiling);
    a sweep calls this before forking its workers so that they share the loaded code.
    """
    baseline = builtin_dirs()["scenarios"] / "baseline.toml"
    CommunityModel(load_scenario(baseline, ["population.customers=300", "run.steps=3"]), seed=1).run()
