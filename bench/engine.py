"""The engine on the standard workload, its parallel speed-up, and how cost grows.

The standard workload: 1,000,000 simulated users (about 10 million social ties), a
``1+5+4+40`` matrix with the first leader exiting on day 90, 365 days, 100 replications of
baseline, scenario and the world without the leader, on 2 workers (``sim.run``). Also: the
speed-up from 1 to 2 workers (10 replications), wall time against users (10^5, 10^6,
3 x 10^6; 4 replications) and against replications (5, 10, 20 at 10^5 users). Wall times
include building the world; peak memory is the largest resident set of this process or any
worker (``ru_maxrss`` of self and children).

Run: ``python bench/engine.py [--only standard|speedup|scaling]``. Prints a table and writes
``bench/results/engine.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim import Scenario, run
from sim.world import _social_graph

RESULTS = Path(__file__).resolve().parent / "results"


def workload(users: int, replications: int) -> Scenario:
    return Scenario.model_validate({
        "name": "standard", "seed": 1, "horizon_days": 365, "replications": replications,
        "audience": {"users": users, "social": {"mean_degree": 20}},
        "matrix": {"layout": "1+5+4+40", "leader": "leader_1"},
        "events": [{"kind": "exit", "target": "leader_1", "day": 90}]})


def peak_gib() -> float:
    usage = [resource.getrusage(who).ru_maxrss for who in
             (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return max(usage) / 2**20


def measure(users: int, replications: int, workers: int) -> dict[str, float]:
    _social_graph.cache_clear()  # every row builds its world from scratch
    started = time.perf_counter()
    result = run(workload(users, replications), workers=workers)
    wall = time.perf_counter() - started
    per_day = 1000 * wall * workers / (replications * 3 * 365)  # worker-ms per simulated day
    return {"users": users, "replications": replications, "workers": workers,
            "wall_s": round(wall, 1), "ms_per_simulated_day": round(per_day, 2),
            "peak_gib": round(peak_gib(), 2), "sdi": result.figures["sdi"]["mean"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("standard", "speedup", "scaling"))
    args = parser.parse_args()
    rows: dict[str, list[dict[str, float]]] = {}
    if args.only in (None, "standard"):
        rows["standard"] = [measure(1_000_000, 100, 2)]
    if args.only in (None, "speedup"):
        rows["speedup"] = [measure(1_000_000, 10, w) for w in (1, 2)]
    if args.only in (None, "scaling"):
        rows["users"] = [measure(n, 4, 2) for n in (100_000, 1_000_000, 3_000_000)]
        rows["replications"] = [measure(100_000, r, 2) for r in (5, 10, 20)]
    for name, group in rows.items():
        print(f"\n{name}")
        for r in group:
            print("  " + ", ".join(f"{k} {v}" for k, v in r.items()), flush=True)
    if "speedup" in rows:
        one, two = rows["speedup"]
        print(f"\nspeed-up 1 -> 2 workers: {one['wall_s'] / two['wall_s']:.2f}x")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"engine{'_' + args.only if args.only else ''}.json").write_text(
        json.dumps({"command": "python bench/engine.py " + " ".join(sys.argv[1:]),
                    "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
