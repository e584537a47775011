"""Validation of the reported figures against their definitions (docs/VALIDATION.md)."""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np
import pytest

from sim import Scenario, build_world
from sim.engine.replication import simulate
from sim.runs.montecarlo import run
from sim.scenario.layout import resolve_scenario
from sim.scenario.schema import Ban

SOCIAL = {"mean_degree": 8, "max_degree": 100, "community_size": 200}


def _world(layout: str, founder_followers: float, **matrix) -> Scenario:
    return Scenario.model_validate({
        "name": "v", "seed": 21, "horizon_days": 12,
        "audience": {"users": 2500, "social": SOCIAL},
        "matrix": {"layout": layout, "leader": "founder",
                   "roles": {r: {"follow_rate": 0.0, "churn_rate": 0.0}
                             for r in ("brand", "self_operated", "leader", "dealer")},
                   "accounts": [{"id": "founder", "role": "leader",
                                 "followers": founder_followers, "overlap": 0.4}], **matrix}})


def test_coverage_shapley_equals_brute_force_over_all_coalitions():
    """Reach of every coalition simulated on its own (the other accounts removed on day 0,
    common random numbers): the Shapley values computed over all 2^6 coalitions equal the
    engine's coverage attribution of the full world."""
    scenario = _world("1+2+2+1", 2_000_000)
    resolved = resolve_scenario(scenario)
    world = build_world(scenario)
    ids = [a.id for a in world.accounts]
    n = len(ids)

    def reach(coalition: tuple[int, ...]) -> float:
        removed = [Ban(kind="ban", target=ids[i], day=0) for i in range(n)
                   if i not in coalition]
        return float(simulate(world, resolved, removed, 0).reach.sum())

    value = {c: reach(c) for k in range(n + 1) for c in combinations(range(n), k)}
    brute = np.zeros(n)
    for c, v in value.items():
        for i in range(n):
            if i in c:
                continue
            joined = tuple(sorted((*c, i)))
            weight = factorial(len(c)) * factorial(n - len(c) - 1) / factorial(n)
            brute[i] += weight * (value[joined] - v)
    engine = simulate(world, resolved, [], 0).shapley
    assert brute.sum() == pytest.approx(value[tuple(range(n))])
    assert engine == pytest.approx(brute, rel=1e-9, abs=1e-9)


def test_sdi_is_zero_without_a_leader_audience_and_grows_with_his_followers():
    """SDI 0 when the leader reaches no one; then larger the more followers he has."""
    sdis = []
    for followers in (0, 500_000, 2_000_000, 6_000_000):
        result = run(_world("1+2+2+1", followers), replications=3, workers=1)
        sdis.append(result.figures["sdi"]["mean"])
    assert sdis[0] == 0.0
    assert sdis == sorted(sdis) and sdis[-1] > sdis[1] + 0.2


def test_scenario_equals_its_baseline_until_the_first_event():
    """Paired by common random numbers, every day before the first event is identical, for
    every kind of event."""
    scenario = _world("1+2+3+1", 2_000_000)
    resolved = resolve_scenario(scenario)
    world = build_world(scenario)
    base = simulate(world, resolved, [], 2)
    for event in ({"kind": "exit", "target": "founder"},
                  {"kind": "scandal", "target": "leader_2"},
                  {"kind": "inactive", "target": "role:self_operated"},
                  {"kind": "ban", "target": "brand"},
                  {"kind": "campaign", "target": "founder"},
                  {"kind": "crisis_response", "target": "role:self_operated"},
                  {"kind": "succession", "target": "leader_3", "ramp_days": 2}):
        events = Scenario.model_validate({"name": "e", "events": [{**event, "day": 6}]}).events
        succession = event["kind"] == "succession"
        ran = simulate(world, resolved.model_copy(update={"events": events}), events, 2)
        reference = base if not succession else simulate(
            world, resolved.model_copy(update={"events": events}), [], 2)
        assert np.array_equal(ran.reach[:6], reference.reach[:6]), event["kind"]
        assert not np.array_equal(ran.reach, reference.reach), event["kind"]
