"""The physical limit: bytes a simulated day moves against this machine's memory bandwidth.

1. Memory bandwidth, STREAM-style "copy" (``numpy.copyto`` of a 256 MiB array, counted as
   read plus write), best of 5, in one process and in two processes at once (the engine
   runs two workers).
2. Bytes moved per simulated day of the standard workload's baseline (1,000,000 users,
   ``1+5+4+40``): every compiled kernel and sort the day step runs is wrapped to add the
   bytes of the arrays it reads and writes (the reach tally's two bitmaps, 250 KB at a
   million users, stay in cache and are not counted). Small numpy calls on per-account
   arrays are left out, so this is a floor on the traffic.
3. Time per simulated day of the same replication, unwrapped, and the share of the
   bandwidth the day step reaches: (bytes per day / time per day) / bandwidth.

Run: ``python bench/bandwidth.py [--users 1000000] [--days 120]``. Prints a table and writes
``bench/results/bandwidth.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

import sim.engine.replication
import sim.engine.state
import sim.kernel.streams
from sim.scenario.layout import resolve_scenario
from sim.world.build import build_world

RESULTS = Path(__file__).resolve().parent / "results"
COPY_BYTES = 256 * 2**20


def copy_bandwidth(repeats: int = 5) -> float:
    """Best read + write bytes per second of one large array copy."""
    src = np.ones(COPY_BYTES // 8)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - started)
    return 2 * COPY_BYTES / best


def _copy_in_worker(_: int) -> float:
    return copy_bandwidth()


def bandwidths() -> dict[str, float]:
    one = copy_bandwidth()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        two = sum(pool.map(_copy_in_worker, range(2)))
    return {"one_process_gb_s": one / 1e9, "two_processes_gb_s": two / 1e9}


def _nbytes(values: Any) -> int:
    items = values if isinstance(values, tuple) else (values,)
    return sum(v.nbytes for v in items if isinstance(v, np.ndarray))


class Meter:
    """Wraps the day step's kernels to count the bytes they read and write."""

    def __init__(self) -> None:
        self.bytes = 0
        self._undo: list[tuple[Any, str, Callable]] = []

    def wrap(self, module: Any, name: str, touches: Callable[..., int] | None = None) -> None:
        original = getattr(module, name)

        def counted(*args: Any, **options: Any) -> Any:
            out = original(*args, **options)
            moved = _nbytes(args) if touches is None else touches(*args)
            self.bytes += moved + _nbytes(out)
            return out
        setattr(module, name, counted)
        self._undo.append((module, name, original))

    def restore(self) -> None:
        for module, name, original in reversed(self._undo):
            setattr(module, name, original)


def _tally_touches(keys: np.ndarray, bounds: np.ndarray, *_: Any) -> int:
    return 2 * keys.nbytes + bounds.nbytes  # two passes; its bitmaps (250 KB) stay in cache


def _gather_touches(values: np.ndarray, start: np.ndarray, shift: np.ndarray,
                    segment: np.ndarray, position: np.ndarray) -> int:
    return 3 * segment.nbytes  # segment and position read, one value fetched per entry


def _sort_touches(values: np.ndarray) -> int:
    return 3 * values.nbytes  # read, sort in a copy, mask out repeats


def day_traffic(users: int, days: int) -> dict[str, float]:
    """Bytes moved per simulated day (metered run) and seconds per day (plain run)."""
    from engine import workload  # bench/engine.py: the standard workload

    scenario = resolve_scenario(workload(users, 1).model_copy(update={"horizon_days": days}))
    world = build_world(scenario)
    sim.engine.replication.simulate(world, scenario, [], 0)  # compile and warm up
    started = time.perf_counter()
    sim.engine.replication.simulate(world, scenario, [], 1)
    seconds = (time.perf_counter() - started) / days
    meter = Meter()
    for module, name, touches in (
            (sim.engine.state, "tally", _tally_touches),
            (sim.engine.state, "insert_sorted", None), (sim.engine.state, "splice", None),
            (sim.engine.state, "merge_unique", None),
            (sim.engine.state, "gather", _gather_touches),
            (sim.kernel.streams, "successes", None), (sim.kernel.streams, "uniforms", None),
            (sim.engine.state, "sorted_unique", _sort_touches)):
        meter.wrap(module, name, touches)
    try:
        sim.engine.replication.simulate(world, scenario, [], 1)
    finally:
        meter.restore()
    return {"users": users, "days": days, "bytes_per_day": meter.bytes / days,
            "seconds_per_day": seconds}


def measure(users: int = 1_000_000, days: int = 120) -> dict[str, float]:
    """Bandwidths, bytes and time per simulated day, and the share of the bandwidth reached."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    bw = bandwidths()
    day = day_traffic(users, days)
    reached = day["bytes_per_day"] / day["seconds_per_day"] / 1e9
    return {**bw, **day, "reached_gb_s": reached,
            "share_of_one_process": reached / bw["one_process_gb_s"]}


def table(m: dict[str, float]) -> dict[str, float]:
    """The figures in words."""
    return {
        "memory bandwidth, one process (GB/s)": m["one_process_gb_s"],
        "memory bandwidth, two processes together (GB/s)": m["two_processes_gb_s"],
        "bytes moved per simulated day (MB, floor)": m["bytes_per_day"] / 1e6,
        "time per simulated day (ms, one process)": 1e3 * m["seconds_per_day"],
        "bandwidth the day step reaches (GB/s)": m["reached_gb_s"],
        "share of one process's bandwidth": m["share_of_one_process"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=120)
    args = parser.parse_args()
    m = measure(args.users, args.days)
    rows = table(m)
    for name, value in rows.items():
        print(f"{name:52s} {value:10.3f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bandwidth.json").write_text(json.dumps({
        "command": "python bench/bandwidth.py " + " ".join(sys.argv[1:]), **m}, indent=2)
        + "\n")


if __name__ == "__main__":
    main()
