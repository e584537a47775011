"""Open an HTML file in headless Chromium and count the images that loaded.

Shared by the report tests and the end-to-end tests of real runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

__all__ = ["chromium", "images_loaded"]

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 120

# Runs after every image has loaded or failed; the browser then dumps the DOM with this title.
PROBE = """<script>
addEventListener("load", () => {
  const images = Array.from(document.images);
  const loaded = images.filter((img) => img.complete && img.naturalWidth > 0).length;
  document.title = `images:${loaded}/${images.length}`;
});
</script>"""

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=10000", "--dump-dom")


def chromium() -> str:
    """Path of a Chromium executable; without one the test fails under CI, else is skipped."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    message = f"no Chromium executable found (looked for {', '.join(BROWSERS)})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def images_loaded(html_path: Path) -> tuple[int, int]:
    """Images of an HTML page that loaded in headless Chromium, and all its images.

    The page is copied with a small script added that writes the count into the title once
    the page has loaded; the original file is left untouched.

    Parameters
    ----------
    html_path : Path
        The page to open.

    Returns
    -------
    tuple of int
        ``(loaded, total)``: images complete with a natural width above 0, and all images.
    """
    browser = chromium()
    html = Path(html_path).read_text(encoding="utf-8")
    probed = html.replace("</body>", PROBE + "</body>", 1) if "</body>" in html else html + PROBE
    with tempfile.TemporaryDirectory(prefix="browser-") as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(probed, encoding="utf-8")
        proc = subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", page.as_uri()],
            capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    match = re.search(r"<title>images:(\d+)/(\d+)</title>", proc.stdout)
    if match is None:
        raise AssertionError(f"Chromium did not report the images of {html_path} (exit "
                             f"{proc.returncode}): {proc.stderr[-2000:]}")
    return int(match.group(1)), int(match.group(2))
