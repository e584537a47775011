"""The Independent Cascade of reshares on the social graph, vectorized over CSR arrays.

Every newly active user gets one chance to activate each of its ties, independently with
probability ``p`` (the sharer's reshare probability). A cascade advances a whole wave at a
time: the ties of every user activated in the last wave are drawn in one numpy pass (with
geometric gaps between the ties that fire), so the cost follows the cascade, not the graph.
Many cascades run together in one key space (:func:`cascade_sizes`). The engine's day step
runs a timed variant of the same process in compiled code
(:func:`sim.kernel.compiled.timed_cascade`), checked against this one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.kernel.compiled import insert_sorted
from sim.kernel.csr import CSR, sorted_unique
from sim.kernel.streams import Streams, bernoulli_select

__all__ = ["cascade_sizes", "contains", "independent_cascade", "spread"]


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
        return _cascade(graph, np.asarray(seeds, dtype=np.int64), p, rng)
    csr, labels = CSR.from_networkx(graph)
    position = {label: i for i, label in enumerate(labels)}
    active = _cascade(csr, np.array([position[s] for s in seeds], dtype=np.int64), p, rng)
    return np.array([labels[i] for i in active])


def cascade_sizes(graph: CSR, seeds: Any, p: float | np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """Final sizes of many independent cascades, run together in one pass per wave.

    Cascade ``i`` starts at ``seeds[i]`` (a user index, or a sequence of them); the
    cascades share no state, only the random stream, exactly as :func:`independent_cascade`
    run once per seed set would (each cascade is one piece of content of
    :func:`spread`).

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
    n = graph.n_rows
    if isinstance(seeds, np.ndarray) and seeds.ndim == 1:  # one seed per cascade
        count, keys = len(seeds), np.arange(len(seeds)) * n + seeds
    else:
        count = len(seeds)
        keys = np.concatenate([i * n + np.atleast_1d(np.asarray(s, dtype=np.int64))
                               for i, s in enumerate(seeds)] or [np.empty(0, np.int64)])
    seen = spread(graph, sorted_unique(keys.astype(np.int64)), p, Streams([rng]),
                  np.zeros(count, np.int64))
    return np.bincount(seen // n, minlength=count)


def _cascade(graph: CSR, seeds: np.ndarray, p: float | np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
    return spread(graph, sorted_unique(seeds), p, Streams([rng]), np.zeros(1, np.int64))


def spread(graph: CSR, viewers: np.ndarray, tie_p: float | np.ndarray, streams: Streams,
           owner: np.ndarray) -> np.ndarray:
    """Everyone a set of cascades reaches, starting from their first users.

    Users and content share one key space, ``key = content * n_users + user``, so many
    cascades run together, each drawing from its owner's stream. Every reached user passes
    the content on: each of its ties sees it with ``tie_p`` (a number, or one per user); a
    user sees a piece of content at most once.

    Parameters
    ----------
    graph : CSR
        Social ties: row ``u`` holds the users ``u`` reaches.
    viewers : ndarray of int64
        Sorted distinct keys of the first users.
    tie_p : float or ndarray
        Probability that a tie sees the content.
    streams : Streams
        Random streams, one per owner.
    owner : ndarray of int
        Stream owner of each content id.

    Returns
    -------
    ndarray of int64
        Sorted distinct keys of everyone reached, the first ones included.
    """
    n = graph.n_rows
    seen = new = viewers
    while len(new):
        content = new // n
        users = new - content * n
        starts = graph.indptr[users]
        q = tie_p if np.ndim(tie_p) == 0 else np.asarray(tie_p)[users]
        segment, position = bernoulli_select(streams, owner[content],
                                             graph.indptr[users + 1] - starts, q)
        reached = content[segment] * n + graph.indices[starts[segment] + position]
        new = sorted_unique(reached)
        new = new[~contains(seen, new)]
        seen = insert_sorted(seen, new)
    return seen


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
