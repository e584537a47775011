"""The cascade kernel against bond percolation (Newman 2002) and against NDlib and EoN.

Fast versions of ``validation/percolation.py`` and ``validation/peers.py`` on graphs of
20,000 users (percolation) and 1,000 users (peers), with fixed seeds. The peer tests skip
when the validation extras (NDlib, EoN) are not installed; the theory tests never skip.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import poisson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from validation.bond_percolation import chi_square_against, cluster_law
from validation.configuration import (
    configuration_graph,
    poisson_degrees,
    power_law_degrees,
    removed_ties,
    to_networkx,
)
from validation.outbreaks import cascade_sizes, summarize
from validation.theory import (
    critical_transmissibility,
    degree_distribution,
    giant_outbreak_size,
    mean_outbreak_size,
)

N_USERS = 20_000
CUT = 0.01  # large outbreak: more than 1% of the users


def _graph(kind: str, n: int, seed: int):
    rng = np.random.default_rng(seed)
    if kind == "poisson":
        degrees = poisson_degrees(n, 4.0, rng)
    else:
        degrees = power_law_degrees(n, 2.5, 50.0, rng)
    graph = configuration_graph(degrees, rng)
    pk = degree_distribution(graph.degrees())
    return degrees, graph, pk, critical_transmissibility(pk)


@pytest.fixture(scope="module")
def graphs():
    return {kind: _graph(kind, N_USERS, seed)
            for kind, seed in (("poisson", 1), ("power_law", 2))}


@pytest.mark.parametrize("t", [0.3, 0.5, 0.8])
def test_poisson_giant_outbreak_solves_the_closed_form(t):
    """For Poisson degrees (mean z), S = 1 - exp(-z T S) and T_c = 1 / z."""
    pk = poisson.pmf(np.arange(80), 4.0)
    s, _ = giant_outbreak_size(pk, t)
    assert s > 0
    assert abs(s - (1 - np.exp(-4.0 * t * s))) < 1e-10
    assert critical_transmissibility(pk) == pytest.approx(0.25, abs=1e-12)


def test_poisson_mean_outbreak_size_below_threshold():
    """Below T_c the mean outbreak size is 1 + z T / (1 - z T) for Poisson degrees."""
    pk = poisson.pmf(np.arange(80), 4.0)
    for t in (0.01, 0.05, 0.2):
        assert mean_outbreak_size(pk, t) == pytest.approx(1 + 4 * t / (1 - 4 * t), rel=1e-9)


def test_no_giant_outbreak_at_or_below_threshold(graphs):
    """S is 0 up to T_c and grows continuously from 0 just above it."""
    for _, _, pk, t_c in graphs.values():
        assert giant_outbreak_size(pk, 0.99 * t_c)[0] == 0.0
        assert giant_outbreak_size(pk, t_c)[0] == 0.0
        assert 0 < giant_outbreak_size(pk, 1.01 * t_c)[0] < 0.05


def test_configuration_graph_loses_only_loops_and_repeats(graphs):
    """Stub matching keeps every drawn tie except self-loops and repeats, a handful here."""
    for degrees, graph, _, _ in graphs.values():
        assert graph.nnz == 2 * (int(degrees.sum() + 1) // 2 - removed_ties(degrees, graph))
        assert 0 <= removed_ties(degrees, graph) < 20
        assert np.all(graph.degrees() <= degrees + 1)
        assert np.all(graph.row_ids() != graph.indices)


@pytest.mark.parametrize("kind, multiple, n_runs", [
    ("poisson", 2.0, 150),
    ("power_law", 3.0, 400),
    ("power_law", 1 / 0.2, 300),  # T capped at 1: the whole graph's giant component
])
def test_large_outbreaks_match_the_giant_outbreak(graphs, kind, multiple, n_runs):
    """Above T_c the mean large-outbreak size is S within 2 percentage points, and the share
    of runs that are large outbreaks is S within 3 standard errors."""
    _, graph, pk, t_c = graphs[kind]
    t = min(1.0, multiple * t_c)
    s, _ = giant_outbreak_size(pk, t)
    result = summarize(cascade_sizes(graph, t, n_runs, np.random.default_rng(3)), N_USERS, CUT)
    assert abs(result.large_mean - s) <= 0.02
    assert abs(result.p_large - s) <= 3 * np.sqrt(s * (1 - s) / n_runs)


@pytest.mark.parametrize("kind", ["poisson", "power_law"])
def test_no_large_outbreaks_below_threshold(graphs, kind):
    """Below T_c (0.8 T_c) at most 1% of the cascades reach 1% of the users (on 20,000
    users, a rare cluster near the threshold can still pass 200)."""
    _, graph, _, t_c = graphs[kind]
    sizes = cascade_sizes(graph, 0.8 * t_c, 2000, np.random.default_rng(4))
    assert summarize(sizes, N_USERS, CUT).p_large <= 0.01


@pytest.mark.parametrize("kind", ["poisson", "power_law"])
@pytest.mark.parametrize("t", [0.01, 0.05, "half"])
def test_mean_outbreak_size_matches_the_theory_far_below_threshold(graphs, kind, t):
    """At p = 0.01, 0.05 and T_c / 2 the mean outbreak size is 1 + T<k> / (1 - T G1'(1))
    within 3 standard errors (2,000 runs)."""
    _, graph, pk, t_c = graphs[kind]
    t = t_c / 2 if t == "half" else t
    sizes = cascade_sizes(graph, t, 2000, np.random.default_rng(5))
    se = np.std(sizes, ddof=1) / np.sqrt(len(sizes))
    assert abs(sizes.mean() - mean_outbreak_size(pk, t)) <= 3 * se


@pytest.mark.parametrize("kind", ["poisson", "power_law"])
@pytest.mark.parametrize("multiple", [0.9, 1.0, 1.5])
def test_final_sizes_follow_the_exact_percolation_of_the_graph(graphs, kind, multiple):
    """Near and across T_c, where the n -> infinity formulas lose accuracy, the final sizes
    follow the cluster law of the same graph under bond percolation (connected components
    of 30 percolated copies, no kernel): a chi-square test does not reject at 1%."""
    _, graph, _, t_c = graphs[kind]
    t = multiple * t_c
    law = cluster_law(graph, t, 30, CUT, np.random.default_rng(6))
    sizes = cascade_sizes(graph, t, 600, np.random.default_rng(7))
    pvalue, n_bins = chi_square_against(sizes, law)
    assert n_bins >= 4
    assert pvalue >= 0.01


def test_cluster_law_is_exact_on_a_path_at_p_one():
    """At p = 1 on a path every user's cluster is the whole path."""
    from sim.kernel.csr import CSR

    graph = CSR.symmetric(np.arange(9), np.arange(1, 10), 10)
    law = cluster_law(graph, 1.0, 3, 0.5, np.random.default_rng(0))
    assert law.mean_size == 10 and law.p_large == 1.0 and law.large_mean == 1.0


@pytest.fixture(scope="module")
def peer_graph():
    pytest.importorskip("ndlib")
    pytest.importorskip("EoN")
    _, graph, _, t_c = _graph("poisson", 1000, 8)
    return to_networkx(graph), t_c


def test_ndlib_uses_the_tie_probability_on_every_edge():
    """NDlib's IC model with threshold p = 1 on every edge reaches a whole path (its
    fallback for edges without a threshold, 1 / degree, would not)."""
    pytest.importorskip("ndlib")
    import networkx as nx

    from validation.peer_models import ndlib_sizes

    assert ndlib_sizes(nx.path_graph(30), 1.0, 5, seed=0).tolist() == [30] * 5


@pytest.mark.parametrize("multiple", [0.8, 2.0])
def test_final_sizes_agree_with_ndlib_and_eon(peer_graph, multiple):
    """Final sizes of 200 single-seed runs per tool on the same graph and p: two-sample
    Kolmogorov-Smirnov and Anderson-Darling tests against the kernel do not reject at 1%."""
    from validation.peer_models import compare_sizes, eon_sizes, kernel_sizes, ndlib_sizes

    G, t_c = peer_graph
    p, n_runs = multiple * t_c, 200
    samples = {"riskmodel": kernel_sizes(G, p, n_runs, np.random.default_rng(9)),
               "NDlib": ndlib_sizes(G, p, n_runs, seed=10),
               "EoN": eon_sizes(G, p, n_runs, np.random.default_rng(11))}
    result = compare_sizes(samples, np.random.default_rng(12), n_resamples=499)
    assert min(*result["ks_p"].values(), *result["ad_p"].values()) >= 0.01
