"""Cascade kernel against its peers, fairly: cascades per second on the same graphs, seeds and p.

Cells: Barabasi-Albert graphs (m = 5) and heavy-tailed configuration graphs (degrees a power
law k^-2.5 with an exponential cutoff at 50, k >= 2) of n users, mutual (every tie both ways)
and directed (every tie given one direction at random), and p in (0.01, 0.05, 0.2). Each cell
runs in its own process pinned to one core, and its tools take turns: round after round,
each runs Independent Cascades from the same block of random single seeds, again and again
for at least 0.3 s (tools in a new order each round), so drift of the machine hits every
tool alike and no timing is a few microseconds long. A tool's rate is the cascades it ran
over the time it took, summed over the rounds.

Each tool runs in its tightest loop through its own API, timed around the loop only:

- riskmodel, batched: one ``sim.kernel.diffusion.cascade_sizes(csr, block, p, rng)`` call
  per block;
- riskmodel, single calls: ``independent_cascade(csr, [s], p, rng)`` per seed (it returns
  the activated users, sorted);
- CyNetDiff: ``model.set_seeds([s]); model.advance_until_completion();
  model.get_num_activated_nodes()`` per seed (``set_seeds`` resets the model);
- NDlib ``IndependentCascadesModel`` and EoN ``basic_discrete_SIR``, per seed, within a time
  budget per round (they are slower by orders of magnitude; mutual graphs of at most 10^5
  users only).

Not timed: building the graphs, converting them to each tool's form, one warm-up call per
tool (JIT compilation, caches). Mean final sizes are printed per tool so agreement can be
read off. Peak memory is the cell process's peak resident set (every tool's graph in it).

Run: ``python bench/kernel_peers.py [--sizes 10000,100000,1000000] [--rounds 5]
[--graphs ba,cm] [--directions mutual,directed] [--probabilities 0.01,0.05,0.2]``
(needs ``pip install -e '.[validation]' cynetdiff``). Prints a table and writes
``bench/results/kernel_peers.json`` (``kernel_peers_cells.json`` for a subset of cells).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import networkx as nx
import numpy as np

from sim.kernel.csr import CSR
from sim.kernel.diffusion import cascade_sizes, independent_cascade
from validation.configuration import configuration_graph, power_law_degrees
from validation.tables import environment, format_table

RESULTS = Path(__file__).resolve().parent / "results"
PROBABILITIES = (0.01, 0.05, 0.2)
BLOCK = 200  # seeds per round and tool
TURN = 0.3  # seconds a tool runs per round, at least (the block repeated)
SLOW_BUDGET = 1.0  # seconds per round for NDlib and EoN
SLOW_USERS = 10**5  # NDlib and EoN run on graphs up to this size (a cascade at 10^6 takes
# them minutes)
TOOLS = ("batched", "single", "cynetdiff", "ndlib", "eon")
GRAPHS = {"ba": "Barabasi-Albert (m = 5)", "cm": "configuration (k^-2.5, cutoff 50)"}


def ties(kind: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The undirected ties of a graph of ``n`` users, as pairs."""
    rng = np.random.default_rng(seed)
    if kind == "ba":
        u, v = np.array(nx.barabasi_albert_graph(n, 5, seed=seed).edges()).T
        return u, v
    cm = configuration_graph(power_law_degrees(n, 2.5, 50.0, rng, k_min=2), rng)
    rows = np.repeat(np.arange(n), np.diff(cm.indptr))
    upper = rows < cm.indices
    return rows[upper], cm.indices[upper].astype(np.int64)


def cell_graph(kind: str, direction: str, n: int, seed: int) -> tuple[CSR, nx.Graph]:
    """The cell's graph as CSR and as networkx (the same ties)."""
    u, v = ties(kind, n, seed)
    if direction == "mutual":
        G = nx.Graph()
        G.add_nodes_from(range(n))
        G.add_edges_from(zip(u.tolist(), v.tolist()))
        return CSR.symmetric(u, v, n), G
    flip = np.random.default_rng(seed + 1).random(len(u)) < 0.5
    a, b = np.where(flip, v, u), np.where(flip, u, v)
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(zip(a.tolist(), b.tolist()))
    return CSR.directed(a, b, n), G


def tools(csr: CSR, G: nx.Graph, p: float, seed: int) -> dict[str, Callable]:
    """Per tool, its tightest loop over a block of seeds, returning the final sizes."""
    rng = np.random.default_rng(seed)
    out: dict[str, Callable] = {
        "batched": lambda block: cascade_sizes(csr, block, p, rng),
        "single": lambda block: [len(independent_cascade(csr, [s], p, rng)) for s in block]}
    try:
        from cynetdiff.utils import networkx_to_ic_model
    except ImportError:
        pass
    else:
        model, _ = networkx_to_ic_model(G, activation_prob=p, rng=seed)

        def cynetdiff(block: list[int]) -> list[int]:
            sizes = []
            for s in block:
                model.set_seeds([s])
                model.advance_until_completion()
                sizes.append(model.get_num_activated_nodes())
            return sizes
        out["cynetdiff"] = cynetdiff
    if not G.is_directed() and G.number_of_nodes() <= SLOW_USERS:
        try:
            import EoN

            from validation.peer_models import ndlib_model, ndlib_run
        except ImportError:
            pass
        else:
            nd = ndlib_model(G, p, seed, 0)
            out["ndlib"] = lambda block: [ndlib_run(nd, s) for s in block]
            out["eon"] = lambda block: [EoN.basic_discrete_SIR(
                G, p, initial_infecteds=[s], rng=rng)[3][-1] for s in block]
    return out


def run_cell(kind: str, direction: str, n: int, p: float, rounds: int) -> dict:
    """One cell, in this process: every tool's rate, cascades and mean final size."""
    seed = 1000 * n + int(p * 1000) + (kind == "cm") * 7 + (direction == "directed") * 13
    csr, G = cell_graph(kind, direction, n, seed)
    seeds = np.random.default_rng(seed).integers(0, n, rounds * BLOCK)
    runners = tools(csr, G, p, seed)
    for run_one in runners.values():
        run_one([int(seeds[0])] if run_one is not runners["batched"] else seeds[:1])
    spent, runs, total = (dict.fromkeys(runners, 0.0) for _ in range(3))
    order = list(runners)
    for r in range(rounds):
        block = seeds[r * BLOCK:(r + 1) * BLOCK]
        as_ints = block.tolist()
        for tool in order[r % len(order):] + order[:r % len(order)]:
            run_one = runners[tool]
            if tool in ("ndlib", "eon"):  # within a time budget, cascade by cascade
                started = time.perf_counter()
                for s in as_ints:
                    runs[tool] += 1
                    total[tool] += sum(run_one([s]))
                    if time.perf_counter() - started > SLOW_BUDGET:
                        break
                spent[tool] += time.perf_counter() - started
                continue
            arg = block if tool == "batched" else as_ints
            started = time.perf_counter()
            while True:  # the block again and again for at least TURN seconds
                found = run_one(arg)
                runs[tool] += len(found)
                total[tool] += float(np.sum(found))
                if time.perf_counter() - started >= TURN:
                    break
            spent[tool] += time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # GiB (ru_maxrss: KiB)
    return {"graph": kind, "direction": direction, "n": n, "p": p, "rounds": rounds,
            "peak_gib": round(peak, 3),
            "tools": {t: {"rate": runs[t] / spent[t], "cascades": int(runs[t]),
                          "mean_size": total[t] / runs[t]} for t in runners}}


HEADER = ["graph", "n", "p", "batched/s", "single/s", "cynetdiff/s", "batched vs cynetdiff",
          "single vs cynetdiff", "batched vs ndlib", "batched vs eon", "mean sizes (b/s/c)",
          "peak GiB"]


def row(cell: dict) -> list:
    t = cell["tools"]

    def ratio(peer: str, ours: str = "batched") -> str:
        return f"{t[ours]['rate'] / t[peer]['rate']:,.2f}x" if peer in t else "-"
    return [f"{cell['graph']} {cell['direction']}", f"{cell['n']:,}", cell["p"],
            *(f"{t[k]['rate']:,.0f}" if k in t else "-" for k in ("batched", "single",
                                                                   "cynetdiff")),
            ratio("cynetdiff"), ratio("cynetdiff", "single"),
            ratio("ndlib"), ratio("eon"),
            " / ".join(f"{t[k]['mean_size']:.1f}" for k in ("batched", "single", "cynetdiff")
                       if k in t), cell["peak_gib"]]


def table(cells: list[dict]) -> str:
    """The cells as a text table."""
    return format_table(HEADER, [row(c) for c in cells])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--graphs", default="ba,cm")
    parser.add_argument("--directions", default="mutual,directed")
    parser.add_argument("--probabilities", default=",".join(map(str, PROBABILITIES)))
    parser.add_argument("--cell", help=argparse.SUPPRESS)  # kind,direction,n,p: run one here
    args = parser.parse_args()
    if args.cell:
        kind, direction, n, p = args.cell.split(",")
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        print(json.dumps(run_cell(kind, direction, int(n), float(p), args.rounds)))
        return
    cells = []
    for n, kind, direction, p in itertools.product(
            [int(x) for x in args.sizes.split(",")], args.graphs.split(","),
            args.directions.split(","), [float(x) for x in args.probabilities.split(",")]):
        found = subprocess.run([sys.executable, __file__, "--cell",
                                f"{kind},{direction},{n},{p}", "--rounds", str(args.rounds)],
                               check=True, capture_output=True, text=True)
        cells.append(json.loads(found.stdout.strip().splitlines()[-1]))
        print(format_table(HEADER, [row(cells[-1])]), flush=True)
    text = table(cells)
    print("\n" + text)
    every = (args.sizes == "10000,100000,1000000" and set(args.graphs.split(",")) == set(GRAPHS)
             and args.directions == "mutual,directed"
             and {float(x) for x in args.probabilities.split(",")} == set(PROBABILITIES))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"kernel_peers{'' if every else '_cells'}.json").write_text(json.dumps({
        "command": "python bench/kernel_peers.py " + " ".join(sys.argv[1:]),
        "cells": cells, "table": text,
        "environment": environment(["riskmodel", "numpy", "numba", "cynetdiff", "ndlib",
                                    "EoN", "networkx"])}, indent=2) + "\n")


if __name__ == "__main__":
    main()
