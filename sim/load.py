"""Load a scenario file: safe YAML, pydantic validation, and errors that point at lines.

Every problem of a file is collected and raised together as one :class:`ScenarioError`,
each naming the file, the key path, the line, what was expected and what was found.
"""

from __future__ import annotations

import csv
import difflib
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from .checks import check_consistency
from .config import AccountSpec, Event, Scenario, resolve_path
from .errors import Issue, ScenarioError, format_path

__all__ = ["load_scenario", "read_accounts_csv"]

Loc = tuple[str | int, ...]
_EVENT = TypeAdapter(Event)
_COMPARISONS = (("greater than or equal to ", ">= "), ("less than or equal to ", "<= "),
                ("greater than ", "> "), ("less than ", "< "))


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and cross-check a scenario file.

    Raises
    ------
    ScenarioError
        With every problem found: missing file, YAML syntax, unknown keys, wrong types or
        ranges, and references that do not resolve.
    """
    path = Path(path)
    text = _read(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Issue(str(path), "(YAML syntax)",
                                   f"expected valid YAML; found {problem}", line)]) from None
    if isinstance(data, dict):
        data.setdefault("name", path.stem)
    lines = _LineMap(root)
    problems: list[tuple[Loc, str]] = []
    try:
        scenario: Scenario | None = Scenario.model_validate(data)
    except ValidationError as exc:
        scenario = None
        problems += [_describe(err) for err in exc.errors()]
    problems += _cross_check(scenario, data, path.parent)
    issues = [Issue(str(path), format_path(lines.clean(loc)), msg, lines.line(loc))
              for loc, msg in problems]
    if scenario is not None and scenario.matrix.accounts_csv and not issues:
        csv_path = resolve_path(scenario.matrix.accounts_csv, path.parent)
        extra = read_accounts_csv(csv_path, str(path), lines.line(("matrix", "accounts_csv")))
        matrix = scenario.matrix.model_copy(
            update={"accounts": [*scenario.matrix.accounts, *extra], "accounts_csv": None})
        scenario = scenario.model_copy(update={"matrix": matrix})
        issues = [Issue(str(path), format_path(lines.clean(loc)), msg, lines.line(loc))
                  for loc, msg in _cross_check(scenario, data, path.parent)]
    if issues:
        raise ScenarioError(sorted(issues, key=lambda i: i.line or 0))
    assert scenario is not None
    return scenario


def read_accounts_csv(path: Path, scenario_file: str = "", line: int | None = None
                      ) -> list[AccountSpec]:
    """Accounts from a CSV with columns ``id, role`` and any account parameter.

    Empty cells take the role's default. Problems name the CSV file, row line and column.
    """
    if not path.is_file():
        raise ScenarioError([Issue(scenario_file or str(path), "matrix.accounts_csv",
                                   f"expected an existing file; found {str(path)!r}", line)])
    issues, accounts = [], []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            values = {k.strip(): v.strip() for k, v in row.items()
                      if k is not None and v not in (None, "")}
            try:
                accounts.append(AccountSpec.model_validate(values))
            except ValidationError as exc:
                for err in exc.errors():
                    loc, msg = _describe(err)
                    issues.append(Issue(str(path), f"row {reader.line_num - 1}, column "
                                        f"{format_path(loc)}", msg, reader.line_num))
    if issues:
        raise ScenarioError(issues)
    return accounts


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = "expected an existing scenario file; found no such file"
    except IsADirectoryError:
        msg = "expected a scenario file; found a directory"
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"expected a readable UTF-8 text file; found {exc}"
    raise ScenarioError([Issue(str(path), "(file)", msg)])


def _cross_check(scenario: Scenario | None, data: Any, base_dir: Path) -> list[tuple[Loc, str]]:
    """Consistency checks on whatever sections validated on their own."""
    if scenario is not None:
        return check_consistency(scenario.matrix, scenario.audience, scenario.horizon_days,
                                 list(enumerate(scenario.amplification)),
                                 list(enumerate(scenario.events)), base_dir)
    if not isinstance(data, dict):
        return []
    fields = Scenario.model_fields
    part = {name: _try(TypeAdapter(fields[name].annotation), data[name])
            for name in ("matrix", "audience", "horizon_days") if name in data}
    items = {name: [(i, v) for i, item in enumerate(data.get(name) or [])
                    if (v := _try(adapter, item)) is not None]
             if isinstance(data.get(name), list) else []
             for name, adapter in (("amplification", TypeAdapter(fields["amplification"]
                                                                  .annotation.__args__[0])),
                                   ("events", _EVENT))}
    return check_consistency(part.get("matrix"), part.get("audience"), part.get("horizon_days"),
                             items["amplification"], items["events"], base_dir)


def _try(adapter: TypeAdapter, value: Any) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def _describe(err: Any) -> tuple[Loc, str]:
    """A pydantic error as (key path, 'expected ...; found ...')."""
    loc, kind, found = tuple(err["loc"]), err["type"], err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        return loc, (f"unknown key; expected one of {', '.join(allowed)}; found {loc[-1]!r}"
                     + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    if kind == "missing":
        return loc, "expected this key; found it missing"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return loc + ("kind",), f"expected kind one of {', '.join(_event_kinds())}; found " \
                                f"{_short(found.get('kind') if isinstance(found, dict) else found)}"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        return loc, msg[len("Value error, "):]
    msg = msg.replace("Input should be ", "expected ", 1)
    for words, sign in _COMPARISONS:
        msg = msg.replace(words, sign)
    if not msg.startswith("expected"):
        msg = "expected valid input: " + msg[0].lower() + msg[1:]
    return loc, f"{msg}; found {_short(found)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _event_kinds() -> list[str]:
    return [typing.get_args(m.model_fields["kind"].annotation)[0]
            for m in typing.get_args(typing.get_args(Event)[0])]


def _allowed_keys(loc: Loc) -> list[str]:
    """The keys a scenario allows at a key path (walking the schema's models)."""
    model: Any = Scenario
    skip = False  # the next step is a list index or a dict key, not a field
    for part in loc:
        if skip:
            skip = False
        elif _is_union(model):  # a discriminated union: the step is the tag
            model = next((m for m in typing.get_args(model)
                          if typing.get_args(m.model_fields["kind"].annotation) == (part,)), None)
        elif _is_model(model):
            field = next((f for n, f in model.model_fields.items()
                          if part in (n, f.alias)), None)
            if field is None:
                return []
            model, skip = _unwrap(field.annotation)
        else:
            return []
    if _is_union(model):
        return ["kind"]
    return [f.alias or n for n, f in model.model_fields.items()] if _is_model(model) else []


def _unwrap(tp: Any) -> tuple[Any, bool]:
    """The model inside Annotated[...], X | None, list[...] or dict[..., ...].

    Also says whether the value is a container, whose items are one key path step down.
    """
    container = False
    while True:
        origin = typing.get_origin(tp)
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if origin is typing.Annotated:
            tp = args[0]
        elif origin in (list, dict):
            tp, container = args[-1], True
        elif len(args) == 1:
            tp = args[0]
        else:
            return tp, container


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _is_union(tp: Any) -> bool:
    args = typing.get_args(tp)
    return len(args) > 1 and all(_is_model(a) for a in args)


class _LineMap:
    """Line numbers of a YAML document's keys, from the composed node tree's marks."""

    def __init__(self, root: yaml.Node | None):
        self.root = root

    def _walk(self, loc: Loc) -> tuple[list[str | int], int | None]:
        node, kept, line = self.root, [], None
        if node is not None:
            line = node.start_mark.line + 1
        for i, part in enumerate(loc):
            child = self._child(node, part)
            if child is None:
                if i < len(loc) - 1:  # a pydantic-internal step (such as a union tag): skip
                    continue
                kept.append(part)
                break
            key_node, node = child
            kept.append(part)
            line = (key_node or node).start_mark.line + 1
        return kept, line

    @staticmethod
    def _child(node: Any, part: str | int) -> tuple[Any, Any] | None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    return key, value
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                return None, node.value[part]
        return None

    def line(self, loc: Loc) -> int | None:
        return self._walk(loc)[1]

    def clean(self, loc: Loc) -> Loc:
        return tuple(self._walk(loc)[0])
