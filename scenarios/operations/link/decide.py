"""The intraday EMS of :mod:`munigrid.scenarios.operations.intraday`, one measured step at a time.

:class:`DayContext` holds what the controller knows during a day: the day-ahead forecast and
plan, the load and import of the steps measured so far (steps without a usable measurement
count as their P50 forecast in the level factor and as no import in the registered demand),
and the latest re-plan. :meth:`DayContext.decide` re-plans when ``replan_steps`` have passed
(:func:`~munigrid.scenarios.operations.intraday.replan_at`: from the measured SoC and the
month's demand registered so far) and applies the real-time control to the step's measured
net load (:func:`~munigrid.scenarios.operations.intraday.control_step`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from munigrid.scenarios.operations.intraday import (IntradayPolicy, Replan, control_step, registered_so_far,
                                                   replan_at, with_step_freq)
from munigrid.scenarios.operations.link.dayahead import DayAhead
from munigrid.scenarios.operations.site import OperationsSite


@dataclass
class Decision:
    """What the EMS asks for at one step (before the safety clamp).

    Attributes
    ----------
    requested_kw : float
        Set point after the real-time control [kW, + charge].
    planned_kw : float
        The plan's set point for the step [kW].
    limit_kw : float
        Demand limit the control holds [kW] (NaN: none applies).
    factor : float
        Level factor of the plan [-].
    replanned : bool
        Whether this step re-planned.
    solve_s : float
        Time of the re-plan's solves [s] (0 without one).
    """

    requested_kw: float
    planned_kw: float
    limit_kw: float
    factor: float
    replanned: bool
    solve_s: float

    @staticmethod
    def log_fields(decision: Decision | None) -> dict:
        """The decision's fields of a step's log record (None each when there is none: safe mode)."""
        if decision is None:
            return dict.fromkeys(("requested_kw", "planned_kw", "limit_kw", "level_factor", "solve_s"), None) | {
                "replanned": False}
        return {"requested_kw": round(decision.requested_kw, 6), "planned_kw": round(decision.planned_kw, 6),
                "limit_kw": decision.limit_kw if math.isfinite(decision.limit_kw) else None,
                "level_factor": decision.factor, "replanned": decision.replanned,
                "solve_s": round(decision.solve_s, 4)}


class DayContext:
    """One day of the live intraday EMS (module docstring)."""

    def __init__(self, site: OperationsSite, dayahead: DayAhead, policy: IntradayPolicy):
        self.site, self.dayahead, self.policy = site, dayahead, policy
        self.forecast = with_step_freq(dayahead.forecast, site.step_h)
        self.n = dayahead.n_committed
        self.index = self.forecast.load_kw.index[:self.n]
        self.metered_kw = self.forecast.load_kw["p50"].to_numpy()[:self.n].copy()
        self.realised_kw = np.zeros(self.n)
        self.replan: Replan | None = None
        self.plan_start = 0
        self.planned_batteries = list(site.batteries)

    @property
    def day(self) -> pd.Timestamp:
        """Local midnight."""
        return self.dayahead.day

    def step_of(self, time: pd.Timestamp) -> int:
        """Position of the step starting at ``time`` in the day."""
        return int(self.index.get_loc(time))

    def decide(self, h: int, soc_kwh: float | dict[str, float], net_kw: float, pv_kw: float,
               site: OperationsSite | None = None) -> Decision:
        """Set point of step ``h`` from the measured ``soc_kwh`` [kWh], net load and PV [kW] (module docstring).

        With several batteries ``soc_kwh`` is each available battery's by name and ``site`` the
        meter with only those batteries: a change of the available batteries re-plans at once
        (a battery whose device fails is planned as absent).

        Raises
        ------
        NoSolutionError
            When a re-plan has no solution.
        """
        site = site or self.site
        replanned = (self.replan is None or not 0 <= h - self.plan_start < self.policy.replan_steps
                     or list(site.batteries) != self.planned_batteries)
        if replanned:
            self.planned_batteries = list(site.batteries)
            self.replan = replan_at(site, self.dayahead.state, self.forecast, self.n, h, soc_kwh,
                                    self.metered_kw, self.realised_kw, self.policy)
            self.plan_start = h
        k = h - self.plan_start
        step = pd.DataFrame({"load_kw": [net_kw + pv_kw], "pv_kw": [pv_kw]}, index=self.index[h:h + 1])
        applied = control_step(self.site, self.dayahead.state, self.index, h, self.replan, k, step, self.realised_kw,
                               self.policy)
        return Decision(float(applied[0]), float(self.replan.plan.setpoint_kw[k]), float(self.replan.limit_kw[k]),
                        self.replan.factor, replanned, self.replan.solve_s if replanned else 0.0)

    def record(self, h: int, load_kw: float, import_kw: float) -> None:
        """Keep step ``h``'s measured load and the import the applied set point gives [kW]."""
        self.metered_kw[h] = load_kw
        self.realised_kw[h] = max(0.0, import_kw)

    def planned_setpoint_kw(self, h: int) -> float:
        """The latest plan's set point for step ``h`` [kW] (the day-ahead plan's before any re-plan)."""
        if self.replan is not None and 0 <= h - self.plan_start < len(self.replan.plan.setpoint_kw):
            return float(self.replan.plan.setpoint_kw[h - self.plan_start])
        return float(self.dayahead.setpoint_kw[h])

    def registered_kw(self) -> dict[str, list[float]]:
        """Month's registered demand after the steps recorded so far [kW], per family and window."""
        return registered_so_far(self.site, self.index, self.dayahead.state, self.realised_kw)

    def plan_json(self, site_name: str, issued: pd.Timestamp, step_min: int) -> dict:
        """The latest re-plan from its first step to the end of the day (published to the device)."""
        plan, start = self.replan.plan, self.plan_start
        steps = [{"time": self.index[start + i].isoformat(), "setpoint_kw": round(float(plan.setpoint_kw[i]), 3),
                  "import_kw": round(float(plan.import_kw[i]), 3), "soc_kwh": round(float(plan.soc_kwh[i + 1]), 3)}
                 for i in range(self.n - start)]
        return {"site": site_name, "issued": issued.isoformat(), "step_min": step_min, "steps": steps}
