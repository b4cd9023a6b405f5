"""Meeting a business: a customer becomes aware of it through a channel and gains trust (ODD 7.2).

The one rule every channel shares: the first contact records its channel (``contact``) and
counts it for the business; every contact adds the channel's trust gain. Outreach, word of mouth,
walk-ins and partner referrals all meet customers through these functions. Also here:
:func:`by_customer`, which puts work that arrives business by business into customer order.

The compiled helpers are inlined into other stages' loops; numba's disk cache does not notice a
change here in those callers, so after editing this file run ``make clean`` (it removes the
compiled caches).
"""

from __future__ import annotations

import numpy as np
from mesa import Model
from numba import njit

from sim.core import parallel
from sim.core.compiled import JIT


@njit(inline="always", **JIT)
def become_aware(i, b, channel, contact_state, first_contacts):  # pragma: no cover - compiled
    """Customer i hears of business b: the first channel (code) is kept, and counted per business."""
    if contact_state[i, b] == 0:
        contact_state[i, b] = channel
        first_contacts[b] += 1


@njit(inline="always", **JIT)
def meet_one(i, b, channel, gain, contact_state, trust, first_contacts):  # pragma: no cover - compiled
    """A contact: customer i becomes aware of business b and gains trust ``gain`` x (1 - trust).

    ``gain`` is float32, so trust stays in float32 arithmetic.
    """
    become_aware(i, b, channel, contact_state, first_contacts)
    t = trust[i, b]
    trust[i, b] = t + gain * (np.float32(1.0) - t)


@njit(**JIT)
def contact(order, rows, cols, channel, gains, contact_state, trust, first_contacts):  # pragma: no cover
    """Make customers aware of businesses and add trust ``gain x (1 - trust)`` (ODD 7.2).

    Visits the pairs ``rows[k], cols[k]`` for k in ``order``. ``gains`` holds the gain of each
    business (float32). The first channel is recorded where the customer was not aware yet, and
    counted per business in ``first_contacts``. Pairs must be distinct.
    """
    for k in order:
        meet_one(rows[k], cols[k], channel, gains[cols[k]], contact_state, trust, first_contacts)


@njit(**JIT)
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


def meet(
    model: Model, rows: np.ndarray, cols: np.ndarray, channel: int, trust_gain: float | np.ndarray
) -> None:
    """Make customers aware of businesses (recording the first channel) and add trust.

    ``trust_gain``: one for all businesses or one per business. Pairs must be distinct. They
    are visited customer by customer (each row of the state once, in memory order), a large
    town's halves at once.
    """
    if len(rows) == 0:
        return
    if np.ndim(trust_gain) == 0:
        gains = np.full(model.n_businesses, trust_gain, dtype=np.float32)
    else:
        gains = np.asarray(trust_gain, dtype=np.float32)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)

    def contact_piece(lo: int, hi: int) -> np.ndarray:
        first = np.zeros(model.n_businesses, dtype=np.int64)
        order = by_customer(rows, lo, hi)
        contact(order, rows, cols, np.int8(channel), gains, model.contact, model.trust, first)
        return first

    model.contact_counts[:, channel] += sum(parallel.over_pieces(contact_piece, model.n_customers))
