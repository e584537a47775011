"""Outputs never cost a user's files: only folders riskmodel wrote are replaced, links are
not followed, write faults are one line with earlier outputs intact, files respect the
umask, CSV cells cannot run as formulas, and exports read back (docs/RELIABILITY.md)."""

from __future__ import annotations

import csv
import errno
import json
import os
import stat
from pathlib import Path
from xml.etree import ElementTree

import networkx as nx
import pytest
import yaml
from typer.testing import CliRunner

import sim
from sim import Scenario, build_world
from sim.analysis.sweep import sweep
from sim.cli import app
from sim.errors import RunError
from sim.output.files import write_rows
from sim.world.graph import to_networkx, write_graph

TINY = {
    "name": "tiny", "seed": 5, "horizon_days": 30, "replications": 2,
    "audience": {"users": 500, "social": {"mean_degree": 4, "max_degree": 40,
                                          "community_size": 100}},
    "matrix": {"layout": "1+1+1+1", "leader": "leader_1",
               "accounts": [{"id": "leader_1", "role": "leader", "followers": 100_000,
                             "label": '=HYPERLINK("http://x","y")'}]},
    "outputs": {"charts": [], "report": True},
}
NO_SPACE = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def _scenario_file(folder: Path, **changes: object) -> Path:
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump({**TINY, **changes}, sort_keys=False), encoding="utf-8")
    return path


def _refused(result, *fragments: str) -> None:
    """Exit status 2, one error line holding every fragment, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _no_world(*args, **kwargs):
    raise AssertionError("the world was built")


@pytest.fixture(scope="module")
def tiny() -> sim.RunResult:
    return sim.run(Scenario.model_validate(TINY), workers=1)


@pytest.fixture
def earlier(tmp_path: Path, tiny) -> Path:
    """A run folder riskmodel wrote, with a sweep inside."""
    folder = sim.save(tiny, tmp_path / "out")
    sim.save(sweep(Scenario.model_validate(TINY), {"seed": [1]}, workers=1), folder / "sweep")
    return folder


# --- only riskmodel's folders are replaced ----------------------------------------------------


def test_out_at_a_users_folder_is_refused_before_simulating(tmp_path, monkeypatch):
    """--out at a folder holding a user's file: exit 2 naming the file; the file intact."""
    monkeypatch.setattr("sim.runs.montecarlo.build_world", _no_world)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "keep.txt").write_text("mine", encoding="utf-8")
    _refused(_invoke("run", _scenario_file(tmp_path), "--out", notes),
             f"{notes}: --out: expected a new or empty folder, or one riskmodel wrote; found "
             "keep.txt in it, which riskmodel did not write")
    assert _snapshot(notes) == {"keep.txt": b"mine"}


def test_outputs_dir_at_a_users_folder_is_refused(tmp_path, monkeypatch):
    """The same when the folder comes from the scenario's outputs.dir, named as such."""
    monkeypatch.setattr("sim.runs.montecarlo.build_world", _no_world)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "keep.txt").write_text("mine", encoding="utf-8")
    path = _scenario_file(tmp_path, outputs={"dir": str(notes), "charts": []})
    for command in (["run", path], ["sweep", path, "--set", "seed=1,2"]):
        target = notes if command[0] == "run" else notes / "sweep"
        if command[0] == "sweep":
            target.mkdir()
            (target / "keep.txt").write_text("mine", encoding="utf-8")
        _refused(_invoke(*command), f"{target}: outputs.dir: expected a new or empty folder")
    assert _snapshot(notes) == {"keep.txt": b"mine", "sweep/keep.txt": b"mine"}


@pytest.mark.parametrize("name", [".", ".."])
def test_name_of_dots_is_refused_at_its_key(tmp_path, monkeypatch, name):
    """`name: '.'` or `'..'` would make outputs/ itself or its parent the run folder:
    refused at the key, outputs/README.md intact."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "README.md").write_text("readme", encoding="utf-8")
    _refused(_invoke("run", _scenario_file(tmp_path, name=name)),
             "tiny.yaml:1: name: expected a name for the output folder", f"found '{name}'")
    assert _snapshot(tmp_path / "outputs") == {"README.md": b"readme"}


@pytest.mark.parametrize("out", ["", ".", "..", "/"])
def test_out_that_is_no_folder_name_is_refused(tmp_path, monkeypatch, out):
    """`--out ''` (the current folder), `.`, `..` and `/` are refused; nothing changes."""
    monkeypatch.setattr("sim.runs.montecarlo.build_world", _no_world)
    path = _scenario_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    _refused(_invoke("run", path, "--out", out),
             "--out: expected a path ending in a folder name, not the current or parent folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]


def test_empty_folder_is_used(tmp_path, tiny):
    """An existing empty folder is fine to write into."""
    (tmp_path / "empty").mkdir()
    assert (sim.save(tiny, tmp_path / "empty") / "summary.json").is_file()


def test_rerun_into_its_own_output_keeps_analyses(tmp_path, tiny, earlier):
    """A run folder riskmodel wrote is replaced; its sweep is carried over and stays in the
    new report; the manifest marks the folder and lists its files."""
    sweep_files = _snapshot(earlier / "sweep")
    sim.save(tiny, earlier)
    assert _snapshot(earlier / "sweep") == sweep_files
    assert 'id="analyses"' in (earlier / "report.html").read_text(encoding="utf-8")
    marker = json.loads((earlier / "manifest.json").read_text(encoding="utf-8"))["riskmodel"]
    assert marker == {"output": "run", "files": ["attribution.csv", "report.html",
                                                 "summary.json", "timeseries.csv"]}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_users_file_inside_an_earlier_output_is_never_deleted(earlier, tiny):
    """A file the user added to riskmodel's folder (or to its sweep) makes it the user's:
    the run is refused and the folder left byte for byte."""
    for where in (earlier, earlier / "sweep"):
        (where / "notes.txt").write_text("mine", encoding="utf-8")
        before = _snapshot(earlier)
        with pytest.raises(RunError, match=r"notes\.txt in it, which riskmodel did not write"):
            sim.save(tiny, earlier)
        assert _snapshot(earlier) == before
        (where / "notes.txt").unlink()


def test_symlinks_in_an_earlier_output_are_not_followed(tmp_path, earlier, tiny):
    """A link inside an earlier output (here to /dev/zero, or to a user's folder) is not
    riskmodel's: the folder is refused, nothing read or copied through the link."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "big.bin").write_bytes(b"x" * 1000)
    for name, target in (("sweep/zero", Path("/dev/zero")), ("linked", elsewhere)):
        link = earlier / name
        link.symlink_to(target)
        with pytest.raises(RunError, match=f"found {name} in it"):
            sim.save(tiny, earlier)
        assert link.is_symlink() and _snapshot(elsewhere) == {"big.bin": b"x" * 1000}
        link.unlink()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    sim.save(tiny, earlier)  # with the links gone, the folder is riskmodel's again


def test_out_that_is_a_symlink_is_refused(tmp_path, earlier, tiny):
    """--out naming a link (even to riskmodel's folder) is refused, the link kept."""
    link = tmp_path / "link"
    link.symlink_to(earlier)
    with pytest.raises(RunError, match="expected a folder to write the outputs into; found a "
                                       "symbolic link"):
        sim.save(tiny, link)
    assert link.is_symlink()


def test_sweep_beside_a_users_report_leaves_it_alone(tmp_path):
    """A sweep written into a user's folder does not rewrite the report.html there."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "report.html").write_text("<main>\n</main>\n", encoding="utf-8")
    sim.save(sweep(Scenario.model_validate(TINY), {"seed": [1]}, workers=1), notes / "sweep")
    assert (notes / "report.html").read_text(encoding="utf-8") == "<main>\n</main>\n"


# --- faults while writing ---------------------------------------------------------------------


def test_full_disk_while_saving_is_one_line_and_keeps_earlier_outputs(
        tmp_path, earlier, monkeypatch):
    """ENOSPC while writing the attribution table: exit 2 and one line naming the file and
    the reason; the earlier outputs byte-identical, no temporary folder left."""
    before = _snapshot(earlier)

    def full(path, rows):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr("sim.output.run.save.write_rows", full)
    _refused(_invoke("run", _scenario_file(tmp_path), "--out", earlier, "--workers", "1"),
             f"could not write {earlier / 'attribution.csv'}: No space left on device; "
             f"{earlier} left as it was")
    assert _snapshot(earlier) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("code", [errno.EPERM, errno.EACCES, errno.EROFS])
def test_folder_that_cannot_be_replaced_is_one_line(tmp_path, earlier, tiny, monkeypatch,
                                                    code):
    """An immutable (EPERM), permission-denied (EACCES) or read-only (EROFS) output folder
    found at the swap: RunError naming it, the earlier folder intact. Simulated, since
    root may write anyway."""
    before = _snapshot(earlier)
    rename = Path.rename

    def refuse(self, target):
        if self == earlier:
            raise OSError(code, os.strerror(code), str(self))
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", refuse)
    with pytest.raises(RunError, match=f"could not write {earlier}: {os.strerror(code)}; "
                                       f"{earlier} left as it was"):
        sim.save(tiny, earlier)
    assert _snapshot(earlier) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_failed_move_into_place_puts_the_earlier_folder_back(tmp_path, earlier, tiny,
                                                             monkeypatch):
    """If the new folder cannot be moved in after the old one was moved aside, the old one
    is moved back."""
    before = _snapshot(earlier)
    rename = Path.rename

    def refuse_new(self, target):
        if Path(target) == earlier and self.name.endswith(".tmp"):
            raise NO_SPACE
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", refuse_new)
    with pytest.raises(RunError, match="No space left on device"):
        sim.save(tiny, earlier)
    assert _snapshot(earlier) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_world_export_to_a_folder_is_refused(tmp_path):
    """`world --export` naming a folder: exit 2 before the world is built, folder intact."""
    folder = tmp_path / "world.graphml"
    folder.mkdir()
    result = _invoke("world", _scenario_file(tmp_path), "--export", folder)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "which is a folder" in result.stderr
    assert list(folder.iterdir()) == []


def test_world_export_below_a_file_is_refused_first(tmp_path, monkeypatch):
    """`world --export` to a path below a file: exit 2, one line, before the world is built;
    the file intact."""
    monkeypatch.setattr("sim.cli.build_world", _no_world)
    blocker = tmp_path / "notes"
    blocker.write_text("mine", encoding="utf-8")
    _refused(_invoke("world", _scenario_file(tmp_path), "--export", blocker / "w.gexf"),
             f"{blocker / 'w.gexf'}: --export: expected a path inside folders; found "
             f"{blocker}, which is a file")
    assert blocker.read_text(encoding="utf-8") == "mine"


def test_world_export_on_a_full_disk_is_one_line(tmp_path, monkeypatch):
    """ENOSPC while exporting: exit 2, one line; the earlier export intact, no temporary
    file left."""
    export = tmp_path / "world.graphml"
    export.write_text("previous export", encoding="utf-8")

    def full(G, path):
        Path(path).write_text("half", encoding="utf-8")
        raise NO_SPACE

    monkeypatch.setattr(nx, "write_graphml", full)
    _refused(_invoke("world", _scenario_file(tmp_path), "--export", export),
             f"could not write {export}: No space left on device; {export} left as it was")
    assert export.read_text(encoding="utf-8") == "previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml", "world.graphml"]


@pytest.mark.parametrize("budget", ["inf", "nan", "-1"])
def test_budget_must_be_a_finite_number(tmp_path, monkeypatch, budget):
    """`recommend --budget inf` or `nan`: exit 2, one line saying what a budget must be."""
    monkeypatch.setattr("sim.runs.montecarlo.build_world", _no_world)
    out = tmp_path / "rec"
    _refused(_invoke("recommend", _scenario_file(tmp_path), "--budget", budget, "--out", out),
             "--budget: expected a finite number >= 0 (currency units per month); found")
    assert not out.exists()


# --- permissions, CSV cells, exports ----------------------------------------------------------


def test_outputs_respect_the_umask(tmp_path, tiny):
    """With umask 022: the output folder (and a sweep in it) 755, report.html (also once a
    sweep rewrote it), the tables and an export 644."""
    previous = os.umask(0o022)
    try:
        folder = sim.save(tiny, tmp_path / "out")
        sim.save(sweep(Scenario.model_validate(TINY), {"seed": [1]}, workers=1), folder / "sweep")
        export = tmp_path / "world.gexf"
        write_graph(to_networkx(build_world(Scenario.model_validate(TINY))), export)
    finally:
        os.umask(previous)

    def mode(p: Path) -> int:
        return stat.S_IMODE(p.stat().st_mode)

    assert mode(folder) == mode(folder / "sweep") == 0o755
    assert {p.name: mode(p) for p in [*folder.iterdir(), export] if p.is_file()} == dict.fromkeys(
        ["attribution.csv", "manifest.json", "report.html", "summary.json", "timeseries.csv",
         "world.gexf"], 0o644)


def test_formula_cells_are_neutralized_but_numbers_are_not(tmp_path, tiny):
    """Text a spreadsheet would run (= + - @, tab, CR first) gets a leading '; numbers,
    negative ones and text that reads as a number, stay as they are."""
    text = ["=HYPERLINK(\"http://x\")", "+A1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", "-2.5"]
    write_rows(tmp_path / "t.csv", [{"text": t, "number": -3.5} for t in text])
    with (tmp_path / "t.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["text"] for r in rows] == ["'" + t for t in text[:6]] + ["plain", "-2.5"]
    assert {r["number"] for r in rows} == {"-3.5"}
    folder = sim.save(tiny, tmp_path / "out")
    with (folder / "attribution.csv").open(newline="", encoding="utf-8") as fh:
        labels = {r["id"]: r["label"] for r in csv.DictReader(fh)}
    assert labels["leader_1"] == "'" + TINY["matrix"]["accounts"][0]["label"]


def _declared(path: Path) -> list[tuple[str, str]]:
    """The attributes a GraphML or GEXF file declares, as (nodes or edges, name)."""
    def tag(e: ElementTree.Element) -> str:
        return e.tag.rsplit("}", 1)[-1]

    root = ElementTree.parse(path).getroot()
    if path.suffix == ".graphml":
        return [(e.get("for"), e.get("attr.name")) for e in root if tag(e) == "key"]
    return [(group.get("class"), e.get("title")) for group in root.iter()
            if tag(group) == "attributes" for e in group]


@pytest.mark.parametrize("suffix", [".gexf", ".graphml"])
def test_exports_read_back_with_the_same_attributes(tmp_path, suffix):
    """GEXF and GraphML exports read back with networkx: every node and edge with the
    attributes and types written (the reader may add its own, such as GEXF's id); each
    attribute declared once, with one type."""
    G = to_networkx(build_world(Scenario.model_validate(TINY)))
    path = tmp_path / f"world{suffix}"
    write_graph(G, path)
    declared = _declared(path)
    assert len(declared) == len(set(declared)), declared
    H = nx.read_gexf(path) if suffix == ".gexf" else nx.read_graphml(path)
    assert set(H) == set(G) and H.number_of_edges() == G.number_of_edges()
    for n, data in G.nodes(data=True):
        got = H.nodes[n]
        assert {k: (got[k], type(got[k])) for k in data} == \
            {k: (v, type(v)) for k, v in data.items()}, n
    for u, v, data in G.edges(data=True):
        assert {k: H.edges[u, v][k] for k in data} == data
