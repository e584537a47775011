"""Building the world a scenario describes: ``build_world`` turns a validated scenario into
compact arrays (:class:`sim.world.model.World`), compiled once: the engine's daily loop runs
on these and never on networkx objects.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from sim.errors import Issue, ScenarioError
from sim.kernel.csr import CSR
from sim.scenario.layout import auto_scale, resolve_scenario, select
from sim.scenario.observed import read_parameter_samples
from sim.scenario.schema import DRAWN, AccountSpec, Scenario, Social, resolve_path
from sim.world.audience import follow_graph, follower_sets, social_ties
from sim.world.graph import read_followers, read_social
from sim.world.model import World

__all__ = ["account_stream", "build_world", "parameter_draws"]

_WORLD_STREAM = 0  # spawn-key prefix of the world's random streams
_SOCIAL, _FOLLOWERS = 0, 1
SOCIAL_CACHE = 2  # generated social graphs kept for reuse (one per seed and audience)



def account_stream(seed: int, account_id: str, purpose: int) -> np.random.Generator:
    """A random stream keyed by the account's id, so that adding or removing an account
    never shifts another account's draws."""
    key = (_WORLD_STREAM, purpose, zlib.crc32(account_id.encode()))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def build_world(scenario: Scenario, base_dir: str | Path = ".") -> World:
    """Build the world a scenario describes, reproducibly from its seed.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (see :func:`sim.scenario.load.load_scenario`).
    base_dir : path
        Folder that relative import paths are taken from (the scenario file's folder).

    Examples
    --------
    >>> from sim.scenario.schema import Scenario
    >>> w = build_world(Scenario(name="x", matrix={"layout": "1+1+1+2"},
    ...                          audience={"users": 2000}))
    >>> w.followers.n_rows, w.n_users
    (5, 2000)
    """
    resolved = resolve_scenario(scenario)
    accounts = resolved.matrix.accounts
    social, community, imported = _audience(scenario, Path(base_dir), [a.id for a in accounts])
    if imported is None:
        scale = scenario.audience.scale or auto_scale(accounts, social.n_rows,
                                                      scenario.audience.follower_share)
        followers = _generate_followers(accounts, scale, social.n_rows, scenario.seed)
    else:
        sets, imported_scale, source = imported
        scale = scenario.audience.scale or imported_scale or 1.0
        followers = _followers_from_import(sets, accounts, social.n_rows, source)
        accounts = [a.model_copy(update={"followers": float(n * scale)})
                    for a, n in zip(accounts, followers.degrees())]
    leader = next((i for i, a in enumerate(accounts) if a.id == scenario.matrix.leader), None)
    return World(tuple(accounts), leader, float(scale), social, followers,
                 _amplification(resolved), community,
                 parameter_draws(scenario, Path(base_dir), [a.id for a in accounts]))


def parameter_draws(scenario: Scenario, base_dir: Path, ids: list[str]
                    ) -> dict[str, np.ndarray] | None:
    """The calibration's parameter samples the replications draw from, if they do (per
    parameter, draws x accounts ``ids``); a missing or bad file is a ScenarioError."""
    spec = scenario.calibration
    if not (spec.samples and spec.draw_parameters):
        return None
    return read_parameter_samples(resolve_path(spec.samples, base_dir), ids, DRAWN)


def _audience(scenario: Scenario, base_dir: Path, ids: list[str]
              ) -> tuple[CSR, np.ndarray | None,
                         tuple[dict[str, np.ndarray], float | None, str] | None]:
    """Social ties, communities, and imported follower sets (with their scale and file)."""
    imports = scenario.audience.import_
    if imports and imports.graph:
        path = resolve_path(imports.graph, base_dir)
        social, sets, labels, graph_scale = read_social(path)
        community = None
        imported = None if sets is None else (sets, graph_scale, str(path))
    else:
        (social, community), labels, imported = _generate_social(scenario), None, None
    if imports and imports.followers:
        path = resolve_path(imports.followers, base_dir)
        # a followers file counts its own users, not an export's: no scale from it
        imported = (read_followers(path, labels, social.n_rows, ids), None, str(path))
    return social, community, imported


def _generate_social(scenario: Scenario) -> tuple[CSR, np.ndarray]:
    audience = scenario.audience
    return _social_graph(scenario.seed, audience.users, audience.social, audience.ties)


@lru_cache(maxsize=SOCIAL_CACHE)
def _social_graph(seed: int, users: int, spec: Social, ties: str) -> tuple[CSR, np.ndarray]:
    """The generated social graph (a follow graph or a friendship graph), which depends on
    the seed and the audience only, kept for the worlds built after it (layouts compared or
    searched on one audience); worlds share it read-only."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_WORLD_STREAM, _SOCIAL)))
    mean, exponent = spec.setting("mean_degree", ties), spec.setting("degree_exponent", ties)
    if ties == "follows":
        return follow_graph(users, mean, exponent, spec.followee_exponent, spec.max_degree,
                            spec.community_size, spec.mixing, spec.setting("reciprocity", ties),
                            rng)
    return social_ties(users, mean, exponent, spec.max_degree, spec.community_size,
                       spec.mixing, rng)


def _generate_followers(accounts: list[AccountSpec], scale: float, n_users: int,
                        seed: int) -> CSR:
    targets = np.minimum(np.rint([a.followers / scale for a in accounts]), n_users)
    overlaps = np.array([a.overlap for a in accounts])
    brand = next(i for i, a in enumerate(accounts) if a.role == "brand")
    streams = [account_stream(seed, a.id, _FOLLOWERS) for a in accounts]
    return follower_sets(n_users, targets.astype(np.int64), overlaps, brand, streams)


def _followers_from_import(sets: dict[str, np.ndarray], accounts: list[AccountSpec],
                           n_users: int, source: str) -> CSR:
    unknown = sorted(set(sets) - {a.id for a in accounts})
    if unknown:
        raise ScenarioError([Issue(source, "account", "expected accounts of the matrix ("
                                   f"{', '.join(a.id for a in accounts)}); found "
                                   f"{', '.join(map(repr, unknown))}")])
    rows = [np.full(len(sets.get(a.id, ())), i) for i, a in enumerate(accounts)]
    cols = [np.asarray(sets.get(a.id, ()), dtype=np.int64) for a in accounts]
    return CSR.from_pairs(np.concatenate(rows), np.concatenate(cols), len(accounts), n_users)


def _amplification(resolved: Scenario) -> np.ndarray:
    """Dense account-to-account weights (at most ``MAX_ACCOUNTS`` squared); a later edge
    overrides an earlier one, and no account amplifies itself."""
    accounts = resolved.matrix.accounts
    weights = np.zeros((len(accounts), len(accounts)))
    for edge in resolved.amplification:
        weights[np.ix_(select(edge.source, accounts), select(edge.target, accounts))] = \
            edge.weight
    np.fill_diagonal(weights, 0.0)
    return weights
