"""The cascade model against the real retweet cascades, and the engine's defaults against
the fit (validation/calibrate_cascades.py, docs/MODEL.md "Calibrated to real cascades")."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.scenario import schema
from validation.real_cascades import DATA, RESULTS, Params, compare, read_real, simulate

FIT = json.loads((RESULTS / "cascades.json").read_text())["params"]


def test_engine_defaults_are_the_fit():
    """The FIT_* defaults are the fitted parameters (to three significant digits)."""
    pairs = {"share_rate": schema.FIT_SHARE_RATE, "content_sigma": schema.FIT_CONTENT_SIGMA,
             "max_branching": schema.FIT_MAX_BRANCHING, "theta": schema.FIT_THETA,
             "flat_seconds": schema.FIT_FLAT_SECONDS, "pace_sigma": schema.FIT_PACE_SIGMA,
             "freshness_days": schema.FIT_FRESHNESS_DAYS}
    for key, default in pairs.items():
        assert default == pytest.approx(FIT[key], rel=5e-3), key
    assert pytest.approx(Params(**FIT).followers_mean,
                                                          rel=5e-3) == schema.FIT_RESHARER_FOLLOWERS


@pytest.mark.skipif(not Path(DATA).is_dir(), reason="the real cascades are not beside the project")
def test_fitted_cascades_look_like_the_real_ones():
    """At the fitted parameters, 2 simulated cascades per root pass the size, tail, timing,
    resharer and rank-correlation rows (the full check: validation/real_cascades.py)."""
    real = read_real()
    sim, short = simulate(real.root, Params(**FIT), np.random.default_rng(5), per_root=2)
    rows = {r["quantity"]: r for r in compare(real, sim, short)}
    for name, row in rows.items():
        if "roots" not in name:
            assert row["passed"], (name, row)


@pytest.mark.skipif(not Path(DATA).is_dir(), reason="the real cascades are not beside the project")
def test_real_cascades_read_as_published():
    real = read_real()
    assert len(real.size) == 100 and real.size.min() >= 2000 and real.root.min() == 90
    assert 0.3 < np.median(real.hour) < 0.4 and 0.85 < np.median(real.day) < 0.92


@pytest.mark.skipif(not Path(DATA).is_dir(), reason="the real cascades are not beside the project")
def test_exposure_counts_the_root_and_every_resharer():
    """Exposure is the followers of the root and all resharers: in the data, the sum of the
    file's follower column; in a simulation, more than the root's alone."""
    real = read_real()
    first = np.loadtxt(sorted(Path(DATA).glob("RT*.txt"), key=lambda f: int(f.stem[2:]))[0],
                       skiprows=1, ndmin=2)
    assert real.exposure[0] == first[:, 1].sum()
    sim, _ = simulate(real.root[:5], Params(**FIT), np.random.default_rng(2), per_root=1)
    assert np.all(sim.exposure > sim.root) and np.all(sim.per_follower < 1)


@pytest.mark.skipif(not Path(DATA).is_dir(), reason="the real cascades are not beside the project")
def test_reshares_fitted_from_sizes_reproduce_reshares_per_follower():
    """The share rate and content spread fitted from root followers and sizes alone
    (validation/real_reshares.py) reproduce the reshares per follower reached, which the fit
    did not use, and the sizes: KS two-sample p >= 0.05 on 2 fresh cascades per root."""
    stored = json.loads((RESULTS / "real_reshares.json").read_text())
    params = Params(**{**FIT, **stored["fitted"], "audience_sigma": stored["audience_sigma"]})
    real = read_real()
    sim, _ = simulate(real.root, params, np.random.default_rng(11), per_root=2)
    assert stats.ks_2samp(real.per_follower, sim.per_follower).pvalue >= 0.05
    assert stats.ks_2samp(real.size, sim.size).pvalue >= 0.05
