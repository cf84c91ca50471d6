"""The application factory of ``munigrid serve``.

:func:`create_app` wires the JSON API (:mod:`.api_routes`), the pages (:mod:`.pages`), the
static files, the access rules (:mod:`.security`), the error handlers (bad input is a 4xx
naming the field, never a 500) and the job manager (:mod:`.jobs`). Optional routers (for
example the live EMS link's HTTP adapter) are passed in ``routers`` and included as they are,
behind the same access rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from munigrid.models.errors import InputError
from munigrid.scenarios.service import security
from munigrid.scenarios.service.errors import NotFound, problems_json, request_problems
from munigrid.scenarios.service.jobs import JobManager

STATIC_DIR = Path(__file__).with_name("static")
API_PREFIX = "/api/v1"


class ServiceApp(FastAPI):
    """FastAPI with the body cap outermost, so that a 413 is sent before any handler reads the body."""

    upload_limit_bytes: int = security.UPLOAD_LIMIT_BYTES

    def build_middleware_stack(self):  # noqa: D102
        return security.BodyLimit(super().build_middleware_stack(), self.upload_limit_bytes)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _error_response(request: Request, status: int, problems: list[dict]):
    if _wants_json(request):
        return JSONResponse({"detail": problems}, status_code=status)
    from munigrid.scenarios.service.pages import error_page

    return error_page(request, status, problems)


def _add_error_handlers(app: FastAPI) -> None:
    from munigrid.scenarios.service.pages import Forbidden

    @app.exception_handler(NotFound)
    async def not_found(request: Request, err: NotFound):
        return _error_response(request, 404, problems_json(err))

    @app.exception_handler(InputError)
    async def bad_input(request: Request, err: InputError):
        return _error_response(request, 422, problems_json(err))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, err: Forbidden):
        return _error_response(request, 403, [{"path": "csrf_token", "message": "the form has expired or came from "
                               "another site; reload the page and submit it again"}])

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, err: RequestValidationError):
        return _error_response(request, 422, request_problems(err))


def _add_access_rules(app: FastAPI, token: str | None) -> None:
    @app.middleware("http")
    async def access(request: Request, call_next):
        path = request.url.path
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not path.startswith(security.OPEN_PATHS) and not security.authorised(headers, request.cookies, token):
            if path.startswith(API_PREFIX) or request.method != "GET":
                return JSONResponse({"detail": [{"path": "authorization", "message": "this server needs its token: "
                                    "send 'Authorization: Bearer <token>' (the --token or MUNIGRID_TOKEN of "
                                    "munigrid serve), or log in at /login"}]}, status_code=401,
                                    headers={"WWW-Authenticate": "Bearer"})
            return RedirectResponse(f"/login?next={path}", status_code=303)
        if request.method not in ("GET", "HEAD", "OPTIONS") and security.foreign_origin(headers):
            return JSONResponse({"detail": [{"path": "origin", "message": "requests from another web site are "
                                "refused; use the workspace's own pages or call the API without an Origin header"}]},
                                status_code=403)
        request.state.csrf = request.cookies.get(security.CSRF_COOKIE) or security.new_csrf_token()
        response = await call_next(request)
        if security.CSRF_COOKIE not in request.cookies:
            response.set_cookie(security.CSRF_COOKIE, request.state.csrf, httponly=False, samesite="strict")
        return response


def _openapi(app: FastAPI):
    """The OpenAPI document, with the scenario schema (the request schema of documents) in its components."""
    from fastapi.openapi.utils import get_openapi

    from munigrid.scenarios.schema import Scenario

    def build():
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            scenario = Scenario.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(scenario.pop("$defs", {}))
            components["Scenario"] = scenario
            document = components.get("JobRequest", {}).get("properties", {}).get("document")
            if document is not None:
                document.update({"anyOf": [{"$ref": "#/components/schemas/Scenario"}, {"type": "null"}]})
                document.pop("type", None)
            app.openapi_schema = schema
        return app.openapi_schema

    return build


def create_app(root: Path | str | None = None, *, token: str | None = None, workers: int = 2,
               routers: Sequence[APIRouter] = (), upload_limit_bytes: int = security.UPLOAD_LIMIT_BYTES) -> FastAPI:
    """The web workspace and job API over the run store at ``root``.

    Parameters
    ----------
    root : Path, optional
        Run store root (default ``$MUNIGRID_RUNS`` or ``./runs``).
    token : str, optional
        Access token; required by ``munigrid serve`` on any address but loopback.
    workers : int
        Jobs running at once; more submissions wait in the queue.
    routers : sequence of APIRouter
        Optional routers to include (e.g. the live EMS link's HTTP adapter); they keep their own
        prefixes and sit behind the same access rules.
    upload_limit_bytes : int
        Largest request body accepted [bytes]; larger ones get 413.
    """
    from contextlib import asynccontextmanager

    from munigrid.scenarios.service import api_routes, pages
    from munigrid.solver_runs.store import default_root

    root = Path(root) if root else default_root()
    jobs = JobManager(root, workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        jobs.start()
        try:
            yield
        finally:
            jobs.stop()

    app = ServiceApp(title="munigrid", version=_version(), lifespan=lifespan, docs_url=None, redoc_url=None,
                     openapi_url=f"{API_PREFIX}/openapi.json",
                     description="Runs, sweeps, finance cases and day-ahead schedules of munigrid scenarios as jobs; "
                                 "the run store through its index.")
    app.upload_limit_bytes = upload_limit_bytes
    app.state.root = root
    app.state.token = token
    app.state.jobs = jobs
    _add_error_handlers(app)
    _add_access_rules(app, token)
    app.include_router(api_routes.router, prefix=API_PREFIX)
    app.include_router(pages.router)
    # Optional routers, e.g. the live EMS link (scenarios/operations/link/), are included here.
    for extra in routers:
        app.include_router(extra)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.openapi = _openapi(app)
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("munigrid")
    except PackageNotFoundError:
        return "0"
