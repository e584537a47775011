"""Charts and the HTML report of a run, drawn from a synthetic but realistic result."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from browser import images_loaded

from sim import Scenario, resolve_scenario
from sim.output.run.charts import draw_charts, format_people
from sim.output.run.report import headline, render_report
from sim.runs.results import RunResult
from sim.scenario.schema import ROLES

EVIL = "<script>alert('x')</script> & Sons $5"

SCENARIO = {
    "name": "report_test",
    "description": "Founder scandal, then exit <b>not bold</b>.",
    "seed": 9,
    "horizon_days": 120,
    "replications": 40,
    "audience": {"users": 5000},
    "matrix": {"layout": "1+2+3+6+3", "leader": "founder",
               "accounts": [{"id": "founder", "role": "leader", "label": "Founder",
                             "followers": 3_000_000},
                            {"id": "shop", "role": "dealer", "label": EVIL}]},
    "amplification": [{"source": "founder", "target": "role:leader", "weight": 0.3},
                      {"source": "founder", "target": "brand", "weight": 0.2},
                      {"source": "brand", "target": "role:dealer", "weight": 0.1}],
    "events": [{"kind": "scandal", "target": "founder", "day": 20, "note": EVIL},
               {"kind": "crisis_response", "day": 22},
               {"kind": "exit", "target": "founder", "day": 60}],
}

FIGURES = {
    "sdi": {"mean": 0.45, "p5": 0.40, "p50": 0.45, "p95": 0.51},
    "leader_shapley_share": {"mean": 0.58, "p5": 0.52, "p50": 0.58, "p95": 0.63},
    "hhi": {"mean": 0.38, "p5": 0.33, "p50": 0.38, "p95": 0.43},
    "effective_voices": {"mean": 2.6, "p5": 2.3, "p50": 2.6, "p95": 3.0},
    "trough_pct": {"mean": 41.0, "p5": 35.2, "p50": 41.3, "p95": 46.8},
    "trough_day": {"mean": 63.0, "p5": 61.0, "p50": 63.0, "p95": 66.0},
    "recovery_days": {"mean": None, "p5": 30.0, "p50": 48.0, "p95": None},
    "cumulative_loss_pct": {"mean": 22.0, "p5": 18.0, "p50": 22.0, "p95": 27.0},
    "loss_at_risk": {"mean": 28.0, "p5": 26.0, "p50": 28.0, "p95": 31.0, "value": 28.5},
    "early_loss_pct": {"mean": 35.0, "p5": 30.0, "p50": 35.0, "p95": 40.0},
    "late_loss_pct": {"mean": 20.0, "p5": 15.0, "p50": 20.0, "p95": 26.0},
    "onset_days": {"mean": 3.0, "p5": 2.0, "p50": 3.0, "p95": 5.0},
    "threshold": 0.9,
    "p_below": 0.97,
    "recovered_share": 0.7,
    "first_event_day": 20,
}


def make_result(data: dict = SCENARIO, figures: dict = FIGURES, seed: int = 0) -> RunResult:
    """A run result with arrays of the engine's shapes and plausible values."""
    rng = np.random.default_rng(seed)
    scenario = resolve_scenario(Scenario.model_validate(data))
    reps, days = scenario.replications, scenario.horizon_days
    ids = [a.id for a in scenario.matrix.accounts]
    t = np.arange(days)
    base = 1.5e6 * (1 + 0.05 * rng.standard_normal((reps, days)))
    exit_day = next((e.day for e in scenario.events if e.kind == "exit"), days)
    drop = np.where(t >= exit_day, 0.6 + 0.35 * (1 - np.exp(-(t - exit_day) / 40)), 1.0)
    trust = 1 - 0.3 * np.where(t >= 20, np.exp(-(t - 20) / 30), 0.0)
    shapley = rng.gamma(2.0, 2e4, (reps, len(ids)))
    shapley[:, ids.index("founder")] = rng.normal(8e5, 5e4, reps)
    amplification = np.zeros((len(ids), len(ids)))
    for i, a in enumerate(scenario.matrix.accounts):
        if a.role in ("leader", "brand") and a.id != "founder":
            amplification[ids.index("founder"), i] = rng.uniform(0.1, 0.4)
        if a.role == "dealer":
            amplification[ids.index("brand"), i] = 0.1
    return RunResult(
        scenario=scenario, scale=scenario.audience.scale, n_users=scenario.audience.users,
        leader="founder",
        reach={"baseline": base, "scenario": base * drop, "no_leader": base * 0.55},
        impressions={"baseline": base * 1.2, "scenario": base * drop * 1.2,
                     "no_leader": base * 0.6},
        trust={"baseline": 1 - rng.uniform(0, 0.01, (reps, days)),
               "scenario": trust - rng.uniform(0, 0.05, (reps, days)),
               "no_leader": 1 - rng.uniform(0, 0.01, (reps, days))},
        followers={v: rng.uniform(1e4, 1e6, (reps, days, len(ROLES)))
                   for v in ("baseline", "scenario", "no_leader")},
        shapley=shapley, exclusive=shapley * rng.uniform(0.2, 0.5, shapley.shape),
        account_followers={v: rng.uniform(1e3, 1e5, (reps, shapley.shape[1]))
                           for v in ("baseline", "scenario", "no_leader")},
        amplification=amplification, figures=figures,
        meta={"seed": 9, "replications": reps, "wall_time_s": 12.3,
              "command": f"riskmodel run {EVIL}", "versions": {"riskmodel": "0.1.0"},
              "file_sha256": "ab" * 32, "source": "scenarios/report_test.yaml"})


@pytest.fixture(scope="module")
def result() -> RunResult:
    return make_result()


@pytest.fixture(scope="module")
def charts(result, tmp_path_factory) -> dict[str, list[Path]]:
    return draw_charts(result, tmp_path_factory.mktemp("charts"))


@pytest.fixture(scope="module")
def html(result, charts) -> str:
    return render_report(result, charts)


# --- charts ----------------------------------------------------------------------------------

def test_every_chart_is_written_in_both_formats(charts):
    """Each chart is written as a non-empty PNG and SVG named after it."""
    assert set(charts) == {"reach", "attribution", "dependency", "influence", "trust"}
    for name, paths in charts.items():
        assert [p.name for p in paths] == [f"{name}.png", f"{name}.svg"]
        png, svg = (p.read_bytes() for p in paths)
        assert png.startswith(b"\x89PNG") and len(png) > 10_000
        assert b"<svg" in svg[:1000] and len(svg) > 10_000


def test_trust_chart_only_with_a_scandal(tmp_path):
    """A scenario without a scandal gets no trust chart; the formats asked for are written."""
    data = {**SCENARIO, "events": [{"kind": "exit", "target": "founder", "day": 60}]}
    charts = draw_charts(make_result(data), tmp_path, formats=("png",))
    assert set(charts) == {"reach", "attribution", "dependency", "influence"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.png" for n in charts)


def test_people_are_written_with_k_and_m():
    """Axis labels of head counts stay short."""
    assert [format_people(x) for x in (0, 950, 1_000, 12_345, 1_250_000, 3e6)] == \
        ["0", "950", "1k", "12k", "1.2M", "3M"]


# --- report ----------------------------------------------------------------------------------

def test_report_is_self_contained(html, charts):
    """Every image is inlined as a data URI and nothing is loaded from elsewhere."""
    sources = re.findall(r'<img[^>]*\ssrc="([^"]*)"', html)
    assert len(sources) == len(charts)
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert 'src="http' not in html and "<link" not in html and "<script" not in html
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")


def test_report_escapes_user_text(html):
    """Labels, descriptions, notes and commands appear escaped, never as markup."""
    assert "<script>" not in html and "<b>not bold</b>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Sons $5" in html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html


def test_report_has_headline_tables_and_scenario(html, result):
    """The page carries the headline, the figures with units, the events, both attribution
    tables (the leader's row marked), the assumptions and the scenario as run."""
    assert headline(result).split(";")[0] in html
    for text in ("Strongman dependency index", "% of baseline", "not within horizon",
                 "Events simulated", "crisis response", "the employee accounts",
                 "Who carries reach: per role", "docs/MODEL.md", "tie_view",
                 "Scenario as run", "kind: scandal", f"{result.scale:,.1f} real people"):
        assert text in html, text
    assert html.count('<tr class="leader"><td>Founder (leader)</td>') == 1


def test_report_without_events(tmp_path):
    """A scenario without events gets no events table, and its page still renders."""
    result = make_result({**SCENARIO, "events": []})
    page = render_report(result, draw_charts(result, tmp_path, formats=("svg",)))
    assert "Events simulated" not in page
    assert page.count('src="data:image/svg+xml;base64,') == 4


def test_headline_names_the_leader_and_the_first_event(result):
    """The headline gives the leader's share with its range and what the first event does;
    a recovery time without a mean falls back to the median."""
    text = headline(result)
    assert text.startswith("The leader account Founder carries 58% (52–63%) of brand reach")
    assert "without Founder, daily brand reach would be 45% (40–51%) lower" in text
    assert "After a scandal around Founder on day 20 (and 2 later events)" in text
    assert ("daily brand reach is 22% (18–27%) lower than without it, on average over days "
            "20-120") in text
    assert "it arrives within 3 days and fades, from 35% in the first 30 days to 20%" in text
    assert ("back to 90% of baseline (as a 7-day average) by day 68 in half of the "
            "replications") in text
    assert "In 1 replication in 20 the loss exceeds 28%." in text
    assert "None" not in text and "low around" not in text


def test_headline_says_a_level_loss_has_no_low(result):
    """A loss as large in the last 90 days as in the first 30 is said to stay level, and
    no day of a low is named (a flat line's lowest day is noise)."""
    level = {**FIGURES, "early_loss_pct": {**FIGURES["early_loss_pct"], "mean": 21.0},
             "late_loss_pct": {**FIGURES["late_loss_pct"], "mean": 23.0}}
    text = headline(make_result(figures=level))
    assert "stays about level (21% in the first 30 days, 23% in the last 90)" in text
    assert "day 63" not in text and "low around" not in text and "lowest" not in text


def test_headline_without_events_or_figures():
    """Without events only the dependency sentence is said; missing figures are named, not
    printed as None."""
    empty = {k: ({"mean": None, "p5": None, "p50": None, "p95": None}
                 if isinstance(v, dict) else None) for k, v in FIGURES.items()}
    text = headline(make_result({**SCENARIO, "events": []}, empty))
    assert text == ("The share of brand reach carried by the leader account Founder could not "
                    "be estimated.")
    text = headline(make_result(figures=empty))
    assert "could not be estimated" in text and "None" not in text
    assert "the loss of reach could not be estimated" in text


def test_report_images_load_in_chromium(html, tmp_path):
    """Every chart of the report loads in a real browser (headless Chromium)."""
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    loaded, total = images_loaded(path)
    assert total == 5
    assert loaded == total


def test_report_says_why_sdi_and_the_leaders_share_differ(html):
    """SDI 45% against a Shapley share of 58%: the page says that other accounts reach much
    of the leader's audience too; with the two close it says nothing."""
    assert "SDI (45%) is below Founder&#x27;s Shapley share (58%)" in html
    close = {**FIGURES, "sdi": {**FIGURES["sdi"], "mean": 0.55}}
    assert "Shapley share (58%)" not in render_report(make_result(figures=close), {})
