"""Parameter recovery: does ``riskmodel calibrate`` find the parameters that made the data?

For each of several parameter sets (every account's reach, share and follow rates and posting
rate drawn log-uniformly within a factor of 3 of the role defaults), the model generates an
export of the observed days (validation/synthetic_export.py); the calibration then fits a
scenario that knows only the matrix and the followers (every rate at the role defaults). For
each fitted parameter it records whether its 90% interval holds the true value, and whether
the calibration called it identified.

Run ``python validation/calibration_recovery.py`` (about 3 minutes on 2 cores); prints the
table of docs/VALIDATION.md, "Calibration", and writes
validation/results/calibration_recovery.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import yaml

from sim import Scenario
from sim.analysis.calibrate import calibrate
from sim.scenario.layout import resolve_scenario
from sim.scenario.schema import CALIBRATED
from validation.synthetic_export import write_export

RESULTS = Path(__file__).resolve().parent / "results" / "calibration_recovery.json"
FACTOR = 3.0  # true values within this factor of the role defaults
PARAMETERS = (*CALIBRATED, "posts_per_day")
COMPANY = {
    "seed": 5, "horizon_days": 60,
    "audience": {"users": 30_000},
    "matrix": {"layout": "1+2+2+3", "leader": "founder",
               "accounts": [{"id": "founder", "role": "leader", "followers": 3_000_000,
                             "overlap": 0.3}]},
    "amplification": [{"source": "founder", "target": "brand", "weight": 0.2}],
}


ACCOUNTS = resolve_scenario(Scenario.model_validate({"name": "c", **COMPANY})).matrix.accounts


def truth(k: int) -> dict[str, dict[str, float]]:
    """Parameter set ``k``: per account, its true values."""
    rng = np.random.default_rng(1000 + k)
    return {a.id: {p: float(min(1.0, getattr(a, p) * FACTOR ** rng.uniform(-1, 1)))
                   for p in PARAMETERS} for a in ACCOUNTS}


def recover(k: int, folder: Path, trials: int) -> list[dict]:
    values = truth(k)
    accounts = [{"id": a.id, "role": a.role, "followers": a.followers, "overlap": a.overlap,
                 **values[a.id]} for a in ACCOUNTS]
    generating = {"name": f"truth_{k}", **COMPANY, "seed": 100 + k,
                  "matrix": {"leader": "founder", "accounts": accounts}}
    write_export(Scenario.model_validate(generating), folder, sample_users=0)
    company = {"name": f"company_{k}", **COMPANY, "calibration": {"data": "observed.csv"}}
    path = folder / "company.yaml"
    path.write_text(yaml.safe_dump(company), encoding="utf-8")
    result = calibrate(path, trials=trials)
    return [{"set": k, "account": f.account, "parameter": f.parameter, "truth":
             values[f.account][f.parameter], "value": f.value, "low": f.low, "high": f.high,
             "identified": f.identified,
             "covered": bool(f.low <= values[f.account][f.parameter] <= f.high)}
            for f in result.fits]


def table(rows: list[dict]) -> list[dict]:
    out = []
    for p in (*PARAMETERS, "all"):
        mine = [r for r in rows if p in ("all", r["parameter"])]
        ident = [r for r in mine if r["identified"]]
        weak = [r for r in mine if not r["identified"]]
        out.append({"parameter": p, "fits": len(mine), "identified": len(ident),
                    "covered_identified": sum(r["covered"] for r in ident),
                    "coverage_identified": (sum(r["covered"] for r in ident) / len(ident)
                                            if ident else None),
                    "covered_flagged": sum(r["covered"] for r in weak), "flagged": len(weak)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=6)
    parser.add_argument("--trials", type=int, default=150)
    args = parser.parse_args()
    started, rows = time.perf_counter(), []
    for k in range(args.sets):
        with tempfile.TemporaryDirectory() as tmp:
            rows += recover(k, Path(tmp), args.trials)
        print(f"set {k}: {sum(r['covered'] for r in rows if r['set'] == k)} of "
              f"{sum(r['set'] == k for r in rows)} intervals hold the truth", flush=True)
    summary = table(rows)
    print("| parameter | fits | identified | truth in the 90% interval (identified) | "
          "truth in the interval (flagged) |")
    print("| --- | --- | --- | --- | --- |")
    for s in summary:
        share = "-" if s["coverage_identified"] is None else f"{s['coverage_identified']:.0%}"
        print(f"| {s['parameter']} | {s['fits']} | {s['identified']} | "
              f"{s['covered_identified']} of {s['identified']} ({share}) | "
              f"{s['covered_flagged']} of {s['flagged']} |")
    RESULTS.write_text(json.dumps({"sets": args.sets, "trials": args.trials, "factor": FACTOR,
                                   "wall_time_s": round(time.perf_counter() - started, 1),
                                   "summary": summary, "fits": rows}, indent=1),
                       encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
