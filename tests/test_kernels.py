"""The compiled inner loops give exactly what their numpy twins give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import kernels

pytestmark = pytest.mark.skipif(not kernels.COMPILED, reason="numba not in use")


@settings(max_examples=100, deadline=None)
@given(data=st.lists(st.tuples(st.integers(1, 40), st.integers(1, 300),
                               st.floats(1e-6, 0.999), st.integers(0, 10)),
                     min_size=1, max_size=8),
       seed=st.integers(0, 1000))
def test_gap_positions_compiled_equals_numpy(data, seed):
    budget, n, q, start = (np.array(x) for x in zip(*data))
    log_u = np.log1p(-np.random.default_rng(seed).random(int(budget.sum())))
    args = (log_u, budget.astype(np.int64), np.log1p(-q), n.astype(np.int64),
            start.astype(np.int64))
    for got, want in zip(kernels.gap_positions(*args), kernels.gap_positions_numpy(*args)):
        assert np.array_equal(got, want)


@settings(max_examples=100, deadline=None)
@given(segments=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 20)), max_size=8),
       seed=st.integers(0, 1000))
def test_take_compiled_equals_numpy(segments, seed):
    buffer = np.random.default_rng(seed).random((4, 200))
    owner = np.array([o for o, _ in segments], dtype=np.int64)
    count = np.array([c for _, c in segments], dtype=np.int64)
    nxt_a = np.random.default_rng(seed).integers(0, 40, 4)
    nxt_b = nxt_a.copy()
    assert np.array_equal(kernels.take(buffer, nxt_a, owner, count),
                          kernels.take_numpy(buffer, nxt_b, owner, count))
    assert np.array_equal(nxt_a, nxt_b)


def test_engine_gives_the_same_numbers_without_numba():
    """A replication run on the numpy twins (RISKMODEL_NUMBA=0) equals the compiled one."""
    import json
    import os
    import subprocess
    import sys

    from conftest import SMALL

    from sim import Scenario, build_world
    from sim.engine import simulate
    from sim.layout import resolve_scenario

    code = ("import json, sys; from sim import Scenario, build_world; "
            "from sim.engine import simulate; from sim.layout import resolve_scenario; "
            "s = Scenario.model_validate(json.loads(sys.argv[1])); r = resolve_scenario(s); "
            "t = simulate(build_world(s), r, r.events, 1); "
            "print(json.dumps(t.reach.tolist() + t.shapley.tolist()))")
    env = dict(os.environ, RISKMODEL_NUMBA="0")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(SMALL)], env=env,
                         capture_output=True, text=True, check=True).stdout
    scenario = Scenario.model_validate(SMALL)
    resolved = resolve_scenario(scenario)
    trace = simulate(build_world(scenario), resolved, resolved.events, 1)
    assert json.loads(out) == trace.reach.tolist() + trace.shapley.tolist()


@settings(max_examples=100, deadline=None)
@given(users=st.lists(st.integers(0, 30), max_size=60))
def test_reached_by_compiled_equals_numpy(users):
    users = np.array(users, dtype=np.int64)
    scratch = np.zeros(31, dtype=np.int64)
    got, distinct = kernels.reached_by(users, scratch)
    want, want_distinct = kernels.reached_by_numpy(users, np.zeros(31, dtype=np.int64))
    assert np.array_equal(got, want) and distinct == want_distinct
    assert not scratch.any()
