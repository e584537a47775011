"""Fit the cascade mechanisms to the 100 real retweet cascades with Optuna.

Searches the parameters of :class:`validation.real_cascades.Params` (TPE sampler, fixed
seed) for the simulated cascades closest to the real ones: the sum of the two-sample KS
statistics of size, first-hour share, first-day share and resharers' followers, plus the
tail exponent's and rank correlation's z-scores over five and the share of roots that
cannot reach the threshold. Writes validation/results/cascades.json, which
validation/real_cascades.py reads and the engine's defaults (``FIT_*`` in
sim/scenario/schema.py) equal.

The objective is noisy (a few hundred simulated cascades per trial), so the eight lowest
trials are simulated again on two fresh seeds with more cascades, and the one closest on
average among those passing every row of the check wins.

Run ``python validation/calibrate_cascades.py --trials 220`` (about 25 minutes on 2 cores).
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
              freshness_days=(0.05, 20.0, True),
              reach_slope=(0.0, 0.8, False))


RECHECKED = 8  # lowest trials checked again


def distance(rows: list[dict]) -> float:
    """How far the simulated cascades are from the real ones (0 is identical)."""
    return sum(r["statistic"] / (5.0 if "|z|" in r["test"] else 1.0) for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=220)
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
    # the objective is noisy: the lowest trials are checked again on two fresh seeds with
    # more cascades, and the one closest on average among those that pass every row wins
    def recheck(trial: optuna.trial.FrozenTrial) -> tuple[bool, float, list[dict]]:
        runs = [compare(real, *simulate(real.root, Params(**trial.params),
                                        np.random.default_rng(seed), per_root=5))
                for seed in (args.seed + 1, args.seed + 2)]
        return (all(r["passed"] for rows in runs for r in rows),
                float(np.mean([distance(rows) for rows in runs])), runs[0])
    done = [t for t in study.trials if t.value is not None]
    checked = [(recheck(t), t) for t in sorted(done, key=lambda t: t.value)[:RECHECKED]]
    (passed, mean, rows), best = min(checked, key=lambda c: (not c[0][0], c[0][1]))
    params = Params(**best.params)
    write_json(RESULTS / "cascades.json", {
        "params": asdict(params), "trial": best.number, "passed_rechecks": passed,
        "distance": mean, "trials": args.trials,
        "rows": rows, "environment": environment(["numpy", "scipy", "optuna", "riskmodel"])})
    print(asdict(params), distance(rows))


if __name__ == "__main__":
    main()
