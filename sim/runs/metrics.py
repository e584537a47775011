"""The figures a run reports, computed per replication from paired traces.

Every function takes arrays with one row per replication and returns one value per
replication; :func:`figures` summarizes them as mean, P5, P50 and P95. Definitions:
docs/MODEL.md, "Figures".
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["LOSS_FIGURES", "STATS", "coalition_reach", "dependency", "figures", "loss",
           "loss_at_risk", "robustness", "smooth"]


STATS = ("mean", "p5", "p50", "p95")  # how a figure is summarized over replications
LOSS_FIGURES = ("cumulative_loss_pct", "early_loss_pct", "late_loss_pct", "onset_days",
                "trough_pct", "trough_day", "recovery_days")  # of :func:`loss`, summarized


def summarize(values: Any) -> dict[str, float | None]:
    """Mean, P5, P50 and P95 of replications' values (infinite values mean 'never':
    a statistic they reach is reported as None)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return {"mean": None, "p5": None, "p50": None, "p95": None}
    with np.errstate(invalid="ignore"):
        p5, p50, p95 = np.percentile(x, [5, 50, 95])
    out = {"mean": float(np.mean(x)), "p5": float(p5), "p50": float(p50), "p95": float(p95)}
    return {k: (v if np.isfinite(v) else None) for k, v in out.items()}


def smooth(reach: np.ndarray, days: int) -> np.ndarray:
    """Trailing moving average over ``days`` (fewer at the start), along the last axis."""
    c = np.cumsum(reach, axis=-1, dtype=float)
    out = c.copy()
    out[..., days:] = c[..., days:] - c[..., :-days]
    width = np.minimum(np.arange(1, reach.shape[-1] + 1), days)
    return out / width


def dependency(baseline: np.ndarray, no_leader: np.ndarray, shapley: np.ndarray,
               leader: int) -> dict[str, np.ndarray]:
    """SDI, the leader's Shapley share, HHI and effective voices, per replication.

    SDI = 1 - (mean daily reach without the leader) / (mean daily reach of the baseline).
    """
    base = baseline.mean(axis=1)
    sdi = 1 - np.divide(no_leader.mean(axis=1), base, out=np.ones_like(base), where=base > 0)
    total = shapley.sum(axis=1, keepdims=True)
    share = np.divide(shapley, total, out=np.zeros_like(shapley), where=total > 0)
    hhi = (share ** 2).sum(axis=1)
    voices = np.divide(1.0, hhi, out=np.zeros_like(hhi), where=hhi > 0)
    return {"sdi": sdi, "leader_shapley_share": share[:, leader], "hhi": hhi,
            "effective_voices": voices}


TROUGH_DAYS = 30  # the deepest loss is read off a trailing mean over this many days
EARLY_DAYS = 30  # the loss "early" after the first event: its first this many days
LATE_DAYS = 90  # the loss "late": the horizon's last this many days
ARRIVED = 0.9  # the loss has arrived when the smoothed loss first reaches this share of it


def loss(baseline: np.ndarray, scenario: np.ndarray, start: int, threshold: float,
         smoothing_days: int) -> dict[str, np.ndarray]:
    """The scenario's loss of reach against its paired baseline from day ``start`` on.

    Returns per replication: ``cumulative_loss_pct`` (reach lost from ``start`` to the
    horizon, % of the baseline's), ``early_loss_pct`` and ``late_loss_pct`` (the same over
    the first ``EARLY_DAYS`` after ``start`` and the last ``LATE_DAYS`` of the horizon: a
    loss that fades shows as early above late), ``onset_days`` (days from ``start`` until
    the ``smoothing_days`` trailing mean of the loss first reaches ``ARRIVED`` of the
    cumulative loss; 0 without a loss), ``trough_pct`` and ``trough_day`` (the deepest loss
    of the ``TROUGH_DAYS`` trailing mean and its day: one day's or one week's viral posts
    are not read as a low), ``recovery_days`` (days from ``start`` until the smoothed ratio
    is back at ``threshold`` after its low; 0 if it never fell below, inf if not within
    the horizon) and ``below`` (whether the smoothed ratio fell below ``threshold``).
    """
    ratio = _ratio(baseline, scenario, start, smoothing_days)
    drop = 1 - ratio
    at = drop.argmax(axis=1)
    recovered = (ratio >= threshold) & (np.arange(ratio.shape[1]) >= at[:, None])
    first = np.where(recovered.any(axis=1), recovered.argmax(axis=1), np.inf)
    below = (ratio < threshold).any(axis=1)
    cumulative = 1 - _kept(baseline[:, start:], scenario[:, start:])
    arrived = drop >= ARRIVED * cumulative[:, None]
    onset = np.where(cumulative > 0, np.where(arrived.any(axis=1), arrived.argmax(axis=1),
                                              ratio.shape[1]), 0)
    slow = 1 - _ratio(baseline, scenario, start, TROUGH_DAYS)
    late = max(start, baseline.shape[1] - LATE_DAYS)
    return {"trough_pct": 100 * np.maximum(slow.max(axis=1), 0.0),
            "trough_day": (start + slow.argmax(axis=1)).astype(float),
            "recovery_days": np.where(below, first, 0.0),
            "cumulative_loss_pct": 100 * cumulative,
            "early_loss_pct": 100 * (1 - _kept(baseline[:, start:start + EARLY_DAYS],
                                               scenario[:, start:start + EARLY_DAYS])),
            "late_loss_pct": 100 * (1 - _kept(baseline[:, late:], scenario[:, late:])),
            "onset_days": onset.astype(float), "below": below}


def _ratio(baseline: np.ndarray, scenario: np.ndarray, start: int, days: int) -> np.ndarray:
    """The scenario's smoothed daily reach over the baseline's, from day ``start`` on."""
    b, s = smooth(baseline, days)[:, start:], smooth(scenario, days)[:, start:]
    return np.divide(s, b, out=np.ones_like(s), where=b > 0)


def _kept(baseline: np.ndarray, scenario: np.ndarray) -> np.ndarray:
    """The scenario's reach over the baseline's, summed over days (1 without reach)."""
    b, s = baseline.sum(axis=1), scenario.sum(axis=1)
    return np.divide(s, b, out=np.ones_like(b, dtype=float), where=b > 0)


def loss_at_risk(cumulative_loss_pct: np.ndarray, seed: int, resamples: int = 2000
                 ) -> dict[str, float | None]:
    """Loss-at-risk: the loss exceeded in 5 % of replications (their 95th percentile of the
    cumulative loss, %), with its spread over bootstrap resamples of the replications."""
    rng = np.random.default_rng(seed)
    x = np.asarray(cumulative_loss_pct, dtype=float)
    boot = np.percentile(x[rng.integers(0, len(x), (resamples, len(x)))], 95, axis=1)
    return summarize(boot) | {"value": float(np.percentile(x, 95))}


def figures(reach: dict[str, np.ndarray], shapley: np.ndarray, leader: int,
            first_event_day: int | None, threshold: float, smoothing_days: int,
            seed: int) -> dict[str, Any]:
    """All headline figures from the variants' daily reach and the baseline's Shapley reach
    (arrays with one row per replication)."""
    dep = dependency(reach["baseline"], reach["no_leader"], shapley, leader)
    lost = loss(reach["baseline"], reach["scenario"], first_event_day or 0, threshold,
                smoothing_days)
    out: dict[str, Any] = {k: summarize(v) for k, v in dep.items()}
    out |= {k: summarize(lost[k]) for k in LOSS_FIGURES}
    out["loss_at_risk"] = loss_at_risk(lost["cumulative_loss_pct"], seed)
    out["threshold"] = threshold
    out["p_below"] = float(lost["below"].mean())
    out["recovered_share"] = float(np.isfinite(lost["recovery_days"]).mean())
    out["first_event_day"] = first_event_day
    return out


def _bits(masks: np.ndarray, n_accounts: int) -> np.ndarray:
    """Boolean matrix: row per mask, column per account."""
    shifts = np.arange(n_accounts, dtype=np.uint64)
    return ((masks[:, None] >> shifts[None, :]) & np.uint64(1)).astype(bool)


def coalition_reach(masks: np.ndarray, counts: np.ndarray, coalition: np.ndarray) -> float:
    """User-days reached by a set of accounts under the coverage game: every user-day one
    of them reached (``coalition`` a boolean per account)."""
    hit = _bits(masks, len(coalition))[:, coalition].any(axis=1)
    return float(counts[hit].sum())


def robustness(masks: np.ndarray, counts: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Share of reach left after removing the first k accounts of ``order``, for k = 0 to
    the number of accounts (coverage game: the others' reach stays as it was).

    A reached user-day is lost once every account that reached it is removed, that is
    after the latest of them in the removal order.
    """
    n = len(order)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    last = np.where(_bits(masks, n), rank[None, :], -1).max(axis=1, initial=-1)
    lost = np.bincount(last, weights=counts, minlength=n)  # lost when the k-th goes
    total = counts.sum()
    if total == 0:
        return np.ones(n + 1)
    return 1 - np.concatenate(([0.0], np.cumsum(lost))) / total
