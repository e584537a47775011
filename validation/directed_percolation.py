"""Directed percolation check: cascades on directed graphs against generating-function theory.

On a directed configuration model whose in- and out-degrees are independent, a cascade with
tie probability ``T`` from a random seed travels along out-edges only (from the account
followed to its followers). Newman, Strogatz and Watts (2001, section on directed graphs)
and Meyers, Newman and Pourbohloul (2006) give, with ``G_in`` and ``G_out`` the generating
functions of the in- and out-degrees and ``f(x) = 1 - T + T x``:

- the share of seeds that start a large outbreak (the giant in-component) is ``1 - v``,
  ``v = G_out(f(v))``;
- a large outbreak reaches the share ``1 - u`` of the users (the giant out-component),
  ``u = G_in(f(u))``;
- both vanish below ``T_c = 1 / <k>``.

(With independent degrees the degree of a user reached along an edge is not biased in the
other direction, hence ``G_in``, ``G_out`` rather than their derivatives.) The two differ
when one degree is heavy-tailed: a heavy-tailed follower count makes large outbreaks rare
but no smaller, a heavy-tailed followee count the reverse.

Run ``python validation/directed_percolation.py`` (``--quick`` for a short run); prints the
table of docs/VALIDATION.md and writes validation/results/directed_percolation.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from scipy.optimize import brentq

from sim.kernel.csr import CSR
from sim.kernel.diffusion import cascade_sizes
from validation.configuration import poisson_degrees, power_law_degrees
from validation.tables import environment, format_table, write_json

RESULTS = Path(__file__).resolve().parent / "results"
CUT = 0.01  # a large outbreak reaches more than 1% of the users
TOLERANCE = 0.01  # both shares within 1 percentage point of theory
BATCH = 500  # cascades run together


def directed_configuration(k_in: np.ndarray, k_out: np.ndarray, rng: np.random.Generator
                           ) -> CSR:
    """Stub matching: each out-stub joined to a random in-stub (the longer list is cut to
    the shorter); self-loops and repeated edges dropped. Row ``u`` holds whom ``u`` reaches."""
    src = rng.permutation(np.repeat(np.arange(len(k_out)), k_out))
    dst = rng.permutation(np.repeat(np.arange(len(k_in)), k_in))
    m = min(len(src), len(dst))
    return CSR.directed(src[:m], dst[:m], len(k_in))


def generating(degrees: np.ndarray, x: float, t: float) -> float:
    """``G(1 - t + t x)`` of the empirical distribution of ``degrees``."""
    pk = np.bincount(degrees) / len(degrees)
    return float(np.sum(pk * (1 - t + t * x) ** np.arange(len(pk))))


def escape(degrees: np.ndarray, t: float) -> float:
    """Smallest root ``w`` in [0, 1] of ``w = G(1 - t + t w)`` (1 at or below threshold)."""
    def f(w: float) -> float:
        return generating(degrees, w, t) - w

    grid = 1 - np.geomspace(1.0, 1e-9, 300)
    values = np.array([f(w) for w in grid])
    negative = np.flatnonzero(values < 0)
    if f(0.0) <= 0:
        return 0.0
    if not len(negative):
        return 1.0
    j = negative[0]
    return float(brentq(f, grid[j - 1], grid[j], xtol=1e-13))


def theory(graph: CSR, t: float) -> tuple[float, float]:
    """Share of seeds with a large outbreak and its size, from the realized degrees."""
    k_out = graph.degrees()
    k_in = np.bincount(graph.indices, minlength=graph.n_rows)
    return 1.0 - escape(k_out, t), 1.0 - escape(k_in, t)


def measure(graph: CSR, t: float, runs: int, rng: np.random.Generator
            ) -> tuple[float, float, float, float]:
    """Share of large outbreaks and their mean size (share of users), with standard errors."""
    sizes = np.concatenate([
        cascade_sizes(graph, rng.integers(graph.n_rows, size=min(BATCH, runs - i)), t, rng)
        for i in range(0, runs, BATCH)])
    large = sizes[sizes > CUT * graph.n_rows] / graph.n_rows
    p = len(large) / runs
    return (p, float(np.sqrt(p * (1 - p) / runs)), float(large.mean()) if len(large) else 0.0,
            float(large.std(ddof=1) / np.sqrt(len(large))) if len(large) > 1 else 0.0)


def check(n: int, runs: int, seed: int) -> list[dict]:
    """Both graph families at three tie probabilities above threshold."""
    rng = np.random.default_rng(seed)
    heavy = power_law_degrees(n, 2.5, 50.0, rng, k_min=2)
    light = poisson_degrees(n, float(heavy.mean()), rng)
    rows = []
    for name, k_in, k_out in (("heavy-tailed followers", light, heavy),
                              ("heavy-tailed followees", heavy, light)):
        graph = directed_configuration(k_in, k_out, rng)
        z = graph.nnz / graph.n_rows
        for factor in (1.2, 1.5, 2.0):
            t = min(1.0, factor / z)
            p_theory, s_theory = theory(graph, t)
            p, p_se, s, s_se = measure(graph, t, runs, rng)
            rows.append(dict(graph=name, mean_degree=z, T=t, p_large=p, p_large_se=p_se,
                             p_large_theory=p_theory, size=s, size_se=s_se, size_theory=s_theory,
                             passed=bool(abs(p - p_theory) <= TOLERANCE
                                         and abs(s - s_theory) <= TOLERANCE)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 users, 2,000 runs")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n, runs = (20_000, 2_000) if args.quick else (50_000, 20_000)
    started = time.perf_counter()
    rows = check(n, runs, args.seed)
    print(format_table(
        ["graph", "<k>", "T", "P(large)", "theory", "size", "theory", "pass"],
        [[r["graph"], f"{r['mean_degree']:.2f}", f"{r['T']:.3f}",
          f"{r['p_large']:.4f} +- {r['p_large_se']:.4f}", f"{r['p_large_theory']:.4f}",
          f"{r['size']:.4f} +- {r['size_se']:.4f}", f"{r['size_theory']:.4f}",
          "yes" if r["passed"] else "no"] for r in rows]))
    name = "directed_percolation_quick.json" if args.quick else "directed_percolation.json"
    write_json(RESULTS / name, {
        "users": n, "runs": runs, "seed": args.seed, "rows": rows,
        "seconds": time.perf_counter() - started,
        "environment": environment(["numpy", "scipy", "numba", "riskmodel"])})


if __name__ == "__main__":
    main()
