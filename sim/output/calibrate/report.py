"""The fit report of a calibration: what was fitted from what, how well, and what the data
cannot tell, in the style of the run's report (charts inlined, all user text escaped)."""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Any

from sim.analysis.calibrate import STATISTICS, CalibrationResult
from sim.output.calibrate.charts import SERIES
from sim.output.html import DASH, charts_html, html_table, page

__all__ = ["render_calibration", "unidentified"]

STATISTIC_NAMES = {"views": "mean log views per follower on posting days",
                   "reposts": "mean daily log reposts per view",
                   "growth": "follower growth per day"}


def render_calibration(result: CalibrationResult, rows: list[dict[str, Any]],
                       charts: dict[str, list[Path]]) -> str:
    """The report page of a calibration."""
    data = result.observed_data
    intro = (f"{len(data.accounts)} accounts observed over {len(data.days)} days "
             f"({data.days[0]} to {data.days[-1]}) in {result.meta['data']}; "
             f"{result.trials} trials of the simulated-moments search, each on "
             f"{result.meta['replications']} replications of the observed days.")
    sections = [
        f"<h1>Calibration: {escape(result.original.name)}</h1>",
        f'<p class="muted">{escape(intro)}</p>',
        f'<div class="headline">{escape(unidentified(result))}</div>',
        "<h2>Fitted parameters</h2>",
        "<p>Each value with its 90% interval; the prior is the scenario's value, with a 90% "
        "range of a factor of 10 either way. A parameter is identified when the data narrow "
        "its interval to less than half the prior's width (in log terms).</p>",
        html_table(["account", "parameter", "value", "90% interval", "prior", "identified",
                    "from"],
                   [[r["account"], r["parameter"], _g(r["value"]),
                     f"{_g(r['low'])} to {_g(r['high'])}", _g(r["prior"]),
                     "yes" if r["identified"] else "no", r["source"]] for r in rows],
                   cls="numbers"),
        "<h2>Fit statistics</h2>",
        "<p>Each account's statistics in the data and in the model at the fit, with the "
        "error the fit weighed their difference by (the larger of the data's day-to-day "
        "error and the model's spread over its replications, plus the model's own); z is "
        "their difference in those errors.</p>",
        _statistics(result),
        _overlaps(result),
        "<h2>Observed against simulated</h2>",
        charts_html(charts, {name: f"Observed {label} (dots) and the calibrated model's mean "
                             "and P5-P95 band over its replications." for name, label in
                             SERIES.items()}),
    ]
    return page(f"Calibration: {result.original.name}", sections)


def unidentified(result: CalibrationResult) -> str:
    """In plain words, which parameters the data cannot identify."""
    weak = [f for f in result.fits if not f.identified]
    if not weak:
        return "The data identify every fitted parameter."
    by_parameter: dict[str, list[str]] = {}
    for f in weak:
        by_parameter.setdefault(f.parameter, []).append(f.account)
    parts = [f"{p} of {', '.join(accounts)}" for p, accounts in by_parameter.items()]
    return ("The data cannot identify " + "; ".join(parts) + ": their intervals stay close "
            "to the prior's, and runs of the calibrated scenario carry that uncertainty.")


def _statistics(result: CalibrationResult) -> str:
    rows = []
    for a, account in enumerate(result.observed_data.accounts):
        for k, name in enumerate(STATISTICS):
            obs, se, sim = result.observed[a, k], result.errors[a, k], \
                result.simulated[a, k]
            z = (sim - obs) / se if se and math.isfinite(se) and se > 0 else math.nan
            rows.append([account, STATISTIC_NAMES[name], _g(obs), _g(se), _g(sim), _g(z)])
    return html_table(["account", "statistic", "observed", "error", "model", "z"],
                      rows, cls="numbers")


def _overlaps(result: CalibrationResult) -> str:
    if not result.overlaps:
        return ""
    rows = [[a, _g(v), f"{_g(lo)} to {_g(hi)}"] for a, (v, lo, hi) in result.overlaps.items()]
    return ("<h2>Overlap with the brand</h2><p>The share of each account's sampled "
            "followers who also follow the brand, with its 90% interval.</p>"
            + html_table(["account", "overlap", "90% interval"], rows, cls="numbers"))


def _g(value: float) -> str:
    return DASH if value is None or not math.isfinite(value) else f"{value:.4g}"
