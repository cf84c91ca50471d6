"""Building and running a controller: for ``munigrid ems`` and for a long-running service.

:func:`make_controller` assembles a :class:`~.controller.Controller` from a scenario and an
``ems.yaml`` (site, adapter, log folder in the run store). :class:`BackgroundController` runs
one in a daemon thread, so that a web service can host the loop next to its routes: with the
HTTP adapter, include :data:`.http.router` in the service's app and the controller's
``HttpLink`` serves ``/api/v1/ems/{site}/...`` there.
"""

from __future__ import annotations

import threading
from pathlib import Path

from munigrid.models.errors import InputError, Problem
from munigrid.scenarios.operations.link.adapter import battery_links, make_link
from munigrid.scenarios.operations.link.bank import BankController, device_problems
from munigrid.scenarios.operations.link.clock import Clock, SystemClock
from munigrid.scenarios.operations.link.config import EmsConfig
from munigrid.scenarios.operations.link.controller import Controller
from munigrid.scenarios.operations.link.log import EmsLog


def log_folder(config: EmsConfig, runs_root: Path | None = None) -> Path:
    """Where the site's log and schedule files go: ``log_dir``, else ``RUNS/ems/SITE``."""
    from munigrid.solver_runs.store import default_root

    return Path(config.log_dir) if config.log_dir else Path(runs_root or default_root()) / "ems" / config.site


def make_controller(scenario: str | Path, config: EmsConfig, *, history: Path | None = None,
                    runs_root: Path | None = None, dry_run: bool = False, clock: Clock | None = None) -> Controller:
    """The controller of ``scenario``'s battery building under ``config`` (wall clock by default).

    Raises
    ------
    InputError
        A scenario without a battery, with several behind the meter and no ``batteries:`` devices
        in ``config`` (or devices that do not name them: ``ems.yaml: batteries.NAME``), with
        flexible loads (``flexible_loads``), a step other than the scenario's, missing files.
    """
    from munigrid.scenarios import api
    from munigrid.scenarios.operations.site import operations_site

    parsed = api.load(str(scenario))
    site = operations_site(parsed, parsed._base_dir, history=history)
    if config.batteries is None:
        unsupported = site.one_battery_problems("the live EMS link (`munigrid ems`)")
        if len(site.batteries) > 1:
            unsupported = [Problem("batteries", f"meter '{site.building}' has {len(site.batteries)} batteries "
                                                f"({', '.join(site.batteries)}): list each one's device under "
                                                "batteries: in ems.yaml (docs/operations.md, several batteries)"),
                           *(p for p in unsupported if p.path != "batteries")]
    else:
        unsupported = device_problems(site, list(config.batteries))
    if unsupported:
        raise InputError(unsupported)
    folder = log_folder(config, runs_root)
    weather_forecast = None
    if config.planning.weather_forecast is not None:
        from munigrid.forecasting.weather_forecast import read_weather_forecast
        from munigrid.scenarios.inputs import file_field

        path, lat, lon = Path(config.planning.weather_forecast), parsed.site.latitude_deg, parsed.site.longitude_deg
        with file_field("ems.yaml: planning.weather_forecast"):
            read_weather_forecast(path, lat, lon)  # a bad file is refused at the start, naming its column

        def weather_forecast():
            return read_weather_forecast(path, lat, lon)  # re-read each day: the provider updates it
    options = dict(dry_run=dry_run, schedule_folder=folder, weather_forecast=weather_forecast)
    log = EmsLog(folder, config.site)
    if config.batteries is not None:
        return BankController(site, config, make_link(config), battery_links(config), clock or SystemClock(), log,
                              **options)
    return Controller(site, config, make_link(config), clock or SystemClock(), log, **options)


class BackgroundController:
    """A controller running in a daemon thread until :meth:`stop`.

    ``error`` holds what ended the loop early (a scenario whose data end, a failed day-ahead
    plan), else None.
    """

    def __init__(self, controller: Controller, steps: int | None = None):
        self.controller = controller
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(steps,), daemon=True,
                                        name=f"ems-{controller.config.site}")

    def _run(self, steps: int | None) -> None:
        try:
            self.controller.run(steps=steps, stop=self._stop)
        except Exception as err:  # kept for the service to report; the log has every step before it
            self.error = err

    def start(self) -> BackgroundController:
        """Start the loop; returns self."""
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        """Whether the loop is still running."""
        return self._thread.is_alive()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask the loop to stop after the step in progress and wait for it (bounded)."""
        self._stop.set()
        self._thread.join(timeout_s)
