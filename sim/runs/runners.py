"""Where replications run: in this process, in worker processes, or on a Dask cluster.

Every runner receives the compiled world once (a process pool's initializer, or Dask's
scatter) and yields each replication's traces with its number, so the caller can order
them: results never depend on where or in what order replications ran.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from sim.engine.replication import simulate_variants
from sim.engine.state import Trace
from sim.errors import RunError
from sim.scenario.schema import Event, Scenario
from sim.world.model import World

__all__ = ["Execute", "replicate", "runner", "settle_worker", "stop_workers"]

CONNECT_TIMEOUT_S = 10
STOP_TIMEOUT_S = 10  # longest wait for a killed worker process to be gone
Variants = dict[str, Sequence[Event]]
Execute = Callable[[Variants, range], Iterator[tuple[int, dict[str, Trace]]]]
"""Runs the given replications of the variants; yields (replication, traces) as they end."""


def replicate(world: World, scenario: Scenario, variants: Variants, replication: int
              ) -> dict[str, Trace]:
    """One replication of every variant (sharing the days before each variant's first
    event with the baseline)."""
    traces = simulate_variants(world, scenario, variants, replication)
    # a finished SimPy environment and its processes form reference cycles that hold the
    # replication's state (tens of MB at a million users) until a full collection: free
    # it now, so that a worker's memory stays flat over its replications (cheap in a
    # worker, whose older objects are frozen out of the collector's scans)
    gc.collect()
    return traces


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
        with _pool(world, scenario, workers) as execute:
            yield execute


@contextmanager
def _pool(world: World, scenario: Scenario, workers: int) -> Iterator[Execute]:
    """Replications in a local process pool.

    Any failure or interruption (Ctrl-C, SIGTERM) kills the workers at once instead of
    waiting for their replications to end. A worker that dies is reported with the
    replication it was running, and one whose replication raises with that replication:
    never a result with replications missing.
    """
    context = multiprocessing.get_context()
    started = context.SimpleQueue()  # (pid, replication) as each worker starts one
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_share,
                               initargs=(world, scenario, started))
    processes: dict[int, Any] = {}
    running: dict[int, int] = {}  # pid -> the replication it started last
    done: set[int] = set()

    def note_starts() -> None:  # read the notes as they come: a full pipe blocks workers
        while not started.empty():
            pid, replication = started.get()
            running[pid] = replication

    def execute(variants: Variants, reps: range) -> Iterator[tuple[int, dict[str, Trace]]]:
        futures = {pool.submit(_replicate_shared, variants, r): r for r in reps}
        processes.update(pool._processes or {})  # the pool forgets them once broken
        try:
            for future in as_completed(futures):
                r = futures[future]
                note_starts()
                try:
                    traces = future.result()
                except BrokenProcessPool:
                    raise RunError(_died(running, processes, done, scenario.seed)) from None
                except Exception as exc:
                    raise RunError(f"replication {r} (seed {scenario.seed}) failed: "
                                   f"{type(exc).__name__}: {exc}; no outputs written") from exc
                done.add(r)
                yield r, traces
        finally:
            for future in futures:
                future.cancel()

    try:
        yield execute
    except BaseException:
        stop_workers(pool, processes)
        raise
    else:
        pool.shutdown()
    finally:
        started.close()


def stop_workers(pool: ProcessPoolExecutor, known: dict[int, Any] | None = None) -> None:
    """Kill the pool's workers (and any it has forgotten) now, mid-replication, and wait
    until they are gone."""
    processes = list({**(known or {}), **(pool._processes or {})}.values())
    for process in processes:
        process.kill()
    pool.shutdown(wait=True, cancel_futures=True)
    for process in processes:
        process.join(STOP_TIMEOUT_S)


def _died(started: dict[int, int], processes: dict[int, Any], done: set[int], seed: int
          ) -> str:
    """Which replication a dead worker was running, from the workers' start notes (pid ->
    the replication it started last)."""
    running = {pid: r for pid, r in started.items() if r not in done}
    for pid in running:  # the pool is killing the others: wait for every exit status
        if pid in processes:
            processes[pid].join(STOP_TIMEOUT_S)
    exits = {pid: processes[pid].exitcode for pid in running if pid in processes}
    dead = [pid for pid, code in exits.items() if code not in (None, -signal.SIGTERM)] \
        or list(running)
    if not dead:
        return (f"a worker process died before starting a replication (seed {seed}); "
                "no outputs written")
    parts = [f"replication {running[pid]} (worker {pid}, {_exit(exits.get(pid))})"
             for pid in sorted(dead, key=running.get)]
    return (f"a worker process died while running {', '.join(parts)} with seed {seed}; "
            "the run stopped and wrote no outputs (rerun it: results do not depend on "
            "which worker runs a replication)")


def _exit(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        return f"killed by signal {signal.Signals(-code).name}"
    return f"exit status {code}"


@contextmanager
def _dask(world: World, scenario: Scenario, workers: int, scheduler: str
          ) -> Iterator[Execute]:
    """Replications as Dask tasks, the world scattered to every worker once."""
    try:
        # the optional dask extra: only Dask runs need it
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


def _share(world: World, scenario: Scenario, started: Any) -> None:
    """Worker initializer: keep the world for every replication this worker runs."""
    _shared.update(world=world, scenario=scenario, started=started)
    settle_worker()


def settle_worker() -> None:
    """In a new worker process: leave Ctrl-C and SIGTERM to the parent, which stops the
    workers itself (:func:`stop_workers`), and freeze what the worker holds so far out of
    the collector's scans, so that the collection after each replication stays cheap."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.collect()
    gc.freeze()


def _replicate_shared(variants: Variants, replication: int) -> dict[str, Trace]:
    _shared["started"].put((os.getpid(), replication))
    return replicate(_shared["world"], _shared["scenario"], variants, replication)
