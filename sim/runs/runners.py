"""Where a run's replications run: in this process, on a pool of worker processes
(:class:`sim.runs.pool.WorkerPool`), or on a Dask cluster (:mod:`sim.runs.dask`).

Every runner receives the compiled world once (the pool's initializer, or Dask's scatter)
and yields each replication's traces with its number, so the caller can order them:
results never depend on where or in what order replications ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sim.engine.state import Trace
from sim.runs.dask import dask_runner
from sim.runs.pool import WorkerPool
from sim.runs.replicate import Execute, Variants, replicate
from sim.scenario.schema import Scenario
from sim.world.model import World

__all__ = ["runner"]


@contextmanager
def runner(world: World, scenario: Scenario, workers: int,
           scheduler: str | None = None) -> Iterator[Execute]:
    """An executor for a run's replications.

    Parameters
    ----------
    workers : int
        Worker processes (1 runs in this process); for ``scheduler="local"``, the local
        cluster's workers.
    scheduler : str, optional
        ``"local"`` for a Dask ``LocalCluster`` on this machine, or the address of a Dask
        scheduler (``tcp://host:8786``); None for a local process pool.
    """
    if scheduler is not None:
        with dask_runner(world, scenario, workers, scheduler) as execute:
            yield execute
    elif workers == 1:
        yield lambda variants, reps: ((r, replicate(world, scenario, variants, r))
                                      for r in reps)
    else:
        with WorkerPool(workers, _share, (world, scenario),
                        name=lambda r: f"replication {r} (seed {scenario.seed})") as pool:
            yield lambda variants, reps: pool.run(_replicate_shared,
                                                  {r: (variants, r) for r in reps})


_shared: dict[str, Any] = {}


def _share(world: World, scenario: Scenario) -> None:
    """Worker initializer: keep the world for every replication this worker runs."""
    _shared.update(world=world, scenario=scenario)


def _replicate_shared(variants: Variants, replication: int) -> dict[str, Trace]:
    return replicate(_shared["world"], _shared["scenario"], variants, replication)
