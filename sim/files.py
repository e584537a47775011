"""Writing files safely: fresh temporary names beside their target, the permissions the
umask gives, one file replaced atomically, and a failed write told in one line.

:mod:`tempfile` creates files 0600 and folders 0700, so outputs shared on a drive would be
readable by their owner only; these are created 0666 and 0777 less the umask, as other
tools' files are.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.errors import RunError

__all__ = ["replaced", "temporary", "write_error"]


def temporary(target: Path, folder: bool = False) -> Path:
    """Create a new empty file (or folder) ``.<name>.<random>.tmp`` beside ``target``."""
    while True:
        path = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            if folder:
                path.mkdir()
            else:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return path
        except FileExistsError:
            continue


@contextmanager
def replaced(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` (its folders created when missing) to write; it
    replaces ``path`` when the block ends and is removed if the block fails. A failure to
    write is a :class:`RunError`."""
    existed = path.exists()
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary(path)
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise write_error(exc, path, existed) from exc
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def write_error(exc: OSError, target: Path, existed: bool, tmp: Path | None = None
                ) -> RunError:
    """A failed write as one line: what (``target``, or the file in it that was being
    written to ``tmp`` in its stead), why, and that ``target`` was left as it was."""
    what = target
    if tmp is not None and isinstance(exc.filename, (str, bytes)):
        name = Path(os.fsdecode(exc.filename))
        if name != tmp and name.is_relative_to(tmp):
            what = target / name.relative_to(tmp)
    state = "left as it was" if existed else "not created"
    return RunError(f"could not write {what}: {exc.strerror or exc}; {target} {state}")
