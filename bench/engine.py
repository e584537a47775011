"""The engine on the standard workload, its parallel speed-up, and how cost grows.

The standard workload: 1,000,000 simulated users (about 10 million social ties), a
``1+5+4+40`` matrix with the first leader exiting on day 90, 365 days, 100 replications of
baseline, scenario and the world without the leader, on 2 workers (``sim.run``), and on 1
worker for the speed-up. Also: wall time against users (10^5, 10^6, 3 x 10^6; 4
replications) and against replications (10, 20, 40 at 10^5 users), with the exponent of
its growth (least squares in log-log); and ten million users, 10 replications on 2 workers.
Each row records the memory the guard estimated before the run. Wall times
include building the world (in the rows against users, the build is also timed alone, so
that the simulation's own growth can be read off); peak memory is the largest resident set
of this process or any worker (``ru_maxrss`` of self and children).

Run: ``python bench/engine.py [--only standard|scaling|ten_million]``. Prints a table and writes
``bench/results/engine.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim import Scenario, run
from sim.runs import guard
from sim.scenario.layout import resolve_scenario
from sim.world.build import _social_graph, build_world

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


def measure(users: int, replications: int, workers: int, build: bool = False
            ) -> dict[str, float]:
    """One run from scratch; with ``build``, building the world is also timed alone first
    (so the growth of the simulation itself can be read off)."""
    row: dict[str, float] = {"users": users, "replications": replications, "workers": workers,
                             "estimated_gib": round(guard.estimate(resolve_scenario(
                                 workload(users, replications)), workers).peak_bytes / 2**30,
                                 2)}
    if build:
        _social_graph.cache_clear()
        started = time.perf_counter()
        build_world(resolve_scenario(workload(users, replications)))
        row["build_s"] = round(time.perf_counter() - started, 1)
    _social_graph.cache_clear()  # every row builds its world from scratch
    started = time.perf_counter()
    result = run(workload(users, replications), workers=workers)
    wall = time.perf_counter() - started
    # worker-ms per simulated day: the scenario shares the baseline's days before its event
    scenario = workload(users, replications)
    days = 3 * scenario.horizon_days - min(e.day for e in scenario.events)
    per_day = 1000 * wall * workers / (replications * days)
    row.update(wall_s=round(wall, 1), ms_per_simulated_day=round(per_day, 2),
               peak_gib=round(peak_gib(), 2), sdi=result.figures["sdi"]["mean"])
    return row


def rows(only: str | None = None) -> dict[str, list[dict[str, float]]]:
    """The standard workload on 2 workers and on 1 (the speed-up), and the scaling rows
    (or one group of them)."""
    out: dict[str, list[dict[str, float]]] = {}
    if only in (None, "standard"):
        out["standard"] = [measure(1_000_000, 100, w) for w in (2, 1)]
    if only in (None, "scaling"):
        out["users"] = [measure(n, 4, 2, build=True) for n in (100_000, 1_000_000, 3_000_000)]
        out["replications"] = [measure(100_000, r, 2) for r in (10, 20, 40)]
    if only in (None, "ten_million"):
        out["ten_million"] = [measure(10_000_000, 10, 2)]
    return out


def speedup(groups: dict[str, list[dict[str, float]]]) -> float:
    """Wall time of the standard workload on 1 worker over that on 2."""
    two, one = groups["standard"]
    return one["wall_s"] / two["wall_s"]


def growth(group: list[dict[str, float]], x: str, y: str) -> float:
    """Exponent b of y ~ x^b, least squares over the rows in log-log (1: linear)."""
    logs = np.log([[r[x], r[y]] for r in group])
    return float(np.polyfit(logs[:, 0], logs[:, 1], 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("standard", "scaling", "ten_million"))
    args = parser.parse_args()
    groups = rows(args.only)
    for name, group in groups.items():
        print(f"\n{name}")
        for r in group:
            print("  " + ", ".join(f"{k} {v}" for k, v in r.items()), flush=True)
    if "standard" in groups:
        print(f"\nspeed-up 1 -> 2 workers: {speedup(groups):.2f}x")
    for name, x in (("users", "users"), ("replications", "replications")):
        if name in groups:
            print(f"growth in {name}: wall ~ {x}^{growth(groups[name], x, 'wall_s'):.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"engine{'_' + args.only if args.only else ''}.json").write_text(
        json.dumps({"command": "python bench/engine.py " + " ".join(sys.argv[1:]),
                    "rows": groups}, indent=2) + "\n")


if __name__ == "__main__":
    main()
