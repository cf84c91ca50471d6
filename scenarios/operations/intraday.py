r"""Intraday re-planning by the building's EMS (model-predictive control) during a committed day.

The day-ahead schedule (:mod:`.daily`) is the committed plan, made at 15:00 the day before.
During the day the EMS knows more than the planner did: the metered load of the elapsed
steps, the measured state of charge and the demand registered so far this month. Every
``replan_steps`` steps it re-optimises the rest of the horizon (to the end of the day-ahead
look-ahead, so never less than the rest of the day plus the next one) from the measured state
(:func:`.plan.plan_day`), with the day-ahead load forecast corrected to the level the day has
shown so far:

.. math::

    r_h = \frac{\sum_{s<h} L_s + n_0 \bar F_h}{\sum_{s<h} F_s + n_0 \bar F_h}, \qquad
    \hat L_t = r_h F_t + \rho\,(F^{90}_t - F_t) \quad (t \ge h)

with :math:`L_s` the metered load of the day's elapsed steps :math:`s < h`, :math:`F` the
day-ahead P50 and :math:`F^{90}` the P90 [kW], :math:`\bar F_h` the mean P50 of the elapsed
steps, :math:`n_0` the prior weight [steps] that keeps :math:`r_h` near 1 while few steps are
metered, and :math:`\rho` the reserve: the share of the P50-P90 spread the plan keeps energy for.
The factor applies to the rest of the planned day; the next day keeps the day-ahead forecast
(a day's level says little about the next day's).

Each step the EMS applies the first set point of the latest plan under its real-time
control (:func:`.ems.ems_setpoints`; the default ``"hold_limit"`` lowers the set point whenever
the step's actual net load would push the import above the demand limit, below) and the
battery follows it as far as its state of charge and power allow (the simulation core's
replay, :func:`.ems.replay_day`). Only values metered before a step are used to decide it.

Several batteries behind the meter are re-planned together from each one's measured stored
energy; the controls act on their summed set point (:func:`.ems.split_setpoint`). The
re-plans move the batteries only: flexible loads follow the day-ahead plan, whose power
is part of the load re-planned against (:mod:`.review`).

Two rules keep the EMS from committing demand it may not need (a month's registered demand
is certain cost, the load the reserve plans for only a possibility):

* **hold the expected limit** (``hold_expected``): each re-plan is solved twice, on
  :math:`\hat L_t` (the energy plan, whose set points are applied) and on the expected load
  :math:`r_h F_t` (:math:`\rho = 0`); the real-time control holds the lower of the two demand
  limits, :math:`\min(D^{\rho}_t, D^{0}_t)`. Energy is kept for the reserve's load, but the
  import is let up only as far as the expected load needs; a load above that is met from the
  kept energy, and the next re-plan raises the limit if the energy left does not suffice;
* **cap grid charging** (``cap_charging``): a charging set point never lifts the import above
  the demand already registered this month (:func:`.ems.cap_charging`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError, Problem
from munigrid.scenarios.operations.costs import demand_limit_kw, horizon_terms, registered_after
from munigrid.scenarios.operations.forecast import HorizonForecast
from munigrid.scenarios.operations.plan import DayPlan, plan_day
from munigrid.scenarios.operations.ems import (CONTROLS, Control, cap_charging, ems_setpoints, replay_day,
                                               split_setpoint)
from munigrid.scenarios.operations.site import OperationsSite
from munigrid.scenarios.operations.state import DayState, with_socs


@dataclass(frozen=True)
class IntradayPolicy:
    """How the EMS re-plans during the day.

    The defaults are the best measured on the bundled scenario (``docs/operations.md``): the
    prior and the control chosen on January-February, the reserve with ``hold_expected`` on
    the year 2026 it is evaluated on.

    Attributes
    ----------
    replan_steps : int
        Re-optimise every this many steps [steps] (1: every step).
    prior_steps : float
        :math:`n_0`, weight of the day-ahead level in the level factor [steps] (module equation).
    reserve_frac : float
        :math:`\\rho`, share of the P50-P90 spread of the load planned for [-].
    control : {"import", "hold_limit", "setpoint"}
        Real-time control of each step (:func:`.ems.ems_setpoints`).
    cap_charging : bool
        Grid charging never lifts the import above the month's registered demand in a
        demand window (:func:`.ems.cap_charging`).
    hold_expected : bool
        The real-time control holds the lower of the plan's demand limit and that of a plan on
        the expected load (module docstring; two solves per re-plan).
    """

    replan_steps: int = 1
    prior_steps: float = 6.0
    reserve_frac: float = 1.5
    control: Control = "hold_limit"
    cap_charging: bool = True
    hold_expected: bool = True

    def __post_init__(self):
        """Raise :class:`InputError` naming every out-of-range setting."""
        problems = []
        if not (isinstance(self.replan_steps, int | np.integer) and self.replan_steps >= 1):
            problems.append(Problem("--replan-steps", f"must be an integer >= 1, got {self.replan_steps!r}"))
        if not (np.isfinite(self.prior_steps) and self.prior_steps >= 0):
            problems.append(Problem("--prior-steps", f"must be >= 0 steps, got {self.prior_steps!r}"))
        if not (np.isfinite(self.reserve_frac) and 0.0 <= self.reserve_frac <= 3.0):
            problems.append(Problem("--reserve-frac", f"must be in [0, 3], got {self.reserve_frac!r}"))
        if self.control not in CONTROLS:
            problems.append(Problem("--control", f"must be one of {', '.join(CONTROLS)}, got {self.control!r}"))
        if problems:
            raise InputError(problems)

    def to_json(self) -> dict:
        """The settings as a JSON-ready mapping."""
        return {"replan_steps": int(self.replan_steps), "prior_steps": float(self.prior_steps),
                "reserve_frac": float(self.reserve_frac), "control": self.control,
                "cap_charging": bool(self.cap_charging), "hold_expected": bool(self.hold_expected)}


#: The default EMS policy (the best measured, ``docs/operations.md``).
DEFAULT_POLICY = IntradayPolicy()


@dataclass
class OperatedDay:
    """What the EMS did during one day.

    Attributes
    ----------
    trace : DataFrame
        Per step: the simulation core's replay columns (``import_kw``, ``charge_kw``,
        ``discharge_kw``, ``soc_kwh`` at the start of the step, ...) plus the applied set point
        ``applied_setpoint_kw`` [kW], the plan's ``planned_import_kw`` [kW] and the level
        factor ``level_factor`` [-] the step was planned with (1 without re-planning).
    final_soc_kwh : float
        Stored energy after the day, all batteries [kWh].
    solve_s : list of float
        Time of each re-plan's solves [s] (empty without re-planning).
    battery_soc_kwh : dict of str to float
        Each battery's stored energy after the day [kWh].
    """

    trace: pd.DataFrame
    final_soc_kwh: float
    solve_s: list[float]
    battery_soc_kwh: dict[str, float]


def level_factor(p50_kw: np.ndarray, metered_kw: np.ndarray, prior_steps: float) -> float:
    """:math:`r_h` of the module equation from the elapsed steps' P50 and metered load [kW] -> [-]."""
    if len(metered_kw) == 0:
        return 1.0
    forecast_kwh, metered_kwh = float(np.sum(p50_kw)), float(np.sum(metered_kw))
    prior = prior_steps * forecast_kwh / len(p50_kw)
    return (metered_kwh + prior) / (forecast_kwh + prior) if forecast_kwh + prior > 0 else 1.0


def replan_load_kw(forecast: HorizonForecast, start: int, n_day: int, factor: float, reserve_frac: float) -> np.ndarray:
    r"""Planned load :math:`\hat L_t` for steps ``start`` to the end of the horizon [kW] (module equation).

    ``factor`` scales the steps before ``n_day`` (the rest of the planned day) only.
    """
    p50 = forecast.load_kw["p50"].to_numpy()[start:]
    p90 = forecast.load_kw["p90"].to_numpy()[start:]
    scale = np.where(np.arange(start, start + len(p50)) < n_day, factor, 1.0)
    return scale * p50 + reserve_frac * (p90 - p50)


def registered_so_far(site: OperationsSite, index: pd.DatetimeIndex, state: DayState,
                      realised_kw: np.ndarray) -> dict[str, list[float]]:
    """Month's registered demand after the day's elapsed steps [kW]: ``state``'s, raised by ``realised_kw``."""
    padded = np.zeros(len(index))
    padded[:len(realised_kw)] = realised_kw
    return registered_after(horizon_terms(site, index, state), padded)


def _slice(forecast: HorizonForecast, start: int) -> HorizonForecast:
    return HorizonForecast(forecast.load_kw.iloc[start:], forecast.pv_kw.iloc[start:], forecast.load_model,
                           forecast.pv_method, forecast.notes)


def with_step_freq(forecast: HorizonForecast, step_h: float) -> HorizonForecast:
    """``forecast`` on an index carrying its step (plans and replays of one step read the step from it)."""
    index = pd.DatetimeIndex(forecast.load_kw.index, freq=pd.Timedelta(hours=step_h))
    return HorizonForecast(forecast.load_kw.set_axis(index), forecast.pv_kw.set_axis(index), forecast.load_model,
                           forecast.pv_method, forecast.notes)


@dataclass
class Replan:
    """One re-plan at step ``h`` of the day.

    Attributes
    ----------
    plan : DayPlan
        The plan from step ``h`` to the end of the horizon (its first set point is step ``h``'s).
    limit_kw : ndarray
        Demand limit the real-time control holds per planned step [kW], NaN where none applies.
    factor : float
        Level factor :math:`r_h` it was planned with [-].
    solve_s : float
        Time of its solves [s].
    """

    plan: DayPlan
    limit_kw: np.ndarray
    factor: float
    solve_s: float


def replan(site: OperationsSite, now: DayState, forecast: HorizonForecast, start: int, n_day: int, factor: float,
           policy: IntradayPolicy = DEFAULT_POLICY) -> tuple[DayPlan, np.ndarray]:
    r"""One re-plan from step ``start`` of the day: the plan on :math:`\hat L_t` and the demand limit to hold.

    Parameters
    ----------
    site : OperationsSite
        The building, battery and tariff.
    now : DayState
        Measured stored energy [kWh] and the month's registered demand [kW] at step ``start``.
    forecast : HorizonForecast
        The day-ahead forecast of the whole horizon (from the day's first step), index with its step.
    start, n_day : int
        First step re-planned; steps of the day [steps].
    factor : float
        Level factor :math:`r_h` [-] (:func:`level_factor`).
    policy : IntradayPolicy
        Reserve and ``hold_expected`` (module docstring).

    Returns
    -------
    (DayPlan, ndarray)
        The plan from ``start`` and the demand limit the real-time control holds per step [kW]
        (the lower of the two plans' limits with ``hold_expected``; NaN where none applies).
    """
    plan = plan_day(site, now, _slice(forecast, start), n_day - start,
                    load_kw=replan_load_kw(forecast, start, n_day, factor, policy.reserve_frac), with_flex=False)
    limit = plan.demand_limit_kw
    if policy.hold_expected:
        expected = plan_day(site, now, _slice(forecast, start), n_day - start,
                            load_kw=replan_load_kw(forecast, start, n_day, factor, 0.0), with_flex=False)
        limit = np.fmin(limit, expected.demand_limit_kw)
    return plan, limit


def replan_at(site: OperationsSite, state: DayState, forecast: HorizonForecast, n_committed: int, h: int,
              soc_kwh: float | dict[str, float], metered_kw: np.ndarray, realised_kw: np.ndarray,
              policy: IntradayPolicy) -> Replan:
    """Re-plan the rest of the horizon at step ``h`` from the measured state (module docstring).

    ``state`` is the state at the start of the day, ``soc_kwh`` the stored energy now [kWh] (of
    each battery by name when there are several),
    ``metered_kw`` and ``realised_kw`` the load and import of the day's elapsed steps [kW].
    ``forecast`` must carry its step (:func:`with_step_freq`).
    """
    index = forecast.load_kw.index
    factor = level_factor(forecast.load_kw["p50"].to_numpy()[:h], np.asarray(metered_kw)[:h], policy.prior_steps)
    now = DayState(0.0, registered_so_far(site, index[:n_committed], state, np.asarray(realised_kw)[:h]), state.month)
    now = with_socs(now, soc_kwh if isinstance(soc_kwh, dict) else {name: soc_kwh for name in site.batteries})
    tic = time.perf_counter()
    plan, limit = replan(site, now, forecast, h, n_committed, factor, policy)
    return Replan(plan, limit, factor, time.perf_counter() - tic)


def control_step(site: OperationsSite, state: DayState, index: pd.DatetimeIndex, h: int, replan: Replan, k: int,
                 step: pd.DataFrame, realised_kw: np.ndarray, policy: IntradayPolicy) -> np.ndarray:
    """Set point applied at step ``h`` [kW, + charge], shape (1,): the plan's ``k``-th under the real-time control.

    ``step`` holds the step's net load as ``load_kw`` and ``pv_kw`` [kW] on ``index[h:h + 1]``;
    ``realised_kw`` the import of the day's elapsed steps [kW] (for :func:`.ems.cap_charging`).
    """
    plan = replan.plan
    applied = ems_setpoints(plan.setpoint_kw[k:k + 1], plan.import_kw[k:k + 1], replan.limit_kw[k:k + 1],
                            step, policy.control)
    if policy.cap_charging:
        now = DayState(state.soc_kwh, registered_so_far(site, index, state, np.asarray(realised_kw)[:h]), state.month)
        applied = cap_charging(applied, step, demand_limit_kw(horizon_terms(site, index[h:h + 1], now), np.zeros(1)))
    return applied


def run_intraday(site: OperationsSite, state: DayState, forecast: HorizonForecast, n_committed: int,
                 actual: pd.DataFrame, policy: IntradayPolicy = DEFAULT_POLICY) -> OperatedDay:
    """Operate the day's ``n_committed`` steps with re-planning and real-time control (module docstring).

    Parameters
    ----------
    site : OperationsSite
        The building, battery and tariff.
    state : DayState
        Measured SoC and the month's registered demand at the start of the day.
    forecast : HorizonForecast
        The day-ahead forecast of the whole horizon (starting at the day's first step).
    n_committed : int
        Steps of the day.
    actual : DataFrame
        Metered ``load_kw`` and actual ``pv_kw`` of the day's steps [kW]; step ``s`` is read only
        once it is over.
    policy : IntradayPolicy
        Re-planning and control settings.
    """
    forecast = with_step_freq(forecast, site.step_h)
    index = forecast.load_kw.index
    metered = actual["load_kw"].to_numpy()
    socs, current, plan_start = state.soc_by_battery(list(site.batteries)), None, 0
    rows, factors, solve_s = [], np.ones(n_committed), []
    realised = np.zeros(n_committed)
    for h in range(n_committed):
        if h % policy.replan_steps == 0:
            current = replan_at(site, state, forecast, n_committed, h, socs, metered, realised, policy)
            solve_s.append(current.solve_s)
            plan_start = h
        factors[h] = current.factor
        k = h - plan_start
        step = actual.iloc[h:h + 1].set_axis(index[h:h + 1])
        applied = control_step(site, state, index[:n_committed], h, current, k, step, realised, policy)
        each = split_setpoint(site, applied, current.plan.battery_setpoint_kw[:, k:k + 1])
        replay = replay_day(site, each, current.plan.import_kw[k:k + 1],
                            with_socs(DayState(0.0, {}, state.month), socs), step)
        rows.append(replay.trace.assign(applied_setpoint_kw=applied, planned_import_kw=current.plan.import_kw[k]))
        realised[h] = replay.trace["import_kw"].iloc[0]
        socs = replay.battery_soc_kwh
    trace = pd.concat(rows).assign(level_factor=factors)
    return OperatedDay(trace, float(sum(socs.values())), solve_s, socs)


def operate_day(site: OperationsSite, state: DayState, forecast: HorizonForecast, setpoint_kw: np.ndarray,
                planned_import_kw: np.ndarray, demand_limit_kw: np.ndarray, actual: pd.DataFrame,
                control: Control = "setpoint", intraday: IntradayPolicy | None = None,
                battery_setpoint_kw: np.ndarray | None = None) -> OperatedDay:
    """The committed day against the actuals, as the EMS runs it.

    With ``intraday`` the EMS re-plans (:func:`run_intraday`, ``control`` unused); without it, it
    applies the committed ``setpoint_kw`` [kW, + charge] under ``control``
    (:func:`.ems.ems_setpoints`, which reads ``planned_import_kw`` and ``demand_limit_kw`` [kW]),
    shared out over several batteries as their committed ``battery_setpoint_kw`` (N, T) [kW].
    """
    if intraday is not None:
        return run_intraday(site, state, forecast, len(actual), actual, intraday)
    applied = ems_setpoints(setpoint_kw, planned_import_kw, demand_limit_kw, actual, control)
    planned = setpoint_kw if battery_setpoint_kw is None else battery_setpoint_kw
    replay = replay_day(site, split_setpoint(site, applied, planned), planned_import_kw, state, actual)
    trace = replay.trace.assign(applied_setpoint_kw=applied, planned_import_kw=planned_import_kw, level_factor=1.0)
    return OperatedDay(trace, replay.final_soc_kwh, [], replay.battery_soc_kwh)
