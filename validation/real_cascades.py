"""Simulated reshare cascades against the 100 real Twitter retweet cascades.

The real cascades (Kobayashi and Lambiotte 2016, a subset of Zhao et al.'s SEISMIC data)
were sampled with at least 2,000 retweets each. The simulated ones start from roots with the
same follower counts and are selected the same way: for each real root, posts are simulated
until ``per_root`` of them reach 2,000 reshares within the week the data covers.

A post is a branching process with the engine's mechanisms: its content factor ``c``
(lognormal, mean 1, capped where the post's branching factor would reach ``max_branching``:
the audience saturates; the cap is on the branching among the post's own resharers, whose
follower level varies between posts by ``audience_sigma`` in log, 0 in the cascade fit); a
follower of the root sees it with the root's reach rate, which
falls with its follower count F as ``REACH_10K (F / 10,000)^-reach_slope``, a follower of a
resharer with ``TIE_VIEW``; a viewer reshares with probability ``share_rate c
exp(-age / freshness_days)``, ``age`` the time since the post when it sees it; a
resharer's followers are lognormal with the real resharers' median and spread
(``FOLLOWERS_MEDIAN``, ``FOLLOWERS_SIGMA``); each reshare comes a reaction time (the SEISMIC
kernel, flat for ``flat_seconds``, then a power law of exponent ``theta``, stretched by the
post's pace factor, lognormal of median 1 and spread ``pace_sigma``) after the share it
answers. Reshares after the week are not counted, as in the data.

Run ``python validation/real_cascades.py`` to compare at the fitted parameters
(validation/results/cascades.json, written by validation/calibrate_cascades.py); it prints
the table of docs/VALIDATION.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from scipy import stats

from sim.kernel.virality import content_factors, reaction_delays
from validation.tables import environment, format_table, write_json

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "retweet-cascades" / "training"
RESULTS = ROOT / "validation" / "results"
THRESHOLD = 2_000  # the sample's selection: at least this many retweets
WEEK = 7 * 86_400.0  # seconds the data covers after each original tweet
# the real resharers' follower counts, SAMPLED per cascade as the test samples them (so each
# cascade weighs the same): median 153, and sigma of their log from the interquartile range
# (1.63; 1.59 from the 10-90 % range); lognormal
FOLLOWERS_MEDIAN, FOLLOWERS_SIGMA = 153.0, 1.6
CAP = 50_000  # a simulated cascade is stopped here (the largest real one has 17,183)
TIE_VIEW = 0.1  # the engine's default tie_view
REACH_10K = 0.2  # reach rate of a 10,000-follower account (the dealer default; CAL A1 row 7)
ALPHA = 0.05  # two-sample tests pass at p-values at least this
HOPEFUL = 40  # posts of a batch simulated at most (the first ones that could qualify)
SAMPLED = 10  # resharers' follower counts kept per cascade (the test's sample: 1,000 real)


@dataclass(frozen=True)
class Params:
    """The fitted mechanisms: reshare probability per viewer, content spread and cap, the
    kernel's exponent and flat part, the spread of posts' pace, how fast a post goes stale,
    how reach falls with followers, and the spread between posts of their resharers'
    follower level (0: every post's resharers drawn alike)."""

    share_rate: float
    content_sigma: float
    max_branching: float
    theta: float
    flat_seconds: float
    pace_sigma: float
    freshness_days: float
    reach_slope: float
    audience_sigma: float = 0.0

    followers_mean = FOLLOWERS_MEDIAN * float(np.exp(FOLLOWERS_SIGMA ** 2 / 2))


@dataclass(frozen=True)
class Cascades:
    """Per cascade: the root's followers, size, shares in the first hour and day, and the
    followers of the root and every resharer together (its exposure, so that size / exposure
    is the reshare probability per follower reached); and the follower counts of ``SAMPLED``
    of its resharers (all of them for fewer), pooled."""

    root: np.ndarray
    size: np.ndarray
    hour: np.ndarray
    day: np.ndarray
    exposure: np.ndarray
    resharers: np.ndarray

    @property
    def per_follower(self) -> np.ndarray:
        """Reshares per follower of the root and the resharers."""
        return self.size / self.exposure


def read_real(folder: Path = DATA) -> Cascades:
    """The real cascades of ``folder`` (files RT<k>.txt)."""
    files = sorted(folder.glob("RT*.txt"), key=lambda f: int(f.stem[2:]))
    if not files:
        raise FileNotFoundError(f"no RT*.txt cascades in {folder}")
    rows, resharers = [], []
    rng = np.random.default_rng(0)  # which resharers of each cascade the test samples
    for f in files:
        a = np.loadtxt(f, skiprows=1, ndmin=2)
        t, k = a[1:, 0], a[1:, 1]
        rows.append((a[0, 1], len(t), np.mean(t < 3600), np.mean(t < 86_400), a[:, 1].sum()))
        resharers.append(rng.choice(k[1:], size=min(SAMPLED, len(k) - 1), replace=False))
    return Cascades(*map(np.array, zip(*rows)), np.concatenate(resharers))


def simulate(roots: np.ndarray, params: Params, rng: np.random.Generator, per_root: int = 5,
             batch: int = 400, max_batches: int = 25) -> tuple[Cascades, float]:
    """Selected simulated cascades from each root, and the share of roots that produced
    fewer than ``per_root`` in ``max_batches * batch`` posts."""
    found: list[tuple] = []
    short = 0
    for f in roots:
        got = []
        for _ in range(max_batches):
            got += _batch(float(f), params, rng, batch)
            if len(got) >= per_root:
                break
        short += len(got) < per_root
        found += got[:per_root]
    if not found:
        empty = np.empty(0)
        return Cascades(*[empty] * 6), 1.0
    *columns, resharers = zip(*found)
    return Cascades(*map(np.array, columns), np.concatenate(resharers)), short / len(roots)


def _batch(root: float, params: Params, rng: np.random.Generator, batch: int) -> list[tuple]:
    """The posts of one batch from one root that reach the threshold."""
    # each post spreads among resharers of its own follower level (exp(audience_sigma z)
    # around the median); the followers of one post's resharers spread by the rest of
    # FOLLOWERS_SIGMA, so that the pooled spread stays the data's
    level = params.audience_sigma * rng.standard_normal(batch)
    mean_followers = params.followers_mean * np.exp(level - params.audience_sigma ** 2 / 2)
    per_view = params.share_rate * np.minimum(
        content_factors(rng.random(batch), params.content_sigma),
        params.max_branching / (params.share_rate * TIE_VIEW * mean_followers))
    branching = per_view * TIE_VIEW * mean_followers
    direct = per_view * root * min(1.0, REACH_10K * (root / 1e4) ** -params.reach_slope)
    # a post whose expected size is far below the threshold cannot reach it: skip it
    hopeful = np.flatnonzero(direct / (1 - branching) >= THRESHOLD / 8)
    if not len(hopeful):
        return []
    hopeful = hopeful[:HOPEFUL]
    per_view, direct, level = per_view[hopeful], direct[hopeful], level[hopeful]
    within = np.sqrt(FOLLOWERS_SIGMA ** 2 - params.audience_sigma ** 2)
    n = len(per_view)
    pace = np.exp(params.pace_sigma * rng.standard_normal(n))
    cid = np.repeat(np.arange(n), rng.poisson(direct))
    t = reaction_delays(rng.random(len(cid)), params.theta, params.flat_seconds) * pace[cid]
    sizes = np.zeros(n, dtype=np.int64)
    hour = np.zeros(n, dtype=np.int64)
    day = np.zeros(n, dtype=np.int64)
    exposure = np.zeros(n)
    sampled: list[list[np.ndarray]] = [[] for _ in range(n)]
    while len(cid):
        keep = (t < WEEK) & (sizes[cid] < CAP)
        cid, t = cid[keep], t[keep]
        sizes += np.bincount(cid, minlength=n)
        hour += np.bincount(cid[t < 3600], minlength=n)
        day += np.bincount(cid[t < 86_400], minlength=n)
        k = FOLLOWERS_MEDIAN * np.exp(level[cid] + within * rng.standard_normal(len(cid)))
        exposure += np.bincount(cid, weights=k, minlength=n)
        for i in np.unique(cid[(sizes[cid] >= THRESHOLD // 4) & (t < 3600)]):
            sampled[i].append(k[cid == i][:SAMPLED])
        stale = np.exp(-t / (params.freshness_days * 86_400.0))  # at their followers' view
        kids = rng.poisson(per_view[cid] * stale * TIE_VIEW * k)
        cid, parent_t = np.repeat(cid, kids), np.repeat(t, kids)
        t = parent_t + pace[cid] * reaction_delays(rng.random(len(cid)), params.theta,
                                                   params.flat_seconds)
    out = []
    for i in np.flatnonzero(sizes >= THRESHOLD):
        k = np.concatenate(sampled[i] or [np.empty(0)])[:SAMPLED]
        out.append((root, sizes[i], hour[i] / sizes[i], day[i] / sizes[i],
                    root + exposure[i], k))
    return out


def tail_exponent(sizes: np.ndarray, x_min: float = THRESHOLD) -> tuple[float, float]:
    """Maximum-likelihood power-law exponent of the sizes at or above ``x_min`` (continuous
    Hill estimator, Clauset, Shalizi and Newman 2009, eq. 3.1) and its standard error."""
    x = sizes[sizes >= x_min].astype(float)
    alpha = 1.0 + len(x) / np.log(x / x_min).sum()
    return float(alpha), float((alpha - 1.0) / np.sqrt(len(x)))


def rank_correlations(real: Cascades, sim: Cascades) -> tuple[float, float, float]:
    """Spearman's correlation of size with root followers, real and simulated, and Fisher's
    |z| for their difference."""
    rho_real = float(stats.spearmanr(real.root, real.size).statistic)
    rho_sim = float(stats.spearmanr(sim.root, sim.size).statistic)
    z = (np.arctanh(rho_real) - np.arctanh(rho_sim)) / np.sqrt(
        1 / (len(real.size) - 3) + 1 / (len(sim.size) - 3))
    return rho_real, rho_sim, float(abs(z))


def compare(real: Cascades, sim: Cascades, short: float) -> list[dict[str, Any]]:
    """The rows of the check: each quantity, real and simulated, the test and its verdict."""
    rows = []

    def two_sample(name: str, a: np.ndarray, b: np.ndarray, fmt: str) -> None:
        test = stats.ks_2samp(a, b)
        rows.append(dict(quantity=name, real=format(np.median(a), fmt),
                         simulated=format(np.median(b), fmt),
                         test=f"KS two-sample p = {test.pvalue:.3f}",
                         passed=bool(test.pvalue >= ALPHA), statistic=float(test.statistic)))

    two_sample("cascade size (median)", real.size, sim.size, ".0f")
    a_real, se_real = tail_exponent(real.size)
    a_sim, se_sim = tail_exponent(sim.size)
    z = abs(a_real - a_sim) / np.hypot(se_real, se_sim)
    rows.append(dict(quantity="size tail exponent (MLE above 2,000)",
                     real=f"{a_real:.2f} +- {se_real:.2f}",
                     simulated=f"{a_sim:.2f} +- {se_sim:.2f}",
                     test=f"|z| = {z:.2f} (at most 2)", passed=bool(z <= 2), statistic=float(z)))
    two_sample("share of reshares in the first hour (median)", real.hour, sim.hour, ".3f")
    two_sample("share of reshares in the first day (median)", real.day, sim.day, ".3f")
    two_sample(f"resharers' followers ({SAMPLED} per cascade, median)", real.resharers,
               sim.resharers, ".0f")
    rho_real, rho_sim, z = rank_correlations(real, sim)
    rows.append(dict(quantity="rank correlation of size with root followers",
                     real=f"{rho_real:.2f}", simulated=f"{rho_sim:.2f}",
                     test=f"Fisher |z| = {z:.2f} (at most 2)", passed=bool(z <= 2),
                     statistic=z))
    rows.append(dict(quantity="roots whose posts reached 2,000 reshares within 10,000 posts",
                     real="100 %", simulated=f"{1 - short:.0%}", test="at least 80 %",
                     passed=bool(short <= 0.2), statistic=float(short)))
    return rows


def load_params(path: Path = RESULTS / "cascades.json") -> Params:
    """The fitted parameters written by validation/calibrate_cascades.py."""
    return Params(**json.loads(path.read_text())["params"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-root", type=int, default=5)
    args = parser.parse_args()
    params = load_params()
    real = read_real()
    sim, short = simulate(real.root, params, np.random.default_rng(args.seed), args.per_root)
    rows = compare(real, sim, short)
    write_json(RESULTS / "real_cascades.json", {
        "params": asdict(params), "seed": args.seed, "per_root": args.per_root,
        "simulated": len(sim.size), "rows": rows,
        "environment": environment(["numpy", "scipy", "riskmodel"])})
    print(f"parameters: {asdict(params)}; {len(sim.size)} simulated cascades")
    print(format_table(["quantity", "real", "simulated", "test", "pass"],
                       [[r["quantity"], r["real"], r["simulated"], r["test"],
                         "yes" if r["passed"] else "no"] for r in rows]))


if __name__ == "__main__":
    main()
