"""Where replications run: in this process, in worker processes, or on a Dask cluster.

Every runner receives the compiled world once (a process pool's initializer, or Dask's
scatter) and yields each replication's traces with its number, so the caller can order
them: results never depend on where or in what order replications ran.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import re
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
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
    """Replications as Dask tasks, the world scattered to every worker once.

    A scheduler that cannot be reached, that does not answer as a Dask scheduler, or that
    is lost mid-run is a :class:`RunError` naming its address, within a bounded time.
    """
    try:
        # the optional dask extra: only Dask runs need it
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:
        raise RunError("Dask runs need the dask extra: pip install 'riskmodel[dask]'"
                       ) from exc
    local = scheduler == "local"
    if not local:
        _check_scheduler(scheduler)
    where = "the local Dask cluster" if local else f"the Dask scheduler at {scheduler!r}"
    with ExitStack() as stack:
        stack.enter_context(_dask_logs_held())
        cluster = stack.enter_context(LocalCluster(
            n_workers=workers or os.cpu_count(), threads_per_worker=1, processes=True,
            dashboard_address=None)) if local else None
        try:
            client = stack.enter_context(Client(cluster or scheduler,
                                                timeout=CONNECT_TIMEOUT_S))
        except (OSError, TimeoutError, ValueError) as exc:
            raise RunError(f"could not reach {where} within {CONNECT_TIMEOUT_S} s: {exc}"
                           ) from None
        with _lost(where):
            shared_world, shared_scenario = client.scatter([world, scenario], broadcast=True)

        def execute(variants: Variants, reps: range) -> Iterator[tuple[int, dict[str, Trace]]]:
            futures = {client.submit(replicate, shared_world, shared_scenario, variants, r,
                                     pure=False): r for r in reps}
            with _lost(where):
                for future in dask_completed(list(futures)):
                    r = futures[future]
                    if future.status == "error":  # the replication raised, on a worker
                        exc = future.exception()
                        raise RunError(f"replication {r} (seed {scenario.seed}) failed on "
                                       f"{where}: {type(exc).__name__}: {exc}; no outputs "
                                       "written") from exc
                    yield r, future.result()
        yield execute


@contextmanager
def _dask_logs_held() -> Iterator[None]:
    """Dask's log lines held back (a lost scheduler logs tracebacks while the client
    closes): faults are reported in one line of the run's own."""
    handlers = {h for name, logger in logging.Logger.manager.loggerDict.items()
                if name.split(".")[0] == "distributed" and isinstance(logger, logging.Logger)
                for h in logger.handlers}
    levels = {h: h.level for h in handlers}
    for handler in handlers:
        handler.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for handler, level in levels.items():
            handler.setLevel(level)


@contextmanager
def _lost(where: str) -> Iterator[None]:
    """A connection to Dask lost mid-run as one line (Dask's own message spans several)."""
    try:
        yield
    except (CancelledError, OSError) as exc:
        raise RunError(f"lost {where} mid-run ({type(exc).__name__}); the run stopped and "
                       "wrote no outputs") from None


_ADDRESS = re.compile(r"tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})")


def _check_scheduler(address: str) -> None:
    """Raise :class:`RunError` unless ``address`` (``tcp://host:port``) is a Dask scheduler
    that answers within :data:`CONNECT_TIMEOUT_S` seconds of connecting, and again of
    asking who it is."""
    match = _ADDRESS.fullmatch(address)
    if match is None or not 0 < int(match[2]) < 65536:
        raise RunError(f"--scheduler: expected a Dask scheduler address tcp://HOST:PORT "
                       f"(PORT 1-65535), or --dask local; found {address!r}")
    try:
        socket.create_connection((match[1].strip("[]"), int(match[2])),
                                 timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise RunError(f"could not reach the Dask scheduler at {address!r} within "
                       f"{CONNECT_TIMEOUT_S} s: {exc}") from None
    answer: list[str] = []
    asker = threading.Thread(target=_ask_identity, args=(address, answer), daemon=True)
    asker.start()
    asker.join(CONNECT_TIMEOUT_S + 1)
    said = answer[0] if answer else f"gave no Dask answer within {CONNECT_TIMEOUT_S} s"
    if said != "Scheduler":
        raise RunError(f"{address!r} is not a Dask scheduler: it accepts connections but "
                       f"{said}")


def _ask_identity(address: str, answer: list[str]) -> None:
    """Append to ``answer`` what the server at ``address`` says it is (``"Scheduler"``
    for a Dask scheduler), or what it sent instead; nothing if it stays silent for
    :data:`CONNECT_TIMEOUT_S`. Run in a thread of its own, as it runs an event loop."""
    from distributed.comm import connect

    async def identity() -> str:
        comm = await connect(address, timeout=CONNECT_TIMEOUT_S)
        try:
            await comm.write({"op": "identity", "reply": True})
            kind = (await comm.read()).get("type")
        finally:
            comm.abort()
        return kind if kind == "Scheduler" else f"says it is a Dask {kind}"

    try:
        answer.append(asyncio.run(asyncio.wait_for(identity(), CONNECT_TIMEOUT_S)))
    except asyncio.TimeoutError:  # no answer (TimeoutError itself from Python 3.11 on)
        pass
    except Exception as exc:  # whatever Dask makes of another protocol's bytes
        answer.append(f"sent an answer Dask cannot read ({type(exc).__name__})")


_shared: dict[str, Any] = {}


def _share(world: World, scenario: Scenario, started: Any) -> None:
    """Worker initializer: keep the world for every replication this worker runs."""
    _shared.update(world=world, scenario=scenario, started=started)
    settle_worker()


def settle_worker() -> None:
    """In a new worker process: end with the parent, however it ends; leave Ctrl-C,
    SIGTERM and SIGHUP to the parent, which stops the workers itself
    (:func:`stop_workers`); and freeze what the worker holds so far out of the collector's
    scans, so that the collection after each replication stays cheap."""
    _end_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):  # a closed terminal hangs up its whole process group
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.collect()
    gc.freeze()


PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def _end_with_parent() -> None:
    """Kill this worker when its parent ends, even by SIGKILL. On Linux the kernel does it
    (``PR_SET_PDEATHSIG``); everywhere, and in case the parent ended before that was set,
    a thread waits for the end of the pipe multiprocessing holds open from the parent."""
    parent = multiprocessing.parent_process()
    if parent is None:  # not started by multiprocessing
        return
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    threading.Thread(target=_exit_at_end_of, args=(parent.sentinel,), daemon=True,
                     name="parent-watch").start()


def _exit_at_end_of(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _replicate_shared(variants: Variants, replication: int) -> dict[str, Trace]:
    _shared["started"].put((os.getpid(), replication))
    return replicate(_shared["world"], _shared["scenario"], variants, replication)
