"""Compiled loops for the weekly rules that touch every customer or every tie.

The model keeps its state in customers x businesses arrays. Written with numpy, each rule makes
several full passes over them and allocates temporaries as large as the state; at a million
customers and fifty businesses each pass costs a tenth of a second, and at ten thousand
customers the week is dominated by the cost of calling numpy a few hundred times. These loops
(numba, compiled on first use and cached on disk) do one pass where numpy needs several.

Each function is a plain loop that states one rule of docs/ODD.md; the model decides *when* it
runs (:meth:`sim.core.model.CommunityModel.step`). At a million customers the cost is memory, not
arithmetic, so the rules visit customers in id order and read each customer's row once per
stage (purchases for all categories at once); work that arrives in another order (community
reach, partner referrals) is put in customer order first (:func:`by_customer`).

Random numbers come from the model's named streams, either drawn before the call or drawn
inside from the stream's own generator, passed in (numba draws exactly what numpy would from the
same generator); no kernel keeps random state.
Kernels release Python's global lock, so :mod:`sim.core.parallel` can run two pieces at once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_JIT = {"cache": True, "nogil": True}

NEVER_WEEKS = 2**31 - 1
"""A week that never comes (the largest week a need schedule holds)."""


def warm_up() -> None:
    """Load (or, on a fresh install, compile) every compiled rule now, on a tiny town.

    The first call of each rule otherwise costs a fraction of a second (seconds when compiling);
    a sweep calls this before forking its workers so that they share the loaded code.
    """
    from sim.config.paths import builtin_dirs
    from sim.config.scenario import load_scenario
    from sim.core.model import CommunityModel

    baseline = builtin_dirs()["scenarios"] / "baseline.toml"
    CommunityModel(load_scenario(baseline, ["population.customers=300", "run.steps=3"]), seed=1).run()


@njit(**_JIT)
def tell_lists(lo, hi, last_purchase, score, threshold, asked, promotes, warns):  # pragma: no cover
    """What the customers someone talks to this week (``asked``) promote and warn about (ODD 7.5).

    For customers ``lo`` to ``hi - 1``. A customer promotes a business where they are active
    (their last purchase week is after the business's ``threshold``: -1 never bought; a closed
    business has a threshold nobody passes) and score 9-10, and warns about one where they are
    active and score 0-6.

    ``promotes`` and ``warns`` are (start, end, businesses) lists: customer i's businesses are
    ``businesses[start[i]:end[i]]``, empty for customers nobody talks to. This piece fills its
    customers' entries, writing businesses from ``start[lo]`` on (room for every business of
    each asked customer).
    """
    nb = last_purchase.shape[1]
    p_start, p_end, p_biz = promotes
    d_start, d_end, d_biz = warns
    k_p, k_d = p_start[lo], d_start[lo]
    for i in range(lo, hi):
        p_start[i], d_start[i] = k_p, k_d
        if asked[i]:
            for b in range(nb):
                if last_purchase[i, b] > threshold[b]:
                    cls = _score_class(score[i, b])
                    if cls == 1:
                        p_biz[k_p] = b
                        k_p += 1
                    elif cls == 2:
                        d_biz[k_d] = b
                        k_d += 1
        p_end[i], d_end[i] = k_p, k_d


@njit(**_JIT)
def fade_and_sum(trust, contact, forgetting, initial):  # pragma: no cover - compiled
    """Fade all trust towards ``initial`` by ``forgetting`` (in place); sum it over aware pairs.

    Returns the trust held by each business's aware customers (float64), after fading.
    """
    n, nb = trust.shape
    keep = np.float32(1.0) - np.float32(forgetting)
    add = np.float32(forgetting) * np.float32(initial)
    total = np.zeros(nb, np.float64)
    for i in range(n):
        for b in range(nb):
            t = trust[i, b] * keep + add
            trust[i, b] = t
            if contact[i, b] > 0:
                total[b] += t
    return total


@njit(**_JIT)
def _pick_tie(i, v, indptr, indices, weights, n):  # pragma: no cover - compiled
    """The tie customer i talks to, chosen in proportion to tie strength with uniform ``v``.

    Returns (the other customer, the tie's entry in the network's CSR arrays or -1 on complete
    mixing); (-1, -1) when i has no ties.
    """
    if len(indptr) == 0:  # complete mixing: any other customer, equally likely
        if n < 2:
            return -1, -1
        j = min(int(v * (n - 1)), n - 2)
        return (j + 1 if j >= i else j), -1
    lo, hi = indptr[i], indptr[i + 1]
    if lo == hi:
        return -1, -1
    cum = np.float32(0.0)
    for e in range(lo, hi):
        cum += weights[e]
        if v < cum:
            return indices[e], e
    return indices[hi - 1], hi - 1  # rounding: the row's weights sum to 1 only nearly


@njit(**_JIT)
def conversations(lo, hi, u, q, indptr, indices, weights, tie, entry, asked):  # pragma: no cover
    """Who talks to whom this week (ODD 7.5), for customers ``lo`` to ``hi - 1``.

    A customer talks when their attention draw ``u`` is below ``q``, to one tie chosen in
    proportion to tie strength (with ``u / q``, uniform on [0, 1) given they talk; on complete
    mixing, empty ``indptr``, any other customer). Writes the other customer to ``tie`` (-1: no
    conversation) and the tie's entry in the network's CSR arrays to ``entry`` (-1 on complete
    mixing), and marks the other customer in ``asked``.
    """
    n = len(u)
    for i in range(lo, hi):
        tie[i] = -1
        if not u[i] < q:
            continue
        j, e = _pick_tie(i, u[i] / q, indptr, indices, weights, n)
        tie[i], entry[i] = j, e
        if j >= 0:
            asked[j] = True


@njit(**_JIT)
def recommend(
    lo,
    hi,
    tie,
    entry,
    weak_entry,
    tells,
    week,
    gain,
    channel,
    contact_state,
    trust,
    last_recommendation,
    first_purchase,
    by_weak_tie,
    first_contacts,
):  # pragma: no cover - compiled
    """Word of mouth (ODD 7.5): customers ``lo`` to ``hi - 1`` hear their tie's recommendations.

    Each customer who talks this week (to ``tie``, see :func:`conversations`) hears about every
    business it promotes (``tells``: (start, end, businesses), see :func:`tell_lists`). So a
    customer hears about business b with
    probability q x (share of their tie strength held by promoters of b), which is Bass's q F on
    complete mixing. Hearing makes them aware (code ``channel`` if first, counted in
    ``first_contacts``), adds trust ``gain x (1 - trust)`` and records the week; for a customer
    who has not bought from b yet, whether the tie was weak (``weak_entry`` of its ``entry``;
    never on complete mixing) is kept, to attribute the first purchase.
    """
    g = np.float32(gain)
    start, end, tell_biz = tells
    for i in range(lo, hi):
        j, e = tie[i], entry[i]
        if j < 0:
            continue
        for k in range(start[j], end[j]):
            b = tell_biz[k]
            _meet(i, b, channel, g, contact_state, trust, first_contacts)
            last_recommendation[i, b] = week
            if first_purchase[i, b] < 0:
                by_weak_tie[i, b] = weak_entry[e] if e >= 0 else False


@njit(**_JIT)
def warn(lo, hi, tie, tells, loss, trust):  # pragma: no cover - compiled
    """Detractors' warnings (ODD 7.5) to customers ``lo`` to ``hi - 1``: the rule of :func:`recommend`.

    Each customer who talks this week (to ``tie``, with their own draw) loses a share ``loss`` of
    their trust in each business it warns about. Returns how many (customer, business) warnings
    were heard.
    """
    keep = np.float32(1.0) - np.float32(loss)
    start, end, tell_biz = tells
    heard = 0
    for i in range(lo, hi):
        j = tie[i]
        if j < 0:
            continue
        for k in range(start[j], end[j]):
            b = tell_biz[k]
            trust[i, b] *= keep
            heard += 1
    return heard


@njit(inline="always", **_JIT)
def _become_aware(i, b, channel, contact_state, first_contacts):  # pragma: no cover - compiled
    """Customer i hears of business b: the first channel (code) is kept, and counted per business."""
    if contact_state[i, b] == 0:
        contact_state[i, b] = channel
        first_contacts[b] += 1


@njit(inline="always", **_JIT)
def _meet(i, b, channel, gain, contact_state, trust, first_contacts):  # pragma: no cover - compiled
    """A contact: customer i becomes aware of business b and gains trust ``gain`` x (1 - trust).

    ``gain`` is float32, so trust stays in float32 arithmetic.
    """
    _become_aware(i, b, channel, contact_state, first_contacts)
    t = trust[i, b]
    trust[i, b] = t + gain * (np.float32(1.0) - t)


@njit(**_JIT)
def contact(order, rows, cols, channel, gains, contact_state, trust, first_contacts):  # pragma: no cover
    """Make customers aware of businesses and add trust ``gain x (1 - trust)`` (ODD 7.2).

    Visits the pairs ``rows[k], cols[k]`` for k in ``order``. ``gains`` holds the gain of each
    business (float32). The first channel is recorded where the customer was not aware yet, and
    counted per business in ``first_contacts``. Pairs must be distinct.
    """
    for k in order:
        _meet(rows[k], cols[k], channel, gains[cols[k]], contact_state, trust, first_contacts)


@njit(**_JIT)
def needs(lo, hi, week, next_need, shop_ptr, shop_ids, contact_state):  # pragma: no cover
    """Who has a need this week, customer by customer (ODD 7.3), for customers ``lo`` to ``hi - 1``.

    Customer i needs category k when ``next_need[i, k]`` is this ``week``; they can shop for it
    when k has an open shop (``shop_ids[shop_ptr[k]:shop_ptr[k + 1]]``), and they know a shop
    when they are aware of at least one of them.

    Returns:
        (customer, category, knows a shop) of each need, in customer then category order, and
        per category the number of needs from customers who know a shop, who know none (those
        in a category without an open shop in neither) and of all needs.
    """
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


@njit(**_JIT)
def need_powers(p):  # pragma: no cover - compiled
    """(1 - p)^g for g = 1 to 8, by repeated products: the chances of no need for g weeks."""
    out = np.empty(8)
    left = 1.0
    for g in range(8):
        left *= 1.0 - p
        out[g] = left
    return out


@njit(**_JIT)
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


@njit(**_JIT)
def need_gaps(u, p):  # pragma: no cover - compiled
    """:func:`need_gap` of each uniform in ``u`` (one probability ``p``)."""
    powers = need_powers(p)
    out = np.empty(len(u), np.int64)
    for k in range(len(u)):
        out[k] = need_gap(u[k], p, powers)
    return out


@njit(**_JIT)
def shop(
    who,
    cat,
    knows,
    need_u,
    walk_u,
    pick_u,
    choice_u,
    cut_u,
    starts,
    week,
    next_need,
    need_p,
    shop_ptr,
    shop_ids,
    walk_in,
    demand_index,
    trust_resilience,
    contact_state,
    trust,
    patron,
    quality_part,
    price_ratio,
    price_weight,
    values_weight,
    trust_weight,
    habit_weight,
    business_hood,
    home,
    walk_in_code,
    first_contacts,
    cut_backs,
    per_category,
):  # pragma: no cover - compiled
    """This week's purchases of the needs ``who``/``cat``/``knows`` (from :func:`needs`; ODD 7.3).

    Each need first sets the customer's next need in its category, :func:`need_gap` weeks on
    (``need_p[k]``: the category's need probability per week). A customer with a need who knows
    none of the category's open shops walks into one with probability ``walk_in``, ten times more
    likely one in their home neighbourhood (it becomes known through channel ``walk_in_code``).
    One who knows some chooses among them by a multinomial logit with utility U_ib =
    quality_part_b - price_weight_i x price_ratio_b + trust_weight x values_weight_i x trust_ib +
    habit_weight x [b is their patron], by inverse CDF. In a downturn (``demand_index`` D < 1) the buyer then
    cuts back with probability (1 - D) x (1 - trust_resilience x trust in the chosen shop).

    Uniform draws, each read in need order within a category from that category's start in
    ``starts``: ``need_u`` one per need (row 3 of ``starts``), ``walk_u`` one per need without a
    known open shop (row 0), ``pick_u`` the walked-in shop, one per walk-in (row 1),
    ``choice_u`` and ``cut_u`` one each per need with a known shop (row 2; ``cut_u`` only in a
    downturn). A piece of the town starts where the previous one stopped.

    Walk-ins are counted in ``first_contacts``, cut-backs in ``cut_backs`` (per shop) and
    purchases in ``per_category``.

    Returns:
        (customers, shops) of the purchases, customer by customer.
    """
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
            _become_aware(i, b, walk_in_code, contact_state, first_contacts)
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


@njit(**_JIT)
def experience(
    c,
    b,
    noise,
    noise_at,
    week,
    quality,
    personalisation,
    price_ratio,
    personalisation_gain,
    price_disappointment,
    trust_up,
    trust_down,
    score_weight,
    referral_window,
    trust,
    score,
    first_purchase,
    last_purchase,
    last_recommendation,
    by_weak_tie,
    contact_state,
    acquired,
    patron,
    category,
    weak_code,
    strong_code,
    new_by_channel,
    book,
):  # pragma: no cover - compiled
    """Experience, trust and score after each purchase; first-purchase channels (ODD 7.4).

    Experience e = clip(quality_b + personalisation_gain x personalisation_b x [returning]
    - price_disappointment x max(0, price_ratio_b - 1) + noise, 0, 1). Trust moves towards e at
    ``trust_up`` when e is above it and ``trust_down`` otherwise; the score is
    round(10 x ((1 - w) e + w trust)). A first purchase is attributed to a referral (strong tie)
    or word of mouth (weak tie) when a recommendation was heard within ``referral_window``
    weeks, else to the channel of first contact.

    The noise of a purchase in category k is the next of ``noise``, read from ``noise_at[k]`` on
    (each category's draws in purchase order).

    First purchases are counted in ``new_by_channel`` (business x channel code). ``book`` (see
    ``CommunityModel.purchase_book``) moves each pair from the week and score class of its
    previous purchase to this week's.

    Returns the acquisition channel of each purchase's customer.
    """
    channel = np.zeros(len(c), np.int8)
    # Each pair's previous purchase week and score, and its new score, for the purchase book
    # (counted after the loop: counting inside it makes the loop a third slower).
    was_week = np.empty(len(c), np.int16)
    was_score = np.empty(len(c), np.int8)
    new_score = np.empty(len(c), np.int8)
    at = noise_at.copy()
    up = np.float32(trust_up)
    down = np.float32(trust_down)
    w = score_weight
    for k in range(len(c)):
        i = c[k]
        j = b[k]
        was_week[k] = last_purchase[i, j]
        was_score[k] = score[i, j]
        returning = first_purchase[i, j] >= 0
        x = quality[j] - price_disappointment * max(0.0, price_ratio[j] - 1.0) + noise[at[category[j]]]
        at[category[j]] += 1
        if returning:
            x += personalisation_gain * personalisation[j]
        x = np.float32(min(1.0, max(0.0, x)))
        t = trust[i, j]
        rate = up if x > t else down
        t = t + rate * (x - t)
        trust[i, j] = t
        s = min(10, max(0, int(np.rint(10.0 * ((1 - w) * x + w * t)))))
        score[i, j] = s
        new_score[k] = s
        if not returning:
            heard = last_recommendation[i, j]
            if heard >= 0 and week - heard <= referral_window:
                ch = weak_code if by_weak_tie[i, j] else strong_code
            else:
                ch = contact_state[i, j]
            acquired[i, j] = ch
            new_by_channel[j, ch] += 1
            first_purchase[i, j] = week
        channel[k] = acquired[i, j]
        last_purchase[i, j] = week
        patron[i, category[j]] = j
    for k in range(len(c)):  # each pair leaves the week and score class of its previous purchase
        if was_week[k] >= 0:
            _book(book, b[k], was_week[k], was_score[k], -1)
        _book(book, b[k], week, new_score[k], 1)
    return channel


@njit(inline="always", **_JIT)
def _score_class(score):  # pragma: no cover - compiled
    """1 for a promoter's score (9-10), 2 for a detractor's (0-6), else 0 (7-8, or -1: no score)."""
    if score >= 9:
        return 1
    if 0 <= score <= 6:
        return 2
    return 0


@njit(inline="always", **_JIT)
def _book(book, b, week, score, change):  # pragma: no cover - compiled
    """Count a pair in (``change`` 1) or out of (-1) its business's purchase week and score class."""
    book[0, b, week] += change
    cls = _score_class(score)
    if cls > 0:
        book[cls, b, week] += change


@njit(**_JIT)
def refer(
    order, customers, sender, to, partner_trust, channel, contact_state, trust, first_contacts
):  # pragma: no cover - compiled
    """Referrals take effect (ODD 7.6): ``customers[m]`` sent by ``sender[m]`` to ``to[m]``, in ``order``.

    A customer sent to partner c by b becomes aware of c (code ``channel`` if first; counted in
    ``first_contacts``) and their trust in c rises to at least ``partner_trust`` x their trust in
    b. Each customer's referrals must come in referrer then partner order (a referral can raise
    the trust that a later one passes on); different customers' rows are independent.
    """
    pt = np.float32(partner_trust)
    for m in order:
        i, b, c = customers[m], sender[m], to[m]
        _become_aware(i, c, channel, contact_state, first_contacts)
        passed = pt * trust[i, b]
        if passed > trust[i, c]:
            trust[i, c] = passed


@njit(**_JIT)
def tally(business, price, channel, unit_cost, usual_price, cost_index, width):  # pragma: no cover
    """Revenue, units and gross margin by acquisition channel of the week's purchases (ODD 7.7).

    Purchase k was made at business ``business[k]`` for ``price[k]`` by a customer won through
    ``channel[k]``; its margin is the price less the unit cost (``unit_cost`` x ``usual_price`` x
    ``cost_index``). Sums run in purchase order, as ``numpy.bincount`` would.

    Returns:
        (revenue, units) per business and margin per business x channel code (``width`` codes).
    """
    nb = len(unit_cost)
    revenue = np.zeros(nb)
    units = np.zeros(nb, np.int64)
    margin = np.zeros((nb, width))
    for k in range(len(business)):
        b = business[k]
        revenue[b] += price[k]
        units[b] += 1
        margin[b, channel[k]] += price[k] - unit_cost[b] * usual_price[b] * cost_index
    return revenue, units, margin


@njit(**_JIT)
def ad_contacts(u, q, reach):  # pragma: no cover - compiled
    """Customers reached by each business's ads this week (ODD 7.2).

    Customer i is reached by business b when q <= u_i < q + reach_b: ``u`` is the attention
    draw made at last week's word of mouth, where those below ``q`` talked. So first contacts by
    ads and by word of mouth exclude each other, and their chances add up as in the Bass model.

    Returns:
        (customers, businesses) reached, customer by customer.
    """
    top = q
    for b in range(len(reach)):
        top = max(top, q + reach[b])
    count = 0
    for i in range(len(u)):
        if q <= u[i] < top:
            for b in range(len(reach)):
                if u[i] < q + reach[b]:
                    count += 1
    rows = np.empty(count, np.int64)
    cols = np.empty(count, np.int64)
    m = 0
    for i in range(len(u)):
        if q <= u[i] < top:
            for b in range(len(reach)):
                if u[i] < q + reach[b]:
                    rows[m] = i
                    cols[m] = b
                    m += 1
    return rows, cols


@njit(**_JIT)
def community_reach(start, size, p_home, p_away, rng, n):  # pragma: no cover - compiled
    """Customers one business's community work reaches this week (ODD 7.2).

    Each customer of the home neighbourhood (ids ``start`` to ``start + size - 1``) is reached
    with probability ``p_home``, every other customer of the ``n`` with ``p_away``,
    independently: the gaps between reached customers are geometric (drawn from ``rng``, home
    first), so the cost grows with the customers reached, not with the town.
    """
    out = np.empty(0, np.int64)
    for home in (True, False):
        p = p_home if home else p_away
        span = size if home else n - size
        if p <= 0.0 or span <= 0:
            continue
        found = np.empty(min(span, int(span * p + 6.0 * np.sqrt(span * p + 1.0)) + 16), np.int64)
        m = 0
        pos = -1
        while True:
            pos += 1 if p >= 1.0 else rng.geometric(p)
            if pos >= span:
                break
            if m == len(found):  # rare: more than six standard deviations above the mean
                more = np.empty(2 * len(found), np.int64)
                more[:m] = found
                found = more
            if home:
                found[m] = start + pos
            else:
                found[m] = pos if pos < start else pos + size
            m += 1
        out = np.concatenate((out, found[:m]))
    return out


@njit(**_JIT)
def by_customer(customers, lo, hi):  # pragma: no cover - compiled
    """The entries of ``customers`` with ids ``lo`` to ``hi - 1``, listed by customer, stably.

    A counting sort: returns their positions in ``customers``, so that a rule can visit each
    customer's row of the state once, in memory order. (It sorts any small ids the same way:
    partner referrals list purchases by business with it.)
    """
    at = np.zeros(hi - lo + 1, np.int64)
    for i in customers:
        if lo <= i < hi:
            at[i - lo + 1] += 1
    for i in range(hi - lo):
        at[i + 1] += at[i]
    order = np.empty(at[hi - lo], np.int64)
    for k in range(len(customers)):
        i = customers[k]
        if lo <= i < hi:
            order[at[i - lo]] = k
            at[i - lo] += 1
    return order
