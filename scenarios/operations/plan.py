r"""Rolling-horizon dispatch of one day: optimise the look-ahead, commit the first day.

The horizon (default 48 h) starts at the planned day's midnight; the first 24 h are committed
and written to the schedule file, the rest only values the energy left in the battery at the
end of the day. The optimiser (:func:`munigrid.models.dispatch.solve`) sees

* the forecast load (P50, or P90 with ``robust``) and PV (P50) as the meter's load and PV,
* each battery starting at its stored energy in the state, free to end the horizon at its minimum,
* the flexible loads (:mod:`munigrid.scenarios.flex_inputs`) starting from the state's reservoir
  level, zone temperature and EV session energy; at the horizon's end the reservoir is at
  least as full and the zone at most as warm as their baseline leaves them, and an EV session
  still plugged in holds what lets it finish by its departure,
* the tariff with the month's registered demand :math:`R` (:mod:`.costs`): a peak already paid
  for this month costs nothing to reach again, only :math:`\max(0, D - R)` is charged.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from munigrid.models.dispatch import (Battery, BatterySchedule, DispatchProblem, Meter, PVArray, SolveOptions,
                                      solve)
from munigrid.models.dispatch.flex import FlexLoads, FlexSchedule
from munigrid.scenarios.operations.costs import day_cost_thb, demand_limit_kw, horizon_terms, registered_after
from munigrid.scenarios.operations.forecast import HorizonForecast
from munigrid.scenarios.operations.site import OperationsSite
from munigrid.scenarios.flex_inputs import FlexStart
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
        Planned battery flows (all batteries), grid import and PV used on site [kW].
    soc_kwh : ndarray, shape (T + 1,)
        Planned stored energy at each step boundary, all batteries [kWh].
    demand_limit_kw : ndarray, shape (T,)
        Demand the plan holds at each step [kW]; NaN where no demand charge applies.
    expected_cost_thb : float
        What the committed day adds to the month's bill if the forecast comes true [THB].
    end_peak_kw : dict
        Registered demand of the day's month after the committed day [kW], per family and window.
    solver : dict
        Status and timings of the solve [s].
    export_kw : ndarray, shape (T,)
        Planned export [kW].
    batteries : dict of str to BatterySchedule
        Each battery's flows [kW] and stored energy [kWh] by name.
    flex_loads : FlexLoads or None
        The flexible loads planned (their data on the horizon).
    flex : FlexSchedule or None
        What the plan has them do.
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
    export_kw: np.ndarray | None = None
    batteries: dict[str, BatterySchedule] = field(default_factory=dict)
    flex_loads: FlexLoads | None = None
    flex: FlexSchedule | None = None

    @property
    def setpoint_kw(self) -> np.ndarray:
        """Set point of all batteries together at their AC terminals [kW]: + charge, - discharge."""
        return self.charge_kw - self.discharge_kw

    @property
    def battery_setpoint_kw(self) -> np.ndarray:
        """Each battery's set point [kW, + charge], shape (N, T) in the order of ``batteries``."""
        return np.array([b.charge_kw - b.discharge_kw for b in self.batteries.values()]).reshape(
            len(self.batteries), len(self.index))

    @property
    def flex_kw(self) -> np.ndarray:
        """Planned power of all flexible loads [kW], shape (T,) (zeros without any; the solver's round-off
        below 1e-9 kW set to 0, so that no file shows -0.000)."""
        if self.flex is None:
            return np.zeros(len(self.index))
        power = np.asarray(self.flex.flex_kw, float)
        return np.where(np.abs(power) < 1e-9, 0.0, power)


def starting_batteries(site: OperationsSite, state: DayState, end_soc_kwh: dict[str, float] | None = None
                       ) -> list[Battery]:
    """The site's batteries starting at the state's stored energy (clipped into each one's window), free
    to end at their minimum, or ending at ``end_soc_kwh`` by name [kWh] when given."""
    out = []
    for name, soc_kwh in state.soc_by_battery(list(site.batteries)).items():
        battery = site.batteries[name]
        low, high = battery.soc_min_frac * battery.energy_kwh, battery.soc_max_frac * battery.energy_kwh
        frac = lambda kwh: min(max(kwh, low), high) / battery.energy_kwh  # noqa: E731
        end = battery.soc_min_frac if end_soc_kwh is None else frac(end_soc_kwh[name])
        out.append(replace(battery, soc_initial_frac=frac(soc_kwh), soc_final_frac=end))
    return out


def meter_assets(batteries: list[Battery]) -> dict:
    """``Meter`` keyword arguments of its batteries (one: the ``battery`` shorthand, which one-battery code reads)."""
    return {"battery": batteries[0]} if len(batteries) == 1 else {"batteries": batteries}


def horizon_flex(site: OperationsSite, state: DayState, forecast: HorizonForecast) -> FlexLoads | None:
    """The site's flexible loads on the forecast's horizon from the state's (None without any)."""
    if site.flex is None:
        return None
    index = forecast.load_kw.index
    weather = forecast.weather if forecast.weather is not None else site.weather.reindex(index)
    start = FlexStart(reservoir_frac=state.flex.get("reservoir_frac"), zone_temp_c=state.flex.get("zone_temp_c"),
                      store_frac=state.flex.get("store_frac"), ev_kwh=dict(state.flex.get("ev_kwh", {})))
    return site.flex(index, weather, start)


def with_planned_flex(forecast: HorizonForecast, flex_kw: np.ndarray | None) -> HorizonForecast:
    """``forecast`` with the flexible loads' planned power [kW] added to every load quantile (what an
    intraday re-plan, which moves only the batteries, plans against); unchanged for None."""
    if flex_kw is None:
        return forecast
    flex = np.nan_to_num(np.asarray(flex_kw, dtype=float))[:, None]
    return replace(forecast, load_kw=forecast.load_kw + flex)


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
             robust: bool = False, load_kw: np.ndarray | None = None, time_limit_s: float = 10.0,
             with_flex: bool = True) -> DayPlan:
    """Optimise the horizon of ``forecast`` from ``state`` and keep its first ``n_committed`` steps.

    The load planned against is ``load_kw`` when given [kW], else :func:`planning_load_kw`; the
    PV is the forecast's P50. ``with_flex`` False leaves the flexible loads out (an intraday
    re-plan, whose load already holds the day-ahead plan of the flexible loads).

    Raises
    ------
    NoSolutionError
        When the solver gives no usable answer (with its diagnosis).
    """
    index = forecast.load_kw.index
    load = planning_load_kw(forecast, robust) if load_kw is None else np.asarray(load_kw, dtype=float)
    pv = forecast.pv_kw["p50"].to_numpy()
    terms = horizon_terms(site, index, state)
    flex = horizon_flex(site, state, forecast) if with_flex else None
    meter = Meter(name=site.building, load_kw=load, terms=terms, **meter_assets(starting_batteries(site, state)),
                  pv=[PVArray("forecast", ac_kw_per_kwp=pv, capacity_kwp=1.0)], import_limit_kw=site.import_limit_kw,
                  flex=flex)
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
        solver={"status": result.status.value, **{k: round(v, 4) for k, v in result.timings.items()}},
        export_kw=s.export_kw, batteries=s.batteries, flex_loads=flex, flex=s.flex if flex is not None else None)
