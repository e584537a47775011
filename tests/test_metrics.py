"""The figures, on hand-made reach series whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from sim.runs import metrics
from sim.runs.metrics import dependency, loss, loss_at_risk, smooth


def test_smooth_is_a_trailing_mean():
    x = np.array([[2.0, 4.0, 6.0, 8.0]])
    assert smooth(x, 2).tolist() == [[2.0, 3.0, 5.0, 7.0]]
    assert smooth(x, 1).tolist() == x.tolist()


def test_sdi_limits_and_leader_share():
    base = np.full((3, 10), 100.0)
    shapley = np.array([[60.0, 40.0]] * 3)
    none_lost = dependency(base, base, shapley, 0)
    all_lost = dependency(base, np.zeros_like(base), shapley, 0)
    assert np.all(none_lost["sdi"] == 0) and np.all(all_lost["sdi"] == 1)
    assert all_lost["leader_shapley_share"] == pytest.approx([0.6] * 3)
    assert all_lost["hhi"] == pytest.approx([0.52] * 3)
    assert all_lost["effective_voices"] == pytest.approx([1 / 0.52] * 3)


def test_sdi_grows_with_the_leaders_part():
    base = np.full((1, 5), 100.0)
    sdis = [dependency(base, base * (1 - f), np.ones((1, 2)), 0)["sdi"][0]
            for f in (0.1, 0.4, 0.8)]
    assert sdis == sorted(sdis) and sdis == pytest.approx([0.1, 0.4, 0.8])


def test_loss_of_a_drop_and_recovery():
    """Reach halves on day 10 and climbs back linearly to the baseline by day 30."""
    days = 40
    base = np.full((1, days), 1000.0)
    scen = base.copy()
    scen[0, 10:30] = 1000 * (0.5 + 0.5 * np.arange(20) / 20)
    d = loss(base, scen, start=10, threshold=0.9, smoothing_days=1)
    assert d["recovery_days"][0] == 16  # 0.5 + 0.5 * 16 / 20 = 0.9
    lost = (1000 - scen[0, 10:30]).sum() / (1000 * 30)
    assert d["cumulative_loss_pct"][0] == pytest.approx(100 * lost)
    assert d["early_loss_pct"][0] == pytest.approx(100 * lost)  # the 30 days after day 10
    assert d["onset_days"][0] == 0  # the first day's loss is already the largest
    assert d["below"][0]


def test_a_step_drop_arrives_as_fast_as_the_smoothing_and_stays_level():
    base = np.full((2, 100), 1000.0)
    scen = base.copy()
    scen[0, 5:] = 300
    d = loss(base, scen, start=5, threshold=0.9, smoothing_days=3)
    assert d["cumulative_loss_pct"][0] == pytest.approx(70)
    assert d["early_loss_pct"][0] == pytest.approx(70) == d["late_loss_pct"][0]
    assert d["onset_days"][0] == 2  # the 3-day mean reaches 63 % of loss on its third day
    assert d["trough_pct"][0] == pytest.approx(70)  # the 30-day mean, once past the drop
    assert d["trough_day"][0] == 5 + metrics.TROUGH_DAYS - 1
    assert np.isinf(d["recovery_days"][0]) and d["recovery_days"][1] == 0
    assert d["trough_pct"][1] == 0 and d["onset_days"][1] == 0 and not d["below"][1]


def test_a_loss_that_fades_shows_early_above_late():
    base = np.full((1, 200), 1000.0)
    scen = base.copy()
    scen[0, 10:40] = 500
    d = loss(base, scen, start=10, threshold=0.9, smoothing_days=7)
    assert d["early_loss_pct"][0] == pytest.approx(50) and d["late_loss_pct"][0] == 0
    assert d["cumulative_loss_pct"][0] == pytest.approx(50 * 30 / 190)


def test_a_week_of_noise_is_not_a_trough():
    """One deep week in a level loss moves the 30-day trough by a quarter of its depth."""
    base = np.full((1, 200), 1000.0)
    scen = np.full((1, 200), 800.0)
    scen[0, 100:107] = 200
    d = loss(base, scen, start=0, threshold=0.9, smoothing_days=7)
    assert d["trough_pct"][0] == pytest.approx(20 + 60 * 7 / 30)


def test_loss_at_risk_is_the_loss_exceeded_in_one_replication_in_twenty():
    losses = np.arange(1.0, 101.0)
    risk = loss_at_risk(losses, seed=0)
    assert risk["value"] == pytest.approx(np.percentile(losses, 95))
    assert risk["p5"] <= risk["value"] <= risk["p95"]
