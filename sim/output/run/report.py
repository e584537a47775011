"""The HTML report of a run: one self-contained page for a strategy workshop.

The page says the headline in plain words, shows the charts (inlined as data URIs), the
figures with their spread, who carries reach, the assumptions and the scenario as run. It
loads nothing from elsewhere, so it can be mailed or opened offline. All user text is escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import yaml

from sim.analysis.drivers import SOURCES, driver_title
from sim.analysis.mitigate import lever_text
from sim.i18n import N_, _, current
from sim.output.html import DASH, charts_html, heading, html_table, page
from sim.output.style import role_name
from sim.runs.figures import FIGURES, RUN_FIGURES
from sim.runs.results import RunResult

COARSE_FOLLOWERS = 30  # simulated followers below which an account's figures are coarse

__all__ = ["CHART_CAPTIONS", "headline", "render_report"]

DEFAULT_THRESHOLD = 0.9
# a loss fades (or deepens) when the last 90 days differ from the first 30 by at least this
# many points and by a quarter of the larger
FADING_POINTS, FADING_SHARE = 3.0, 0.75
GAP = 0.10  # SDI and the leader's Shapley share this far apart get a sentence on why

CHART_CAPTIONS: dict[str, str] = {
    "reach": N_("Daily brand reach in people (7-day average). Lines are means over "
                "replications; the light bands are the replications' P5-P95, the dark ones "
                "the mean's 95% interval. The dashed line is the world without the leader; "
                "dotted lines mark the events."),
    "trust": N_("Mean trust in the brand over all people (100% = untouched), baseline against "
                "scenario, with the events; the axis starts at 80% or lower, so that a small "
                "dip looks small."),
    "dependency": N_("How much of brand reach hangs on the leader: the reach lost without the "
                     "leader (SDI) and the leader's Shapley share, each with its P5-P95 range; "
                     "the dotted line is half of brand reach."),
    "attribution": N_("Who carries reach: each account's Shapley reach (a person reached by "
                      "several accounts counts once, split equally), small accounts together "
                      "by role; right, each role's share, the leader apart from the "
                      "executives."),
    "influence": N_("Who passes whose posts on: accounts sized by reach and coloured by role; "
                 "arrows show amplification, thicker for more."),
    "robustness": N_("Key players: the share of brand reach left when accounts are removed, "
                  "largest attribution first against random order (bands P5-P95 over "
                  "replications). Each account's own reach is taken as it was (the coverage "
                  "view); the SDI above simulates the world without the leader in full."),
}

EVENT_PHRASES: dict[str, str] = {
    "exit": N_("the exit of {}"), "scandal": N_("a scandal around {}"),
    "inactive": N_("the inactivity of {}"), "ban": N_("a platform ban of {}"),
    "succession": N_("the succession by {}"), "campaign": N_("a campaign by {}"),
    "crisis_response": N_("a crisis response by {}"),
}
EVENT_NAMES: dict[str, str] = {
    "exit": N_("exit"), "scandal": N_("scandal"), "inactive": N_("inactive"),
    "ban": N_("ban"), "succession": N_("succession"), "campaign": N_("campaign"),
    "crisis_response": N_("crisis response"),
}
SENTENCE_GAP = {"en": " ", "zh": ""}  # between sentences (Chinese sets none)


def headline(result: RunResult) -> str:
    """The run's finding in plain words: the leader's share of reach and, when the scenario
    has events, what the first one does to reach and how fast reach recovers.

    Parameters
    ----------
    result : RunResult
        The run, with its figures.

    Returns
    -------
    str
        One or two sentences of plain text (not escaped), in the current language
        (:func:`sim.i18n.language`); ranges in brackets are P5-P95.
    """
    sentences = [_dependency_sentence(result)]
    if result.scenario.events:
        sentences.append(_event_sentence(result))
    return SENTENCE_GAP[current()].join(sentences)


def render_report(result: RunResult, charts: dict[str, list[Path]]) -> str:
    """One self-contained HTML page describing a run, in the current language.

    Parameters
    ----------
    result : RunResult
        The run to describe.
    charts : dict of str to list of Path
        Chart name to its files, as :func:`sim.output.run.charts.draw_charts` returns them;
        the PNG of each (or else its SVG) is inlined as a data URI.

    Returns
    -------
    str
        The HTML document; it references no file or address.
    """
    title = _("Leader dependency: {name}").format(name=result.scenario.name)
    sections = [
        f"<h1>{escape(title)}</h1>",
        _paragraph(result.scenario.description, "muted"),
        _paragraph(headline(result), "headline"),
        heading(_("Headline figures")), _figures_table(result), _gap_note(result),
        _uncertainty_table(result),
        _drivers_table(result),
        _levers_table(result),
        _events_table(result),
        heading(_("Charts")), charts_html(charts, {k: _(v) for k, v in CHART_CAPTIONS.items()}),
        heading(_("Who carries reach: per account")), _account_table(result),
        heading(_("Who carries reach: per role")), _role_table(result),
        heading(_("Assumptions")), _assumptions(result),
        heading(_("Run")), _run_facts(result),
        heading(_("Scenario as run")), _scenario_yaml(result),
    ]
    return page(title, sections)


# --- headline ------------------------------------------------------------------------------

def _dependency_sentence(result: RunResult) -> str:
    name = result.account_name(result.leader)
    share = _share_text(result.figures.get("leader_shapley_share"))
    sdi = _share_text(result.figures.get("sdi"))
    if not share:
        return _("The share of brand reach carried by the leader account {name} could not be "
                 "estimated.").format(name=name)
    if not sdi:
        return _("The leader account {name} carries {share} of brand reach.").format(
            name=name, share=share)
    return _("The leader account {name} carries {share} of brand reach; without {name}, "
             "daily brand reach would be {sdi} lower.").format(name=name, share=share, sdi=sdi)


def _event_sentence(result: RunResult) -> str:
    figures = result.figures
    events = sorted(result.scenario.events, key=lambda e: e.day)
    day = figures.get("first_event_day")
    day = events[0].day if day is None else day
    phrase = EVENT_PHRASES.get(events[0].kind)
    what = (_(phrase) if phrase else events[0].kind).format(
        target_name(result, events[0].target))
    later = len(events) - 1
    when = (_("After {what} on day {day}") if not later else
            _("After {what} on day {day} (and 1 later event)") if later == 1 else
            _("After {what} on day {day} (and {later} later events)")).format(
        what=what, day=day, later=later)
    lost = figures.get("cumulative_loss_pct") or {}
    if lost.get("mean") is None:
        return _("{when}, the loss of reach could not be estimated.").format(when=when)
    loss = f"{_num(lost['mean'])}%{_range(lost, '%')}"
    if abs(lost["mean"]) < 0.5:
        return _("{when}, daily brand reach does not fall measurably (loss {loss}).").format(
            when=when, loss=loss)
    text = _("{when}, daily brand reach is {loss} lower than without it, on average over "
             "days {day}-{horizon}; {shape}; {recovery}.").format(
        when=when, loss=loss, day=day, horizon=result.scenario.horizon_days,
        shape=_shape_clause(figures), recovery=_recovery_clause(result, day))
    risk = figures.get("loss_at_risk") or {}
    if risk.get("value") is not None:
        text += SENTENCE_GAP[current()] + _(
            "In 1 replication in 20 the loss exceeds {risk}%.").format(risk=_num(risk["value"]))
    return text


def _shape_clause(figures: dict[str, Any]) -> str:
    """How the loss arrives and whether it fades, deepens or stays level."""
    onset = (figures.get("onset_days") or {}).get("p50")
    early = (figures.get("early_loss_pct") or {}).get("mean")
    late = (figures.get("late_loss_pct") or {}).get("mean")
    if early is None or late is None:
        return _("its course could not be estimated")
    values = {"early": _num(early), "late": _num(late)}
    if early - late >= FADING_POINTS and late < FADING_SHARE * early:
        shape = _("fades, from {early}% in the first 30 days to {late}% in the last 90")
    elif late - early >= FADING_POINTS and early < FADING_SHARE * late:
        shape = _("deepens, from {early}% in the first 30 days to {late}% in the last 90")
    else:
        shape = _("stays about level ({early}% in the first 30 days, {late}% in the last 90)")
    shape = shape.format(**values)
    if onset is None:
        return shape
    arrives = (_("it arrives within {days} days and {shape}") if onset <= 14 else
               _("it builds up over about {days} days and {shape}"))
    return arrives.format(days=f"{onset:.0f}", shape=shape)


def _recovery_clause(result: RunResult, day: int) -> str:
    figures = result.figures
    level = _("{threshold} of baseline (as a {days}-day average)").format(
        threshold=f"{_threshold(figures):.0%}", days=result.scenario.outputs.smoothing_days)
    recovery = figures.get("recovery_days") or {}
    recovered = figures.get("recovered_share")
    share = ("" if recovered is None else _(
        " ({share} of replications recover within the horizon)").format(
        share=f"{recovered:.0%}"))
    if figures.get("p_below") == 0:
        return _("reach stays above {level} in every replication").format(level=level)
    if recovery.get("mean") is not None:
        return _("reach is back to {level} by day {day}").format(
            level=level, day=f"{day + recovery['mean']:.0f}")
    if recovery.get("p50") is not None:
        return _("reach is back to {level} by day {day} in half of the replications"
                 ).format(level=level, day=f"{day + recovery['p50']:.0f}") + share
    return _("reach is not back to {level} within the {days} days simulated").format(
        level=level, days=result.scenario.horizon_days) + share


def _threshold(figures: dict[str, Any]) -> float:
    """Share of baseline reach that counts as recovered (0.9 unless the run says)."""
    threshold = figures.get("threshold")
    return DEFAULT_THRESHOLD if threshold is None else threshold


def _share_text(stats: dict[str, float | None] | None) -> str | None:
    """A share's mean and range as percentages; None where there is no mean."""
    if not stats or stats.get("mean") is None:
        return None
    return _pct_range(stats, 100)


def _range(stats: dict[str, float | None], unit: str = "") -> str:
    interval = _interval(stats, unit)
    return f" ({interval})" if interval else ""


def _interval(stats: dict[str, float | None], unit: str = "") -> str | None:
    p5, p95 = stats.get("p5"), stats.get("p95")
    return f"{_num(p5)}{DASH}{_num(p95)}{unit}" if p5 is not None and p95 is not None else None


def _num(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 10 or x == 0 else f"{x:.1f}"


def target_name(result: RunResult, target: str) -> str:
    """An event target as a reader calls it: an account by its name, a role by its word."""
    if target.startswith("role:"):
        return _("the {role} accounts").format(role=role_name(target[5:]))
    return result.account_name(target)


# --- sections ------------------------------------------------------------------------------

def _paragraph(text: str, cls: str) -> str:
    return f'<p class="{cls}">{escape(text)}</p>' if text else ""


def _figures_table(result: RunResult) -> str:
    figures = result.figures
    rows = []
    for key in RUN_FIGURES:
        if key in figures:
            stats, h = figures[key] or {}, FIGURES[key]
            rows.append([_(h.label), _(h.unit)] + [h.text(stats.get(s))
                                                   for s in ("mean", "p5", "p50", "p95")])
    threshold = _threshold(figures)
    level = f"{threshold:.0%}"
    scalars = [("p_below", _("Probability that daily reach falls below {level} of "
                             "baseline").format(level=level), _("probability")),
               ("recovered_share", _("Replications back to {level} of baseline within "
                                     "the horizon").format(level=level), _("share")),
               ("first_event_day", _("First event"), _("day"))]
    for key, label, unit in scalars:
        if key in figures:
            value = figures[key]
            text = DASH if value is None else (
                _("day {day}").format(day=value) if key == "first_event_day"
                else f"{value * 100:.1f}%")
            rows.append([label, unit, text, "", "", ""])
    return html_table([_("Figure"), _("Unit"), _("Mean"), "P5", "P50", "P95"], rows,
                      cls="numbers") + (
        '<p class="muted">' + escape(_("P5 and P95: 5th and 95th percentiles over {n} "
                                       "replications. {dash}: not available.").format(
            n=result.replications, dash=DASH)) + "</p>")


def _uncertainty_table(result: RunResult) -> str:
    """A calibrated run's figures with the parameters drawn from the calibration beside
    the same replications at the calibrated values alone."""
    fixed = result.meta.get("fixed_parameters")
    if not fixed:
        return ""
    rows = []
    for key in RUN_FIGURES:
        if key in fixed and key in result.figures:
            h, drawn, alone = FIGURES[key], result.figures[key], fixed[key]
            rows.append([_(h.label), _(h.unit), h.text(drawn.get("mean")),
                         _p5_to_p95(h, drawn), h.text(alone.get("mean")), _p5_to_p95(h, alone)])
    return (heading(_("Parameter uncertainty")) + "<p>" + escape(_(
        "The scenario is calibrated: each replication draws its accounts' parameters from the "
        "calibration's samples, so the spread holds both what the data leave unknown and "
        "day-to-day chance. Beside it, the same replications at the calibrated values alone: "
        "day-to-day chance only. Where the first range is much wider, the parameters' "
        "uncertainty drives it.")) + "</p>"
        + html_table([_("Figure"), _("Unit"), _("Mean"), _("P5 to P95"), _("Mean, values fixed"),
                      _("P5 to P95, values fixed")], rows, cls="numbers"))


def _p5_to_p95(h: Any, stats: dict[str, Any]) -> str:
    """A figure's P5 to P95, for a reader."""
    return _("{low} to {high}").format(low=h.text(stats.get("p5")), high=h.text(stats.get("p95")))


def _gap_note(result: RunResult) -> str:
    """Why SDI and the leader's Shapley share differ, when they differ by ``GAP`` or more."""
    sdi = (result.figures.get("sdi") or {}).get("mean")
    share = (result.figures.get("leader_shapley_share") or {}).get("mean")
    if sdi is None or share is None or abs(sdi - share) < GAP:
        return ""
    values = {"name": result.account_name(result.leader), "sdi": f"{sdi:.0%}",
              "share": f"{share:.0%}"}
    text = (_("SDI ({sdi}) is above {name}'s Shapley share ({share}): other accounts pass "
              "{name}'s posts on, and the attribution credits that reach to them, but "
              "without {name} it is lost as well.") if sdi > share else
            _("SDI ({sdi}) is below {name}'s Shapley share ({share}): much of the audience "
              "{name} reaches is reached by other accounts too, and without {name} they "
              "still reach it."))
    return f'<p class="muted">{escape(text.format(**values))}</p>'


def _drivers_table(result: RunResult) -> str:
    """What drives the headline: each input at 2/3 and 1.5 times its value, the SDI and
    loss there, and where its value comes from."""
    if not result.drivers:
        return ""
    rows = [[driver_title(d.key, d.name), _(SOURCES[d.source]), _value(d.key, d.value),
             f"{_value(d.key, d.low)} / {_value(d.key, d.high)}",
             " / ".join(DASH if x is None else f"{100 * x:.1f}%" for x in d.sdi),
             " / ".join(DASH if x is None else f"{x:.1f}%" for x in d.loss)]
            for d in result.drivers]
    n = min(result.scenario.outputs.driver_replications, result.replications)
    runs = (_("one replication each") if n == 1 else
            _("{n} replications each").format(n=n))
    return (heading(_("What drives it")) + "<p>" + escape(_(
        "The strongman's inputs moved one at a time to 2/3 and 1.5 times their value, on the "
        "same world ({runs}; common random numbers), largest swing of SDI first. An input "
        "from a role default is an assumption: where it moves the headline most, measure it "
        "first (riskmodel calibrate).").format(runs=runs)) + "</p>"
            + html_table([_("Input"), _("Source"), _("Value"), _("Run at"),
                          _("SDI at 2/3 / 1.5"), _("Loss at 2/3 / 1.5")], rows,
                         cls="numbers", text_columns=(1,)))


def _value(key: str, value: float) -> str:
    return (f"{value:,.0f}" if key == "followers" else f"{value:.2f}"
            if key == "posts_per_day" else f"{value:.3g}")


def _levers_table(result: RunResult) -> str:
    """What would reduce the dependency: each lever's SDI, loss and cost against doing
    nothing over the same replications."""
    if not result.levers:
        return ""
    rows = []
    for lever in result.levers:
        nothing = lever.key == "do_nothing"
        rows.append([*lever_text(lever.key, lever.params), _pct_range(lever.sdi, 100),
                     _pct_range(lever.loss), DASH if nothing else _signed(lever.loss_change),
                     DASH if nothing else _signed(lever.reach_after),
                     f"{lever.extra_cost:+,.0f}" if not nothing else "0"])
    n = result.levers[0].replications
    return (heading(_("What would reduce it")) + "<p>" + escape(_(
        "Each lever is the scenario with one change made from day 0, run for the same {n} "
        "replications as doing nothing on the same world (common random numbers: the changes "
        "are read pair by pair, so their ranges are narrower than the figures'). Loss: reach "
        "lost after the first event against the same matrix without the events. Reach after "
        "the event: the change of daily reach with the events, against doing nothing. Cost: "
        "extra monthly spend (currency units; an account's cost scales with its posting "
        "rate).").format(n=n)) + "</p>"
            + html_table([_("Lever"), _("What it does"), "SDI", _("Loss"),
                          _("Loss change (points)"), _("Reach after the event (% change)"),
                          _("Extra cost / month")], rows, cls="numbers", text_columns=(1,)))


def _pct_range(stats: dict[str, float | None], scale: float = 1.0) -> str:
    if stats.get("mean") is None:
        return DASH
    scaled = {k: None if v is None else v * scale for k, v in stats.items()}
    return f"{_num(scaled['mean'])}%{_range(scaled, '%')}"


def _signed(stats: dict[str, float | None]) -> str:
    mean, p5, p95 = stats.get("mean"), stats.get("p5"), stats.get("p95")
    if mean is None:
        return DASH
    return _("{mean} ({low} to {high})").format(mean=f"{mean:+.1f}", low=f"{p5:+.1f}",
                                                 high=f"{p95:+.1f}")


def _events_table(result: RunResult) -> str:
    events = sorted(result.scenario.events, key=lambda e: e.day)
    if not events:
        return ""
    rows = [(e.day, _(EVENT_NAMES.get(e.kind, e.kind)), target_name(result, e.target),
             DASH if getattr(e, "duration_days", None) is None else e.duration_days, e.note)
            for e in events]
    return heading(_("Events simulated")) + "\n" + html_table(
        [_("Day"), _("Event"), _("Account"), _("Duration (days)"), _("Note")], rows,
        cls="settings")


def _account_table(result: RunResult) -> str:
    rows, classes = [], []
    for r in result.attribution():
        is_leader = r["id"] == result.leader
        rows.append([result.account_name(r["id"]) + (_(" (leader)") if is_leader else ""),
                     r["id"],
                     role_name(r["role"]),
                     f"{r['shapley_reach']:,.0f}",
                     f"{r['shapley_p5']:,.0f}{DASH}{r['shapley_p95']:,.0f}",
                     f"{r['share'] * 100:.1f}%",
                     f"{r['share_p5'] * 100:.1f}{DASH}{r['share_p95'] * 100:.1f}%",
                     f"{r['exclusive_reach']:,.0f}"])
        classes.append("leader" if is_leader else "")
    head = [_("Account"), _("Id"), _("Role"), _("Shapley reach (people/day)"), "P5-P95",
            _("Share of reach"), "P5-P95", _("Exclusive reach (people/day)")]
    return html_table(head, rows, classes, cls="numbers")


def _role_table(result: RunResult) -> str:
    rows = []
    for r in result.role_attribution():
        share = {k: (None if v is None else v * 100) for k, v in r["share"].items()}
        rows.append([role_name(r["role"]), r["accounts"], f"{r['shapley_reach']:,.0f}",
                     DASH if share["mean"] is None else f"{share['mean']:.1f}%",
                     _interval(share, "%") or DASH, f"{r['exclusive_reach']:,.0f}"])
    head = [_("Role"), _("Accounts"), _("Shapley reach (people/day)"), _("Share of reach"),
            "P5-P95", _("Exclusive reach (people/day)")]
    return html_table(head, rows, cls="numbers")


def _assumptions(result: RunResult) -> str:
    scenario = result.scenario
    seed = result.meta.get("seed")
    items = [
        _("Scale: one simulated user stands for {scale} real people ({users} simulated "
          "users); every reach figure is in real people.").format(
            scale=f"{result.scale:,.1f}", users=f"{result.n_users:,}"),
        _("Horizon: {days} days; {n} Monte Carlo replications; root seed {seed}.").format(
            days=scenario.horizon_days, n=result.replications,
            seed=scenario.seed if seed is None else seed),
        _("Recovery threshold: {level} of baseline reach; the loss's onset and recovery are "
          "read on a {days}-day trailing average of daily reach, the deepest loss on a "
          "30-day one.").format(level=f"{_threshold(result.figures):.0%}",
                                days=scenario.outputs.smoothing_days),
        *_scale_notes(result),
        _("Every mechanism and default, with its unit and source, is stated in "
          "docs/MODEL.md."),
    ]
    return ("<ul>\n" + "\n".join(f"<li>{escape(i)}</li>" for i in items) + "\n</ul>\n"
            + heading(_("Day-to-day dynamics"), 3) + "\n"
            + _settings_table(scenario.dynamics))


def _scale_notes(result: RunResult) -> list[str]:
    """What the scale means for the figures: steps, coarse accounts, capped accounts."""
    notes = []
    simulated = result.simulated_followers()
    if result.scale > 1:
        coarse = [i for i, n in simulated.items() if n < COARSE_FOLLOWERS]
        notes.append(_(
            "Each simulated user is a block of {scale} people who see, reshare and follow "
            "together: reach and followers move in steps of {scale} people, and replications "
            "spread more than real people would (the means are kept: docs/MODEL.md, "
            "\"Scale\").").format(scale=f"{result.scale:,.0f}"))
        if coarse:
            notes.append((_("Coarse: {accounts} has fewer than {n} simulated followers, so its "
                            "reach is known only to within a few blocks; lower audience.scale "
                            "(more users) to resolve it.") if len(coarse) == 1 else
                          _("Coarse: {accounts} have fewer than {n} simulated followers, so "
                            "their reach is known only to within a few blocks; lower "
                            "audience.scale (more users) to resolve them.")).format(
                accounts=_listed(coarse), n=COARSE_FOLLOWERS))
    capped = [a.id for a in result.scenario.matrix.accounts
              if round(a.followers / result.scale) > result.n_users]
    if capped:
        notes.append((_("Capped: {accounts} has more followers than the audience holds at this "
                        "scale; every one of its {users} simulated users follows it.")
                      if len(capped) == 1 else
                      _("Capped: {accounts} have more followers than the audience holds at "
                        "this scale; every one of its {users} simulated users follows them."))
                     .format(accounts=_listed(capped), users=f"{result.n_users:,}"))
    return notes


def _listed(ids: list[str], most: int = 6) -> str:
    shown = ", ".join(ids[:most])
    return shown + (_(" and {n} more").format(n=len(ids) - most) if len(ids) > most else "")


def _settings_table(section: Any) -> str:
    """A scenario section (a pydantic model) as parameter, value and meaning."""
    fields = type(section).model_fields
    rows = [(name, DASH if value is None else value, _(fields[name].description or ""))
            for name, value in section.model_dump(mode="json").items()]
    return html_table([_("Parameter"), _("Value"), _("Meaning")], rows, cls="settings")


def _run_facts(result: RunResult) -> str:
    meta = result.meta
    versions = meta.get("versions") or {}
    rows = [(_("Command"), meta.get("command")), (_("Scenario file"), meta.get("source")),
            (_("Scenario file SHA-256"), meta.get("file_sha256")),
            (_("Wall time"), None if meta.get("wall_time_s") is None
             else f"{meta['wall_time_s']:.1f} s"),
            (_("Versions"), ", ".join(f"{k} {v}" for k, v in versions.items()) or None)]
    return html_table([_("Fact"), _("Value")], [(k, DASH if v is None else v) for k, v in rows],
                      cls="settings")


def _scenario_yaml(result: RunResult) -> str:
    text = yaml.safe_dump(result.scenario.to_yaml_dict(), sort_keys=False, allow_unicode=True)
    summary = _("{lines} lines of YAML: the scenario with every default filled in "
                "(open to read)").format(lines=text.count("\n"))
    return f"<details><summary>{escape(summary)}</summary><pre>{escape(text)}</pre></details>"
