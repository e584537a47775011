"""HTML pages of sweeps and sensitivity analyses, and their section in the run's report.

A sweep or sensitivity analysis writes its own self-contained ``report.html`` in its folder
(inside the run's folder by default). The run's report gains a section "Sweeps and
sensitivity" when an analysis is written beside it: the section is rebuilt from every
analysis folder next to the report (its ``sweep.json`` or ``sensitivity.json`` and charts)
and replaces the previous one, so it always shows what the folder holds. Charts are
inlined; the pages load nothing from elsewhere. All user text is escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from sim.analysis.sensitivity import DISTRIBUTIONS, SensitivityResult
from sim.analysis.sweep import SweepResult
from sim.files import replaced
from sim.output.files import output_kind
from sim.output.html import DASH, charts_html, html_table, page
from sim.runs.figures import FIGURES, RUN_FIGURES

__all__ = ["add_analyses", "render_sensitivity", "render_sweep", "update_run_report"]

SECTION = re.compile(r'\n?<section id="analyses">.*?</section>\n?', re.DOTALL)
TORNADO = "What drives each figure: the inputs as bars, most influential on top."


def render_sweep(result: SweepResult, rows: list[dict[str, Any]],
                 charts: dict[str, list[Path]]) -> str:
    """The sweep's page: what was swept, the charts per key, and the table of points."""
    keys = list(result.grid)
    head = keys + [f"{FIGURES[k].title} ({FIGURES[k].unit})" for k in RUN_FIGURES]
    table_rows = [[*(row[k] for k in keys),
                   *(_cell(row, k) for k in RUN_FIGURES)]
                  for row in rows]
    replications = result.results[0].replications
    intro = (f"{len(result.points)} points, each {replications} replications with seed "
             f"{result.scenario.seed} (common random numbers: replication r of every point "
             "draws the same random numbers, so differences between points are the model's). "
             "Swept: " + "; ".join(f"{k} = {', '.join(map(str, v))}"
                                   for k, v in result.grid.items()) + ".")
    body = [
        f"<p>{escape(intro)}</p>",
        "<h2>Figures against each swept key</h2>",
        charts_html(charts, {key: f"Headline figures against {key}." for key in charts}),
        "<h2>Every point</h2>",
        html_table(head, table_rows, cls="numbers"),
        '<p class="muted">Mean over replications with its P5-P95 range; shares in %. '
        "sweep.csv has every figure's mean, P5, P50 and P95.</p>",
    ]
    return _page(f"Sweep: {result.scenario.name}", body)


def render_sensitivity(result: SensitivityResult, charts: list[Path]) -> str:
    """The sensitivity page: the ranking in words, warnings, the tornado chart, the
    indices and the parameters."""
    spec, per = result.spec, result.meta["per_sample"]
    settings = (f"{result.method.capitalize()} analysis (SALib) of {len(spec.parameters)} "
                f"inputs: {len(result.x)} runs from {spec.n} "
                f"{'base samples' if result.method == 'sobol' else 'trajectories'}; each run "
                f"{per['replications']} replication(s) averaged, {per['users']} simulated "
                f"users, {per['horizon_days']} days, seed {result.meta['seed']} (common random "
                "numbers across runs).")
    params = [(p.name, p.key, p.salib()[0], ", ".join(
        f"{n} {v:,.10g}" for n, v in zip(DISTRIBUTIONS[p.salib()[0]], p.salib()[1])))
        for p in spec.parameters]
    rows = result.rows()
    head = list(rows[0]) if rows else []
    body = [
        f"<p>{escape(settings)}</p>",
        _list(result.sentences(), "headline"),
        _warnings(result.warnings),
        charts_html({"tornado": charts}, {"tornado": TORNADO}),
        "<h2>Indices</h2>",
        html_table(head, [[_fmt(v) for v in r.values()] for r in rows], cls="numbers"),
        '<p class="muted">Sobol: S1 first-order and ST total index (shares of the '
        "figure's variance) with 95% bootstrap half-widths; Morris: mu* mean absolute "
        "elementary effect over the input's range, sigma its spread.</p>",
        "<h2>Inputs</h2>",
        html_table(["Input", "Key", "Distribution", "Parameters"], params, cls="settings"),
    ]
    return _page(f"Sensitivity: {result.scenario.name}", body)


def add_analyses(html: str, run_dir: Path) -> str:
    """The run's report ``html`` with its "Sweeps and sensitivity" section rebuilt from the
    analyses in ``run_dir`` (none: no section)."""
    html = SECTION.sub("\n", html)
    section = _section(run_dir)
    return html.replace("</main>", section + "\n</main>", 1) if section else html


def update_run_report(run_dir: Path) -> None:
    """Rebuild the "Sweeps and sensitivity" section of the report in ``run_dir``, if that is
    a run folder riskmodel wrote with a report; written atomically."""
    report = run_dir / "report.html"
    if output_kind(run_dir) != "run" or report.is_symlink() or not report.is_file():
        return
    html = add_analyses(report.read_text(encoding="utf-8"), run_dir)
    with replaced(report) as tmp:
        tmp.write_text(html, encoding="utf-8")


def _section(run_dir: Path) -> str:
    """The run report's section: every sweep and sensitivity analysis riskmodel wrote in
    ``run_dir``."""
    parts = []
    for folder in sorted(p for p in run_dir.iterdir() if p.is_dir() and not p.is_symlink()):
        kind = output_kind(folder)
        if kind == "sensitivity":
            facts = json.loads((folder / "sensitivity.json").read_text(encoding="utf-8"))
            parts += [f"<h3>Sensitivity analysis ({escape(folder.name)}/)</h3>",
                      _list(facts["ranking"], ""), _warnings(facts["warnings"]),
                      charts_html({"tornado": list(folder.glob("tornado.*"))},
                                   {"tornado": TORNADO})]
        elif kind == "sweep":
            facts = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
            swept = "; ".join(f"{k} = {', '.join(map(str, v))}" for k, v in
                              facts["grid"].items())
            parts += [f"<h3>Sweep ({escape(folder.name)}/)</h3>",
                      f"<p>{escape(swept)}</p>",
                      charts_html({k: list(folder.glob(f"{stem}.*"))
                                    for k, stem in facts["charts"].items()},
                                   {k: f"Headline figures against {k}." for k in facts["grid"]})]
        else:
            continue
        parts.append(f'<p class="muted">Details: <a href="{escape(folder.name)}/report.html">'
                     f"{escape(folder.name)}/report.html</a>.</p>")
    if not parts:
        return ""
    return '<section id="analyses">\n<h2>Sweeps and sensitivity</h2>\n' + "\n".join(
        p for p in parts if p) + "\n</section>"


def _page(title: str, body: Sequence[str]) -> str:
    return page(title, [f"<h1>{escape(title)}</h1>", *body])


def _list(items: Sequence[str], cls: str) -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<ul{attr}>\n" + "\n".join(f"<li>{escape(i)}</li>" for i in items) + "\n</ul>"


def _warnings(items: Sequence[str]) -> str:
    return "".join(f'<p class="muted"><strong>Warning:</strong> {escape(w)}</p>' for w in items)


def _cell(row: dict[str, Any], key: str) -> str:
    """A figure's mean with its P5-P95 range."""
    h = FIGURES[key]
    mean, p5, p95 = (row[f"{key}_{s}"] for s in ("mean", "p5", "p95"))
    if mean is None:
        return h.text(None)
    return h.text(mean) + (f" ({h.text(p5)}{DASH}{h.text(p95)})" if None not in (p5, p95)
                           else "")


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)
