"""Where replications run: in this process, in worker processes, or on a Dask cluster.

Every runner receives the compiled world once (a process pool's initializer, or Dask's
scatter) and yields each replication's traces with its number, so the caller can order
them: results never depend on where or in what order replications ran.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

from .config import Event, Scenario
from .engine import Trace, simulate_variants
from .errors import RunError
from .world import World

__all__ = ["Execute", "replicate", "runner"]

CONNECT_TIMEOUT_S = 10
Variants = dict[str, Sequence[Event]]
Execute = Callable[[Variants, range], Iterator[tuple[int, dict[str, Trace]]]]
"""Runs the given replications of the variants; yields (replication, traces) as they end."""


def replicate(world: World, scenario: Scenario, variants: Variants, replication: int
              ) -> dict[str, Trace]:
    """One replication of every variant (sharing the days before each variant's first
    event with the baseline)."""
    return simulate_variants(world, scenario, variants, replication)


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
        with _dask(world, scenario, workers, scheduler) as execute:
            yield execute
    elif workers == 1:
        yield lambda variants, reps: ((r, replicate(world, scenario, variants, r))
                                      for r in reps)
    else:
        with ProcessPoolExecutor(workers, initializer=_share,
                                 initargs=(world, scenario)) as pool:
            def execute(variants: Variants, reps: range
                        ) -> Iterator[tuple[int, dict[str, Trace]]]:
                futures = {pool.submit(_replicate_shared, variants, r): r for r in reps}
                for future in as_completed(futures):
                    yield futures[future], future.result()
            yield execute


@contextmanager
def _dask(world: World, scenario: Scenario, workers: int, scheduler: str
          ) -> Iterator[Execute]:
    """Replications as Dask tasks, the world scattered to every worker once."""
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:
        raise RunError("Dask runs need the dask extra: pip install 'riskmodel[dask]'"
                       ) from exc
    cluster = LocalCluster(n_workers=workers or os.cpu_count(), threads_per_worker=1,
                           processes=True, dashboard_address=None) \
        if scheduler == "local" else None
    try:
        try:
            client = Client(cluster or scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise RunError(f"could not reach the Dask scheduler at {scheduler!r} within "
                           f"{CONNECT_TIMEOUT_S} s: {exc}") from None
        with client:
            shared_world, shared_scenario = client.scatter([world, scenario], broadcast=True)

            def execute(variants: Variants, reps: range
                        ) -> Iterator[tuple[int, dict[str, Trace]]]:
                futures = {client.submit(replicate, shared_world, shared_scenario, variants,
                                         r, pure=False): r for r in reps}
                for future in dask_completed(list(futures)):
                    yield futures[future], future.result()
            yield execute
    finally:
        if cluster is not None:
            cluster.close()


_shared: dict[str, Any] = {}


def _share(world: World, scenario: Scenario) -> None:
    """Worker initializer: keep the world for every replication this worker runs."""
    _shared.update(world=world, scenario=scenario)


def _replicate_shared(variants: Variants, replication: int) -> dict[str, Trace]:
    return replicate(_shared["world"], _shared["scenario"], variants, replication)
