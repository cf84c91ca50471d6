"""Monte Carlo over weather years and load: distributions of annual cost, self-sufficiency, peaks.

Samples come from :mod:`~munigrid.models.simulation.sampling` (block bootstrap of measured
days, or forecast plus resampled residual days, with an optional load-level factor
:math:`\\lambda_s \\sim \\mathcal N(1, \\sigma^2)` clipped at 0), optionally with each
sample's own Ft path (:mod:`munigrid.models.tariffs.ft_paths`); one kernel call simulates them
all in parallel (:mod:`~munigrid.models.simulation.ensemble`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from munigrid.models.errors import Problem
from munigrid.models.simulation.ensemble import metrics_dataset, run_ensemble
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.sampling import SampleSource, day_block_bootstrap
from munigrid.models.simulation.strategies import Band, self_consumption
from munigrid.models.simulation.tariff_arrays import TariffArrays
from munigrid.models.simulation.validation import raise_if

#: Quantiles reported as P10, P50, P90 (non-exceedance probabilities).
P_LEVELS = (0.1, 0.5, 0.9)


def sample_bytes(n_days: int, n_designs: int = 1) -> float:
    """Peak memory per sample of :func:`monte_carlo` [bytes]: the day map and its repeated
    blocks (two int64 arrays of S x D) and the metrics (float64, about four copies)."""
    from munigrid.models.simulation.ensemble import N_METRICS

    return 2 * 8 * n_days + 4 * 8 * N_METRICS * n_designs


def draw_samples(source: SampleSource, n_samples: int, *, block_days: int = 7, season_window_weeks: int = 3,
                 load_sigma_frac: float = 0.0, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Day map (S, D) and load factors (S,) for ``n_samples`` samples (see the module docstring)."""
    if not 0.0 <= load_sigma_frac <= 1.0:
        raise_if([Problem("load_sigma_frac", f"must be in [0, 1], got {load_sigma_frac!r}")])
    day_map = day_block_bootstrap(n_samples, source.n_days, source.n_source_days, block_days=block_days,
                                  season_window_weeks=season_window_weeks,
                                  year_stride_days=source.year_stride_days, seed=seed)
    rng = np.random.default_rng(None if seed is None else seed + 1)
    scale = np.clip(rng.normal(1.0, load_sigma_frac, n_samples), 0.0, None) if load_sigma_frac else np.ones(n_samples)
    return day_map, scale


def monte_carlo(source: SampleSource, battery: BatteryParams, pv_kwp: float, tariff: TariffArrays, *,
                step_h: float, strategy: Band | None = None, n_samples: int = 1000, block_days: int = 7,
                season_window_weeks: int = 3, load_sigma_frac: float = 0.0, seed: int | None = 0,
                export_limit_kw: float = np.inf, ft_change_thb_per_kwh: np.ndarray | None = None) -> xr.Dataset:
    """Simulate ``n_samples`` sampled years of one design.

    Parameters
    ----------
    source : SampleSource
        History (bootstrap) or forecast plus residuals.
    battery : BatteryParams
        The battery (energy, power, efficiencies, SoC limits).
    pv_kwp : float
        PV size [kWp] multiplying the per-kWp PV series.
    tariff : TariffArrays
        From :func:`~munigrid.models.simulation.tariff_arrays.pack_tariff`, on the simulated grid.
    step_h : float
        Step [h].
    strategy : Band, optional
        Battery strategy (self-consumption when omitted).
    n_samples, block_days, season_window_weeks, load_sigma_frac, seed
        Sampling settings, see :func:`draw_samples`.
    export_limit_kw : float
        Export limit when the tariff allows export [kW].
    ft_change_thb_per_kwh : ndarray, shape (n_samples, P), optional
        Each sample's import price change in each billing month from its Ft path [THB/kWh]
        (:meth:`munigrid.models.tariffs.ft_paths.FtPaths.change_thb_per_kwh`); none by default.

    Returns
    -------
    xarray.Dataset
        One variable per metric of :data:`~munigrid.models.simulation.ensemble.METRICS`,
        dim ``sample``; :func:`summarize` gives P10/P50/P90.
    """
    if not (np.isfinite(pv_kwp) and pv_kwp >= 0):
        raise_if([Problem("pv_kwp", f"must be a finite size >= 0 kWp, got {pv_kwp!r}")])
    day_map, scale = draw_samples(source, n_samples, block_days=block_days, season_window_weeks=season_window_weeks,
                                  load_sigma_frac=load_sigma_frac, seed=seed)
    band = self_consumption(source.base_load_kw.size) if strategy is None else strategy
    sizes = np.array([[pv_kwp, battery.energy_kwh, battery.power_kw]], dtype=float)
    values = run_ensemble(source, day_map, scale, sizes, battery, tariff, band, step_h=step_h,
                          export_limit_kw=export_limit_kw, ft_change_thb_per_kwh=ft_change_thb_per_kwh)
    return metrics_dataset(values[:, 0, :], ("sample",), {"sample": np.arange(n_samples)})


def summarize(results: xr.Dataset, levels=P_LEVELS) -> xr.Dataset:
    """Quantiles over ``sample`` (P10, P50, P90 by default), plus the mean, keeping units."""
    quantiles = results.quantile(list(levels), dim="sample", keep_attrs=True)
    mean = results.mean("sample", keep_attrs=True).expand_dims(quantile=["mean"])
    labelled = quantiles.assign_coords(quantile=[f"P{round(100 * q)}" for q in levels])
    return xr.concat([labelled, mean], dim="quantile")
