"""`riskmodel run` end to end: outputs, reproducibility, workers, bad input, reports."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml
from browser import images_loaded
from conftest import SCENARIOS
from typer.testing import CliRunner

from sim.cli import app
from sim.runs.figures import RUN_FIGURES

runner = CliRunner()

SMALL_RUN = {
    "name": "tiny", "seed": 5, "horizon_days": 40, "replications": 4,
    "audience": {"users": 3000, "social": {"mean_degree": 8, "max_degree": 100,
                                           "community_size": 200}},
    "matrix": {"layout": "1+1+2+2", "leader": "founder",
               "accounts": [{"id": "founder", "role": "leader", "followers": 3_000_000}]},
    "amplification": [{"source": "founder", "target": "brand", "weight": 0.3}],
    "events": [{"kind": "scandal", "target": "founder", "day": 10},
               {"kind": "exit", "target": "founder", "day": 20}],
}
OUTPUTS = {"summary.json", "timeseries.csv", "attribution.csv", "manifest.json", "report.html",
           *(f"{c}.{x}" for c in ("reach", "attribution", "dependency", "influence", "trust",
                                  "robustness")
             for x in ("png", "svg"))}


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(SMALL_RUN))
    return path


def _run(*args: str) -> str:
    result = runner.invoke(app, ["run", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_run_writes_every_output(scenario_file, tmp_path):
    out = tmp_path / "out"
    printed = _run(str(scenario_file), "--out", str(out), "--workers", "1")
    assert {p.name for p in out.iterdir()} == OUTPUTS
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "tiny" and summary["leader"] == "founder"
    assert summary["replications"] == 4 and summary["horizon_days"] == 40
    for name in RUN_FIGURES:
        assert set(summary["metrics"][name]) >= {"mean", "p5", "p50", "p95"}
    assert {"id", "role", "shapley_reach", "share", "exclusive_reach"} <= \
        set(summary["attribution"][0])
    assert sum(a["share"] for a in summary["attribution"]) == pytest.approx(1.0)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and len(manifest["file_sha256"]) == 64
    assert manifest["versions"]["numpy"] and manifest["wall_time_s"] > 0
    assert manifest["scenario"]["matrix"]["accounts"][0]["id"]
    report = (out / "report.html").read_text(encoding="utf-8")  # the same facts as the manifest
    assert html.escape(manifest["command"]) in report
    assert f"numpy {manifest['versions']['numpy']}" in report
    header = (out / "timeseries.csv").read_text().splitlines()[0]
    assert header.startswith("day,variant,reach_mean,reach_p5,reach_p50,reach_p95,"
                             "impressions_mean,trust_mean,followers_brand")
    assert "SDI" in printed and "report" in printed


def test_same_seed_and_any_workers_give_identical_files(scenario_file, tmp_path):
    runs = [("--workers", "1"), ("--workers", "2"), ("--workers", "1")]
    for i, args in enumerate(runs):
        _run(str(scenario_file), "--out", str(tmp_path / str(i)), *args)
    for name in ("summary.json", "timeseries.csv", "attribution.csv"):
        texts = {(tmp_path / str(i) / name).read_text() for i in range(len(runs))}
        assert len(texts) == 1, name


def test_overrides_change_the_run(scenario_file, tmp_path):
    _run(str(scenario_file), "--out", str(tmp_path / "a"), "--replications", "2",
         "--seed", "9", "--workers", "1")
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["replications"] == 2 and summary["seed"] == 9


def test_bad_scenario_exits_2_and_keeps_earlier_outputs(scenario_file, tmp_path):
    out = tmp_path / "out"
    _run(str(scenario_file), "--out", str(out), "--workers", "1")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = dict(SMALL_RUN, events=[{"kind": "exit", "target": "nobody", "day": 5}])
    scenario_file.write_text(yaml.safe_dump(bad))
    result = runner.invoke(app, ["run", str(scenario_file), "--out", str(out)])
    assert result.exit_code == 2
    assert "events[0].target" in result.output and "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_default_output_folder_is_outputs_name(scenario_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _run(str(scenario_file), "--workers", "1", "--replications", "2")
    assert (tmp_path / "outputs" / "tiny" / "summary.json").exists()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_bundled_scenario_runs_and_its_report_opens(path, tmp_path):
    """Each bundled scenario as shipped (2 replications to keep it short); its report
    shows every image in a real browser."""
    out = tmp_path / path.stem
    printed = _run(str(path), "--out", str(out), "--replications", "2", "--workers", "2")
    loaded, total = images_loaded(out / "report.html")
    assert total >= 4 and loaded == total
    assert "low around" not in printed  # a flat loss has no day of a low (noise)
    summary = json.loads((out / "summary.json").read_text())
    if path.stem == "founder_exit":  # the headline's loss is the loss, in its interval
        loss = summary["metrics"]["cumulative_loss_pct"]
        said = float(re.search(r"daily brand reach is (\d+)%", " ".join(printed.split()))[1])
        assert said == round(loss["mean"]) and loss["p5"] - 1 <= said <= loss["p95"] + 1
        levers = [lv["key"] for lv in summary["levers"]]
        assert levers[0] == "do_nothing" and len(levers) >= 3  # doing nothing and 2 levers
        assert all(lv["extra_cost"] >= 0 and lv["sdi"]["mean"] is not None
                   for lv in summary["levers"])
        assert "What would reduce it" in (out / "report.html").read_text(encoding="utf-8")


def test_python_api_runs_a_file_and_plots(scenario_file, tmp_path):
    """sim.run takes a path; the result has the figures; sim.plot draws its charts and
    sim.save writes it."""
    import sim

    result = sim.run(scenario_file, replications=2, workers=1)
    assert set(result.figures["sdi"]) >= {"mean", "p5", "p50", "p95"}
    assert type(sim.plot(result, "reach")).__name__ == "Figure"
    with pytest.raises(ValueError, match="expected one of"):
        sim.plot(result, "pie")
    assert (sim.save(result, tmp_path / "api") / "summary.json").exists()


@pytest.mark.parametrize(("setting", "message"), [
    ({"seed": -3}, "seed: expected >= 0; found -3"),
    ({"replications": 0}, "replications: expected >= 1 or 'auto'; found 0")])
def test_python_api_validates_its_settings_like_a_file(scenario_file, setting, message):
    """Settings passed to sim.run go through the schema: a clear error naming the key."""
    import sim

    with pytest.raises(sim.ScenarioError, match=message):
        sim.run(scenario_file, workers=1, **setting)
