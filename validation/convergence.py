"""Convergence: Monte Carlo standard errors shrink as 1/sqrt(N), and what +-1 pp costs.

Runs the bundled founder-exit scenario with many replications, then for N = 5, 10, 20, ...
measures the spread of the mean of each headline figure over disjoint batches of N
replications, against the 1/sqrt(N) law from the replications' standard deviation. From that
standard deviation it states how many replications each figure needs for a 95% half-width of
1 percentage point: ``N = (1.96 * sd / 0.01)^2``.

Run ``python validation/convergence.py`` (``--quick`` for a short run). Writes
``validation/results/convergence.json`` and ``convergence.png``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from matplotlib.figure import Figure

from sim import run
from sim.runs.metrics import damage, dependency
from validation.tables import environment, format_table, write_json

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "founder_exit.yaml"
TARGET = 0.01  # 95% half-width of one percentage point


def per_replication(result) -> dict[str, np.ndarray]:
    """Headline shares per replication (fractions, not percent)."""
    reach, shapley = result.reach, result.shapley
    leader = [a.id for a in result.accounts].index(result.leader)
    dep = dependency(reach["baseline"], reach["no_leader"], shapley, leader)
    first = result.figures["first_event_day"] or 0
    dmg = damage(reach["baseline"], reach["scenario"], first,
                 result.scenario.outputs.threshold, result.scenario.outputs.smoothing_days)
    return {"sdi": dep["sdi"], "leader_shapley_share": dep["leader_shapley_share"],
            "trough": dmg["trough_pct"] / 100, "cumulative_loss": dmg["cumulative_loss_pct"] / 100}


def batch_errors(values: np.ndarray, sizes: list[int]) -> list[dict[str, float]]:
    """For each batch size N: the standard deviation of the means of disjoint batches of N
    replications (measured), against sd / sqrt(N) (the law)."""
    sd = values.std(ddof=1)
    rows = []
    for n in sizes:
        means = values[: len(values) // n * n].reshape(-1, n).mean(axis=1)
        rows.append({"n": n, "batches": len(means),
                     "measured": float(means.std(ddof=1)) if len(means) > 1 else None,
                     "law": float(sd / np.sqrt(n))})
    return rows


def chart(errors: dict[str, list[dict[str, float]]], path: Path) -> None:
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for (name, rows), color in zip(errors.items(), ("#D55E00", "#0072B2", "#009E73",
                                                    "#CC79A7")):
        n = np.array([r["n"] for r in rows])
        ax.plot(n, [100 * r["law"] for r in rows], color=color, lw=1, ls="--")
        measured = [(r["n"], 100 * r["measured"]) for r in rows if r["measured"] is not None]
        ax.plot(*zip(*measured), "o", color=color, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Replications per estimate (N)")
    ax.set_ylabel("Standard error of the mean (percentage points)")
    ax.set_title("Monte Carlo error shrinks as 1/sqrt(N): points measured over disjoint "
                 "batches, dashed lines sd/sqrt(N)", loc="left", fontsize=10)
    ax.legend(frameon=False, fontsize=9)
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 replications instead of 160")
    args = parser.parse_args()
    replications = 40 if args.quick else 160
    sizes = [n for n in (2, 5, 10, 20, 40) if replications // n >= 4]
    started = time.perf_counter()
    result = run(SCENARIO, replications=replications)
    values = per_replication(result)
    errors = {k: batch_errors(v, sizes) for k, v in values.items()}
    needed = {k: int(np.ceil((1.96 * v.std(ddof=1) / TARGET) ** 2)) for k, v in values.items()}
    rows = []
    for k in values:
        for r in errors[k]:
            rows.append([k, r["n"], r["batches"], f"{100 * r['law']:.3f}",
                         "-" if r["measured"] is None else f"{100 * r['measured']:.3f}"])
    print(format_table(["figure", "N", "batches", "law sd/sqrt(N) (pp)", "measured (pp)"],
                       rows))
    print()
    print(format_table(["figure", "mean", "sd (pp)", "replications for +-1 pp"],
                       [[k, f"{v.mean():.4f}", f"{100 * v.std(ddof=1):.3f}", needed[k]]
                        for k, v in values.items()]))
    suffix = "_quick" if args.quick else ""
    RESULTS.mkdir(parents=True, exist_ok=True)
    chart(errors, RESULTS / f"convergence{suffix}.png")
    write_json(RESULTS / f"convergence{suffix}.json", {
        "scenario": str(SCENARIO.name), "replications": replications,
        "sd": {k: float(v.std(ddof=1)) for k, v in values.items()},
        "mean": {k: float(v.mean()) for k, v in values.items()},
        "batch_errors": errors, "replications_for_1pp": needed,
        "wall_time_s": round(time.perf_counter() - started, 1),
        "environment": environment(["riskmodel", "numpy", "numba"])})


if __name__ == "__main__":
    main()
