"""Who may partner with whom, and each partnership's state, kept per pair (ODD 7.6).

Which businesses may partner is the rule of :mod:`sim.config.partners`. Only those pairs are
kept, as arrays over pairs sorted by business then partner (the order a businesses x businesses
matrix would be read in), so a town of many businesses holds what its partnerships need, not a
square of its size: a town of 100,000 transactional businesses has none.
"""

from __future__ import annotations

import numpy as np
from mesa import Model

from sim.config import partners

ACTIVE = 0.5
"""Willingness above which a partner counts as active (upkeep hours; the ``partners`` measure)."""


class Partnerships:
    """Every pair (business, partner) that may partner, and its state.

    Attributes:
        business, partner: the pair's two business ids (int64 arrays, sorted by business, then partner).
        reverse: for each pair, the position of (partner, business).
        willingness: how willing the business is to refer to the partner (0-1; starts at 1).
        given_average: moving average of customers the business referred to the partner a week.
        referrals_given: customers the business has referred to the partner so far.
    """

    def __init__(self) -> None:
        empty = np.zeros(0, dtype=np.int64)
        self.business, self.partner, self.reverse = empty, empty, empty
        self.willingness, self.given_average, self.referrals_given = (np.zeros(0) for _ in range(3))

    def __len__(self) -> int:
        return len(self.business)

    def rebuild(self, model: Model) -> None:
        """Find the eligible pairs of the model's businesses, keeping the state of pairs already known."""
        nb = model.n_businesses
        business, partner = eligible_pairs(model)
        keys, old_keys = business * nb + partner, self.business * nb + self.partner
        willingness, given_average, given = np.ones(len(keys)), np.zeros(len(keys)), np.zeros(len(keys))
        if len(old_keys):
            at = np.searchsorted(keys, old_keys)
            kept = (at < len(keys)) & (keys[np.minimum(at, len(keys) - 1)] == old_keys)
            willingness[at[kept]] = self.willingness[kept]
            given_average[at[kept]] = self.given_average[kept]
            given[at[kept]] = self.referrals_given[kept]
            # A pair that has never been used and has no willingness left starts afresh (as new ones do).
            fresh = (willingness == 0) & (given_average == 0)
            willingness[fresh] = 1.0
        self.business, self.partner = business, partner
        self.reverse = np.searchsorted(keys, partner * nb + business)
        self.willingness, self.given_average, self.referrals_given = willingness, given_average, given

    def alive(self, model: Model) -> np.ndarray:
        """Per pair: both businesses are open."""
        return model.alive[self.business] & model.alive[self.partner]

    def active_partners(self, model: Model, open_only: bool) -> np.ndarray:
        """Per business: partners whose willingness is above :data:`ACTIVE` (both open, if ``open_only``)."""
        active = self.willingness > ACTIVE
        if open_only:
            active &= self.alive(model)
        return np.bincount(self.business[active], minlength=model.n_businesses)


def eligible_pairs(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """(business, partner) of every pair that may partner, sorted by business then partner."""
    nb = model.n_businesses
    seekers = np.flatnonzero([s.seeks_partners for s in model.business_strategy])
    cat = model.business_category[seekers]
    names = model.category_names
    data = model.config.data
    complement = np.array([[partners.complement(data, a, b) for b in names] for a in names], dtype=bool)
    complement = complement.reshape(len(names), len(names))
    business, partner = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for k in np.unique(cat):
        mine = seekers[cat == k]
        others = seekers[complement[k, cat]]
        business.append(np.repeat(mine, len(others)))
        partner.append(np.tile(others, len(mine)))
    b, p = np.concatenate(business), np.concatenate(partner)
    keep = b != p
    b, p = b[keep], p[keep]
    order = np.argsort(b * nb + p, kind="stable")
    return b[order].astype(np.int64), p[order].astype(np.int64)
