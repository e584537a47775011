"""Comparing matrix layouts on one audience, one set of events and common random numbers.

Each layout (a ``variants:`` entry of a scenario, or another scenario file) keeps the
scenario's audience, events, dynamics, seed and replications and changes only the matrix and
the amplification edges. Every layout is simulated with the same seed, so replication ``r`` of
each draws the same numbers for the same accounts, and the audience's scale is held at the
first layout's, so one simulated user stands for the same people in all. Definitions:
docs/MODEL.md, "Comparing layouts".
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import Issue, ScenarioError
from sim.runs.figures import FIGURES, applies, not_applicable
from sim.runs.metrics import STATS, summarize
from sim.runs.montecarlo import Progress, run
from sim.runs.results import RunResult
from sim.scenario.checks import check_scenario
from sim.scenario.layout import expand_accounts, resolve_scenario, select
from sim.scenario.load import LineMap, load_scenario, read_yaml
from sim.scenario.overrides import merge
from sim.scenario.schema import (
    MAX_POSTS_PER_DAY,
    MAX_VARIANTS,
    Event,
    Matrix,
    Normalize,
    Scenario,
    Variant,
)

__all__ = ["COMPARED", "Comparison", "Layout", "applicable_events", "compare", "efficient",
           "layout_figures", "monthly_cost", "posts_per_day", "prepare", "variants_from_files",
           "with_cadence"]

COMPARED: tuple[str, ...] = ("expected_reach", "sdi", "leader_shapley_share", "effective_voices",
                             "cumulative_loss_pct", "recovery_days", "loss_at_risk",
                             "monthly_cost")
"""The figures layouts are compared on (:data:`sim.runs.figures.FIGURES`)."""

@dataclass(frozen=True)
class Layout:
    """One layout ready to run: its resolved scenario and how it was made comparable."""

    name: str
    description: str
    scenario: Scenario
    cadence: float  # multiplier applied to every account's posting rate (and cost)
    skipped: tuple[dict[str, Any], ...] = ()  # events naming accounts this layout lacks


def monthly_cost(scenario: Scenario) -> float:
    """Sum of the accounts' monthly costs (currency units per month)."""
    return float(sum(a.monthly_cost for a in expand_accounts(scenario.matrix)))


def posts_per_day(scenario: Scenario) -> float:
    """Sum of the accounts' mean posts per day."""
    return float(sum(a.posts_per_day for a in expand_accounts(scenario.matrix)))


def with_cadence(resolved: Scenario, factor: float,
                 accounts: Collection[str] | None = None) -> Scenario:
    """The resolved scenario with every account (or those of ``accounts``) posting
    ``factor`` times as often, at ``factor`` times its monthly cost (an account's cost is
    taken as proportional to its posting rate)."""
    if factor == 1.0:
        return resolved
    accounts = [a.model_copy(update={"posts_per_day": a.posts_per_day * factor,
                                     "monthly_cost": a.monthly_cost * factor})
                if accounts is None or a.id in accounts else a
                for a in resolved.matrix.accounts]
    matrix = resolved.matrix.model_copy(update={"accounts": accounts})
    return resolved.model_copy(update={"matrix": matrix})


def variants_from_files(paths: Sequence[str | Path]) -> tuple[Scenario, list[Variant]]:
    """Scenario files as layouts to compare: the first file gives the audience, events,
    dynamics, seed and replications; every file (the first included) gives a layout, its
    matrix and amplification, named after the file's scenario."""
    if len(paths) > MAX_VARIANTS:
        raise ScenarioError([Issue(str(paths[0]), "(files)", f"expected at most "
                                   f"{MAX_VARIANTS} scenario files to compare; found "
                                   f"{len(paths)}")])
    scenarios = [load_scenario(p) for p in paths]
    _same_horizon(paths, scenarios)
    with_variants = [str(p) for p, s in zip(paths, scenarios) if s.variants]
    if with_variants:
        raise ScenarioError([Issue(with_variants[0], "variants", "expected plain scenario "
                                   "files when comparing several files; found a file with "
                                   "variants (compare it on its own)")])
    names = [s.name for s in scenarios]
    again = sorted({n for n in names if names.count(n) > 1})
    if again:
        raise ScenarioError([Issue(str(paths[0]), "name", "expected scenarios with distinct "
                                   f"names to compare; found {', '.join(again)} more than once")])
    # every matrix key counts as set, so a file's matrix replaces the first one's whole
    variants = [Variant(name=s.name, description=s.description,
                        matrix=Matrix.model_validate(s.matrix.model_dump(by_alias=True)),
                        amplification=s.amplification) for s in scenarios]
    return scenarios[0], variants


def _same_horizon(paths: Sequence[str | Path], scenarios: list[Scenario]) -> None:
    """Refuse a later file that states another horizon than the first's: layouts are
    compared over one horizon, and the first file gives it."""
    first = scenarios[0].horizon_days
    issues = [Issue(str(p), "horizon_days", f"expected the first file's horizon_days "
                    f"({first}; layouts are compared over one horizon, the first file's) or "
                    f"none; found {s.horizon_days}",
                    LineMap(read_yaml(Path(p), "scenario")[0]).line(("horizon_days",)))
              for p, s in zip(paths[1:], scenarios[1:])
              if "horizon_days" in s.model_fields_set and s.horizon_days != first]
    if issues:
        raise ScenarioError(issues)


def prepare(base: Scenario, variants: Sequence[Variant], base_dir: str | Path = ".",
            normalize: Normalize | None = None, origin: str = "scenario") -> list[Layout]:
    """Each variant as a runnable layout on the base scenario's audience and events.

    Events that name an account (or a role) the layout lacks are not simulated for it (they
    are listed in ``skipped``). The audience's scale is the first layout's for all. With
    ``normalize`` (default: the scenario's) ``"cost"`` or ``"posts"``, every account's
    posting rate and cost are scaled so that the layout's monthly cost, or its posts per day,
    equal the first layout's. Every layout is validated before anything runs; a problem
    raises :class:`ScenarioError` naming ``origin`` and the variant.
    """
    if not variants:
        raise ScenarioError([Issue(origin, "variants", "expected at least one layout to "
                                   "compare; found none")])
    normalize = normalize or base.normalize
    plain = base.model_copy(update={"variants": [], "events": []})
    layouts: list[Layout] = []
    reference: dict[str, float] = {}
    for v in variants:
        where = f"{origin}: variant {v.name!r}"
        patch: dict[str, Any] = {}
        if v.matrix is not None:
            patch["matrix"] = v.matrix.model_dump(mode="json", exclude_unset=True,
                                                  by_alias=True)
        if v.amplification is not None:
            patch["amplification"] = [e.model_dump(mode="json") for e in v.amplification]
        shaped = merge(plain, patch, where, base_dir)
        kept, skipped = applicable_events(base.events, shaped)
        resolved = resolve_scenario(shaped.model_copy(update={"events": kept}))
        if not reference:  # the first layout sets the scale and the footing
            reference = {"scale": resolved.audience.scale, "cost": monthly_cost(resolved),
                         "posts": posts_per_day(resolved)}
        audience = resolved.audience.model_copy(update={"scale": reference["scale"]})
        resolved = resolved.model_copy(update={"audience": audience})
        factor = _factor(resolved, normalize, reference, where)
        resolved = with_cadence(resolved, factor)
        busiest = max(a.posts_per_day for a in resolved.matrix.accounts)
        if busiest > MAX_POSTS_PER_DAY:
            raise ScenarioError([Issue(where, "normalize", f"expected at most "
                                       f"{MAX_POSTS_PER_DAY:g} posts per day of an account "
                                       f"once normalized by {normalize} (rates x "
                                       f"{factor:.3g}); found {busiest:.3g}")])
        check_scenario(resolved, Path(base_dir), f"{where} (scale held at the first "
                       f"layout's {reference['scale'] or 0:,.1f} people per simulated user)")
        layouts.append(Layout(v.name, v.description, resolved, factor, tuple(skipped)))
    return layouts


def applicable_events(events: Sequence[Event], scenario: Scenario
                      ) -> tuple[list[Event], list[dict[str, Any]]]:
    """The events whose accounts (targets, a succession's predecessor) the scenario's
    matrix has, and for each of the others, which do not happen to it, its kind, target,
    day and the accounts the layout lacks."""
    accounts = expand_accounts(scenario.matrix)
    kept, skipped = [], []
    for e in events:
        names = [e.target] + ([e.predecessor] if getattr(e, "predecessor", None) else [])
        missing = [n for n in names if not select(n, accounts)]
        if missing:
            skipped.append({"kind": e.kind, "target": e.target, "day": e.day,
                            "missing": missing})
        else:
            kept.append(e)
    return kept, skipped


def _factor(resolved: Scenario, normalize: str, reference: dict[str, float | None],
            where: str) -> float:
    if normalize == "none":
        return 1.0
    own = monthly_cost(resolved) if normalize == "cost" else posts_per_day(resolved)
    if own <= 0:
        unit = "monthly cost" if normalize == "cost" else "posts per day"
        raise ScenarioError([Issue(where, "matrix", f"expected a layout with a positive "
                                   f"{unit} to normalize by {normalize}; found 0")])
    return float(reference[normalize]) / own


@dataclass(frozen=True, eq=False)
class Comparison:
    """Layouts run on one audience with common random numbers, and their figures."""

    name: str
    normalize: str
    layouts: list[Layout]
    results: list[RunResult]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [lay.name for lay in self.layouts]

    @property
    def scale(self) -> float:
        return self.results[0].scale

    def figures(self) -> list[dict[str, dict[str, float | None]]]:
        """Per layout, every figure of :data:`COMPARED` as mean, P5, P50 and P95; the loss
        figures are None (n/a) for a layout that some of the events do not apply to."""
        return [layout_figures(r, events_apply=not lay.skipped)
                for lay, r in zip(self.layouts, self.results)]

    def efficient(self, key: str) -> np.ndarray:
        """Which layouts are Pareto-efficient on expected reach against ``key``, among
        those the figure applies to (the others never are)."""
        figures = self.figures()
        stats = [f[key] for f in figures]
        reach = np.array([f["expected_reach"]["mean"] for f in figures])
        ok = np.array([applies(x) and x["mean"] is not None for x in stats])
        out = np.zeros(len(stats), dtype=bool)
        if ok.any():
            values = np.array([x["mean"] for x, k in zip(stats, ok) if k], dtype=float)
            out[ok] = efficient(np.column_stack([reach[ok], values]),
                                [FIGURES["expected_reach"].better, FIGURES[key].better])
        return out


EVENT_FIGURES = ("cumulative_loss_pct", "recovery_days", "loss_at_risk")
"""The compared figures that measure the events: n/a where the events were not all run."""


def layout_figures(result: RunResult, events_apply: bool = True
                   ) -> dict[str, dict[str, float | None]]:
    """A layout's figures: expected reach (the baseline's mean daily reach, people per day),
    the run's dependency and loss figures (each None where ``events_apply`` is false: an
    event the layout cannot have was not simulated, so its loss is not comparable), and its
    monthly cost (one value)."""
    f = result.figures
    cost = monthly_cost(result.scenario)
    stats = {k: {s: f[k][s] for s in STATS}
             for k in ("sdi", "leader_shapley_share", "effective_voices", *EVENT_FIGURES)}
    if not events_apply:
        stats |= {k: not_applicable() for k in EVENT_FIGURES}
    return {"expected_reach": summarize(result.reach["baseline"].mean(axis=1)), **stats,
            "monthly_cost": dict.fromkeys(STATS, cost)}


def efficient(points: np.ndarray, senses: Sequence[int]) -> np.ndarray:
    """Which points are Pareto-efficient: no other point is at least as good in every
    objective and better in one (``senses``: +1 where more is better, -1 where less is).

    Examples
    --------
    >>> efficient(np.array([[1.0, 1.0], [2.0, 0.5], [0.5, 0.5]]), [+1, -1]).tolist()
    [False, True, False]
    """
    x = np.asarray(points, dtype=float) * np.asarray(senses, dtype=float)
    at_least = (x[:, None, :] >= x[None, :, :]).all(axis=2)
    better = (x[:, None, :] > x[None, :, :]).any(axis=2)
    dominated = (at_least & better).any(axis=0)
    return ~dominated


def compare(scenario: Scenario | str | Path | Sequence[str | Path], *,
            normalize: Normalize | None = None, replications: int | None = None,
            seed: int | None = None, workers: int | None = None,
            progress: Progress | None = None, scheduler: str | None = None) -> Comparison:
    """Run layouts side by side on one audience and the same events.

    Parameters
    ----------
    scenario : Scenario, path, or sequence of paths
        A scenario with ``variants:`` (or its file), or several scenario files, each a
        layout (the first gives the audience and events).
    normalize : 'none', 'cost' or 'posts', optional
        Hold the layouts to the first one's monthly cost or posts per day; default the
        scenario's ``normalize``.
    replications, seed : int, optional
        Override the scenario's.
    workers : int, optional
        Worker processes per layout; results do not depend on it.
    progress : callable, optional
        Called with (replications done, replications in all) over every layout.
    scheduler : str, optional
        Run each layout's replications on a Dask cluster, as :func:`sim.run` does.
    """
    started = time.perf_counter()
    base, variants, base_dir, origin = _inputs(scenario)
    overrides = {k: v for k, v in (("replications", replications), ("seed", seed))
                 if v is not None}
    base = base.model_copy(update=overrides)
    layouts = prepare(base, variants, base_dir, normalize, origin)
    results = []
    for i, lay in enumerate(layouts):
        def step(done: int, total: int, i: int = i) -> None:
            if progress:
                progress(i * total + done, len(layouts) * total)
        results.append(run(lay.scenario, base_dir, workers=workers, progress=step,
                           scheduler=scheduler))
    return Comparison(base.name, normalize or base.normalize, layouts, results,
                      {"source": origin, "seed": base.seed,
                       "wall_time_s": round(time.perf_counter() - started, 3)})


def _inputs(scenario: Scenario | str | Path | Sequence[str | Path]
            ) -> tuple[Scenario, list[Variant], Path, str]:
    """The base scenario, its layouts, the folder paths are taken from, and its origin."""
    if isinstance(scenario, Scenario):
        return scenario, list(scenario.variants), Path("."), "scenario"
    paths = [Path(scenario)] if isinstance(scenario, (str, Path)) else [Path(p) for p in scenario]
    if len(paths) == 1:
        base = load_scenario(paths[0])
        if not base.variants:
            raise ScenarioError([Issue(str(paths[0]), "variants", "expected a list of "
                                       "layouts to compare, or two or more scenario files; "
                                       "found neither")])
        return base, list(base.variants), paths[0].parent, str(paths[0])
    base, variants = variants_from_files(paths)
    return base, variants, paths[0].parent, str(paths[0])
