r"""A period of day-ahead operations rolled day by day over history, against two benchmarks.

Every day :math:`d` of the period: forecast the horizon from the history before 15:00 of the
day before (:mod:`.forecast`; the load model is refitted every ``refit_days``), plan it from
the *realised* state (:mod:`.plan`), run the committed day against the actuals as the EMS
would (:mod:`.intraday`: re-planning during the day from the measured state, or following the
committed set points under a real-time control, :mod:`.ems`) and carry the realised SoC and
the month's registered demand to the next day.

The realised import of the whole period is then billed with the tariff's cost terms on the
period (energy, monthly demand charges with the ratchet, fixed charges, Ft and VAT) and
compared with

* **perfect foresight**: one dispatch of the whole period on the actual load and PV, from the
  same initial SoC, ending with at least the energy the rolling operation ended with;
* **rule-based** strategies of the simulation core
  (:mod:`munigrid.models.simulation.strategies`): self-consumption, and TOU arbitrage
  (charge from the grid off-peak up to the SoC maximum, discharge on-peak) when the tariff
  has an on-peak period;
* **no battery**: :math:`m_t = \max(L_t - PV_t, 0)`.

The gap of a strategy :math:`s` is :math:`(C_s - C_{pf}) / C_{pf}`; the share of the perfect
foresight saving captured is :math:`(C_{none} - C_s) / (C_{none} - C_{pf})`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd

from munigrid.models.dispatch import DispatchProblem, Meter, PVArray, SolveOptions, solve
from munigrid.models.errors import InputError
from munigrid.models.simulation.battery import simulate_battery
from munigrid.models.simulation.strategies import self_consumption, tou_arbitrage
from munigrid.models.tariffs.terms import TariffCostTerms
from munigrid.scenarios.operations.costs import horizon_terms, registered_after
from munigrid.scenarios.operations.ems import Control, actuals, battery_params
from munigrid.scenarios.operations.forecast import DEFAULT_LOAD_MODEL, PVMethod, forecast_horizon
from munigrid.scenarios.operations.intraday import DEFAULT_POLICY, IntradayPolicy, operate_day
from munigrid.scenarios.operations.plan import LOOKAHEAD_H, horizon_index, plan_day
from munigrid.scenarios.operations.site import OperationsSite
from munigrid.scenarios.operations.state import DayState, month_of, with_socs
from munigrid.scenarios.operations.daily import ISSUE_HOURS_BEFORE

#: Days of history the first evaluated day needs (the load model's training) [day].
MIN_TRAIN_DAYS = 28


@dataclass
class Evaluation:
    """Outcome of :func:`evaluate_operations`.

    Attributes
    ----------
    start : Timestamp
        First evaluated day.
    days : int
        Number of days.
    costs : DataFrame
        Per strategy: ``cost_thb``, ``gap_to_perfect_foresight_frac``,
        ``saving_vs_no_battery_thb``, ``share_of_perfect_saving_frac``.
    daily : DataFrame
        Per day: expected and realised cost [THB], forecast MAE [kW], new peak [kW],
        forecast, solve and whole-day times [s].
    settings : dict
        Load model, PV method, robust, control, refit interval, look-ahead.
    timings : dict
        ``total_s``, ``perfect_foresight_s`` and per-day solve statistics [s].
    monthly_demand_kw : DataFrame
        Registered demand of each billing month [kW] (highest window of each demand-charge
        family), rows months, columns ``family: strategy`` for perfect foresight and the
        rolling operation.
    """

    start: pd.Timestamp
    days: int
    costs: pd.DataFrame
    daily: pd.DataFrame
    settings: dict
    timings: dict = field(default_factory=dict)
    monthly_demand_kw: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_json(self) -> dict:
        """Costs, settings, timings and forecast error as one JSON-ready object."""
        return {"start": self.start.date().isoformat(), "days": self.days, "settings": self.settings,
                "costs": {s: {k: float(v) for k, v in row.items()} for s, row in self.costs.iterrows()},
                "timings": self.timings,
                "load_forecast_mae_kw": float(self.daily["load_mae_kw"].mean()),
                "days_with_new_peak": int((self.daily["new_peak_kw"] > 0.1).sum()),
                "monthly_demand_kw": {col: [round(float(v), 2) for v in values]
                                      for col, values in self.monthly_demand_kw.items()}}


def default_start(site: OperationsSite) -> pd.Timestamp:
    """First day with :data:`MIN_TRAIN_DAYS` of metered history before its issue time."""
    first = site.load_kw.dropna().index[0]
    return (first + pd.Timedelta(days=MIN_TRAIN_DAYS) + pd.Timedelta(hours=ISSUE_HOURS_BEFORE)).ceil("D")


def _period(site: OperationsSite, start: pd.Timestamp | None, days: int | None) -> tuple[pd.Timestamp, int]:
    start = default_start(site) if start is None else start
    metered = site.load_kw.dropna().index
    last_day = (metered[-1] + pd.Timedelta(hours=site.step_h)).normalize()  # first day not fully metered
    available = int((last_day - start) / pd.Timedelta(days=1))
    days = available if days is None else days
    if start < default_start(site):
        raise InputError(f"needs {MIN_TRAIN_DAYS} days of history before it; the first possible day is "
                         f"{default_start(site).date()}", "--start")
    if not 1 <= days <= available:
        raise InputError(f"must be between 1 and {available} (metered days from {start.date()}), got {days}", "--days")
    return start, days


def rolling_operations(site: OperationsSite, start: pd.Timestamp, days: int, *, robust: bool,
                       load_model: str, pv_method: PVMethod, refit_days: int, lookahead_h: float,
                       control: Control, intraday: IntradayPolicy | None = None,
                       progress: Callable[[int, int], None] | None = None
                       ) -> tuple[np.ndarray, dict[str, float], pd.DataFrame]:
    """Run the daily loop; return the realised import [kW], each battery's final SoC [kWh] and the daily table."""
    state = with_socs(DayState(0.0, {}, month_of(start)),
                      {name: b.soc_initial_frac * b.energy_kwh for name, b in site.batteries.items()})
    model, fitted_on = None, None
    imports, records = [], []
    for d in range(days):
        tic = time.perf_counter()
        day = start + pd.Timedelta(days=d)
        if month_of(day) != state.month:
            state = replace(state, peak_kw={}, month=month_of(day))
        index, n, _ = horizon_index(site, day, lookahead_h)
        refit = model is None or day - fitted_on >= pd.Timedelta(days=refit_days)
        forecast, model = forecast_horizon(site, day - pd.Timedelta(hours=ISSUE_HOURS_BEFORE), index, n,
                                           load_model=load_model, pv_method=pv_method,
                                           fitted=None if refit else model)
        fitted_on = day if refit else fitted_on
        forecast_s = time.perf_counter() - tic
        plan = plan_day(site, state, forecast, n, robust=robust)
        actual = actuals(site, index[:n])
        operated = operate_day(site, state, forecast, plan.setpoint_kw[:n], plan.import_kw[:n],
                               plan.demand_limit_kw[:n], actual, control, intraday,
                               battery_setpoint_kw=plan.battery_setpoint_kw[:, :n])
        realised = operated.trace["import_kw"].to_numpy()
        after = registered_after(horizon_terms(site, index[:n], state), realised)
        planned_peak = plan.end_peak_kw
        new_peak = max([a - p for k in after for a, p in zip(after[k], planned_peak.get(k, after[k]))], default=0.0)
        imports.append(realised)
        records.append({"day": day.date().isoformat(), "expected_cost_thb": plan.expected_cost_thb,
                        "load_mae_kw": float(np.mean(np.abs(forecast.load_kw["p50"].to_numpy()[:n]
                                                            - actual["load_kw"].to_numpy()))),
                        "new_peak_kw": max(new_peak, 0.0), "refit": refit, "forecast_s": forecast_s,
                        "solve_s": plan.solver["total_s"], "replans": len(operated.solve_s),
                        "replan_solve_s": float(np.sum(operated.solve_s)), "day_s": time.perf_counter() - tic})
        state = with_socs(DayState(0.0, after, state.month), operated.battery_soc_kwh)
        if progress:
            progress(d + 1, days)
    return np.concatenate(imports), state.soc_by_battery(list(site.batteries)), pd.DataFrame(records).set_index("day")


def _ending_at(battery, end_soc_kwh: float):
    """``battery`` required to end with at least ``end_soc_kwh`` [kWh] (clipped into its SoC window)."""
    low, high = battery.soc_min_frac * battery.energy_kwh, battery.soc_max_frac * battery.energy_kwh
    return replace(battery, soc_final_frac=min(max(end_soc_kwh, low), high) / battery.energy_kwh)


def perfect_foresight_import(site: OperationsSite, index: pd.DatetimeIndex, actual: pd.DataFrame,
                             end_soc_kwh: dict[str, float]) -> np.ndarray:
    """Import [kW] of the least-cost dispatch of the whole period with the actuals known, every
    battery ending with at least the energy ``end_soc_kwh`` gives it [kWh]."""
    batteries = [_ending_at(b, end_soc_kwh[name]) for name, b in site.batteries.items()]
    one = len(batteries) == 1
    meter = Meter(name=site.building, load_kw=actual["load_kw"].to_numpy(),
                  terms=site.tariff.cost_terms(index, ft=site.ft), battery=batteries[0] if one else None,
                  batteries=[] if one else batteries,
                  pv=[PVArray("actual", ac_kw_per_kwp=actual["pv_kw"].to_numpy(), capacity_kwp=1.0)],
                  import_limit_kw=site.import_limit_kw)
    result = solve(DispatchProblem(step_h=site.step_h, meters=[meter], options=SolveOptions(threads=1,
                                                                                            time_limit_s=600)))
    return result.require_solution().schedules[site.building].import_kw


def rule_based_imports(site: OperationsSite, index: pd.DatetimeIndex, actual: pd.DataFrame) -> dict[str, np.ndarray]:
    """Import [kW] of each rule-based strategy of the simulation core on the actuals.

    Several batteries follow the rule one after the other, each seeing the load and PV the ones
    before it leave (charging adds to the load, discharging to the PV), as the replay does.
    """
    rules = {"rule: self-consumption": lambda battery: self_consumption(len(index))}
    grid = site.tariff.grid(index)
    if "on_peak" in grid.periods:
        on_peak = grid.period_frac[:, list(grid.periods).index("on_peak")] > 0.5
        rules["rule: TOU arbitrage"] = lambda battery: tou_arbitrage(on_peak, target_soc_frac=battery.soc_max_frac)
    imports = {}
    for name, band in rules.items():
        load, pv = actual["load_kw"].to_numpy(), actual["pv_kw"].to_numpy()
        for battery in site.batteries.values():
            params = battery_params(battery, battery.soc_initial_frac * battery.energy_kwh)
            result = simulate_battery(load, pv, params, band(battery), step_h=site.step_h)
            load, pv = load + result.charge_kw, pv + result.discharge_kw
        imports[name] = result.import_kw
    return imports


def evaluate_operations(site: OperationsSite, start: pd.Timestamp | None = None, days: int | None = None, *,
                        robust: bool = True, load_model: str = DEFAULT_LOAD_MODEL, pv_method: PVMethod = "weather",
                        refit_days: int = 7, lookahead_h: float = LOOKAHEAD_H, control: Control = "setpoint",
                        intraday: IntradayPolicy | None = DEFAULT_POLICY,
                        progress: Callable[[int, int], None] | None = None) -> Evaluation:
    """Roll day-ahead operations over ``days`` days from ``start`` and compare (module docstring).

    Parameters
    ----------
    site : OperationsSite
        The building with a metered history covering the period.
    start : Timestamp, optional
        First day (local midnight); default the first day with enough history.
    days : int, optional
        Number of days; default every fully metered day from ``start``.
    robust : bool
        Plan the day ahead against the P90 load (default; with ``intraday`` it only sets the
        committed schedule, the EMS re-plans from midnight).
    load_model, pv_method : str
        Forecast settings (:func:`~.forecast.forecast_horizon`).
    refit_days : int
        Refit the load model every this many days [day].
    lookahead_h : float
        Optimised horizon of each day [h].
    control : {"setpoint", "import", "hold_limit"}
        How the EMS follows the committed set points when it does not re-plan (:mod:`.ems`).
    intraday : IntradayPolicy, optional
        The EMS re-plans during the day (:mod:`.intraday`; default the measured best policy);
        None: it follows the day-ahead plan.
    progress : callable, optional
        Called with (days done, days) after each day.
    """
    tic = time.perf_counter()
    unsupported = [p for p in site.one_battery_problems("`munigrid operations`")
                   if p.path != "batteries" or not site.batteries]  # several batteries are operated together
    if unsupported:
        raise InputError(unsupported)
    start, days = _period(site, start, days)
    if refit_days < 1:
        raise InputError(f"must be >= 1 day, got {refit_days}", "--refit-days")
    realised, end_soc, daily = rolling_operations(site, start, days, robust=robust, load_model=load_model,
                                                  pv_method=pv_method, refit_days=refit_days,
                                                  lookahead_h=lookahead_h, control=control, intraday=intraday,
                                                  progress=progress)
    index = site.index[(site.index >= start) & (site.index < start + pd.Timedelta(days=days))]
    actual = actuals(site, index)
    terms = site.tariff.cost_terms(index, ft=site.ft)
    pf_tic = time.perf_counter()
    imports = {"perfect foresight": perfect_foresight_import(site, index, actual, end_soc),
               "day-ahead (rolling)": realised}
    pf_s = time.perf_counter() - pf_tic
    imports |= rule_based_imports(site, index, actual)
    imports["no battery"] = np.maximum((actual["load_kw"] - actual["pv_kw"]).to_numpy(), 0.0)
    costs = pd.DataFrame({"cost_thb": {name: terms.cost_thb(m) for name, m in imports.items()}})
    pf, none = costs.loc["perfect foresight", "cost_thb"], costs.loc["no battery", "cost_thb"]
    costs["gap_to_perfect_foresight_frac"] = (costs["cost_thb"] - pf) / pf
    costs["saving_vs_no_battery_thb"] = none - costs["cost_thb"]
    costs["share_of_perfect_saving_frac"] = costs["saving_vs_no_battery_thb"] / (none - pf) if none > pf else np.nan
    settings = {"building": site.building, "robust": robust, "load_model": load_model, "pv_forecast": pv_method,
                "refit_days": refit_days, "lookahead_h": lookahead_h,
                "ems": "intraday re-planning" if intraday is not None else f"committed set points, control {control}",
                "control": None if intraday is not None else control,
                "intraday": None if intraday is None else intraday.to_json(), "history": site.history_source}
    timings = {"total_s": time.perf_counter() - tic, "perfect_foresight_s": pf_s,
               "day_mean_s": float(daily["day_s"].mean()), "day_max_s": float(daily["day_s"].max()),
               "solve_mean_s": float(daily["solve_s"].mean()), "solve_max_s": float(daily["solve_s"].max()),
               "solve_p95_s": float(daily["solve_s"].quantile(0.95)), "replans": int(daily["replans"].sum()),
               "replan_solve_mean_s": float(daily["replan_solve_s"].sum() / max(daily["replans"].sum(), 1))}
    return Evaluation(start, days, costs, daily, settings, timings, monthly_demand(terms, index, imports))


def monthly_demand(terms: TariffCostTerms, index: pd.DatetimeIndex, imports: dict[str, np.ndarray]) -> pd.DataFrame:
    """Registered demand per billing month [kW] of perfect foresight and the rolling operation."""
    months = pd.Series(index.strftime("%Y-%m")).groupby(terms.period_of_step).first().to_numpy()
    return pd.DataFrame({f"{c.name}: {name}": c.demand_kw(imports[name], terms.period_of_step,
                                                           terms.n_periods).max(axis=1)
                         for c in terms.demand_charges for name in ("perfect foresight", "day-ahead (rolling)")},
                        index=pd.Index(months, name="month"))
