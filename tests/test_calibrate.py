"""riskmodel calibrate: fits a matrix to its own exports, writes a scenario that runs."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml
from conftest import SMALL, smallest_text_px
from typer.testing import CliRunner

from sim import Scenario, load_scenario, run, save
from sim.analysis.calibrate import calibrate
from sim.cli import app
from sim.engine.state import State
from sim.output.calibrate.charts import SERIES, plot_fit
from sim.output.style import save_figure
from sim.world.build import build_world
from validation.synthetic_export import write_export

TRUTH = {"reach_rate": 0.15, "share_rate": 0.004, "follow_rate": 0.01, "posts_per_day": 2.0}


def _scenarios(tmp_path):
    truth = copy.deepcopy(SMALL) | {"events": [], "horizon_days": 45}
    truth["matrix"]["layout"] = "1+1+1+1"
    company = copy.deepcopy(truth) | {"name": "company", "events": SMALL["events"]}
    truth["matrix"]["accounts"][0].update(TRUTH)
    write_export(Scenario.model_validate(truth), tmp_path, sample_users=1500)
    company["calibration"] = {"data": "observed.csv", "follower_sample": "follower_sample.csv"}
    path = tmp_path / "company.yaml"
    path.write_text(yaml.safe_dump(company), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calibrate")
    path = _scenarios(folder)
    result = calibrate(path, trials=24, replications=2, samples=50, workers=1)
    return path, result, save(result, folder / "out")


def test_every_observed_account_gets_each_parameter_with_an_interval(calibrated):
    _, result, _ = calibrated
    fits = {(f.account, f.parameter): f for f in result.fits}
    assert {a for a, _ in fits} == set(result.observed_data.accounts)
    assert len(fits) == 4 * len(result.observed_data.accounts)
    for f in result.fits:
        assert 0 < f.low <= f.value <= f.high
    posts = result.observed_data.posts[:, result.observed_data.accounts.index("founder")]
    assert fits[("founder", "posts_per_day")].value == pytest.approx(posts.mean())
    founder = fits[("founder", "reach_rate")]  # the most views: near the truth
    assert founder.low <= TRUTH["reach_rate"] <= founder.high
    assert 0.5 < founder.value / TRUTH["reach_rate"] < 2
    assert set(result.overlaps) <= set(result.observed_data.accounts)


def test_the_calibrated_scenario_validates_runs_and_draws_its_parameters(calibrated):
    folder = calibrated[2]
    scenario = load_scenario(folder / "scenario.yaml")
    assert scenario.calibration.samples == "samples.csv" and scenario.calibration.draw_parameters
    text = (folder / "scenario.yaml").read_text(encoding="utf-8")
    assert "reach_rate: " in text and "# 90% " in text
    world = build_world(scenario, folder)
    founder = [a.id for a in world.accounts].index("founder")
    rates = [State(world, scenario, r).param["reach_rate"][founder] for r in range(3)]
    assert len(set(rates)) == 3  # each replication its own draw
    assert rates[1] == world.draws["reach_rate"][1, founder]
    out = run(folder / "scenario.yaml", replications=3, workers=1, check_memory=False)
    assert set(out.meta["fixed_parameters"]) >= {"sdi", "cumulative_loss_pct"}
    assert (folder / "report.html").read_text(encoding="utf-8").count("<figure") == 3


def test_validate_checks_the_samples_a_calibrated_scenario_draws(calibrated, tmp_path):
    folder = calibrated[2]
    ok = CliRunner().invoke(app, ["validate", str(folder / "scenario.yaml")])
    assert ok.exit_code == 0, ok.output
    moved = tmp_path / "scenario.yaml"  # the scenario without its samples.csv beside it
    moved.write_text((folder / "scenario.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    missing = CliRunner().invoke(app, ["validate", str(moved)])
    assert missing.exit_code == 2 and "samples.csv" in missing.output
    assert "Traceback" not in missing.output


def test_a_seed_gives_the_same_calibration(calibrated):
    path, result, _ = calibrated
    again = calibrate(path, trials=24, replications=2, samples=50, workers=1)
    assert [(f.value, f.low, f.high) for f in again.fits] == \
        [(f.value, f.low, f.high) for f in result.fits]
    assert all(np.array_equal(again.samples[k], v) for k, v in result.samples.items())


def test_bad_data_exits_2_naming_the_file_row_and_column(tmp_path):
    path = _scenarios(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("date,account,views\n2024-06-01,brand,many\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["calibrate", str(path), "--data", str(bad), "--out",
                                   str(tmp_path / "out")], env={"COLUMNS": "200"})
    assert res.exit_code == 2
    assert f"{bad}:2: row 1, column views: expected a number" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "out").exists()


def test_the_fit_charts_text_is_at_least_12_px_in_the_report(calibrated, tmp_path):
    _path, result, _folder = calibrated
    for series in SERIES:
        fig = plot_fit(result, series)
        save_figure(fig, tmp_path / series, ("png",))
        assert smallest_text_px(fig) >= 12 - 1e-9, series
