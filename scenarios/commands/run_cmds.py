"""``munigrid run``, ``munigrid validate`` and ``munigrid scenarios``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from munigrid.models.errors import InputError
from munigrid.scenarios.cli import EXIT_BAD_INPUT, solver_output_to_stderr
from munigrid.scenarios.library import bundled, load_scenario, resolve


@click.command()
@click.argument("scenario")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run store root (default: $MUNIGRID_RUNS or ./runs).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--no-store", is_flag=True, help="Do not write a run folder.")
@click.option("--no-report", is_flag=True, help="Do not write the HTML report into the run folder.")
@click.option("--samples", type=click.IntRange(0, 100_000), default=200, show_default=True,
              help="Monte Carlo years simulated for P10/P50/P90; 0 skips.")
@click.option("--operator", type=click.Choice(["rule", "optimiser"]), default=None,
              help="Who operates the battery in the sampled years: the self-consumption rule (numba, fast) or the "
                   "dispatch optimiser solving every year (default: the scenario's uncertainty.operator).")
def run(scenario, out, as_json, no_store, no_report, samples, operator):
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
                          operator=operator,
                          progress=lambda stage: bar.update(task, description=stage))
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2, ensure_ascii=False))
        return
    print_summary(outcome)


@click.command()
@click.argument("scenario")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: valid, the problems (path, message), warnings and the scenario's size.")
@click.option("--quick", is_flag=True,
              help="Check the file against the schema and that referenced files exist, without reading them "
                   "(fast; a scenario that passes may still fail on its files' contents).")
def validate(scenario, as_json, quick):
    """Check SCENARIO as `run` would, reading its files, and list every problem at once (exit 2 if any).

    Stops before the solve: a scenario that validates starts its solve. ``--quick`` checks only
    the schema and that referenced files exist.
    """
    from munigrid.scenarios.references import reference_problems

    path = parsed = None
    warnings: list[str] = []
    try:
        path = resolve(scenario)
        parsed, _ = load_scenario(path)  # the file alone first: a bad file never costs the imports below
        problems = reference_problems(parsed, path.parent)
        if not problems and not quick:
            from munigrid.scenarios import api

            warnings = api.check(parsed, base_dir=path.parent)
    except InputError as err:
        problems = err.problems
    if not as_json:
        if problems:
            raise InputError(problems)
        for warning in warnings:
            click.secho(f"warning: {warning}", fg="yellow", err=True)
        checked = "schema and file references" if quick else "every input check of run"
        click.echo(f"{path}: valid ({len(parsed.buildings)} buildings, {parsed.time.days} days at "
                   f"{parsed.time.step_min} min; {checked})")
        return
    report = {"scenario": scenario, "file": None if path is None else str(path), "valid": not problems,
              "quick": quick, "problems": [{"path": p.path, "message": p.message} for p in problems],
              "warnings": warnings}
    if parsed is not None:
        report.update(buildings=len(parsed.buildings), days=parsed.time.days, step_min=parsed.time.step_min)
    click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    if problems:
        sys.exit(EXIT_BAD_INPUT)  # the problems are on stdout, as JSON


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: name, file and description of each.")
def scenarios(as_json):
    """List the bundled scenarios."""
    rows = []
    for name, path in bundled().items():
        parsed, _ = load_scenario(path)
        rows.append({"name": name, "file": str(path), "description": parsed.description.strip(),
                     "mode": parsed.optimisation.mode, "buildings": len(parsed.buildings)})
    if as_json:
        click.echo(json.dumps({"scenarios": rows}, indent=2, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['name']:16s} {row['description']}")
