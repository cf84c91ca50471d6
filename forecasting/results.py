"""Forecasts as an xarray Dataset: dims time x building x quantile, units in attrs.

Time is stored as naive Asia/Bangkok local time with the zone in ``attrs["time_zone"]``
(netCDF cannot hold zones; :func:`munigrid.models.timegrid.from_naive_local` restores it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from munigrid.models.errors import InputError
from munigrid.models.timegrid import TZ, to_naive_local


def forecast_dataset(forecasts: dict[str, pd.DataFrame], variable: str = "load_kw", units: str = "kW",
                     description: str = "") -> xr.Dataset:
    """Stack per-building quantile forecasts into one Dataset.

    Parameters
    ----------
    forecasts : dict of str to pandas.DataFrame
        Building name to a frame with one column per quantile (float, e.g. 0.1, 0.5, 0.9) on a
        shared tz-aware index [``units``].
    variable, units, description : str
        Name of the data variable, its unit and a free-text description.
    """
    if not forecasts:
        raise InputError("no forecasts to store", "forecasts")
    frames = list(forecasts.values())
    index, quantiles = frames[0].index, list(frames[0].columns)
    bad = [b for b, f in forecasts.items() if not f.index.equals(index) or list(f.columns) != quantiles]
    if bad:
        raise InputError(f"buildings {bad} do not share the first building's time index and quantiles", "forecasts")
    data = np.stack([f.to_numpy(dtype=float) for f in frames], axis=1)
    ds = xr.Dataset({variable: (("time", "building", "quantile"), data, {"units": units, "description": description})},
                    coords={"time": to_naive_local(index), "building": list(forecasts), "quantile": np.asarray(quantiles, dtype=float)})
    ds["quantile"].attrs["units"] = "1"
    ds.attrs.update({"time_zone": TZ, "time_label": "interval beginning", "units": f"{variable}: {units}"})
    return ds
