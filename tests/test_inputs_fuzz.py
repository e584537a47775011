"""Random and mutated inputs for the scenario loader and every import reader: each gives a
result or a ScenarioError naming the file, never a traceback or a hang.

The tests are bounded whether or not ``CI`` is set: a fixed number of examples, a deadline per
example, and an address-space cap, so that an input the schema's limits miss fails its test
(``MemoryError``) instead of exhausting the machine.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import Scenario, ScenarioError, load_scenario
from sim.world.graph import read_followers, read_social

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 150))
FUZZ = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=10),
                suppress_health_check=[HealthCheck.function_scoped_fixture])
HEADROOM = 2**30  # address space a fuzz test may add to what the process has mapped


@pytest.fixture(autouse=True)
def bounded_memory():
    """Cap this process's address space at what it has mapped plus ``HEADROOM`` while a
    fuzz test runs, and restore the limit afterwards (Linux; elsewhere uncapped)."""
    try:
        import resource

        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (ImportError, OSError):
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = pages * os.sysconf("SC_PAGE_SIZE") + HEADROOM
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

SCENARIO = """\
name: fuzz
horizon_days: 60
audience: &aud
  users: 2000
  social: {mean_degree: 8, max_degree: 100}
matrix:
  layout: 1+1+2+1
  leader: leader_1
  roles:
    leader: &lead {followers: 300000, posts_per_day: 2}
    dealer: *lead
amplification:
  - {source: leader_1, target: brand, weight: 0.3}
events:
  - {kind: exit, target: leader_1, day: 30}
"""
TOKENS = [*":-[]{}#&*!|>'\"%@`,?", " ", "\t", "\n", "&a ", "*a", "*lead", "&lead ", "!!str ",
          "!!python/name:os.system ", ".nan", ".inf", "1e999", "9" * 30, "\x00", "\ufeff",
          "\udcff", "<<: *lead\n", "\\u0000"]


def _expect_clean(path: Path, call) -> object | None:
    try:
        return call()
    except ScenarioError as exc:
        assert exc.issues
        assert all(issue.file and "expected" in issue.message for issue in exc.issues)
        assert any(issue.file == str(path) for issue in exc.issues)
        return None


@st.composite
def mutated(draw, text: str) -> bytes:
    """The text with a few tokens inserted, characters deleted or spans repeated."""
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "repeat"]))
        if action == "insert":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
        elif action == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 8)):]
        else:
            j = draw(st.integers(i, min(len(text), i + 40)))
            text = text[:j] + text[i:j] * draw(st.integers(1, 50)) + text[j:]
    return text.encode("utf-8", errors="surrogateescape")


@FUZZ
@given(data=st.one_of(mutated(SCENARIO), st.binary(max_size=400)))
def test_scenario_loader_never_crashes(tmp_path, data):
    """Mutated scenarios (aliases, tags, odd characters, repeated spans) and random bytes
    load or fail with issues naming the file."""
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    result = _expect_clean(path, lambda: load_scenario(path))
    assert result is None or isinstance(result, Scenario)


EDGES = "source,target\n1,2\n2,3\n3,1\n4,4\n5,1\n"


@FUZZ
@given(data=st.one_of(mutated(EDGES), mutated(EDGES.replace(",", " ")),
                      st.binary(max_size=300)),
       suffix=st.sampled_from([".csv", ".txt", ".edgelist", ".tsv"]))
def test_edge_list_reader_never_crashes(tmp_path, data, suffix):
    """Mutated and random edge lists are read as a graph or refused naming the file."""
    path = tmp_path / f"g{suffix}"
    path.write_bytes(data)
    result = _expect_clean(path, lambda: read_social(path))
    if result is not None:
        assert result[0].n_rows >= 1


def _graphml() -> str:
    G = nx.Graph([("a", "b"), ("b", "c"), ("c", "a")])
    nx.set_node_attributes(G, {"a": 0, "b": 1, "c": 2}, "index")
    return "\n".join(nx.generate_graphml(G))


@FUZZ
@given(data=st.one_of(mutated(_graphml()), st.binary(max_size=300)),
       suffix=st.sampled_from([".graphml", ".gexf", ".gml"]))
def test_graph_file_reader_never_crashes(tmp_path, data, suffix):
    """Mutated GraphML (read as GraphML, GEXF or GML) and random bytes are read or refused
    naming the file."""
    path = tmp_path / f"g{suffix}"
    path.write_bytes(data)
    _expect_clean(path, lambda: read_social(path))


FOLLOWERS = "user,account\n1,brand\n2,brand\n3,leader_1\n1,leader_1\n"


@FUZZ
@given(data=st.one_of(mutated(FOLLOWERS), st.binary(max_size=300)),
       labels=st.sampled_from([None, ["1", "2", "3"]]))
def test_followers_reader_never_crashes(tmp_path, data, labels):
    """Mutated and random followers files give follower sets of known accounts and users,
    or issues naming the file."""
    path = tmp_path / "fans.csv"
    path.write_bytes(data)
    accounts = ["brand", "leader_1"]
    sets = _expect_clean(path, lambda: read_followers(path, labels, 3, accounts))
    if sets is not None:
        assert set(sets) <= set(accounts)
        assert all(((s >= 0) & (s < 3)).all() for s in sets.values())
