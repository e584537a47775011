"""Sensitivity analysis: indices that find what drives a figure and what does not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import smallest_text_px
from typer.testing import CliRunner

import sim
from sim import Scenario, ScenarioError, load_scenario
from sim.analysis.sensitivity import (
    SensitivitySpec,
    design,
    load_params,
    sample_values,
    sensitivity,
)
from sim.cli import app
from sim.i18n import language
from sim.output.analysis.charts import plot_tornado
from sim.output.style import save_figure
from sim.scenario.overrides import override

# A small founder-centric world without events: SDI depends on the founder's followers and
# posting rate; his monthly cost enters neither the engine nor the figures.
WORLD = {
    "name": "founder_world", "seed": 5, "horizon_days": 40, "replications": 1,
    "audience": {"users": 2000},
    "matrix": {"layout": "1+2+2+3", "leader": "founder",
               "accounts": [{"id": "founder", "role": "leader", "followers": 1_000_000,
                             "overlap": 0.3}]},
}
PARAMS = {
    "samples": 16, "replications": 1, "users": None,
    "parameters": [
        {"key": "matrix.accounts.founder.followers", "label": "the founder's followers",
         "bounds": [100_000, 3_000_000]},
        {"key": "matrix.accounts.founder.posts_per_day", "label": "his posts per day",
         "bounds": [0.5, 2]},
        {"key": "matrix.accounts.founder.monthly_cost", "label": "his cost",
         "dist": "norm", "params": [10_000, 2_000]},
    ],
}
FOLLOWERS, POSTS, COST = range(3)


@pytest.fixture(scope="module")
def world() -> Scenario:
    return Scenario.model_validate(WORLD)


@pytest.fixture(scope="module")
def sobol(world):
    return sensitivity(world, SensitivitySpec.model_validate(PARAMS), workers=2)


def test_ignored_parameter_has_a_total_index_interval_containing_zero(sobol):
    sdi = sobol.indices["sdi"]
    assert sdi["ST"][COST] - sdi["ST_conf"][COST] <= 0 <= sdi["ST"][COST] + sdi["ST_conf"][COST]
    assert sdi["ST"][FOLLOWERS] - sdi["ST_conf"][FOLLOWERS] > 0  # a real driver does not


def test_leader_follower_count_ranks_first_for_sdi(sobol):
    assert sobol.ranking("sdi")[0] == FOLLOWERS
    assert sobol.sentences()[0].startswith("The founder's followers explains ")
    assert "of the variance of SDI" in sobol.sentences()[0]


def test_figures_that_do_not_vary_get_no_indices(sobol):
    assert sobol.indices["trough_pct"] is None  # no events: nothing falls
    assert "does not vary" in sobol.sentences()[1]


def test_small_sample_is_flagged(sobol):
    assert any("below the floor of 64" in w for w in sobol.warnings)


def test_runs_use_the_design_and_common_random_numbers(sobol):
    assert sobol.x.shape == (16 * (3 + 2), 3)
    # runs that differ only in the ignored cost give identical figures
    same = np.isclose(sobol.x[:, [FOLLOWERS, POSTS]], sobol.x[0, [FOLLOWERS, POSTS]]).all(axis=1)
    assert same.sum() > 1 and np.ptp(sobol.y["sdi"][same]) == 0


def test_morris_screens_out_the_ignored_parameter(world):
    cost = {"key": "matrix.accounts.founder.monthly_cost", "bounds": [1_000, 50_000]}
    spec = SensitivitySpec.model_validate(
        {**PARAMS, "method": "morris", "samples": 4,
         "parameters": [*PARAMS["parameters"][:COST], cost]})
    morris = sensitivity(world, spec, workers=2)
    assert morris.indices["sdi"]["mu_star"][COST] == 0
    assert morris.ranking("sdi")[-1] == COST and "(Morris mu*)" in morris.sentences()[0]


def test_save_writes_indices_and_puts_the_tornado_in_the_reports(tmp_path, sobol):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "report.html").write_text("<main>\n</main>\n", encoding="utf-8")
    (run_dir / "manifest.json").write_text(  # a run folder riskmodel wrote
        '{"riskmodel": {"output": "run", "files": ["report.html"]}}', encoding="utf-8")
    folder = sim.save(sobol, run_dir / "sensitivity")
    assert {"indices.csv", "samples.csv", "sensitivity.json", "tornado.png", "tornado.svg",
            "report.html"} <= {p.name for p in folder.iterdir()}
    facts = json.loads((folder / "sensitivity.json").read_text())
    assert facts["ranking"] == sobol.sentences() and facts["runs"] == 80
    assert facts["per_sample"] == {"replications": 1, "users": 2000, "horizon_days": 40}
    assert 'id="chart-tornado"' in (folder / "report.html").read_text()
    run_report = (run_dir / "report.html").read_text()
    assert 'id="chart-tornado"' in run_report and "The founder&#x27;s followers" in run_report


@pytest.mark.parametrize("params, where, message", [
    ({"parameters": [{"key": "a", "bounds": [2, 1]}]}, "parameters[0]", "expected low < high"),
    ({"parameters": [{"key": "a", "dist": "norm"}]}, "parameters[0]", "expected params"),
    ({"parameters": [{"key": "a", "dist": "triang", "params": [0, 1]}]}, "parameters[0]",
     "expected 3 values for triang"),
    ({"parameters": [{"key": "a", "bound": [0, 1]}]}, "parameters[0].bound", "unknown key"),
    ({"parameters": [{"key": "a", "bounds": [0, 1]}], "fixed": {"a": 1}}, "(top level)",
     "expected each key once"),
    ({"parameters": []}, "parameters", "at least 1"),
])
def test_bad_parameter_files_name_file_key_and_line(tmp_path, params, where, message):
    path = tmp_path / "p.yaml"
    path.write_text(json.dumps(params, indent=1), encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_params(path)
    issue = exc.value.issues[0]
    assert (issue.file, issue.path) == (str(path), where) and message in issue.message
    assert issue.line is not None


def test_drawn_value_the_scenario_rejects_is_named_before_anything_runs(world):
    spec = SensitivitySpec.model_validate({**PARAMS, "parameters": [
        {"key": "matrix.accounts.founder.overlap", "bounds": [0.5, 1.5]}], "samples": 4})
    with pytest.raises(ScenarioError) as exc:
        sensitivity(world, spec, workers=1)
    assert "matrix.accounts.founder.overlap=1." in exc.value.issues[0].file
    assert "expected <= 1" in exc.value.issues[0].message


def test_morris_rejects_unbounded_distributions(world):
    spec = SensitivitySpec.model_validate({**PARAMS, "method": "morris", "samples": 4})
    with pytest.raises(ScenarioError) as exc:
        sensitivity(world, spec, workers=1)
    assert exc.value.issues[0].path == "parameters[2].dist"
    assert "expected a bounded distribution" in exc.value.issues[0].message


def test_cli_rejects_a_sobol_sample_size_that_is_not_a_power_of_two(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(json.dumps(WORLD), encoding="utf-8")
    (tmp_path / "p.yaml").write_text(json.dumps(PARAMS), encoding="utf-8")
    result = CliRunner().invoke(app, ["sensitivity", "s.yaml", "--params", "p.yaml",
                                      "--samples", "20"])
    assert result.exit_code == 2 and "expected a power of 2" in result.output
    assert not (tmp_path / "outputs").exists()


def test_bundled_parameter_file_fits_its_scenario():
    root = Path(__file__).resolve().parent.parent
    spec = load_params(root / "scenarios/sensitivity/founder_exit_params.yaml")
    base = load_scenario(root / "scenarios/founder_exit.yaml")
    fixed = override(base, spec.settings(), origin="test")
    for values in sample_values(spec, design(spec, base.seed)[:: spec.n]):
        override(fixed, values, origin="test")  # every key exists, every value is accepted
    assert spec.method == "sobol" and fixed.audience.users == 5000


def test_the_tornado_text_is_at_least_12_px_in_the_report(sobol, tmp_path):
    fig = plot_tornado(sobol)
    save_figure(fig, tmp_path / "tornado", ("png",))
    assert smallest_text_px(fig) >= 12 - 1e-9


def test_the_report_in_chinese(sobol, tmp_path):
    """The page, its charts and its sentences in Chinese when the reader asks for it."""
    with language("zh"):
        page = (sim.save(sobol, tmp_path / "zh") / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in page and "敏感性分析：" in page and "Indices" not in page
