"""Monte Carlo: replications of the baseline, the scenario and the world without the leader.

Replication ``r`` of every variant draws from the same per-account streams (keyed by the
root seed, ``r`` and the account), so variants differ only where their events make them
differ (common random numbers). Replications run where :mod:`sim.runs.runners` puts them (this
process, worker processes, a Dask cluster), each receiving the compiled world once; results
are gathered by replication number, so any worker count or cluster gives identical figures.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.engine.state import Trace
from sim.inputs import MAX_SCENARIO_BYTES, read_input
from sim.runs import guard
from sim.runs.facts import run_facts
from sim.runs.figures import RUN_FIGURES
from sim.runs.metrics import dependency, figures, loss, robustness
from sim.runs.replicate import Execute
from sim.runs.results import VARIANTS, RunResult
from sim.runs.runners import runner
from sim.scenario.checks import check_scenario
from sim.scenario.layout import resolve_scenario
from sim.scenario.load import load_scenario
from sim.scenario.overrides import override
from sim.scenario.schema import Ban, Event, Scenario
from sim.world.build import build_world
from sim.world.model import World

__all__ = ["AUTO_BATCH", "Progress", "prepare", "run", "run_world"]

AUTO_BATCH = 10  # replications added at a time with ``replications: auto``

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in all) as they finish."""


def run(scenario: Scenario | str | Path, base_dir: str | Path | None = None, *,
        replications: int | None = None, seed: int | None = None, workers: int | None = None,
        scheduler: str | None = None, progress: Progress | None = None,
        check_memory: bool = True) -> RunResult:
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
    scheduler : str, optional
        Run the replications as Dask tasks: ``"local"`` starts a local cluster of
        ``workers`` processes, an address (``tcp://host:8786``) uses a running scheduler.
        Results are identical to a local run.
    progress : callable, optional
        Called with (done, total) as replications finish.
    check_memory : bool
        Refuse (:class:`RunError`) a run whose estimated memory exceeds what the machine has
        available, before building anything (:mod:`sim.runs.guard`). Default true.
    """
    started = time.perf_counter()
    scenario, base_dir, meta = prepare(scenario, base_dir, replications=replications, seed=seed)
    resolved = resolve_scenario(scenario)
    workers = max(1, min(workers or os.cpu_count() or 1, _planned(resolved)))
    if check_memory:
        guard.check_memory(resolved, workers, base_dir, remote=scheduler not in (None, "local"))
    world = build_world(scenario, base_dir)
    with runner(world, resolved, workers, scheduler) as execute:
        result = run_world(world, resolved, execute, progress)
    if world.draws is not None:  # the same replications at the calibrated values alone
        fixed = dataclasses.replace(world, draws=None)
        with runner(fixed, resolved, workers, scheduler) as execute:
            chance = run_world(fixed, resolved, execute, progress)
        result.meta["fixed_parameters"] = {k: chance.figures[k] for k in RUN_FIGURES}
    result.meta.update(meta, **run_facts(), workers=workers, scheduler=scheduler,
                       wall_time_s=round(time.perf_counter() - started, 3))
    return result


def prepare(scenario: Scenario | str | Path, base_dir: str | Path | None = None,
            **settings: Any) -> tuple[Scenario, Path, dict[str, Any]]:
    """A scenario as :func:`run` takes it (a validated scenario, or its file) with
    ``settings`` such as ``replications`` or ``seed`` applied where not None; the folder its
    relative paths start from; and its source for the manifest."""
    meta: dict[str, Any] = {"source": None, "file_sha256": None}
    if isinstance(scenario, Scenario):
        check_scenario(scenario, Path(base_dir or "."))
    else:
        source = Path(scenario)
        scenario = load_scenario(source)
        base_dir = source.parent if base_dir is None else base_dir
        meta = {"source": str(source), "file_sha256": _sha256(source)}
    changes = {k: v for k, v in settings.items() if v is not None}
    if changes:  # validated as a whole, like a file: seed=-3 is an error naming seed
        scenario = override(scenario, changes, "arguments", base_dir or ".")
    return scenario, Path(base_dir or "."), meta


def run_world(world: World, resolved: Scenario, execute: Execute,
              progress: Progress | None = None) -> RunResult:
    """The paired replications of a built world, run by ``execute``, and their figures.

    :func:`run` in one piece, for callers that run many scenarios on one pool of workers
    (sweeps, sensitivity samples): ``resolved`` is the scenario with its layout expanded
    (:func:`sim.resolve_scenario`) and ``world`` built from it.
    """
    traces, leader, precision = _paired_replications(world, resolved, execute, progress)
    result = _result(resolved, world, leader, traces)
    result.meta["precision"] = precision
    return result


def _paired_replications(world: World, scenario: Scenario, execute: Execute,
                         progress: Progress | None
                         ) -> tuple[dict[str, list[Trace]], int, dict[str, float]]:
    """All variants' replications, in batches until the precision target when
    ``replications`` is ``auto``; the strongman; and the reached 95% half-widths."""
    auto = scenario.replications == "auto"
    planned = _planned(scenario)
    batch = AUTO_BATCH if auto else planned
    leader = world.leader
    events = {"baseline": [], "scenario": scenario.events}
    traces: dict[str, list[Trace]] = {v: [] for v in VARIANTS}
    passes = 2 if leader is None else 1  # an unmarked leader takes a pass to find
    half_widths: dict[str, float] = {}
    while len(traces["baseline"]) < planned:
        done = len(traces["baseline"])
        reps = range(done, min(done + batch, planned))
        counted, total = done * passes, planned * passes
        if leader is None:  # the strongman comes from the first batch's attribution
            new = _collect(execute, events, reps, progress, counted, total)
            leader = _strongman(world, np.mean([t.shapley for t in new["baseline"]], axis=0))
            new |= _collect(execute, {"no_leader": _without(world, leader)}, reps, progress,
                            counted + len(reps), total)
        else:
            variants = {**events, "no_leader": _without(world, leader)}
            new = _collect(execute, variants, reps, progress, counted, total)
        for v in VARIANTS:
            traces[v] += new[v]
        half_widths = _half_widths(traces, leader, scenario)
        if auto and max(half_widths.values()) <= scenario.precision:
            break
    return traces, leader, half_widths


def _planned(scenario: Scenario) -> int:
    """The replications a run plans (the most, with ``auto``)."""
    auto = scenario.replications == "auto"
    return scenario.max_replications if auto else int(scenario.replications)


def _half_widths(traces: dict[str, list[Trace]], leader: int, scenario: Scenario
                 ) -> dict[str, float]:
    """95% half-widths of the means of the headline shares (SDI, the leader's share and
    the cumulative loss as a share of reach)."""
    reach = {v: np.array([t.reach for t in traces[v]], dtype=float) for v in VARIANTS}
    shapley = np.array([t.shapley for t in traces["baseline"]])
    dep = dependency(reach["baseline"], reach["no_leader"], shapley, leader)
    lost = loss(reach["baseline"], reach["scenario"],
                min((e.day for e in scenario.events), default=0),
                scenario.outputs.threshold, scenario.outputs.smoothing_days)
    values = {"sdi": dep["sdi"], "leader_shapley_share": dep["leader_shapley_share"],
              "cumulative_loss": lost["cumulative_loss_pct"] / 100}
    n = len(traces["baseline"])
    return {k: float(1.96 * v.std(ddof=1) / np.sqrt(n)) if n > 1 else float("inf")
            for k, v in values.items()}


def _collect(execute: Execute, variants: dict[str, Sequence[Event]], reps: range,
             progress: Progress | None, done: int, total: int) -> dict[str, list[Trace]]:
    """Run replications, report progress as they end, and order them by number."""
    results: dict[int, dict[str, Trace]] = {}
    for r, traces in execute(variants, reps):
        results[r] = traces
        if progress:
            progress(done + len(results), total)
    return {v: [results[r][v] for r in reps] for v in variants}


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


def _sha256(path: Path) -> str:
    return hashlib.sha256(read_input(path, "scenario", MAX_SCENARIO_BYTES)).hexdigest()


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


def _result(scenario: Scenario, world: World, leader: int, traces: dict[str, list[Trace]]
            ) -> RunResult:
    scale, days = world.scale, scenario.horizon_days

    def stack(variant: str, field: str) -> np.ndarray:
        return np.array([getattr(t, field) for t in traces[variant]], dtype=float)

    reach = {v: stack(v, "reach") * scale for v in VARIANTS}
    shapley = stack("baseline", "shapley") * scale / days
    first = min((e.day for e in scenario.events), default=None)
    as_built = scenario.matrix.model_copy(update={"accounts": list(world.accounts)})
    return RunResult(
        scenario=scenario.model_copy(update={"matrix": as_built}), scale=scale,
        n_users=world.n_users,
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
