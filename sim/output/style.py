"""The common look of every chart and how charts are written: colours, axes, number
formats, and reproducible PNG and SVG files."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from pathlib import Path

from matplotlib import font_manager, rc_context, rcParams
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

from sim.i18n import N_, _

__all__ = ["CHART_WIDTH_PX", "CJK_FONT", "LABEL_WIDTH", "MIN_TEXT_PX", "ROLE_COLORS",
           "ROLE_NAMES", "legible", "plain_text", "role_name", "save_figure", "shown_px",
           "style_axes"]


LABEL_WIDTH = 48  # characters of a label drawn on a chart (tables and reports have it whole)

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
ROLE_COLORS: dict[str, str] = {"brand": "#0072B2", "self_operated": "#56B4E9",
                               "leader": "#D55E00", "employee": "#009E73", "dealer": "#E69F00"}


# what a reader calls each role (in Chinese the words of new-media teams for 1+X+K+N)
ROLE_NAMES: dict[str, str] = {"brand": N_("brand"), "self_operated": N_("self-operated"),
                              "leader": N_("founder / executive"), "employee": N_("employee"),
                              "dealer": N_("dealer / store")}


def role_name(role: str) -> str:
    """A role as a reader calls it, in the current language."""
    return _(ROLE_NAMES[role]) if role in ROLE_NAMES else role.replace("_", " ")


def _cjk_font() -> Path:
    """Noto Sans CJK SC, as the mplfonts package installs it."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the mplfonts package (a dependency: it ships the CJK font) is "
                          "not installed")
    return Path(spec.submodule_search_locations[0]) / "fonts" / "NotoSansCJKsc-Regular.otf"


CJK_FONT = _cjk_font()
# Chinese text (the report in Chinese, or accounts' own labels) falls back to the CJK font;
# it has one weight, so bold Chinese is drawn regular (matplotlib would log that each time)
font_manager.fontManager.addfont(str(CJK_FONT))
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
rcParams["font.family"] = ["DejaVu Sans", font_manager.FontProperties(fname=CJK_FONT).get_name()]

PNG_DPI = 150
# a report shows every chart this wide (its column at a 1280 px page, sim/output/html.py),
# so a chart's text is as large as its size in points times this width over the figure's
CHART_WIDTH_PX = 1052
MIN_TEXT_PX = 12  # the smallest text a chart shows in a report, readable when projected


SVG_SALT = "riskmodel"


def save_figure(fig: Figure, stem: Path, formats: Sequence[str]) -> list[Path]:
    """Write a figure once per format; SVGs without a date and with fixed element ids, so
    the same run gives the same files."""
    legible(fig)
    paths = []
    for fmt in formats:
        path = stem.with_name(f"{stem.name}.{fmt}")
        with rc_context({"svg.hashsalt": SVG_SALT}):
            fig.savefig(path, format=fmt, dpi=PNG_DPI,
                        metadata={"Date": None} if fmt in ("svg", "pdf") else None)
        paths.append(path)
    return paths


def shown_px(fig: Figure, points: float) -> float:
    """How tall text of ``points`` on ``fig`` is where a report shows the chart, in px."""
    return points / 72 * CHART_WIDTH_PX / fig.get_figwidth()


def legible(fig: Figure) -> None:
    """Raise every text of ``fig`` (tick labels to come included) to :data:`MIN_TEXT_PX` as
    a report shows it; the layout makes room when the figure is drawn."""
    floor = MIN_TEXT_PX * 72 * fig.get_figwidth() / CHART_WIDTH_PX
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if min((t.get_fontsize() for t in axis.get_ticklabels(which="both")),
                   default=floor) < floor:
                axis.set_tick_params(which="both", labelsize=floor)
    for text in fig.findobj(Text):
        if text.get_fontsize() < floor:
            text.set_fontsize(floor)


def plain_text(text: str, width: int | None = None) -> str:
    """User text safe from matplotlib's mathtext (a ``$`` would start a formula), cut to
    ``width`` characters with an ellipsis when given."""
    if width is not None and len(text) > width:
        text = text[:width - 1] + "\u2026"
    return text.replace("$", r"\$")


def style_axes(ax: Axes, title: str, xlabel: str, ylabel: str = "", grid: str = "y"
               ) -> None:
    """The common look: a left-aligned title, light grid lines, no top or right frame."""
    ax.set_title(title, loc="left", fontsize=12)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis=grid, color="#dddddd", lw=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=9)
