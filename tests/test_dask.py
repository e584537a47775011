"""Replications as Dask tasks give exactly the figures of a local run."""

from __future__ import annotations

import numpy as np
import pytest

from sim import Scenario
from sim.analysis.compare import compare
from sim.analysis.recommend import recommend
from sim.analysis.sensitivity import SensitivitySpec, sensitivity
from sim.analysis.sweep import sweep
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


def test_every_batch_command_on_one_dask_cluster_equals_a_local_run():
    """sweep, sensitivity, compare and recommend on a scheduler's address: the same
    results as in this process, run by run."""
    scenario = Scenario.model_validate(SCENARIO | {"replications": 2})
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        grid = {"matrix.accounts.founder.posts_per_day": [1, 3]}
        for a, b in zip(sweep(scenario, grid, workers=1).results,
                        sweep(scenario, grid, scheduler=address).results):
            _same(a, b)
        spec = SensitivitySpec.model_validate({"method": "morris", "samples": 2, "parameters": [
            {"key": "matrix.accounts.founder.posts_per_day", "label": "posts",
             "bounds": [1, 4]}]})
        assert np.array_equal(sensitivity(scenario, spec, workers=1).y["sdi"],
                              sensitivity(scenario, spec, scheduler=address).y["sdi"])
        layouts = scenario.model_copy(update={"variants": [
            {"name": "own"}, {"name": "more", "matrix": {"layout": "1+3+2+2"}}]})
        layouts = Scenario.model_validate(layouts.model_dump(mode="json", by_alias=True))
        for a, b in zip(compare(layouts, workers=1).results,
                        compare(layouts, scheduler=address).results):
            _same(a, b)
        found = [recommend(scenario, 1e9, replications=2, max_evaluations=3, users=500,
                           **where).candidates for where in ({"workers": 1},
                                                            {"scheduler": address})]
        assert [c.figures for c in found[0]] == [c.figures for c in found[1]]


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
