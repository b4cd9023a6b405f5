"""Stage 5, word of mouth (ODD 7.5): customers talk to a tie; promoters recommend, detractors warn.

Each customer talks to one tie with probability ``word_of_mouth`` per week (chosen in proportion
to tie strength) and hears what it promotes: awareness through word of mouth and trust. Detractors
warn along their own draw, at ``negative_word_of_mouth``, and their ties lose trust. Who promotes
and who warns comes from their standing (:mod:`sim.core.standing`), counted here for the measures.
"""

from __future__ import annotations

import numpy as np
from mesa import Model
from numba import njit

from sim.core import parallel
from sim.core.channels import WORD_OF_MOUTH
from sim.core.compiled import JIT
from sim.core.meeting import meet_one
from sim.core.standing import active_threshold, churn_window, score_class, standing


@njit(**JIT)
def pick_tie(i, v, indptr, indices, weights, n):  # pragma: no cover - compiled
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


@njit(**JIT)
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
        j, e = pick_tie(i, u[i] / q, indptr, indices, weights, n)
        tie[i], entry[i] = j, e
        if j >= 0:
            asked[j] = True


@njit(**JIT)
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
            meet_one(i, b, channel, g, contact_state, trust, first_contacts)
            last_recommendation[i, b] = week
            if first_purchase[i, b] < 0:
                by_weak_tie[i, b] = weak_entry[e] if e >= 0 else False


@njit(**JIT)
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


@njit(**JIT)
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
                    cls = score_class(score[i, b])
                    if cls == 1:
                        p_biz[k_p] = b
                        k_p += 1
                    elif cls == 2:
                        d_biz[k_d] = b
                        k_d += 1
        p_end[i], d_end[i] = k_p, k_d


def run(model: Model) -> None:
    """Stage 5: who talks to whom, who promotes and warns (counted for the measures), what is heard."""
    beh = model.beh
    n = model.n_customers
    # One attention draw per customer and week: below q they talk to a tie (and it is
    # reused to pick the tie); next week's ads reach those between q and q + reach.
    u, warn_u = np.empty(n, dtype=np.float32), np.empty(n, dtype=np.float32)
    draws = {"word_of_mouth": u, "warnings": warn_u}

    def draw(name: str) -> None:
        model.rngs[name].random(n, dtype=np.float32, out=draws[name])

    parallel.each(draw, list(draws), n)
    model.attention = u
    q, q_neg = beh["word_of_mouth"], beh["negative_word_of_mouth"]
    ties = model.network.ties_csr
    talk_to, talk_entry = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    warn_to, warn_entry = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)

    def converse(lo: int, hi: int) -> np.ndarray:
        asked = np.zeros(n, dtype=bool)  # customers someone talks to
        conversations(lo, hi, u, float(q), *ties[:3], talk_to, talk_entry, asked)
        conversations(lo, hi, warn_u, float(q_neg), *ties[:3], warn_to, warn_entry, asked)
        return asked

    asked = np.logical_or.reduce(parallel.over_pieces(converse, n))
    window = churn_window(model)
    threshold = active_threshold(model, window)
    lapsed = (model.week - window).astype(np.int16)  # a last purchase then lapses now
    model.standing = standing(model, threshold, lapsed)
    promotes, warns = town_tell_lists(model, threshold, asked)
    if q > 0 and model.standing["promoters"].any():

        def recommend_piece(lo: int, hi: int) -> np.ndarray:
            first = np.zeros(model.n_businesses, dtype=np.int64)
            recommend(
                lo,
                hi,
                talk_to,
                talk_entry,
                ties[3],
                promotes,
                model.week,
                float(beh["word_of_mouth_trust"]),
                np.int8(WORD_OF_MOUTH),
                model.contact,
                model.trust,
                model.last_recommendation,
                model.first_purchase,
                model.recommended_by_weak_tie,
                first,
            )
            return first

        # Each customer writes only their own row: the halves of the town run at once.
        model.contact_counts[:, WORD_OF_MOUTH] += sum(parallel.over_pieces(recommend_piece, n))
    if q_neg > 0 and model.standing["detractors"].any():
        loss = float(beh["warning_trust_loss"])
        parallel.over_pieces(lambda lo, hi: warn(lo, hi, warn_to, warns, loss, model.trust), n)


def town_tell_lists(
    model: Model, threshold: np.ndarray, asked: np.ndarray
) -> tuple[tuple[np.ndarray, ...], ...]:
    """:func:`tell_lists` on the town, a large town's halves at once.

    Each half writes its own part of the lists, with room for every business of each customer
    someone talks to (memory never written costs nothing), so nothing is joined afterwards.
    """
    n, nb = model.n_customers, model.n_businesses
    room = np.count_nonzero(asked) * nb
    firsts = {lo: np.count_nonzero(asked[:lo]) * nb for lo, _ in parallel.pieces(n)}  # room before

    def lists() -> tuple[np.ndarray, ...]:  # (start, end, businesses)
        start = np.empty(n, dtype=np.int64)
        for lo, first in firsts.items():
            start[lo] = first
        return start, np.empty(n, dtype=np.int64), np.empty(room, dtype=np.int32)

    promotes, warns = lists(), lists()
    lp, sc = model.last_purchase, model.score
    parallel.over_pieces(lambda lo, hi: tell_lists(lo, hi, lp, sc, threshold, asked, promotes, warns), n)
    return promotes, warns
