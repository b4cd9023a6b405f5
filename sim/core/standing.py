"""A customer's standing with a business: active, promoter, detractor, lapsed (ODD 7.5, 7.9).

A customer is active at a business while their last purchase from it is within the business's
churn window (weeks, from its category's need frequency) and the business is open. Word of mouth
(promoters tell, detractors warn) and the measures both read these counts, taken from the
purchase book that the experience stage keeps, without a pass over the town.
"""

from __future__ import annotations

import numpy as np
from mesa import Model
from numba import njit

from sim.core.compiled import JIT


@njit(inline="always", **JIT)
def score_class(score):  # pragma: no cover - compiled
    """1 for a promoter's score (9-10), 2 for a detractor's (0-6), else 0 (7-8, or -1: no score)."""
    if score >= 9:
        return 1
    if 0 <= score <= 6:
        return 2
    return 0


def churn_window(model: Model) -> np.ndarray:
    """Weeks without a purchase after which a customer has churned, per business."""
    freq = model.category_frequency[model.business_category]
    scale = model.config.data["population"]["need_scale"]
    weeks = model.eco["active_window"] / np.maximum(freq * scale, 1e-9)
    return np.clip(np.ceil(weeks), 4, 32000).astype(np.int64)


def active_threshold(model: Model, window: np.ndarray | None = None) -> np.ndarray:
    """Per business: a customer is active when their last purchase week exceeds this.

    Never bought is -1, and a closed business gets a threshold nobody passes. ``window``:
    the churn window, if already at hand.
    """
    window = churn_window(model) if window is None else window
    threshold = np.maximum(model.week - window, -1)
    return np.where(model.alive, threshold, np.iinfo(np.int16).max).astype(np.int16)


def standing(model: Model, threshold: np.ndarray, lapsed: np.ndarray) -> dict[str, np.ndarray]:
    """Active customers, promoters, detractors and lapses per business (ODD 7.5, 7.9).

    Counted from the model's ``purchase_book``: a customer is active at a business when their last
    purchase from it was after its ``threshold`` week, and lapses this week when it was in
    week ``lapsed``.
    """
    nb, week = model.n_businesses, model.week
    book = model.purchase_book[:, :, : week + 1]
    by_week = np.cumsum(book, axis=2)  # pairs whose last purchase was in week w or before
    t = threshold.astype(np.int64)
    before = np.where(t >= 0, by_week[:, np.arange(nb), np.clip(t, 0, week)], 0)
    active, promoters, detractors = by_week[:, :, -1] - before
    lapses = (lapsed >= 1) & (lapsed <= week)
    churned = np.where(lapses, book[0, np.arange(nb), np.clip(lapsed, 0, week)], 0)
    return {"active": active, "promoters": promoters, "detractors": detractors, "churned": churned}
