"""The world a scenario builds: follower counts and overlap, degrees, communities, seeds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim import Scenario, build_world
from sim.kernel.csr import CSR
from sim.world.model import World
from sim.world.stats import modularity, world_summary

MID = {  # 50,000 users with the default social graph (mean degree 20, communities of 1,000)
    "name": "mid",
    "seed": 11,
    "matrix": {"layout": "1+5+4+40"},
    "audience": {"users": 50_000},
}


@pytest.fixture(scope="module")
def mid_world():
    return build_world(Scenario.model_validate(MID))


def _scenario(**changes) -> Scenario:
    data = {"name": "w", "seed": 5, "matrix": {"layout": "1+2+3+4"},
            "audience": {"users": 3000, "scale": 500.0,
                         "social": {"mean_degree": 8, "max_degree": 100,
                                    "community_size": 200}}} | changes
    return Scenario.model_validate(data)


def _brand(world) -> int:
    return next(i for i, a in enumerate(world.accounts) if a.role == "brand")


# --- followers ---------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["small_world", "mid_world"])
def test_follower_counts_match_the_scaled_targets(fixture, request):
    """Every account has round(followers / scale) simulated followers, within 1 user."""
    world = request.getfixturevalue(fixture)
    for i, a in enumerate(world.accounts):
        assert abs(len(world.followers.row(i)) - round(a.followers / world.scale)) <= 1, a.id


@pytest.mark.parametrize("fixture", ["small_world", "mid_world"])
def test_followers_overlap_the_brand_as_requested(fixture, request):
    """round(overlap x simulated followers) of an account's followers, within 1 user, also
    follow the brand account."""
    world = request.getfixturevalue(fixture)
    brand_fans = world.followers.row(_brand(world))
    for i, a in enumerate(world.accounts):
        fans = world.followers.row(i)
        shared = np.intersect1d(fans, brand_fans, assume_unique=True)
        assert abs(len(shared) - round(a.overlap * len(fans))) <= 1, a.id


def test_summary_reports_followers_and_overlap(small_world):
    """The summary's real followers are simulated followers x scale, and its overlap the share
    of them who follow the brand (within 1 user of the requested overlap)."""
    s = world_summary(small_world)
    for a, row in zip(small_world.accounts, s["accounts"]):
        assert row["followers"] == pytest.approx(row["simulated_followers"] * s["scale"])
        assert abs(row["brand_overlap"] - a.overlap) * row["simulated_followers"] <= 1


def test_auto_scale_fills_the_follower_share():
    """With the scale unset, about follower_share of the users (here 0.5 +- 0.1) follow an
    account: the brand's followers plus the others' non-brand followers, less the overlaps
    among those."""
    s = world_summary(build_world(_scenario(audience={"users": 3000})))
    assert 0.4 <= s["following_share"] <= 0.5 + 1e-9


def test_an_account_keeps_its_followers_when_another_is_added():
    """Adding an account (a fifth dealer) leaves every other account's follower set unchanged:
    each account draws from a stream keyed by its id."""
    before = build_world(_scenario())
    after = build_world(_scenario(matrix={"layout": "1+2+3+5"}))
    assert len(after.accounts) == len(before.accounts) + 1
    rows = {a: i for i, a in enumerate(after.ids)}
    for i, a in enumerate(before.ids):
        assert np.array_equal(before.followers.row(i), after.followers.row(rows[a])), a
    assert before.social.equals(after.social)


# --- seeds -------------------------------------------------------------------------------


def test_same_seed_same_world():
    """The same scenario and seed give equal arrays: ties, communities and followers."""
    a, b = build_world(_scenario()), build_world(_scenario())
    assert a.social.equals(b.social) and a.followers.equals(b.followers)
    assert np.array_equal(a.community, b.community)
    assert np.array_equal(a.amplification, b.amplification) and a.scale == b.scale


def test_another_seed_another_world():
    """Another seed gives other ties, communities and follower sets."""
    a, b = build_world(_scenario()), build_world(_scenario(seed=6))
    assert not a.social.equals(b.social) and not a.followers.equals(b.followers)
    assert not np.array_equal(a.community, b.community)


# --- social graph ------------------------------------------------------------------------


def test_degrees_are_heavy_tailed(mid_world):
    """P99 / median of the degrees is at least 3 x that of a Poisson graph with the same users
    and ties (uniform random endpoints); the largest degree is at least 10 x the mean."""
    deg = mid_world.social.degrees()
    n, m = mid_world.n_users, mid_world.social.nnz // 2
    rng = np.random.default_rng(0)
    poisson = CSR.symmetric(rng.integers(0, n, m), rng.integers(0, n, m), n).degrees()
    ratio = np.percentile(deg, 99) / np.median(deg)
    assert ratio >= 3 * np.percentile(poisson, 99) / np.median(poisson)
    assert deg.max() >= 10 * deg.mean()


def test_planted_communities_are_modular(mid_world):
    """Modularity of the planted communities is above 0.6 and at least 0.5 above that of the
    same ties with the community labels shuffled (which is near 0)."""
    shuffled = np.random.default_rng(0).permutation(mid_world.community)
    q, q_shuffled = modularity(mid_world), modularity(replace(mid_world, community=shuffled))
    assert q > 0.6 and abs(q_shuffled) < 0.05 and q - q_shuffled > 0.5


@pytest.mark.parametrize(("users", "mixing"),
                         [(20_000, 0.1), (20_000, 0.3), (20_000, 0.6), (5000, 0.3), (5000, 0.6)])
def test_share_of_ties_inside_communities_is_one_minus_mixing(users, mixing):
    """The share of ties inside a community is 1 - mixing within 0.03, also with as few as
    5 communities (5,000 users), where ends sent across often land back home."""
    world = build_world(Scenario.model_validate(
        MID | {"audience": {"users": users, "social": {"mixing": mixing}}}))
    c = world.community
    inside = np.mean(c[world.social.row_ids()] == c[world.social.indices])
    assert inside == pytest.approx(1 - mixing, abs=0.03)


def test_summary_counts_ties_once(mid_world):
    """The summary counts each follow once, each mutual friendship once, and users as the
    graph's rows."""
    s = world_summary(mid_world)
    assert s["ties"] == mid_world.social.nnz and s["users"] == 50_000
    assert s["tie_kind"] == "follows"
    mutual = World(mid_world.accounts, None, 1.0,
                   CSR.symmetric(np.array([0, 1]), np.array([1, 2]), 3),
                   CSR.from_pairs(np.array([0]), np.array([1]), len(mid_world.accounts), 3),
                   mid_world.amplification)
    assert world_summary(mutual)["ties"] == 2
    assert s["communities"] == mid_world.community.max() + 1


# --- amplification -----------------------------------------------------------------------


def test_role_reference_expands_without_self_edges(small_world):
    """'founder -> role:leader' links the founder to every other leader, never to itself."""
    ids = small_world.ids
    leaders = [i for i, a in enumerate(small_world.accounts) if a.role == "leader"]
    founder = ids.index("founder")
    expected = np.zeros_like(small_world.amplification)
    expected[founder, [i for i in leaders if i != founder]] = 0.3
    assert len(leaders) == 3
    assert np.array_equal(small_world.amplification, expected)


def test_role_to_role_edges_skip_the_diagonal_and_later_edges_win():
    """'role:leader -> role:leader' links every ordered pair of distinct leaders; a later edge
    on the same pair overrides the earlier weight."""
    world = build_world(_scenario(amplification=[
        {"source": "role:leader", "target": "role:leader", "weight": 0.2},
        {"source": "leader_1", "target": "leader_2", "weight": 0.7}]))
    idx = {a: i for i, a in enumerate(world.ids)}
    L = [idx["leader_1"], idx["leader_2"], idx["leader_3"]]
    block = world.amplification[np.ix_(L, L)]
    assert np.array_equal(block, [[0, 0.7, 0.2], [0.2, 0, 0.2], [0.2, 0.2, 0]])
    assert np.count_nonzero(world.amplification) == 6
