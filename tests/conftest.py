"""Shared fixtures: small scenarios and worlds that build in well under a second."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings
from matplotlib.figure import Figure
from matplotlib.text import Text

from sim import Scenario, build_world

# CI replays the same examples every run; elsewhere hypothesis explores new ones.
settings.register_profile("ci", derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the validation scripts' modules, which tests check quickly
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
SHARED_DATA = ROOT.parent / "shared" / "data"

PAGE_COLUMN_PX = 1052  # a report's column at a 1280 px page: the width charts are shown at


def smallest_text_px(fig: Figure) -> float:
    """The height in px of the smallest text ``fig`` draws where a report shows it (the
    figure as wide as the page's column), after drawing it."""
    fig.canvas.draw()
    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip()]
    return min(sizes) / 72 * PAGE_COLUMN_PX / fig.get_figwidth()


SMALL = {
    "name": "small",
    "seed": 3,
    "horizon_days": 60,
    "audience": {"users": 5000, "social": {"mean_degree": 10, "max_degree": 200,
                                           "community_size": 250}},
    "matrix": {"layout": "1+2+3+4", "leader": "founder",
               "accounts": [{"id": "founder", "role": "leader", "followers": 3_000_000,
                             "overlap": 0.5}]},
    "amplification": [{"source": "founder", "target": "role:leader", "weight": 0.3}],
    "events": [{"kind": "exit", "target": "founder", "day": 30}],
}


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def small_scenario() -> Scenario:
    return Scenario.model_validate(SMALL)


@pytest.fixture(scope="session")
def small_world():
    return build_world(Scenario.model_validate(SMALL))
