"""riskmodel: how far a brand's reach depends on one strongman, and what happens without him."""

from sim.errors import Issue, ScenarioError
from sim.output import save
from sim.output.run.charts import plot
from sim.runs.montecarlo import run
from sim.runs.results import RunResult
from sim.scenario.layout import expand_accounts, resolve_scenario
from sim.scenario.load import load_scenario
from sim.scenario.schema import Scenario, parse_layout, scenario_schema
from sim.world.build import build_world
from sim.world.model import World

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
    "plot",
    "resolve_scenario",
    "run",
    "save",
    "scenario_schema",
]
__version__ = "0.1.0"
