"""Per-owner random streams and the samplers built on them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.kernel.streams import Streams, bernoulli_select, poisson_counts


@settings(max_examples=80, deadline=None)
@given(owners=st.integers(1, 4), block=st.integers(1, 40),
       calls=st.lists(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 90)),
                               max_size=5), max_size=5))
def test_each_owner_reads_its_own_generator_in_order(owners, block, calls):
    """However draws are batched and buffered, owner o's numbers are exactly its
    generator's sequence: batching is invisible."""
    streams = Streams([np.random.default_rng(i) for i in range(owners)], block=block)
    expected = [np.random.default_rng(i).random(2000) for i in range(owners)]
    used = [0] * owners
    for call in calls:
        owner = np.array([o % owners for o, _ in call], dtype=np.int64)
        count = np.array([c for _, c in call], dtype=np.int64)
        got = streams.uniforms(owner, count)
        want = []
        for o, c in zip(owner, count):
            want.append(expected[o][used[o]:used[o] + c])
            used[o] += c
        assert np.array_equal(got, np.concatenate(want) if want else np.empty(0))


@settings(max_examples=60, deadline=None)
@given(n=st.lists(st.integers(0, 300), min_size=1, max_size=6),
       q=st.floats(0, 1), seed=st.integers(0, 50))
def test_bernoulli_select_returns_sorted_distinct_trials_in_range(n, q, seed):
    streams = Streams([np.random.default_rng(seed), np.random.default_rng(seed + 1)])
    n = np.array(n)
    owner = np.arange(len(n)) % 2
    segment, position = bernoulli_select(streams, owner, n, np.full(len(n), q))
    assert np.all((position >= 0) & (position < n[segment]))
    key = segment * 1000 + position
    assert np.all(np.diff(key) > 0)
    if q == 1:
        assert len(segment) == n.sum()
    if q == 0:
        assert len(segment) == 0


@pytest.mark.parametrize("n, q", [(50, 0.3), (2000, 0.002), (10, 0.95)])
def test_bernoulli_select_counts_are_binomial(n, q):
    """Success counts over 4,000 draws have the binomial mean and variance, and every trial
    is equally likely to succeed."""
    streams = Streams([np.random.default_rng(3)])
    runs = 4000
    counts, hits = [], np.zeros(n)
    for _ in range(runs):
        _, pos = bernoulli_select(streams, np.array([0]), np.array([n]), np.array([q]))
        counts.append(len(pos))
        hits[pos] += 1
    mean, var = n * q, n * q * (1 - q)
    assert abs(np.mean(counts) - mean) < 5 * np.sqrt(var / runs)
    assert np.var(counts) == pytest.approx(var, rel=0.1)
    if n * q * runs > 5000:  # per-trial frequencies, where there are enough of them
        assert np.abs(hits / runs - q).max() < 6 * np.sqrt(q * (1 - q) / runs)


def test_poisson_by_inversion_has_the_poisson_law():
    rng = np.random.default_rng(4)
    rate = np.full(50_000, 2.5)
    counts = poisson_counts(rate, rng.random(len(rate)))
    assert counts.mean() == pytest.approx(2.5, abs=0.03)
    assert counts.var() == pytest.approx(2.5, rel=0.05)
    assert np.all(poisson_counts(np.zeros(3), np.array([0.0, 0.5, 0.999])) == 0)
