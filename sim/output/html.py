"""The pieces every HTML page is made of: a self-contained page, escaped tables, and charts
inlined as data URIs with their captions."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from sim.i18n import current
from sim.output.style import CHART_WIDTH_PX, CJK_FONT
from sim.runs.figures import DASH

__all__ = ["DASH", "charts_html", "heading", "html_table", "page"]




MIME = {".png": "image/png", ".svg": "image/svg+xml"}
CJK_START = 0x2E80  # the first CJK code point (radicals); the page's font has the rest
# the inlined subset's family name, first in the CSS below: it holds only the page's CJK
# characters, so Latin text falls through to the system fonts (after it, Chromium's
# fallback skips it for some runs of Han characters and draws boxes)
CJK_FACE = "Riskmodel CJK"


CSS = """
body{font-family:"Riskmodel CJK",system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",
Arial,sans-serif;
margin:0;color:#1d1d1f;background:#fafafa;line-height:1.5}
main{max-width:MAIN_PX;margin:0 auto;padding:2rem PAD_PX 4rem;background:#fff}
h1{font-size:1.8rem;margin:0 0 .3rem}h2{margin-top:2.5rem;border-bottom:2px solid #eee;
padding-bottom:.3rem}.muted{color:#666;font-size:.9rem}
.headline{font-size:1.3rem;background:#fff4ec;border-left:5px solid #D55E00;
padding:1rem 1.2rem;margin:1.5rem 0}
figure{margin:1.5rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.9rem}
table{border-collapse:collapse;width:100%;margin:1rem 0;font-size:.92rem}
th,td{padding:.35rem .6rem;border-bottom:1px solid #e5e5e5;text-align:right;
vertical-align:top}th:first-child,td:first-child{text-align:left}
th{background:#f3f3f3}
table.numbers td+td{white-space:nowrap}table.numbers td.text{white-space:normal}
table.settings td,table.settings th{text-align:left}
tr.leader td{font-weight:600;background:#fff4ec}
pre{background:#f6f6f6;padding:1rem;overflow:auto;font-size:.85rem}
""".replace("MAIN_PX", f"{CHART_WIDTH_PX + 2 * 24}px").replace("PAD_PX", "24px")  # charts'
# column is CHART_WIDTH_PX wide, the width the charts' text sizes are chosen for


def page(title: str, sections: Sequence[str]) -> str:
    """A self-contained HTML document of the given sections (HTML fragments, empty ones
    left out) under an escaped title, in the current language; Chinese text is set in the
    CJK font the page carries (the subset of its characters), so that it reads on a machine
    without one."""
    body = "\n".join(s for s in sections if s)
    return (f"<!DOCTYPE html>\n<html lang=\"{current()}\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)}</title>\n<style>{_cjk_face(title + body)}{CSS}</style>\n"
            f"</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n")


def _cjk_face(text: str) -> str:
    """A CSS font face of the CJK characters of ``text`` (none without any), inlined."""
    chars = "".join(sorted({c for c in text if ord(c) >= CJK_START}))
    if not chars:
        return ""
    from fontTools import subset  # matplotlib's dependency; only for pages with CJK text

    options = subset.Options()
    font = subset.load_font(str(CJK_FONT), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    data = io.BytesIO()
    subset.save_font(font, data, options)
    encoded = base64.b64encode(data.getvalue()).decode("ascii")
    return (f"@font-face{{font-family:\"{CJK_FACE}\";font-display:block;"
            f"src:url(data:font/otf;base64,{encoded}) "
            "format(\"opentype\")}")


def heading(text: str, level: int = 2) -> str:
    """An escaped heading."""
    return f"<h{level}>{escape(text)}</h{level}>"


def html_table(head: Sequence[str], rows: Iterable[Sequence[Any]],
               row_classes: Sequence[str] | None = None, cls: str = "",
               text_columns: Sequence[int] = ()) -> str:
    """An HTML table of plain-text cells (every cell is escaped); the ``text_columns`` of a
    table of numbers wrap their lines."""
    header = "".join(f"<th>{escape(str(h))}</th>" for h in head)
    body = []
    for i, row in enumerate(rows):
        tr = f'<tr class="{row_classes[i]}">' if row_classes and row_classes[i] else "<tr>"
        body.append(tr + "".join((f'<td class="text">{escape(str(c))}</td>' if j in text_columns
                                  else f"<td>{escape(str(c))}</td>")
                                 for j, c in enumerate(row)) + "</tr>")
    table = f'<table class="{cls}">' if cls else "<table>"
    return (f"{table}\n<thead><tr>{header}</tr></thead>\n<tbody>\n" + "\n".join(body)
            + "\n</tbody>\n</table>")


def charts_html(charts: dict[str, list[Path]], captions: dict[str, str]) -> str:
    """The charts inlined (in the order of ``captions``, then the others), each captioned."""
    order = [n for n in captions if n in charts] + [n for n in charts if n not in captions]
    picked = ((name, _pick(charts[name])) for name in order)
    return "\n".join(_figure(name, path, captions) for name, path in picked
                     if path is not None)


def _figure(name: str, path: Path, captions: dict[str, str]) -> str:
    """A chart inlined as a data URI, with its caption."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = captions.get(name, name)
    return (f'<figure id="chart-{escape(name)}"><img src="data:{MIME[path.suffix]};base64,'
            f'{data}" alt="{escape(caption)}"><figcaption>{escape(caption)}</figcaption>'
            "</figure>")


def _pick(paths: list[Path]) -> Path | None:
    """The PNG of a chart, else its SVG."""
    by_suffix = {p.suffix: p for p in paths}
    return by_suffix.get(".png") or by_suffix.get(".svg")
