"""HTTP adapter: the building's EMS posts measurements and polls the set point and the plan.

Routes (one :class:`fastapi.APIRouter`, JSON schemas of every body in the OpenAPI document):

* ``POST /api/v1/ems/{site}/measurements`` -- a :class:`MeasurementIn`; 202 when accepted,
  404 for a site no controller serves, 422 for a body that is not a measurement;
* ``GET /api/v1/ems/{site}/setpoint`` -- the latest :class:`SetpointOut` (404 before the first);
* ``GET /api/v1/ems/{site}/plan`` -- the latest :class:`PlanOut` (404 before the first).

A controller serves a site by registering its :class:`HttpLink` in a :class:`HttpRegistry`.
``router`` is bound to the module's ``registry``; :func:`make_router` builds one for another
registry (the web service includes either). Standalone, ``munigrid ems`` serves the router
with uvicorn on ``adapter.host`` (default 127.0.0.1).
"""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from munigrid.scenarios.operations.link.adapter import Link, LinkError, Mailbox, NoMeasurement
from munigrid.scenarios.operations.link.config import HttpAdapter
from munigrid.scenarios.operations.link.measurement import Measurement, stamp
from munigrid.scenarios.operations.link.mqtt import SIGN

PREFIX = "/api/v1/ems"


class MeasurementIn(BaseModel):
    """A measurement of the site (``time`` with a zone, else Asia/Bangkok)."""

    model_config = ConfigDict(extra="forbid")
    time: dt.datetime = Field(description="When it was measured.")
    soc_pct: float = Field(description="Battery state of charge [%].")
    import_kw: float = Field(description="Site import at the grid meter [kW], negative when exporting.")
    pv_kw: float = Field(description="PV AC output [kW].")
    battery_kw: float | None = Field(default=None, description="Battery AC power [kW], + charge, - discharge.")
    buildings: dict[str, float] = Field(default_factory=dict, description="Import of single buildings [kW].")


class Accepted(BaseModel):
    """Answer to a posted measurement."""

    site: str
    accepted: bool = True


class SetpointOut(BaseModel):
    """The battery set point to apply until ``valid_until``."""

    site: str
    time: dt.datetime
    setpoint_kw: float = Field(description=f"Battery set point [kW]: {SIGN}.")
    valid_until: dt.datetime
    mode: str = Field(description="'normal', 'safe' (holding the last plan) or 'dry-run'.")
    sign: str = SIGN


class PlanStep(BaseModel):
    """One step of the plan."""

    time: dt.datetime
    setpoint_kw: float
    import_kw: float
    soc_kwh: float


class PlanOut(BaseModel):
    """The latest plan from its first step to the end of the committed day."""

    site: str
    issued: dt.datetime
    step_min: int
    steps: list[PlanStep]


class HttpLink(Link):
    """The site's EMS over HTTP: a mailbox the routes fill and empty.

    Parameters
    ----------
    config : HttpAdapter
        Where standalone ``munigrid ems`` serves, and how long a step waits for a measurement.
    site : str
        Site name in the paths.
    max_age_s : float
        A measurement older than this does not end the wait for a fresh one [s].
    sites : HttpRegistry, optional
        Where to register on :meth:`connect` (default the module's :data:`registry`).
    """

    kind = "http"

    def __init__(self, config: HttpAdapter, site: str, max_age_s: float, sites: HttpRegistry | None = None):
        self.config, self.site, self.max_age_s = config, site, max_age_s
        self.sites = sites if sites is not None else registry
        self._mailbox = Mailbox()
        self.setpoint: SetpointOut | None = None
        self.plan: PlanOut | None = None

    def receive(self, measurement: Measurement) -> None:
        """Take a posted measurement (called by the route)."""
        self._mailbox.put(measurement)

    def connect(self) -> None:  # noqa: D102
        self.sites.add(self)

    def read(self, now: pd.Timestamp) -> Measurement:  # noqa: D102
        latest = self._mailbox.wait(now, self.max_age_s, self.config.wait_s)
        if latest is None:
            raise NoMeasurement(f"no measurement posted to {PREFIX}/{self.site}/measurements yet")
        return latest

    def write_setpoint(self, setpoint_kw: float, now: pd.Timestamp, valid_until: pd.Timestamp,  # noqa: D102
                       mode: str) -> None:
        self.setpoint = SetpointOut(site=self.site, time=now, setpoint_kw=round(float(setpoint_kw), 3),
                                    valid_until=valid_until, mode=mode)

    def publish_plan(self, plan: dict) -> None:  # noqa: D102
        self.plan = PlanOut.model_validate(plan)

    def close(self) -> None:  # noqa: D102
        self.sites.remove(self.site)


class HttpRegistry:
    """Sites served over HTTP: site name -> :class:`HttpLink`."""

    def __init__(self):
        self._links: dict[str, HttpLink] = {}
        self._lock = threading.Lock()

    def add(self, link: HttpLink) -> None:
        """Serve ``link.site``; raises :class:`LinkError` when another controller serves it."""
        with self._lock:
            if self._links.get(link.site, link) is not link:
                raise LinkError(f"site {link.site!r} is served by another controller")
            self._links[link.site] = link

    def remove(self, site: str) -> None:
        """Stop serving ``site``."""
        with self._lock:
            self._links.pop(site, None)

    def get(self, site: str) -> HttpLink:
        """The link of ``site``; HTTP 404 naming the served sites when none."""
        with self._lock:
            link = self._links.get(site)
            served = sorted(self._links)
        if link is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND,
                                f"no EMS controller serves site {site!r} (served: {', '.join(served) or 'none'})")
        return link


def make_router(sites: HttpRegistry) -> APIRouter:
    """The EMS routes (module docstring) over the sites of ``sites``."""
    api = APIRouter(prefix=PREFIX, tags=["ems"])

    @api.post("/{site}/measurements", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
    def post_measurement(site: str, body: MeasurementIn) -> Accepted:
        """Post the site's latest measurement (the controller uses it at its next step)."""
        sites.get(site).receive(Measurement(stamp(pd.Timestamp(body.time)), body.soc_pct, body.import_kw, body.pv_kw,
                                            body.battery_kw, dict(body.buildings)))
        return Accepted(site=site)

    def latest(site: str, what: str):
        value = getattr(sites.get(site), what)
        if value is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {what} for {site!r} yet (first step pending)")
        return value

    @api.get("/{site}/setpoint", response_model=SetpointOut)
    def get_setpoint(site: str) -> SetpointOut:
        """The battery set point to apply now."""
        return latest(site, "setpoint")

    @api.get("/{site}/plan", response_model=PlanOut)
    def get_plan(site: str) -> PlanOut:
        """The latest plan of the day."""
        return latest(site, "plan")

    return api


#: Sites served by controllers in this process.
registry = HttpRegistry()
#: The EMS routes over :data:`registry`, for ``app.include_router(router)``.
router = make_router(registry)


class Served:
    """The EMS routes served by uvicorn in a background thread (standalone ``munigrid ems``).

    Parameters
    ----------
    host, port : str, int
        Where to listen (127.0.0.1 unless the configuration says otherwise).
    sites : HttpRegistry
        The sites served (default :data:`registry`).
    """

    def __init__(self, host: str, port: int, sites: HttpRegistry | None = None, start_timeout_s: float = 10.0):
        import uvicorn
        from fastapi import FastAPI

        app = FastAPI(title="munigrid EMS link", version="1")
        app.include_router(router if sites is None else make_router(sites))
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                                    access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        pause = threading.Event()  # never set: a bounded sleep
        for _ in range(int(start_timeout_s / 0.05)):
            if self.server.started or not self.thread.is_alive():
                break
            pause.wait(0.05)
        if not self.server.started:
            self.stop()
            raise LinkError(f"cannot serve the EMS routes on {host}:{port} (port in use?)")

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop serving (bounded wait)."""
        self.server.should_exit = True
        self.thread.join(timeout_s)
