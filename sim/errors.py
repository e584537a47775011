"""User errors: what was wrong, where, and what was expected."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Interrupted", "Issue", "Loc", "RunError", "ScenarioError", "format_path", "listing"]

Loc = tuple[str | int, ...]
"""A key path into a scenario: keys and list positions."""


def format_path(loc: Loc) -> str:
    """Render a key path such as ``events[2].target``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def listing(items: list[str], limit: int = 12) -> str:
    """Up to ``limit`` items joined by commas, with the count of all when there are more."""
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")


@dataclass(frozen=True)
class Issue:
    """One problem in one input file: file, key path, line, and message."""

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}"


class ScenarioError(Exception):
    """Bad input: one or more :class:`Issue`, all reported together."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        super().__init__("\n".join(map(str, self.issues)))


class RunError(Exception):
    """A run cannot start as asked (an unreachable scheduler, a missing optional extra)."""


class Interrupted(KeyboardInterrupt):
    """A stop asked for by a signal other than Ctrl-C (SIGTERM), handled like Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
