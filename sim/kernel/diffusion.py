"""The Independent Cascade of reshares on the social graph, vectorized over CSR arrays.

Every newly active user gets one chance to activate each of its ties, independently with
probability ``p`` (the sharer's reshare probability). A cascade advances a whole wave at a
time: the ties of every user activated in the last wave are drawn in one numpy pass (with
geometric gaps between the ties that fire), so the cost follows the cascade, not the graph.
The engine runs the same :func:`spread` for every account's posts of a day at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.kernel.compiled import insert_sorted
from sim.kernel.csr import CSR, sorted_unique
from sim.kernel.streams import Streams, bernoulli_select
from sim.kernel.virality import reaction_delays

__all__ = ["TIME_SLOTS", "Share", "cascade_sizes", "contains", "independent_cascade",
           "spread"]

TIME_SLOTS = 1 << 20  # whole seconds a view time may take: 12 days


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
    seen, _ = spread(graph, sorted_unique(keys.astype(np.int64)), p, None, Streams([rng]),
                     np.zeros(count, np.int64))
    return np.bincount(seen // n, minlength=count)


def _cascade(graph: CSR, seeds: np.ndarray, p: float | np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
    return spread(graph, sorted_unique(seeds), p, None, Streams([rng]), np.zeros(1, np.int64))[0]


def spread(graph: CSR, viewers: np.ndarray, tie_p: float | np.ndarray,
           share: Share | None, streams: Streams, owner: np.ndarray,
           times: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Everyone who sees a piece of content, starting from its first viewers.

    Users and content share one key space, ``key = content * n_users + user``, so the
    cascades of many pieces of content (every account's posts of a day) run together, each
    drawing from its owner's stream. Without ``share`` every viewer reshares and each of
    its ties sees the content with ``tie_p`` (a number, or one per sharing user); with one,
    ``share.draw`` says who reshares, how likely each of their ties sees it, and how many
    non-followers a recommendation feed shows it to (who see it, but reshare it no
    further). A user sees a piece of content at most
    once. With ``times`` (seconds, one per first viewer), each reshare comes a reaction
    delay after its resharer saw the content (``share.delays``) and reaches its viewers
    then; a user reached by several resharers of one wave keeps the earliest time, and
    views after ``share.horizon`` seconds are dropped.

    Parameters
    ----------
    graph : CSR
        Social ties: row ``u`` holds the users who see ``u``'s reshares.
    viewers : ndarray of int64
        Sorted distinct keys of the first viewers.
    share : Share or None
        Who reshares.
    streams : Streams
        Random streams, one per owner.
    owner : ndarray of int
        Stream owner of each content id.
    times : ndarray or None
        When each first viewer saw the content.

    Returns
    -------
    keys : ndarray of int64
        Sorted distinct keys of every viewer, the first ones included.
    times : ndarray or None
        When each saw it (with ``times``).
    """
    n = graph.n_rows
    seen, seen_t = viewers, times
    new, new_t = viewers, times
    while len(new):
        discover = None
        if share is None:
            q = tie_p if np.ndim(tie_p) == 0 else np.asarray(tie_p)[new % n]
        else:
            picked, q, discover = share.draw(new, n, streams, owner)
            new = new[picked]
            if new_t is not None:
                new_t = new_t[picked] + share.delays(streams, owner[new // n])
        resharer_t = new_t
        content = new // n
        users = new - content * n
        starts = graph.indptr[users]
        segment, position = bernoulli_select(streams, owner[content],
                                             graph.indptr[users + 1] - starts, q)
        reached = content[segment] * n + graph.indices[starts[segment] + position]
        if new_t is None:
            new = sorted_unique(reached)
            new = new[~contains(seen, new)]
            seen = insert_sorted(seen, new)
            continue
        new, new_t = _fresh(seen, *_earliest(reached, new_t[segment], share.horizon))
        seen, seen_t = _merged(seen, seen_t, new, new_t)
        if discover is not None:  # shown by a feed: they see it, and pass it on no further
            found, shown = bernoulli_select(streams, owner[content], np.full(len(content), n),
                                            discover / n)
            shown, shown_t = _fresh(seen, *_earliest(content[found] * n + shown,
                                                     resharer_t[found], share.horizon))
            seen, seen_t = _merged(seen, seen_t, shown, shown_t)
    return seen, seen_t


def _fresh(seen: np.ndarray, keys: np.ndarray, times: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """The keys (and their times) not in the sorted ``seen``."""
    fresh = ~contains(seen, keys)
    return keys[fresh], times[fresh]


def _merged(seen: np.ndarray, seen_t: np.ndarray, keys: np.ndarray, times: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``seen`` with the sorted new ``keys`` merged in, times alongside."""
    at = np.searchsorted(seen, keys) + np.arange(len(keys))
    merged = np.empty(len(seen) + len(keys))
    old = np.ones(len(merged), dtype=bool)
    old[at] = False
    merged[at], merged[old] = times, seen_t
    return insert_sorted(seen, keys), merged


def _earliest(keys: np.ndarray, times: np.ndarray, horizon: float
              ) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys, sorted, each with its earliest time, dropping times past
    ``horizon``: one sort of the keys and whole seconds packed together."""
    late = times < horizon
    packed = keys[late] * TIME_SLOTS + times[late].astype(np.int64)
    packed.sort()
    if not len(packed):
        return packed, packed.astype(float)
    first = np.empty(len(packed), dtype=bool)
    first[0] = True
    k = packed // TIME_SLOTS
    np.not_equal(k[1:], k[:-1], out=first[1:])
    return k[first], (packed[first] % TIME_SLOTS).astype(float)


@dataclass(frozen=True)
class Share:
    """Who reshares, how far a reshare goes and when, for content ``c`` on a world where
    one simulated user stands for ``scale`` people.

    A person who sees content ``c`` reshares it with ``r = rate[c] * accept(key)``
    (``accept``: for example their trust; 1 when not given). A simulated user, ``scale``
    people, reshares with ``min(1, scale r)``; each of its ties then sees the reshare with
    ``min(1, tie_p * max(1, scale r))`` (``tie_p``: the probability for one resharing
    person), so that the expected people resharing and the views they bring are those of
    ``scale`` people whichever cap binds first. Each resharing user also shows the content
    to ``discovery * max(r, 1 / scale)`` simulated users drawn at random from the audience
    (a recommendation feed). Reshares come ``reaction_delays(theta, flat_seconds)`` after
    the view and count until ``horizon`` seconds.
    """

    rate: np.ndarray
    accept: Callable[[np.ndarray], np.ndarray] | None = None
    scale: float = 1.0
    tie_p: float = 1.0
    discovery: float = 0.0
    theta: float = 0.24
    flat_seconds: float = 300.0
    horizon: float = np.inf

    def draw(self, keys: np.ndarray, n: int, streams: Streams, owner: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The resharers among the sorted viewer ``keys`` (their positions), each one's tie
        probability and the users a feed shows its reshare to (None without discovery).
        Thinning: candidates at the content's top rate, drawn with geometric gaps, then
        accepted with their own share of it."""
        top = np.minimum(1.0, self.scale * self.rate)
        bounds = np.searchsorted(keys, np.arange(len(self.rate) + 1) * n)
        counts = np.diff(bounds)
        c = np.flatnonzero(counts)
        segment, position = bernoulli_select(streams, owner[c], counts[c], top[c])
        picked = bounds[c][segment] + position
        chosen = keys[picked]
        r = self.rate[chosen // n]
        if self.accept is not None and len(chosen):
            r = r * self.accept(chosen)
            u = streams.uniforms(owner[chosen // n], np.ones(len(chosen), dtype=np.int64))
            keep = u * top[chosen // n] < np.minimum(1.0, self.scale * r)
            picked, r = picked[keep], r[keep]
        people = np.maximum(1.0, self.scale * r)  # people resharing per resharing user
        tie = np.minimum(1.0, self.tie_p * people)
        discover = self.discovery * people / self.scale if self.discovery else None
        return picked, tie, discover

    def delays(self, streams: Streams, owner: np.ndarray) -> np.ndarray:
        """Reaction delays, seconds, one per resharer (of content owned by ``owner``)."""
        u = streams.uniforms(owner, np.ones(len(owner), dtype=np.int64))
        return reaction_delays(u, self.theta, self.flat_seconds)


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
