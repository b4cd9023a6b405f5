"""Random streams: one seed in, one generator per named mechanism out (ODD 4, stochasticity).

Each mechanism draws from its own generator, derived from the seed and the mechanism's name with
``numpy.random.SeedSequence``, so a draw added to one mechanism does not shift the others, and two
arms run with the same seed share their random numbers wherever they do the same thing. Needs,
choice, cut-back, walk-in and experience have one stream per category; community work and
partner referrals one per business.
"""

from __future__ import annotations

import zlib

import numpy as np
from mesa import Model

STREAMS = (
    "population",
    "network",
    "businesses",
    "word_of_mouth",
    "warnings",
    "shocks",
    "owner_exit",
)
"""The model's fixed named streams (``model.rngs``)."""


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator of one named mechanism for ``seed`` (stable across versions and arms)."""
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(zlib.crc32(name.encode()),)))


def sent_positions(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Which of ``n`` customers (positions 0 to n - 1) are picked, each independently with probability ``p``.

    The gaps between picks are geometric, so the draws number about n p, not n: drawn in
    batches of about n p, the last one partly unused.
    """
    if p >= 1.0:
        return np.arange(n)
    picked, end = [], -1
    batch = int(n * p + 3 * np.sqrt(n * p)) + 4
    while True:
        ends = end + np.cumsum(rng.geometric(p, batch))
        picked.append(ends[ends < n])
        if ends[-1] >= n:
            return np.concatenate(picked)
        end = int(ends[-1])


def seed_from(sequence: np.random.SeedSequence) -> int:
    """A non-negative 63-bit integer seed drawn from ``sequence`` (a replication's, or Mesa's ``rng``)."""
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def category_streams(model: Model, k: int) -> tuple[np.random.Generator, ...]:
    """Choice, cut-back, walk-in, experience and need streams of category ``k`` (independent)."""
    name = model.category_names[k]
    if name not in model.named_rngs:
        model.named_rngs[name] = tuple(
            stream(model.seed, f"{m}:{name}") for m in ("choice", "cutback", "walk_in", "experience", "needs")
        )
    return model.named_rngs[name]


def business_stream(model: Model, mechanism: str, b: int) -> np.random.Generator:
    """One business's draws for one mechanism (so one business's events do not shift another's)."""
    name = f"{mechanism}:{model.business_name[b]}"
    if name not in model.named_rngs:
        model.named_rngs[name] = stream(model.seed, name)
    return model.named_rngs[name]
