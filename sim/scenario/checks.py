"""Consistency checks across a scenario's sections, after each section is valid on its own.

Pydantic checks each value; these check what relates values to each other: the matrix has
at most :data:`~sim.config.MAX_ACCOUNTS` accounts (counted before the layout is expanded),
account ids are unique, references name accounts that exist, events mean something, days
fall within the horizon, the matrix fits its layout and the audience, and imported files
exist.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sim.errors import Issue, Loc, ScenarioError, format_path, listing
from sim.inputs import MAX_IMPORT_BYTES, input_problem
from sim.scenario.layout import Slot, auto_scale, expand_slots, select
from sim.scenario.schema import (
    MAX_ACCOUNTS,
    MAX_PEOPLE,
    ROLES,
    Amplification,
    Audience,
    Event,
    Matrix,
    Scenario,
    parse_layout,
    resolve_path,
)

__all__ = ["Problem", "check_consistency", "check_scenario"]

MAX_USERS = 2**31 - 1
"""Most simulated users: the compiled graphs number users with 32-bit integers."""
Problem = tuple[Loc, str]


def check_consistency(
    matrix: Matrix | None,
    audience: Audience | None,
    horizon_days: int | None,
    amplification: list[tuple[int, Amplification]],
    events: list[tuple[int, Event]],
    base_dir: Path,
) -> list[Problem]:
    """Every cross-section problem, as (key path, message) pairs.

    Sections that failed their own validation are passed as None (or left out of the lists)
    and their checks are skipped, so that one file's problems are all reported at once.
    """
    problems: list[Problem] = []
    if horizon_days is not None:
        problems += _days(events, horizon_days)
    if audience is not None:
        problems += _imports(audience, base_dir) + _audience(audience)
    if matrix is None:
        return problems
    size = _size(matrix)
    if size:
        return problems + size
    slots = expand_slots(matrix)
    problems += _matrix(matrix, slots)
    accounts = [s.account for s in slots]
    ids = sorted({a.id for a in accounts})
    for i, edge in amplification:
        problems += _ref(("amplification", i, "source"), edge.source, accounts, ids)
        problems += _ref(("amplification", i, "target"), edge.target, accounts, ids)
    for i, event in events:
        found = _ref(("events", i, "target"), event.target, accounts, ids)
        problems += found or _meaningless(i, event, matrix, accounts)
        if event.kind == "succession":
            if event.predecessor is not None:
                problems += _ref(("events", i, "predecessor"), event.predecessor, accounts,
                                 ids)
            elif matrix.leader is None:
                problems.append((("events", i, "predecessor"),
                                 "expected the account whose fans the successor takes over "
                                 "(needed when matrix.leader is not set); found none"))
    if audience is not None and not problems:
        problems += _capacity(accounts, audience)
    return problems


def check_scenario(scenario: Scenario, base_dir: Path, source: str = "scenario") -> None:
    """Raise :class:`ScenarioError` with every cross-section problem of a scenario object
    (one built in Python rather than loaded from a file)."""
    problems = check_consistency(scenario.matrix, scenario.audience, scenario.horizon_days,
                                 list(enumerate(scenario.amplification)),
                                 list(enumerate(scenario.events)), base_dir)
    if problems:
        raise ScenarioError([Issue(source, format_path(loc), msg) for loc, msg in problems])


def _size(matrix: Matrix) -> list[Problem]:
    """More accounts than :data:`MAX_ACCOUNTS`, counted before the layout is expanded."""
    counts = parse_layout(matrix.layout) if matrix.layout else dict.fromkeys(ROLES, 0)
    named = Counter(a.role for a in matrix.accounts)
    total = sum(max(counts[r], named[r]) for r in ROLES)
    if total <= MAX_ACCOUNTS:
        return []
    return [(("matrix", "accounts"), f"expected at most {MAX_ACCOUNTS:,} accounts (the layout "
             f"and the named accounts together); found {total:,}")]


def _meaningless(i: int, event: Event, matrix: Matrix, accounts: list) -> list[Problem]:
    """Events that name existing accounts but cannot mean anything: an exit of the brand
    account, a succession whose predecessor is among its successors."""
    targets = [accounts[j] for j in select(event.target, accounts)]
    if event.kind == "exit" and any(a.role == "brand" for a in targets):
        return [(("events", i, "target"), "expected an account other than the brand account "
                 "(an exit stops an account carrying the brand, which the brand account is; "
                 f"a ban removes it); found {event.target!r}")]
    predecessor = getattr(event, "predecessor", None)
    if event.kind == "succession" and (predecessor or matrix.leader) in {a.id for a in targets}:
        if predecessor:
            return [(("events", i, "predecessor"), "expected an account other than the "
                     f"successor (the target); found {predecessor!r}, which the target "
                     f"{event.target!r} names too")]
        return [(("events", i, "target"), "expected successors other than the predecessor "
                 f"(matrix.leader, {matrix.leader!r}); found {event.target!r}, which names "
                 "it")]
    return []


def _matrix(matrix: Matrix, slots: list[Slot]) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, int | None] = {}
    for slot in slots:
        acc = slot.account
        if acc.id in first:
            other = first[acc.id]
            where = f"matrix.accounts[{other}]" if other is not None else "the layout"
            loc = ("matrix", "accounts", slot.named_index, "id") if slot.named_index is not None \
                else ("matrix", "layout")
            problems.append((loc, f"expected a unique account id; found {acc.id!r} again "
                                  f"(first from {where})"))
        else:
            first[acc.id] = slot.named_index
    if matrix.layout:
        counts = parse_layout(matrix.layout)
        seen: Counter[str] = Counter()
        for i, acc in enumerate(matrix.accounts):
            seen[acc.role] += 1
            if seen[acc.role] > counts[acc.role]:
                problems.append((("matrix", "accounts", i, "role"),
                                 f"expected at most {counts[acc.role]} {acc.role} account(s), "
                                 f"the layout {matrix.layout!r} has that many slots; found "
                                 f"named {acc.role} account number {seen[acc.role]}"))
    n_brand = sum(s.account.role == "brand" for s in slots)
    if n_brand != 1:
        problems.append((("matrix",), "expected exactly 1 account with role 'brand' (from the "
                                      f"layout or named); found {n_brand}"))
    if matrix.leader is not None and matrix.leader not in first:
        problems.append((("matrix", "leader"), f"expected one of the account ids "
                         f"{listing(sorted(first))}; found {matrix.leader!r}"))
    return problems


def _ref(loc: Loc, ref: str, accounts: list, ids: list[str]) -> list[Problem]:
    if select(ref, accounts):
        return []
    if ref.startswith("role:"):
        return [(loc, f"expected a role that has accounts in the matrix; found {ref!r}, "
                      "which has none")]
    return [(loc, f"expected an account id (one of {listing(ids)}) or 'role:<role>'; "
                  f"found {ref!r}")]


def _days(events: list[tuple[int, Event]], horizon_days: int) -> list[Problem]:
    return [(("events", i, "day"), f"expected a day from 0 to {horizon_days - 1} "
                                   f"(horizon_days is {horizon_days}); found {event.day}")
            for i, event in events if event.day >= horizon_days]


def _imports(audience: Audience, base_dir: Path) -> list[Problem]:
    problems: list[Problem] = []
    for key in ("graph", "followers"):
        value = getattr(audience.import_, key, None) if audience.import_ else None
        if value is None:
            continue
        problem = input_problem(resolve_path(value, base_dir), key, MAX_IMPORT_BYTES, value)
        if problem:
            problems.append((("audience", "import", key), problem))
    return problems


def _audience(audience: Audience) -> list[Problem]:
    """Generator settings that each validate but cannot work together or at all."""
    problems: list[Problem] = []
    if audience.users > MAX_USERS:
        problems.append((("audience", "users"), f"expected at most {MAX_USERS:,} simulated "
                         f"users (user numbers are 32-bit); found {audience.users:,}"))
    imported = bool(audience.import_ and audience.import_.graph)
    if imported and "users" in audience.model_fields_set:
        problems.append((("audience", "users"), "expected no audience.users with "
                         "audience.import.graph (the imported graph's users are the "
                         f"audience); found {audience.users:,}"))
    if not imported and audience.scale and audience.users * audience.scale > MAX_PEOPLE:
        problems.append((("audience", "scale"), f"expected at most {MAX_PEOPLE:,} real people "
                         f"(audience.users x audience.scale); found "
                         f"{_count(audience.users * audience.scale)} ({audience.users:,} x "
                         f"{audience.scale:g})"))
    social = audience.social
    mean_degree = social.setting("mean_degree", audience.ties)
    if not imported and mean_degree >= social.max_degree:
        problems.append((("audience", "social", "mean_degree"), "expected less than "
                         f"audience.social.max_degree ({social.max_degree:,}); found "
                         f"{mean_degree:g}"))
    return problems


def _capacity(accounts: list, audience: Audience) -> list[Problem]:
    if audience.import_ and audience.import_.graph:
        return []  # the audience's size comes from the imported graph
    scale = audience.scale or auto_scale(accounts, audience.users, audience.follower_share)
    need = max(a.followers for a in accounts) / scale
    if need <= audience.users:
        return []
    return [(("audience", "scale"), f"expected a scale of at least "
             f"{max(a.followers for a in accounts) / audience.users:g} real people per "
             f"simulated user (the largest account needs {_count(need)} simulated followers, "
             f"audience.users is {audience.users:,}); found {scale:g}")]


def _count(x: float) -> str:
    """A count with thousands separators, or in exponent form when astronomically large."""
    return f"{x:,.0f}" if x < 1e15 else f"{x:.3g}"
