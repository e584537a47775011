"""Writing a run's outputs: tables, JSON, charts and the report, all or nothing
(:func:`sim.output.files.atomic_dir`)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from sim.i18n import preferred
from sim.output.analysis.report import add_analyses
from sim.output.files import atomic_dir, default_dir, output_kind, write_json, write_rows
from sim.output.run.charts import draw_charts
from sim.output.run.report import render_report
from sim.runs.results import VARIANTS, RunResult, summary
from sim.scenario.schema import ROLES

__all__ = ["save_run"]


def save_run(result: RunResult, out_dir: str | Path | None = None) -> Path:
    """Write every output of ``result`` into ``out_dir`` (default :func:`default_dir`)
    atomically; returns the folder."""
    out_dir = Path(out_dir) if out_dir is not None else default_dir(result)
    with preferred(result.scenario.outputs.lang), \
            atomic_dir(out_dir, "run", _run_facts(result)) as tmp:
        write_json(tmp / "summary.json", summary(result))
        _write_timeseries(tmp / "timeseries.csv", result)
        write_rows(tmp / "attribution.csv", result.attribution())
        charts = draw_charts(result, tmp, result.scenario.outputs.charts)
        _keep_analyses(out_dir, tmp)
        if result.scenario.outputs.report:
            (tmp / "report.html").write_text(add_analyses(render_report(result, charts), tmp),
                                             encoding="utf-8")
    return out_dir


def _keep_analyses(earlier: Path, tmp: Path) -> None:
    """Carry the earlier run folder's analyses (``sweep/``, ``sensitivity/``, ``compare/``,
    ``recommend/``: its subfolders with a riskmodel manifest) over into the new one, so a
    new run does not delete them; links are copied as links, never followed."""
    if earlier.is_dir():
        for folder in earlier.iterdir():
            if not (folder.is_symlink() or (tmp / folder.name).exists()) and output_kind(folder):
                shutil.copytree(folder, tmp / folder.name, symlinks=True)


def _write_timeseries(path: Path, result: RunResult) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["day", "variant", "reach_mean", "reach_p5", "reach_p50", "reach_p95",
                    "impressions_mean", "trust_mean", *(f"followers_{r}" for r in ROLES)])
        for v in VARIANTS:
            reach = result.reach[v]
            mean = reach.mean(axis=0)
            p5, p50, p95 = np.percentile(reach, [5, 50, 95], axis=0)
            impressions = result.impressions[v].mean(axis=0)
            trust = result.trust[v].mean(axis=0)
            followers = result.followers[v].mean(axis=0)
            for t in range(reach.shape[1]):
                w.writerow([t, v, *(f"{x:.1f}" for x in (mean[t], p5[t], p50[t], p95[t],
                                                          impressions[t])),
                            f"{trust[t]:.6f}", *(f"{x:.1f}" for x in followers[t])])


def _run_facts(result: RunResult) -> dict[str, Any]:
    """What manifest.json records of a run: the scenario as run, its source, and the facts
    the run recorded (command, versions; the report's "Run" table shows the same)."""
    meta = result.meta
    return {"scenario": result.scenario.to_yaml_dict(), "source": meta.get("source"),
            "file_sha256": meta.get("file_sha256"), "seed": result.scenario.seed,
            "replications": result.replications, "workers": meta.get("workers"),
            "wall_time_s": meta.get("wall_time_s"),
            **{k: meta[k] for k in ("command", "cwd", "python", "versions") if k in meta}}
