r"""Key figures of a run, per building and in total.

For each building over the horizon, with step :math:`\Delta t` [h]:

- load, PV used on site and grid import [MWh]: :math:`\sum_t P_t \Delta t / 1000`;
- self-sufficiency [%]: :math:`100\,(E_{load} - E_{import}) / E_{load}`, the share of the
  load not bought from the grid (PV and battery; a generator counts as local);
- peak demand [kW]: the largest step-mean import (hourly steps understate the 15-min
  billing peak);
- CO2 avoided [t]: :math:`(E^{before}_{import} - E^{after}_{import})\,f_{grid}/1000` with the
  TGO grid factor :math:`f_{grid}` [kg/kWh], less generator fuel emissions when present.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from munigrid.models.timegrid import energy_kwh, step_hours

COLUMNS = ["load_mwh", "pv_mwh", "import_mwh", "self_sufficiency_pct", "peak_kw",
           "cost_before_thb", "cost_after_thb", "co2_avoided_t", "solve_s"]


def _mwh(da: xr.DataArray, step_h: float) -> pd.Series:
    return (energy_kwh(da, step_h).sum("time") / 1000.0).to_series()


def summarise(results: xr.Dataset, cost_before_thb: pd.Series, cost_after_thb: pd.Series,
              solve_s: pd.Series, grid_kg_per_kwh: float, gen_co2_kg: pd.Series | None = None,
              total_solve_s: float | None = None) -> pd.DataFrame:
    """Per-building KPIs and a ``total`` row.

    Parameters
    ----------
    results : xarray.Dataset
        Run results with ``load_kw``, ``pv_used_kw``, ``import_kw``, ``baseline_import_kw``.
    cost_before_thb, cost_after_thb : pandas.Series
        Electricity bills over the horizon without and with the project [THB], by building.
    solve_s : pandas.Series
        Solver time of each building's meter [s].
    total_solve_s : float, optional
        Solver time of the whole run [s] when meters were solved jointly (default: the sum).
    grid_kg_per_kwh : float
        Grid emission factor [kgCO2e/kWh].
    gen_co2_kg : pandas.Series, optional
        Generator emissions [kg] by building.
    """
    step_h = step_hours(results.indexes["time"])
    load = _mwh(results["load_kw"], step_h)
    imports = _mwh(results["import_kw"], step_h)
    before = _mwh(results["baseline_import_kw"], step_h)
    gen_t = (gen_co2_kg if gen_co2_kg is not None else pd.Series(0.0, index=load.index)) / 1000.0
    table = pd.DataFrame({
        "load_mwh": load,
        "pv_mwh": _mwh(results["pv_used_kw"], step_h),
        "import_mwh": imports,
        "peak_kw": results["import_kw"].max("time").to_series(),
        "cost_before_thb": cost_before_thb,
        "cost_after_thb": cost_after_thb,
        "co2_avoided_t": (before - imports) * grid_kg_per_kwh - gen_t,
        "solve_s": solve_s,
    })
    total = table.sum()
    total["peak_kw"] = float(results["import_kw"].sum("building").max("time"))
    if total_solve_s is not None:
        total["solve_s"] = total_solve_s
    table.loc["total"] = total
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(table["load_mwh"] > 0, 100.0 * (table["load_mwh"] - table["import_mwh"]) / table["load_mwh"], 0.0)
    table["self_sufficiency_pct"] = ratio
    table.index.name = "building"
    return table[COLUMNS]
