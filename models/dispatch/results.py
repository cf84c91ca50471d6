"""Turn a solution vector back into schedules, sizes and a cost breakdown."""

from __future__ import annotations

import numpy as np

from munigrid.models.dispatch.layout import ModelData
from munigrid.models.dispatch.layout_flex import flex_schedule
from munigrid.models.dispatch.problem import BatterySchedule, DispatchProblem, MeterSchedule, Sizes
from munigrid.models.dispatch.standard_form import StandardForm


def _family(data: ModelData, x: np.ndarray, name: str, shape: tuple[int, ...]) -> np.ndarray:
    if name not in data.columns.shape:
        return np.zeros(shape)
    return x[data.columns.block(name)].reshape(data.columns.shape[name])


def schedules(problem: DispatchProblem, data: ModelData, x: np.ndarray) -> dict[str, MeterSchedule]:
    """Per-meter schedule from the solution ``x`` (flows [kW], stored energy [kWh], fuel [L])."""
    n_m, n_t, step_h = len(problem.meters), problem.n_steps, problem.step_h
    pv = _family(data, x, "pv_kw", (n_m, 0, n_t))
    pv_kwp = _family(data, x, "pv_kwp", (n_m, 0))
    profile = np.asarray(data.params.get("pv_kw_per_kwp", np.zeros((n_m, 0, n_t))))
    flows = {name: _family(data, x, name, (n_m, n_t)) for name in
             ("import_kw", "export_kw", "gen_kw", "gen_on", "gen_noload_l_per_h", "shed_kw")}
    battery = {name: _family(data, x, name, (n_m, 0, n_t + extra)) for name, extra in
               (("charge_kw", 0), ("discharge_kw", 0), ("soc_kwh", 1))}
    slope = np.asarray(data.params.get("fuel_slope_l_per_kwh", np.zeros(n_m)))
    out = {}
    for i, meter in enumerate(problem.meters):
        n_a = len(meter.pv)
        used = pv[i, :n_a]
        available = profile[i, :n_a] * pv_kwp[i, :n_a, None] if n_a else np.zeros((0, n_t))
        out[meter.name] = MeterSchedule(
            import_kw=flows["import_kw"][i], export_kw=flows["export_kw"][i], pv_ac_kw=used,
            curtailed_kw=np.maximum(available - used, 0.0), charge_kw=battery["charge_kw"][i].sum(axis=0),
            discharge_kw=battery["discharge_kw"][i].sum(axis=0), soc_kwh=battery["soc_kwh"][i].sum(axis=0),
            gen_kw=flows["gen_kw"][i], gen_on=flows["gen_on"][i] > 0.5,
            fuel_l=step_h * (slope[i] * flows["gen_kw"][i] + flows["gen_noload_l_per_h"][i]),
            shed_kw=flows["shed_kw"][i], flex=None if meter.flex is None else flex_schedule(data, x, i),
            batteries={bat.name: BatterySchedule(*(battery[k][i, n] for k in ("charge_kw", "discharge_kw", "soc_kwh")))
                       for n, bat in enumerate(meter.batteries)})
    return out


def sizes(problem: DispatchProblem, data: ModelData, x: np.ndarray) -> dict[str, Sizes]:
    """Chosen sizes of every meter's assets (installed plus added)."""
    n_m = len(problem.meters)
    pv_kwp = _family(data, x, "pv_kwp", (n_m, 0))
    bat_kwh, bat_kw = _family(data, x, "battery_kwh", (n_m, 0)), _family(data, x, "battery_kw", (n_m, 0))
    gen_kw = _family(data, x, "gen_rating_kw", (n_m,))
    store_kwh_th = _family(data, x, "store_size_kwh_th", (n_m,))
    return {m.name: Sizes({arr.name: float(pv_kwp[i, a]) for a, arr in enumerate(m.pv)}, float(bat_kwh[i].sum()),
                          float(bat_kw[i].sum()), float(gen_kw[i]),
                          {b.name: {"energy_kwh": float(bat_kwh[i, n]), "power_kw": float(bat_kw[i, n])}
                           for n, b in enumerate(m.batteries)},
                          float(store_kwh_th[i]) if "store_size_kwh_th" in data.columns.shape else _fixed_tank(m))
            for i, m in enumerate(problem.meters)}


def _fixed_tank(meter) -> float:
    """The tank of the meter's thermal store when not sized [kWh thermal] (0 without one)."""
    zone = None if meter.flex is None else meter.flex.cooling
    return 0.0 if zone is None or zone.store is None else float(zone.store.capacity_kwh_th)


def cost_breakdown(form: StandardForm, x: np.ndarray) -> dict[str, float]:
    """Cost of each cost family at ``x`` [THB]; they sum to the objective."""
    return {name: float(np.sum(vector * x) + const) for name, (vector, const) in form.cost_parts.items()}
