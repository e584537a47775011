"""Writing a run's outputs: tables, JSON, charts and the report, all or nothing.

Everything goes into a temporary folder beside the destination, which is moved into place
only when complete; an earlier output folder is replaced only then, and a failure leaves
it as it was and removes the temporary files.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shlex
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .config import ROLES, Scenario
from .errors import RunError
from .results import VARIANTS, RunResult, spread

__all__ = ["atomic_dir", "check_out_dir", "default_dir", "save", "summary", "write_json",
           "write_rows"]

_PACKAGES = ("riskmodel", "numpy", "scipy", "networkx", "simpy", "matplotlib", "pydantic",
             "PyYAML", "typer")


def summary(result: RunResult) -> dict[str, Any]:
    """The machine-readable summary: figures with their spread, and attribution."""
    s = result.scenario
    f = result.figures
    return {
        "scenario": s.name, "seed": s.seed, "replications": result.replications,
        "horizon_days": s.horizon_days, "scale": result.scale, "users": result.n_users,
        "leader": result.leader,
        "metrics": {k: f[k] for k in ("sdi", "leader_shapley_share", "hhi",
                                      "effective_voices", "trough_pct", "trough_day",
                                      "recovery_days", "cumulative_loss_pct",
                                      "reach_at_risk")},
        "half_width_95": {k: v if math.isfinite(v) else None  # None: one replication
                          for k, v in (result.meta.get("precision") or {}).items()},
        "threshold": f["threshold"], "p_below": f["p_below"],
        "recovered_share": f["recovered_share"], "first_event_day": f["first_event_day"],
        "mean_daily_reach": {v: spread(result.reach[v].mean(axis=1)) for v in VARIANTS},
        "attribution": [{k: row[k] for k in ("id", "role", "shapley_reach", "share",
                                             "exclusive_reach")}
                        for row in result.attribution()],
        "robustness": {k: [round(float(x), 6) for x in v.mean(axis=0)]
                       for k, v in result.robustness.items()},
        "roles": [{k: row[k] for k in ("role", "accounts", "shapley_reach", "share",
                                       "exclusive_reach")}
                  for row in result.role_attribution()],
    }


def default_dir(result: RunResult | Scenario) -> Path:
    """``outputs.dir`` of the scenario (of a result, or before it runs), else
    ``outputs/<scenario name>``."""
    scenario = result if isinstance(result, Scenario) else result.scenario
    return Path(scenario.outputs.dir or Path("outputs") / scenario.name)


def save(result: RunResult, out_dir: str | Path | None = None) -> Path:
    """Write every output of ``result`` into ``out_dir`` (default :func:`default_dir`)
    atomically; returns the folder."""
    from .analysis_report import update_run_report
    from .plots import draw_charts
    from .report import render_report

    out_dir = Path(out_dir) if out_dir is not None else default_dir(result)
    with atomic_dir(out_dir) as tmp:
        write_json(tmp / "summary.json", summary(result))
        _write_timeseries(tmp / "timeseries.csv", result)
        write_rows(tmp / "attribution.csv", result.attribution())
        write_json(tmp / "manifest.json", _manifest(result))
        charts = draw_charts(result, tmp, result.scenario.outputs.charts)
        _keep_analyses(out_dir, tmp)
        if result.scenario.outputs.report:
            (tmp / "report.html").write_text(render_report(result, charts), encoding="utf-8")
            update_run_report(tmp)
    return out_dir


def _keep_analyses(earlier: Path, tmp: Path) -> None:
    """Carry the earlier run folder's analyses (``sweep/``, ``sensitivity/``, ``compare/``:
    any subfolder) over into the new one, so a new run does not delete them."""
    if earlier.is_dir():
        for folder in earlier.iterdir():
            if folder.is_dir() and not (tmp / folder.name).exists():
                shutil.copytree(folder, tmp / folder.name)


def check_out_dir(target: Path) -> None:
    """Raise :class:`RunError` unless a run can write ``target``: not an existing file, and
    its nearest existing parent a writable folder. Checked before a run starts, so a bad
    ``--out`` costs no simulation."""
    if target.exists() and not target.is_dir():
        raise RunError(f"{target}: --out: expected a folder to write the outputs into; found "
                       "a file")
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise RunError(f"{target}: --out: expected a path inside folders; found {parent}, "
                       "which is a file")
    try:  # os.access says yes to root even on a read-only file system: try it instead
        os.rmdir(tempfile.mkdtemp(prefix=".write-check.", dir=parent))
    except OSError as exc:
        raise RunError(f"{target}: --out: expected a folder this user can write in; found "
                       f"{parent} not writable ({exc.strerror})") from None


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target`` that replaces it on success and vanishes on
    failure or interruption (``target`` left untouched).

    The swap itself (the old folder renamed aside, the new one into place, the old one
    removed) runs with SIGINT and SIGTERM held, so a signal cannot leave it halfway.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        with _signals_held():
            old = None
            if target.exists():
                old = target.with_name(f"{tmp.name}.old")
                target.rename(old)
            tmp.rename(target)
            if old is not None:
                shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def _signals_held() -> Iterator[None]:
    """Delay SIGINT and SIGTERM (delivered when the block ends) where the OS allows it."""
    signals = {signal.SIGINT, signal.SIGTERM}
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def write_json(path: Path, data: Any) -> None:
    """``data`` as indented, strict JSON (no NaN) in UTF-8."""
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """Rows of the same keys as CSV, a header first (an empty file for no rows)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        if rows:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)


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


def _manifest(result: RunResult) -> dict[str, Any]:
    return {
        "scenario": result.scenario.to_yaml_dict(), "source": result.meta.get("source"),
        "file_sha256": result.meta.get("file_sha256"),
        "seed": result.scenario.seed, "replications": result.replications,
        "workers": result.meta.get("workers"), "wall_time_s": result.meta.get("wall_time_s"),
        "command": shlex.join(sys.argv), "cwd": os.getcwd(), "python": sys.version.split()[0],
        "versions": {p: _version(p) for p in _PACKAGES},
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
