"""Benchmark: build the world of a 1,000,000-user audience (about 10 million social ties).

Run from the project root with ``python bench/world_1m.py``; it prints wall time, ties and
peak memory as a small table, then the social-graph generator against networkx's
``expected_degree_graph`` (Chung-Lu, the same expected degrees) at 100,000 users, as a ratio.
Target on a 2-core machine: under 60 s and 4 GiB.
"""

from __future__ import annotations

import resource
import sys
import time

import networkx as nx
import numpy as np

from sim import Scenario, build_world
from sim.world.audience import power_law_weights, social_ties

TARGET_SECONDS = 60.0
TARGET_GIB = 4.0
SCENARIO = {
    "name": "world_1m",
    "seed": 1,
    "matrix": {"layout": "1+5+4+40"},
    "audience": {"users": 1_000_000, "social": {"mean_degree": 20}},
}


def peak_gib() -> float:
    """Peak resident memory of this process so far, GiB (ru_maxrss is KiB on Linux)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / (1024 ** 3 if sys.platform == "darwin" else 1024 ** 2)


def main() -> int:
    """Build the world once, print the figures, and return 1 if a target is missed."""
    scenario = Scenario.model_validate(SCENARIO)
    start = time.perf_counter()
    world = build_world(scenario)
    seconds = time.perf_counter() - start
    gib = peak_gib()
    rows = [
        ("users", f"{world.n_users:,}", ""),
        ("social ties", f"{world.social.nnz // 2:,}", ""),
        ("follower entries", f"{world.followers.nnz:,}", ""),
        ("wall time", f"{seconds:.1f} s", f"< {TARGET_SECONDS:g} s"),
        ("peak memory (ru_maxrss)", f"{gib:.2f} GiB", f"< {TARGET_GIB:g} GiB"),
    ]
    print(f"{'measure':<24} {'value':>14} {'target':>10}")
    for name, value, target in rows:
        print(f"{name:<24} {value:>14} {target:>10}")
    peer_against_networkx(100_000)
    return 0 if seconds < TARGET_SECONDS and gib < TARGET_GIB else 1


def peer_against_networkx(n: int) -> None:
    """Time our generator and networkx's Chung-Lu generator on the same expected degrees."""
    spec = Scenario.model_validate(SCENARIO).audience.social
    w = power_law_weights(n, spec.mean_degree, spec.degree_exponent, spec.max_degree,
                          np.random.default_rng(2))
    start = time.perf_counter()
    ours, _ = social_ties(n, spec.mean_degree, spec.degree_exponent, spec.max_degree,
                          spec.community_size, spec.mixing, np.random.default_rng(2))
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    peer = nx.expected_degree_graph(w.tolist(), seed=2, selfloops=False)
    t_peer = time.perf_counter() - start
    print(f"\nsocial graph, {n:,} users, mean degree {spec.mean_degree:g}:")
    print(f"{'generator':<34} {'ties':>12} {'seconds':>9}")
    print(f"{'riskmodel social_ties':<34} {ours.nnz // 2:>12,} {t_ours:>9.2f}")
    print(f"{'networkx expected_degree_graph':<34} {peer.number_of_edges():>12,} {t_peer:>9.2f}")
    print(f"speed-up over networkx: {t_peer / t_ours:.0f}x")


if __name__ == "__main__":
    sys.exit(main())
