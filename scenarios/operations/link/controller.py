"""The live controller: every step, read -> check -> decide -> clamp -> write -> log.

::

    +--------------------------------------------------------------------+
    | each step (step_min)                                               |
    |  read measurement --(link down / stale / implausible)--> SAFE MODE |
    |        | usable                                   hold last plan's |
    |        v                                          set point <= N   |
    |  new day? -> day-ahead plan (make_schedule)        min, then 0 kW  |
    |        v                                                  |        |
    |  intraday re-plan + real-time control (DayContext)        |        |
    |        v                                                  v        |
    |  clamp: guard, no export, power, SoC window  ----->  write set point|
    |                                                  (not with dry run)|
    |  log: measurement, faults, mode, decision, reasons (fsynced)       |
    +--------------------------------------------------------------------+

The clock is injected (:mod:`.clock`), so a whole day runs in accelerated time in the tests,
and :func:`replay` runs the same code on a log's measurements to check that it reproduces the
logged decisions. Set points are kW at the battery's AC terminals, **+ charge, - discharge**.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from munigrid.models.errors import InputError, NoSolutionError
from munigrid.scenarios.operations.intraday import IntradayPolicy
from munigrid.scenarios.operations.link.adapter import Link, LinkError, Reconnecting
from munigrid.scenarios.operations.link.clock import Clock
from munigrid.scenarios.operations.link.config import EmsConfig
from munigrid.scenarios.operations.link.dayahead import DayAhead, make_dayahead
from munigrid.scenarios.operations.link.decide import DayContext, Decision
from munigrid.scenarios.operations.link.measurement import REQUIRED, Measurement, faults
from munigrid.scenarios.operations.link.safety import clamp_setpoint, safe_setpoint
from munigrid.scenarios.operations.site import OperationsSite

#: ``(day, soc_kwh or None, registered demand or None) -> DayAhead``.
DayAheadSource = Callable[[pd.Timestamp, float | None, dict | None], DayAhead]


@dataclass
class GoodReading:
    """The last usable measurement: when, stored energy [kWh], net load [kW], demand guard [kW]."""

    time: pd.Timestamp
    soc_kwh: float
    net_kw: float
    guard_kw: float


class Controller:
    """Runs the site's battery from measurements (module docstring).

    Parameters
    ----------
    site : OperationsSite
        The battery building (battery, tariff, history for the forecasts).
    config : EmsConfig
        The link's configuration.
    link : Link
        The adapter (wrapped here with reconnection and back-off).
    clock : Clock
        Wall time or simulated time.
    log : EmsLog or MemoryLog
        Where every record goes.
    dry_run : bool
        Decide and log, write nothing to the device.
    dayahead : callable, optional
        Source of each day's plan (default :func:`.dayahead.make_dayahead`, schedule files
        written to ``schedule_folder``).
    schedule_folder : Path, optional
        Where the day-ahead schedule files go (the log folder).
    weather_forecast : callable, optional
        Reads the current weather forecast before each day-ahead plan (default: none, the
        scenario's weather).
    """

    def __init__(self, site: OperationsSite, config: EmsConfig, link: Link, clock: Clock, log, *,
                 dry_run: bool = False, dayahead: DayAheadSource | None = None, schedule_folder: Path | None = None,
                 weather_forecast: Callable[[], pd.DataFrame] | None = None):
        if abs(config.step_min / 60 - site.step_h) > 1e-9:
            raise InputError(f"must be the scenario's step ({site.step_h * 60:g} min), got {config.step_min}",
                             "ems.yaml: step_min")
        self.site, self.config, self.clock, self.log, self.dry_run = site, config, clock, log, dry_run
        self.step = pd.Timedelta(minutes=config.step_min)
        self.link = Reconnecting(link, clock.now, config.safety.reconnect_min_s, config.safety.reconnect_max_s,
                                 lambda event: self._record("link", **event))
        self.policy = IntradayPolicy(replan_steps=config.planning.replan_steps)
        self.guard_kw = min(config.safety.import_limit_kw or math.inf, site.import_limit_kw)
        self._dayahead = dayahead or (lambda day, soc, peaks: make_dayahead(
            site, day, soc, peaks, config.planning.load_model, schedule_folder, weather_forecast))
        self.day: DayContext | None = None
        self.good: GoodReading | None = None
        self.soc_est_kwh: float | None = None
        self.written_kw = 0.0  # the last set point the device took (the battery's power when not measured)
        self.safe_since: pd.Timestamp | None = None

    def _record(self, kind: str, **fields) -> dict:
        record = {"kind": kind, "time": self.clock.now().isoformat(), **fields}
        self.log.append(record)
        return record

    def start_record(self) -> dict:
        """Log the ``start`` record (configuration, site, battery, policy)."""
        return self._record("start", site=self.config.site, scenario=self.site.scenario_name,
                            building=self.site.building, dry_run=self.dry_run,
                            config=self.config.model_dump(mode="json"), policy=self.policy.to_json(),
                            sign="setpoint_kw: + charge, - discharge [kW, AC terminals]", **self._batteries_json())

    def _batteries_json(self) -> dict:
        """The battery's size and SoC window for the ``start`` record."""
        return {"battery": battery_json(self.site.battery)}

    def run(self, steps: int | None = None, stop: threading.Event | None = None) -> None:
        """Run ``steps`` steps (None: until ``stop`` is set), then log ``stop`` and close the link."""
        stop = stop or threading.Event()
        self.start_record()
        done = 0
        try:
            while not stop.is_set() and (steps is None or done < steps):
                record = self.run_step()
                done += 1
                if steps is None or done < steps:
                    self.clock.sleep_until(pd.Timestamp(record["step"]) + self.step, stop)
        finally:
            self._record("stop", steps=done)
            self.close()

    def close(self) -> None:
        """Close the link(s)."""
        self.link.close()

    def _read(self, now: pd.Timestamp, link: Reconnecting | None = None,
              required: tuple[str, ...] = REQUIRED) -> tuple[Measurement | None, str | None, list[str]]:
        """``link``'s (default the site's) measurement, its link error and its faults."""
        try:
            measurement = (link or self.link).call("read", now)
        except LinkError as err:
            return None, str(err), [f"link: {err}"]
        return measurement, None, faults(measurement, now, self.config.safety, required)

    def _start_day(self, day: pd.Timestamp, soc_kwh: float | None) -> None:
        if self.day is None:
            peaks = None if self.config.planning.peak_kw is None else {"*": [self.config.planning.peak_kw]}
        elif self.day.dayahead.state.month == f"{day.year:04d}-{day.month:02d}":
            peaks = self.day.registered_kw()
        else:
            peaks = {}
        dayahead = self._dayahead(day, soc_kwh, peaks)
        self.day = DayContext(self.site, dayahead, self.policy)
        self._record("dayahead", **dayahead.to_json())

    def run_step(self) -> dict:
        """One step (module docstring); returns its log record."""
        now = self.clock.now()
        start = now.floor(self.step)
        measurement, link_error, problems = self._read(now)
        soc_kwh = None if problems else measurement.soc_pct / 100.0 * self.site.battery.energy_kwh
        if self.day is None or self.day.day != start.normalize():
            self._start_day(start.normalize(), soc_kwh if soc_kwh is not None else self.soc_est_kwh)
        h = self.day.step_of(start)
        decision = None
        if not problems:
            battery_kw = measurement.battery_kw if measurement.battery_kw is not None else self.written_kw
            net_kw = measurement.net_load_kw(battery_kw)
            try:
                decision = self.day.decide(h, soc_kwh, net_kw, measurement.pv_kw)
            except NoSolutionError as err:
                problems = [f"re-plan failed: {err}"]
        if decision is not None:
            guard = min(self.guard_kw, decision.limit_kw if math.isfinite(decision.limit_kw) else math.inf)
            value, reasons = clamp_setpoint(decision.requested_kw, self.site.battery, soc_kwh, net_kw, guard,
                                            self.site.step_h)
            self.good = GoodReading(now, soc_kwh, net_kw, guard)
            self.soc_est_kwh = soc_kwh
            self.day.record(h, net_kw + measurement.pv_kw, net_kw + value)
            mode = "normal"
        else:
            value, reasons = self._safe(now, h)
            mode = "safe"
        self._alarm(mode, problems)
        written, write_error = self._write(value, start, mode, decision is not None and decision.replanned)
        if written:
            self.written_kw = value
        self._advance_soc(value)
        return self._record(
            "step", step=start.isoformat(), read_at=now.isoformat(), h=h, mode=mode, dry_run=self.dry_run,
            measurement=None if measurement is None else measurement.to_json(), link_error=link_error,
            faults=problems, setpoint_kw=round(value, 6), reasons=reasons,
            **Decision.log_fields(decision),
            written=written, write_error=write_error, soc_est_kwh=self.soc_est_kwh,
            registered_kw=self.day.registered_kw())

    def _safe(self, now: pd.Timestamp, h: int) -> tuple[float, list[str]]:
        """Safe-mode set point (:func:`.safety.safe_setpoint`)."""
        if self.good is None or self.soc_est_kwh is None:
            return safe_setpoint(0.0, math.inf, self.config.safety.hold_max_min, self.site.battery, 0.0, 0.0,
                                 self.guard_kw, self.site.step_h)
        minutes = (now - self.good.time).total_seconds() / 60.0
        return safe_setpoint(self.day.planned_setpoint_kw(h), minutes, self.config.safety.hold_max_min,
                             self.site.battery, self.soc_est_kwh, self.good.net_kw, self.good.guard_kw,
                             self.site.step_h)

    def _alarm(self, mode: str, problems: list[str]) -> None:
        """Log (and publish) entering and leaving safe mode."""
        if mode == "safe" and self.safe_since is None:
            self.safe_since = self.clock.now()
            alarm = self._record("alarm", message="safe mode", faults=problems)
            if not self.dry_run:
                try:
                    self.link.call("publish_alarm", alarm)
                except LinkError:
                    pass  # the alarm is in the log; the link's loss is logged by Reconnecting
        elif mode == "normal" and self.safe_since is not None:
            minutes = (self.clock.now() - self.safe_since).total_seconds() / 60.0
            self._record("recovered", message=f"normal operation after {minutes:.0f} min in safe mode")
            self.safe_since = None

    def _write(self, value: float, start: pd.Timestamp, mode: str, replanned: bool) -> tuple[bool, str | None]:
        """Write the set point (and a new plan); nothing with a dry run. Returns (written, error)."""
        if self.dry_run:
            return False, None
        try:
            self.link.call("write_setpoint", value, self.clock.now(), start + self.step, mode)
        except LinkError as err:
            return False, str(err)
        if replanned:
            self._publish_plan()
        return True, None

    def _publish_plan(self) -> None:
        """Publish the latest re-plan where the site's link can."""
        try:
            self.link.call("publish_plan", self.day.plan_json(self.config.site, self.clock.now(), self.config.step_min))
        except LinkError:
            pass  # the set point is written; the loss of the link is logged by Reconnecting

    def _advance_soc(self, value: float) -> None:
        """Expected stored energy after the step if the battery follows ``value`` [kWh]."""
        if self.soc_est_kwh is not None:
            self.soc_est_kwh = soc_after_kwh(self.site.battery, self.soc_est_kwh, value, self.site.step_h)


def battery_json(b) -> dict:
    """A battery's size and SoC window, JSON-ready (the ``start`` record)."""
    return {"energy_kwh": b.energy_kwh, "power_kw": b.installed_power_kw, "soc_min_frac": b.soc_min_frac,
            "soc_max_frac": b.soc_max_frac}


def soc_after_kwh(b, soc_kwh: float, value_kw: float, step_h: float) -> float:
    r"""Stored energy after a step [kWh] if battery ``b`` follows ``value_kw`` [kW, + charge] from ``soc_kwh``:
    :math:`E' = \min(E_{max}, \max(E_{min}, E + (\eta_c s^+ - s^- / \eta_d)\,\Delta t))`."""
    change = (b.charge_eff_frac * max(value_kw, 0.0) - max(-value_kw, 0.0) / b.discharge_eff_frac) * step_h
    return min(max(soc_kwh + change, b.soc_min_frac * b.energy_kwh), b.soc_max_frac * b.energy_kwh)
