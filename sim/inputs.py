"""Bounded reads of input files: regular files only, never more than a cap, never blocking.

Every file riskmodel reads as input (scenarios, parameter files, account CSVs, imported graphs
and followers) is opened here. A FIFO, a device such as ``/dev/zero`` or a folder is refused
after opening it without blocking (``O_NONBLOCK``: a FIFO without a writer would otherwise
wait forever), and no more than the cap is ever read, even from a file that grows while it is
read or that reports a size of 0 (``/proc``). The caps are stated in docs/RELIABILITY.md,
"Limits".
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from sim.errors import Issue, ScenarioError

__all__ = ["MAX_ACCOUNTS_CSV_BYTES", "MAX_IMPORT_BYTES", "MAX_SCENARIO_BYTES", "input_problem",
           "open_input", "read_input"]

MAX_SCENARIO_BYTES = 2**20
"""Largest scenario or sensitivity parameter file read (1 MiB; the bundled ones are under
3 KB)."""
MAX_ACCOUNTS_CSV_BYTES = 2**20
"""Largest ``matrix.accounts_csv`` read (1 MiB: some 8,000 accounts of ten columns, 75,000 of
two; validating the latter takes 4 s and 320 MiB, and an accounts x accounts amplification
matrix of 8,000 accounts already takes 500 MiB)."""
MAX_IMPORT_BYTES = 2 * 2**30
"""Largest imported graph or followers file read (2 GiB: SNAP's LiveJournal edge list, 69
million ties, is about 1 GiB). The resource guard, which estimates imports from these sizes,
puts reading 2 GiB at 100 GiB of memory for an edge list, 30 GiB for GraphML, GEXF or GML and
16 GiB for a followers file (sim.guard), beyond most machines: a larger cap would only move
the refusal."""
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
    | getattr(os, "O_BINARY", 0)
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def open_input(path: Path, kind: str, limit: int, hint: str = "") -> BinaryIO:
    """A buffered binary handle on the regular file ``path`` that refuses to give more than
    ``limit`` bytes.

    Raises :class:`ScenarioError` naming the file when it is missing, not a regular file or
    larger than ``limit`` (from its size, unread; or when it grows past the cap while read).
    ``kind`` names the file in messages ("scenario", "graph"); ``hint`` follows the cap.
    """
    try:
        fd = os.open(path, _FLAGS)
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the path
        raise _error(path, _problem(_status(path), kind, limit, hint) or
                     f"expected a readable {kind} file; found "
                     f"{getattr(exc, 'strerror', None) or exc}") from None
    try:
        problem = _problem(os.fstat(fd), kind, limit, hint)
        if problem:
            raise _error(path, problem)
        return io.BufferedReader(_Capped(fd, path, kind, limit), buffer_size=2**16)
    except BaseException:
        os.close(fd)
        raise


def read_input(path: Path, kind: str, limit: int, hint: str = "") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (see :func:`open_input`)."""
    with open_input(path, kind, limit, hint) as fh:
        return fh.read()


def input_problem(path: Path, kind: str, limit: int, shown: str) -> str | None:
    """Why :func:`open_input` would refuse ``path``, from its status (the file unopened), or
    None: for checking a scenario's file references. ``shown`` is the path as written."""
    return _problem(_status(path), kind, limit, shown=f"{shown!r}, which is ",
                    missing=f"{shown!r}, which does not exist (looked in {path.parent})")


def _status(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def _problem(st: os.stat_result | None, kind: str, limit: int, hint: str = "",
             shown: str = "", missing: str = "no such file") -> str | None:
    """The message for a file of status ``st`` (None: missing), or None when it can be read."""
    if st is None:
        return f"expected an existing {kind} file; found {missing}"
    if not stat.S_ISREG(st.st_mode):
        what = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
        return f"expected a regular {kind} file; found {shown}{what}"
    if st.st_size > limit:
        return _too_large(kind, limit, hint, f"{shown}{st.st_size:,} bytes")
    return None


def _too_large(kind: str, limit: int, hint: str, found: str) -> str:
    size = f"{limit / 2**30:g} GiB" if limit >= 2**30 else f"{limit / 2**20:g} MiB"
    return f"expected a {kind} file of at most {size}{hint}; found {found}"


def _error(path: Path, message: str) -> ScenarioError:
    return ScenarioError([Issue(str(path), "(file)", message)])


class _Capped(io.RawIOBase):
    """An open file descriptor read through, raising once more than ``limit`` bytes came."""

    def __init__(self, fd: int, path: Path, kind: str, limit: int):
        super().__init__()
        self._fd, self._path, self._kind, self._limit = fd, path, kind, limit
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = os.read(self._fd, min(len(view), self._limit + 1 - self._count))
        self._count += len(data)
        if self._count > self._limit:
            raise _error(self._path, _too_large(self._kind, self._limit, "",
                                                f"more than {self._limit:,} bytes"))
        view[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()
