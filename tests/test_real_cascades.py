"""The cascade model against the real retweet cascades, and the engine's defaults against
the fit (validation/calibrate_cascades.py, docs/MODEL.md "Calibrated to real cascades")."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

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
