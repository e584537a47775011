"""Changing a scenario by key path: sweeps, sensitivity samples and layout variants.

A key path is dotted: ``audience.users``, ``matrix.accounts.founder.posts_per_day``,
``events.0.day``. A list is indexed by position, or by ``id`` for lists of accounts; an
account the layout generates (``leader_2``) becomes a named account when first changed, so
the layout stays as it was. Every change is validated as a whole scenario; bad keys or
values raise :class:`ScenarioError` naming where the change came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import Issue, ScenarioError, format_path
from sim.scenario.checks import check_scenario
from sim.scenario.layout import expand_accounts
from sim.scenario.load import describe, merge_choices
from sim.scenario.schema import Scenario

__all__ = ["merge", "override"]


def override(scenario: Scenario, changes: Mapping[str, Any], origin: str = "--set",
             base_dir: str | Path = ".") -> Scenario:
    """The scenario with each key path set to its value (``origin`` names the source of
    the changes in error messages, such as ``--set`` or a parameter file)."""
    data = scenario.to_yaml_dict()
    issues = []
    for path, value in changes.items():
        try:
            _set(data, scenario, path, value)
        except KeyError as exc:
            issues.append(Issue(origin, path, exc.args[0]))
    if issues:
        raise ScenarioError(issues)
    return _validated(data, origin, base_dir)


def merge(scenario: Scenario, patch: Mapping[str, Any], origin: str,
          base_dir: str | Path = ".") -> Scenario:
    """The scenario with a nested patch merged in: mappings merge key by key, anything
    else (lists, values) replaces what was there."""
    return _validated(_merged(scenario.to_yaml_dict(), patch), origin, base_dir)


def _merged(data: Any, patch: Any) -> Any:
    if not (isinstance(data, dict) and isinstance(patch, Mapping)):
        return patch
    return {**data, **{k: _merged(data.get(k), v) for k, v in patch.items()}}


def _validated(data: dict[str, Any], origin: str, base_dir: str | Path) -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([Issue(origin, format_path(loc), msg)
                             for loc, msg in merge_choices(list(map(describe, exc.errors())))]
                            ) from None
    check_scenario(scenario, Path(base_dir), origin)
    return scenario


def _set(data: dict[str, Any], scenario: Scenario, path: str, value: Any) -> None:
    """Set one dotted key path in the scenario's plain data (KeyError: where it fails)."""
    parts = path.split(".")
    if not all(parts):
        raise KeyError("expected a dotted key path such as audience.users; found an empty "
                       "part")
    node: Any = data
    for depth, part in enumerate(parts[:-1]):
        here = ".".join(parts[:depth + 1])
        if isinstance(node, list):
            node = node[_index(node, part, here, scenario)]
        elif isinstance(node, dict):
            if node.get(part) is None:
                if part not in node:
                    raise KeyError(f"expected one of {', '.join(node)} at {here}; found "
                                   f"{part!r}")
                node[part] = {}
            node = node[part]
        else:
            raise KeyError(f"expected a section at {'.'.join(parts[:depth])}; found a value")
    last = parts[-1]
    if isinstance(node, list):
        node[_index(node, last, path, scenario)] = value
    elif isinstance(node, dict):
        node[last] = value  # an unknown key is reported by validation
    else:
        raise KeyError(f"expected a section at {'.'.join(parts[:-1])}; found a value")


def _index(items: list[Any], part: str, here: str, scenario: Scenario) -> int:
    """Position of ``part`` in a list: a number, or an account id (a generated account of
    the layout is added to the named accounts first)."""
    if part.lstrip("-").isdigit():
        i = int(part)
        if not -len(items) <= i < len(items):
            raise KeyError(f"expected an index below {len(items)}; found {i}")
        return i
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") == part:
            return i
    if here.startswith("matrix.accounts."):
        named = {item.get("id") for item in items if isinstance(item, dict)}
        expanded = expand_accounts(scenario.matrix)
        target = next((a for a in expanded if a.id == part), None)
        if target is not None:  # name it and the generated accounts before it in its role
            same_role = [a.id for a in expanded if a.role == target.role]
            for acc_id in same_role[:same_role.index(part) + 1]:
                if acc_id not in named:
                    items.append({"id": acc_id, "role": target.role})
            return len(items) - 1
    ids = [item["id"] for item in items if isinstance(item, dict) and "id" in item]
    raise KeyError(f"expected a position{' or an id (' + ', '.join(ids) + ')' if ids else ''}"
                   f" at {here}; found {part!r}")
