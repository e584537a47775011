"""Observed exports and parameter samples: read as platforms write them, every bad row named."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.scenario.observed import read_follower_sample, read_observed, read_parameter_samples

IDS = ["brand", "founder"]


def _write(tmp_path, text, name="observed.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_chinese_and_english_headers_read_alike(tmp_path):
    zh = _write(tmp_path, "日期,账号,粉丝数,发博数,阅读数,转发数\n"
                "2024-06-01,brand,\"1,200\",2,1.5万,30\n2024/06/02,founder,9000,1,800,4\n",
                "zh.csv")
    en = _write(tmp_path, "Date,Account,Followers,Posts,Reads,Shares\n"
                "2024-06-01,brand,1200,2,15000,30\n2024-06-02,founder,9000,1,800,4\n", "en.csv")
    a, b = read_observed(zh, IDS), read_observed(en, IDS)
    for name in ("followers", "posts", "views", "reposts"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True)
    assert a.accounts == IDS and len(a.days) == 2
    assert a.views[0, 0] == 15000 and np.isnan(a.views[1, 0])  # no brand row on day 2


def test_rows_per_post_are_counted_and_summed(tmp_path):
    path = _write(tmp_path, "date,account,views,reposts\n2024-06-01,founder,100,1\n"
                  "2024-06-01,founder,300,2\n2024-06-03,founder,50,0\n")
    data = read_observed(path, IDS)
    assert data.per_post and data.accounts == ["founder"]
    assert data.posts[:, 0].tolist()[0] == 2 and data.views[0, 0] == 400
    assert data.reposts[0, 0] == 3 and np.isnan(data.views[1, 0])  # day 2: no post


def test_a_columns_map_names_other_headers(tmp_path):
    path = _write(tmp_path, "day,handle,Impressions\n2024-06-01,brand,10\n")
    data = read_observed(path, IDS, {"account": "handle", "views": "Impressions"})
    assert data.views[0, 0] == 10


def test_every_bad_row_is_reported_with_file_row_and_column(tmp_path):
    path = _write(tmp_path, "date,account,views,reposts\n2024-13-01,brand,10,1\n"
                  "2024-06-02,nobody,10,1\n2024-06-03,brand,lots,1\n")
    with pytest.raises(ScenarioError) as err:
        read_observed(path, IDS)
    issues = [str(i) for i in err.value.issues]
    assert len(issues) == 3
    assert f"{path}:2: row 1, column date: expected a date" in issues[0]
    assert "row 2, column account: expected one of the scenario's accounts (brand, founder)" \
        in issues[1] and "'nobody'" in issues[1]
    assert "row 3, column views: expected a number" in issues[2]


def test_a_missing_required_column_names_what_it_looked_for(tmp_path):
    path = _write(tmp_path, "date,account,likes\n2024-06-01,brand,3\n")
    with pytest.raises(ScenarioError, match=r"expected the columns views \(as one of views, "
                       r"reads, plays, 阅读数"):
        read_observed(path, IDS)


def test_follower_sample_and_parameter_samples(tmp_path):
    sample = _write(tmp_path, "用户,账号\nu1,brand\nu1,founder\nu2,founder\nu2,founder\n",
                    "sample.csv")
    users = read_follower_sample(sample, IDS)
    assert len(users["brand"]) == 1 and len(users["founder"]) == 2
    draws = _write(tmp_path, "draw,founder.reach_rate,brand.share_rate\n0,0.1,2.5e-03\n"
                   "1,0.2,3e-3\n", "samples.csv")
    got = read_parameter_samples(draws, IDS, ("reach_rate", "share_rate"))
    assert got["reach_rate"].tolist()[1][1] == 0.2 and np.isnan(got["reach_rate"][0, 0])
    assert got["share_rate"][:, 0].tolist() == [2.5e-3, 3e-3]
    bad = _write(tmp_path, "draw,ceo.reach_rate\n0,x\n", "bad.csv")
    with pytest.raises(ScenarioError, match=r"header, column ceo\.reach_rate"):
        read_parameter_samples(bad, IDS, ("reach_rate",))
