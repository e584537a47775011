"""The ``riskmodel`` command: a thin shell over the ``sim`` package.

Commands parse arguments, call one library function and print. Bad input (a
:class:`ScenarioError`) ends with its messages on standard error and exit status 2.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import signal
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from sim.analysis.calibrate import calibrate as fit_data
from sim.analysis.compare import compare as run_compare
from sim.analysis.drivers import driver_title
from sim.analysis.drivers import drivers as find_drivers
from sim.analysis.mitigate import lever_text, mitigate
from sim.analysis.recommend import PICKS
from sim.analysis.recommend import recommend as search
from sim.analysis.sensitivity import ANALYSED
from sim.analysis.sensitivity import sensitivity as analyse
from sim.analysis.sweep import parse_sets
from sim.analysis.sweep import sweep as run_sweep
from sim.errors import Interrupted, RunError, ScenarioError
from sim.i18n import LANGUAGES, _, language, preferred
from sim.output import save
from sim.output.calibrate.report import unidentified
from sim.output.files import check_out_dir, check_parent, default_dir
from sim.output.layouts.report import findings
from sim.output.run.report import headline
from sim.runs.figures import FIGURES, RUN_FIGURES
from sim.runs.guard import check_memory
from sim.runs.metrics import STATS
from sim.runs.montecarlo import run as simulate
from sim.scenario.layout import resolve_scenario
from sim.scenario.load import load_scenario
from sim.scenario.schema import scenario_schema
from sim.world.build import build_world, parameter_draws
from sim.world.graph import to_networkx, write_graph
from sim.world.stats import world_summary

app = typer.Typer(
    name="riskmodel",
    help="Leader-dependency risk simulator for brand account matrices (1+X+K+N).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

ScenarioFile = Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)]
Seed = Annotated[int | None, typer.Option(
    min=0, help="Root random seed. Default: the scenario's.", show_default=False)]
Reader = enum.Enum("Reader", {lang: lang for lang in LANGUAGES}, type=str)  # --lang's choices
Lang = Annotated[Reader | None, typer.Option(
    "--lang", help="Language of the report, the charts and the printed headline. Default: "
    "the scenario's outputs.lang (en).", show_default=False)]
NoMemoryCheck = Annotated[bool, typer.Option(
    "--no-memory-check", help="Run even when the estimated memory exceeds what the machine "
    "has available (the estimate is printed when a run is refused).")]


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn bad input into its messages on stderr and exit status 2, with no traceback."""
    try:
        yield
    except ScenarioError as exc:
        for issue in exc.issues:
            err.print(f"[bold red]error[/] {escape(str(issue))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    except RunError as exc:
        err.print(f"[bold red]error[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None


STOPS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
"""Signals handled like Ctrl-C: a stop asked for, and a closed terminal."""


@contextmanager
def interruptible(target: Path) -> Iterator[None]:
    """Ctrl-C, SIGTERM or SIGHUP: say in one line that nothing was written and ``target``
    is as it was, and exit with status 128 + the signal's number (130 for Ctrl-C)."""
    existed = target.exists()

    def terminate(signum: int, frame: Any) -> None:
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, terminate) for signum in STOPS}
    try:
        yield
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        state = "left as it was" if existed else "not created"
        err.print(f"interrupted: no outputs written, temporary files removed; {target}/ "
                  f"{state}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(code=128 + signum) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")]
             ) -> None:
    """Check scenario files; report every problem of each file together."""
    failed = 0
    for path in files:
        try:
            with user_errors():
                scenario = load_scenario(path)
                parameter_draws(scenario, path.parent,  # the samples its runs would draw
                                [a.id for a in resolve_scenario(scenario).matrix.accounts])
            out.print(f"[green]ok[/] {path}", highlight=False)
        except typer.Exit:
            failed += 1
    if failed:
        err.print(f"{failed} of {len(files)} file(s) have errors", highlight=False)
        raise typer.Exit(code=2)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a scenario file (for editor autocompletion)."""
    typer.echo(json.dumps(scenario_schema(), indent=2))


@app.command()
def show(file: ScenarioFile) -> None:
    """Print the resolved scenario as YAML: defaults filled in, layout expanded."""
    with user_errors():
        resolved = resolve_scenario(load_scenario(file))
    imports = resolved.audience.import_
    if imports and imports.graph:
        typer.echo(f"# audience: the users, ties and any follower sets of {imports.graph}")
    if imports and imports.followers:
        typer.echo(f"# accounts' followers: the counts in {imports.followers}, not the values "
                   "below")
    typer.echo(yaml.safe_dump(resolved.to_yaml_dict(), sort_keys=False, allow_unicode=True),
               nl=False)


def _dask_mode(value: str | None) -> str | None:
    if value is not None and value != "local":
        raise typer.BadParameter(f"expected 'local'; found {value!r} (a remote cluster is "
                                 "--scheduler ADDRESS)")
    return value


Scheduler = Annotated[str | None, typer.Option(
    help="Run replications as tasks on this Dask scheduler (tcp://host:8786). Needs the dask "
    "extra.", show_default=False)]
DaskMode = Annotated[str | None, typer.Option(
    help="'local': run replications on a Dask cluster started on this machine with "
    "--workers processes.", show_default=False, callback=_dask_mode)]


def _cluster(scheduler: str | None, dask: str | None) -> str | None:
    """Where --scheduler or --dask say to run (None: the local process pool)."""
    if scheduler and dask:
        raise typer.BadParameter("give either --scheduler or --dask, not both")
    return scheduler or dask


@app.command()
def run(
    file: ScenarioFile,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Output folder. Default: the scenario's outputs.dir, else outputs/<name>.",
        show_default=False)] = None,
    replications: Annotated[int | None, typer.Option(
        min=1, help="Monte Carlo replications. Default: the scenario's.",
        show_default=False)] = None,
    seed: Seed = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Worker processes. Default: all cores. Results do not depend on it.",
        show_default=False)] = None,
    scheduler: Scheduler = None,
    dask: DaskMode = None,
    no_memory_check: NoMemoryCheck = False,
    lang: Lang = None,
) -> None:
    """Simulate a scenario and write its report, charts, tables and summary."""
    cluster = _cluster(scheduler, dask)

    with user_errors():
        target = _out_target(file, out_dir)
    with user_errors(), interruptible(target), _progress_bar() as progress:
        result = simulate(file, replications=replications, seed=seed, workers=workers,
                          scheduler=cluster, check_memory=not no_memory_check,
                          progress=progress)
        result = _what_to_do(file, result, workers, progress)
        progress(description="writing outputs")
        folder = _saved(result, target, lang)
    with _reader(lang):
        _print_figures(result)
    report = folder / "report.html"
    out.print(f"wrote {folder}/" + (f"  report: {report}" if report.exists() else ""),
              highlight=False)


class Folded(Table):
    """A terminal table whose cells wrap at the terminal's width instead of being cut."""

    def add_column(self, *args: Any, **kwargs: Any) -> None:
        super().add_column(*args, **{"overflow": "fold", **kwargs})


def _what_to_do(file: Path, result: Any, workers: int | None,
                progress: Callable[..., None]) -> Any:
    """With events: the result with what drives its headline and what would reduce it."""
    outputs = result.scenario.outputs
    if not result.scenario.events:
        return result
    if outputs.driver_replications:
        progress(description="what drives it")
        result = dataclasses.replace(result, drivers=tuple(find_drivers(
            result, load_scenario(file), file.parent, outputs.driver_replications,
            workers=workers, progress=progress)))
    if outputs.mitigation_replications:
        progress(description="mitigation levers")
        result = dataclasses.replace(result, levers=tuple(mitigate(
            result, file.parent, outputs.mitigation_replications, workers=workers,
            progress=progress)))
    return result


def _saved(result: Any, target: Path, lang: Any) -> Path:
    """``result`` written into ``target`` in the reader's language; the folder."""
    with _reader(lang):
        return save(result, target)


@contextmanager
def _reading(lang: Any, scenario: Any) -> Iterator[None]:
    """Print in the language ``--lang`` asks for, else the scenario's."""
    with _reader(lang), preferred(scenario.outputs.lang):
        yield


def _reader(lang: Any) -> AbstractContextManager[None]:
    """The language ``--lang`` asks for, over the scenario's; no change without it."""
    return language(lang.value) if lang is not None else nullcontext()


def _print_figures(result: Any) -> None:
    """The headline, the figures table and the levers, in the run's language."""
    with preferred(result.scenario.outputs.lang):
        out.print(headline(result), highlight=False, markup=False)
        table = Folded(_("figure"), _("unit"), _("mean"), "P5", "P50", "P95",
                      title_justify="left", caption_justify="left",
                      title=_("{name}: {n} replications, seed {seed}, 1 simulated user = "
                              "{scale} people").format(
                          name=result.scenario.name, n=result.replications,
                          seed=result.scenario.seed, scale=f"{result.scale:,.1f}"),
                      caption=_("-: not within the horizon"))
        for name in RUN_FIGURES:
            v, h = result.figures[name], FIGURES[name]
            table.add_row(_(h.title), _(h.unit), *(h.text(v[k]) for k in STATS))
        out.print(table)
        _print_parameter_uncertainty(result)
        _print_drivers(result)
        _print_levers(result)


def _print_parameter_uncertainty(result: Any) -> None:
    fixed = result.meta.get("fixed_parameters")
    if fixed:
        h, drawn, alone = FIGURES["sdi"], result.figures["sdi"], fixed["sdi"]
        out.print(_("SDI with the calibration's parameter uncertainty: {mean} (P5-P95 {low} to "
                    "{high}); at the calibrated values alone: {fixed} (P5-P95 {fixed_low} to "
                    "{fixed_high})").format(
            mean=h.text(drawn["mean"]), low=h.text(drawn["p5"]), high=h.text(drawn["p95"]),
            fixed=h.text(alone["mean"]), fixed_low=h.text(alone["p5"]),
            fixed_high=h.text(alone["p95"])), highlight=False)


def _print_drivers(result: Any) -> None:
    if not result.drivers:
        return
    moves = [_("{input}: SDI {low} to {high}").format(
        input=driver_title(d.key, d.name), low=f"{100 * d.sdi[0]:.0f}%",
        high=f"{100 * d.sdi[1]:.0f}%") for d in result.drivers[:3]
        if None not in d.sdi]
    out.print(_("What drives it (each input at 2/3 and 1.5 times its value): {moves}.").format(
        moves="; ".join(moves)), highlight=False, markup=False)


def _print_levers(result: Any) -> None:
    if not result.levers:
        return
    levers = Folded(_("lever"), "SDI", _("loss"), _("loss change"), _("cost/month"),
                   title_justify="left", title=_(
                       "What would reduce it ({n} replications each, same world): mean "
                       "(P5-P95)").format(n=result.levers[0].replications))
    for lever in result.levers:
        levers.add_row(lever_text(lever.key, lever.params)[0], _spread_text("sdi", lever.sdi),
                       _spread_text("cumulative_loss_pct", lever.loss),
                       _("{change} pts").format(change=f"{lever.loss_change['mean']:+.1f}"),
                       f"{lever.extra_cost:+,.0f}")
    out.print(levers)


def _export_path(value: Path | None) -> Path | None:
    if value is not None and value.suffix.lower() not in (".graphml", ".gexf"):
        raise typer.BadParameter(f"expected a path ending in .graphml or .gexf; found "
                                 f"{value.name!r}")
    if value is not None and value.is_dir():
        raise typer.BadParameter(f"expected a file to write the graph into; found {value}, "
                                 "which is a folder")
    return value


@app.command()
def world(
    file: ScenarioFile,
    export: Annotated[Path | None, typer.Option(
        help="Write the world's graph here (.graphml or .gexf).",
        callback=_export_path)] = None,
    no_memory_check: NoMemoryCheck = False,
) -> None:
    """Build the scenario's world and summarize it; optionally export its graph."""

    with user_errors():
        if export is not None:
            check_parent(export, f"{export}: --export")
        scenario = load_scenario(file)
        if not no_memory_check:
            check_memory(resolve_scenario(scenario), 1, file.parent)
        built = build_world(scenario, file.parent)
    _print_summary(world_summary(built))
    if export is not None:
        with user_errors():
            write_graph(to_networkx(built), export)
        out.print(f"wrote {export}", highlight=False)


def _print_summary(s: dict[str, Any]) -> None:
    d = s["degree"]
    communities = "imported" if s["communities"] is None else \
        f"{s['communities']:,} communities, modularity {s['modularity']:.2f}"
    out.print(
        f"[bold]{s['users']:,}[/] simulated users x scale {s['scale']:,.1f} = "
        f"{s['real_people']:,.0f} real people; {s['ties']:,} social ties; {communities}\n"
        f"ties per user: mean {d['mean']:.1f}, median {d['median']:.0f}, P99 {d['p99']:.0f}, "
        f"max {d['max']:,}, tail exponent {d['tail_exponent']:.2f}; "
        f"{s['following_share']:.0%} of users follow an account; leader: {s['leader'] or '-'}",
        highlight=False)
    table = Folded("account", "role", "target", "simulated", "real", "in brand",
                  title="Followers per account (real people; 'in brand': also follow the brand)",
                  title_justify="left")
    fmt: dict[str, Callable[[Any], str]] = {
        "target_followers": "{:,.0f}".format, "simulated_followers": "{:,}".format,
        "followers": "{:,.0f}".format, "brand_overlap": "{:.1%}".format}
    for a in s["accounts"]:
        table.add_row(a["id"], a["role"], *(fmt[k](a[k]) for k in fmt))
    out.print(table)


@contextmanager
def _progress_bar(description: str = "replications") -> Iterator[Callable[..., None]]:
    """A progress bar on stderr; yields its callback ``(done, total)``, which also takes a
    new ``description``."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int | None = None, total: int | None = None,
                   description: str | None = None) -> None:
            bar.update(task, completed=done, total=total, description=description)
        yield update


def _out_target(file: Path, out_dir: Path | None, kind: str | None = None) -> Path:
    """Where a command writes (``--out``, else the scenario's run folder, or ``kind`` in
    it), checked before anything runs; a refusal names the option or key that chose it."""

    if out_dir is not None:
        check_out_dir(out_dir, "--out")
        return out_dir
    scenario = load_scenario(file)
    target = default_dir(scenario) / kind if kind else default_dir(scenario)
    check_out_dir(target, "outputs.dir" if scenario.outputs.dir else "name")
    return target


OutDir = Annotated[Path | None, typer.Option(
    "--out", help="Output folder. Default: sweep/ or sensitivity/ in the scenario's run folder "
    "(outputs/<name>/).", show_default=False)]
Workers = Annotated[int | None, typer.Option(
    min=1, help="Worker processes. Default: all cores. Results do not depend on it.",
    show_default=False)]


@app.command()
def sweep(
    file: ScenarioFile,
    sets: Annotated[list[str], typer.Option(
        "--set", help="KEY=V1,V2,...: a scenario key path and the values to try (repeat for "
        "a grid), e.g. matrix.accounts.founder.posts_per_day=1,3,5.", show_default=False)],
    out_dir: OutDir = None,
    replications: Annotated[int | None, typer.Option(
        min=1, help="Replications per point. Default: the scenario's.",
        show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(
        min=0, help="Root random seed of every point. Default: the scenario's.",
        show_default=False)] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    dask: DaskMode = None,
    no_memory_check: NoMemoryCheck = False,
    lang: Lang = None,
) -> None:
    """Run the scenario at every point of a grid of key values (common random numbers)."""
    cluster = _cluster(scheduler, dask)

    with user_errors():
        grid = parse_sets(sets)
        target = _out_target(file, out_dir, "sweep")
    with user_errors(), interruptible(target), _progress_bar() as progress:
        result = run_sweep(file, grid, replications=replications, seed=seed, workers=workers,
                           progress=progress, check_memory=not no_memory_check,
                           scheduler=cluster)
        folder = _saved(result, target, lang)
    with _reading(lang, result.scenario):
        _print_sweep(result)
    out.print(f"wrote {folder}/  report: {folder / 'report.html'}", highlight=False)


def _print_sweep(result: Any) -> None:
    table = Folded(_("point"), *(f"{_(FIGURES[name].title)} ({_(FIGURES[name].unit)})"
                                 for name in ANALYSED),
                   title=_("{name}: {n} points x {replications} replications, seed {seed}: "
                           "mean (P5-P95)").format(name=result.scenario.name,
                                                   n=len(result.points),
                                                   replications=result.results[0].replications,
                                                   seed=result.scenario.seed),
                   title_justify="left", caption=_("-: not within the horizon"),
                   caption_justify="left")
    for point, res in zip(result.points, result.results):
        table.add_row(", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in point.items()),
                      *(_spread_text(n, res.figures[n]) for n in ANALYSED))
    out.print(table)

def _method(value: str | None) -> str | None:
    if value is not None and value not in ("sobol", "morris"):
        raise typer.BadParameter(f"expected sobol or morris; found {value!r}")
    return value


@app.command()
def sensitivity(
    file: ScenarioFile,
    params: Annotated[Path, typer.Option(
        help="Parameter file: the uncertain inputs with their ranges or distributions.",
        show_default=False)],
    method: Annotated[str | None, typer.Option(
        help="sobol or morris. Default: the parameter file's, else sobol.",
        show_default=False, callback=_method)] = None,
    samples: Annotated[int | None, typer.Option(
        min=2, help="Sobol base samples N (a power of 2) or Morris trajectories. Default: "
        "the parameter file's, else 64 (Sobol) or 20 (Morris).", show_default=False)] = None,
    out_dir: OutDir = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    dask: DaskMode = None,
    no_memory_check: NoMemoryCheck = False,
    lang: Lang = None,
) -> None:
    """Rank the uncertain inputs by how much of each figure's variance they drive."""
    cluster = _cluster(scheduler, dask)

    with user_errors():
        target = _out_target(file, out_dir, "sensitivity")
    with user_errors(), interruptible(target), _progress_bar() as progress:
        result = analyse(file, params, method=method, samples=samples, workers=workers,
                         progress=progress, check_memory=not no_memory_check,
                         scheduler=cluster)
        folder = _saved(result, target, lang)
    with _reading(lang, result.scenario):
        _print_sensitivity(result)
    out.print(f"wrote {folder}/  report: {folder / 'report.html'}", highlight=False)


def _print_sensitivity(result: Any) -> None:
    per = result.meta["per_sample"]
    out.print(_("{method}: {runs} runs of {replications} replications, {users} simulated "
                "users, {days} days, seed {seed}").format(
        method=result.method.capitalize(), runs=len(result.x), replications=per["replications"],
        users=per["users"], days=per["horizon_days"], seed=result.meta["seed"]),
        highlight=False)
    for sentence in result.sentences():
        out.print(f"- {sentence}", highlight=False, markup=False)
    measures = ("S1", "ST") if result.method == "sobol" else ("mu_star", "sigma")
    table = Folded(_("figure"), _("rank"), _("input"), *measures,
                   title=_("Indices (95% half-widths)"), title_justify="left")
    for row in result.rows():
        table.add_row(_(FIGURES[row["figure"]].noun), str(row["rank"]), row["label"],
                      *(f"{row[m]:.3f}" + (f" +-{row[m + '_conf']:.3f}"
                                           if m + "_conf" in row else "") for m in measures))
    out.print(table)
    for warning in result.warnings:
        err.print(f"[bold yellow]{escape(_('warning'))}[/] {escape(warning)}", highlight=False)


@app.command()
def calibrate(
    file: ScenarioFile,
    data: Annotated[Path | None, typer.Option(
        help="Observed data: a CSV of account-days or posts (date, account, followers, posts, "
        "views, reposts; English or Chinese headers). Default: the scenario's "
        "calibration.data.", show_default=False)] = None,
    trials: Annotated[int, typer.Option(
        min=2, help="Rounds of the search (each scores every account's trial).")] = 150,
    replications: Annotated[int, typer.Option(
        min=2, help="Replications of the observed days per trial.")] = 2,
    out_dir: OutDir = None,
    workers: Workers = None,
    seed: Seed = None,
    lang: Lang = None,
) -> None:
    """Fit a matrix's account parameters to its observed data; write the calibrated
    scenario, its parameter samples and a fit report."""

    with user_errors():
        target = _out_target(file, out_dir, "calibrate")
    with user_errors(), interruptible(target), _progress_bar("trials") as progress:
        result = fit_data(file, data, trials=trials, replications=replications,
                          workers=workers, seed=seed, progress=progress)
        folder = _saved(result, target, lang)
    with _reading(lang, result.scenario):
        _print_calibration(result)
    out.print(f"wrote {folder}/  scenario: {folder / 'scenario.yaml'}  report: "
              f"{folder / 'report.html'}", highlight=False)


def _print_calibration(result: Any) -> None:
    table = Folded(_("account"), _("parameter"), _("value"), _("90% interval"), _("identified"),
                   title=_("Calibrated parameters"), title_justify="left")
    for f in result.fits:
        table.add_row(f.account, f.parameter, f"{f.value:.4g}",
                      _("{low} to {high}").format(low=f"{f.low:.4g}", high=f"{f.high:.4g}"),
                      _("yes") if f.identified else _("no"))
    out.print(table)
    out.print(unidentified(result), highlight=False, markup=False)


@app.command()
def compare(
    files: Annotated[list[Path], typer.Argument(
        help="A scenario with variants, or two or more scenario files (the first gives the "
        "audience and events).", show_default=False)],
    normalize: Annotated[str | None, typer.Option(
        help="Hold layouts to the first one's footing: cost (same monthly cost), posts (same "
        "posts per day) or none. Default: the scenario's normalize (none).",
        show_default=False)] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Output folder. Default: outputs/<name>/compare.",
        show_default=False)] = None,
    replications: Annotated[int | None, typer.Option(
        min=1, help="Replications per layout. Default: the scenario's.",
        show_default=False)] = None,
    seed: Seed = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    dask: DaskMode = None,
    lang: Lang = None,
) -> None:
    """Compare matrix layouts on one audience and the same events (common random numbers)."""
    cluster = _cluster(scheduler, dask)

    if normalize not in (None, "cost", "posts", "none"):
        raise typer.BadParameter(f"expected cost, posts or none; found {normalize!r}",
                                 param_hint="--normalize")
    with user_errors():
        target = _out_target(files[0], out_dir, "compare")
    with user_errors(), interruptible(target), _progress_bar() as progress:
        result = run_compare(files[0] if len(files) == 1 else files,
                             normalize=normalize,  # type: ignore[arg-type]
                             replications=replications, seed=seed, workers=workers,
                             progress=progress, scheduler=cluster)
        folder = _saved(result, target, lang)
    with _reading(lang, result.results[0].scenario):
        _print_comparison(result)
    out.print(f"wrote {folder}/  report: {folder / 'report.html'}", highlight=False)


def _print_comparison(result: Any) -> None:
    said = findings(result)
    out.print(said[0], highlight=False, markup=False)
    table = Folded(_("layout"), _("leader"), _("cost/month"), _("reach/day"), "SDI", _("loss"),
                  _("loss-at-risk"), title=_("{name}: {n} replications per layout: mean "
                                             "(P5-P95)").format(
                      name=result.name, n=result.results[0].replications),
                  title_justify="left")
    for name, res, f in zip(result.names, result.results, result.figures()):
        table.add_row(name, res.leader, f"{f['monthly_cost']['mean']:,.0f}",
                      *(_spread_text(k, f[k]) for k in ("expected_reach", "sdi",
                                                        "cumulative_loss_pct",
                                                        "loss_at_risk")))
    out.print(table)
    for line in said[1:]:
        out.print(f"- {line}", highlight=False, markup=False, soft_wrap=True)


def _spread_text(key: str, stats: dict[str, float | None]) -> str:
    """A figure's mean and P5-P95 range, written as the figures table says."""
    h = FIGURES[key]
    if stats["mean"] is None:
        return h.stat_text(stats)
    return f"{h.text(stats['mean'])} ({h.text(stats['p5'])}-{h.text(stats['p95'])})"


@app.command()
def recommend(
    file: ScenarioFile,
    budget: Annotated[float, typer.Option(
        help="Monthly budget, currency units per month (the accounts' monthly_cost units): "
        "a finite number >= 0.", show_default=False)],
    max_sdi: Annotated[float | None, typer.Option(
        min=0, max=1, help="Largest strongman dependency index (0-1) a recommended layout "
        "may have. Default: no cap.", show_default=False)] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Output folder. Default: outputs/<name>/recommend.",
        show_default=False)] = None,
    replications: Annotated[int, typer.Option(
        min=2, help="Replications per candidate layout.")] = 4,
    users: Annotated[int | None, typer.Option(
        min=10, help="Simulated users per candidate. Default: the scenario's, at most 20,000.",
        show_default=False)] = None,
    max_evaluations: Annotated[int, typer.Option(
        min=1, help="Most candidate layouts simulated.")] = 48,
    workers: Workers = None,
    scheduler: Scheduler = None,
    dask: DaskMode = None,
    lang: Lang = None,
) -> None:
    """Search layouts (X, K, N and cadence) under a budget; recommend from the frontier."""
    cluster = _cluster(scheduler, dask)

    with user_errors():
        target = _out_target(file, out_dir, "recommend")
    with user_errors(), interruptible(target), _progress_bar("candidate layouts") as progress:
        result = search(file, budget, max_sdi=max_sdi, replications=replications,
                        users=users, max_evaluations=max_evaluations, workers=workers,
                        progress=progress, scheduler=cluster)
        folder = _saved(result, target, lang)
    with _reading(lang, result.scenario):
        _print_recommendation(result)
    out.print(f"wrote {folder}/  report: {folder / 'report.html'}", highlight=False)


def _print_recommendation(result: Any) -> None:
    for line in result.sentences():
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    table = Folded(_("layout"), _("cost/month"), _("reach/day"), "SDI", _("loss"), _("pick"),
                   title=_("Pareto frontier ({n} of {total} layouts): mean (P5-P95)").format(
                       n=len(result.frontier), total=len(result.candidates)),
                   title_justify="left")
    picks = {id(c): tag for tag, c in result.picks().items()}
    for c in result.frontier:
        tag = picks.get(id(c))
        table.add_row(c.label, f"{c.cost:,.0f}",
                      *(_spread_text(k, c.figures[k]) for k in ("expected_reach", "sdi",
                                                                "cumulative_loss_pct")),
                      _(PICKS[tag]) if tag else "")
    out.print(table)
