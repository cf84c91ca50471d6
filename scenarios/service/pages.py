"""The workspace's pages (server-rendered Jinja2): home, editor, job, run, compare, sweep, finance, operations.

Pages call the same checks and API functions as the JSON API; forms carry the CSRF token
(:mod:`.security`). A form with problems comes back with each message beside its field
(HTTP 422), never a stack trace.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from munigrid.models.errors import InputError
from munigrid.scenarios import api
from munigrid.scenarios.service import charts, checks, editor, security
from munigrid.scenarios.service.api_routes import JobRequest, submit
from munigrid.scenarios.service.errors import NotFound, problems_json
from munigrid.scenarios.service.i18n import LANG_COOKIE, language, translator

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
KPI_COLUMNS = ("load_mwh", "pv_mwh", "import_mwh", "self_sufficiency_pct", "peak_kw", "cost_before_thb",
               "cost_after_thb", "co2_avoided_t")
HOME_PAGE_ROWS = 200
RESULT_PAGES = {"run": "/runs/{run_id}", "sweep": "/sweeps/{sweep_id}", "finance": "/finance/{job}",
                "operations": "/operations/{job}"}


def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    """A page in the visitor's language, with the CSRF token for its forms."""
    lang = language(request.cookies)
    return templates.TemplateResponse(request, name, {
        "lang": lang, "t": translator(lang), "csrf": request.state.csrf, "csrf_field": security.CSRF_FIELD,
        "needs_login": bool(request.app.state.token), "path": request.url.path, "fmt": _fmt, "digits": _digits,
        **context},
        status_code=status)


def error_page(request: Request, status: int, problems: list[dict]) -> HTMLResponse:
    """The page shown for bad input or an unknown id."""
    if not hasattr(request.state, "csrf"):
        request.state.csrf = request.cookies.get(security.CSRF_COOKIE) or security.new_csrf_token()
    return render(request, "error.html", status, problems=problems)


def _fmt(value, digits: int = 1) -> str:
    if value is None or value != value:
        return "–"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}"
    return str(value)


def _digits(column: str) -> int:
    """Decimals shown for a key figure: 1 for energies [MWh], percentages and tonnes, 0 for THB and kW."""
    return 1 if column.endswith(("_mwh", "_pct", "_t")) else 0


async def _form(request: Request, *, multipart: bool = False) -> dict:
    """The posted form after its CSRF token is checked (403 otherwise)."""
    form = await request.form()
    if not security.same(str(form.get(security.CSRF_FIELD, "")), request.cookies.get(security.CSRF_COOKIE)):
        raise Forbidden()
    return form


class Forbidden(Exception):
    """A form post without the right CSRF token."""


def _root(request: Request) -> Path:
    return request.app.state.root


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


# --- language, login ---
@router.get("/lang/{lang}")
def set_language(lang: str, next: str = "/") -> RedirectResponse:  # noqa: A002
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, lang if lang in ("en", "th") else "en", samesite="lax")
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/", wrong: bool = False) -> HTMLResponse:  # noqa: A002
    return render(request, "login.html", next=_safe_next(next), wrong=wrong)


@router.post("/login")
async def login(request: Request):
    form = await _form(request)
    target = _safe_next(str(form.get("next", "/")))
    token = request.app.state.token
    if not token or not security.same(str(form.get("token", "")), token):
        return RedirectResponse(f"/login?wrong=true&next={quote(target)}", status_code=303)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(security.SESSION_COOKIE, security.session_value(token), httponly=True, samesite="strict")
    return response


@router.post("/logout")
async def logout(request: Request):
    await _form(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE)
    return response


# --- home ---
@router.get("/")
def home(request: Request, q: str = "", page: int = Query(1, ge=1)) -> HTMLResponse:
    columns = KPI_COLUMNS[3:]
    found = request.app.state.jobs.list_stored(search=q)
    shown = found[(page - 1) * HOME_PAGE_ROWS:page * HOME_PAGE_ROWS]
    rows = [(r["id"], r["kind"], f"/{'runs' if r['kind'] == 'run' else 'sweeps'}/{r['id']}", r["scenario"] or "",
             r["status"] or "", [_fmt(r["kpis"].get(c), _digits(c)) for c in columns]) for r in shown]
    jobs = request.app.state.jobs.table.all(limit=20)
    pages = max(1, -(-len(found) // HOME_PAGE_ROWS))
    return render(request, "home.html", rows=rows, jobs=jobs, q=q, kpi_columns=columns, result_url=_result_url,
                  page=page, pages=pages, total=len(found))


def _result_url(job) -> str | None:
    if job.status != "done" or not job.result:
        return None
    return RESULT_PAGES[job.kind].format(job=job.job_id, run_id=job.result.get("run_id"),
                                         sweep_id=job.result.get("sweep_id"))


# --- the scenario editor ---
def _tariff_ids() -> tuple:
    return tuple(t["id"] for t in api.tariff_list())


def _editor(request: Request, doc: dict, problems: list[dict], status: int = 200, template: str = "",
            valid: bool = False) -> HTMLResponse:
    full = None
    if valid or not problems:
        try:
            full = api.parse_document(doc).model_dump(mode="json", exclude={"sweep"})
        except InputError:
            full = None
    by_path: dict[str, list[str]] = {}
    for p in problems:
        by_path.setdefault(p["path"], []).append(p["message"])
    return render(request, "editor.html", status, sections=editor.sections(doc, _tariff_ids(), full),
                  problems=problems, by_path=by_path, templates_=api.bundled_scenarios(), template=template,
                  valid=valid)


@router.get("/new")
def new_scenario(request: Request, template: str = "tha-yang") -> HTMLResponse:
    checks.bundled_name(template, "template")
    doc = api.load(template).model_dump(mode="json", exclude={"sweep"})
    return _editor(request, doc, [], template=template, valid=True)


def _check(doc: dict, root: Path) -> list[dict]:
    try:
        checks.document_scenario(doc, root)
    except InputError as err:
        return problems_json(err)
    return []


@router.post("/new/check")
async def check_scenario(request: Request) -> Response:
    doc = editor.document(dict(await _form(request)))
    return Response(json.dumps({"problems": _check(doc, _root(request))}), media_type="application/json")


@router.post("/new")
async def post_scenario(request: Request) -> Response:
    form = await _form(request)
    doc = editor.document({k: v for k, v in form.items() if isinstance(v, str)})
    for name, upload in form.multi_items():
        if name.startswith("file:") and not isinstance(upload, str) and upload.filename:
            keys = editor.parts(name[len("file:"):])
            buildings = doc.get("buildings", [])
            if (len(keys) != 3 or keys[0] != "buildings" or keys[2] != "load_csv" or not isinstance(keys[1], int)
                    or keys[1] >= len(buildings)):
                raise InputError("a meter file belongs to one building of the form (buildings[N].load_csv)", name)
            buildings[keys[1]]["load_csv"] = checks.save_upload(_root(request), await upload.read(), upload.filename)
    action = str(form.get("action", "validate"))
    if action not in ("validate", "download", "run") and not action.startswith(("add:", "remove:")):
        raise InputError(f"unknown editor action {action!r}; use validate, download, run, add:PATH or remove:PATH",
                         "action")
    if action.startswith(("add:", "remove:")):
        return _editor(request, editor.apply_action(doc, action), [])
    problems = _check(doc, _root(request))
    if action == "download":
        return PlainTextResponse(editor.yaml_text(doc), media_type="application/yaml", headers={
            "Content-Disposition": f'attachment; filename="{doc.get("name") or "scenario"}.yaml"'})
    if action == "run" and not problems:
        samples = str(form.get("samples", "0")).strip() or "0"
        if not samples.isdigit():
            return _editor(request, doc, [{"path": "samples", "message": "must be a whole number, e.g. 0 or 200"}], 422)
        job_id = submit(request, JobRequest(kind="run", document=doc, samples=int(samples)))
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)
    return _editor(request, doc, problems, 422 if problems else 200, valid=not problems)


# --- jobs ---
@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: str) -> HTMLResponse:
    job = _job(request, job_id)
    return render(request, "job.html", job=job, result_url=_result_url(job))


def _job(request: Request, job_id: str):
    try:
        return request.app.state.jobs.table.get(job_id)
    except InputError as err:
        raise NotFound(err.problems) from None


@router.post("/jobs/{job_id}/cancel")
async def cancel_job(request: Request, job_id: str) -> RedirectResponse:
    await _form(request)
    _job(request, job_id)
    request.app.state.jobs.cancel(job_id)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.post("/jobs/{job_id}/resume")
async def resume_job(request: Request, job_id: str) -> RedirectResponse:
    await _form(request)
    _job(request, job_id)
    return RedirectResponse(f"/jobs/{request.app.state.jobs.resume(job_id)}", status_code=303)


# --- runs, sweeps, compare ---
@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: str) -> HTMLResponse:
    checks.stored_run(run_id, _root(request), "run")
    info = api.stored_info(run_id, _root(request))
    return render(request, "run.html", info=info, total=info["kpis"].get("total", {}), kpi_columns=KPI_COLUMNS,
                  buildings={k: v for k, v in info["kpis"].items() if k != "total"})


@router.get("/sweeps/{sweep_id}")
def sweep_page(request: Request, sweep_id: str) -> HTMLResponse:
    checks.stored_run(sweep_id, _root(request), "sweep")
    info = api.stored_info(sweep_id, _root(request))
    return render(request, "sweep_result.html", info=info, kpi_columns=KPI_COLUMNS,
                  figure=charts.sweep_figure(info, translator(language(request.cookies))))


@router.get("/compare")
def compare_page(request: Request) -> HTMLResponse:
    chosen = request.query_params.getlist("runs")
    for run_id in chosen:
        checks.stored_run(run_id, _root(request))
    side = api.compare_stored(chosen, _root(request)) if len(chosen) >= 2 else None
    return render(request, "compare.html", rows=request.app.state.jobs.list_stored(), chosen=chosen, side=side)


# --- sweep, finance, operations forms ---
@router.get("/sweep")
def sweep_form(request: Request, scenario: str = "tha-yang") -> HTMLResponse:
    return render(request, "sweep_form.html", scenarios=api.bundled_scenarios(), scenario=scenario, problems=[],
                  values={})


def _values(text: str) -> list:
    import yaml

    return [yaml.safe_load(item) for item in text.split(",") if item.strip()]


@router.post("/sweep")
async def post_sweep(request: Request) -> Response:
    form = await _form(request)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    vary = {values[f"field{i}"].strip(): _values(values.get(f"values{i}", ""))
            for i in (1, 2) if values.get(f"field{i}", "").strip()}
    portfolio = form.get("portfolio")
    try:
        name = None
        if portfolio is not None and not isinstance(portfolio, str) and portfolio.filename:
            name = checks.save_upload(_root(request), await portfolio.read(), portfolio.filename)
        job_id = submit(request, JobRequest(kind="sweep", scenario=values.get("scenario"), vary=vary or None,
                                            portfolio=name, workers=1))
    except InputError as err:
        return render(request, "sweep_form.html", 422, scenarios=api.bundled_scenarios(),
                      scenario=values.get("scenario"), problems=problems_json(err), values=values)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.get("/finance")
def finance_form(request: Request, run: str = "") -> HTMLResponse:
    runs = [r for r in request.app.state.jobs.list_stored("run")]
    return render(request, "finance_form.html", runs=runs, run=run, problems=[],
                  assumptions=api.finance_assumptions(None))


@router.post("/finance")
async def post_finance(request: Request) -> Response:
    form = {k: v for k, v in (await _form(request)).items() if isinstance(v, str)}
    assumptions: dict = {}
    problems = []
    for key in (*api.FINANCE_ASSUMPTIONS, "escalation"):
        text = form.get(key, "").strip()
        if not text:
            continue
        if key == "escalation":
            assumptions[key] = text
            continue
        try:
            assumptions[key] = float(text) if "." in text or "e" in text.lower() else int(text)
        except ValueError:
            problems.append({"path": key, "message": f"must be a number, got {text!r}"})
    try:
        if problems:
            raise InputError([])
        job_id = submit(request, JobRequest(kind="finance", run=form.get("run", ""), assumptions=assumptions))
    except InputError as err:
        return render(request, "finance_form.html", 422, runs=request.app.state.jobs.list_stored("run"),
                      run=form.get("run", ""), problems=problems + problems_json(err),
                      assumptions={**api.finance_assumptions(None), **form})
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


def _finished_job(request: Request, job_id: str, kind: str):
    """The job if it is a finished job of ``kind``; else None (its page then shows the job's progress)."""
    job = _job(request, job_id)
    return job if job.kind == kind and job.status == "done" else None


@router.get("/finance/{job_id}")
def finance_page(request: Request, job_id: str) -> Response:
    job = _finished_job(request, job_id, "finance")
    if job is None:
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)
    return render(request, "finance_result.html", job=job, result=job.result, structures=api.FINANCE_STRUCTURES)


@router.get("/operations")
def operations_form(request: Request, scenario: str = "tha-yang", day: str = "2026-03-10") -> HTMLResponse:
    return render(request, "operations_form.html", scenarios=api.bundled_scenarios(), scenario=scenario, day=day,
                  problems=[])


@router.post("/operations")
async def post_operations(request: Request) -> Response:
    form = {k: v for k, v in (await _form(request)).items() if isinstance(v, str)}
    try:
        job_id = submit(request, JobRequest(kind="operations", scenario=form.get("scenario"), day=form.get("day")))
    except InputError as err:
        return render(request, "operations_form.html", 422, scenarios=api.bundled_scenarios(),
                      scenario=form.get("scenario"), day=form.get("day", ""), problems=problems_json(err))
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.get("/operations/{job_id}")
def operations_page(request: Request, job_id: str) -> Response:
    job = _finished_job(request, job_id, "operations")
    if job is None:
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)
    figure = charts.schedule_figure(job.result["schedule"]["rows"], translator(language(request.cookies)))
    return render(request, "operations_result.html", job=job, result=job.result, figure=figure)


# --- the API reference and plotly.js ---
@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    return render(request, "docs.html", spec=request.app.openapi())


@router.get("/static/plotly.min.js")
def plotly_js() -> Response:
    return Response(charts.plotly_js(), media_type="application/javascript",
                    headers={"Cache-Control": "public, max-age=86400"})
