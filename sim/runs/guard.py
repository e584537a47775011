"""Resource guard: estimate a run's memory and time from its scenario, before building anything.

A world too large for the machine would otherwise be found out minutes later, by the kernel's
out-of-memory killer or a swapping machine. The estimate is a fit to measured peaks (proportional
set size of the command and its workers; docs/RELIABILITY.md, "Resource guard") and errs on the
high side; it is compared with the memory available now (``MemAvailable``, or the container's
limit when lower) and the run refused when it does not fit.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sim.errors import RunError
from sim.scenario.layout import auto_scale
from sim.scenario.schema import Scenario, resolve_path

__all__ = ["Estimate", "available_memory", "check_memory", "estimate", "estimate_batch"]

MIB = 2**20
BASE_BYTES = 240 * MIB  # the command with numpy, numba, scipy and networkx loaded
WORKER_BYTES = 130 * MIB  # a worker process's own interpreter and libraries
# bytes while generating the social graph, per user and unit of degree (measured: 30 for
# follows at 10^7 users, 46 for friendships at 2 x 10^6)
BUILD_PER_TIE_END = {"follows": 32, "friendships": 48}
BUILD_PER_FOLLOW = 32  # bytes while drawing follower sets, per simulated follow
WORLD_PER_TIE_END = 4  # bytes of the compiled graphs: int32 column per tie end or follow
WORLD_PER_USER = 8  # bytes of row pointers per user
WORLD_PER_PAIR = 8  # bytes of the dense amplification weights per pair of accounts
ENGINE_PER_USER = 250  # bytes of a replication's state per user, in each worker
ENGINE_PER_EVENT_USER = 5  # bytes per user of a scandal's trust loss or a response's reach
ENGINE_PER_ACCOUNT = 64 * 2**10  # an account in a replication's live states (66 KB measured)
ENGINE_PER_ACCOUNT_DAY = 56  # bytes of an account's posting uniforms per day (7 doubles)
ENGINE_STATES = 3  # live states of a replication (the baseline, a fork and its copy)
RESULT_PER_VALUE = 16  # bytes per recorded value, with its copy in transit
IMPORT_EDGE_LIST = 50  # bytes while reading an edge list, per byte of file
IMPORT_XML = 15  # bytes while reading GraphML, GEXF or GML, per byte of file
IMPORT_FOLLOWERS = 8  # bytes while reading a followers file, per byte of file
SECONDS_PER_USER_DAY = 7e-9  # one replication of all variants, one core (docs/PERFORMANCE.md:
# the standard workload on 1 worker, 294 s for 100 replications of 365 days at 10^6 users)
SECONDS_BUILD_PER_USER = 8e-6  # building a generated world (6.3 s at 10^6 users, 77 s at 10^7)
SECONDS_PER_DAY = 4e-4  # the same, per day whatever the size (SimPy, array calls)
SECONDS_PER_ACCOUNT_DAY = 1.5e-5  # the same, per account and day


@dataclass(frozen=True)
class Estimate:
    """A run's estimated peak memory (bytes) and wall time (seconds), with their parts."""

    build_bytes: int
    run_bytes: int
    worker_bytes: int
    workers: int
    seconds: float
    runs: int = 1

    @property
    def peak_bytes(self) -> int:
        return max(self.build_bytes, self.run_bytes)

    def describe(self) -> str:
        """One line: the peak and its parts, and the time."""
        workers = (f"{self.workers} worker(s) of {_gib(self.worker_bytes)}, each holding a "
                   "copy of the world" if self.workers else "in this process")
        runs = f", over {self.runs:,} runs whose results are kept" if self.runs > 1 else ""
        return (f"about {_gib(self.peak_bytes)} of memory (building the world "
                f"{_gib(self.build_bytes)}; running {_gib(self.run_bytes)}, {workers}{runs}) "
                f"and about {_duration(self.seconds)}")


def estimate(scenario: Scenario, workers: int, base_dir: Path = Path("."),
             remote: bool = False) -> Estimate:
    """Estimate a resolved scenario's run with ``workers`` local worker processes.

    ``remote`` workers (a Dask cluster elsewhere) count for time but not for memory here.
    Imported graphs and followers files are estimated from their files' sizes.
    """
    audience = scenario.audience
    accounts = scenario.matrix.accounts
    n_accounts, days = len(accounts), scenario.horizon_days
    graph = audience.import_.graph if audience.import_ else None
    if graph:
        path = resolve_path(graph, base_dir)
        size = _file_size(path)
        xml = path.suffix.lower() in (".graphml", ".gexf", ".gml")
        build = BASE_BYTES + size * (IMPORT_XML if xml else IMPORT_EDGE_LIST)
        users = size // (60 if xml else 10)  # a user per edge: an upper bound
        world = size
    else:
        users = audience.users
        degree = audience.social.setting("mean_degree", audience.ties)
        scale = audience.scale or auto_scale(accounts, users, audience.follower_share)
        follows = sum(min(a.followers / scale, users) for a in accounts)
        build = BASE_BYTES + int(users * degree * BUILD_PER_TIE_END[audience.ties]
                                 + follows * BUILD_PER_FOLLOW)
        world = int((users * degree + follows) * WORLD_PER_TIE_END + users * WORLD_PER_USER)
    followers = audience.import_.followers if audience.import_ else None
    if followers:
        build += _file_size(resolve_path(followers, base_dir)) * IMPORT_FOLLOWERS
    pairs = WORLD_PER_PAIR * n_accounts**2
    world += pairs
    n_user_events = sum(e.kind in ("scandal", "crisis_response") for e in scenario.events)
    engine = (ENGINE_PER_USER + ENGINE_PER_EVENT_USER * n_user_events) * users + \
        ENGINE_STATES * pairs + n_accounts * (ENGINE_PER_ACCOUNT + ENGINE_PER_ACCOUNT_DAY * days)
    reps = _replications(scenario)
    seconds = 3 + SECONDS_BUILD_PER_USER * users + reps * days * (
        SECONDS_PER_USER_DAY * users + SECONDS_PER_DAY + SECONDS_PER_ACCOUNT_DAY * n_accounts
    ) / max(1, workers)
    local = 0 if remote or workers <= 1 else workers
    per_worker = WORKER_BYTES + world + engine
    running = BASE_BYTES + world + _result_bytes(scenario) + \
        (local * per_worker if local else engine)
    return Estimate(int(build), int(running), int(per_worker), local, seconds)


def _result_bytes(scenario: Scenario) -> int:
    """Bytes of a resolved scenario's result: per replication, each variant's daily figures
    and each account's attribution; and the amplification weights."""
    n_accounts = len(scenario.matrix.accounts)
    values = 24 * scenario.horizon_days + 11 * n_accounts
    return RESULT_PER_VALUE * _replications(scenario) * values + WORLD_PER_PAIR * n_accounts**2


def estimate_batch(scenarios: Sequence[Scenario], workers: int, base_dir: Path = Path(".")
                   ) -> Estimate:
    """Estimate runs of resolved scenarios one after another on one pool of ``workers``: the
    largest run's estimate with every other run's result held beside it, and their time."""
    estimates = [estimate(s, workers, base_dir) for s in scenarios]
    largest = max(range(len(scenarios)), key=lambda i: estimates[i].peak_bytes)
    kept = sum(_result_bytes(s) for i, s in enumerate(scenarios) if i != largest)
    top = estimates[largest]
    return replace(top, build_bytes=top.build_bytes + kept, run_bytes=top.run_bytes + kept,
                   seconds=sum(e.seconds for e in estimates), runs=len(scenarios))


def _replications(scenario: Scenario) -> int:
    return scenario.max_replications if scenario.replications == "auto" \
        else int(scenario.replications)


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


def check_memory(scenario: Scenario | Sequence[Scenario], workers: int,
                 base_dir: Path = Path("."), remote: bool = False) -> Estimate:
    """The estimate of a resolved scenario's run, or of a batch of them
    (:func:`estimate_batch`); raises :class:`RunError` when it exceeds the available
    memory."""
    if isinstance(scenario, Scenario):
        est, name = estimate(scenario, workers, base_dir, remote), scenario.name
    else:
        est, name = estimate_batch(scenario, workers, base_dir), scenario[0].name
    free = available_memory()
    if free is not None and est.peak_bytes > free:
        raise RunError(
            f"refused: {name} needs {est.describe()}, but {_gib(free)} of memory is "
            "available; lower audience.users, audience.social.mean_degree, the accounts, the "
            "replications or --workers, or pass --no-memory-check (check_memory=False in "
            "Python) to run anyway")
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
