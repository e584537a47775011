"""Sweeps: the headline figures over a grid of values of scenario keys.

A sweep takes a base scenario and, for each of one or more key paths (as in
:mod:`sim.scenario.overrides`), a list of values; it runs every combination (the grid) with the base
scenario's seed, so replication r of every point draws from the same random streams (common
random numbers) and differences between points are the model's, not noise. A point equal to
the base scenario gives exactly the figures of :func:`sim.run` on it.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Issue, ScenarioError
from sim.runs.batch import check_runs, run_many
from sim.runs.metrics import STATS
from sim.runs.montecarlo import Progress, prepare
from sim.runs.results import RunResult, summary
from sim.scenario.overrides import override
from sim.scenario.schema import Scenario

__all__ = ["SweepResult", "parse_sets", "sweep"]



def parse_sets(specs: Sequence[str], origin: str = "--set") -> dict[str, list[Any]]:
    """The grid of ``KEY=V1,V2,...`` options: key path to its values, each read as YAML
    (``3`` a number, ``true`` a flag, ``1+5+3+20`` text)."""
    grid: dict[str, list[Any]] = {}
    issues = []
    for spec in specs:
        key, sep, values = (part.strip() for part in spec.partition("="))
        if not sep or not key or not values:
            issues.append(Issue(origin, spec, "expected KEY=V1,V2,... such as "
                                "matrix.accounts.founder.posts_per_day=1,3,5"))
        elif key in grid:
            issues.append(Issue(origin, key, "expected each key once; found it again"))
        else:
            try:
                grid[key] = [yaml.safe_load(v) for v in values.split(",")]
            except yaml.YAMLError:
                issues.append(Issue(origin, key, f"expected values separated by commas; "
                                    f"found {values!r}"))
    if issues:
        raise ScenarioError(issues)
    return grid


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The runs of a sweep.

    Attributes
    ----------
    scenario : Scenario
        The base scenario (with the sweep's seed and replications).
    grid : dict of str to list
        Key path to the values swept, in the order given.
    points : list of dict
        Each point's value per key, in grid order (the last key varies fastest).
    results : list of RunResult
        Each point's run, in the order of ``points``.
    meta : dict
        Source file, workers and wall time, for the manifest.
    """

    scenario: Scenario
    grid: dict[str, list[Any]]
    points: list[dict[str, Any]]
    results: list[RunResult]
    meta: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """The tidy table: one row per point, its key values, then every headline figure
        as ``<figure>_<stat>`` (mean, P5, P50, P95) and the fall and recovery shares."""
        rows = []
        for point, result in zip(self.points, self.results):
            s = summary(result)
            figures = {f"{name}_{stat}": stats[stat] for name, stats in s["metrics"].items()
                       for stat in STATS}
            rows.append({**point, **figures, "p_below": s["p_below"],
                         "recovered_share": s["recovered_share"]})
        return rows


def sweep(scenario: Scenario | str | Path, grid: Mapping[str, Sequence[Any]],
          base_dir: str | Path | None = None, *, replications: int | None = None,
          seed: int | None = None, workers: int | None = None,
          progress: Progress | None = None, check_memory: bool = True,
          scheduler: str | None = None) -> SweepResult:
    """Run the base scenario at every point of the grid.

    Parameters
    ----------
    scenario : Scenario or path
        The base scenario, or its file.
    grid : mapping of str to sequence
        Key path (``matrix.accounts.founder.posts_per_day``) to the values to try.
    base_dir, replications, seed, workers, progress, check_memory, scheduler
        As for :func:`sim.run`; ``progress`` counts replications over all points.

    Raises
    ------
    ScenarioError
        A key that does not exist or a value the scenario does not accept, named with its
        ``--set`` option, or a grid of more than :data:`sim.batch.MAX_RUNS` points, before
        anything runs.
    """
    started = time.perf_counter()
    base, base_dir, meta = prepare(scenario, base_dir, replications=replications, seed=seed)
    if not grid or any(not values for values in grid.values()):
        raise ScenarioError([Issue("--set", "(grid)", "expected at least one key with at "
                                   "least one value")])
    check_runs(math.prod(len(v) for v in grid.values()), "--set", "(grid)",
               " x ".join(f"{len(v):,} values of {k}" for k, v in grid.items()))
    points = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    scenarios = [override(base, point, origin="--set " + ", ".join(
        f"{k}={v}" for k, v in point.items()), base_dir=base_dir) for point in points]
    results = run_many(scenarios, base_dir, workers=workers, progress=progress,
                       check_memory=check_memory, scheduler=scheduler)
    meta |= {"workers": workers, "wall_time_s": round(time.perf_counter() - started, 3)}
    return SweepResult(base, {k: list(v) for k, v in grid.items()}, points, results, meta)
