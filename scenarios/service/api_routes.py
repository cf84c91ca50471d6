"""The JSON API under ``/api/v1``: scenarios, jobs, tariffs, runs, uploads.

Every route only checks the request (:mod:`.checks`) and calls :mod:`munigrid.scenarios.api`
or the job manager; bad input raises :class:`InputError`, answered as 422 with each
problem's path and fix (404 for ids the store does not hold).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from munigrid.models.errors import InputError
from munigrid.scenarios import api
from munigrid.scenarios.service import checks, results
from munigrid.scenarios.service.errors import NotFound

router = APIRouter()
# The schema of scenario files is the schema of documents (the OpenAPI document links it, app._openapi).
ScenarioDocument = Annotated[dict[str, Any] | None, WithJsonSchema({"type": "object", "title": "Scenario"})]
SCENARIO_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/Scenario"}},
    "application/yaml": {"schema": {"type": "string"}}}}}


class JobRequest(BaseModel):
    """A job: a run, sweep or finance case of a scenario, or a day of operations."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["run", "sweep", "finance", "operations"]
    scenario: str | None = Field(None, description="A bundled scenario name (run, sweep, operations).")
    document: ScenarioDocument = Field(None, description="The scenario itself, in the schema of scenario files.")
    samples: int = Field(0, ge=0, le=100_000, description="run: Monte Carlo years (0 skips them).")
    vary: dict[str, list[Any]] | None = Field(None, description="sweep: field path -> values (one or two fields).")
    portfolio: str | None = Field(None, description="sweep: name of an uploaded portfolio CSV.")
    workers: int = Field(1, ge=1, le=64, description="sweep: member processes inside the job.")
    run: str | None = Field(None, description="finance: id of a stored run.")
    assumptions: dict[str, Any] | None = Field(None, description="finance: assumptions (years, term, share, ...).")
    day: str | None = Field(None, description="operations: the day to schedule, YYYY-MM-DD.")
    meter: str | None = Field(None, description="operations: the meter to plan, a building on its own meter or a "
                                                "connection (default: the one the batteries are behind).")


def _root(request: Request):
    return request.app.state.root


def _jobs(request: Request):
    return request.app.state.jobs


async def _document(request: Request):
    """The body as a scenario document: JSON, or YAML text (``Content-Type: application/yaml``)."""
    body = await request.body()
    text = body.decode("utf-8", errors="replace")
    if "yaml" in request.headers.get("content-type", "") or "text/plain" in request.headers.get("content-type", ""):
        return text
    import json

    try:
        return json.loads(text)
    except ValueError as err:
        raise InputError(f"not valid JSON ({err}); send the scenario as JSON, or as YAML with "
                         "Content-Type: application/yaml", "body") from None


@router.get("/scenarios", tags=["scenarios"], summary="The bundled scenarios")
def list_scenarios() -> list[dict]:
    return [{"name": n, "description": d} for n, d in api.bundled_scenarios().items()]


@router.get("/scenarios/{name}", tags=["scenarios"], summary="A bundled scenario as a document")
def get_scenario(name: str) -> dict:
    try:
        checks.bundled_name(name, "name")
    except InputError as err:
        raise NotFound(err.problems) from None
    return api.load(name).model_dump(mode="json", exclude_none=True)


@router.post("/scenarios/validate", tags=["scenarios"], openapi_extra=SCENARIO_BODY,
             summary="Check a scenario document: every problem with its path (422), as `munigrid validate`")
async def validate_scenario(request: Request) -> dict:
    scenario = checks.document_scenario(await _document(request), _root(request))
    return {"valid": True, "name": scenario.name, "buildings": len(scenario.buildings), "days": scenario.time.days,
            "step_min": scenario.time.step_min}


def submit(request: Request, job: JobRequest) -> str:
    """Check a job request and queue it; returns the job id (shared by the API and the pages)."""
    root = _root(request)
    if job.kind == "finance":
        if not job.run:
            raise InputError("give the id of a stored run to finance (GET /api/v1/runs)", "run")
        checks.stored_run(job.run, root, "run")
        assumptions = api.finance_assumptions(job.assumptions)
        return _jobs(request).submit("finance", {"run": job.run, "assumptions": assumptions}, f"finance {job.run}")
    scenario, source = checks.request_scenario(job.scenario, job.document, root)
    if job.kind == "run":
        return _jobs(request).submit("run", {**source, "samples": job.samples}, f"run {scenario.name}")
    if job.kind == "sweep":
        checks.sweep_fields(job.vary, job.portfolio, root)
        return _jobs(request).submit("sweep", {**source, "vary": job.vary, "portfolio": job.portfolio,
                                               "workers": job.workers}, f"sweep {scenario.name}")
    from munigrid.scenarios.operations.site import choose_meter

    try:  # a meter with batteries or flexible loads to plan, else 422 naming the field
        choose_meter(scenario, job.meter)
    except InputError as err:
        raise InputError([replace(p, path="meter" if p.path == "--meter" else p.path) for p in err.problems]) from None
    return _jobs(request).submit("operations", {**source, "day": checks.day(job.day), "meter": job.meter},
                                 f"operations {scenario.name} {job.day}")


@router.post("/jobs", tags=["jobs"], status_code=202, summary="Submit a run, sweep, finance case or operations day")
def post_job(request: Request, job: JobRequest) -> dict:
    job_id = submit(request, job)
    return {"id": job_id, "status": "queued", "url": f"/api/v1/jobs/{job_id}"}


@router.get("/jobs", tags=["jobs"], summary="Jobs, newest first")
def list_jobs(request: Request, status: Annotated[list[str] | None, Query()] = None) -> list[dict]:
    return [j.to_json() for j in _jobs(request).table.all(tuple(status) if status else None)]


def _job(request: Request, job_id: str):
    try:
        return _jobs(request).table.get(job_id)
    except InputError as err:
        raise NotFound(err.problems) from None


@router.get("/jobs/{job_id}", tags=["jobs"], summary="Status, progress, result or error of a job")
def get_job(request: Request, job_id: str) -> dict:
    return _job(request, job_id).to_json()


@router.delete("/jobs/{job_id}", tags=["jobs"], summary="Cancel a queued or running job")
def cancel_job(request: Request, job_id: str) -> dict:
    _job(request, job_id)
    return _jobs(request).cancel(job_id).to_json()


@router.post("/jobs/{job_id}/resume", tags=["jobs"], status_code=202,
             summary="Resume an interrupted sweep (finished members are kept)")
def resume_job(request: Request, job_id: str) -> dict:
    _job(request, job_id)
    new_id = _jobs(request).resume(job_id)
    return {"id": new_id, "status": "queued", "url": f"/api/v1/jobs/{new_id}"}


@router.get("/jobs/{job_id}/members", tags=["jobs"],
            summary="A sweep job's members as they finish: parameters, status, error and key figures")
def sweep_members(request: Request, job_id: str) -> list[dict]:
    job = _job(request, job_id)
    if job.kind != "sweep":
        raise InputError(f"this job is a {job.kind}; only sweep jobs have members", "job")
    sweep_id = (job.result or {}).get("sweep_id") or job.progress.get("sweep_id")
    return api.sweep_members(sweep_id, _root(request)) if sweep_id else []


@router.get("/jobs/{job_id}/results/{name}", tags=["jobs"],
            summary="A result file of a finished job: summary.json, bills.csv, results.nc, report.html, case.xlsx, ...")
def job_result(request: Request, job_id: str, name: str, structure: str | None = None):
    job = _job(request, job_id)
    if job.status != "done":
        return JSONResponse({"detail": [{"path": "job", "message": f"the job is {job.status}; results exist once "
                                         "it is done (GET /api/v1/jobs/{id} shows its progress or error)"}]},
                            status_code=409)
    return results.job_file(_root(request), _jobs(request).folder(job_id), job, name, structure)


@router.get("/tariffs", tags=["tariffs"], summary="The tariff library")
def list_tariffs() -> list[dict]:
    return api.tariff_list()


@router.post("/tariffs/{tariff_id}/bill", tags=["tariffs"],
             summary="Month-by-month bill of an uploaded meter CSV (time with UTC offset, import_kw)")
async def bill(request: Request, tariff_id: str, meter: Annotated[UploadFile, File()],
               assume_tz: str | None = None) -> dict:
    if tariff_id not in {t["id"] for t in api.tariff_list()}:
        raise NotFound("unknown tariff id; list them with GET /api/v1/tariffs", "tariff_id")
    name = checks.save_upload(_root(request), await meter.read(), meter.filename)
    path = checks.upload_path(_root(request), name, "meter")
    try:
        return api.bill_meter(tariff_id, path, assume_tz)
    finally:
        path.unlink(missing_ok=True)


@router.post("/uploads", tags=["uploads"], status_code=201,
             summary="Upload a meter, weather or portfolio CSV; returns the name a scenario or sweep refers to")
async def upload(request: Request, file: Annotated[UploadFile, File()]) -> dict:
    return {"name": checks.save_upload(_root(request), await file.read(), file.filename)}


@router.get("/runs", tags=["runs"], summary="Runs and sweeps of the store, newest first, with key figures")
def list_runs(request: Request, kind: Literal["run", "sweep"] | None = None, q: str = "") -> list[dict]:
    return _jobs(request).list_stored(kind, q)


@router.get("/runs/{run_id}", tags=["runs"], summary="One run or sweep: solver outcome, timings, key figures")
def show_run(request: Request, run_id: str) -> dict:
    checks.stored_run(run_id, _root(request))
    return api.stored_info(run_id, _root(request))


@router.get("/runs/{run_id}/files/{name}", tags=["runs"],
            summary="A file of a stored run: summary.json, bills.csv, results.nc, report.html, scenario.yaml")
def run_file(request: Request, run_id: str, name: str) -> FileResponse:
    return results.stored_file(_root(request), checks.stored_run(run_id, _root(request)), name)


@router.get("/compare", tags=["runs"], summary="Two or more runs (or sweeps' members) side by side")
def compare(request: Request, runs: Annotated[list[str], Query()], rows: Annotated[list[str] | None, Query()] = None
            ) -> dict:
    for run_id in runs:
        checks.stored_run(run_id, _root(request))
    return api.compare_stored(runs, _root(request), rows)
