"""The afternoon job: tomorrow's schedule from the state, the forecasts and the rolling dispatch.

:func:`make_schedule` is what ``munigrid schedule`` runs: resolve the state at the start of the
day (:mod:`.state`), forecast the horizon from what is known at the issue time
(:mod:`.forecast`), optimise it and commit the first day (:mod:`.plan`), and write the
schedule files (:mod:`.schedule_file`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from munigrid.models.errors import InputError
from munigrid.models.timegrid import TZ
from munigrid.scenarios.operations.columns import battery_columns, flex_columns, flex_end_state, member_columns
from munigrid.scenarios.operations.forecast import DEFAULT_LOAD_MODEL, HorizonForecast, PVMethod, forecast_horizon
from munigrid.scenarios.operations.forecaster_cache import ForecasterCache
from munigrid.scenarios.operations.plan import LOOKAHEAD_H, DayPlan, horizon_index, plan_day
from munigrid.scenarios.operations.schedule_file import write_schedule
from munigrid.scenarios.operations.site import OperationsSite
from munigrid.scenarios.operations.state import DayState, resolve_state

#: Default issue time: the afternoon before the planned day, 15:00 local [h before midnight].
ISSUE_HOURS_BEFORE = 9


@dataclass
class ScheduleOutcome:
    """A day's schedule and how it was made."""

    day: pd.Timestamp
    issue_time: pd.Timestamp
    state: DayState
    forecast: HorizonForecast
    plan: DayPlan
    rows: pd.DataFrame
    header: dict
    paths: dict[str, Path] = field(default_factory=dict)
    elapsed_s: float = 0.0


def parse_day(text: str, site: OperationsSite) -> pd.Timestamp:
    """Local midnight of a ``YYYY-MM-DD`` day inside the site's grid.

    Raises
    ------
    InputError
        Not a date, or a day the site has no data for.
    """
    try:
        day = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise InputError(f"must be a date YYYY-MM-DD, got {text!r}", "--day") from None
    if day.tzinfo is not None or day != day.normalize():
        raise InputError(f"must be a date YYYY-MM-DD without a time, got {text!r}", "--day")
    day = day.tz_localize(TZ)
    first, last = site.index[0].normalize(), site.index[-1].normalize()
    if not first <= day <= last:
        raise InputError(f"{text} is outside the site's data ({first.date()} to {last.date()}, "
                         f"{site.history_source})", "--day")
    return day


def resolve_issue_time(day: pd.Timestamp, issue_time: str | pd.Timestamp | None) -> pd.Timestamp:
    """The issue time (default 15:00 the day before), which must be before the day starts."""
    if issue_time is None:
        return day - pd.Timedelta(hours=ISSUE_HOURS_BEFORE)
    try:
        stamp = pd.Timestamp(issue_time)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if stamp is pd.NaT:
        raise InputError(f"cannot read {str(issue_time)[:40]!r} as a time; use ISO 8601, e.g. "
                         f"{(day - pd.Timedelta(hours=ISSUE_HOURS_BEFORE)).strftime('%Y-%m-%dT%H:%M')}", "--issue-time")
    stamp = stamp.tz_localize(TZ) if stamp.tzinfo is None else stamp.tz_convert(TZ)
    if stamp > day:
        raise InputError(f"the schedule of {day.date()} must be issued before the day starts, got "
                         f"{stamp.isoformat()}", "--issue-time")
    return stamp


def forecast_table(forecast: HorizonForecast) -> pd.DataFrame:
    """Load and PV quantiles of the whole horizon as schedule-file columns (``load_p10_kw``, ...) [kW]."""
    return pd.concat([frame.rename(columns=lambda col, what=what: f"{what}_{col}_kw")
                      for what, frame in (("load", forecast.load_kw), ("pv", forecast.pv_kw))], axis=1)


def schedule_rows(plan: DayPlan, forecast: HorizonForecast, capacity_kwh: float) -> pd.DataFrame:
    """The committed day as schedule-file rows (see :mod:`.schedule_file`); ``capacity_kwh`` is all
    the batteries' energy [kWh] (0: no battery, no SoC share)."""
    n = plan.n_committed
    soc_end = plan.soc_kwh[1:n + 1]
    rows = pd.DataFrame({
        "battery_setpoint_kw": plan.setpoint_kw[:n], "expected_import_kw": plan.import_kw[:n],
        "expected_soc_kwh": soc_end, "expected_soc_frac": soc_end / capacity_kwh if capacity_kwh > 0 else soc_end * 0.0,
        "demand_limit_kw": plan.demand_limit_kw[:n], "load_forecast_kw": plan.load_plan_kw[:n],
        "pv_forecast_kw": plan.pv_plan_kw[:n]}, index=plan.index[:n])
    return rows.join(forecast_table(forecast).iloc[:n])


def asset_rows(site: OperationsSite, plan: DayPlan, forecast: HorizonForecast, issued: pd.Timestamp) -> pd.DataFrame:
    """The schedule-file rows with one column set per battery, building and flexible load (:mod:`.columns`)."""
    rows = schedule_rows(plan, forecast, site.capacity_kwh)
    extra = {**battery_columns(site, plan), **member_columns(site, plan, issued, forecast.weather),
             **flex_columns(plan, site.step_h)}
    return rows.assign(**extra) if extra else rows


def battery_header(site: OperationsSite) -> dict:
    """The header's battery entry: ``battery`` (one) or ``batteries`` by name (several or none)."""
    spec = lambda b: {"energy_kwh": b.energy_kwh, "power_kw": b.installed_power_kw,  # noqa: E731
                      "soc_min_frac": b.soc_min_frac, "soc_max_frac": b.soc_max_frac,
                      "charge_eff_frac": b.charge_eff_frac, "discharge_eff_frac": b.discharge_eff_frac}
    if len(site.batteries) == 1:
        return {"battery": spec(next(iter(site.batteries.values())))}
    return {"batteries": {name: spec(b) for name, b in site.batteries.items()}}


def end_state(site: OperationsSite, plan: DayPlan, state: DayState) -> dict:
    """State after the committed day, as the next schedule starts from it."""
    n = plan.n_committed
    out = {"soc_kwh": float(plan.soc_kwh[n]), "peak_kw": plan.end_peak_kw, "month": state.month}
    if len(site.batteries) > 1:
        out["battery_soc_kwh"] = {name: float(b.soc_kwh[n]) for name, b in plan.batteries.items()}
    flex = flex_end_state(plan, site.step_h)
    if flex:
        out["flex"] = flex
    return out


def make_schedule(site: OperationsSite, day: pd.Timestamp, *, folder: Path | None = None,
                  soc_frac: float | dict[str, float] | None = None, peak_kw: float | None = None,
                  issue_time: str | pd.Timestamp | None = None, robust: bool = True,
                  load_model: str = DEFAULT_LOAD_MODEL, pv_method: PVMethod = "weather",
                  weather: pd.DataFrame | None = None, lookahead_h: float = LOOKAHEAD_H,
                  cache: ForecasterCache | None = None) -> ScheduleOutcome:
    """Plan ``day`` and (when ``folder`` is given) write its schedule files there.

    Parameters
    ----------
    site : OperationsSite
        The meter, its batteries and flexible loads, tariff, metered history and PV.
    day : Timestamp
        Local midnight of the planned day.
    folder : Path, optional
        Operations folder: the previous day's files are read from it and the schedule written to it.
    soc_frac : float or dict, optional
        State-of-charge reading [-] (of every battery, or of each by name).
    peak_kw : float, optional
        Demand registered this month so far [kW].
    issue_time : str or Timestamp, optional
        When the plan is made (default 15:00 the day before): only history before it is used.
    robust : bool
        Plan against the P90 load (default: the load the EMS's first re-plan of the day uses
        with reserve 1, :mod:`.intraday`), else the P50.
    load_model : str
        Load forecasting model name.
    pv_method : {"weather", "recent_days"}
        PV forecast method.
    weather : DataFrame, optional
        Weather forecast covering at least the planned day.
    lookahead_h : float
        Optimised horizon [h], >= 24.
    cache : ForecasterCache, optional
        Fitted load models by history (:mod:`.forecaster_cache`): the model is fitted once per history.
    """
    tic = time.perf_counter()
    if not lookahead_h >= 24:
        raise InputError(f"must be at least the committed 24 h, got {lookahead_h:g}", "--lookahead-h")
    issued = resolve_issue_time(day, issue_time)
    state = resolve_state(day, site.batteries, site.building, folder, soc_frac, peak_kw, flexible=site.flex is not None)
    index, n_committed, horizon_notes = horizon_index(site, day, lookahead_h)
    if len(index) < n_committed:
        raise InputError(f"the site's grid ends before {day.date()} does", "--day")
    forecast, _ = forecast_horizon(site, issued, index, n_committed, load_model=load_model, pv_method=pv_method,
                                   weather=weather, cache=cache)
    plan = plan_day(site, state, forecast, n_committed, robust=robust)
    rows = asset_rows(site, plan, forecast, issued)
    header = {
        "scenario": site.scenario_name, "building": site.building, "day": day.date().isoformat(),
        "issued_at": issued.isoformat(), "step_min": int(round(site.step_h * 60)),
        "horizon_h": len(index) * site.step_h, "committed_h": n_committed * site.step_h,
        "sign": "battery_setpoint_kw: + charge, - discharge (AC terminals)",
        **({"members": list(site.member_load_kw.columns)} if site.member_load_kw is not None else {}),
        "robust": robust, "load_model": forecast.load_model, "pv_forecast": forecast.pv_method,
        "history": site.history_source,
        **battery_header(site),
        "tariff": site.tariff.id,
        "start_state": state.to_json(),
        "end_state": end_state(site, plan, state),
        "expected_cost_thb": round(plan.expected_cost_thb, 2),
        "solver": plan.solver,
        "fallbacks": [*state.notes, *forecast.notes, *horizon_notes],
        "notes": list(site.notes),
    }
    outcome = ScheduleOutcome(day, issued, state, forecast, plan, rows, header)
    if folder is not None:
        ahead = forecast_table(forecast).iloc[n_committed:]
        if plan.flex is not None:
            ahead = ahead.assign(flex_kw=plan.flex_kw[n_committed:])
        outcome.paths = write_schedule(rows, header, folder, site.building, day, lookahead=ahead)
    outcome.elapsed_s = time.perf_counter() - tic
    return outcome
