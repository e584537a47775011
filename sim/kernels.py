"""Compiled inner loops, with the pure-numpy twins they are tested against.

numba compiles them when it is installed (a core dependency); ``RISKMODEL_NUMBA=0`` or a
missing numba selects the numpy twins, which give identical results.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["COMPILED", "delete_at", "delete_at_numpy", "insert_sorted", "insert_sorted_numpy",
           "select", "select_numpy", "take", "take_numpy", "tally", "tally_numpy"]


def select_numpy(logs: np.ndarray, next_unread: np.ndarray, owner: np.ndarray,
                 n: np.ndarray, log_q: np.ndarray, start: np.ndarray, first: int,
                 capacity: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Successful trials from geometric gaps, per segment, reading exactly what they need.

    Segment ``i`` has trials ``start[i] .. n[i] - 1``, each a success with probability
    ``q = 1 - exp(log_q[i])``. It reads values ``log(1 - U)`` from row ``owner[i]`` of
    ``logs``, from ``next_unread[row]`` on (advanced in place): each gives the gap
    ``floor(log(1 - U) / log_q) + 1`` to the next success, and the first gap past the end
    closes the segment, so a segment takes one value per success and one more.

    Segments run in order from ``first``. Returns, for each success, its segment and trial;
    and where it stopped: the segment whose row ran out (or, in the compiled loop, at
    ``capacity`` successes) and its first trial not yet covered, from which a second call
    goes on exactly; ``len(owner)`` when every segment is done.
    """
    width = logs.shape[1]
    segments, positions = [], []
    for i in range(first, len(owner)):
        o, limit, trial = owner[i], n[i], start[i] - 1
        q = -np.expm1(log_q[i])
        while True:
            j = next_unread[o]
            if j == width:
                return (*_joined(segments, positions), i, int(trial + 1))
            mean = max(limit - trial - 1, 0) * q
            chunk = min(width - j, int(mean + 6 * np.sqrt(mean)) + 8)
            gaps = np.minimum(logs[o, j:j + chunk] / log_q[i], float(limit) + 1)
            pos = trial + np.cumsum(gaps.astype(np.int64) + 1)
            m = int(np.searchsorted(pos, limit))  # successes: the trials before the end
            segments.append(np.full(m, i, dtype=np.int64))
            positions.append(pos[:m])
            if m < chunk:
                next_unread[o] = j + m + 1
                break
            next_unread[o] = j + chunk
            trial = pos[-1]
    return (*_joined(segments, positions), len(owner), 0)


def _joined(segments: list[np.ndarray], positions: list[np.ndarray]
            ) -> tuple[np.ndarray, np.ndarray]:
    empty = np.empty(0, dtype=np.int64)
    return np.concatenate([empty, *segments]), np.concatenate([empty, *positions])


def _select_loop(logs, next_unread, owner, n, log_q, start, first,
                 capacity):  # pragma: no cover - compiled
    width = logs.shape[1]
    seg_out = np.empty(capacity, dtype=np.int64)
    pos_out = np.empty(capacity, dtype=np.int64)
    k = 0
    for i in range(first, len(owner)):
        o, limit, trial = owner[i], n[i], start[i] - 1
        cap = float(limit) + 1
        j = next_unread[o]
        while True:
            if j == width or k == capacity:
                next_unread[o] = j
                return seg_out[:k], pos_out[:k], i, trial + 1
            trial += np.int64(min(logs[o, j] / log_q[i], cap)) + 1
            j += 1
            if trial >= limit:
                break
            seg_out[k] = i
            pos_out[k] = trial
            k += 1
        next_unread[o] = j
    return seg_out[:k], pos_out[:k], len(owner), 0


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


def tally_numpy(users: np.ndarray, author: np.ndarray, n_accounts: int,
                scratch: np.ndarray, bits: np.ndarray
                ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """A day's reach from its (user, author) views, each user counted once.

    Returns the number of distinct users; per account, its Shapley share (each user's unit
    split equally among the accounts that reached them, summed in entry order) and the
    users only it reached; and, when ``bits`` is not empty, one bit mask (bit a for account
    a) per user reached by several accounts, in no particular order. ``scratch`` (integers
    that hold the number of accounts) and ``bits`` (uint64, or empty) are all-zero arrays
    over all users, left all zero (the compiled loop works in them in O(entries)).
    """
    counts = np.bincount(users, minlength=len(scratch))
    mine = counts[users]
    shapley = np.bincount(author, weights=1.0 / mine, minlength=n_accounts)
    exclusive = np.bincount(author[mine == 1], minlength=n_accounts)
    masks = np.empty(0, dtype=np.uint64)
    if len(bits) and (mine > 1).any():
        shared, by = users[mine > 1], author[mine > 1]
        order = np.argsort(shared, kind="stable")
        shared = shared[order]
        first = np.flatnonzero(np.r_[True, shared[1:] != shared[:-1]])
        masks = np.bitwise_or.reduceat(
            np.left_shift(np.uint64(1), by[order].astype(np.uint64)), first)
    return int(np.count_nonzero(counts)), shapley, exclusive, masks


def _tally_loop(users, author, n_accounts, scratch, bits):  # pragma: no cover - compiled
    distinct = 0
    with_masks = len(bits) > 0
    for i in range(len(users)):
        u = users[i]
        if scratch[u] == 0:
            distinct += 1
        scratch[u] += 1
        if with_masks:
            bits[u] |= np.uint64(1) << np.uint64(author[i])
    shapley = np.zeros(n_accounts)
    exclusive = np.zeros(n_accounts, dtype=np.int64)
    masks = np.empty(len(users) if with_masks else 0, dtype=np.uint64)
    k = 0
    for i in range(len(users)):
        u, a = users[i], author[i]
        c = scratch[u]
        shapley[a] += 1.0 / c
        if c == 1:
            exclusive[a] += 1
            if with_masks:
                bits[u] = 0
        elif with_masks and bits[u] != 0:  # the user's first entry emits its mask
            masks[k] = bits[u]
            k += 1
            bits[u] = 0
    for u in users:
        scratch[u] = 0
    return distinct, shapley, exclusive, masks[:k]


def insert_sorted_numpy(base: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The sorted array ``base`` with the sorted ``keys`` (none of them in it) merged in."""
    return np.insert(base, np.searchsorted(base, keys), keys)


def _insert_sorted_loop(base, keys):  # pragma: no cover - compiled
    out = np.empty(len(base) + len(keys), dtype=base.dtype)
    at = np.searchsorted(base, keys)
    done = 0  # entries of base copied so far
    for j in range(len(keys)):
        out[done + j:at[j] + j] = base[done:at[j]]
        out[at[j] + j] = keys[j]
        done = at[j]
    out[done + len(keys):] = base[done:]
    return out


def delete_at_numpy(base: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``base`` without the entries at the sorted distinct ``positions``."""
    return np.delete(base, positions)


def _delete_at_loop(base, positions):  # pragma: no cover - compiled
    out = np.empty(len(base) - len(positions), dtype=base.dtype)
    done = 0  # entries of base copied or dropped so far
    for j in range(len(positions)):
        out[done - j:positions[j] - j] = base[done:positions[j]]
        done = positions[j] + 1
    out[done - len(positions):] = base[done:]
    return out


def _compile():
    if os.environ.get("RISKMODEL_NUMBA", "1") == "0":
        return None
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    jit = numba.njit(cache=True, nogil=True)
    return tuple(jit(f) for f in (_select_loop, _take_loop, _tally_loop,
                                  _insert_sorted_loop, _delete_at_loop))


_compiled = _compile()
COMPILED = _compiled is not None
select, take, tally, insert_sorted, delete_at = _compiled if COMPILED else (
    select_numpy, take_numpy, tally_numpy, insert_sorted_numpy, delete_at_numpy)
