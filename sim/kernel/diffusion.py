"""The Independent Cascade of reshares on the social graph, compiled over CSR arrays.

Every newly active user gets one chance to activate each of its ties, independently with
probability ``p`` (the sharer's reshare probability). A cascade runs breadth first in
compiled code (:func:`sim.kernel.compiled.cascades`), skipping the ties that do not fire by
geometric gaps, so its cost follows the ties that do, not the graph; many cascades run in
one call (:func:`cascade_sizes`), and one call costs a few microseconds beyond its
cascade. The engine's day step runs a timed variant of the same process
(:func:`sim.kernel.compiled.timed_cascade`), checked against this one.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np

from sim.kernel.compiled import cascade_marks, cascades
from sim.kernel.csr import CSR

__all__ = ["cascade_sizes", "contains", "independent_cascade"]

NO_USER_P = np.empty(0)  # the array of per-user probabilities when p is one number
ONE_SEED = np.array([0, 1])  # where the seeds of one cascade from one seed start and end
_work = threading.local()  # per thread: each graph's work arrays, kept while the graph lives


def independent_cascade(graph: Any, seeds: Any, p: float | np.ndarray,
                        rng: np.random.Generator) -> np.ndarray:
    """Users activated by an Independent Cascade started at ``seeds``.

    Parameters
    ----------
    graph : CSR or networkx graph
        Social ties: row ``u`` of a CSR holds the users ``u`` can activate. A networkx
        graph is compiled to CSR first and the result is returned as node labels; in a
        DiGraph an edge ``u -> v`` lets ``u`` activate ``v`` (information flows from the
        account followed to its follower), in a Graph a tie goes both ways.
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
        return _cascade(graph, seeds, p, rng)
    csr, labels = CSR.from_networkx(graph)
    position = {label: i for i, label in enumerate(labels)}
    active = _cascade(csr, [position[s] for s in seeds], p, rng)
    return np.array([labels[i] for i in active])


def cascade_sizes(graph: CSR, seeds: Any, p: float | np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """Final sizes of many independent cascades, in one call.

    Cascade ``i`` starts at ``seeds[i]`` (a user index, or a sequence of them); the
    cascades share no state, each draws from its own stream seeded from ``rng``, exactly as
    :func:`independent_cascade` run once per seed set would.

    Returns
    -------
    ndarray of int64
        Users activated by each cascade, seeds included.

    Examples
    --------
    >>> import numpy as np
    >>> from sim.kernel.csr import CSR
    >>> g = CSR.symmetric(np.array([0, 1]), np.array([1, 2]), 4)
    >>> cascade_sizes(g, [0, 3, [0, 3]], 1.0, np.random.default_rng(0)).tolist()
    [3, 1, 4]
    """
    if isinstance(seeds, np.ndarray) and seeds.ndim == 1:  # one seed per cascade
        flat, starts = seeds.astype(np.int64, copy=False), np.arange(len(seeds) + 1)
    else:
        parts = [np.atleast_1d(np.asarray(s, dtype=np.int64)) for s in seeds]
        flat = np.concatenate(parts) if parts else np.empty(0, np.int64)
        starts = np.concatenate([[0], np.cumsum([len(s) for s in parts], dtype=np.int64)])
    return _run(graph, flat, starts, p, rng)[0]


def _cascade(graph: CSR, seeds: Any, p: float | np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
    """The users one cascade from ``seeds`` activates, sorted."""
    flat = np.asarray(seeds, dtype=np.int64).reshape(-1)
    sizes, queue = _run(graph, flat, ONE_SEED if len(flat) == 1 else np.array([0, len(flat)]),
                        p, rng)
    users = queue[:sizes[0]]
    return np.sort(users) if len(users) > 1 else users.copy()


def _run(graph: CSR, seeds: np.ndarray, starts: np.ndarray, p: float | np.ndarray,
         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each cascade's size, and the work queue holding the last cascade's users (the loop
    checks that every seed is a user)."""
    if isinstance(p, (float, int, np.floating, np.integer)):
        scalar, user_p = min(max(float(p), 0.0), 1.0), NO_USER_P
    else:
        scalar, user_p = 0.0, np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
        if user_p.shape != (graph.n_rows,):
            raise ValueError(f"expected one probability per user ({graph.n_rows}); found "
                             f"shape {user_p.shape}")
    seen, queue = _work_arrays(graph)
    state = rng.bit_generator.random_raw(len(starts) - 1)
    return cascades(graph.indptr, graph.indices, starts, seeds, scalar, user_p, state, seen,
                    queue), queue


def _work_arrays(graph: CSR) -> tuple[np.ndarray, np.ndarray]:
    """The graph's all-zero marks and its queue, made once per thread while it lives."""
    arrays = getattr(_work, "by_graph", None)
    if arrays is None:
        arrays = _work.by_graph = weakref.WeakKeyDictionary()
    found = arrays.get(graph)
    if found is None:
        found = arrays[graph] = (cascade_marks(graph.n_rows),
                                 np.empty(graph.n_rows, dtype=np.int64))
    return found


def contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Whether each of ``keys`` is in the sorted array ``sorted_keys``."""
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[at] == keys


def _cascade_reference(graph: CSR, seeds: list[int], p: float | np.ndarray,
                       rng: np.random.Generator) -> np.ndarray:
    """Slow plain-loop Independent Cascade, one coin per tie, as the textbook states it:
    the reference the vectorized kernel is tested against in distribution."""
    active = set(seeds)
    frontier = sorted(active)
    while frontier:
        new = set()
        for u in frontier:
            chance = p[u] if np.ndim(p) > 0 else p
            for v in graph.row(u):
                if rng.random() < chance and int(v) not in active:
                    new.add(int(v))
        active |= new
        frontier = sorted(new)
    return np.array(sorted(active), dtype=np.int64)
