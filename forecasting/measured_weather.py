"""Weather measured at a PV site (GHI, temperature) for calibrating the PV model to its meter.

Unlike a weather file for planning (:func:`munigrid.forecasting.weather.read_weather`, which
must cover every step), a site's logger has gaps: they stay missing here, and the steps
without irradiance are left out of the calibration. GHI is split into DNI and DHI by the Erbs
model. Temperature comes from the same file or a second one (loggers often export each
sensor alone); its gaps up to 2 h are interpolated, longer ones take
:data:`DEFAULT_TEMP_C` (noted). Wind is taken as :data:`DEFAULT_WIND_M_PER_S`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.forecasting.tables import find_column, read_timeseries_csv, regular_grid
from munigrid.forecasting.weather.files import decompose_ghi
from munigrid.forecasting.weather.synthetic import WEATHER_COLUMNS
from munigrid.models.errors import InputError

GHI_ALIASES = ("ghi", "ghi_w_per_m2", "irradiance", "global_horizontal")
TEMP_ALIASES = ("temp_air_c", "temp_air", "temperature", "temp", "t_air", "t2m")
DEFAULT_TEMP_C, DEFAULT_WIND_M_PER_S = 30.0, 1.0
MAX_INTERP_H = 2.0


def _column(path: Path, aliases: tuple[str, ...], what: str, tz: str | None, required: bool = True) -> pd.Series | None:
    frame, _ = regular_grid(read_timeseries_csv(path, tz=tz), path.name)
    col = find_column(frame, aliases, path.name, what, required=required)
    if col is None:
        return None
    values = pd.to_numeric(frame[col], errors="coerce")
    unread = values.isna() & frame[col].notna()
    if unread.any():
        raise InputError(f"{int(unread.sum())} values are not numbers (first {frame[col][unread].iloc[0]!r}); use "
                         "plain numbers, or leave the cell empty when missing", f"{path.name}: column {col!r}")
    return values.astype(float)


def read_measured_weather(path: str | Path, latitude_deg: float, longitude_deg: float, tz: str | None = None,
                          temperature_path: str | Path | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Site weather with gaps left missing (module docstring).

    Returns
    -------
    (pandas.DataFrame, list of str)
        The munigrid weather columns (all NaN on steps without GHI) and notes.

    Raises
    ------
    InputError
        No GHI column, values that are not numbers, irradiance outside -5..1,500 W/m2.
    """
    path = Path(path)
    ghi = _column(path, GHI_ALIASES, "GHI [W/m2]", tz)
    bad = (ghi < -5) | (ghi > 1500)
    if bad.any():
        raise InputError(f"{int(bad.sum())} irradiance values outside 0-1,500 W/m2 (first at {ghi.index[bad][0]}); "
                         "is the unit W/m2?", f"{path.name}: GHI column")
    temp_file = Path(temperature_path) if temperature_path is not None else path
    temp = _column(temp_file, TEMP_ALIASES, "temperature [degC]", tz, required=temperature_path is not None)
    notes = []
    step = ghi.index[1] - ghi.index[0]
    if temp is None:
        temp = pd.Series(DEFAULT_TEMP_C, index=ghi.index)
        notes.append(f"no temperature column: {DEFAULT_TEMP_C:g} degC assumed")
    else:
        temp = temp.reindex(ghi.index).interpolate(limit=int(pd.Timedelta(hours=MAX_INTERP_H) / step),
                                                   limit_area="inside")
        if temp.isna().any():
            notes.append(f"{int(temp.isna().sum())} temperature steps in gaps over {MAX_INTERP_H:g} h: "
                         f"{DEFAULT_TEMP_C:g} degC assumed")
            temp = temp.fillna(DEFAULT_TEMP_C)
    missing = ghi.isna()
    if missing.any():
        notes.append(f"{int(missing.sum())} of {len(ghi)} steps without irradiance: left out of the calibration")
    clean = ghi.clip(lower=0.0).fillna(0.0)
    weather = decompose_ghi(clean, latitude_deg, longitude_deg).assign(
        ghi_w_per_m2=clean.to_numpy(), temp_air_c=temp.to_numpy(), wind_speed_m_per_s=DEFAULT_WIND_M_PER_S)
    weather = weather[list(WEATHER_COLUMNS)]
    weather.loc[missing.to_numpy()] = np.nan
    notes.append("DNI/DHI split from GHI with the Erbs model")
    return weather, notes
