"""A planner that stays warm: the scenario's inputs and the fitted forecaster held in one process.

For a long-running process (an EMS controller, a service) the daily loop should not pay for
reading the scenario, building the site and fitting the load model at every call.
:class:`OperationsPlanner` builds the site once, keeps fitted forecasters in a
:class:`~.forecaster_cache.ForecasterCache` (memory, then the run store), and offers

* :meth:`OperationsPlanner.day_ahead` -- tomorrow's schedule (:func:`.daily.make_schedule`),
  fitting the forecaster at most once per history (once a day in the daily loop);
* :meth:`OperationsPlanner.replan` -- one intraday re-plan from measured values
  (:func:`.intraday.replan`, the EMS's model-predictive step), on the day-ahead forecast
  corrected to the level the day has shown so far; it never refits;
* :meth:`OperationsPlanner.prepare` -- fit (or load) the forecaster of a day ahead of time,
  e.g. in a background thread.

Sign convention of set points: + charge, - discharge, at the battery's AC terminals [kW].
"""

from __future__ import annotations

import time
from numbers import Real
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError
from munigrid.scenarios.operations.daily import ScheduleOutcome, make_schedule, resolve_issue_time
from munigrid.scenarios.operations.forecast import DEFAULT_LOAD_MODEL, PVMethod, fit_load_model, metered_history
from munigrid.scenarios.operations.forecaster_cache import ForecasterCache
from munigrid.scenarios.operations.intraday import DEFAULT_POLICY, IntradayPolicy, level_factor, replan, with_step_freq
from munigrid.scenarios.operations.plan import LOOKAHEAD_H, DayPlan, horizon_index, with_planned_flex
from munigrid.scenarios.operations.site import OperationsSite, operations_site
from munigrid.scenarios.operations.state import DayState, month_of, with_socs


@dataclass
class WarmReplan:
    """One intraday re-plan of the warm planner.

    (The live link's re-plan is :class:`munigrid.scenarios.operations.intraday.Replan`.)

    Attributes
    ----------
    time : Timestamp
        Start of the step the plan starts at.
    setpoint_kw : float
        Set point of all batteries for that step [kW, + charge].
    demand_limit_kw : ndarray
        Demand limit the real-time control holds, per step from ``time`` to the end of the
        day [kW] (NaN where no demand charge applies).
    level_factor : float
        :math:`r_h`, the day's load level relative to the day-ahead P50 so far [-].
    plan : DayPlan
        The whole re-optimised horizon from ``time``.
    elapsed_s : float
        Time the re-plan took [s].
    battery_setpoint_kw : dict of str to float
        Each battery's set point for that step by name [kW, + charge].
    """

    time: pd.Timestamp
    setpoint_kw: float
    demand_limit_kw: np.ndarray
    level_factor: float
    plan: DayPlan
    elapsed_s: float
    battery_setpoint_kw: dict[str, float] = field(default_factory=dict)


def registered_demand(value: float | dict[str, list[float]] | None) -> dict[str, list[float]]:
    """The month's registered demand as :class:`.state.DayState` keeps it, from a number [kW] or a mapping.

    Raises
    ------
    InputError
        A negative or non-finite demand.
    """
    if value is None:
        return {}
    peaks = {"*": [value]} if np.isscalar(value) else dict(value)
    out = {}
    for family, values in peaks.items():
        values = [float(v) for v in np.atleast_1d(values)]
        if not all(np.isfinite(v) and v >= 0 for v in values):
            raise InputError(f"must be demands >= 0 kW, got {values!r} for {family!r}", "registered_demand_kw")
        out[str(family)] = values
    return out


def measured_socs(batteries: dict, soc_kwh: float | dict[str, float]) -> dict[str, float]:
    """Each battery's measured stored energy [kWh] by name, checked against its capacity.

    Raises
    ------
    InputError
        Not one value per battery (by name with several), or a value outside [0, capacity].
    """
    if not isinstance(soc_kwh, dict):
        if len(batteries) != 1:
            raise InputError(f"give each battery's stored energy by name ({', '.join(batteries)}) [kWh]", "soc_kwh")
        soc_kwh = {next(iter(batteries)): soc_kwh}
    if set(soc_kwh) != set(batteries):
        raise InputError(f"give the stored energy of exactly the batteries {', '.join(batteries)}, got "
                         f"{', '.join(map(str, soc_kwh))}", "soc_kwh")
    out = {}
    for name, value in soc_kwh.items():
        energy = batteries[name].energy_kwh
        if not (isinstance(value, Real) and np.isfinite(value) and 0.0 <= value <= energy):
            where = "soc_kwh" if len(batteries) == 1 else f"soc_kwh.{name}"
            raise InputError(f"must be a stored energy in [0, {energy:g}] kWh, got {value!r}", where)
        out[name] = float(value)
    return {name: out[name] for name in batteries}


class OperationsPlanner:
    """The daily loop of one scenario's battery building, kept warm in one process.

    Parameters
    ----------
    site : OperationsSite
        The building, battery, tariff, metered history and PV (:func:`.site.operations_site`).
    cache : ForecasterCache, optional
        Fitted forecasters (default: the run store's, :func:`.forecaster_cache.default_folder`).
    load_model : str
        Load model name (default the ensemble).
    pv_method : {"weather", "recent_days"}
        PV forecast method.
    policy : IntradayPolicy
        Re-planning settings (reserve, ``hold_expected``, prior weight).
    robust : bool
        Day-ahead plans against the P90 load (default), else the P50.
    lookahead_h : float
        Optimised horizon [h].
    weather_forecast : DataFrame, optional
        Weather forecast (:func:`munigrid.forecasting.weather_forecast.read_weather_forecast`)
        used by the load and PV forecasts of every day it covers (default: the scenario's
        weather); :meth:`day_ahead` takes a newer one.
    """

    def __init__(self, site: OperationsSite, *, cache: ForecasterCache | None = None,
                 load_model: str = DEFAULT_LOAD_MODEL, pv_method: PVMethod = "weather",
                 policy: IntradayPolicy = DEFAULT_POLICY, robust: bool = True, lookahead_h: float = LOOKAHEAD_H,
                 weather_forecast: pd.DataFrame | None = None):
        self.site = site
        self.weather_forecast = weather_forecast
        self.cache = cache if cache is not None else ForecasterCache()
        self.load_model = load_model
        self.pv_method = pv_method
        self.policy = policy
        self.robust = robust
        self.lookahead_h = lookahead_h
        self._days: dict[pd.Timestamp, ScheduleOutcome] = {}

    @classmethod
    def from_scenario(cls, scenario: str | Path, history: Path | None = None, meter: str | None = None,
                      **options) -> "OperationsPlanner":
        """Planner of a bundled scenario name or YAML path (``history``: a meter CSV replacing its load;
        ``meter``: the meter operated, default the batteries')."""
        from munigrid.scenarios import api

        parsed = api.load(scenario)
        return cls(operations_site(parsed, parsed._base_dir, history=history, meter=meter), **options)

    def _day(self, day: pd.Timestamp | str) -> pd.Timestamp:
        stamp = pd.Timestamp(day)
        stamp = stamp.tz_localize(self.site.index.tz) if stamp.tzinfo is None else stamp.tz_convert(self.site.index.tz)
        return stamp.normalize()

    def prepare(self, day: pd.Timestamp | str, issue_time: str | pd.Timestamp | None = None) -> None:
        """Fit (or load) the forecaster the schedule of ``day`` needs, without planning."""
        day = self._day(day)
        issued = resolve_issue_time(day, issue_time)
        history, _ = metered_history(self.site, issued)
        index, _, _ = horizon_index(self.site, day, self.lookahead_h)
        fit_load_model(self.site, history, index, self.load_model, self.cache)

    def day_ahead(self, day: pd.Timestamp | str, *, soc_frac: float | dict[str, float] | None = None,
                  peak_kw: float | None = None,
                  folder: Path | None = None, issue_time: str | pd.Timestamp | None = None,
                  weather_forecast: pd.DataFrame | None = None) -> ScheduleOutcome:
        """The schedule of ``day`` (:func:`.daily.make_schedule`), kept for the day's re-plans.

        ``weather_forecast`` replaces the planner's (a newer forecast) from this day on.
        """
        day = self._day(day)
        if weather_forecast is not None:
            self.weather_forecast = weather_forecast
        outcome = make_schedule(self.site, day, folder=folder, soc_frac=soc_frac, peak_kw=peak_kw,
                                issue_time=issue_time, robust=self.robust, load_model=self.load_model,
                                pv_method=self.pv_method, weather=self.weather_forecast, lookahead_h=self.lookahead_h,
                                cache=self.cache)
        self._days = {day: outcome}  # only the current day is re-planned
        return outcome

    def replan(self, now: pd.Timestamp | str, soc_kwh: float | dict[str, float],
               registered_demand_kw: float | dict | None,
               measurements: pd.Series | pd.DataFrame) -> WarmReplan:
        """Re-plan the rest of the day at ``now`` from measured values (:mod:`.intraday`).

        Parameters
        ----------
        now : Timestamp or str
            Start of the step to decide (on the site's grid, local time or with an offset).
        soc_kwh : float or dict
            Measured stored energy [kWh]; with several batteries, each one's by name.
        registered_demand_kw : float or dict, optional
            Demand registered this billing month so far [kW]: one value for every demand window,
            or per demand-charge family a list per window.
        measurements : Series or DataFrame
            Metered load of the day's elapsed steps [kW] (a ``load_kw`` column or a Series), indexed
            by step start; steps at or after ``now`` are ignored. With flexible loads, the meter's
            load with them as they ran (the re-plan moves only the batteries; the flexible loads
            keep the day-ahead plan, whose power is added to the forecast).

        Raises
        ------
        InputError
            ``now`` not on the site's grid, a SoC outside the battery, bad demand values or
            elapsed steps with no measurement.
        """
        tic = time.perf_counter()
        stamp = pd.Timestamp(now)
        stamp = stamp.tz_localize(self.site.index.tz) if stamp.tzinfo is None else stamp.tz_convert(self.site.index.tz)
        day = stamp.normalize()
        outcome = self._days.get(day) or self.day_ahead(day)
        planned_flex = outcome.plan.flex_kw if outcome.plan.flex is not None else None
        forecast = with_step_freq(with_planned_flex(outcome.forecast, planned_flex), self.site.step_h)
        index, n_day = forecast.load_kw.index, outcome.plan.n_committed
        start = index.get_indexer([stamp])[0]
        if start < 0 or start >= n_day:
            raise InputError(f"{stamp.isoformat()} is not the start of a step of {day.date()} on the "
                             f"{self.site.step_h * 60:g}-min grid", "now")
        socs = measured_socs(self.site.batteries, soc_kwh)
        load = measurements["load_kw"] if isinstance(measurements, pd.DataFrame) else measurements
        metered = pd.Series(load, dtype=float).reindex(index[:start]).to_numpy()
        if np.isnan(metered).any():
            missing = index[:start][np.isnan(metered)]
            raise InputError(f"no load measurement for {len(missing)} elapsed steps of the day (first "
                             f"{missing[0].isoformat()}); give the metered load_kw of every step before now",
                             "measurements")
        factor = level_factor(forecast.load_kw["p50"].to_numpy()[:start], metered, self.policy.prior_steps)
        state = with_socs(DayState(0.0, registered_demand(registered_demand_kw), month_of(day)), socs)
        plan, limit = replan(self.site, state, forecast, start, n_day, factor, self.policy)
        each = dict(zip(plan.batteries, plan.battery_setpoint_kw[:, 0].tolist()))
        return WarmReplan(stamp, float(plan.setpoint_kw[0]), limit[:n_day - start], factor, plan,
                          time.perf_counter() - tic, each)
