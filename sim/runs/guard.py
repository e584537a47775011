"""Resource guard: estimate a run's memory and time from its scenario, before building anything.

A world too large for the machine would otherwise be found out minutes later, by the kernel's
out-of-memory killer or a swapping machine. The estimate is a fit to measured peaks (proportional
set size of the command and its workers; docs/RELIABILITY.md, "Resource guard") and errs on the
high side; it is compared with the memory available now (``MemAvailable``, or the container's
limit when lower) and the run refused when it does not fit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sim.errors import RunError
from sim.scenario.layout import auto_scale
from sim.scenario.schema import Scenario, resolve_path

__all__ = ["Estimate", "available_memory", "check_memory", "estimate"]

MIB = 2**20
BASE_BYTES = 240 * MIB  # the command with numpy, numba, scipy and networkx loaded
WORKER_BYTES = 130 * MIB  # a worker process's own interpreter and libraries
BUILD_PER_TIE_END = 50  # bytes while generating the social graph, per user and unit of degree
BUILD_PER_FOLLOW = 32  # bytes while drawing follower sets, per simulated follow
WORLD_PER_TIE_END = 4  # bytes of the compiled graphs: int32 column per tie end or follow
WORLD_PER_USER = 8  # bytes of row pointers per user
ENGINE_PER_USER = 250  # bytes of a replication's state per user, in each worker
RESULT_PER_VALUE = 16  # bytes per recorded value (one account or figure, one day)
IMPORT_EDGE_LIST = 50  # bytes while reading an edge list, per byte of file
IMPORT_XML = 15  # bytes while reading GraphML, GEXF or GML, per byte of file
IMPORT_FOLLOWERS = 8  # bytes while reading a followers file, per byte of file
SECONDS_PER_USER_DAY = 4e-8  # one replication of all variants, one core (docs/PERFORMANCE.md)


@dataclass(frozen=True)
class Estimate:
    """A run's estimated peak memory (bytes) and wall time (seconds), with their parts."""

    build_bytes: int
    run_bytes: int
    worker_bytes: int
    workers: int
    seconds: float

    @property
    def peak_bytes(self) -> int:
        return max(self.build_bytes, self.run_bytes)

    def describe(self) -> str:
        """One line: the peak and its parts, and the time."""
        workers = (f"{self.workers} worker(s) of {_gib(self.worker_bytes)}, each holding a "
                   "copy of the world" if self.workers else "in this process")
        return (f"about {_gib(self.peak_bytes)} of memory (building the world "
                f"{_gib(self.build_bytes)}; running {_gib(self.run_bytes)}, {workers}) and "
                f"about {_duration(self.seconds)}")


def estimate(scenario: Scenario, workers: int, base_dir: Path = Path("."),
             remote: bool = False) -> Estimate:
    """Estimate a resolved scenario's run with ``workers`` local worker processes.

    ``remote`` workers (a Dask cluster elsewhere) count for time but not for memory here.
    Imported graphs and followers files are estimated from their files' sizes.
    """
    audience = scenario.audience
    accounts = scenario.matrix.accounts
    reps = scenario.max_replications if scenario.replications == "auto" \
        else int(scenario.replications)
    graph = audience.import_.graph if audience.import_ else None
    if graph:
        path = resolve_path(graph, base_dir)
        size = _file_size(path)
        xml = path.suffix.lower() in (".graphml", ".gexf", ".gml")
        build = BASE_BYTES + size * (IMPORT_XML if xml else IMPORT_EDGE_LIST)
        users = size // (60 if xml else 10)  # a user per edge: an upper bound
        world = size
    else:
        users, degree = audience.users, audience.social.mean_degree
        scale = audience.scale or auto_scale(accounts, users, audience.follower_share)
        follows = sum(min(a.followers / scale, users) for a in accounts)
        build = BASE_BYTES + int(users * degree * BUILD_PER_TIE_END + follows * BUILD_PER_FOLLOW)
        world = int((users * degree + follows) * WORLD_PER_TIE_END + users * WORLD_PER_USER)
    followers = audience.import_.followers if audience.import_ else None
    if followers:
        build += _file_size(resolve_path(followers, base_dir)) * IMPORT_FOLLOWERS
    results = RESULT_PER_VALUE * reps * 3 * scenario.horizon_days * (len(accounts) + 10)
    seconds = 3 + SECONDS_PER_USER_DAY * users * scenario.horizon_days * reps / max(1, workers)
    local = 0 if remote or workers <= 1 else workers
    per_worker = WORKER_BYTES + world + ENGINE_PER_USER * users
    running = BASE_BYTES + world + results + \
        (local * per_worker if local else ENGINE_PER_USER * users)
    return Estimate(int(build), int(running), int(per_worker), local, seconds)


def available_memory() -> int | None:
    """Bytes of memory available to this process now, or None when unknown.

    ``MemAvailable`` from /proc/meminfo (else free pages from ``os.sysconf``), lowered to
    the room left under a cgroup v2 memory limit when there is one.
    """
    free = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    if free is None:
        try:
            free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, OSError, ValueError):
            return None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text())
        if limit != "max":
            free = min(free, int(limit) - used)
    except (OSError, ValueError):
        pass
    return free


def check_memory(scenario: Scenario, workers: int, base_dir: Path = Path("."),
                 remote: bool = False) -> Estimate:
    """The run's estimate; raises :class:`RunError` when it exceeds the available memory."""
    est = estimate(scenario, workers, base_dir, remote)
    free = available_memory()
    if free is not None and est.peak_bytes > free:
        raise RunError(
            f"refused: {scenario.name} needs {est.describe()}, but {_gib(free)} of memory is "
            "available; lower audience.users, audience.social.mean_degree or --workers, or "
            "pass --no-memory-check (check_memory=False in Python) to run anyway")
    return est


def _file_size(path: Path) -> int:
    """A regular file's size (what sim.inputs reads of it), else 0: anything else is refused."""
    return path.stat().st_size if path.is_file() else 0


def _gib(n: float) -> str:
    return f"{n / 2**30:,.2f} GiB" if n < 2**50 else f"{n / 2**30:.3g} GiB"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:,.1f} hours" if seconds < 1e9 else f"{seconds / 3600:.3g} hours"
