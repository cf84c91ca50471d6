"""Sizing sweep: a grid of PV x battery sizes over the same samples, in one kernel call.

Each battery size keeps the power-to-energy ratio :math:`P/E` [1/h] given (the C-rate);
every (PV, battery) pair sees the same sampled years, so differences between sizes are not
sampling noise. The kernel is parallel over samples (``prange``).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from munigrid.models.errors import Problem
from munigrid.models.simulation.ensemble import metrics_dataset, run_ensemble
from munigrid.models.simulation.montecarlo import draw_samples
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.sampling import SampleSource
from munigrid.models.simulation.strategies import Band, self_consumption
from munigrid.models.simulation.tariff_arrays import TariffArrays
from munigrid.models.simulation.validation import as_series, raise_if


def sizing_sweep(source: SampleSource, pv_kwp_grid, battery_kwh_grid, battery: BatteryParams,
                 tariff: TariffArrays, *, step_h: float, power_per_energy_per_h: float | None = None,
                 strategy: Band | None = None, n_samples: int = 100, block_days: int = 7,
                 season_window_weeks: int = 3, load_sigma_frac: float = 0.0, seed: int | None = 0,
                 export_limit_kw: float = np.inf) -> xr.Dataset:
    """Evaluate every PV size x battery size on ``n_samples`` sampled years.

    Parameters
    ----------
    pv_kwp_grid : array
        PV sizes [kWp], >= 0.
    battery_kwh_grid : array
        Battery energy sizes [kWh], >= 0.
    battery : BatteryParams
        Efficiencies and SoC limits; its ``power_kw / energy_kwh`` is the default C-rate.
    power_per_energy_per_h : float, optional
        Battery power per kWh of capacity [kW/kWh].
    Other parameters as in :func:`~munigrid.models.simulation.montecarlo.monte_carlo`.

    Returns
    -------
    xarray.Dataset
        Metrics with dims (``pv_kwp``, ``battery_kwh``, ``sample``).
    """
    problems: list[Problem] = []
    pv_grid = as_series(pv_kwp_grid, "pv_kwp_grid", problems)
    bat_grid = as_series(battery_kwh_grid, "battery_kwh_grid", problems)
    if power_per_energy_per_h is None:
        power_per_energy_per_h = battery.power_kw / battery.energy_kwh if battery.energy_kwh > 0 else 0.0
    if not (np.isfinite(power_per_energy_per_h) and power_per_energy_per_h >= 0):
        problems.append(Problem("power_per_energy_per_h", f"must be >= 0 kW/kWh, got {power_per_energy_per_h!r}"))
    raise_if(problems)
    pv_mesh, bat_mesh = np.meshgrid(pv_grid, bat_grid, indexing="ij")
    sizes = np.column_stack([pv_mesh.ravel(), bat_mesh.ravel(), bat_mesh.ravel() * power_per_energy_per_h])
    day_map, scale = draw_samples(source, n_samples, block_days=block_days, season_window_weeks=season_window_weeks,
                                  load_sigma_frac=load_sigma_frac, seed=seed)
    band = self_consumption(source.base_load_kw.size) if strategy is None else strategy
    values = run_ensemble(source, day_map, scale, sizes, battery, tariff, band, step_h=step_h,
                          export_limit_kw=export_limit_kw)
    grid = values.reshape(n_samples, pv_grid.size, bat_grid.size, -1).transpose(1, 2, 0, 3)
    coords = {"pv_kwp": pv_grid, "battery_kwh": bat_grid, "sample": np.arange(n_samples)}
    return metrics_dataset(grid, ("pv_kwp", "battery_kwh", "sample"), coords)
