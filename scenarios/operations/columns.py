r"""Schedule columns beyond one battery: each battery's, each building's behind a shared connection,
and the flexible loads'.

Added to the rows of :mod:`.schedule_file` only when the meter has them (a meter with one
battery, on its own, without flexible loads keeps exactly the plain columns). All [kW] unless
named otherwise; states are at the *end* of the interval:

=================================  ==============================================================
``NAME:battery_setpoint_kw``       battery NAME's set point (+ charge); the plain
                                   ``battery_setpoint_kw`` is then the sum over the batteries
``NAME:expected_soc_kwh``          its stored energy [kWh] (plain column: the sum)
``NAME:expected_soc_frac``         the same as a share of its capacity [-] (plain column: all
                                   stored energy over all capacity)
``BUILDING:load_forecast_kw``      behind a shared connection: the building's share of the
                                   meter's ``load_forecast_kw``
``BUILDING:pv_forecast_kw``        its share of ``pv_forecast_kw``
``flex_kw``                        all flexible loads together (planned, not forecast)
``pump_kw``, ``reservoir_m3``      pumps and the water in the reservoir [m³]
``cool_kw``, ``zone_temp_c``       air conditioning and the zone temperature [°C]
``store_charge_kw``, ``store_kwh_th``  the thermal store's chiller and its stored cooling [kWh_th]
``FLEET:ev_kw``                    EV fleet FLEET's charging power
``FLEET:ev_session_kwh``           energy charged in its running session [kWh]
=================================  ==============================================================

A building's share of the meter's load at a time of day is its share of the metered load at
that time of day over the last :data:`~.forecast.RECENT_DAYS` days before the issue time (the
load model forecasts the meter, which is what the utility bills); of the PV, its arrays' share
of the PV on the forecast weather (where there is none, of the installed kWp). The shares sum
to one, so the buildings' columns add up to the meter's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from munigrid.models.dispatch.flex import EVFleet
from munigrid.scenarios.operations.forecast import RECENT_DAYS
from munigrid.scenarios.operations.plan import DayPlan
from munigrid.scenarios.operations.site import OperationsSite


def battery_columns(site: OperationsSite, plan: DayPlan) -> dict[str, np.ndarray]:
    """Each battery's set point [kW] and stored energy [kWh, -] over the committed day (several batteries only)."""
    if len(site.batteries) < 2:
        return {}
    n, out = plan.n_committed, {}
    for name, schedule in plan.batteries.items():
        soc_end = schedule.soc_kwh[1:n + 1]
        out[f"{name}:battery_setpoint_kw"] = (schedule.charge_kw - schedule.discharge_kw)[:n]
        out[f"{name}:expected_soc_kwh"] = soc_end
        out[f"{name}:expected_soc_frac"] = soc_end / site.batteries[name].energy_kwh
    return out


def _slot(index: pd.DatetimeIndex, step_h: float) -> np.ndarray:
    return ((index.hour * 60 + index.minute) // int(round(step_h * 60))).to_numpy()


def load_shares(site: OperationsSite, issue_time: pd.Timestamp, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Each building's share of the meter's load on ``index`` [-] (module docstring), columns buildings."""
    members = site.member_load_kw
    recent = members[(members.index < issue_time) & (members.index >= issue_time - pd.Timedelta(days=RECENT_DAYS))]
    by_slot = recent.groupby(_slot(recent.index, site.step_h)).mean()
    total = by_slot.sum(axis=1)
    shares = by_slot.div(total.where(total > 0), axis=0).fillna(1.0 / members.shape[1])
    return shares.reindex(_slot(index, site.step_h)).fillna(1.0 / members.shape[1]).set_axis(index)


def pv_shares(site: OperationsSite, weather: pd.DataFrame, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Each building's share of the meter's PV on ``index`` [-] (module docstring), columns buildings."""
    owner = lambda array: array.split(".", 1)[0]  # noqa: E731  arrays behind a connection: building.array
    arrays = site.pv_arrays_kw(site.pv_model(weather)).reindex(index)
    per_member = arrays.T.groupby(owner).sum().T.reindex(columns=site.member_load_kw.columns, fill_value=0.0)
    kwp = pd.Series(site.pv_capacity_kwp, dtype=float).groupby(owner).sum().reindex(per_member.columns, fill_value=0.0)
    fallback = kwp / kwp.sum() if kwp.sum() > 0 else kwp * 0.0
    total = per_member.sum(axis=1)
    shares = per_member.div(total.where(total > 0), axis=0)
    return shares.fillna(fallback)


def member_columns(site: OperationsSite, plan: DayPlan, issue_time: pd.Timestamp,
                   weather: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """Each building's load and PV forecast [kW] over the committed day (behind a shared connection only)."""
    if site.member_load_kw is None:
        return {}
    n = plan.n_committed
    index = plan.index[:n]
    weather = site.weather.reindex(index) if weather is None else weather.reindex(index)
    load, pv = load_shares(site, issue_time, index), pv_shares(site, weather, index)
    out = {}
    for member in site.member_load_kw.columns:
        out[f"{member}:load_forecast_kw"] = load[member].to_numpy() * plan.load_plan_kw[:n]
        out[f"{member}:pv_forecast_kw"] = pv[member].to_numpy() * plan.pv_plan_kw[:n]
    return out


def ev_session_kwh(fleet: EVFleet, ev_kw: np.ndarray, step_h: float) -> np.ndarray:
    r"""Energy in the running session at each step boundary [kWh], shape (T+1,):
    :math:`e_{t+1} = \kappa_t e_t + \Delta t\,\eta\,r_t` from the fleet's carried energy."""
    energy = np.empty(len(ev_kw) + 1)
    energy[0] = fleet.energy_initial_kwh
    for t, power in enumerate(np.asarray(ev_kw, float)):
        carried = 0.0 if fleet.session_start[t] else energy[t]
        energy[t + 1] = carried + step_h * fleet.charge_eff_frac * power
    return energy


def flex_columns(plan: DayPlan, step_h: float) -> dict[str, np.ndarray]:
    """The flexible loads' power [kW] and states over the committed day (module docstring)."""
    loads, done = plan.flex_loads, plan.flex
    if loads is None:
        return {}
    n = plan.n_committed
    out = {"flex_kw": plan.flex_kw[:n]}
    if loads.pumping is not None:
        out.update(pump_kw=done.pump_kw[:n], reservoir_m3=done.water_m3[1:n + 1])
    if loads.cooling is not None:
        out.update(cool_kw=done.cool_kw[:n], zone_temp_c=done.temp_c[1:n + 1])
        if loads.cooling.store is not None:
            out.update(store_charge_kw=done.store_charge_kw[:n], store_kwh_th=done.store_kwh_th[1:n + 1])
    for v, fleet in enumerate(loads.ev):
        out[f"{fleet.name}:ev_kw"] = done.ev_kw[v, :n]
        out[f"{fleet.name}:ev_session_kwh"] = ev_session_kwh(fleet, done.ev_kw[v], step_h)[1:n + 1]
    return out


def flex_end_state(plan: DayPlan, step_h: float) -> dict:
    """States of the flexible loads after the committed day, as the next day starts from them
    (:class:`~munigrid.scenarios.flex_inputs.FlexStart` fields; an EV session not plugged in across
    the day's end carries nothing)."""
    loads, done, n = plan.flex_loads, plan.flex, plan.n_committed
    if loads is None:
        return {}
    out: dict = {}
    if loads.pumping is not None:
        out["reservoir_frac"] = float(done.water_m3[n] / loads.pumping.volume_m3)
    if loads.cooling is not None:
        out["zone_temp_c"] = float(done.temp_c[n])
        if loads.cooling.store is not None:
            out["store_frac"] = float(done.store_kwh_th[n] / loads.cooling.store.capacity_kwh_th)
    ev = {}
    for v, fleet in enumerate(loads.ev):
        running = n < len(fleet.plugged) and fleet.plugged[n] and not fleet.session_start[n]
        ev[fleet.name] = float(ev_session_kwh(fleet, done.ev_kw[v], step_h)[n]) if running else 0.0
    if ev:
        out["ev_kwh"] = ev
    return out
