"""The Independent Cascade kernel: limits, symmetry of seeds, and its plain-loop twin."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.csr import CSR
from sim.diffusion import _cascade_reference, independent_cascade


def _csr(G: nx.Graph) -> CSR:
    u, v = zip(*G.edges()) if G.number_of_edges() else ((), ())
    return CSR.symmetric(np.array(u, dtype=np.int64), np.array(v, dtype=np.int64), len(G))


@pytest.mark.parametrize("G", [nx.path_graph(10), nx.star_graph(9), nx.cycle_graph(7)])
def test_p_zero_activates_only_the_seeds(G, rng):
    """With p = 0 nobody beyond the seeds is reached."""
    assert independent_cascade(_csr(G), [0, 3], 0.0, rng).tolist() == [0, 3]


@pytest.mark.parametrize("G", [nx.path_graph(10), nx.star_graph(9),
                               nx.disjoint_union(nx.path_graph(4), nx.path_graph(3))])
def test_p_one_activates_the_seeds_component(G, rng):
    """With p = 1 the cascade is the seed's connected component."""
    expected = sorted(nx.node_connected_component(G, 0))
    assert independent_cascade(_csr(G), [0], 1.0, rng).tolist() == expected


def test_networkx_input_returns_node_labels(rng):
    """A networkx graph is compiled at the edge and the answer comes back as its labels."""
    G = nx.relabel_nodes(nx.path_graph(4), dict(enumerate("abcd")))
    assert independent_cascade(G, ["b"], 1.0, rng).tolist() == ["a", "b", "c", "d"]


def test_same_stream_same_cascade():
    """The same seed of the random stream gives the same cascade."""
    g = _csr(nx.gnp_random_graph(300, 0.02, seed=1))
    runs = [independent_cascade(g, [0], 0.3, np.random.default_rng(7)) for _ in range(2)]
    assert np.array_equal(*runs)


def test_star_centre_reaches_each_leaf_with_probability_p():
    """From a star's centre, each leaf is reached independently with probability p."""
    g, p, runs = _csr(nx.star_graph(200)), 0.25, 200
    rng = np.random.default_rng(5)
    sizes = [len(independent_cascade(g, [0], p, rng)) - 1 for _ in range(runs)]
    # 40,000 Bernoulli(0.25) draws: mean 50 per run, standard error 6.1/sqrt(200) = 0.43.
    assert abs(np.mean(sizes) - 200 * p) < 4 * np.sqrt(200 * p * (1 - p) / runs)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), m=st.integers(0, 150), p=st.floats(0, 1), seed=st.integers(0, 99),
       per_user=st.booleans())
def test_vectorized_kernel_equals_its_plain_loop_twin(n, m, p, seed, per_user):
    """The vectorized kernel and the plain loop activate the same users from the same stream."""
    rng = np.random.default_rng(seed)
    g = CSR.symmetric(rng.integers(0, n, m), rng.integers(0, n, m), n)
    chance = rng.random(n) * p if per_user else p
    fast = independent_cascade(g, [0], chance, np.random.default_rng(seed))
    slow = _cascade_reference(g, [0], chance, np.random.default_rng(seed))
    assert np.array_equal(fast, slow)
