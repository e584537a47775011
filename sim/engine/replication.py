"""One replication: a SimPy environment whose processes apply events and run the days.

SimPy schedules account-level happenings: each scenario event is a process
(:mod:`sim.engine.events`) that changes a small piece of state at its day and undoes it when
its window ends; a daily process runs the vectorized day step (:class:`sim.engine.state.State`)
at ``day + 0.5``, after that day's events. Mechanisms and equations: docs/MODEL.md, "Engine".
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import simpy

from sim.engine.events import event_process, successors
from sim.engine.state import State, Trace
from sim.scenario.schema import Event, Scenario
from sim.world.model import World

__all__ = ["simulate", "simulate_variants"]


def simulate(world: World, scenario: Scenario, events: Sequence[Event], replication: int,
             record_accounts: bool = False) -> Trace:
    """Run one replication of ``scenario``'s world under ``events`` (a variant).

    ``scenario`` is the resolved scenario the world was built from; its seed and the
    replication number key every random stream, one per account, so variants of the same
    replication draw the same numbers for as long as they stay the same.
    ``record_accounts``: keep each account's day by day (``Trace.accounts``).
    """
    state = _start(world, scenario, replication, record_accounts)
    return _finish(state, events, 0, scenario.horizon_days)


def simulate_variants(world: World, scenario: Scenario, variants: dict[str, Sequence[Event]],
                      replication: int) -> dict[str, Trace]:
    """One replication of several variants, sharing work with the baseline.

    A variant is identical to the baseline (no events) until its first event, by common
    random numbers; so the baseline is simulated once, its state is copied at the start of
    each variant's first event day, and only the rest of that variant is simulated. The
    traces are the same as from :func:`simulate` run for each variant.
    """
    if "baseline" not in variants or variants["baseline"]:
        return {name: simulate(world, scenario, events, replication)
                for name, events in variants.items()}
    horizon = scenario.horizon_days
    first = {name: min((e.day for e in events), default=horizon)
             for name, events in variants.items() if name != "baseline"}
    env = simpy.Environment()
    state = _start(world, scenario, replication)
    env.process(_days(env, state))
    forks: dict[int, State] = {}
    for day in sorted(set(first.values())):
        if day > env.now:
            env.run(until=day)
        forks[day] = state.copy()
    if horizon > env.now:
        env.run(until=horizon)
    traces = {"baseline": state.trace()}
    for name, day in first.items():
        traces[name] = _finish(forks[day].copy(), variants[name], day, horizon)
    return {name: traces[name] for name in variants}


def _start(world: World, scenario: Scenario, replication: int,
           record_accounts: bool = False) -> State:
    state = State(world, scenario, replication, record_accounts)
    for successor in successors(scenario, world):
        state.dormant[successor] = True
    return state


def _finish(state: State, events: Sequence[Event], start: int, horizon: int) -> Trace:
    """Run ``state`` from the start of day ``start`` to the horizon under ``events``."""
    env = simpy.Environment(initial_time=start)
    for event in events:
        env.process(event_process(env, state, event))
    env.process(_days(env, state))
    if horizon > start:
        env.run(until=horizon)
    return state.trace()


def _days(env: simpy.Environment, state: State) -> Generator[Any, Any, None]:
    yield env.timeout(0.5)
    while True:
        state.step(int(env.now))
        yield env.timeout(1)
