"""How much memory a run will need, estimated from its scenario before anything is allocated.

A run's peak is the larger of two phases, plus what the interpreter and its libraries hold:

- building the network: about :data:`BYTES_PER_TIE_BUILT` per customer and tie (edge lists,
  sorting, the sparse matrix being assembled);
- running: the customer x business state and the week's temporaries
  (:data:`BYTES_PER_CUSTOMER_BUSINESS`), the network as kept (:data:`BYTES_PER_TIE`), each
  customer's needs per category, every pair of businesses that may partner (willingness,
  referrals given and their averages, and the week's temporaries: :data:`BYTES_PER_PARTNER_PAIR`),
  and the weekly measures with the table made from them at the end (:data:`BYTES_PER_BUSINESS_WEEK`).

The first run after an install also compiles the weekly rules (numba), which takes a few hundred
MB once; that is not counted. The constants were measured on this machine (peak RSS of runs on a
grid of sizes); the test ``test_memory_estimate_is_within_half_again_of_the_measured_peak`` checks
the estimate against measured peaks within a factor of 1.5 either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.config.partners import partner_pairs

BASE_GB = 0.25
"""Python, numpy, numba, pandas and Mesa loaded, before any town (GB)."""
BYTES_PER_TIE_BUILT = 130
"""Memory per customer and tie while the network is built."""
BYTES_PER_TIE = 24
"""Memory per customer and tie as the network is kept (both directions, indices and weights)."""
BYTES_PER_CUSTOMER_BUSINESS = 18
"""Memory per customer and business pair (trust, score, contact and purchase weeks, 14 bytes) and
the week's temporaries."""
BYTES_PER_CUSTOMER_CATEGORY = 12
"""Memory per customer and category (need probability and the week of the next need, patron)."""
BYTES_PER_PARTNER_PAIR = 100
"""Memory per pair of businesses that may partner: its state and the week's temporaries."""
BYTES_PER_BUSINESS_WEEK = 1400
"""Memory per business and week of the run: weekly measures and the results table made from them."""
BYTES_PER_EDGE_LINE = 12
"""Bytes of an edge-list CSV per tie, for guessing its number of ties from the file's size."""


def ties_per_customer(data: dict[str, Any]) -> float:
    """Ties per customer: the network's degree, or an edge list's size over the town."""
    net = data["network"]
    if net["kind"] == "complete":
        return 0.0
    if net["kind"] == "edge_list":
        try:
            lines = Path(net["path"]).stat().st_size / BYTES_PER_EDGE_LINE
        except OSError:
            lines = 0.0
        return 2.0 * lines / max(data["population"]["customers"], 1)
    return float(net.get("degree", 10))


def memory_estimate_gb(data: dict[str, Any]) -> float:
    """Estimated peak memory of a run of the resolved scenario ``data``, in GB."""
    n = data["population"]["customers"]
    chains = sum(1 for s in data["shocks"] if s["kind"] == "chain_store")
    nb = max(sum(b["count"] for b in data["businesses"]) + chains, 1)
    ties = n * ties_per_customer(data)
    categories = len(data["categories"])
    weeks = data["run"]["steps"] + 2
    building = ties * BYTES_PER_TIE_BUILT
    running = (
        ties * BYTES_PER_TIE
        + n * nb * BYTES_PER_CUSTOMER_BUSINESS
        + n * categories * BYTES_PER_CUSTOMER_CATEGORY
        + partner_pairs(data) * BYTES_PER_PARTNER_PAIR
        + nb * weeks * BYTES_PER_BUSINESS_WEEK
    )
    return BASE_GB + max(building, running) / 1e9
