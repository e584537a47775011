"""The exact finite-graph reference: bond percolation on the same graph, without the kernel.

A single-seed Independent Cascade with tie probability ``T`` reaches exactly the seed's
cluster in a copy of the graph where each tie is kept with probability ``T``. So the final
size of a cascade from a uniformly random seed has the law of the cluster of a random user
in such a copy: ``P(size = s) = E[s * (number of clusters of size s)] / n``. Averaging over
many percolated copies (connected components by scipy) gives that law for the finite graph
itself, free of the ``n -> infinity`` limit behind Newman's formulas and of the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from sim.kernel.csr import CSR

__all__ = ["ClusterLaw", "chi_square_against", "cluster_law", "size_bins"]


@dataclass(frozen=True)
class ClusterLaw:
    """Law of the cluster of a uniformly random user, averaged over percolated copies."""

    bin_edges: np.ndarray  # sizes, as for np.histogram (the last bin includes its right edge)
    copy_prob: np.ndarray  # P(size in bin) within each copy, shape (n_copies, n_bins)
    mean_size: float  # E[size] = E[sum_c s_c^2] / n
    p_large: float  # P(size > cut * n)
    large_mean: float  # E[size / n | size > cut * n] (nan when never large)
    n_copies: int

    @property
    def bin_prob(self) -> np.ndarray:
        """P(size in bin), averaged over the copies."""
        return self.copy_prob.mean(axis=0)


def size_bins(n_users: int, cut: float) -> np.ndarray:
    """Bin edges for final sizes: roughly logarithmic up to the cut, then one large bin."""
    top = int(np.floor(cut * n_users)) + 1  # first size counted as large
    small = [e for e in (1, 2, 3, 4, 6, 11, 21, 51, 101, 201, 501, 1001, 2001, 5001)
             if e < top]
    return np.array([*small, top, n_users + 1], dtype=np.int64)


def cluster_law(graph: CSR, t: float, n_copies: int, cut: float,
                rng: np.random.Generator) -> ClusterLaw:
    """Law of a random user's cluster under bond percolation with probability ``t``.

    Parameters
    ----------
    graph : CSR
        Undirected graph (symmetric CSR).
    t : float
        Probability that a tie is kept.
    n_copies : int
        Percolated copies to average over.
    cut : float
        Share of users above which a cluster counts as large.
    rng : numpy.random.Generator
        Random stream for the kept ties.

    Returns
    -------
    ClusterLaw
    """
    n = graph.n_rows
    rows = graph.row_ids()
    upper = rows < graph.indices
    u, v = rows[upper], graph.indices[upper]
    edges = size_bins(n, cut)
    mass = np.zeros((n_copies, len(edges) - 1))
    sum_sq = large_sq = large = 0.0
    for i in range(n_copies):
        keep = rng.random(len(u)) < t
        adjacency = coo_array((np.ones(int(keep.sum()), dtype=np.int8), (u[keep], v[keep])),
                              shape=(n, n)).tocsr()
        sizes = np.bincount(connected_components(adjacency, directed=False)[1]).astype(float)
        mass[i] = np.histogram(sizes, bins=edges, weights=sizes)[0]
        big = sizes[sizes >= edges[-2]]
        sum_sq, large_sq, large = sum_sq + sizes @ sizes, large_sq + big @ big, large + big.sum()
    return ClusterLaw(bin_edges=edges, copy_prob=mass / n,
                      mean_size=sum_sq / (n * n_copies), p_large=large / (n * n_copies),
                      large_mean=large_sq / large / n if large else float("nan"),
                      n_copies=n_copies)


def chi_square_against(sizes: np.ndarray, law: ClusterLaw, minimum: float = 5.0
                       ) -> tuple[float, int]:
    """Chi-square test of observed final sizes against a cluster law known from copies.

    Adjacent bins are merged until each expects at least ``minimum`` runs. The law is
    itself an average over a finite number of copies, and near the threshold, where a few
    big clusters per copy carry the upper bins, its noise is not small: each bin's
    denominator is Pearson's expected count plus the variance of that expectation across
    copies, ``sum_b (O_b - N p_b)^2 / (N p_b + N^2 var(p_b) / n_copies)``, referred to
    chi-square with ``bins - 1`` degrees of freedom.

    Returns
    -------
    pvalue : float
        1.0 when everything falls in one merged bin (nothing to test).
    n_bins : int
        Bins after merging.
    """
    from scipy.stats import chi2

    n_runs = len(sizes)
    observed = np.histogram(sizes, bins=law.bin_edges)[0].astype(float)
    copies = law.copy_prob / law.bin_prob.sum()
    groups = _merge_small(copies.mean(axis=0) * n_runs, minimum)
    if len(groups) < 2:
        return 1.0, len(groups)
    obs = np.array([observed[g].sum() for g in groups])
    per_copy = np.stack([copies[:, g].sum(axis=1) for g in groups], axis=1)
    expected = per_copy.mean(axis=0) * n_runs
    noise = per_copy.var(axis=0, ddof=1) * n_runs ** 2 / law.n_copies if law.n_copies > 1 else 0
    statistic = float(np.sum((obs - expected) ** 2 / (expected + noise)))
    return float(chi2.sf(statistic, len(groups) - 1)), len(groups)


def _merge_small(expected: np.ndarray, minimum: float) -> list[np.ndarray]:
    """Groups of adjacent bins, left to right, each expecting at least ``minimum``; a short
    tail joins the last group."""
    groups, current, total = [], [], 0.0
    for b, e in enumerate(expected):
        current.append(b)
        total += e
        if total >= minimum:
            groups.append(np.array(current))
            current, total = [], 0.0
    if current:
        if groups:
            groups[-1] = np.concatenate([groups[-1], current])
        else:
            groups.append(np.array(current))
    return groups
