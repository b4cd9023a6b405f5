"""The state of every customer x business pair (ODD 2), as one structure the compiled loops take.

The model holds each of these as a customers x businesses array (``model.trust`` and so on);
:func:`pairs_of` bundles them, without copying, for a loop that reads or writes most of them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from mesa import Model


class Pairs(NamedTuple):
    """Customer x business arrays (rows: customers, columns: businesses)."""

    contact: np.ndarray
    """Channel code of the first contact (int8; 0: not aware of the business)."""
    acquired: np.ndarray
    """Channel code through which the customer was won (int8; 0: not a customer)."""
    trust: np.ndarray
    """Trust in the business, 0-1 (float32)."""
    score: np.ndarray
    """Latest recommendation score, 0-10 (int8; -1: never bought)."""
    first_purchase: np.ndarray
    """Week of the first purchase (int16; -1: never)."""
    last_purchase: np.ndarray
    """Week of the latest purchase (int16; -1: never)."""
    last_recommendation: np.ndarray
    """Week the customer last heard the business recommended (int16; -1: never)."""
    recommended_by_weak_tie: np.ndarray
    """Whether that recommendation came over a weak tie (bool)."""


def pairs_of(model: Model) -> Pairs:
    """The model's pair arrays, bundled (the same arrays: a loop's writes land in the model)."""
    return Pairs(*(getattr(model, name) for name in Pairs._fields))
