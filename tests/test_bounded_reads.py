"""Bounded reads: a FIFO, a device or a folder given as any input file is refused at once,
with little memory, and no input is read past its cap (docs/RELIABILITY.md, "Special files").

Each hostile case runs in a child process under a memory limit and a timeout, so that a
regression fails the test instead of hanging it or exhausting the machine.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from sim import Scenario, ScenarioError, load_scenario
from sim.inputs import MAX_IMPORT_BYTES, open_input
from sim.runs import guard
from sim.world.graph import read_followers

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(),
                                reason="needs FIFOs and /dev/zero")

ADDRESS_SPACE = 2 * 2**30  # the child's limit: reading /dev/zero unbounded fails at once
MAX_SECONDS = 5.0  # from the command's start (after Python and riskmodel are imported)
MAX_PEAK = 2**30
PROBE = """\
import atexit, resource, sys, time
{imports}
start = time.perf_counter()
atexit.register(lambda: print("PROBE", time.perf_counter() - start,
                              resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                              file=sys.stderr))
{body}
"""
CLI = PROBE.format(imports="from sim.cli import app", body="app(sys.argv[1:], 'riskmodel')")
SCENARIO = {"name": "b", "seed": 1, "horizon_days": 30, "replications": 2,
            "audience": {"users": 500}, "matrix": {"layout": "1+1+1+1"},
            "outputs": {"charts": [], "report": False}}
EDGES = "1 2\n2 3\n3 4\n"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _bounded(code: str, *args: str | Path, cwd: Path) -> tuple[int, str]:
    """Run ``code`` in a bounded child; its exit status and output, after checking that it
    took under MAX_SECONDS and MAX_PEAK."""
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=cwd, text=True,
                          capture_output=True, timeout=60, preexec_fn=_limit_memory,
                          env={**os.environ, "COLUMNS": "200"})
    output = proc.stdout + proc.stderr
    probe = re.search(r"^PROBE (\S+) (\d+)$", proc.stderr, re.M)
    assert probe, output
    seconds, peak = float(probe[1]), int(probe[2]) * 1024  # ru_maxrss is in KiB on Linux
    assert seconds < MAX_SECONDS, (seconds, output)
    assert peak < MAX_PEAK, (peak, output)
    assert "Traceback" not in output, output
    return proc.returncode, output


@pytest.fixture(params=["fifo", "zero"])
def special(request) -> str:
    """The special file of a case: a FIFO, or /dev/zero (or a link to it)."""
    return request.param


def _special(kind: str, path: Path) -> Path:
    """A FIFO, or a link to /dev/zero, at ``path``."""
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    return path


FOUND = {"fifo": "a FIFO (named pipe)", "zero": "a character device"}


def _scenario(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({**SCENARIO, **changes}), encoding="utf-8")
    return path


# --- scenario and parameter files --------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "run"])
def test_special_scenario_file_is_refused(tmp_path, special, command):
    """A FIFO or /dev/zero as the scenario: exit 2 at once, naming what it is."""
    path = Path("/dev/zero") if special == "zero" else _special(special, tmp_path / "s.yaml")
    extra = ["--out", tmp_path / "out"] if command == "run" else []
    code, output = _bounded(CLI, command, path, *extra, cwd=tmp_path)
    assert code == 2, output
    assert f"{path}: (file): expected a regular scenario file; found {FOUND[special]}" in output
    assert not (tmp_path / "out").exists()


def test_special_parameter_file_is_refused(tmp_path, special):
    """A FIFO or /dev/zero as the sensitivity parameter file: exit 2 at once."""
    path = Path("/dev/zero") if special == "zero" else _special(special, tmp_path / "p.yaml")
    code, output = _bounded(CLI, "sensitivity", _scenario(tmp_path), "--params", path,
                            "--out", tmp_path / "out", cwd=tmp_path)
    assert code == 2, output
    assert f"{path}: (file): expected a regular parameter file; found {FOUND[special]}" in output


# --- imported files ----------------------------------------------------------------------------

IMPORTS = {  # case: (file name, scenario changes naming it, the key reported)
    "edge-list": ("g.csv", {"audience": {"import": {"graph": "g.csv"}}},
                  "audience.import.graph", "graph"),
    "graph-file": ("g.graphml", {"audience": {"import": {"graph": "g.graphml"}}},
                   "audience.import.graph", "graph"),
    "followers": ("f.csv", {"audience": {"import": {"graph": "edges.txt", "followers": "f.csv"}}},
                  "audience.import.followers", "followers"),
    "accounts-csv": ("a.csv", {"matrix": {"layout": "1+1+1+1", "accounts_csv": "a.csv"}},
                     "matrix.accounts_csv", "accounts CSV"),
}


@pytest.mark.parametrize("case", IMPORTS)
def test_special_import_file_is_refused_by_run(tmp_path, special, case):
    """A FIFO or /dev/zero named by a scenario (graph, followers, accounts CSV): `run` exits 2
    at once, at the scenario's key, saying what the file is."""
    name, changes, key, kind = IMPORTS[case]
    (tmp_path / "edges.txt").write_text(EDGES, encoding="utf-8")
    _special(special, tmp_path / name)
    code, output = _bounded(CLI, "run", _scenario(tmp_path, **changes), "--out",
                            tmp_path / "out", cwd=tmp_path)
    assert code == 2, output
    assert (f"{key}: expected a regular {kind} file; found {name!r}, which is "
            f"{FOUND[special]}") in output


READERS = {
    "edge-list": ("g.csv", "read_social(Path(sys.argv[1]))"),
    "graph-file": ("g.graphml", "read_social(Path(sys.argv[1]))"),
    "gml-file": ("g.gml", "read_social(Path(sys.argv[1]))"),
    "followers": ("f.csv", "read_followers(Path(sys.argv[1]), None, 100)"),
}


@pytest.mark.parametrize("case", READERS)
def test_special_file_is_refused_by_the_readers(tmp_path, special, case):
    """The import readers themselves (the Python API, or a file replaced after validation)
    open without blocking and refuse what is not a regular file."""
    name, call = READERS[case]
    path = _special(special, tmp_path / name)
    code = PROBE.format(
        imports="from pathlib import Path\nfrom sim import ScenarioError\n"
                "from sim.world.graph import read_followers, read_social",
        body=f"try:\n    {call}\nexcept ScenarioError as exc:\n    print(exc)\n"
             "    sys.exit(2)")
    status, output = _bounded(code, path, cwd=tmp_path)
    assert status == 2, output
    assert f"{path}: (file): expected a regular " in output and FOUND[special] in output


# --- messages and caps, in this process --------------------------------------------------------


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Fail the test instead of blocking for ever (opening a FIFO without a writer)."""
    def stop(signum, frame):
        raise TimeoutError("blocked")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 10)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("what", ["folder", "fifo"])
@pytest.mark.parametrize("case", IMPORTS)
def test_folder_or_fifo_import_path_is_named_as_such(tmp_path, no_hang, what, case):
    """An import path that is a folder or a FIFO is reported as one, not as missing."""
    name, changes, key, kind = IMPORTS[case]
    (tmp_path / "edges.txt").write_text(EDGES, encoding="utf-8")
    if what == "folder":
        (tmp_path / name).mkdir()
    else:
        os.mkfifo(tmp_path / name)
    with pytest.raises(ScenarioError) as info:
        load_scenario(_scenario(tmp_path, **changes))
    [issue] = info.value.issues
    assert issue.path == key and issue.line is not None
    found = "a folder" if what == "folder" else FOUND["fifo"]
    assert issue.message == f"expected a regular {kind} file; found {name!r}, which is {found}"


def test_import_over_the_cap_is_refused_unread(tmp_path):
    """A graph file over MAX_IMPORT_BYTES (here sparse, taking no disk) is refused from its
    size, at validation and by the reader."""
    path = tmp_path / "g.csv"
    with path.open("wb") as fh:
        fh.truncate(MAX_IMPORT_BYTES + 1)
    with pytest.raises(ScenarioError) as info:
        load_scenario(_scenario(tmp_path, audience={"import": {"graph": "g.csv"}}))
    [issue] = info.value.issues
    assert issue.message == (f"expected a graph file of at most 2 GiB; found 'g.csv', which "
                             f"is {MAX_IMPORT_BYTES + 1:,} bytes")
    with pytest.raises(ScenarioError, match="expected a graph file of at most 2 GiB"):
        open_input(path, "graph", MAX_IMPORT_BYTES)


def test_file_growing_past_the_cap_while_read_is_refused(tmp_path):
    """The cap holds for what is read, not only for the size when opened (a file still being
    written, or one that reports size 0 such as those in /proc)."""
    path = tmp_path / "g.csv"
    path.write_bytes(b"1 2\n")
    with open_input(path, "graph", 10) as fh:
        with path.open("ab") as more:
            more.write(b"2 3\n" * 10)
        with pytest.raises(ScenarioError, match=r"at most .*; found more than 10 bytes"):
            fh.read()


def test_proc_file_of_size_zero_is_read_whole():
    """A regular file that reports size 0 (Linux's /proc) is read up to the cap."""
    status = Path("/proc/self/status")
    if not status.is_file():
        pytest.skip("no /proc")
    with open_input(status, "status", 2**20) as fh:
        assert b"Name:" in fh.read()


def test_followers_file_of_bad_rows_stops_at_the_twentieth(tmp_path):
    """Reading a followers file stops at its 20th problem, so that a long file of bad rows
    costs no more memory than a good one (a later row's problem is never reached)."""
    path = tmp_path / "f.csv"
    path.write_text("user,account\n" + "u,ghost\n" * 1000 + "only-one-column\n",
                    encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        read_followers(path, None, 10, accounts=["brand"])
    assert len(info.value.issues) == 20
    assert all("column account" in i.path for i in info.value.issues)


def test_guard_counts_an_imported_followers_file(tmp_path):
    """The memory estimate grows with the followers file, 8 bytes per byte of it."""
    (tmp_path / "f.csv").write_text("user,account\n", encoding="utf-8")
    scenario = Scenario.model_validate({**SCENARIO, "audience": {
        "users": 500, "import": {"followers": "f.csv"}}})
    before = guard.estimate(scenario, 1, tmp_path).build_bytes
    with (tmp_path / "f.csv").open("ab") as fh:
        fh.truncate(2**20)
    assert guard.estimate(scenario, 1, tmp_path).build_bytes - before == \
        (2**20 - 13) * guard.IMPORT_FOLLOWERS
