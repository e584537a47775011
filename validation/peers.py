"""Peer check: the cascade kernel against NDlib's Independent Cascade and EoN's discrete SIR.

On the same networkx graph (configuration model: Poisson degrees of mean 4, and a power law
``k^-2.5`` with cutoff ``kappa = 50``), the three tools run single-seed cascades at the same
tie probabilities: 0.01 and 0.05 (the engine's regime), one below the threshold (0.8 T_c)
and one above (2 T_c). Their final-size distributions (every user ever activated, the seed
included) are compared with the kernel's by two-sample tests, Kolmogorov-Smirnov and
Anderson-Darling (midrank, permutation p-value: valid with the many ties of small
cascades); none should reject at the 1% level.

Needs the validation extras (``pip install -e '.[validation]'``). Run
``python validation/peers.py`` (``--quick`` for a short run). Writes
``validation/results/peers.json`` and ``peers.png`` (``peers_quick.*``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from validation.configuration import (
    configuration_graph,
    poisson_degrees,
    power_law_degrees,
    removed_ties,
    to_networkx,
)
from validation.peer_models import compare_sizes, eon_sizes, kernel_sizes, ndlib_sizes
from validation.tables import environment, format_table, write_json
from validation.theory import critical_transmissibility, degree_distribution

RESULTS = Path(__file__).resolve().parent / "results"
ALPHA = 0.01  # a p-value below this rejects
TOOLS = ("riskmodel", "NDlib", "EoN")
GRAPHS = {
    "poisson": ("Poisson, mean degree 4", lambda n, rng: poisson_degrees(n, 4.0, rng)),
    "power_law": ("power law k^-2.5, cutoff kappa = 50, k >= 1",
                  lambda n, rng: power_law_degrees(n, 2.5, 50.0, rng)),
}
FIXED_P = (0.01, 0.05)
MULTIPLIERS = {"below": 0.8, "above": 2.0}  # p as multiples of the realized T_c


def run_tools(G: Any, p: float, n_runs: int, seed: np.random.SeedSequence) -> dict[str, Any]:
    """Final sizes from all three tools on ``G`` at ``p``, and their seconds."""
    kernel_seq, ndlib_seq, eon_seq, test_seq = seed.spawn(4)
    runners = {
        "riskmodel": lambda: kernel_sizes(G, p, n_runs, np.random.default_rng(kernel_seq)),
        "NDlib": lambda: ndlib_sizes(G, p, n_runs, int(ndlib_seq.generate_state(1)[0])),
        "EoN": lambda: eon_sizes(G, p, n_runs, np.random.default_rng(eon_seq)),
    }
    sizes, seconds = {}, {}
    for tool, run in runners.items():
        start = time.perf_counter()
        sizes[tool] = run()
        seconds[tool] = time.perf_counter() - start
    return {"sizes": sizes, "seconds": seconds,
            **compare_sizes(sizes, np.random.default_rng(test_seq))}


def measure_graph(name: str, n: int, n_runs: int, seed: np.random.SeedSequence
                  ) -> dict[str, Any]:
    """Build one graph and compare the three tools at every ``p``."""
    label, degrees = GRAPHS[name]
    build_seq, *run_seqs = seed.spawn(1 + len(FIXED_P) + len(MULTIPLIERS))
    build_rng = np.random.default_rng(build_seq)
    drawn = degrees(n, build_rng)
    graph = configuration_graph(drawn, build_rng)
    t_c = critical_transmissibility(degree_distribution(graph.degrees()))
    G = to_networkx(graph)
    ps = [*((p, "fixed") for p in FIXED_P), *((m * t_c, k) for k, m in MULTIPLIERS.items())]
    points = []
    for (p, kind), run_seq in zip(ps, run_seqs):
        runs = run_tools(G, p, n_runs, run_seq)
        ok = min(*runs["ks_p"].values(), *runs["ad_p"].values()) >= ALPHA
        sizes = {t: s.tolist() for t, s in runs.pop("sizes").items()}
        points.append({"p": p, "p_over_Tc": p / t_c, "kind": kind, "n_runs": n_runs, **runs,
                       "verdict": "pass" if ok else "FAIL", "sizes": sizes})
    return {"name": name, "label": label, "n": n, "ties": G.number_of_edges(),
            "removed_ties": removed_ties(drawn, graph), "T_c": t_c, "points": points}


def table(graphs: list[dict[str, Any]]) -> str:
    """One row per graph and ``p``: means ± standard errors, p-values, verdict."""
    header = ["graph", "n", "p", "p/Tc", "runs", *(f"{t} mean ± se" for t in TOOLS),
              "KS p vs NDlib", "KS p vs EoN", "AD p vs NDlib", "AD p vs EoN", "verdict"]
    rows = []
    for g in graphs:
        for pt in g["points"]:
            rows.append([g["name"], g["n"], f"{pt['p']:.4f}", f"{pt['p_over_Tc']:.2f}",
                         pt["n_runs"],
                         *(f"{pt['mean'][t]:.2f} ± {pt['se'][t]:.2f}" for t in TOOLS),
                         *(f"{pt[k][t]:.3f}" for k in ("ks_p", "ad_p") for t in TOOLS[1:]),
                         pt["verdict"]])
    return format_table(header, rows)


def plot(graphs: list[dict[str, Any]], path: Path) -> None:
    """Empirical CDFs of the final sizes, one panel per graph and ``p``."""
    from matplotlib.figure import Figure

    n_cols = max(len(g["points"]) for g in graphs)
    fig = Figure(figsize=(3.3 * n_cols, 3.2 * len(graphs)), layout="constrained")
    axes = fig.subplots(len(graphs), n_cols, squeeze=False)
    for i, g in enumerate(graphs):
        for j, pt in enumerate(g["points"]):
            _plot_ecdfs(axes[i, j], pt)
            ad = pt["ad_p"]
            axes[i, j].set_title(f"{g['name']}, p = {pt['p']:.3f} ({pt['p_over_Tc']:.2f} T_c)\n"
                                 f"AD p: vs NDlib {ad['NDlib']:.2f}, vs EoN {ad['EoN']:.2f}",
                                 fontsize=9)
    fig.suptitle("Final sizes of single-seed cascades: riskmodel vs NDlib IC vs EoN discrete "
                 "SIR (same graph, same p)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def _plot_ecdfs(ax: Any, point: dict[str, Any]) -> None:
    from matplotlib.ticker import FuncFormatter, NullFormatter

    styles = {"riskmodel": "-", "NDlib": "--", "EoN": ":"}
    for tool in TOOLS:
        x = np.sort(point["sizes"][tool])
        ax.step(x, np.arange(1, len(x) + 1) / len(x), where="post", ls=styles[tool], lw=1.4,
                label=tool)
    ax.set(xscale="log", xlabel="users reached (seed included)", ylabel="ECDF", ylim=(0, 1.02))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=7, loc="center right")


def main(argv: list[str] | None = None) -> int:
    """Run the check, print the table, write the JSON and the chart; 1 if a test rejects."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 2,000 and 200 runs")
    parser.add_argument("--n", type=int, default=None, help="users per graph")
    parser.add_argument("--runs", type=int, default=None, help="runs per tool and p")
    parser.add_argument("--seed", type=int, default=2002, help="root random seed")
    args = parser.parse_args(argv)
    n = args.n or (2_000 if args.quick else 5_000)
    n_runs = args.runs or (200 if args.quick else 500)
    start = time.perf_counter()
    seeds = np.random.SeedSequence(args.seed).spawn(len(GRAPHS))
    graphs = [measure_graph(name, n, n_runs, seq) for name, seq in zip(GRAPHS, seeds)]
    print(table(graphs), end="\n\n")
    stem = "peers_quick" if args.quick else "peers"
    failed = sum(pt["verdict"] == "FAIL" for g in graphs for pt in g["points"])
    elapsed = time.perf_counter() - start
    write_json(RESULTS / f"{stem}.json", {
        "check": "final-size distributions: riskmodel vs NDlib IC vs EoN discrete SIR",
        "command": "python validation/peers.py" + (" --quick" if args.quick else ""),
        "seed": args.seed, "alpha": ALPHA, "failed_points": failed, "seconds": elapsed,
        "environment": environment(["numpy", "scipy", "networkx", "numba", "ndlib", "EoN",
                                    "riskmodel"]),
        "graphs": graphs})
    plot(graphs, RESULTS / f"{stem}.png")
    print(f"{failed} rejection(s) at the {ALPHA:.0%} level; {elapsed:.0f} s; "
          f"wrote {RESULTS / stem}.json and .png")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
