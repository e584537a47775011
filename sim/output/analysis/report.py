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
from sim.i18n import N_, _
from sim.output.files import output_kind
from sim.output.html import DASH, charts_html, heading, html_table, page
from sim.runs.figures import FIGURES, RUN_FIGURES

__all__ = ["add_analyses", "render_sensitivity", "render_sweep", "update_run_report"]

SECTION = re.compile(r'\n?<section id="analyses">.*?</section>\n?', re.DOTALL)
TORNADO = N_("What drives each figure: the inputs as bars, most influential on top.")
AGAINST = N_("Headline figures against {key}.")


def render_sweep(result: SweepResult, rows: list[dict[str, Any]],
                 charts: dict[str, list[Path]]) -> str:
    """The sweep's page: what was swept, the charts per key, and the table of points."""
    keys = list(result.grid)
    head = keys + [f"{_(FIGURES[k].title)} ({_(FIGURES[k].unit)})" for k in RUN_FIGURES]
    table_rows = [[*(row[k] for k in keys),
                   *(_cell(row, k) for k in RUN_FIGURES)]
                  for row in rows]
    replications = result.results[0].replications
    intro = _("{n} points, each {replications} replications with seed {seed} (common random "
              "numbers: replication r of every point draws the same random numbers, so "
              "differences between points are the model's). Swept: {swept}.").format(
        n=len(result.points), replications=replications, seed=result.scenario.seed,
        swept=_swept(result.grid))
    body = [
        f"<p>{escape(intro)}</p>",
        heading(_("Figures against each swept key")),
        charts_html(charts, {key: _(AGAINST).format(key=key) for key in charts}),
        heading(_("Every point")),
        html_table(head, table_rows, cls="numbers"),
        '<p class="muted">' + escape(_("Mean over replications with its P5-P95 range; shares "
                                       "in %. sweep.csv has every figure's mean, P5, P50 and "
                                       "P95.")) + "</p>",
    ]
    return _page(_("Sweep: {name}").format(name=result.scenario.name), body)


def render_sensitivity(result: SensitivityResult, charts: list[Path]) -> str:
    """The sensitivity page: the ranking in words, warnings, the tornado chart, the
    indices and the parameters."""
    spec, per = result.spec, result.meta["per_sample"]
    settings = (_("Sobol analysis (SALib) of {inputs} inputs: {runs} runs from {n} base "
                  "samples") if result.method == "sobol" else
                _("Morris analysis (SALib) of {inputs} inputs: {runs} runs from {n} "
                  "trajectories")).format(inputs=len(spec.parameters), runs=len(result.x),
                                          n=spec.n) + _(
        "; each run {replications} replication(s) averaged, {users} simulated users, {days} "
        "days, seed {seed} (common random numbers across runs).").format(
        replications=per["replications"], users=per["users"], days=per["horizon_days"],
        seed=result.meta["seed"])
    params = [(p.name, p.key, p.salib()[0], ", ".join(
        f"{n} {v:,.10g}" for n, v in zip(DISTRIBUTIONS[p.salib()[0]], p.salib()[1])))
        for p in spec.parameters]
    rows = result.rows()
    head = list(rows[0]) if rows else []
    body = [
        f"<p>{escape(settings)}</p>",
        _list(result.sentences(), "headline"),
        _warnings(result.warnings),
        charts_html({"tornado": charts}, {"tornado": _(TORNADO)}),
        heading(_("Indices")),
        html_table(head, [[_fmt(v) for v in r.values()] for r in rows], cls="numbers"),
        '<p class="muted">' + escape(_("Sobol: S1 first-order and ST total index (shares of "
                                       "the figure's variance) with 95% bootstrap "
                                       "half-widths; Morris: mu* mean absolute elementary "
                                       "effect over the input's range, sigma its "
                                       "spread.")) + "</p>",
        heading(_("Inputs")),
        html_table([_("Input"), _("Key"), _("Distribution"), _("Parameters")], params,
                   cls="settings"),
    ]
    return _page(_("Sensitivity: {name}").format(name=result.scenario.name), body)


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
            parts += [heading(_("Sensitivity analysis ({folder}/)").format(folder=folder.name),
                              3),
                      _list(facts["ranking"], ""), _warnings(facts["warnings"]),
                      charts_html({"tornado": list(folder.glob("tornado.*"))},
                                  {"tornado": _(TORNADO)})]
        elif kind == "sweep":
            facts = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
            parts += [heading(_("Sweep ({folder}/)").format(folder=folder.name), 3),
                      f"<p>{escape(_swept(facts['grid']))}</p>",
                      charts_html({k: list(folder.glob(f"{stem}.*"))
                                   for k, stem in facts["charts"].items()},
                                  {k: _(AGAINST).format(key=k) for k in facts["grid"]})]
        else:
            continue
        link = f'<a href="{escape(folder.name)}/report.html">{escape(folder.name)}/report.html</a>'
        parts.append('<p class="muted">' + escape(_("Details: {link}.")).format(link=link)
                     + "</p>")
    if not parts:
        return ""
    return ('<section id="analyses">\n' + heading(_("Sweeps and sensitivity")) + "\n"
            + "\n".join(p for p in parts if p) + "\n</section>")


def _swept(grid: dict[str, list[Any]]) -> str:
    """What a sweep swept: each key with its values."""
    return "; ".join(f"{k} = {', '.join(map(str, v))}" for k, v in grid.items())


def _page(title: str, body: Sequence[str]) -> str:
    return page(title, [f"<h1>{escape(title)}</h1>", *body])


def _list(items: Sequence[str], cls: str) -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<ul{attr}>\n" + "\n".join(f"<li>{escape(i)}</li>" for i in items) + "\n</ul>"


def _warnings(items: Sequence[str]) -> str:
    return "".join(f'<p class="muted"><strong>{escape(_("Warning:"))}</strong> {escape(w)}</p>'
                   for w in items)


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
