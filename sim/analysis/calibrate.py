"""Calibration: a matrix's account parameters from its own accounts' observed data.

Each account's posting rate is read off its posts (a Poisson rate: its Gamma posterior). Its
reach rate, share rate and follow rate are fitted by simulated moments: the engine runs the
observed days from the observed followers, and three statistics per account (views per
follower-day, reposts per view, net follower growth per day) are matched to the data's, each
weighted by its standard error (the data's day-to-day spread plus the simulation's). Optuna
searches one study per account, all in lockstep (one engine run scores every account's trial);
the interval of each parameter is the Laplace approximation at the best trial (the engine's
finite-difference Jacobian of the statistics, and a prior of a factor of 10 either way around
the scenario's value), so a parameter the data do not inform keeps the prior's width and is
flagged. docs/MODEL.md, "Calibration", states the method and its simplifications.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from sim.engine.replication import simulate
from sim.errors import Issue, ScenarioError
from sim.i18n import N_
from sim.runs.facts import run_facts
from sim.runs.montecarlo import Progress, prepare
from sim.runs.pool import WorkerPool
from sim.scenario.layout import resolve_scenario
from sim.scenario.observed import Observed, read_follower_sample, read_observed
from sim.scenario.schema import CALIBRATED, Scenario, resolve_path
from sim.world.build import build_world
from sim.world.model import World

__all__ = ["STATISTICS", "CalibrationResult", "ParameterFit", "calibrate", "moments",
           "synthetic_observations"]

STATISTICS = ("views", "reposts", "growth")
"""Per account: log views per follower-day, the mean daily log of reposts per view, net
follower growth per day (a share of followers); each informs mainly one of
:data:`CALIBRATED`."""
PRIOR_FACTOR = 10.0  # the prior's 90% interval: the scenario's value times or over this
PRIOR_SD = math.log(PRIOR_FACTOR) / stats.norm.ppf(0.95)  # in log space
IDENTIFIED = 0.5  # posterior sd below this share of the prior's: the data inform it
STEP = 0.5  # log step of the Jacobian's finite differences
SLOPE_RUNS = 4  # replications per finite difference (common random numbers)
SPREAD_RUNS = 8  # replications at the fit, for the statistics' spread
LEVEL = 0.90  # intervals


@dataclass(frozen=True)
class ParameterFit:
    """One account parameter as calibrated: its value, 90% interval, and where it came from."""

    account: str
    parameter: str
    value: float
    low: float
    high: float
    prior: float | None  # None: no prior (read off the data directly)
    identified: bool
    source: str


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """A calibration, as data.

    ``scenario``: the calibrated scenario (accounts expanded, fitted values set), from
    ``original`` (whose relative paths start at ``base_dir``);
    ``fits``: each fitted parameter; ``samples``: draws of every fitted parameter, columns
    ``account.parameter``; ``observed`` and ``simulated``: the statistics per account
    (arrays (accounts, statistics)), with the ``errors`` the fit weighed their differences
    by (the larger of the data's day-to-day error and the model's spread, and the model's);
    ``bands``: per observed series (views, reposts, followers) the simulated P5, mean and P95
    per day (days, accounts) at the fit, beside ``observed_<series>``, the observed series;
    ``overlaps``: per account the share of its sampled followers who follow the brand, with
    its interval.
    """

    scenario: Scenario
    original: Scenario
    base_dir: Path
    observed_data: Observed
    fits: list[ParameterFit]
    samples: dict[str, np.ndarray]
    observed: np.ndarray
    errors: np.ndarray
    simulated: np.ndarray
    bands: dict[str, np.ndarray]
    overlaps: dict[str, tuple[float, float, float]]
    trials: int
    meta: dict[str, Any] = field(default_factory=dict)



def calibrate(scenario: Scenario | str | Path, data: str | Path | None = None, *,
              trials: int = 150, replications: int = 2, samples: int = 400,
              workers: int | None = None, seed: int | None = None,
              progress: Progress | None = None) -> CalibrationResult:
    """Fit ``scenario``'s accounts to observed data (``data``, else the scenario's
    ``calibration.data``): ``trials`` rounds of the per-account studies, each scoring
    ``replications`` engine runs of the observed days; ``samples`` parameter draws."""
    started = time.perf_counter()
    scenario, base_dir, meta = prepare(scenario, seed=seed)
    spec = scenario.calibration
    source = data if data is not None else spec.data
    if source is None:
        raise ScenarioError([Issue(meta["source"] or "scenario", "calibration.data",
                                   "expected observed data: --data PATH or calibration.data")])
    path = Path(data) if data is not None else resolve_path(source, base_dir)
    resolved = resolve_scenario(scenario)
    ids = [a.id for a in resolved.matrix.accounts]
    observed = read_observed(path, ids, dict(spec.columns))
    overlaps = {}
    if spec.follower_sample:
        sample = read_follower_sample(resolve_path(spec.follower_sample, base_dir), ids)
        overlaps = overlap_estimates(sample, ids[0])
    window = _window(scenario, resolved, observed, overlaps)
    world = build_world(window, base_dir)
    index = [ids.index(a) for a in observed.accounts]
    obs, obs_se = moments(observed.posts, observed.views, observed.reposts,
                          observed.followers)
    prior = {p: np.array([getattr(window.matrix.accounts[i], p) for i in index])
             for p in CALIBRATED}
    bounds = {p: _bounds(prior[p]) for p in CALIBRATED}
    workers = max(1, workers or os.cpu_count() or 1)
    runs = replications
    with _Engine(world, window, index, workers) as engine:
        found = _search(engine, obs, obs_se, prior, bounds, trials, runs, window.seed,
                        progress)
        steps = [_stepped(found, a, p) for a in range(len(index)) for p in CALIBRATED]
        at_found, *stepped = engine.batch([found, *steps], range(max(runs, SLOPE_RUNS)))
        # d statistic (account, statistic) / d log parameter (account, parameter): one run
        # per account and parameter, so that accounts that pass posts on move each other
        base = _mean_moments(at_found)[0]
        jacobian = np.stack([(_mean_moments(s)[0] - base).ravel() / STEP for s in stepped],
                            axis=-1)
        at_found += engine.days(found, range(len(at_found), max(runs, SPREAD_RUNS)))
        centre, sim_se = _mean_moments(at_found)
        # the data's error: the larger of its day-to-day estimate and the statistic's spread
        # over the model's replications (heavy-tailed days make the first too small)
        spread = sim_se * math.sqrt(len(at_found))
        se = np.sqrt(np.fmax(obs_se, spread) ** 2 + sim_se ** 2)
        mean, cov = _laplace(obs, se, centre, jacobian, found, prior, bounds)
        stepped_to = {p: mean[:, k] for k, p in enumerate(CALIBRATED)}
        sims = engine.days(stepped_to, range(max(runs, SPREAD_RUNS)))
        # the linear step is kept for the accounts it brings closer to the data (a noisy
        # slope can overshoot); the fit is rerun where any account stays where it was
        better = _objective(_mean_moments(sims)[0], obs, se, stepped_to, prior) < \
            _objective(centre, obs, se, found, prior)
        best = {p: np.where(better, stepped_to[p], found[p]) for p in CALIBRATED}
        if not better.all():
            sims = engine.days(best, range(max(runs, SPREAD_RUNS)))
        if progress:
            progress(trials + 1, trials + 1)
    fitted, _ = _mean_moments(sims)
    draws, fits = _posterior(observed, best, cov, prior, bounds, samples, window.seed)
    calibrated = _calibrated(window, resolved, scenario, fits, overlaps)
    bands = _bands(sims, observed)
    meta.update(**run_facts(), workers=workers, replications=runs, data=str(path),
                wall_time_s=round(time.perf_counter() - started, 3))
    return CalibrationResult(calibrated, scenario, base_dir, observed, fits, draws, obs,
                             se, fitted, bands, overlaps, trials, meta)


def moments(posts: np.ndarray, views: np.ndarray, reposts: np.ndarray, followers: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """The :data:`STATISTICS` per account from its day-by-day series (days, accounts), in
    people, and their standard errors from the day-to-day spread (days taken as
    independent); NaN where a series is missing."""
    n_accounts = views.shape[1]
    values, errors = np.full((n_accounts, 3), np.nan), np.full((n_accounts, 3), np.nan)
    for a in range(n_accounts):
        posting = ~(posts[:, a] == 0)  # days it posted (all days where posts are unknown)
        values[a, 0], errors[a, 0] = _mean_log_ratio(
            np.where(posting, views[:, a], np.nan), followers[:, a], shift=0.0)
        values[a, 1], errors[a, 1] = _mean_log_ratio(reposts[:, a], views[:, a])
        f = followers[:, a]
        days = np.flatnonzero(np.isfinite(f))
        mean = f[days].mean() if len(days) >= 3 else 0.0
        if mean > 0:
            step = np.diff(f[days]) / np.diff(days)
            values[a, 2] = (f[days[-1]] - f[days[0]]) / (days[-1] - days[0]) / mean
            errors[a, 2] = step.std(ddof=1) / math.sqrt(len(step)) / mean
    return values, errors


def _mean_log_ratio(x: np.ndarray, y: np.ndarray, shift: float = 0.5) -> tuple[float, float]:
    """The mean over the days with ``y > 0`` (and ``x > 0`` unless ``shift``) of
    log((x + shift) / y), and its standard error: for heavy-tailed counts (a few viral days)
    a statistic whose spread is close to normal, unlike the log of a ratio of sums."""
    ok = np.isfinite(x) & np.isfinite(y) & (y > 0) & ((x > 0) | (shift > 0))
    if ok.sum() < 3:
        return np.nan, np.nan
    logs = np.log((x[ok] + shift) / y[ok])
    return float(logs.mean()), float(logs.std(ddof=1) / math.sqrt(ok.sum()))


def overlap_estimates(sample: dict[str, np.ndarray], brand: str
                      ) -> dict[str, tuple[float, float, float]]:
    """Per account, the share of its sampled followers who also follow the brand: the
    estimate and the 90% Jeffreys interval."""
    if brand not in sample:
        return {}
    out = {}
    for account, users in sample.items():
        if account == brand or not len(users):
            continue
        k, n = int(np.isin(users, sample[brand]).sum()), len(users)
        lo, hi = stats.beta.ppf([(1 - LEVEL) / 2, (1 + LEVEL) / 2], k + 0.5, n - k + 0.5)
        out[account] = (k / n, float(lo), float(hi))
    return out


def _window(scenario: Scenario, resolved: Scenario, observed: Observed, overlaps: dict
            ) -> Scenario:
    """The scenario of the observed days: no events, each observed account starting from
    its observed followers, posting at its observed rate, with the estimated overlaps."""
    accounts = []
    for account in resolved.matrix.accounts:
        update: dict[str, Any] = {}
        if account.id in observed.accounts:
            a = observed.accounts.index(account.id)
            first = observed.followers[np.isfinite(observed.followers[:, a]), a]
            if len(first):
                update["followers"] = float(first[0])
            posts = observed.posts[:, a]
            if np.isfinite(posts).any():
                update["posts_per_day"] = float(np.nanmean(posts))
        if account.id in overlaps:
            update["overlap"] = overlaps[account.id][0]
        accounts.append(account.model_copy(update=update))
    matrix = resolved.matrix.model_copy(update={"accounts": accounts})
    return resolve_scenario(resolved.model_copy(update={  # the scale follows the followers
        "matrix": matrix, "audience": scenario.audience, "events": [], "variants": [],
        "horizon_days": len(observed.days)}))


def _bounds(prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The search's range: a factor of 100 either way of the prior, probabilities at most 1."""
    return prior / PRIOR_FACTOR ** 2, np.minimum(prior * PRIOR_FACTOR ** 2, 1.0)


class _Engine:
    """Runs the observed days at given account parameters, on the workers; returns each
    replication's series in people."""

    def __init__(self, world: World, scenario: Scenario, index: list[int], workers: int):
        self.world, self.scenario, self.index = world, scenario, index
        self.pool = WorkerPool(workers, _share, (world, scenario, index),
                               name=lambda key: f"calibration run {key}") if workers > 1 \
            else None

    def __enter__(self) -> _Engine:
        if self.pool:
            self.pool.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.pool:
            self.pool.__exit__(*exc)

    def days(self, values: dict[str, np.ndarray], reps: range) -> list[dict[str, np.ndarray]]:
        """The replications ``reps`` at one set of values."""
        return self.batch([values], reps)[0]

    def batch(self, value_sets: list[dict[str, np.ndarray]], reps: range
              ) -> list[list[dict[str, np.ndarray]]]:
        """The replications ``reps`` at each set of values, all on the workers at once."""
        tasks = {(i, r): (values, r) for i, values in enumerate(value_sets) for r in reps}
        if self.pool is None:
            done = {key: _run(self.world, self.scenario, self.index, *args)
                    for key, args in tasks.items()}
        else:
            done = dict(self.pool.run(_run_shared, tasks))
        return [[done[(i, r)] for r in reps] for i in range(len(value_sets))]


_shared: dict[str, Any] = {}


def _share(world: World, scenario: Scenario, index: list[int]) -> None:
    _shared.update(world=world, scenario=scenario, index=index)


def _run_shared(values: dict[str, np.ndarray], replication: int) -> dict[str, np.ndarray]:
    return _run(_shared["world"], _shared["scenario"], _shared["index"], values, replication)


def _run(world: World, scenario: Scenario, index: list[int], values: dict[str, np.ndarray],
         replication: int) -> dict[str, np.ndarray]:
    """One replication of the observed days with the observed accounts' ``values``: their
    views, reposts and followers, in people."""
    accounts = list(world.accounts)
    for k, i in enumerate(index):
        accounts[i] = accounts[i].model_copy(update={p: float(v[k]) for p, v in values.items()})
    trace = simulate(dataclasses.replace(world, accounts=tuple(accounts)), scenario, [],
                     replication, record_accounts=True)
    days, scale = trace.accounts, world.scale
    return {"posts": days.posts[:, index], "views": days.views[:, index] * scale,
            "reposts": days.reposts[:, index], "followers": days.followers[:, index] * scale}


def synthetic_observations(scenario: Scenario, base_dir: str | Path = ".",
                           replication: int = 0, sample_users: int = 0
                           ) -> tuple[dict[str, np.ndarray], list[tuple[int, str]]]:
    """What the analytics export of ``scenario``'s accounts would show over its horizon if
    the model were the truth: every account's posts, views, reposts and followers per day,
    in people (rounded), from one replication of its baseline; and, with ``sample_users``, a
    follower sample: (user, account) for users drawn at random among the simulated ones."""
    resolved = resolve_scenario(scenario)
    world = build_world(resolved, base_dir)
    index = list(range(len(world.accounts)))
    series = _run(world, resolved, index, {}, replication)
    series = {k: np.round(v) for k, v in series.items()}
    rows: list[tuple[int, str]] = []
    if sample_users:
        rng = np.random.default_rng(np.random.SeedSequence(resolved.seed, spawn_key=(7, 1)))
        users = np.sort(rng.choice(world.n_users, min(sample_users, world.n_users),
                                   replace=False))
        for a, account in enumerate(world.accounts):
            followers = world.followers.row(a)
            rows += [(int(u), account.id) for u in users[np.isin(users, followers)]]
    return series, rows


def _mean_moments(sims: list[dict[str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The statistics averaged over replications, and the error of that average."""
    each = np.stack([moments(s["posts"], s["views"], s["reposts"], s["followers"])[0]
                     for s in sims])
    spread = each.std(axis=0, ddof=1) if len(sims) > 1 else np.zeros(each.shape[1:])
    return each.mean(axis=0), spread / math.sqrt(len(sims))


def _search(engine: _Engine, obs: np.ndarray, obs_se: np.ndarray, prior: dict,
            bounds: dict, trials: int, runs: int, seed: int, progress: Progress | None
            ) -> dict[str, np.ndarray]:
    """Optuna's best values per account: one CMA-ES study per account (in log space, from
    the scenario's values), asked and told in lockstep, each trial scored on the same
    replications (common random numbers)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    n = obs.shape[0]
    # the search space is centred on the scenario's values (in log space), where CMA-ES
    # starts, with a step of about the prior's spread
    studies = [optuna.create_study(sampler=optuna.samplers.CmaEsSampler(
        seed=seed + a, warn_independent_sampling=False)) for a in range(n)]
    for t in range(trials):
        asked = [study.ask() for study in studies]
        values = {p: np.array([trial.suggest_float(p, bounds[p][0][a], bounds[p][1][a],
                                                   log=True)
                               for a, trial in enumerate(asked)]) for p in CALIBRATED}
        sim, sim_se = _mean_moments(engine.days(values, range(runs)))
        score = _objective(sim, obs, np.sqrt(obs_se ** 2 + sim_se ** 2 + 1e-12), values, prior)
        for study, trial, value in zip(studies, asked, score):
            study.tell(trial, float(value))
        if progress:
            progress(t + 1, trials + 1)
    # the estimate: the median of each study's late trials, where CMA-ES has converged
    # with the other accounts (its single best trial may owe its score to where the other
    # accounts' trials happened to be in that round)
    late = max(10, trials // 5)
    return {p: np.array([np.exp(np.median([math.log(t.params[p]) for t in
                                           study.trials[-late:]])) for study in studies])
            for p in CALIBRATED}


def _objective(sim: np.ndarray, obs: np.ndarray, se: np.ndarray, values: dict,
               prior: dict) -> np.ndarray:
    """Per account: its statistics' squared distance to the data in errors, plus the
    prior's penalty (what the search minimizes)."""
    z2 = np.where(np.isfinite(obs), (sim - obs) ** 2 / se ** 2, 0.0)
    z2 = np.where(np.isfinite(z2), z2, 1e6)
    penalty = sum((np.log(values[p] / prior[p]) / PRIOR_SD) ** 2 for p in CALIBRATED)
    return z2.sum(axis=1) + penalty


def _stepped(values: dict[str, np.ndarray], account: int, parameter: str
             ) -> dict[str, np.ndarray]:
    """``values`` with one account's parameter a step up (in log terms)."""
    out = {p: v.copy() for p, v in values.items()}
    out[parameter][account] *= math.exp(STEP)
    return out


def _by_account(values: dict[str, np.ndarray]) -> np.ndarray:
    """Per-parameter arrays as one array (accounts, :data:`CALIBRATED`)."""
    return np.stack([values[p] for p in CALIBRATED], axis=1)


def _laplace(obs: np.ndarray, se: np.ndarray, sim: np.ndarray, jacobian: np.ndarray,
             found: dict, prior: dict, bounds: dict) -> tuple[np.ndarray, np.ndarray]:
    """The Laplace approximation of the posterior of every account's parameters (in log
    space, account-major): the statistics linear in the log parameters around the search's
    values (``sim`` there, slopes ``jacobian``), Gaussian errors ``se``, and the prior
    (the scenario's values, sd :data:`PRIOR_SD`). Returns the posterior mean, as values
    (accounts, parameters) within the bounds, and the covariance of the logs."""
    known = (np.isfinite(obs) & np.isfinite(se) & (se > 0) & np.isfinite(sim)).ravel()
    J = np.nan_to_num(jacobian[known])
    weight = 1 / se.ravel()[known] ** 2
    centre, origin = np.log(_by_account(found)).ravel(), np.log(_by_account(prior)).ravel()
    precision = J.T @ (weight[:, None] * J) + np.eye(len(centre)) / PRIOR_SD ** 2
    cov = np.linalg.inv(precision)
    cov = (cov + cov.T) / 2
    residual = (obs - sim).ravel()[known]
    mean = centre + cov @ (J.T @ (weight * residual) - (centre - origin) / PRIOR_SD ** 2)
    low = np.log(_by_account({p: b[0] for p, b in bounds.items()})).ravel()
    high = np.log(_by_account({p: b[1] for p, b in bounds.items()})).ravel()
    values = np.exp(np.clip(mean, low, high)).reshape(len(obs), len(CALIBRATED))
    return values, cov


def _posterior(observed: Observed, best: dict, cov: np.ndarray, prior: dict, bounds: dict,
               n_samples: int, seed: int) -> tuple[dict[str, np.ndarray], list[ParameterFit]]:
    """Draws of every account's parameters from the Laplace posterior (jointly), posting
    rates from their Gamma posteriors; and each parameter's fit."""
    rng = np.random.default_rng(seed)
    centre = np.log(_by_account(best)).ravel()
    logs = rng.multivariate_normal(centre, cov, size=n_samples, method="cholesky")
    z = stats.norm.ppf((1 + LEVEL) / 2)
    draws, fits = {}, []
    for a, account in enumerate(observed.accounts):
        for k, p in enumerate(CALIBRATED):
            j = a * len(CALIBRATED) + k
            lo, hi, value = bounds[p][0][a], bounds[p][1][a], float(best[p][a])
            draws[f"{account}.{p}"] = np.clip(np.exp(logs[:, j]), lo, hi)
            sd = math.sqrt(cov[j, j])
            fits.append(ParameterFit(
                account, p, value, float(max(lo, value * math.exp(-z * sd))),
                float(min(hi, value * math.exp(z * sd))), float(prior[p][a]),
                bool(sd < IDENTIFIED * PRIOR_SD), _SOURCES[p]))
        posts = observed.posts[:, a]
        days = np.isfinite(posts)
        if days.any():
            shape, rate = posts[days].sum() + 0.5, days.sum()
            draws[f"{account}.posts_per_day"] = rng.gamma(shape, 1 / rate, n_samples)
            lo, hi = stats.gamma.ppf([(1 - LEVEL) / 2, (1 + LEVEL) / 2], shape, scale=1 / rate)
            fits.append(ParameterFit(account, "posts_per_day", float(posts[days].mean()),
                                     float(lo), float(hi), None, True, _SOURCES["posts"]))
    return draws, fits


_SOURCES = {  # what each parameter is fitted from (N_: a report translates it)
    "reach_rate": N_("views over followers"),
    "share_rate": N_("reposts over views"),
    "follow_rate": N_("the follower series"),
    "posts": N_("posts per day (Gamma posterior)"),
}


def _calibrated(window: Scenario, resolved: Scenario, scenario: Scenario,
                fits: list[ParameterFit], overlaps: dict) -> Scenario:
    """The resolved scenario (its events, horizon and audience as written) with the fitted
    values and the observed followers of the data's first day."""
    values = {(f.account, f.parameter): f.value for f in fits}
    accounts = []
    for account, start in zip(resolved.matrix.accounts, window.matrix.accounts):
        update = {p: values[(account.id, p)] for p in (*CALIBRATED, "posts_per_day")
                  if (account.id, p) in values}
        update["followers"] = start.followers
        if account.id in overlaps:
            update["overlap"] = overlaps[account.id][0]
        accounts.append(account.model_copy(update=update))
    matrix = resolved.matrix.model_copy(update={"accounts": accounts})
    return resolved.model_copy(update={"matrix": matrix, "audience": scenario.audience})


def _bands(sims: list[dict[str, np.ndarray]], observed: Observed) -> dict[str, np.ndarray]:
    out = {}
    for name in ("views", "reposts", "followers"):
        runs = np.stack([s[name] for s in sims])
        out[name] = np.stack([np.percentile(runs, 5, axis=0), runs.mean(axis=0),
                              np.percentile(runs, 95, axis=0)])
        out[f"observed_{name}"] = getattr(observed, name)
    return out
