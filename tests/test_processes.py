"""Processes riskmodel starts or talks to: a Dask address that is wrong, silent or lost ends
in one line and exit status 2 within a bounded time; worker processes never outlive the
command, however it ends; numba's cache stays out of the installed package."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

SCENARIO = {
    "name": "procs", "seed": 3, "horizon_days": 60, "replications": 2000,  # outlasts a test
    "audience": {"users": 3000, "social": {"mean_degree": 8, "max_degree": 100,
                                           "community_size": 250}},
    "matrix": {"layout": "1+1+2+2", "leader": "founder",
               "accounts": [{"id": "founder", "role": "leader", "followers": 2_000_000}]},
    "events": [{"kind": "exit", "target": "founder", "day": 30}],
    "outputs": {"charts": [], "report": False},
}
TIMEOUT_S = 2  # the connection timeout the Dask tests run with (the default is 10 s)
RISKMODEL = [sys.executable, "-c", "from sim.cli import app; app()"]
RISKMODEL_QUICK = [sys.executable, "-c", "import sim.runs.dask as r; "
                   f"r.CONNECT_TIMEOUT_S = {TIMEOUT_S}; from sim.cli import app; app()"]
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _scenario(tmp_path: Path, **changes) -> Path:
    path = tmp_path / f"{changes.get('name', 'procs')}.yaml"
    path.write_text(yaml.safe_dump({**SCENARIO, **changes}))
    return path


def _stat(pid: int) -> list[str]:
    """Fields of /proc/PID/stat after the command name: state, ppid, process group, ..."""
    return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()


def _alive(pids) -> list[int]:
    """Those of ``pids`` still running (not gone, not zombies)."""
    running = []
    for pid in pids:
        try:
            if _stat(pid)[0] != "Z":
                running.append(pid)
        except OSError:
            continue
    return running


def _related(pid: int) -> set[int]:
    """Processes whose parent or process group is ``pid`` (a session leader's workers keep
    its group when they are orphaned)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = _stat(int(entry.name))
            except (OSError, IndexError):
                continue
            if pid in (int(fields[1]), int(fields[2])) and int(entry.name) != pid:
                found.add(int(entry.name))
    return found


def _start(args: list[str], stderr: Path) -> tuple[subprocess.Popen, list[int]]:
    """Start a command in a session of its own; wait until two worker processes run."""
    with stderr.open("w") as err:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = _alive(p for p in _related(proc.pid) if int(_stat(p)[1]) == proc.pid)
    assert len(workers) >= 2, f"never started two workers: {stderr.read_text()[-500:]}"
    time.sleep(1.5)  # the work under way
    assert proc.poll() is None, "the command ended before it could be stopped"
    return proc, workers


def _gone_within(pids, seconds: float) -> list[int]:
    """Wait up to ``seconds`` for ``pids`` to end; those still alive then (killed after)."""
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = _alive(pids)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    return survivors


def _commands(tmp_path: Path) -> dict[str, list[str]]:
    """A long run, sweep, compare and recommend, each on two workers."""
    first = _scenario(tmp_path)
    second = _scenario(tmp_path, name="other",
                       matrix={**SCENARIO["matrix"], "layout": "1+2+1+3"})
    out = str(tmp_path / "out")
    return {
        "run": [*RISKMODEL, "run", str(first), "--workers", "2", "--out", out],
        "sweep": [*RISKMODEL, "sweep", str(first), "--set", "seed=1,2,3", "--workers", "2",
                  "--out", out],
        "compare": [*RISKMODEL, "compare", str(first), str(second), "--workers", "2",
                    "--out", out],
        "recommend": [*RISKMODEL, "recommend", str(first), "--budget", "1000000000",
                      "--replications", "500", "--users", "3000", "--workers", "2",
                      "--out", out],
    }


@linux
@pytest.mark.parametrize("command", ["run", "sweep", "recommend"])
def test_workers_end_when_the_command_is_killed(tmp_path, command):
    """SIGKILL of the command (nothing of it runs any more): its workers end with it."""
    proc, workers = _start(_commands(tmp_path)[command], tmp_path / "stderr")
    try:
        proc.kill()
        proc.wait(timeout=30)
        survivors = _gone_within(workers, 10)
    finally:
        _gone_within(_related(proc.pid), 0)
    assert survivors == [], "a worker outlived its killed parent"
    assert not (tmp_path / "out").exists()


WATCHED = """
import multiprocessing, threading, time
from sim.runs.pool import _exit_at_end_of

def worker():
    sentinel = multiprocessing.parent_process().sentinel
    threading.Thread(target=_exit_at_end_of, args=(sentinel,), daemon=True).start()
    time.sleep(600)

process = multiprocessing.get_context("fork").Process(target=worker)
process.start()
print(process.pid, flush=True)
time.sleep(600)
"""


@linux
def test_parent_watch_alone_ends_an_orphaned_worker():
    """The portable half (no parent-death signal from the kernel): a worker's thread waiting
    on the pipe from its parent ends the worker when the parent is killed."""
    parent = subprocess.Popen([sys.executable, "-c", WATCHED], stdout=subprocess.PIPE,
                              text=True, start_new_session=True)
    try:
        worker = int(parent.stdout.readline())
        assert _alive([worker])
        parent.kill()
        parent.wait(timeout=30)
        survivors = _gone_within([worker], 10)
    finally:
        parent.kill()
        _gone_within(_related(parent.pid), 0)
    assert survivors == [], "the watch did not end the orphaned worker"


@linux
@pytest.mark.parametrize(("command", "signum"), [("run", signal.SIGHUP),
                                                 ("compare", signal.SIGTERM),
                                                 ("recommend", signal.SIGTERM)],
                         ids=["run-SIGHUP", "compare-SIGTERM", "recommend-SIGTERM"])
def test_hang_up_and_terminate_stop_every_command_cleanly(tmp_path, command, signum):
    """SIGHUP (a closed terminal) is handled like SIGTERM, and compare and recommend like
    run: workers stopped, one line, exit status 128 + the signal, nothing written."""
    stderr = tmp_path / "stderr"
    proc, workers = _start(_commands(tmp_path)[command], stderr)
    try:
        sent = time.monotonic()
        proc.send_signal(signum)
        proc.wait(timeout=60)
        stopped_s = time.monotonic() - sent
        survivors = _gone_within(workers, 5)
    finally:
        if proc.poll() is None:
            proc.kill()
        _gone_within(_related(proc.pid), 0)
    assert proc.returncode == 128 + signum
    assert stderr.read_text().strip() == ("interrupted: no outputs written, temporary files "
                                          f"removed; {tmp_path / 'out'}/ not created")
    assert stopped_s < 15
    assert survivors == [], "a worker survived"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.yaml", "procs.yaml",
                                                          "stderr"]


def _hold(server: socket.socket, greeting: bytes, held: list[socket.socket]) -> None:
    """Accept connections, send ``greeting`` on each and then nothing (kept open)."""
    while True:
        try:
            conn, _ = server.accept()
        except OSError:  # closed: the test is over
            return
        held.append(conn)
        conn.sendall(greeting)


@pytest.fixture
def http_server():
    """``python3 -m http.server`` on 127.0.0.1: reads a request line Dask never sends."""
    proc = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind",
                             "127.0.0.1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    try:
        line = proc.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (...) ..."
        yield f"tcp://127.0.0.1:{line.split(' port ')[1].split()[0]}"
    finally:
        proc.kill()
        proc.wait(timeout=30)


@pytest.fixture
def banner_server():
    """A server that greets in another protocol (as an SSH server does) and then waits."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    threading.Thread(target=_hold, args=(server, b"SSH-2.0-OpenSSH_9.2p1\r\n", held),
                     daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
        for conn in held:
            conn.close()


SILENT = f"gave no Dask answer within {TIMEOUT_S} s"
UNREADABLE = "sent an answer Dask cannot read"


# http.server answers only at a newline, which Dask's handshake may hold (the Python version)
@pytest.mark.parametrize(("server", "said"), [("http_server", (SILENT, UNREADABLE)),
                                              ("banner_server", (UNREADABLE,))],
                         ids=["http.server", "ssh-banner"])
def test_server_that_is_not_a_dask_scheduler_is_one_line(tmp_path, request, server, said):
    """Accepts the connection but is not Dask: exit 2 within the timeout, one line."""
    pytest.importorskip("dask.distributed")
    address = request.getfixturevalue(server)
    started = time.monotonic()
    done = subprocess.run([*RISKMODEL_QUICK, "run", str(_scenario(tmp_path, replications=2)),
                           "--scheduler", address, "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - started
    assert done.returncode == 2
    assert any(done.stderr.strip().startswith(f"error '{address}' is not a Dask scheduler: "
                                              f"it accepts connections but {s}") for s in said)
    assert len(done.stderr.strip().splitlines()) == 1
    assert elapsed < 60  # startup, world and the probe's TIMEOUT_S; it used to hang
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("address", "message"), [
    ("localhost:8786", "--scheduler: expected a Dask scheduler address tcp://HOST:PORT"),
    ("tcp://127.0.0.1:99999", "--scheduler: expected a Dask scheduler address tcp://HOST:PORT"),
    ("tls://127.0.0.1:8786", "--scheduler: expected a Dask scheduler address tcp://HOST:PORT"),
    ("tcp://127.0.0.1:9", "could not reach the Dask scheduler at 'tcp://127.0.0.1:9' within"),
], ids=["no-scheme", "port-out-of-range", "other-scheme", "refused"])
def test_bad_or_unreachable_scheduler_address_is_one_line(tmp_path, address, message):
    pytest.importorskip("dask.distributed")
    from typer.testing import CliRunner

    from sim.cli import app

    result = CliRunner().invoke(app, ["run", str(_scenario(tmp_path, replications=2)),
                                      "--scheduler", address, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.strip().startswith(f"error {message}")
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def _dask_cli(*args: str, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_" + args[0],
                                 *args[1:], "--no-dashboard"], stdout=out,
                                stderr=subprocess.STDOUT)


def test_scheduler_lost_mid_run_is_one_line(tmp_path):
    """The Dask scheduler SIGKILLed while replications run: exit 2, one line, promptly."""
    distributed = pytest.importorskip("dask.distributed")
    file = tmp_path / "scheduler.json"
    scheduler = _dask_cli("scheduler", "--host", "127.0.0.1", "--port", "0",
                          "--scheduler-file", str(file), log=tmp_path / "scheduler.log")
    worker = run = None
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        worker = _dask_cli("worker", "--scheduler-file", str(file), "--no-nanny",
                           "--nthreads", "1", log=tmp_path / "worker.log")
        address = yaml.safe_load(file.read_text())["address"]
        stderr = tmp_path / "stderr"
        with stderr.open("w") as err:
            run = subprocess.Popen([*RISKMODEL, "run", str(_scenario(tmp_path)), "--scheduler",
                                    address, "--out", str(tmp_path / "out")],
                                   stdout=subprocess.DEVNULL, stderr=err)
        with distributed.Client(address, timeout=30) as watcher:
            while not any(watcher.processing().values()):  # replications on the worker
                assert run.poll() is None and time.monotonic() < deadline + 60, \
                    stderr.read_text()
                time.sleep(0.2)
        scheduler.kill()
        sent = time.monotonic()
        run.wait(timeout=60)
        stopped_s = time.monotonic() - sent
    finally:
        for proc in (run, worker, scheduler):
            if proc is not None and proc.poll() is None:
                proc.kill()
            if proc is not None:
                proc.wait(timeout=30)
    assert run.returncode == 2
    said = stderr.read_text().strip()
    assert said.startswith(f"error lost the Dask scheduler at '{address}' mid-run (")
    assert said.endswith("); the run stopped and wrote no outputs")
    assert len(said.splitlines()) == 1
    assert stopped_s < 30
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("user_dir", [False, True], ids=["default", "NUMBA_CACHE_DIR"])
def test_numba_cache_stays_out_of_the_package(tmp_path, user_dir):
    """Compiled loops are cached in the user's cache folder (or NUMBA_CACHE_DIR), never
    beside the installed package, where a reinstall would leave them behind."""
    pytest.importorskip("numba")
    import sim

    package = Path(sim.__file__).parent / "__pycache__"

    def compiled_there() -> set[tuple[str, int]]:
        return {(p.name, p.stat().st_mtime_ns) for p in package.glob("*.nb[ic]")}

    before = compiled_there()
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "RISKMODEL_NUMBA")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    if user_dir:
        env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    subprocess.run([sys.executable, "-c", "import numpy as np; from sim.kernel.compiled import "
                    "insert_sorted; insert_sorted(np.arange(3), np.arange(3, 5))"],
                   env=env, check=True, timeout=300)
    cache = tmp_path / "numba" if user_dir else tmp_path / "xdg" / "riskmodel" / "numba"
    assert list(cache.rglob("*.nbi")), "nothing cached in the user's cache folder"
    assert compiled_there() <= before, "numba cached into the package's folder"
