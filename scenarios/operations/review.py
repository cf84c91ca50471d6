r"""The morning job: how did yesterday go against its schedule?

The day is replayed against the metered load and the actual PV the way the building's EMS ran
it (:mod:`.ems`): by default (``intraday``) the EMS re-planned every step from the measured state
on the schedule's own forecast corrected to the day's level (:mod:`.intraday`); without it, it
followed the committed set points under a real-time ``control`` (``"setpoint"``, ``"import"``,
``"hold_limit"``). Reported:

* energy imported and its cost (what the day added to the month's bill, :mod:`.costs`), next
  to the cost the schedule expected;
* set points that could not be followed (steps and kWh; measured against the applied set
  points) and the steps where the EMS departed from the committed set point;
* new peaks: registered demand after the day above what the plan held [kW];
* forecast error of load and PV: MAE, bias (forecast - actual) and, for load, the share of
  actuals inside the P10-P90 band;
* the cost of perfect foresight: the same day optimised on the actual load and PV from the
  same start, ending with at least the energy the replay ended with (so that emptying the
  battery is not counted as a saving). Gap :math:`= (C_{actual} - C_{pf}) / |C_{pf}|`.

Several batteries are replayed together (:mod:`.ems`), each one's end state kept for the
next day. Flexible loads are taken to have run as the schedule planned them: their planned
power (``flex_kw``) is added to the metered load (which leaves them out, :mod:`.site`), the
re-plans move only the batteries, and their end states are the schedule's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.models.dispatch import DispatchProblem, Meter, PVArray, SolveOptions, solve
from munigrid.scenarios.operations.plan import meter_assets, starting_batteries, with_planned_flex
from munigrid.models.errors import InputError
from munigrid.scenarios.operations.costs import day_cost_thb, horizon_terms, registered_after
from munigrid.scenarios.operations.ems import Control, actuals
from munigrid.scenarios.operations.forecast import HorizonForecast
from munigrid.scenarios.operations.intraday import DEFAULT_POLICY, IntradayPolicy, operate_day
from munigrid.scenarios.operations.schedule_file import read_forecast, read_schedule, schedule_paths
from munigrid.scenarios.operations.site import OperationsSite
from munigrid.scenarios.operations.state import DayState, with_socs

#: A set point counts as not followed when the battery missed it by more than this [kW].
UNMET_TOLERANCE_KW = 0.1


@dataclass
class DayReview:
    """Outcome of one reviewed day.

    Attributes
    ----------
    day : Timestamp
        Local midnight.
    trace : DataFrame
        Per step: actual load and PV, the committed set point and import (``setpoint_kw``,
        ``scheduled_import_kw``), the applied set point, the import of the plan the step
        followed (``planned_import_kw``, re-planned intraday), the level factor, actual import,
        battery flows, stored energy, unmet set points [kW, kWh, -].
    summary : dict
        Energy, costs, unmet set points, peaks, forecast errors (see the module docstring).
    end_state : DayState
        SoC and registered demand after the day, for the next schedule.
    """

    day: pd.Timestamp
    trace: pd.DataFrame
    summary: dict
    end_state: DayState

    def to_json(self) -> dict:
        """Summary and end state as one JSON-ready object."""
        return {"day": self.day.date().isoformat(), "summary": self.summary, "end_state": self.end_state.to_json()}


def perfect_foresight_day_thb(site: OperationsSite, state: DayState, actual: pd.DataFrame,
                              end_soc_kwh: float | dict[str, float]) -> float:
    """Least cost of the day with the actual load and PV known, from ``state``, ending with at least
    ``end_soc_kwh`` [kWh] (of each battery by name when there are several) [THB]."""
    ends = end_soc_kwh if isinstance(end_soc_kwh, dict) else {name: end_soc_kwh for name in site.batteries}
    terms = horizon_terms(site, actual.index, state)
    meter = Meter(name=site.building, load_kw=actual["load_kw"].to_numpy(), terms=terms,
                  **meter_assets(starting_batteries(site, state, ends)),
                  pv=[PVArray("actual", ac_kw_per_kwp=actual["pv_kw"].to_numpy(), capacity_kwp=1.0)],
                  import_limit_kw=site.import_limit_kw)
    result = solve(DispatchProblem(step_h=site.step_h, meters=[meter], options=SolveOptions(threads=1)))
    return day_cost_thb(terms, result.require_solution().schedules[site.building].import_kw)


def forecast_errors(forecast: pd.DataFrame, actual: pd.Series, prefix: str) -> dict:
    """MAE and bias [kW] of the P50 and the P10-P90 coverage [-] of one quantity."""
    error = forecast[f"{prefix}_p50_kw"].to_numpy() - actual.to_numpy()
    inside = (actual.to_numpy() >= forecast[f"{prefix}_p10_kw"].to_numpy() - 1e-9) & \
             (actual.to_numpy() <= forecast[f"{prefix}_p90_kw"].to_numpy() + 1e-9)
    return {"mae_kw": float(np.mean(np.abs(error))), "bias_kw": float(np.mean(error)),
            "p10_p90_coverage_frac": float(np.mean(inside))}


def _day_state(end: dict, month: str, peaks: dict) -> DayState:
    """A state from a file's ``end_state``/``start_state`` mapping (its SoCs and flexible loads) and ``peaks``."""
    state = DayState(float(end["soc_kwh"]), peaks, month, flex=dict(end.get("flex", {})))
    return with_socs(state, end["battery_soc_kwh"]) if end.get("battery_soc_kwh") else state


def start_state(header: dict, folder: Path | None, building: str, day: pd.Timestamp) -> tuple[DayState, str]:
    """The real state at the start of the day: the previous day's review, else the schedule's start."""
    previous = (day - pd.Timedelta(days=1)).date().isoformat()
    path = None if folder is None else Path(folder) / f"review_{building}_{previous}.json"
    start = header["start_state"]
    if path is not None and path.is_file():
        end = json.loads(path.read_text())["end_state"]
        peaks = end["peak_kw"] if end["month"] == start["month"] else start["peak_kw"]
        return _day_state(end, start["month"], peaks), "the previous day's review"
    return _day_state(start, start["month"], start["peak_kw"]), "the schedule's start state"


def schedule_forecast(path: Path, header: dict) -> HorizonForecast:
    """The forecast a schedule file was made with, over its whole horizon [kW]; with flexible loads
    their planned power is added to the load (the re-plans take it as fixed)."""
    table = read_forecast(path)
    frames = {what: table[[f"{what}_{q}_kw" for q in ("p10", "p50", "p90")]].set_axis(["p10", "p50", "p90"], axis=1)
              for what in ("load", "pv")}
    forecast = HorizonForecast(frames["load"], frames["pv"], header["load_model"], header["pv_forecast"])
    return with_planned_flex(forecast, table["flex_kw"].to_numpy() if "flex_kw" in table else None)


def battery_setpoints(site: OperationsSite, rows: pd.DataFrame) -> np.ndarray | None:
    """Each battery's committed set point [kW], shape (N, T), from a schedule's rows (None: one battery or none)."""
    if len(site.batteries) < 2:
        return None
    return np.array([rows[f"{name}:battery_setpoint_kw"].to_numpy() for name in site.batteries])


def review_day(site: OperationsSite, day: pd.Timestamp, folder: Path | None = None,
               schedule: Path | None = None, control: Control = "setpoint",
               intraday: IntradayPolicy | None = DEFAULT_POLICY, actual: pd.DataFrame | None = None) -> DayReview:
    """Replay the day of a committed schedule against the actuals as the EMS ran it (module docstring).

    Parameters
    ----------
    site : OperationsSite
        The building with its metered load (which must cover the day) and PV.
    day : Timestamp
        Local midnight of the reviewed day.
    folder : Path, optional
        Operations folder with the schedule (and the previous day's review).
    schedule : Path, optional
        A schedule JSON file, instead of the one in ``folder``.
    control : {"setpoint", "import", "hold_limit"}
        Real-time control when the EMS follows the committed set points (``intraday`` None).
    intraday : IntradayPolicy or None
        The EMS's intraday re-planning (default); None: it followed the committed set points.
    actual : DataFrame, optional
        The day's ``load_kw`` and ``pv_kw`` [kW] (default: the site's metered load and PV; a
        live controller's log gives them, :mod:`.link.review`).
    """
    path = schedule if schedule is not None else schedule_paths(folder or Path("."), site.building, day)["json"]
    header, rows = read_schedule(path)
    if header["building"] != site.building or header["day"] != day.date().isoformat():
        raise InputError(f"is the schedule of {header['building']} on {header['day']}, not of {site.building} on "
                         f"{day.date()}", str(path))
    state, state_source = start_state(header, folder, site.building, day)
    metered = actuals(site, rows.index) if actual is None else actual.set_axis(rows.index)
    actual = metered.assign(load_kw=metered["load_kw"] + rows["flex_kw"].to_numpy()) if "flex_kw" in rows else metered
    operated = operate_day(site, state, schedule_forecast(path, header), rows["battery_setpoint_kw"].to_numpy(),
                           rows["expected_import_kw"].to_numpy(), rows["demand_limit_kw"].to_numpy(), actual,
                           control, intraday, battery_setpoints(site, rows))
    trace, applied = operated.trace, operated.trace["applied_setpoint_kw"].to_numpy()
    terms = horizon_terms(site, rows.index, state)
    step_h = site.step_h
    cost = day_cost_thb(terms, trace["import_kw"].to_numpy())
    pf_cost = perfect_foresight_day_thb(site, state, actual, operated.battery_soc_kwh)
    after = registered_after(terms, trace["import_kw"].to_numpy())
    planned = registered_after(terms, rows["expected_import_kw"].to_numpy())
    unmet = trace["unmet_charge_kw"] + trace["unmet_discharge_kw"]
    guard = np.abs(applied - rows["battery_setpoint_kw"].to_numpy()) > UNMET_TOLERANCE_KW
    summary = {
        "start_state_source": state_source,
        "ems": "intraday re-planning" if intraday is not None else f"committed set points, control {control}",
        "intraday": None if intraday is None else intraday.to_json(),
        "departed_from_setpoint_steps": int(guard.sum()),
        "import_kwh": float(trace["import_kw"].sum() * step_h),
        "planned_import_kwh": float(rows["expected_import_kw"].sum() * step_h),
        "charge_kwh": float(trace["charge_kw"].sum() * step_h),
        "discharge_kwh": float(trace["discharge_kw"].sum() * step_h),
        "cost_thb": cost, "expected_cost_thb": float(header["expected_cost_thb"]),
        "perfect_foresight_cost_thb": pf_cost,
        "gap_to_perfect_foresight_frac": (cost - pf_cost) / abs(pf_cost) if pf_cost else 0.0,
        "unmet_setpoint_steps": int((unmet > UNMET_TOLERANCE_KW).sum()),
        "unmet_setpoint_kwh": float(unmet.sum() * step_h),
        "registered_before_kw": {k: [float(v) for v in vals] for k, vals in state.peak_kw.items()},
        "registered_after_kw": after, "planned_registered_kw": planned,
        "new_peak_kw": {k: [max(0.0, a - p) for a, p in zip(after[k], planned[k])] for k in after},
        "load_forecast": forecast_errors(rows, metered["load_kw"], "load"),
        "pv_forecast": forecast_errors(rows, actual["pv_kw"], "pv"),
        "end_soc_kwh": operated.final_soc_kwh,
    }
    if len(site.batteries) > 1:
        summary["end_battery_soc_kwh"] = operated.battery_soc_kwh
    if "flex_kw" in rows:
        summary["flex_kwh"] = float(rows["flex_kw"].sum() * step_h)
    table = trace.assign(load_kw=actual["load_kw"], pv_kw=actual["pv_kw"], setpoint_kw=rows["battery_setpoint_kw"],
                         scheduled_import_kw=rows["expected_import_kw"])
    end = DayState(0.0, after, state.month, sources={"soc": "replay", "peak": "replay"},
                   flex=dict(header["end_state"].get("flex", {})))
    return DayReview(day, table, summary, with_socs(end, operated.battery_soc_kwh) if site.batteries else end)


def write_review(review: DayReview, folder: Path, building: str) -> Path:
    """Write ``review_BUILDING_DAY.json`` (summary and end state) into ``folder``."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    path = Path(folder) / f"review_{building}_{review.day.date().isoformat()}.json"
    path.write_text(json.dumps(review.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")
    return path
