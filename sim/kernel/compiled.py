"""Compiled inner loops, with the pure-numpy twins they are tested against.

numba compiles them when it is installed (a core dependency); ``RISKMODEL_NUMBA=0`` or a
missing numba selects the numpy twins, which give identical results. Compiled code is cached
in the user's cache folder (:func:`cache_dir`), never in the installed package: files left
there would outlive a reinstall and turn ``sim`` into an empty namespace package.
"""

from __future__ import annotations

import math
import os

import numpy as np

__all__ = [
    "COMPILED",
    "cache_dir",
    "cascade_marks",
    "cascades",
    "cascades_numpy",
    "gather",
    "gather_numpy",
    "insert_sorted",
    "insert_sorted_numpy",
    "merge_unique",
    "merge_unique_numpy",
    "merged_at",
    "splice",
    "splice_numpy",
    "successes",
    "successes_numpy",
    "tally",
    "tally_marks",
    "tally_numpy",
    "timed_cascade",
    "timed_cascade_numpy",
    "uniforms",
    "uniforms_numpy",
]


def _uniforms_loop(state, owner, count):  # pragma: no cover - compiled
    out = np.empty(count.sum())
    k = 0
    for i in range(len(owner)):
        for _ in range(count[i]):
            out[k] = _uniform(state, owner[i])
            k += 1
    return out


def _successes_loop(state, owner, n, q):  # pragma: no cover - compiled
    expected = 0.0
    for i in range(len(owner)):
        expected += max(n[i], 0) * min(max(q[i], 0.0), 1.0)
    capacity = np.int64(expected + 6.0 * np.sqrt(expected)) + 16
    segment, trial = np.empty(capacity, dtype=np.int64), np.empty(capacity, dtype=np.int64)
    k, first, resume = _fill_successes(state, owner, n, q, segment, trial, 0, 0, -1)
    while first < len(owner):  # full: twice the room, and on from where it stopped
        segment, trial = _grown(segment), _grown(trial)
        k, first, resume = _fill_successes(state, owner, n, q, segment, trial, k, first,
                                           resume)
    return segment[:k], trial[:k]


def _fill_successes(state, owner, n, q, segment, position, k, first, resume
                    ):  # pragma: no cover - compiled
    """The successes of segments ``first`` on (the first after its trial ``resume``) into
    ``segment``/``position`` from ``k``; returns how far it got: ``k``, and the segment and
    its last success where the arrays filled up (``len(owner)`` when every segment is done)."""
    for i in range(first, len(owner)):
        limit, qi, o = n[i], q[i], owner[i]
        if limit <= 0 or qi <= 0.0:
            continue
        trial = resume if i == first else np.int64(-1)
        if qi >= 1.0:  # certain: every trial, no number drawn
            while trial + 1 < limit:
                if k == len(segment):
                    return k, i, trial
                trial += 1
                segment[k], position[k] = i, trial
                k += 1
            continue
        rate = -math.log1p(-qi)  # of the exponential behind the gaps
        cap = float(limit) + 1.0
        while True:
            if k == len(segment):
                return k, i, trial
            trial += np.int64(min(_exponential(state, o) / rate, cap)) + 1  # geometric gap
            if trial >= limit:
                break
            segment[k], position[k] = i, trial
            k += 1
    return k, len(owner), np.int64(-1)


def tally_numpy(keys: np.ndarray, bounds: np.ndarray, n_users: int, marks: np.ndarray,
                with_masks: bool) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """A day's reach from its views, each user counted once.

    ``keys`` are ``account * n_users + user``, account by account: account ``a``'s views are
    ``keys[bounds[a]:bounds[a + 1]]``. Returns the number of distinct users; per account, its
    Shapley share (each user's unit split equally among the entries that reached them: the
    users only it reached, plus the shares of the others summed in entry order) and the
    users only it reached; and, when ``with_masks``, one bit mask (bit a for account a, so
    fewer than 65 accounts) per user reached by several entries, in no particular order.
    ``marks`` is an all-zero uint64 array of two bits per user (:func:`tally_marks`) that
    the compiled loop works in and leaves all zero; a day reaches few of the users and few
    of them twice, so two bitmaps that stay in cache do the counting.
    """
    n_accounts = len(bounds) - 1
    author = np.repeat(np.arange(n_accounts), np.diff(bounds))
    users = keys[bounds[0]:bounds[-1]] - author * n_users
    counts = np.bincount(users)
    mine = counts[users]
    exclusive = np.bincount(author[mine == 1], minlength=n_accounts)
    shapley = exclusive + np.bincount(author[mine > 1], weights=1.0 / mine[mine > 1],
                                      minlength=n_accounts)
    masks = np.empty(0, dtype=np.uint64)
    if with_masks and (mine > 1).any():
        shared, by = users[mine > 1], author[mine > 1]
        order = np.argsort(shared, kind="stable")
        shared = shared[order]
        first = np.flatnonzero(np.r_[True, shared[1:] != shared[:-1]])
        masks = np.bitwise_or.reduceat(
            np.left_shift(np.uint64(1), by[order].astype(np.uint64)), first)
    return int(np.count_nonzero(counts)), shapley, exclusive, masks


def tally_marks(n_users: int) -> np.ndarray:
    """The all-zero work array of :func:`tally` for ``n_users`` users."""
    return np.zeros(2 * (n_users // 64 + 1), dtype=np.uint64)


def _tally_loop(keys, bounds, n_users, marks, with_masks):  # pragma: no cover - compiled
    words = len(marks) // 2
    one = np.uint64(1)
    n_accounts = len(bounds) - 1
    distinct = 0
    for a in range(n_accounts):  # first bitmap: reached; second: reached again
        for i in range(bounds[a], bounds[a + 1]):
            u = keys[i] - a * n_users
            w, bit = u >> 6, one << np.uint64(u & 63)
            if marks[w] & bit:
                marks[words + w] |= bit
            else:
                marks[w] |= bit
                distinct += 1
    size = bounds[n_accounts] - bounds[0]
    shared = np.empty(size, dtype=np.int64)  # users of the entries reached again, in order
    by = np.empty(size, dtype=np.int64)  # and their accounts
    exclusive = np.zeros(n_accounts, dtype=np.int64)
    k = 0
    for a in range(n_accounts):
        only = 0
        for i in range(bounds[a], bounds[a + 1]):
            u = keys[i] - a * n_users
            marks[u >> 6] = 0  # the first bitmap has done its work
            if marks[words + (u >> 6)] & (one << np.uint64(u & 63)):
                shared[k], by[k] = u, a
                k += 1
            else:
                only += 1
        exclusive[a] = only
    by_user = np.argsort(shared[:k], kind="mergesort")
    count = np.empty(k, dtype=np.int64)  # entries of the same user, per shared entry
    masks = np.empty(k if with_masks else 0, dtype=np.uint64)
    m, start = 0, 0
    while start < k:
        u, end = shared[by_user[start]], start + 1
        while end < k and shared[by_user[end]] == u:
            end += 1
        mask = np.uint64(0)
        for r in range(start, end):
            count[by_user[r]] = end - start
            if with_masks:
                mask |= one << np.uint64(by[by_user[r]])
        if with_masks:
            masks[m] = mask
            m += 1
        start = end
    shapley = np.zeros(n_accounts)
    for p in range(k):
        shapley[by[p]] += 1.0 / count[p]
    shapley += exclusive
    for p in range(k):
        marks[words + (shared[p] >> 6)] = 0
    return distinct, shapley, exclusive, masks[:m]


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


def splice_numpy(base: np.ndarray, keys: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """The sorted array ``base`` with the sorted ``keys`` (none of them in it) merged in,
    then without the entries at the sorted distinct positions ``drop`` of that merge."""
    return np.delete(insert_sorted_numpy(base, keys), drop)


def _splice_loop(base, keys, drop):  # pragma: no cover - compiled
    out = np.empty(len(base) + len(keys) - len(drop), dtype=base.dtype)
    at = np.searchsorted(base, keys)
    end = len(base) + len(keys)  # past every position of the merge
    j = d = done = k = 0  # keys placed, drops made, entries of base and of out written
    while j < len(keys) or d < len(drop):
        key_at = at[j] + j if j < len(keys) else end  # positions in the merge
        drop_at = drop[d] if d < len(drop) else end
        upto = min(key_at, drop_at) - j  # base entries before the next event
        out[k:k + upto - done] = base[done:upto]
        k += upto - done
        done = upto
        if key_at <= drop_at:
            if key_at == drop_at:
                d += 1
            else:
                out[k] = keys[j]
                k += 1
            j += 1
        else:
            done += 1
            d += 1
    out[k:] = base[done:]
    return out


def gather_numpy(values: np.ndarray, start: np.ndarray, shift: np.ndarray, segment: np.ndarray,
                 position: np.ndarray) -> np.ndarray:
    """Entry ``position[i]`` of segment ``segment[i]`` of ``values`` (segment ``s`` starting at
    ``start[s]``), plus the segment's ``shift[s]``, for each ``i``."""
    return values[start[segment] + position] + shift[segment]


def _gather_loop(values, start, shift, segment, position):  # pragma: no cover - compiled
    out = np.empty(len(segment), dtype=values.dtype)
    for i in range(len(segment)):
        out[i] = values[start[segment[i]] + position[i]] + shift[segment[i]]
    return out


def merge_unique_numpy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted distinct values of the sorted arrays ``a`` and ``b`` together."""
    return np.union1d(a, b)


def _merge_unique_loop(a, b):  # pragma: no cover - compiled
    out = np.empty(len(a) + len(b), dtype=a.dtype)
    i = k = 0
    for j in range(len(b)):  # b is the short one: a's runs between its values, then it
        while i < len(a) and a[i] < b[j]:
            if k == 0 or out[k - 1] != a[i]:
                out[k] = a[i]
                k += 1
            i += 1
        if k == 0 or out[k - 1] != b[j]:
            out[k] = b[j]
            k += 1
    for rest in range(i, len(a)):
        if k == 0 or out[k - 1] != a[rest]:
            out[k] = a[rest]
            k += 1
    return out[:k]


def merged_at(base: np.ndarray, keys: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Entries at ``positions`` of the merge of sorted ``base`` and sorted ``keys`` (the
    array :func:`splice` builds), without building it."""
    if not len(keys) or not len(base):
        return base[positions] if len(base) else keys[positions]
    placed = np.searchsorted(base, keys) + np.arange(len(keys))  # keys' merge positions
    before = np.searchsorted(placed, positions)  # keys ahead of each position
    is_key = placed[np.minimum(before, len(keys) - 1)] == positions
    from_base = base[np.minimum(positions - before, len(base) - 1)]
    return np.where(is_key, keys[np.minimum(before, len(keys) - 1)], from_base)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


def _bits(state, c):  # pragma: no cover - compiled
    """Next 64 random bits of stream ``c`` (SplitMix64, Steele, Lea and Flood 2014)."""
    state[c] += _GOLDEN
    z = state[c]
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


def _uniform(state, c):  # pragma: no cover - compiled
    """Next uniform in [0, 1) of stream ``c``."""
    return float(_bits(state, c) >> _S11) * (1.0 / 9007199254740992.0)


def _ziggurat() -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Marsaglia and Tsang's (2000) 256-layer ziggurat for the standard exponential on 53-bit
    integers, as numpy's ``standard_exponential`` uses it: the base strip's right edge, and
    per layer the acceptance bound, the integer-to-x scale and the density at its edge."""
    r, area, m = 7.69711747013104972, 3.949659822581572e-3, 2.0**53
    bound, scale, density = np.zeros(256, dtype=np.uint64), np.zeros(256), np.zeros(256)
    q = area / np.exp(-r)
    bound[0] = np.uint64(r / q * m)
    scale[0], scale[255] = q / m, r / m
    density[0], density[255] = 1.0, np.exp(-r)
    edge, outer = r, r
    for i in range(254, 0, -1):
        edge = -np.log(area / edge + np.exp(-edge))
        bound[i + 1] = np.uint64(edge / outer * m)
        outer = edge
        density[i], scale[i] = np.exp(-edge), edge / m
    return r, bound, scale, density


_ZIG_R, _ZIG_BOUND, _ZIG_SCALE, _ZIG_DENSITY = _ziggurat()
_S3, _S8, _LAYER = np.uint64(3), np.uint64(8), np.uint64(255)


def _exponential(state, c):  # pragma: no cover - compiled
    """Next standard exponential of stream ``c``, by the ziggurat (one draw, 98.9 % of the
    time without a logarithm)."""
    while True:
        bits = _bits(state, c) >> _S3
        layer = np.int64(bits & _LAYER)
        bits >>= _S8
        x = float(bits) * _ZIG_SCALE[layer]
        if bits < _ZIG_BOUND[layer]:
            return x
        if layer == 0:  # the tail beyond r
            return _ZIG_R - math.log(1.0 - _uniform(state, c))
        low = _ZIG_DENSITY[layer]
        if (_ZIG_DENSITY[layer - 1] - low) * _uniform(state, c) + low < math.exp(-x):
            return x


def _marked(seen, key):  # pragma: no cover - compiled
    """Set ``key``'s bit in ``seen``; whether it was clear (a first view)."""
    w, bit = key >> 6, np.uint64(1) << np.uint64(key & 63)
    if seen[w] & bit:
        return False
    seen[w] |= bit
    return True


def _unmarked(seen, key):  # pragma: no cover - compiled
    """Clear ``key``'s bit in ``seen``."""
    seen[key >> 6] &= ~(np.uint64(1) << np.uint64(key & 63))


def _grown(a):  # pragma: no cover - compiled
    """``a`` copied into the front of an array twice as long."""
    b = np.empty(2 * len(a), dtype=a.dtype)
    b[:len(a)] = a
    return b


def _timed_cascade_loop(indptr, indices, n, first, keys, times, rate, pace, posted,
                        freshness, scandal, trust, scale, tie_p, discovery, theta, flat,
                        horizon, state, seen):  # pragma: no cover - compiled
    width = len(keys) * 4 + 1024
    queue, queued = np.empty(width, dtype=np.int64), np.empty(width)  # one content's users
    reached, when = np.empty(width, dtype=np.int64), np.empty(width)  # every content's keys
    feed, fed = np.empty(width, dtype=np.int64), np.empty(width)
    shares = np.zeros(len(rate))
    done, shown = 0, 0
    for c in range(len(rate)):  # content by content: each its own stream, marks and queue
        lo, hi = np.searchsorted(keys, c * n), np.searchsorted(keys, (c + 1) * n)
        if lo == hi:
            continue
        viewers = first[np.searchsorted(first, c * n):np.searchsorted(first, (c + 1) * n)]
        for i in range(len(viewers)):
            _marked(seen, viewers[i] - c * n)
        decided = hi - lo
        if decided + 1 > len(queue):
            queue, queued = np.empty(2 * decided + 1, np.int64), np.empty(2 * decided + 1)
        for i in range(decided):
            queue[i], queued[i] = keys[lo + i] - c * n, times[lo + i]
        head, tail, shown_before = 0, decided, shown
        while True:  # the arrays fill up only on a big day: twice the room, and on
            head, tail, shown = _spread(indptr, indices, n, c, rate, pace, posted, freshness,
                                        scandal, trust, scale, tie_p, discovery, theta, flat,
                                        horizon, state, seen, decided, queue, queued, feed,
                                        fed, shares, head, tail, shown)
            if head == tail:
                break
            queue, queued = _grown(queue), _grown(queued)
            feed, fed = _grown(feed), _grown(fed)
        while done + tail - decided > len(reached):
            reached, when = _grown(reached), _grown(when)
        for i in range(decided, tail):
            reached[done], when[done] = c * n + queue[i], queued[i]
            done += 1
        for i in range(len(viewers)):
            seen[(viewers[i] - c * n) >> 6] = 0
        for i in range(tail):
            seen[queue[i] >> 6] = 0
        for i in range(shown_before, shown):
            seen[(feed[i] - c * n) >> 6] = 0
    return reached[:done], when[:done], feed[:shown], fed[:shown], shares


def _spread(indptr, indices, n, c, rate, pace, posted, freshness, scandal, trust, scale,
            tie_p, discovery, theta, flat, horizon, state, seen, decided, queue, queued, feed,
            fed, shares, head, tail, shown):  # pragma: no cover - compiled
    """Content ``c``'s breadth-first loop over its users in ``queue``, from entry ``head``,
    until the queue is done or an entry finds ``queue`` or ``feed`` full: that entry is then
    undone (its stream, share and marks as they were before it) and the loop returns with
    ``head`` at it. Feed views are written as keys, ``c * n + user``."""
    flat_mass = theta / (1.0 + theta)
    stretch, decay, power = flat / flat_mass, -1.0 / freshness, -1.0 / theta
    trusting = len(trust) > 0 and not scandal[c]
    # for the usual resharing user standing for at most one resharing person
    rate1 = -np.log1p(-tie_p) if 0.0 < tie_p < 1.0 else 0.0
    floor1 = np.exp(-discovery / scale)
    top_rate = min(1.0, scale * rate[c])
    while head < tail:
        u, t = queue[head], queued[head]
        before, share_before, tail_before, shown_before = state[c], shares[c], tail, shown
        head += 1
        r = rate[c]
        if trusting:
            r *= trust[u]
        if r <= 0.0:
            continue
        sr = scale * r  # then less as the post goes stale; no stream is read before it is
        top = top_rate if head <= decided else 1.0
        if sr < top:  # at most this rate: kept with its share of the top
            x = _uniform(state, c) * top
            if x >= sr:  # not even before it went stale
                continue
            if t > posted[c]:
                sr *= np.exp((t - posted[c]) * decay)
            if x >= sr:
                continue
        elif t > posted[c]:
            sr *= np.exp((t - posted[c]) * decay)
            if sr < top and _uniform(state, c) * top >= sr:
                continue
        people = max(1.0, sr)
        tp = min(1.0, tie_p * people)
        tie_rate = rate1 if people == 1.0 else (-np.log1p(-tp) if tp < 1.0 else 0.0)
        x = _uniform(state, c)
        if x < flat_mass:
            t = t + pace[c] * x * stretch
        else:
            t = t + pace[c] * flat * max((1.0 - x) * (1.0 + theta), 1e-300) ** power
        if t >= horizon:
            continue
        shares[c] += people
        full = False
        j, end = indptr[u], indptr[u + 1]
        while tp > 0.0:
            if tp < 1.0:  # ties skipped before the next one that sees it: geometric
                j += np.int64(_exponential(state, c) / tie_rate)
            if j >= end:
                break
            v = np.int64(indices[j])
            j += 1
            if _marked(seen, v):
                if tail == len(queue):
                    full = True
                    break
                queue[tail], queued[tail] = v, t
                tail += 1
        if discovery > 0.0 and not full:  # a Poisson number of feed viewers (Knuth)
            floor = floor1 if people == 1.0 else np.exp(-discovery * people / scale)
            product = _uniform(state, c)
            while product > floor:
                v = np.int64(_uniform(state, c) * n)
                product *= _uniform(state, c)
                if _marked(seen, v):
                    if shown == len(feed):
                        full = True
                        break
                    feed[shown], fed[shown] = c * n + v, t
                    shown += 1
        if full:  # undo this entry: it runs again with more room
            for i in range(tail_before, tail):
                _unmarked(seen, queue[i])
            for i in range(shown_before, shown):
                _unmarked(seen, feed[i] - c * n)
            _unmarked(seen, v)  # the view that found no room
            state[c], shares[c] = before, share_before
            return head - 1, tail_before, shown_before
    return head, tail, shown


def _cascades_loop(indptr, indices, starts, seeds, p, user_p, state, seen, queue
                   ):  # pragma: no cover - compiled
    """Independent Cascades one after another, breadth first, with geometric skips."""
    count = len(starts) - 1
    sizes = np.empty(count, dtype=np.int64)
    per_user = len(user_p) > 0
    log_q = np.log1p(-p) if 0.0 < p < 1.0 else 0.0
    for c in range(count):
        tail = 0
        for k in range(starts[c], starts[c + 1]):
            if seeds[k] < 0 or seeds[k] >= len(queue):
                for i in range(tail):  # left all zero for the next call
                    seen[queue[i] >> 6] = 0
                raise ValueError("expected seed users from 0 to the number of users - 1")
            if _marked(seen, seeds[k]):
                queue[tail] = seeds[k]
                tail += 1
        head = 0
        while head < tail:
            u = queue[head]
            head += 1
            q, lq = p, log_q
            if per_user:
                q = user_p[u]
                lq = np.log1p(-q) if 0.0 < q < 1.0 else 0.0
            if q <= 0.0:
                continue
            j, end = indptr[u], indptr[u + 1]
            while j < end:
                if q < 1.0:  # ties skipped before the next one that sees it: geometric
                    gap = np.log(1.0 - _uniform(state, c)) / lq
                    if gap >= end - j:
                        break
                    j += np.int64(gap)
                v = indices[j]
                j += 1
                if _marked(seen, v):
                    queue[tail] = v
                    tail += 1
        sizes[c] = tail
        for k in range(tail):
            seen[queue[k] >> 6] = 0
    return sizes


def cascades_numpy(*args):
    """The loop of :func:`cascades`, interpreted (its twin: the same numbers, slowly)."""
    with np.errstate(over="ignore"):
        return _cascades_loop(*args)


def cascade_marks(n_keys: int) -> np.ndarray:
    """The all-zero work array of :func:`timed_cascade` for ``n_keys`` keys."""
    return np.zeros(n_keys // 64 + 1, dtype=np.uint64)


def uniforms_numpy(*args):
    """The loop of :func:`uniforms`, interpreted (its twin: the same numbers, slowly)."""
    with np.errstate(over="ignore"):
        return _uniforms_loop(*args)


def successes_numpy(*args):
    """The loop of :func:`successes`, interpreted (its twin: the same numbers, slowly)."""
    with np.errstate(over="ignore"):
        return _successes_loop(*args)


def timed_cascade_numpy(*args):
    """The loop of :func:`timed_cascade`, interpreted (its twin: the same numbers, slowly)."""
    with np.errstate(over="ignore"):
        return _timed_cascade_loop(*args)


def cache_dir() -> str | None:
    """Where numba caches the compiled loops: ``NUMBA_CACHE_DIR`` if set, else
    ``riskmodel/numba`` in ``$XDG_CACHE_HOME`` or ``~/.cache``; None (nothing cached) when
    this user cannot write there, as numba would then fall back to the package's folder."""
    path = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "riskmodel", "numba")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


def _compile():
    if os.environ.get("RISKMODEL_NUMBA", "1") == "0":
        return None
    cache = cache_dir()
    if cache:  # numba reads it on import, and again before compiling if imported already
        os.environ["NUMBA_CACHE_DIR"] = cache
    try:
        import numba  # optional at run time: RISKMODEL_NUMBA=0 runs the numpy twins
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    jit = numba.njit(cache=cache is not None, nogil=True)
    for helper in ("_bits", "_uniform", "_exponential", "_marked", "_unmarked", "_grown"):
        globals()[helper] = numba.njit(inline="always")(globals()[helper])  # inlined
    for helper in ("_fill_successes", "_spread"):  # called: their arrays stay put
        globals()[helper] = jit(globals()[helper])
    return tuple(jit(f) for f in (_uniforms_loop, _successes_loop, _tally_loop,
                                  _insert_sorted_loop, _splice_loop, _merge_unique_loop,
                                  _gather_loop, _timed_cascade_loop, _cascades_loop))


_compiled = _compile()
COMPILED = _compiled is not None
(uniforms, successes, tally, insert_sorted, splice, merge_unique, gather, timed_cascade,
 cascades) = _compiled if COMPILED else (
    uniforms_numpy, successes_numpy, tally_numpy, insert_sorted_numpy, splice_numpy,
    merge_unique_numpy, gather_numpy, timed_cascade_numpy, cascades_numpy)
uniforms.__doc__ = """``count[i]`` uniforms in [0, 1) from stream ``owner[i]`` for each segment
``i``, concatenated in segment order; ``state`` holds each owner's SplitMix64 state,
advanced in place."""
successes.__doc__ = """Successes among ``n[i]`` independent trials of probability ``q[i]``, per
segment ``i``: each segment jumps from success to success by geometric gaps
``floor(E / -ln(1 - q)) + 1``, with ``E`` a standard exponential (the law of ``-ln(1 - U)``)
from stream ``owner[i]`` (``state``, advanced in place), so it takes one exponential per
success and one more; ``q >= 1`` selects every trial and ``q <= 0`` none, drawing nothing.
Returns each success's segment and trial, in order."""
cascades.__doc__ = """Independent Cascades run one after another, breadth first: cascade ``c``
starts at ``seeds[starts[c]:starts[c + 1]]`` and each user it reaches lets each of its ties
(row ``u`` of ``indptr``/``indices``) see it with ``p`` (or ``user_p[u]`` when ``user_p`` is
not empty), skipping the ties that do not by geometric gaps, so its cost follows the ties
that see it. Draws come from ``state[c]`` (one SplitMix64 stream per cascade, advanced in
place); ``seen`` is an all-zero bit array of the users (:func:`cascade_marks`), left all
zero, and ``queue`` a work array of one slot per user, which holds the last cascade's users
on return. Returns each cascade's final size, seeds included."""
timed_cascade.__doc__ = """Who else sees the day's content, and when: a breadth-first
Independent Cascade with reaction times, from the first viewers who reshare (docs/MODEL.md,
"Resharing").

Keys are ``content * n + user``. ``first`` are all the first viewers (who saw the content
itself: they see it once, and are not returned); ``keys``/``times`` are those of them drawn
as candidate resharers at the content's top rate ``min(1, scale rate[c])``, and the seconds
they saw it. A viewer of content ``c`` is one simulated user standing for ``scale`` people,
each resharing with ``r = rate[c]`` (times ``trust[user]`` unless ``scandal[c]`` or ``trust``
is empty, times ``exp(-age / freshness)`` for a view ``age`` seconds after the post at
``posted[c]``): a candidate is kept with ``min(1, scale r)`` over the top rate, any later
viewer reshares with ``min(1, scale r)``; the reshare comes a reaction time after the view
(the SEISMIC kernel: flat for ``flat`` seconds, then a power law of exponent ``theta``,
stretched by the content's ``pace[c]``); each of its ties (row ``user`` of
``indptr``/``indices``) then sees it with ``min(1, tie_p max(1, scale r))``, and a feed shows
it to a Poisson number, mean ``discovery max(1, scale r) / scale``, of users drawn at random,
who pass it on no further. A user sees a piece of content once, at the time of the first
reshare that reached it in breadth-first order; views at or after ``horizon`` seconds are
dropped. Draws come from ``state[c]`` (one SplitMix64 stream per content, advanced in place);
the contents run one after another, each breadth first with its own marks in ``seen``, an
all-zero work array of ``n`` bits (:func:`cascade_marks`), left all zero: a content's
cascade depends on its own stream only, so the order of the contents changes nothing.

Returns the keys and times of the users reached through ties, then of those shown by feeds,
in no particular order; and per content the people who reshared it (``max(1, scale r)`` for
each simulated user who did)."""
