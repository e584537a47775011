"""The common look of every chart and how charts are written: colours, axes, number
formats, and reproducible PNG and SVG files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["LABEL_WIDTH", "ROLE_COLORS", "plain_text", "save_figure", "style_axes"]


LABEL_WIDTH = 48  # characters of a label drawn on a chart (tables and reports have it whole)

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
ROLE_COLORS: dict[str, str] = {"brand": "#0072B2", "self_operated": "#56B4E9",
                               "leader": "#D55E00", "employee": "#009E73", "dealer": "#E69F00"}


PNG_DPI = 150


SVG_SALT = "riskmodel"


def save_figure(fig: Figure, stem: Path, formats: Sequence[str]) -> list[Path]:
    """Write a figure once per format; SVGs without a date and with fixed element ids, so
    the same run gives the same files."""
    paths = []
    for fmt in formats:
        path = stem.with_name(f"{stem.name}.{fmt}")
        with rc_context({"svg.hashsalt": SVG_SALT}):
            fig.savefig(path, format=fmt, dpi=PNG_DPI,
                        metadata={"Date": None} if fmt in ("svg", "pdf") else None)
        paths.append(path)
    return paths


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
