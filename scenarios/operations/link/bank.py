"""Several batteries behind one meter, each on its own device (``ems.yaml`` ``batteries:``).

Each step :class:`BankController` reads the meter (import and PV, the adapter's device) and
every battery's own device (its SoC and power), then:

* a battery whose reading cannot be used (device not answering, SoC missing, outside
  [0, 100] %, stale) is in its **safe state**: set point 0 kW, written to its device (when it
  answers), and it is **unavailable** to the re-plan: the other batteries are re-planned at once
  as if it were absent (:meth:`~.decide.DayContext.decide` with the meter's available
  batteries), and its power counts as the last set point it took (0 once written);
* the re-plan's summed set point passes the real-time control, is shared out over the available
  batteries (:func:`munigrid.scenarios.operations.ems.split_setpoint`: each its planned set
  point plus a share of the control's correction by power) and each battery's is clamped
  (:func:`.safety.clamp_setpoint`) in the scenario's order, each seeing the net load the ones
  before it leave, so that the sum holds the guard and never exports;
* when the meter's reading cannot be used (or no battery is available) the whole site is in
  safe mode: every battery 0 kW (with several batteries the controller does not hold the
  plan's set points, unlike one battery's safe mode: it cannot tell where the import goes).

A step's log record has the site's fields (``setpoint_kw`` the batteries' sum, ``mode``
``normal``, ``partial`` -- some batteries in their safe state -- or ``safe``;
``planned_batteries`` the batteries the step's plan moved) and under ``batteries`` each
battery's measurement, faults, set point, reasons and write.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError, NoSolutionError, Problem
from munigrid.scenarios.operations.ems import split_setpoint
from munigrid.scenarios.operations.link.adapter import Link, LinkError, Reconnecting
from munigrid.scenarios.operations.link.controller import Controller, battery_json, soc_after_kwh
from munigrid.scenarios.operations.link.decide import Decision
from munigrid.scenarios.operations.link.measurement import BATTERY, METER
from munigrid.scenarios.operations.link.safety import clamp_setpoint
from munigrid.scenarios.operations.site import OperationsSite


def device_problems(site: OperationsSite, names: list[str]) -> list[Problem]:
    """Why the battery devices ``names`` (``ems.yaml`` ``batteries:``) do not match the meter's batteries."""
    have = ", ".join(site.batteries) or "none"
    problems = [Problem(f"ems.yaml: batteries.{name}", f"no battery '{name}' behind meter '{site.building}' "
                                                       f"(its batteries: {have})")
                for name in names if name not in site.batteries]
    problems += [Problem("ems.yaml: batteries", f"battery '{name}' of meter '{site.building}' has no device: "
                                                f"add batteries.{name}")
                 for name in site.batteries if name not in names]
    if site.flex is not None:
        problems.append(Problem("flexible_loads", f"the live EMS link does not control flexible loads; meter "
                                                  f"'{site.building}' has some: use `munigrid schedule` / `review`"))
    return problems


class BankController(Controller):
    """The controller of a meter with several batteries on their own devices (module docstring).

    Parameters are :class:`~.controller.Controller`'s (``link`` is the meter's) and
    ``devices``: each battery's own link by the scenario's battery name.

    Raises
    ------
    InputError
        ``devices`` do not name the meter's batteries (:func:`device_problems`).
    """

    def __init__(self, site: OperationsSite, config, link: Link, devices: dict[str, Link], clock, log, **options):
        problems = device_problems(site, list(devices))
        if problems:
            raise InputError(problems)
        super().__init__(site, config, link, clock, log, **options)
        safety = config.safety
        self.devices = {name: Reconnecting(devices[name], clock.now, safety.reconnect_min_s, safety.reconnect_max_s,
                                           lambda event, name=name: self._record("link", battery=name, **event))
                        for name in site.batteries}
        self.soc_est = dict.fromkeys(site.batteries)
        self.written = dict.fromkeys(site.batteries, 0.0)

    def _batteries_json(self) -> dict:
        return {"batteries": {name: battery_json(b) for name, b in self.site.batteries.items()}}

    def close(self) -> None:  # noqa: D102
        super().close()
        for device in self.devices.values():
            device.close()

    def run_step(self) -> dict:
        """One step (module docstring); returns its log record."""
        now = self.clock.now()
        start = now.floor(self.step)
        meter, link_error, problems = self._read(now, required=METER)
        reads = {name: self._read(now, device, BATTERY) for name, device in self.devices.items()}
        socs = {name: m.soc_pct / 100.0 * self.site.batteries[name].energy_kwh
                for name, (m, _, faulted) in reads.items() if not faulted}
        if self.day is None or self.day.day != start.normalize():
            known = {name: socs.get(name, self.soc_est[name]) for name in self.site.batteries}
            self._start_day(start.normalize(), None if None in known.values() else known)
        h = self.day.step_of(start)
        powers = {name: m.battery_kw if not faulted and m.battery_kw is not None else self.written[name]
                  for name, (m, _, faulted) in reads.items()}
        values = dict.fromkeys(self.site.batteries, 0.0)
        reasons = {name: [f"safe state: 0 kW ({'; '.join(faulted)})"] for name, (_, _, faulted) in reads.items()
                   if faulted}
        decision = None
        if not problems and socs:
            net_kw = meter.import_kw - sum(powers.values())
            available = replace(self.site, batteries={n: b for n, b in self.site.batteries.items() if n in socs})
            try:
                decision = self.day.decide(h, socs, net_kw, meter.pv_kw, available)
            except NoSolutionError as err:
                problems = [f"re-plan failed: {err}"]
        if decision is not None:
            guard = min(self.guard_kw, decision.limit_kw if math.isfinite(decision.limit_kw) else math.inf)
            k = h - self.day.plan_start
            each = split_setpoint(available, np.array([decision.requested_kw]),
                                  self.day.replan.plan.battery_setpoint_kw[:, k:k + 1])[:, 0]
            seen_kw = net_kw
            for (name, battery), requested in zip(available.batteries.items(), each):
                values[name], reasons[name] = clamp_setpoint(float(requested), battery, socs[name], seen_kw, guard,
                                                             self.site.step_h)
                seen_kw += values[name]
            self.day.record(h, net_kw + meter.pv_kw, seen_kw)
            mode = "normal" if len(socs) == len(values) else "partial"
        else:
            reasons = {name: ["safe mode: 0 kW (the meter's reading cannot be used or no battery is available)"]
                       for name in self.site.batteries}
            mode = "safe"
        all_faults = problems + [f"{name}: {p}" for name, (_, _, faulted) in reads.items() for p in faulted]
        self._alarm("normal" if mode == "normal" else "safe", all_faults)
        writes = {name: self._write_battery(name, values[name], start, "normal" if name in socs and
                                            decision is not None else "safe") for name in values}
        if decision is not None and decision.replanned and not self.dry_run:
            self._publish_plan()
        for name, value in values.items():
            if writes[name][0]:
                self.written[name] = value
            known = socs.get(name, self.soc_est[name])
            self.soc_est[name] = None if known is None else soc_after_kwh(self.site.batteries[name], known, value,
                                                                          self.site.step_h)
        batteries = {name: {"measurement": None if m is None else m.to_json(), "link_error": error,
                            "faults": faulted, "setpoint_kw": round(values[name], 6), "reasons": reasons.get(name, []),
                            "written": writes[name][0], "write_error": writes[name][1],
                            "soc_est_kwh": self.soc_est[name]}
                     for name, (m, error, faulted) in reads.items()}
        setpoint_kw = sum(values.values())
        return self._record(
            "step", step=start.isoformat(), read_at=now.isoformat(), h=h, mode=mode, dry_run=self.dry_run,
            measurement=None if meter is None else replace(meter, battery_kw=sum(powers.values())).to_json(),
            link_error=link_error, faults=all_faults, setpoint_kw=round(setpoint_kw, 6),
            reasons=[f"{name}: {r}" for name in values for r in reasons.get(name, [])],
            **Decision.log_fields(decision),
            written=all(w for w, _ in writes.values()),
            write_error="; ".join(f"{n}: {e}" for n, (_, e) in writes.items() if e) or None,
            soc_est_kwh=None if None in self.soc_est.values() else sum(self.soc_est.values()),
            registered_kw=self.day.registered_kw(), batteries=batteries,
            planned_batteries=None if decision is None else list(available.batteries))

    def _write_battery(self, name: str, value: float, start: pd.Timestamp, mode: str) -> tuple[bool, str | None]:
        """Write ``value`` [kW, + charge] to battery ``name``'s device (nothing with a dry run): (written, error)."""
        if self.dry_run:
            return False, None
        try:
            self.devices[name].call("write_setpoint", value, self.clock.now(), start + self.step, mode)
        except LinkError as err:
            return False, str(err)
        return True, None
