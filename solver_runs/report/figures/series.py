r"""Small reductions of run results shared by the figures.

Energy of a step is :math:`E = P\,\Delta t` (:func:`munigrid.models.timegrid.energy_kwh`);
months are calendar months in Asia/Bangkok time, labelled ``YYYY-MM``.
"""

from __future__ import annotations

import pandas as pd
import xarray as xr

from munigrid.models.timegrid import energy_kwh, step_hours


def site_kw(results: xr.Dataset, name: str) -> pd.Series:
    """Sum of variable ``name`` over buildings [kW] as a time series."""
    return results[name].sum("building").to_series()


def building_kw(results: xr.Dataset, name: str, building: str) -> pd.Series:
    """Variable ``name`` of one building [kW] as a time series."""
    return results[name].sel(building=building).to_series()


def month_keys(index: pd.DatetimeIndex) -> pd.Index:
    """``YYYY-MM`` of each time stamp (local time)."""
    return pd.Index(index.strftime("%Y-%m"), name="month")


def monthly_mwh(power_kw: pd.Series) -> pd.Series:
    r"""Energy per month [MWh]: :math:`\sum_{t \in m} P_t \Delta t / 1000`."""
    step_h = step_hours(power_kw.index)
    return (energy_kwh(power_kw, step_h) / 1000.0).groupby(month_keys(power_kw.index)).sum()


def monthly_max_kw(power_kw: pd.Series) -> pd.Series:
    """Highest step value of each month [kW]."""
    return power_kw.groupby(month_keys(power_kw.index)).max()
