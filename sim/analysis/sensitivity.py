"""Global sensitivity analysis: which uncertain inputs drive the headline figures.

A parameter file lists uncertain scenario keys (key paths as in :mod:`sim.scenario.overrides`), each
with a range or a distribution. SALib draws a design of samples (Saltelli's scheme for Sobol
indices, or Morris trajectories); each sample is the scenario with those values, run with the
scenario's seed (common random numbers: samples differ only where their inputs make them
differ) and a few replications whose figures are averaged before the analysis, so that
simulation noise is not read as sensitivity. SALib then estimates, for SDI, the trough, the
recovery days and the cumulative loss, Sobol first-order and total indices, or Morris mu* and
sigma, with bootstrap 95% confidence intervals. Definitions and defaults: docs/MODEL.md,
"Sensitivity analysis".
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import Issue, ScenarioError, format_path
from sim.i18n import _
from sim.runs.batch import MAX_RUNS, check_runs, run_many
from sim.runs.figures import FIGURES
from sim.runs.metrics import loss
from sim.runs.montecarlo import Progress, prepare
from sim.runs.results import RunResult
from sim.scenario.load import LineMap, describe, read_yaml
from sim.scenario.overrides import override
from sim.scenario.schema import MAX_LABEL, Scenario

__all__ = [
    "ANALYSED",
    "DISTRIBUTIONS",
    "Parameter",
    "SensitivityResult",
    "SensitivitySpec",
    "design",
    "load_params",
    "sample_values",
    "sensitivity",
]

# SALib's distributions: name -> what ``params`` holds, in SALib's order.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "unif": ("low", "high"),
    "logunif": ("low", "high"),
    "triang": ("low", "high", "peak as a share of the way from low to high"),
    "norm": ("mean", "standard deviation"),
    "truncnorm": ("low", "high", "mean", "standard deviation"),
    "lognorm": ("mean of the logarithm", "standard deviation of the logarithm"),
}
BOUNDED = ("unif", "logunif", "triang", "truncnorm")  # distributions Morris can grid
ANALYSED = ("sdi", "cumulative_loss_pct", "trough_pct", "recovery_days")  # figures ranked
# method -> (the index that ranks parameters, the first-order index or None)
MEASURES: dict[str, tuple[str, str | None]] = {"sobol": ("ST", "S1"),
                                                "morris": ("mu_star", None)}
DEFAULT_SAMPLES = {"sobol": 64, "morris": 20}  # Sobol base samples N; Morris trajectories
MIN_SAMPLES = {"sobol": 64, "morris": 10}  # below these, indices are flagged as unstable
UNSTABLE_SHARE = 0.1  # a 95% half-width above this share of the largest index is unstable
MORRIS_LEVELS = 4
RESAMPLES = 1000  # bootstrap resamples for the confidence intervals


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Parameter(_Spec):
    """One uncertain input: a key path and its range or distribution."""

    key: str = Field(max_length=MAX_LABEL, description="Scenario key path, as for --set.")
    label: str | None = Field(None, max_length=MAX_LABEL, description="Its name in "
                              f"sentences and charts, at most {MAX_LABEL} characters.")
    bounds: list[float] | None = Field(None, description="[low, high]: uniform on the range.")
    dist: Literal["unif", "logunif", "triang", "norm", "truncnorm", "lognorm"] | None = Field(
        None, description="A SALib distribution, with its params.")
    params: list[float] | None = Field(None, description="The distribution's parameters.")
    integer: bool = Field(False, description="Round drawn values to whole numbers.")

    @model_validator(mode="after")
    def _one_distribution(self) -> Parameter:
        if (self.bounds is None) == (self.dist is None):
            raise ValueError("expected either bounds: [low, high] or dist with params")
        if self.dist is not None and self.params is None:
            raise ValueError(f"expected params for dist {self.dist}: "
                             f"[{', '.join(DISTRIBUTIONS[self.dist])}]")
        if self.bounds is not None and self.params is not None:
            raise ValueError("expected params only with dist; bounds alone mean uniform")
        dist, values = self.salib()
        names = DISTRIBUTIONS[dist]
        if len(values) != len(names):
            raise ValueError(f"expected {len(names)} values for {dist}: [{', '.join(names)}]; "
                             f"found {len(values)}")
        fields = dict(zip(names, values))
        if "low" in fields and not fields["low"] < fields["high"]:
            raise ValueError(f"expected low < high; found {fields['low']} and {fields['high']}")
        if any(v <= 0 for k, v in fields.items() if k.startswith("standard deviation")):
            raise ValueError("expected a standard deviation > 0")
        if dist == "logunif" and fields["low"] <= 0:
            raise ValueError("expected low > 0 for logunif")
        if dist == "triang" and not 0 <= values[2] <= 1:
            raise ValueError(f"expected a peak between 0 and 1 for triang; found {values[2]}")
        return self

    def salib(self) -> tuple[str, list[float]]:
        """The SALib distribution name and its parameters."""
        if self.bounds is not None:
            return "unif", self.bounds
        assert self.dist is not None and self.params is not None
        return self.dist, self.params

    @property
    def name(self) -> str:
        return self.label or self.key


class SensitivitySpec(_Spec):
    """A sensitivity parameter file: the uncertain inputs and how to sample them."""

    parameters: list[Parameter] = Field(min_length=1, description="The uncertain inputs.")
    method: Literal["sobol", "morris"] = Field("sobol", description="Sobol or Morris.")
    samples: int | None = Field(None, ge=2, le=MAX_RUNS, description="Sobol base samples N "
                                "(a power of 2; N(D+2) runs) or Morris trajectories (N(D+1) "
                                f"runs), at most {MAX_RUNS:,} runs. Default 64 for Sobol, 20 "
                                "for Morris.")
    replications: int = Field(2, ge=1, description="Replications per sample, averaged.")
    users: int | None = Field(5000, ge=10, description="Simulated users per sample, unless "
                              "a parameter or fixed sets audience.users or the scenario "
                              "imports a graph; null keeps the scenario's.")
    seed: int | None = Field(None, ge=0, description="Seed of the sample design. Default: "
                             "the scenario's seed.")
    fixed: dict[str, Any] = Field(default_factory=dict, description="Key paths set in every "
                                  "sample, such as horizon_days.")

    @model_validator(mode="after")
    def _distinct_keys(self) -> SensitivitySpec:
        keys = [p.key for p in self.parameters]
        repeated = sorted({k for k in keys if keys.count(k) > 1} | (set(keys) & set(self.fixed)))
        if repeated:
            raise ValueError(f"expected each key once among parameters and fixed; found "
                             f"{', '.join(repeated)} more than once")
        return self

    @property
    def n(self) -> int:
        return self.samples or DEFAULT_SAMPLES[self.method]

    def settings(self, imported_graph: bool = False) -> dict[str, Any]:
        """Every key set in all samples: ``fixed``, the replications and the audience (whose
        users an imported graph gives)."""
        fixed = {**self.fixed, "replications": self.replications}
        varied = {p.key for p in self.parameters}
        if self.users is not None and not imported_graph and \
                "audience.users" not in set(fixed) | varied:
            fixed["audience.users"] = self.users
        return fixed


def load_params(path: str | Path) -> SensitivitySpec:
    """Read and validate a sensitivity parameter file (every problem reported together,
    each with file, line and key path)."""
    path = Path(path)
    root, data = read_yaml(path, "parameter")
    try:
        return SensitivitySpec.model_validate(data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc, msg = describe(err)
            if err["type"] == "extra_forbidden":
                model = Parameter if loc[:1] == ("parameters",) else SensitivitySpec
                msg = f"unknown key; expected one of {', '.join(model.model_fields)}; found " \
                      f"{loc[-1]!r}"
            issues.append(Issue(str(path), format_path(loc), msg, LineMap(root).line(loc)))
        raise ScenarioError(issues) from None


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """A sensitivity analysis: the design, each sample's averaged figures, the indices.

    Attributes
    ----------
    scenario : Scenario
        The base scenario.
    spec : SensitivitySpec
        The parameter file, with any command-line method and sample size applied.
    x : ndarray, shape (runs, parameters)
        The values each sample ran with.
    y : dict of str to ndarray, shape (runs,)
        Per figure of ``ANALYSED``, each sample's mean over its replications.
    indices : dict of str to dict or None
        Per figure, SALib's indices as lists in parameter order (Sobol ``S1``, ``S1_conf``,
        ``ST``, ``ST_conf``; Morris ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma``), or
        None when the figure does not vary over the samples.
    meta : dict
        Source files, the scenario's per-sample settings, workers and wall time.
    """

    scenario: Scenario
    spec: SensitivitySpec
    x: np.ndarray
    y: dict[str, np.ndarray]
    indices: dict[str, dict[str, list[float]] | None]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.spec.method

    @property
    def warnings(self) -> list[str]:
        """Why some indices may not be stable, in the current language."""
        return _warnings(self.spec, self.indices)

    def ranking(self, output: str) -> list[int]:
        """Parameter positions, most influential on ``output`` first (by the total index,
        or by mu* for Morris); empty when the figure does not vary."""
        found = self.indices[output]
        if found is None:
            return []
        return sorted(range(len(self.spec.parameters)),
                      key=lambda i: -found[MEASURES[self.method][0]][i])

    def sentences(self) -> list[str]:
        """The ranking in plain words, one sentence per figure."""
        return [_sentence(self, output) for output in ANALYSED]

    def rows(self) -> list[dict[str, Any]]:
        """The indices table: per figure and parameter, its rank and indices."""
        rows = []
        for output, found in self.indices.items():
            for rank, i in enumerate(self.ranking(output), 1):
                p = self.spec.parameters[i]
                rows.append({"figure": output, "rank": rank, "key": p.key, "label": p.name,
                             **{k: v[i] for k, v in (found or {}).items()}})
        return rows


def sensitivity(scenario: Scenario | str | Path, params: SensitivitySpec | str | Path,
                base_dir: str | Path | None = None, *, method: str | None = None,
                samples: int | None = None, workers: int | None = None,
                progress: Progress | None = None, check_memory: bool = True,
                scheduler: str | None = None) -> SensitivityResult:
    """Sample the uncertain inputs, run every sample, and estimate the indices.

    Parameters
    ----------
    scenario : Scenario or path
        The base scenario, or its file.
    params : SensitivitySpec or path
        The uncertain inputs (:func:`load_params`).
    method, samples : optional
        Override the parameter file's.
    workers, progress, check_memory, scheduler
        As for :func:`sim.run`; ``progress`` counts replications over all samples.

    Raises
    ------
    ScenarioError
        A bad parameter file, more than :data:`sim.batch.MAX_RUNS` runs, or a sample the
        scenario does not accept (a key that does not exist, a drawn value out of its
        range), before anything runs.
    """
    started = time.perf_counter()
    origin = str(params) if not isinstance(params, SensitivitySpec) else "parameters"
    spec = params if isinstance(params, SensitivitySpec) else load_params(params)
    spec = spec.model_copy(update={k: v for k, v in (("method", method), ("samples", samples))
                                   if v is not None})
    if spec.method == "sobol" and spec.n & (spec.n - 1):
        raise ScenarioError([Issue("--samples" if samples else origin, "samples",
                                   f"expected a power of 2 for Sobol sampling; found {spec.n}")])
    unbounded = [Issue(origin, f"parameters[{i}].dist", f"expected a bounded distribution "
                       f"({', '.join(BOUNDED)}) for Morris, whose levels include the ends; "
                       f"found {p.dist}")
                 for i, p in enumerate(spec.parameters) if p.salib()[0] not in BOUNDED]
    if spec.method == "morris" and unbounded:
        raise ScenarioError(unbounded)
    check_runs(spec.n * (len(spec.parameters) + (2 if spec.method == "sobol" else 1)),
               "--samples" if samples else origin, "samples",
               f"{spec.n:,} {spec.method} samples of {len(spec.parameters)} parameter(s)")
    base, base_dir, meta = prepare(scenario, base_dir)
    imported = bool(base.audience.import_ and base.audience.import_.graph)
    base = override(base, spec.settings(imported), origin=f"{origin} (fixed settings)",
                    base_dir=base_dir)
    x = design(spec, base.seed if spec.seed is None else spec.seed)
    scenarios = [override(base, values, origin=f"{origin} (sample {j}: " + ", ".join(
        f"{k}={v}" for k, v in values.items()) + ")", base_dir=base_dir)
        for j, values in enumerate(sample_values(spec, x))]
    results = run_many(scenarios, base_dir, workers=workers, progress=progress,
                       check_memory=check_memory, scheduler=scheduler)
    figures = [_figures(r) for r in results]
    y = {o: np.array([f[o] for f in figures]) for o in ANALYSED}
    indices = {o: _analyze(spec, x, v, base.seed) for o, v in y.items()}
    varied = {p.key for p in spec.parameters}
    meta |= {"params_file": origin, "seed": base.seed,
             "per_sample": {"replications": spec.replications,
                            "users": "varied" if "audience.users" in varied
                            else base.audience.users,
                            "horizon_days": "varied" if "horizon_days" in varied
                            else base.horizon_days},
             "workers": workers, "wall_time_s": round(time.perf_counter() - started, 3)}
    return SensitivityResult(base, spec, x, y, indices, meta)


def design(spec: SensitivitySpec, seed: int) -> np.ndarray:
    """The sample design: one row per run, one column per parameter (integers rounded)."""
    from SALib.sample import morris, sobol  # heavy (pulls in pandas): imported when used

    problem = _problem(spec)
    if spec.method == "sobol":
        x = sobol.sample(problem, spec.n, calc_second_order=False, seed=seed)
    else:
        x = morris.sample(problem, spec.n, num_levels=MORRIS_LEVELS, seed=seed)
    rounded = [p.integer for p in spec.parameters]
    x[:, rounded] = np.round(x[:, rounded])
    return x


def _problem(spec: SensitivitySpec) -> dict[str, Any]:
    salib = [p.salib() for p in spec.parameters]
    return {"num_vars": len(salib), "names": [p.key for p in spec.parameters],
            "dists": [d for d, _ in salib], "bounds": [b for _, b in salib]}


def sample_values(spec: SensitivitySpec, x: np.ndarray) -> list[dict[str, Any]]:
    """Each run's key paths and values (whole numbers as int)."""
    return [{p.key: int(v) if p.integer else float(v) for p, v in zip(spec.parameters, row)}
            for row in x]


def _figures(result: RunResult) -> dict[str, float]:
    """A sample's figures, each the mean over its replications; a replication that does not
    recover within the horizon counts the days left after the first event (censored)."""
    t0 = result.figures["first_event_day"] or 0
    out = result.scenario.outputs
    lost = loss(result.reach["baseline"], result.reach["scenario"], t0, out.threshold,
                out.smoothing_days)
    recovery = np.minimum(lost["recovery_days"], result.scenario.horizon_days - t0)
    return {"sdi": result.figures["sdi"]["mean"], "cumulative_loss_pct":
            float(lost["cumulative_loss_pct"].mean()),
            "trough_pct": float(lost["trough_pct"].mean()), "recovery_days": float(recovery.mean())}


def _analyze(spec: SensitivitySpec, x: np.ndarray, y: np.ndarray, seed: int
             ) -> dict[str, list[float]] | None:
    """SALib's indices of one figure, as plain lists; None if it does not vary."""
    from SALib.analyze import morris, sobol  # heavy (pulls in pandas): imported when used

    if np.ptp(y) <= 1e-12 * max(1.0, float(np.abs(y).max())):
        return None
    problem = _problem(spec)
    if spec.method == "sobol":
        found = sobol.analyze(problem, y, calc_second_order=False, num_resamples=RESAMPLES,
                              seed=seed)
    else:
        found = morris.analyze(problem, x, y, num_resamples=RESAMPLES,
                               num_levels=MORRIS_LEVELS, seed=seed)
    return {k: [float(v) for v in np.asarray(found[k], dtype=float)]
            for k in found if k != "names"}


def _warnings(spec: SensitivitySpec, indices: Mapping[str, dict[str, list[float]] | None]
              ) -> list[str]:
    """Why indices may be unstable: a sample below the floor, or intervals wide against
    the largest index."""
    found = []
    floor = MIN_SAMPLES[spec.method]
    if spec.n < floor:
        found.append((_("{n} base samples is below the floor of {floor} for stable Sobol "
                        "indices; treat the ranking as indicative") if spec.method == "sobol"
                      else _("{n} trajectories is below the floor of {floor} for stable Morris "
                             "indices; treat the ranking as indicative")).format(
            n=spec.n, floor=floor))
    measure = MEASURES[spec.method][0]
    for output, idx in indices.items():
        if idx is None:
            continue
        confs = [c for k, v in idx.items() if k.endswith("_conf") for c in v]
        largest = max(idx[measure])
        if max(confs) > UNSTABLE_SHARE * largest:
            found.append(_("{figure}: 95% intervals up to +-{conf} against a largest index of "
                           "{largest}; more samples would make the indices stable").format(
                figure=_capital(_(FIGURES[output].noun)), conf=f"{max(confs):.3g}",
                largest=f"{largest:.3g}"))
    return found


def _sentence(result: SensitivityResult, output: str) -> str:
    name, unit = _(FIGURES[output].noun), FIGURES[output].value_unit
    order = result.ranking(output)
    if not order:
        return _("{figure} does not vary over the samples (always {value} {unit}), so no "
                 "input drives it.").format(figure=_capital(name),
                                            value=f"{result.y[output][0]:.3g}", unit=_(unit))
    idx = result.indices[output]
    assert idx is not None
    top = order[0]
    label = _capital(result.spec.parameters[top].name)
    if result.method == "sobol":
        s1, st = (float(np.clip(idx[k][top], 0, 1)) for k in ("S1", "ST"))
        return _("{input} explains {s1} of the variance of {figure} on its own and {st} with "
                 "its interactions.").format(input=label, s1=f"{s1:.0%}", figure=name,
                                             st=f"{st:.0%}")
    effect = idx["mu_star"][top] * (100 if unit == "share" else 1)
    return _("{input} moves {figure} most: by {effect} {unit} on average across its range "
             "(Morris mu*).").format(input=label, figure=name, effect=f"{effect:.3g}",
                                     unit=_("percentage points") if unit == "share"
                                     else _(unit))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
