"""Monte Carlo: replications of the baseline, the scenario and the world without the leader.

Replication ``r`` of every variant draws from the same per-account streams (keyed by the
root seed, ``r`` and the account), so variants differ only where their events make them
differ (common random numbers). Replications run in worker processes that receive the
compiled world once; results are gathered by replication number, so any worker count gives
identical figures.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from .checks import check_scenario
from .config import Ban, Event, Scenario
from .engine import Trace, simulate
from .layout import resolve_scenario
from .load import load_scenario
from .metrics import figures, robustness
from .results import VARIANTS, RunResult
from .world import World, build_world

__all__ = ["Progress", "run", "run_replications"]

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in all) as they finish."""


def run(scenario: Scenario | str | Path, base_dir: str | Path | None = None, *,
        replications: int | None = None, seed: int | None = None, workers: int | None = None,
        progress: Progress | None = None) -> RunResult:
    """Simulate a scenario: build its world, run the paired replications, compute figures.

    Parameters
    ----------
    scenario : Scenario or path
        A validated scenario (:func:`sim.load_scenario`), or its file.
    base_dir : path, optional
        Folder relative import paths are taken from; default the scenario file's folder
        (the working directory for a Scenario object).
    replications, seed : int, optional
        Override the scenario's.
    workers : int, optional
        Worker processes; default all cores. Results do not depend on it.
    progress : callable, optional
        Called with (done, total) as replications finish.
    """
    started = time.perf_counter()
    meta: dict[str, Any] = {"source": None, "file_sha256": None}
    if isinstance(scenario, Scenario):
        check_scenario(scenario, Path(base_dir or "."))
    else:
        source = Path(scenario)
        scenario = load_scenario(source)
        base_dir = source.parent if base_dir is None else base_dir
        meta = {"source": str(source), "file_sha256": _sha256(source)}
    overrides = {k: v for k, v in (("replications", replications), ("seed", seed))
                 if v is not None}
    scenario = scenario.model_copy(update=overrides)
    resolved = resolve_scenario(scenario)
    world = build_world(scenario, "." if base_dir is None else base_dir)
    leader = world.leader
    variants: dict[str, Sequence[Event]] = {"baseline": [], "scenario": resolved.events}
    n = resolved.replications
    if leader is not None:
        variants["no_leader"] = _without(world, leader)
        traces = run_replications(world, resolved, variants, workers, progress)
    else:  # first find the strongman from the baseline's attribution
        traces = run_replications(world, resolved, variants, workers, progress, total=2 * n)
        leader = _strongman(world, np.mean([t.shapley for t in traces["baseline"]], axis=0))
        traces |= run_replications(world, resolved, {"no_leader": _without(world, leader)},
                                   workers, progress, done=n, total=2 * n)
    result = _result(resolved, world, leader, traces)
    result.meta.update(meta, workers=_workers(workers, n),
                       wall_time_s=round(time.perf_counter() - started, 3))
    return result


def run_replications(world: World, scenario: Scenario, variants: dict[str, Sequence[Event]],
                     workers: int | None = None, progress: Progress | None = None,
                     done: int = 0, total: int | None = None) -> dict[str, list[Trace]]:
    """Every replication of every variant, in replication order.

    ``done`` and ``total`` place the progress count when a run makes more than one pass.
    """
    n = scenario.replications
    total = total or n
    workers = _workers(workers, n)
    results: dict[int, dict[str, Trace]] = {}
    if workers == 1:
        for r in range(n):
            results[r] = _replicate(world, scenario, variants, r)
            if progress:
                progress(done + len(results), total)
    else:
        with ProcessPoolExecutor(workers, initializer=_share,
                                 initargs=(world, scenario, variants)) as pool:
            futures = {pool.submit(_replicate_shared, r): r for r in range(n)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if progress:
                    progress(done + len(results), total)
    return {v: [results[r][v] for r in range(n)] for v in variants}


def _robustness(baseline: list[Trace], shapley: np.ndarray, seed: int,
                orders: int = 100) -> dict[str, np.ndarray]:
    """Reach left as accounts are removed, largest attribution first against random orders
    (the same random orders in every replication)."""
    if not len(baseline[0].coverage[0]) and shapley.sum() > 0:
        return {}  # more accounts than bit masks hold
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
    shuffles = [rng.permutation(len(shapley)) for _ in range(orders)]
    targeted = np.argsort(-shapley, kind="stable")
    return {
        "targeted": np.array([robustness(*t.coverage, targeted) for t in baseline]),
        "random": np.array([np.mean([robustness(*t.coverage, o) for o in shuffles], axis=0)
                            for t in baseline]),
    }


def _workers(workers: int | None, replications: int) -> int:
    return max(1, min(workers or os.cpu_count() or 1, replications))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _strongman(world: World, shapley: np.ndarray) -> int:
    """The person account with the largest attribution: among leader accounts (founder and
    executives) if there are any, else among all but the brand account."""
    roles = np.array([a.role for a in world.accounts])
    candidates = roles == "leader" if (roles == "leader").any() else roles != "brand"
    if not candidates.any():
        candidates = np.ones(len(roles), dtype=bool)
    return int(np.flatnonzero(candidates)[shapley[candidates].argmax()])


def _without(world: World, leader: int) -> list[Event]:
    """The counterfactual: the leader's account does not exist (removed on day 0)."""
    return [Ban(kind="ban", target=world.accounts[leader].id, day=0)]


def _replicate(world: World, scenario: Scenario, variants: dict[str, Sequence[Event]],
               replication: int) -> dict[str, Trace]:
    return {name: simulate(world, scenario, events, replication)
            for name, events in variants.items()}


_shared: dict[str, Any] = {}


def _share(world: World, scenario: Scenario, variants: dict[str, Sequence[Event]]) -> None:
    """Worker initializer: keep the world for every replication this worker runs."""
    _shared.update(world=world, scenario=scenario, variants=variants)


def _replicate_shared(replication: int) -> dict[str, Trace]:
    return _replicate(_shared["world"], _shared["scenario"], _shared["variants"], replication)


def _result(scenario: Scenario, world: World, leader: int, traces: dict[str, list[Trace]]
            ) -> RunResult:
    scale, days = world.scale, scenario.horizon_days

    def stack(variant: str, field: str) -> np.ndarray:
        return np.array([getattr(t, field) for t in traces[variant]], dtype=float)

    reach = {v: stack(v, "reach") * scale for v in VARIANTS}
    shapley = stack("baseline", "shapley") * scale / days
    first = min((e.day for e in scenario.events), default=None)
    return RunResult(
        scenario=scenario, scale=scale, n_users=world.n_users,
        leader=world.accounts[leader].id, reach=reach,
        impressions={v: stack(v, "impressions") * scale for v in VARIANTS},
        trust={v: stack(v, "trust") for v in VARIANTS},
        followers={v: stack(v, "followers") * scale for v in VARIANTS},
        shapley=shapley, exclusive=stack("baseline", "exclusive") * scale / days,
        account_followers={v: stack(v, "account_followers") * scale for v in VARIANTS},
        amplification=world.amplification,
        robustness=_robustness(traces["baseline"], shapley.mean(axis=0), scenario.seed),
        figures=figures(reach, shapley, leader, first, scenario.outputs.threshold,
                        scenario.outputs.smoothing_days, scenario.seed),
        meta={"seed": scenario.seed, "replications": scenario.replications})
