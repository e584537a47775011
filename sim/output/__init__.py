"""Everything riskmodel writes: tables, JSON, charts and pages, each folder all or nothing.

Results are data; :func:`save` writes any of them (a run, a sweep, a sensitivity analysis,
a comparison, a recommendation, a calibration) into its folder.
"""

from __future__ import annotations

from functools import singledispatch
from pathlib import Path
from typing import Any

from sim.analysis.calibrate import CalibrationResult
from sim.analysis.compare import Comparison
from sim.analysis.recommend import Recommendation
from sim.analysis.sensitivity import SensitivityResult
from sim.analysis.sweep import SweepResult
from sim.output.analysis.save import save_sensitivity, save_sweep
from sim.output.calibrate.save import save_calibration
from sim.output.layouts.save import save_comparison, save_recommendation
from sim.output.run.save import save_run
from sim.runs.results import RunResult

__all__ = ["save"]


@singledispatch
def save(result: Any, out_dir: str | Path | None = None) -> Path:
    """Write a result's outputs into ``out_dir`` (default: its folder under the scenario's
    outputs folder) atomically; returns the folder."""
    raise TypeError(f"expected a result of riskmodel to save; found {type(result).__name__}")


for _type, _save in ((RunResult, save_run), (SweepResult, save_sweep),
                     (SensitivityResult, save_sensitivity), (Comparison, save_comparison),
                     (Recommendation, save_recommendation),
                     (CalibrationResult, save_calibration)):
    save.register(_type, _save)
