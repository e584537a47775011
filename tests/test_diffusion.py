"""The Independent Cascade kernel: limits, symmetry of seeds, and its plain-loop twin."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.kernel.csr import CSR
from sim.kernel.diffusion import _cascade_reference, independent_cascade


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


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), m=st.integers(0, 100), seed=st.integers(0, 99),
       p=st.sampled_from([0.0, 1.0]))
def test_kernel_equals_the_plain_loop_at_p_zero_and_one(n, m, seed, p):
    """At p = 0 and p = 1 the cascade is deterministic: both kernels give the same set."""
    rng = np.random.default_rng(seed)
    g = CSR.symmetric(rng.integers(0, n, m), rng.integers(0, n, m), n)
    fast = independent_cascade(g, [0], p, np.random.default_rng(seed))
    slow = _cascade_reference(g, [0], p, np.random.default_rng(seed + 1))
    assert np.array_equal(fast, slow)


@pytest.mark.parametrize("graph, p, per_user", [
    (nx.gnp_random_graph(60, 0.06, seed=1), 0.3, False),
    (nx.barabasi_albert_graph(80, 2, seed=2), 0.2, False),
    (nx.watts_strogatz_graph(50, 4, 0.1, seed=3), 0.4, True),
])
def test_kernel_agrees_with_the_plain_loop_in_distribution(graph, p, per_user):
    """Final sizes of 1,500 cascades each: a two-sample Kolmogorov-Smirnov test does not
    reject at the 1% level, and the who-is-reached frequencies agree node by node."""
    from scipy.stats import ks_2samp

    g, runs = _csr(graph), 1500
    chance = np.random.default_rng(0).random(g.n_rows) * 2 * p if per_user else p
    fast_rng, slow_rng = np.random.default_rng(10), np.random.default_rng(20)
    fast = [independent_cascade(g, [0], chance, fast_rng) for _ in range(runs)]
    slow = [_cascade_reference(g, [0], chance, slow_rng) for _ in range(runs)]
    assert ks_2samp([len(c) for c in fast], [len(c) for c in slow]).pvalue > 0.01
    freq = [np.bincount(np.concatenate(c), minlength=g.n_rows) / runs for c in (fast, slow)]
    # each node's reach frequency: binomial standard error at most 0.5/sqrt(1500) = 0.013
    assert np.abs(freq[0] - freq[1]).max() < 6 * 0.5 / np.sqrt(runs)


def test_batched_cascades_have_the_single_cascade_law():
    """1,000 cascades run together have the final-size distribution of cascades run one by
    one, and cascades of a batch do not interact."""
    from scipy.stats import ks_2samp

    from sim.kernel.diffusion import cascade_sizes

    g = _csr(nx.barabasi_albert_graph(400, 2, seed=5))
    seeds = np.random.default_rng(1).integers(0, 400, 1000)
    batched = cascade_sizes(g, seeds, 0.25, np.random.default_rng(2))
    rng = np.random.default_rng(3)
    single = [len(independent_cascade(g, [s], 0.25, rng)) for s in seeds]
    assert ks_2samp(batched, single).pvalue > 0.01
    assert cascade_sizes(g, [0, 0], 1.0, np.random.default_rng(0)).tolist() == [400, 400]
