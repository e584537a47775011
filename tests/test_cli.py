"""The riskmodel command: exit status 0 on success, 2 with clear messages on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
import yaml
from conftest import SMALL
from typer.testing import CliRunner

from sim.cli import app

WIDE = {"COLUMNS": "200"}  # keep rich from wrapping or truncating account ids
SMALL_IDS = ["brand", "self_operated_1", "self_operated_2", "founder", "leader_2", "leader_3",
             "dealer_1", "dealer_2", "dealer_3", "dealer_4"]


def _invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args], env=WIDE)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("matrix:\n  layout: 1+1+1+1\n  leader: nobody\nhorizn_days: 30\n",
                    encoding="utf-8")
    return path


def _assert_clean_failure(result, *lines: str) -> None:
    """Exit status 2, each expected message on stderr, and no traceback."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for line in lines:
        assert line in result.stderr


def test_validate_accepts_a_good_file(good):
    """A valid scenario passes with exit status 0 and an 'ok' line."""
    result = _invoke("validate", good)
    assert result.exit_code == 0, result.output
    assert f"ok {good}" in result.stdout
    assert result.stderr == ""


def test_validate_reports_every_issue_of_a_bad_file(bad):
    """A bad file's issues are printed as file:line: path: message, with exit status 2."""
    result = _invoke("validate", bad)
    _assert_clean_failure(
        result,
        f"{bad}:3: matrix.leader: expected one of the account ids",
        f"{bad}:4: horizn_days: unknown key;",
        "did you mean 'horizon_days'?",
        "1 of 1 file(s) have errors")


def test_validate_checks_every_file_given(good, bad):
    """With several files, the good ones are ok'd and the run still fails on the bad one."""
    result = _invoke("validate", good, bad, bad.parent / "missing.yaml")
    _assert_clean_failure(result, f"{bad}:3: matrix.leader", "2 of 3 file(s) have errors",
                          f"{bad.parent / 'missing.yaml'}: (file): expected an existing "
                          "scenario file; found no such file")
    assert f"ok {good}" in result.stdout


def test_validate_reports_yaml_syntax_errors(tmp_path):
    """Broken YAML is a user error too: one line, exit status 2."""
    path = tmp_path / "broken.yaml"
    path.write_text("name: s\nmatrix:\n\tlayout: 1+1+1+1\n", encoding="utf-8")
    _assert_clean_failure(_invoke("validate", path),
                          f"{path}:3: (YAML syntax): expected valid YAML; found")


@pytest.mark.parametrize("key", ["[/x]", "[red]"])
def test_validate_prints_issue_text_verbatim(tmp_path, key):
    """An issue quoting brackets from the file prints them as they are, without a traceback."""
    path = tmp_path / "brackets.yaml"
    path.write_text(f'matrix:\n  layout: 1+1+1+1\n  "{key}": 3\n', encoding="utf-8")
    _assert_clean_failure(_invoke("validate", path), f"found '{key}'")


def test_schema_prints_json():
    """`schema` prints the scenario's JSON Schema."""
    result = _invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "riskmodel scenario"
    assert "matrix" in schema["properties"]


def test_show_prints_the_resolved_scenario_as_yaml(good):
    """`show` prints YAML with the layout expanded into every account id."""
    result = _invoke("show", good)
    assert result.exit_code == 0, result.output
    shown = yaml.safe_load(result.stdout)
    assert [a["id"] for a in shown["matrix"]["accounts"]] == SMALL_IDS
    assert shown["audience"]["scale"] > 0


def test_show_fails_cleanly_on_a_bad_file(bad):
    """`show` on a bad file prints its issues and exits 2."""
    _assert_clean_failure(_invoke("show", bad), f"{bad}:3: matrix.leader")


def test_world_prints_the_summary(good):
    """`world` summarizes users, ties and each account's followers."""
    result = _invoke("world", good)
    assert result.exit_code == 0, result.output
    assert "5,000 simulated users" in result.stdout
    assert "leader: founder" in result.stdout
    for account_id in SMALL_IDS:
        assert account_id in result.stdout


def test_world_exports_graphml_that_networkx_reads(good, tmp_path):
    """`world --export x.graphml` writes the world as a graph networkx can read back."""
    export = tmp_path / "out" / "world.graphml"
    result = _invoke("world", good, "--export", export)
    assert result.exit_code == 0, result.output
    assert f"wrote {export}" in result.stdout
    G = nx.read_graphml(export)
    kinds = nx.get_node_attributes(G, "kind")
    assert sum(k == "user" for k in kinds.values()) == SMALL["audience"]["users"]
    assert sorted(n for n, k in kinds.items() if k == "account") == sorted(
        f"a:{i}" for i in SMALL_IDS)
    assert G.nodes["a:founder"]["role"] == "leader"


@pytest.mark.parametrize("name", ["world.png", "world.json", "world"])
def test_world_refuses_an_unknown_export_suffix(good, tmp_path, name):
    """An export path that is neither .graphml nor .gexf is a usage error, exit 2."""
    result = _invoke("world", good, "--export", tmp_path / name)
    assert result.exit_code == 2
    assert "expected a path ending in .graphml or .gexf" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / name).exists()


def test_failed_world_leaves_an_existing_export_untouched(bad, tmp_path):
    """A bad scenario fails before writing: an earlier export file keeps its content."""
    export = tmp_path / "world.graphml"
    export.write_text("previous export", encoding="utf-8")
    _assert_clean_failure(_invoke("world", bad, "--export", export), f"{bad}:3: matrix.leader")
    assert export.read_text(encoding="utf-8") == "previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "world.graphml"]
