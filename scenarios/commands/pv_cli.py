"""What ``munigrid forecast pv`` shows and writes: times in the site's zone, the series named
``pv_ac_kw``, and the array options checked under their flag names.

Imported inside the command (it needs pandas).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from munigrid.models.errors import InputError, Problem
from munigrid.models.timegrid import TZ

#: Flag of each :class:`~munigrid.forecasting.pv.PVArraySpec` field the command sets.
FLAGS = {"capacity_kwp": "--kwp", "tilt_deg": "--tilt", "azimuth_deg": "--azimuth", "losses_frac": "--losses",
         "dc_ac_ratio": "--dc-ac", "inverter_ac_kw": "--inverter-kw", "gamma_per_c": "--temp-coeff",
         "temperature_model": "--mounting"}
MAX_ALTITUDE_M = 9000.0


def check_array(spec, altitude_m: float) -> None:
    """Refuse invalid array options and altitude, naming the flags."""
    problems = [Problem(FLAGS.get(p.path.split(".")[-1], p.path), p.message) for p in spec.problems("pv")]
    if not -500.0 <= altitude_m <= MAX_ALTITUDE_M:
        problems.append(Problem("--altitude", f"must be between -500 and {MAX_ALTITUDE_M:,.0f} m, got {altitude_m:g}"))
    if problems:
        raise InputError(problems)


def site_zone(tz: str | None, weather: pd.DataFrame) -> tuple[dt.tzinfo | str, str]:
    """Zone to show times in and how it was chosen: ``--tz``, else the weather file's UTC offset
    (EPW/TMY headers), else Asia/Bangkok."""
    if tz is not None:
        return tz, f"times in {tz} (--tz)"
    offset_h = weather.attrs.get("utc_offset_h")
    if offset_h is not None:
        zone = dt.timezone(dt.timedelta(hours=float(offset_h)))
        return zone, f"times in UTC{float(offset_h):+g} h (the weather file's zone; --tz NAME to change)"
    return TZ, f"times in {TZ} (--tz NAME for a site elsewhere)"


def write_pv(ac_kw: pd.Series, out: Path | None) -> None:
    """Write the AC output [kW] as CSV (``time,pv_ac_kw``) or netCDF (variable ``pv_ac_kw`` over
    ``time``, local time of its zone with the zone in ``attrs["time_zone"]``)."""
    if out is None:
        return
    series = ac_kw.rename("pv_ac_kw").rename_axis("time")
    if out.suffix == ".nc":
        import xarray as xr
        local = series.index.tz_localize(None)
        ds = xr.Dataset({"pv_ac_kw": ("time", series.to_numpy(dtype=float), {"units": "kW",
                                                                            "description": "PV AC output, interval mean"})},
                        coords={"time": local})
        ds.attrs.update({"time_zone": str(series.index.tz), "time_label": "interval beginning"})
        ds.to_netcdf(out, engine="h5netcdf")
    else:
        series.to_frame().to_csv(out)
