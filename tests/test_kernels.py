"""The compiled inner loops give exactly what their numpy twins give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.kernel import compiled as kernels

pytestmark = pytest.mark.skipif(not kernels.COMPILED, reason="numba not in use")


@settings(max_examples=150, deadline=None)
@given(data=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 300), st.floats(1e-6, 0.999),
                               st.integers(0, 10)), min_size=1, max_size=8),
       width=st.integers(1, 120), seed=st.integers(0, 1000))
def test_select_compiled_equals_numpy_and_resumes_exactly(data, width, seed):
    """Same successes and reads; a call stopped by a short row goes on where it stopped."""
    owner, n, q, start = (np.array(x) for x in zip(*data))
    logs = np.log1p(-np.random.default_rng(seed).random((3, width)))
    args = (owner.astype(np.int64), n.astype(np.int64), np.log1p(-q), start.astype(np.int64))
    runs = []
    for select, capacity in ((kernels.select, 5), (kernels.select_numpy, 10**6)):
        nxt, begin = np.zeros(3, dtype=np.int64), args[3].copy()
        seg, pos, stop, trial = select(logs, nxt, *args[:3], begin, 0, capacity)
        runs.append((seg, pos, stop, nxt.copy()))
        if stop < len(owner) and nxt[owner[stop]] < width:  # stopped at capacity: go on
            begin[stop] = trial
            more = select(logs, nxt, *args[:3], begin, stop, 10**6)
            runs[-1] = (np.r_[seg, more[0]], np.r_[pos, more[1]], more[2], nxt.copy())
    (seg_a, pos_a, stop_a, next_a), (seg_b, pos_b, stop_b, next_b) = runs
    assert np.array_equal(seg_a, seg_b) and np.array_equal(pos_a, pos_b)
    assert stop_a == stop_b and np.array_equal(next_a, next_b)
    done = seg_a < stop_a
    assert ((pos_a >= args[3][seg_a]) & (pos_a < args[1][seg_a]))[done].all()


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
    from sim.engine.replication import simulate
    from sim.scenario.layout import resolve_scenario

    code = ("import json, sys; from sim import Scenario, build_world; "
            "from sim.engine.replication import simulate; "
            "from sim.scenario.layout import resolve_scenario; "
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
@given(views=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 5)), max_size=60),
       masks=st.booleans())
def test_tally_compiled_equals_numpy(views, masks):
    users = np.array([u for u, _ in views], dtype=np.int64)
    author = np.array([a for _, a in views], dtype=np.int64)
    marks = kernels.tally_marks(200)
    got = kernels.tally(users + 130, author, 6, marks, masks)  # users across words
    want = kernels.tally_numpy(users + 130, author, 6, kernels.tally_marks(200), masks)
    assert got[0] == want[0] == len(set(users.tolist()))
    for g, w in zip(got[1:3], want[1:3]):
        assert np.array_equal(g, w)
    assert np.array_equal(np.sort(got[3]), np.sort(want[3]))
    assert not marks.any()
    # each user's unit is split among the accounts that reached them (efficiency)
    assert np.isclose(got[1].sum(), got[0])


@settings(max_examples=100, deadline=None)
@given(base=st.sets(st.integers(0, 200), max_size=50), keys=st.sets(st.integers(0, 200)),
       drop=st.sets(st.integers(0, 120)))
def test_sorted_insert_and_splice_compiled_equal_numpy(base, keys, drop):
    base_a = np.array(sorted(base), dtype=np.int64)
    keys_a = np.array(sorted(keys - base), dtype=np.int64)
    merged = kernels.insert_sorted(base_a, keys_a)
    assert np.array_equal(merged, kernels.insert_sorted_numpy(base_a, keys_a))
    assert np.array_equal(merged, np.array(sorted(base | keys), dtype=np.int64))
    positions = np.array(sorted(d for d in drop if d < len(merged)), dtype=np.int64)
    spliced = kernels.splice(base_a, keys_a, positions)
    assert np.array_equal(spliced, kernels.splice_numpy(base_a, keys_a, positions))
    assert np.array_equal(spliced, np.delete(merged, positions))
    assert np.array_equal(kernels.merged_at(base_a, keys_a, positions), merged[positions])


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 60), m=st.integers(0, 200), seed=st.integers(0, 99),
       p=st.sampled_from([0.0, 0.05, 0.3, 1.0]), per_user=st.booleans())
def test_cascades_compiled_equals_numpy(n, m, seed, p, per_user):
    """The Independent Cascades loop: the same sizes, the same last queue, the marks left
    all zero and the streams advanced alike, compiled and interpreted."""
    from sim.kernel.csr import CSR

    rng = np.random.default_rng(seed)
    g = CSR.directed(rng.integers(0, n, m), rng.integers(0, n, m), n)
    starts = np.array([0, 1, 3, 3, 4])
    seeds = rng.integers(0, n, 4)
    user_p = rng.random(n) * p if per_user else np.empty(0)
    state = rng.bit_generator.random_raw(4)
    found = []
    for cascades in (kernels.cascades, kernels.cascades_numpy):
        seen, queue, s = kernels.cascade_marks(n), np.empty(n, np.int64), state.copy()
        sizes = cascades(g.indptr, g.indices, starts, seeds, p, user_p, s, seen, queue)
        assert not seen.any()
        found.append((sizes, queue[:sizes[-1]], s))
    assert all(np.array_equal(a, b) for a, b in zip(*found))
