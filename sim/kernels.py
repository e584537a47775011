"""Compiled inner loops, with the pure-numpy twins they are tested against.

numba compiles them when it is installed (a core dependency); ``RISKMODEL_NUMBA=0`` or a
missing numba selects the numpy twins, which give identical results.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["COMPILED", "gap_positions", "gap_positions_numpy", "reached_by", "reached_by_numpy",
           "take", "take_numpy"]


def gap_positions_numpy(log_u: np.ndarray, budget: np.ndarray, log_q: np.ndarray,
                        n: np.ndarray, start: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Successful trials from geometric gaps, per segment.

    Segment ``i`` has ``budget[i]`` values of ``log(1 - U)`` in ``log_u`` (in segment
    order); each gives a gap ``floor(log(1 - U) / log_q[i]) + 1`` to the next success,
    counted from trial ``start[i]``. Returns, for each success below ``n[i]``, its segment
    and trial; and per segment the first trial after its last gap.
    """
    cap = float(n.max()) + 1  # a gap past the segment's end is enough
    seg = np.repeat(np.arange(len(budget)), budget)
    with np.errstate(over="ignore"):
        ratio = np.minimum(log_u / log_q[seg], cap)
    gaps = ratio.astype(np.int64) + 1  # the ratio is >= 0, so this is its floor
    csum = np.cumsum(gaps)
    first = np.cumsum(budget) - budget
    before = csum[first] - gaps[first]  # cumulative sum before each segment
    pos = csum + np.repeat(start - before - 1, budget)
    keep = pos < np.repeat(n, budget)
    reached = start + csum[first + budget - 1] - before
    return seg[keep], pos[keep], reached


def _gap_positions_loop(log_u, budget, log_q, n, start):  # pragma: no cover - compiled
    cap = float(n.max()) + 1
    seg_out = np.empty(len(log_u), dtype=np.int64)
    pos_out = np.empty(len(log_u), dtype=np.int64)
    reached = np.empty(len(budget), dtype=np.int64)
    k, j = 0, 0
    for i in range(len(budget)):
        trial = start[i] - 1
        for _ in range(budget[i]):
            ratio = min(log_u[j] / log_q[i], cap)
            trial += np.int64(ratio) + 1
            j += 1
            if trial < n[i]:
                seg_out[k] = i
                pos_out[k] = trial
                k += 1
        reached[i] = trial + 1
    return seg_out[:k], pos_out[:k], reached


def take_numpy(buffer: np.ndarray, next_unread: np.ndarray, owner: np.ndarray,
               count: np.ndarray) -> np.ndarray:
    """``count[i]`` numbers from row ``owner[i]`` of ``buffer`` for each segment ``i``, each
    row read on from ``next_unread[row]`` (advanced in place; the caller made sure every row
    holds enough)."""
    block = buffer.shape[1]
    per_owner = np.bincount(owner, weights=count, minlength=len(next_unread)).astype(np.int64)
    within = np.zeros(len(owner), dtype=np.int64)  # earlier segments of the same owner
    if len(owner) > 1 and not (owner[1:] > owner[:-1]).all():
        order = np.argsort(owner, kind="stable")
        ahead = np.cumsum(count[order]) - count[order]
        within[order] = ahead - (np.cumsum(per_owner) - per_owner)[owner[order]]
    source = owner * block + next_unread[owner] + within
    starts = np.cumsum(count) - count
    index = np.repeat(source - starts, count) + np.arange(int(count.sum()))
    next_unread += per_owner
    return buffer.ravel()[index]


def _take_loop(buffer, next_unread, owner, count):  # pragma: no cover - compiled
    out = np.empty(count.sum())
    k = 0
    for i in range(len(owner)):
        o, c = owner[i], count[i]
        start = next_unread[o]
        out[k:k + c] = buffer[o, start:start + c]
        next_unread[o] = start + c
        k += c
    return out


def reached_by_numpy(users: np.ndarray, scratch: np.ndarray) -> tuple[np.ndarray, int]:
    """For each entry of ``users`` (a user may appear several times), how many entries name
    the same user; and the number of distinct users. ``scratch`` is an all-zero int array
    over all users, left all zero (the compiled loop counts in it in O(entries))."""
    counts = np.bincount(users, minlength=len(scratch))
    return counts[users], int(np.count_nonzero(counts))


def _reached_by_loop(users, scratch):  # pragma: no cover - compiled
    distinct = 0
    for u in users:
        if scratch[u] == 0:
            distinct += 1
        scratch[u] += 1
    out = np.empty(len(users), dtype=np.int64)
    for i in range(len(users)):
        out[i] = scratch[users[i]]
    for u in users:
        scratch[u] = 0
    return out, distinct


def _compile():
    if os.environ.get("RISKMODEL_NUMBA", "1") == "0":
        return None
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    jit = numba.njit(cache=True, nogil=True)
    return jit(_gap_positions_loop), jit(_take_loop), jit(_reached_by_loop)


_compiled = _compile()
COMPILED = _compiled is not None
gap_positions, take, reached_by = _compiled if COMPILED else (
    gap_positions_numpy, take_numpy, reached_by_numpy)
