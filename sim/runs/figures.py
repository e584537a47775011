"""The headline figures: one table that every printed table, report, chart, comparison,
sweep and sensitivity analysis reads, so a new figure is added in one place.

Values are stored as :mod:`sim.runs.metrics` computes them (shares from 0 to 1, percentages
from 0 to 100); ``kind`` says how one is written for a reader. Definitions: docs/MODEL.md,
"Figures".
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DASH", "FIGURES", "RUN_FIGURES", "Headline", "format_people"]

DASH = "–"  # a figure not available


@dataclass(frozen=True)
class Headline:
    """One headline figure.

    Attributes
    ----------
    key : str
        Its name in results, tables and files.
    label : str
        What it says, in a sentence (report tables).
    title : str
        Its short name (charts, terminal tables, comparisons).
    unit : str
        The unit a reader sees.
    kind : str
        How a value is written: ``share`` (0-1, shown as a percentage), ``pct`` (already a
        percentage), ``index``, ``count``, ``day``, ``people`` or ``money``.
    better : int
        +1 if more is better, -1 if less is better.
    noun : str
        The figure in a sentence ("explains 40% of the variance of ...").
    """

    key: str
    label: str
    title: str
    unit: str
    kind: str
    better: int
    noun: str = ""

    @property
    def value_unit(self) -> str:
        """The unit of the stored value (``share`` for values from 0 to 1)."""
        return "share" if self.kind == "share" else self.unit

    def text(self, value: float | None) -> str:
        """A value as a reader sees it; a missing value (never reached) as a dash, or "not
        within horizon" for days to recover."""
        if value is None:
            return "not within horizon" if self.key == "recovery_days" else DASH
        return {"share": f"{value * 100:.1f}%", "pct": f"{value:.1f}%", "index": f"{value:.3f}",
                "count": f"{value:.1f}", "day": f"{value:.0f}", "people": f"{value:,.0f}",
                "money": f"{value:,.0f}"}[self.kind]


FIGURES: dict[str, Headline] = {h.key: h for h in (
    Headline("expected_reach", "Expected daily brand reach (baseline, mean over the horizon)",
             "Expected daily reach", "people/day", "people", +1, "expected reach"),
    Headline("sdi", "Strongman dependency index: daily reach lost in a world without the "
             "leader", "Strongman dependency (SDI)", "% of reach", "share", -1, "SDI"),
    Headline("leader_shapley_share", "Leader's share of brand reach (Shapley)",
             "Leader's Shapley share", "% of reach", "share", -1, "the leader's share"),
    Headline("hhi", "Concentration of reach over accounts (Herfindahl index)",
             "Concentration (HHI)", "index 0-1", "index", -1, "concentration"),
    Headline("effective_voices", "Effective number of voices (1 / Herfindahl)",
             "Effective voices", "accounts", "count", +1, "the effective voices"),
    Headline("trough_pct", "Deepest drop of daily reach against baseline (smoothed)",
             "Trough", "% of baseline", "pct", -1, "the trough"),
    Headline("trough_day", "Day of the deepest drop", "Trough day", "day", "day", 0,
             "the trough day"),
    Headline("recovery_days", "Days from the first event until reach is back to the "
             "threshold", "Days to recover", "days", "day", -1, "recovery time"),
    Headline("cumulative_loss_pct", "Reach lost from the first event to the horizon",
             "Cumulative loss", "% of baseline", "pct", -1, "the cumulative loss"),
    Headline("reach_at_risk", "Reach at risk: reach after the first event in a bad case (5th "
             "percentile over replications; spread by bootstrap)",
             "Reach-at-risk (bad-case reach kept)", "% of baseline", "pct", +1,
             "the reach at risk"),
    Headline("monthly_cost", "Monthly cost of the matrix", "Monthly cost", "currency/month",
             "money", -1, "the monthly cost"),
)}

RUN_FIGURES: tuple[str, ...] = ("sdi", "leader_shapley_share", "hhi", "effective_voices",
                                "trough_pct", "trough_day", "recovery_days",
                                "cumulative_loss_pct", "reach_at_risk")
"""The figures every run computes (:func:`sim.runs.metrics.figures`), in report order."""


def format_people(x: float, _pos: int | None = None) -> str:
    """A head count for a reader: ``950``, ``12k``, ``1.2M``.

    Examples
    --------
    >>> format_people(1_234_567), format_people(12_300), format_people(950)
    ('1.2M', '12k', '950')
    """
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            v = x / size
            return f"{v:.1f}{unit}".replace(".0" + unit, unit) if abs(v) < 10 else f"{v:.0f}{unit}"
    return f"{x:.0f}"
