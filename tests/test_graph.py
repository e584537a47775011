"""The networkx layer: export and re-import of worlds, edge lists, follower files, real data."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from conftest import SHARED_DATA

from sim import Scenario, ScenarioError, build_world
from sim.world.graph import from_networkx, read_followers, read_social, to_networkx, write_graph

FACEBOOK = SHARED_DATA / "ego-facebook" / "facebook_combined.txt"
TINY = {"name": "tiny", "seed": 2, "matrix": {"layout": "1+1+2+2"},
        "audience": {"users": 300, "social": {"mean_degree": 6, "max_degree": 50,
                                              "community_size": 50}}}


@pytest.fixture(scope="module")
def tiny_world():
    return build_world(Scenario.model_validate(TINY))


def _imported(tmp_path: Path, graph: str, followers: str | None = None, **audience):
    files = {"graph": graph} | ({"followers": followers} if followers else {})
    scenario = Scenario.model_validate({"name": "imp", "matrix": {"layout": "1+1+1+1"},
                                        "audience": {"import": files, **audience}})
    return build_world(scenario, tmp_path)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- export and re-import ----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_exported_world_reads_back_equal(tiny_world, tmp_path, suffix):
    """world -> to_networkx -> write_graph -> read_social gives back the same ties, the same
    follower set of every account, users in their original order, and the world's scale."""
    path = tmp_path / f"world{suffix}"
    write_graph(to_networkx(tiny_world), path)
    social, sets, labels, scale = read_social(path)
    assert social.equals(tiny_world.social)
    assert labels == [f"u{i}" for i in range(tiny_world.n_users)]
    for i, a in enumerate(tiny_world.ids):
        assert np.array_equal(sets.get(a, np.empty(0, np.int64)), tiny_world.followers.row(i)), a
    assert scale == pytest.approx(tiny_world.scale)


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_scenario_importing_an_export_rebuilds_the_world(tiny_world, tmp_path, suffix):
    """A scenario whose audience.import.graph is an exported world gets the same ties,
    follower sets and scale (the export's scale, unless the scenario sets one)."""
    path = tmp_path / f"world{suffix}"
    write_graph(to_networkx(tiny_world), path)
    again = build_world(Scenario.model_validate(
        TINY | {"audience": {"import": {"graph": path.name}}}), tmp_path)
    assert again.social.equals(tiny_world.social) and again.followers.equals(tiny_world.followers)
    assert again.scale == pytest.approx(tiny_world.scale) and again.community is None
    rescaled = build_world(Scenario.model_validate(
        TINY | {"audience": {"import": {"graph": path.name}, "scale": 7.0}}), tmp_path)
    assert rescaled.scale == 7.0


def test_export_describes_users_accounts_and_edges(tiny_world):
    """The exported graph has one node per user and account and one edge per follow (a
    mutual tie is two), account follow and
    amplification, each marked with its kind."""
    world = build_world(Scenario.model_validate(TINY | {"amplification": [
        {"source": "role:leader", "target": "brand", "weight": 0.4}]}))
    G = to_networkx(world)
    kinds = nx.get_node_attributes(G, "kind")
    assert sum(k == "user" for k in kinds.values()) == world.n_users
    assert sum(k == "account" for k in kinds.values()) == len(world.accounts)
    edges = [k for _, _, k in G.edges(data="kind")]
    assert edges.count("social") == world.social.nnz
    assert edges.count("follows") == world.followers.nnz
    assert edges.count("amplifies") == 2
    assert G.edges["a:leader_1", "a:brand"]["weight"] == 0.4


def test_account_with_a_display_label_exports(tmp_path):
    """An account's display label is kept as display_label; its id stays the node's label,
    which keys the follower sets on re-import."""
    world = build_world(Scenario.model_validate(TINY | {"matrix": {
        "layout": "1+1+2+2", "accounts": [{"id": "boss", "role": "leader", "label": "Big Boss"}]}}))
    G = to_networkx(world)
    assert G.nodes["a:boss"]["label"] == "boss"
    assert G.nodes["a:boss"]["display_label"] == "Big Boss"
    write_graph(G, tmp_path / "w.gexf")
    _, sets, _, _ = read_social(tmp_path / "w.gexf")
    assert np.array_equal(sets["boss"], world.followers.row(world.ids.index("boss")))


def test_write_graph_refuses_other_suffixes(tiny_world, tmp_path):
    """Exports are GraphML or GEXF; another suffix is refused before anything is written."""
    with pytest.raises(ValueError, match=r"\.graphml or \.gexf"):
        write_graph(to_networkx(tiny_world), tmp_path / "w.json")
    assert not list(tmp_path.iterdir())


# --- plain graphs and edge lists ---------------------------------------------------------


def test_plain_networkx_graph_gives_ties_in_sorted_label_order():
    """A graph without kinds is read as ties among its nodes, users in sorted label order
    (numbers numerically), with no follower sets: a DiGraph's edges one way (u -> v: v sees
    u's posts), a Graph's both ways."""
    G = nx.DiGraph([(10, 2), (2, 10), (2, 3), (3, 3)])
    social, sets, labels = from_networkx(G)
    assert labels == [2, 3, 10] and sets is None
    assert [social.row(i).tolist() for i in range(3)] == [[1, 2], [], [0]]
    social, _, _ = from_networkx(G.to_undirected())
    assert [social.row(i).tolist() for i in range(3)] == [[1, 2], [0], [0]]


def test_follower_followee_edge_list_is_one_way(tmp_path):
    """An edge list headed follower, followee holds follows: the followee's posts reach the
    follower, not the other way."""
    social, _, labels, _ = read_social(_write(tmp_path / "f.csv",
                                              "follower,followee\n1,2\n3,2\n2,3\n"))
    assert labels == ["1", "2", "3"]
    assert [social.row(i).tolist() for i in range(3)] == [[], [0, 2], [1]]


@pytest.mark.parametrize(("name", "text"), [
    ("ties.csv", "source,target\n1,2\n2,3\n3,1\n2,1\n10,4\n"),
    ("ties.txt", "# a comment\n1 2\n2\t3\n\n3 1\n2 1\n10  4\n"),
])
def test_edge_list_import(tmp_path, name, text):
    """A CSV edge list with a header and a whitespace .txt (comments and blank lines skipped)
    give the same undirected ties: users in numeric order, repeats kept once."""
    social, sets, labels, scale = read_social(_write(tmp_path / name, text))
    assert labels == ["1", "2", "3", "4", "10"] and sets is None and scale is None
    assert [social.row(i).tolist() for i in range(5)] == [[1, 2], [0, 2], [0, 1], [4], [3]]


@pytest.mark.parametrize(("name", "text", "message"), [
    ("bad.txt", "1 2\n3\n", "row 2: expected two columns"),
    ("empty.csv", "source,target\n", "expected a graph with at least one user"),
    ("bad.graphml", "<graphml", "expected a readable graph"),
    ("ties.xlsx", "1,2\n", "expected a suffix among"),
])
def test_unreadable_graph_is_a_scenario_error(tmp_path, name, text, message):
    """A row with one column, a graph without users, a broken file or an unknown suffix is
    reported as bad input naming the file, not as a crash or an empty audience."""
    with pytest.raises(ScenarioError, match=message):
        read_social(_write(tmp_path / name, text))


def test_scenario_with_an_imported_edge_list(tmp_path):
    """A scenario importing an edge list gets its users and ties, no communities, and follower
    sets generated on those users."""
    _write(tmp_path / "ties.csv", "source,target\n" + "".join(
        f"{i},{(i + k) % 200}\n" for i in range(200) for k in (1, 2, 3)))
    world = _imported(tmp_path, "ties.csv")
    assert world.n_users == 200 and world.social.nnz == 2 * 600 and world.community is None
    assert world.followers.n_rows == 4 and world.followers.n_cols == 200


# --- followers files ---------------------------------------------------------------------


def test_followers_file_maps_users_to_graph_labels(tmp_path):
    """A followers CSV (user, account) names users by the graph's labels; the sets are taken
    as given, at scale 1 unless the scenario sets one."""
    _write(tmp_path / "ties.txt", "1 2\n2 3\n3 4\n10 1\n")
    _write(tmp_path / "fans.csv", "user,account\n10,brand\n1,brand\n3,leader_1\n10,brand\n")
    world = _imported(tmp_path, "ties.txt", "fans.csv")
    rows = {a: world.followers.row(i).tolist() for i, a in enumerate(world.ids)}
    assert rows == {"brand": [0, 4], "self_operated_1": [], "leader_1": [2], "dealer_1": []}
    assert world.scale == 1.0
    assert _imported(tmp_path, "ties.txt", "fans.csv", scale=50.0).scale == 50.0


def test_followers_file_with_unknown_users_is_a_scenario_error(tmp_path):
    """Users the imported graph does not have are reported with their row, all at once."""
    _write(tmp_path / "ties.txt", "1 2\n2 3\n")
    _write(tmp_path / "fans.csv", "user,account\n1,brand\n7,brand\n2,brand\n8,leader_1\n")
    with pytest.raises(ScenarioError) as info:
        _imported(tmp_path, "ties.txt", "fans.csv")
    assert [(i.line, i.path) for i in info.value.issues] == [(3, "row 3, column user"),
                                                             (5, "row 5, column user")]
    assert "found '7'" in info.value.issues[0].message


def test_followers_file_on_a_generated_audience_numbers_users_in_order(tmp_path):
    """Without an imported graph, users are numbered in order of first appearance, and more
    distinct users than the audience has is an error."""
    fans = _write(tmp_path / "fans.csv", "user,account\nann,brand\nbob,brand\nann,leader_1\n")
    assert {a: s.tolist() for a, s in read_followers(fans, None, 2).items()} == {
        "brand": [0, 1], "leader_1": [0]}
    with pytest.raises(ScenarioError, match="expected a user of the audience; found 'bob'"):
        read_followers(fans, None, 1)


# --- real data ---------------------------------------------------------------------------


@pytest.mark.skipif(not FACEBOOK.is_file(),
                    reason=f"real friendship graph not found at {FACEBOOK}")
def test_real_friendship_graph_imports_through_a_scenario():
    """The SNAP ego-Facebook graph imported by a scenario has 4,039 users and 88,234 ties
    (max degree 1,045), and gets generated follower sets on its users."""
    scenario = Scenario.model_validate({"name": "fb", "matrix": {"layout": "1+5+4+40"},
                                        "audience": {"import": {"graph": FACEBOOK.name}}})
    world = build_world(scenario, FACEBOOK.parent)
    assert world.n_users == 4039 and world.social.nnz // 2 == 88_234
    assert world.social.degrees().max() == 1045
    assert world.followers.n_rows == 50 and world.followers.n_cols == 4039
    assert world.community is None
