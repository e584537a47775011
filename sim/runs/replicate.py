"""One replication of a run's variants, as every runner runs it."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence

from sim.engine.replication import simulate_variants
from sim.engine.state import Trace
from sim.scenario.schema import Event, Scenario
from sim.world.model import World

__all__ = ["Execute", "Variants", "replicate"]

Variants = dict[str, Sequence[Event]]
Execute = Callable[[Variants, range], Iterator[tuple[int, dict[str, Trace]]]]
"""Runs the given replications of the variants; yields (replication, traces) as they end."""


def replicate(world: World, scenario: Scenario, variants: Variants, replication: int
              ) -> dict[str, Trace]:
    """One replication of every variant (sharing the days before each variant's first
    event with the baseline)."""
    traces = simulate_variants(world, scenario, variants, replication)
    # a finished SimPy environment and its processes form reference cycles that hold the
    # replication's state (tens of MB at a million users) until a full collection: free
    # it now, so that a worker's memory stays flat over its replications (cheap in a
    # worker, whose older objects are frozen out of the collector's scans)
    gc.collect()
    return traces
