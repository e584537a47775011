"""Interrupting `riskmodel run` (Ctrl-C or SIGTERM) mid-replications: workers stop, the
earlier outputs stay byte for byte, no temporary files remain, one line says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

SCENARIO = {
    "name": "stop", "seed": 2, "horizon_days": 60, "replications": 2000,  # outlasts the test
    "audience": {"users": 5000, "social": {"mean_degree": 8, "max_degree": 100,
                                           "community_size": 250}},
    "matrix": {"layout": "1+1+2+2", "leader": "leader_1"},
    "events": [{"kind": "exit", "target": "leader_1", "day": 30}],
    "outputs": {"charts": [], "report": False},
}
RISKMODEL = [sys.executable, "-c", "from sim.cli import app; app()"]


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    kids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().split()[3]) == pid:
                kids.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return kids


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_keeps_earlier_outputs_and_stops_its_workers(tmp_path, signum, status):
    scenario = tmp_path / "stop.yaml"
    scenario.write_text(yaml.safe_dump({**SCENARIO, "replications": 2}))
    out = tmp_path / "outputs" / "stop"
    subprocess.run([*RISKMODEL, "run", str(scenario), "--out", str(out), "--workers", "1"],
                   check=True, capture_output=True, timeout=300)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    scenario.write_text(yaml.safe_dump(SCENARIO))
    # Ctrl-C reaches the run even when this test runs where SIGINT is ignored (a background
    # job of a script), which a child would otherwise inherit and keep
    proc = subprocess.Popen([*RISKMODEL, "run", str(scenario), "--out", str(out),
                             "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_default_sigint)
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = [p for p in _children(proc.pid) if _alive(p)]
        assert len(workers) == 2, "the run never started its two workers"
        time.sleep(2)  # replications under way
        assert proc.poll() is None, "the run ended before it could be interrupted"
        sent = time.monotonic()
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=60)
        stopped_s = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in [p for p in workers if _alive(p)]:  # they hold its pipes open
            os.kill(pid, signal.SIGKILL)
        proc.communicate(timeout=60)

    assert proc.returncode == status
    assert stderr.strip() == (f"interrupted: no outputs written, temporary files removed; "
                              f"{out}/ left as it was")
    assert stopped_s < 15
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["stop"]
    time.sleep(0.5)
    assert not [p for p in workers if _alive(p)], "a worker process survived"
    assert os.path.exists(out / "summary.json")
