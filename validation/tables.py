"""Plain-text tables and JSON files for the validation scripts."""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path
from typing import Any

__all__ = ["environment", "format_table", "write_json"]


def format_table(header: list[str], rows: list[list[Any]]) -> str:
    """A fixed-width text table: columns as wide as their widest cell, numbers right-aligned.

    Examples
    --------
    >>> print(format_table(["T", "ok"], [["0.25", "yes"]]))
    T     ok
    ----  ---
    0.25  yes
    """
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[j]) for row in cells) for j in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if not _numeric(c) else c.rjust(w)
                         for c, w in zip(row, widths)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n")


def environment(packages: list[str]) -> dict[str, str]:
    """Python and package versions and the source revision, for provenance."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0], "platform": platform.platform(),
             "git_commit": _git_commit()}
    for name in packages:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _git_commit() -> str:
    """The repository's HEAD, with ``+dirty`` when ``sim/`` has uncommitted changes."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "sim"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def _numeric(cell: str) -> bool:
    try:
        float(cell.replace("±", "").split()[0])
    except (ValueError, IndexError):
        return False
    return True
