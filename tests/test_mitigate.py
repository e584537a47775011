"""Mitigation levers: run on the same world as the scenario, read against doing nothing."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import SMALL
from typer.testing import CliRunner

from sim import Scenario, run
from sim.analysis.mitigate import levers, mitigate
from sim.cli import app
from sim.runs.metrics import dependency, summarize


def _scenario(**changes) -> Scenario:
    data = copy.deepcopy(SMALL) | {"replications": 4} | changes
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def ran():
    result = run(_scenario(), workers=1, check_memory=False)
    return result, mitigate(result, ".", replications=3, workers=1)


def test_the_levers_that_apply(ran):
    """A matrix with executives gets the traffic and the executives' posting levers; one
    with employees also the employees'."""
    result, _ = ran
    keys = [lv.key for lv in levers(result.scenario, result.leader, result.amplification)]
    assert keys == ["pass_traffic", "executives_post_more"]
    staffed = run(_scenario(matrix={**SMALL["matrix"], "layout": "1+2+3+4+5"}),
                  replications=1, workers=1, check_memory=False)
    assert "employees_speak_up" in [lv.key for lv in levers(
        staffed.scenario, staffed.leader, staffed.amplification)]


def test_doing_nothing_is_the_runs_own_first_replications(ran):
    result, outcomes = ran
    nothing = outcomes[0]
    assert nothing.key == "do_nothing" and nothing.replications == 3
    founder = [a.id for a in result.accounts].index("founder")
    sdi = dependency(result.reach["baseline"][:3], result.reach["no_leader"][:3],
                     result.shapley[:3], founder)["sdi"]
    assert nothing.sdi == summarize(sdi)
    assert nothing.loss_change["mean"] == 0 and nothing.extra_cost == 0


def test_posting_more_costs_the_executives_cost_again_and_moves_the_loss(ran):
    result, outcomes = ran
    post = next(o for o in outcomes if o.key == "executives_post_more")
    executives = [a for a in result.accounts if a.role == "leader" and a.id != "founder"]
    assert post.extra_cost == pytest.approx(sum(a.monthly_cost for a in executives))
    assert post.loss_change["mean"] != 0
    traffic = next(o for o in outcomes if o.key == "pass_traffic")
    assert traffic.extra_cost == 0


def test_a_lever_that_changes_nothing_changes_no_figure():
    """Executives who never post, posting twice as often, still never post: with common
    random numbers every figure of that lever equals doing nothing's exactly."""
    silent = {**SMALL["matrix"], "accounts": SMALL["matrix"]["accounts"] + [
        {"id": f"leader_{i}", "role": "leader", "posts_per_day": 0} for i in (2, 3)]}
    result = run(_scenario(matrix=silent), workers=1, check_memory=False)
    nothing, *rest = mitigate(result, ".", replications=2, workers=1)
    post = next(o for o in rest if o.key == "executives_post_more")
    assert post.sdi == nothing.sdi and post.loss == nothing.loss
    assert post.loss_change == summarize([0.0, 0.0]) and post.reach_after == nothing.reach_after


def test_the_run_report_says_what_would_reduce_it(tmp_path):
    path = tmp_path / "s.yaml"
    data = copy.deepcopy(SMALL) | {"replications": 3,
                                   "outputs": {"mitigation_replications": 2, "charts": []}}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out"),
                                   "--workers", "1"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "What would reduce it" in res.output and "Executives post twice" in res.output
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<h2>What would reduce it</h2>" in page and page.count("<td>Do nothing</td>") == 1
