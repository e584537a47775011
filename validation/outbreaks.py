"""Single-seed cascades on one graph, and their split into small and large outbreaks.

A cascade from one random seed either dies out after a few users (a small outbreak, the
seed's finite cluster) or reaches a share ``S`` of all users (a large outbreak, the giant
cluster). On a finite graph the two modes are separated by a gap, and a size cut inside the
gap (1% of the users here) tells them apart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from sim.kernel.csr import CSR
from sim.kernel.diffusion import independent_cascade

__all__ = ["OutbreakSummary", "cascade_sizes", "seeded_sizes", "summarize"]


def cascade_sizes(graph: CSR, p: float, n_runs: int, rng: np.random.Generator) -> np.ndarray:
    """Final sizes of ``n_runs`` cascades, each from one uniformly random seed.

    Parameters
    ----------
    graph : CSR
        Social ties.
    p : float
        Tie probability (the transmissibility ``T``).
    n_runs : int
        Number of cascades.
    rng : numpy.random.Generator
        Random stream for the seeds and the cascades.

    Returns
    -------
    ndarray of int64
        Users activated by each cascade, its seed included.
    """
    return seeded_sizes(graph, rng.integers(graph.n_rows, size=n_runs), p, rng)


def seeded_sizes(graph: CSR, seeds: np.ndarray, p: float, rng: np.random.Generator
                 ) -> np.ndarray:
    """Final sizes of one cascade per seed (user index), run one after another on ``rng``."""
    return np.array([len(independent_cascade(graph, [s], p, rng)) for s in seeds],
                    dtype=np.int64)


@dataclass(frozen=True)
class OutbreakSummary:
    """Outbreak statistics of one set of runs; shares are of all users."""

    n_runs: int
    n_large: int
    p_large: float  # share of runs that were large outbreaks
    p_large_se: float  # binomial standard error
    large_mean: float  # mean size of large outbreaks, share of users (nan if none)
    large_se: float  # its standard error (nan with fewer than 2)
    small_mean: float  # mean size of small outbreaks, users (nan if none)
    small_se: float
    small_max: int  # largest small outbreak, users (0 if none)
    all_mean: float  # mean size of all outbreaks, users
    all_se: float

    def to_dict(self) -> dict[str, float | int]:
        """Plain numbers, nan written as None (for JSON)."""
        return {k: (None if isinstance(v, float) and np.isnan(v) else v)
                for k, v in asdict(self).items()}


def summarize(sizes: np.ndarray, n_users: int, cut: float) -> OutbreakSummary:
    """Split final sizes at ``cut`` (a share of ``n_users``) and summarize both modes.

    Parameters
    ----------
    sizes : ndarray of int
        Final size of each run, in users.
    n_users : int
        Users in the graph.
    cut : float
        A run is a large outbreak when its size exceeds ``cut * n_users``.

    Returns
    -------
    OutbreakSummary
    """
    sizes = np.asarray(sizes, dtype=float)
    large = sizes > cut * n_users
    n_runs, n_large = len(sizes), int(large.sum())
    p_large = n_large / n_runs
    big, small = sizes[large] / n_users, sizes[~large]
    return OutbreakSummary(
        n_runs=n_runs, n_large=n_large, p_large=p_large,
        p_large_se=float(np.sqrt(p_large * (1 - p_large) / n_runs)),
        large_mean=_mean(big), large_se=_se(big),
        small_mean=_mean(small), small_se=_se(small),
        small_max=int(small.max()) if len(small) else 0,
        all_mean=_mean(sizes), all_se=_se(sizes),
    )


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if len(x) else float("nan")


def _se(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")
