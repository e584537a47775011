"""Generate a synthetic audience straight into arrays: social ties and follower sets.

A follow graph (:func:`follow_graph`, the default on follow platforms) is a directed
Chung-Lu graph with communities: every user draws an expected follower count and an
expected followee count from two truncated power laws, independently; each follow picks the
followed user in proportion to follower weight and the follower in proportion to followee
weight, inside the followed user's community or anywhere, so that a share ``mixing``
crosses communities in expectation;
then a share of follows is returned so that the share ``reciprocity`` of all follows are
mutual. A friendship graph (:func:`social_ties`) is a configuration model with communities
(in the manner of the LFR benchmark, Lancichinetti, Fortunato and Radicchi 2008): every user
draws an expected tie count from a truncated power law and belongs to one community; its tie
ends (Poisson in number around the expected count) are paired at random, inside its
community or across the whole graph, with the share sent across set so that a share
``mixing`` of ties crosses communities (an end sent across may land back in its own
community). Repeated ties and self-ties are dropped.

Follower sets are drawn per account from its own random stream: the brand's followers
first, then for every other account a share ``overlap`` of its followers from the brand's
followers and the rest from everyone else.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from sim.kernel.csr import CSR

__all__ = ["follow_graph", "follower_sets", "power_law_weights", "social_ties"]


def power_law_weights(n: int, mean: float, exponent: float, maximum: float,
                      rng: np.random.Generator) -> np.ndarray:
    """Expected tie counts: ``n`` draws from p(w) ~ w^-exponent on [w_min, maximum].

    ``w_min`` is solved so that the distribution's mean is ``mean``.
    """
    if not 0 < mean < maximum:
        raise ValueError(f"mean degree must lie in (0, max_degree={maximum:g}); got {mean:g}")
    a = 1.0 - exponent  # integrate w^-exponent: antiderivative ~ w^a / a

    def mean_of(w_min: float) -> float:
        b = 2.0 - exponent
        num = (maximum ** b - w_min ** b) / b
        den = (maximum ** a - w_min ** a) / a
        return num / den - mean

    w_min = brentq(mean_of, 1e-9 * mean, mean)
    u = rng.random(n)
    lo, hi = w_min ** a, maximum ** a
    return (lo + u * (hi - lo)) ** (1.0 / a)


def social_ties(n: int, mean_degree: float, exponent: float, max_degree: float,
                community_size: float, mixing: float, rng: np.random.Generator
                ) -> tuple[CSR, np.ndarray]:
    """An undirected social graph with heavy-tailed degrees and communities.

    Returns the ties as a symmetric :class:`CSR` and each user's community (int32).
    Repeated ties and self-ties are dropped, so the realized mean degree is a little below
    ``mean_degree`` where hubs saturate their communities.
    """
    weight_rng, community_rng, stub_rng = rng.spawn(3)
    w = power_law_weights(n, mean_degree, exponent, max_degree, weight_rng)
    community, n_comm = _communities(n, community_size, community_rng)
    stubs = stub_rng.poisson(w)
    inside = stub_rng.binomial(stubs, 1.0 - _p_out(mixing, community, w, w, n_comm))
    users = np.arange(n, dtype=np.int32)
    u_in, v_in = _match(np.repeat(users, inside), np.repeat(community, inside), stub_rng)
    out = np.repeat(users, stubs - inside)
    u_out, v_out = _match(out, np.zeros(len(out), dtype=np.int32), stub_rng)
    return CSR.symmetric(np.concatenate([u_in, u_out]), np.concatenate([v_in, v_out]), n), \
        community


PICK_CHUNK = 2**22  # draws searched at once when each has its own range


def follow_graph(n: int, mean_degree: float, follower_exponent: float,
                 followee_exponent: float, max_degree: float, community_size: float,
                 mixing: float, reciprocity: float, rng: np.random.Generator
                 ) -> tuple[CSR, np.ndarray]:
    """A directed follow graph with heavy-tailed follower and followee counts, communities
    and reciprocated follows.

    Returns the ties as a :class:`CSR` whose row ``u`` holds ``u``'s followers (the users
    its posts and reshares reach) and each user's community (int32). Repeated follows and
    self-follows are dropped, so the realized mean is a little below ``mean_degree``.
    """
    out_rng, in_rng, community_rng, edge_rng = rng.spawn(4)
    w_out = power_law_weights(n, mean_degree, follower_exponent, max_degree, out_rng)
    w_in = power_law_weights(n, mean_degree, followee_exponent, max_degree, in_rng)
    community, n_comm = _communities(n, community_size, community_rng)
    returned = reciprocity / (2.0 - reciprocity)  # returning x of E gives 2x/(1+x) mutual
    m = edge_rng.poisson(n * mean_degree / (1.0 + returned))
    followed = _pick(np.cumsum(w_out), 0, n, edge_rng.random(m))
    by_community = np.argsort(community, kind="stable").astype(np.int32)
    cum_in = np.cumsum(w_in[by_community])
    bounds = np.searchsorted(community[by_community], np.arange(n_comm + 1)).astype(np.int32)
    across = edge_rng.random(m) < _p_out(mixing, community, w_out, w_in, n_comm)
    c = community[followed]
    lo = np.where(across, 0, bounds[c])
    hi = np.where(across, n, bounds[c + 1])
    del across, c  # arrays of a hundred million ties at 10^7 users: each one freed at once
    follower = by_community[_pick(cum_in, lo, hi, edge_rng.random(m))]
    del lo, hi
    back = edge_rng.random(m) < returned
    src = np.concatenate([followed, follower[back]])
    dst = np.concatenate([follower, followed[back]])
    del followed, follower, back
    return CSR.directed(src, dst, n), community


def _pick(cumulative: np.ndarray, lo: np.ndarray | int, hi: np.ndarray | int,
          u: np.ndarray) -> np.ndarray:
    """Indices (int32) drawn in proportion to weight within ``[lo, hi)`` (``cumulative`` is
    the running sum of the weights), one per uniform in ``u`` (in order of ``u`` when the
    ranges differ, sorted when there is one)."""
    running = np.concatenate([[0.0], cumulative])  # the weight before each index
    # sorted queries search several times faster than random ones; with one range for all,
    # the draws are exchangeable and come back sorted
    if np.ndim(lo) == 0:
        x = np.sort(running[lo] + u * (running[hi] - running[lo]))
        return np.minimum(np.searchsorted(cumulative, x, side="right"), hi - 1).astype(np.int32)
    at = np.empty(len(u), dtype=np.int32)
    for start in range(0, len(u), PICK_CHUNK):  # a chunk at a time: ties by the hundred million
        part = slice(start, start + PICK_CHUNK)
        x = running[lo[part]]  # base + u (top - base)
        top = running[hi[part]]
        top -= x
        top *= u[part]
        x += top
        order = np.argsort(x)
        at[start + order] = np.searchsorted(cumulative, x[order], side="right")
    return np.minimum(at, hi - 1, out=at)


def _communities(n: int, community_size: float, rng: np.random.Generator
                 ) -> tuple[np.ndarray, int]:
    """Each user's community (int32) and their number: ``round(n / community_size)``
    communities with shares from a symmetric Dirichlet(2), so sizes vary by a few times."""
    n_comm = max(1, round(n / community_size))
    shares = rng.dirichlet(np.full(n_comm, 2.0))
    return rng.choice(n_comm, size=n, p=shares).astype(np.int32), n_comm


def _p_out(mixing: float, community: np.ndarray, w_from: np.ndarray, w_to: np.ndarray,
           n_comm: int) -> float:
    """Probability that a tie is drawn across the whole graph rather than inside its
    community, so that a share ``mixing`` of ties crosses communities in expectation: a
    tie drawn anywhere lands back in its own community with probability
    sum(q_c r_c), q_c and r_c the community's shares of the weights its ends are drawn by
    (for friendships both the expected ties)."""
    q = np.bincount(community, weights=w_from, minlength=n_comm) / w_from.sum()
    r = np.bincount(community, weights=w_to, minlength=n_comm) / w_to.sum()
    stay = float(q @ r)
    return 0.0 if stay >= 1.0 else min(1.0, mixing / (1.0 - stay))


def _match(stubs: np.ndarray, groups: np.ndarray, rng: np.random.Generator
           ) -> tuple[np.ndarray, np.ndarray]:
    """Pair tie ends at random within each group (one end is left over in odd groups)."""
    order = np.argsort(groups + rng.random(len(stubs)))  # by group, shuffled within
    stubs, groups = stubs[order], groups[order]
    size = np.bincount(groups)
    start = (np.cumsum(size) - size)[groups]  # first position of each stub's group
    end = start + size[groups]
    pos = np.arange(len(stubs))
    first = np.flatnonzero(((pos - start) % 2 == 0) & (pos + 1 < end))
    return stubs[first], stubs[first + 1]


def follower_sets(n_users: int, targets: np.ndarray, overlaps: np.ndarray, brand: int,
                  streams: list[np.random.Generator]) -> CSR:
    """Which users follow each account (rows: accounts, columns: users).

    Parameters
    ----------
    n_users : int
        Simulated users.
    targets : array of int
        Simulated followers per account.
    overlaps : array of float
        Share of each account's followers who also follow the brand account.
    brand : int
        Index of the brand account.
    streams : list of Generator
        One random stream per account, so one account's draws never shift another's.
    """
    targets = np.asarray(targets, dtype=np.int64)
    brand_fans = np.sort(streams[brand].choice(n_users, size=targets[brand], replace=False))
    others = np.setdiff1d(np.arange(n_users, dtype=np.int64), brand_fans, assume_unique=True)
    rows, cols = [], []
    for a, (k, share, rng) in enumerate(zip(targets, overlaps, streams)):
        if a == brand:
            fans = brand_fans
        else:
            k_in = min(round(k * share), len(brand_fans))
            k_out = min(k - k_in, len(others))
            k_in = min(k - k_out, len(brand_fans))  # fill from the brand side if others run out
            fans = np.concatenate([rng.choice(brand_fans, size=k_in, replace=False),
                                   rng.choice(others, size=k_out, replace=False)])
        rows.append(np.full(len(fans), a, dtype=np.int64))
        cols.append(fans)
    return CSR.from_pairs(np.concatenate(rows), np.concatenate(cols), len(targets), n_users)
