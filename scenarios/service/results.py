"""Result files by name: each request names a file from a fixed list, never a path.

Runs: ``summary.json``, ``bills.csv``, ``bills_before.csv``, ``results.nc``, ``simulation.nc``,
``report.html``, ``scenario.yaml``, ``manifest.json``; sweeps: ``table.csv``, ``kpis.nc``,
``report.html``; finance jobs: ``finance.json`` and ``case.xlsx`` of a ``structure``;
operations jobs: ``schedule.csv``, ``schedule.json`` (for the EMS) and ``review.json``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import FileResponse, JSONResponse

from munigrid.models.errors import InputError
from munigrid.scenarios import api
from munigrid.scenarios.service.errors import NotFound

RUN_FILES = {"bills.csv": "text/csv", "bills_before.csv": "text/csv", "results.nc": "application/x-netcdf",
             "simulation.nc": "application/x-netcdf", "report.html": "text/html", "scenario.yaml": "application/yaml",
             "manifest.json": "application/json"}
SWEEP_FILES = {"table.csv": "text/csv", "kpis.nc": "application/x-netcdf", "report.html": "text/html"}
OPERATIONS_FILES = {"schedule.csv": "csv", "schedule.json": "json", "review.json": "review"}


def _file(path: Path, media_type: str, name: str) -> FileResponse:
    if not path.is_file():
        raise NotFound(f"this result has no {name}", "name")
    inline = media_type == "text/html"
    return FileResponse(path, media_type=media_type, filename=None if inline else name)


def stored_file(root: Path, entry, name: str):
    """A file of a stored run or sweep (``entry`` from the index) by its name in the fixed list."""
    files = RUN_FILES if entry.kind == "run" else SWEEP_FILES
    if name == "summary.json" and entry.kind == "run":
        return JSONResponse(api.stored_info(entry.run_id, root)["kpis"])
    if name not in files:
        raise NotFound(f"a {entry.kind} has no file '{name}'; use one of: "
                       f"{', '.join((['summary.json'] if entry.kind == 'run' else []) + list(files))}", "name")
    if name == "report.html" and entry.kind == "run" and not (entry.path / name).is_file():
        api.write_report(entry.path)
    return _file(entry.path / name, files[name], name)


def operations_file(folder: Path, result: dict, name: str) -> FileResponse:
    """The schedule (CSV/JSON for the EMS) or review file of an operations job."""
    if name not in OPERATIONS_FILES:
        raise NotFound(f"an operations job has no file '{name}'; use one of: {', '.join(OPERATIONS_FILES)}", "name")
    which = OPERATIONS_FILES[name]
    stored = result["review"]["file"] if which == "review" else result["schedule"]["files"][which]
    media = "text/csv" if name.endswith(".csv") else "application/json"
    return _file(folder / "operations" / stored, media, stored)


def job_file(root: Path, folder: Path, job, name: str, structure: str | None = None):
    """A result of a finished job by name (see the module docstring)."""
    from munigrid.scenarios.service.checks import stored_run

    if job.kind in ("run", "sweep"):
        return stored_file(root, stored_run(job.result[f"{job.kind}_id"], root), name)
    if job.kind == "operations":
        return operations_file(folder, job.result, name)
    if name == "finance.json":
        return JSONResponse(job.result)
    if name != "case.xlsx":
        raise NotFound("a finance job has finance.json and case.xlsx (with ?structure=)", "name")
    if structure not in api.FINANCE_STRUCTURES:
        raise InputError(f"give ?structure= one of: {', '.join(api.FINANCE_STRUCTURES)}", "structure")
    return _file(folder / "finance" / structure / f"case-{structure}.xlsx",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"case-{structure}.xlsx")
