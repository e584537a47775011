"""Charts of a layout comparison and of a layout search.

Bars of every figure per layout, reach over time overlaid, the reach-risk frontier (each
layout a point with P5-P95 error bars, the Pareto-efficient ones marked), and the search's
candidates with their frontier and the recommended layouts. Each is its own Figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from sim.analysis.compare import COMPARED, Comparison
from sim.analysis.recommend import PICKS, Recommendation
from sim.i18n import _
from sim.output.run.report import EVENT_NAMES
from sim.output.style import plain_text, save_figure, style_axes
from sim.runs.figures import FIGURES, NOT_APPLICABLE, applies, format_people

__all__ = ["COMPARISON_CHARTS", "LAYOUT_COLORS", "draw_comparison_charts", "plot_bars",
           "plot_frontier", "plot_reach_over_time", "plot_search"]

# Okabe-Ito colours, one per layout (repeating beyond eight).
LAYOUT_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                 "#F0E442", "#000000")
EFFICIENT_MARK = {"marker": "*", "ms": 16}
OTHER_MARK = {"marker": "o", "ms": 8}


def _color(i: int) -> str:
    return LAYOUT_COLORS[i % len(LAYOUT_COLORS)]


def _share_or_value(key: str, x: float | None) -> float:
    """Shares are drawn as percentages; a missing value as NaN (not drawn)."""
    if x is None:
        return float("nan")
    return 100 * x if FIGURES[key].value_unit == "share" else x


def _unit(key: str) -> str:
    unit = FIGURES[key].value_unit
    return "%" if unit == "share" else _(unit)


def _stats(comparison: Comparison, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, P5 and P95 of one figure per layout, in drawing units."""
    rows = [f[key] for f in comparison.figures()]
    return tuple(np.array([_share_or_value(key, r[s]) for r in rows])  # type: ignore[return-value]
                 for s in ("mean", "p5", "p95"))


def plot_bars(comparison: Comparison) -> Figure:
    """Every figure side by side: one panel per figure, one bar per layout with its P5-P95
    interval, the better direction in each panel's title."""
    keys = list(COMPARED)
    cols = 3
    fig = Figure(figsize=(12, 3.4 * int(np.ceil(len(keys) / cols))), layout="constrained")
    axes = fig.subplots(int(np.ceil(len(keys) / cols)), cols, squeeze=False).ravel()
    names = [plain_text(n) for n in comparison.names]
    x = np.arange(len(names))
    figures = comparison.figures()
    for ax, key in zip(axes, keys):
        mean, lo, hi = _stats(comparison, key)
        drawn = ~np.isnan(mean)
        ax.bar(x[drawn], mean[drawn], color=[_color(i) for i in x[drawn]],
               yerr=np.vstack([np.nan_to_num(mean - lo), np.nan_to_num(hi - mean)])[:, drawn],
               error_kw={"lw": 1, "capsize": 3})
        for xi in x[~drawn]:
            missing = (_("not within\nhorizon") if key == "recovery_days"
                       and applies(figures[xi][key]) else NOT_APPLICABLE)
            ax.text(xi, 0, missing, ha="center", va="bottom", fontsize=9)
        if not drawn.any():  # no value to draw: an axis without numbers
            ax.set_ylim(0, 1)
            ax.set_yticks([])
        label, sense = _(FIGURES[key].title), FIGURES[key].better
        better = _("higher is better") if sense > 0 else _("lower is better")
        ax.set_xticks(x, names, rotation=20, ha="right", fontsize=9)
        if key == "expected_reach":
            ax.yaxis.set_major_formatter(FuncFormatter(format_people))
        style_axes(ax, f"{label}\n({_unit(key)}; {better})", "")
        ax.title.set_fontsize(10)
    for ax in axes[len(keys):]:
        ax.set_axis_off()
    fig.suptitle(_("Layouts compared ({footing}); bars: mean, whiskers: P5-P95 over {n} "
                   "replications").format(footing=_footing(comparison),
                                          n=comparison.results[0].replications),
                 fontsize=12, x=0.01, ha="left")
    return fig


def plot_reach_over_time(comparison: Comparison) -> Figure:
    """Daily brand reach of every layout: under the scenario's events (solid, P5-P95 band)
    and without them (dashed)."""
    fig = Figure(figsize=(11, 5.4), layout="constrained")
    ax = fig.add_subplot()
    has_events = any(r.scenario.events for r in comparison.results)
    for i, (name, result) in enumerate(zip(comparison.names, comparison.results)):
        days, color = result.days, _color(i)
        shown = result.reach["scenario" if has_events else "baseline"]
        lo, hi = np.percentile(shown, [5, 95], axis=0)
        ax.fill_between(days, lo, hi, color=color, alpha=0.15, lw=0)
        ax.plot(days, shown.mean(axis=0), color=color, lw=2, label=plain_text(name))
        if has_events:
            ax.plot(days, result.reach["baseline"].mean(axis=0), color=color, lw=1, ls="--")
    events = {(e.day, e.kind, e.target) for r in comparison.results for e in r.scenario.events}
    for day, kind, target in sorted(events):
        ax.axvline(day, color="#333333", lw=1, ls=":")
        ax.text(day, 0.98, f" {_(EVENT_NAMES.get(kind, kind))}: {plain_text(target)}",
                transform=ax.get_xaxis_transform(), va="top", fontsize=9)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(format_people))
    title = (_("Daily brand reach per layout (solid: with the events, dashed: without)")
             if has_events else _("Daily brand reach per layout"))
    style_axes(ax, title, _("Day"), _("People reached per day"))
    ax.legend(frameon=False, fontsize=9, title=_("Bands: P5-P95 over {n} replications").format(
        n=comparison.results[0].replications), title_fontsize=9)
    return fig


def plot_frontier(comparison: Comparison) -> Figure:
    """The reach-risk frontier: expected reach against loss-at-risk, and against SDI; each
    layout a point with P5-P95 error bars, the Pareto-efficient ones starred and labelled."""
    fig = Figure(figsize=(13, 5.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    reach = _stats(comparison, "expected_reach")
    for ax, key, xlabel in ((left, "loss_at_risk", _("Loss-at-risk: the loss exceeded in 1 of "
                                                     "20 replications\n(% of baseline; left "
                                                     "is safer)")),
                            (right, "sdi", _("Strongman dependency, SDI (%; left is safer)"))):
        risk = _stats(comparison, key)
        _frontier_points(ax, comparison.names, risk, reach, comparison.efficient(key))
        ax.yaxis.set_major_formatter(FuncFormatter(format_people))
        style_axes(ax, _("Expected reach against {figure}").format(
            figure=_(FIGURES[key].noun)), xlabel, _("Expected daily reach (people)"),
            grid="both")
    fig.legend(handles=[Line2D([], [], ls="", color="#333333", **EFFICIENT_MARK,
                               label=_("Pareto-efficient: no layout is better on both "
                                       "axes")),
                        Line2D([], [], ls="", color="#333333", **OTHER_MARK,
                               label=_("dominated"))],
               loc="outside lower center", ncols=2, frameon=False, fontsize=9)
    fig.suptitle(_("Reach against risk ({footing}); whiskers P5-P95").format(
        footing=_footing(comparison)), fontsize=12, x=0.01, ha="left")
    return fig


def _frontier_points(ax: Axes, names: Sequence[str], x: tuple[np.ndarray, ...],
                     y: tuple[np.ndarray, ...], eff: np.ndarray) -> None:
    order = np.argsort(x[0])
    ax.plot(x[0][order][eff[order]], y[0][order][eff[order]], color="#999999", lw=1, ls="--")
    missing = [plain_text(n) for i, n in enumerate(names) if np.isnan(x[0][i])]
    if missing:
        ax.text(0.01, 0.01, f"{NOT_APPLICABLE}: {', '.join(missing)}", transform=ax.transAxes,
                fontsize=9, color="#555555")
    for i, name in enumerate(names):
        if np.isnan(x[0][i]):
            continue
        mark = EFFICIENT_MARK if eff[i] else OTHER_MARK
        ax.errorbar(x[0][i], y[0][i], xerr=[[x[0][i] - x[1][i]], [x[2][i] - x[0][i]]],
                    yerr=[[y[0][i] - y[1][i]], [y[2][i] - y[0][i]]], color=_color(i),
                    capsize=3, lw=1, **mark)
        ax.annotate(plain_text(name) + (_(" (efficient)") if eff[i] else ""),
                    (x[0][i], y[0][i]),
                    xytext=(8, 8), textcoords="offset points", fontsize=9,
                    fontweight="bold" if eff[i] else "normal")


def _footing(comparison: Comparison) -> str:
    return {"cost": _("same monthly cost"), "posts": _("same posts per day"),
            "none": _("as written, not normalized")}[comparison.normalize]


COMPARISON_CHARTS: dict[str, Callable[[Comparison], Figure]] = {
    "bars": plot_bars, "reach": plot_reach_over_time, "frontier": plot_frontier}


def draw_comparison_charts(comparison: Comparison, out_dir: Path,
                           formats: Sequence[str] = ("png", "svg")) -> dict[str, list[Path]]:
    """Write the comparison's charts (``bars``, ``reach``, ``frontier``) in every format."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return {name: save_figure(plot(comparison), out_dir / name, formats)
            for name, plot in COMPARISON_CHARTS.items()}


PICK_OFFSETS = ((12, 16), (12, -26))  # label offsets of the picks, points: apart from each other


def _picked(rec: Recommendation) -> dict[int, list[str]]:
    """The recommended candidates by index, each with its tags (one label for a layout
    that is both the best and the cheapest)."""
    out: dict[int, list[str]] = {}
    for tag, pick in rec.picks().items():
        out.setdefault(rec.candidates.index(pick), []).append(tag)
    return out


def plot_search(rec: Recommendation) -> Figure:
    """Every layout the search evaluated: expected reach against SDI and against loss,
    coloured by monthly cost; the Pareto frontier outlined and the recommended layouts
    labelled."""
    fig = Figure(figsize=(13, 5.8), layout="constrained")
    axes = fig.subplots(1, 2)
    c = rec.candidates
    reach = np.array([x.figures["expected_reach"]["mean"] for x in c])
    cost = np.array([x.cost for x in c])
    on = np.array([x.on_frontier for x in c])
    scatter = None
    for ax, key, label in ((axes[0], "sdi", _("Strongman dependency, SDI (%)")),
                           (axes[1], "cumulative_loss_pct", _("Loss: reach lost after the "
                                                              "events (% of baseline)"))):
        risk = np.array([x.figures[key]["mean"] for x in c]) * (100 if key == "sdi" else 1)
        ax.scatter(risk[~on], reach[~on], c=cost[~on], cmap="viridis", s=25, alpha=0.6,
                   vmin=cost.min(), vmax=cost.max())
        scatter = ax.scatter(risk[on], reach[on], c=cost[on], cmap="viridis", s=90,
                             edgecolors="black", linewidths=1.2, vmin=cost.min(),
                             vmax=cost.max())
        for (i, tags), offset in zip(_picked(rec).items(), PICK_OFFSETS):
            ax.annotate(f"{', '.join(_(PICKS[t]) for t in tags)}: {c[i].label}",
                        (risk[i], reach[i]), xytext=offset, textcoords="offset points",
                        fontsize=9, fontweight="bold",
                        arrowprops={"arrowstyle": "-", "color": "#333333"})
        if key == "sdi" and rec.max_sdi is not None:
            ax.axvline(100 * rec.max_sdi, color="#D55E00", ls=":", lw=1)
        ax.yaxis.set_major_formatter(FuncFormatter(format_people))
        style_axes(ax, _("Expected reach against {figure}").format(
            figure=_(FIGURES[key].noun)), label, _("Expected daily reach (people)"),
            grid="both")
    fig.colorbar(scatter, ax=axes, label=_("Monthly cost (currency/month)"), shrink=0.8)
    fig.suptitle(_("{n} layouts within the budget of {budget}/month; outlined: Pareto "
                   "frontier (reach, SDI, loss, cost)").format(n=len(c),
                                                               budget=f"{rec.budget:,.0f}"),
                 fontsize=12, x=0.01, ha="left")
    return fig
