"""A run's result: per-replication traces, the figures computed from them, and saving.

The engine produces arrays; this module holds them with the figures of :mod:`sim.runs.metrics`
and writes them out (tables, JSON, charts, report) atomically.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.i18n import N_, _
from sim.runs.figures import RUN_FIGURES
from sim.runs.metrics import summarize
from sim.scenario.schema import ROLES, Scenario

__all__ = ["VARIANTS", "DriverOutcome", "LeverOutcome", "RunResult", "summary"]

VARIANTS: tuple[str, ...] = ("baseline", "scenario", "no_leader")
MEMBER_NAMES: dict[str, str] = {  # a layout's numbered accounts, as a reader calls them
    "brand": N_("Brand account {k}"), "self_operated": N_("Self-operated account {k}"),
    "leader": N_("Executive {k}"), "employee": N_("Employee {k}"), "dealer": N_("Dealer {k}")}


@dataclass(frozen=True)
class LeverOutcome:
    """A mitigation lever (its key and the values its text names, as
    :data:`sim.analysis.mitigate.TEXTS`) against doing nothing, over the same
    replications: its SDI and
    loss after the first event (%), their paired changes, the change of daily reach after
    the first event (%), each ``{"mean", "p5", "p50", "p95"}``, and its extra monthly cost
    (currency units per month)."""

    key: str
    params: dict[str, Any]
    replications: int
    sdi: dict[str, float | None]
    loss: dict[str, float | None]
    sdi_change: dict[str, float | None]
    loss_change: dict[str, float | None]
    reach_after: dict[str, float | None]
    extra_cost: float


@dataclass(frozen=True)
class DriverOutcome:
    """One input of the headline moved one at a time (:mod:`sim.analysis.drivers`): its
    key and the account it is about, where its value comes from (``calibrated``,
    ``scenario`` or ``default``), its value and the two values run, and the mean SDI (share)
    and loss (%) at each of those."""

    key: str
    name: str
    source: str
    value: float
    low: float
    high: float
    sdi: tuple[float | None, float | None]
    loss: tuple[float | None, float | None]


@dataclass(frozen=True, eq=False)
class RunResult:
    """Everything a run found.

    Attributes
    ----------
    scenario : Scenario
        The resolved scenario as run (layout expanded, defaults filled, imported follower
        counts as the accounts' followers).
    scale : float
        Real people per simulated user.
    n_users : int
        Simulated users.
    leader : str
        Id of the account taken as the strongman.
    reach : dict of str to ndarray, shape (replications, horizon_days)
        Daily brand reach in real people, per variant (see ``VARIANTS``).
    impressions : dict of str to ndarray, shape (replications, horizon_days)
        Daily views of brand posts in real people, counting a person once per account and
        day, per variant.
    trust : dict of str to ndarray, shape (replications, horizon_days)
        Mean trust in the brand over all users (1 = untouched), per variant.
    followers : dict of str to ndarray, shape (replications, horizon_days, len(ROLES))
        Followers of the role's accounts in real people (a person following two accounts of
        a role counts twice), per variant; roles in ``ROLES`` order.
    shapley : ndarray, shape (replications, n_accounts)
        Mean daily Shapley reach of each account in the baseline, real people.
    exclusive : ndarray, shape (replications, n_accounts)
        Mean daily reach of each account that no other account reached, real people.
    account_followers : dict of str to ndarray, shape (replications, n_accounts)
        Each account's followers on the last day, real people, per variant.
    amplification : ndarray, shape (n_accounts, n_accounts)
        ``amplification[a, b]``: probability that b passes a post of a on to its followers.
    robustness : dict of str to ndarray, shape (replications, n_accounts + 1)
        Share of baseline reach left after removing k accounts (coverage game), removing
        them in order of attribution (``targeted``) or at random (``random``, mean over
        random orders); empty beyond 64 accounts.
    figures : dict
        Headline figures, each ``{"mean", "p5", "p50", "p95"}`` (see :mod:`sim.runs.metrics`).
    meta : dict
        Run facts for the manifest: seed, command line, wall time, package versions.
    levers : list of LeverOutcome
        Mitigation levers run on the same world (:mod:`sim.analysis.mitigate`); empty
        unless asked for.
    drivers : list of DriverOutcome
        The inputs that move the headline, one at a time (:mod:`sim.analysis.drivers`);
        empty unless asked for.
    """

    scenario: Scenario
    scale: float
    n_users: int
    leader: str
    reach: dict[str, np.ndarray]
    impressions: dict[str, np.ndarray]
    trust: dict[str, np.ndarray]
    followers: dict[str, np.ndarray]
    shapley: np.ndarray
    exclusive: np.ndarray
    account_followers: dict[str, np.ndarray]
    amplification: np.ndarray
    robustness: dict[str, np.ndarray] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    levers: tuple[LeverOutcome, ...] = ()
    drivers: tuple[DriverOutcome, ...] = ()

    def account_name(self, account_id: str) -> str:
        """How an account is called for a reader, in the current language: its label, else
        a name from its role for a layout's numbered account (``leader_2``: "Executive 2"),
        else its id."""
        acc = next((a for a in self.accounts if a.id == account_id), None)
        if acc is None:
            return account_id
        if acc.label:
            return acc.label
        role, _sep, number = acc.id.rpartition("_")
        if role == acc.role and number.isdigit() and role in MEMBER_NAMES:
            return _(MEMBER_NAMES[role]).format(k=number)
        return acc.id

    @property
    def accounts(self) -> list:
        return self.scenario.matrix.accounts

    @property
    def replications(self) -> int:
        return self.reach["baseline"].shape[0]

    @property
    def days(self) -> np.ndarray:
        return np.arange(self.scenario.horizon_days)

    @property
    def roles(self) -> tuple[str, ...]:
        return ROLES

    def attribution(self) -> list[dict[str, Any]]:
        """Per account, largest first: Shapley reach (real people per day), its share of
        total reach, and exclusive reach, each the mean over replications with P5 and P95."""
        total = self.shapley.sum(axis=1, keepdims=True)
        share = np.divide(self.shapley, total, out=np.zeros_like(self.shapley), where=total > 0)
        rows = []
        for i, a in enumerate(self.accounts):
            s, sh = summarize(self.shapley[:, i]), summarize(share[:, i])
            ex = summarize(self.exclusive[:, i])
            rows.append({"id": a.id, "role": a.role, "label": a.label or a.id,
                         "shapley_reach": s["mean"], "shapley_p5": s["p5"],
                         "shapley_p95": s["p95"], "share": sh["mean"], "share_p5": sh["p5"],
                         "share_p95": sh["p95"], "exclusive_reach": ex["mean"],
                         "followers_start": a.followers,
                         "followers_end": float(self.account_followers["baseline"][:, i].mean())})
        return sorted(rows, key=lambda r: -r["shapley_reach"])

    def simulated_followers(self) -> dict[str, int]:
        """Each account's simulated followers on day 0: its followers over the scale, at
        most every simulated user (an account larger than the audience is capped)."""
        return {a.id: int(min(round(a.followers / self.scale), self.n_users))
                for a in self.scenario.matrix.accounts}

    def role_attribution(self) -> list[dict[str, Any]]:
        """Per role with accounts: summed Shapley reach, share and exclusive reach."""
        roles = np.array([a.role for a in self.accounts])
        total = self.shapley.sum(axis=1)
        rows = []
        for role in ROLES:
            mask = roles == role
            if not mask.any():
                continue
            s = self.shapley[:, mask].sum(axis=1)
            share = np.divide(s, total, out=np.zeros_like(s), where=total > 0)
            rows.append({"role": role, "accounts": int(mask.sum()),
                         "shapley_reach": float(s.mean()), "share": summarize(share),
                         "exclusive_reach": float(self.exclusive[:, mask].sum(axis=1).mean())})
        return rows


def summary(result: RunResult) -> dict[str, Any]:
    """The machine-readable summary: figures with their spread, and attribution."""
    s = result.scenario
    f = result.figures
    return {
        "scenario": s.name, "seed": s.seed, "replications": result.replications,
        "horizon_days": s.horizon_days, "scale": result.scale, "users": result.n_users,
        "leader": result.leader,
        "metrics": {k: f[k] for k in RUN_FIGURES},
        "half_width_95": {k: v if math.isfinite(v) else None  # None: one replication
                          for k, v in (result.meta.get("precision") or {}).items()},
        "threshold": f["threshold"], "p_below": f["p_below"],
        "recovered_share": f["recovered_share"], "first_event_day": f["first_event_day"],
        "mean_daily_reach": {v: summarize(result.reach[v].mean(axis=1)) for v in VARIANTS},
        "attribution": [{k: row[k] for k in ("id", "role", "shapley_reach", "share",
                                             "exclusive_reach")}
                        for row in result.attribution()],
        "robustness": {k: [round(float(x), 6) for x in v.mean(axis=0)]
                       for k, v in result.robustness.items()},
        "roles": [{k: row[k] for k in ("role", "accounts", "shapley_reach", "share",
                                       "exclusive_reach")}
                  for row in result.role_attribution()],
        **({"fixed_parameters": result.meta["fixed_parameters"]}
           if "fixed_parameters" in result.meta else {}),
        **({"levers": [dataclasses.asdict(lever) for lever in result.levers]}
           if result.levers else {}),
        **({"drivers": [dataclasses.asdict(d) for d in result.drivers]}
           if result.drivers else {}),
    }
