"""Where the engine's time goes: a profile of the standard workload's replications.

Runs the standard workload (``engine.workload``: 10^6 users, ``1+5+4+40``, the first leader
exiting on day 90, 365 days) with 4 replications in this process under ``cProfile`` (the
world built before the profile starts), and lists the functions that take the most time of
their own, each with its share of the run. Compiled loops (numba) count as one function each.

Run: ``python bench/profile_engine.py [--users 1000000] [--replications 4]``. Prints a table
and writes ``bench/results/profile.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import workload

from sim.runs.montecarlo import run_world
from sim.runs.runners import runner
from sim.scenario.layout import resolve_scenario
from sim.world.build import build_world
from validation.tables import format_table

RESULTS = Path(__file__).resolve().parent / "results"
TOP = 15


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--replications", type=int, default=4)
    args = parser.parse_args()
    scenario = workload(args.users, args.replications)
    resolved = resolve_scenario(scenario)
    world = build_world(scenario)
    with runner(world, resolved, 1) as execute:
        run_world(world, resolved.model_copy(update={"replications": 1}), execute)  # JIT
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        run_world(world, resolved, execute)
        profile.disable()
        wall = time.perf_counter() - started
    stats = pstats.Stats(profile).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, _)
    rows = sorted(((tt, nc, f"{Path(f).name}:{line}({name})")
                   for (f, line, name), (_cc, nc, tt, _ct, _) in stats.items()), reverse=True)
    top = [{"function": where, "calls": nc, "seconds": round(tt, 2),
            "share": round(tt / wall, 3)} for tt, nc, where in rows[:TOP]]
    table = format_table(["function", "calls", "own time", "share of the run"],
                         [[r["function"], f"{r['calls']:,}", f"{r['seconds']} s",
                           f"{100 * r['share']:.1f}%"] for r in top])
    print(f"{args.replications} replications x 3 variants, {args.users:,} users, 365 days: "
          f"{wall:.1f} s in this process\n" + table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "profile.json").write_text(json.dumps({
        "command": "python bench/profile_engine.py " + " ".join(sys.argv[1:]),
        "users": args.users, "replications": args.replications, "wall_s": round(wall, 1),
        "top": top, "table": table}, indent=2) + "\n")


if __name__ == "__main__":
    main()
