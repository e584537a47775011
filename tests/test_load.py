"""Loading scenario files: every bad input gives one clear issue with file, key path and line."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
import yaml
from conftest import SMALL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import Issue, Scenario, ScenarioError, load_scenario

LAYOUT = "matrix:\n  layout: 1+1+2+1\n"  # brand, self_operated_1, leader_1, leader_2, dealer_1


def _write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(dedent(text), encoding="utf-8")
    return path


def _issues(path: Path) -> list[Issue]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == "\n".join(map(str, info.value.issues))
    return info.value.issues


def _assert_issue(issue: Issue, file: Path, key_path: str, line: int | None,
                  *fragments: str) -> None:
    """The issue names the file, key path and line, says expected and found, and more."""
    assert (issue.file, issue.path, issue.line) == (str(file), key_path, line)
    where = f"{file}:{line}" if line else f"{file}"
    assert str(issue) == f"{where}: {key_path}: {issue.message}"
    assert "expected " in issue.message and "; found " in issue.message
    for fragment in fragments:
        assert fragment in issue.message


# --- one issue per bad input ------------------------------------------------------------------

BAD = [
    pytest.param(LAYOUT + "horizn_days: 30\n", "horizn_days", 3,
                 ["unknown key", "horizon_days", "did you mean 'horizon_days'?"], id="unknown-key"),
    pytest.param(LAYOUT + "  leadr: brand\n", "matrix.leadr", 3,
                 ["unknown key", "did you mean 'leader'?", "found 'leadr'"],
                 id="unknown-nested-key"),
    pytest.param(LAYOUT + "horizon_days: many\n", "horizon_days", 3,
                 ["expected a valid integer", "found 'many'"], id="wrong-type"),
    pytest.param(LAYOUT + "audience:\n  - 5000\n", "audience", 3,
                 ["expected a valid dictionary", "found [5000]"], id="list-for-mapping"),
    pytest.param("""\
        matrix:
          layout: 1+1+2+1
          roles:
            leader:
              churn_rate: -0.1
        """, "matrix.roles.leader.churn_rate", 5, ["expected >= 0; found -0.1"],
        id="negative-rate"),
    pytest.param(LAYOUT + dedent("""\
        amplification:
          - source: leader_1
            target: brand
            weight: 1.5
        """), "amplification[0].weight", 6, ["expected <= 1; found 1.5"],
        id="probability-above-one"),
    pytest.param(LAYOUT + dedent("""\
        horizon_days: 90
        events:
          - kind: exit
            target: leader_1
            day: 90
        """), "events[0].day", 7, ["expected a day from 0 to 89", "found 90"],
        id="day-beyond-horizon"),
    pytest.param(LAYOUT + dedent("""\
        events:
          - kind: scandal
            target: leader_9
            day: 5
        """), "events[0].target", 5,
        ["expected an account id (one of brand, dealer_1, leader_1, leader_2, self_operated_1)",
         "found 'leader_9'"], id="event-unknown-account"),
    pytest.param(LAYOUT + dedent("""\
        events:
          - kind: crisis_response
            day: 5
        """), "events[0].target", 4, ["role that has accounts", "found 'role:employee'"],
        id="event-role-without-accounts"),
    pytest.param(LAYOUT + dedent("""\
        events:
          - kind: ban
            target: role:boss
            day: 5
        """), "events[0].target", 5, ["expected an account id or 'role:<role>'", "'role:boss'"],
        id="event-unknown-role"),
    pytest.param("""\
        matrix:
          layout: 1+5+x
        """, "matrix.layout", 2, ["expected a layout '1+X+K+N'", "found '1+5+x'"],
        id="layout-syntax"),
    pytest.param("""\
        matrix:
          layout: 2+5+3+20
        """, "matrix.layout", 2, ["expected exactly 1 brand", "found '2+5+3+20'"],
        id="layout-two-brands"),
    pytest.param("""\
        matrix:
          layout: 1+1+2+1
          accounts:
            - id: ceo
              role: leader
            - id: ceo
              role: dealer
        """, "matrix.accounts[1].id", 6,
        ["expected a unique account id", "found 'ceo' again", "matrix.accounts[0]"],
        id="duplicate-account-id"),
    pytest.param("""\
        matrix:
          layout: 1+1+2+1
          accounts:
            - id: leader_2
              role: dealer
        """, "matrix.accounts[0].id", 4,
        ["expected a unique account id", "found 'leader_2' again", "(first from the layout)"],
        id="named-id-clashes-with-layout"),
    pytest.param("""\
        matrix:
          layout: 1+1+2+1
          accounts:
            - id: dealer_1
              role: leader
        """, "matrix.layout", 2,
        ["expected a unique account id", "found 'dealer_1' again", "matrix.accounts[0]"],
        id="layout-id-clashes-with-named"),
    pytest.param("""\
        matrix:
          layout: 1+1+2+1
          accounts:
            - id: ceo
              role: leader
            - id: cto
              role: leader
            - id: cfo
              role: leader
        """, "matrix.accounts[2].role", 9,
        ["expected at most 2 leader account(s)", "found named leader account number 3"],
        id="more-named-than-slots"),
    pytest.param(LAYOUT + "  leader: founder\n", "matrix.leader", 3,
                 ["expected one of the account ids brand, dealer_1", "found 'founder'"],
                 id="leader-not-an-account"),
    pytest.param(LAYOUT + dedent("""\
        amplification:
          - source: leader_1
            target: dealer_7
            weight: 0.2
        """), "amplification[0].target", 5, ["expected an account id", "found 'dealer_7'"],
        id="amplification-unknown-account"),
    pytest.param(LAYOUT + dedent("""\
        audience:
          import:
            graph: no_such_graph.graphml
        """), "audience.import.graph", 5,
        ["expected an existing graph file", "found 'no_such_graph.graphml'"], id="missing-import"),
    pytest.param(LAYOUT + dedent("""\
        events:
          - kind: explode
            target: brand
            day: 3
        """), "events[0].kind", 4,
        ["expected kind one of exit, scandal, inactive, ban, succession", "found 'explode'"],
        id="unknown-event-kind"),
    pytest.param(LAYOUT + dedent("""\
        events:
          - kind: exit
            day: 3
        """), "events[0].target", 4, ["expected this key; found it missing"],
        id="missing-required-key"),
    pytest.param("""\
        matrix:
          layout: 1+1+2+1
          roles:
            boss:
              followers: 10
        """, "matrix.roles.boss", 4, ["expected 'brand', 'self_operated'", "found 'boss'"],
        id="unknown-role-key"),
    pytest.param(LAYOUT + dedent("""\
        events:
          - kind: exit
            target: brand
            day: 3
            exit: 4
        """), "events[0].exit", 7, ["unknown key", "unfollow_share", "found 'exit'"],
        id="unknown-key-named-like-the-kind"),
    pytest.param(LAYOUT + dedent("""\
        audience:
          scale: 1.5
          users: 100
        """), "audience.scale", 4,
        ["expected a scale of at least 20000 real people per simulated user", "found 1.5"],
        id="audience-too-small"),
    pytest.param("""\
        - name: s
        """, "(top level)", 1, ["expected a mapping of scenario keys", "found list"],
        id="top-level-list"),
]


@pytest.mark.parametrize(("text", "key_path", "line", "fragments"), BAD)
def test_bad_input_gives_one_issue(tmp_path, text, key_path, line, fragments):
    """Each kind of bad input is one issue: file, key path, line, expected ...; found ...."""
    path = _write(tmp_path, text)
    issues = _issues(path)
    assert len(issues) == 1, issues
    _assert_issue(issues[0], path, key_path, line, *fragments)


def test_missing_file(tmp_path):
    """A file that does not exist is one issue naming it, without a line."""
    path = tmp_path / "nowhere.yaml"
    [issue] = _issues(path)
    _assert_issue(issue, path, "(file)", None, "existing scenario file", "no such file")


def test_directory_instead_of_file(tmp_path):
    """A directory given as the scenario is refused as such."""
    [issue] = _issues(tmp_path)
    _assert_issue(issue, tmp_path, "(file)", None, "found a folder")


def test_file_not_utf8(tmp_path):
    """A file that is not UTF-8 text is refused, not decoded into garbage."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    [issue] = _issues(path)
    _assert_issue(issue, path, "(file)", None, "expected a readable UTF-8 text file")


@pytest.mark.parametrize("text", ["", "# only a comment\n"], ids=["empty", "comment-only"])
def test_empty_file(tmp_path, text):
    """An empty document is reported as empty, not in Python's type names."""
    path = _write(tmp_path, text)
    [issue] = _issues(path)
    _assert_issue(issue, path, "(top level)", None, "expected a mapping of scenario keys",
                  "found an empty document")


@pytest.mark.parametrize(("text", "line"), [
    ("name: s\nmatrix:\n\tlayout: 1+1+1+1\n", 3),
    ("name: s\nevents: [1, 2\nseed: 3\n", 3),
    ("name: s\nseed: 'open\n", 3),
    ("name: s\nmatrix: {layout: 1+1+1+1\n  leader: : x}\n", 3),
    ("name: s\n  seed: 1\n", 2),
    ("a: 1\n---\nb: 2\n", 2),
], ids=["tab", "open-list", "open-quote", "bad-flow-map", "bad-indent", "two-documents"])
def test_yaml_syntax_error(tmp_path, text, line):
    """Broken YAML is one issue at the line of the YAML parser's own mark."""
    path = _write(tmp_path, text)
    with pytest.raises(yaml.MarkedYAMLError) as parser:
        yaml.safe_load(text)
    assert parser.value.problem_mark.line + 1 == line
    [issue] = _issues(path)
    _assert_issue(issue, path, "(YAML syntax)", line, "expected valid YAML")


def test_all_errors_of_a_file_are_reported_together(tmp_path):
    """One load reports every problem of the file at once, in line order."""
    path = _write(tmp_path, """\
        name: s
        horizn_days: 30
        seed: -1
        matrix:
          layout: 1+1+2+1
          leader: founder
        amplification:
          - source: nobody
            target: brand
            weight: 2
        events:
          - kind: exit
            target: ghost
            day: 400
          - kind: explode
            target: brand
            day: 1
        """)
    issues = _issues(path)
    assert [(i.path, i.line) for i in issues] == [
        ("horizn_days", 2), ("seed", 3), ("matrix.leader", 6), ("amplification[0].weight", 10),
        ("events[0].target", 13), ("events[0].day", 14), ("events[1].kind", 15)]
    assert all(i.file == str(path) and "; found " in i.message for i in issues)


def test_unknown_key_does_not_hide_the_rest_of_its_section(tmp_path):
    """A misspelled key in an event, an amplification edge or an account is reported, and so
    are the other problems of the same item that the cross-checks find (a day past the
    horizon, an unknown target)."""
    path = _write(tmp_path, """\
        matrix:
          layout: 1+1+2+1
          accounts:
            - id: founder
              role: leader
              folowers: 10
        amplification:
          - source: founder
            target: ghost
            weight: 0.5
            note: an unknown key
        events:
          - kind: exit
            target: founder
            day: 400
            unfolow_share: 0.2
        """)
    issues = _issues(path)
    assert [(i.path, i.line) for i in issues] == [
        ("matrix.accounts[0].folowers", 6), ("amplification[0].target", 9),
        ("amplification[0].note", 11), ("events[0].day", 15),
        ("events[0].unfolow_share", 16)]
    assert "did you mean 'unfollow_share'?" in issues[-1].message
    assert "expected a day from 0 to 364" in issues[-2].message


def test_merge_key_override_wins_and_is_no_duplicate(tmp_path):
    """YAML 1.1 merge keys (``<<: *a``) followed by an override load, the override winning;
    errors in an override are reported at its own line."""
    text = """\
        matrix:
          layout: 1+1+2+1
        events:
          - &exit {kind: exit, target: leader_1, day: 10}
          - <<: *exit
            day: 20
            unfollow_share: 0.5
        """
    events = load_scenario(_write(tmp_path, text)).events
    assert [(e.day, e.unfollow_share) for e in events] == [(10, 0.2), (20, 0.5)]
    [issue] = _issues(_write(tmp_path, text.replace("day: 20", "day: 400"), "late.yaml"))
    assert (issue.path, issue.line) == ("events[1].day", 6)


def test_real_duplicate_key_is_still_refused_beside_a_merge(tmp_path):
    """A key written twice in one mapping is refused, merge key or not."""
    path = _write(tmp_path, """\
        matrix:
          layout: 1+1+2+1
        events:
          - &exit {kind: exit, target: leader_1, day: 10}
          - <<: *exit
            day: 20
            day: 30
        """)
    [issue] = _issues(path)
    _assert_issue(issue, path, "events[1].day", 6, "expected each key once",
                  "found 'day' again on line 7")


def test_invalid_horizon_is_reported_once(tmp_path):
    """A bad horizon_days is its own issue; the events' days are not checked against it."""
    path = _write(tmp_path, LAYOUT + "horizon_days: -3\nevents:\n"
                                     "  - kind: exit\n    target: leader_1\n    day: 1\n")
    [issue] = _issues(path)
    _assert_issue(issue, path, "horizon_days", 3, "expected >= 1; found -3")


def test_name_defaults_to_the_file_name(tmp_path):
    """A scenario without a name is named after its file."""
    path = _write(tmp_path, LAYOUT, name="my-story.yaml")
    assert load_scenario(path).name == "my-story"


# --- accounts_csv -----------------------------------------------------------------------------

def test_accounts_csv_rows_join_the_named_accounts(tmp_path):
    """CSV rows become named accounts (empty cells take defaults) that can be referenced."""
    (tmp_path / "people.csv").write_text(
        "id,role,followers,label\nceo,leader,50000,@ceo\ncto,leader,,\n", encoding="utf-8")
    path = _write(tmp_path, """\
        matrix:
          layout: 1+1+2+1
          leader: ceo
          accounts_csv: people.csv
          accounts:
            - id: shop
              role: dealer
        events:
          - kind: exit
            target: cto
            day: 3
        """)
    scenario = load_scenario(path)
    accounts = {a.id: a for a in scenario.matrix.accounts}
    assert list(accounts) == ["shop", "ceo", "cto"]
    assert (accounts["ceo"].followers, accounts["ceo"].label) == (50000, "@ceo")
    assert accounts["cto"].followers is None
    assert scenario.matrix.accounts_csv is None


@pytest.mark.parametrize(("csv_text", "key_path", "line", "fragments"), [
    ("id,role,followers\nceo,leader,50000\ncto,leader,lots\n", "row 2, column followers", 3,
     ["expected a valid number", "found 'lots'"]),
    ("id,role\nceo,boss\n", "row 1, column role", 2, ["expected 'brand'", "found 'boss'"]),
    ("id,role,folowers\nceo,leader,3\n", "row 1, column folowers", 2,
     ["unknown key; expected one of followers", "did you mean 'followers'?"]),
    ("id,role\nceo,leader\nbrand,leader\n", "row 2, column id", 3,
     ["expected a unique account id", "found 'brand' again"]),
    ("id,role\na,leader\nb,leader\nc,leader\n", "row 3, column role", 4,
     ["expected at most 2 leader account(s)"]),
], ids=["bad-number", "bad-role", "unknown-column", "duplicate-id", "too-many"])
def test_accounts_csv_problem_names_csv_row_and_column(tmp_path, csv_text, key_path, line,
                                                       fragments):
    """A bad CSV cell is reported against the CSV file, its row and column."""
    csv_path = tmp_path / "people.csv"
    csv_path.write_text(csv_text, encoding="utf-8")
    path = _write(tmp_path, LAYOUT + "  accounts_csv: people.csv\n")
    [issue] = _issues(path)
    _assert_issue(issue, csv_path, key_path, line, *fragments)


def test_accounts_csv_missing(tmp_path):
    """A CSV that does not exist is reported at the scenario's accounts_csv line."""
    path = _write(tmp_path, LAYOUT + "  accounts_csv: people.csv\n")
    [issue] = _issues(path)
    _assert_issue(issue, path, "matrix.accounts_csv", 3, "expected an existing accounts CSV file",
                  "people.csv")


def test_accounts_csv_not_utf8(tmp_path):
    """A CSV that is not UTF-8 is reported, not raised as a decoding error."""
    csv_path = tmp_path / "people.csv"
    csv_path.write_bytes("id,role\ncaf\xe9,leader\n".encode("latin-1"))
    path = _write(tmp_path, LAYOUT + "  accounts_csv: people.csv\n")
    [issue] = _issues(path)
    assert issue.file == str(csv_path) and "expected UTF-8" in issue.message


# --- random mutations never crash the loader --------------------------------------------------

VALUES = st.one_of(
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(max_value=-1e-9),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["role:leader", "role:boss", "founder", "1+2+3+4", "2+1", "exit", "x.csv"]),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path of nested dicts and lists."""
    out = [prefix] if prefix else []
    items = node.items() if isinstance(node, dict) else \
        enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        out += _paths(value, (*prefix, key))
    return out


def _mutate(data: dict, draw: Any) -> None:
    """Delete a key, replace a value, or add an unknown key, at a random key path."""
    paths = _paths(data)
    loc = draw(st.sampled_from(paths))
    parent = data
    for part in loc[:-1]:
        parent = parent[part]
    action = draw(st.sampled_from(["delete", "replace", "insert"]))
    if action == "delete":
        del parent[loc[-1]]
    elif action == "replace":
        parent[loc[-1]] = draw(VALUES)
    elif isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=8))] = draw(VALUES)
    else:
        parent.append(draw(VALUES))


@st.composite
def mutated_yaml(draw: Any) -> str:
    data = copy.deepcopy(SMALL)
    for _ in range(draw(st.integers(1, 3))):
        _mutate(data, draw)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["delete", "insert", "replace"]))
        char = draw(st.sampled_from([*":-[]{}#&*!|>'\"%@`, \t\n", "x", "0", "\x00"]))
        if edit == "delete":
            text = text[:i] + text[i + 1:]
        elif edit == "insert":
            text = text[:i] + char + text[i:]
        else:
            text = text[:i] + char + text[i + 1:]
    return text


@settings(max_examples=int(os.environ.get("MUTATIONS", 150)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated_yaml())
def test_mutated_scenarios_load_or_fail_cleanly(tmp_path, text):
    """Whatever the damage to a valid file, loading gives a Scenario or a ScenarioError."""
    path = tmp_path / "mutant.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        assert exc.issues
        assert all(str(issue).startswith(str(path)) for issue in exc.issues)
        assert all("expected" in issue.message for issue in exc.issues)
    else:
        assert isinstance(scenario, Scenario)
