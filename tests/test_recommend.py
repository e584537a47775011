"""Recommending a layout under a budget: the frontier, the picks, and a budget too small."""

from __future__ import annotations

from html import escape
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import smallest_text_px
from typer.testing import CliRunner

from sim import Scenario, save
from sim.analysis.recommend import recommend
from sim.cli import app
from sim.i18n import language
from sim.output.layouts.charts import plot_search
from sim.output.style import save_figure

SMALL = {
    "name": "tiny", "seed": 11, "horizon_days": 90, "replications": 2,
    "audience": {"users": 2000, "social": {"mean_degree": 8, "max_degree": 100,
                                           "community_size": 200}},
    "matrix": {"layout": "1+1+1+2", "leader": "founder",
               "accounts": [{"id": "founder", "role": "leader", "followers": 2_000_000,
                             "posts_per_day": 2, "overlap": 0.3}]},
    "amplification": [{"source": "founder", "target": "role:leader", "weight": 0.3}],
    "events": [{"kind": "exit", "target": "founder", "day": 45}],
}
BUDGET = 90_000


@pytest.fixture(scope="module")
def searched():
    return recommend(Scenario.model_validate(SMALL), BUDGET, max_sdi=0.9, replications=2,
                     max_evaluations=14, workers=1)


def _objectives(c) -> np.ndarray:
    """Reach, -SDI, -damage, -cost: more is better in each."""
    return np.array([c.mean("expected_reach"), -c.mean("sdi"),
                     -c.mean("cumulative_loss_pct"), -c.cost])


def test_recommended_layouts_lie_on_the_frontier_within_budget(searched):
    """Both picks are frontier layouts within the budget and under the SDI cap."""
    assert searched.picks(), searched.sentences()
    for pick in searched.picks().values():
        assert pick.on_frontier and pick in searched.frontier
        assert pick.cost <= BUDGET
        assert pick.mean("sdi") <= 0.9
    assert all(c.cost <= BUDGET for c in searched.candidates)


def test_frontier_layouts_are_not_dominated(searched):
    """No evaluated layout is at least as good as a frontier layout in every objective and
    better in one; every layout off the frontier is dominated by one."""
    points = {id(c): _objectives(c) for c in searched.candidates}

    def dominated(c) -> bool:
        return any((points[id(o)] >= points[id(c)]).all() and
                   (points[id(o)] > points[id(c)]).any() for o in searched.candidates)

    assert searched.frontier
    for c in searched.candidates:
        assert dominated(c) != c.on_frontier


def test_picks_are_the_best_and_the_cheapest(searched):
    """The best pick has the most reach under the cap; the cheapest costs no more than any
    frontier layout reaching 90% of that."""
    best, cheapest = searched.best, searched.cheapest
    under_cap = [c for c in searched.candidates if c.mean("sdi") <= 0.9]
    assert best.mean("expected_reach") == max(c.mean("expected_reach") for c in under_cap)
    good = [c for c in under_cap if c.mean("expected_reach") >= 0.9 * best.mean("expected_reach")]
    assert cheapest.cost == min(c.cost for c in good)


def test_search_refines_beyond_the_coarse_grid(searched):
    """Refinement tries cadences other than the scenario's own around the frontier."""
    assert {c.cadence for c in searched.candidates} - {1.0}


def test_budget_too_small_is_a_clear_error(tmp_path: Path):
    """A budget below the cheapest layout: exit status 2, the cheapest cost named, nothing
    written."""
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(SMALL, sort_keys=False), encoding="utf-8")
    out = tmp_path / "rec"
    result = CliRunner().invoke(app, ["recommend", str(path), "--budget", "1000", "--out",
                                      str(out)])
    assert result.exit_code == 2, result.output
    assert "--budget: expected at least 15,000 per month" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_the_search_chart_text_is_at_least_12_px_in_the_report(searched, tmp_path):
    fig = plot_search(searched)
    save_figure(fig, tmp_path / "search", ("png",))
    assert smallest_text_px(fig) >= 12 - 1e-9


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_states_the_picks_and_the_frontier(searched, lang, tmp_path):
    """report.html, in the reader's language: the recommendation's sentences, a row per pick
    and per frontier layout, and the search chart inlined."""
    with language(lang):
        folder = save(searched, tmp_path / lang)
        said, labels = searched.sentences(), [c.label for c in searched.frontier]
        picked = [c.label for c in searched.picks().values()]
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in page and 'id="chart-search"' in page
    assert all(escape(s) in page for s in said)
    assert all(page.count(f"<td class=\"text\">{escape(label)}</td>") >= 1 for label in labels)
    assert all(page.count(f"<td class=\"text\">{escape(label)}</td>") == 2 for label in picked)
