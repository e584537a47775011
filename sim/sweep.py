"""Sweeps: the headline figures over a grid of values of scenario keys.

A sweep takes a base scenario and, for each of one or more key paths (as in
:mod:`sim.overrides`), a list of values; it runs every combination (the grid) with the base
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

from .batch import check_runs, run_many
from .config import Scenario
from .errors import Issue, ScenarioError
from .montecarlo import Progress, prepare
from .outputs import atomic_dir, default_dir, summary, write_json, write_rows
from .overrides import override
from .results import RunResult

__all__ = ["STATS", "SweepResult", "parse_sets", "sweep"]

STATS = ("mean", "p5", "p50", "p95")


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

    def save(self, out_dir: str | Path | None = None) -> Path:
        """Write the table (``sweep.csv``, ``sweep.json``), a chart per swept key and the
        report into ``out_dir`` (default ``outputs/<name>/sweep``), atomically; then add the
        sweep to the run's report beside it, if there is one. Returns the folder."""
        from .analysis_plots import plot_sweep
        from .analysis_report import render_sweep, update_run_report
        from .plots import save_figure

        out_dir = Path(out_dir) if out_dir is not None else default_dir(self.scenario) / "sweep"
        rows = self.rows()
        with atomic_dir(out_dir) as tmp:
            write_rows(tmp / "sweep.csv", rows)
            stems = {key: f"sweep_{i}" for i, key in enumerate(self.grid, 1)}
            facts = {"scenario": self.scenario.name, "seed": self.scenario.seed,
                     "replications": self.results[0].replications, "grid": self.grid,
                     "charts": stems, **self.meta}
            write_json(tmp / "sweep.json", {**facts, "points": rows})
            charts = {key: save_figure(plot_sweep(self, key), tmp / stem,
                                       self.scenario.outputs.charts)
                      for key, stem in stems.items()}
            (tmp / "report.html").write_text(render_sweep(self, rows, charts),
                                             encoding="utf-8")
        update_run_report(out_dir.parent)
        return out_dir


def sweep(scenario: Scenario | str | Path, grid: Mapping[str, Sequence[Any]],
          base_dir: str | Path | None = None, *, replications: int | None = None,
          seed: int | None = None, workers: int | None = None,
          progress: Progress | None = None, check_memory: bool = True) -> SweepResult:
    """Run the base scenario at every point of the grid.

    Parameters
    ----------
    scenario : Scenario or path
        The base scenario, or its file.
    grid : mapping of str to sequence
        Key path (``matrix.accounts.founder.posts_per_day``) to the values to try.
    base_dir, replications, seed, workers, progress, check_memory
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
                       check_memory=check_memory)
    meta |= {"workers": workers, "wall_time_s": round(time.perf_counter() - started, 3)}
    return SweepResult(base, {k: list(v) for k, v in grid.items()}, points, results, meta)
