"""Does the graph matter? The founder's exit and a scandal on four audiences.

The bundled founder-exit scenario (SDI, and the exit's steady loss: the cumulative loss of
brand reach after the exit) and the bundled scandal (people-days of exposure to the
scandal's posts) run on (a) the generated follow graph, (b) the same graph with every
follow made mutual, (c) no social ties at all (reach only from follows of accounts and
recommendation feeds), and (d) the real ego-Facebook friendship graph (4,039 users, as
``platform: facebook``). Every other setting is the scenario's.

Run ``python validation/graph_matters.py`` (``--replications 20`` is the default); prints the
table of docs/MODEL.md, "Does the graph matter?", and writes
validation/results/graph_matters.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from sim.engine.replication import simulate
from sim.kernel.csr import CSR
from sim.runs.montecarlo import run_world
from sim.runs.runners import runner
from sim.scenario.layout import resolve_scenario
from sim.scenario.load import load_scenario
from sim.scenario.schema import Scenario
from sim.world.build import build_world
from sim.world.model import World
from validation.tables import environment, format_table, write_json

ROOT = Path(__file__).resolve().parent.parent
FACEBOOK = ROOT.parent / "shared" / "data" / "ego-facebook" / "facebook_combined.txt"
RESULTS = ROOT / "validation" / "results"
AUDIENCES = ("follow graph", "same graph, mutual", "no ties", "ego-Facebook friendships")


def mutual(world: World) -> World:
    """The world with every follow made mutual (its followers are also followed back)."""
    s = world.social
    return replace(world, social=CSR.symmetric(s.row_ids().astype(np.int64),
                                               s.indices.astype(np.int64), s.n_rows))


def no_ties(world: World) -> World:
    """The world without social ties."""
    n = world.n_users
    return replace(world, social=CSR(np.zeros(n + 1, dtype=np.int64),
                                     np.empty(0, dtype=np.int32), n))


def worlds(path: Path) -> dict[str, tuple[World, object]]:
    """The four audiences of a bundled scenario: world and resolved scenario each."""
    scenario = load_scenario(path)
    resolved = resolve_scenario(scenario)
    follow = build_world(scenario)
    data = scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)
    data["audience"] = {"import": {"graph": str(FACEBOOK)}, "platform": "facebook"}
    imported = Scenario.model_validate(data)
    return {AUDIENCES[0]: (follow, resolved), AUDIENCES[1]: (mutual(follow), resolved),
            AUDIENCES[2]: (no_ties(follow), resolved),
            AUDIENCES[3]: (build_world(imported), resolve_scenario(imported))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = {name: {} for name in AUDIENCES}
    for name, (world, resolved) in worlds(ROOT / "scenarios" / "founder_exit.yaml").items():
        resolved = resolved.model_copy(update={"replications": args.replications})
        with runner(world, resolved, args.workers) as execute:
            figures = run_world(world, resolved, execute).figures
        rows[name] |= {"scale": world.scale, "users": world.n_users,
                       "ties_per_user": world.social.nnz / world.n_users,
                       "sdi": figures["sdi"], "loss": figures["cumulative_loss_pct"]}
    for name, (world, resolved) in worlds(ROOT / "scenarios" / "scandal.yaml").items():
        exposure = [simulate(world, resolved, resolved.events, r).scandal_reach.sum()
                    * world.scale for r in range(args.replications)]
        rows[name]["scandal_person_days"] = {"mean": float(np.mean(exposure)),
                                             "p5": float(np.percentile(exposure, 5)),
                                             "p95": float(np.percentile(exposure, 95))}
    print(format_table(
        ["audience", "users", "people per user", "ties per user", "SDI", "exit: cumulative loss",
         "scandal: people-days exposed"],
        [[name, f"{r['users']:,}", f"{r['scale']:,.0f}", f"{r['ties_per_user']:.1f}",
          _cell(r["sdi"], 100, "%"), _cell(r["loss"], 1, "%"),
          _cell(r["scandal_person_days"], 1e-6, " M")] for name, r in rows.items()]))
    write_json(RESULTS / "graph_matters.json", {
        "replications": args.replications, "rows": rows,
        "seconds": time.perf_counter() - started,
        "environment": environment(["numpy", "networkx", "riskmodel"])})


def _cell(stats: dict, factor: float, unit: str) -> str:
    return (f"{stats['mean'] * factor:.1f}{unit} ({stats['p5'] * factor:.1f}"
            f"-{stats['p95'] * factor:.1f})")


if __name__ == "__main__":
    main()
