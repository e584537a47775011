"""riskmodel: how far a brand's reach depends on one strongman, and what happens without him."""

from .config import Scenario, parse_layout, scenario_schema
from .errors import Issue, ScenarioError
from .layout import expand_accounts, resolve_scenario
from .load import load_scenario
from .montecarlo import run
from .results import RunResult
from .world import World, build_world

__all__ = [
    "Issue",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "World",
    "build_world",
    "expand_accounts",
    "load_scenario",
    "parse_layout",
    "resolve_scenario",
    "run",
    "scenario_schema",
]
__version__ = "0.1.0"
