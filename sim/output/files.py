"""Writing a run's outputs: tables, JSON, charts and the report, all or nothing.

Everything goes into a temporary folder beside the destination, which is moved into place
only when complete; an earlier output folder is replaced only then, and a failure leaves
it as it was and removes the temporary files.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.errors import RunError
from sim.runs.results import RunResult
from sim.scenario.schema import Scenario

__all__ = ["atomic_dir", "check_out_dir", "default_dir", "write_json", "write_rows"]


def default_dir(result: RunResult | Scenario) -> Path:
    """``outputs.dir`` of the scenario (of a result, or before it runs), else
    ``outputs/<scenario name>``."""
    scenario = result if isinstance(result, Scenario) else result.scenario
    return Path(scenario.outputs.dir or Path("outputs") / scenario.name)


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


