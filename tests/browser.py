"""Open an HTML report in headless Chromium: the images that loaded and the tables wider
than the page (validation/browser.py drives the browser).

Shared by the report tests and the end-to-end tests of real runs. Without a Chromium a test
fails under CI and is skipped elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from validation.browser import PAGE_WIDTH, evaluate, find_chromium

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
    """The first header cell of every table whose right edge passes the page's column at
    ``width`` pixels (or that scrolls sideways)."""
    _need_chromium()
    found = evaluate(html_path, """
      const right = document.querySelector("main").getBoundingClientRect().right;
      return Array.from(document.querySelectorAll("table"))
        .filter((t) => t.getBoundingClientRect().right > right + 1 ||
                       t.scrollWidth > t.clientWidth + 1)
        .map((t) => (t.querySelector("th") || t).textContent.trim()).join("|");""", width)
    return [x for x in found.split("|") if x]
