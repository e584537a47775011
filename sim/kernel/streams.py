"""Random draws from independent per-owner streams, in bulk, and the samplers built on them.

Each owner (an account, or the one stream of a plain cascade) has its own generator; a
draw for many segments at once takes each segment's numbers from its owner's stream, in
segment order. So the numbers an account sees depend only on what that account does, and
removing another account shifts nothing.
"""

from __future__ import annotations

import copy

import numpy as np
from scipy.special import gammaln

from sim.kernel.compiled import select, take

__all__ = ["Streams", "bernoulli_select", "poisson_cdf", "poisson_counts"]

# numbers read ahead for all owners together when rows widen (4 MiB, twice): a single
# owner (one cascade) reads a whole wave ahead, an engine's account rows stay at their block
_BUFFER_NUMBERS = 2**19


class Streams:
    """One generator per owner, drawing uniforms for many segments in one call.

    Each owner's numbers are its generator's sequence of ``random()`` doubles, read ahead
    in blocks into one array (with their ``log(1 - U)`` beside them, for geometric gaps),
    so that a call for many owners is one gather rather than a call per owner. The numbers
    an owner gets depend only on how many it took before.
    """

    def __init__(self, generators: list[np.random.Generator], block: int | None = None):
        self.generators = generators
        # many owners (accounts) read a lot each day; a single owner (one cascade) may not
        self._block = block or (16384 if len(generators) > 1 else 1024)
        self._buffer = np.stack([g.random(self._block) for g in generators])
        self._logs = np.log1p(-self._buffer)
        self._next = np.zeros(len(generators), dtype=np.int64)  # first unread, per owner

    def copy(self) -> Streams:
        """An independent copy: the same numbers to come, drawn separately."""
        twin = Streams.__new__(Streams)
        twin.generators = copy.deepcopy(self.generators)
        twin._block = self._block
        twin._buffer = self._buffer.copy()
        twin._logs = self._logs.copy()
        twin._next = self._next.copy()
        return twin

    def uniforms(self, owner: np.ndarray, count: np.ndarray) -> np.ndarray:
        """``count[i]`` uniforms in [0, 1) from ``owner[i]``'s stream for each segment ``i``,
        concatenated in segment order."""
        count = np.asarray(count, dtype=np.int64)
        owner = np.broadcast_to(np.asarray(owner, dtype=np.int64), count.shape)
        self._ensure(np.bincount(owner, weights=count, minlength=len(self.generators)))
        return take(self._buffer, self._next, owner, count)

    def successes(self, owner: np.ndarray, n: np.ndarray, q: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Successes of ``n[i]`` trials with probability ``q[i]`` (in [0, 1]), per segment
        ``i``, from geometric gaps: a segment with ``0 < q < 1`` takes one number of its
        owner's stream per success and one more, others none. Returns each success's
        segment and trial, in order."""
        with np.errstate(divide="ignore"):  # q = 1: log 0 = -inf, every trial succeeds
            log_q = np.log1p(-q)
        drawn = (q > 0) & (q < 1) & (n > 0)
        mean = n * q
        owners = len(self.generators)
        expected = np.bincount(owner, weights=mean * drawn, minlength=owners)
        need = expected + 6 * np.sqrt(expected) + np.bincount(owner, weights=drawn,
                                                               minlength=owners) + 8
        # read ahead up to a row's width, widening rows while the buffer stays small;
        # a longer need refills its row as it goes
        widest = max(self._block, _BUFFER_NUMBERS // owners)
        self._ensure(np.minimum(need, widest))
        total = float(mean[n > 0].sum())
        capacity = int(total + 6 * np.sqrt(total)) + 16
        start = np.zeros(len(owner), dtype=np.int64)
        first, parts = 0, []
        while True:
            segment, position, first, trial = select(self._logs, self._next, owner, n,
                                                     log_q, start, first, capacity)
            parts.append((segment, position))
            if first == len(owner):
                break
            start[first] = trial
            o = owner[first]
            if self._next[o] == self._block:  # its row ran out (else the output was full)
                self._read_ahead(np.array([o]), 0)
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _ensure(self, need: np.ndarray) -> None:
        """Read ahead for the owners whose rows hold fewer unread numbers than ``need``."""
        short = np.flatnonzero(self._next + need > self._block)
        if len(short):
            self._read_ahead(short, int(need.max()))

    def _read_ahead(self, owners: np.ndarray, need: int) -> None:
        """Move the owners' unread numbers to the front of their rows and fill the rest from
        their generators (widening every row first if one call needs more than a row)."""
        filled = self._block
        if need > self._block:
            self._block = max(2 * self._block, need)
            for name in ("_buffer", "_logs"):
                wider = np.empty((len(self.generators), self._block))
                wider[:, :filled] = getattr(self, name)
                setattr(self, name, wider)
            owners = np.arange(len(self.generators))
        for o in owners:
            rest = self._next[o]
            kept = filled - rest
            for row in (self._buffer[o], self._logs[o]):
                row[:kept] = row[rest:filled].copy()
            fresh, logs = self._buffer[o, kept:], self._logs[o, kept:]
            self.generators[o].random(out=fresh)
            np.log1p(np.negative(fresh, out=logs), out=logs)
            self._next[o] = 0


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
    q = np.clip(np.broadcast_to(np.asarray(q, dtype=float), n.shape), 0.0, 1.0)
    owner = np.asarray(owner, dtype=np.int64)
    owner = np.full(n.shape, owner) if owner.ndim == 0 or len(owner) != len(n) else owner
    return streams.successes(owner, n, q)


def poisson_counts(rate: np.ndarray, u: np.ndarray, cdf: np.ndarray | None = None
                   ) -> np.ndarray:
    """Poisson(``rate``) counts by inversion of uniforms ``u`` (one per rate), so that a
    count depends on its own uniform only; ``cdf`` is :func:`poisson_cdf` of ``rate`` when
    the caller keeps it."""
    cdf = poisson_cdf(rate) if cdf is None else cdf
    return (cdf < np.asarray(u)[:, None]).sum(axis=1)


def poisson_cdf(rate: np.ndarray) -> np.ndarray:
    """Table of P(K <= k) for each rate (rows) and k up to far in the tail (columns)."""
    rate = np.asarray(rate, dtype=float)
    top = int(np.ceil(rate.max(initial=0) + 12 * np.sqrt(rate.max(initial=0)) + 12))
    k = np.arange(top + 1)
    log_pmf = k * np.log(np.maximum(rate[:, None], 1e-300)) - rate[:, None] - gammaln(k + 1)
    cdf = np.cumsum(np.exp(log_pmf), axis=1)
    cdf[rate <= 0] = 1.0
    return cdf
