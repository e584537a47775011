"""Changing scenarios by key path (sweeps, sensitivity samples, layout variants)."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import ScenarioError, expand_accounts, load_scenario
from sim.scenario.overrides import merge, override

FILE = "scenarios/founder_exit.yaml"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(FILE)


def test_override_sets_named_generated_and_listed_values(scenario):
    changed = override(scenario, {"matrix.accounts.founder.posts_per_day": 5,
                                  "matrix.accounts.leader_3.followers": 1e6,
                                  "events.0.day": 100, "audience.users": 5000})
    accounts = {a.id: a for a in expand_accounts(changed.matrix)}
    assert accounts["founder"].posts_per_day == 5
    assert accounts["leader_3"].followers == 1e6
    assert changed.events[0].day == 100 and changed.audience.users == 5000
    # naming a generated account keeps the layout's ids and order
    assert list(accounts) == [a.id for a in expand_accounts(scenario.matrix)]


def test_override_with_the_same_values_is_the_same_scenario(scenario):
    assert override(scenario, {"audience.users": scenario.audience.users}) == scenario


@pytest.mark.parametrize(("changes", "message"), [
    ({"audience.userz": 1}, "did you mean 'users'"),
    ({"matrix.accounts.bob.posts_per_day": 1}, "found 'bob'"),
    ({"audience.users": -5}, "expected >= 10"),
    ({"events.3.day": 1}, "expected an index below 1"),
    ({"a..b": 1}, "found an empty part"),
    ({"events.0.day": 400}, "horizon"),
])
def test_bad_override_names_origin_key_and_expectation(scenario, changes, message):
    with pytest.raises(ScenarioError) as info:
        override(scenario, changes, origin="params.yaml")
    text = str(info.value)
    assert text.startswith("params.yaml: ") and message in text


def test_merge_replaces_lists_and_merges_mappings(scenario):
    merged = merge(scenario, {"matrix": {"layout": "1+2+1+5"}, "amplification": []}, "v")
    assert merged.matrix.layout == "1+2+1+5" and merged.matrix.leader == "founder"
    assert merged.amplification == [] and merged.events == scenario.events


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30), st.one_of(st.none(), st.integers(), st.floats(), st.text(),
                                       st.lists(st.integers(), max_size=3)))
def test_any_override_gives_a_scenario_or_a_scenario_error(scenario, path, value):
    with contextlib.suppress(ScenarioError):
        override(scenario, {path: value})
