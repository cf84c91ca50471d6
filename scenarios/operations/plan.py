r"""Rolling-horizon dispatch of one day: optimise the look-ahead, commit the first day.

The horizon (default 48 h) starts at the planned day's midnight; the first 24 h are committed
and written to the schedule file, the rest only values the energy left in the battery at the
end of the day. The optimiser (:func:`munigrid.models.dispatch.solve`) sees

* the forecast load (P50, or P90 with ``robust``) and PV (P50) as the meter's load and PV,
* the battery starting at the state's stored energy, free to end the horizon at its minimum,
* the tariff with the month's registered demand :math:`R` (:mod:`.costs`): a peak already paid
  for this month costs nothing to reach again, only :math:`\max(0, D - R)` is charged.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from munigrid.models.dispatch import DispatchProblem, Meter, PVArray, SolveOptions, solve
from munigrid.scenarios.operations.costs import day_cost_thb, demand_limit_kw, horizon_terms, registered_after
from munigrid.scenarios.operations.forecast import HorizonForecast
from munigrid.scenarios.operations.site import OperationsSite
from munigrid.scenarios.operations.state import DayState

#: Default look-ahead and committed lengths [h].
LOOKAHEAD_H = 48
COMMITTED_H = 24


@dataclass
class DayPlan:
    """The optimised horizon and its committed day.

    Attributes
    ----------
    index : DatetimeIndex
        The whole horizon.
    n_committed : int
        Steps of the committed day (the first ones).
    load_plan_kw, pv_plan_kw : ndarray, shape (T,)
        The forecast the plan was made against [kW].
    charge_kw, discharge_kw, import_kw, pv_used_kw : ndarray, shape (T,)
        Planned battery flows, grid import and PV used on site [kW].
    soc_kwh : ndarray, shape (T + 1,)
        Planned stored energy at each step boundary [kWh].
    demand_limit_kw : ndarray, shape (T,)
        Demand the plan holds at each step [kW]; NaN where no demand charge applies.
    expected_cost_thb : float
        What the committed day adds to the month's bill if the forecast comes true [THB].
    end_peak_kw : dict
        Registered demand of the day's month after the committed day [kW], per family and window.
    solver : dict
        Status and timings of the solve [s].
    """

    index: pd.DatetimeIndex
    n_committed: int
    load_plan_kw: np.ndarray
    pv_plan_kw: np.ndarray
    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    import_kw: np.ndarray
    pv_used_kw: np.ndarray
    soc_kwh: np.ndarray
    demand_limit_kw: np.ndarray
    expected_cost_thb: float
    end_peak_kw: dict[str, list[float]]
    solver: dict = field(default_factory=dict)

    @property
    def setpoint_kw(self) -> np.ndarray:
        """Battery set point at the AC terminals [kW]: + charge, - discharge."""
        return self.charge_kw - self.discharge_kw


def horizon_index(site: OperationsSite, day: pd.Timestamp, lookahead_h: float = LOOKAHEAD_H,
                  committed_h: float = COMMITTED_H) -> tuple[pd.DatetimeIndex, int, list[str]]:
    """Steps of the horizon starting at ``day`` (cut at the end of the site's grid) and the committed count."""
    step = pd.Timedelta(hours=site.step_h)
    n_committed = int(round(committed_h / site.step_h))
    n_wanted = int(round(lookahead_h / site.step_h))
    index = site.index[(site.index >= day) & (site.index < day + n_wanted * step)]
    notes = []
    if len(index) < n_wanted:
        notes.append(f"look-ahead cut to {len(index) * site.step_h:g} h: the site's data end at "
                     f"{(site.index[-1] + step).isoformat()}")
    return index, n_committed, notes


def planning_load_kw(forecast: HorizonForecast, robust: bool = False) -> np.ndarray:
    """The load a plan is made against [kW]: the forecast's P50, or its P90 when ``robust``."""
    return forecast.load_kw["p90" if robust else "p50"].to_numpy()


def plan_day(site: OperationsSite, state: DayState, forecast: HorizonForecast, n_committed: int, *,
             robust: bool = False, load_kw: np.ndarray | None = None, time_limit_s: float = 10.0) -> DayPlan:
    """Optimise the horizon of ``forecast`` from ``state`` and keep its first ``n_committed`` steps.

    The load planned against is ``load_kw`` when given [kW], else :func:`planning_load_kw`; the
    PV is the forecast's P50.

    Raises
    ------
    NoSolutionError
        When the solver gives no usable answer (with its diagnosis).
    """
    index = forecast.load_kw.index
    load = planning_load_kw(forecast, robust) if load_kw is None else np.asarray(load_kw, dtype=float)
    pv = forecast.pv_kw["p50"].to_numpy()
    battery = site.battery
    low, high = battery.soc_min_frac * battery.energy_kwh, battery.soc_max_frac * battery.energy_kwh
    soc_frac = min(max(state.soc_kwh, low), high) / battery.energy_kwh
    battery = replace(battery, soc_initial_frac=soc_frac, soc_final_frac=battery.soc_min_frac)
    terms = horizon_terms(site, index, state)
    meter = Meter(name=site.building, load_kw=load, terms=terms, battery=battery,
                  pv=[PVArray("forecast", ac_kw_per_kwp=pv, capacity_kwp=1.0)], import_limit_kw=site.import_limit_kw)
    result = solve(DispatchProblem(step_h=site.step_h, meters=[meter],
                                   options=SolveOptions(time_limit_s=time_limit_s, threads=1))).require_solution()
    s = result.schedules[site.building]
    day_terms = horizon_terms(site, index[:n_committed], state)
    planned = s.import_kw[:n_committed]
    return DayPlan(
        index=index, n_committed=n_committed, load_plan_kw=load, pv_plan_kw=pv, charge_kw=s.charge_kw,
        discharge_kw=s.discharge_kw, import_kw=s.import_kw, pv_used_kw=s.pv_ac_kw.sum(axis=0), soc_kwh=s.soc_kwh,
        demand_limit_kw=demand_limit_kw(terms, s.import_kw),
        expected_cost_thb=day_cost_thb(day_terms, planned), end_peak_kw=registered_after(day_terms, planned),
        solver={"status": result.status.value, **{k: round(v, 4) for k, v in result.timings.items()}})
