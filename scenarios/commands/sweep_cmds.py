"""``munigrid sweep``: many variants of a scenario, or a portfolio of sites, in one resumable command."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

from munigrid.models.errors import InputError
from munigrid.scenarios.tables import wide_console

_DISTRIBUTION = re.compile(r"^(uniform|normal|triangular)\((.*)\)$")
_ARGUMENTS = {"uniform": ("low", "high"), "normal": ("mean", "sd"), "triangular": ("low", "mode", "high")}


def _values(text: str) -> list:
    """``0,100,200`` -> [0, 100, 200]; each item read as YAML (numbers, true/false, strings)."""
    from munigrid.scenarios.yaml_input import option_value

    return [option_value(item, f"--vary/--scale value {item.strip()!r}") if item.strip() else None
            for item in text.split(",")]


def _parameter(option: str, text: str, apply: str, method: str) -> dict:
    """One ``PATH=VALUES`` option as a sweep parameter (distributions for monte_carlo)."""
    path, sep, values = text.partition("=")
    if not sep or not path or not values:
        raise InputError(f"'{text}' is not PATH=VALUES (e.g. battery.energy_kwh=0,100,200)", option)
    match = _DISTRIBUTION.match(values.strip())
    if match and method != "monte_carlo":
        raise InputError(f"{match[1]}(...) is a distribution; add --method monte_carlo, or list values", option)
    if match:
        numbers = _values(match[2])
        names = _ARGUMENTS[match[1]]
        if len(numbers) != len(names):
            raise InputError(f"{match[1]} takes {len(names)} numbers ({', '.join(names)}), got '{match[2]}'", option)
        return {"path": path, "apply": apply, "distribution": {"kind": match[1], **dict(zip(names, numbers))}}
    if method == "monte_carlo":
        return {"path": path, "apply": apply, "distribution": {"kind": "choice", "values": _values(values)}}
    return {"path": path, "apply": apply, "values": _values(values)}


def spec_from_options(name: str, method: str, vary: tuple[str, ...], scale: tuple[str, ...],
                      samples: int | None, seed: int) -> dict | None:
    """A sweep spec (dict) from ``--vary`` / ``--scale`` options, or None when there are none."""
    if not vary and not scale:
        return None
    parameters = ([_parameter("--vary", v, "set", method) for v in vary]
                  + [_parameter("--scale", s, "scale", method) for s in scale])
    spec = {"name": name, "method": method, "parameters": parameters, "seed": seed}
    if samples is not None:
        spec["samples"] = samples
    return spec


def _print_outcome(outcome) -> None:
    from rich.table import Table

    console = wide_console()
    table = outcome.table
    params = [c for c in table.columns if c not in {"member", "site", "key", "status", "error"}
              and c not in set(outcome.kpis.data_vars)]
    shown = ["self_sufficiency_pct", "import_mwh", "cost_after_thb", "co2_avoided_t"]
    view = Table(title=f"munigrid sweep {outcome.sweep_id}", title_justify="left")
    for column in ["member", "site", *params, "status", *shown]:
        view.add_column(column, justify="left" if column in ("site", "status") else "right")
    limit = 30
    for record in table.head(limit).to_dict("records"):
        style = "red" if record["status"] == "failed" else None
        cells = [str(record["member"]), str(record["site"])[:30], *(str(record[p]) for p in params), record["status"]]
        cells += ["" if record["status"] != "ok" else f"{record[c]:,.2f}" for c in shown]
        view.add_row(*cells, style=style)
    console.print(view)
    if len(table) > limit:
        console.print(f"... {len(table) - limit} more rows in {outcome.path / 'table.csv'}")
    c, t = outcome.counts, outcome.timings
    console.print(f"members: {c['ok']} ok, {c['failed']} failed, {c['pending']} pending "
                  f"({c['solved_now']} solved now, {c['skipped_done']} done before"
                  f"{', %d partial folders cleared' % c['partial_cleared'] if c['partial_cleared'] else ''}); "
                  f"{t['wall_s']:.1f} s on {t['executor']}")
    for failure in outcome.to_json()["failures"]:
        console.print(f"[red]failed[/red] m{failure['member']:04d}/{failure['site']}: {failure['error']}")
    console.print(f"stored: {outcome.path} (table.csv, kpis.nc, members/)")


@click.command()
@click.argument("scenario")
@click.option("--spec", "spec_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Sweep spec YAML (default: the scenario's `sweep:` block).")
@click.option("--vary", multiple=True, metavar="PATH=V1,V2,..",
              help="Set a field to each value, e.g. battery.energy_kwh=0,100,200 "
                   "(monte_carlo: uniform(a,b), normal(mean,sd), triangular(a,mode,b) or a list to choose from).")
@click.option("--scale", multiple=True, metavar="PATH=F1,F2,..",
              help="Multiply a field by each factor, e.g. 'buildings[*].annual_kwh=1.0,1.1'.")
@click.option("--method", type=click.Choice(["grid", "one_at_a_time", "monte_carlo"]), default="grid",
              show_default=True, help="Design of --vary/--scale members.")
@click.option("--samples", type=int, default=None, help="Monte Carlo members.")
@click.option("--seed", type=int, default=0, show_default=True, help="Monte Carlo seed.")
@click.option("--name", default=None, help="Sweep name for --vary/--scale (default: <scenario>-sweep).")
@click.option("--portfolio", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV of sites (name, latitude_deg, longitude_deg, kind, annual_kwh|floor_area_m2, "
                   "tariff, roof_area_m2[, pv_kwp, battery_kwh, battery_kw]); SCENARIO is the template.")
@click.option("--workers", type=int, default=None, help="Local worker processes (default: CPU count).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786.")
@click.option("--resume", is_flag=True, help="Finish an interrupted sweep (keeps done and failed members).")
@click.option("--retry-failed", is_flag=True, help="With --resume: run failed members again.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run store root (default: $MUNIGRID_RUNS or ./runs).")
@click.option("--no-series", is_flag=True,
              help="Keep only KPIs and manifests of members, not their time series (large portfolios).")
@click.option("--no-report", is_flag=True, help="Do not write the sweep's HTML report.")
@click.option("--json", "as_json", is_flag=True, help="Print counts, timings, failures and every member's parameters and KPIs as one JSON object.")
def sweep(scenario, spec_file, vary, scale, method, samples, seed, name, portfolio, workers, scheduler,
          resume, retry_failed, out, no_series, no_report, as_json):
    """Run many variants of SCENARIO (grid, one-at-a-time or Monte Carlo) and/or a portfolio of sites.

    Members are keyed by the hash of their inputs and stored as they finish under
    <out>/sweeps/<sweep-id>/; after an interrupt, run the same command with --resume.
    A member that fails is recorded with its error; the others still run, and the command
    then exits with code 4 (every member stored, some failed: see `munigrid runs show`).
    """
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    from munigrid.scenarios.cli import solver_output_to_stderr
    from munigrid.scenarios.library import load_scenario
    from munigrid.scenarios.sweep.engine import run_sweep
    from munigrid.solver_runs.report import write_sweep_report
    from munigrid.scenarios.sweep.executors import WorkersLost

    if spec_file is not None and (vary or scale):
        raise InputError("give --spec or --vary/--scale, not both", "--spec")
    spec = spec_file
    if vary or scale:
        spec = spec_from_options(name or f"{load_scenario(scenario)[0].name}-sweep", method, vary, scale,
                                 samples, seed)
    console = Console(stderr=True)
    with solver_output_to_stderr(), Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("ETA"), TimeRemainingColumn(), console=console, transient=True,
                  disable=as_json or not console.is_terminal) as bar:
        task = bar.add_task("planning", total=None)

        def progress(finished: int, total: int, failed: int) -> None:
            bar.update(task, completed=finished, total=total,
                       description=f"members ({failed} failed)" if failed else "members")

        try:
            outcome = run_sweep(scenario, spec=spec, portfolio=portfolio, workers=workers, scheduler=scheduler,
                                resume=resume, retry_failed=retry_failed, root=out, series=not no_series,
                                progress=progress)
        except KeyboardInterrupt:
            click.secho("interrupted: finished members are stored; run the same command with --resume "
                        "to finish the rest", fg="yellow", err=True)
            raise click.Abort() from None
        except WorkersLost as err:
            click.secho(f"error: {err}", fg="red", err=True)
            sys.exit(1)
    report = None if no_report else write_sweep_report(outcome.path)
    if as_json:
        from munigrid.solver_runs.sweeps.combine import member_records

        click.echo(json.dumps({**outcome.to_json(), "results": member_records(outcome.table),
                               "report": str(report) if report else None}, indent=2, ensure_ascii=False))
    else:
        _print_outcome(outcome)
        if report is not None:
            wide_console().print(f"report: {report}")
    if outcome.counts["failed"]:
        from munigrid.scenarios.cli import EXIT_MEMBERS_FAILED

        sys.exit(EXIT_MEMBERS_FAILED)
