"""A sensitivity analysis on a loopback Dask cluster: one worker against two.

Starts a real ``dask scheduler`` and ``dask worker`` processes on this machine (one thread
each), runs the same Morris sensitivity analysis through ``scheduler=<address>`` on one
worker and then on two, and reports both wall times, the speed-up and whether the results
are identical (they must be: common random numbers, whatever runs where). The scheduler and
workers are stopped at the end.

Run: ``python bench/dask_scaling.py [--users 50000] [--trajectories 4] [--replications 4]``
(needs the dask extra). Each run's world is built by the client, the third process on a
2-core machine: the fewer replications a run has, the more that serial share weighs. Prints
a table and writes ``bench/results/dask_scaling.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from sim import Scenario
from sim.analysis.sensitivity import ANALYSED, SensitivitySpec, sensitivity
from validation.tables import environment, format_table

RESULTS = Path(__file__).resolve().parent / "results"


def workload(users: int, replications: int) -> Scenario:
    return Scenario.model_validate({
        "name": "dask_scaling", "seed": 5, "horizon_days": 180, "replications": replications,
        "audience": {"users": users},
        "matrix": {"layout": "1+3+3+10", "leader": "leader_1"},
        "events": [{"kind": "exit", "target": "leader_1", "day": 60}]})


def spec(trajectories: int) -> SensitivitySpec:
    return SensitivitySpec.model_validate({"method": "morris", "samples": trajectories,
                                           "parameters": [
        {"key": "matrix.accounts.leader_1.posts_per_day", "label": "posts", "bounds": [1, 4]},
        {"key": "matrix.accounts.leader_1.followers", "label": "followers",
         "bounds": [200_000, 2_000_000]}]})


def _process(stack: ExitStack, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen(["dask", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    stack.callback(lambda: (proc.terminate(), proc.wait(30)))
    return proc


def _wait_for(client, workers: int) -> None:
    deadline = time.monotonic() + 60
    while len(client.scheduler_info()["workers"]) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"expected {workers} Dask workers within 60 s")
        time.sleep(0.2)


def main() -> None:
    from dask.distributed import Client

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--trajectories", type=int, default=4)
    parser.add_argument("--replications", type=int, default=4, help="of each run")
    args = parser.parse_args()
    scenario, params = workload(args.users, args.replications), spec(args.trajectories)
    rows, found = [], []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        file = str(Path(tmp) / "scheduler.json")
        _process(stack, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                 "--scheduler-file", file)
        while not Path(file).exists():
            time.sleep(0.2)
        client = stack.enter_context(Client(scheduler_file=file, timeout=30))
        address = client.scheduler.address
        for workers in (1, 2):
            _process(stack, "worker", "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                     "--scheduler-file", file)
            _wait_for(client, workers)
            started = time.perf_counter()
            result = sensitivity(scenario, params, scheduler=address, check_memory=False)
            rows.append({"workers": workers, "wall_s": round(time.perf_counter() - started, 1),
                         "runs": len(result.x)})
            found.append(result.y)
    same = all(np.array_equal(found[0][o], found[1][o]) for o in ANALYSED)
    speedup = rows[0]["wall_s"] / rows[1]["wall_s"]
    table = format_table(["dask workers", f"runs x {args.replications} replications", "wall"],
                         [[r["workers"], r["runs"], f"{r['wall_s']} s"] for r in rows])
    print(table + f"\nspeed-up {speedup:.2f}x; results identical: {same}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dask_scaling.json").write_text(json.dumps({
        "command": "python bench/dask_scaling.py " + " ".join(sys.argv[1:]),
        "users": args.users, "trajectories": args.trajectories,
        "replications": args.replications, "rows": rows,
        "speedup": round(speedup, 3), "identical": same, "table": table,
        "environment": environment(["riskmodel", "numpy", "numba", "dask", "distributed"])},
        indent=2) + "\n")


if __name__ == "__main__":
    main()
