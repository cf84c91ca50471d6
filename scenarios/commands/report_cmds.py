"""``munigrid runs report RUN``: write the HTML report of a stored run or a sweep."""

from __future__ import annotations

import json
from pathlib import Path

import click

from munigrid.models.errors import InputError


def _target(ref: str, root: Path | None) -> tuple[str, Path]:
    """(``run`` or ``sweep``, folder) of a folder path, a run or sweep id, or a unique id prefix."""
    from munigrid.solver_runs.sweeps import index
    from munigrid.solver_runs.sweeps.ledger import PLAN

    from munigrid.solver_runs.containment import inside
    from munigrid.solver_runs.store import default_root

    path = Path(ref)
    if path.is_dir():
        if path.is_symlink() or (path / "report.html").is_symlink():
            raise InputError(f"{path} is a symbolic link; give the run folder itself", "RUN")
        return ("sweep" if (path / PLAN).is_file() else "run"), path
    entry = index.find(ref, root)
    return entry.kind, inside(Path(root or default_root()), entry.path, "RUN")


@click.command()
@click.argument("run")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run store root (default: $MUNIGRID_RUNS or ./runs).")
@click.option("--lang", type=click.Choice(["en", "th"]), default="en", show_default=True,
              help="Language the report opens in (the page has a switch).")
@click.option("--week", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First day (YYYY-MM-DD) of the dispatch week; default: around the highest import before.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the report's path.")
def report(run, root, lang, week, as_json):
    """Write report.html for RUN: a run or sweep folder, id, or unique id prefix.

    A run's report shows KPIs, monthly energy and bills, a week's dispatch, battery state of
    charge, load duration, monthly peaks and, when computed, cash flows, tornado, P10/P50/P90
    and forecast skill; a sweep's report compares its members. Opens offline in any browser.
    """
    from munigrid.scenarios.commands.stages import stage_spinner
    from munigrid.solver_runs.report import write_run_report, write_sweep_report

    with stage_spinner("finding the run", as_json) as progress:
        kind, folder = _target(run, root)
        if kind == "sweep":
            progress(f"comparing the members of {folder.name}")
            path = write_sweep_report(folder, lang=lang)
        else:
            path = write_run_report(folder, lang=lang, week=week.date() if week else None, progress=progress)
    if as_json:
        click.echo(json.dumps({"kind": kind, "report": str(path)}, ensure_ascii=False))
    else:
        click.echo(f"report written: {path}")
