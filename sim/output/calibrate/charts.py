"""The calibration's chart: each observed account's data against the model at the fit.

Drawn like the run's charts (:mod:`sim.output.run.charts`), in the style of
:mod:`sim.output.style`.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from sim.analysis.calibrate import CalibrationResult
from sim.i18n import N_, _
from sim.output.style import LABEL_WIDTH, plain_text, style_axes

__all__ = ["SERIES", "plot_fit"]

SERIES = {"views": N_("views per day"), "reposts": N_("reposts per day"),
          "followers": N_("followers")}
OBSERVED, SIMULATED = "#1d1d1f", "#0072B2"
MAX_PANELS = 12  # accounts drawn (the table has every one)


def plot_fit(result: CalibrationResult, series: str) -> Figure:
    """One panel per account: the observed series (dots) and the model at the fit (mean
    line and P5-P95 band over the fit's replications)."""
    accounts = result.observed_data.accounts[:MAX_PANELS]
    cols = min(3, len(accounts))
    rows = math.ceil(len(accounts) / cols)
    fig = Figure(figsize=(4.2 * cols, 2.8 * rows + 0.6), layout="constrained")
    low, mean, high = result.bands[series]
    observed = result.bands[f"observed_{series}"]
    days = np.arange(len(observed))
    for k, account in enumerate(accounts):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.fill_between(days, low[:, k], high[:, k], color=SIMULATED, alpha=0.2, lw=0,
                        label=_("model, P5-P95"))
        ax.plot(days, mean[:, k], color=SIMULATED, lw=1.4, label=_("model, mean"))
        ax.plot(days, observed[:, k], "o", ms=2.5, color=OBSERVED, label=_("observed"))
        style_axes(ax, plain_text(account, LABEL_WIDTH // 2), _("day of the data"))
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
        if k == 0:
            ax.legend(frameon=False, fontsize=8)
    total = len(result.observed_data.accounts)
    title = _("Observed {series} against the calibrated model").format(series=_(SERIES[series]))
    if total > MAX_PANELS:
        title += _(" (the first {n} of {total} accounts)").format(n=MAX_PANELS, total=total)
    fig.suptitle(title, x=0.01, ha="left", fontsize=13)
    return fig
