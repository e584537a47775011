"""The headline figures: one table that every printed table, report, chart, comparison,
sweep and sensitivity analysis reads, so a new figure is added in one place.

Values are stored as :mod:`sim.runs.metrics` computes them (shares from 0 to 1, percentages
from 0 to 100); ``kind`` says how one is written for a reader. Definitions: docs/MODEL.md,
"Figures".
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.i18n import N_, _

__all__ = ["DASH", "FIGURES", "NOT_APPLICABLE", "RUN_FIGURES", "Headline", "applies",
           "format_people", "not_applicable"]

DASH = "–"  # a figure not available
NOT_APPLICABLE = "n/a"  # a figure that does not apply (an event a layout cannot have)


def not_applicable() -> dict[str, float | str | None]:
    """The statistics of a figure that does not apply: no values, status n/a."""
    return {"mean": None, "p5": None, "p50": None, "p95": None, "status": NOT_APPLICABLE}


def applies(stats: dict[str, float | str | None]) -> bool:
    """Whether a figure's statistics are values (not n/a)."""
    return stats.get("status") != NOT_APPLICABLE


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

    def stat_text(self, stats: dict[str, float | str | None], which: str = "mean") -> str:
        """One statistic of a figure as a reader sees it; n/a where it does not apply."""
        return self.text(stats[which]) if applies(stats) else NOT_APPLICABLE  # type: ignore[arg-type]

    def text(self, value: float | None) -> str:
        """A value as a reader sees it; a missing value (never reached) as a dash, or "not
        within horizon" for days to recover."""
        if value is None:
            return _("not within horizon") if self.key == "recovery_days" else DASH
        return {"share": f"{value * 100:.1f}%", "pct": f"{value:.1f}%", "index": f"{value:.3f}",
                "count": f"{value:.1f}", "day": f"{value:.0f}", "people": f"{value:,.0f}",
                "money": f"{value:,.0f}"}[self.kind]


FIGURES: dict[str, Headline] = {h.key: h for h in (
    Headline("expected_reach",
             N_("Expected daily brand reach (baseline, mean over the horizon)"),
             N_("Expected daily reach"), N_("people/day"), "people", +1, N_("expected reach")),
    Headline("sdi",
             N_("Strongman dependency index: daily reach lost in a world without the leader"),
             N_("Strongman dependency (SDI)"), N_("% of reach"), "share", -1, N_("SDI")),
    Headline("leader_shapley_share", N_("Leader's share of brand reach (Shapley)"),
             N_("Leader's Shapley share"), N_("% of reach"), "share", -1,
             N_("the leader's share")),
    Headline("hhi", N_("Concentration of reach over accounts (Herfindahl index)"),
             N_("Concentration (HHI)"), N_("index 0-1"), "index", -1, N_("concentration")),
    Headline("effective_voices", N_("Effective number of voices (1 / Herfindahl)"),
             N_("Effective voices"), N_("accounts"), "count", +1, N_("the effective voices")),
    Headline("cumulative_loss_pct",
             N_("Loss: daily reach lost after the first event, on average to the horizon"),
             N_("Loss"), N_("% of baseline"), "pct", -1, N_("the loss")),
    Headline("early_loss_pct", N_("Loss in the first 30 days after the first event"),
             N_("Loss, first 30 days"), N_("% of baseline"), "pct", -1, N_("the early loss")),
    Headline("late_loss_pct", N_("Loss in the last 90 days of the horizon"),
             N_("Loss, last 90 days"), N_("% of baseline"), "pct", -1, N_("the late loss")),
    Headline("onset_days", N_("Days from the first event until the loss (7-day average) "
                              "reaches 90% of its mean"),
             N_("Days for the loss to arrive"), N_("days"), "day", 0,
             N_("how fast the loss arrives")),
    Headline("trough_pct", N_("Deepest loss (30-day average)"), N_("Deepest loss (30-day)"),
             N_("% of baseline"), "pct", -1, N_("the deepest loss")),
    Headline("trough_day", N_("Day of the deepest loss (30-day average)"),
             N_("Deepest-loss day"), N_("day"), "day", 0, N_("the day of the deepest loss")),
    Headline("recovery_days", N_("Days from the first event until reach (7-day average) is "
                                 "back to the threshold"),
             N_("Days to recover"), N_("days"), "day", -1, N_("recovery time")),
    Headline("loss_at_risk", N_("Loss-at-risk: the loss exceeded in 5% of replications (95th "
                                "percentile; spread by bootstrap)"),
             N_("Loss-at-risk (1 in 20)"), N_("% of baseline"), "pct", -1,
             N_("the loss-at-risk")),
    Headline("monthly_cost", N_("Monthly cost of the matrix"), N_("Monthly cost"),
             N_("currency/month"), "money", -1, N_("the monthly cost")),
)}

RUN_FIGURES: tuple[str, ...] = ("sdi", "leader_shapley_share", "hhi", "effective_voices",
                                "cumulative_loss_pct", "loss_at_risk", "early_loss_pct",
                                "late_loss_pct", "onset_days", "trough_pct", "trough_day",
                                "recovery_days")
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
