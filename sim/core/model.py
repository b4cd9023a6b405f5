"""The community growth model: a Mesa model whose weekly rules run on whole-population arrays.

State lives in numpy arrays held by the model (customers, businesses, and customer x business
pairs); :class:`~sim.core.agents.Customer` and :class:`~sim.core.agents.Business` are Mesa agents that
view it. One :meth:`CommunityModel.step` is one week, in the order of DESIGN.md section 2
(see :meth:`CommunityModel.step`). Units: weeks, currency, probabilities per week.

Randomness: one seed in, named streams out. Each mechanism draws from its own generator,
derived from the seed and the mechanism's name with ``numpy.random.SeedSequence``, so a draw
added to one mechanism does not shift the others, and two arms run with the same seed share
their random numbers wherever they do the same thing.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
from mesa.agentset import AgentSet
from scipy.optimize import brentq
from scipy.stats import beta as beta_dist

from sim.config.scenario import Scenario, business_names, scenario_from_dict
from sim.core import kernels, measures, memory, parallel
from sim.core.agents import Business, Customer
from sim.core.measures import CHANNELS
from sim.core.network import build_network
from sim.core.shocks import ChainStore, Shock, shock_from_dict
from sim.core.strategies import BUILT_IN, Strategy

# Channel codes in the arrays: 0 not aware / not a customer, then measures.CHANNELS in order.
UNAWARE, AD, COMMUNITY, WORD_OF_MOUTH, REFERRAL, PARTNER, WALK_IN = range(len(CHANNELS) + 1)

NEVER = np.int16(-1)
STREAMS = (
    "population",
    "network",
    "businesses",
    "word_of_mouth",
    "warnings",
    "shocks",
    "owner_exit",
)
"""Named random streams; needs, choice, cut-back, walk-in and experience have one stream per
category, community work and partner referrals one per business."""


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator of one named mechanism for ``seed`` (stable across versions and arms)."""
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(zlib.crc32(name.encode()),)))


def sent_positions(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Which of ``n`` customers (positions 0 to n - 1) are picked, each independently with probability ``p``.

    The gaps between picks are geometric, so the draws number about n p, not n: drawn in
    batches of about n p, the last one partly unused.
    """
    if p >= 1.0:
        return np.arange(n)
    picked, end = [], -1
    batch = int(n * p + 3 * np.sqrt(n * p)) + 4
    while True:
        ends = end + np.cumsum(rng.geometric(p, batch))
        picked.append(ends[ends < n])
        if ends[-1] >= n:
            return np.concatenate(picked)
        end = int(ends[-1])


def values_weight_beta(share: float, concentration: float) -> tuple[float, float]:
    """Beta(a, b) parameters with ``a + b = concentration`` and P(weight >= 0.5) = ``share``."""
    if share <= 0.0:
        return 1e-3, concentration
    if share >= 1.0:
        return concentration, 1e-3

    def gap(mean: float) -> float:
        a, b = mean * concentration, (1 - mean) * concentration
        return beta_dist.sf(0.5, a, b) - share

    mean = brentq(gap, 1e-6, 1 - 1e-6)
    return mean * concentration, (1 - mean) * concentration


class CommunityModel(mesa.Model):
    """A town of customers and small businesses, one step per week.

    Args:
        scenario: a validated :class:`~sim.config.scenario.Scenario` or a raw scenario dict.
        seed: seed of every random draw (defaults to the scenario's ``run.seed``).
        strategies: optional strategy objects by name, overriding the scenario's (for Python
            subclasses of :class:`~sim.core.strategies.Strategy`).
    """

    def __init__(
        self,
        scenario: Scenario | dict,
        seed: int | None = None,
        strategies: dict[str, Strategy] | None = None,
    ) -> None:
        if not isinstance(scenario, Scenario):
            scenario = scenario_from_dict(scenario)
        self.config = scenario
        data = scenario.data
        seed = int(data["run"]["seed"] if seed is None else seed)
        super().__init__(rng=seed)
        self.seed = seed
        self.rngs = {name: stream(seed, name) for name in STREAMS}
        self._named_rngs: dict[str, Any] = {}
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
        self._build_categories(data)
        self._build_customers(data)
        self.network = build_network(data["network"], data["population"], self.rngs["network"])
        self.neighbourhood = self.network.neighbourhood
        self._hood_sizes = np.bincount(self.neighbourhood, minlength=self.n_neighbourhoods)
        self._hood_starts = np.concatenate([[0], np.cumsum(self._hood_sizes)[:-1]])
        self._strategy_objects = self._build_strategies(data, strategies or {})
        self._build_businesses(data)
        self._customer_agents: AgentSet | None = None
        self.standing: dict[str, np.ndarray] | None = None
        """This week's active customers, promoters, detractors and lapses per business (stage 5)."""
        self.trust_held = np.zeros(self.n_businesses)
        """Trust held by each business's aware customers at the end of the week (after fading)."""
        self.recorder = measures.Recorder(self)

    # ------------------------------------------------------------------ construction
    def _build_categories(self, data: dict[str, Any]) -> None:
        used = {b["category"] for b in data["businesses"]} | {
            s["category"] for s in data["shocks"] if s["kind"] == "chain_store"
        }
        self.category_names = [c for c in data["categories"] if c in used]
        self.categories = {c: data["categories"][c] for c in self.category_names}
        self.n_categories = len(self.category_names)

    def _build_customers(self, data: dict[str, Any]) -> None:
        pop = data["population"]
        rng = self.rngs["population"]
        n = self.n_customers = pop["customers"]
        self.n_neighbourhoods = min(pop["neighbourhoods"], n)
        self.budget = (
            pop["budget_mean"] * rng.lognormal(-(pop["budget_spread"] ** 2) / 2, pop["budget_spread"], n)
        ).astype(np.float32)
        ps = pop["price_sensitivity_spread"]
        self.price_sensitivity = (pop["price_sensitivity_mean"] * rng.lognormal(-(ps**2) / 2, ps, n)).astype(
            np.float32
        )
        self.price_weight = self.price_sensitivity * (pop["budget_mean"] / self.budget)
        """Weight of price in each customer's choice: sensitivity scaled by budget_mean / budget."""
        a, b = values_weight_beta(pop["values_weight_share"], pop["values_weight_concentration"])
        self.values_weight = rng.beta(a, b, n).astype(np.float32)
        needs = rng.random((n, self.n_categories)) < pop["category_participation"]
        self._category_frequency = np.array([self.categories[c]["frequency"] for c in self.category_names])
        self.need_frequency = (needs * self._need_probability()[None, :]).astype(np.float32)
        """Probability per week that a customer needs a category: 0 for those who never do."""
        self.next_need = np.empty((n, self.n_categories), dtype=np.int32)
        for k in range(self.n_categories):
            self.next_need[:, k] = self._first_needs(k, needs[:, k], after=0)
        """Week of each customer's next need in each category (kernels.NEVER_WEEKS: none)."""
        self.patron = np.full((n, self.n_categories), -1, dtype=np.int32)
        # "Attention" draw shared by ads and word of mouth so that their first contacts are
        # mutually exclusive within a week (the Bass hazard p + qF is then exact).
        self._contact_u = self.rngs["word_of_mouth"].random(n).astype(np.float32)

    def _need_probability(self) -> np.ndarray:
        """Per category: probability per week that a customer who takes part needs it."""
        scale = self.config.data["population"]["need_scale"]
        return np.minimum(self._category_frequency * scale, 1.0)

    def _first_needs(self, k: int, takes_part: np.ndarray, after: int) -> np.ndarray:
        """Week of each customer's first need in category k after week ``after``.

        Needs come with probability p per week, so the weeks between them are geometric: drawn
        once per need (``kernels.need_gap``) rather than once per customer every week.
        """
        u = self._category_streams(k)[4].random(self.n_customers)
        weeks = np.minimum(after + kernels.need_gaps(u, self._need_probability()[k]), kernels.NEVER_WEEKS)
        return np.where(takes_part, weeks, kernels.NEVER_WEEKS).astype(np.int32)

    def _build_strategies(self, data: dict[str, Any], given: dict[str, Strategy]) -> dict[str, Strategy]:
        out = {}
        for name, vals in data["strategies"].items():
            params = {k: v for k, v in vals.items() if k != "extends"}
            out[name] = given.get(name) or Strategy(name=name, **params)
        for name, obj in given.items():
            out.setdefault(name, obj)
        return out

    def _build_businesses(self, data: dict[str, Any]) -> None:
        rows = []
        names = business_names(data["businesses"])
        hood_cycle = 0
        for group in data["businesses"]:
            for _ in range(group["count"]):
                if group["neighbourhood"] >= 0:
                    hood = group["neighbourhood"]
                else:
                    hood = hood_cycle % self.n_neighbourhoods
                    hood_cycle += 1
                rows.append(dict(group, neighbourhood=hood, name=names[len(rows)]))
        for shock in self.shocks:
            if isinstance(shock, ChainStore):
                rows.append(self._chain_row(shock, len(rows)))
                shock.slot = len(rows) - 1  # type: ignore[attr-defined]
        self.n_businesses = 0
        self.business_name: list[str] = []
        self.business_strategy: list[Strategy] = []
        self.business_category = np.zeros(0, dtype=np.int32)
        for arr in (
            "usual_price",
            "quality",
            "unit_cost",
            "fixed_cost",
            "cash",
            "credit_line",
            "consistency",
            "price",
        ):
            setattr(self, arr, np.zeros(0, dtype=np.float64))
        self.business_hood = np.zeros(0, dtype=np.int32)
        self.opens = np.zeros(0, dtype=np.int32)
        self.alive = np.zeros(0, dtype=bool)
        self.closed_week = np.zeros(0, dtype=np.int32)
        self.exit_reason: list[str] = []
        self.weeks_below = np.zeros(0, dtype=np.int32)
        n = self.n_customers
        self.contact = np.zeros((n, 0), dtype=np.int8)
        self.acquired = np.zeros((n, 0), dtype=np.int8)
        self.trust = np.zeros((n, 0), dtype=np.float32)
        self.score = np.zeros((n, 0), dtype=np.int8)
        self.last_recommendation = np.zeros((n, 0), dtype=np.int16)
        self.recommended_by_weak_tie = np.zeros((n, 0), dtype=bool)
        self.first_purchase = np.zeros((n, 0), dtype=np.int16)
        self.last_purchase = np.zeros((n, 0), dtype=np.int16)
        self.purchase_book = np.zeros((3, 0, int(self.run_config["steps"]) + 2), dtype=np.int64)
        """Customers by business and week of their last purchase from it: all of them, then those
        whose score makes them promoters (9-10), then detractors (0-6). Kept up to date by stage 4,
        it gives stage 5's counts of active customers without a pass over the town."""
        self.partner_willingness = np.zeros((0, 0))
        self.referrals_given = np.zeros((0, 0))
        self._given_ewma = np.zeros((0, 0))
        self._served_ewma = np.zeros(0)
        self.margin_by_channel = np.zeros((0, len(CHANNELS) + 1))
        self.contact_counts = np.zeros((0, len(CHANNELS) + 1), dtype=np.int64)
        """First contacts made so far, business x channel code."""
        self.customers_won = np.zeros(0, dtype=np.int64)
        """Distinct customers who have bought, per business."""
        self.new_by_channel = np.zeros((0, len(CHANNELS) + 1), dtype=np.int64)
        self.business_agents: list[Business] = []
        self._add_businesses(rows)

    def _chain_row(self, shock: ChainStore, index: int) -> dict[str, Any]:
        return dict(
            count=1,
            category=shock.category,
            strategy="chain",
            name=f"chain-{shock.category}-{index}",
            quality=shock.quality,
            price=0.0,
            unit_cost=-1.0,
            fixed_cost=-1.0,
            cash=shock.cash,
            credit_line=0.0,
            neighbourhood=int(self.rngs["businesses"].integers(self.n_neighbourhoods)),
            opens=shock.start,
            strategy_override=Strategy(
                name="chain",
                **{
                    **BUILT_IN["chain"],
                    "price_factor": shock.price_factor,
                    "ad_budget": shock.ad_budget,
                },
            ),
        )

    def _add_businesses(self, rows: list[dict[str, Any]]) -> None:
        """Append businesses (at construction, or a chain store opened live) and their columns."""
        k = len(rows)
        if k == 0:
            return
        n = self.n_customers
        cat_index = {c: i for i, c in enumerate(self.category_names)}
        for r in rows:
            if r["category"] not in cat_index:
                self.category_names.append(r["category"])
                self.categories[r["category"]] = self.config.data["categories"][r["category"]]
                cat_index[r["category"]] = len(self.category_names) - 1
                pop = self.config.data["population"]
                needs = self.rngs["population"].random(n) < pop["category_participation"]
                k_new = len(self.category_names) - 1
                self._category_frequency = np.append(
                    self._category_frequency, self.categories[r["category"]]["frequency"]
                )
                col = (needs * self._need_probability()[k_new]).astype(np.float32)
                self.need_frequency = np.column_stack([self.need_frequency, col])
                # Opened during week w's shocks: the first needs may come this week.
                first = self._first_needs(k_new, needs, after=max(self.week - 1, 0))
                self.next_need = np.column_stack([self.next_need, first])
                self.patron = np.column_stack([self.patron, np.full(n, -1, dtype=np.int32)])
        self.n_categories = len(self.category_names)
        cats = [self.categories[r["category"]] for r in rows]
        usual = np.array(
            [c["price"] if r["price"] <= 0 else r["price"] for r, c in zip(rows, cats, strict=True)]
        )
        self.business_name += [r["name"] for r in rows]
        self.business_strategy += [
            r.get("strategy_override") or self._strategy_objects[r["strategy"]] for r in rows
        ]
        self.business_category = np.concatenate(
            [self.business_category, [cat_index[r["category"]] for r in rows]]
        ).astype(np.int32)
        self.usual_price = np.concatenate([self.usual_price, usual])
        self.price = np.concatenate([self.price, usual])
        spread = np.array([r.get("quality_spread", 0.0) for r in rows])
        drawn = np.array([r["quality"] for r in rows]) + spread * self.rngs["businesses"].standard_normal(k)
        self.quality = np.concatenate([self.quality, np.clip(drawn, 0.0, 1.0)])

        def own_or_category(key: str) -> list[float]:  # -1 in a group: the category's value
            return [c[key] if r[key] < 0 else r[key] for r, c in zip(rows, cats, strict=True)]

        self.unit_cost = np.concatenate([self.unit_cost, own_or_category("unit_cost")])
        self.fixed_cost = np.concatenate([self.fixed_cost, own_or_category("fixed_cost")])
        fixed = self.fixed_cost[-k:]
        self.cash = np.concatenate(
            [
                self.cash,
                [
                    r["cash"] if r["cash"] >= 0 else r.get("reserve_weeks", 13.0) * f
                    for r, f in zip(rows, fixed, strict=True)
                ],
            ]
        )
        self.credit_line = np.concatenate(
            [
                self.credit_line,
                [
                    r["credit_line"] if r["credit_line"] >= 0 else 4.0 * f
                    for r, f in zip(rows, fixed, strict=True)
                ],
            ]
        )
        self.consistency = np.concatenate([self.consistency, np.zeros(k)])
        self.business_hood = np.concatenate([self.business_hood, [r["neighbourhood"] for r in rows]]).astype(
            np.int32
        )
        self.opens = np.concatenate([self.opens, [r["opens"] for r in rows]]).astype(np.int32)
        self.alive = np.concatenate([self.alive, np.zeros(k, dtype=bool)])
        self.closed_week = np.concatenate([self.closed_week, np.full(k, -1)]).astype(np.int32)
        self.exit_reason += [""] * k
        self.weeks_below = np.concatenate([self.weeks_below, np.zeros(k, dtype=np.int32)])

        def widen(a: np.ndarray, fill) -> np.ndarray:
            return np.hstack([a, np.full((a.shape[0], k), fill, dtype=a.dtype)])

        self.contact = widen(self.contact, UNAWARE)
        self.acquired = widen(self.acquired, UNAWARE)
        self.trust = widen(self.trust, self.beh["initial_trust"])
        self.score = widen(self.score, -1)
        self.last_recommendation = widen(self.last_recommendation, NEVER)
        self.recommended_by_weak_tie = widen(self.recommended_by_weak_tie, False)
        self.first_purchase = widen(self.first_purchase, NEVER)
        self.last_purchase = widen(self.last_purchase, NEVER)
        book = self.purchase_book
        self.purchase_book = np.concatenate([book, np.zeros((3, k, book.shape[2]), dtype=book.dtype)], axis=1)
        b_old, b_new = self.n_businesses, self.n_businesses + k

        def grow(m: np.ndarray, fill=0.0) -> np.ndarray:
            out = np.full((b_new, b_new), fill)
            out[:b_old, :b_old] = m
            return out

        self.partner_willingness = grow(self.partner_willingness)
        self.referrals_given = grow(self.referrals_given)
        self._given_ewma = grow(self._given_ewma)
        self._served_ewma = np.concatenate([self._served_ewma, np.zeros(k)])
        self.margin_by_channel = np.vstack([self.margin_by_channel, np.zeros((k, len(CHANNELS) + 1))])
        self.contact_counts = np.vstack(
            [self.contact_counts, np.zeros((k, len(CHANNELS) + 1), dtype=np.int64)]
        )
        self.customers_won = np.concatenate([self.customers_won, np.zeros(k, dtype=np.int64)])
        self.n_businesses = b_new
        self._set_partner_eligibility()
        for i in range(b_old, b_new):
            self.business_agents.append(Business(self, i))
        if getattr(self, "recorder", None) is not None:
            self.recorder.grow(k)

    def _set_partner_eligibility(self) -> None:
        seeks = np.array([s.seeks_partners for s in self.business_strategy], dtype=bool)
        cat = self.business_category
        if self.eco["partners"] == "any_other":
            comp = cat[:, None] != cat[None, :]
        else:  # complementary categories, named on either side
            names = self.category_names
            listed = np.array(
                [[other in self.categories[mine]["partners_with"] for other in names] for mine in names],
                dtype=bool,
            ).reshape(len(names), len(names))
            comp = (listed | listed.T)[np.ix_(cat, cat)]
        eligible = comp & seeks[:, None] & seeks[None, :]
        np.fill_diagonal(eligible, False)
        new = eligible & (self.partner_willingness == 0) & (self._given_ewma == 0)
        self.partner_willingness[new] = 1.0
        self.partner_eligible = eligible

    # ------------------------------------------------------------------ public helpers
    @property
    def customers(self) -> AgentSet:
        """Customer agents (views of the arrays), created on first use: costly for large towns."""
        if self._customer_agents is None:
            self._customer_list = [Customer(self, i) for i in range(self.n_customers)]
            self._customer_agents = AgentSet(self._customer_list, random=self.random)
        return self._customer_agents

    @property
    def businesses(self) -> list[Business]:
        """Business agents, in id order."""
        return self.business_agents

    def customer(self, index: int) -> Customer:
        """One customer's view."""
        return self._customer_list[index] if self._customer_agents is not None else Customer(self, index)

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
            row = self._chain_row(shock, self.n_businesses)
            self._add_businesses([row])
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

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """One week, in this order (DESIGN.md section 2).

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
        self._apply_shocks()
        self._outreach()
        buys = self._purchases()
        self._experience(buys)
        self._word_of_mouth()
        referred = self._partner_referrals(buys)
        money = self._accounting(buys)
        self._forgetting()
        self.recorder.record(buys, money, referred)

    def run(self, weeks: int | None = None, on_week: Callable[[int], Any] | None = None) -> None:
        """Run ``weeks`` weeks (default: the scenario's ``run.steps``); ``on_week(1)`` after each."""
        for _ in range(self.run_config["steps"] if weeks is None else weeks):
            self.step()
            if on_week is not None:
                on_week(1)

    # 1 ----------------------------------------------------------------------------------
    def _apply_shocks(self) -> None:
        w = self.week
        for shock in self.shocks:
            if shock.start == w:
                shock.on_start(self)
                self.shock_log.append({"week": w, **shock.to_dict()})
        self.demand_index = float(np.prod([s.demand_factor(w) for s in self.shocks])) if self.shocks else 1.0
        self.cost_index = float(np.prod([s.cost_factor(w) for s in self.shocks])) if self.shocks else 1.0
        self.lockdown = any(s.stops_engagement(w) for s in self.shocks)
        for shock in self.shocks:  # a chain store with a duration leaves
            if isinstance(shock, ChainStore) and shock.duration > 0 and w == shock.start + shock.duration:
                self._close(shock.slot, "shock")  # type: ignore[attr-defined]
        self.alive |= (~self.alive) & (self.opens <= w) & (self.closed_week < 0)  # openings
        for b in np.flatnonzero(self.alive):
            self.price[b] = self.business_strategy[b].price(self.usual_price[b], self.demand_index)

    # 2 ----------------------------------------------------------------------------------
    def _outreach(self) -> None:
        self.engagement = np.zeros(self.n_businesses)
        self.community_contacts = np.zeros(self.n_businesses, dtype=np.int64)
        reach = np.where(self.alive, self._ad_reach_if_open(), 0.0)
        self.ad_reach = reach
        rows, cols = self._ad_contacts(reach)
        self._contact(rows, cols, AD, self.beh["ad_trust"])
        self.ad_contacts = np.bincount(cols, minlength=self.n_businesses)

        engaged = []
        for b in np.flatnonzero(self.alive):
            strat = self.business_strategy[b]
            intensity = 0.0 if self.lockdown else strat.engagement_intensity(self.week)
            memory = max(strat.consistency_memory, 1)
            self.consistency[b] += (float(intensity > 0) - self.consistency[b]) / memory
            self.engagement[b] = strat.community_time * intensity
            if self.engagement[b] > 0:
                engaged.append(int(b))

        reached: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(engaged)

        def community_work(i: int) -> None:  # each business draws from its own stream
            b = engaged[i]
            p_home = min(1.0, self.beh["community_reach"] * self.engagement[b] / 0.10)
            p_away = min(1.0, p_home * self.beh["community_spillover"])
            h = self.business_hood[b]
            reached[i] = kernels.community_reach(
                int(self._hood_starts[h]),
                int(self._hood_sizes[h]),
                p_home,
                p_away,
                self._business_stream("community", b),
                self.n_customers,
            )

        parallel.each(community_work, list(range(len(engaged))), self.n_customers)
        if reached:
            rows = np.concatenate(reached)
            cols = np.repeat(np.array(engaged, dtype=np.int64), [len(r) for r in reached])
            self.community_contacts = np.bincount(cols, minlength=self.n_businesses)
            gains = (self.beh["community_trust"] * self.consistency).astype(np.float32)
            self._contact(rows, cols, COMMUNITY, gains)

    def _ad_budgets(self) -> np.ndarray:
        """Each business's weekly ad budget, currency."""
        return np.array([st.ad_budget for st in self.business_strategy])

    def _ad_reach_if_open(self) -> np.ndarray:
        """Share of the town each business's ads reach in a week while it is open (7.2)."""
        return np.minimum(1.0, self._ad_budgets() / (self.eco["ad_cost_per_reach"] * self.n_customers))

    def _ad_contacts(self, reach: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Customers reached by each business's ads this week (see :func:`sim.core.kernels.ad_contacts`)."""
        if not reach.any():
            z = np.zeros(0, dtype=np.int64)
            return z, z
        u, q, reach = self._contact_u, float(self.beh["word_of_mouth"]), reach.astype(np.float64)
        parts = parallel.over_pieces(lambda lo, hi: kernels.ad_contacts(u[lo:hi], q, reach), self.n_customers)
        lows = [lo for lo, _ in parallel.pieces(self.n_customers)]
        rows = np.concatenate([rows + lo for (rows, _), lo in zip(parts, lows, strict=True)])
        return rows, np.concatenate([cols for _, cols in parts])

    def _contact(
        self, rows: np.ndarray, cols: np.ndarray, channel: int, trust_gain: float | np.ndarray
    ) -> None:
        """Make customers aware of businesses (recording the first channel) and add trust.

        ``trust_gain``: one for all businesses or one per business. Pairs must be distinct. They
        are visited customer by customer (each row of the state once, in memory order), a large
        town's halves at once.
        """
        if len(rows) == 0:
            return
        if np.ndim(trust_gain) == 0:
            gains = np.full(self.n_businesses, trust_gain, dtype=np.float32)
        else:
            gains = np.asarray(trust_gain, dtype=np.float32)
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)

        def contact(lo: int, hi: int) -> np.ndarray:
            first = np.zeros(self.n_businesses, dtype=np.int64)
            order = kernels.by_customer(rows, lo, hi)
            kernels.contact(order, rows, cols, np.int8(channel), gains, self.contact, self.trust, first)
            return first

        self.contact_counts[:, channel] += sum(parallel.over_pieces(contact, self.n_customers))

    # 3 ----------------------------------------------------------------------------------
    def _purchases(self) -> dict[str, Any]:
        """Stage 3: who buys from whom this week, at what price (arrays of equal length).

        Purchases are found and listed customer by customer (each customer's row of the state
        is read once for all categories), a large town's halves at once. ``per_category``
        counts them; ``pieces`` gives where each half's purchases start and stop in the list,
        and their number per category.
        """
        nc, n = self.n_categories, self.n_customers
        beh = self.beh
        open_now = np.flatnonzero(self.alive)
        # Open shops grouped by category, in id order within each.
        shop_ids = open_now[np.argsort(self.business_category[open_now], kind="stable")]
        shop_ptr = np.zeros(nc + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.business_category[open_now], minlength=nc), out=shop_ptr[1:])
        found = parallel.over_pieces(
            lambda lo, hi: kernels.needs(lo, hi, self.week, self.next_need, shop_ptr, shop_ids, self.contact),
            n,
        )
        need_u, walk_u, pick_u, choice_u, cut_u, starts = self._shopping_draws(found, shop_ptr)
        quality_part = beh["quality_weight"] * self.quality
        price_ratio = self.price / self.usual_price

        def shop(piece: int) -> tuple[np.ndarray, ...]:
            who, cat, knows = found[piece][:3]
            first = np.zeros(self.n_businesses, dtype=np.int64)
            cut = np.zeros(self.n_businesses, dtype=np.int64)
            per_category = np.zeros(nc, dtype=np.int64)
            bought = kernels.shop(
                who,
                cat,
                knows,
                need_u,
                walk_u,
                pick_u,
                choice_u,
                cut_u,
                starts[piece],
                self.week,
                self.next_need,
                self._need_probability(),
                shop_ptr,
                shop_ids,
                float(self.eco["walk_in"]),
                float(self.demand_index),
                float(beh["trust_resilience"]),
                self.contact,
                self.trust,
                self.patron,
                quality_part,
                price_ratio,
                self.price_weight,
                self.values_weight,
                float(beh["trust_weight"]),
                float(beh["habit_weight"]),
                self.business_hood,
                self.neighbourhood,
                np.int8(WALK_IN),
                first,
                cut,
                per_category,
            )
            return (*bought, first, cut, per_category)

        # Each customer's needs touch only their own row: the halves of the town run at once.
        parts = parallel.run([lambda p=p: shop(p) for p in range(len(found))])
        c, b = (np.concatenate([part[x] for part in parts]) for x in range(2))
        self.contact_counts[:, WALK_IN] += sum(part[2] for part in parts)
        self.cut_backs = sum(part[3] for part in parts)
        by_piece = np.array([part[4] for part in parts])  # purchases per piece and category
        ends = np.cumsum([len(part[0]) for part in parts])
        starts = ends - [len(part[0]) for part in parts]
        return {
            "customer": c,
            "business": b,
            "price": self.price[b],
            "per_category": by_piece.sum(axis=0),
            "pieces": [(int(lo), int(hi), k) for lo, hi, k in zip(starts, ends, by_piece, strict=True)],
        }

    def _shopping_draws(
        self, found: list[tuple[np.ndarray, ...]], shop_ptr: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        """This week's need and purchase draws from each category's streams, and where each piece starts.

        Per category, in need order (customer order): one draw per need for the next need
        (need stream); one walk-in draw per need without a known open shop, then one shop draw
        per walk-in (walk-in stream); one choice draw per need with a known shop (choice stream)
        and, in a downturn, one cut-back draw each (cut-back stream). Returns the five draw
        arrays (categories one after another) and, per piece of the town, the starts that
        :func:`sim.core.kernels.shop` reads.
        """
        nc = self.n_categories
        walk_in = float(self.eco["walk_in"])
        knowing = np.array([f[3] for f in found])  # pieces x categories
        unknowing = np.array([f[4] for f in found])
        due = np.array([f[5] for f in found])
        n_know, n_unknow, n_due = knowing.sum(axis=0), unknowing.sum(axis=0), due.sum(axis=0)
        with_shop = shop_ptr[1:] > shop_ptr[:-1]  # needs elsewhere know no shop and walk nowhere
        walkers = np.zeros((len(found), nc), dtype=np.int64)  # walk-ins per piece
        # Each category's draws fill its own block of each array (categories one after another).
        need_u, walk_u, choice_u = (np.empty(int(x.sum())) for x in (n_due, n_unknow, n_know))
        cut_u = np.empty(int(n_know.sum()) if self.demand_index < 1.0 else 0)
        pick_u: list[np.ndarray] = [np.zeros(0)] * nc

        def block(a: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
            start = int(counts[:k].sum())
            return a[start : start + int(counts[k])]

        def draw(k: int) -> None:
            rng_choice, rng_cut, rng_walk, _, rng_need = self._category_streams(k)
            rng_need.random(out=block(need_u, n_due, k))
            if not with_shop[k]:
                return
            walked = rng_walk.random(out=block(walk_u, n_unknow, k)) < walk_in
            by_piece = np.split(walked, np.cumsum(unknowing[:-1, k]))
            walkers[:, k] = [np.count_nonzero(w) for w in by_piece]
            pick_u[k] = rng_walk.random(int(walkers[:, k].sum()))
            rng_choice.random(out=block(choice_u, n_know, k))
            if len(cut_u):
                rng_cut.random(out=block(cut_u, n_know, k))

        parallel.each(draw, list(range(nc)), self.n_customers)

        def before(counts: np.ndarray) -> np.ndarray:  # per category: the counts of those before
            return np.cumsum(counts, axis=-1) - counts

        # Per category where its draws start; each piece starts where the previous one stopped.
        first = np.stack([before(n_unknow), before(walkers.sum(axis=0)), before(n_know), before(n_due)])
        starts = [
            first + np.stack(counts)
            for counts in zip(*(before(x.T).T for x in (unknowing, walkers, knowing, due)), strict=True)
        ]

        return need_u, walk_u, np.concatenate(pick_u), choice_u, cut_u, starts

    def _category_streams(self, k: int) -> tuple[np.random.Generator, ...]:
        """Choice, cut-back, walk-in, experience and need streams of one category (independent)."""
        name = self.category_names[k]
        if name not in self._named_rngs:
            self._named_rngs[name] = tuple(
                stream(self.seed, f"{m}:{name}")
                for m in ("choice", "cutback", "walk_in", "experience", "needs")
            )
        return self._named_rngs[name]

    # 4 ----------------------------------------------------------------------------------
    def _experience(self, buys: dict[str, Any]) -> None:
        """Stage 4: each purchase's experience; adds ``channel`` (how each customer was won) to ``buys``."""
        beh = self.beh
        self.new_by_channel = np.zeros((self.n_businesses, len(CHANNELS) + 1), dtype=np.int64)
        c, b = buys["customer"], buys["business"]
        if len(c) == 0:
            buys["channel"] = np.zeros(0, dtype=np.int8)
            return
        # One noise stream per category, so categories do not shift each other: each category's
        # draws, in purchase order, one block after another.
        per_category = buys["per_category"]
        noise_start = np.cumsum(per_category) - per_category
        noise = np.zeros(len(c))
        if beh["experience_noise"]:

            def draw_noise(k: int) -> None:
                block = noise[noise_start[k] : noise_start[k] + per_category[k]]
                block[:] = self._category_streams(k)[3].normal(0.0, beh["experience_noise"], len(block))

            parallel.each(draw_noise, list(np.flatnonzero(per_category)), self.n_customers)
        personalisation = np.array([s.personalisation for s in self.business_strategy], dtype=np.float64)
        price_ratio = self.price / self.usual_price
        if self.week >= self.purchase_book.shape[2]:  # a run past its planned weeks: room for more
            book = self.purchase_book
            self.purchase_book = np.concatenate([book, np.zeros_like(book)], axis=2)

        def experience(piece: int, noise_at: np.ndarray) -> tuple[np.ndarray, ...]:
            # Purchases are distinct (customer, business) pairs, so the halves touch different cells;
            # the second half keeps its own purchase book, added in after.
            lo, hi = buys["pieces"][piece][:2]
            new = np.zeros_like(self.new_by_channel)
            book = self.purchase_book
            if piece > 0:
                book = np.zeros_like(book[:, :, : self.week + 1])
            channel = kernels.experience(
                c[lo:hi],
                b[lo:hi],
                noise,
                noise_at,
                self.week,
                self.quality,
                personalisation,
                price_ratio,
                float(beh["personalisation_gain"]),
                float(beh["price_disappointment"]),
                float(beh["trust_up"]),
                float(beh["trust_down"]),
                float(beh["score_trust_weight"]),
                int(beh["referral_window"]),
                self.trust,
                self.score,
                self.first_purchase,
                self.last_purchase,
                self.last_recommendation,
                self.recommended_by_weak_tie,
                self.contact,
                self.acquired,
                self.patron,
                self.business_category,
                np.int8(WORD_OF_MOUTH),
                np.int8(REFERRAL),
                new,
                book,
            )
            return channel, new, book

        # The pieces of stage 3 (halves of the town); each starts its noise where the one before stopped.
        counts = np.array([piece[2] for piece in buys["pieces"]])
        noise_at = noise_start + np.cumsum(counts, axis=0) - counts  # pieces x categories
        parts = parallel.run([lambda p=p: experience(p, noise_at[p]) for p in range(len(counts))])
        for part in parts[1:]:
            self.purchase_book[:, :, : self.week + 1] += part[2]
        buys["channel"] = np.concatenate([p[0] for p in parts])  # how each customer was won
        self.new_by_channel = sum(p[1] for p in parts)
        self.customers_won += self.new_by_channel.sum(axis=1)

    # 5 ----------------------------------------------------------------------------------
    @property
    def churn_window(self) -> np.ndarray:
        """Weeks without a purchase after which a customer has churned, per business."""
        freq = self._category_frequency[self.business_category]
        scale = self.config.data["population"]["need_scale"]
        weeks = self.eco["active_window"] / np.maximum(freq * scale, 1e-9)
        return np.clip(np.ceil(weeks), 4, 32000).astype(np.int64)

    def _active_threshold(self, window: np.ndarray | None = None) -> np.ndarray:
        """Per business: a customer is active when their last purchase week exceeds this.

        Never bought is -1, and a closed business gets a threshold nobody passes. ``window``:
        the churn window, if already at hand.
        """
        window = self.churn_window if window is None else window
        threshold = np.maximum(self.week - window, -1)
        return np.where(self.alive, threshold, np.iinfo(np.int16).max).astype(np.int16)

    def active_mask(self) -> np.ndarray:
        """Customer x business: bought within the business's churn window, and it is open."""
        return self.last_purchase > self._active_threshold()[None, :]

    def _word_of_mouth(self) -> None:
        """Stage 5: who talks to whom, who promotes and warns (counted for the measures), what is heard."""
        beh = self.beh
        n = self.n_customers
        # One attention draw per customer and week: below q they talk to a tie (and it is
        # reused to pick the tie); next week's ads reach those between q and q + reach.
        u, warn_u = np.empty(n, dtype=np.float32), np.empty(n, dtype=np.float32)
        draws = {"word_of_mouth": u, "warnings": warn_u}

        def draw(name: str) -> None:
            self.rngs[name].random(n, dtype=np.float32, out=draws[name])

        parallel.each(draw, list(draws), n)
        self._contact_u = u
        q, q_neg = beh["word_of_mouth"], beh["negative_word_of_mouth"]
        ties = self.network.ties_csr
        talk_to, talk_entry = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        warn_to, warn_entry = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)

        def converse(lo: int, hi: int) -> np.ndarray:
            asked = np.zeros(n, dtype=bool)  # customers someone talks to
            kernels.conversations(lo, hi, u, float(q), *ties[:3], talk_to, talk_entry, asked)
            kernels.conversations(lo, hi, warn_u, float(q_neg), *ties[:3], warn_to, warn_entry, asked)
            return asked

        asked = np.logical_or.reduce(parallel.over_pieces(converse, n))
        window = self.churn_window
        threshold = self._active_threshold(window)
        lapsed = (self.week - window).astype(np.int16)  # a last purchase then lapses now
        self.standing = self._standing(threshold, lapsed)
        promotes, warns = self._tell_lists(threshold, asked)
        if q > 0 and self.standing["promoters"].any():

            def recommend(lo: int, hi: int) -> np.ndarray:
                first = np.zeros(self.n_businesses, dtype=np.int64)
                kernels.recommend(
                    lo,
                    hi,
                    talk_to,
                    talk_entry,
                    ties[3],
                    promotes,
                    self.week,
                    float(beh["word_of_mouth_trust"]),
                    np.int8(WORD_OF_MOUTH),
                    self.contact,
                    self.trust,
                    self.last_recommendation,
                    self.first_purchase,
                    self.recommended_by_weak_tie,
                    first,
                )
                return first

            # Each customer writes only their own row: the halves of the town run at once.
            self.contact_counts[:, WORD_OF_MOUTH] += sum(parallel.over_pieces(recommend, n))
        if q_neg > 0 and self.standing["detractors"].any():
            loss = float(beh["warning_trust_loss"])
            parallel.over_pieces(lambda lo, hi: kernels.warn(lo, hi, warn_to, warns, loss, self.trust), n)

    def _standing(self, threshold: np.ndarray, lapsed: np.ndarray) -> dict[str, np.ndarray]:
        """Active customers, promoters, detractors and lapses per business (ODD 7.5, 7.9).

        Counted from :attr:`purchase_book`: a customer is active at a business when their last
        purchase from it was after its ``threshold`` week, and lapses this week when it was in
        week ``lapsed``.
        """
        nb, week = self.n_businesses, self.week
        book = self.purchase_book[:, :, : week + 1]
        by_week = np.cumsum(book, axis=2)  # pairs whose last purchase was in week w or before
        t = threshold.astype(np.int64)
        before = np.where(t >= 0, by_week[:, np.arange(nb), np.clip(t, 0, week)], 0)
        active, promoters, detractors = by_week[:, :, -1] - before
        lapses = (lapsed >= 1) & (lapsed <= week)
        churned = np.where(lapses, book[0, np.arange(nb), np.clip(lapsed, 0, week)], 0)
        return {"active": active, "promoters": promoters, "detractors": detractors, "churned": churned}

    def _tell_lists(self, threshold: np.ndarray, asked: np.ndarray) -> tuple[tuple[np.ndarray, ...], ...]:
        """:func:`sim.core.kernels.tell_lists` on the town, a large town's halves at once.

        Each half writes its own part of the lists, with room for every business of each customer
        someone talks to (memory never written costs nothing), so nothing is joined afterwards.
        """
        n, nb = self.n_customers, self.n_businesses
        room = np.count_nonzero(asked) * nb
        firsts = {lo: np.count_nonzero(asked[:lo]) * nb for lo, _ in parallel.pieces(n)}  # room before

        def lists() -> tuple[np.ndarray, ...]:  # (start, end, businesses)
            start = np.empty(n, dtype=np.int64)
            for lo, first in firsts.items():
                start[lo] = first
            return start, np.empty(n, dtype=np.int64), np.empty(room, dtype=np.int32)

        promotes, warns = lists(), lists()
        lp, sc = self.last_purchase, self.score
        parallel.over_pieces(
            lambda lo, hi: kernels.tell_lists(lo, hi, lp, sc, threshold, asked, promotes, warns), n
        )
        return promotes, warns

    def _forgetting(self) -> None:
        """Stage 8: trust fades back towards a stranger's by ``forgetting`` per week.

        The same pass sums the trust each business's aware customers hold (a measure).
        """
        f = float(self.beh["forgetting"])
        t0 = float(self.beh["initial_trust"])
        # With forgetting 0 the pass leaves trust as it is and only sums it.
        self.trust_held = sum(
            parallel.over_pieces(
                lambda lo, hi: kernels.fade_and_sum(self.trust[lo:hi], self.contact[lo:hi], f, t0),
                self.n_customers,
            )
        )

    # 6 ----------------------------------------------------------------------------------
    def _partner_referrals(self, buys: dict[str, np.ndarray]) -> np.ndarray:
        """Businesses send customers they served to partners; returns referrals given (b x c)."""
        nb = self.n_businesses
        given = np.zeros((nb, nb))
        served = np.bincount(buys["business"], minlength=nb).astype(float)
        rates = np.array([s.partner_referrals for s in self.business_strategy])
        eligible = self.partner_eligible & self.alive[:, None] & self.alive[None, :]
        chance = np.where(eligible, rates[:, None] * self.partner_willingness, 0.0)  # per customer
        referring = (chance > 0).any(axis=1) & (served > 0)
        if referring.any():
            referrers = np.flatnonzero(referring)
            rows, partners = np.nonzero(chance * referring[:, None] > 0)  # referrer, then partner order
            n_partners = np.bincount(rows, minlength=nb)[referrers]
            entries = np.split(np.arange(len(rows)), np.cumsum(n_partners)[:-1])
            picked: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(rows)

            def draw(r: int) -> None:  # each referrer from its own stream, partner by partner
                stream = self._business_stream("partners", referrers[r])
                for e in entries[r]:
                    picked[e] = sent_positions(stream, int(served[rows[e]]), chance[rows[e], partners[e]])

            parallel.each(draw, list(range(len(referrers))), self.n_customers)
            sent = np.array([len(p) for p in picked], dtype=np.int64)
            sender, to = np.repeat(rows, sent), np.repeat(partners, sent)
            # Each referrer's customers in purchase order; referral m sends its picked[m]-th.
            by_business = kernels.by_customer(buys["business"], 0, nb)
            n_served = served.astype(np.int64)
            served_before = np.cumsum(n_served) - n_served
            customers = buys["customer"][by_business[served_before[sender] + np.concatenate(picked)]]
            given[rows, partners] = sent

            def refer(lo: int, hi: int) -> np.ndarray:
                # Customer by customer (each one's referrals keep their order), each row once.
                first = np.zeros(nb, dtype=np.int64)
                kernels.refer(
                    kernels.by_customer(customers, lo, hi),
                    customers,
                    sender,
                    to,
                    float(self.beh["partner_trust"]),
                    np.int8(PARTNER),
                    self.contact,
                    self.trust,
                    first,
                )
                return first

            self.contact_counts[:, PARTNER] += sum(parallel.over_pieces(refer, self.n_customers))
        # Reciprocity: each business compares a partner's referral rate with its own.
        lr = self.beh["partner_learning"]
        self._served_ewma += 0.1 * (served - self._served_ewma)
        self._given_ewma += 0.1 * (given - self._given_ewma)
        own_rate = self._given_ewma / np.maximum(self._served_ewma[:, None], 1e-9)
        their_rate = own_rate.T
        judged = eligible & (own_rate > 0)
        ratio = np.minimum(1.0, their_rate / np.maximum(own_rate, 1e-12))
        self.partner_willingness[judged] += lr * (ratio[judged] - self.partner_willingness[judged])
        self.referrals_given += given
        return given

    def _business_stream(self, mechanism: str, b: int) -> np.random.Generator:
        """One business's draws for one mechanism (so one business's events do not shift another's)."""
        name = f"{mechanism}:{self.business_name[b]}"
        if name not in self._named_rngs:
            self._named_rngs[name] = stream(self.seed, name)
        return self._named_rngs[name]

    # 7 ----------------------------------------------------------------------------------
    def _accounting(self, buys: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Stage 7: revenue, costs and cash of each business (currency), then closures."""
        b = buys["business"]
        channel = buys["channel"]
        width = self.margin_by_channel.shape[1]
        revenue, units, margin = kernels.tally(
            b, buys["price"], channel, self.unit_cost, self.usual_price, float(self.cost_index), width
        )
        alive = self.alive.astype(float)
        goods = units * self.unit_cost * self.usual_price * self.cost_index
        fixed = self.fixed_cost * self.cost_index * alive
        ads = self._ad_budgets() * alive
        community = self.engagement * self.eco["owner_week_value"] * alive
        profit = revenue - goods - fixed - ads - community
        self.cash = self.cash + profit
        self.margin_by_channel += margin  # for the attribution of community value
        below = self.alive & (self.cash < -self.credit_line)
        self.weeks_below = np.where(below, self.weeks_below + 1, 0)
        for i in np.flatnonzero(self.weeks_below >= self.eco["closure_weeks"]):
            self._close(i, "market")
        leaving = self.alive & (self.rngs["owner_exit"].random(self.n_businesses) < self.eco["owner_exit"])
        for i in np.flatnonzero(leaving):
            self._close(i, "owner")
        return {
            "revenue": revenue,
            "units": units,
            "goods_cost": goods,
            "fixed_cost": fixed,
            "ad_cost": ads,
            "community_cost": community,
            "profit": profit,
        }

    def _close(self, b: int, reason: str = "market") -> None:
        """Close a business (``reason``: market, owner or shock): its regulars must choose anew."""
        if not self.alive[b] and self.closed_week[b] >= 0:
            return
        self.alive[b] = False
        self.closed_week[b] = self.week
        self.exit_reason[b] = reason
        k = self.business_category[b]
        self.patron[self.patron[:, k] == b, k] = -1
