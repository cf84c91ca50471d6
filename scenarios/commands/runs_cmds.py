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
from munigrid.scenarios.tables import print_resilience, wide_console

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
#: time zone of times shown on screen (the municipalities' own)
LOCAL_ZONE = "Asia/Bangkok"


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


def local_time(iso_utc: str | None, zone: str = LOCAL_ZONE) -> str | None:
    """An ISO UTC time as local wall time, e.g. ``2026-01-01 07:00:00 +07 (Asia/Bangkok)``."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    if not iso_utc:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(iso_utc))
    except ValueError:
        return str(iso_utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(ZoneInfo(zone)).strftime(f"%Y-%m-%d %H:%M:%S %z ({zone})")


def _fields_table(title: str, rows: list[tuple[str, str]]):
    """A two-column rich table of (field, value) rows."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for field, value in rows:
        table.add_row(Text(field), Text(value))
    return table


def _records_table(title: str, records: dict[str, dict], first: str):
    """A rich table with one row per record (key in column ``first``) and a column per field."""
    from rich.table import Table
    from rich.text import Text

    columns = list(dict.fromkeys(k for r in records.values() for k in r))
    table = Table(title=title, title_justify="left")
    table.add_column(first)
    for column in columns:
        table.add_column(column, justify="right")
    for key, record in records.items():
        table.add_row(Text(str(key)), *(Text(_fmt(record.get(c))) for c in columns))
    return table


def _run_info(entry) -> dict:
    manifest = json.loads((entry.path / "manifest.json").read_text(encoding="utf-8"))
    solver = manifest.get("solver", {})
    return {"scenario": manifest.get("scenario"), "created_utc": manifest.get("created_utc"),
            "created_local": local_time(manifest.get("created_utc")), "inputs_hash": manifest.get("inputs_hash"),
            "objective_thb": solver.get("objective_thb"),
            "meters": {n: {k: m.get(k) for k in ("status", "gap", "solve_s") if k in m}
                       for n, m in solver.get("meters", {}).items()},
            "timings": manifest.get("timings") or {}, "notes": manifest.get("notes") or [],
            "resilience": manifest.get("resilience")}


def _sweep_info(entry) -> dict:
    from munigrid.solver_runs.sweeps.ledger import SweepFolder

    folder = SweepFolder.open(entry.path)
    plan = folder.plan
    last = folder.status or {}
    members = plan.get("members", [])
    parameters = [{**p, "values": list(dict.fromkeys(m["params"].get(p["path"]) for m in members))}
                  for p in plan.get("parameters", [])]
    return {"name": plan.get("name"), "method": (plan.get("spec") or {}).get("method", "portfolio"),
            "parameters": parameters, "sites": len(plan.get("sites", [])),
            "members": len(plan.get("members", [])), "last_pass": folder.status,
            "finished_local": local_time(last.get("finished_utc")),
            "failures": {k: v.get("message") for k, v in folder.failures().items()}}


def _print_show(info: dict, kpis) -> None:
    """``runs show`` as tables: fields, meters or parameters, timings, failures, KPIs."""
    console = wide_console()
    simple = [(k.removesuffix("_local"), _fmt(v)) for k, v in info.items()
              if v is not None and k not in ("created_utc", "meters", "timings", "notes", "parameters", "last_pass",
                                             "failures", "resilience")]
    console.print(_fields_table(f"{info['kind']} {info['id']}", simple))
    if info.get("meters"):
        console.print(_records_table("solver by meter", info["meters"], "meter"))
    if info.get("timings"):
        console.print(_fields_table("timings [s]", [(k, _fmt(v)) for k, v in info["timings"].items()]))
    if info.get("parameters"):
        rows = {p["path"]: {"apply": p.get("apply", "set"), "members' values": ", ".join(map(str, p["values"][:12]))
                            + (f", ... ({len(p['values'])})" if len(p["values"]) > 12 else "")}
                for p in info["parameters"]}
        console.print(_records_table("parameters", rows, "path"))
    last = info.get("last_pass") or {}
    if last.get("counts"):
        console.print(_fields_table("last pass: members", [(k, _fmt(v)) for k, v in last["counts"].items()]))
    if last.get("timings"):
        console.print(_fields_table("last pass: timings", [(k, _fmt(v)) for k, v in last["timings"].items()]))
    for key, message in info.get("failures", {}).items():
        console.print(f"failed {key}: {message}", style="red", markup=False, highlight=False)
    print_resilience(info.get("resilience"), console)
    for note in info.get("notes") or []:
        console.print(f"note: {note}", markup=False, highlight=False)
    if not kpis.empty:
        records = {str(name): row.to_dict() for name, row in kpis.head(40).iterrows()}
        console.print(_records_table("KPIs", records, "row"))
        if len(kpis) > 40:
            console.print(f"... {len(kpis) - 40} more rows (--json for all)")


@click.command()
@click.argument("run")
@root_option
@json_option
def show(run, root, as_json):
    """Show one run (solver outcome, timings, KPIs) or sweep (plan, counts, failures, members).

    Times are local (Asia/Bangkok); --json also keeps the UTC time as stored.
    """
    from munigrid.solver_runs.sweeps import index

    entry = index.find(run, root)
    kpis = index.kpis(entry.run_id, root)
    info: dict = {"id": entry.run_id, "kind": entry.kind, "path": str(entry.path), "status": entry.status}
    info |= _run_info(entry) if entry.kind == "run" else _sweep_info(entry)
    if as_json:
        info["kpis"] = {r: {k: _plain(v) for k, v in row.items()} for r, row in kpis.iterrows()}
        click.echo(json.dumps(info, indent=2, ensure_ascii=False, default=str))
        return
    _print_show(info, kpis)


@click.command()
@click.argument("runs_", nargs=-1, required=True, metavar="RUN RUN [RUN...]")
@click.option("--row", "rows", multiple=True,
              help="Summary rows to compare (buildings, total, sweep rows m0003/<site>, or a member's sites); "
                   "default: total of a run, every row of a sweep or member.")
@root_option
@json_option
def compare(runs_, rows, root, as_json):
    """KPIs of two or more runs side by side, with each run's difference to the first.

    A RUN is a run or sweep id (or unique prefix), or SWEEP/m0003 for one member of a sweep,
    so two members of one sweep, or a run and a member, can be compared.
    """
    from rich.table import Table

    from munigrid.solver_runs.sweeps import index

    side = index.compare(list(runs_), root, list(rows) or None)
    if as_json:
        out = [{"row": r, "kpi": k, **{c: _plain(float(v)) for c, v in values.items()}}
               for (r, k), values in side.iterrows()]
        click.echo(json.dumps({"runs": list(runs_), "columns": [c for c in side.columns if not c.startswith("Δ")],
                               "comparison": out}, indent=2, ensure_ascii=False))
        return
    compared = [c for c in side.columns if not c.startswith("Δ")]
    letter = {label: chr(ord("A") + i) for i, label in enumerate(compared)}
    short = {label: letter[label] for label in compared}
    for label in compared[1:]:
        short |= {f"Δ {label}": f"Δ {letter[label]}-A", f"Δ% {label}": f"Δ% {letter[label]}-A"}
    console = wide_console()
    for label in compared:
        console.print(f"{letter[label]} = {label}", markup=False, highlight=False)
    table = Table(title="comparison (Δ B-A = B minus A, Δ% relative to |A|)", title_justify="left")
    table.add_column("row", overflow="fold")
    table.add_column("kpi")
    for column in side.columns:
        table.add_column(short[column], justify="right")
    for (r, k), values in side.iterrows():
        table.add_row(str(r), str(k), *(_fmt(float(v)) for v in values))
    console.print(table)
