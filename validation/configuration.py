"""Configuration-model graphs built by stub matching, as CSR arrays and as networkx graphs.

Each user gets a degree drawn from the chosen distribution; the stubs (half-ties) are shuffled
and paired in order. Self-loops and repeated ties are then dropped (``CSR.symmetric``), so
the realized degrees are slightly below the drawn ones: the percolation theory is computed
from the realized degrees, and :func:`removed_ties` counts what was dropped.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from sim.kernel.csr import CSR

__all__ = [
    "configuration_graph",
    "poisson_degrees",
    "power_law_degrees",
    "removed_ties",
    "to_networkx",
]


def poisson_degrees(n: int, mean: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` degrees drawn from a Poisson distribution with the given mean."""
    return rng.poisson(mean, n).astype(np.int64)


def power_law_degrees(n: int, exponent: float, cutoff: float, rng: np.random.Generator,
                      k_min: int = 1) -> np.ndarray:
    """``n`` degrees with ``p_k ~ k^-exponent exp(-k / cutoff)`` for ``k >= k_min``.

    Parameters
    ----------
    n : int
        Number of users.
    exponent : float
        Power-law exponent (2.5 here).
    cutoff : float
        Scale ``kappa`` of the exponential cutoff, in ties.
    rng : numpy.random.Generator
        Random stream.
    k_min : int
        Smallest degree (Newman's family starts at 1).

    Returns
    -------
    ndarray of int64
        The degrees. The support is truncated at ``k_min + 40 * cutoff``, where the weight
        is below ``exp(-40)`` of the largest: no draw in any practical sample lies beyond it.
    """
    k = np.arange(k_min, int(k_min + 40 * cutoff) + 1)
    weight = k ** -float(exponent) * np.exp(-k / cutoff)
    return rng.choice(k, size=n, p=weight / weight.sum()).astype(np.int64)


def configuration_graph(degrees: np.ndarray, rng: np.random.Generator) -> CSR:
    """A configuration-model graph by stub matching; self-loops and repeated ties dropped.

    Parameters
    ----------
    degrees : ndarray of int
        Wanted degree of each user. When their sum is odd, one random user gets one more
        stub (the caller's array is not changed).
    rng : numpy.random.Generator
        Random stream for the odd stub and the matching.

    Returns
    -------
    CSR
        The simple undirected graph on ``len(degrees)`` users.
    """
    degrees = np.array(degrees, dtype=np.int64)
    if degrees.sum() % 2:
        degrees[rng.integers(len(degrees))] += 1
    stubs = np.repeat(np.arange(len(degrees), dtype=np.int64), degrees)
    rng.shuffle(stubs)
    return CSR.symmetric(stubs[0::2], stubs[1::2], len(degrees))


def removed_ties(degrees: np.ndarray, graph: CSR) -> int:
    """Ties lost to self-loops and repeats: drawn stubs / 2 minus realized ties (rounded
    down, since an odd stub sum gets one extra stub)."""
    return int(np.sum(degrees) + 1) // 2 - graph.nnz // 2


def to_networkx(graph: CSR) -> nx.Graph:
    """The same undirected graph as networkx, nodes ``0 .. n - 1`` in order."""
    G = nx.Graph()
    G.add_nodes_from(range(graph.n_rows))
    rows = graph.row_ids()
    upper = rows < graph.indices
    G.add_edges_from(zip(rows[upper].tolist(), graph.indices[upper].tolist()))
    return G
