"""Reports in headless Chromium: what a page measures once loaded, and screenshots.

Shared by the report tests (tests/browser.py) and ``validation/screenshots.py``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PAGE_WIDTH", "evaluate", "find_chromium", "screenshot", "wide_tables"]

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 120
PAGE_WIDTH = 1280  # px: a projector's width, the width a workshop reads the report at
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=10000")

# Runs once every image and font has loaded or failed; the value of the expression becomes
# the page's title, which Chromium dumps with the DOM.
PROBE = """<script>
addEventListener("load", () => document.fonts.ready.then(() => {
  document.title = "probe:" + String((() => { %s })());
}));
</script>"""


def find_chromium() -> str | None:
    """Path of a Chromium executable, or None."""
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def evaluate(html_path: Path, body: str, width: int = PAGE_WIDTH, height: int = 900) -> str:
    """The value of the JavaScript function body ``body`` on the loaded page, as text.

    The page is copied with the probe added; the original file is left untouched.
    """
    html = Path(html_path).read_text(encoding="utf-8")
    probe = PROBE % body
    probed = html.replace("</body>", probe + "</body>", 1) if "</body>" in html else html + probe
    with tempfile.TemporaryDirectory(prefix="browser-") as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(probed, encoding="utf-8")
        out = _chromium(tmp, page, f"--window-size={width},{height}", "--dump-dom")
    match = re.search(r"<title>probe:(.*?)</title>", out, re.S)
    if match is None:
        raise RuntimeError(f"Chromium did not evaluate the probe on {html_path}")
    return match.group(1)


def wide_tables(html_path: Path, width: int = PAGE_WIDTH) -> list[str]:
    """The first header cell of every table whose right edge passes the page's column at
    ``width`` pixels (or that scrolls sideways)."""
    found = evaluate(html_path, """
      const right = document.querySelector("main").getBoundingClientRect().right;
      return Array.from(document.querySelectorAll("table"))
        .filter((t) => t.getBoundingClientRect().right > right + 1 ||
                       t.scrollWidth > t.clientWidth + 1)
        .map((t) => (t.querySelector("th") || t).textContent.trim()).join("|");""", width)
    return [x for x in found.split("|") if x]


def screenshot(html_path: Path, png: Path, width: int = PAGE_WIDTH) -> Path:
    """A screenshot of the whole page at ``width`` pixels into ``png``."""
    height = int(evaluate(html_path, "return document.documentElement.scrollHeight;", width))
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="browser-") as tmp:
        # every compositor stage before the capture: else text painted before the page's
        # inlined font is decoded is captured as it was, in boxes
        _chromium(tmp, Path(html_path).resolve(), f"--window-size={width},{height}",
                  "--run-all-compositor-stages-before-draw", f"--screenshot={png.resolve()}")
    return png


def _chromium(tmp: str, page: Path, *flags: str) -> str:
    browser = find_chromium()
    if browser is None:
        raise RuntimeError(f"no Chromium executable found (looked for {', '.join(BROWSERS)})")
    proc = subprocess.run([browser, *FLAGS, *flags, f"--user-data-dir={Path(tmp) / 'profile'}",
                           page.as_uri()], capture_output=True, text=True, timeout=TIMEOUT_S,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"Chromium exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout
