"""The one process pool every command that runs many simulations uses (run, sweep,
sensitivity, compare, recommend).

Its workers are set up once (:func:`settle_worker`, after the caller's initializer): they
end with the parent however it ends, leave Ctrl-C, SIGTERM and SIGHUP to it, and keep their
startup objects out of the collector's scans. Tasks are yielded as they finish, with their
keys, so callers order results themselves. A failure or an interruption kills the workers
at once, mid-task; a worker that dies is reported with the task it was running, and a task
that raises with its name: never a result with tasks missing.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any

from sim.errors import RunError, ScenarioError

__all__ = ["WorkerPool", "settle_worker"]

STOP_TIMEOUT_S = 10  # longest wait for a killed worker process to be gone
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


class WorkerPool:
    """Worker processes running keyed tasks.

    Parameters
    ----------
    workers : int
        Worker processes.
    initializer : callable, optional
        Run in each worker before its first task with ``initargs`` (for example, to keep a
        world that every task reads).
    name : callable
        A task's name in messages, from its key (``"replication 3 (seed 7)"``).
    """

    def __init__(self, workers: int, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = (),
                 name: Callable[[Hashable], str] = lambda key: f"task {key}"):
        context = multiprocessing.get_context()
        self._started = context.SimpleQueue()  # (pid, key) as each worker starts a task
        self._pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_setup,
                                         initargs=(self._started, initializer, initargs))
        self._name = name
        self._processes: dict[int, Any] = {}
        self._running: dict[int, Hashable] = {}  # pid -> the task it started last
        self._done: set[Hashable] = set()

    def run(self, fn: Callable[..., Any], tasks: Mapping[Hashable, tuple[Any, ...]]
            ) -> Iterator[tuple[Hashable, Any]]:
        """``fn(*args)`` for each key's arguments, on the workers; yields (key, result) as
        each task ends."""
        futures = {self._pool.submit(_task, key, fn, args): key for key, args in tasks.items()}
        self._processes.update(_processes(self._pool))  # the pool forgets them once broken
        try:
            for future in as_completed(futures):
                key = futures[future]
                self._note_starts()
                try:
                    result = future.result()
                except BrokenProcessPool:
                    raise RunError(self._died()) from None
                except (ScenarioError, RunError):  # already a message for the user
                    raise
                except Exception as exc:
                    raise RunError(f"{self._name(key)} failed: {type(exc).__name__}: {exc}; "
                                   "no outputs written") from exc
                self._done.add(key)
                yield key, result
        finally:
            for future in futures:
                future.cancel()

    def start(self) -> None:
        """Start every worker now (before the caller starts threads of its own: forking a
        process that runs threads is unsafe)."""
        self._pool.submit(int).result()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if kind is None:
                self._pool.shutdown()
            else:  # failure or interruption: stop the workers now, not after their tasks
                self._stop()
        finally:
            self._started.close()

    def _note_starts(self) -> None:  # read the notes as they come: a full pipe blocks workers
        while not self._started.empty():
            pid, key = self._started.get()
            self._running[pid] = key

    def _stop(self) -> None:
        """Kill the workers (and any the pool has forgotten) mid-task, and wait until they
        are gone."""
        processes = list({**self._processes, **_processes(self._pool)}.values())
        for process in processes:
            process.kill()
        self._pool.shutdown(wait=True, cancel_futures=True)
        for process in processes:
            process.join(STOP_TIMEOUT_S)

    def _died(self) -> str:
        """Which task a dead worker was running, from the workers' start notes."""
        self._note_starts()
        running = {pid: key for pid, key in self._running.items() if key not in self._done}
        for pid in running:  # the pool is killing the others: wait for every exit status
            if pid in self._processes:
                self._processes[pid].join(STOP_TIMEOUT_S)
        exits = {pid: self._processes[pid].exitcode for pid in running if pid in self._processes}
        dead = [pid for pid, code in exits.items() if code not in (None, -signal.SIGTERM)] \
            or list(running)
        if not dead:
            return "a worker process died before starting its work; no outputs written"
        parts = [f"{self._name(running[pid])} (worker {pid}, {_exit(exits.get(pid))})"
                 for pid in sorted(dead, key=lambda pid: str(running[pid]))]
        return (f"a worker process died while running {', '.join(parts)}; the work stopped "
                "and wrote no outputs (rerun it: results do not depend on which worker runs "
                "what)")


def _processes(pool: ProcessPoolExecutor) -> dict[int, Any]:
    """The pool's worker processes by pid. The executor has no public handle on them; one
    is needed to kill workers mid-task and to read a dead one's exit status."""
    return dict(pool._processes or {})


def _exit(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        return f"killed by signal {signal.Signals(-code).name}"
    return f"exit status {code}"


_started: Any = None  # in a worker: the queue of its start notes


def _setup(started: Any, initializer: Callable[..., None] | None,
           initargs: tuple[Any, ...]) -> None:
    global _started
    _started = started
    if initializer is not None:
        initializer(*initargs)
    settle_worker()


def _task(key: Hashable, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    _started.put((os.getpid(), key))
    return fn(*args)


def settle_worker() -> None:
    """In a new worker process: end with the parent, however it ends; leave Ctrl-C,
    SIGTERM and SIGHUP to the parent, which stops the workers itself; and freeze what the
    worker holds so far out of the collector's scans, so that a collection after each task
    stays cheap."""
    _end_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):  # a closed terminal hangs up its whole process group
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.collect()
    gc.freeze()


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
