"""Expand a matrix (a 1+X+K+N layout, role defaults, named accounts) into full accounts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sim.scenario.schema import (
    ACCOUNT_PARAMS,
    ROLE_DEFAULTS,
    ROLES,
    AccountSpec,
    Matrix,
    Scenario,
    parse_layout,
)

__all__ = [
    "Slot",
    "auto_scale",
    "expand_accounts",
    "expand_slots",
    "resolve_scenario",
    "role_defaults",
    "select",
]


@dataclass(frozen=True)
class Slot:
    """An account of the expanded matrix and where it came from."""

    account: AccountSpec
    named_index: int | None  # index in matrix.accounts, None for a generated account


def role_defaults(matrix: Matrix) -> dict[str, dict[str, float]]:
    """Built-in role defaults with the matrix's ``roles`` overrides applied."""
    out = {role: dict(values) for role, values in ROLE_DEFAULTS.items()}
    for role, params in matrix.roles.items():
        out[role].update(params.model_dump(exclude_none=True))
    return out


def expand_slots(matrix: Matrix) -> list[Slot]:
    """Every account of the matrix, in role order, with every parameter set.

    Named accounts take the first slots of their role; the remaining slots of a layout get
    generated ids ``<role>_<slot>`` (the single brand slot is ``brand``). Named accounts beyond
    the layout's slots are kept (the consistency checks report them).
    """
    defaults = role_defaults(matrix)
    counts = parse_layout(matrix.layout) if matrix.layout else dict.fromkeys(ROLES, 0)
    named = Counter(a.role for a in matrix.accounts)
    slots: list[Slot] = []
    for role in ROLES:
        for i, acc in enumerate(matrix.accounts):
            if acc.role == role:
                slots.append(Slot(_fill(acc, defaults[role]), i))
        for k in range(named[role] + 1, counts[role] + 1):
            acc_id = "brand" if role == "brand" and counts[role] == 1 else f"{role}_{k}"
            slots.append(Slot(_fill(AccountSpec(id=acc_id, role=role), defaults[role]), None))
    return slots


def expand_accounts(matrix: Matrix) -> list[AccountSpec]:
    """The matrix's accounts with every parameter set (see :func:`expand_slots`)."""
    return [s.account for s in expand_slots(matrix)]


def _fill(account: AccountSpec, defaults: dict[str, float]) -> AccountSpec:
    unset = {p: defaults[p] for p in ACCOUNT_PARAMS if getattr(account, p) is None}
    return account.model_copy(update=unset)


def resolve_scenario(scenario: Scenario) -> Scenario:
    """The scenario with the layout expanded into accounts and every default filled in.

    The result is itself a valid scenario that describes the same world. The audience's
    scale stays unset when a social graph is imported, since it depends on the graph's size.
    """
    accounts = expand_accounts(scenario.matrix)
    audience = scenario.audience
    if audience.scale is None and not (audience.import_ and audience.import_.graph):
        scale = auto_scale(accounts, audience.users, audience.follower_share)
        audience = audience.model_copy(update={"scale": scale})
    matrix = Matrix(leader=scenario.matrix.leader, accounts=accounts)
    return scenario.model_copy(update={"matrix": matrix, "audience": audience})


def auto_scale(accounts: list[AccountSpec], users: int, follower_share: float) -> float:
    """Real people per simulated user so that the followers fill ``follower_share`` of users.

    The real audience is estimated as the brand's followers plus, for every other account,
    its followers who do not follow the brand (an upper bound on the union). Never below 1.
    """
    real = sum(a.followers * (1.0 if a.role == "brand" else 1.0 - a.overlap) for a in accounts)
    return max(1.0, float(real) / (follower_share * users))


def select(ref: str, accounts: list[AccountSpec]) -> list[int]:
    """Indices of the accounts a reference names: an id, or ``role:<role>``."""
    if ref.startswith("role:"):
        return [i for i, a in enumerate(accounts) if a.role == ref[5:]]
    return [i for i, a in enumerate(accounts) if a.id == ref]
