"""The ``riskmodel`` command: a thin shell over the ``sim`` package.

Commands parse arguments, call one library function and print. Bad input (a
:class:`ScenarioError`) ends with its messages on standard error and exit status 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

from . import ScenarioError, build_world, load_scenario, resolve_scenario, scenario_schema
from .errors import RunError

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


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")]
             ) -> None:
    """Check scenario files; report every problem of each file together."""
    failed = 0
    for path in files:
        try:
            with user_errors():
                load_scenario(path)
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
    typer.echo(yaml.safe_dump(resolved.to_yaml_dict(), sort_keys=False, allow_unicode=True),
               nl=False)


def _dask_mode(value: str | None) -> str | None:
    if value is not None and value != "local":
        raise typer.BadParameter(f"expected 'local'; found {value!r} (a remote cluster is "
                                 "--scheduler ADDRESS)")
    return value


@app.command()
def run(
    file: ScenarioFile,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Output folder. Default: the scenario's outputs.dir, else outputs/<name>.",
        show_default=False)] = None,
    replications: Annotated[int | None, typer.Option(
        min=1, help="Monte Carlo replications. Default: the scenario's.",
        show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(
        min=0, help="Root random seed. Default: the scenario's.", show_default=False)] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Worker processes. Default: all cores. Results do not depend on it.",
        show_default=False)] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Run replications as tasks on this Dask scheduler (tcp://host:8786). Needs the "
        "dask extra.", show_default=False)] = None,
    dask: Annotated[str | None, typer.Option(
        help="'local': run replications on a Dask cluster started on this machine with "
        "--workers processes.", show_default=False, callback=_dask_mode)] = None,
) -> None:
    """Simulate a scenario and write its report, charts, tables and summary."""
    if scheduler and dask:
        raise typer.BadParameter("give either --scheduler or --dask, not both")
    from .montecarlo import run as simulate
    from .outputs import default_dir

    with user_errors(), Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task("replications", total=None)
        result = simulate(file, replications=replications, seed=seed, workers=workers,
                          scheduler=scheduler or dask,
                          progress=lambda done, total: bar.update(task, completed=done,
                                                                  total=total))
        bar.update(task, description="writing outputs")
        folder = result.save(out_dir if out_dir is not None else default_dir(result))
    _print_figures(result)
    report = folder / "report.html"
    out.print(f"wrote {folder}/" + (f"  report: {report}" if report.exists() else ""),
              highlight=False)


def _print_figures(result: Any) -> None:
    from .report import headline

    out.print(headline(result), highlight=False, markup=False)
    table = Table("figure", "unit", "mean", "P5", "P50", "P95", title_justify="left",
                  title=f"{result.scenario.name}: {result.replications} replications, seed "
                  f"{result.scenario.seed}, 1 simulated user = {result.scale:,.1f} people",
                  caption="-: not within the horizon", caption_justify="left")
    for name, unit in _FIGURES.items():
        v = result.figures[name]
        table.add_row(name, unit, *(_fmt(v[k]) for k in ("mean", "p5", "p50", "p95")))
    out.print(table)


_FIGURES = {"sdi": "share", "leader_shapley_share": "share", "effective_voices": "accounts",
            "hhi": "0-1", "trough_pct": "%", "trough_day": "day", "recovery_days": "days",
            "cumulative_loss_pct": "%", "reach_at_risk": "% base"}


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"


def _export_suffix(value: Path | None) -> Path | None:
    if value is not None and value.suffix.lower() not in (".graphml", ".gexf"):
        raise typer.BadParameter(f"expected a path ending in .graphml or .gexf; found "
                                 f"{value.name!r}")
    return value


@app.command()
def world(
    file: ScenarioFile,
    export: Annotated[Path | None, typer.Option(
        help="Write the world's graph here (.graphml or .gexf).",
        callback=_export_suffix)] = None,
) -> None:
    """Build the scenario's world and summarize it; optionally export its graph."""
    from .graph import to_networkx, write_graph

    with user_errors():
        scenario = load_scenario(file)
        built = build_world(scenario, file.parent)
    _print_summary(built.summary())
    if export is not None:
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
    table = Table("account", "role", "target", "simulated", "real", "in brand",
                  title="Followers per account (real people; 'in brand': also follow the brand)",
                  title_justify="left")
    fmt: dict[str, Callable[[Any], str]] = {
        "target_followers": "{:,.0f}".format, "simulated_followers": "{:,}".format,
        "followers": "{:,.0f}".format, "brand_overlap": "{:.1%}".format}
    for a in s["accounts"]:
        table.add_row(a["id"], a["role"], *(fmt[k](a[k]) for k in fmt))
    out.print(table)
