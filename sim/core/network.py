"""Customers' social networks: who talks to whom, and how strong each tie is.

Ties are *strong* (within a neighbourhood: family, neighbours) or *weak* (long range:
acquaintances across town). Word of mouth reaches a listener in proportion to the share of their
tie strength held by promoters, so the network is kept as a row-normalised sparse matrix ``W``
(listener x teller, CSR): a customer who talks picks one tie with probability equal to its weight.

Every generator draws from the numpy generator it is given (the model's ``network`` stream);
the scale-free one hands networkx a seed taken from that generator.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.config.scenario import edge_list_columns


@dataclass
class SocialNetwork:
    """A town's ties.

    Attributes:
        kind: the generator's name.
        n: number of customers.
        neighbourhood: home neighbourhood of each customer (int array, length n).
        sources: one end of each undirected tie (int32).
        targets: the other end (int32).
        weak: whether each tie is weak (long range).
        weights: listener x teller sparse matrix (CSR), rows summing to 1 (or 0 for the
            isolated); ``None`` for complete mixing, where every other customer counts equally.
        weak_entry: for each stored entry of ``weights`` (in CSR order), whether it is a weak tie.
    """

    kind: str
    n: int
    neighbourhood: np.ndarray
    sources: np.ndarray
    targets: np.ndarray
    weak: np.ndarray
    weights: sp.csr_matrix | None
    weak_entry: np.ndarray | None = None

    @property
    def ties(self) -> int:
        """Number of undirected ties."""
        return len(self.sources) if self.weights is not None else self.n * (self.n - 1) // 2

    @property
    def ties_csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(indptr, indices, weights, weak_entry)`` of ``weights`` for the compiled rules.

        All four are empty on complete mixing, which the rules treat as "anyone else".
        """
        if self.weights is None:
            return (
                np.zeros(0, dtype=np.int32),
                np.zeros(0, dtype=np.int32),
                np.zeros(0, dtype=np.float32),
                np.zeros(0, dtype=bool),
            )
        w = self.weights
        return w.indptr, w.indices, w.data, self.weak_entry

    def to_networkx(self) -> nx.Graph:
        """The network as a networkx graph (for the dashboard's town view and for users)."""
        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        if self.weights is None:
            if self.n > 2000:
                raise ValueError("complete mixing with more than 2,000 customers is too large to draw")
            g.add_edges_from((i, j) for i in range(self.n) for j in range(i + 1, self.n))
        else:
            g.add_edges_from(zip(self.sources.tolist(), self.targets.tolist(), strict=True))
        return g


def neighbourhood_blocks(n: int, blocks: int) -> np.ndarray:
    """Contiguous neighbourhoods of near-equal size (customer i lives in block i * blocks // n)."""
    return (np.arange(n, dtype=np.int64) * blocks // max(n, 1)).astype(np.int32)


def build_network(cfg: dict, population: dict, rng: np.random.Generator) -> SocialNetwork:
    """Build the network a scenario's ``[network]`` table asks for."""
    n = population["customers"]
    blocks = min(population["neighbourhoods"], n)
    hood = neighbourhood_blocks(n, blocks)
    kind = cfg["kind"]
    degree = cfg["degree"]
    if kind == "complete":
        empty = np.zeros(0, dtype=np.int32)
        return SocialNetwork(kind, n, hood, empty, empty, np.zeros(0, bool), None)
    if kind == "small_world":
        src, dst, weak = _small_world(n, degree, cfg["rewire"], rng)
    elif kind == "random":
        src, dst = _random_pairs(n, n * degree // 2, rng)
        weak = hood[src] != hood[dst]
    elif kind == "scale_free":
        m = max(1, min(degree // 2, n - 1))
        g = nx.barabasi_albert_graph(n, m, seed=int(rng.integers(2**31))) if n > m else nx.empty_graph(n)
        edges = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
        src, dst = edges[:, 0], edges[:, 1]
        weak = hood[src] != hood[dst]
    elif kind == "neighbourhoods":
        src, dst = _block_pairs(n, hood, blocks, degree, cfg["within_neighbourhood"], rng)
        weak = hood[src] != hood[dst]
    elif kind == "edge_list":
        src, dst, strength = read_edge_list(cfg["path"], n)
        weak = strength < 1.0
        return _finish(kind, n, hood, src, dst, weak, np.where(weak, strength, 1.0))
    else:  # pragma: no cover - the validator rejects unknown kinds
        raise ValueError(kind)
    w = np.where(weak, cfg["weak_tie_weight"], 1.0)
    return _finish(kind, n, hood, src, dst, weak, w)


def _finish(kind, n, hood, src, dst, weak, w) -> SocialNetwork:
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    keep = src != dst
    src, dst, weak, w = src[keep], dst[keep], np.asarray(weak)[keep], np.asarray(w, float)[keep]
    # One tie per pair (the first occurrence of each unordered pair), in (lo, hi) order.
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    _, first = np.unique(lo * n + hi, return_index=True)
    lo, hi, weak, w = lo[first], hi[first], weak[first], w[first]
    # Both directions, the (hi, lo) entries first: scipy's counting sort by row then leaves each
    # row's columns in increasing order (canonical CSR), and a second matrix built from the same
    # entries carries each stored entry's weak flag in the same order.
    rows = np.concatenate([hi, lo])
    cols = np.concatenate([lo, hi])
    vals = np.concatenate([w, w])
    flags = np.concatenate([weak, weak]).astype(np.int8) + 1  # 1 strong, 2 weak (never 0)
    weights = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    kinds = sp.csr_matrix((flags, (rows, cols)), shape=(n, n))
    if not (np.array_equal(weights.indptr, kinds.indptr) and np.array_equal(weights.indices, kinds.indices)):
        raise AssertionError("tie weights and kinds lost alignment")  # pragma: no cover
    totals = np.asarray(weights.sum(axis=1)).ravel()
    inv = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    weights.data = (weights.data * np.repeat(inv, np.diff(weights.indptr))).astype(np.float32)
    flags = kinds.data == 2
    return SocialNetwork(
        kind, n, hood, lo.astype(np.int32), hi.astype(np.int32), weak.astype(bool), weights, flags
    )


def _small_world(n: int, degree: int, rewire: float, rng: np.random.Generator):
    """Watts-Strogatz small world, vectorised.

    A ring where each customer knows ``degree/2`` on each side; then each tie's far end is rewired
    with probability ``rewire`` to a random customer (a weak, long-range tie).
    """
    half = max(1, degree // 2) if n > 2 else 0
    half = min(half, max((n - 1) // 2, 0))
    if half == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0, bool)
    src = np.repeat(np.arange(n, dtype=np.int64), half)
    dst = (src + np.tile(np.arange(1, half + 1), n)) % n
    weak = rng.random(len(src)) < rewire
    dst = dst.copy()
    dst[weak] = rng.integers(0, n, int(weak.sum()))
    return src, dst, weak


def _random_pairs(n: int, m: int, rng: np.random.Generator):
    """Erdos-Renyi G(n, M): M ties between uniformly drawn pairs."""
    if n < 2 or m <= 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z
    return rng.integers(0, n, m), rng.integers(0, n, m)


def _block_pairs(n, hood, blocks, degree, within, rng):
    """A neighbourhood block model: a share ``within`` of ties inside the neighbourhood."""
    m = n * degree // 2
    m_in = int(round(m * within))
    src_in = rng.integers(0, n, m_in)
    sizes = np.bincount(hood, minlength=blocks)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    h = hood[src_in]
    dst_in = starts[h] + (rng.random(m_in) * sizes[h]).astype(np.int64)
    src_out, dst_out = _random_pairs(n, m - m_in, rng)
    return np.concatenate([src_in, src_out]), np.concatenate([dst_in, dst_out])


def read_edge_list(path: str, n: int):
    """Read ``source,target[,strength]`` (labels mapped to customers in order of appearance).

    Strength 1 (the default) is a strong tie; below 1 a weak tie with that weight. A first line
    with an unknown column raises ``ScenarioError`` (a ``ValueError``) naming it and the file.
    """
    index: dict[str, int] = {}
    src, dst, strength = [], [], []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(row for row in fh if not row.startswith("#"))
        has_strength = len(edge_list_columns(next(reader, []), str(path))) > 2
        for row in reader:
            a, b = row[0].strip(), row[1].strip()
            src.append(index.setdefault(a, len(index)))
            dst.append(index.setdefault(b, len(index)))
            strength.append(float(row[2]) if has_strength else 1.0)
    if len(index) > n:  # the validator checks this first; kept for Python callers
        raise ValueError(f"{path} names {len(index)} customers, more than {n}")
    return np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64), np.array(strength)
