"""Open an HTML report in headless Chromium: the images that loaded and the tables wider
than the page (validation/browser.py drives the browser).

Shared by the report tests and the end-to-end tests of real runs. Without a Chromium a test
fails under CI and is skipped elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from validation.browser import PAGE_WIDTH, evaluate, find_chromium, wide_tables

__all__ = ["images_loaded", "tables_wider_than_the_page"]


def _need_chromium() -> None:
    if find_chromium() is None:
        message = "no Chromium executable found"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def images_loaded(html_path: Path) -> tuple[int, int]:
    """``(loaded, total)``: the page's images complete with a natural width above 0, and
    all its images."""
    _need_chromium()
    loaded, total = evaluate(html_path, """
      const images = Array.from(document.images);
      return images.filter((i) => i.complete && i.naturalWidth > 0).length + "/" +
             images.length;""").split("/")
    return int(loaded), int(total)


def tables_wider_than_the_page(html_path: Path, width: int = PAGE_WIDTH) -> list[str]:
    """The first header cell of every table wider than the page at ``width`` pixels."""
    _need_chromium()
    return wide_tables(html_path, width)
