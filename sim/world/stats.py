"""Descriptive statistics of a world: sizes, degrees, followers and overlap."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.world.model import World

__all__ = ["modularity", "tail_exponent", "world_summary"]


def tail_exponent(degrees: np.ndarray, k_min: int) -> float:
    """Maximum-likelihood power-law exponent of the degrees at or above ``k_min``.

    The discrete approximation of Clauset, Shalizi and Newman (2009), eq. 3.7:
    ``alpha = 1 + n / sum(ln(k / (k_min - 1/2)))``.
    """
    tail = degrees[degrees >= k_min].astype(float)
    if len(tail) < 2:
        return float("nan")
    return float(1.0 + len(tail) / np.log(tail / (k_min - 0.5)).sum())


def modularity(world: World) -> float:
    """Newman's modularity of the generated communities, in its directed form (Leicht and
    Newman 2008; the usual one for mutual ties); nan for imported audiences."""
    if world.community is None or world.social.nnz == 0:
        return float("nan")
    c, m = world.community, world.social.nnz
    src, dst = c[world.social.row_ids()], c[world.social.indices]
    inside = np.count_nonzero(src == dst) / m
    out_share = np.bincount(src, minlength=c.max() + 1) / m
    in_share = np.bincount(dst, minlength=c.max() + 1) / m
    return float(inside - out_share @ in_share)


def world_summary(world: World) -> dict[str, Any]:
    """One screen of facts about a world, as plain data."""
    deg = world.social.degrees()
    mutual = world.social.is_symmetric()
    mean = float(deg.mean()) if len(deg) else 0.0
    fol = world.followers
    following = np.zeros(world.n_users, dtype=bool)
    following[fol.indices] = True
    brand = next(i for i, a in enumerate(world.accounts) if a.role == "brand")
    brand_mask = np.zeros(world.n_users, dtype=bool)
    brand_mask[fol.row(brand)] = True
    accounts = []
    for i, a in enumerate(world.accounts):
        fans = fol.row(i)
        accounts.append({
            "id": a.id, "role": a.role, "target_followers": a.followers,
            "simulated_followers": len(fans),
            "followers": len(fans) * world.scale,
            "brand_overlap": float(brand_mask[fans].mean()) if len(fans) else float("nan"),
        })
    return {
        "users": world.n_users,
        "scale": world.scale,
        "real_people": world.n_users * world.scale,
        "ties": world.social.nnz // (2 if mutual else 1),
        "tie_kind": "friendships" if mutual else "follows",
        "communities": None if world.community is None else int(world.community.max() + 1),
        "modularity": modularity(world),
        "degree": {
            "mean": mean, "median": float(np.median(deg)) if len(deg) else 0.0,
            "p99": float(np.percentile(deg, 99)) if len(deg) else 0.0,
            "max": int(deg.max()) if len(deg) else 0,
            "tail_exponent": tail_exponent(deg, max(2, round(2 * mean))),
        },
        "following_share": float(following.mean()) if len(following) else 0.0,
        "leader": None if world.leader is None else world.accounts[world.leader].id,
        "accounts": accounts,
    }
