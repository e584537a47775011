"""Sweeps: grids of key values, common random numbers, outputs and bad input."""

from __future__ import annotations

import csv
import json

import pytest
from conftest import smallest_text_px
from typer.testing import CliRunner

import sim
from sim import Scenario, ScenarioError
from sim.analysis.sweep import parse_sets, sweep
from sim.cli import app
from sim.i18n import language
from sim.output.analysis.charts import plot_sweep
from sim.output.style import save_figure

BASE = {
    "name": "sweepme", "seed": 11, "horizon_days": 60, "replications": 3,
    "audience": {"users": 2000},
    "matrix": {"layout": "1+2+2+3", "leader": "founder",
               "accounts": [{"id": "founder", "role": "leader", "followers": 1_500_000,
                             "posts_per_day": 3, "overlap": 0.4}]},
    "amplification": [{"source": "founder", "target": "role:leader", "weight": 0.3}],
    "events": [{"kind": "exit", "target": "founder", "day": 30}],
}
KEY = "matrix.accounts.founder.posts_per_day"


@pytest.fixture(scope="module")
def base() -> Scenario:
    return Scenario.model_validate(BASE)


@pytest.fixture(scope="module")
def swept(base: Scenario):
    return sweep(base, {KEY: [1, 3], "matrix.accounts.leader_2.followers": [50_000, 333_536]},
                 workers=2)


def test_point_equal_to_base_reproduces_the_base_run_exactly(base, swept):
    alone = sim.run(base, workers=1)
    at_base = swept.points.index({KEY: 3, "matrix.accounts.leader_2.followers": 333_536})
    assert swept.results[at_base].figures == alone.figures
    assert swept.results[0].figures["sdi"] != alone.figures["sdi"]  # other points differ


def test_points_cover_the_grid_in_order(swept):
    assert [tuple(p.values()) for p in swept.points] == [
        (1, 50_000), (1, 333_536), (3, 50_000), (3, 333_536)]
    sdi = [r.figures["sdi"]["mean"] for r in swept.results]
    assert sdi[2] > sdi[0] and sdi[3] > sdi[1]  # the founder posting more: more dependency


def test_parse_sets_reads_values_as_yaml():
    grid = parse_sets(["matrix.layout=1+5+3+20,1+2+2+3", f"{KEY} = 1, 2.5"])
    assert grid == {"matrix.layout": ["1+5+3+20", "1+2+2+3"], KEY: [1, 2.5]}


@pytest.mark.parametrize("specs, message", [
    (["posts_per_day"], "expected KEY=V1,V2"),
    (["a=1", "a=2"], "expected each key once"),
    (["a="], "expected KEY=V1,V2"),
])
def test_parse_sets_rejects_malformed_options(specs, message):
    with pytest.raises(ScenarioError, match=message):
        parse_sets(specs)


def test_bad_key_is_named_before_anything_runs(base):
    with pytest.raises(ScenarioError) as exc:
        sweep(base, {"matrix.accounts.founder.posts_pr_day": [1, 2]}, workers=1)
    issue = exc.value.issues[0]
    assert issue.file == "--set matrix.accounts.founder.posts_pr_day=1"
    assert "did you mean 'posts_per_day'" in issue.message


def test_save_writes_a_tidy_table_and_a_section_in_the_run_report(tmp_path, swept):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "report.html").write_text("<html><body><main>\n<h1>run</h1>\n</main></body>"
                                         "</html>\n", encoding="utf-8")
    (run_dir / "manifest.json").write_text(  # a run folder riskmodel wrote
        '{"riskmodel": {"output": "run", "files": ["report.html"]}}', encoding="utf-8")
    folder = sim.save(swept, run_dir / "sweep")
    sim.save(swept, run_dir / "sweep")  # again: the section is replaced, not repeated
    with (folder / "sweep.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 and rows[0][KEY] == "1"
    assert {"sdi_mean", "sdi_p5", "sdi_p50", "sdi_p95", "recovery_days_p95"} <= set(rows[0])
    assert float(rows[3]["sdi_mean"]) == swept.results[3].figures["sdi"]["mean"]
    assert json.loads((folder / "sweep.json").read_text())["charts"] == {
        KEY: "sweep_1", "matrix.accounts.leader_2.followers": "sweep_2"}
    assert {p.name for p in folder.glob("sweep_*")} == {
        "sweep_1.png", "sweep_1.svg", "sweep_2.png", "sweep_2.svg"}
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    assert report.count('<section id="analyses">') == 1
    assert 'href="sweep/report.html"' in report and report.count("data:image/png") == 2
    assert "<h1>run</h1>" in report


def test_cli_bad_value_exits_2_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(json.dumps(BASE), encoding="utf-8")
    result = CliRunner().invoke(app, ["sweep", "s.yaml", "--set", f"{KEY}=1,-2"])
    assert result.exit_code == 2
    assert f"--set {KEY}=-2" in result.output and "expected >= 0" in result.output
    assert not (tmp_path / "outputs").exists()


def test_a_new_run_keeps_earlier_analyses_and_their_report_section(tmp_path):
    """Running the scenario again replaces the run's files, not the analyses beside them."""
    scenario = Scenario.model_validate({**BASE, "replications": 2})
    folder = sim.save(sim.run(scenario, workers=1), tmp_path / "out")
    (folder / "sweep").mkdir()
    (folder / "sweep" / "sweep.json").write_text(json.dumps(
        {"grid": {"audience.users": [2000]}, "charts": {}}), encoding="utf-8")
    (folder / "sweep" / "report.html").write_text("<p>sweep</p>", encoding="utf-8")
    (folder / "sweep" / "manifest.json").write_text(json.dumps(  # riskmodel's, as a sweep
        {"riskmodel": {"output": "sweep", "files": ["sweep.json", "report.html"]}}),
        encoding="utf-8")
    sim.save(sim.run(scenario, workers=1), folder)
    assert (folder / "sweep" / "report.html").read_text(encoding="utf-8") == "<p>sweep</p>"
    assert 'id="analyses"' in (folder / "report.html").read_text(encoding="utf-8")


def test_sweep_charts_text_is_at_least_12_px_in_the_report(swept, tmp_path):
    for key in swept.grid:
        fig = plot_sweep(swept, key)
        save_figure(fig, tmp_path / "sweep", ("png",))
        assert smallest_text_px(fig) >= 12 - 1e-9, key


def test_the_report_in_chinese(swept, tmp_path):
    """The page, its charts and its sentences in Chinese when the reader asks for it."""
    with language("zh"):
        page = (sim.save(swept, tmp_path / "zh") / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in page and "参数扫描：" in page and "Every point" not in page
