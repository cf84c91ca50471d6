r"""The building's EMS during a day: how it applies set points and what the battery then does.

The battery follows each applied set point as far as its state of charge and power allow and
never discharges into the grid (the simulation core's
:func:`munigrid.models.simulation.replay.replay_schedule`). The EMS's real-time control decides
the applied set point :math:`s'_t` (+ charge) from the schedule's :math:`s_t`, seeing the actual
net load :math:`n_t = L_t - PV_t` of the step:

* ``"setpoint"``: :math:`s'_t = s_t`;
* ``"import"``: where a demand limit applies, hold the planned import :math:`m^*_t`,
  :math:`s'_t = m^*_t - n_t` (the battery absorbs the forecast error); elsewhere :math:`s_t`;
* ``"hold_limit"``: the set point, lowered by what would exceed the demand limit :math:`L_t`,

.. math:: s'_t = s_t - \max(0,\ n_t + s_t - L_t).

Independently of the control, an EMS that re-plans can keep grid charging from setting a
new peak (:func:`cap_charging`): in a demand window, a charging set point never lifts the
import above the demand already registered this month, :math:`R_t`,

.. math:: s''_t = \min\big(s'_t,\ \max(0,\ R_t - n_t)\big) \quad (s'_t > 0).

A higher registered demand is certain cost for the rest of the month, while the energy the
plan wanted to store for a later, higher load is only needed if that load comes.

The ``"hold_limit"`` guard spends energy the plan kept for later steps, so with a day-ahead
plan alone an energy-limited battery can break a bigger peak later in the day; with intraday
re-planning (:mod:`.intraday`) the next plan accounts for it (measured in ``docs/operations.md``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from munigrid.models.dispatch import Battery
from munigrid.models.errors import InputError
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.replay import ReplayResult, replay_schedule
from munigrid.scenarios.operations.site import OperationsSite
from munigrid.scenarios.operations.state import DayState

Control = Literal["setpoint", "import", "hold_limit"]
CONTROLS: tuple[str, ...] = Control.__args__


def battery_params(battery: Battery, soc_kwh: float) -> BatteryParams:
    """The simulation core's battery starting at ``soc_kwh`` (clipped into its limits) [kWh]."""
    low, high = battery.soc_min_frac * battery.energy_kwh, battery.soc_max_frac * battery.energy_kwh
    return BatteryParams(energy_kwh=battery.energy_kwh, power_kw=battery.installed_power_kw,
                         charge_eff_frac=battery.charge_eff_frac, discharge_eff_frac=battery.discharge_eff_frac,
                         soc_min_frac=battery.soc_min_frac, soc_max_frac=battery.soc_max_frac,
                         soc_initial_frac=min(max(soc_kwh, low), high) / battery.energy_kwh)


def actuals(site: OperationsSite, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Metered load and actual PV on ``index`` [kW]; raises when the load is not metered there."""
    load = site.load_kw.reindex(index)
    if load.isna().any():
        raise InputError(f"no metered load for {int(load.isna().sum())} of the day's {len(index)} steps (first "
                         f"{index[int(np.argmax(load.isna().to_numpy()))].isoformat()}); the day cannot be reviewed "
                         "before it is metered (give --history FILE with the day's readings)", "history")
    return pd.DataFrame({"load_kw": load.to_numpy(), "pv_kw": site.pv_kw().reindex(index).to_numpy()}, index=index)


def replay_day(site: OperationsSite, setpoint_kw: np.ndarray, planned_import_kw: np.ndarray, state: DayState,
               actual: pd.DataFrame) -> ReplayResult:
    """Replay set points [kW, + charge] from ``state`` against ``actual`` load and PV."""
    setpoint = np.asarray(setpoint_kw, dtype=float)
    schedule = pd.DataFrame({"charge_kw": np.maximum(setpoint, 0.0), "discharge_kw": np.maximum(-setpoint, 0.0),
                             "import_kw": np.asarray(planned_import_kw, dtype=float)}, index=actual.index)
    return replay_schedule(schedule, actual, battery_params(site.battery, state.soc_kwh), export_allowed=False)


def ems_setpoints(setpoint_kw: np.ndarray, planned_import_kw: np.ndarray, demand_limit_kw: np.ndarray,
                  actual: pd.DataFrame, control: Control = "setpoint") -> np.ndarray:
    """Set points the EMS applies [kW, + charge] under ``control`` (module equations)."""
    setpoint = np.asarray(setpoint_kw, dtype=float)
    if control == "setpoint":
        return setpoint
    net = (actual["load_kw"] - actual["pv_kw"]).to_numpy()
    limit = np.asarray(demand_limit_kw, dtype=float)
    if control == "hold_limit":
        return setpoint - np.maximum(0.0, net + setpoint - np.nan_to_num(limit, nan=np.inf))
    return np.where(np.isnan(limit), setpoint, np.asarray(planned_import_kw, dtype=float) - net)


def cap_charging(setpoint_kw: np.ndarray, actual: pd.DataFrame, registered_kw: np.ndarray) -> np.ndarray:
    """Charging set points lowered so that the import stays within ``registered_kw`` [kW] (module equation).

    ``registered_kw`` is the demand already registered for each step's demand windows [kW],
    NaN where no demand charge applies (the step is left as it is); discharging is unchanged.
    """
    setpoint = np.asarray(setpoint_kw, dtype=float)
    net = (actual["load_kw"] - actual["pv_kw"]).to_numpy()
    room = np.maximum(0.0, np.nan_to_num(np.asarray(registered_kw, dtype=float), nan=np.inf) - net)
    return np.where(setpoint > 0.0, np.minimum(setpoint, room), setpoint)
