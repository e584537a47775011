"""Writing output folders: all or nothing, and only over what riskmodel wrote itself.

Everything goes into a temporary folder beside the destination, which is moved into place
only when complete; an earlier output folder is replaced only then, and a failure leaves
it as it was and removes the temporary files.

Only a folder riskmodel wrote is ever replaced. Every output folder (a run's, and each
analysis's: ``sweep/``, ``sensitivity/``, ``compare/``, ``recommend/``) ends with a
``manifest.json`` whose ``riskmodel`` entry names the kind of output and lists the files
written; a folder is riskmodel's when it holds nothing but those files and subfolders that
are riskmodel's in turn. Any other non-empty folder is refused, untouched.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.errors import RunError
from sim.files import temporary, write_error
from sim.runs.facts import run_facts
from sim.runs.results import RunResult
from sim.scenario.schema import Scenario

__all__ = ["MANIFEST", "atomic_dir", "check_out_dir", "check_parent", "default_dir",
           "output_kind", "write_json", "write_rows"]

MANIFEST = "manifest.json"
_MAX_MANIFEST_BYTES = 16 * 2**20


def default_dir(result: RunResult | Scenario) -> Path:
    """``outputs.dir`` of the scenario (of a result, or before it runs), else
    ``outputs/<scenario name>``."""
    scenario = result if isinstance(result, Scenario) else result.scenario
    return Path(scenario.outputs.dir or Path("outputs") / scenario.name)


def output_kind(folder: Path) -> str | None:
    """What riskmodel wrote ``folder`` as (``run``, ``sweep``, ...), from its manifest;
    None when it has no riskmodel manifest."""
    marker = _marker(folder)
    return marker["output"] if marker else None


def _marker(folder: Path) -> dict[str, Any] | None:
    """The ``riskmodel`` entry of ``folder``'s manifest: the kind of output and the files
    written. Read only from a regular file of bounded size, never through a link."""
    try:
        fd = os.open(folder / MANIFEST,
                     os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_MANIFEST_BYTES:
                return None
            data = json.loads(fh.read(_MAX_MANIFEST_BYTES))
    except (OSError, ValueError):
        return None
    marker = data.get("riskmodel") if isinstance(data, dict) else None
    if not (isinstance(marker, dict) and isinstance(marker.get("output"), str)
            and isinstance(marker.get("files"), list)
            and all(isinstance(f, str) for f in marker["files"])):
        return None
    return marker


def _foreign(folder: Path) -> str | None:
    """The first entry of ``folder`` riskmodel did not write (its path inside ``folder``),
    or None. riskmodel's are the files its manifest lists, the manifest, and subfolders
    with a manifest of their own holding only riskmodel's; links and special files never
    are."""
    marker = _marker(folder)
    listed = {MANIFEST, *marker["files"]} if marker else set()
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and _marker(Path(entry.path)):
                inner = _foreign(Path(entry.path))
                if inner is not None:
                    return f"{entry.name}/{inner}"
            elif not (entry.is_file(follow_symlinks=False) and entry.name in listed):
                return entry.name + ("/" if entry.is_dir(follow_symlinks=False) else "")
    return None


def check_out_dir(target: Path, option: str | None = None) -> None:
    """Raise :class:`RunError` unless outputs can be written to ``target``: a path ending in
    a folder name, not a file or link, empty or riskmodel's if it exists, and its nearest
    existing parent a writable folder. Checked before a run starts, so a bad ``--out``
    costs no simulation; ``option`` (``--out``, ``outputs.dir``) is named in the message."""
    where = f"{target}: {option}" if option else str(target)
    if target.name in ("", ".."):
        raise RunError(f"{where}: expected a path ending in a folder name, not the current "
                       f"or parent folder; found {str(target)!r}")
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise RunError(f"{where}: expected a folder to write the outputs into; found a "
                       f"{'symbolic link' if target.is_symlink() else 'file'}")
    if target.is_dir():
        try:
            found = _foreign(target)
        except OSError as exc:
            raise RunError(f"{where}: expected a folder this user can read; found "
                           f"{exc.strerror}") from None
        if found is not None:
            raise RunError(f"{where}: expected a new or empty folder, or one riskmodel wrote; "
                           f"found {found} in it, which riskmodel did not write (nothing was "
                           "changed: choose another folder)")
    check_parent(target, where)


def check_parent(target: Path, where: str) -> None:
    """Raise :class:`RunError` (its message starting with ``where``) unless the nearest
    existing parent of ``target`` is a folder this process can create entries in."""
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise RunError(f"{where}: expected a path inside folders; found {parent}, which is a "
                       "file")
    try:  # os.access says yes to root even on a read-only file system: try it instead
        os.rmdir(tempfile.mkdtemp(prefix=".write-check.", dir=parent))
    except OSError as exc:
        raise RunError(f"{where}: expected a folder this user can write in; found {parent} "
                       f"not writable ({exc.strerror})") from None


@contextmanager
def atomic_dir(target: Path, kind: str, facts: dict[str, Any] | None = None
               ) -> Iterator[Path]:
    """A temporary folder beside ``target`` that replaces it on success and vanishes on
    failure or interruption (``target`` left untouched).

    ``target`` must pass :func:`check_out_dir`. On success the manifest (``kind``, the
    files written, ``facts`` and the command's provenance) is added last. The swap itself
    (the old folder renamed aside, the new one into place, the old one removed) runs with
    SIGINT, SIGTERM and SIGHUP held, so a signal cannot leave it halfway. A file-system error
    (a full disk, no permission) is a :class:`RunError` naming ``target``.
    """
    check_out_dir(target)
    existed = target.exists()
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary(target, folder=True)
        yield tmp
        write_json(tmp / MANIFEST, _manifest(kind, tmp, facts or {}))
        with _signals_held():
            old = target.with_name(f"{tmp.name}.old") if target.exists() else None
            if old is not None:
                target.rename(old)
            try:
                tmp.rename(target)
            except OSError:
                if old is not None:
                    old.rename(target)
                raise
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    except BaseException as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise write_error(exc, target, existed, tmp) from exc
        raise


@contextmanager
def _signals_held() -> Iterator[None]:
    """Delay SIGINT, SIGTERM and SIGHUP (delivered when the block ends) where the OS allows
    it."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signals = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def write_json(path: Path, data: Any) -> None:
    """``data`` as indented, strict JSON (no NaN) in UTF-8."""
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """Rows of the same keys as CSV, a header first (an empty file for no rows); text a
    spreadsheet would run as a formula is neutralized (:func:`_cell`)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        if rows:
            w = csv.writer(fh)
            w.writerow(map(_cell, rows[0]))
            w.writerows([_cell(row[k]) for k in rows[0]] for row in rows)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Text starting with ``= + - @``, a tab or a carriage return (which a spreadsheet runs
    as a formula) behind a ``'``, as OWASP advises; numbers, and text that reads as one
    (``-3.5``), as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def _manifest(kind: str, folder: Path, facts: dict[str, Any]) -> dict[str, Any]:
    """The marker (``kind`` and the files written in ``folder``, its carried-over analyses
    aside), ``facts``, and how the output was made."""
    files = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.is_symlink())
    return {
        "riskmodel": {"output": kind, "files": files},
        **{**run_facts(), **facts},
    }
