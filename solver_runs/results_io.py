"""Results on disk: xarray Datasets as netCDF, with the time zone kept in attributes.

netCDF cannot hold tz-aware stamps, so times are written as naive Asia/Bangkok local time
with ``attrs["timezone"]`` and restored on read (the one place this happens for the store).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import xarray as xr

from munigrid.models.timegrid import TZ, from_naive_local, to_naive_local

ENGINE = "h5netcdf"


def _naive(ds: xr.Dataset) -> xr.Dataset:
    out = ds.copy()
    for name in ds.coords:
        index = ds.indexes.get(name)
        if isinstance(index, pd.DatetimeIndex) and index.tz is not None:
            out = out.assign_coords({name: to_naive_local(index)})
            out[name].attrs["timezone"] = TZ
            out[name].attrs["label"] = "interval beginning"
    return out


def _aware(ds: xr.Dataset) -> xr.Dataset:
    for name in ds.coords:
        if ds[name].attrs.get("timezone") == TZ:
            attrs = dict(ds[name].attrs)
            ds = ds.assign_coords({name: from_naive_local(ds[name].values)})
            ds[name].attrs.update(attrs)
    return ds


def write_results(ds: xr.Dataset, path: Path) -> None:
    """Write ``ds`` to netCDF (tz-aware time coordinates made naive local) and fsync it."""
    _naive(ds).to_netcdf(path, engine=ENGINE)
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def read_results(path: Path) -> xr.Dataset:
    """Read a results file into memory with its time zone restored."""
    with xr.open_dataset(path, engine=ENGINE) as ds:
        return _aware(ds.load())
