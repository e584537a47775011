"""Fit the cascade mechanisms to the 100 real retweet cascades with Optuna.

Searches the parameters of :class:`validation.real_cascades.Params` (TPE sampler, fixed
seed) for the simulated cascades closest to the real ones: the sum of the two-sample KS
statistics of size, first-hour share, first-day share and resharers' followers, plus the
tail exponent's and rank correlation's z-scores over five and the share of roots that
cannot reach the threshold. Writes validation/results/cascades.json, which
validation/real_cascades.py reads and the engine's defaults (``FIT_*`` in
sim/scenario/schema.py) equal.

Run ``python validation/calibrate_cascades.py --trials 80`` (about 10 minutes).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import optuna

from validation.real_cascades import RESULTS, Params, compare, read_real, simulate
from validation.tables import environment, write_json

RANGES = dict(share_rate=(2e-3, 3e-2, True), content_sigma=(0.5, 3.0, False),
              max_branching=(0.5, 0.99, False), theta=(0.1, 1.5, False),
              flat_seconds=(60.0, 3600.0, True), pace_sigma=(0.0, 2.0, False),
              reach_slope=(0.0, 0.8, False))


def distance(rows: list[dict]) -> float:
    """How far the simulated cascades are from the real ones (0 is identical)."""
    return sum(r["statistic"] / (5.0 if "|z|" in r["test"] else 1.0) for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=80)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--storage", help="an Optuna storage (sqlite:///study.db) to resume "
                        "an interrupted fit from; default in memory")
    args = parser.parse_args()
    real = read_real()

    def objective(trial: optuna.Trial) -> float:
        params = Params(**{k: trial.suggest_float(k, lo, hi, log=log)
                           for k, (lo, hi, log) in RANGES.items()})
        sim, short = simulate(real.root, params, np.random.default_rng(args.seed), per_root=3)
        return distance(compare(real, sim, short)) if len(sim.size) > 10 else 100.0

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=args.seed),
                                storage=args.storage, study_name="cascades",
                                load_if_exists=True)
    study.optimize(objective, n_trials=args.trials - len(study.trials), show_progress_bar=False)
    params = Params(**study.best_params)
    sim, short = simulate(real.root, params, np.random.default_rng(args.seed + 1), per_root=5)
    rows = compare(real, sim, short)
    write_json(RESULTS / "cascades.json", {
        "params": asdict(params), "distance": distance(rows), "trials": args.trials,
        "rows": rows, "environment": environment(["numpy", "scipy", "optuna", "riskmodel"])})
    print(asdict(params), distance(rows))


if __name__ == "__main__":
    main()
