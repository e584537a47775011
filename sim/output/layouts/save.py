"""Writing a layout comparison (table, JSON, charts, page) and a recommendation
(candidates, picks, chart), all or nothing (:func:`sim.output.files.atomic_dir`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.analysis.compare import COMPARED, Comparison
from sim.analysis.recommend import TARGET_REACH_SHARE, Recommendation, candidate_row
from sim.i18n import preferred
from sim.output.files import atomic_dir, default_dir, write_json, write_rows
from sim.output.layouts.charts import draw_comparison_charts, plot_search
from sim.output.layouts.report import (
    findings,
    render_comparison,
    render_recommendation,
    rows,
)
from sim.output.style import save_figure
from sim.runs.figures import FIGURES, NOT_APPLICABLE, applies
from sim.runs.metrics import STATS

__all__ = ["save_comparison", "save_recommendation"]


def save_comparison(comparison: Comparison, out_dir: str | Path | None = None) -> Path:
    """Write ``comparison.csv``, ``comparison.json``, the charts and ``report.html`` into
    ``out_dir`` (default ``outputs/<name>/compare``) atomically; returns the folder."""
    scenario = comparison.results[0].scenario
    out_dir = Path(out_dir) if out_dir is not None else default_dir(scenario) / "compare"
    with preferred(scenario.outputs.lang):
        return _save_comparison(comparison, out_dir)


def _save_comparison(comparison: Comparison, out_dir: Path) -> Path:
    scenario = comparison.results[0].scenario
    table = rows(comparison)
    with atomic_dir(out_dir, "compare") as tmp:
        write_rows(tmp / "comparison.csv", _csv_rows(table))
        write_json(tmp / "comparison.json", _summary(comparison, table))
        charts = draw_comparison_charts(comparison, tmp, scenario.outputs.charts)
        (tmp / "report.html").write_text(render_comparison(comparison, table, charts),
                                         encoding="utf-8")
    return out_dir


def _summary(comparison: Comparison, table: list[dict[str, Any]]) -> dict[str, Any]:
    first = comparison.results[0]
    return {"name": comparison.name, "normalize": comparison.normalize,
            "reference": comparison.layouts[0].name, "scale": comparison.scale,
            "scale_from": comparison.layouts[0].name, "users": first.n_users,
            "seed": first.scenario.seed, "replications": first.replications,
            "horizon_days": first.scenario.horizon_days,
            "events": [e.model_dump(mode="json") for e in
                       max((r.scenario.events for r in comparison.results), key=len)],
            "units": {k: FIGURES[k].value_unit for k in COMPARED},
            "variants": table, "findings": findings(comparison),
            "wall_time_s": comparison.meta.get("wall_time_s")}


def _csv_rows(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The comparison's rows flat for ``comparison.csv``: ``<figure>_<stat>`` columns."""
    head = ["variant", "leader", "accounts", "cadence_factor", "posts_per_day"]
    tail = ["efficient_reach_vs_loss_at_risk", "efficient_reach_vs_sdi"]
    return [{**{h: r[h] for h in head},
             **{f"{k}_{s}": r["figures"][k][s] if applies(r["figures"][k]) else NOT_APPLICABLE
                for k in COMPARED for s in STATS},
             **{t: r[t] for t in tail}} for r in table]


def save_recommendation(result: Recommendation, out_dir: str | Path) -> Path:
    """Write ``candidates.csv``, ``recommendation.json``, the ``search`` chart and
    ``report.html`` into ``out_dir`` atomically; returns the folder."""
    out_dir = Path(out_dir)
    with preferred(result.scenario.outputs.lang), atomic_dir(out_dir, "recommend") as tmp:
        write_rows(tmp / "candidates.csv", [candidate_row(c) for c in result.candidates])
        data = {"name": result.name, "budget": result.budget, "max_sdi": result.max_sdi,
                "target_reach_share": TARGET_REACH_SHARE, "settings": result.settings,
                "recommendation": result.sentences(),
                "picks": {k: candidate_row(c) for k, c in result.picks().items()},
                "frontier": [candidate_row(c) for c in result.frontier]}
        write_json(tmp / "recommendation.json", data)
        charts = {"search": save_figure(plot_search(result), tmp / "search",
                                        result.scenario.outputs.charts)}
        (tmp / "report.html").write_text(render_recommendation(result, charts),
                                         encoding="utf-8")
    return out_dir
