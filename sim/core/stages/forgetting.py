"""Stage 8, forgetting (ODD 7.8): all trust fades back towards a stranger's by ``forgetting`` per week.

The same pass sums the trust each business's aware customers hold (a measure).
"""

from __future__ import annotations

import numpy as np
from mesa import Model
from numba import njit

from sim.core import parallel
from sim.core.compiled import JIT


@njit(**JIT)
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


def run(model: Model) -> None:
    """Stage 8: trust fades back towards a stranger's by ``forgetting`` per week.

    The same pass sums the trust each business's aware customers hold (a measure).
    """
    f = float(model.beh["forgetting"])
    t0 = float(model.beh["initial_trust"])
    # With forgetting 0 the pass leaves trust as it is and only sums it.
    model.trust_held = sum(
        parallel.over_pieces(
            lambda lo, hi: fade_and_sum(model.trust[lo:hi], model.contact[lo:hi], f, t0),
            model.n_customers,
        )
    )
