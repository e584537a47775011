"""A company's observed data, as platforms' analytics tools export it.

Rows per account and day, or per post (several rows for one account and day: their posts are
counted and their numbers summed), with the columns date, account, followers, posts, views,
reposts, comments and likes. English headers (and the synonyms reads, plays, shares) and the
Chinese ones analytics exports write (日期, 账号, 粉丝数, 发博数, 阅读数, 播放量, 转发数,
评论数, 点赞数) are known; other headers are named by a scenario's ``calibration.columns``.
Numbers may carry thousands separators and the Chinese units 万 (10^4) and 亿 (10^8). A
follower sample is rows of (user, account): who was seen following which account.

Every bad row is reported with its file, row and column, all of them together.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.errors import Issue, ScenarioError, listing
from sim.inputs import open_input

__all__ = ["COLUMNS", "MAX_OBSERVED_BYTES", "Observed", "read_follower_sample", "read_observed",
           "read_parameter_samples"]

MAX_OBSERVED_BYTES = 256 * 2**20
COLUMNS = ("date", "account", "followers", "posts", "views", "reposts", "comments", "likes")
"""The columns riskmodel reads; date, account and views are required."""
_REQUIRED = ("date", "account", "views")
KNOWN_HEADERS = {
    "date": ("date", "day", "日期"),
    "account": ("account", "account_id", "账号", "账号名称"),
    "followers": ("followers", "fans", "粉丝数", "粉丝"),
    "posts": ("posts", "发博数", "发布数", "作品数"),
    "views": ("views", "reads", "plays", "阅读数", "播放量", "阅读量", "播放数"),
    "reposts": ("reposts", "shares", "retweets", "转发数", "分享数"),
    "comments": ("comments", "评论数"),
    "likes": ("likes", "点赞数"),
}
_UNITS = {"万": 1e4, "亿": 1e8}
_NUMBER = re.compile(r"^([0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)\s*(万|亿)?$")


@dataclass(frozen=True)
class Observed:
    """Observed account-days: arrays of shape (days, accounts), NaN where a column was not
    given (or an account had no row that day).

    ``days`` are the calendar days from the first to the last row; ``accounts`` the
    accounts' ids in the order of ``followers`` ... ``reposts``' columns.
    """

    path: str
    days: np.ndarray
    accounts: list[str]
    followers: np.ndarray
    posts: np.ndarray
    views: np.ndarray
    reposts: np.ndarray
    per_post: bool


def read_observed(path: Path, known_accounts: list[str], columns: dict[str, str] | None = None
                  ) -> Observed:
    """The observed data in ``path`` for the scenario's ``known_accounts``.

    ``columns`` maps riskmodel's column names to the file's headers where they differ.
    Raises :class:`ScenarioError` with every bad row (file, row, column, what was expected).
    """
    rows, header_of = _rows(path, columns or {}, "observed data")
    issues: list[Issue] = []
    known = set(known_accounts)
    records: dict[tuple[dt.date, str], list[dict[str, float]]] = {}
    for line, row in rows:
        where = f"row {line - 1}"
        day = _date(row.get("date", ""))
        account = row.get("account", "")
        problems = []
        if day is None:
            problems.append(("date", f"expected a date such as 2024-03-28; got "
                                     f"{row.get('date', '')!r}"))
        if account not in known:
            problems.append(("account", f"expected one of the scenario's accounts "
                                        f"({listing(sorted(known))}); got {account!r}"))
        values = {}
        for name in ("followers", "posts", "views", "reposts"):
            if name not in header_of:
                continue
            cell = row.get(name, "")
            value = _number(cell) if cell else np.nan  # an empty cell: not reported
            if value is None:
                problems.append((name, f"expected a number of at least 0 (such as 1234, "
                                       f"1,234 or 1.2万); got {row.get(name, '')!r}"))
            values[name] = value
        for name, message in problems:
            issues.append(Issue(str(path), f"{where}, column {header_of.get(name, name)}",
                                message, line))
        if not problems:
            records.setdefault((day, account), []).append(values)
    if issues:
        raise ScenarioError(issues)
    if not records:
        raise ScenarioError([Issue(str(path), "(file)", "expected at least one data row")])
    return _observed(str(path), records, known_accounts, header_of)


def read_follower_sample(path: Path, known_accounts: list[str]) -> dict[str, np.ndarray]:
    """Per account, the sorted distinct user ids seen following it (columns user, account)."""
    rows, _ = _rows(path, {}, "follower sample", required=("user", "account"),
                    headers={"user": ("user", "user_id", "用户", "用户id"),
                             "account": KNOWN_HEADERS["account"]})
    issues, users = [], {a: [] for a in known_accounts}
    for line, row in rows:
        account, user = row.get("account", ""), row.get("user", "")
        if account not in users:
            issues.append(Issue(str(path), f"row {line - 1}, column account",
                                f"expected one of the scenario's accounts "
                                f"({listing(sorted(users))}); got {account!r}", line))
        elif not user:
            issues.append(Issue(str(path), f"row {line - 1}, column user",
                                "expected a user id; got an empty cell", line))
        else:
            users[account].append(user)
    if issues:
        raise ScenarioError(issues)
    ids = {u: i for i, u in enumerate(sorted({u for us in users.values() for u in us}))}
    return {a: np.unique(np.array([ids[u] for u in us], dtype=np.int64))
            for a, us in users.items() if us}


def read_parameter_samples(path: Path, known_accounts: list[str], parameters: tuple[str, ...]
                           ) -> dict[str, np.ndarray]:
    """Parameter samples (``riskmodel calibrate``'s ``samples.csv``: a column per
    ``account.parameter``): per parameter an array (draws, accounts), NaN for an account
    without samples of it."""
    issues: list[Issue] = []
    try:
        with io.TextIOWrapper(open_input(path, "parameter samples", MAX_OBSERVED_BYTES),
                              encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            columns = {}
            for i, name in enumerate(header):
                account, _, parameter = name.rpartition(".")
                if name == "draw":
                    continue
                if account not in known_accounts or parameter not in parameters:
                    issues.append(Issue(str(path), f"header, column {name}",
                                        "expected account.parameter with one of the scenario's "
                                        f"accounts and a parameter among "
                                        f"{', '.join(parameters)}", 1))
                else:
                    columns[i] = (parameter, known_accounts.index(account))
            rows = []
            for cells in reader:
                values = {}
                for i, key in columns.items():
                    value = _number(cells[i]) if i < len(cells) else None
                    if value is None:
                        issues.append(Issue(str(path), f"row {reader.line_num - 1}, column "
                                            f"{header[i]}", "expected a number of at least 0; "
                                            f"got {cells[i] if i < len(cells) else ''!r}",
                                            reader.line_num))
                    values[key] = value
                rows.append(values)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError([Issue(str(path), "(file)",
                                   f"expected UTF-8 CSV text; found {exc}")]) from None
    if not issues and not rows:
        issues.append(Issue(str(path), "(file)", "expected at least one row of samples"))
    if issues:
        raise ScenarioError(issues)
    out = {p: np.full((len(rows), len(known_accounts)), np.nan)
           for p in {p for p, _ in columns.values()}}
    for j, values in enumerate(rows):
        for (parameter, a), value in values.items():
            out[parameter][j, a] = value
    return out


def _rows(path: Path, columns: dict[str, str], kind: str, required: tuple[str, ...] = _REQUIRED,
          headers: dict[str, tuple[str, ...]] = KNOWN_HEADERS
          ) -> tuple[list[tuple[int, dict[str, str]]], dict[str, str]]:
    """The file's rows (line, {column: cell}) under riskmodel's column names, and for each
    column found the header it had."""
    try:
        with io.TextIOWrapper(open_input(path, kind, MAX_OBSERVED_BYTES), encoding="utf-8-sig",
                              newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise ScenarioError([Issue(str(path), "(file)",
                                           "expected a header row; the file is empty")])
            index = _columns(path, [h.strip() for h in header], columns, required, headers)
            rows = []
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                rows.append((reader.line_num, {name: cells[i].strip() if i < len(cells) else ""
                                               for name, i in index.items()}))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError([Issue(str(path), "(file)",
                                   f"expected UTF-8 CSV text; found {exc}")]) from None
    return rows, {name: header[i].strip() for name, i in index.items()}


def _columns(path: Path, header: list[str], columns: dict[str, str], required: tuple[str, ...],
             headers: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Where each of riskmodel's columns is in ``header``."""
    lowered = [h.lower() for h in header]
    index = {}
    for name, names in headers.items():
        wanted = [columns[name].lower()] if name in columns else [n.lower() for n in names]
        found = [i for i, h in enumerate(lowered) if h in wanted]
        if found:
            index[name] = found[0]
    missing = [n for n in required if n not in index]
    if missing:
        expected = "; ".join(f"{n} (as {columns[n]!r})" if n in columns
                             else f"{n} (as one of {', '.join(headers[n])})" for n in missing)
        raise ScenarioError([Issue(str(path), "header", f"expected the columns {expected}; "
                                   f"found {', '.join(header) or 'none'} (name other headers in "
                                   "the scenario's calibration.columns)", 1)])
    return index


def _date(text: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _number(text: str) -> float | None:
    match = _NUMBER.match(text.replace(",", "").replace("，", "").strip())
    if not match:
        return None
    return float(match.group(1)) * _UNITS.get(match.group(2) or "", 1.0)


def _observed(path: str, records: dict[tuple[dt.date, str], list[dict[str, float]]],
              known_accounts: list[str], header_of: dict[str, str]) -> Observed:
    first = min(d for d, _ in records)
    n_days = (max(d for d, _ in records) - first).days + 1
    accounts = [a for a in known_accounts if any(a == b for _, b in records)]
    column = {a: i for i, a in enumerate(accounts)}
    arrays = {name: np.full((n_days, len(accounts)), np.nan)
              for name in ("followers", "posts", "views", "reposts")}
    per_post = any(len(rows) > 1 for rows in records.values())
    for (day, account), rows in records.items():
        t, a = (day - first).days, column[account]
        for name in ("views", "reposts"):
            if name in header_of:
                arrays[name][t, a] = sum(r[name] for r in rows)
        if "posts" in header_of:
            arrays["posts"][t, a] = sum(r["posts"] for r in rows)
        elif per_post:
            arrays["posts"][t, a] = len(rows)
        if "followers" in header_of:
            arrays["followers"][t, a] = max(r["followers"] for r in rows)
    days = np.datetime64(first, "D") + np.arange(n_days)
    return Observed(path, days, accounts, per_post=per_post, **arrays)
