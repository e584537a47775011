"""Reports, charts and the headline in English and Chinese: every message translated with
its placeholders, Chinese text drawn (never missing-glyph boxes) and tables that fit the page
a workshop projects."""

from __future__ import annotations

import base64
import copy
import io
import re
import string
import warnings
from pathlib import Path

import pytest
import yaml
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from browser import images_loaded, tables_wider_than_the_page
from conftest import ROOT, SMALL, smallest_text_px
from fontTools.ttLib import TTFont
from typer.testing import CliRunner

from sim import Scenario, run, save
from sim.analysis.compare import compare
from sim.cli import app
from sim.i18n import LOCALE, _, language
from sim.output.layouts.charts import COMPARISON_CHARTS, draw_comparison_charts
from sim.output.run.charts import charts
from sim.output.run.report import headline
from sim.output.style import save_figure
from sim.scenario.schema import Dynamics

CATALOG = LOCALE / "zh" / "LC_MESSAGES" / "riskmodel.po"
EVENTS = [{"kind": "scandal", "target": "founder", "day": 20},
          {"kind": "exit", "target": "founder", "day": 40}]


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


@pytest.fixture(scope="module")
def small_run():
    data = copy.deepcopy(SMALL) | {"replications": 3, "events": EVENTS,
                                   "outputs": {"mitigation_replications": 0}}
    return run(Scenario.model_validate(data), workers=1, check_memory=False)


def test_every_message_has_a_chinese_translation_with_its_placeholders():
    """Each message the code marks (``_`` or ``N_``) is in the catalog, translated, and its
    translation names the same placeholders."""
    with CATALOG.open("rb") as fh:
        catalog = read_po(fh)
    extracted = {m[2] for m in extract_from_dir(ROOT / "sim", keywords={"_": None, "N_": None},
                                                method_map=[("**.py", "python")])}
    extracted |= {f.description for f in Dynamics.model_fields.values()}  # the report's table
    missing = sorted(m for m in extracted if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, missing
    for message in catalog:
        if message.id:
            assert _fields(message.id) == _fields(message.string), message.id


@pytest.fixture(scope="module")
def layouts():
    """The scenario's own layout against one without the founder (whose exit is n/a)."""
    return compare(Scenario.model_validate(copy.deepcopy(SMALL) | {
        "replications": 2, "events": EVENTS[1:],
        "variants": [{"name": "own"}, {"name": "brand_only", "matrix": {
            "layout": "1+3+0+4", "leader": None, "accounts": []}, "amplification": []}]}),
        workers=1)


@pytest.mark.parametrize("command", ["run", "compare", "sweep", "sensitivity", "recommend",
                                     "calibrate"])
def test_every_command_that_writes_a_report_takes_lang(command):
    """--lang zh|en on each command that writes a report (its charts and printed text)."""
    found = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert found.exit_code == 0 and "--lang" in found.output and "zh" in found.output


def test_chinese_charts_draw_every_glyph(small_run, layouts, tmp_path):
    """Every chart of a run and of a comparison, drawn in Chinese, raises no missing-glyph
    warning (matplotlib warns ``Glyph ... missing from font(s)``)."""
    with language("zh"), warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font")
        for plot in charts(small_run).values():
            fig = plot(small_run)
            fig.savefig(io.BytesIO(), format="png")
        draw_comparison_charts(layouts, tmp_path, ("png",))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_chart_text_is_at_least_12_px_where_a_report_shows_it(small_run, layouts, lang,
                                                             tmp_path):
    """Every text of every run and comparison chart, as saved, is 12 px or taller at the
    width the report shows it (1280 px page): readable when a workshop projects it."""
    plots = [(name, plot, small_run) for name, plot in charts(small_run).items()]
    plots += [(name, plot, layouts) for name, plot in COMPARISON_CHARTS.items()]
    with language(lang):
        for name, plot, result in plots:
            fig = plot(result)
            save_figure(fig, tmp_path / name, ("png",))
            assert smallest_text_px(fig) >= 12 - 1e-9, name


def test_a_chinese_report_carries_a_font_for_every_chinese_character(small_run, tmp_path):
    """The page inlines the CJK font, cut to its characters, and every Chinese character of
    the page is in it: a machine without Chinese fonts draws no boxes."""
    with language("zh"):
        page = (save(small_run, tmp_path / "zh") / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in page
    face = re.search(r'@font-face\{[^}]*base64,([A-Za-z0-9+/=]+)\)', page)
    assert face is not None
    cmap = TTFont(io.BytesIO(base64.b64decode(face.group(1)))).getBestCmap()
    text = re.sub(r"<style>.*?</style>|data:[^\"')]+", "", page, flags=re.S)
    chinese = {c for c in text if ord(c) >= 0x2E80}
    assert len(chinese) > 100 and chinese <= {chr(c) for c in cmap}
    english = (save(small_run, tmp_path / "en") / "report.html").read_text(encoding="utf-8")
    assert "@font-face" not in english and '<html lang="en">' in english


def test_the_headline_in_chinese(small_run):
    with language("zh"):
        text = headline(small_run)
    assert text.startswith("领袖账号founder承载了") and "第 20 天founder陷入丑闻后" in text
    assert "品牌日触达平均比没有该事件时低" in text and "None" not in text


def test_lang_option_and_scenario_key_choose_the_language(tmp_path):
    """``--lang zh`` writes the report and prints the headline in Chinese; the scenario's
    ``outputs.lang`` does the same without it; ``--lang en`` wins over the key."""
    data = copy.deepcopy(SMALL) | {"replications": 2,
                                   "outputs": {"charts": [], "mitigation_replications": 0,
                                               "lang": "zh"}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    by_key = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "key"),
                                      "--workers", "1"])
    assert by_key.exit_code == 0, by_key.output
    assert "领袖账号" in by_key.output
    assert '<html lang="zh">' in (tmp_path / "key" / "report.html").read_text(encoding="utf-8")
    english = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "en"),
                                       "--workers", "1", "--lang", "en"])
    assert english.exit_code == 0 and "The leader account" in english.output
    page = (tmp_path / "en" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and _("Headline figures") in page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_reports_fit_the_page_and_load_their_charts(small_run, layouts, tmp_path, lang):
    """At 1280 px no table of the run or the compare report is wider than the page, and
    every chart loads (headless Chromium)."""
    with language(lang):
        reports = [save(small_run, tmp_path / lang) / "report.html",
                   save(layouts, tmp_path / f"compare_{lang}") / "report.html"]
    for report in reports:
        assert tables_wider_than_the_page(Path(report)) == [], report.parent.name
        loaded, total = images_loaded(Path(report))
        assert loaded == total > 0
