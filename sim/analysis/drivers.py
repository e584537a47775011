"""What drives the headline: the inputs about the strongman moved one at a time.

Each input is set to two thirds and to one and a half times its value (a share at most 1)
and the scenario run again on the same seed, so that the change of SDI and of the loss is
the input's alone (common random numbers). Inputs are ranked by how far they move SDI, and
each says where its value comes from: the calibration, the scenario file, or a role default
(an assumption). Definitions: docs/MODEL.md, "What drives the headline".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.i18n import N_, _
from sim.runs.batch import run_many
from sim.runs.montecarlo import Progress
from sim.runs.results import DriverOutcome, RunResult
from sim.scenario.schema import DRAWN, Exit, Scenario

__all__ = ["FACTORS", "SOURCES", "TITLES", "driver_title", "drivers"]

FACTORS = (2 / 3, 1.5)  # each input is run at these multiples of its value
SHARES = ("overlap", "unfollow_share", "reach_rate")  # at most 1
TITLES: dict[str, str] = {
    "followers": N_("{name}'s followers"), "reach_rate": N_("{name}'s reach rate"),
    "posts_per_day": N_("{name}'s posts per day"), "overlap": N_("{name}'s overlap with the brand"),
    "unfollow_share": N_("Followers who unfollow the brand when {name} leaves"),
    "brand_reach_rate": N_("The brand account's reach rate"),
}
SOURCES: dict[str, str] = {"calibrated": N_("calibrated from the company's data"),
                           "scenario": N_("set in the scenario"),
                           "default": N_("role default: an assumption")}


@dataclass(frozen=True)
class _Input:
    key: str
    account: str | None  # whose parameter (None: the exit event's)
    parameter: str
    value: float
    source: str


def driver_title(key: str, name: str) -> str:
    """An input as a reader calls it, in the current language."""
    return _(TITLES[key]).format(name=name)


def drivers(result: RunResult, original: Scenario, base_dir: str | Path, replications: int,
            workers: int | None = None, progress: Progress | None = None
            ) -> list[DriverOutcome]:
    """Every input of the strongman moved to each of :data:`FACTORS`, run for the first
    ``replications`` replications of ``result``'s seed; largest SDI swing first."""
    n = min(replications, result.replications)
    inputs = _inputs(result.scenario, original, result.leader)
    moved = {i.key: tuple(_moved(i, f) for f in FACTORS) for i in inputs}
    changed = [_with(result.scenario, i, value, result.leader).model_copy(
        update={"replications": n}) for i in inputs for value in moved[i.key]]
    runs = iter(run_many(changed, base_dir, workers=workers, progress=progress,
                         check_memory=False))
    out = []
    for i in inputs:
        low, high = next(runs), next(runs)
        out.append(DriverOutcome(
            key=i.key, name=result.account_name(result.leader), source=i.source,
            value=i.value, low=moved[i.key][0], high=moved[i.key][1],
            sdi=(_mean(low, "sdi"), _mean(high, "sdi")),
            loss=(_mean(low, "cumulative_loss_pct"), _mean(high, "cumulative_loss_pct"))))
    return sorted(out, key=lambda d: -abs((d.sdi[1] or 0.0) - (d.sdi[0] or 0.0)))


def _moved(item: _Input, factor: float) -> float:
    value = item.value * factor
    return min(value, 1.0) if item.parameter in SHARES else value


def _mean(result: RunResult, key: str) -> float | None:
    return result.figures[key]["mean"]


def _inputs(resolved: Scenario, original: Scenario, leader: str) -> list[_Input]:
    """The strongman's followers, reach rate, posts per day and overlap, the share of his
    followers who unfollow the brand at his exit (with one), and the brand's reach rate."""
    accounts = {a.id: a for a in resolved.matrix.accounts}
    out = [_Input(p, leader, p, float(getattr(accounts[leader], p)),
                  _source(original, leader, accounts[leader].role, p))
           for p in ("followers", "reach_rate", "posts_per_day", "overlap")]
    exit_ = next((e for e in resolved.events if isinstance(e, Exit) and e.target == leader),
                 None)
    if exit_ is not None:
        given = next((e for e in original.events if isinstance(e, Exit) and e.target == leader),
                     None)
        out.append(_Input("unfollow_share", None, "unfollow_share", exit_.unfollow_share,
                          "scenario" if given and "unfollow_share" in given.model_fields_set
                          else "default"))
    brand = next((a for a in resolved.matrix.accounts if a.role == "brand"), None)
    if brand is not None:
        out.append(_Input("brand_reach_rate", brand.id, "reach_rate", float(brand.reach_rate),
                          _source(original, brand.id, "brand", "reach_rate")))
    return [i for i in out if i.value > 0]


def _source(original: Scenario, account: str, role: str, parameter: str) -> str:
    """Where an account's parameter comes from: the calibration, the file, or a default."""
    if original.calibration.samples and original.calibration.draw_parameters \
            and parameter in DRAWN:
        return "calibrated"
    spec = next((a for a in original.matrix.accounts if a.id == account), None)
    role_spec = original.matrix.roles.get(role)
    if (spec is not None and getattr(spec, parameter) is not None) or (
            role_spec is not None and getattr(role_spec, parameter) is not None):
        return "scenario"
    return "default"


def _with(resolved: Scenario, item: _Input, value: float, leader: str) -> Scenario:
    """The resolved scenario with one input set to ``value``."""
    if item.account is None:
        events = [e.model_copy(update={item.parameter: value})
                  if isinstance(e, Exit) and e.target == leader else e
                  for e in resolved.events]
        return resolved.model_copy(update={"events": events})
    accounts = [a.model_copy(update={item.parameter: value}) if a.id == item.account else a
                for a in resolved.matrix.accounts]
    return resolved.model_copy(update={"matrix": resolved.matrix.model_copy(
        update={"accounts": accounts})})

