"""Load a scenario file: safe YAML, pydantic validation, and errors that point at lines.

Every problem of a file is collected and raised together as one :class:`ScenarioError`,
each naming the file, the key path, the line, what was expected and what was found.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from sim.errors import Issue, Loc, ScenarioError, format_path
from sim.inputs import (
    MAX_ACCOUNTS_CSV_BYTES,
    MAX_SCENARIO_BYTES,
    input_problem,
    open_input,
    read_input,
)
from sim.scenario.checks import check_consistency
from sim.scenario.schema import (
    EVENT_KINDS,
    MAX_ACCOUNTS,
    AccountSpec,
    Amplification,
    Audience,
    Event,
    Matrix,
    Scenario,
    resolve_path,
)

__all__ = ["LineMap", "describe", "load_scenario", "merge_choices", "read_yaml"]

_EVENT = TypeAdapter(Event)
_ID_PATTERN = next(m.pattern for m in AccountSpec.model_fields["id"].metadata
                   if getattr(m, "pattern", None))
MAX_YAML_VALUES = 1_000_000
"""Most values (scalars, lists, mappings) a scenario document may hold with its aliases
expanded: more than a file under :data:`MAX_SCENARIO_BYTES` can spell out without them."""
MAX_YAML_DEPTH = 64
"""Deepest nesting of a scenario document (a scenario needs 6 levels)."""
_MERGE = "tag:yaml.org,2002:merge"  # the tag of a merge key, <<
_BRANCH = re.compile(r"constrained-\w+|literal\[.*\]|int")  # tags of a union's branches
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
    root, data = _parse(path)
    lines = LineMap(root)
    problems = lines.duplicate_keys()
    try:
        scenario: Scenario | None = Scenario.model_validate(data)
    except ValidationError as exc:
        scenario = None
        problems += merge_choices([describe(err) for err in exc.errors()])
        _drop_unknown_keys(data, exc.errors())
    matrix, audience, horizon_days, amplification, events = _sections(scenario, data)
    matrix, issues, csv_rows = _with_csv_accounts(matrix, path, lines)
    problems += check_consistency(matrix, audience, horizon_days, amplification, events,
                                  path.parent)
    issues += [_locate(loc, msg, path, lines, csv_rows) for loc, msg in problems]
    if issues:
        raise ScenarioError(sorted(issues, key=lambda i: (i.file != str(path), i.line or 0)))
    assert scenario is not None and matrix is not None
    return scenario.model_copy(update={"matrix": matrix})


@dataclass(frozen=True)
class _CsvRows:
    """Where the accounts read from a CSV came from: accounts from ``first`` on are its rows."""

    path: str
    first: int
    lines: list[int]


def _parse(path: Path) -> tuple[yaml.Node | None, Any]:
    """The YAML node tree (for line numbers) and the data, with ``name`` defaulted."""
    root, data = read_yaml(path, "scenario")
    if data is None:
        raise ScenarioError([Issue(str(path), "(top level)", "expected a mapping of scenario "
                                   "keys; found an empty document")])
    if isinstance(data, dict):
        data.setdefault("name", path.stem)
    return root, data


def read_yaml(path: Path, kind: str) -> tuple[yaml.Node | None, Any]:
    """A YAML file's node tree (for line numbers, see :class:`LineMap`) and its data.

    The document is composed first and its size checked before any Python object is built,
    so that aliases repeating a large part many times over ("billion laughs") are refused
    cheaply instead of expanding in whatever walks the data later. ``kind`` names the file
    in messages ("scenario", "parameter").
    """
    text = _read(path, kind)
    try:
        loader = _Loader(text)
        root = loader.get_single_node()
        _check_size(root)
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Issue(str(path), "(YAML syntax)",
                                   f"expected valid YAML; found {problem}", line)]) from None
    except _TooLarge as exc:
        raise ScenarioError([Issue(str(path), "(YAML structure)", str(exc), exc.line)]
                            ) from None
    return root, data


class _TooLarge(Exception):
    """A YAML document nested too deeply or expanding to too many values."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing deep nesting while composing and reporting a value it
    cannot build (a 5,000-digit integer, a date such as 2001-13-45) at its line."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark
                raise _TooLarge(f"expected at most {MAX_YAML_DEPTH} levels of nesting; found "
                                "more", mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> Any:
        """A mapping, its merge keys (``<<: *a``) resolved by PyYAML on a copy of the nodes:
        the composed tree keeps each key where it was written, for line numbers and the
        duplicate-key check (which would otherwise see a merged key beside its override)."""
        if isinstance(node, yaml.MappingNode):
            node = _merge_copy(node)
        return super().construct_mapping(node, deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            problem = str(exc).split("; use sys.set_int_max_str_digits")[0]
            raise yaml.constructor.ConstructorError(
                None, None, f"a value that cannot be read ({problem})", node.start_mark
            ) from None


def _merge_copy(node: yaml.MappingNode) -> yaml.MappingNode:
    """A mapping node copied down through its merge keys, for PyYAML's merging, which edits
    the mapping and the mappings it merges in place."""
    pairs = []
    for key, value in node.value:
        if key.tag == _MERGE and isinstance(value, yaml.MappingNode):
            value = _merge_copy(value)
        elif key.tag == _MERGE and isinstance(value, yaml.SequenceNode):
            value = yaml.SequenceNode(value.tag, [
                _merge_copy(v) if isinstance(v, yaml.MappingNode) else v for v in value.value],
                value.start_mark, value.end_mark)
        pairs.append((key, value))
    return yaml.MappingNode(node.tag, pairs, node.start_mark, node.end_mark)


def _check_size(root: yaml.Node | None) -> None:
    """Refuse a document whose values, each alias counted at the full size of what it
    repeats, exceed :data:`MAX_YAML_VALUES` or nest deeper than :data:`MAX_YAML_DEPTH`, or
    that contains itself through an alias."""
    sizes: dict[int, tuple[int, int]] = {}  # node id -> (values, depth), aliases expanded
    if root is None:
        return
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if done:
            open_nodes.discard(id(node))
            size = 1 + sum(sizes[id(c)][0] for c in children)
            depth = 1 + max((sizes[id(c)][1] for c in children), default=0)
            if size > MAX_YAML_VALUES or depth > MAX_YAML_DEPTH:
                raise _TooLarge(
                    f"expected at most {MAX_YAML_VALUES:,} values and {MAX_YAML_DEPTH} levels "
                    f"of nesting with aliases (*name) expanded; found {size:,} values and "
                    f"{depth} levels in the value starting here (an alias bomb?)",
                    node.start_mark.line + 1)
            sizes[id(node)] = (size, depth)
            continue
        if id(node) in open_nodes:
            raise _TooLarge("expected aliases (*name) to repeat a finished value; found one "
                            "inside the value its anchor names (a value containing itself)",
                            node.start_mark.line + 1)
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise _TooLarge("expected aliases (*name) to repeat a finished value; found "
                                "one inside the value its anchor names (a value containing "
                                "itself)", child.start_mark.line + 1)
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _with_csv_accounts(matrix: Matrix | None, path: Path, lines: LineMap
                       ) -> tuple[Matrix | None, list[Issue], _CsvRows | None]:
    """The matrix with its ``accounts_csv`` rows added, or the CSV's problems.

    When the CSV has problems the matrix is dropped (None), so that the checks needing its
    accounts are skipped rather than reporting its accounts as unknown.
    """
    if matrix is None or not matrix.accounts_csv:
        return matrix, [], None
    csv_file = resolve_path(matrix.accounts_csv, path.parent)
    problem = input_problem(csv_file, "accounts CSV", MAX_ACCOUNTS_CSV_BYTES,
                            matrix.accounts_csv)
    if problem:
        return None, [Issue(str(path), "matrix.accounts_csv", problem,
                            lines.line(("matrix", "accounts_csv")))], None
    try:
        extra, starts = _read_csv(csv_file, str(path), lines.line(("matrix", "accounts_csv")))
    except ScenarioError as exc:
        return None, exc.issues, None
    merged = matrix.model_copy(update={"accounts": [*matrix.accounts, *extra],
                                       "accounts_csv": None})
    return merged, [], _CsvRows(str(csv_file), len(matrix.accounts), starts)


def _locate(loc: Loc, msg: str, path: Path, lines: LineMap, csv_rows: _CsvRows | None
            ) -> Issue:
    """An issue at its place: a line of the scenario file, or a row of the accounts CSV."""
    index = loc[2] if len(loc) > 2 and loc[:2] == ("matrix", "accounts") else -1
    if csv_rows and isinstance(index, int) and index >= csv_rows.first:
        line = csv_rows.lines[index - csv_rows.first]
        return Issue(csv_rows.path, f"row {line - 1}, column {format_path(loc[3:])}", msg, line)
    return Issue(str(path), format_path(lines.clean(loc)), msg, lines.line(loc))


def _read_csv(path: Path, scenario_file: str, line: int | None
              ) -> tuple[list[AccountSpec], list[int]]:
    """The CSV's accounts and the line each starts on."""
    issues, accounts, starts = [], [], []
    try:
        with io.TextIOWrapper(open_input(path, "accounts CSV", MAX_ACCOUNTS_CSV_BYTES),
                              encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            for n, row in enumerate(reader):
                if n == MAX_ACCOUNTS:
                    raise ScenarioError([Issue(scenario_file, "matrix.accounts_csv",
                                               f"expected at most {MAX_ACCOUNTS:,} accounts; "
                                               f"found more rows in {path}", line)])
                values = {k.strip(): v.strip() for k, v in row.items()
                          if isinstance(k, str) and isinstance(v, str) and v}
                try:
                    accounts.append(AccountSpec.model_validate(values))
                    starts.append(reader.line_num)
                except ValidationError as exc:
                    for err in exc.errors():
                        loc, msg = describe(err, within=("matrix", "accounts", 0))
                        issues.append(Issue(str(path), f"row {reader.line_num - 1}, column "
                                            f"{format_path(loc)}", msg, reader.line_num))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError([Issue(str(path), "(file)", "expected UTF-8 CSV text; found "
                                   f"{exc}")]) from None
    if issues:
        raise ScenarioError(issues)
    return accounts, starts


def _read(path: Path, kind: str) -> str:
    hint = " (long account lists belong in matrix.accounts_csv)" if kind == "scenario" else ""
    data = read_input(path, kind, MAX_SCENARIO_BYTES, hint)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError([Issue(str(path), "(file)", "expected a readable UTF-8 text file; "
                                   f"found {exc}")]) from None


def _sections(scenario: Scenario | None, data: Any) -> tuple[
        Matrix | None, Audience | None, int | None, list[tuple[int, Amplification]],
        list[tuple[int, Event]]]:
    """The sections the consistency checks need: all of a valid scenario, else those that
    validate on their own (a missing key takes its default)."""
    if scenario is not None:
        return (scenario.matrix, scenario.audience, scenario.horizon_days,
                list(enumerate(scenario.amplification)), list(enumerate(scenario.events)))
    if not isinstance(data, dict):
        return None, None, None, [], []
    fields = Scenario.model_fields
    part = {name: _try(TypeAdapter(Annotated[fields[name].annotation, fields[name]]),
                       data[name] if name in data
                       else fields[name].get_default(call_default_factory=True))
            for name in ("matrix", "audience", "horizon_days")}
    items = {name: [(i, v) for i, item in enumerate(data.get(name) or [])
                    if (v := _try(adapter, item)) is not None]
             if isinstance(data.get(name), list) else []
             for name, adapter in (("amplification", TypeAdapter(Amplification)),
                                   ("events", _EVENT))}
    return (part["matrix"], part["audience"], part["horizon_days"], items["amplification"],
            items["events"])


def _drop_unknown_keys(data: Any, errors: list[Any]) -> None:
    """Remove the keys pydantic reported unknown, so that the rest of their section is still
    cross-checked (an event's ``day`` beside a misspelled key)."""
    for err in errors:
        if err["type"] != "extra_forbidden":
            continue
        *parents, key = err["loc"]
        node = data
        for part in parents:
            if isinstance(node, dict) and part not in node and node.get("kind") == part:
                continue  # the tag pydantic adds to the path of a discriminated union
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
        else:
            if isinstance(node, dict):
                node.pop(key, None)


def merge_choices(problems: list[tuple[Loc, str]]) -> list[tuple[Loc, str]]:
    """One problem per key where a value fails each branch of a choice (``replications``:
    a whole number >= 1 or 'auto'): the branches' expectations joined with 'or'."""
    groups: dict[Loc, list[tuple[Loc, str]]] = {}
    for loc, msg in problems:
        tagged = bool(loc) and isinstance(loc[-1], str) and _BRANCH.fullmatch(loc[-1])
        groups.setdefault(loc[:-1] if tagged else loc, []).append((loc, msg))
    out: list[tuple[Loc, str]] = []
    for key, group in groups.items():
        found = {m.split("; found ", 1)[-1] for _, m in group}
        if len(group) > 1 and len(found) == 1 and all(m.startswith("expected ") for _, m in group):
            expected = " or ".join(m[len("expected "):].split("; found ", 1)[0] for _, m in group)
            out.append((key, f"expected {expected}; found {found.pop()}"))
        else:
            out += group
    return out


def _try(adapter: TypeAdapter, value: Any) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def describe(err: Any, within: Loc = ()) -> tuple[Loc, str]:
    """A pydantic error as (key path, 'expected ...; found ...').

    ``within`` is where the validated value sits in a scenario, for listing allowed keys.
    """
    loc, kind, found = tuple(err["loc"]), err["type"], err.get("input")
    if loc[-1:] == ("[key]",):  # a bad key of a mapping such as matrix.roles
        loc = loc[:-1]
        if kind == "extra_forbidden":  # a key that is not text, such as 1 or null
            return loc, "expected keys that are text; found a key that is not"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(within + loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        return loc, (f"unknown key; expected one of {', '.join(allowed)}; found {loc[-1]!r}"
                     + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    if kind == "missing":
        return loc, "expected this key; found it missing"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = found.get("kind") if isinstance(found, dict) else found
        return (*loc, "kind"), f"expected kind one of {', '.join(EVENT_KINDS)}; found " \
                               f"{_short(tag)}"
    if kind in ("string_too_long", "too_long"):
        unit, size = ("characters", len(found)) if kind == "string_too_long" else \
            ("items", err["ctx"]["actual_length"])
        return loc, f"expected at most {err['ctx']['max_length']:,} {unit}; found {size:,}"
    if kind == "string_pattern_mismatch" and err.get("ctx", {}).get("pattern") == _ID_PATTERN:
        label = " (a display name with any characters goes in label)" if loc[-1] == "id" else ""
        return loc, ("expected ASCII letters, digits, '_', '.' and '-' only" + label
                     + f"; found {_short(found)}")
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


class LineMap:
    """Line numbers of a YAML document's keys, from the composed node tree's marks."""

    def __init__(self, root: yaml.Node | None):
        self.root = root

    def _walk(self, loc: Loc) -> tuple[list[str | int], int | None]:
        node, kept, line = self.root, [], None
        if node is not None:
            line = node.start_mark.line + 1
        for i, part in enumerate(loc):
            if i < len(loc) - 1 and part == self._tag(node):
                continue  # the tag pydantic adds to the path of a discriminated union
            child = self._child(node, part)
            if child is None:  # a key the file leaves out
                kept += loc[i:]
                break
            key_node, node = child
            kept.append(part)
            line = (key_node or node).start_mark.line + 1
        return kept, line

    @staticmethod
    def _tag(node: Any) -> str | None:
        """The value of a mapping's ``kind`` key."""
        child = LineMap._child(node, "kind")
        return child[1].value if child is not None else None

    @staticmethod
    def _child(node: Any, part: str | int) -> tuple[Any, Any] | None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    return key, value
        elif (isinstance(node, yaml.SequenceNode) and isinstance(part, int)
              and 0 <= part < len(node.value)):
            return None, node.value[part]
        return None

    def duplicate_keys(self) -> list[tuple[Loc, str]]:
        """Keys given twice in one mapping (YAML would silently keep the last)."""
        found: list[tuple[Loc, str]] = []
        visited: set[int] = set()  # aliases may repeat (or nest) a node

        def visit(node: Any, loc: Loc) -> None:
            if id(node) in visited:
                return
            visited.add(id(node))
            if isinstance(node, yaml.MappingNode):
                seen: set[Any] = set()
                for key, value in node.value:
                    if key.value in seen:
                        found.append(((*loc, key.value), "expected each key once in a mapping; "
                                       f"found {key.value!r} again on line "
                                       f"{key.start_mark.line + 1}"))
                    seen.add(key.value)
                    visit(value, (*loc, key.value))
            elif isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    visit(item, (*loc, i))

        visit(self.root, ())
        return found

    def line(self, loc: Loc) -> int | None:
        return self._walk(loc)[1]

    def clean(self, loc: Loc) -> Loc:
        return tuple(self._walk(loc)[0])
