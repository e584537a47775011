"""The fit report of a calibration: what was fitted from what, how well, and what the data
cannot tell, in the style of the run's report (charts inlined, all user text escaped)."""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Any

from sim.analysis.calibrate import STATISTICS, CalibrationResult
from sim.i18n import N_, _
from sim.output.calibrate.charts import SERIES
from sim.output.html import DASH, charts_html, heading, html_table, page

__all__ = ["render_calibration", "unidentified"]

STATISTIC_NAMES = {"views": N_("mean log views per follower on posting days"),
                   "reposts": N_("mean daily log reposts per view"),
                   "growth": N_("follower growth per day")}


def render_calibration(result: CalibrationResult, rows: list[dict[str, Any]],
                       charts: dict[str, list[Path]]) -> str:
    """The report page of a calibration, in the current language."""
    data = result.observed_data
    intro = _("{accounts} accounts observed over {days} days ({first} to {last}) in {file}; "
              "{trials} trials of the simulated-moments search, each on {replications} "
              "replications of the observed days.").format(
        accounts=len(data.accounts), days=len(data.days), first=data.days[0],
        last=data.days[-1], file=result.meta["data"], trials=result.trials,
        replications=result.meta["replications"])
    yes, no = _("yes"), _("no")
    title = _("Calibration: {name}").format(name=result.original.name)
    sections = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">{escape(intro)}</p>',
        f'<div class="headline">{escape(unidentified(result))}</div>',
        heading(_("Fitted parameters")),
        "<p>" + escape(_("Each value with its 90% interval; the prior is the scenario's value, "
                         "with a 90% range of a factor of 10 either way. A parameter is "
                         "identified when the data narrow its interval to less than half the "
                         "prior's width (in log terms).")) + "</p>",
        html_table([_("account"), _("parameter"), _("value"), _("90% interval"), _("prior"),
                    _("identified"), _("from")],
                   [[r["account"], r["parameter"], _g(r["value"]),
                     _("{low} to {high}").format(low=_g(r["low"]), high=_g(r["high"])),
                     _g(r["prior"]), yes if r["identified"] else no,
                     _(r["source"])]
                    for r in rows],
                   cls="numbers"),
        heading(_("Fit statistics")),
        "<p>" + escape(_("Each account's statistics in the data and in the model at the fit, "
                         "with the error the fit weighed their difference by (the larger of "
                         "the data's day-to-day error and the model's spread over its "
                         "replications, plus the model's own); z is their difference in "
                         "those errors.")) + "</p>",
        _statistics(result),
        _overlaps(result),
        heading(_("Observed against simulated")),
        charts_html(charts, {name: _("Observed {series} (dots) and the calibrated model's "
                                     "mean and P5-P95 band over its replications.").format(
                                         series=_(label)) for name, label in SERIES.items()}),
    ]
    return page(title, sections)


def unidentified(result: CalibrationResult) -> str:
    """In plain words, which parameters the data cannot identify."""
    weak = [f for f in result.fits if not f.identified]
    if not weak:
        return _("The data identify every fitted parameter.")
    by_parameter: dict[str, list[str]] = {}
    for f in weak:
        by_parameter.setdefault(f.parameter, []).append(f.account)
    parts = [_("{parameter} of {accounts}").format(parameter=p, accounts=", ".join(accounts))
             for p, accounts in by_parameter.items()]
    return _("The data cannot identify {parameters}: their intervals stay close to the "
             "prior's, and runs of the calibrated scenario carry that uncertainty.").format(
        parameters="; ".join(parts))


def _statistics(result: CalibrationResult) -> str:
    rows = []
    for a, account in enumerate(result.observed_data.accounts):
        for k, name in enumerate(STATISTICS):
            obs, se, sim = result.observed[a, k], result.errors[a, k], \
                result.simulated[a, k]
            z = (sim - obs) / se if se and math.isfinite(se) and se > 0 else math.nan
            rows.append([account, _(STATISTIC_NAMES[name]), _g(obs), _g(se), _g(sim), _g(z)])
    return html_table([_("account"), _("statistic"), _("observed"), _("error"), _("model"),
                       "z"], rows, cls="numbers")


def _overlaps(result: CalibrationResult) -> str:
    if not result.overlaps:
        return ""
    rows = [[a, _g(v), _("{low} to {high}").format(low=_g(lo), high=_g(hi))]
            for a, (v, lo, hi) in result.overlaps.items()]
    return (heading(_("Overlap with the brand")) + "<p>" + escape(_(
        "The share of each account's sampled followers who also follow the brand, with its "
        "90% interval.")) + "</p>"
        + html_table([_("account"), _("overlap"), _("90% interval")], rows, cls="numbers"))


def _g(value: float) -> str:
    return DASH if value is None or not math.isfinite(value) else f"{value:.4g}"
