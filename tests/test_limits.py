"""Limits of the schema and of the resource estimate: whatever validates runs to the end,
and what would not is refused at its key, quickly and in little memory (the rows of
docs/RELIABILITY.md marked M)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import sim
from sim import Scenario, ScenarioError, load_scenario
from sim.analysis.compare import compare
from sim.analysis.sweep import sweep
from sim.cli import app
from sim.output.run.charts import DRAWN_EDGES, _influence_graph
from sim.runs import guard
from sim.runs.batch import MAX_RUNS
from sim.scenario.schema import MAX_ACCOUNTS, MAX_LABEL

ROOT = Path(__file__).resolve().parent.parent
TINY = {
    "name": "tiny", "seed": 4, "horizon_days": 20, "replications": 2,
    "audience": {"users": 500, "social": {"mean_degree": 6, "max_degree": 50,
                                          "community_size": 50}},
    "matrix": {"layout": "1+1+2+2", "leader": "leader_1"},
    "events": [{"kind": "exit", "target": "leader_1", "day": 10}],
    "outputs": {"charts": ["svg"], "report": False},
}
CHILD_BYTES = 2**30  # address space of a command run on hostile input
CHILD_SECONDS = 10  # wall time such a command may take (it needs about 2 s)
CHILD = """\
import resource, sys
from sim.cli import app
try:
    app()
finally:
    print("maxrss_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def _write(path: Path, data: dict | str) -> Path:
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False, width=10**9)
    path.write_text(text, encoding="utf-8")
    return path


def _bounded(*args: str | Path) -> tuple[subprocess.CompletedProcess, float, int]:
    """Run ``riskmodel ARGS`` in a child capped at ``CHILD_BYTES`` of address space and
    killed after a minute; returns it, its wall time and its peak resident size (bytes)."""
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_BYTES, CHILD_BYTES))

    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], capture_output=True,
                          text=True, timeout=60, preexec_fn=cap, cwd=ROOT)
    peak = int(proc.stderr.rsplit("maxrss_kib", 1)[1]) * 1024
    return proc, time.perf_counter() - started, peak


def _issues(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(issue) for issue in info.value.issues]


def _invoke(*args: str | Path):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


# --- item 3: what the memory guard did not see ------------------------------------------------

HOSTILE = {
    "layout-300009": ({"matrix": {"layout": "1+5+3+300000"}}, "matrix.layout",
                      "expected at most 1,000 accounts in all; found '1+5+3+300000' "
                      "(300,009 accounts)"),
    "layout-20000003": ({"matrix": {"layout": "1+1+2+19999999"}}, "matrix.layout",
                        "expected at most 1,000 accounts"),
    "layout-2000003": ({"matrix": {"layout": "1+1+2000000+1"}}, "matrix.layout",
                       "expected at most 1,000 accounts"),
    "layout-5000-digits": ({"matrix": {"layout": "1+1+1+" + "9" * 5000}}, "matrix.layout",
                           "expected at most 1,000 accounts"),
    "named-beyond-layout": ({"matrix": {"layout": "1+0+0+999", "accounts": [
        {"id": f"e{i}", "role": "employee"} for i in range(5)]}}, "matrix.accounts",
        "expected at most 1,000 accounts (the layout and the named accounts together); "
        "found 1,005"),
    "label-500kb": ({"matrix": {"layout": "1+1+1+1", "accounts": [
        {"id": "brand", "role": "brand", "label": "x" * 500_000}]}},
        "matrix.accounts[0].label", f"expected at most {MAX_LABEL} characters; found 500,000"),
    "id-100": ({"matrix": {"layout": "1+1+1+1", "accounts": [
        {"id": "a" * 100, "role": "leader"}]}}, "matrix.accounts[0].id",
        "expected at most 64 characters; found 100"),
    "followers-1e308": ({"matrix": {"layout": "1+1+1+1", "roles": {
        "leader": {"followers": 1e308}}}}, "matrix.roles.leader.followers",
        "expected <= 10000000000; found 1e+308"),
    "posts-1e300": ({"matrix": {"layout": "1+1+1+1", "roles": {
        "brand": {"posts_per_day": 1e300}}}}, "matrix.roles.brand.posts_per_day",
        "expected <= 100"),
    "cost-1e300": ({"matrix": {"layout": "1+1+1+1", "roles": {
        "brand": {"monthly_cost": 1e300}}}}, "matrix.roles.brand.monthly_cost",
        "expected <= 1000000000000"),
    "campaign-factor": ({"matrix": {"layout": "1+1+1+1"}, "events": [
        {"kind": "campaign", "target": "brand", "day": 1, "factor": 1e300}]},
        "events[0].factor", "expected <= 10"),
}


def test_hostile_sizes_and_numbers_are_refused_quickly_in_little_memory(tmp_path):
    """Layouts of 300,009 to 10^5000 accounts, a 500 KB label and numbers that overflow sums
    are refused at their key and line by `validate`, exit 2, each file in well under a
    second and the whole command within 1 GiB of address space."""
    paths = {name: _write(tmp_path / f"{name}.yaml", {"name": "h", **data})
             for name, (data, _, _) in HOSTILE.items()}
    proc, seconds, peak = _bounded("validate", *paths.values())
    assert proc.returncode == 2, proc.stderr
    assert seconds < CHILD_SECONDS and peak < 2**29, (seconds, peak)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    for name, (_, key, fragment) in HOSTILE.items():
        [line] = [x for x in lines if x.startswith(f"error {paths[name]}:")]
        assert f": {key}: {fragment}" in line, line
    assert f"{len(HOSTILE)} of {len(HOSTILE)} file(s) have errors" in proc.stderr


def test_accounts_csv_beyond_the_limit_is_refused_before_it_is_read_whole(tmp_path):
    """An accounts CSV with more rows than the limit allows is refused at the scenario's
    accounts_csv key, after reading one row more than the limit."""
    with (tmp_path / "accounts.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "role"])
        w.writerows([f"d{i}", "dealer"] for i in range(MAX_ACCOUNTS + 5))
    path = _write(tmp_path / "s.yaml", "name: s\nmatrix:\n  layout: 1+0+0+0\n"
                                       "  accounts_csv: accounts.csv\n")
    [issue] = _issues(path)
    assert issue.startswith(f"{path}:4: matrix.accounts_csv: expected at most 1,000 accounts")


def test_scenario_at_the_limits_runs_to_the_end(tmp_path):
    """Every maximum at once (followers, posts, cost, campaign factor) on a tiny audience
    validates, runs and writes every output; so does a single replication."""
    at_limits = TINY | {
        "replications": 1,
        "matrix": {"layout": "1+1+2+2", "leader": "leader_1", "roles": {
            "brand": {"followers": 1e10, "posts_per_day": 100, "monthly_cost": 1e12}},
            "accounts": [{"id": "leader_1", "role": "leader", "label": "L" * MAX_LABEL}]},
        "events": TINY["events"] + [{"kind": "campaign", "target": "brand", "day": 2,
                                     "factor": 10}]}
    path = _write(tmp_path / "limits.yaml", at_limits)
    result = sim.run(load_scenario(path), tmp_path, workers=1)
    folder = sim.save(result, tmp_path / "out")
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["replications"] == 1
    assert set(summary["half_width_95"].values()) == {None}  # one replication: no interval
    assert (folder / "influence.svg").exists()


def test_the_estimate_sees_accounts_and_their_pairs():
    """Each account adds its share of a replication's states to every worker, and the dense
    amplification weights grow with the square of the accounts."""
    def peak(layout: str, workers: int = 2) -> int:
        scenario = sim.resolve_scenario(Scenario.model_validate(TINY | {
            "matrix": {"layout": layout}, "events": []}))
        return guard.estimate(scenario, workers).peak_bytes

    small, large = peak("1+5+3+20"), peak(f"1+5+3+{MAX_ACCOUNTS - 9}")
    linear = 2 * (guard.ENGINE_PER_ACCOUNT + guard.ENGINE_PER_ACCOUNT_DAY * TINY["horizon_days"])
    square = 2 * (1 + guard.ENGINE_STATES) * guard.WORLD_PER_PAIR * (MAX_ACCOUNTS**2 - 29**2)
    assert large - small >= linear * (MAX_ACCOUNTS - 29) + square
    assert peak("1+5+3+20", workers=1) < small


def test_a_batch_counts_every_result_it_keeps():
    """A batch's estimate is its largest run's plus the results of all the others, and its
    time the sum of theirs."""
    scenario = sim.resolve_scenario(Scenario.model_validate(TINY))
    one = guard.estimate(scenario, 2)
    many = guard.estimate_batch([scenario] * 101, 2)
    assert many.run_bytes - one.run_bytes == 100 * guard._result_bytes(scenario)
    assert many.seconds == pytest.approx(101 * one.seconds)
    assert "over 101 runs whose results are kept" in many.describe()


def _no_world(*args, **kwargs):
    raise AssertionError("a world was built")


def test_sweep_grid_too_large_is_refused_before_any_point(tmp_path, monkeypatch):
    """A grid of 120,400 points is refused naming its size, before a point's scenario or
    world is built."""
    monkeypatch.setattr("sim.analysis.sweep.override", _no_world)
    monkeypatch.setattr("sim.runs.batch.build_world", _no_world)
    grid = {"seed": list(range(344)), "audience.users": list(range(1000, 1350))}
    with pytest.raises(ScenarioError) as info:
        sweep(Scenario.model_validate(TINY), grid, tmp_path)
    [issue] = info.value.issues
    assert str(issue) == (f"--set: (grid): expected at most {MAX_RUNS:,} runs; found 120,400 "
                          "(344 values of seed x 350 values of audience.users)")


def test_sensitivity_samples_are_bounded(tmp_path, monkeypatch):
    """`--samples 1000000000` is refused before any sample is drawn or world built, exit 2;
    in a parameter file the same number is refused at its line."""
    monkeypatch.setattr("sim.analysis.sensitivity.design", _no_world)
    monkeypatch.setattr("sim.runs.batch.build_world", _no_world)
    scenario = _write(tmp_path / "s.yaml", TINY)
    params = _write(tmp_path / "p.yaml", "parameters:\n"
                    "  - {key: audience.users, bounds: [400, 600], integer: true}\n"
                    "method: morris\n")
    result = _invoke("sensitivity", scenario, "--params", params, "--samples", "1000000000",
                     "--out", tmp_path / "out")
    assert result.exit_code == 2 and not (tmp_path / "out").exists()
    assert (f"error --samples: samples: expected at most {MAX_RUNS:,} runs; found "
            "2,000,000,000 (1,000,000,000 morris samples of 1 parameter(s))") in result.stderr
    in_file = _write(tmp_path / "p2.yaml", params.read_text() + "samples: 1000000000\n")
    result = _invoke("sensitivity", scenario, "--params", in_file, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{in_file}:4: samples: expected <= {MAX_RUNS}; found 1000000000" in result.stderr


def test_influence_chart_draws_the_heaviest_ties_only():
    """Of a full mesh of amplification among 60 dealers (3,540 ties) the influence chart
    draws the 200 heaviest, and says so."""
    mesh = TINY | {"matrix": {"layout": "1+0+0+60"}, "events": [],
                   "amplification": [{"source": "role:dealer", "target": "role:dealer",
                                      "weight": 0.01},
                                     {"source": "dealer_1", "target": "role:dealer",
                                      "weight": 0.5}]}
    result = sim.run(Scenario.model_validate(mesh | {"horizon_days": 3}), workers=1)
    G, _ = _influence_graph(result)
    assert G.graph["ties"] == 60 * 59 and G.number_of_edges() == DRAWN_EDGES
    assert all(w == 0.5 for s, _, w in G.edges(data="weight") if s == "dealer_1")
    assert "the 200 heaviest of 3,540 ties drawn" in \
        sim.plot(result, "influence").axes[0].get_title(loc="left")


# --- item 10: accepted but meaningless --------------------------------------------------------

@pytest.mark.parametrize(("events", "where"), [
    ([{"kind": "succession", "target": "leader_2", "predecessor": "leader_2", "day": 3}],
     ":9: events[0].predecessor: expected an account other than the successor (the target); "
     "found 'leader_2', which the target 'leader_2' names too"),
    ([{"kind": "succession", "target": "role:leader", "day": 3}],
     ":8: events[0].target: expected successors other than the predecessor (matrix.leader, "
     "'leader_1'); found 'role:leader', which names it"),
    ([{"kind": "exit", "target": "brand", "day": 3}],
     ":8: events[0].target: expected an account other than the brand account"),
    ([{"kind": "exit", "target": "role:brand", "day": 3}],
     ":8: events[0].target: expected an account other than the brand account"),
], ids=["own-predecessor", "leader-among-successors", "exit-of-brand", "exit-of-role-brand"])
def test_meaningless_events_are_refused_at_their_key(tmp_path, events, where):
    """A succession whose predecessor is one of its successors, and an exit of the brand
    account, are refused at the key that makes them meaningless."""
    path = _write(tmp_path / "s.yaml", {"name": "s", "horizon_days": 30,
                                        "matrix": {"layout": "1+1+2+1", "leader": "leader_1"},
                                        "events": events})
    [issue] = _issues(path)
    assert issue.startswith(str(path) + where), issue


@pytest.mark.parametrize(("audience", "where"), [
    ({"users": 2000, "scale": 1e300}, "audience.scale: expected <= 10000000000; found 1e+300"),
    ({"users": 200_000, "scale": 1e6}, "audience.scale: expected at most 10,000,000,000 real "
     "people (audience.users x audience.scale); found 200,000,000,000 (200,000 x 1e+06)"),
], ids=["scale-1e300", "more-people-than-on-earth"])
def test_scale_beyond_the_people_on_earth_is_refused(tmp_path, audience, where):
    """A scale whose audience stands for more people than live on Earth is refused."""
    path = _write(tmp_path / "s.yaml", {"name": "s", "matrix": {"layout": "1+1+1+1"},
                                        "audience": audience})
    [issue] = _issues(path)
    assert issue.startswith(f"{path}:") and where in issue, issue


def _imported(tmp_path: Path, **audience) -> Path:
    """A scenario importing a ring of 120 users, the first 100 of whom follow the brand."""
    (tmp_path / "ties.txt").write_text("".join(f"{i} {(i + 1) % 120}\n" for i in range(120)))
    (tmp_path / "fans.csv").write_text("user,account\n" + "".join(
        f"{i},brand\n" for i in range(100)))
    data = TINY | {"audience": {"import": {"graph": "ties.txt", "followers": "fans.csv"},
                                **audience}}
    return _write(tmp_path / "imp.yaml", data)


def test_users_beside_an_imported_graph_are_refused(tmp_path):
    """`users: 3000` with an imported graph contradicts the graph's users: refused at its
    line."""
    path = _imported(tmp_path, users=3000)
    [issue] = _issues(path)
    assert issue == (f"{path}:9: audience.users: expected no audience.users with "
                     "audience.import.graph (the imported graph's users are the audience); "
                     "found 3,000")


def test_imported_counts_are_what_show_manifest_and_attribution_report(tmp_path):
    """With an imported graph and followers, `show` names the imports instead of a user
    count; the run's summary has the graph's 120 users, the manifest no other count, and
    attribution.csv the brand's 100 imported followers."""
    path = _imported(tmp_path)
    shown = _invoke("show", path)
    assert shown.exit_code == 0
    assert shown.stdout.startswith("# audience: the users, ties and any follower sets of "
                                   "ties.txt\n# accounts' followers: the counts in fans.csv")
    assert "users:" not in yaml.safe_load(shown.stdout)["audience"]
    result = _invoke("run", path, "--workers", "1", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["users"] == 120
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert "users" not in manifest["scenario"]["audience"]
    with (tmp_path / "out" / "attribution.csv").open() as fh:
        start = {row["id"]: float(row["followers_start"]) for row in csv.DictReader(fh)}
    assert start["brand"] == 100 and start["leader_1"] == 0


def test_compare_refuses_a_later_file_with_another_horizon(tmp_path, monkeypatch):
    """Layouts are compared over the first file's horizon: a later file stating another is
    refused at its line before anything runs; one leaving it out is fine."""
    monkeypatch.setattr("sim.analysis.compare.run", _no_world)
    first = _write(tmp_path / "a.yaml", TINY)
    later = _write(tmp_path / "b.yaml", TINY | {"name": "b", "horizon_days": 180})
    result = _invoke("compare", first, later)
    assert result.exit_code == 2
    assert (f"error {later}:3: horizon_days: expected the first file's horizon_days (20; "
            "layouts are compared over one horizon, the first file's) or none; found 180"
            ) in result.stderr
    silent = dict(TINY, name="c")
    del silent["horizon_days"]
    with pytest.raises(AssertionError, match="a world was built"):
        compare([first, _write(tmp_path / "c.yaml", silent)])


def test_compare_refuses_a_normalization_past_the_posting_limit():
    """Normalizing by cost a layout that costs next to nothing would make its accounts post
    beyond the limit: refused, naming the variant."""
    cheap = {"name": "cheap", "matrix": {"roles": {r: {"monthly_cost": 1e-6} for r in
                                                   ("brand", "self_operated", "leader",
                                                    "dealer")}}}
    scenario = Scenario.model_validate(TINY | {"variants": [{"name": "first"}, cheap],
                                               "normalize": "cost"})
    with pytest.raises(ScenarioError, match="variant 'cheap': normalize: expected at most 100 "
                       "posts per day of an account once normalized by cost"):
        compare(scenario)


def test_recommend_runs_on_the_bundled_brand_centric_layout(tmp_path):
    """Candidates without self-operated accounts leave out the amplification edge to them,
    as they leave out events on accounts they lack, so the search runs."""
    result = _invoke("recommend", ROOT / "scenarios" / "layouts" / "brand_centric.yaml",
                     "--budget", "50000", "--max-evaluations", "3", "--replications", "2",
                     "--users", "300", "--workers", "1", "--out", tmp_path / "rec")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "rec" / "candidates.csv").open()))
    assert len(rows) == 3 and "0" in {r["self_operated"] for r in rows}


# --- item 8: the fuzz tests are bounded -------------------------------------------------------

def test_fuzz_tests_are_bounded_whether_or_not_ci_is_set(tmp_path):
    """The fuzz settings fix the examples and a deadline per example themselves, and a
    mutated layout whose term repeats is refused by the loader, not expanded."""
    from test_inputs_fuzz import FUZZ, SCENARIO

    assert FUZZ.max_examples <= 1000 and FUZZ.deadline is not None
    assert FUZZ.deadline.total_seconds() <= 10
    path = _write(tmp_path / "fuzz.yaml", SCENARIO.replace("layout: 1+1+2+1",
                                                           "layout: 1+1+2+" + "1" * 200))
    [issue] = _issues(path)
    assert f"{path}:7: matrix.layout: expected at most 1,000 accounts" in issue
