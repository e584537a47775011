"""Scenario schema: layouts, documented defaults, the JSON Schema, and resolving a scenario."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml
from conftest import SCENARIOS, SMALL
from pydantic import ValidationError
from typer.testing import CliRunner

from sim import Scenario, load_scenario, parse_layout, resolve_scenario, scenario_schema
from sim.cli import app
from sim.scenario.layout import select
from sim.scenario.schema import ACCOUNT_PARAMS, ROLE_DEFAULTS, ROLES, AccountParams, Matrix

SCHEMA = scenario_schema()


def _schema_fields() -> list[tuple[str, str]]:
    """(model, field) for every property of every model in the scenario's JSON Schema."""
    models = {"Scenario": SCHEMA, **SCHEMA["$defs"]}
    return [(name, field) for name, model in models.items()
            for field in model.get("properties", {})]


def _description(prop: dict) -> str | None:
    """A property's description, or that of the model it refers to."""
    if "description" in prop:
        return prop["description"]
    ref = prop.get("$ref", "")
    return SCHEMA["$defs"].get(ref.rsplit("/", 1)[-1], {}).get("description")


# --- parse_layout -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("1+5+3+20", dict(brand=1, self_operated=5, leader=3, dealer=20, employee=0)),
    ("1+0+1+0", dict(brand=1, self_operated=0, leader=1, dealer=0, employee=0)),
    ("1+2+3+4+5", dict(brand=1, self_operated=2, leader=3, dealer=4, employee=5)),
    (" 1 + 2 + 3 + 4 ", dict(brand=1, self_operated=2, leader=3, dealer=4, employee=0)),
    ("1+10+100+800+0", dict(brand=1, self_operated=10, leader=100, dealer=800, employee=0)),
])
def test_parse_layout_counts_accounts_per_role(text, expected):
    """A 4-term layout is brand+self-operated+leader+dealer; a 5th term counts employees."""
    assert parse_layout(text) == expected


@pytest.mark.parametrize("text", [
    "", "1", "1+2+3", "1+2+3+4+5+6", "1+a+3+4", "1-2-3-4", "1+2+3+-4", "1.0+2+3+4", "1++2+3",
    "one+2+3+4", "1+2+3+4+",
])
def test_parse_layout_rejects_malformed_strings(text):
    """Anything but 4 or 5 whole numbers joined by '+' is refused, quoting what was found."""
    with pytest.raises(ValueError, match=r"expected a layout .*; found " + re.escape(repr(text))):
        parse_layout(text)


@pytest.mark.parametrize("text", ["0+1+1+1", "2+1+1+1", "10+0+0+0+0"])
def test_parse_layout_requires_exactly_one_brand(text):
    """The first term is the brand account, and a matrix has exactly one."""
    with pytest.raises(ValueError, match=r"expected exactly 1 brand account .*; found"):
        parse_layout(text)


def test_matrix_validates_its_layout():
    """A matrix with a bad layout is rejected when the scenario is validated."""
    with pytest.raises(ValidationError, match="expected a layout"):
        Matrix(layout="1+2")


# --- documented defaults ----------------------------------------------------------------------

@pytest.mark.parametrize(("model", "field"), _schema_fields())
def test_every_schema_field_has_a_description(model, field):
    """Every key a scenario may hold is documented in the schema (editor hover text)."""
    models = {"Scenario": SCHEMA, **SCHEMA["$defs"]}
    description = _description(models[model]["properties"][field])
    assert description and description.strip()


@pytest.mark.parametrize("param", ACCOUNT_PARAMS)
def test_account_param_descriptions_state_each_roles_default(param):
    """Each account parameter's description gives the built-in default of every role."""
    description = AccountParams.model_fields[param].description
    assert SCHEMA["$defs"]["AccountParams"]["properties"][param]["description"] == description
    for role in ROLES:
        found = re.search(rf"\b{role} ([\d,]+(?:\.\d+)?(?:e[-+]?\d+)?)", description)
        assert found, f"{param}: no default for {role} in {description!r}"
        value = float(found.group(1).replace(",", ""))
        assert value == pytest.approx(ROLE_DEFAULTS[role][param], rel=1e-3)


# --- JSON Schema ------------------------------------------------------------------------------

def test_schema_command_prints_a_valid_json_schema():
    """`riskmodel schema` prints a Draft 2020-12 JSON Schema, the same as scenario_schema()."""
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(printed)
    assert printed == SCHEMA


def test_schema_lets_name_default_to_the_file_name():
    """`name` is optional in the schema, since the loader takes the file's name."""
    assert "name" not in SCHEMA.get("required", [])
    jsonschema.Draft202012Validator(SCHEMA).validate({"matrix": {"layout": "1+1+1+1"}})


def test_schema_accepts_the_small_scenario():
    """The shared small scenario is valid under the published schema."""
    jsonschema.Draft202012Validator(SCHEMA).validate(SMALL)


def test_schema_rejects_unknown_keys():
    """The schema, like the loader, refuses keys it does not know."""
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate({**SMALL, "horizn_days": 3})


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_bundled_scenario_matches_the_schema(path):
    """Every bundled scenario validates against the JSON Schema and loads."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    load_scenario(path)


# --- resolve_scenario -------------------------------------------------------------------------

def _ids(scenario: Scenario) -> list[str]:
    return [a.id for a in scenario.matrix.accounts]


def test_resolve_expands_a_layout_into_generated_ids():
    """Without named accounts, every slot gets an id <role>_<k>; the brand is just 'brand'."""
    s = Scenario(name="x", matrix={"layout": "1+2+3+2+2"})
    assert _ids(resolve_scenario(s)) == [
        "brand", "self_operated_1", "self_operated_2", "leader_1", "leader_2", "leader_3",
        "employee_1", "employee_2", "dealer_1", "dealer_2"]


def test_resolve_gives_named_accounts_the_first_slots_of_their_role():
    """A named leader fills leader slot 1; the remaining leader slots are numbered on."""
    resolved = resolve_scenario(Scenario.model_validate(SMALL))
    assert _ids(resolved) == ["brand", "self_operated_1", "self_operated_2", "founder",
                              "leader_2", "leader_3", "dealer_1", "dealer_2", "dealer_3",
                              "dealer_4"]
    founder = resolved.matrix.accounts[3]
    assert (founder.followers, founder.overlap) == (3_000_000, 0.5)
    assert founder.reach_rate == ROLE_DEFAULTS["leader"]["reach_rate"]


def test_resolve_fills_every_parameter_from_role_defaults():
    """Every account of a resolved scenario has every parameter set, to its role's default."""
    resolved = resolve_scenario(Scenario(name="x", matrix={"layout": "1+1+1+1+1"}))
    for account in resolved.matrix.accounts:
        for param in ACCOUNT_PARAMS:
            assert getattr(account, param) == ROLE_DEFAULTS[account.role][param]


def test_resolve_applies_role_overrides():
    """matrix.roles overrides a role's defaults; a named account's own value still wins."""
    s = Scenario(name="x", matrix={
        "layout": "1+0+0+3",
        "roles": {"dealer": {"followers": 123, "monthly_cost": 7}},
        "accounts": [{"id": "flagship", "role": "dealer", "followers": 9_999}]})
    dealers = {a.id: a for a in resolve_scenario(s).matrix.accounts if a.role == "dealer"}
    assert list(dealers) == ["flagship", "dealer_2", "dealer_3"]
    assert dealers["flagship"].followers == 9_999
    assert dealers["dealer_2"].followers == 123
    assert all(d.monthly_cost == 7 for d in dealers.values())
    assert dealers["dealer_3"].reach_rate == ROLE_DEFAULTS["dealer"]["reach_rate"]


def test_resolve_sets_the_audience_scale():
    """A generated audience gets an explicit scale of at least one real person per user."""
    resolved = resolve_scenario(Scenario.model_validate(SMALL))
    assert resolved.audience.scale is not None and resolved.audience.scale >= 1.0
    assert resolved.matrix.layout is None and resolved.matrix.roles == {}


@pytest.mark.parametrize("data", [
    SMALL,
    {"name": "roles", "matrix": {"layout": "1+1+2+3+4", "roles": {"employee": {"overlap": 0.1}}},
     "events": [{"kind": "scandal", "target": "role:leader", "day": 5}]},
], ids=["small", "roles"])
def test_resolved_scenario_round_trips(data, tmp_path):
    """A resolved scenario, dumped with to_yaml_dict and read back, equals itself."""
    resolved = resolve_scenario(Scenario.model_validate(data))
    assert Scenario.model_validate(resolved.to_yaml_dict()) == resolved
    path = tmp_path / f"{resolved.name}.yaml"
    path.write_text(yaml.safe_dump(resolved.to_yaml_dict(), sort_keys=False), encoding="utf-8")
    assert load_scenario(path) == resolved
    assert resolve_scenario(resolved) == resolved


def test_to_yaml_dict_lists_account_ids_first():
    """Dumped accounts read id, role, then parameters, the way a person writes them."""
    dumped = resolve_scenario(Scenario.model_validate(SMALL)).to_yaml_dict()
    assert all(list(a)[:2] == ["id", "role"] for a in dumped["matrix"]["accounts"])
    assert "import" in dumped["audience"]


# --- select -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("ref", "expected"), [
    ("founder", [3]),
    ("brand", [0]),
    ("leader_3", [5]),
    ("role:leader", [3, 4, 5]),
    ("role:dealer", [6, 7, 8, 9]),
    ("role:employee", []),
    ("nobody", []),
])
def test_select_finds_accounts_by_id_or_role(ref, expected):
    """A reference is an account id or 'role:<role>'; it selects account indices in order."""
    accounts = resolve_scenario(Scenario.model_validate(SMALL)).matrix.accounts
    assert select(ref, accounts) == expected
