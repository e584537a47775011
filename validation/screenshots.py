"""Screenshots of the run and compare reports, in English and in Chinese, as a workshop's
projector shows them (headless Chromium, 1280 px wide).

Runs the bundled founder-exit scenario and the bundled layout comparison with few
replications (the pages, not the figures, are under review), writes each report, checks it
(every image loads, no table wider than the page) and takes a full-page screenshot:
validation/results/screenshots/{run,compare}_{en,zh}.png. Needs a Chromium (Debian's
``chromium`` package).

Run ``python validation/screenshots.py`` (about 2 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sim
from sim.analysis.compare import compare
from sim.i18n import LANGUAGES, language
from validation.browser import PAGE_WIDTH, screenshot, wide_tables

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "validation" / "results" / "screenshots"
LAYOUTS = [ROOT / "scenarios" / "layouts" / f"{name}.yaml"
           for name in ("founder_centric", "brand_centric", "balanced")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=6)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    run = sim.run(ROOT / "scenarios" / "founder_exit.yaml", replications=args.replications)
    layouts = compare(LAYOUTS, replications=args.replications)
    for lang in LANGUAGES:
        with language(lang):
            pages = {"run": sim.save(run, args.out / f"run_{lang}"),
                     "compare": sim.save(layouts, args.out / f"compare_{lang}")}
        for kind, folder in pages.items():
            report = folder / "report.html"
            wide = len(wide_tables(report))
            png = screenshot(report, args.out / f"{kind}_{lang}.png", PAGE_WIDTH)
            print(f"{png}: {wide} table(s) wider than {PAGE_WIDTH} px")


if __name__ == "__main__":
    main()
