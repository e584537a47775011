"""Charts of sweeps and sensitivity analyses: figures against swept values, and tornadoes.

Drawn like the run's charts (:mod:`sim.output.run.charts`): each on its own Figure, in the
style of :mod:`sim.output.style`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sim.analysis.sensitivity import ANALYSED, MEASURES, SensitivityResult
from sim.analysis.sweep import SweepResult
from sim.i18n import _
from sim.output.style import LABEL_WIDTH, plain_text, style_axes
from sim.runs.figures import FIGURES, RUN_FIGURES

__all__ = ["plot_sweep", "plot_tornado"]

TOTAL_COLOR, FIRST_COLOR = "#E69F00", "#D55E00"  # Okabe-Ito, as the run's charts
MAX_LINES = 8  # lines per panel in a sweep chart (the table has every point)



def plot_sweep(result: SweepResult, key: str) -> Figure:
    """Every headline figure against one swept key: the mean over replications with its
    P5-P95 band, one line per combination of the other keys' values."""
    values = result.grid[key]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    xs = {_hashable(v): (v if numeric else i) for i, v in enumerate(values)}
    others = [k for k in result.grid if k != key]
    lines: dict[tuple, list[tuple[Any, dict[str, Any]]]] = {}
    for point, row in zip(result.points, result.rows()):
        lines.setdefault(tuple(_hashable(point[k]) for k in others), []).append(
            (xs[_hashable(point[key])], row))
    cols = 3
    fig = Figure(figsize=(12, 3.2 * math.ceil(len(RUN_FIGURES) / cols) + 0.8),
                 layout="constrained")
    axes = fig.subplots(math.ceil(len(RUN_FIGURES) / cols), cols, squeeze=False).ravel()
    for ax, name in zip(axes, RUN_FIGURES):
        h = FIGURES[name]
        scale, unit = (100, "%") if h.kind == "share" else (1, _(h.unit))
        for n, (combo, pts) in enumerate(sorted(lines.items(), key=lambda kv: str(kv[0]))):
            pts = sorted(pts, key=lambda p: p[0])
            x = [p[0] for p in pts]
            stat = {s: np.array([_number(p[1][f"{name}_{s}"]) * scale for p in pts])
                    for s in ("mean", "p5", "p95")}
            color = f"C{n % 10}"
            ax.fill_between(x, stat["p5"], stat["p95"], color=color, alpha=0.15, lw=0)
            ax.plot(x, stat["mean"], marker="o", color=color, lw=1.8,
                    label=", ".join(f"{k}={v}" for k, v in zip(others, combo)) or None)
            if n + 1 == MAX_LINES:
                break
        if not numeric:
            ax.set_xticks(range(len(values)), [plain_text(str(v)) for v in values])
        if not ax.has_data() or all(np.isnan(line.get_ydata()).all() for line in ax.lines):
            ax.text(0.5, 0.5, _("not within the horizon"), ha="center", va="center",
                    transform=ax.transAxes, color="#666666")
        style_axes(ax, _(h.title), plain_text(key), unit)
    for ax in axes[len(RUN_FIGURES):]:
        ax.set_axis_off()
    if others:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, [plain_text(t) for t in labels], loc="outside lower center",
                   ncols=min(len(labels), 3), frameon=False, fontsize=9)
    fig.suptitle(plain_text(_("Headline figures against {key} (mean; bands P5-P95 over {n} "
                              "replications)").format(key=key,
                                                      n=result.results[0].replications)),
                 x=0.01, ha="left", fontsize=12)
    return fig


def plot_tornado(result: SensitivityResult) -> Figure:
    """Per figure analysed, the parameters as horizontal bars, most influential on top:
    the total index with the first-order index inside it (Sobol), or mu* (Morris), each
    with its 95% confidence interval."""
    total, first = MEASURES[result.method]
    params = result.spec.parameters
    fig = Figure(figsize=(12, 1.6 + 0.9 * max(2, len(params)) * 2), layout="constrained")
    axes = fig.subplots(2, 2, squeeze=False).ravel()
    for ax, output in zip(axes, ANALYSED):
        name, unit = _(FIGURES[output].noun), FIGURES[output].value_unit
        idx = result.indices[output]
        title = plain_text(name[0].upper() + name[1:])
        if idx is None:
            ax.set_title(title, loc="left", fontsize=12)
            ax.text(0.5, 0.5, _("does not vary over the samples"), ha="center", va="center",
                    transform=ax.transAxes, color="#666666")
            ax.set_axis_off()
            continue
        order = result.ranking(output)[::-1]  # barh draws bottom-up
        y = np.arange(len(order))
        bars = [(total, TOTAL_COLOR, _("total index (ST)") if first else
                 _("mu* (mean absolute effect)"))]
        if first:
            bars.append((first, FIRST_COLOR, _("first-order index (S1)")))
        height = 0.8 / len(bars)
        for k, (measure, color, label) in enumerate(bars):
            ax.barh(y + 0.4 - height * (k + 0.5), [idx[measure][i] for i in order],
                    xerr=[idx[f"{measure}_conf"][i] for i in order], height=height,
                    color=color, capsize=3, label=label)
        ax.set_yticks(y, [plain_text(params[i].name, LABEL_WIDTH) for i in order])
        xlabel = _("share of variance") if first else _("effect across the range ({unit})").format(
            unit=_("share, 0-1") if unit == "share" else _(unit))
        style_axes(ax, title, xlabel, grid="x")
        ax.axvline(0, color="#999999", lw=0.8)
    handles, labels = next(((h, lb) for ax in axes
                            for h, lb in [ax.get_legend_handles_labels()] if h), ([], []))
    fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False,
               fontsize=9)
    fig.suptitle((_("What drives each figure: Sobol indices over {n} runs (bars: 95% "
                    "confidence intervals)") if first else
                  _("What drives each figure: Morris screening over {n} runs (bars: 95% "
                    "confidence intervals)")).format(n=len(result.x)),
                 x=0.01, ha="left", fontsize=12)
    return fig


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _number(value: float | None) -> float:
    return np.nan if value is None else value
