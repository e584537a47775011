"""Writing a layout comparison: table, JSON, charts and a page that says who wins on what.

Everything goes into a temporary folder moved into place when complete
(:func:`sim.output.files.atomic_dir`).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.compare import COMPARED, Comparison, posts_per_day
from sim.analysis.recommend import PICKS, TARGET_REACH_SHARE, Candidate, Recommendation
from sim.i18n import N_, _, current
from sim.output.html import DASH, charts_html, heading, html_table, page
from sim.output.run.report import EVENT_NAMES
from sim.runs.figures import FIGURES, NOT_APPLICABLE, applies, format_people

__all__ = ["CAPTIONS", "findings", "render_comparison", "render_recommendation", "rows"]

CAPTIONS: dict[str, str] = {
    "bars": N_("Every figure per layout: bars are means, whiskers P5-P95 over replications; "
               "each panel says whether higher or lower is better; n/a: an event the layout "
               "cannot have was not simulated for it."),
    "reach": N_("Daily brand reach of each layout in people: solid lines with the scenario's "
                "events (bands P5-P95), dashed lines without them."),
    "frontier": N_("Reach against risk: each layout a point with P5-P95 error bars; starred "
                   "layouts are Pareto-efficient (no other layout has both more reach and "
                   "less risk)."),
    "search": N_("Every layout the search evaluated, coloured by monthly cost: expected reach "
                 "against SDI and against the loss after the events (means); outlined: the "
                 "Pareto frontier; labelled: the recommended layouts."),
}
CANDIDATE_FIGURES = ("expected_reach", "sdi", "cumulative_loss_pct", "loss_at_risk")


def rows(comparison: Comparison) -> list[dict[str, Any]]:
    """Per layout: what it is, how it was normalized, its figures with their spread, and
    whether it is Pareto-efficient on reach against loss-at-risk and against SDI."""
    figures = comparison.figures()
    out = []
    eff = {key: comparison.efficient(key) for key in ("loss_at_risk", "sdi")}
    for i, (lay, result, fig) in enumerate(zip(comparison.layouts, comparison.results,
                                               figures)):
        out.append({"variant": lay.name, "description": lay.description,
                    "leader": result.leader, "accounts": len(result.accounts),
                    "cadence_factor": lay.cadence,
                    "posts_per_day": posts_per_day(result.scenario),
                    "skipped_events": list(lay.skipped),
                    "efficient_reach_vs_loss_at_risk": bool(eff["loss_at_risk"][i]),
                    "efficient_reach_vs_sdi": bool(eff["sdi"][i]),
                    "figures": fig})
    return out


def findings(comparison: Comparison) -> list[str]:
    """The comparison in plain sentences: the footing, who is best on each figure (and
    whether its P5-P95 interval clears the runner-up's), the costs, the efficient layouts."""
    table = rows(comparison)
    first = comparison.layouts[0]
    footing = {"cost": _("all layouts held to {name}'s monthly cost by scaling their "
                         "posting rates"),
               "posts": _("all layouts held to {name}'s posts per day by scaling their "
                          "posting rates (costs scale with them)"),
               "none": _("layouts as written (not normalized)")}[comparison.normalize]
    out = [_("Compared {n} layouts on one audience ({users} simulated users, each {scale} "
             "people, {name}'s scale) and the same events with common random numbers; "
             "{footing}.").format(n=len(table), users=f"{comparison.results[0].n_users:,}",
                                  scale=f"{comparison.scale:,.1f}", name=first.name,
                                  footing=footing.format(name=first.name))]
    if len(table) > 1:
        for key in COMPARED:
            label, sense = _(FIGURES[key].title), FIGURES[key].better
            if key != "monthly_cost":
                out.append(_winner(table, key, label, sense))
    costs = ", ".join(f"{r['variant']} {r['figures']['monthly_cost']['mean']:,.0f}"
                      for r in table)
    out.append(_("Monthly cost: {costs} (currency units per month).").format(costs=costs))
    for key, what in (("sdi", _("expected reach against SDI")),
                      ("loss_at_risk", _("expected reach against loss-at-risk"))):
        names = [r["variant"] for r in table if r[f"efficient_reach_vs_{key}"]]
        out.append(_("Pareto-efficient on {what}: {names}.").format(
            what=what, names=", ".join(names) or _("none")))
    out += [_("{name}: not simulated for it: {event} of {target} on day {day}; the layout "
              "has no {missing}.").format(name=lay.name, event=_(EVENT_NAMES[e["kind"]]),
                                          target=e["target"], day=e["day"],
                                          missing=" / ".join(e["missing"]))
            for lay in comparison.layouts for e in lay.skipped]
    return out


def _winner(table: list[dict[str, Any]], key: str, label: str, sense: int) -> str:
    rows = [r for r in table if applies(r["figures"][key])]
    if len(rows) < 2:
        return _("{label}: n/a for {na} of {n} layouts (their events were not all "
                 "simulated); not ranked.").format(label=label, na=len(table) - len(rows),
                                                   n=len(table))
    stats = [_signed(r["figures"][key], sense) for r in rows]
    ranked = sorted(range(len(rows)), key=lambda i: -stats[i]["mean"])
    best, second = ranked[0], ranked[1]
    if not np.isfinite(stats[best]["mean"]):
        return _("{label}: not available for any layout.").format(label=label)
    clear = stats[best]["p5"] > stats[second]["p95"]
    b, s = (rows[i]["figures"][key] for i in (best, second))
    left_out = [r["variant"] for r in table if not applies(r["figures"][key])]
    template = {(True, True): _("Highest {label}: {best}, {value} (P5-P95 {interval}), clear "
                                "of the next best, {second} ({second_value}; "
                                "{second_interval}), at {cost}/month"),
                (True, False): _("Highest {label}: {best}, {value} (P5-P95 {interval}), "
                                 "overlapping the next best, {second} ({second_value}; "
                                 "{second_interval}), at {cost}/month"),
                (False, True): _("Lowest {label}: {best}, {value} (P5-P95 {interval}), clear "
                                 "of the next best, {second} ({second_value}; "
                                 "{second_interval}), at {cost}/month"),
                (False, False): _("Lowest {label}: {best}, {value} (P5-P95 {interval}), "
                                  "overlapping the next best, {second} ({second_value}; "
                                  "{second_interval}), at {cost}/month")}[(sense > 0, clear)]
    text = template.format(label=label[0].lower() + label[1:] if current() == "en" else label,
                           best=rows[best]["variant"], value=_fmt(key, b),
                           interval=_interval(key, b), second=rows[second]["variant"],
                           second_value=_fmt(key, s), second_interval=_interval(key, s),
                           cost=f"{rows[best]['figures']['monthly_cost']['mean']:,.0f}")
    if left_out:
        return text + _(" (n/a for {names}).").format(names=", ".join(left_out))
    return text + _(".")


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
    if not applies(stats):
        return NOT_APPLICABLE
    x = stats.get(which)
    if x is None:
        return _("not within horizon") if key == "recovery_days" else DASH
    kind = FIGURES[key].value_unit
    if kind in ("share", "% of baseline"):
        return f"{100 * x if kind == 'share' else x:.1f}" + ("%" if unit else "")
    if kind == "people/day":
        return format_people(x) + (" " + _("people/day") if unit else "")
    return f"{x:,.1f}" + (f" {_(kind)}" if unit else "")


def _cell(key: str, stats: dict[str, Any]) -> str:
    """A figure's mean and its P5-P95 range, without units (the row gives them); n/a alone
    where it does not apply."""
    if not applies(stats) or stats.get("mean") is None or stats["p5"] == stats["p95"]:
        return _fmt(key, stats, unit=False)
    low, high = (_fmt(key, stats, which, unit=False) for which in ("p5", "p95"))
    return f"{_fmt(key, stats, unit=False)} [{low}{DASH}{high}]"


def _leader(result: Any) -> str:
    """A layout's strongman as a reader calls it, and whether the layout names him."""
    name = result.account_name(result.leader)
    if result.scenario.matrix.leader is None:
        return _("none named; largest share: {name}").format(name=name)
    return name


def render_comparison(comparison: Comparison, table: list[dict[str, Any]],
            charts: dict[str, list[Path]]) -> str:
    title = _("Layouts compared: {name}").format(name=comparison.name)
    said = findings(comparison)
    # figures as rows and layouts as columns, so that the table fits the page
    head = [_("Figure")] + [r["variant"] for r in table]
    cells = [[_("Leader"), *(_leader(result) for result in comparison.results)],
             [_("Accounts"), *(r["accounts"] for r in table)],
             [_("Cadence ×"), *(f"{r['cadence_factor']:.2f}" for r in table)]]
    cells += [[f"{_(FIGURES[k].title)} ({_(FIGURES[k].unit)})",
               *(_cell(k, r["figures"][k]) for r in table)] for k in COMPARED]
    first = comparison.results[0]
    facts = [_("{n} replications per layout, seed {seed}, {days} days; brackets are P5-P95 "
               "over replications (loss-at-risk: over bootstrap resamples).").format(
                 n=first.replications, seed=first.scenario.seed,
                 days=first.scenario.horizon_days),
             _("Expected reach: mean daily brand reach without the events. SDI: reach lost in "
               "a world without the layout's leader. Loss, recovery and loss-at-risk: under "
               "the scenario's events against the same layout without them; n/a where an "
               "event names an account the layout does not have. Monthly cost: the sum of "
               "the accounts' costs. Definitions: docs/MODEL.md.")]
    sections = [f"<h1>{escape(title)}</h1>",
                f'<p class="headline">{escape(said[0])}</p>',
                heading(_("Who wins on what")),
                "<ul>\n" + "\n".join(f"<li>{escape(s)}</li>" for s in said[1:]) + "\n</ul>",
                heading(_("Figures")),
                html_table(head, cells, cls="numbers", text_columns=range(1, len(head))),
                "\n".join(f'<p class="muted">{escape(f)}</p>' for f in facts),
                heading(_("Charts")),
                charts_html(charts, {k: _(v) for k, v in CAPTIONS.items()})]
    return page(title, sections)


def render_recommendation(result: Recommendation, charts: dict[str, list[Path]]) -> str:
    """The recommendation's page: the picks in words and as a table, the Pareto frontier
    and the search chart."""
    title = _("Layouts recommended: {name}").format(name=result.name)
    said = result.sentences()
    picks = result.picks()
    tags = {id(c): tag for tag, c in picks.items()}
    head = [_("Layout"), _("Pick"), _("Self-operated / leaders / dealers / employees"),
            f"{_('Monthly cost')} ({_('currency/month')})",
            *(f"{_(FIGURES[k].title)} ({_(FIGURES[k].unit)})" for k in CANDIDATE_FIGURES)]

    def row(c: Candidate) -> list[str]:
        counts = " / ".join(str(c.counts[r]) for r in ("self_operated", "leader", "dealer",
                                                        "employee"))
        tag = tags.get(id(c))
        return [c.label, _(PICKS[tag]) if tag else "", counts, f"{c.cost:,.0f}",
                *(_cell(k, c.figures[k]) for k in CANDIDATE_FIGURES)]

    cap = "" if result.max_sdi is None else _(" A recommended layout has an SDI of at most "
                                              "{cap}.").format(cap=f"{result.max_sdi:.0%}")
    facts = [_("Budget {budget}/month; the cheapest pick reaches at least {share} of the "
               "best pick's expected reach.").format(budget=f"{result.budget:,.0f}",
                                                     share=f"{TARGET_REACH_SHARE:.0%}") + cap,
             _("Brackets are P5-P95 over each layout's replications (loss-at-risk: over "
               "bootstrap resamples); seed {seed}. Definitions: docs/MODEL.md.").format(
                 seed=result.settings["seed"])]
    frontier = sorted(result.frontier, key=lambda c: c.cost)
    sections = [f"<h1>{escape(title)}</h1>",
                "\n".join(f'<p class="headline">{escape(s)}</p>' for s in said[:-1]),
                f"<p>{escape(said[-1])}</p>",
                heading(_("Recommended layouts")),
                html_table(head, [row(c) for c in picks.values()], cls="numbers",
                           text_columns=(0,)) if picks else "",
                heading(_("Pareto frontier ({n} of {total} layouts)").format(
                    n=len(frontier), total=len(result.candidates))),
                html_table(head, [row(c) for c in frontier], cls="numbers",
                           text_columns=(0,)),
                "\n".join(f'<p class="muted">{escape(f)}</p>' for f in facts),
                heading(_("Charts")),
                charts_html(charts, {k: _(v) for k, v in CAPTIONS.items()})]
    return page(title, sections)
