"""What makes one post travel further and later than another: its content factor and the
reaction-time kernel of its reshares (docs/MODEL.md, "Resharing")."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

__all__ = ["content_factors", "reaction_delays"]


def content_factors(u: np.ndarray, sigma: float) -> np.ndarray:
    """Lognormal factors of mean 1 from uniforms ``u`` (inverse CDF): ``exp(sigma Z -
    sigma^2 / 2)``. Most posts get a small factor and die out, a few a large one."""
    return np.exp(sigma * ndtri(u) - 0.5 * sigma * sigma)


def reaction_delays(u: np.ndarray, theta: float, flat_seconds: float) -> np.ndarray:
    """Seconds from seeing a post to resharing it, from uniforms ``u`` (inverse CDF).

    The density is the reaction-time kernel of SEISMIC (Zhao et al. 2015): constant up to
    ``flat_seconds``, then a power law ``(s / flat_seconds)^-(1 + theta)``; the flat part
    holds ``theta / (1 + theta)`` of the mass.
    """
    flat = theta / (1.0 + theta)
    head = u * flat_seconds / flat
    tail = flat_seconds * np.maximum((1.0 - u) * (1.0 + theta), 1e-300) ** (-1.0 / theta)
    return np.where(u < flat, head, tail)
