"""Percolation check: the cascade kernel against Newman's (2002) bond-percolation theory.

On configuration-model graphs (Poisson degrees of mean 4, and a power law ``k^-2.5`` with an
exponential cutoff at ``kappa = 50``), many single-seed cascades run at each tie probability
``T`` on both sides of the threshold ``T_c``. Runs above 1% of the users are large outbreaks.
Above the threshold their mean size and their share of runs should both equal the giant
outbreak ``S = 1 - G0(u; T)``; below it there should be none, and the mean outbreak size
should match ``1 + T <k> / (1 - T G1'(1))``. The theory uses the realized degrees.

Run ``python validation/percolation.py`` (``--quick`` for a short run). Writes
``validation/results/percolation.json`` and ``percolation.png`` (``percolation_quick.*``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from sim.kernel.csr import CSR
from validation.bond_percolation import chi_square_against, cluster_law
from validation.configuration import (
    configuration_graph,
    poisson_degrees,
    power_law_degrees,
    removed_ties,
)
from validation.outbreaks import cascade_sizes, summarize
from validation.tables import environment, format_table, write_json
from validation.theory import (
    critical_transmissibility,
    degree_distribution,
    giant_outbreak_size,
    mean_outbreak_size,
)

RESULTS = Path(__file__).resolve().parent / "results"
CUT = 0.01  # a large outbreak reaches more than 1% of the users
SIZE_TOLERANCE = 0.02  # mean large-outbreak size within 2 percentage points of S
JUDGED_S = 3 * CUT  # above T_c, judge only where S is well above the cut (S >= 3%)
BELOW_P_LARGE = 0.01  # below T_c, at most 1% of runs may be large
Z_LIMIT = 3.0  # share of large outbreaks and mean outbreak size: within 3 standard errors
ALPHA = 0.01  # kernel vs exact percolation of the same graph: chi-square p-value at least this


@dataclass(frozen=True)
class GraphSpec:
    """One graph family and the runs on it."""

    name: str
    label: str
    degrees: Callable[[int, np.random.Generator], np.ndarray]
    multipliers: tuple[float, ...]  # T as multiples of the realized T_c
    extra_t: tuple[float, ...]  # absolute T values as well
    runs_below: int  # runs per T at or below T_c (cheap)
    runs_above: int  # runs per T above T_c
    n_copies: int  # percolated copies of the graph behind the finite-graph reference


def graph_specs(quick: bool) -> list[GraphSpec]:
    """The two graph families, with a shorter grid and fewer runs for ``quick``."""
    grid = (0.5, 0.9, 1.0, 1.5, 2.0, 3.0) if quick else (0.5, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5,
                                                        2.0, 3.0)
    scale = 4 if quick else 1
    return [
        GraphSpec("poisson", "Poisson, mean degree 4",
                  lambda n, rng: poisson_degrees(n, 4.0, rng),
                  grid, (0.01, 0.05), 4000 // scale, 400 // scale, 100),
        GraphSpec("power_law", "power law k^-2.5, cutoff kappa = 50, k >= 1",
                  lambda n, rng: power_law_degrees(n, 2.5, 50.0, rng),
                  grid, (0.01, 0.05, 1.0), 4000 // scale, 1600 // scale, 100),
    ]


def _against_theory(pk: np.ndarray, t: float, t_c: float, summary: dict[str, Any]
                    ) -> dict[str, Any]:
    """Newman's S and <s> at ``t`` and the theory verdict of one point."""
    theory_s, u = giant_outbreak_size(pk, t)
    theory_mean = mean_outbreak_size(pk, t) if t < t_c * 0.999 else float("inf")
    return {"theory_S": theory_s, "theory_u": u,
            "theory_mean_size": None if np.isinf(theory_mean) else theory_mean,
            **judge(t, t_c, theory_s, theory_mean, summary)}


def _against_graph(graph: CSR, t: float, sizes: np.ndarray, n_copies: int,
                   rng: np.random.Generator) -> dict[str, Any]:
    """The exact law of the same finite graph (bond percolation, no kernel), and the
    chi-square test of the kernel's final sizes against it."""
    law = cluster_law(graph, t, n_copies, CUT, rng)
    pvalue, n_bins = chi_square_against(sizes, law)
    return {"graph_mean_size": law.mean_size, "graph_p_large": law.p_large,
            "graph_large_mean": None if np.isnan(law.large_mean) else law.large_mean,
            "graph_copies": law.n_copies, "chi2_p": pvalue, "chi2_bins": n_bins,
            "kernel_verdict": "pass" if pvalue >= ALPHA else "FAIL"}


def judge(t: float, t_c: float, theory_s: float, theory_mean: float,
          summary: dict[str, Any]) -> dict[str, Any]:
    """Regime and theory verdict of one ``(graph, T)`` point; see the module constants."""
    out: dict[str, Any] = {"z_mean": None, "z_prob": None, "size_pass": None,
                           "prob_pass": None, "below_pass": None}
    if t < t_c * 0.999:
        z_mean = (summary["all_mean"] - theory_mean) / summary["all_se"] if summary[
            "all_se"] else 0.0
        ok = summary["p_large"] <= BELOW_P_LARGE and abs(z_mean) <= Z_LIMIT
        return {**out, "regime": "below", "z_mean": z_mean, "below_pass": bool(ok),
                "verdict": "pass" if ok else "FAIL"}
    if theory_s < JUDGED_S:
        return {**out, "regime": "critical" if t <= t_c * 1.001 else "near", "verdict": "n/a"}
    z_prob = (summary["p_large"] - theory_s) / np.sqrt(theory_s * (1 - theory_s)
                                                       / summary["n_runs"])
    size_pass = (summary["large_mean"] is not None
                 and abs(summary["large_mean"] - theory_s) <= SIZE_TOLERANCE)
    prob_pass = abs(z_prob) <= Z_LIMIT
    return {**out, "regime": "above", "z_prob": float(z_prob), "size_pass": bool(size_pass),
            "prob_pass": bool(prob_pass),
            "verdict": "pass" if size_pass and prob_pass else "FAIL"}


def measure_graph(spec: GraphSpec, n: int, seed: np.random.SeedSequence) -> dict[str, Any]:
    """Build one graph, run the cascades at every ``T`` and compare them with the theory."""
    build_seq, *run_seqs = seed.spawn(1 + len(spec.multipliers) + len(spec.extra_t))
    build_rng = np.random.default_rng(build_seq)
    drawn = spec.degrees(n, build_rng)
    graph = configuration_graph(drawn, build_rng)
    realized = graph.degrees()
    pk = degree_distribution(realized)
    t_c = critical_transmissibility(pk)
    ts = sorted({*(min(1.0, m * t_c) for m in spec.multipliers), *spec.extra_t})
    points = []
    for t, run_seq in zip(ts, run_seqs):
        start = time.perf_counter()
        kernel_rng, law_rng = np.random.default_rng(run_seq).spawn(2)
        n_runs = spec.runs_below if t <= t_c * 1.001 else spec.runs_above
        sizes = cascade_sizes(graph, t, n_runs, kernel_rng)
        summary = summarize(sizes, n, CUT).to_dict()
        points.append({"T": t, "T_over_Tc": t / t_c, **summary,
                       **_against_theory(pk, t, t_c, summary),
                       **_against_graph(graph, t, sizes, spec.n_copies, law_rng),
                       "seconds": time.perf_counter() - start})
    return {"name": spec.name, "label": spec.label, "n": n, "drawn_ties": int(drawn.sum()) // 2,
            "removed_ties": removed_ties(drawn, graph), "ties": graph.nnz // 2,
            "mean_degree": float(realized.mean()), "mean_sq_degree": float(
                (realized.astype(float) ** 2).mean()),
            "max_degree": int(realized.max()), "T_c": t_c,
            "theory_curve": _theory_curve(pk, t_c), "points": points}


def _theory_curve(pk: np.ndarray, t_c: float) -> dict[str, list[float]]:
    """S(T) and <s>(T) on a fine grid, for the chart."""
    ts = np.linspace(0.0, 1.0, 401)
    below = ts[ts < t_c * 0.98]
    return {"T": ts.tolist(), "S": [giant_outbreak_size(pk, t)[0] for t in ts],
            "T_below": below.tolist(), "mean_size": [mean_outbreak_size(pk, t) for t in below]}


def table(graph: dict[str, Any]) -> str:
    """The printed tables of one graph: against Newman's theory, then against the exact
    bond percolation of the same graph."""
    head = (f"{graph['label']}: n = {graph['n']:,}, ties = {graph['ties']:,} "
            f"({graph['removed_ties']} self-loops/repeats dropped), <k> = "
            f"{graph['mean_degree']:.4f}, <k^2> = {graph['mean_sq_degree']:.3f}, max k = "
            f"{graph['max_degree']}, T_c = {graph['T_c']:.4f}")
    theory = [["T", "T/Tc", "regime", "theory S", "P(large) ± se", "large mean ± se", "runs",
               "small max", "theory <s>", "mean size ± se", "verdict"]]
    finite = [["T", "T/Tc", "graph P(large)", "kernel P(large)", "graph large mean",
               "kernel large mean", "graph <s>", "kernel mean size", "bins", "chi2 p",
               "verdict"]]
    for p in graph["points"]:
        theory.append([f"{p['T']:.4f}", f"{p['T_over_Tc']:.2f}", p["regime"],
                       f"{p['theory_S']:.4f}", f"{p['p_large']:.4f} ± {p['p_large_se']:.4f}",
                       _large(p), p["n_runs"], p["small_max"],
                       _number(p["theory_mean_size"], ".3f"),
                       f"{p['all_mean']:.3f} ± {p['all_se']:.3f}", p["verdict"]])
        finite.append([f"{p['T']:.4f}", f"{p['T_over_Tc']:.2f}", f"{p['graph_p_large']:.4f}",
                       f"{p['p_large']:.4f}", _number(p["graph_large_mean"], ".4f"),
                       _number(p["large_mean"], ".4f"), f"{p['graph_mean_size']:.3f}",
                       f"{p['all_mean']:.3f}", p["chi2_bins"], f"{p['chi2_p']:.3f}",
                       p["kernel_verdict"]])
    return (f"{head}\nA. against Newman's theory (n -> infinity, realized degrees)\n"
            f"{format_table(theory[0], theory[1:])}\n"
            f"B. against exact bond percolation of this graph ({graph['points'][0]['graph_copies']}"
            f" percolated copies per T, no kernel)\n{format_table(finite[0], finite[1:])}")


def _large(point: dict[str, Any]) -> str:
    if point["large_mean"] is None:
        return "-"
    se = "-" if point["large_se"] is None else f"{point['large_se']:.4f}"
    return f"{point['large_mean']:.4f} ± {se}"


def _number(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def plot(graphs: list[dict[str, Any]], path: Path) -> None:
    """Top row: S(T) with measured large-outbreak shares and sizes; middle row: the same
    near T_c; bottom row: mean outbreak size below T_c against <s>(T). One column per
    graph."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 12), layout="constrained")
    axes = fig.subplots(3, len(graphs), squeeze=False)
    for j, graph in enumerate(graphs):
        _plot_giant(axes[0, j], graph)
        _plot_giant(axes[1, j], graph, zoom=True)
        _plot_small(axes[2, j], graph)
    fig.suptitle("Independent Cascade kernel vs bond percolation (Newman 2002), "
                 f"single random seed, large = > {CUT:.0%} of n")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def _plot_giant(ax: Any, graph: dict[str, Any], zoom: bool = False) -> None:
    curve, points = graph["theory_curve"], graph["points"]
    ax.plot(curve["T"], curve["S"], color="black", lw=1.2, label="theory S(T)")
    t = np.array([p["T"] for p in points])
    share = np.array([p["p_large"] for p in points])
    lo, hi = _wilson(share, np.array([p["n_runs"] for p in points]))
    ax.errorbar(t, share, yerr=[share - lo, hi - share], fmt="o", ms=5, mfc="none",
                capsize=3, label="share of runs that are large (95% CI)")
    big = [p for p in points if p["large_mean"] is not None]
    ax.errorbar([p["T"] for p in big], [p["large_mean"] for p in big],
                yerr=[1.96 * (p["large_se"] or 0.0) for p in big], fmt="s", ms=4,
                capsize=3, label="mean large-outbreak size / n (95% CI)")
    ax.plot(t, [p["graph_p_large"] for p in points], "x", color="grey", ms=5,
            label="exact percolation of this graph")
    ax.axvline(graph["T_c"], color="grey", ls="--", lw=1, label=f"T_c = {graph['T_c']:.3f}")
    ax.set(xlabel="transmissibility T (tie probability p)", ylabel="share of users / of runs")
    if zoom:
        near = [p for p in points if p["T"] <= 1.6 * graph["T_c"]]
        top = max(max(p["p_large"] for p in near), max(p["theory_S"] for p in near))
        ax.set(title="near the threshold", xlim=(0.75 * graph["T_c"], 1.6 * graph["T_c"]),
               ylim=(-0.02 * top, 1.25 * top))
        return
    ax.set(title=f"{graph['label']} (n = {graph['n']:,})", xlim=(0, 1), ylim=(-0.02, 1.04))
    ax.legend(loc="best", fontsize=8)


def _plot_small(ax: Any, graph: dict[str, Any]) -> None:
    curve = graph["theory_curve"]
    below = [p for p in graph["points"] if p["regime"] == "below"]
    ax.plot(curve["T_below"], curve["mean_size"], color="black", lw=1.2,
            label="theory <s> = 1 + T<k>/(1 - T G1'(1))")
    ax.errorbar([p["T"] for p in below], [p["all_mean"] for p in below],
                yerr=[1.96 * p["all_se"] for p in below], fmt="o", ms=5, mfc="none",
                capsize=3, label="kernel: mean outbreak size (95% CI)")
    ax.plot([p["T"] for p in below], [p["graph_mean_size"] for p in below], "x", color="grey",
            ms=6, label="exact percolation of this graph")
    ax.axvline(graph["T_c"], color="grey", ls="--", lw=1)
    ax.set(yscale="log", xlabel="transmissibility T", ylabel="mean users reached",
           title="below threshold: mean outbreak size", xlim=(0, graph["T_c"] * 1.05))
    ax.legend(loc="upper left", fontsize=8)


def _wilson(share: np.ndarray, n: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of binomial shares."""
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.maximum(centre - half, 0.0), np.minimum(centre + half, 1.0)


def main(argv: list[str] | None = None) -> int:
    """Run the check, print the tables, write the JSON and the chart; 1 if any point fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 20,000 and fewer runs")
    parser.add_argument("--n", type=int, default=None, help="users per graph")
    parser.add_argument("--seed", type=int, default=2002, help="root random seed")
    args = parser.parse_args(argv)
    n = args.n or (20_000 if args.quick else 100_000)
    start = time.perf_counter()
    seeds = np.random.SeedSequence(args.seed).spawn(2)
    graphs = [measure_graph(spec, n, seq) for spec, seq in zip(graph_specs(args.quick), seeds)]
    for graph in graphs:
        print(table(graph), end="\n\n")
    stem = "percolation_quick" if args.quick else "percolation"
    failed = sum(p["verdict"] == "FAIL" for g in graphs for p in g["points"])
    kernel_failed = sum(p["kernel_verdict"] == "FAIL" for g in graphs for p in g["points"])
    elapsed = time.perf_counter() - start
    write_json(RESULTS / f"{stem}.json", {
        "check": "Independent Cascade vs bond percolation on the configuration model",
        "command": "python validation/percolation.py" + (" --quick" if args.quick else ""),
        "seed": args.seed, "cut": CUT, "size_tolerance": SIZE_TOLERANCE,
        "judged_min_S": JUDGED_S, "below_max_p_large": BELOW_P_LARGE, "z_limit": Z_LIMIT,
        "alpha": ALPHA, "failed_theory_points": failed, "failed_kernel_points": kernel_failed,
        "seconds": elapsed,
        "environment": environment(["numpy", "scipy", "networkx", "numba", "riskmodel"]),
        "graphs": graphs})
    plot(graphs, RESULTS / f"{stem}.png")
    print(f"{failed} point(s) off the theory, {kernel_failed} off the exact percolation of the "
          f"graph; {elapsed:.0f} s; wrote {RESULTS / stem}.json and .png")
    return 1 if failed or kernel_failed else 0


if __name__ == "__main__":
    sys.exit(main())
