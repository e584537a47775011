"""Per-owner random streams and the samplers built on them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.kernel.streams import Streams, bernoulli_select, poisson_counts


@settings(max_examples=80, deadline=None)
@given(owners=st.integers(1, 4),
       calls=st.lists(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 90)),
                               max_size=5), max_size=5))
def test_each_owner_reads_its_own_stream_in_order(owners, calls):
    """However draws are batched, owner o's numbers are exactly its stream's sequence, read
    one at a time: batching is invisible."""
    streams = Streams(np.arange(owners, dtype=np.uint64) * 7919)
    alone = Streams(np.arange(owners, dtype=np.uint64) * 7919)
    expected = [[alone.uniforms(np.array([o]), np.array([1]))[0] for _ in range(5 * 5 * 90)]
                for o in range(owners)]
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


def test_uniforms_and_exponentials_have_their_laws():
    """The streams' uniforms are uniform, and the gaps between successes, built on the
    ziggurat's exponentials, are geometric: Kolmogorov-Smirnov on 200,000 draws each, and
    the tail far beyond the ziggurat's base layer (x > 7.7) at its expected frequency."""
    streams = Streams(np.array([11], dtype=np.uint64))
    u = streams.uniforms(np.array([0]), np.array([200_000]))
    assert stats.kstest(u, "uniform").pvalue > 0.001
    q = 1e-4  # gaps nearly continuous: floor(E / rate) with rate = -ln(1 - q)
    _, pos = bernoulli_select(streams, np.array([0]), np.array([2 * 10**9]), np.array([q]))
    gaps = np.diff(np.r_[-1, pos]) - 1
    rate = -np.log1p(-q)
    e = (gaps + streams.uniforms(np.array([0]), np.array([len(gaps)]))) * rate  # jittered
    assert len(gaps) > 150_000
    assert stats.kstest(e, "expon").pvalue > 0.001
    tail = (e > 7.7).mean()
    assert abs(tail - np.exp(-7.7)) < 5 * np.sqrt(np.exp(-7.7) / len(e))


@settings(max_examples=60, deadline=None)
@given(n=st.lists(st.integers(0, 300), min_size=1, max_size=6),
       q=st.floats(0, 1), seed=st.integers(0, 50))
def test_bernoulli_select_returns_sorted_distinct_trials_in_range(n, q, seed):
    streams = Streams(np.array([seed, seed + 1], dtype=np.uint64))
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
    streams = Streams(np.array([3], dtype=np.uint64))
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
