"""A run's result: per-replication traces, the figures computed from them, and saving.

The engine produces arrays; this module holds them with the figures of :mod:`sim.metrics`
and writes them out (tables, JSON, charts, report) atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import ROLES, Scenario

__all__ = ["VARIANTS", "RunResult", "spread"]

VARIANTS: tuple[str, ...] = ("baseline", "scenario", "no_leader")


def spread(values: Any) -> dict[str, float | None]:
    """Mean, P5, P50 and P95 of replications' values (infinite values mean 'never':
    a statistic they reach is reported as None)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return {"mean": None, "p5": None, "p50": None, "p95": None}
    with np.errstate(invalid="ignore"):
        p5, p50, p95 = np.percentile(x, [5, 50, 95])
    out = {"mean": float(np.mean(x)), "p5": float(p5), "p50": float(p50), "p95": float(p95)}
    return {k: (v if np.isfinite(v) else None) for k, v in out.items()}


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
        Headline figures, each ``{"mean", "p5", "p50", "p95"}`` (see :mod:`sim.metrics`).
    meta : dict
        Run facts for the manifest: seed, command line, wall time, package versions.
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

    def plot(self, name: str):
        """One chart as a matplotlib Figure: ``reach``, ``attribution``, ``dependency``,
        ``influence``, or ``trust`` (with a scandal)."""
        from .plots import charts

        available = charts(self)
        if name not in available:
            raise ValueError(f"expected one of {', '.join(available)}; found {name!r}")
        return available[name](self)

    def save(self, out_dir: str | Path | None = None) -> Path:
        """Write tables, JSON, charts and the report into ``out_dir`` (default
        ``outputs/<scenario name>``), atomically; returns the folder."""
        from .outputs import save

        return save(self, out_dir)

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
            s, sh = spread(self.shapley[:, i]), spread(share[:, i])
            ex = spread(self.exclusive[:, i])
            rows.append({"id": a.id, "role": a.role, "label": a.label or a.id,
                         "shapley_reach": s["mean"], "shapley_p5": s["p5"],
                         "shapley_p95": s["p95"], "share": sh["mean"], "share_p5": sh["p5"],
                         "share_p95": sh["p95"], "exclusive_reach": ex["mean"],
                         "followers_start": a.followers,
                         "followers_end": float(self.account_followers["baseline"][:, i].mean())})
        return sorted(rows, key=lambda r: -r["shapley_reach"])

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
                         "shapley_reach": float(s.mean()), "share": spread(share),
                         "exclusive_reach": float(self.exclusive[:, mask].sum(axis=1).mean())})
        return rows
