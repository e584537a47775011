"""Random draws from independent per-owner streams, in bulk, and the samplers built on them.

Each owner (an account) has its own SplitMix64 stream; a draw for many segments at once
takes each segment's numbers from its owner's stream, in segment order. So the numbers an
account sees depend only on what that account does, and removing another account shifts
nothing.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from sim.kernel.compiled import successes, uniforms

__all__ = ["Streams", "bernoulli_select", "poisson_cdf", "poisson_counts"]


class Streams:
    """One SplitMix64 stream per owner (Steele, Lea and Flood 2014), drawn by compiled loops
    for many segments in one call; the numbers an owner gets depend only on how many it took
    before, never on how the calls were batched."""

    def __init__(self, seeds: np.ndarray):
        self.state = np.array(seeds, dtype=np.uint64)  # each owner's state, advanced in place

    def copy(self) -> Streams:
        """An independent copy: the same numbers to come, drawn separately."""
        return Streams(self.state.copy())

    def uniforms(self, owner: np.ndarray, count: np.ndarray) -> np.ndarray:
        """``count[i]`` uniforms in [0, 1) from ``owner[i]``'s stream for each segment ``i``,
        concatenated in segment order."""
        count = np.asarray(count, dtype=np.int64)
        owner = np.broadcast_to(np.asarray(owner, dtype=np.int64), count.shape)
        return uniforms(self.state, np.ascontiguousarray(owner), count)

    def successes(self, owner: np.ndarray, n: np.ndarray, q: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Successes of ``n[i]`` trials with probability ``q[i]`` (in [0, 1]), per segment
        ``i``, from geometric gaps: a segment with ``0 < q < 1`` takes one number of its
        owner's stream per success and one more, others none. Returns each success's
        segment and trial, in order."""
        return successes(self.state, owner, n, q)


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
    q = np.ascontiguousarray(np.broadcast_to(np.asarray(q, dtype=float), n.shape))
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
