"""The reshare parameters fitted from root followers and cascade sizes alone, checked on
the real retweet cascades.

A company's export gives its accounts' followers and their posts' reposts, not who reshared
or when. This fit uses only that much of the 100 real cascades: each root's followers and
its cascade's size. It searches ``share_rate`` and ``content_sigma`` (Optuna CMA-ES, the
sampler ``riskmodel calibrate`` uses; every trial on the same seed, so that trials differ by
their parameters only) for simulated cascades, from the same roots and selected as the
sample was, whose sizes are closest to the real ones: the two-sample KS statistic of the
sizes, the rank correlation of size with root followers (Fisher |z| over five) and the share
of roots that cannot reach 2,000 reshares. The other mechanisms keep the values fitted to the
cascades' times and resharers (validation/results/cascades.json), and the spread between
posts of their resharers' follower level is measured from the data (the standard deviation
of the log of each cascade's median resharer followers).

The 90 % confidence set is every trial the sizes do not reject: the size test at p >= 0.10,
the rank correlation within |z| <= 1.645 and at most 20 % of roots short. At the fit, fresh
simulated cascades are compared with the real ones on what the fit did not use, the
reshares per follower reached (size over the followers of the root and every resharer), and
on the sizes again, both by two-sample KS tests.

Run ``python validation/real_reshares.py`` (about 2 minutes); it writes
validation/results/real_reshares.json and prints the table of docs/VALIDATION.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import optuna
from scipy import stats

from validation.real_cascades import (
    ALPHA,
    DATA,
    RESULTS,
    Cascades,
    Params,
    load_params,
    rank_correlations,
    read_real,
    simulate,
)
from validation.tables import environment, format_table, write_json

FITTED = dict(share_rate=(5e-4, 2e-2), content_sigma=(0.3, 3.0))  # search ranges (log)
CONFIDENCE = 0.90
SHORT = 0.2  # at most this share of roots may fail to reach the threshold


@dataclass(frozen=True)
class SizeFit:
    """How far simulated sizes are from the real ones: the KS statistic and p-value of the
    sizes, Fisher's |z| of the rank correlation with root followers, the share of roots
    short of the threshold."""

    ks: float
    p: float
    z: float
    short: float

    @property
    def distance(self) -> float:
        """The search's objective (0 for identical sizes)."""
        return self.ks + self.z / 5 + self.short

    @property
    def accepted(self) -> bool:
        """Whether the sizes do not reject the parameters at the confidence level."""
        return bool(self.p >= 1 - CONFIDENCE and self.z <= stats.norm.ppf(CONFIDENCE / 2 + 0.5)
                    and self.short <= SHORT)


def audience_spread(folder: Path = DATA) -> float:
    """The standard deviation, between cascades, of the log of their resharers' median
    follower count."""
    medians = [np.median(np.loadtxt(f, skiprows=1, ndmin=2)[2:, 1])
               for f in sorted(folder.glob("RT*.txt"))]
    return float(np.std(np.log(medians)))


def size_fit(real: Cascades, sim: Cascades, short: float) -> SizeFit:
    """How close ``sim``'s sizes are to ``real``'s."""
    if len(sim.size) < 10:
        return SizeFit(1.0, 0.0, 10.0, short)
    test = stats.ks_2samp(real.size, sim.size)
    return SizeFit(float(test.statistic), float(test.pvalue), rank_correlations(real, sim)[2],
                   short)


def search(real: Cascades, base: Params, trials: int, seed: int) -> optuna.Study:
    """CMA-ES over the reshare parameters, every trial's cascades from ``seed``."""
    def objective(trial: optuna.Trial) -> float:
        params = dataclasses.replace(base, **{k: trial.suggest_float(k, lo, hi, log=True)
                                              for k, (lo, hi) in FITTED.items()})
        fit = size_fit(real, *simulate(real.root, params, np.random.default_rng(seed),
                                       per_root=3))
        trial.set_user_attr("accepted", fit.accepted)
        return fit.distance

    study = optuna.create_study(sampler=optuna.samplers.CmaEsSampler(seed=seed))
    study.enqueue_trial({k: float(np.clip(getattr(base, k), lo, hi))
                         for k, (lo, hi) in FITTED.items()})  # start from the cascade fit
    study.optimize(objective, n_trials=trials)
    return study


def two_sample(name: str, real: np.ndarray, sim: np.ndarray) -> dict[str, Any]:
    """A row: medians and the KS two-sample test."""
    test = stats.ks_2samp(real, sim)
    return dict(quantity=name, real=f"{np.median(real):.3g}", simulated=f"{np.median(sim):.3g}",
                p=float(test.pvalue), passed=bool(test.pvalue >= ALPHA))


def checks(real: Cascades, sim: Cascades, label: str) -> list[dict[str, Any]]:
    """The per-follower reshare probability and the sizes, real against ``sim``."""
    return [dict(two_sample("reshares per follower reached", real.per_follower,
                            sim.per_follower), parameters=label),
            dict(two_sample("cascade size", real.size, sim.size), parameters=label)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    real = read_real()
    full = load_params()
    base = dataclasses.replace(full, audience_sigma=audience_spread())
    study = search(real, base, args.trials, args.seed)
    done = [t for t in study.trials if t.value is not None]
    kept = [t for t in done if t.user_attrs["accepted"]]
    fitted = dataclasses.replace(base, **study.best_params)
    check = np.random.default_rng(args.seed + 1)
    rows = checks(real, simulate(real.root, fitted, check, per_root=5)[0], "fitted from sizes")
    rows += checks(real, simulate(real.root, full, np.random.default_rng(args.seed + 1),
                                  per_root=5)[0], "cascade fit, one audience level")
    intervals = {k: [min(t.params[k] for t in kept), max(t.params[k] for t in kept)]
                 if kept else None for k in FITTED}
    write_json(RESULTS / "real_reshares.json", {
        "fitted": {k: getattr(fitted, k) for k in FITTED}, "intervals": intervals,
        "confidence": CONFIDENCE, "audience_sigma": base.audience_sigma,
        "cascade_fit": {k: getattr(full, k) for k in FITTED}, "trials": args.trials,
        "accepted_trials": len(kept), "seed": args.seed, "rows": rows,
        "environment": environment(["numpy", "scipy", "optuna", "riskmodel"])})
    print(f"audience spread {base.audience_sigma:.2f}; {len(kept)} of {len(done)} trials "
          "not rejected")
    print(format_table(["parameter", "fitted from sizes", f"{CONFIDENCE:.0%} set",
                        "cascade fit"],
                       [[k, f"{getattr(fitted, k):.4g}",
                         "-" if not intervals[k] else
                         f"{intervals[k][0]:.4g} - {intervals[k][1]:.4g}",
                         f"{getattr(full, k):.4g}"] for k in FITTED]))
    print(format_table(["parameters", "quantity", "real", "simulated", "KS p", "pass"],
                       [[r["parameters"], r["quantity"], r["real"], r["simulated"],
                         f"{r['p']:.3g}", "yes" if r["passed"] else "no"] for r in rows]))


if __name__ == "__main__":
    main()
