"""Stage 6, partner referrals (ODD 7.6): businesses send customers they served to partners.

Each business refers each customer it served this week to each willing partner with its
strategy's referral chance times the partner's willingness; the referred customer meets the
partner (trust ``partner_trust``). Willingness follows reciprocity: each business compares a
partner's referral rate with its own (moving averages) and lowers it towards their ratio.
"""

from __future__ import annotations

import numpy as np
from mesa import Model
from numba import njit

from sim.core import parallel
from sim.core.channels import PARTNER
from sim.core.compiled import JIT
from sim.core.meeting import become_aware, by_customer
from sim.core.streams import business_stream, sent_positions


@njit(**JIT)
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
        become_aware(i, c, channel, contact_state, first_contacts)
        passed = pt * trust[i, b]
        if passed > trust[i, c]:
            trust[i, c] = passed


def run(model: Model, buys: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Businesses send customers they served to partners; returns referrals given, received (per business)."""
    nb = model.n_businesses
    pairs = model.partnerships  # every pair that may partner, sorted by business then partner
    given = np.zeros(len(pairs))
    served = np.bincount(buys["business"], minlength=nb).astype(float)
    rates = model.referral_level  # the strategies' referral chances, within the owner's hours
    both_open = pairs.alive(model)
    chance = np.where(both_open, rates[pairs.business] * pairs.willingness, 0.0)  # per customer
    referring = (np.bincount(pairs.business[chance > 0], minlength=nb) > 0) & (served > 0)
    if referring.any():
        referrers = np.flatnonzero(referring)
        used = np.flatnonzero((chance > 0) & referring[pairs.business])  # referrer, then partner order
        rows, partners = pairs.business[used], pairs.partner[used]
        n_partners = np.bincount(rows, minlength=nb)[referrers]
        entries = np.split(np.arange(len(rows)), np.cumsum(n_partners)[:-1])
        picked: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(rows)

        def draw(r: int) -> None:  # each referrer from its own stream, partner by partner
            stream = business_stream(model, "partners", referrers[r])
            for e in entries[r]:
                picked[e] = sent_positions(stream, int(served[rows[e]]), chance[used[e]])

        parallel.each(draw, list(range(len(referrers))), model.n_customers)
        sent = np.array([len(p) for p in picked], dtype=np.int64)
        sender, to = np.repeat(rows, sent), np.repeat(partners, sent)
        # Each referrer's customers in purchase order; referral m sends its picked[m]-th.
        by_business = by_customer(buys["business"], 0, nb)
        n_served = served.astype(np.int64)
        served_before = np.cumsum(n_served) - n_served
        customers = buys["customer"][by_business[served_before[sender] + np.concatenate(picked)]]
        given[used] = sent

        def refer_piece(lo: int, hi: int) -> np.ndarray:
            # Customer by customer (each one's referrals keep their order), each row once.
            first = np.zeros(nb, dtype=np.int64)
            refer(
                by_customer(customers, lo, hi),
                customers,
                sender,
                to,
                float(model.beh["partner_trust"]),
                np.int8(PARTNER),
                model.contact,
                model.trust,
                first,
            )
            return first

        model.contact_counts[:, PARTNER] += sum(parallel.over_pieces(refer_piece, model.n_customers))
    # Reciprocity: each business compares a partner's referral rate with its own.
    lr = model.beh["partner_learning"]
    model.served_average += 0.1 * (served - model.served_average)
    pairs.given_average += 0.1 * (given - pairs.given_average)
    own_rate = pairs.given_average / np.maximum(model.served_average[pairs.business], 1e-9)
    their_rate = own_rate[pairs.reverse]
    judged = both_open & (own_rate > 0)
    ratio = np.minimum(1.0, their_rate / np.maximum(own_rate, 1e-12))
    pairs.willingness[judged] += lr * (ratio[judged] - pairs.willingness[judged])
    pairs.referrals_given += given
    received = np.bincount(pairs.partner, weights=given, minlength=nb)
    model.referrals_sent = np.bincount(pairs.business, weights=given, minlength=nb)  # planned on next week
    return model.referrals_sent, received
