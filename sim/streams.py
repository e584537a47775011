"""Random draws from independent per-owner streams, in bulk, and the samplers built on them.

Each owner (an account, or the one stream of a plain cascade) has its own generator; a
draw for many segments at once takes each segment's numbers from its owner's stream, in
segment order. So the numbers an account sees depend only on what that account does, and
removing another account shifts nothing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Streams", "bernoulli_select", "poisson_cdf", "poisson_counts"]


class Streams:
    """One generator per owner, drawing uniforms for many segments in one call.

    Each owner's numbers are its generator's sequence of ``random()`` doubles, read ahead
    in blocks into one array, so that a call for many owners is one gather rather than a
    call per owner. The numbers an owner gets depend only on how many it took before.
    """

    def __init__(self, generators: list[np.random.Generator], block: int = 16384):
        self.generators = generators
        self._block = block
        self._buffer = np.stack([g.random(block) for g in generators])
        self._next = np.zeros(len(generators), dtype=np.int64)  # first unread, per owner

    def uniforms(self, owner: np.ndarray, count: np.ndarray) -> np.ndarray:
        """``count[i]`` uniforms in [0, 1) from ``owner[i]``'s stream for each segment ``i``,
        concatenated in segment order."""
        count = np.asarray(count, dtype=np.int64)
        owner = np.asarray(owner, dtype=np.int64)
        total = int(count.sum())
        if total == 0:
            return np.empty(0)
        block = self._block
        per_owner = np.bincount(owner, weights=count, minlength=len(self.generators)
                                ).astype(np.int64)
        # where each segment's numbers start in its owner's unread numbers
        if len(owner) > 1 and not (owner[1:] > owner[:-1]).all():
            order = np.argsort(owner, kind="stable")
            ahead = np.cumsum(count[order]) - count[order]
            within = np.empty(len(owner), dtype=np.int64)
            within[order] = ahead - (np.cumsum(per_owner) - per_owner)[owner[order]]
        else:
            within = np.zeros(len(owner), dtype=np.int64)
        source = owner * block + self._next[owner] + within
        starts = np.cumsum(count) - count
        short = np.flatnonzero(self._next + per_owner > block)
        if not len(short):
            self._next += per_owner
            return self._buffer.ravel()[_segment_gather(source, starts, count, total)]
        # owners whose block runs out read further ahead; their numbers come from `extra`
        extra = [self._read_ahead(o, int(per_owner[o])) for o in short]
        at = np.cumsum([0] + [len(e) for e in extra[:-1]])
        is_short = np.isin(owner, short)
        source[is_short] = at[np.searchsorted(short, owner[is_short])] + within[is_short]
        self._next[~np.isin(np.arange(len(self._next)), short)] += per_owner[
            ~np.isin(np.arange(len(self._next)), short)]
        index = _segment_gather(source, starts, count, total)
        from_extra = np.repeat(is_short, count)
        out = np.empty(total)
        out[~from_extra] = self._buffer.ravel()[index[~from_extra]]
        out[from_extra] = np.concatenate(extra)[index[from_extra]]
        return out

    def _read_ahead(self, o: int, need: int) -> np.ndarray:
        """The next ``need`` numbers of owner ``o``; its buffer then holds what follows."""
        block = self._block
        rest = self._buffer[o, self._next[o]:].copy()
        fresh = self.generators[o].random(-(-(need - len(rest)) // block) * block)
        taken = need - len(rest)
        leftover = fresh[taken:]
        self._buffer[o, block - len(leftover):] = leftover
        self._next[o] = block - len(leftover)
        return np.concatenate([rest, fresh[:taken]])


def _segment_gather(src_start: np.ndarray, dst_start: np.ndarray, count: np.ndarray,
                    total: int) -> np.ndarray:
    """Index array mapping each destination position to its source position."""
    return np.repeat(src_start - dst_start, count) + np.arange(total)


def bernoulli_select(streams: Streams, owner: np.ndarray, n: np.ndarray, q: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Successes of ``n[i]`` independent trials with probability ``q[i]``, per segment ``i``.

    Draws geometric gaps between successes (``floor(log U / log(1 - q)) + 1``), so the cost
    follows the number of successes rather than of trials.

    Returns
    -------
    segment, position : ndarray
        For each success, its segment and its trial index in ``[0, n[segment])``, sorted by
        segment then position.
    """
    n = np.asarray(n, dtype=np.int64)
    q = np.asarray(q, dtype=float)
    q = np.full(n.shape, q) if q.ndim == 0 else q
    owner = np.asarray(owner)
    owner = np.full(n.shape, owner) if owner.ndim == 0 or len(owner) != len(n) else owner
    segments, positions = [], []
    certain = (q >= 1) & (n > 0)
    if certain.any():
        idx = np.flatnonzero(certain)
        segments.append(np.repeat(idx, n[idx]))
        positions.append(np.arange(int(n[idx].sum())) - np.repeat(np.cumsum(n[idx]) - n[idx],
                                                                   n[idx]))
    todo = np.flatnonzero((q > 0) & (q < 1) & (n > 0))
    start = np.zeros(len(todo), dtype=np.int64)  # next trial not yet covered
    while len(todo):
        remaining = n[todo] - start
        mean = remaining * q[todo]
        budget = np.ceil(mean + 6 * np.sqrt(mean) + 8).astype(np.int64)
        u = streams.uniforms(owner[todo], budget)
        np.log1p(-u, out=u)
        with np.errstate(over="ignore"):
            u /= np.repeat(np.log1p(-q[todo]), budget)
        np.minimum(u, float(n.max()) + 1, out=u)  # a gap past the segment's end is enough
        gaps = u.astype(np.int64) + 1  # u >= 0 here, so this is floor(u) + 1
        csum = np.cumsum(gaps)
        first = np.cumsum(budget) - budget
        before = csum[first] - gaps[first]  # cumulative sum before each segment
        pos = csum + np.repeat(start - before - 1, budget)
        keep = pos < np.repeat(n[todo], budget)
        segments.append(np.repeat(todo, budget)[keep])
        positions.append(pos[keep])
        reached = start + csum[first + budget - 1] - before  # first trial after the last gap
        more = reached < n[todo]
        todo, start = todo[more], reached[more]
    if not segments:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if len(segments) == 1:  # one pass: already in order
        return segments[0], positions[0]
    segment, position = np.concatenate(segments), np.concatenate(positions)
    order = np.lexsort((position, segment))
    return segment[order], position[order]


def poisson_counts(rate: np.ndarray, u: np.ndarray, cdf: np.ndarray | None = None
                   ) -> np.ndarray:
    """Poisson(``rate``) counts by inversion of uniforms ``u`` (one per rate), so that a
    count depends on its own uniform only; ``cdf`` is :func:`poisson_cdf` of ``rate`` when
    the caller keeps it."""
    cdf = poisson_cdf(rate) if cdf is None else cdf
    return (cdf < np.asarray(u)[:, None]).sum(axis=1)


def poisson_cdf(rate: np.ndarray) -> np.ndarray:
    """Table of P(K <= k) for each rate (rows) and k up to far in the tail (columns)."""
    from scipy.special import gammaln

    rate = np.asarray(rate, dtype=float)
    top = int(np.ceil(rate.max(initial=0) + 12 * np.sqrt(rate.max(initial=0)) + 12))
    k = np.arange(top + 1)
    log_pmf = k * np.log(np.maximum(rate[:, None], 1e-300)) - rate[:, None] - gammaln(k + 1)
    cdf = np.cumsum(np.exp(log_pmf), axis=1)
    cdf[rate <= 0] = 1.0
    return cdf
