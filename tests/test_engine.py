"""The engine's model properties: limits, conservation, symmetry, closed forms, events."""

from __future__ import annotations

import numpy as np
import pytest

from sim import Scenario, ScenarioError, build_world
from sim.engine.replication import simulate
from sim.runs.montecarlo import run
from sim.scenario.layout import resolve_scenario
from sim.scenario.schema import Ban


def _scenario(**overrides) -> Scenario:
    base = {
        "name": "t", "seed": 11, "horizon_days": 40,
        "audience": {"users": 3000, "social": {"mean_degree": 8, "max_degree": 100,
                                               "community_size": 200}},
        "matrix": {"layout": "1+1+2+2", "leader": "founder",
                   "accounts": [{"id": "founder", "role": "leader", "followers": 3_000_000,
                                 "overlap": 0.3}]},
    }
    return Scenario.model_validate(base | overrides)


def _simulate(scenario: Scenario, events=None, replication: int = 0):
    resolved = resolve_scenario(scenario)
    world = build_world(scenario)
    return simulate(world, resolved, resolved.events if events is None else events,
                    replication)


def test_attribution_sums_to_reach():
    """Shapley reach of all accounts adds up to the reach, every day (efficiency)."""
    trace = _simulate(_scenario())
    assert trace.reach.sum() > 0
    assert trace.shapley.sum() == pytest.approx(trace.reach.sum(), rel=1e-12)
    assert np.all(trace.exclusive <= trace.shapley + 1e-9)


def test_account_without_followers_has_no_attribution_and_changes_nothing():
    """A null player: no followers, no amplification, so zero attribution; and the world
    without it runs exactly the same numbers for everyone else."""
    ghost = {"id": "ghost", "role": "dealer", "followers": 0, "posts_per_day": 4}
    founder = {"id": "founder", "role": "leader", "followers": 3_000_000, "overlap": 0.3}
    audience = {"users": 3000, "scale": 300.0, "social": {"mean_degree": 8, "max_degree": 100,
                                                          "community_size": 200}}
    shop = {"id": "shop", "role": "dealer"}
    with_ghost = _scenario(audience=audience, matrix={
        "layout": "1+1+2+2", "leader": "founder", "accounts": [founder, ghost, shop]})
    without = _scenario(audience=audience, matrix={
        "layout": "1+1+2+1", "leader": "founder", "accounts": [founder, shop]})
    ghost_ids = [a.id for a in resolve_scenario(with_ghost).matrix.accounts]
    a, b = _simulate(with_ghost), _simulate(without)
    assert a.shapley[ghost_ids.index("ghost")] == 0
    assert np.array_equal(a.reach, b.reach)
    assert np.delete(a.shapley, ghost_ids.index("ghost")) == pytest.approx(b.shapley)


def test_only_the_leader_carries_the_brand_gives_sdi_one():
    """If no other account carries the brand, the world without the leader reaches no one."""
    scenario = _scenario(horizon_days=20, replications=3, matrix={
        "layout": "1+1+2+2", "leader": "founder",
        "roles": {r: {"brand_share": 0.0} for r in ("brand", "self_operated", "leader",
                                                     "dealer")},
        "accounts": [{"id": "founder", "role": "leader", "followers": 3_000_000,
                      "brand_share": 1.0}]})
    result = run(scenario, workers=1)
    assert result.figures["sdi"]["p5"] == 1.0 and result.figures["sdi"]["p95"] == 1.0
    assert result.figures["leader_shapley_share"]["mean"] == 1.0


def test_two_identical_accounts_get_equal_shares(tmp_path):
    """Two accounts with the same parameters and the same followers are symmetric players:
    their Shapley shares agree within the Monte Carlo error."""
    users = 4000
    rows = ["user,account"] + [f"{u},brand" for u in range(0, users, 2)] + \
        [f"{u},{a}" for u in range(1000, 3000) for a in ("twin_a", "twin_b")]
    (tmp_path / "followers.csv").write_text("\n".join(rows) + "\n")
    twin = {"role": "leader", "posts_per_day": 2, "reach_rate": 0.1, "followers": 200_000}
    scenario = _scenario(
        horizon_days=30, replications=20,
        audience={"users": users, "scale": 100.0, "import": {"followers": "followers.csv"},
                  "social": {"mean_degree": 8, "max_degree": 100, "community_size": 200}},
        matrix={"layout": "1+0+2+0", "leader": "twin_a",
                "roles": {"brand": {"followers": 200_000}},
                "accounts": [{"id": "twin_a", **twin}, {"id": "twin_b", **twin}]})
    result = run(scenario, tmp_path, workers=1)
    a, b = result.shapley[:, 1], result.shapley[:, 2]
    diff = a - b
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert abs(diff.mean()) < 4 * se + 1e-9
    # viral posts make one replication's shares uneven; over the replications they agree
    assert abs(diff.mean()) < 0.15 * (a.mean() + b.mean()) / 2


def test_reach_without_resharing_matches_the_closed_form():
    """With resharing off and a fixed cadence, an account's expected daily reach is
    followers x (1 - (1 - r)^k) for k posts a day."""
    k, r = 3, 0.07
    scenario = _scenario(
        horizon_days=60, audience={"users": 20000, "scale": 10.0,
                                   "social": {"mean_degree": 8, "max_degree": 100,
                                              "community_size": 200}},
        dynamics={"posting": "regular", "tie_view": 0.0, "discovery_rate": 0.0},
        matrix={"layout": "1+0+1+0", "leader": "founder",
                "roles": {"brand": {"followers": 0, "posts_per_day": 0}},
                "accounts": [{"id": "founder", "role": "leader", "followers": 100_000,
                              "posts_per_day": k, "reach_rate": r, "brand_share": 1.0,
                              "churn_rate": 0.0, "follow_rate": 0.0}]})
    followers = 100_000 / 10.0
    expected = followers * (1 - (1 - r) ** k)
    reach = np.concatenate([_simulate(scenario, [], rep).reach for rep in range(3)])
    se = np.sqrt(followers * (1 - (1 - r) ** k) * (1 - r) ** k / len(reach))
    assert abs(reach.mean() - expected) < 4 * se


def test_exit_lowers_reach_after_its_day_and_not_before():
    """Paired by common random numbers, the scenario equals its baseline day by day until
    the exit, and reaches fewer people after it."""
    scenario = _scenario(horizon_days=60, events=[
        {"kind": "exit", "target": "founder", "day": 25}])
    base, exit_ = _simulate(scenario, []), _simulate(scenario)
    assert np.array_equal(base.reach[:25], exit_.reach[:25])
    assert exit_.reach[25:].mean() < 0.8 * base.reach[25:].mean()


def test_scandal_lowers_trust_which_recovers_at_its_half_life():
    """Exposed users lose trust during the scandal; afterwards the mean loss halves every
    half-life."""
    half_life = 10.0
    scenario = _scenario(horizon_days=60, events=[
        {"kind": "scandal", "target": "founder", "day": 5, "duration_days": 5,
         "severity": 0.8, "trust_half_life_days": half_life}])
    trace = _simulate(scenario)
    loss = 1 - trace.trust
    assert np.all(loss[:5] == 0) and loss[9] > 0.01
    # after the scandal's last day no one is newly exposed: the loss decays exactly
    assert loss[40] / loss[20] == pytest.approx(0.5 ** (20 / half_life), rel=1e-6)


def test_crisis_response_softens_a_scandal():
    """The same scandal with employees responding loses less trust and less reach."""
    scandal = {"kind": "scandal", "target": "founder", "day": 5, "duration_days": 10,
               "severity": 0.9, "virality": 5}
    common = {"horizon_days": 60, "replications": 6,
              "matrix": {"layout": "1+1+2+2+30", "leader": "founder",
                         "roles": {"employee": {"followers": 200_000, "overlap": 0.9}},
                         "accounts": [{"id": "founder", "role": "leader",
                                       "followers": 3_000_000, "overlap": 0.6}]}}
    bare = run(_scenario(events=[scandal], **common), workers=1)
    helped = run(_scenario(events=[scandal, {"kind": "crisis_response", "day": 5,
                                             "trust_protection": 0.8,
                                             "duration_days": 20}], **common), workers=1)
    assert helped.trust["scenario"].mean() > bare.trust["scenario"].mean()
    assert helped.figures["cumulative_loss_pct"]["mean"] < \
        bare.figures["cumulative_loss_pct"]["mean"]


def test_ban_of_every_account_reaches_no_one():
    scenario = _scenario(horizon_days=10)
    trace = _simulate(scenario, [Ban(kind="ban", target=f"role:{r}", day=0)
                                 for r in ("brand", "self_operated", "leader", "dealer")])
    assert trace.reach.sum() == 0


@pytest.mark.parametrize("kind", ["inactive", "campaign", "succession"])
def test_posting_events_move_reach_the_expected_way(kind):
    """A silent leader reaches fewer, a campaign more; a successor adds reach once it
    wakes (it is dormant in the baseline)."""
    event = {"kind": kind, "target": "founder" if kind != "succession" else "leader_2",
             "day": 10}
    if kind == "campaign":
        event["duration_days"] = 20
    scenario = _scenario(horizon_days=40, events=[event])
    base, scen = _simulate(scenario, []), _simulate(scenario)
    assert np.array_equal(base.reach[:10], scen.reach[:10])
    after_base, after = base.reach[12:30].mean(), scen.reach[12:30].mean()
    assert after < after_base if kind == "inactive" else after > after_base


def test_events_compose():
    """Several events in one scenario run together; the exit still bites."""
    scenario = _scenario(horizon_days=50, matrix={
        "layout": "1+1+3+2", "leader": "founder",
        "accounts": [{"id": "founder", "role": "leader", "followers": 3_000_000}]}, events=[
        {"kind": "scandal", "target": "leader_2", "day": 5},
        {"kind": "crisis_response", "target": "role:dealer", "day": 6},
        {"kind": "campaign", "target": "brand", "day": 8},
        {"kind": "exit", "target": "founder", "day": 20},
        {"kind": "succession", "target": "leader_3", "day": 21, "ramp_days": 10},
        {"kind": "inactive", "target": "self_operated_1", "day": 30, "factor": 0.2}])
    base, scen = _simulate(scenario, []), _simulate(scenario)
    assert np.array_equal(base.reach[:5], scen.reach[:5])
    assert scen.reach[25:].mean() < base.reach[25:].mean()
    assert scen.trust.min() < 1.0


def test_same_seed_same_figures_any_worker_count():
    """Replications are keyed by number: 1 or 2 workers give identical figures."""
    scenario = _scenario(horizon_days=30, replications=4,
                         events=[{"kind": "exit", "target": "founder", "day": 10}])
    one, two = run(scenario, workers=1), run(scenario, workers=2)
    assert one.figures == two.figures
    for v in one.reach:
        assert np.array_equal(one.reach[v], two.reach[v])
    other = run(scenario, workers=1, seed=12)
    assert not np.array_equal(one.reach["baseline"], other.reach["baseline"])


def test_inconsistent_scenario_object_is_refused():
    """A scenario built in Python gets the same cross-section checks as a file."""
    scenario = _scenario(events=[{"kind": "exit", "target": "nobody", "day": 5}])
    with pytest.raises(ScenarioError, match=r"events\[0\]\.target"):
        run(scenario, workers=1)


def test_succession_needs_a_predecessor_without_a_marked_leader():
    scenario = _scenario(matrix={"layout": "1+1+2+2"}, events=[
        {"kind": "succession", "target": "leader_2", "day": 5}])
    with pytest.raises(ScenarioError, match=r"events\[0\]\.predecessor"):
        run(scenario, workers=1)


@pytest.mark.parametrize("layout", ["1+1+2+2", "1+2+0+2"])
def test_unmarked_leader_is_the_person_with_the_largest_attribution(layout):
    """Without a marked leader the strongman is the leader account with the largest Shapley
    reach (never the brand account, which carries more in this world); with no leader
    accounts, the largest non-brand account."""
    result = run(_scenario(horizon_days=20, replications=2, matrix={"layout": layout}),
                 workers=1)
    rows = result.attribution()
    assert rows[0]["id"] == "brand"
    people = [r for r in rows if r["role"] == "leader"] or [r for r in rows
                                                             if r["role"] != "brand"]
    assert result.leader == people[0]["id"]


def test_targeted_removal_hurts_more_than_random():
    """On a heavy-tailed matrix (one big founder, many small accounts), removing accounts
    in order of attribution loses reach faster than removing them at random."""
    result = run(_scenario(horizon_days=20, replications=3, matrix={
        "layout": "1+3+2+6", "leader": "founder",
        "accounts": [{"id": "founder", "role": "leader", "followers": 3_000_000}]}),
        workers=1)
    targeted, random = (result.robustness[k].mean(axis=0) for k in ("targeted", "random"))
    assert targeted[0] == random[0] == 1.0 and targeted[-1] == random[-1] == 0.0
    assert targeted[1] < random[1] - 0.2
    assert targeted.sum() < random.sum()


def test_coverage_lookup_gives_the_shapley_attribution():
    """The recorded coverage histogram reproduces each account's Shapley reach and the
    total reach (the coverage game's reach of the grand coalition)."""
    from sim.runs.metrics import coalition_reach

    trace = _simulate(_scenario())
    masks, counts = trace.coverage
    n = len(trace.shapley)
    bits = ((masks[:, None] >> np.arange(n, dtype=np.uint64)) & np.uint64(1)).astype(float)
    shapley = (bits / bits.sum(axis=1, keepdims=True) * counts[:, None]).sum(axis=0)
    assert shapley == pytest.approx(trace.shapley)
    assert coalition_reach(masks, counts, np.ones(n, dtype=bool)) == trace.reach.sum()


def test_auto_replications_stop_at_the_precision_target():
    """`replications: auto` adds batches of 10 until the 95% half-widths of the headline
    shares are within `precision`, and never runs more than `max_replications`."""
    scenario = _scenario(horizon_days=20, replications="auto", precision=0.04,
                         events=[{"kind": "exit", "target": "founder", "day": 8}])
    result = run(scenario, workers=1)
    assert result.replications % 10 == 0
    assert max(result.meta["precision"].values()) <= 0.04
    capped = run(scenario.model_copy(update={"precision": 1e-6, "max_replications": 20}),
                 workers=1)
    assert capped.replications == 20 and max(capped.meta["precision"].values()) > 1e-6



def test_variants_sharing_the_baseline_prefix_equal_separate_runs():
    """Simulating the baseline once and forking each variant at its first event day gives
    exactly the traces of simulating every variant from day 0."""
    from sim.engine.replication import simulate_variants

    scenario = _scenario(horizon_days=50, events=[
        {"kind": "scandal", "target": "leader_2", "day": 12},
        {"kind": "crisis_response", "target": "role:dealer", "day": 13},
        {"kind": "exit", "target": "founder", "day": 20}])
    resolved = resolve_scenario(scenario)
    world = build_world(scenario)
    variants = {"baseline": [], "scenario": resolved.events,
                "no_leader": [Ban(kind="ban", target="founder", day=0)],
                "late": [Ban(kind="ban", target="brand", day=30)]}
    shared = simulate_variants(world, resolved, variants, 3)
    for name, events in variants.items():
        alone = simulate(world, resolved, events, 3)
        for field in ("reach", "trust", "followers", "shapley", "exclusive",
                      "account_followers"):
            assert np.array_equal(getattr(shared[name], field), getattr(alone, field)), \
                (name, field)
        assert all(np.array_equal(a, b) for a, b in zip(shared[name].coverage,
                                                        alone.coverage)), name
