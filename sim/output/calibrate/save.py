"""Writing a calibration: the calibrated scenario (each fitted value with its interval and
source in a comment), the parameter samples, the fits and the fit report, all or nothing
(:func:`sim.output.files.atomic_dir`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from sim.analysis.calibrate import CalibrationResult, ParameterFit
from sim.i18n import preferred
from sim.output.calibrate.charts import SERIES, plot_fit
from sim.output.calibrate.report import render_calibration
from sim.output.files import atomic_dir, default_dir, write_json, write_rows
from sim.output.style import save_figure
from sim.scenario.schema import ACCOUNT_PARAMS, resolve_path

__all__ = ["SAMPLES", "SCENARIO", "calibrated_yaml", "save_calibration"]

SCENARIO, SAMPLES = "scenario.yaml", "samples.csv"


def save_calibration(result: CalibrationResult, out_dir: str | Path | None = None) -> Path:
    """Write ``scenario.yaml`` (runs as it is), ``samples.csv``, ``fits.csv``,
    ``calibration.json``, the charts and ``report.html`` into ``out_dir`` (default
    ``outputs/<name>/calibrate``), atomically. Returns the folder."""
    out_dir = Path(out_dir) if out_dir is not None else \
        default_dir(result.original) / "calibrate"
    with preferred(result.scenario.outputs.lang), atomic_dir(out_dir, "calibrate") as tmp:
        (tmp / SCENARIO).write_text(calibrated_yaml(result, out_dir), encoding="utf-8")
        names = list(result.samples)
        draws = len(next(iter(result.samples.values()))) if names else 0
        write_rows(tmp / SAMPLES, [{"draw": j, **{n: float(result.samples[n][j]) for n in names}}
                                   for j in range(draws)])
        rows = fit_rows(result)
        write_rows(tmp / "fits.csv", rows)
        write_json(tmp / "calibration.json", {
            "scenario": result.scenario.name, "trials": result.trials, **result.meta,
            "fits": rows, "overlaps": {a: dict(zip(("value", "low", "high"), v))
                                       for a, v in result.overlaps.items()}})
        charts = {name: save_figure(plot_fit(result, name), tmp / f"fit_{name}",
                                    result.scenario.outputs.charts) for name in SERIES}
        (tmp / "report.html").write_text(render_calibration(result, rows, charts),
                                         encoding="utf-8")
    return out_dir


def fit_rows(result: CalibrationResult) -> list[dict[str, Any]]:
    return [{"account": f.account, "parameter": f.parameter, "value": f.value, "low": f.low,
             "high": f.high, "prior": f.prior, "identified": f.identified, "source": f.source}
            for f in result.fits]


def calibrated_yaml(result: CalibrationResult, out_dir: Path) -> str:
    """The calibrated scenario as YAML, every fitted value with its 90% interval and source
    in a comment, paths rebased to ``out_dir``; it reads its samples from beside it."""
    scenario = result.scenario
    base_dir = result.base_dir
    data = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True,
                               exclude={"matrix", "calibration", "variants"})
    data["name"] = f"{result.original.name}_calibrated"
    imports = data.get("audience", {}).get("import") or {}
    for key, value in imports.items():
        if isinstance(value, str):
            imports[key] = _rebased(value, base_dir, out_dir)
    fits = {(f.account, f.parameter): f for f in result.fits}
    lines = [f"# Calibrated by riskmodel calibrate from {result.meta['data']} "
             f"({len(result.observed_data.days)} days, {result.trials} trials).",
             "# Each fitted value has its 90% interval and its source in a comment; the",
             f"# runs draw each replication's values from {SAMPLES} (calibration below).",
             yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip(), "matrix:"]
    if scenario.matrix.leader:
        lines.append(f"  leader: {scenario.matrix.leader}")
    lines.append("  accounts:")
    for account in scenario.matrix.accounts:
        lines.append(f"    - id: {account.id}")
        lines.append(f"      role: {account.role}")
        if account.label:
            lines.append(f"      label: {yaml.safe_dump(account.label).splitlines()[0]}")
        for p in ACCOUNT_PARAMS:
            value = getattr(account, p)
            note = _note(fits.get((account.id, p)), result, account.id, p)
            lines.append(f"      {p}: {_number(value)}" + (f"  # {note}" if note else ""))
    lines += ["calibration:", f"  samples: {SAMPLES}", "  draw_parameters: true", ""]
    return "\n".join(lines)


def _note(fit: ParameterFit | None, result: CalibrationResult, account: str, p: str) -> str:
    if fit is not None:
        where = f"{fit.low:.4g} to {fit.high:.4g}, from {fit.source}"
        return f"90% {where}" + ("" if fit.identified else
                                 "; not identified by the data (the prior's range)")
    if p == "followers" and account in result.observed_data.accounts:
        return "observed, first day of the data"
    if p == "overlap" and account in result.overlaps:
        _, lo, hi = result.overlaps[account]
        return f"90% {lo:.3g} to {hi:.3g}, from the follower sample"
    return ""


def _number(value: float) -> str:
    """A float as YAML reads it back (PyYAML takes 1e-05 for text, 1.0e-05 for a number)."""
    text = f"{value:.6g}"
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text


def _rebased(path: str, base_dir: Path, out_dir: Path) -> str:
    return os.path.relpath(resolve_path(path, base_dir).resolve(), out_dir.resolve())
