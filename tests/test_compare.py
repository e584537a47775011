"""Comparing layouts: one audience, the same events, common random numbers, fair footing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim import Scenario, ScenarioError
from sim.analysis.compare import EVENT_FIGURES, compare, monthly_cost, posts_per_day, prepare
from sim.cli import app
from sim.output import save
from sim.output.layouts.report import findings
from sim.runs.figures import not_applicable
from sim.runs.metrics import STATS

FOUNDER = {"id": "founder", "role": "leader", "followers": 3_000_000, "posts_per_day": 3,
           "overlap": 0.3}
BALANCED = {"name": "balanced",
            "matrix": {"layout": "1+3+4+10+10",
                       "accounts": [FOUNDER | {"posts_per_day": 1}]},
            "amplification": [{"source": "founder", "target": "role:leader", "weight": 0.3},
                              {"source": "brand", "target": "role:employee", "weight": 0.3}]}
BRAND = {"name": "brand_centric",
         "matrix": {"layout": "1+4+0+10", "leader": None, "accounts": []},
         "amplification": []}
BASE = {
    "name": "layouts", "seed": 5, "horizon_days": 120, "replications": 4,
    "audience": {"users": 3000, "social": {"mean_degree": 10, "max_degree": 200,
                                           "community_size": 250}},
    "matrix": {"layout": "1+1+1+3", "leader": "founder", "accounts": [FOUNDER]},
    "amplification": [{"source": "founder", "target": "brand", "weight": 0.3}],
    "events": [{"kind": "exit", "target": "founder", "day": 60}],
}


def _scenario(*variants: dict, **changes) -> Scenario:
    return Scenario.model_validate(BASE | {"variants": list(variants)} | changes)


@pytest.fixture(scope="module")
def three():
    """Founder-centric (the scenario's own matrix), balanced and brand-centric layouts."""
    return compare(_scenario({"name": "founder_centric"}, BALANCED, BRAND), workers=1)


def test_balanced_layout_depends_less_on_the_founder(three):
    """The balanced layout's SDI is below the founder-centric one's, intervals apart."""
    sdi = {name: f["sdi"] for name, f in zip(three.names, three.figures())}
    assert sdi["balanced"]["mean"] < sdi["founder_centric"]["mean"]
    assert sdi["balanced"]["p95"] < sdi["founder_centric"]["p5"]


def test_layouts_share_one_audience_scale(three):
    """Every layout runs at the first layout's scale, on the same simulated users."""
    first = three.layouts[0].scenario.audience.scale
    assert {r.scale for r in three.results} == {first}
    assert {r.n_users for r in three.results} == {3000}
    own = prepare(_scenario(BRAND), [Scenario.model_validate(BASE | {"variants": [BRAND]})
                                     .variants[0]])[0].scenario.audience.scale
    assert own != first  # on its own the brand-centric layout would get another scale


def test_events_on_missing_accounts_do_not_happen(three):
    """The founder's exit is not simulated for a layout without the founder: its loss
    figures are n/a (never a win), and the comparison says so."""
    brand = three.names.index("brand_centric")
    assert three.results[brand].scenario.events == []
    for key in EVENT_FIGURES:
        assert three.figures()[brand][key] == not_applicable()
    assert three.layouts[brand].skipped[0] == {"kind": "exit", "target": "founder", "day": 60,
                                               "missing": ["founder"]}
    founder = three.names.index("founder_centric")
    assert three.figures()[founder]["cumulative_loss_pct"]["mean"] > 10
    assert not three.efficient("loss_at_risk")[brand]
    said = " ".join(findings(three))
    assert "Lowest loss: brand_centric" not in said and "n/a for brand_centric" in said


def test_an_event_a_layout_cannot_have_is_na_in_every_output(three, tmp_path):
    """Table, JSON, CSV, report and terminal all write n/a for the brand-centric layout's
    loss figures, none a number."""
    folder = save(three, tmp_path / "compare")
    data = json.loads((folder / "comparison.json").read_text(encoding="utf-8"))
    brand = next(v for v in data["variants"] if v["variant"] == "brand_centric")
    for key in EVENT_FIGURES:
        assert brand["figures"][key]["status"] == "n/a" and brand["figures"][key]["mean"] is None
    assert brand["efficient_reach_vs_loss_at_risk"] is False
    with (folder / "comparison.csv").open(encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["variant"] == "brand_centric")
    assert {row[f"{k}_{s}"] for k in EVENT_FIGURES for s in STATS} == {"n/a"}
    page = (folder / "report.html").read_text(encoding="utf-8")
    loss_row = page[page.index("<td>Loss (% of baseline)</td>"):]
    loss_row = loss_row[:loss_row.index("</tr>")]
    assert loss_row.endswith(">n/a</td>") and loss_row.count("n/a") == 1


def test_identical_variants_get_identical_figures():
    """Two variants with the same layout get the same figures (common random numbers); a
    different layout does not."""
    result = compare(_scenario({"name": "a"}, {"name": "b"}, BALANCED), workers=1)
    a, b, other = result.figures()
    assert a == b
    assert a["expected_reach"] != other["expected_reach"]


def test_normalizing_by_cost_equalizes_monthly_costs():
    """With normalize cost every layout costs the first one's monthly cost (within 1%),
    by scaling its posting rates; without it the costs differ."""
    variants = ({"name": "founder_centric"}, BALANCED, BRAND)
    plain = [monthly_cost(x.scenario) for x in prepare(_scenario(*variants),
                                                       _scenario(*variants).variants)]
    assert max(plain) > 1.5 * min(plain)
    result = compare(_scenario(*variants, normalize="cost"), workers=1, replications=2)
    costs = [f["monthly_cost"]["mean"] for f in result.figures()]
    assert max(costs) <= 1.01 * min(costs)
    for lay, before, result_ in zip(result.layouts, plain, result.results):
        assert lay.cadence == pytest.approx(costs[0] / before)
        assert monthly_cost(result_.scenario) == pytest.approx(costs[0], rel=0.01)
    balanced = result.layouts[1]
    assert balanced.cadence < 1  # the dearer layout posts less
    unscaled = prepare(_scenario(BALANCED), _scenario(BALANCED).variants)[0].scenario
    assert posts_per_day(balanced.scenario) == pytest.approx(
        balanced.cadence * posts_per_day(unscaled))


def test_normalizing_by_posts_equalizes_posts_per_day():
    """With normalize posts every layout posts as often a day as the first one."""
    layouts = prepare(_scenario({"name": "founder_centric"}, BALANCED, BRAND),
                      _scenario({"name": "founder_centric"}, BALANCED, BRAND).variants,
                      normalize="posts")
    posts = [posts_per_day(x.scenario) for x in layouts]
    assert max(posts) == pytest.approx(min(posts), rel=1e-9)
    assert layouts[1].cadence != 1


def _write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_cli_compares_files_and_writes_every_output(tmp_path: Path):
    """`riskmodel compare A B` writes the table, JSON, charts and report, and says its
    footing; the second file's own events are replaced by the first's."""
    first = _write(tmp_path / "founder.yaml", BASE | {"name": "founder", "replications": 2})
    second = _write(tmp_path / "brand.yaml", {
        "name": "brand", "audience": {"users": 3000}, "matrix": {"layout": "1+4+0+10"}})
    out = tmp_path / "cmp"
    result = CliRunner().invoke(app, ["compare", str(first), str(second), "--normalize",
                                      "cost", "--out", str(out), "--workers", "1"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "held to founder's monthly cost" in result.stdout
    for name in ("comparison.csv", "comparison.json", "report.html", "bars.png", "reach.png",
                 "frontier.png", "frontier.svg"):
        assert (out / name).is_file(), name
    data = json.loads((out / "comparison.json").read_text())
    assert data["normalize"] == "cost" and data["scale_from"] == "founder"
    assert [v["variant"] for v in data["variants"]] == ["founder", "brand"]
    for v in data["variants"]:
        assert set(v["figures"]["sdi"]) == {"mean", "p5", "p50", "p95"}
    assert "held to founder&#x27;s monthly cost" in (out / "report.html").read_text()


def test_cli_rejects_a_single_file_without_variants(tmp_path: Path):
    """One file without variants is bad input: exit status 2, a message, nothing written."""
    only = _write(tmp_path / "only.yaml", BASE)
    out = tmp_path / "cmp"
    result = CliRunner().invoke(app, ["compare", str(only), "--out", str(out)])
    assert result.exit_code == 2
    assert "variants: expected a list of layouts to compare" in result.stderr
    assert not out.exists()


def test_a_variant_with_a_bad_matrix_names_the_variant():
    """A variant whose matrix does not hold together is reported with its name."""
    bad = {"name": "broken", "matrix": {"leader": "nobody"}}
    with pytest.raises(ScenarioError, match=r"variant 'broken'.*matrix\.leader"):
        compare(_scenario(bad), workers=1)
