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


def run(model: Model, buys: dict[str, np.ndarray]) -> np.ndarray:
    """Businesses send customers they served to partners; returns referrals given (b x c)."""
    nb = model.n_businesses
    given = np.zeros((nb, nb))
    served = np.bincount(buys["business"], minlength=nb).astype(float)
    rates = model.referral_level  # the strategies' referral chances, within the owner's hours
    eligible = model.partner_eligible & model.alive[:, None] & model.alive[None, :]
    chance = np.where(eligible, rates[:, None] * model.partner_willingness, 0.0)  # per customer
    referring = (chance > 0).any(axis=1) & (served > 0)
    if referring.any():
        referrers = np.flatnonzero(referring)
        rows, partners = np.nonzero(chance * referring[:, None] > 0)  # referrer, then partner order
        n_partners = np.bincount(rows, minlength=nb)[referrers]
        entries = np.split(np.arange(len(rows)), np.cumsum(n_partners)[:-1])
        picked: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(rows)

        def draw(r: int) -> None:  # each referrer from its own stream, partner by partner
            stream = business_stream(model, "partners", referrers[r])
            for e in entries[r]:
                picked[e] = sent_positions(stream, int(served[rows[e]]), chance[rows[e], partners[e]])

        parallel.each(draw, list(range(len(referrers))), model.n_customers)
        sent = np.array([len(p) for p in picked], dtype=np.int64)
        sender, to = np.repeat(rows, sent), np.repeat(partners, sent)
        # Each referrer's customers in purchase order; referral m sends its picked[m]-th.
        by_business = by_customer(buys["business"], 0, nb)
        n_served = served.astype(np.int64)
        served_before = np.cumsum(n_served) - n_served
        customers = buys["customer"][by_business[served_before[sender] + np.concatenate(picked)]]
        given[rows, partners] = sent

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
    model.given_average += 0.1 * (given - model.given_average)
    own_rate = model.given_average / np.maximum(model.served_average[:, None], 1e-9)
    their_rate = own_rate.T
    judged = eligible & (own_rate > 0)
    ratio = np.minimum(1.0, their_rate / np.maximum(own_rate, 1e-12))
    model.partner_willingness[judged] += lr * (ratio[judged] - model.partner_willingness[judged])
    model.referrals_given += given
    model.referrals_sent = given.sum(axis=1)  # what next week's referral time is planned for
    return given
