"""Many scenarios on one pool of worker processes (or one Dask cluster): sweep points,
sensitivity samples, drivers and levers.

Each scenario runs as :func:`sim.runs.montecarlo.run_world` would run it alone, but the
replications of all scenarios are tasks on one process pool, so a pool is started once and
stays busy while scenarios start and finish (hundreds of sensitivity samples with two
replications each would otherwise pay a pool and idle workers apiece). A few scenarios are
in flight at a time, each driven by a thread of this process; a worker builds a scenario's
world the first time it runs one of its replications (the same seed builds the same world)
and keeps the worlds of the scenarios in flight. Results are those of :func:`sim.run` on each
scenario with the same seed, for any number of workers.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sim.engine.state import Trace
from sim.errors import Issue, ScenarioError
from sim.runs import guard
from sim.runs.dask import dask_cluster
from sim.runs.montecarlo import Progress, run_world
from sim.runs.pool import WorkerPool
from sim.runs.replicate import Variants, replicate
from sim.runs.results import RunResult
from sim.runs.runners import runner
from sim.scenario.layout import resolve_scenario
from sim.scenario.schema import Scenario
from sim.world.build import build_world
from sim.world.model import World

__all__ = ["MAX_RUNS", "check_runs", "run_many"]

MAX_RUNS = 2**14
"""Most scenarios one sweep or sensitivity analysis runs: each is kept with its result, and
even at a second a run they take hours."""


def check_runs(n_runs: int, origin: str, key: str, what: str) -> None:
    """Refuse a batch of more than :data:`MAX_RUNS` scenarios, before any is built."""
    if n_runs > MAX_RUNS:
        raise ScenarioError([Issue(origin, key, f"expected at most {MAX_RUNS:,} runs; found "
                                   f"{n_runs:,} ({what})")])


def run_many(scenarios: Sequence[Scenario], base_dir: str | Path = ".", *,
             workers: int | None = None, progress: Progress | None = None,
             check_memory: bool = True, scheduler: str | None = None) -> list[RunResult]:
    """Run every scenario (validated, each with its own seed and replications) and return
    their results in the same order.

    Parameters
    ----------
    base_dir : path
        Folder the scenarios' relative import paths are taken from.
    workers : int, optional
        Worker processes; default all cores. Results do not depend on it.
    progress : callable, optional
        Called with (replications done, replications in all) over all scenarios.
    check_memory : bool
        Refuse (:class:`RunError`) when the estimated memory (the largest scenario's with
        these workers, and every other's result) exceeds the memory available
        (:func:`sim.runs.guard.estimate_batch`).
    scheduler : str, optional
        Run the replications on a Dask cluster instead (``"local"``, or a scheduler's
        address; :func:`sim.runs.dask.dask_cluster`), a few scenarios in flight at a time,
        each scattering its world to the workers once.
    """
    workers = max(1, workers or os.cpu_count() or 1)
    resolved = [resolve_scenario(s) for s in scenarios]
    if check_memory and scenarios:
        guard.check_memory(resolved, workers, Path(base_dir))
    tally = _Tally(scenarios, progress)
    if scheduler is not None:
        return _on_dask(scenarios, resolved, Path(base_dir), workers, scheduler, tally)
    if workers == 1:
        results = []
        for i, scenario in enumerate(scenarios):
            world = build_world(scenario, base_dir)
            with runner(world, resolved[i], 1) as execute:
                results.append(run_world(world, resolved[i], execute, tally.callback(i)))
        return results
    in_flight = workers + 1  # enough scenarios to keep every worker busy
    threads = ThreadPoolExecutor(in_flight)  # its threads start with the first scenario
    with WorkerPool(workers, _share, (list(scenarios), str(base_dir), in_flight),
                    name=lambda key: f"replication {key[1]} of run {key[0]} (seed "
                    f"{scenarios[key[0]].seed})") as pool:

        def one(i: int) -> RunResult:
            world = build_world(scenarios[i], base_dir)

            def execute(variants: Variants, reps: range
                        ) -> Iterator[tuple[int, dict[str, Trace]]]:
                for (_, r), traces in pool.run(_replicate, {(i, r): (i, variants, r)
                                                            for r in reps}):
                    yield r, traces

            return run_world(world, resolved[i], execute, tally.callback(i))

        pool.start()  # every worker forked before any thread exists
        try:
            return list(threads.map(one, range(len(scenarios))))
        finally:
            threads.shutdown(cancel_futures=True)


def _on_dask(scenarios: Sequence[Scenario], resolved: list[Scenario], base_dir: Path,
             workers: int, scheduler: str, tally: _Tally) -> list[RunResult]:
    """The scenarios' replications as tasks on one Dask cluster."""
    with dask_cluster(scheduler, workers) as cluster:
        threads = ThreadPoolExecutor(cluster.workers + 1)  # scenarios in flight

        def one(i: int) -> RunResult:
            world = build_world(scenarios[i], base_dir)
            return run_world(world, resolved[i], cluster.executor(world, resolved[i]),
                             tally.callback(i))
        try:
            return list(threads.map(one, range(len(scenarios))))
        finally:
            threads.shutdown(cancel_futures=True)


class _Tally:
    """Progress over all scenarios: each reports (done, total) for itself; a scenario not
    started yet counts its planned replications."""

    def __init__(self, scenarios: Sequence[Scenario], progress: Progress | None):
        self.progress = progress
        self.done = [0] * len(scenarios)
        self.total = [s.max_replications if s.replications == "auto" else int(s.replications)
                      for s in scenarios]
        self.lock = threading.Lock()

    def callback(self, i: int) -> Progress | None:
        if self.progress is None:
            return None

        def report(done: int, total: int) -> None:
            with self.lock:
                self.done[i], self.total[i] = done, total
                self.progress(sum(self.done), sum(self.total))
        return report


_shared: dict[str, Any] = {}


def _share(scenarios: list[Scenario], base_dir: str, keep: int) -> None:
    """Worker initializer: the scenarios, and room for the worlds of those in flight."""
    _shared.update(scenarios=scenarios, base_dir=base_dir, keep=keep, worlds=OrderedDict())


def _replicate(i: int, variants: Variants, replication: int) -> dict[str, Trace]:
    world, resolved = _world(i)
    return replicate(world, resolved, variants, replication)


def _world(i: int) -> tuple[World, Scenario]:
    """Scenario ``i``'s world and resolved scenario, built on first use and kept while it
    is among the most recently used."""
    worlds: OrderedDict[int, tuple[World, Scenario]] = _shared["worlds"]
    if i not in worlds:
        scenario = _shared["scenarios"][i]
        worlds[i] = build_world(scenario, _shared["base_dir"]), resolve_scenario(scenario)
        while len(worlds) > _shared["keep"]:
            worlds.popitem(last=False)
    worlds.move_to_end(i)
    return worlds[i]
