"""Searching matrix layouts under a monthly budget: the reach-dependency-loss frontier.

The search varies the counts of self-operated (X), leader (K) and dealer (N) accounts and a
posting-rate multiplier shared by every account (the cadence; an account's cost is
proportional to it), keeps the scenario's named accounts, employees, amplification and
events, and evaluates each layout within the budget with the scenario's Monte Carlo run on
one audience (same seed, same social graph, same scale, common random numbers). It starts
from a coarse grid and refines around the Pareto frontier. Method: docs/MODEL.md,
"Recommending a layout".
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.compare import applicable_events, efficient, monthly_cost, with_cadence
from sim.errors import RunError
from sim.i18n import N_, _
from sim.runs.dask import dask_cluster
from sim.runs.figures import format_people
from sim.runs.metrics import summarize
from sim.runs.montecarlo import Progress, run
from sim.runs.pool import WorkerPool
from sim.scenario.layout import expand_accounts, resolve_scenario, select
from sim.scenario.load import load_scenario
from sim.scenario.schema import MAX_ACCOUNTS, Scenario, parse_layout

__all__ = ["CADENCES", "COUNTS", "Candidate", "Recommendation", "recommend"]

# Levels of each searched dimension. The coarse grid takes every 4th level of the counts
# at the middle cadence (1x, the scenario's own rates); refinement rounds then try the
# grid points 2 levels, and then 1 level, away from each frontier layout along each
# dimension (the cadence included).
COUNTS: dict[str, tuple[int, ...]] = {
    "self_operated": (0, 1, 2, 3, 4, 5, 6, 8, 10),
    "leader": (0, 1, 2, 3, 4, 5, 6, 8, 10),  # added to the named leader accounts
    "dealer": (0, 5, 10, 15, 20, 25, 30, 40, 50),
}
CADENCES: tuple[float, ...] = (0.5, 0.75, 1.0, 1.5, 2.0)
STEPS = (4, 2, 1)  # grid step (in levels) of the coarse grid and the refinement rounds
REPLICATIONS = 4  # per candidate
USERS = 20_000  # simulated users per candidate, at most
MAX_EVALUATIONS = 48
TARGET_REACH_SHARE = 0.9  # the cheapest pick reaches at least this share of the best's
_DIMS = (*COUNTS, "cadence")

@dataclass
class Candidate:
    """One layout the search evaluated."""

    counts: dict[str, int]  # accounts per role, named ones included
    cadence: float
    cost: float  # currency units per month
    figures: dict[str, dict[str, float | None]] = field(default_factory=dict)
    on_frontier: bool = False

    @property
    def layout(self) -> str:
        """The layout as 1+X+K+N (+E with employees)."""
        c = self.counts
        layout = f"1+{c['self_operated']}+{c['leader']}+{c['dealer']}"
        return layout + (f"+{c['employee']}" if c["employee"] else "")

    @property
    def label(self) -> str:
        """The layout and its cadence, for a reader."""
        return _("{layout} at {cadence}x cadence").format(layout=self.layout,
                                                          cadence=f"{self.cadence:g}")

    def mean(self, key: str) -> float:
        value = self.figures[key]["mean"]
        return float("nan") if value is None else float(value)


PICKS: dict[str, str] = {"cheapest": N_("cheapest"), "best": N_("best")}  # as a reader says


@dataclass(frozen=True, eq=False)
class Recommendation:
    """The search's candidates, frontier and picks."""

    scenario: Scenario  # the scenario searched around (its outputs settings included)
    budget: float
    max_sdi: float | None
    candidates: list[Candidate]
    best: Candidate | None  # most expected reach within budget (and the SDI cap)
    cheapest: Candidate | None  # cheapest meeting the target
    settings: dict[str, Any]

    @property
    def name(self) -> str:
        return self.scenario.name

    def picks(self) -> dict[str, Candidate]:
        """The recommended layouts by role ("cheapest", "best"), when found."""
        return {k: v for k, v in (("cheapest", self.cheapest), ("best", self.best))
                if v is not None}

    @property
    def frontier(self) -> list[Candidate]:
        return [c for c in self.candidates if c.on_frontier]

    def sentences(self) -> list[str]:
        """The recommendation in plain words, in the current language."""
        s = self.settings
        budget = f"{self.budget:,.0f}"
        out = []
        if self.best is None:
            low = min(self.candidates, key=lambda c: c.mean("sdi"))
            out.append(_("No layout within {budget}/month meets an SDI of at most {cap}; the "
                         "lowest found is {layout} ({sdi}, {cost}/month).").format(
                budget=budget, cap=f"{self.max_sdi:.0%}", layout=low.label,
                sdi=_pct(low.figures["sdi"]), cost=f"{low.cost:,.0f}"))
        else:
            for tag, c in self.picks().items():
                what = (_("Cheapest layout that reaches at least {share} of the best's reach")
                        if tag == "cheapest" else _("Most expected reach within "
                                                    "{budget}/month")).format(
                    share=f"{TARGET_REACH_SHARE:.0%}", budget=budget)
                if self.max_sdi is not None:
                    what += _(" and a strongman dependency of at most {cap}").format(
                        cap=f"{self.max_sdi:.0%}")
                out.append(_("{what}: {layout}, {cost}/month, {reach} people a day, SDI "
                             "{sdi}, loss after the events {loss} of reach.").format(
                    what=what, layout=c.label, cost=f"{c.cost:,.0f}",
                    reach=_people(c.figures["expected_reach"]), sdi=_pct(c.figures["sdi"]),
                    loss=_num(c.figures["cumulative_loss_pct"])))
        searched = (_("Searched {n} layouts within budget (coarse grid, then {rounds} "
                      "refinements around the frontier; evaluation cap reached)") if s["capped"]
                    else _("Searched {n} layouts within budget (coarse grid, then {rounds} "
                           "refinements around the frontier)"))
        out.append(searched.format(n=len(self.candidates), rounds=len(STEPS) - 1) + _(
            ", each with {replications} replications on {users} simulated users (1 = {scale} "
            "people): screening figures; run the chosen layout with 'riskmodel run' for full "
            "precision.").format(replications=s["replications"], users=f"{s['users']:,}",
                                 scale=f"{s['scale']:,.1f}"))
        return out


def candidate_row(c: Candidate) -> dict[str, Any]:
    out: dict[str, Any] = {"layout": c.layout, **c.counts, "cadence": c.cadence,
                           "monthly_cost": c.cost, "on_frontier": c.on_frontier}
    for key, stats in c.figures.items():
        out |= {f"{key}_{s}": stats[s] for s in ("mean", "p5", "p95")}
    return out


def _pct(stats: dict[str, float | None]) -> str:
    return f"{100 * (stats['mean'] or 0):.0f}% (P5-P95 {100 * (stats['p5'] or 0):.0f}-" \
           f"{100 * (stats['p95'] or 0):.0f}%)"


def _people(stats: dict[str, float | None]) -> str:
    return f"{format_people(stats['mean'] or 0)} (P5-P95 {format_people(stats['p5'] or 0)}-" \
           f"{format_people(stats['p95'] or 0)})"


def _num(stats: dict[str, float | None]) -> str:
    return f"{stats['mean'] or 0:.0f}% (P5-P95 {stats['p5'] or 0:.0f}-{stats['p95'] or 0:.0f}%)"


def recommend(scenario: Scenario | str | Path, budget: float, *, max_sdi: float | None = None,
              replications: int = REPLICATIONS, users: int | None = None,
              max_evaluations: int = MAX_EVALUATIONS, workers: int | None = None,
              progress: Progress | None = None, base_dir: str | Path | None = None,
              scheduler: str | None = None) -> Recommendation:
    """Search layouts under ``budget`` (currency units per month) and pick two.

    Parameters
    ----------
    scenario : Scenario or path
        The scenario whose accounts' parameters, named accounts, employees, amplification and
        events every candidate keeps.
    budget : float
        Largest monthly cost of a candidate.
    max_sdi : float, optional
        Largest strongman dependency index (mean) a pick may have.
    replications, users : int, optional
        Replications and simulated users per candidate (users default: the scenario's, at
        most :data:`USERS`; an imported graph's users are its own).
    max_evaluations : int
        Most candidates simulated.
    scheduler : str, optional
        Run the candidates as tasks on a Dask cluster (:func:`sim.runs.dask.dask_cluster`).

    Raises
    ------
    RunError
        When ``budget`` is not a finite number >= 0 (or ``max_sdi`` not within 0-1), or no
        layout of the search space fits the budget.
    """
    started = time.perf_counter()
    if not (math.isfinite(budget) and budget >= 0):
        raise RunError(f"--budget: expected a finite number >= 0 (currency units per month); "
                       f"found {budget}")
    if max_sdi is not None and not 0 <= max_sdi <= 1:
        raise RunError(f"--max-sdi: expected a number from 0 to 1; found {max_sdi}")
    if not isinstance(scenario, Scenario):
        base_dir = Path(scenario).parent if base_dir is None else base_dir
        scenario = load_scenario(scenario)
    base_dir = Path(base_dir or ".")
    users = min(scenario.audience.users, USERS) if users is None else users
    imported = scenario.audience.import_ and scenario.audience.import_.graph
    audience = scenario.audience if imported else \
        scenario.audience.model_copy(update={"users": users})
    base = scenario.model_copy(update={"replications": replications, "variants": [],
                                       "audience": audience})
    scale = resolve_scenario(base).audience.scale
    space = _Space(base, scale)
    cheapest = space.cost((0, 0, 0, 0))
    if cheapest > budget:
        raise RunError(f"--budget: expected at least {cheapest:,.0f} per month, the cost of "
                       f"the smallest layout searched ({space.candidate((0, 0, 0, 0)).label}, "
                       f"with the account costs of {scenario.name}); found {budget:,.0f}")
    evaluated: dict[tuple[int, ...], Candidate] = {}
    with _pool(workers, scheduler) as execute:
        capped = _search(space, budget, max_sdi, max_evaluations, base_dir, execute,
                         evaluated, progress)
    candidates = sorted(evaluated.values(), key=lambda c: c.cost)
    best, cheap = _picks(candidates, max_sdi)
    return Recommendation(scenario, float(budget), max_sdi, candidates, best, cheap,
                          {"replications": replications, "users": users, "scale": scale,
                           "seed": scenario.seed, "max_evaluations": max_evaluations,
                           "capped": capped,
                           "wall_time_s": round(time.perf_counter() - started, 3)})


def _search(space: _Space, budget: float, max_sdi: float | None, max_evaluations: int,
            base_dir: Path, execute: _Execute, evaluated: dict[tuple[int, ...], Candidate],
            progress: Progress | None) -> bool:
    """The coarse grid and the refinement rounds, filling ``evaluated``; whether the
    evaluation cap cut a round short."""
    capped = False
    frontier: list[tuple[int, ...]] = []
    sizes = [len(space.levels[d]) for d in _DIMS]
    for step in STEPS:
        keys = list(itertools.product(*(range(0, n, step) for n in sizes[:-1]),
                                      [CADENCES.index(1.0)])) \
            if step == STEPS[0] else _neighbours(frontier, step, sizes)
        keys = [k for k in dict.fromkeys(keys) if k not in evaluated
                and 1 + sum(space.counts(k).values()) <= MAX_ACCOUNTS and space.cost(k) <= budget]
        batch = keys[:max_evaluations - len(evaluated)]
        capped = capped or len(batch) < len(keys)
        total = len(evaluated) + len(batch)
        for k, figures in execute(_evaluate, [(space.scenario(k), base_dir) for k in batch],
                                  batch):
            evaluated[k] = space.candidate(k)
            evaluated[k].figures = figures
            if progress:
                progress(len(evaluated), total)
        frontier = _mark_frontier(evaluated, max_sdi)
    return capped


_Execute = Callable[..., Iterator[tuple[Any, Any]]]


@contextmanager
def _pool(workers: int | None, scheduler: str | None = None) -> Iterator[_Execute]:
    """Run candidates one per worker process (each keeps its own copy of the social graph
    for every candidate it runs), one per Dask task, or in this process with one worker."""
    workers = workers or os.cpu_count() or 1
    if scheduler is not None:
        with dask_cluster(scheduler, workers) as cluster:
            yield cluster.map_unordered
        return
    if workers == 1:
        yield lambda fn, args, keys: ((k, fn(*a)) for k, a in zip(keys, args))
        return
    with WorkerPool(workers, name=lambda key: f"candidate layout {key}") as pool:
        yield lambda fn, args, keys: pool.run(fn, dict(zip(keys, args)))


def _evaluate(scenario: Scenario, base_dir: Path) -> dict[str, dict[str, float | None]]:
    """One candidate's figures from its replications, run in this process."""
    return _figures(run(scenario, base_dir, workers=1))


class _Space:
    """The searched levels and how a point of the grid (one level index per dimension)
    becomes a scenario."""

    def __init__(self, base: Scenario, scale: float | None):
        self.base, self.scale = base, scale
        named = {r: sum(a.role == r for a in base.matrix.accounts) for r in COUNTS}
        self.layout = parse_layout(base.matrix.layout) if base.matrix.layout else \
            {"employee": sum(a.role == "employee" for a in base.matrix.accounts)}
        self.levels: dict[str, tuple[float, ...]] = {
            "self_operated": tuple(max(v, named["self_operated"])
                                   for v in COUNTS["self_operated"]),
            "leader": tuple(v + named["leader"] for v in COUNTS["leader"]),
            "dealer": tuple(max(v, named["dealer"]) for v in COUNTS["dealer"]),
            "cadence": CADENCES}
        self._costs: dict[tuple[int, ...], float] = {}

    def counts(self, key: tuple[int, ...]) -> dict[str, int]:
        counts = {d: int(self.levels[d][i]) for d, i in zip(COUNTS, key)}
        return counts | {"employee": self.layout.get("employee", 0)}

    def scenario(self, key: tuple[int, ...]) -> Scenario:
        """The candidate's resolved scenario: events and amplification edges that name a
        role it has no accounts of do not happen to it."""
        c = self.counts(key)
        layout = f"1+{c['self_operated']}+{c['leader']}+{c['dealer']}+{c['employee']}"
        shaped = self.base.model_copy(update={
            "matrix": self.base.matrix.model_copy(update={"layout": layout}), "events": []})
        kept, _ = applicable_events(self.base.events, shaped)
        accounts = expand_accounts(shaped.matrix)
        edges = [e for e in self.base.amplification
                 if select(e.source, accounts) and select(e.target, accounts)]
        resolved = resolve_scenario(shaped.model_copy(update={"events": kept,
                                                              "amplification": edges}))
        resolved = resolved.model_copy(update={
            "audience": resolved.audience.model_copy(update={"scale": self.scale})})
        return with_cadence(resolved, float(self.levels["cadence"][key[-1]]))

    def cost(self, key: tuple[int, ...]) -> float:
        if key not in self._costs:
            self._costs[key] = monthly_cost(self.scenario(key))
        return self._costs[key]

    def candidate(self, key: tuple[int, ...]) -> Candidate:
        return Candidate(self.counts(key), float(self.levels["cadence"][key[-1]]),
                         self.cost(key))


def _neighbours(keys: list[tuple[int, ...]], step: int, sizes: list[int]
                ) -> list[tuple[int, ...]]:
    """Grid points ``step`` levels away from each key along one dimension."""
    out = []
    for key in keys:
        for d, size in enumerate(sizes):
            for delta in (-step, step):
                i = key[d] + delta
                if 0 <= i < size:
                    out.append((*key[:d], i, *key[d + 1:]))
    return out


def _figures(result: Any) -> dict[str, dict[str, float | None]]:
    f = result.figures
    return {"expected_reach": summarize(result.reach["baseline"].mean(axis=1)),
            "sdi": f["sdi"], "cumulative_loss_pct": f["cumulative_loss_pct"],
            "loss_at_risk": {k: f["loss_at_risk"][k] for k in ("mean", "p5", "p50", "p95")}}


OBJECTIVES = (("expected_reach", +1), ("sdi", -1), ("cumulative_loss_pct", -1))


def _mark_frontier(evaluated: dict[tuple[int, ...], Candidate], max_sdi: float | None
                   ) -> list[tuple[int, ...]]:
    """Mark the Pareto-efficient candidates (more reach; less SDI, loss and cost) and
    return their grid points, the current picks' first (refinement starts around them)."""
    keys = list(evaluated)
    points = np.array([[evaluated[k].mean(m) for m, _ in OBJECTIVES] + [evaluated[k].cost]
                       for k in keys])
    on = efficient(np.nan_to_num(points), [s for _, s in OBJECTIVES] + [-1])
    for k, flag in zip(keys, on):
        evaluated[k].on_frontier = bool(flag)
    picks = [id(c) for c in _picks(list(evaluated.values()), max_sdi) if c is not None]
    return sorted((k for k, flag in zip(keys, on) if flag),
                  key=lambda k: id(evaluated[k]) not in picks)


def _picks(candidates: list[Candidate], max_sdi: float | None
           ) -> tuple[Candidate | None, Candidate | None]:
    """The frontier's most-reach layout under the SDI cap, and its cheapest layout under the
    cap with at least TARGET_REACH_SHARE of that reach (ties: more reach, less SDI, less
    loss, less cost)."""
    ok = [c for c in candidates if c.on_frontier
          and (max_sdi is None or c.mean("sdi") <= max_sdi)]
    if not ok:
        return None, None

    def merit(c: Candidate) -> tuple[float, ...]:
        return (c.mean("expected_reach"), -c.mean("sdi"), -c.mean("cumulative_loss_pct"),
                -c.cost)

    best = max(ok, key=merit)
    target = TARGET_REACH_SHARE * best.mean("expected_reach")
    cheapest = min((c for c in ok if c.mean("expected_reach") >= target),
                   key=lambda c: (c.cost, tuple(-m for m in merit(c))))
    return best, cheapest
