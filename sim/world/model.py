"""The simulated world as a replication sees it: accounts, audience, social ties and the
account-influence graph, as plain arrays (built by :mod:`sim.world.build`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.kernel.csr import CSR
from sim.scenario.schema import AccountSpec

__all__ = ["World"]


@dataclass(frozen=True, eq=False)
class World:
    """Everything a replication runs on, as plain arrays.

    Attributes
    ----------
    accounts : tuple of AccountSpec
        The expanded accounts, every parameter set.
    leader : int or None
        Index of the scenario's marked leader.
    scale : float
        Real people per simulated user.
    social : CSR
        Social ties among users: row ``u`` holds the users who see ``u``'s posts and
        reshares (its followers; symmetric for mutual friendships).
    followers : CSR
        Rows are accounts, columns users: who follows whom.
    amplification : ndarray, shape (n_accounts, n_accounts)
        ``amplification[a, b]``: probability that account b passes a post of a on to its
        own followers.
    community : ndarray of int32 or None
        Each user's community, for generated audiences.
    draws : dict of str to ndarray, shape (draws, n_accounts), or None
        A calibrated scenario's parameter samples, per parameter (NaN: the account's own
        value): replication r takes row ``r % draws``.
    """

    accounts: tuple[AccountSpec, ...]
    leader: int | None
    scale: float
    social: CSR
    followers: CSR
    amplification: np.ndarray
    community: np.ndarray | None = None
    draws: dict[str, np.ndarray] | None = None

    @property
    def n_users(self) -> int:
        return self.social.n_rows

    @property
    def ids(self) -> list[str]:
        return [a.id for a in self.accounts]
