"""Bond percolation on the configuration model: Newman's (2002) generating functions.

An Independent Cascade with one probability ``T`` per tie on an undirected graph is bond
percolation with occupation probability ``T``: the users a single seed reaches are the seed's
cluster of occupied ties. On a configuration-model graph with degree distribution ``p_k`` the
cluster sizes follow from two generating functions (CALIBRATION.md, B1)::

    G0(x; T) = sum_k p_k (1 + (x - 1) T)^k
    G1(x; T) = sum_k k p_k (1 + (x - 1) T)^(k - 1) / <k>

The giant cluster holds a share ``S = 1 - G0(u; T)`` of the users, where ``u = G1(u; T)`` is
the smallest root in [0, 1]; it exists above ``T_c = <k> / (<k^2> - <k>)``. Below ``T_c`` a
single random seed reaches ``1 + T <k> / (1 - T (<k^2> - <k>) / <k>)`` users on average.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

_EPS = 1e-12  # |T G1'(1) - 1| below this counts as the threshold itself

__all__ = [
    "critical_transmissibility",
    "degree_distribution",
    "g0",
    "g1",
    "giant_outbreak_size",
    "mean_outbreak_size",
]


def degree_distribution(degrees: np.ndarray) -> np.ndarray:
    """Share of users with each degree: ``p[k]`` for ``k = 0 .. max(degrees)``.

    Parameters
    ----------
    degrees : ndarray of int
        Each user's degree (in a realized graph, after loops and repeated ties are dropped).

    Returns
    -------
    ndarray of float
        The empirical degree distribution; it sums to 1.
    """
    degrees = np.asarray(degrees, dtype=np.int64)
    return np.bincount(degrees) / len(degrees)


def g0(x: float, pk: np.ndarray, t: float) -> float:
    """Generating function of the occupied degree of a random user at transmissibility ``t``."""
    return float(np.sum(pk * (1 + (x - 1) * t) ** np.arange(len(pk))))


def g1(x: float, pk: np.ndarray, t: float) -> float:
    """Generating function of the occupied excess degree of a user reached along a tie."""
    k = np.arange(len(pk))
    return float(np.sum(k * pk * (1 + (x - 1) * t) ** np.maximum(k - 1, 0)) / np.sum(k * pk))


def critical_transmissibility(pk: np.ndarray) -> float:
    """The epidemic threshold ``T_c = <k> / (<k^2> - <k>) = 1 / G1'(1)``.

    Parameters
    ----------
    pk : ndarray of float
        Degree distribution, ``pk[k]`` the share of users with degree ``k``.

    Returns
    -------
    float
        The transmissibility above which a giant outbreak exists (``inf`` when the mean
        excess degree is 0).

    Examples
    --------
    >>> from scipy.stats import poisson
    >>> round(critical_transmissibility(poisson.pmf(range(60), 4.0)), 6)
    0.25
    """
    k = np.arange(len(pk))
    m1, m2 = np.sum(k * pk), np.sum(k * k * pk)
    return float(m1 / (m2 - m1)) if m2 > m1 else float("inf")


def giant_outbreak_size(pk: np.ndarray, t: float) -> tuple[float, float]:
    """Share ``S`` of users in the giant outbreak, and the root ``u`` of ``u = G1(u; t)``.

    Parameters
    ----------
    pk : ndarray of float
        Degree distribution, ``pk[k]`` the share of users with degree ``k``.
    t : float
        Transmissibility: the probability that an active user activates a tie.

    Returns
    -------
    S, u : float
        ``S = 1 - G0(u; t)``; 0 (and ``u = 1``) at or below the threshold (within
        rounding: ``t G1'(1) <= 1 + 1e-12``).

    Examples
    --------
    >>> from scipy.stats import poisson
    >>> S, u = giant_outbreak_size(poisson.pmf(range(80), 4.0), 0.5)
    >>> round(S, 4), round(float(1 - np.exp(-4.0 * 0.5 * S)), 4)  # Poisson: S = 1 - exp(-z T S)
    (0.7968, 0.7968)
    """
    if t * _excess_mean(pk) <= 1 + _EPS:
        return 0.0, 1.0
    u = _smallest_root(pk, t)
    return 1.0 - g0(u, pk, t), u


def mean_outbreak_size(pk: np.ndarray, t: float) -> float:
    """Mean number of users a single random seed reaches below the threshold (seed included).

    ``<s> = 1 + T G0'(1) / (1 - T G1'(1))``; ``inf`` at or above the threshold.

    Examples
    --------
    >>> from scipy.stats import poisson
    >>> round(mean_outbreak_size(poisson.pmf(range(60), 4.0), 0.125), 6)  # 1 + zT/(1 - zT)
    2.0
    """
    k = np.arange(len(pk))
    m1 = np.sum(k * pk)
    branching = t * _excess_mean(pk)
    return float(1 + t * m1 / (1 - branching)) if branching < 1 - _EPS else float("inf")


def _excess_mean(pk: np.ndarray) -> float:
    """``G1'(1) = (<k^2> - <k>) / <k>``, the mean excess degree."""
    k = np.arange(len(pk))
    m1 = np.sum(k * pk)
    return float(np.sum(k * (k - 1) * pk) / m1) if m1 > 0 else 0.0


def _smallest_root(pk: np.ndarray, t: float) -> float:
    """Smallest root of ``G1(u; t) = u`` in [0, 1) above the threshold.

    ``f(u) = G1(u; t) - u`` is convex with ``f(1) = 0`` and ``f'(1) > 0`` above the
    threshold, so it has one root in [0, 1): bracket it on a grid, then refine.
    """
    def f(u: float) -> float:
        return g1(u, pk, t) - u

    if f(0.0) <= 0:
        return 0.0
    grid = 1 - np.geomspace(1.0, 1e-12, 400)  # from 0 towards 1, denser near 1
    values = np.array([f(u) for u in grid])
    negative = np.flatnonzero(values < 0)
    if not len(negative):  # barely above threshold: the root is within 1e-12 of 1
        return 1.0
    j = negative[0]
    return float(brentq(f, grid[j - 1], grid[j], xtol=1e-15, rtol=1e-14))
