"""The Independent Cascade of reshares on the social graph, vectorized over CSR arrays.

Every newly active user gets one chance to activate each of its ties, independently with
probability ``p`` (the sharer's reshare probability). A cascade advances a whole wave at a
time: the ties of every user activated in the last wave are gathered and drawn in one numpy
pass, so the cost is proportional to the ties the cascade touches, not to the graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .csr import CSR, sorted_unique

__all__ = ["independent_cascade"]


def independent_cascade(graph: Any, seeds: Any, p: float | np.ndarray,
                        rng: np.random.Generator) -> np.ndarray:
    """Users activated by an Independent Cascade started at ``seeds``.

    Parameters
    ----------
    graph : CSR or networkx graph
        Social ties. A networkx graph is compiled to CSR first (direction ignored) and the
        result is returned as node labels.
    seeds : sequence
        Users active at the start (indices for CSR, node labels for networkx).
    p : float or ndarray
        Probability that an active user activates one of its ties; an array gives each
        user's own probability (shape ``(n_users,)``).
    rng : numpy.random.Generator
        Random stream; the same stream state gives the same cascade.

    Returns
    -------
    ndarray
        The activated users, seeds included, sorted.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> independent_cascade(nx.path_graph(5), [0], 1.0, np.random.default_rng(0)).tolist()
    [0, 1, 2, 3, 4]
    """
    if isinstance(graph, CSR):
        return _cascade(graph, np.asarray(seeds, dtype=np.int64), p, rng)
    from .graph import from_networkx

    csr, _, labels = from_networkx(graph)
    position = {label: i for i, label in enumerate(labels)}
    active = _cascade(csr, np.array([position[s] for s in seeds], dtype=np.int64), p, rng)
    return np.array([labels[i] for i in active])


def _cascade(graph: CSR, seeds: np.ndarray, p: float | np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
    active = np.zeros(graph.n_rows, dtype=bool)
    frontier = sorted_unique(seeds)
    active[frontier] = True
    per_user = np.ndim(p) > 0
    while len(frontier):
        starts = graph.indptr[frontier]
        counts = graph.indptr[frontier + 1] - starts
        total = int(counts.sum())
        if total == 0:
            break
        first = np.cumsum(counts) - counts  # where each sharer's ties begin in the wave
        edges = np.repeat(starts - first, counts) + np.arange(total)
        chance = np.repeat(np.asarray(p)[frontier], counts) if per_user else p
        reached = graph.indices[edges[rng.random(total) < chance]]
        frontier = sorted_unique(reached[~active[reached]])
        active[frontier] = True
    return np.flatnonzero(active)


def _cascade_reference(graph: CSR, seeds: list[int], p: float | np.ndarray,
                       rng: np.random.Generator) -> np.ndarray:
    """Plain-loop twin of :func:`_cascade`, drawing the same numbers in the same order."""
    active = set(seeds)
    frontier = sorted(active)
    while frontier:
        ties = [(u, int(v)) for u in frontier for v in graph.row(u)]
        if not ties:
            break
        draws = rng.random(len(ties))
        new = set()
        for (u, v), x in zip(ties, draws):
            chance = p[u] if np.ndim(p) > 0 else p
            if x < chance and v not in active:
                new.add(v)
        active |= new
        frontier = sorted(new)
    return np.array(sorted(active), dtype=np.int64)
