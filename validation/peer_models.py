"""Final sizes of single-seed cascades from the kernel and from two peer simulators.

All three take the same networkx graph and the same tie probability ``p``, start from one
uniformly random seed, and count every user ever activated, the seed included:

- riskmodel: ``len(sim.kernel.diffusion.independent_cascade(G, [seed], p, rng))``;
- NDlib's ``IndependentCascadesModel``: "Infected" plus "Removed" once nobody is infected,
  with the edge parameter ``threshold`` set to ``p`` on every edge (NDlib's default is 0.1,
  and an edge without a threshold falls back to ``1 / degree``);
- EoN's ``basic_discrete_SIR(G, p, ...)``: recovered users at the end.

NDlib and EoN are validation extras (``pip install -e '.[validation]'``), imported only
inside the functions that run them; ``sim`` never imports them.
"""

from __future__ import annotations

import warnings
from typing import Any

import networkx as nx
import numpy as np

from sim.world.graph import from_networkx
from validation.outbreaks import seeded_sizes

__all__ = ["compare_sizes", "eon_sizes", "kernel_sizes", "ndlib_model", "ndlib_run",
           "ndlib_sizes"]


def kernel_sizes(G: nx.Graph, p: float, n_runs: int, rng: np.random.Generator) -> np.ndarray:
    """Final sizes of ``n_runs`` cascades of the riskmodel kernel on ``G``.

    Parameters
    ----------
    G : networkx.Graph
        The graph, compiled to CSR once (as the kernel would on every call).
    p : float
        Tie probability.
    n_runs : int
        Number of cascades.
    rng : numpy.random.Generator
        Random stream for the seeds and the cascades.

    Returns
    -------
    ndarray of int64
        Users ever activated per cascade, the seed included.
    """
    csr, _, labels = from_networkx(G)
    position = {label: i for i, label in enumerate(labels)}
    nodes = list(G)
    seeds = [position[nodes[s]] for s in rng.integers(len(nodes), size=n_runs)]
    return seeded_sizes(csr, np.array(seeds, dtype=np.int64), p, rng)


def ndlib_sizes(G: nx.Graph, p: float, n_runs: int, seed: int) -> np.ndarray:
    """Final sizes of ``n_runs`` cascades of NDlib's ``IndependentCascadesModel`` on ``G``.

    NDlib draws from numpy's global generator, which its model seeds with ``seed``; the
    random seed users are drawn from a generator of their own.

    Returns
    -------
    ndarray of int64
        "Infected" plus "Removed" users once no user is infected, per cascade.
    """
    nodes = list(G)
    starts = np.random.default_rng(seed).integers(len(nodes), size=n_runs)
    model = ndlib_model(G, p, seed, nodes[starts[0]])
    return np.array([ndlib_run(model, nodes[s]) for s in starts], dtype=np.int64)


def ndlib_model(G: nx.Graph, p: float, seed: int, start: Any) -> Any:
    """NDlib's ``IndependentCascadesModel`` with threshold ``p`` on every edge (it ignores
    per-edge thresholds unless every edge has one) and ``start`` infected."""
    import ndlib.models.ModelConfig as mc
    from ndlib.models.epidemics import IndependentCascadesModel

    model = IndependentCascadesModel(G, seed=seed)
    config = mc.Configuration()
    for edge in G.edges():
        config.add_edge_configuration("threshold", edge, p)
    config.add_model_initial_configuration("Infected", [start])
    model.set_initial_status(config)
    if len(model.params["edges"].get("threshold", {})) != G.number_of_edges():
        raise RuntimeError("NDlib ignored the per-edge thresholds: every edge needs one")
    return model


def ndlib_run(model: Any, start: Any) -> int:
    """Reset ``model`` to one infected user and iterate until nobody is infected."""
    model.reset(infected_nodes=[start])
    counts = model.iteration(node_status=False)["node_count"]
    while counts[1] > 0:
        counts = model.iteration(node_status=False)["node_count"]
    return int(counts[1] + counts[2])


def eon_sizes(G: nx.Graph, p: float, n_runs: int, rng: np.random.Generator) -> np.ndarray:
    """Final sizes of ``n_runs`` runs of EoN's ``basic_discrete_SIR`` on ``G``.

    Returns
    -------
    ndarray of int64
        Recovered users at the end (everyone ever infected, the seed included), per run.
    """
    import EoN

    nodes = list(G)
    seeds = rng.integers(len(nodes), size=n_runs)
    return np.array([EoN.basic_discrete_SIR(G, p, initial_infecteds=[nodes[s]], rng=rng)[3][-1]
                     for s in seeds], dtype=np.int64)


def compare_sizes(samples: dict[str, np.ndarray], rng: np.random.Generator,
                  reference: str = "riskmodel", n_resamples: int = 999) -> dict[str, Any]:
    """Two-sample tests of each tool's final sizes against the ``reference`` tool's.

    Parameters
    ----------
    samples : dict of str to ndarray
        Final sizes per tool.
    rng : numpy.random.Generator
        Random stream for the permutations.
    reference : str
        The tool every other one is compared with.
    n_resamples : int
        Permutations behind each Anderson-Darling p-value.

    Returns
    -------
    dict
        Per other tool: ``ks_p`` and ``ks_stat``, the two-sample Kolmogorov-Smirnov test
        against the reference (its p-value is conservative for sizes with ties), and
        ``ad_p``, the Anderson-Darling k-sample test of the two (midrank version, valid
        with ties) with a permutation p-value; ``mean`` and ``se`` per tool.
    """
    from scipy.stats import PermutationMethod, ks_2samp

    base = np.asarray(samples[reference], dtype=float)
    others = {t: np.asarray(x, dtype=float) for t, x in samples.items() if t != reference}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ks_2samp's "exact calculation unsuccessful"
        ks = {t: ks_2samp(base, x) for t, x in others.items()}
    method = PermutationMethod(n_resamples=n_resamples, rng=rng)
    ad = {t: _ad_pvalue(base, x, method) for t, x in others.items()}
    return {
        "ks_p": {t: float(r.pvalue) for t, r in ks.items()},
        "ks_stat": {t: float(r.statistic) for t, r in ks.items()},
        "ad_p": ad,
        "mean": {t: float(np.mean(x)) for t, x in samples.items()},
        "se": {t: float(np.std(x, ddof=1) / np.sqrt(len(x))) for t, x in samples.items()},
    }


def _ad_pvalue(a: np.ndarray, b: np.ndarray, method: Any) -> float:
    """Permutation p-value of the two-sample Anderson-Darling test (1 when every size is
    the same: nothing tells the samples apart)."""
    import inspect

    from scipy.stats import anderson_ksamp

    if np.unique(np.concatenate([a, b])).size < 2:
        return 1.0
    # SciPy >= 1.17 names the midrank version through `variant`; older ones use it by default
    midrank = ({"variant": "midrank"}
               if "variant" in inspect.signature(anderson_ksamp).parameters else {})
    return float(anderson_ksamp([a, b], method=method, **midrank).pvalue)
