"""The community growth model written the plain Mesa way: a speed baseline and a test oracle.

Every customer is a Python ``mesa.Agent`` holding its own state in dicts keyed by business id
(contact channel, trust, satisfaction, score, last recommendation, first and last purchase) and
sitting on a node of Mesa's ``Network`` space (built with ``layout=None``); every business is
an agent too. One :meth:`ReferenceModel.step` is one week, activated the usual Mesa way with
``AgentSet.shuffle_do`` (staged activation: one pass over the agents per stage)::

    1. shocks            model: demand and cost indices, lockdown, prices, openings
    2. outreach          businesses.shuffle_do("outreach")   ads, then community work
    3-4. purchases and   customers.shuffle_do("step")        needs, walk-ins, logit choice,
         experience                                          downturn cut-backs, experience,
                                                             trust, score, channel attribution
    5. word of mouth     customers.shuffle_do("listen")      talk to one tie: its recommendations
                                                             and warnings
    6. partner referrals businesses.shuffle_do("refer")
    7. accounting        businesses.do("account")            in id order, closures
    8. forgetting        customers.do("forget")              trust fades
    9. measures          businesses.do("record")

The rules are those of ``sim/core/model.py`` (``CommunityModel``), restated per agent with scalar
Python arithmetic, and the measures are those of ``sim/core/measures.py`` that a comparison needs:
``alive, customers_active, cumulative_customers, new_customers, new_from_<channel>, churned,
purchases, cut_backs, revenue, profit, cash, retention_rate, promoter_score, promoters,
detractors, partner_referrals_given``, one row per week x business (:meth:`ReferenceModel.table`).

Deliberate differences from the fast engine (``sim/core/model.py``), which the oracle test allows for:

* **Sequential against synchronous updates.** The fast engine updates every customer at once,
  stage by stage, from the state at the start of the stage. Here agents act one after another
  in a fresh random order each stage. Within the customer stages this changes nothing in
  distribution, because each stage is split so that an agent writes only its *own* state and
  reads only others' state that nobody writes in that stage (in ``listen`` a customer reads its
  neighbours' scores and last purchases, which only ``step`` writes). Where agents do write
  shared state it is order-dependent on purpose: in ``refer`` businesses go in random order, so
  trust that a cafe passes to a bakery can be passed on by the bakery to a caterer in the same
  week when the cafe happened to go first (the fast engine goes in id order). In ``account``
  businesses close in id order in both engines.
* **Random numbers.** One ``random.Random`` stream for the whole model, consumed in activation
  order, against the fast engine's named numpy streams. Runs of the two engines with the same
  seed are therefore different samples of the same process: compare means over many seeds,
  never single runs. Draws that the fast engine makes in bulk (binomial counts, then which
  customers) are made here as one Bernoulli trial per customer, which has the same
  distribution.
* **Population and network.** Customers draw their own budget, price sensitivity, values weight
  and needs from the same distributions with Python's ``random``. The network's ties come from
  the same generator as the fast engine (``sim.core.network.build_network``, a separate submodel,
  not the weekly rules compared here) and its named random stream, so for one seed both engines
  run on the same network; the ties are handed to Mesa's ``Network`` space as a networkx graph
  with a ``weight`` per tie.
* **Scope.** Chain-store shocks (which add a business during a run) are not supported and
  raise ``NotImplementedError``; the other shocks are. Measures the comparison does not need
  (lifetime value, social return, trust means, margins by channel) are not computed.

Word of mouth follows the fast engine's exact rule rather than a looser "each promoter tells
each neighbour" reading: a customer whose attention draw u is below q talks to one tie, chosen
in proportion to tie strength (with u / q), and hears about every business it promotes; next
week's ads reach customers with ``q <= u < q + reach_b``, so first contacts by ads and by word
of mouth stay mutually exclusive as in the Bass model.

Run from the repository root::

    python benchmarks/reference_mesa.py --customers 500 --weeks 52 --seed 1
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import mesa
import networkx as nx
import numpy as np
import pandas as pd
from mesa.agentset import AgentSet
from mesa.discrete_space import FixedAgent, Network

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.config.scenario import Scenario, business_names, load_scenario, scenario_from_dict  # noqa: E402
from sim.core.measures import RETENTION_WINDOW  # noqa: E402
from sim.core.network import build_network  # noqa: E402
from sim.core.shocks import ChainStore, shock_from_dict  # noqa: E402
from sim.core.strategies import Strategy  # noqa: E402
from sim.core.streams import stream  # noqa: E402
from sim.core.town import values_weight_beta  # noqa: E402

UNAWARE, AD, COMMUNITY, WORD_OF_MOUTH, REFERRAL, PARTNER, WALK_IN = range(7)
CHANNELS = ("ads", "community", "word_of_mouth", "referral", "partner", "walk_in")
COLUMNS = (
    "alive",
    "customers_active",
    "cumulative_customers",
    "new_customers",
    *(f"new_from_{c}" for c in CHANNELS),
    "churned",
    "purchases",
    "cut_backs",
    "revenue",
    "profit",
    "cash",
    "retention_rate",
    "promoter_score",
    "promoters",
    "detractors",
    "partner_referrals_given",
)


class ReferenceCustomer(FixedAgent):
    """One customer, with its own state, on one node of the network."""

    def __init__(self, model: ReferenceModel, index: int, hood: int) -> None:
        super().__init__(model)
        pop = model.population
        rnd = model.random
        self.index = index
        self.hood = hood
        s = pop["budget_spread"]
        self.budget = pop["budget_mean"] * rnd.lognormvariate(-s * s / 2, s)
        s = pop["price_sensitivity_spread"]
        self.price_sensitivity = pop["price_sensitivity_mean"] * rnd.lognormvariate(-s * s / 2, s)
        self.values_weight = rnd.betavariate(*model.values_beta)
        self.need = [
            min(freq * pop["need_scale"], 1.0) if rnd.random() < pop["category_participation"] else 0.0
            for freq in model.category_frequency
        ]
        self.patron = [-1] * model.n_categories
        self.contact: dict[int, int] = {}
        self.acquired: dict[int, int] = {}
        self.trust: dict[int, float] = {}
        self.satisfaction: dict[int, float] = {}
        self.score: dict[int, int] = {}
        self.last_recommendation: dict[int, int] = {}
        self.recommended_by_weak_tie: dict[int, bool] = {}
        self.first_purchase: dict[int, int] = {}
        self.last_purchase: dict[int, int] = {}
        self.attention = rnd.random()
        self.ties: list[tuple[ReferenceCustomer, float, bool]] = []

    # --- helpers ------------------------------------------------------------------------
    def get_trust(self, b: int) -> float:
        """Trust in business ``b`` (a stranger's trust before any contact)."""
        return self.trust.get(b, self.model.initial_trust)

    def make_contact(self, b: int, channel: int, trust_gain: float) -> None:
        """Hear of business ``b`` (the first channel is kept) and gain trust towards 1."""
        if self.contact.get(b, UNAWARE) == UNAWARE:
            self.contact[b] = channel
        t = self.get_trust(b)
        self.trust[b] = t + trust_gain * (1.0 - t)

    # --- stages 3 and 4 -------------------------------------------------------------------
    def step(self) -> None:
        """Buy what is needed this week, experience it, and report to the businesses."""
        m = self.model
        beh = m.beh
        rnd = m.random
        purchases = []
        for k in range(m.n_categories):
            u = rnd.random()
            shops = m.open_shops[k]
            if not shops or u >= self.need[k]:
                continue
            known = [b for b in shops if self.contact.get(b, UNAWARE) != UNAWARE]
            if not known:
                # A customer who knows no open shop may walk into one, nearby first.
                if rnd.random() < m.walk_in:
                    weights = [(1.0 if m.businesses_by_id[b].hood == self.hood else 0.0) + 0.1 for b in shops]
                    b = rnd.choices(shops, weights)[0]
                    if self.contact.get(b, UNAWARE) == UNAWARE:
                        self.contact[b] = WALK_IN
                    purchases.append(b)
                continue
            budget_scale = m.budget_mean / self.budget
            best, best_u = -1, -math.inf
            for b in known:
                biz = m.businesses_by_id[b]
                util = (
                    beh["quality_weight"] * biz.quality
                    - self.price_sensitivity * budget_scale * biz.price / biz.usual_price
                    + beh["trust_weight"] * self.values_weight * self.get_trust(b)
                    + beh["habit_weight"] * (self.patron[k] == b)
                    - math.log(-math.log(rnd.random() or 1e-300))
                )
                if util > best_u:
                    best, best_u = b, util
            if m.demand_index < 1.0:
                t = self.get_trust(best)
                p_cut = (1.0 - m.demand_index) * (1.0 - beh["trust_resilience"] * t)
                if rnd.random() < p_cut:
                    m.businesses_by_id[best].cut_backs += 1
                    continue
            purchases.append(best)
        for b in purchases:
            self.experience(m.businesses_by_id[b])
        # Measures of this week (purchases no longer change this week).
        for b, last in self.last_purchase.items():
            biz = m.businesses_by_id[b]
            if last > m.week - biz.churn_window:
                biz.customers_active += 1
                score = self.score.get(b, -1)
                if score >= 9:
                    biz.promoters += 1
                elif 0 <= score <= 6:
                    biz.detractors += 1
                biz.scored += score >= 0
            elif last == m.week - biz.churn_window:
                biz.churned += 1

    def experience(self, biz: ReferenceBusiness) -> None:
        """Satisfaction, trust (slow up, fast down), score, and the first purchase's channel."""
        m = self.model
        beh = m.beh
        b = biz.index
        returning = b in self.first_purchase
        biz.returning += returning
        e = (
            biz.quality
            + beh["personalisation_gain"] * biz.personalisation_level * returning
            - beh["price_disappointment"] * max(0.0, biz.price / biz.usual_price - 1.0)
        )
        if beh["experience_noise"]:
            e += m.random.gauss(0.0, beh["experience_noise"])
        e = min(max(e, 0.0), 1.0)
        t = self.get_trust(b)
        t += (beh["trust_up"] if e > t else beh["trust_down"]) * (e - t)
        self.trust[b] = t
        self.satisfaction[b] = e
        w = beh["score_trust_weight"]
        self.score[b] = min(max(round(10.0 * ((1 - w) * e + w * t)), 0), 10)
        # Retention and win-back events (measures only): read before this purchase changes anything.
        was = self.patron[biz.category]
        if was >= 0:
            m.businesses_by_id[was].repeat_chances += 1
            biz.repeats += was == b
        for o in m.open_shops[biz.category]:
            if o != was and o in self.acquired:
                m.businesses_by_id[o].winback_chances += 1
                biz.winbacks += o == b
        if not returning:
            # A recent recommendation makes the first purchase a referral when a strong tie
            # made it, word of mouth when a weak tie did.
            recent = self.last_recommendation.get(b, -1)
            if recent >= 0 and m.week - recent <= beh["referral_window"]:
                channel = WORD_OF_MOUTH if self.recommended_by_weak_tie.get(b, False) else REFERRAL
            else:
                channel = self.contact.get(b, UNAWARE)
            self.acquired[b] = channel
            self.first_purchase[b] = m.week
            biz.new_customers += 1
            biz.cumulative_customers += 1
            if channel > 0:
                biz.new_by_channel[channel - 1] += 1
        self.last_purchase[b] = m.week
        self.patron[biz.category] = b
        biz.revenue += biz.price
        biz.units += 1
        biz.served.append(self)

    # --- stage 5 --------------------------------------------------------------------------
    def listen(self) -> None:
        """Talk to one tie and hear its recommendations; maybe hear another tie's warnings."""
        m = self.model
        beh = m.beh
        rnd = m.random
        since = m.active_since
        u = rnd.random()
        self.attention = u
        q = beh["word_of_mouth"]
        if u < q:
            other, weak = self.pick_tie(u / q)
            if other is not None:
                for b, score in other.score.items():
                    if score >= 9 and other.last_purchase[b] > since[b] and m.businesses_by_id[b].alive:
                        self.make_contact(b, WORD_OF_MOUTH, beh["word_of_mouth_trust"])
                        self.last_recommendation[b] = m.week
                        if b not in self.first_purchase:
                            self.recommended_by_weak_tie[b] = weak
        q = beh["negative_word_of_mouth"]
        w = rnd.random()
        if w < q:
            other, _ = self.pick_tie(w / q)
            if other is not None:
                for b, score in other.score.items():
                    if 0 <= score <= 6 and other.last_purchase[b] > since[b] and m.businesses_by_id[b].alive:
                        self.trust[b] = self.get_trust(b) * (1.0 - beh["warning_trust_loss"])

    def pick_tie(self, v: float) -> tuple[ReferenceCustomer | None, bool]:
        """The tie to talk to, chosen in proportion to tie strength with uniform ``v``."""
        cum = 0.0
        for other, share, weak in self.ties:
            cum += share
            if v < cum:
                return other, weak
        if self.ties:
            return self.ties[-1][0], self.ties[-1][2]
        return None, False

    # --- stage 8 --------------------------------------------------------------------------
    def forget(self) -> None:
        """Trust fades towards a stranger's."""
        m = self.model
        f = m.beh["forgetting"]
        if f > 0:
            t0 = m.initial_trust
            for b, t in self.trust.items():
                self.trust[b] = t + f * (t0 - t)


class ReferenceBusiness(mesa.Agent):
    """One business: outreach, partner referrals, accounting, and its weekly counters."""

    def __init__(
        self,
        model: ReferenceModel,
        index: int,
        row: dict[str, Any],
        strategy: Strategy,
        category: int,
        cat: dict[str, Any],
    ) -> None:
        super().__init__(model)
        self.index = index
        self.name = row["name"]
        self.strategy = strategy
        self.category = category
        self.hood = row["neighbourhood"]
        self.usual_price = cat["price"] if row["price"] <= 0 else row["price"]
        self.price = self.usual_price
        # Each business draws its own quality around its group's.
        drawn = row["quality"] + row.get("quality_spread", 0.0) * model.random.gauss(0.0, 1.0)
        self.quality = min(max(drawn, 0.0), 1.0)
        self.unit_cost = cat["unit_cost"] if row["unit_cost"] < 0 else row["unit_cost"]
        self.fixed_cost = cat["fixed_cost"] if row["fixed_cost"] < 0 else row["fixed_cost"]
        # Negative cash or credit line: sized from the fixed costs (weeks of reserve; 4 weeks).
        reserve = row.get("reserve_weeks", 13.0)
        self.cash = row["cash"] if row["cash"] >= 0 else reserve * self.fixed_cost
        self.credit_line = row["credit_line"] if row["credit_line"] >= 0 else 4.0 * self.fixed_cost
        self.opens = row["opens"]
        # A customer who has not bought for ``active_window`` of the category's purchase
        # intervals (at least 4 weeks) has churned.
        freq = cat["frequency"] * model.population["need_scale"]
        weeks = model.eco["active_window"] / max(freq, 1e-9)
        self.churn_window = int(min(max(math.ceil(weeks), 4), 32000))
        self.alive = False
        self.closed_week = -1
        self.weeks_below = 0
        self.consistency = 0.0
        self.engagement = 0.0
        self.personalisation_level = 0.0
        self.referral_level = 0.0
        self.hours_used = 0.0
        self.returning = 0
        self.returning_last = 0
        self.history: list[dict[str, float]] = []
        self.cumulative_customers = 0
        self.profit = 0.0
        self.reset_counters()

    def reset_counters(self) -> None:
        """Zero this week's counters (last week's returning purchases are kept for the owner's plan)."""
        self.returning_last = getattr(self, "returning", 0)
        self.referrals_last = getattr(self, "referrals_given", 0)
        self.returning = 0
        self.revenue = 0.0
        self.units = 0
        self.cut_backs = 0
        self.new_customers = 0
        self.new_by_channel = [0] * len(CHANNELS)
        self.customers_active = 0
        self.churned = 0
        self.repeat_chances = self.repeats = self.winback_chances = self.winbacks = 0
        self.promoters = 0
        self.detractors = 0
        self.scored = 0
        self.referrals_given = 0
        self.served: list[ReferenceCustomer] = []

    # --- stage 2 --------------------------------------------------------------------------
    def plan(self) -> None:
        """The owner's hours this week: each lever asks, all scale down to fit ``owner_hours``."""
        m = self.model
        eco, s = m.eco, self.strategy
        self.engagement = self.personalisation_level = self.referral_level = self.hours_used = 0.0
        if not self.alive:
            return
        intensity = 0.0 if m.lockdown else s.engagement_intensity(m.week)
        memory = max(s.consistency_memory, 1)
        self.consistency += (float(intensity > 0) - self.consistency) / memory
        partners = 0
        if s.seeks_partners:
            for c in m.partners_of[self.index]:
                if m.businesses_by_id[c].alive and m.partner_willingness[self.index][c] > 0.5:
                    partners += 1
        asked = (
            s.community_time * intensity * eco["owner_hours"]
            + s.personalisation * eco["personalisation_minutes"] / 60.0 * self.returning_last
            + eco["partner_hours"] * partners
            + eco["referral_minutes"] / 60.0 * self.referrals_last
        )
        share = eco["owner_hours"] / asked if asked > eco["owner_hours"] else 1.0
        self.engagement = s.community_time * intensity * share
        self.personalisation_level = s.personalisation * share
        self.referral_level = s.partner_referrals * share
        self.hours_used = asked * share

    def outreach(self) -> None:
        """Ads reach random customers; community work reaches the home neighbourhood first."""
        self.plan()
        if not self.alive:
            return
        m = self.model
        beh = m.beh
        b = self.index
        reach = -math.expm1(-self.strategy.ad_budget / (m.eco["ad_cost_per_reach"] * m.n_customers))
        if reach > 0:
            q = beh["word_of_mouth"]
            for c in m.customer_list:
                if q <= c.attention < q + reach:
                    c.make_contact(b, AD, beh["ad_trust"])
        if self.engagement <= 0:
            return
        people = beh["community_reach"] * self.engagement * m.eco["owner_hours"]
        home = m.hood_sizes[self.hood]
        away = m.n_customers - home
        p_home = -math.expm1(-people / home) if home else 0.0
        p_away = -math.expm1(-people * beh["community_spillover"] / away) if away else 0.0
        gain = beh["community_trust"] * self.consistency
        rnd = m.random
        for c in m.customer_list:
            if rnd.random() < (p_home if c.hood == self.hood else p_away):
                c.make_contact(b, COMMUNITY, gain)

    # --- stage 6 --------------------------------------------------------------------------
    def refer(self) -> None:
        """Send some of this week's customers to partners, passing on part of their trust."""
        m = self.model
        b = self.index
        rate = self.referral_level
        if not self.alive or rate <= 0 or not self.served:
            return
        rnd = m.random
        for c in m.partners_of[b]:
            if not m.businesses_by_id[c].alive:
                continue
            p = rate * m.partner_willingness[b][c]
            if p <= 0:
                continue
            sent = [cust for cust in self.served if rnd.random() < p]
            if not sent:
                continue
            m.given[b][c] = len(sent)
            self.referrals_given += len(sent)
            for cust in sent:
                cust.make_contact(c, PARTNER, 0.0)
                cust.trust[c] = max(cust.get_trust(c), m.beh["partner_trust"] * cust.get_trust(b))

    # --- stage 7 --------------------------------------------------------------------------
    def account(self) -> None:
        """Revenue, costs and cash; close after ``closure_weeks`` below the credit line."""
        m = self.model
        alive = 1.0 if self.alive else 0.0
        goods = self.units * self.unit_cost * self.usual_price * m.cost_index
        fixed = self.fixed_cost * m.cost_index * alive
        ads = self.strategy.ad_budget * alive
        owner_time = self.hours_used * m.eco["owner_week_value"] / m.eco["owner_hours"] * alive
        self.profit = self.revenue - goods - fixed - ads - owner_time
        self.cash += self.profit
        below = self.alive and self.cash < -self.credit_line
        self.weeks_below = self.weeks_below + 1 if below else 0
        if self.weeks_below >= m.eco["closure_weeks"]:
            m.close(self)

    def maybe_exit(self) -> None:
        """An open business's owner may give up for reasons outside the model."""
        if self.alive and self.model.random.random() < self.model.eco.get("owner_exit", 0.0):
            self.model.close(self)

    # --- stage 8 --------------------------------------------------------------------------
    def record(self) -> None:
        """Append this week's measures and reset the counters."""
        m = self.model
        row: dict[str, float] = {
            "step": m.week,
            "alive": self.alive,
            "customers_active": self.customers_active,
            "cumulative_customers": self.cumulative_customers,
            "new_customers": self.new_customers,
            "churned": self.churned,
            "purchases": self.units,
            "cut_backs": self.cut_backs,
            "revenue": self.revenue,
            "profit": self.profit,
            "cash": self.cash,
            "promoters": self.promoters,
            "detractors": self.detractors,
            "partner_referrals_given": self.referrals_given,
            "repeat_chances": self.repeat_chances,
            "repeats": self.repeats,
        }
        for name, count in zip(CHANNELS, self.new_by_channel, strict=True):
            row[f"new_from_{name}"] = count
        row["promoter_score"] = (
            100.0 * (self.promoters - self.detractors) / self.scored if self.scored else math.nan
        )
        # Retention over the last quarter: of the purchases in the category by customers whose
        # previous one there was from this business, the share made here again.
        hist = self.history
        t = len(hist)
        lo = max(0, t - RETENTION_WINDOW + 1)
        chances = sum(h["repeat_chances"] for h in hist[lo:]) + self.repeat_chances
        repeats = sum(h["repeats"] for h in hist[lo:]) + self.repeats
        row["retention_rate"] = repeats / chances if chances > 0 else math.nan
        hist.append(row)
        self.reset_counters()


class ReferenceModel(mesa.Model):
    """The plain-Mesa community model: one agent object per customer and per business.

    Args:
        scenario: a validated :class:`~sim.config.scenario.Scenario` or a raw scenario dict.
        seed: seed of every random draw (defaults to the scenario's ``run.seed``).
    """

    def __init__(self, scenario: Scenario | dict, seed: int | None = None) -> None:
        if not isinstance(scenario, Scenario):
            scenario = scenario_from_dict(scenario)
        data = scenario.data
        seed = int(data["run"]["seed"] if seed is None else seed)
        super().__init__(rng=seed)
        self.week = 0
        self.steps = data["run"]["steps"]
        self.beh = data["behaviour"]
        self.eco = data["economy"]
        self.population = pop = data["population"]
        self.budget_mean = pop["budget_mean"]
        self.initial_trust = self.beh["initial_trust"]
        self.walk_in = self.eco["walk_in"]
        self.shocks = [shock_from_dict(s) for s in data["shocks"]]
        if any(isinstance(s, ChainStore) for s in self.shocks):
            raise NotImplementedError("the reference engine does not model chain-store shocks")
        self.demand_index = self.cost_index = 1.0
        self.lockdown = False
        self.n_customers = n = pop["customers"]
        self.n_neighbourhoods = min(pop["neighbourhoods"], n)

        used = {b["category"] for b in data["businesses"]}
        self.category_names = [c for c in data["categories"] if c in used]
        cats = data["categories"]
        self.n_categories = len(self.category_names)
        self.category_frequency = [cats[c]["frequency"] for c in self.category_names]
        self.values_beta = values_weight_beta(pop["values_weight_share"], pop["values_weight_concentration"])

        # The network: ties from the shared generator, as a networkx graph in Mesa's space.
        t0 = time.perf_counter()
        net = build_network(data["network"], pop, stream(seed, "network"))
        if net.weights is None:
            raise NotImplementedError("the reference engine needs explicit ties")
        if net.kind == "edge_list":
            raise NotImplementedError("the reference engine does not read edge lists")
        self.hood_sizes = np.bincount(net.neighbourhood, minlength=self.n_neighbourhoods).tolist()
        w = np.where(net.weak, data["network"]["weak_tie_weight"], 1.0)
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        for a, b, weight, weak in zip(
            net.sources.tolist(), net.targets.tolist(), w.tolist(), net.weak.tolist(), strict=True
        ):
            graph.add_edge(a, b, weight=weight, weak=weak)
        self.space = Network(graph, random=self.random, layout=None)
        self.customer_list = []
        for i in range(n):
            agent = ReferenceCustomer(self, i, int(net.neighbourhood[i]))
            agent.cell = self.space[i]
            self.customer_list.append(agent)
        for agent in self.customer_list:
            cell_ties = [(other, graph[agent.index][other.index]) for other in agent.cell.neighborhood.agents]
            total = sum(tie["weight"] for _, tie in cell_ties)
            agent.ties = [(other, tie["weight"] / total, tie["weak"]) for other, tie in cell_ties]
        self.network_build_s = time.perf_counter() - t0
        self.customers = AgentSet(self.customer_list, random=self.random)

        # Businesses: groups in order, homes spread over the neighbourhoods.
        strategies = {
            name: Strategy(name=name, **{k: v for k, v in vals.items() if k != "extends"})
            for name, vals in data["strategies"].items()
        }
        names = business_names(data["businesses"])
        cat_index = {c: i for i, c in enumerate(self.category_names)}
        self.business_list: list[ReferenceBusiness] = []
        cycle = 0
        for group in data["businesses"]:
            for _ in range(group["count"]):
                hood = group["neighbourhood"]
                if hood < 0:
                    hood, cycle = cycle % self.n_neighbourhoods, cycle + 1
                row = dict(group, neighbourhood=hood, name=names[len(self.business_list)])
                self.business_list.append(
                    ReferenceBusiness(
                        self,
                        len(self.business_list),
                        row,
                        strategies[group["strategy"]],
                        cat_index[group["category"]],
                        cats[group["category"]],
                    )
                )
        self.businesses_by_id = self.business_list
        self.businesses = AgentSet(self.business_list, random=self.random)
        self.open_shops: list[list[int]] = [[] for _ in range(self.n_categories)]
        self._set_partners(cats)

    def _set_partners(self, cats: dict[str, Any]) -> None:
        nb = len(self.business_list)
        self.partners_of: list[list[int]] = [[] for _ in range(nb)]
        for a in self.business_list:
            for c in self.business_list:
                if a is c or not (a.strategy.seeks_partners and c.strategy.seeks_partners):
                    continue
                ca, cc = self.category_names[a.category], self.category_names[c.category]
                if self.eco["partners"] == "any_other":
                    ok = ca != cc
                else:
                    ok = cc in cats[ca]["partners_with"] or ca in cats[cc]["partners_with"]
                if ok:
                    self.partners_of[a.index].append(c.index)
        self.partner_willingness = [
            [1.0 if c in self.partners_of[b] else 0.0 for c in range(nb)] for b in range(nb)
        ]
        self.given_ewma = [[0.0] * nb for _ in range(nb)]
        self.served_ewma = [0.0] * nb
        self.given = [[0] * nb for _ in range(nb)]

    def close(self, biz: ReferenceBusiness) -> None:
        """Close a business: its regulars must choose anew."""
        biz.alive = False
        biz.closed_week = self.week
        for c in self.customer_list:
            if c.patron[biz.category] == biz.index:
                c.patron[biz.category] = -1

    # --- the week ---------------------------------------------------------------------------
    def step(self) -> None:
        """One week, stage by stage (see the module docstring)."""
        self.week += 1
        self._apply_shocks()
        self.businesses.shuffle_do("outreach")
        self.customers.shuffle_do("step")
        self.customers.shuffle_do("listen")
        nb = len(self.business_list)
        self.given = [[0] * nb for _ in range(nb)]
        self.businesses.shuffle_do("refer")
        self._reciprocity()
        self.businesses.do("account")
        self.businesses.do("maybe_exit")
        self.customers.do("forget")
        self.businesses.do("record")

    def _apply_shocks(self) -> None:
        w = self.week
        for shock in self.shocks:
            if shock.start == w and shock.kind == "viral_bad_review":
                self._bad_review(shock)
        self.demand_index = math.prod(s.demand_factor(w) for s in self.shocks)
        self.cost_index = math.prod(s.cost_factor(w) for s in self.shocks)
        self.lockdown = any(s.stops_engagement(w) for s in self.shocks)
        for biz in self.business_list:
            if not biz.alive and biz.opens <= w and biz.closed_week < 0:
                biz.alive = True
            if biz.alive:
                biz.price = biz.strategy.price(biz.usual_price, self.demand_index)
        self.active_since = [self.week - b.churn_window for b in self.business_list]
        for k in range(self.n_categories):
            self.open_shops[k] = [b.index for b in self.business_list if b.alive and b.category == k]

    def _bad_review(self, shock: Any) -> None:
        names = [b.name for b in self.business_list]
        b = names.index(shock.business) if shock.business in names else int(shock.business)
        for c in self.customer_list:
            if self.random.random() < shock.reach:
                c.trust[b] = c.get_trust(b) * (1.0 - shock.trust_loss)

    def _reciprocity(self) -> None:
        """Each business compares a partner's referral rate with its own (fast engine's rule)."""
        nb = len(self.business_list)
        lr = self.beh["partner_learning"]
        for b, biz in enumerate(self.business_list):
            self.served_ewma[b] += 0.1 * (biz.units - self.served_ewma[b])
            for c in range(nb):
                self.given_ewma[b][c] += 0.1 * (self.given[b][c] - self.given_ewma[b][c])
        rate = [
            [self.given_ewma[b][c] / max(self.served_ewma[b], 1e-9) for c in range(nb)] for b in range(nb)
        ]
        for b, biz in enumerate(self.business_list):
            for c in self.partners_of[b]:
                if not (biz.alive and self.business_list[c].alive) or rate[b][c] <= 0:
                    continue
                ratio = min(1.0, rate[c][b] / max(rate[b][c], 1e-12))
                self.partner_willingness[b][c] += lr * (ratio - self.partner_willingness[b][c])

    def run(self, weeks: int | None = None) -> None:
        """Run ``weeks`` weeks (default: the scenario's ``run.steps``)."""
        for _ in range(self.steps if weeks is None else weeks):
            self.step()

    def table(self) -> pd.DataFrame:
        """One row per week x business, in (step, business_id) order, like the fast engine's."""
        rows = []
        for biz in self.business_list:
            for h in biz.history:
                rows.append(
                    {
                        "step": h["step"],
                        "business_id": biz.index,
                        "business": biz.name,
                        "strategy": biz.strategy.name,
                        "category": self.category_names[biz.category],
                        **{c: h[c] for c in COLUMNS},
                    }
                )
        df = pd.DataFrame(rows).sort_values(["step", "business_id"], kind="stable")
        opens = np.array([b.opens for b in self.business_list])
        opened = df["step"].to_numpy() >= opens[df["business_id"].to_numpy()]
        df = df[opened | df["alive"].to_numpy()].reset_index(drop=True)
        df["alive"] = df["alive"].astype(bool)
        return df


def simulate_reference(scenario: Scenario, seed: int, steps: int | None = None) -> pd.DataFrame:
    """Run the reference engine for ``steps`` weeks and return its business x week table."""
    model = ReferenceModel(scenario, seed=seed)
    model.run(steps)
    return model.table()


def main(argv: list[str] | None = None) -> int:
    """Run the reference engine once and print per-strategy totals and its speed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    ap.add_argument("--customers", type=int, default=500)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    scenario = load_scenario(
        args.scenario,
        [f"population.customers={args.customers}", f"run.steps={args.weeks}", *args.set],
    )
    t0 = time.perf_counter()
    model = ReferenceModel(scenario, seed=args.seed)
    t1 = time.perf_counter()
    model.run(args.weeks)
    t2 = time.perf_counter()
    df = model.table()
    print(
        df.groupby("strategy")[["revenue", "customers_active", "new_customers", "new_from_referral"]]
        .sum()
        .to_string()
    )
    print(
        f"build {t1 - t0:.2f} s, {args.weeks} weeks {t2 - t1:.2f} s, "
        f"{args.customers * args.weeks / (t2 - t1):,.0f} customer-weeks/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
