"""Scale: what one simulated user standing for many people means, said in the report; an
imported audience run at scale 1."""

from __future__ import annotations

import numpy as np

import sim
from sim.output.run.report import render_report

LAYOUT = {"layout": "1+1+1+2", "leader": "leader_1"}


def _run(tmp_path, audience: dict) -> sim.RunResult:
    scenario = sim.Scenario.model_validate({
        "name": "scale", "seed": 3, "horizon_days": 20, "replications": 2,
        "audience": audience, "matrix": LAYOUT,
        "events": [{"kind": "exit", "target": "leader_1", "day": 10}]})
    return sim.run(scenario, tmp_path, workers=1)


def test_imported_audience_runs_at_scale_one_with_accounts_capped(tmp_path):
    """At scale 1 every simulated user is a person: the imported graph's 400 users are the
    audience, an account with more followers is capped at all of them, and the report
    says so (and says nothing of blocks)."""
    rng = np.random.default_rng(0)
    pairs = rng.integers(400, size=(2_000, 2))
    (tmp_path / "ties.txt").write_text("".join(f"{a} {b}\n" for a, b in pairs if a != b))
    result = _run(tmp_path, {"import": {"graph": "ties.txt"}, "scale": 1,
                             "platform": "facebook"})
    assert result.scale == 1 and result.n_users == 400
    assert result.simulated_followers()["brand"] == 400
    page = render_report(result, {})
    assert "Capped: brand" in page and "block of" not in page


def test_report_states_the_block_size_and_coarse_accounts(tmp_path):
    """At a scale above 1 the report says how many people a simulated user stands for and
    names the accounts with fewer than 30 simulated followers."""
    result = _run(tmp_path, {"users": 2_000})
    simulated = result.simulated_followers()
    coarse = [a for a, n in simulated.items() if n < 30]
    assert result.scale > 100 and coarse
    page = render_report(result, {})
    assert f"a block of {result.scale:,.0f} people" in page
    assert "Coarse: " + ", ".join(coarse) in page
