"""``munigrid runs list|show|compare``: the run store through its SQLite index.

More subcommands attach by one line in :data:`RUNS_SUBCOMMANDS` (name -> ``module:attribute``
of a click command), imported only when used, like the top-level commands.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
from munigrid.scenarios.cli import LazyGroup
from munigrid.scenarios.tables import wide_console

RUNS_SUBCOMMANDS: dict[str, str] = {
    "list": "munigrid.scenarios.commands.runs_cmds:list_cmd",
    "show": "munigrid.scenarios.commands.runs_cmds:show",
    "compare": "munigrid.scenarios.commands.runs_cmds:compare",
    "report": "munigrid.scenarios.commands.report_cmds:report",
    "clean": "munigrid.scenarios.commands.store_cmds:clean",
}

root_option = click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="Run store root (default: $MUNIGRID_RUNS or ./runs).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


@click.group(cls=LazyGroup, lazy_commands=RUNS_SUBCOMMANDS)
def runs():
    """The run store: list, show and compare runs and sweeps."""


def _plain(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


@click.command("list")
@click.option("--kind", type=click.Choice(["run", "sweep"]), default=None, help="Only runs or only sweeps.")
@root_option
@json_option
def list_cmd(kind, root, as_json):
    """List runs and sweeps, oldest first, with their headline KPIs."""
    from rich.table import Table

    from munigrid.solver_runs.sweeps import index

    from munigrid.scenarios.commands.store_cmds import print_store_notes, store_notes

    found = index.entries(root, kind)
    notes = store_notes(root)
    totals = index.totals(root)
    columns = ["cost_before_thb", "cost_after_thb", "self_sufficiency_pct"]
    rows = []
    for e in found:
        kpi = totals.loc[e.run_id] if e.run_id in totals.index else {}
        rows.append({"id": e.run_id, "kind": e.kind, "scenario": e.scenario, "status": e.status,
                     "created": e.created, "members": e.members, "failed": e.failed,
                     **{c: _plain(float(kpi[c])) if c in kpi else None for c in columns}})
    if as_json:
        click.echo(json.dumps({"runs": rows, "store": notes}, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} runs/sweeps", title_justify="left")
    for column in ["id", "kind", "status", "members", "failed", *columns]:
        table.add_column(column, justify="left" if column in ("id", "kind", "status") else "right")
    for row in rows:
        table.add_row(*(_fmt(row[c]) for c in ["id", "kind", "status", "members", "failed", *columns]))
    wide_console().print(table)
    print_store_notes(notes)


@click.command()
@click.argument("run")
@root_option
@json_option
def show(run, root, as_json):
    """Show one run (solver outcome, timings, KPIs) or sweep (plan, counts, failures, members)."""
    from rich.table import Table

    from munigrid.solver_runs.sweeps import index
    from munigrid.solver_runs.sweeps.ledger import SweepFolder

    entry = index.find(run, root)
    kpis = index.kpis(entry.run_id, root)
    info: dict = {"id": entry.run_id, "kind": entry.kind, "path": str(entry.path), "status": entry.status}
    if entry.kind == "run":
        manifest = json.loads((entry.path / "manifest.json").read_text(encoding="utf-8"))
        solver = manifest.get("solver", {})
        info.update(scenario=manifest.get("scenario"), created=manifest.get("created_utc"),
                    inputs_hash=manifest.get("inputs_hash"), objective_thb=solver.get("objective_thb"),
                    meters={n: {k: m.get(k) for k in ("status", "gap", "solve_s") if k in m}
                            for n, m in solver.get("meters", {}).items()},
                    timings=manifest.get("timings"))
    else:
        folder = SweepFolder.open(entry.path)
        plan = folder.plan
        info.update(name=plan.get("name"), method=(plan.get("spec") or {}).get("method", "portfolio"),
                    parameters=plan.get("parameters"), sites=len(plan.get("sites", [])),
                    members=len(plan.get("members", [])), last_pass=folder.status,
                    failures={k: v.get("message") for k, v in folder.failures().items()})
    if as_json:
        info["kpis"] = {r: {k: _plain(v) for k, v in row.items()} for r, row in kpis.iterrows()}
        click.echo(json.dumps(info, indent=2, ensure_ascii=False, default=str))
        return
    console = wide_console()
    for key, value in info.items():
        if key not in ("meters", "failures", "last_pass") and value is not None:
            console.print(f"[bold]{key}[/bold]: {value}")
    for name, meter in info.get("meters", {}).items():
        console.print(f"  meter {name}: {meter}")
    if info.get("last_pass"):
        console.print(f"[bold]last pass[/bold]: {info['last_pass'].get('counts')} {info['last_pass'].get('timings')}")
    for key, message in info.get("failures", {}).items():
        console.print(f"  [red]failed[/red] {key}: {message}")
    if not kpis.empty:
        table = Table(title="KPIs", title_justify="left")
        table.add_column("row")
        for column in kpis.columns:
            table.add_column(column, justify="right")
        for name, row in kpis.head(40).iterrows():
            table.add_row(str(name), *(_fmt(v) for v in row))
        console.print(table)
        if len(kpis) > 40:
            console.print(f"... {len(kpis) - 40} more rows (--json for all)")


@click.command()
@click.argument("runs_", nargs=-1, required=True, metavar="RUN RUN [RUN...]")
@click.option("--row", "rows", multiple=True,
              help="Summary rows to compare (buildings, total, or sweep members m0003/<site>); default total.")
@root_option
@json_option
def compare(runs_, rows, root, as_json):
    """KPIs of two or more runs side by side, with each run's difference to the first."""
    from rich.table import Table

    from munigrid.solver_runs.sweeps import index

    side = index.compare(list(runs_), root, list(rows) or None)
    if as_json:
        out = [{"row": r, "kpi": k, **{c: _plain(float(v)) for c, v in values.items()}}
               for (r, k), values in side.iterrows()]
        click.echo(json.dumps({"runs": list(runs_), "comparison": out}, indent=2, ensure_ascii=False))
        return
    table = Table(title="comparison (Δ = run - first)", title_justify="left")
    table.add_column("row")
    table.add_column("kpi")
    for column in side.columns:
        table.add_column(column, justify="right")
    for (r, k), values in side.iterrows():
        table.add_row(str(r), str(k), *(_fmt(float(v)) for v in values))
    wide_console().print(table)
