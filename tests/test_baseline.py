"""Baseline regression: a small run of the bundled founder-exit scenario gives exactly the
outputs checked in under ``tests/baseline/``.

Any change to the numbers a run produces shows up here as a diff of a checked-in file. When
a change is meant to move the numbers, regenerate the files and say why in the commit:
``RISKMODEL_UPDATE_BASELINE=1 pytest tests/test_baseline.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import ROOT

import sim
from sim.output import save
from sim.scenario.overrides import override

BASELINE = Path(__file__).parent / "baseline"
FILES = ("summary.json", "timeseries.csv", "attribution.csv")
SMALL = {"audience.users": 3000, "horizon_days": 150, "replications": 4,
         "outputs.charts": [], "outputs.report": False}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    scenario = override(sim.load_scenario(ROOT / "scenarios" / "founder_exit.yaml"), SMALL)
    out = tmp_path_factory.mktemp("baseline") / "founder_exit"
    save(sim.run(scenario, ROOT / "scenarios", workers=1), out)
    if os.environ.get("RISKMODEL_UPDATE_BASELINE"):
        for name in FILES:
            (BASELINE / name).write_bytes((out / name).read_bytes())
    return out


@pytest.mark.parametrize("name", FILES)
def test_small_founder_exit_matches_the_checked_in_outputs(outputs, name):
    assert (outputs / name).read_text(encoding="utf-8") == \
        (BASELINE / name).read_text(encoding="utf-8")
