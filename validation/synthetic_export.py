"""Synthetic analytics exports: what a company's accounts would report if the model were true.

One replication of a scenario's baseline over its horizon, written as platforms' analytics
tools export it (one row per account and day: 日期, 账号, 粉丝数, 发博数, 阅读数, 转发数, in
people), and a follower sample (用户, 账号: every follow of users drawn at random). Used for
the bundled calibration example and the parameter-recovery check.

Run ``python validation/synthetic_export.py`` to rewrite scenarios/calibration/data/ from
scenarios/calibration/truth.yaml.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.analysis.calibrate import synthetic_observations
from sim.scenario.layout import resolve_scenario
from sim.scenario.load import load_scenario
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "calibration"
HEADER = ("日期", "账号", "粉丝数", "发博数", "阅读数", "转发数")
START = dt.date(2024, 6, 1)
SAMPLE_USERS = 4000


def write_export(scenario: Scenario, folder: Path, replication: int = 0,
                 sample_users: int = SAMPLE_USERS) -> tuple[Path, Path]:
    """Write ``observed.csv`` and ``follower_sample.csv`` of ``scenario`` into ``folder``."""
    series, sample = synthetic_observations(scenario, folder, replication, sample_users)
    ids = [a.id for a in resolve_scenario(scenario).matrix.accounts]
    folder.mkdir(parents=True, exist_ok=True)
    observed, followers = folder / "observed.csv", folder / "follower_sample.csv"
    with observed.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for t in range(series["views"].shape[0]):
            day = (START + dt.timedelta(days=t)).isoformat()
            for a, account in enumerate(ids):
                writer.writerow([day, account, *(int(series[k][t, a]) for k in
                                                 ("followers", "posts", "views", "reposts"))])
    with followers.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("用户", "账号"))
        writer.writerows((f"u{user}", account) for user, account in sample)
    return observed, followers


def main() -> None:
    truth = load_scenario(EXAMPLE / "truth.yaml")
    for path in write_export(truth, EXAMPLE / "data"):
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
