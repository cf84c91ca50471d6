"""Sun position and clear sky at interval midpoints.

munigrid labels each interval by its beginning, so a value labelled 12:00 on an hourly grid
is the mean over 12:00-13:00. The sun is evaluated at the midpoint of the interval
(12:30), which is the one point whose instantaneous geometry best represents the mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

from munigrid.models.errors import InputError


def interval_midpoints(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Midpoints of the intervals labelled by ``index`` (beginning labels, fixed step)."""
    if index.tz is None:
        raise InputError("time stamps must be tz-aware (e.g. Asia/Bangkok)", "index")
    if len(index) < 2:
        raise InputError("need at least two time stamps to know the step", "index")
    step = index[1] - index[0]
    return index + step / 2


def solar_geometry(index: pd.DatetimeIndex, latitude_deg: float, longitude_deg: float,
                   altitude_m: float = 0.0) -> pd.DataFrame:
    """Sun position and extraterrestrial irradiance at the midpoint of each interval.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Interval-beginning labels, tz-aware, fixed step.
    latitude_deg, longitude_deg : float
        Site [deg north, deg east].
    altitude_m : float
        Site altitude [m].

    Returns
    -------
    pandas.DataFrame
        Indexed like ``index`` with ``apparent_zenith``, ``zenith``, ``azimuth`` [deg],
        ``dni_extra_w_per_m2`` and ``ghi_extra_w_per_m2`` [W/m2], where
        :math:`G_{0,h} = G_{0} \\max(\\cos\\theta_z, 0)`.
    """
    mid = interval_midpoints(index)
    pos = pvlib.solarposition.get_solarposition(mid, latitude_deg, longitude_deg, altitude=altitude_m)
    dni_extra = np.asarray(pvlib.irradiance.get_extra_radiation(mid), dtype=float)
    cos_zen = np.cos(np.radians(pos["zenith"].to_numpy()))
    return pd.DataFrame({
        "apparent_zenith": pos["apparent_zenith"].to_numpy(),
        "zenith": pos["zenith"].to_numpy(),
        "azimuth": pos["azimuth"].to_numpy(),
        "dni_extra_w_per_m2": dni_extra,
        "ghi_extra_w_per_m2": dni_extra * np.clip(cos_zen, 0.0, None),
    }, index=index)


def clear_sky(index: pd.DatetimeIndex, latitude_deg: float, longitude_deg: float,
              altitude_m: float = 0.0, geometry: pd.DataFrame | None = None) -> pd.DataFrame:
    """Ineichen-Perez clear sky with pvlib's bundled monthly Linke turbidity (offline).

    Returns
    -------
    pandas.DataFrame
        ``ghi_w_per_m2``, ``dni_w_per_m2``, ``dhi_w_per_m2`` [W/m2] indexed like ``index``.
    """
    geo = solar_geometry(index, latitude_deg, longitude_deg, altitude_m) if geometry is None else geometry
    mid = interval_midpoints(index)
    linke = pvlib.clearsky.lookup_linke_turbidity(mid, latitude_deg, longitude_deg)
    airmass_rel = pvlib.atmosphere.get_relative_airmass(geo["apparent_zenith"].to_numpy())
    pressure_pa = pvlib.atmosphere.alt2pres(altitude_m)
    airmass_abs = pvlib.atmosphere.get_absolute_airmass(airmass_rel, pressure_pa)
    with np.errstate(divide="ignore", invalid="ignore"):  # night rows: airmass is NaN, set to 0 below
        cs = pvlib.clearsky.ineichen(geo["apparent_zenith"].to_numpy(), airmass_abs, linke.to_numpy(),
                                     altitude=altitude_m, dni_extra=geo["dni_extra_w_per_m2"].to_numpy())
    return pd.DataFrame({
        "ghi_w_per_m2": np.nan_to_num(np.asarray(cs["ghi"], dtype=float)),
        "dni_w_per_m2": np.nan_to_num(np.asarray(cs["dni"], dtype=float)),
        "dhi_w_per_m2": np.nan_to_num(np.asarray(cs["dhi"], dtype=float)),
    }, index=index)
