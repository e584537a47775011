"""Writing a layout comparison: table, JSON, charts and a page that says who wins on what.

Everything goes into a temporary folder moved into place when complete
(:func:`sim.outputs.atomic_dir`).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from .compare import FIGURES, Comparison, efficient, posts_per_day
from .outputs import atomic_dir, default_dir, write_json, write_rows
from .plots import format_people
from .report import DASH, charts_html, html_table, page

__all__ = ["CAPTIONS", "findings", "rows", "save"]

CAPTIONS: dict[str, str] = {
    "bars": "Every figure per layout: bars are means, whiskers P5-P95 over replications; "
            "each panel says whether higher or lower is better.",
    "reach": "Daily brand reach of each layout in people: solid lines with the scenario's "
             "events (bands P5-P95), dashed lines without them.",
    "frontier": "Reach against risk: each layout a point with P5-P95 error bars; starred "
                "layouts are Pareto-efficient (no other layout has both more reach and less "
                "risk).",
}
_STATS = ("mean", "p5", "p50", "p95")


def rows(comparison: Comparison) -> list[dict[str, Any]]:
    """Per layout: what it is, how it was normalized, its figures with their spread, and
    whether it is Pareto-efficient on reach against reach-at-risk and against SDI."""
    figures = comparison.figures()
    reach = np.array([f["expected_reach"]["mean"] for f in figures])
    out = []
    eff = {key: efficient(np.column_stack([reach, [f[key]["mean"] or 0.0 for f in figures]]),
                          [FIGURES["expected_reach"][2], FIGURES[key][2]])
           for key in ("reach_at_risk", "sdi")}
    for i, (lay, result, fig) in enumerate(zip(comparison.layouts, comparison.results,
                                               figures)):
        out.append({"variant": lay.name, "description": lay.description,
                    "leader": result.leader, "accounts": len(result.accounts),
                    "cadence_factor": lay.cadence,
                    "posts_per_day": posts_per_day(result.scenario),
                    "skipped_events": list(lay.skipped),
                    "efficient_reach_vs_reach_at_risk": bool(eff["reach_at_risk"][i]),
                    "efficient_reach_vs_sdi": bool(eff["sdi"][i]),
                    "figures": fig})
    return out


def findings(comparison: Comparison) -> list[str]:
    """The comparison in plain sentences: the footing, who is best on each figure (and
    whether its P5-P95 interval clears the runner-up's), the costs, the efficient layouts."""
    table = rows(comparison)
    first = comparison.layouts[0]
    footing = {"cost": f"all layouts held to {first.name}'s monthly cost by scaling their "
                       "posting rates",
               "posts": f"all layouts held to {first.name}'s posts per day by scaling their "
                        "posting rates (costs scale with them)",
               "none": "layouts as written (not normalized)"}[comparison.normalize]
    out = [f"Compared {len(table)} layouts on one audience ({comparison.results[0].n_users:,} "
           f"simulated users, each {comparison.scale:,.1f} people, {first.name}'s scale) and "
           f"the same events with common random numbers; {footing}."]
    if len(table) > 1:
        for key, (label, _unit, sense) in FIGURES.items():
            if key != "monthly_cost":
                out.append(_winner(table, key, label, sense))
    costs = ", ".join(f"{r['variant']} {r['figures']['monthly_cost']['mean']:,.0f}"
                      for r in table)
    out.append(f"Monthly cost: {costs} (currency units per month).")
    for key, what in (("sdi", "expected reach against SDI"),
                      ("reach_at_risk", "expected reach against reach-at-risk")):
        names = [r["variant"] for r in table if r[f"efficient_reach_vs_{key}"]]
        out.append(f"Pareto-efficient on {what}: {', '.join(names)}.")
    out += [f"{lay.name}: not simulated for it: {note}." for lay in comparison.layouts
            for note in lay.skipped]
    return out


def _winner(table: list[dict[str, Any]], key: str, label: str, sense: int) -> str:
    stats = [_signed(r["figures"][key], sense) for r in table]
    ranked = sorted(range(len(table)), key=lambda i: -stats[i]["mean"])
    best, second = ranked[0], ranked[1]
    if not np.isfinite(stats[best]["mean"]):
        return f"{label}: not available for any layout."
    clear = stats[best]["p5"] > stats[second]["p95"]
    b, s = (table[i]["figures"][key] for i in (best, second))
    return (f"{'Highest' if sense > 0 else 'Lowest'} {label[0].lower() + label[1:]}: "
            f"{table[best]['variant']}, {_fmt(key, b)} (P5{DASH}P95 {_interval(key, b)}), "
            f"{'clear of' if clear else 'overlapping'} the next best, "
            f"{table[second]['variant']} ({_fmt(key, s)}; {_interval(key, s)}), at "
            f"{table[best]['figures']['monthly_cost']['mean']:,.0f}/month.")


def _signed(stats: dict[str, float | None], sense: int) -> dict[str, float]:
    """A figure's mean and interval turned so that more is better (a missing value, such
    as recovery not within the horizon, is the worst)."""
    x = {k: -np.inf if v is None else sense * v for k, v in stats.items()}
    return {"mean": x["mean"], "p5": min(x["p5"], x["p95"]), "p95": max(x["p5"], x["p95"])}


def _interval(key: str, stats: dict[str, float | None]) -> str:
    return f"{_fmt(key, stats, 'p5', unit=False)}{DASH}{_fmt(key, stats, 'p95')}"


def _fmt(key: str, stats: dict[str, float | None], which: str = "mean",
         unit: bool = True) -> str:
    """One statistic of a figure for a reader, with its unit unless ``unit`` is False."""
    x = stats.get(which)
    if x is None:
        return "not within horizon" if key == "recovery_days" else DASH
    kind = FIGURES[key][1]
    if kind in ("share", "% of baseline"):
        return f"{100 * x if kind == 'share' else x:.1f}" + ("%" if unit else "")
    if kind == "people/day":
        return format_people(x) + (" people/day" if unit else "")
    return f"{x:,.1f}" + (f" {kind}" if unit else "")


def save(comparison: Comparison, out_dir: str | Path | None = None) -> Path:
    """Write ``comparison.csv``, ``comparison.json``, the charts and ``report.html`` into
    ``out_dir`` (default ``outputs/<name>/compare``) atomically; returns the folder."""
    from .compare_plots import draw_comparison_charts

    scenario = comparison.results[0].scenario
    out_dir = Path(out_dir) if out_dir is not None else default_dir(scenario) / "compare"
    table = rows(comparison)
    with atomic_dir(out_dir, "compare") as tmp:
        write_rows(tmp / "comparison.csv", _csv_rows(table))
        write_json(tmp / "comparison.json", _summary(comparison, table))
        charts = draw_comparison_charts(comparison, tmp, scenario.outputs.charts)
        (tmp / "report.html").write_text(_render(comparison, table, charts), encoding="utf-8")
    return out_dir


def _summary(comparison: Comparison, table: list[dict[str, Any]]) -> dict[str, Any]:
    first = comparison.results[0]
    return {"name": comparison.name, "normalize": comparison.normalize,
            "reference": comparison.layouts[0].name, "scale": comparison.scale,
            "scale_from": comparison.layouts[0].name, "users": first.n_users,
            "seed": first.scenario.seed, "replications": first.replications,
            "horizon_days": first.scenario.horizon_days,
            "events": [e.model_dump(mode="json") for e in
                       max((r.scenario.events for r in comparison.results), key=len)],
            "units": {k: v[1] for k, v in FIGURES.items()},
            "variants": table, "findings": findings(comparison),
            "wall_time_s": comparison.meta.get("wall_time_s")}


def _csv_rows(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The comparison's rows flat for ``comparison.csv``: ``<figure>_<stat>`` columns."""
    head = ["variant", "leader", "accounts", "cadence_factor", "posts_per_day"]
    tail = ["efficient_reach_vs_reach_at_risk", "efficient_reach_vs_sdi"]
    return [{**{h: r[h] for h in head},
             **{f"{k}_{s}": r["figures"][k][s] for k in FIGURES for s in _STATS},
             **{t: r[t] for t in tail}} for r in table]


def _render(comparison: Comparison, table: list[dict[str, Any]],
            charts: dict[str, list[Path]]) -> str:
    title = f"Layouts compared: {comparison.name}"
    said = findings(comparison)
    head = ["Layout", "Leader", "Accounts", "Cadence ×"] + [
        f"{label} ({unit})" for label, unit, _ in FIGURES.values()]
    cells = [[r["variant"], r["leader"], r["accounts"], f"{r['cadence_factor']:.2f}"]
             + [f"{_fmt(k, r['figures'][k], unit=False)} [{_interval(k, r['figures'][k])}]"
                for k in FIGURES] for r in table]
    first = comparison.results[0]
    facts = [f"{first.replications} replications per layout, seed {first.scenario.seed}, "
             f"{first.scenario.horizon_days} days; brackets are P5{DASH}P95 over "
             "replications (reach-at-risk: over bootstrap resamples).",
             "Expected reach: mean daily brand reach without the events. SDI: reach lost in "
             "a world without the layout's leader. Trough, recovery and reach-at-risk: under "
             "the scenario's events against the same layout without them. Monthly cost: the "
             "sum of the accounts' costs. Definitions: docs/MODEL.md."]
    sections = [f"<h1>{escape(title)}</h1>",
                f'<p class="headline">{escape(said[0])}</p>',
                "<h2>Who wins on what</h2>",
                "<ul>\n" + "\n".join(f"<li>{escape(s)}</li>" for s in said[1:]) + "\n</ul>",
                "<h2>Figures</h2>", html_table(head, cells, cls="numbers"),
                "\n".join(f'<p class="muted">{escape(f)}</p>' for f in facts),
                "<h2>Charts</h2>", charts_html(charts, CAPTIONS)]
    return page(title, sections)
