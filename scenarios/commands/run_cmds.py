"""``munigrid run``, ``munigrid validate`` and ``munigrid scenarios``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from munigrid.scenarios.cli import solver_output_to_stderr
from munigrid.scenarios.library import bundled, load_scenario


@click.command()
@click.argument("scenario")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run store root (default: $MUNIGRID_RUNS or ./runs).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--no-store", is_flag=True, help="Do not write a run folder.")
@click.option("--no-report", is_flag=True, help="Do not write the HTML report into the run folder.")
@click.option("--samples", type=click.IntRange(0, 100_000), default=200, show_default=True,
              help="Monte Carlo years simulated for P10/P50/P90 (numba core, rule-based battery); 0 skips.")
def run(scenario, out, as_json, no_store, no_report, samples):
    """Run SCENARIO (bundled name or YAML file): weather -> PV -> loads -> dispatch -> stored run."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from munigrid.scenarios import api
    from munigrid.scenarios.tables import print_summary

    console = Console(stderr=True)
    with solver_output_to_stderr(), Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                             console=console, transient=True,
                                             disable=as_json or not console.is_terminal) as bar:
        task = bar.add_task("loading scenario", total=None)
        outcome = api.run(scenario, store=not no_store, root=out, report=not no_report, samples=samples,
                          progress=lambda stage: bar.update(task, description=stage))
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2, ensure_ascii=False))
        return
    print_summary(outcome)


@click.command()
@click.argument("scenario")
def validate(scenario):
    """Check SCENARIO as `run` would, reading its files, and list every problem at once (exit 2 if any).

    Stops before the solve: a scenario that validates starts its solve.
    """
    parsed, path = load_scenario(scenario)  # the file alone first: a bad file never costs the imports below
    from munigrid.scenarios import api

    for warning in api.check(parsed, base_dir=path.parent):
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    click.echo(f"{path}: valid ({len(parsed.buildings)} buildings, {parsed.time.days} days at "
               f"{parsed.time.step_min} min)")


@click.command()
def scenarios():
    """List the bundled scenarios."""
    for name, path in bundled().items():
        parsed, _ = load_scenario(path)
        click.echo(f"{name:16s} {parsed.description.strip()}")
