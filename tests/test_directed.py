"""Direction: in a DiGraph an edge u -> v lets u activate v, never v activate u."""

import networkx as nx
import numpy as np
import pytest

from sim.kernel.csr import CSR
from sim.kernel.diffusion import cascade_sizes, independent_cascade

RUNS = 40_000


def _mean_size(graph, seed_node, p, runs=RUNS, seed=1):
    rng = np.random.default_rng(seed)
    return np.mean([len(independent_cascade(graph, [seed_node], p, rng)) for _ in range(runs)])


def test_directed_diamond_gives_kempe_value():
    # s reaches a and b with 1/2 each, t is reached through either: 1 + 1/2 + 1/2 + P(t)
    # with P(t) = 1 - (1 - 1/4)^2 = 7/16, so 2.4375 (Kempe, Kleinberg and Tardos 2003)
    g = nx.DiGraph([("s", "a"), ("s", "b"), ("a", "t"), ("b", "t")])
    csr, labels = CSR.from_networkx(g)
    sizes = cascade_sizes(csr, np.full(RUNS, labels.index("s")), 0.5,
                          np.random.default_rng(3))
    assert abs(sizes.mean() - 2.4375) < 0.03
    assert _mean_size(g, "t", 0.5, runs=200) == 1.0


def test_follower_of_a_celebrity_reaches_only_itself():
    star = nx.DiGraph([("celebrity", f"f{i}") for i in range(50)])
    rng = np.random.default_rng(0)
    assert independent_cascade(star, ["f7"], 1.0, rng).tolist() == ["f7"]
    assert len(independent_cascade(star, ["celebrity"], 1.0, rng)) == 51


def test_undirected_graph_goes_both_ways():
    g = nx.Graph([("s", "a"), ("s", "b"), ("a", "t"), ("b", "t")])
    rng = np.random.default_rng(0)
    assert sorted(independent_cascade(g, ["t"], 1.0, rng)) == ["a", "b", "s", "t"]


@pytest.mark.parametrize("directed", [True, False])
def test_csr_keeps_direction_and_mirrors(directed):
    g = (nx.DiGraph if directed else nx.Graph)([(0, 1), (1, 2)])
    csr, _ = CSR.from_networkx(g)
    assert csr.is_symmetric() is (not directed)
    assert csr.row(2).tolist() == ([] if directed else [1])
    assert csr.transpose().transpose().equals(csr)


def test_directed_percolation_matches_generating_functions():
    """On a directed configuration model with heavy-tailed followers and Poisson followees,
    the share of seeds with a large outbreak and its size match Newman, Strogatz and Watts
    (2001) within four standard errors plus half a point (the full check, 1 point:
    validation/directed_percolation.py)."""
    from validation.configuration import poisson_degrees, power_law_degrees
    from validation.directed_percolation import directed_configuration, measure, theory

    rng = np.random.default_rng(11)
    heavy = power_law_degrees(20_000, 2.5, 50.0, rng, k_min=2)
    graph = directed_configuration(poisson_degrees(20_000, float(heavy.mean()), rng), heavy, rng)
    t = 1.5 * graph.n_rows / graph.nnz
    p_theory, s_theory = theory(graph, t)
    p, p_se, s, s_se = measure(graph, t, 1_500, rng)
    assert p_theory < s_theory - 0.05  # heavy-tailed followers: outbreaks rarer than large
    assert abs(p - p_theory) < 4 * p_se + 0.005
    assert abs(s - s_theory) < 4 * s_se + 0.005
