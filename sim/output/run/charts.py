"""Charts of a run: reach over time, attribution, dependency, influence graph and trust.

Every chart is drawn on its own :class:`matplotlib.figure.Figure` (no pyplot state), so
drawing is safe under any backend and leaves nothing open. :func:`draw_charts` writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sim.i18n import N_, _
from sim.output.run.report import EVENT_NAMES, target_name
from sim.output.style import (
    LABEL_WIDTH,
    ROLE_COLORS,
    plain_text,
    role_name,
    save_figure,
    style_axes,
)
from sim.runs.figures import format_people
from sim.runs.metrics import smooth
from sim.runs.results import RunResult

__all__ = ["charts", "draw_charts", "plot", "plot_attribution", "plot_dependency", "plot_influence",
           "plot_reach", "plot_robustness", "plot_trust"]

VARIANT_COLORS: dict[str, str] = {"baseline": "#0072B2", "scenario": "#D55E00",
                                  "no_leader": "#555555"}
VARIANT_LABELS: dict[str, str] = {"baseline": N_("Baseline (no events)"),
                                  "scenario": N_("Scenario (with events)"),
                                  "no_leader": N_("Without the leader")}
SMOOTHING_DAYS = 7  # reach is drawn as a trailing mean over this many days
TOP_ACCOUNTS = 15
GROUPED_SHARE = 0.02  # accounts with less of the reach are drawn together, per role
LABELLED_NODES = 8
DRAWN_EDGES = 200  # amplification ties drawn at most, the heaviest (each is an arrow patch)
LAYOUT_SEED = 7
TRUST_FLOOR = 0.8  # the trust chart's axis reaches at least down to this


def plot_reach(result: RunResult) -> Figure:
    """Daily brand reach: baseline against scenario (mean and P5-P95 band), the world
    without the leader as a thin dashed line, and the scenario's events."""
    fig = Figure(figsize=(10, 5.2), layout="constrained")
    ax = fig.add_subplot()
    for variant in ("baseline", "scenario"):
        _band(ax, result.days, smooth(result.reach[variant], SMOOTHING_DAYS), variant)
    ax.plot(result.days, smooth(result.reach["no_leader"], SMOOTHING_DAYS).mean(axis=0),
            ls="--", lw=1, color=VARIANT_COLORS["no_leader"],
            label=_(VARIANT_LABELS["no_leader"]))
    ax.set_ylim(bottom=0)
    _event_markers(ax, result)
    ax.yaxis.set_major_formatter(FuncFormatter(format_people))
    style_axes(ax, _("Daily brand reach, {days}-day average: people who saw a brand post")
               .format(days=SMOOTHING_DAYS), _("Day"), _("People reached per day"))
    _legend(fig, ax, result.replications)
    return fig


def plot_trust(result: RunResult) -> Figure:
    """Mean trust in the brand over time, baseline against scenario, with the events."""
    fig = Figure(figsize=(10, 4.6), layout="constrained")
    ax = fig.add_subplot()
    for variant in ("baseline", "scenario"):
        _band(ax, result.days, result.trust[variant], variant)
    ax.set_ylim(min(TRUST_FLOOR, ax.get_ylim()[0]), 1.0)  # a small dip looks small
    low = ax.get_ylim()[0]
    _event_markers(ax, result)
    ax.yaxis.set_major_formatter(_trust_formatter(low))
    style_axes(ax, _("Mean trust in the brand over all people (100% = untouched)"), _("Day"),
               _("Mean trust"))
    _legend(fig, ax, result.replications)
    return fig


def plot_attribution(result: RunResult) -> Figure:
    """Who carries reach: the top accounts by Shapley reach (P5-P95 error bars, the leader
    highlighted) and each role's share of reach."""
    fig = Figure(figsize=(12, 6), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[3, 2])
    _account_bars(left, result)
    _role_bars(right, result)
    fig.suptitle(_("Who carries brand reach (Shapley attribution, baseline world)"),
                 fontsize=13, x=0.01, ha="left")
    return fig


def plot_dependency(result: RunResult) -> Figure:
    """The headline: the strongman dependency index and the leader's share of reach, each
    with its P5-P95 interval."""
    name = plain_text(result.account_name(result.leader), LABEL_WIDTH)
    rows = [(_("Reach lost in a world\nwithout {name} (SDI)").format(name=name),
             result.figures.get("sdi")),
            (_("{name}'s share of\nbrand reach (Shapley)").format(name=name),
             result.figures.get("leader_shapley_share"))]
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax = fig.add_subplot()
    for y, (_label, stats) in enumerate(rows):
        _interval_bar(ax, y, stats or {})
    ax.set_yticks(range(len(rows)), [label for label, _stats in rows])
    ax.set_ylim(len(rows) - 0.5, -0.9)
    ax.set_xlim(0, 100)
    ax.axvline(50, color="#555555", lw=1, ls=":")  # the reference: half of all reach
    ax.text(50.5, len(rows) - 0.55, _("half of brand reach"), fontsize=9, color="#555555",
            va="bottom")
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    style_axes(ax, _("How much brand reach depends on {name}").format(name=name),
               _("Share of daily brand reach"), grid="x")
    ax.text(1.0, -0.22, _("Bars: mean; whiskers: P5-P95 over {n} replications").format(
        n=result.replications), transform=ax.transAxes, ha="right", fontsize=9,
        color="#555555")
    return fig


def plot_robustness(result: RunResult) -> Figure:
    """Brand reach left as accounts are removed: largest attribution first against random
    order (after Albert, Jeong and Barabasi 2000)."""
    fig = Figure(figsize=(9, 4.2), layout="constrained")
    ax = fig.add_subplot()
    styles = {"targeted": (_("Largest attribution first"), "#D55E00"),
              "random": (_("Random order (mean of 100 orders)"), "#0072B2")}
    for key, (label, color) in styles.items():
        curves = 100 * result.robustness[key]
        k = np.arange(curves.shape[1])
        lo, hi = np.percentile(curves, [5, 95], axis=0)
        ax.fill_between(k, lo, hi, color=color, alpha=0.18, lw=0)
        ax.plot(k, curves.mean(axis=0), color=color, lw=2, marker="o", ms=3, label=label)
    ax.set_ylim(0, 102)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    style_axes(ax, _("Brand reach left as accounts are removed"), _("Accounts removed"),
               _("Reach left (% of baseline)"))
    ax.legend(frameon=False, fontsize=9)
    return fig


def plot_influence(result: RunResult) -> Figure:
    """The account-influence graph: node size by Shapley reach, colour by role, directed
    edges by amplification weight (the heaviest ``DRAWN_EDGES``), labels on the largest
    accounts."""
    G, sizes = _influence_graph(result)
    pos = _layout(G, result)
    fig = Figure(figsize=(10, 8), layout="constrained")
    ax = fig.add_subplot()
    nodes = list(G)
    node_size = [sizes[n] for n in nodes]
    nx.draw_networkx_nodes(G, pos, ax=ax, nodelist=nodes, node_size=node_size,
                           node_color=[ROLE_COLORS[G.nodes[n]["role"]] for n in nodes],
                           edgecolors=["black" if n == result.leader else "white"
                                       for n in nodes],
                           linewidths=[2.0 if n == result.leader else 1.0 for n in nodes])
    edges = list(G.edges(data="weight"))
    nx.draw_networkx_edges(G, pos, ax=ax, nodelist=nodes, node_size=node_size,
                           edgelist=[(a, b) for a, b, _w in edges],
                           width=[0.5 + 4.0 * w for _a, _b, w in edges], edge_color="#777777",
                           alpha=0.7, arrows=True, arrowsize=12,
                           connectionstyle="arc3,rad=0.08")
    _node_labels(ax, result, pos, sizes)
    roles = sorted({G.nodes[n]["role"] for n in nodes}, key=list(ROLE_COLORS).index)
    ax.legend(handles=[_role_handle(r) for r in roles], loc="upper left",
              bbox_to_anchor=(1.0, 1.0), frameon=False, title=_("Role"), fontsize=9)
    drawn = G.number_of_edges()
    ax.set_title(_("Who passes whose posts on: accounts sized by reach, arrows by "
                   "amplification")
                 + ("\n" + _("(the {drawn} heaviest of {ties} ties drawn)").format(
                     drawn=f"{drawn:,}", ties=f"{G.graph['ties']:,}")
                    if drawn < G.graph["ties"] else ""), loc="left", fontsize=12)
    ax.set_axis_off()
    return fig


def draw_charts(result: RunResult, out_dir: Path,
                formats: Sequence[str] = ("png", "svg")) -> dict[str, list[Path]]:
    """Draw every chart of a run and write each in every format.

    Parameters
    ----------
    result : RunResult
        The run to draw.
    out_dir : Path
        Folder to write into (created if missing); files are named ``<chart>.<format>``.
    formats : sequence of str
        File formats matplotlib can write, such as ``"png"`` and ``"svg"``.

    Returns
    -------
    dict of str to list of Path
        Chart name (``reach``, ``attribution``, ``dependency``, ``influence``, and ``trust``
        when the scenario has a scandal) to the files written, in the order of ``formats``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    return {name: save_figure(plot(result), out_dir / name, formats)
            for name, plot in charts(result).items()}


def plot(result: RunResult, name: str) -> Figure:
    """One chart of a run as a matplotlib Figure: ``reach``, ``attribution``,
    ``dependency``, ``influence``, ``robustness``, or ``trust`` (with a scandal)."""
    available = charts(result)
    if name not in available:
        raise ValueError(f"expected one of {', '.join(available)}; found {name!r}")
    return available[name](result)


def charts(result: RunResult) -> dict[str, Callable[[RunResult], Figure]]:
    """The charts a run has, by name: each function draws one as a matplotlib Figure."""
    charts = {"reach": plot_reach, "attribution": plot_attribution,
              "dependency": plot_dependency, "influence": plot_influence}
    if result.robustness:
        charts["robustness"] = plot_robustness
    if any(e.kind == "scandal" for e in result.scenario.events):
        charts["trust"] = plot_trust
    return charts



def _trust_formatter(low: float) -> FuncFormatter:
    """Trust as a percentage with enough decimals to tell ticks down to ``low`` apart, and no
    tick label above 100% (the headroom there holds the event labels)."""
    decimals = int(np.clip(np.ceil(-np.log10(max(1.0 - low, 1e-4) * 100)) + 1, 0, 3))
    return FuncFormatter(lambda x, _pos: f"{x:.{decimals}%}" if x <= 1.0 + 1e-9 else "")


def _band(ax: Axes, days: np.ndarray, values: np.ndarray, variant: str) -> None:
    lo, hi = np.percentile(values, [5, 95], axis=0)
    color = VARIANT_COLORS[variant]
    ax.fill_between(days, lo, hi, color=color, alpha=0.18, lw=0)
    mean = values.mean(axis=0)
    half = 1.96 * values.std(axis=0, ddof=1) / np.sqrt(len(values)) if len(values) > 1 else 0
    ax.fill_between(days, mean - half, mean + half, color=color, alpha=0.45, lw=0)
    ax.plot(days, mean, color=color, lw=2, label=_(VARIANT_LABELS[variant]))


def _legend(fig: Figure, ax: Axes, replications: int) -> None:
    """The lines' legend and the two bands': the spread of replications (light) and the
    95 % interval of their mean (dark), swatches in the baseline's colour as drawn."""
    handles, labels = ax.get_legend_handles_labels()
    color = VARIANT_COLORS["baseline"]
    handles += [Patch(color=color, alpha=0.18), Patch(color=color, alpha=0.18 + 0.45 * 0.82)]
    labels += [_("P5-P95 of {n} replications").format(n=replications),
               _("95% interval of the mean")]
    fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False,
               fontsize=10)


def _event_markers(ax: Axes, result: RunResult) -> None:
    """Dotted lines at the events' days, windows shaded, labels in headroom above the data."""
    horizon = result.scenario.horizon_days
    if result.scenario.events:
        bottom, top = ax.get_ylim()
        ax.set_ylim(bottom, top + 0.25 * (top - bottom))
    for i, ev in enumerate(sorted(result.scenario.events, key=lambda e: e.day)):
        ax.axvline(ev.day, color="#333333", lw=1, ls=":")
        duration = getattr(ev, "duration_days", None)
        if duration:
            ax.axvspan(ev.day, min(ev.day + duration, horizon), color="#999999", alpha=0.1, lw=0)
        label = f"{_(EVENT_NAMES.get(ev.kind, ev.kind))}: {target_name(result, ev.target)}"
        ax.text(ev.day, 0.98 - 0.07 * (i % 3), plain_text(label),
                transform=ax.get_xaxis_transform(), va="top", fontsize=9, color="#333333",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})


def _account_bars(ax: Axes, result: RunResult) -> None:
    """The accounts with at least ``GROUPED_SHARE`` of reach (and the leader) one bar each,
    the others one bar per role ("20 dealers"), largest at the top."""
    rows = _attribution_bars(result)[::-1]
    y = np.arange(len(rows))
    mean = np.array([r["mean"] for r in rows])
    lo, hi = np.array([r["p5"] for r in rows]), np.array([r["p95"] for r in rows])
    is_leader = [r["id"] == result.leader for r in rows]
    ax.barh(y, mean, xerr=np.vstack([mean - lo, hi - mean]),
            color=[ROLE_COLORS[r["role"]] for r in rows],
            edgecolor=["black" if k else "none" for k in is_leader],
            linewidth=[2.0 if k else 0.0 for k in is_leader], error_kw={"lw": 1, "capsize": 2})
    ax.set_yticks(y, [plain_text(r["label"], LABEL_WIDTH) for r in rows])
    for tick, k in zip(ax.get_yticklabels(), is_leader):
        tick.set_fontweight("bold" if k else "normal")
    ax.xaxis.set_major_formatter(FuncFormatter(format_people))
    style_axes(ax, _("Accounts by people reached per day"),
               _("Shapley reach (people per day; whiskers P5-P95)"), grid="x")
    roles = [r for r in ROLE_COLORS if any(row["role"] == r for row in rows)]
    ax.legend(handles=[_role_handle(r, "s") for r in roles], loc="lower right", frameon=False,
              fontsize=9)


def _attribution_bars(result: RunResult) -> list[dict]:
    """Bars of the attribution chart: each large account, then each role's small ones
    together (their summed Shapley reach per replication), by reach."""
    ids = [a.id for a in result.accounts]
    total = result.shapley.sum(axis=1).mean() or 1.0
    share = result.shapley.mean(axis=0) / total
    large = [i for i in np.argsort(-share, kind="stable")[:TOP_ACCOUNTS]
             if share[i] >= GROUPED_SHARE or ids[i] == result.leader]
    bars = [_bar(result.shapley[:, i], ids[i], result.accounts[i].role,
                 result.account_name(ids[i]) + (_(" (leader)") if ids[i] == result.leader
                                                else "")) for i in large]
    for role in ROLE_COLORS:
        small = [i for i, a in enumerate(result.accounts) if a.role == role and i not in large]
        if small:
            label = (_("{n} accounts: {role}").format(n=len(small), role=role_name(role))
                     if len(small) > 1 else result.account_name(ids[small[0]]))
            bars.append(_bar(result.shapley[:, small].sum(axis=1), "", role, label))
    return sorted(bars, key=lambda b: -b["mean"])


def _bar(values: np.ndarray, account: str, role: str, label: str) -> dict:
    """A bar of the attribution chart: the mean and P5-P95 of its values over replications."""
    p5, p95 = np.percentile(values, [5, 95])
    return {"id": account, "role": role, "label": label, "mean": float(values.mean()),
            "p5": float(p5), "p95": float(p95)}


def _role_bars(ax: Axes, result: RunResult) -> None:
    """Each role's share of reach, the strongman apart from the other leader accounts (the
    executives)."""
    rows = _role_shares(result)[::-1]
    y = np.arange(len(rows))
    share, lo, hi = (np.array([100 * r[k] for r in rows]) for k in ("mean", "p5", "p95"))
    ax.barh(y, share, xerr=np.vstack([share - lo, hi - share]),
            color=[ROLE_COLORS[r["role"]] for r in rows], error_kw={"lw": 1, "capsize": 2})
    for yi, s, h in zip(y, share, hi):
        ax.text(max(s, h) + 1.5, yi, f"{s:.0f}%", va="center", fontsize=9)
    ax.set_yticks(y, [plain_text(r["label"], LABEL_WIDTH) for r in rows])
    ax.set_xlim(0, max(100.0, float(hi.max(initial=0)) * 1.1))
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    style_axes(ax, _("Share of reach by role (accounts)"), _("Share of reach (whiskers P5-P95)"),
               grid="x")


def _role_shares(result: RunResult) -> list[dict]:
    """Per role with accounts (the strongman his own row): its share of reach per
    replication, summarized, and its label."""
    total = result.shapley.sum(axis=1)
    roles = [a.role for a in result.accounts]
    groups = []
    for role in ROLE_COLORS:
        members = [i for i, r in enumerate(roles) if r == role
                   and result.accounts[i].id != result.leader]
        if role == "leader" and result.leader in [a.id for a in result.accounts]:
            k = [a.id for a in result.accounts].index(result.leader)
            groups.append((role, [k], result.account_name(result.leader)))
            if members:
                groups.append((role, members, _("executives ({n})").format(n=len(members))))
        elif members:
            groups.append((role, members, f"{role_name(role)} ({len(members)})"))
    return [_bar(np.divide(result.shapley[:, members].sum(axis=1), total,
                           out=np.zeros_like(total), where=total > 0), "", role, label)
            for role, members, label in groups]


def _interval_bar(ax: Axes, y: int, stats: dict) -> None:
    mean, p5, p95 = stats.get("mean"), stats.get("p5"), stats.get("p95")
    if mean is None:
        ax.text(1, y, _("not available"), va="center", fontsize=11, color="#555555")
        return
    ax.barh(y, mean * 100, height=0.4, color=ROLE_COLORS["leader"], alpha=0.85)
    text = f"{mean:.0%}"
    if p5 is not None and p95 is not None:
        ax.errorbar(mean * 100, y, xerr=[[(mean - p5) * 100], [(p95 - mean) * 100]],
                    color="black", lw=1.5, capsize=6)
        text += "   " + _("(P5-P95: {low} to {high})").format(low=f"{p5:.0%}",
                                                             high=f"{p95:.0%}")
    ax.text(0, y - 0.27, text, va="bottom", fontsize=11, fontweight="bold")


def _influence_graph(result: RunResult) -> tuple[nx.DiGraph, dict[str, float]]:
    ids = [a.id for a in result.accounts]
    reach = result.shapley.mean(axis=0)
    top = float(reach.max(initial=0.0)) or 1.0
    G = nx.DiGraph()
    G.add_nodes_from((a.id, {"role": a.role}) for a in result.accounts)
    src, dst = np.nonzero(result.amplification)
    heaviest = np.argsort(-result.amplification[src, dst], kind="stable")[:DRAWN_EDGES]
    G.add_weighted_edges_from((ids[src[k]], ids[dst[k]], float(result.amplification[src[k],
                               dst[k]])) for k in np.sort(heaviest))
    G.graph["ties"] = len(src)
    sizes = {acc: 60.0 + 2400.0 * max(r, 0.0) / top for acc, r in zip(ids, reach)}
    return G, sizes


def _layout(G: nx.DiGraph, result: RunResult) -> dict[str, np.ndarray]:
    """Spring layout (fixed seed) of the amplification ties, every account without one tied
    to the brand account so that unconnected accounts gather round it rather than drift."""
    H = nx.Graph(G.edges())
    H.add_nodes_from(G)
    brand = next((a.id for a in result.accounts if a.role == "brand"), None)
    if brand is not None:
        H.add_edges_from((brand, n) for n in G if n != brand and H.degree(n) == 0)
    return nx.spring_layout(H, seed=LAYOUT_SEED, iterations=200)


def _node_labels(ax: Axes, result: RunResult, pos: dict[str, np.ndarray],
                 sizes: dict[str, float]) -> None:
    """Names of the largest accounts (and the leader), just above their nodes."""
    shown = sorted(sizes, key=lambda n: -sizes[n])[:LABELLED_NODES]
    if result.leader in sizes and result.leader not in shown:
        shown.append(result.leader)
    for n in shown:
        radius = np.sqrt(sizes[n]) / 2  # node sizes are marker areas in points squared
        ax.annotate(plain_text(result.account_name(n), LABEL_WIDTH), pos[n],
                    xytext=(0, radius + 2), textcoords="offset points", ha="center",
                    va="bottom", fontsize=9,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                          "alpha": 0.75})


def _role_handle(role: str, marker: str = "o") -> Line2D:
    return Line2D([], [], marker=marker, ls="", markersize=9, color=ROLE_COLORS[role],
                  label=role_name(role))
