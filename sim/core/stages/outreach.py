"""Stage 2, outreach (ODD 7.2): ads reach random customers; community work reaches the neighbourhood.

The owner first plans the week's hours (:mod:`sim.core.owner_time`). Ads reach an expected
number of customers per unit of money, community work an expected number of people per hour of
the owner's time, each with diminishing returns as its audience saturates; ads reach customers
not talking to a tie this week (the attention draw of word of mouth), so that a customer's first
contact comes from one or the other and the Bass hazard p + qF is exact. Community work meets
people of the business's home neighbourhood (and, less, of the others), from each business's own
stream; its trust gain grows with how consistently it shows up.
"""

from __future__ import annotations

import numpy as np
from mesa import Model
from numba import njit

from sim.core import owner_time, parallel
from sim.core.channels import AD, COMMUNITY
from sim.core.compiled import JIT
from sim.core.meeting import meet
from sim.core.streams import business_stream


@njit(**JIT)
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


@njit(**JIT)
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


def run(model: Model) -> None:
    """This week's ad and community contacts, counted per business, and the trust they bring."""
    model.community_contacts = np.zeros(model.n_businesses, dtype=np.int64)
    reach = np.where(model.alive, ad_reach_if_open(model), 0.0)
    model.ad_reach = reach
    rows, cols = ad_contacts_of(model, reach)
    meet(model, rows, cols, AD, model.beh["ad_trust"])
    model.ad_contacts = np.bincount(cols, minlength=model.n_businesses)

    intensity = np.zeros(model.n_businesses)
    for b in np.flatnonzero(model.alive):
        strat = model.business_strategy[b]
        intensity[b] = 0.0 if model.lockdown else strat.engagement_intensity(model.week)
        memory = max(strat.consistency_memory, 1)
        model.consistency[b] += (float(intensity[b] > 0) - model.consistency[b]) / memory
    owner_time.plan(model, intensity)  # the week's hours per lever, within the owner's hours
    engaged = [int(b) for b in np.flatnonzero(model.alive & (model.engagement > 0))]
    hours = model.engagement * float(model.eco["owner_hours"])  # community work, hours this week

    reached: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(engaged)

    def community_work(i: int) -> None:  # each business draws from its own stream
        b = engaged[i]
        h = model.business_hood[b]
        home, away = int(model.hood_sizes[h]), model.n_customers - int(model.hood_sizes[h])
        p_home, p_away = community_chances(model, hours[b], home, away)
        reached[i] = community_reach(
            int(model.hood_starts[h]),
            home,
            p_home,
            p_away,
            business_stream(model, "community", b),
            model.n_customers,
        )

    parallel.each(community_work, list(range(len(engaged))), model.n_customers)
    if reached:
        rows = np.concatenate(reached)
        cols = np.repeat(np.array(engaged, dtype=np.int64), [len(r) for r in reached])
        model.community_contacts = np.bincount(cols, minlength=model.n_businesses)
        gains = (model.beh["community_trust"] * model.consistency).astype(np.float32)
        meet(model, rows, cols, COMMUNITY, gains)


def ad_budgets(model: Model) -> np.ndarray:
    """Each business's weekly ad budget, currency."""
    return np.array([st.ad_budget for st in model.business_strategy])


def ad_reach_if_open(model: Model) -> np.ndarray:
    """Share of the town each business's ads reach in a week while it is open (ODD 7.2).

    A budget B buys B / ad_cost_per_reach reached customers while few are reached, with
    diminishing returns as the town saturates: share 1 - exp(-B / (ad_cost_per_reach x N)), so
    the expected number reached, N x share, depends on the town's size N only through saturation.
    """
    spend = ad_budgets(model) / (model.eco["ad_cost_per_reach"] * model.n_customers)
    return -np.expm1(-spend)


def community_chances(model: Model, hours: float, home: int, away: int) -> tuple[float, float]:
    """Chances that one home-neighbourhood customer and one other customer meet ``hours`` of community work.

    An hour meets ``community_reach`` people of the home neighbourhood (``home`` customers) and
    ``community_spillover`` times as many elsewhere (``away`` customers) while few are met, with
    diminishing returns as each audience saturates: chance 1 - exp(-people / audience). The
    expected number met depends on the town's size only through that saturation (ODD 7.2).
    """
    people = float(model.beh["community_reach"]) * hours
    p_home = -np.expm1(-people / home) if home > 0 else 0.0
    p_away = -np.expm1(-people * float(model.beh["community_spillover"]) / away) if away > 0 else 0.0
    return float(p_home), float(p_away)


def ad_contacts_of(model: Model, reach: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Customers reached by each business's ads this week (see :func:`ad_contacts`)."""
    if not reach.any():
        z = np.zeros(0, dtype=np.int64)
        return z, z
    u, q, reach = model.attention, float(model.beh["word_of_mouth"]), reach.astype(np.float64)
    parts = parallel.over_pieces(lambda lo, hi: ad_contacts(u[lo:hi], q, reach), model.n_customers)
    lows = [lo for lo, _ in parallel.pieces(model.n_customers)]
    rows = np.concatenate([rows + lo for (rows, _), lo in zip(parts, lows, strict=True)])
    return rows, np.concatenate([cols for _, cols in parts])
