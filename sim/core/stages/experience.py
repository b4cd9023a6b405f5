"""Stage 4, experience (ODD 7.4): each purchase's satisfaction, trust and recommendation score.

Satisfaction comes from quality, personalisation for returning customers, price against the
usual price and noise (one stream per category); trust rises slowly and falls fast; the score
(0-10) follows satisfaction and trust. A first purchase records how the customer was won (the
channel they first heard through, or a recent recommendation). Each purchase moves its pair in
the purchase book that the standing counts read (:mod:`sim.core.standing`) and, before it changes
anything, counts as a repeat or win-back event for the retention measures (ODD 7.9); the first
purchases go to the cohort book (:mod:`sim.core.cohorts`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from mesa import Model
from numba import njit

from sim.core import parallel
from sim.core.channels import CHANNELS, REFERRAL, WORD_OF_MOUTH
from sim.core.compiled import JIT
from sim.core.pairs import pairs_of
from sim.core.standing import score_class
from sim.core.streams import category_streams


class ExperienceRule(NamedTuple):
    """The experience rule's parameters (ODD 7.4; the ``behaviour`` table of a scenario)."""

    personalisation_gain: float
    """Satisfaction added for a returning customer at full personalisation."""
    price_disappointment: float
    """Satisfaction lost per unit of price above the usual price (price ratio - 1)."""
    trust_up: float
    """Share of the gap closed per purchase when the experience is above trust."""
    trust_down: float
    """Share of the gap closed per purchase when the experience is below trust."""
    score_trust_weight: float
    """Weight of trust (against the experience) in the recommendation score."""
    referral_window: int
    """Weeks a heard recommendation still wins the first purchase."""


@njit(**JIT)
def experience(
    c,
    b,
    noise,
    noise_at,
    week,
    quality,
    personalisation,
    price_ratio,
    rule,
    pairs,
    patron,
    category,
    weak_code,
    strong_code,
    new_by_channel,
    book,
    shops,
    events,
):  # pragma: no cover - compiled
    """Experience, trust and score after each purchase; first-purchase channels (ODD 7.4).

    Experience e = clip(quality_b + personalisation_gain x personalisation_b x [returning]
    - price_disappointment x max(0, price_ratio_b - 1) + noise, 0, 1) (the parameters: ``rule``,
    an :class:`ExperienceRule`). Trust moves towards e at
    ``trust_up`` when e is above it and ``trust_down`` otherwise; the score is
    round(10 x ((1 - w) e + w trust)). A first purchase is attributed to a referral (strong tie)
    or word of mouth (weak tie) when a recommendation was heard within ``referral_window``
    weeks, else to the channel of first contact.

    The noise of a purchase in category k is the next of ``noise``, read from ``noise_at[k]`` on
    (each category's draws in purchase order).

    ``pairs`` (:class:`sim.core.pairs.Pairs`) is read and written in place; ``patron`` (customer x
    category) records the business each customer last bought from. First purchases are counted
    in ``new_by_channel`` (business x channel code). ``book`` (see
    ``CommunityModel.purchase_book``) moves each pair from the week and score class of its
    previous purchase to this week's.

    Before a purchase changes anything, it is counted in ``events`` (4 x businesses) for the
    retention measures (ODD 7.9): a *repeat chance* (row 0) for the business of the customer's
    previous purchase in the category (``patron``), a *repeat* (row 1) when that is ``b[k]``
    again; a *win-back chance* (row 2) for every other open business of the category
    (``shops``: ``(ptr, ids)``, category k's are ``ids[ptr[k]:ptr[k + 1]]``) the customer had
    bought from before, a *win-back* (row 3) for the one chosen.

    Returns the acquisition channel of each purchase's customer and the week of their first
    purchase from the business (this week for a first purchase).
    """
    channel = np.zeros(len(c), np.int8)
    since = np.empty(len(c), np.int16)
    shop_ptr, shop_ids = shops
    # Each pair's previous purchase week and score, and its new score, for the purchase book
    # (counted after the loop: counting inside it makes the loop a third slower).
    was_week = np.empty(len(c), np.int16)
    was_score = np.empty(len(c), np.int8)
    new_score = np.empty(len(c), np.int8)
    at = noise_at.copy()
    up = np.float32(rule.trust_up)
    down = np.float32(rule.trust_down)
    w = rule.score_trust_weight
    personalisation_gain, price_disappointment = rule.personalisation_gain, rule.price_disappointment
    trust, score, acquired, contact_state = pairs.trust, pairs.score, pairs.acquired, pairs.contact
    first_purchase, last_purchase = pairs.first_purchase, pairs.last_purchase
    last_recommendation, by_weak_tie = pairs.last_recommendation, pairs.recommended_by_weak_tie
    for k in range(len(c)):
        i = c[k]
        j = b[k]
        was_week[k] = last_purchase[i, j]
        was_score[k] = score[i, j]
        returning = first_purchase[i, j] >= 0
        was = patron[i, category[j]]
        if was >= 0:
            events[0, was] += 1
            if was == j:
                events[1, j] += 1
        for s in range(shop_ptr[category[j]], shop_ptr[category[j] + 1]):
            o = shop_ids[s]
            if o != was and acquired[i, o] != 0:
                events[2, o] += 1
                if o == j:
                    events[3, o] += 1
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
            if heard >= 0 and week - heard <= rule.referral_window:
                ch = weak_code if by_weak_tie[i, j] else strong_code
            else:
                ch = contact_state[i, j]
            acquired[i, j] = ch
            new_by_channel[j, ch] += 1
            first_purchase[i, j] = week
        channel[k] = acquired[i, j]
        since[k] = first_purchase[i, j]
        last_purchase[i, j] = week
        patron[i, category[j]] = j
    for k in range(len(c)):  # each pair leaves the week and score class of its previous purchase
        if was_week[k] >= 0:
            book_move(book, b[k], was_week[k], was_score[k], -1)
        book_move(book, b[k], week, new_score[k], 1)
    return channel, since


@njit(inline="always", **JIT)
def book_move(book, b, week, score, change):  # pragma: no cover - compiled
    """Count a pair in (``change`` 1) or out of (-1) its business's purchase week and score class."""
    book[0, b, week] += change
    cls = score_class(score)
    if cls > 0:
        book[cls, b, week] += change


def run(model: Model, buys: dict[str, Any]) -> None:
    """Stage 4: each purchase's experience; adds ``channel`` and ``since`` to ``buys`` (how and when won).

    Also sets ``model.repeat_counts`` (this week's retention events) and books the first
    purchases in the cohort book.
    """
    beh = model.beh
    model.new_by_channel = np.zeros((model.n_businesses, len(CHANNELS) + 1), dtype=np.int64)
    c, b = buys["customer"], buys["business"]
    if len(c) == 0:
        buys["channel"] = np.zeros(0, dtype=np.int8)
        buys["since"] = np.zeros(0, dtype=np.int16)
        model.repeat_counts = np.zeros((4, model.n_businesses), dtype=np.int64)
        model.returning_purchases = np.zeros(model.n_businesses)
        return
    # One noise stream per category, so categories do not shift each other: each category's
    # draws, in purchase order, one block after another.
    per_category = buys["per_category"]
    noise_start = np.cumsum(per_category) - per_category
    noise = np.zeros(len(c))
    if beh["experience_noise"]:

        def draw_noise(k: int) -> None:
            block = noise[noise_start[k] : noise_start[k] + per_category[k]]
            block[:] = category_streams(model, k)[3].normal(0.0, beh["experience_noise"], len(block))

        parallel.each(draw_noise, list(np.flatnonzero(per_category)), model.n_customers)
    personalisation = np.asarray(model.personalisation_level, dtype=np.float64)  # within the owner's hours
    rule = ExperienceRule(
        *(float(beh[name]) for name in ExperienceRule._fields[:-1]), int(beh["referral_window"])
    )
    pairs = pairs_of(model)
    price_ratio = model.price / model.usual_price
    open_now = np.flatnonzero(model.alive)  # the open shops grouped by category, for win-backs
    shop_ids = open_now[np.argsort(model.business_category[open_now], kind="stable")]
    shop_ptr = np.zeros(model.n_categories + 1, dtype=np.int64)
    np.cumsum(np.bincount(model.business_category[open_now], minlength=model.n_categories), out=shop_ptr[1:])
    shops = (shop_ptr, shop_ids)
    if model.week >= model.purchase_book.shape[2]:  # a run past its planned weeks: room for more
        book = model.purchase_book
        model.purchase_book = np.concatenate([book, np.zeros_like(book)], axis=2)

    def experience_piece(piece: int, noise_at: np.ndarray) -> tuple[np.ndarray, ...]:
        # Purchases are distinct (customer, business) pairs, so the halves touch different cells;
        # the second half keeps its own purchase book, added in after.
        lo, hi = buys["pieces"][piece][:2]
        new = np.zeros_like(model.new_by_channel)
        events = np.zeros((4, model.n_businesses), dtype=np.int64)
        book = model.purchase_book
        if piece > 0:
            book = np.zeros_like(book[:, :, : model.week + 1])
        channel, since = experience(
            c[lo:hi],
            b[lo:hi],
            noise,
            noise_at,
            model.week,
            model.quality,
            personalisation,
            price_ratio,
            rule,
            pairs,
            model.patron,
            model.business_category,
            np.int8(WORD_OF_MOUTH),
            np.int8(REFERRAL),
            new,
            book,
            shops,
            events,
        )
        return channel, new, book, since, events

    # The pieces of stage 3 (halves of the town); each starts its noise where the one before stopped.
    counts = np.array([piece[2] for piece in buys["pieces"]])
    noise_at = noise_start + np.cumsum(counts, axis=0) - counts  # pieces x categories
    parts = parallel.run([lambda p=p: experience_piece(p, noise_at[p]) for p in range(len(counts))])
    for part in parts[1:]:
        model.purchase_book[:, :, : model.week + 1] += part[2]
    buys["channel"] = np.concatenate([p[0] for p in parts])  # how each customer was won
    buys["since"] = np.concatenate([p[3] for p in parts])  # the week they were won
    model.new_by_channel = sum(p[1] for p in parts)
    model.repeat_counts = sum(p[4] for p in parts)
    model.customers_won += model.new_by_channel.sum(axis=1)
    first = buys["since"] == model.week
    model.cohorts.acquire(model.week, c[first], b[first], buys["channel"][first])
    # What next week's personalisation time is planned for (sim.core.owner_time).
    purchases = np.bincount(b, minlength=model.n_businesses)
    model.returning_purchases = (purchases - model.new_by_channel.sum(axis=1)).astype(np.float64)
