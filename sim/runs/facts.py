"""Facts about how a run was made (command line, folder, Python and package versions),
recorded with its result so that the manifest and the report show the same."""

from __future__ import annotations

import os
import shlex
import sys
from importlib import metadata
from typing import Any

__all__ = ["PACKAGES", "run_facts"]

PACKAGES = ("riskmodel", "numpy", "scipy", "networkx", "simpy", "matplotlib", "pydantic",
            "PyYAML", "typer", "numba", "SALib")


def run_facts() -> dict[str, Any]:
    """This process's command line, working folder, Python version and package versions."""
    return {"command": shlex.join(sys.argv), "cwd": os.getcwd(),
            "python": sys.version.split()[0],
            "versions": {p: _version(p) for p in PACKAGES}}


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
