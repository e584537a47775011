"""Benchmark: build the world of a 1,000,000-user audience (about 10 million social ties).

Run from the project root with ``python bench/world_1m.py``; it prints wall time, ties and
peak memory as a small table. Target on a 2-core machine: under 60 s and 4 GiB.
"""

from __future__ import annotations

import resource
import sys
import time

from sim import Scenario, build_world

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
    return 0 if seconds < TARGET_SECONDS and gib < TARGET_GIB else 1


if __name__ == "__main__":
    sys.exit(main())
