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

With several batteries behind the meter the controls act on their sum; the applied total is
shared out as planned, the change from the plan in proportion to each battery's power
(:func:`split_setpoint`). The batteries are replayed one after the other, each seeing the
net load the ones before it left (:func:`replay_day`), so that none discharges into the grid.

The ``"hold_limit"`` guard spends energy the plan kept for later steps, so with a day-ahead
plan alone an energy-limited battery can break a bigger peak later in the day; with intraday
re-planning (:mod:`.intraday`) the next plan accounts for it (measured in ``docs/operations.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from munigrid.models.dispatch import Battery
from munigrid.models.errors import InputError
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.replay import replay_schedule
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


@dataclass
class BankReplay:
    """The meter's batteries following set points: ``trace`` per step (the simulation core's replay
    columns, flows and stored energy summed over the batteries) and each battery's final stored
    energy by name [kWh] (``final_soc_kwh`` their sum)."""

    trace: pd.DataFrame
    battery_soc_kwh: dict[str, float]

    @property
    def final_soc_kwh(self) -> float:
        """Stored energy of all batteries after the last step [kWh]."""
        return float(sum(self.battery_soc_kwh.values()))


def split_setpoint(site: OperationsSite, applied_kw: np.ndarray, planned_kw: np.ndarray) -> np.ndarray:
    r"""Each battery's set point [kW, + charge], shape (N, T), from the applied total ``applied_kw`` (T,):
    :math:`s'_{n,t} = s_{n,t} + (s'_t - \sum_k s_{k,t})\,ar P_n / \sum_k ar P_k` with the planned
    ``planned_kw`` (N, T) and each battery's power :math:`ar P_n` (one battery: the total)."""
    applied = np.asarray(applied_kw, dtype=float)
    if not site.batteries:
        return np.zeros((0, len(applied)))
    planned = np.asarray(planned_kw, dtype=float).reshape(len(site.batteries), -1)
    if len(site.batteries) == 1:
        return applied[None, :]
    power = np.array([b.installed_power_kw for b in site.batteries.values()])
    return planned + (applied - planned.sum(axis=0))[None, :] * (power / power.sum())[:, None]


def _no_battery(actual: pd.DataFrame) -> pd.DataFrame:
    net = (actual["load_kw"] - actual["pv_kw"]).to_numpy()
    zero = np.zeros(len(net))
    return pd.DataFrame({"charge_kw": zero, "discharge_kw": zero, "soc_kwh": zero, "import_kw": np.maximum(net, 0.0),
                         "export_kw": zero, "curtail_kw": np.maximum(-net, 0.0), "unmet_charge_kw": zero,
                         "unmet_discharge_kw": zero, "extra_import_kw": zero}, index=actual.index)


def replay_day(site: OperationsSite, setpoint_kw: np.ndarray, planned_import_kw: np.ndarray, state: DayState,
               actual: pd.DataFrame) -> BankReplay:
    """Replay set points [kW, + charge] from ``state`` against ``actual`` load and PV (module docstring).

    ``setpoint_kw`` is each battery's, shape (N, T), or with one battery its (T,).
    """
    names = list(site.batteries)
    if not names:
        return BankReplay(_no_battery(actual), {})
    setpoints = np.asarray(setpoint_kw, dtype=float).reshape(len(names), -1)
    socs, traces = state.soc_by_battery(names), []
    seen = actual
    for name, setpoint in zip(names, setpoints):
        schedule = pd.DataFrame({"charge_kw": np.maximum(setpoint, 0.0), "discharge_kw": np.maximum(-setpoint, 0.0),
                                 "import_kw": np.asarray(planned_import_kw, dtype=float)}, index=actual.index)
        replay = replay_schedule(schedule, seen, battery_params(site.batteries[name], socs[name]), export_allowed=False)
        traces.append(replay.trace)
        socs[name] = replay.final_soc_kwh
        seen = seen.assign(load_kw=seen["load_kw"] + replay.trace["charge_kw"].to_numpy(),
                           pv_kw=seen["pv_kw"] + replay.trace["discharge_kw"].to_numpy())
    if len(traces) == 1:
        return BankReplay(traces[0], socs)
    trace = traces[-1].copy()
    for column in ("charge_kw", "discharge_kw", "soc_kwh", "unmet_charge_kw", "unmet_discharge_kw"):
        trace[column] = sum(t[column] for t in traces)
    return BankReplay(trace, socs)


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
