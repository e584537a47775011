"""The compiled inner loops give exactly what their numpy twins give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.kernel import compiled as kernels

pytestmark = pytest.mark.skipif(not kernels.COMPILED, reason="numba not in use")


@settings(max_examples=150, deadline=None)
@given(data=st.lists(st.tuples(st.integers(0, 2), st.integers(-2, 300), st.floats(-0.5, 1.5)),
                     min_size=1, max_size=8),
       seed=st.integers(0, 2**64 - 1), room=st.integers(1, 7))
def test_successes_compiled_equal_numpy_and_fill_in_pieces_exactly(data, seed, room):
    """Same successes and the same streams after; filling arrays a few successes at a time
    (as when the first guess of their size is short) gives what one fill gives."""
    owner, n, q = (np.array(x) for x in zip(*data))
    owner, n, q = owner.astype(np.int64), n.astype(np.int64), q.astype(float)
    runs = []
    for successes in (kernels.successes, kernels.successes_numpy):
        state = np.random.default_rng(seed % 1000).integers(0, 2**63, 3).astype(np.uint64)
        runs.append((*successes(state, owner, n, q), state))
    (seg, pos, state), twin = runs[0], runs[1]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0], twin))
    assert np.all((pos >= 0) & (pos < n[seg])) and np.all(np.diff(seg * 1000 + pos) > 0)
    state = np.random.default_rng(seed % 1000).integers(0, 2**63, 3).astype(np.uint64)
    parts, k, first, resume = [], 0, 0, -1
    while first < len(owner):
        out = np.empty(room, dtype=np.int64), np.empty(room, dtype=np.int64)
        k, first, resume = kernels._fill_successes(state, owner, n, q, *out, 0, first, resume)
        parts.append((out[0][:k], out[1][:k]))
    assert np.array_equal(np.concatenate([p[0] for p in parts]), seg)
    assert np.array_equal(np.concatenate([p[1] for p in parts]), pos)
    assert np.array_equal(state, runs[0][2])


@settings(max_examples=100, deadline=None)
@given(segments=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 20)), max_size=8),
       seed=st.integers(0, 1000))
def test_uniforms_compiled_equal_numpy(segments, seed):
    owner = np.array([o for o, _ in segments], dtype=np.int64)
    count = np.array([c for _, c in segments], dtype=np.int64)
    state_a = np.random.default_rng(seed).integers(0, 2**63, 4).astype(np.uint64)
    state_b = state_a.copy()
    assert np.array_equal(kernels.uniforms(state_a, owner, count),
                          kernels.uniforms_numpy(state_b, owner, count))
    assert np.array_equal(state_a, state_b)


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
    views = sorted(views, key=lambda view: view[1])  # account by account
    users = np.array([u for u, _ in views], dtype=np.int64)
    author = np.array([a for _, a in views], dtype=np.int64)
    keys = author * 200 + users + 130  # users across words
    bounds = np.searchsorted(author, np.arange(7))
    marks = kernels.tally_marks(200)
    got = kernels.tally(keys, bounds, 200, marks, masks)
    want = kernels.tally_numpy(keys, bounds, 200, kernels.tally_marks(200), masks)
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


@settings(max_examples=100, deadline=None)
@given(a=st.lists(st.integers(0, 60), max_size=40), b=st.lists(st.integers(0, 60), max_size=40))
def test_merge_unique_compiled_equals_numpy(a, b):
    a, b = np.sort(np.array(a, dtype=np.int64)), np.sort(np.array(b, dtype=np.int64))
    assert np.array_equal(kernels.merge_unique(a, b), kernels.merge_unique_numpy(a, b))
    assert np.array_equal(kernels.merge_unique(b, a), kernels.merge_unique_numpy(a, b))


@settings(max_examples=100, deadline=None)
@given(picks=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4)), max_size=30),
       seed=st.integers(0, 1000))
def test_gather_compiled_equals_numpy(picks, seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 10**6, 40)
    start, shift = rng.integers(0, 35, 4), rng.integers(-5, 5, 4) * 10**6
    segment = np.array([s for s, _ in picks], dtype=np.int64)
    position = np.array([p for _, p in picks], dtype=np.int64)
    assert np.array_equal(kernels.gather(values, start, shift, segment, position),
                          kernels.gather_numpy(values, start, shift, segment, position))
