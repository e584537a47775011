"""What drives the headline: the strongman's inputs one at a time, on the same world."""

from __future__ import annotations

import copy

import pytest
from conftest import SMALL

from sim import Scenario, run
from sim.analysis.drivers import FACTORS, drivers

SHARED = ("reach_rate", "overlap", "unfollow_share", "brand_reach_rate")  # at most 1


@pytest.fixture(scope="module")
def found():
    scenario = Scenario.model_validate(copy.deepcopy(SMALL) | {"replications": 3})
    result = run(scenario, workers=1, check_memory=False)
    return result, {d.key: d for d in drivers(result, scenario, ".", 2, workers=1)}


def test_inputs_say_where_their_values_come_from(found):
    _result, by_key = found
    assert set(by_key) == {"followers", "reach_rate", "posts_per_day", "overlap",
                           "unfollow_share", "brand_reach_rate"}
    assert by_key["followers"].source == "scenario"  # the founder's followers are given
    assert by_key["reach_rate"].source == "default"  # his reach rate is the role's
    assert by_key["unfollow_share"].source == "default"
    for key, d in by_key.items():
        assert d.low == pytest.approx(d.value * FACTORS[0])
        high = d.value * FACTORS[1]
        assert d.high == pytest.approx(min(high, 1.0) if key in SHARED else high)


def test_more_of_the_leaders_pull_means_more_dependency(found):
    _result, by_key = found
    for key in ("followers", "reach_rate", "posts_per_day"):
        low, high = by_key[key].sdi
        assert high > low, key


def test_an_input_of_the_event_alone_leaves_sdi_exactly_as_it_was(found):
    """The share of followers who unfollow at the exit acts in the scenario only: SDI,
    read off the baseline and the world without the leader, is identical at both values
    (common random numbers), while the loss grows with it."""
    _result, by_key = found
    unfollow = by_key["unfollow_share"]
    assert unfollow.sdi[0] == unfollow.sdi[1]
    assert unfollow.loss[1] > unfollow.loss[0]


def test_largest_swing_first(found):
    _result, by_key = found
    swings = [abs(d.sdi[1] - d.sdi[0]) for d in sorted(
        by_key.values(), key=lambda d: -abs(d.sdi[1] - d.sdi[0]))]
    assert swings == sorted(swings, reverse=True)
