"""Replications as Dask tasks give exactly the figures of a local run."""

from __future__ import annotations

import numpy as np
import pytest

from sim import Scenario
from sim.runs.montecarlo import run

distributed = pytest.importorskip("dask.distributed")

SCENARIO = {
    "name": "dask", "seed": 4, "horizon_days": 25, "replications": 4,
    "audience": {"users": 2000, "social": {"mean_degree": 8, "max_degree": 100,
                                           "community_size": 200}},
    "matrix": {"layout": "1+1+2+2", "leader": "founder",
               "accounts": [{"id": "founder", "role": "leader", "followers": 2_000_000}]},
    "events": [{"kind": "exit", "target": "founder", "day": 10}],
}


def _same(a, b) -> None:
    assert a.figures == b.figures
    for v in a.reach:
        assert np.array_equal(a.reach[v], b.reach[v])


def test_local_dask_cluster_equals_a_local_run():
    scenario = Scenario.model_validate(SCENARIO)
    _same(run(scenario, workers=1), run(scenario, workers=2, scheduler="local"))


def test_scheduler_address_equals_a_local_run():
    """Pointed at a running scheduler (here a LocalCluster's address), with the leader left
    unmarked so the run makes two passes on the cluster."""
    scenario = Scenario.model_validate({**SCENARIO, "matrix": {
        "layout": "1+1+2+2",
        "accounts": [{"id": "founder", "role": "leader", "followers": 2_000_000}]}})
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = run(scenario, workers=2, scheduler=cluster.scheduler_address)
    _same(run(scenario, workers=1), remote)
    assert remote.leader == "founder"


def test_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    """A scheduler nobody listens at: one line naming it, exit status 2, nothing written."""
    from typer.testing import CliRunner

    import sim.runs.dask
    from sim.cli import app

    monkeypatch.setattr(sim.runs.dask, "CONNECT_TIMEOUT_S", 1)
    path = tmp_path / "s.yaml"
    path.write_text(__import__("yaml").safe_dump(SCENARIO))
    result = CliRunner().invoke(app, ["run", str(path), "--scheduler", "tcp://127.0.0.1:9",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "could not reach the Dask scheduler at 'tcp://127.0.0.1:9'" in result.output
    assert not (tmp_path / "out").exists()
