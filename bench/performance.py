"""Every performance target in one run: the kernel against its peers, the engine, the bandwidth.

Runs ``engine.py``, ``bandwidth.py`` and ``kernel_peers.py --budget 5 --min-runs 30`` one
after the other, each in its own process (so each peak memory is its own), then checks the
targets on their results, prints them, and writes them with every table into the results
section of docs/PERFORMANCE.md (between its two ``results`` markers; the rest of the file
is left as it is).

Run: ``python bench/performance.py`` (about 40 minutes on 2 cores; needs
``pip install -e '.[validation]' cynetdiff``), or ``python bench/performance.py --no-run``
to rewrite the section from the last results in bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import engine  # noqa: E402
import kernel_peers  # noqa: E402

DOC = HERE.parent / "docs" / "PERFORMANCE.md"
RUN = HERE / "results" / "performance.json"  # when the last run was, and how long it took
BEGIN = "<!-- results: written by python bench/performance.py -->"
END = "<!-- end of results -->"
STEPS = (["engine.py"], ["bandwidth.py"], ["kernel_peers.py", "--budget", "5", "--min-runs", "30"])


def run_steps() -> None:
    """Run every benchmark, and note when and for how long in bench/results/."""
    started = time.perf_counter()
    for step in STEPS:
        print(f"\n== python bench/{' '.join(step)}", flush=True)
        subprocess.run([sys.executable, str(HERE / step[0]), *step[1:]], check=True)
    RUN.write_text(json.dumps({"date": f"{date.today():%Y-%m-%d}", "minutes": round(
        (time.perf_counter() - started) / 60)}, indent=2) + "\n")


def targets(kernel: list[dict], groups: dict, bandwidth: dict) -> list[tuple[str, str, bool]]:
    """Each target of the issue, what was measured, and whether it is met."""
    def lowest(peer: str, below: float = 1.0) -> tuple[float, str]:
        cells = [(kernel_peers.ratios([r], peer, below)[0], r) for r in kernel
                 if peer in r["tools"] and r["p"] < below]
        ratio, r = min(cells, key=lambda c: c[0])
        return ratio, f"lowest {ratio:,.1f}x ({r['graph']}, n = {r['n']:,}, p = {r['p']})"

    standard = groups["standard"][0]
    users, reps = groups["users"], groups["replications"]
    simulated = [dict(r, sim_s=r["wall_s"] - r["build_s"]) for r in users]
    in_users = engine.growth(users, "users", "wall_s")
    in_reps = engine.growth(reps, "replications", "wall_s")
    rows = []
    for peer, floor, below, where in (("ndlib", 50, 1.0, "every graph and p"),
                                      ("eon", 5, 1.0, "every graph and p"),
                                      ("cynetdiff", 1, 0.1, "p = 0.01 and 0.05")):
        ratio, text = lowest(peer, below)
        rows.append((f"kernel: at least {floor}x {peer} on {where}", text, ratio >= floor))
    rows += [
        ("engine: standard workload under 4 minutes on 2 workers",
         f"{standard['wall_s']:.1f} s", standard["wall_s"] < 240),
        ("engine: peak memory under 4 GiB", f"{standard['peak_gib']:.2f} GiB",
         standard["peak_gib"] < 4),
        ("engine: speed-up from 1 to 2 workers at least 1.7x (standard workload)",
         f"{engine.speedup(groups):.2f}x", engine.speedup(groups) >= 1.7),
        ("cost grows no worse than linearly in users (exponent b of wall time ~ users^b, "
         "10^5 to 3 x 10^6 users, at most 1)",
         f"{in_users:.2f} (world build alone {engine.growth(users, 'users', 'build_s'):.2f}, "
         f"the rest {engine.growth(simulated, 'users', 'sim_s'):.2f})", in_users <= 1),
        ("cost grows no worse than linearly in replications (exponent b of wall time ~ "
         "replications^b, 10 to 40 replications, at most 1)", f"{in_reps:.2f}",
         in_reps <= 1),
        ("share of the memory bandwidth reached (reported)",
         f"{100 * bandwidth['share_of_one_process']:.0f}% of one process's "
         f"{bandwidth['one_process_gb_s']:.1f} GB/s", True),
    ]
    return rows


def section() -> str:
    """The results section, from the saved results."""
    import bandwidth as bw_bench

    kernel = json.loads((HERE / "results" / "kernel_peers.json").read_text())
    groups = json.loads((HERE / "results" / "engine.json").read_text())["rows"]
    bandwidth = json.loads((HERE / "results" / "bandwidth.json").read_text())
    env = kernel["environment"]
    run = json.loads(RUN.read_text())
    lines = [BEGIN, "", "## Results: every target in one run", "",
             f"`python bench/performance.py` on {run['date']}, {run['minutes']} minutes: commit "
             f"{env['git_commit']}, Python {env['python']}, numpy {env['numpy']}, numba "
             f"{env['numba']}; peers CyNetDiff {env['cynetdiff']}, NDlib {env['ndlib']}, "
             f"EoN {env['EoN']}; {env['platform']}, {os.cpu_count()} cores.", "",
             "| target | measured | met |", "| --- | --- | --- |"]
    lines += [f"| {t} | {m} | {'yes' if ok else '**no**'} |"
              for t, m, ok in targets(kernel["cells"], groups, bandwidth)]
    lines += ["", "### Cascade kernel against its peers", "",
              "Cascades per second (cascades run in brackets; each tool runs through the "
              "1,000 seeds, cycling through them until it ran for at least 1 s, or until its "
              "5 s budget per cell is spent and it ran at least 30 cascades), riskmodel's "
              "rate as a multiple of each peer's, and the mean final sizes (riskmodel / "
              "peers in the order of the columns).", "", "```",
              kernel["table"], "```", "", "### The engine", "",
              "Wall time includes building the world from scratch; in the rows against "
              "users the build is also timed alone. Peak memory: the largest resident set "
              "of the benchmark or a worker so far in the run.", "",
              "| run | users | replications x 3 variants | workers | wall | world build "
              "| worker-ms per simulated day | peak memory |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    names = {"standard": "standard workload", "users": "growth in users",
             "replications": "growth in replications"}
    for name, group in groups.items():
        for r in group:
            build = f"{r['build_s']} s" if "build_s" in r else "-"
            lines.append(f"| {names[name]} | {r['users']:,} | {r['replications']} | "
                         f"{r['workers']} | {r['wall_s']} s | {build} | "
                         f"{r['ms_per_simulated_day']} | {r['peak_gib']} GiB |")
    lines += ["", "### The physical limit", "", "| figure | value |", "| --- | --- |"]
    lines += [f"| {k} | {v:,.3f} |" for k, v in bw_bench.table(bandwidth).items()]
    return "\n".join([*lines, "", END])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true",
                        help="only rewrite the section from the last results")
    args = parser.parse_args()
    if not args.no_run:
        run_steps()
    text = section()
    print("\n" + text)
    doc = DOC.read_text()
    if BEGIN in doc and END in doc:
        doc = doc[:doc.index(BEGIN)] + text + doc[doc.index(END) + len(END):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    DOC.write_text(doc)


if __name__ == "__main__":
    main()
