"""Stage 3, purchases (ODD 7.3): customers with a need choose among the open businesses they know.

A need comes in each category with the customer's need probability per week; the weeks between
needs are geometric, drawn once per need. A customer who knows an open business in the category
chooses by a logit of quality, price, trust, habit and distance (drawn by inverse CDF); one who
knows none may walk in to a random open one. In a downturn (demand index below 1) low-trust
customers cut back first. Purchases are found and listed customer by customer.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from mesa import Model
from numba import njit

from sim.core import parallel
from sim.core.channels import WALK_IN
from sim.core.compiled import JIT
from sim.core.meeting import become_aware
from sim.core.streams import category_streams

NEVER_WEEKS = 2**31 - 1
"""A week that never comes (the largest week a need schedule holds)."""


class Shops(NamedTuple):
    """The open shops, grouped by category: category k's are ``ids[ptr[k]:ptr[k + 1]]``, in id order."""

    ptr: np.ndarray
    ids: np.ndarray
    hood: np.ndarray
    """Each business's home neighbourhood (all businesses, by id)."""


class Draws(NamedTuple):
    """This week's uniform draws of the purchase rule, each category's in a block, in need order."""

    need: np.ndarray
    """One per need: the weeks to the next need."""
    walk_in: np.ndarray
    """One per need without a known open shop: whether the customer walks in."""
    pick: np.ndarray
    """One per walk-in: the shop walked into."""
    choice: np.ndarray
    """One per need with a known shop: the logit choice."""
    cut_back: np.ndarray
    """One per need with a known shop, in a downturn only: whether the customer cuts back."""


class Market(NamedTuple):
    """This week's conditions of the purchase rule."""

    walk_in: float
    """Probability that a customer with a need who knows no open shop walks into one."""
    demand_index: float
    """Demand relative to normal (below 1 in a downturn)."""
    trust_resilience: float
    """How much trust in the chosen shop protects a purchase from a downturn's cut-back."""


class Tastes(NamedTuple):
    """What a choice weighs (ODD 7.3): customer i's utility of shop b.

    U_ib = quality_part_b - price_weight_i x price_ratio_b + trust_weight x values_weight_i x
    trust_ib + habit_weight x [b is their patron in the category].
    """

    quality_part: np.ndarray
    """quality_weight x quality, per business."""
    price_ratio: np.ndarray
    """This week's price over the usual price, per business."""
    price_weight: np.ndarray
    """Weight of price, per customer."""
    values_weight: np.ndarray
    """How much a customer's choice follows trust, per customer (0-1)."""
    trust_weight: float
    habit_weight: float


class Counts(NamedTuple):
    """What a purchase pass counts (int64 arrays, added to by the compiled loop)."""

    walk_ins: np.ndarray
    """First contacts by walking in, per business."""
    cut_backs: np.ndarray
    """Purchases given up in a downturn, per business."""
    per_category: np.ndarray
    """Purchases per category."""


@njit(**JIT)
def needs(lo, hi, week, next_need, shops, contact_state):  # pragma: no cover
    """Who has a need this week, customer by customer (ODD 7.3), for customers ``lo`` to ``hi - 1``.

    Customer i needs category k when ``next_need[i, k]`` is this ``week``; they can shop for it
    when k has an open shop (``shops.ids[shops.ptr[k]:shops.ptr[k + 1]]``), and they know a shop
    when they are aware of at least one of them.

    Returns:
        (customer, category, knows a shop) of each need, in customer then category order, and
        per category the number of needs from customers who know a shop, who know none (those
        in a category without an open shop in neither) and of all needs.
    """
    shop_ptr, shop_ids = shops.ptr, shops.ids
    n_cat = len(shop_ptr) - 1
    size = (hi - lo) * n_cat  # at most (untouched memory costs nothing)
    who = np.empty(size, np.int64)
    cat = np.empty(size, np.int64)
    knows = np.empty(size, np.bool_)
    knowing = np.zeros(n_cat, np.int64)
    unknowing = np.zeros(n_cat, np.int64)
    due = np.zeros(n_cat, np.int64)
    m = 0
    for i in range(lo, hi):
        for k in range(n_cat):
            if next_need[i, k] != week:
                continue
            known = False
            for s in range(shop_ptr[k], shop_ptr[k + 1]):
                if contact_state[i, shop_ids[s]] != 0:
                    known = True
                    break
            open_shop = shop_ptr[k + 1] > shop_ptr[k]
            who[m], cat[m], knows[m] = i, k, known
            knowing[k] += known
            unknowing[k] += open_shop and not known
            due[k] += 1
            m += 1
    return who[:m], cat[:m], knows[:m], knowing, unknowing, due


@njit(**JIT)
def need_powers(p):  # pragma: no cover - compiled
    """(1 - p)^g for g = 1 to 8, by repeated products: the chances of no need for g weeks."""
    out = np.empty(8)
    left = 1.0
    for g in range(8):
        left *= 1.0 - p
        out[g] = left
    return out


@njit(**JIT)
def need_gap(u, p, powers):  # pragma: no cover - compiled
    """Weeks (1, 2, ...) from one need to the next when a need comes with probability ``p`` a week.

    Geometric, by inverse CDF of uniform ``u`` on [0, 1): the smallest g with (1 - p)^g < 1 - u
    (``powers``: :func:`need_powers` of p). Frequent needs count the weeks (cheaper than a
    logarithm, and without branches within eight weeks); p = 0 gives :data:`NEVER_WEEKS`.
    """
    if p <= 0.0:
        return NEVER_WEEKS
    stay = 1.0 - u
    if p >= 0.25:
        if powers[7] < stay:  # within eight weeks: count the powers not yet below
            gap = 1
            for g in range(8):
                gap += powers[g] >= stay
            return gap
        gap, left = 9, powers[7]
        while left * (1.0 - p) >= stay:
            left *= 1.0 - p
            gap += 1
        return gap
    weeks = 1.0 + np.floor(np.log(stay) / np.log1p(-p))
    return NEVER_WEEKS if weeks >= NEVER_WEEKS else np.int64(weeks)


@njit(**JIT)
def need_gaps(u, p):  # pragma: no cover - compiled
    """:func:`need_gap` of each uniform in ``u`` (one probability ``p``)."""
    powers = need_powers(p)
    out = np.empty(len(u), np.int64)
    for k in range(len(u)):
        out[k] = need_gap(u[k], p, powers)
    return out


@njit(**JIT)
def shop(
    who,
    cat,
    knows,
    draws,
    starts,
    week,
    next_need,
    need_p,
    shops,
    market,
    tastes,
    home,
    contact_state,
    trust,
    patron,
    walk_in_code,
    counts,
):  # pragma: no cover - compiled
    """This week's purchases of the needs ``who``/``cat``/``knows`` (from :func:`needs`; ODD 7.3).

    Each need first sets the customer's next need in its category, :func:`need_gap` weeks on
    (``need_p[k]``: the category's need probability per week). A customer with a need who knows
    none of the category's open shops walks into one with probability ``walk_in``, ten times more
    likely one in their home neighbourhood (it becomes known through channel ``walk_in_code``).
    One who knows some chooses among them by a multinomial logit with the utility of
    :class:`Tastes`, by inverse CDF. In a downturn (``market.demand_index`` D < 1) the buyer then
    cuts back with probability (1 - D) x (1 - trust_resilience x trust in the chosen shop).
    ``shops`` (:class:`Shops`) lists the open shops by category; ``home`` is each customer's
    neighbourhood.

    Uniform draws (:class:`Draws`), each read in need order within a category from that
    category's start in ``starts``: ``need`` one per need (row 3 of ``starts``), ``walk_in`` one
    per need without a known open shop (row 0), ``pick`` the walked-in shop, one per walk-in
    (row 1), ``choice`` and ``cut_back`` one each per need with a known shop (row 2;
    ``cut_back`` only in a downturn). A piece of the town starts where the previous one stopped.

    Walk-ins, cut-backs (per shop) and purchases (per category) are counted in ``counts``
    (:class:`Counts`).

    Returns:
        (customers, shops) of the purchases, customer by customer.
    """
    need_u, walk_u, pick_u, choice_u, cut_u = draws
    shop_ptr, shop_ids, business_hood = shops
    walk_in, demand_index, trust_resilience = market
    quality_part, price_ratio, price_weight, values_weight, trust_weight, habit_weight = tastes
    first_contacts, cut_backs, per_category = counts
    at_walk, at_pick, at_choice = starts[0].copy(), starts[1].copy(), starts[2].copy()
    at_need = starts[3].copy()
    powers = np.empty((len(need_p), 8))
    for k in range(len(need_p)):
        powers[k] = need_powers(need_p[k])
    customers = np.empty(len(who), np.int64)
    chosen = np.empty(len(who), np.int64)
    u = np.empty(len(shop_ids), np.float64)
    m = 0
    for e in range(len(who)):
        i, k = who[e], cat[e]
        next_need[i, k] = min(week + need_gap(need_u[at_need[k]], need_p[k], powers[k]), NEVER_WEEKS)
        at_need[k] += 1
        lo, hi = shop_ptr[k], shop_ptr[k + 1]
        ns = hi - lo
        if ns == 0:  # no open shop in the category: the need goes unmet
            continue
        if not knows[e]:  # walk-in
            d = walk_u[at_walk[k]]
            at_walk[k] += 1
            if not d < walk_in:
                continue
            total = 0.0
            for j in range(lo, hi):
                total += 1.1 if business_hood[shop_ids[j]] == home[i] else 0.1
            target = pick_u[at_pick[k]] * total
            at_pick[k] += 1
            cum = 0.0
            pick = ns - 1
            for j in range(ns):
                cum += 1.1 if business_hood[shop_ids[lo + j]] == home[i] else 0.1
                if cum > target:
                    pick = j
                    break
            b = shop_ids[lo + pick]
            customers[m], chosen[m] = i, b
            per_category[k] += 1
            m += 1
            become_aware(i, b, walk_in_code, contact_state, first_contacts)
            continue
        top = -np.inf
        for j in range(ns):
            b = shop_ids[lo + j]
            if contact_state[i, b] == 0:
                u[j] = -np.inf
                continue
            v = (
                quality_part[b]
                - price_weight[i] * price_ratio[b]
                + trust_weight * values_weight[i] * trust[i, b]
                + (habit_weight if patron[i, k] == b else 0.0)
            )
            u[j] = v
            if v > top:
                top = v
        total = 0.0
        for j in range(ns):
            if u[j] > -np.inf:
                total += np.exp(u[j] - top)
            u[j] = total  # cumulative weight
        target = choice_u[at_choice[k]] * total
        pick = ns - 1
        for j in range(ns):
            if u[j] > target:
                pick = j
                break
        b = shop_ids[lo + pick]
        cut = demand_index < 1.0 and cut_u[at_choice[k]] < (1.0 - demand_index) * (
            1.0 - trust_resilience * trust[i, b]
        )
        at_choice[k] += 1
        if cut:
            cut_backs[b] += 1
            continue
        customers[m], chosen[m] = i, b
        per_category[k] += 1
        m += 1
    return customers[:m], chosen[:m]


def run(model: Model) -> dict[str, Any]:
    """Stage 3: who buys from whom this week, at what price (arrays of equal length).

    Purchases are found and listed customer by customer (each customer's row of the state
    is read once for all categories), a large town's halves at once. ``per_category``
    counts them; ``pieces`` gives where each half's purchases start and stop in the list,
    and their number per category.
    """
    nc, n = model.n_categories, model.n_customers
    beh = model.beh
    open_now = np.flatnonzero(model.alive)
    # Open shops grouped by category, in id order within each.
    shop_ids = open_now[np.argsort(model.business_category[open_now], kind="stable")]
    shop_ptr = np.zeros(nc + 1, dtype=np.int64)
    np.cumsum(np.bincount(model.business_category[open_now], minlength=nc), out=shop_ptr[1:])
    shops = Shops(shop_ptr, shop_ids, model.business_hood)
    found = parallel.over_pieces(
        lambda lo, hi: needs(lo, hi, model.week, model.next_need, shops, model.contact),
        n,
    )
    draws, starts = shopping_draws(model, found, shop_ptr)
    market = Market(float(model.eco["walk_in"]), float(model.demand_index), float(beh["trust_resilience"]))
    tastes = Tastes(
        beh["quality_weight"] * model.quality,
        model.price / model.usual_price,
        model.price_weight,
        model.values_weight,
        float(beh["trust_weight"]),
        float(beh["habit_weight"]),
    )

    def shop_piece(piece: int) -> tuple[np.ndarray, ...]:
        who, cat, knows = found[piece][:3]
        first = np.zeros(model.n_businesses, dtype=np.int64)
        cut = np.zeros(model.n_businesses, dtype=np.int64)
        per_category = np.zeros(nc, dtype=np.int64)
        bought = shop(
            who,
            cat,
            knows,
            draws,
            starts[piece],
            model.week,
            model.next_need,
            need_probability(model),
            shops,
            market,
            tastes,
            model.neighbourhood,
            model.contact,
            model.trust,
            model.patron,
            np.int8(WALK_IN),
            Counts(first, cut, per_category),
        )
        return (*bought, first, cut, per_category)

    # Each customer's needs touch only their own row: the halves of the town run at once.
    parts = parallel.run([lambda p=p: shop_piece(p) for p in range(len(found))])
    c, b = (np.concatenate([part[x] for part in parts]) for x in range(2))
    model.contact_counts[:, WALK_IN] += sum(part[2] for part in parts)
    model.cut_backs = sum(part[3] for part in parts)
    by_piece = np.array([part[4] for part in parts])  # purchases per piece and category
    ends = np.cumsum([len(part[0]) for part in parts])
    starts = ends - [len(part[0]) for part in parts]
    return {
        "customer": c,
        "business": b,
        "price": model.price[b],
        "per_category": by_piece.sum(axis=0),
        "pieces": [(int(lo), int(hi), k) for lo, hi, k in zip(starts, ends, by_piece, strict=True)],
    }


def shopping_draws(
    model: Model, found: list[tuple[np.ndarray, ...]], shop_ptr: np.ndarray
) -> tuple[Draws, list[np.ndarray]]:
    """This week's need and purchase draws from each category's streams, and where each piece starts.

    Per category, in need order (customer order): one draw per need for the next need
    (need stream); one walk-in draw per need without a known open shop, then one shop draw
    per walk-in (walk-in stream); one choice draw per need with a known shop (choice stream)
    and, in a downturn, one cut-back draw each (cut-back stream). Returns the draws
    (categories one after another) and, per piece of the town, the starts that :func:`shop`
    reads.
    """
    nc = model.n_categories
    walk_in = float(model.eco["walk_in"])
    knowing = np.array([f[3] for f in found])  # pieces x categories
    unknowing = np.array([f[4] for f in found])
    due = np.array([f[5] for f in found])
    n_know, n_unknow, n_due = knowing.sum(axis=0), unknowing.sum(axis=0), due.sum(axis=0)
    with_shop = shop_ptr[1:] > shop_ptr[:-1]  # needs elsewhere know no shop and walk nowhere
    walkers = np.zeros((len(found), nc), dtype=np.int64)  # walk-ins per piece
    # Each category's draws fill its own block of each array (categories one after another).
    need_u, walk_u, choice_u = (np.empty(int(x.sum())) for x in (n_due, n_unknow, n_know))
    cut_u = np.empty(int(n_know.sum()) if model.demand_index < 1.0 else 0)
    pick_u: list[np.ndarray] = [np.zeros(0)] * nc

    def block(a: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
        start = int(counts[:k].sum())
        return a[start : start + int(counts[k])]

    def draw(k: int) -> None:
        rng_choice, rng_cut, rng_walk, _, rng_need = category_streams(model, k)
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

    parallel.each(draw, list(range(nc)), model.n_customers)

    def before(counts: np.ndarray) -> np.ndarray:  # per category: the counts of those before
        return np.cumsum(counts, axis=-1) - counts

    # Per category where its draws start; each piece starts where the previous one stopped.
    first = np.stack([before(n_unknow), before(walkers.sum(axis=0)), before(n_know), before(n_due)])
    starts = [
        first + np.stack(counts)
        for counts in zip(*(before(x.T).T for x in (unknowing, walkers, knowing, due)), strict=True)
    ]

    return Draws(need_u, walk_u, np.concatenate(pick_u), choice_u, cut_u), starts


def need_probability(model: Model) -> np.ndarray:
    """Per category: probability per week that a customer who takes part needs it."""
    scale = model.config.data["population"]["need_scale"]
    return np.minimum(model.category_frequency * scale, 1.0)


def first_needs(model: Model, k: int, takes_part: np.ndarray, after: int) -> np.ndarray:
    """Week of each customer's first need in category k after week ``after``.

    Needs come with probability p per week, so the weeks between them are geometric: drawn
    once per need (``need_gap``) rather than once per customer every week.
    """
    u = category_streams(model, k)[4].random(model.n_customers)
    weeks = np.minimum(after + need_gaps(u, need_probability(model)[k]), NEVER_WEEKS)
    return np.where(takes_part, weeks, NEVER_WEEKS).astype(np.int32)
