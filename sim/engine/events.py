"""Scenario events as SimPy processes acting on a replication's state.

Each event waits for its day, changes a small piece of the state (an account's posting-rate
factor, its brand share, its amplification, who follows it, users' trust) and, for a window,
undoes the change when the window ends. Semantics: docs/MODEL.md, "Events".
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from sim.engine.state import ResponseState, ScandalState, State
from sim.scenario.layout import select
from sim.scenario.schema import (
    Ban,
    Campaign,
    CrisisResponse,
    Event,
    Exit,
    Inactive,
    Scandal,
    Scenario,
    Succession,
)
from sim.world.model import World

__all__ = ["event_process", "successors"]


def successors(scenario: Scenario, world: World) -> list[int]:
    """Accounts that a succession brings in: silent until then, in every variant."""
    accounts = list(world.accounts)
    return [i for e in scenario.events if isinstance(e, Succession)
            for i in select(e.target, accounts)]


def event_process(env: simpy.Environment, state: State, event: Event
                   ) -> Generator[Any, Any, None]:
    idx = np.array(select(event.target, list(state.world.accounts)), dtype=np.int64)
    yield env.timeout(event.day - env.now)
    if isinstance(event, Exit):
        for a in idx:
            leaving = state.sample_followers(a, event.unfollow_share, a)
            state.unfollow_all_but(a, leaving)
        state.stop_brand(idx)
    elif isinstance(event, Ban):
        state.remove(idx)
    elif isinstance(event, Scandal):
        state.scandals.append(ScandalState(idx, event.day, event.day + event.duration_days,
                                       event.severity, event.virality,
                                       event.trust_half_life_days,
                                       np.zeros(state.n, dtype=np.float32)))
    elif isinstance(event, Succession):
        yield from _succession(env, state, event, idx)
    else:
        assert isinstance(event, Inactive | Campaign | CrisisResponse)
        entry = (idx, event.factor)
        state.factors.append(entry)
        if isinstance(event, CrisisResponse):
            if state.protection is None:
                state.protection = np.ones(state.n, dtype=np.float32)
            state.responses.append(ResponseState(idx, event.day, event.day + event.duration_days,
                                             event.trust_protection,
                                             np.zeros(state.n, dtype=bool)))
        if event.duration_days is not None:
            yield env.timeout(event.duration_days)
            state.factors.remove(entry)


def _succession(env: simpy.Environment, state: State, event: Succession, idx: np.ndarray
                ) -> Generator[Any, Any, None]:
    """The successor wakes and ramps its posting up linearly over ``ramp_days``; the share
    ``follower_transfer`` of the predecessor's followers follows it, spread over the ramp."""
    accounts = list(state.world.accounts)
    predecessor = event.predecessor or (accounts[state.world.leader].id
                                        if state.world.leader is not None else None)
    state.dormant[idx] = False
    ramp = (idx, 0.0)
    state.factors.append(ramp)
    movers = np.empty(0, dtype=np.int64)
    if predecessor is not None:
        p = select(predecessor, accounts)[0]
        movers = state.sample_followers(p, event.follower_transfer, int(idx[0]))
    when = np.floor(state.streams.uniforms(np.array([idx[0]]), np.array([len(movers)]))
                    * event.ramp_days).astype(np.int64)
    for day in range(event.ramp_days):
        state.factors.remove(ramp)
        ramp = (idx, (day + 1) / event.ramp_days)
        state.factors.append(ramp)
        moving = movers[when == day]
        state.follow((idx[:, None] * state.n + moving[None, :]).ravel())
        yield env.timeout(1)
    state.factors.remove(ramp)
