"""The reader's language: English, or Chinese from the message catalog ``sim/locale``.

Text a reader sees is written in English in the code and passed through :func:`_` (or
marked with :func:`N_` where it is defined and translated where it is shown). The catalogs
are gettext ``.po`` files, compiled by Babel when first used; :func:`language` sets the
language of what is drawn and written inside it, and :func:`preferred` a language that
holds unless a caller has set one (a scenario's ``outputs.lang`` under a ``--lang``).

Examples
--------
>>> with language("zh"):
...     _("Loss")
'损失'
>>> _("Loss")
'Loss'
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Literal

__all__ = ["LANGUAGES", "N_", "Language", "_", "current", "language"]

Language = Literal["en", "zh"]
LANGUAGES: tuple[str, ...] = ("en", "zh")
LOCALE = Path(__file__).parent / "locale"
DOMAIN = "riskmodel"

_current: ContextVar[str | None] = ContextVar("language", default=None)  # None: not set


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` compiled in memory (English: the code's own text)."""
    if lang == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo  # only where a translation is asked for
    from babel.messages.pofile import read_po

    with (LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Draw and write in ``lang`` (one of :data:`LANGUAGES`) inside the block."""
    if lang not in LANGUAGES:
        raise ValueError(f"expected a language among {', '.join(LANGUAGES)}; found {lang!r}")
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def preferred(lang: str) -> Iterator[None]:
    """Draw and write in ``lang`` inside the block unless a language is set already."""
    with language(_current.get() or lang):
        yield


def current() -> str:
    """The language text is drawn and written in (English unless one is set)."""
    return _current.get() or "en"


def _(message: str) -> str:
    """``message`` in the current language (itself where the catalog has no translation)."""
    return _translations(current()).gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined; :func:`_` translates it where
    it is shown."""
    return message
