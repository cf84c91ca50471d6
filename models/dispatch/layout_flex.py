r"""Arrays of the flexible loads (:mod:`munigrid.models.dispatch.flex`): variables, bounds, sets.

Columns over meters :math:`i < M`, steps :math:`t < T` and EV fleets :math:`v < V` (padded;
a meter without a load of that kind gets zero bounds and no rows). The families are in
:mod:`munigrid.models.dispatch.families_flex`. Plain limits are column bounds:

* reservoir volume within its levels, fixed at the start, at the end at least what the
  baseline pumping leaves (:func:`~munigrid.models.dispatch.flex.pump_baseline`);
* zone temperature within ``[min(comfort_min, baseline), max(comfort_max, baseline)]`` at
  each step boundary: the optimiser may pre-cool down to the band's bottom but is never asked
  to beat the thermostat where the weather alone takes the zone below the band or the plant
  cannot hold its top (so the problem is feasible whenever the thermostat is); fixed at the
  start, at the end at most the baseline's temperature;
* thermal store's cooling within its charge window, fixed at the start, at the end at least
  the start (:func:`~munigrid.models.dispatch.flex.store_hold_kw` checks the chiller can);
* EV power 0 while unplugged, session energy at least the session's need at its departure,
  fixed at the start at the energy of a session carried in (0 without one).
"""

from __future__ import annotations

import numpy as np

from munigrid.models.dispatch.flex import (FlexLoads, FlexSchedule, ev_baseline, pump_baseline, store_hold_kw,
                                          store_sized, thermostat_baseline)
from munigrid.models.dispatch.problem import capital_recovery_factor
from munigrid.models.errors import InputError


def _flex_of(problem) -> list[FlexLoads | None]:
    return [getattr(m, "flex", None) for m in problem.meters]


def flex_layout(out, problem) -> None:
    """Add the flexible loads of every meter to the builder ``out`` (nothing without any)."""
    flex = _flex_of(problem)
    if all(f is None for f in flex):
        return
    n_m, n_t, step_h = len(flex), problem.n_steps, float(problem.step_h)
    has = np.array([f is not None for f in flex])
    upper_kw = np.zeros((n_m, n_t))
    upper_kw += _pumping(out, flex, n_t, step_h)
    upper_kw += _cooling(out, flex, n_t, step_h, problem)
    upper_kw += _ev(out, flex, n_t, step_h)
    # bounds implied by its parts' (no row of its own after substitution): free where a meter has flexible loads
    out.var("flex_kw", np.where(has[:, None], -np.inf, 0.0) * np.ones((1, n_t)), np.where(has[:, None], np.inf, 0.0)
            * np.ones((1, n_t)))
    out.params["flex_max_kw"] = np.where(has[:, None], upper_kw, 0.0)  # the most it can draw, for import bounds
    out.rows("MT_flex", np.repeat(has[:, None], n_t, axis=1))


def _present(flex, kind: str) -> tuple[list, np.ndarray]:
    """Each meter's load of ``kind`` (None where absent) and the mask of meters that have one."""
    items = [None if f is None else getattr(f, kind) for f in flex]
    return items, np.array([item is not None for item in items])


def _pumping(out, flex, n_t: int, step_h: float) -> np.ndarray:
    stations, has = _present(flex, "pumping")
    if not has.any():
        return 0.0
    n_m = len(flex)
    power_ub, draw = np.zeros((n_m, n_t)), np.zeros((n_m, n_t))
    lower, upper = np.zeros((n_m, n_t + 1)), np.zeros((n_m, n_t + 1))
    kwh_per_m3, unit_kw, min_frac, units = np.ones(n_m), np.zeros(n_m), np.zeros(n_m), np.zeros(n_m)
    for i, s in enumerate(stations):
        if s is None:
            continue
        _, base_m3 = pump_baseline(s, step_h)
        power_ub[i], draw[i], kwh_per_m3[i] = s.pump_kw, s.net_draw_m3_per_h(), s.kwh_per_m3
        lower[i], upper[i] = s.level_min_frac * s.volume_m3, s.level_max_frac * s.volume_m3
        lower[i, 0] = upper[i, 0] = s.level_initial_frac * s.volume_m3
        lower[i, -1] = max(lower[i, -1], base_m3[-1])
        units[i] = s.pumps
        unit_kw[i] = s.pump_kw / s.pumps if s.pumps else 0.0
        min_frac[i] = s.min_load_frac
    out.var("pump_kw", np.zeros((n_m, n_t)), power_ub)
    out.var("water_m3", lower, upper)
    out.params.update(pump_kwh_per_m3=kwh_per_m3, water_draw_m3_per_h=draw)
    out.rows("MT_pump", np.repeat(has[:, None], n_t, axis=1))
    discrete = units > 0
    if discrete.any():
        out.var("pumps_on", np.zeros((n_m, n_t)), np.repeat(units[:, None], n_t, axis=1),
                integer=np.repeat(discrete[:, None], n_t, axis=1))
        out.params.update(pump_unit_kw=unit_kw, pump_min_load_frac=min_frac)
        out.rows("MT_pump_units", np.repeat(discrete[:, None], n_t, axis=1))
    return power_ub


def _cooling(out, flex, n_t: int, step_h: float, problem) -> np.ndarray:
    zones, has = _present(flex, "cooling")
    if not has.any():
        return 0.0
    n_m = len(flex)
    power_ub, outdoor, gain, cop, base_kw = (np.zeros((n_m, n_t)) for _ in range(5))
    lower, upper = np.zeros((n_m, n_t + 1)), np.zeros((n_m, n_t + 1))
    capacity, loss = np.ones(n_m), np.zeros(n_m)
    for i, z in enumerate(zones):
        if z is None:
            continue
        if step_h * z.loss_kw_per_k >= z.capacity_kwh_per_k:
            raise InputError(f"thermal capacity {z.capacity_kwh_per_k:g} kWh/K is too small for the loss "
                             f"{z.loss_kw_per_k:g} kW/K at {step_h:g} h steps (the explicit step overshoots); "
                             "raise capacity_kwh_per_k above loss_kw_per_k x step", "cooling.capacity_kwh_per_k")
        base_kw[i], base_c = thermostat_baseline(z, step_h)
        power_ub[i], outdoor[i], gain[i], cop[i] = z.cooling_kw, z.outdoor_c, z.gain_kw, z.cop
        capacity[i], loss[i] = z.capacity_kwh_per_k, z.loss_kw_per_k
        lower[i, 1:] = np.minimum(z.comfort_min_c, base_c[1:])
        upper[i, 1:] = np.maximum(z.comfort_max_c, base_c[1:])
        lower[i, 0] = upper[i, 0] = z.temp_initial_c
        upper[i, -1] = base_c[-1]
    out.var("cool_kw", np.zeros((n_m, n_t)), power_ub)
    out.var("temp_c", lower, upper)
    out.params.update(zone_kwh_per_k=capacity, zone_loss_kw_per_k=loss, outdoor_c=outdoor, heat_gain_kw=gain,
                      cooling_cop=cop, cool_baseline_kw=base_kw)  # the last: the LP's starting basis (crash.py)
    out.rows("MT_zone", np.repeat(has[:, None], n_t, axis=1))
    sizing = problem.options.mode == "sizing"
    return power_ub + _store(out, [None if z is None else z.store for z in zones], n_t, step_h,
                             [sizing and z is not None and store_sized(z) for z in zones], problem)


def _store_fracs(s, n_t: int) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest charge at each step boundary as shares of the tank [-]: the window,
    the start fixed at the initial share, the end at least it."""
    low, high = np.full(n_t + 1, s.soc_min_frac), np.full(n_t + 1, s.soc_max_frac)
    low[0] = high[0] = low[-1] = s.soc_initial_frac
    return low, high


def _store(out, stores, n_t: int, step_h: float, sized: list[bool], problem) -> np.ndarray | float:
    r"""Columns and rows of the zones' thermal stores; the chiller's most power [kW] per meter and step.

    A fixed tank's charge window, chiller and discharge power are column bounds; a sized tank
    (:math:`S \le \bar S`, column ``store_size_kwh_th``) gets the bounds of its largest size and the rows
    of :mod:`~munigrid.models.dispatch.families_sizing` scale them by :math:`S`.
    """
    has = np.array([s is not None for s in stores])
    if not has.any():
        return 0.0
    n_m, sized = len(stores), np.asarray(sized, bool)
    charge_ub, discharge_ub, cop = np.zeros((n_m, n_t)), np.zeros((n_m, n_t)), np.ones((n_m, n_t))
    lower, upper, keep = np.zeros((n_m, n_t + 1)), np.zeros((n_m, n_t + 1)), np.ones(n_m)
    low_frac, high_frac = np.zeros((n_m, n_t + 1)), np.zeros((n_m, n_t + 1))
    size_lb, size_ub, charge_ratio, discharge_ratio, annual = (np.zeros(n_m) for _ in range(5))
    for i, s in enumerate(stores):
        if s is None:
            continue
        store_hold_kw(s, step_h)  # raises when the chiller cannot end the run as charged as it starts
        scale = s.max_capacity_kwh_th / s.capacity_kwh_th if sized[i] else 1.0
        charge_ub[i], discharge_ub[i], cop[i] = s.charge_kw * scale, s.discharge_kw_th * scale, s.charge_cop
        keep[i] = s.keep_frac(step_h)
        low_frac[i], high_frac[i] = _store_fracs(s, n_t)
        lower[i], upper[i] = (0.0, np.inf) if sized[i] else (low_frac[i] * s.capacity_kwh_th,
                                                             high_frac[i] * s.capacity_kwh_th)
        size_lb[i] = 0.0 if sized[i] else s.capacity_kwh_th  # a fixed tank beside a sized one: fixed, no rows
        size_ub[i] = s.max_capacity_kwh_th if sized[i] else s.capacity_kwh_th
        charge_ratio[i], discharge_ratio[i] = s.charge_kw / s.capacity_kwh_th, s.discharge_kw_th / s.capacity_kwh_th
        crf = capital_recovery_factor(problem.economics.discount_rate_frac, s.life_years)
        annual[i] = problem.horizon_years * (crf + s.om_frac_per_year) * s.capex_thb_per_kwh_th_total()
    out.var("store_charge_kw", np.zeros((n_m, n_t)), charge_ub)
    out.var("store_discharge_kw_th", np.zeros((n_m, n_t)), discharge_ub)
    out.var("store_kwh_th", lower, upper)
    out.params.update(store_cop=cop, store_keep_frac=keep)
    out.rows("MT_store", np.repeat(has[:, None], n_t, axis=1))
    if sized.any():
        out.var("store_size_kwh_th", size_lb, size_ub)
        out.params.update(store_low_frac=low_frac, store_high_frac=high_frac, store_charge_kw_per_kwh_th=charge_ratio,
                          store_discharge_per_h=discharge_ratio, store_annual_thb_per_kwh_th=annual,
                          store_capex_thb_per_kwh_th=np.array([0.0 if s is None else s.capex_thb_per_kwh_th_total()
                                                               for s in stores]))
        out.rows("MT_store_sized", np.repeat(sized[:, None], n_t, axis=1))
        out.rows("MT1_store_sized", np.repeat(sized[:, None], n_t + 1, axis=1))
        out.rows("M_store_sized", (np.flatnonzero(sized),))
    return charge_ub


def _ev(out, flex, n_t: int, step_h: float) -> np.ndarray:
    fleets = [() if f is None else tuple(f.ev) for f in flex]
    n_v = max(len(f) for f in fleets)
    if n_v == 0:
        return 0.0
    n_m = len(flex)
    power_ub, continues = np.zeros((n_m, n_v, n_t)), np.ones((n_m, n_v, n_t))
    lower, upper = np.zeros((n_m, n_v, n_t + 1)), np.zeros((n_m, n_v, n_t + 1))
    eff, rows = np.ones((n_m, n_v)), np.zeros((n_m, n_v, n_t), bool)
    for i, meter_fleets in enumerate(fleets):
        for v, fleet in enumerate(meter_fleets):
            ev_baseline(fleet, step_h)  # raises when a session cannot be served at all
            power_ub[i, v] = fleet.charger_kw * np.asarray(fleet.plugged, bool)
            continues[i, v] = ~np.asarray(fleet.session_start, bool)
            lower[i, v] = fleet.required_kwh
            upper[i, v, 1:] = np.inf
            lower[i, v, 0] = upper[i, v, 0] = fleet.energy_initial_kwh
            eff[i, v] = fleet.charge_eff_frac
            rows[i, v] = True
    out.var("ev_kw", np.zeros((n_m, n_v, n_t)), power_ub)
    out.var("ev_kwh", lower, upper)
    out.params.update(ev_continues=continues.astype(float), ev_eff_frac=eff)
    out.rows("V", (np.arange(n_v),))
    out.rows("MVT_ev", rows)
    return power_ub.sum(axis=1)


def flex_schedule(data, x, i: int):
    """The :class:`~munigrid.models.dispatch.flex.FlexSchedule` of meter ``i`` from the solution ``x``."""
    n_t = data.dims["T"]

    def family(name, shape):
        if name not in data.columns.shape:
            return np.zeros(shape)[0]
        return x[data.columns.block(name)].reshape(data.columns.shape[name])[i]

    return FlexSchedule(flex_kw=family("flex_kw", (1, n_t)), pump_kw=family("pump_kw", (1, n_t)),
                        water_m3=family("water_m3", (1, n_t + 1)), cool_kw=family("cool_kw", (1, n_t)),
                        temp_c=family("temp_c", (1, n_t + 1)), ev_kw=family("ev_kw", (1, 0, n_t)),
                        store_charge_kw=family("store_charge_kw", (1, n_t)),
                        store_discharge_kw_th=family("store_discharge_kw_th", (1, n_t)),
                        store_kwh_th=family("store_kwh_th", (1, n_t + 1)))
