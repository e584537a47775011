"""Writing sweeps and sensitivity analyses: tables, JSON, charts and their pages, all or
nothing (:func:`sim.output.files.atomic_dir`), then their section in the run's report."""

from __future__ import annotations

import json
from pathlib import Path

from sim.analysis.sensitivity import SensitivityResult
from sim.analysis.sweep import SweepResult
from sim.i18n import preferred
from sim.output.analysis.charts import plot_sweep, plot_tornado
from sim.output.analysis.report import render_sensitivity, render_sweep, update_run_report
from sim.output.files import atomic_dir, default_dir, write_json, write_rows
from sim.output.style import save_figure

__all__ = ["save_sensitivity", "save_sweep"]


def save_sweep(result: SweepResult, out_dir: str | Path | None = None) -> Path:
    """Write the table (``sweep.csv``, ``sweep.json``), a chart per swept key and the
    report into ``out_dir`` (default ``outputs/<name>/sweep``), atomically; then add the
    sweep to the run's report beside it, if there is one. Returns the folder."""
    out_dir = Path(out_dir) if out_dir is not None else default_dir(result.scenario) / "sweep"
    with preferred(result.scenario.outputs.lang):  # the run report's section too
        rows = result.rows()
        with atomic_dir(out_dir, "sweep") as tmp:
            write_rows(tmp / "sweep.csv", rows)
            stems = {key: f"sweep_{i}" for i, key in enumerate(result.grid, 1)}
            facts = {"scenario": result.scenario.name, "seed": result.scenario.seed,
                     "replications": result.results[0].replications, "grid": result.grid,
                     "charts": stems, **result.meta}
            write_json(tmp / "sweep.json", {**facts, "points": rows})
            charts = {key: save_figure(plot_sweep(result, key), tmp / stem,
                                       result.scenario.outputs.charts)
                      for key, stem in stems.items()}
            (tmp / "report.html").write_text(render_sweep(result, rows, charts),
                                             encoding="utf-8")
        update_run_report(out_dir.parent)
    return out_dir


def save_sensitivity(result: SensitivityResult, out_dir: str | Path | None = None) -> Path:
    """Write the indices (``indices.csv``), the samples (``samples.csv``), a summary
    (``sensitivity.json``), the tornado chart and the report into ``out_dir`` (default
    ``outputs/<name>/sensitivity``), atomically; then add them to the run's report
    beside it, if there is one. Returns the folder."""
    out_dir = Path(out_dir) if out_dir is not None else \
        default_dir(result.scenario) / "sensitivity"
    with preferred(result.scenario.outputs.lang):
        with atomic_dir(out_dir, "sensitivity") as tmp:
            rows = result.rows()
            write_rows(tmp / "indices.csv", rows)
            keys = [p.key for p in result.spec.parameters]
            write_rows(tmp / "samples.csv", [
                {"sample": j, **dict(zip(keys, map(float, xs))),
                 **{o: float(v[j]) for o, v in result.y.items()}}
                for j, xs in enumerate(result.x)])
            (tmp / "sensitivity.json").write_text(json.dumps({
                "scenario": result.scenario.name, "method": result.method,
                "samples": result.spec.n, "runs": len(result.x), **result.meta,
                "parameters": [p.model_dump(exclude_none=True) for p in result.spec.parameters],
                "ranking": result.sentences(), "warnings": result.warnings, "indices": rows,
            }, indent=2) + "\n", encoding="utf-8")
            charts = save_figure(plot_tornado(result), tmp / "tornado",
                                 result.scenario.outputs.charts)
            (tmp / "report.html").write_text(render_sensitivity(result, charts),
                                             encoding="utf-8")
        update_run_report(out_dir.parent)
    return out_dir
