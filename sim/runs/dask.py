"""Replications as Dask tasks: the world scattered to every worker once, and every fault
of the scheduler (unreachable, not a Dask scheduler, lost mid-run) one line naming it."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import CancelledError
from contextlib import ExitStack, contextmanager
from typing import Any

from sim.engine.state import Trace
from sim.errors import RunError
from sim.runs.replicate import Execute, Variants, replicate
from sim.scenario.schema import Scenario
from sim.world.model import World

__all__ = ["CONNECT_TIMEOUT_S", "DaskCluster", "dask_cluster", "dask_runner"]

CONNECT_TIMEOUT_S = 10


class DaskCluster:
    """A connection to a Dask cluster that many runs share: each run scatters its world to
    every worker once and submits its replications as tasks."""

    def __init__(self, client: Any, where: str):
        self.client, self.where = client, where

    @property
    def workers(self) -> int:
        """The cluster's workers now."""
        return max(1, len(self.client.scheduler_info()["workers"]))

    def map_unordered(self, fn: Any, args: list[tuple], keys: list[Any]
                      ) -> Iterator[tuple[Any, Any]]:
        """``fn(*a)`` for each of ``args`` as tasks, yielded as (key, result) as they end."""
        from dask.distributed import as_completed as dask_completed

        futures = {self.client.submit(fn, *a, pure=False): k for k, a in zip(keys, args)}
        with _lost(self.where):
            for future in dask_completed(list(futures)):
                if future.status == "error":
                    exc = future.exception()
                    raise RunError(f"{futures[future]} failed on {self.where}: "
                                   f"{type(exc).__name__}: {exc}; no outputs written") from exc
                yield futures[future], future.result()

    def executor(self, world: World, scenario: Scenario) -> Execute:
        """An executor of ``scenario``'s replications on ``world``, on the cluster."""

        with _lost(self.where):  # keys of its own: runs in flight may have equal worlds,
            # and one run releasing its data must not cancel another's
            shared = self.client.scatter([world, scenario], broadcast=True, hash=False)

        def execute(variants: Variants, reps: range) -> Iterator[tuple[int, dict[str, Trace]]]:
            names = {f"replication {r} (seed {scenario.seed})": r for r in reps}
            for name, traces in self.map_unordered(
                    replicate, [(*shared, variants, r) for r in reps], list(names)):
                yield names[name], traces
        return execute


@contextmanager
def dask_cluster(scheduler: str, workers: int | None) -> Iterator[DaskCluster]:
    """A Dask cluster to run on: ``"local"`` starts a ``LocalCluster`` of ``workers``
    processes here, else ``scheduler`` is a scheduler's address.

    A scheduler that cannot be reached, that does not answer as a Dask scheduler, or that
    is lost mid-run is a :class:`RunError` naming its address, within a bounded time.
    """
    try:
        # the optional dask extra: only Dask runs need it
        from dask.distributed import Client, LocalCluster
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
        yield DaskCluster(client, where)


@contextmanager
def dask_runner(world: World, scenario: Scenario, workers: int, scheduler: str
                ) -> Iterator[Execute]:
    """Replications of one run as Dask tasks, the world scattered to every worker once."""
    with dask_cluster(scheduler, workers) as cluster:
        yield cluster.executor(world, scenario)


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
    from distributed.comm import connect  # the optional dask extra, as above

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
