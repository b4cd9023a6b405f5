"""Building the town (ODD 5, initialisation): customers, categories, strategies and businesses.

Customers get budgets, price sensitivities and values weights from the population's
distributions, the categories they take part in and the week of their first need in each. The
social network is built by :mod:`sim.core.network`. Businesses come from the scenario's groups
(and a slot for each chain store a shock will open); :func:`add_businesses` also opens a chain
store live, widening every customer x business array by a column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from mesa import Model
from scipy.optimize import brentq
from scipy.stats import beta as beta_dist

from sim.config.scenario import business_names
from sim.core.agents import Business
from sim.core.channels import CHANNELS, NEVER, UNAWARE
from sim.core.partnerships import Partnerships
from sim.core.shocks import ChainStore
from sim.core.stages.purchases import first_needs, need_probability
from sim.core.strategies import BUILT_IN, Strategy
from sim.core.streams import stream


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


def quality_luck(model: Model, rows: list[dict[str, Any]]) -> np.ndarray:
    """A standard normal draw per new business, matched across strategies (ODD 5).

    The k-th business of each strategy in a category draws the same value, from a stream keyed by
    the category and k (not by its place in the list): two strategies compared in a category
    start with the same luck in quality, so quality luck cannot decide the comparison, and a
    business's quality does not depend on where its group is listed.
    """
    rank: dict[tuple[str, str], int] = {}
    for b, strategy in enumerate(model.business_strategy[: len(model.business_name) - len(rows)]):
        key = (model.category_names[model.business_category[b]], strategy.name)
        rank[key] = rank.get(key, 0) + 1
    out = np.empty(len(rows))
    for i, r in enumerate(rows):
        key = (r["category"], r["strategy"])
        out[i] = stream(model.seed, f"quality:{r['category']}:{rank.get(key, 0)}").standard_normal()
        rank[key] = rank.get(key, 0) + 1
    return out


def build_categories(model: Model, data: dict[str, Any]) -> None:
    """The categories in use (those of the scenario's businesses and chain stores), in scenario order."""
    used = {b["category"] for b in data["businesses"]} | {
        s["category"] for s in data["shocks"] if s["kind"] == "chain_store"
    }
    model.category_names = [c for c in data["categories"] if c in used]
    model.categories = {c: data["categories"][c] for c in model.category_names}
    model.n_categories = len(model.category_names)


def build_customers(model: Model, data: dict[str, Any]) -> None:
    """Customers' budgets, price sensitivities, values weights, categories and first needs (ODD 5)."""
    pop = data["population"]
    rng = model.rngs["population"]
    n = model.n_customers = pop["customers"]
    model.n_neighbourhoods = min(pop["neighbourhoods"], n)
    model.budget = (
        pop["budget_mean"] * rng.lognormal(-(pop["budget_spread"] ** 2) / 2, pop["budget_spread"], n)
    ).astype(np.float32)
    ps = pop["price_sensitivity_spread"]
    model.price_sensitivity = (pop["price_sensitivity_mean"] * rng.lognormal(-(ps**2) / 2, ps, n)).astype(
        np.float32
    )
    model.price_weight = model.price_sensitivity * (pop["budget_mean"] / model.budget)
    """Weight of price in each customer's choice: sensitivity scaled by budget_mean / budget."""
    a, b = values_weight_beta(pop["values_weight_share"], pop["values_weight_concentration"])
    model.values_weight = rng.beta(a, b, n).astype(np.float32)
    needs = rng.random((n, model.n_categories)) < pop["category_participation"]
    model.category_frequency = np.array([model.categories[c]["frequency"] for c in model.category_names])
    model.need_frequency = (needs * need_probability(model)[None, :]).astype(np.float32)
    """Probability per week that a customer needs a category: 0 for those who never do."""
    model.next_need = np.empty((n, model.n_categories), dtype=np.int32)
    for k in range(model.n_categories):
        model.next_need[:, k] = first_needs(model, k, needs[:, k], after=0)
    """Week of each customer's next need in each category (NEVER_WEEKS: none)."""
    model.patron = np.full((n, model.n_categories), -1, dtype=np.int32)
    # "Attention" draw shared by ads and word of mouth so that their first contacts are
    # mutually exclusive within a week (the Bass hazard p + qF is then exact).
    model.attention = model.rngs["word_of_mouth"].random(n).astype(np.float32)


def build_strategies(model: Model, data: dict[str, Any], given: dict[str, Strategy]) -> dict[str, Strategy]:
    """Strategy objects by name: the scenario's, unless Python code passed its own."""
    out = {}
    for name, vals in data["strategies"].items():
        params = {k: v for k, v in vals.items() if k != "extends"}
        out[name] = given.get(name) or Strategy(name=name, **params)
    for name, obj in given.items():
        out.setdefault(name, obj)
    return out


def build_businesses(model: Model, data: dict[str, Any]) -> None:
    """The scenario's businesses (neighbourhoods dealt in turn) and a slot per chain store shock."""
    rows = []
    names = business_names(data["businesses"])
    hood_cycle = 0
    for group in data["businesses"]:
        for _ in range(group["count"]):
            if group["neighbourhood"] >= 0:
                hood = group["neighbourhood"]
            else:
                hood = hood_cycle % model.n_neighbourhoods
                hood_cycle += 1
            rows.append(dict(group, neighbourhood=hood, name=names[len(rows)]))
    for shock in model.shocks:
        if isinstance(shock, ChainStore):
            rows.append(chain_row(model, shock, len(rows)))
            shock.slot = len(rows) - 1  # type: ignore[attr-defined]
    model.n_businesses = 0
    model.business_name: list[str] = []
    model.business_strategy: list[Strategy] = []
    model.business_category = np.zeros(0, dtype=np.int32)
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
        setattr(model, arr, np.zeros(0, dtype=np.float64))
    model.business_hood = np.zeros(0, dtype=np.int32)
    model.opens = np.zeros(0, dtype=np.int32)
    model.alive = np.zeros(0, dtype=bool)
    model.chain = np.zeros(0, dtype=bool)  # chain stores: no local owner who could leave
    model.closed_week = np.zeros(0, dtype=np.int32)
    model.exit_reason: list[str] = []
    model.weeks_below = np.zeros(0, dtype=np.int32)
    n = model.n_customers
    model.contact = np.zeros((n, 0), dtype=np.int8)
    model.acquired = np.zeros((n, 0), dtype=np.int8)
    model.trust = np.zeros((n, 0), dtype=np.float32)
    model.score = np.zeros((n, 0), dtype=np.int8)
    model.last_recommendation = np.zeros((n, 0), dtype=np.int16)
    model.recommended_by_weak_tie = np.zeros((n, 0), dtype=bool)
    model.first_purchase = np.zeros((n, 0), dtype=np.int16)
    model.last_purchase = np.zeros((n, 0), dtype=np.int16)
    model.purchase_book = np.zeros((3, 0, int(model.run_config["steps"]) + 2), dtype=np.int64)
    """Customers by business and week of their last purchase from it: all of them, then those
    whose score makes them promoters (9-10), then detractors (0-6). Kept up to date by stage 4,
    it gives stage 5's counts of active customers without a pass over the town."""
    model.partnerships = Partnerships()
    model.served_average = np.zeros(0)
    model.margin_by_channel = np.zeros((0, len(CHANNELS) + 1))
    model.contact_counts = np.zeros((0, len(CHANNELS) + 1), dtype=np.int64)
    """First contacts made so far, business x channel code."""
    model.customers_won = np.zeros(0, dtype=np.int64)
    model.returning_purchases = np.zeros(0)
    model.referrals_sent = np.zeros(0)
    """Purchases by returning customers last week, per business (what personalisation time is planned for)."""
    """Distinct customers who have bought, per business."""
    model.new_by_channel = np.zeros((0, len(CHANNELS) + 1), dtype=np.int64)
    model.repeat_counts = np.zeros((4, 0), dtype=np.int64)
    """This week's repeat chances, repeats, win-back chances and win-backs per business (stage 4)."""
    model.partner_hours_used = np.zeros(0)
    model.business_agents: list[Business] = []
    add_businesses(model, rows)


def chain_row(model: Model, shock: ChainStore, index: int) -> dict[str, Any]:
    """The business row of the chain store ``shock`` opens (strategy ``chain``, a random neighbourhood)."""
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
        neighbourhood=int(model.rngs["businesses"].integers(model.n_neighbourhoods)),
        opens=shock.start,
        chain=True,
        strategy_override=Strategy(
            name="chain",
            **{
                **BUILT_IN["chain"],
                "price_factor": shock.price_factor,
                "ad_budget": shock.ad_budget,
            },
        ),
    )


def add_businesses(model: Model, rows: list[dict[str, Any]]) -> None:
    """Append businesses (at construction, or a chain store opened live) and their columns."""
    k = len(rows)
    if k == 0:
        return
    n = model.n_customers
    cat_index = {c: i for i, c in enumerate(model.category_names)}
    for r in rows:
        if r["category"] not in cat_index:
            model.category_names.append(r["category"])
            model.categories[r["category"]] = model.config.data["categories"][r["category"]]
            cat_index[r["category"]] = len(model.category_names) - 1
            pop = model.config.data["population"]
            needs = model.rngs["population"].random(n) < pop["category_participation"]
            k_new = len(model.category_names) - 1
            model.category_frequency = np.append(
                model.category_frequency, model.categories[r["category"]]["frequency"]
            )
            col = (needs * need_probability(model)[k_new]).astype(np.float32)
            model.need_frequency = np.column_stack([model.need_frequency, col])
            # Opened during week w's shocks: the first needs may come this week.
            first = first_needs(model, k_new, needs, after=max(model.week - 1, 0))
            model.next_need = np.column_stack([model.next_need, first])
            model.patron = np.column_stack([model.patron, np.full(n, -1, dtype=np.int32)])
    model.n_categories = len(model.category_names)
    cats = [model.categories[r["category"]] for r in rows]
    usual = np.array([c["price"] if r["price"] <= 0 else r["price"] for r, c in zip(rows, cats, strict=True)])
    model.business_name += [r["name"] for r in rows]
    model.business_strategy += [
        r.get("strategy_override") or model.strategy_objects[r["strategy"]] for r in rows
    ]
    model.business_category = np.concatenate(
        [model.business_category, [cat_index[r["category"]] for r in rows]]
    ).astype(np.int32)
    model.usual_price = np.concatenate([model.usual_price, usual])
    model.price = np.concatenate([model.price, usual])
    spread = np.array([r.get("quality_spread", 0.0) for r in rows])
    drawn = np.array([r["quality"] for r in rows]) + spread * quality_luck(model, rows)
    model.quality = np.concatenate([model.quality, np.clip(drawn, 0.0, 1.0)])

    def own_or_category(key: str) -> list[float]:  # -1 in a group: the category's value
        return [c[key] if r[key] < 0 else r[key] for r, c in zip(rows, cats, strict=True)]

    model.unit_cost = np.concatenate([model.unit_cost, own_or_category("unit_cost")])
    model.fixed_cost = np.concatenate([model.fixed_cost, own_or_category("fixed_cost")])
    fixed = model.fixed_cost[-k:]
    model.cash = np.concatenate(
        [
            model.cash,
            [
                r["cash"] if r["cash"] >= 0 else r.get("reserve_weeks", 13.0) * f
                for r, f in zip(rows, fixed, strict=True)
            ],
        ]
    )
    model.credit_line = np.concatenate(
        [
            model.credit_line,
            [
                r["credit_line"] if r["credit_line"] >= 0 else 4.0 * f
                for r, f in zip(rows, fixed, strict=True)
            ],
        ]
    )
    model.consistency = np.concatenate([model.consistency, np.zeros(k)])
    model.business_hood = np.concatenate([model.business_hood, [r["neighbourhood"] for r in rows]]).astype(
        np.int32
    )
    model.opens = np.concatenate([model.opens, [r["opens"] for r in rows]]).astype(np.int32)
    model.alive = np.concatenate([model.alive, np.zeros(k, dtype=bool)])
    model.chain = np.concatenate([model.chain, [bool(r.get("chain", False)) for r in rows]])
    model.closed_week = np.concatenate([model.closed_week, np.full(k, -1)]).astype(np.int32)
    model.exit_reason += [""] * k
    model.weeks_below = np.concatenate([model.weeks_below, np.zeros(k, dtype=np.int32)])

    def widen(a: np.ndarray, fill) -> np.ndarray:
        return np.hstack([a, np.full((a.shape[0], k), fill, dtype=a.dtype)])

    model.contact = widen(model.contact, UNAWARE)
    model.acquired = widen(model.acquired, UNAWARE)
    model.trust = widen(model.trust, model.beh["initial_trust"])
    model.score = widen(model.score, -1)
    model.last_recommendation = widen(model.last_recommendation, NEVER)
    model.recommended_by_weak_tie = widen(model.recommended_by_weak_tie, False)
    model.first_purchase = widen(model.first_purchase, NEVER)
    model.last_purchase = widen(model.last_purchase, NEVER)
    book = model.purchase_book
    model.purchase_book = np.concatenate([book, np.zeros((3, k, book.shape[2]), dtype=book.dtype)], axis=1)
    b_old, b_new = model.n_businesses, model.n_businesses + k

    model.served_average = np.concatenate([model.served_average, np.zeros(k)])
    model.margin_by_channel = np.vstack([model.margin_by_channel, np.zeros((k, len(CHANNELS) + 1))])
    model.contact_counts = np.vstack([model.contact_counts, np.zeros((k, len(CHANNELS) + 1), dtype=np.int64)])
    model.customers_won = np.concatenate([model.customers_won, np.zeros(k, dtype=np.int64)])
    model.returning_purchases = np.concatenate([model.returning_purchases, np.zeros(k)])
    model.referrals_sent = np.concatenate([model.referrals_sent, np.zeros(k)])
    model.repeat_counts = np.hstack([model.repeat_counts, np.zeros((4, k), dtype=np.int64)])
    model.partner_hours_used = np.concatenate([model.partner_hours_used, np.zeros(k)])
    model.n_businesses = b_new
    set_partner_eligibility(model)
    for i in range(b_old, b_new):
        model.business_agents.append(Business(model, i))
    if getattr(model, "cohorts", None) is not None:
        model.cohorts.grow(k)
    if getattr(model, "recorder", None) is not None:
        model.recorder.grow(k)


def set_partner_eligibility(model: Model) -> None:
    """Which pairs of businesses may partner: both seek partners, in complementary categories."""
    model.partnerships.rebuild(model)
