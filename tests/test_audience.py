"""The synthetic audience and its arrays: expected degrees, social ties, follower sets, CSR."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.kernel.csr import CSR
from sim.world.audience import follower_sets, power_law_weights, social_ties
from sim.world.stats import tail_exponent

# --- power_law_weights -------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(mean=st.floats(2.0, 50.0), exponent=st.floats(2.1, 4.0), ratio=st.floats(3.0, 200.0),
       seed=st.integers(0, 2**32 - 1))
def test_power_law_weights_have_the_requested_mean(mean, exponent, ratio, seed):
    """200,000 draws average the requested mean within 5 standard errors, inside (0, max]."""
    maximum = mean * ratio
    w = power_law_weights(200_000, mean, exponent, maximum, np.random.default_rng(seed))
    assert w.min() > 0 and w.max() <= maximum * (1 + 1e-9)
    assert abs(w.mean() - mean) < 5 * w.std() / np.sqrt(len(w))


def test_power_law_weights_follow_the_exponent(rng):
    """The tail estimate of the weights is the configured exponent within 0.05 (200k draws)."""
    w = power_law_weights(200_000, 10.0, 2.5, 10_000.0, rng)
    assert tail_exponent(np.floor(w).astype(int), 20) == pytest.approx(2.5, abs=0.05)


@pytest.mark.parametrize("mean", [0.0, 1000.0, 2000.0])
def test_power_law_weights_reject_a_mean_outside_zero_to_max(mean, rng):
    """A mean of 0 or at or above max_degree cannot be met and is refused."""
    with pytest.raises(ValueError, match="mean degree must lie in"):
        power_law_weights(10, mean, 2.5, 1000.0, rng)


# --- social_ties -------------------------------------------------------------------------


def _ties(n: int = 2000, seed: int = 0, **kw) -> tuple[CSR, np.ndarray]:
    args = dict(mean_degree=10.0, exponent=2.5, max_degree=100.0, community_size=100.0,
                mixing=0.2) | kw
    return social_ties(n, rng=np.random.default_rng(seed), **args)


def test_social_ties_are_a_simple_undirected_graph():
    """The ties are symmetric, with no self-ties and no repeats, and every user has a community."""
    g, community = _ties()
    A = g.to_scipy()
    assert (A != A.T).nnz == 0
    assert not np.any(g.row_ids() == g.indices)
    assert all(np.all(np.diff(g.row(i)) > 0) for i in range(g.n_rows))
    assert community.shape == (2000,) and community.dtype == np.int32 and community.min() >= 0


def test_social_ties_come_from_the_stream():
    """The same stream gives equal arrays; another stream gives other ties."""
    (a, ca), (b, cb), (c, _) = _ties(seed=4), _ties(seed=4), _ties(seed=5)
    assert a.equals(b) and np.array_equal(ca, cb)
    assert not a.equals(c)


@pytest.mark.parametrize("exponent", [2.2, 2.5, 3.0])
def test_degree_tail_follows_the_configured_exponent(exponent):
    """On 50,000 users the tail estimate (k >= 2 x mean) is within 0.15 of the exponent.

    Parameters keep hubs below their communities' capacity (max_degree 2,000, communities of
    5,000); the estimator reads about 0.05-0.1 high from the cutoff and the Poisson noise.
    """
    g, _ = _ties(50_000, mean_degree=10.0, exponent=exponent, max_degree=2000.0,
                 community_size=5000.0)
    assert tail_exponent(g.degrees(), 20) == pytest.approx(exponent, abs=0.15)


def test_realized_mean_degree_is_close_to_the_requested_one():
    """Dropped repeats and self-ties cost under 10% of the requested mean degree."""
    g, _ = _ties(50_000, mean_degree=20.0, max_degree=1000.0, community_size=1000.0)
    assert 18.0 < g.degrees().mean() <= 20.0 + 0.1


# --- follower_sets -----------------------------------------------------------------------


def _streams(n: int, seed: int = 0) -> list[np.random.Generator]:
    return [np.random.default_rng([seed, a]) for a in range(n)]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n_users=st.integers(10, 400), n_accounts=st.integers(1, 6),
       seed=st.integers(0, 99))
def test_follower_sets_have_their_sizes_and_overlap(data, n_users, n_accounts, seed):
    """Each account gets exactly its target of distinct users, and round(target x overlap) of
    them from the brand's followers, clipped to what the brand's and the others' pools hold."""
    targets = np.array(data.draw(st.lists(st.integers(0, n_users), min_size=n_accounts,
                                          max_size=n_accounts)))
    overlaps = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n_accounts,
                                           max_size=n_accounts)))
    brand = data.draw(st.integers(0, n_accounts - 1))
    fol = follower_sets(n_users, targets, overlaps, brand, _streams(n_accounts, seed))
    assert fol.n_rows == n_accounts and fol.n_cols == n_users
    assert np.array_equal(fol.degrees(), targets)
    brand_fans = set(fol.row(brand).tolist())
    n_brand, n_others = len(brand_fans), n_users - len(brand_fans)
    for a, (k, share) in enumerate(zip(targets, overlaps)):
        if a != brand:
            expected = min(max(round(k * share), k - n_others), n_brand)
            assert len(brand_fans.intersection(fol.row(a).tolist())) == expected


def test_an_accounts_followers_do_not_depend_on_the_other_accounts():
    """Dropping an account from the lists leaves every other account's followers unchanged."""
    targets, overlaps = np.array([300, 40, 50, 60]), np.array([1.0, 0.3, 0.5, 0.2])
    streams = _streams(4, seed=9)
    full = follower_sets(1000, targets, overlaps, 0, streams)
    keep = [0, 1, 3]
    part = follower_sets(1000, targets[keep], overlaps[keep], 0,
                         [_streams(4, seed=9)[a] for a in keep])
    for row, a in enumerate(keep):
        assert np.array_equal(part.row(row), full.row(a))


# --- CSR ---------------------------------------------------------------------------------

pairs = st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=80)


@settings(max_examples=100)
@given(pairs=pairs, n_rows=st.integers(12, 15), n_cols=st.integers(12, 15))
def test_from_pairs_matches_a_set_based_reference(pairs, n_rows, n_cols):
    """Row i holds the sorted distinct columns paired with i, whatever the order or repeats."""
    rows = np.array([r for r, _ in pairs], dtype=np.int64)
    cols = np.array([c for _, c in pairs], dtype=np.int64)
    m = CSR.from_pairs(rows, cols, n_rows, n_cols)
    assert m.n_rows == n_rows and m.n_cols == n_cols and m.indices.dtype == np.int32
    for i in range(n_rows):
        assert m.row(i).tolist() == sorted({c for r, c in pairs if r == i})
    assert m.nnz == len(set(pairs))


@settings(max_examples=100)
@given(pairs=pairs)
def test_symmetric_drops_loops_and_repeats_and_is_symmetric(pairs):
    """Every tie u-v appears as v in u's row and u in v's row, once; self-ties are dropped."""
    u = np.array([a for a, _ in pairs], dtype=np.int64)
    v = np.array([b for _, b in pairs], dtype=np.int64)
    g = CSR.symmetric(u, v, 12)
    ties = {frozenset(p) for p in pairs if p[0] != p[1]}
    for i in range(12):
        assert g.row(i).tolist() == sorted(j for t in ties if i in t for j in t if j != i)
    assert g.nnz == 2 * len(ties)
    assert np.array_equal(g.degrees(), np.bincount(g.row_ids(), minlength=12))


def test_csr_equals_compares_entries_and_shape():
    """Two CSRs are equal when they have the same shape and the same entries."""
    a = CSR.from_pairs(np.array([0, 1]), np.array([2, 0]), 2, 3)
    assert a.equals(CSR.from_pairs(np.array([1, 0, 0]), np.array([0, 2, 2]), 2, 3))
    assert not a.equals(CSR.from_pairs(np.array([0, 1]), np.array([2, 0]), 2, 4))
    assert not a.equals(CSR.from_pairs(np.array([0, 1]), np.array([1, 0]), 2, 3))
