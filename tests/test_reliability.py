"""Bad input, resource limits and faults: each works as documented or fails with a clear
message and exit status 2, nothing half-written (the rows of docs/RELIABILITY.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import sim
from sim import Scenario, ScenarioError, load_scenario, run
from sim.cli import app
from sim.errors import RunError
from sim.runs import guard, runners
from sim.scenario.load import MAX_SCENARIO_BYTES
from sim.world.graph import read_followers, read_social

LAYOUT = "name: s\nmatrix:\n  layout: 1+1+2+1\n"
RUN = {
    "name": "rel", "seed": 7, "horizon_days": 60, "replications": 4,
    "audience": {"users": 2000, "social": {"mean_degree": 8, "max_degree": 100,
                                           "community_size": 200}},
    "matrix": {"layout": "1+1+2+2", "leader": "leader_1"},
    "events": [{"kind": "exit", "target": "leader_1", "day": 30}],
    "outputs": {"charts": [], "report": False},
}


def _issue(path: Path) -> str:
    """The one issue loading ``path`` gives, as printed."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert len(info.value.issues) == 1, info.value.issues
    text = str(info.value.issues[0])
    assert text.startswith(str(path)) and "expected" in text and "found" in text
    return text


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _scenario_file(tmp_path: Path, **changes) -> Path:
    return _write(tmp_path, yaml.safe_dump({**RUN, **changes}, sort_keys=False))


def _invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


# --- scenario files ---------------------------------------------------------------------------


def test_oversized_scenario_file_is_refused_unread(tmp_path):
    """A file over the size cap is refused from its size, with the cap and the way out."""
    path = _write(tmp_path, LAYOUT + "description: '" + "x" * MAX_SCENARIO_BYTES + "'\n")
    text = _issue(path)
    assert "(file): expected a scenario file of at most 1 MiB" in text
    assert "matrix.accounts_csv" in text and f"found {path.stat().st_size:,} bytes" in text


BOMB = 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"a{i + 1}: &a{i + 1} [{', '.join([f'*a{i}'] * 9)}]\n" for i in range(9))


def test_alias_bomb_is_refused_quickly_with_low_memory(tmp_path):
    """A billion-laughs document (9**10 values once expanded) is refused while composing,
    in a fresh process whose peak memory stays near the interpreter's own."""
    path = _write(tmp_path, LAYOUT + "outputs:\n  " + BOMB.replace("\n", "\n  ")
                  + "description: *a9\n")
    probe = textwrap.dedent(f"""\
        import resource, time
        from sim import ScenarioError, load_scenario
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        try:
            load_scenario({str(path)!r})
        except ScenarioError as exc:
            print(exc)
        print(time.perf_counter() - start)
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
        """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    message, seconds, grown_mib = done.stdout.strip().splitlines()
    assert f"{path}:" in message and "(YAML structure): expected at most 1,000,000 values" \
        in message and "an alias bomb?" in message
    assert float(seconds) < 1.0
    assert float(grown_mib) < 20


@pytest.mark.parametrize(("text", "fragments"), [
    ("amplification: &a [*a]\n", ["(YAML structure)", "a value containing itself"]),
    ("description: " + "[" * 100 + "]" * 100 + "\n",
     ["(YAML structure): expected at most 64 levels of nesting"]),
    ("seed: " + "9" * 5000 + "\n", ["s.yaml:4: (YAML syntax)", "cannot be read", "5000 digits"]),
    ("description: 2001-13-45\n", ["cannot be read (month must be in 1..12)"]),
    ("description: \"\x07\"\n", ["unacceptable character #x0007"]),
], ids=["recursive-alias", "deep-nesting", "5000-digit-int", "impossible-date",
        "control-character"])
def test_yaml_that_cannot_become_data_is_one_issue(tmp_path, text, fragments):
    """Documents PyYAML would loop on, recurse through or raise a Python error for are each
    one issue at their line, not a traceback."""
    message = _issue(_write(tmp_path, LAYOUT + text))
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(("text", "key", "fragments"), [
    ("seed: .nan\n", "seed", ["finite number", "nan"]),
    ("horizon_days: .inf\n", "horizon_days", ["finite number", "inf"]),
    ("audience:\n  scale: 1e400\n", "audience.scale", ["finite number"]),
    ("audience:\n  users: 100000000000000000000\n", "audience.users",
     ["at most 2,147,483,647 simulated users", "100,000,000,000,000,000,000"]),
    ("audience:\n  users: 0\n", "audience.users", [">= 10; found 0"]),
    ("replications: 0\n", "replications", ["expected >= 1 or 'auto'; found 0"]),
    ("audience:\n  social:\n    mean_degree: -3\n", "audience.social.mean_degree", ["> 0"]),
    ("audience:\n  social:\n    mean_degree: 5000\n", "audience.social.mean_degree",
     ["less than audience.social.max_degree (1,000); found 5000"]),
    ("  roles:\n    leader:\n      followers: -1\n", "matrix.roles.leader.followers",
     [">= 0; found -1"]),
    ("audience:\n  scale: 1e-300\n", "audience.scale", ["simulated followers", "e+"]),
], ids=["nan", "inf", "float-overflow", "users-beyond-32-bit", "zero-users",
        "zero-replications", "negative-degree", "degree-above-max", "negative-followers",
        "tiny-scale"])
def test_bad_numbers_are_refused_at_their_key(tmp_path, text, key, fragments):
    """NaN, infinity, astronomically large, zero and negative sizes: one issue each."""
    message = _issue(_write(tmp_path, LAYOUT + text))
    assert f": {key}: " in message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(("text", "key", "fragment"), [
    ("name: s\nmatrix:\n  layout: ''\n", "matrix.layout", "expected a layout '1+X+K+N'"),
    ("name: s\nmatrix: {}\n", "matrix", "expected exactly 1 account with role 'brand'"),
    ("name: s\n", "matrix", "expected exactly 1 account with role 'brand'"),
], ids=["empty-layout-string", "empty-matrix", "no-matrix"])
def test_empty_layouts_are_refused(tmp_path, text, key, fragment):
    """A matrix with no accounts at all is refused: a run needs the brand account."""
    message = _issue(_write(tmp_path, text))
    assert f": {key}: {fragment}" in message


def test_duplicate_yaml_keys_are_reported_at_the_second(tmp_path):
    """A key given twice in one mapping is an issue naming both lines (YAML would keep the
    last silently)."""
    message = _issue(_write(tmp_path, LAYOUT + "seed: 1\nseed: 2\n"))
    assert message.startswith(f"{tmp_path / 's.yaml'}:4: seed: expected each key once")
    assert message.endswith("found 'seed' again on line 5")


def test_unicode_account_id_is_refused_with_the_label_hint(tmp_path):
    """Ids are ASCII (they name files, columns and graph nodes); the message says so and
    points at label, which takes any text."""
    message = _issue(_write(tmp_path, LAYOUT + "  accounts:\n    - id: 创始人\n"
                            "      role: leader\n"))
    assert "matrix.accounts[0].id: expected ASCII letters, digits" in message
    assert "goes in label" in message and "'创始人'" in message
    ok = load_scenario(_write(tmp_path, LAYOUT + "  accounts:\n    - id: founder\n"
                              "      role: leader\n      label: 创始人\n", "ok.yaml"))
    assert ok.matrix.accounts[0].label == "创始人"


def test_amplification_cycle_runs_and_terminates(tmp_path):
    """Accounts amplifying each other in a cycle (weight 1 all round) is legal: amplification
    is one hop, so the run ends with finite figures."""
    cycle = [{"source": a, "target": b, "weight": 1.0} for a, b in
             (("leader_1", "leader_2"), ("leader_2", "brand"), ("brand", "leader_1"))]
    result = sim.run(_scenario_file(tmp_path, amplification=cycle), replications=2,
                     workers=1)
    assert np.isfinite(result.reach["baseline"]).all()
    assert result.reach["baseline"].max() <= RUN["audience"]["users"] * result.scale


# --- imported data ---------------------------------------------------------------------------


def test_self_loops_and_repeated_edges_are_dropped(tmp_path):
    """An edge list's self-loops are dropped and repeated ties kept once (documented)."""
    social, _, labels, _ = read_social(_write(tmp_path, "1 1\n1 2\n2 1\n1 2\n2 2\n", "g.txt"))
    assert labels == ["1", "2"] and social.nnz == 2


def test_graph_with_isolated_users_keeps_them(tmp_path):
    """Users without ties (GraphML can list them) stay in the audience, reachable only as
    followers."""
    path = _write(tmp_path, textwrap.dedent("""\
        <?xml version='1.0' encoding='utf-8'?>
        <graphml xmlns="http://graphml.graphdrawing.org/xmlns">
          <graph edgedefault="undirected">
            <node id="a"/><node id="b"/><node id="c"/><node id="d"/>
            <edge source="a" target="b"/>
          </graph>
        </graphml>
        """), "g.graphml")
    social, _, labels, _ = read_social(path)
    assert labels == ["a", "b", "c", "d"]
    assert social.degrees().tolist() == [1, 1, 0, 0]


def test_graph_node_index_of_the_wrong_type_is_named(tmp_path):
    """A graph whose user nodes carry an 'index' that is not a whole number names the node."""
    path = _write(tmp_path, textwrap.dedent("""\
        <?xml version='1.0' encoding='utf-8'?>
        <graphml xmlns="http://graphml.graphdrawing.org/xmlns">
          <key id="i" for="node" attr.name="index" attr.type="string"/>
          <graph edgedefault="undirected">
            <node id="a"><data key="i">first</data></node>
            <node id="b"><data key="i">1</data></node>
            <edge source="a" target="b"/>
          </graph>
        </graphml>
        """), "g.graphml")
    with pytest.raises(ScenarioError, match="node 'a' has index 'first', not a whole number"):
        read_social(path)


def test_xml_entity_bomb_in_a_graph_is_refused(tmp_path):
    """GraphML with nested entities (the XML billion laughs) is refused by the parser."""
    entities = "".join(f'<!ENTITY l{i + 1} "{f"&l{i};" * 10}">' for i in range(8))
    path = _write(tmp_path, f'<?xml version="1.0"?><!DOCTYPE g [<!ENTITY l0 "lol">{entities}]>'
                  '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph>'
                  '<node id="&l8;"/></graph></graphml>', "g.graphml")
    with pytest.raises(ScenarioError, match=r"expected a readable graph; found .*amplification"):
        read_social(path)


@pytest.mark.parametrize(("text", "where", "fragment"), [
    ("user,account\n1,brand\n2,\n", "row 3", "expected two columns (from, to), neither empty"),
    ("user\n1\n", "row 1", "expected two columns"),
    ("user,account\n1,brand\n2,ceo\n1,cto\n", "row 3, column account",
     "expected an account of the matrix (brand, dealer_1, leader_1, self_operated_1); "
     "found 'ceo'"),
], ids=["empty-column", "missing-column", "unknown-account"])
def test_followers_file_problems_name_their_row(tmp_path, text, where, fragment):
    """A followers CSV's missing or empty column, or an account the matrix lacks, is
    reported at its row."""
    _write(tmp_path, "1 2\n2 3\n", "g.txt")
    _write(tmp_path, text, "fans.csv")
    scenario = sim.Scenario.model_validate({"name": "imp", "matrix": {"layout": "1+1+1+1"},
                                            "audience": {"import": {"graph": "g.txt",
                                                                    "followers": "fans.csv"}}})
    with pytest.raises(ScenarioError) as info:
        sim.build_world(scenario, tmp_path)
    first = info.value.issues[0]
    assert first.file == str(tmp_path / "fans.csv") and first.path == where
    assert fragment in first.message


def test_followers_file_not_utf8_is_refused(tmp_path):
    """A followers file in another encoding is an issue naming the file, not a traceback."""
    path = tmp_path / "fans.csv"
    path.write_bytes("user,account\ncaf\xe9,brand\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"\(file\): expected UTF-8 CSV"):
        read_followers(path, None, 10)


def test_empty_followers_file_means_no_followers(tmp_path):
    """An empty followers file (or a header only) is read as nobody following any account."""
    for text in ("", "user,account\n"):
        assert read_followers(_write(tmp_path, text, "fans.csv"), None, 10) == {}


# --- resource guard --------------------------------------------------------------------------


def test_estimate_grows_with_users_degree_and_workers():
    """The estimate grows with what it is fitted on, and one worker holds no extra copy."""
    scenario = sim.resolve_scenario(sim.Scenario.model_validate(RUN))

    def peak(users: int = 100_000, degree: float = 20, workers: int = 2) -> int:
        audience = scenario.audience.model_copy(update={
            "users": users, "social": scenario.audience.social.model_copy(
                update={"mean_degree": degree})})
        return guard.estimate(scenario.model_copy(update={"audience": audience}),
                              workers).peak_bytes

    assert peak(users=1_000_000) > peak() and peak(degree=50) > peak()
    assert peak(workers=8) > peak(workers=2) > peak(workers=1)
    # measured: 1,000,000 users, degree 20, 2 workers peak at 1.17-1.22 GiB
    assert 1.1 * 2**30 < peak(users=1_000_000) < 1.6 * 2**30


def test_available_memory_is_read():
    """The available memory is a positive byte count on this machine."""
    free = guard.available_memory()
    assert free is not None and free > 0


def test_run_refused_when_the_estimate_exceeds_memory(tmp_path, monkeypatch):
    """A run needing more than the machine has is refused before the world is built, with
    the estimate and the flag to override; the flag runs it."""
    monkeypatch.setattr(guard, "available_memory", lambda: 50 * 2**20)
    path = _scenario_file(tmp_path)
    out = tmp_path / "out"
    result = _invoke("run", path, "--out", out, "--workers", "1")
    assert result.exit_code == 2
    assert "error refused: rel needs about" in result.stderr
    assert "0.05 GiB of memory is available" in result.stderr
    assert "--no-memory-check" in result.stderr and not out.exists()
    result = _invoke("run", path, "--out", out, "--workers", "1", "--no-memory-check")
    assert result.exit_code == 0, result.output
    assert (out / "summary.json").exists()


@pytest.mark.parametrize("command", [["sweep", "--set", "audience.users=2000,3000"],
                                     ["sensitivity", "--params", "PARAMS"]])
def test_sweeps_and_sensitivity_are_guarded_too(tmp_path, monkeypatch, command):
    """Batch runs refuse before building any world, and run with the override."""
    monkeypatch.setattr(guard, "available_memory", lambda: 2**20)
    params = tmp_path / "params.yaml"
    params.write_text("parameters:\n"
                      "  - {key: audience.users, bounds: [2000, 3000], integer: true}\n"
                      "samples: 2\nmethod: morris\n")
    command = [str(params) if c == "PARAMS" else c for c in command]
    result = _invoke(command[0], _scenario_file(tmp_path), *command[1:], "--workers", "1",
                     "--out", tmp_path / "out")
    assert result.exit_code == 2 and "refused" in result.stderr and "--no-memory-check" in \
        result.stderr
    assert not (tmp_path / "out").exists()


def test_world_command_is_guarded_too(tmp_path, monkeypatch):
    """`riskmodel world` refuses a world too large for the machine before building it."""
    monkeypatch.setattr(guard, "available_memory", lambda: 2**20)
    result = _invoke("world", _scenario_file(tmp_path))
    assert result.exit_code == 2 and "refused" in result.stderr


# --- outputs ---------------------------------------------------------------------------------


def _no_world(*args, **kwargs):
    raise AssertionError("the world was built")


def test_out_that_is_a_file_fails_before_simulating(tmp_path, monkeypatch):
    """--out naming an existing file (or a path below one) is refused before any world is
    built; the file is untouched."""
    monkeypatch.setattr("sim.runs.montecarlo.build_world", _no_world)
    path = _scenario_file(tmp_path)
    blocker = _write(tmp_path, "keep me", "results")
    for out, fragment in ((blocker, "expected a folder to write the outputs into; found a file"),
                          (blocker / "x", "expected a path inside folders")):
        result = _invoke("run", path, "--out", out)
        assert result.exit_code == 2 and fragment in result.stderr
        assert "Traceback" not in result.output
    assert blocker.read_text() == "keep me"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs a read-only folder")
def test_out_in_a_folder_that_cannot_be_written_fails_before_simulating(tmp_path,
                                                                        monkeypatch):
    """--out inside a folder no one can write in (/proc, even for root) is refused first."""
    monkeypatch.setattr("sim.runs.montecarlo.build_world", _no_world)
    result = _invoke("run", _scenario_file(tmp_path), "--out", "/proc/riskmodel-out")
    assert result.exit_code == 2
    assert "expected a folder this user can write in; found /proc not writable" in \
        result.stderr


def test_failed_save_leaves_earlier_outputs_and_no_temporary_files(tmp_path, monkeypatch):
    """A failure while writing (a chart that raises) keeps the earlier folder byte for byte
    and removes the temporary folder."""
    path = _scenario_file(tmp_path)
    out = tmp_path / "out"
    assert _invoke("run", path, "--out", out, "--workers", "1").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("sim.output.run.save.write_rows", broken)  # the attribution table
    result = _invoke("run", path, "--out", out, "--workers", "1")
    assert result.exit_code != 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# --- worker faults ---------------------------------------------------------------------------


def _dies_on_replication_2(world, scenario, variants, replication):
    if replication == 2:
        os._exit(3)
    return _REPLICATE(world, scenario, variants, replication)


def _raises_on_replication_1(world, scenario, variants, replication):
    if replication == 1:
        raise FloatingPointError("overflow in the day step")
    return _REPLICATE(world, scenario, variants, replication)


_REPLICATE = runners.replicate


@pytest.mark.skipif(sys.platform != "linux", reason="workers inherit the patch by fork")
def test_worker_that_dies_is_reported_with_its_replication_and_seed(tmp_path, monkeypatch):
    """A worker process that exits mid-replication fails the run with the replication and
    seed, and no worker is left behind; nothing is returned with a replication missing."""
    monkeypatch.setattr(runners, "replicate", _dies_on_replication_2)
    with pytest.raises(RunError) as info:
        sim.run(_scenario_file(tmp_path), workers=2)
    message = str(info.value)
    assert "a worker process died while running replication 2" in message
    assert "exit status 3" in message and "seed 7" in message
    assert not _children_alive()


@pytest.mark.skipif(sys.platform != "linux", reason="workers inherit the patch by fork")
def test_replication_that_raises_is_named(tmp_path, monkeypatch):
    """An error inside one replication fails the run naming it (and keeps the cause)."""
    monkeypatch.setattr(runners, "replicate", _raises_on_replication_1)
    with pytest.raises(RunError, match=r"replication 1 \(seed 7\) failed: FloatingPointError"
                       ) as info:
        sim.run(_scenario_file(tmp_path), workers=2)
    assert isinstance(info.value.__cause__, FloatingPointError)
    assert not _children_alive()


def test_cli_reports_a_dead_worker_in_one_line(tmp_path, monkeypatch):
    """On the command line a dead worker is one error line, exit status 2, no outputs."""
    monkeypatch.setattr(runners, "replicate", _dies_on_replication_2)
    out = tmp_path / "out"
    result = _invoke("run", _scenario_file(tmp_path), "--out", out, "--workers", "2")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "died while running replication 2" in result.stderr and not out.exists()


def _children_alive() -> list[int]:
    """Worker processes of this test process still running (the resource tracker aside)."""
    import multiprocessing

    return [p.pid for p in multiprocessing.active_children()]


def test_a_run_longer_than_the_workers_notes_pipe_finishes():
    """Workers note each replication they start on a pipe the run reads as it goes; more
    notes than the pipe holds (64 KiB, about 1,600) must not block the workers."""
    scenario = Scenario.model_validate({
        "name": "many", "seed": 1, "horizon_days": 1, "replications": 2000,
        "audience": {"users": 50, "social": {"mean_degree": 4, "max_degree": 20,
                                             "community_size": 25}},
        "matrix": {"layout": "1+0+1+0"}, "outputs": {"charts": [], "report": False}})
    assert run(scenario, workers=2).replications == 2000
