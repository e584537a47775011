"""Cascade kernel against its peers: cascades per second on the same graphs, seeds and p.

For Barabasi-Albert graphs (m = 3) and configuration-model graphs (power law k^-2.5 with an
exponential cutoff at 50, k >= 2) of n users, the same 1,000 random single seeds and p in
(0.01, 0.05, 0.2), each tool runs Independent Cascades through the 1,000 seeds, cycling
through them again until it has run for at least a second (a fast tool's rate is not one
timing of a few milliseconds), or until its time budget per cell is spent and it ran at least
``--min-runs`` cascades (a slow peer's rate is not left to one or two heavy-tailed
cascades); the rate is cascades per second of what it ran. Tools:

- riskmodel: ``sim.kernel.diffusion.cascade_sizes`` on the compiled CSR graph, all 1,000 cascades in
  one batch at p < 0.1; at p = 0.2 batches of at most 5 x 10^7 / n cascades (1,000 at
  n = 10^4, 500 at 10^5, 50 at 10^6), so that a batch's keys fit in memory;
- CyNetDiff ``IndependentCascadeModel`` (compiled, one cascade at a time, reset between);
- NDlib ``IndependentCascadesModel`` (per-edge threshold p) and EoN ``basic_discrete_SIR``.

Building the graphs and converting them to each tool's form is not timed, nor is one
warm-up call per tool and cell. Mean final sizes are printed for every tool, over the
cascades it ran, so agreement can be read off.

Run: ``python bench/kernel_peers.py [--sizes 10000,100000,1000000] [--budget 10]
[--min-runs 1] [--graphs barabasi_albert,configuration] [--probabilities 0.01,0.05,0.2]``
(needs ``pip install -e '.[validation]' cynetdiff``). Prints a table and writes
``bench/results/kernel_peers.json`` (``kernel_peers_cells.json`` for a subset of cells, which
get the same graphs, seeds and streams as in the full run).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import networkx as nx
import numpy as np

from sim.kernel.csr import CSR
from sim.kernel.diffusion import cascade_sizes
from validation.configuration import configuration_graph, power_law_degrees, to_networkx
from validation.tables import environment, format_table

RESULTS = Path(__file__).resolve().parent / "results"
CASCADES = 1000
PROBABILITIES = (0.01, 0.05, 0.2)
BATCH_KEYS = 5 * 10**7  # cascades x users of a batch at p = 0.2, at most


def graphs(n: int, rng: np.random.Generator) -> dict[str, tuple[CSR, nx.Graph]]:
    """The two graphs of size n, as CSR and as networkx (the same ties)."""
    ba = nx.barabasi_albert_graph(n, 3, seed=int(rng.integers(2**31)))
    u, v = np.array(ba.edges()).T
    cm = configuration_graph(power_law_degrees(n, 2.5, 50.0, rng, k_min=2), rng)
    return {"barabasi_albert": (CSR.symmetric(u, v, n), ba),
            "configuration": (cm, to_networkx(cm))}


def timed(run_one: Callable[[int], int], seeds: np.ndarray, budget: float,
          chunk: int = 1, min_runs: int = 1, min_seconds: float = 1.0
          ) -> tuple[float, np.ndarray]:
    """Cascades per second and the sizes of those run: through all the seeds (again and
    again until ``min_seconds`` have passed, so a fast tool's rate is not one short
    timing), or until ``budget`` seconds are spent and at least ``min_runs`` cascades ran."""
    sizes: list[int] = []
    started = time.perf_counter()
    for i in itertools.count(0, chunk):
        j = i % len(seeds)
        sizes.extend(np.atleast_1d(run_one(seeds[j:j + chunk] if chunk > 1 else seeds[j])))
        elapsed = time.perf_counter() - started
        if (elapsed > budget and len(sizes) >= min_runs) or \
                (len(sizes) >= len(seeds) and elapsed >= min_seconds):
            break
    return len(sizes) / (time.perf_counter() - started), np.array(sizes)


def tools(csr: CSR, graph: nx.Graph, p: float, seed: int) -> dict[str, Callable]:
    """One function per tool: seeds -> final sizes."""
    rng = np.random.default_rng(seed)
    out: dict[str, Callable] = {
        "riskmodel": lambda s: cascade_sizes(csr, s, p, rng)}
    try:
        from cynetdiff.utils import networkx_to_ic_model

        ic_model, _ = networkx_to_ic_model(graph, activation_prob=p, rng=seed)

        def cynetdiff(s: int) -> int:
            ic_model.reset_model()
            ic_model.set_seeds([int(s)])
            ic_model.advance_until_completion()
            return ic_model.get_num_activated_nodes()
        out["cynetdiff"] = cynetdiff
    except ImportError:
        pass
    try:
        import EoN

        out["eon"] = lambda s: EoN.basic_discrete_SIR(graph, p, initial_infecteds=[int(s)],
                                                      rng=rng)[3][-1]
    except ImportError:
        pass
    try:
        from validation.peer_models import ndlib_model, ndlib_run

        nd_model = ndlib_model(graph, p, seed, next(iter(graph)))
        out["ndlib"] = lambda s: ndlib_run(nd_model, int(s))
    except ImportError:
        pass
    return out


HEADER = ["graph", "n", "p", "riskmodel/s (runs)", "cynetdiff/s", "ndlib/s", "eon/s",
          "vs cynetdiff", "vs ndlib", "vs eon", "mean sizes"]
TOOLS = ("riskmodel", "cynetdiff", "ndlib", "eon")


def run_cells(sizes: list[int], budget: float, min_runs: int = 1,
              only_graphs: tuple[str, ...] = ("barabasi_albert", "configuration"),
              probabilities: tuple[float, ...] = PROBABILITIES) -> list[dict]:
    """Every cell (graph, n, p): each tool's rate, runs and mean final size, printed as
    it finishes. Cells left out still draw their seeds, so a cell run alone gets the same
    graphs, seeds and streams as in the full run."""
    rng = np.random.default_rng(2024)
    records = []
    for n in sizes:
        for name, (csr, graph) in graphs(n, rng).items():
            seeds = rng.integers(0, n, CASCADES)
            for p in PROBABILITIES:
                tool_seed = int(rng.integers(2**31))  # drawn for every cell: cells repeat
                if name not in only_graphs or p not in probabilities:
                    continue
                cell: dict[str, dict[str, float]] = {}
                for tool, run_one in tools(csr, graph, p, tool_seed).items():
                    # one batch of all seeds for mostly tiny cascades; smaller batches on
                    # large graphs when cascades are large, so a batch's keys stay in memory
                    chunk = (CASCADES if p < 0.1 else min(CASCADES, BATCH_KEYS // n)) \
                        if tool == "riskmodel" else 1
                    run_one(seeds[:chunk] if chunk > 1 else seeds[0])  # warm up (JIT, caches)
                    rate, done = timed(run_one, seeds, budget, chunk, min_runs)
                    cell[tool] = {"rate": rate, "runs": len(done),
                                  "mean_size": float(done.mean())}
                records.append({"graph": name, "n": n, "p": p, "tools": cell})
                print(format_table(HEADER, [_row(records[-1])]), flush=True)
    return records


def _row(record: dict) -> list:
    cell, ours = record["tools"], record["tools"]["riskmodel"]["rate"]
    return [record["graph"], f"{record['n']:,}", record["p"],
            *(f"{cell[t]['rate']:,.1f} ({cell[t]['runs']})" if t in cell else "-"
              for t in TOOLS),
            *(f"{ours / cell[t]['rate']:,.1f}x" if t in cell else "-" for t in TOOLS[1:]),
            " / ".join(f"{cell[t]['mean_size']:.1f}" for t in cell)]


def table(records: list[dict]) -> str:
    return format_table(HEADER, [_row(r) for r in records])


def ratios(records: list[dict], peer: str, below: float = 1.0) -> list[float]:
    """riskmodel's rate over ``peer``'s in every cell with p < ``below``."""
    return [r["tools"]["riskmodel"]["rate"] / r["tools"][peer]["rate"] for r in records
            if peer in r["tools"] and r["p"] < below]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--budget", type=float, default=10.0,
                        help="seconds per tool and cell (default 10)")
    parser.add_argument("--min-runs", type=int, default=1,
                        help="cascades each tool runs at least, budget or not (default 1)")
    parser.add_argument("--graphs", default="barabasi_albert,configuration",
                        help="graphs to run (default both)")
    parser.add_argument("--probabilities", default=",".join(map(str, PROBABILITIES)))
    args = parser.parse_args()
    only_graphs = tuple(args.graphs.split(","))
    probabilities = tuple(float(x) for x in args.probabilities.split(","))
    records = run_cells([int(x) for x in args.sizes.split(",")], args.budget, args.min_runs,
                        only_graphs, probabilities)
    text = table(records)
    print("\n" + text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    every_cell = set(only_graphs) >= {"barabasi_albert", "configuration"} and \
        set(probabilities) >= set(PROBABILITIES)
    (RESULTS / f"kernel_peers{'' if every_cell else '_cells'}.json").write_text(json.dumps({
        "command": "python bench/kernel_peers.py " + " ".join(sys.argv[1:]),
        "cells": records, "table": text, "environment": versions()}, indent=2) + "\n")


def versions() -> dict:
    """Versions of the tools compared and of the machine."""
    return environment(["riskmodel", "numpy", "numba", "cynetdiff", "ndlib", "EoN",
                        "networkx"])


if __name__ == "__main__":
    main()
