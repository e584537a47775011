"""What would reduce the dependency: mitigation levers run on the same world as a scenario.

Each lever is the scenario with one change a workshop can decide on now (the founder passing
his traffic to the executives, the executives or the employees posting twice as often). It
runs on the same seed, so that its replication r shares every random draw the change does
not touch with the scenario's replication r (common random numbers), and is read against
doing nothing: SDI, the loss after the first event, reach after the event, and the extra
monthly cost. Definitions: docs/MODEL.md, "Mitigation levers".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.compare import monthly_cost, with_cadence
from sim.i18n import N_, _
from sim.runs.batch import run_many
from sim.runs.metrics import dependency, loss, summarize
from sim.runs.montecarlo import Progress
from sim.runs.results import LeverOutcome, RunResult
from sim.scenario.schema import Amplification, Scenario

__all__ = ["TEXTS", "Lever", "lever_text", "levers", "mitigate"]

POSTING_FACTOR = 2.0  # the posting levers: accounts post this many times as often
EXTRA_WEIGHT = 0.3  # the traffic lever: added to the founder-to-executive amplification

# each lever's title and what it does, formatted with its ``params`` (translated where shown)
TEXTS: dict[str, tuple[str, str]] = {
    "do_nothing": (N_("Do nothing"), N_("the scenario as it is")),
    "pass_traffic": (N_("{name} passes traffic to the executives"),
                     N_("from day 0 {name} passes each executive's posts on to his followers "
                        "with a {weight} higher chance (amplification weight), at no extra "
                        "cost")),
    "executives_post_more": (N_("Executives post twice as often"),
                             N_("from day 0 the executives ({accounts} accounts) post {factor} "
                                "times as often, at {factor} times their cost")),
    "employees_speak_up": (N_("Employees speak up"),
                           N_("from day 0 the employees ({accounts} accounts) post {factor} "
                              "times as often, at {factor} times their cost")),
}


def lever_text(key: str, params: dict[str, Any]) -> tuple[str, str]:
    """A lever's title and what it does, in the current language."""
    title, what = TEXTS[key]
    return _(title).format(**params), _(what).format(**params)


@dataclass(frozen=True)
class Lever:
    """A change to a resolved scenario: its key (:data:`TEXTS`), the values its text names,
    the changed scenario and its extra monthly cost (currency units per month)."""

    key: str
    params: dict[str, Any]
    scenario: Scenario
    extra_cost: float


def levers(resolved: Scenario, leader: str, amplification: np.ndarray) -> list[Lever]:
    """The levers that apply to a resolved scenario whose strongman is ``leader`` (its
    account-to-account weights ``amplification``): the traffic lever when the matrix has
    executives (other leader accounts), and the posting levers for the executives and for
    the employees when it has them."""
    accounts = resolved.matrix.accounts
    executives = [a.id for a in accounts if a.role == "leader" and a.id != leader]
    employees = [a.id for a in accounts if a.role == "employee"]
    out = []
    if executives:
        out.append(_traffic(resolved, leader, executives, amplification))
        out.append(_posting(resolved, "executives_post_more", executives))
    if employees:
        out.append(_posting(resolved, "employees_speak_up", employees))
    return out


def _traffic(resolved: Scenario, leader: str, executives: list[str],
             amplification: np.ndarray) -> Lever:
    """The founder passes traffic to the executives from day 0: the chance that he passes
    one of an executive's posts on to his followers rises by ``EXTRA_WEIGHT`` (at most 1; a
    later edge overrides an earlier one), so that his audience sees, and follows, them."""
    ids = [a.id for a in resolved.matrix.accounts]
    edges = list(resolved.amplification) + [
        Amplification(source=ex, target=leader, weight=min(
            1.0, amplification[ids.index(ex), ids.index(leader)] + EXTRA_WEIGHT))
        for ex in executives]
    name = next(a.label or a.id for a in resolved.matrix.accounts if a.id == leader)
    return Lever("pass_traffic", {"name": name, "weight": f"{EXTRA_WEIGHT:.0%}"},
                 resolved.model_copy(update={"amplification": edges}), 0.0)


def _posting(resolved: Scenario, key: str, ids: list[str]) -> Lever:
    """Accounts ``ids`` post ``POSTING_FACTOR`` times as often from day 0, their monthly
    cost scaled with their posting rate (as layouts are compared, MODEL.md section 12)."""
    changed = with_cadence(resolved, POSTING_FACTOR, set(ids))
    return Lever(key, {"accounts": len(ids), "factor": f"{POSTING_FACTOR:g}"}, changed,
                 monthly_cost(changed) - monthly_cost(resolved))


def mitigate(result: RunResult, base_dir: str | Path, replications: int,
             workers: int | None = None, progress: Progress | None = None
             ) -> list[LeverOutcome]:
    """Doing nothing (the first ``replications`` replications of ``result``), then every
    lever of :func:`levers` run for the same replications of ``result``'s seed (all on one
    pool of workers)."""
    n = min(replications, result.replications)
    nothing = _figures(result, n)
    zero = summarize(np.zeros(n))
    out = [LeverOutcome(key="do_nothing", params={}, replications=n, sdi=summarize(nothing["sdi"]),
                        loss=summarize(nothing["loss"]), sdi_change=zero, loss_change=zero,
                        reach_after=zero, extra_cost=0.0)]
    chosen = levers(result.scenario, result.leader, result.amplification)
    runs = run_many([lv.scenario.model_copy(update={"replications": n}) for lv in chosen],
                    base_dir, workers=workers, progress=progress, check_memory=False)
    for lever, ran in zip(chosen, runs):
        mine = _figures(ran, n)
        kept = np.divide(mine["post_reach"], nothing["post_reach"],
                         out=np.ones(n), where=nothing["post_reach"] > 0)
        out.append(LeverOutcome(
            key=lever.key, params=lever.params, replications=n,
            sdi=summarize(mine["sdi"]), loss=summarize(mine["loss"]),
            sdi_change=summarize(mine["sdi"] - nothing["sdi"]),
            loss_change=summarize(mine["loss"] - nothing["loss"]),
            reach_after=summarize(100 * (kept - 1)), extra_cost=lever.extra_cost))
    return out


def _figures(result: RunResult, n: int) -> dict[str, np.ndarray]:
    """Per replication of the first ``n``: SDI, the loss after the first event (%), and
    the mean daily reach with the events from the first event on (people)."""
    reach = {k: v[:n] for k, v in result.reach.items()}
    start = result.figures.get("first_event_day") or 0
    out = result.scenario.outputs
    lost = loss(reach["baseline"], reach["scenario"], start, out.threshold,
                out.smoothing_days)
    sdi = dependency(reach["baseline"], reach["no_leader"], result.shapley[:n],
                     [a.id for a in result.accounts].index(result.leader))["sdi"]
    return {"sdi": sdi, "loss": lost["cumulative_loss_pct"],
            "post_reach": reach["scenario"][:, start:].mean(axis=1)}
