"""Weather forecast files: forecast temperature and irradiance for the next days.

Used instead of yesterday's temperature by the load forecast and as the PV chain's weather
by the PV forecast (``munigrid schedule --weather-forecast``, ``munigrid forecast load
--weather-forecast``, the EMS's ``planning.weather_forecast``). A CSV (what forecast
services export) needs a time column, air temperature [degC] (``temp_air_c``,
``temperature``, ``temp``, ``t2m``) and, for PV, GHI [W/m2] (``ghi``, ``irradiance``;
optionally ``dni`` and ``dhi``, else the Erbs split); wind is optional. Gaps up to 2 h are
interpolated; longer ones are refused (a forecast with holes is not a forecast). EPW, TMY
and PVGIS files are read by :func:`munigrid.forecasting.weather.read_weather`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.forecasting.tables import find_column, read_timeseries_csv, regular_grid
from munigrid.forecasting.temperature import VALID_C
from munigrid.forecasting.weather import read_weather
from munigrid.forecasting.weather.files import decompose_ghi
from munigrid.forecasting.weather.synthetic import WEATHER_COLUMNS
from munigrid.models.errors import InputError, Problem

TEMP_ALIASES = ("temp_air_c", "temp_air", "temperature", "temp", "t2m", "t_air")
GHI_ALIASES = ("ghi_w_per_m2", "ghi", "irradiance", "global_horizontal")
WIND_ALIASES = ("wind_speed_m_per_s", "wind_speed", "wind", "ws10m")
#: Plausible ranges: irradiance [W/m2], wind [m/s] (air temperature: the meter reader's ``VALID_C``).
GHI_RANGE_W_PER_M2, WIND_RANGE_M_PER_S = (-5.0, 1500.0), (0.0, 60.0)
DEFAULT_WIND_M_PER_S = 1.0
MAX_INTERP_H = 2.0
FIX = "expected a CSV with time, temp_air_c [degC] and ghi [W/m2] columns"


def _numbers(frame: pd.DataFrame, col: str, bounds: tuple[float, float], unit: str, where: str,
             max_steps: int) -> tuple[pd.Series, list[Problem]]:
    """A column as numbers, short gaps interpolated; problems name the column and the first bad time."""
    values = pd.to_numeric(frame[col], errors="coerce")
    problems = []
    unread = values.isna() & frame[col].notna()
    if unread.any():
        problems.append(Problem(f"{where}: column {col!r}", f"{int(unread.sum())} values are not numbers (first "
                                f"{frame[col][unread].iloc[0]!r} at {values.index[unread][0]}); {FIX}"))
    outside = (values < bounds[0]) | (values > bounds[1])
    if outside.any():
        problems.append(Problem(f"{where}: column {col!r}", f"{int(outside.sum())} values outside {bounds[0]:g}.."
                                f"{bounds[1]:g} {unit} (first {values[outside].iloc[0]:g} at "
                                f"{values.index[outside][0]}); is the unit {unit}?"))
    filled = values.interpolate(limit=max_steps, limit_area="inside")
    if filled.isna().any() and not problems:
        problems.append(Problem(f"{where}: column {col!r}", f"{int(filled.isna().sum())} values missing in gaps over "
                                f"{MAX_INTERP_H:g} h (first at {filled.index[filled.isna()][0]}); give a complete "
                                "forecast"))
    return filled, problems


def read_weather_forecast(path: str | Path, latitude_deg: float | None = None, longitude_deg: float | None = None,
                          tz: str | None = "Asia/Bangkok") -> pd.DataFrame:
    """Read a weather forecast file (module docstring).

    Parameters
    ----------
    path : str or Path
        CSV (or EPW/TMY/PVGIS) forecast.
    latitude_deg, longitude_deg : float, optional
        Site, for the GHI split; without them only temperature is read (a load forecast).
    tz : str, optional
        Zone of time stamps without a UTC offset.

    Returns
    -------
    pandas.DataFrame
        The weather columns (only ``temp_air_c`` without a site), interval-beginning index.

    Raises
    ------
    InputError
        Naming the file and column: no temperature or GHI column, values that are not numbers
        or outside plausible ranges, gaps over 2 h.
    """
    path = Path(path)
    if path.suffix.lower() != ".csv" and latitude_deg is not None:
        return read_weather(path, latitude_deg, longitude_deg, tz=tz)
    where = path.name
    frame, step_min = regular_grid(read_timeseries_csv(path, tz=tz), where, allowed_steps_min=(15, 30, 60))
    max_steps = int(MAX_INTERP_H * 60 / step_min)
    temp_col = find_column(frame, TEMP_ALIASES, where, "air temperature [degC]")
    temp, problems = _numbers(frame, temp_col, VALID_C, "degC", where, max_steps)
    if latitude_deg is None:
        if problems:
            raise InputError(problems)
        return pd.DataFrame({"temp_air_c": temp})
    ghi_col = find_column(frame, GHI_ALIASES, where, "GHI [W/m2]")
    ghi, more = _numbers(frame, ghi_col, GHI_RANGE_W_PER_M2, "W/m2", where, max_steps)
    problems += more
    wind_col = find_column(frame, WIND_ALIASES, where, "wind", required=False)
    wind = pd.Series(DEFAULT_WIND_M_PER_S, index=frame.index)
    if wind_col is not None:
        wind, more = _numbers(frame, wind_col, WIND_RANGE_M_PER_S, "m/s", where, max_steps)
        problems += more
    if problems:
        raise InputError(problems)
    ghi = ghi.clip(lower=0.0)
    dni_col = find_column(frame, ("dni_w_per_m2", "dni"), where, "DNI", required=False)
    dhi_col = find_column(frame, ("dhi_w_per_m2", "dhi"), where, "DHI", required=False)
    if dni_col is not None and dhi_col is not None:
        split = pd.DataFrame({"dni_w_per_m2": pd.to_numeric(frame[dni_col], errors="coerce"),
                              "dhi_w_per_m2": pd.to_numeric(frame[dhi_col], errors="coerce")}).interpolate(
            limit=max_steps).fillna(0.0).clip(lower=0.0)
    else:
        split = decompose_ghi(ghi, latitude_deg, longitude_deg)
    out = split.assign(ghi_w_per_m2=ghi.to_numpy(), temp_air_c=temp.to_numpy(),
                       wind_speed_m_per_s=np.asarray(wind, dtype=float))
    out = out[list(WEATHER_COLUMNS)]
    out.attrs.update({"source": str(path), "format": "forecast csv", "notes": []})
    return out


def forecast_temperature(path: str | Path, index: pd.DatetimeIndex, tz: str | None = "Asia/Bangkok") -> pd.Series:
    """Forecast air temperature [degC] on ``index`` (averaged when the file is finer, interpolated when coarser).

    Raises
    ------
    InputError
        The file's problems (:func:`read_weather_forecast`), or steps of ``index`` it does not cover.
    """
    temp = read_weather_forecast(path, tz=tz)["temp_air_c"]
    step = index[1] - index[0] if len(index) > 1 else pd.Timedelta(hours=1)
    file_step = temp.index[1] - temp.index[0]
    on_grid = (temp.resample(step).mean() if file_step < step else
               temp.reindex(temp.index.union(index)).interpolate(method="time", limit_area="inside")).reindex(index)
    if on_grid.isna().any():
        first = index[np.argmax(on_grid.isna().to_numpy())]
        raise InputError(f"covers {temp.index[0]} to {temp.index[-1]}: {int(on_grid.isna().sum())} steps of the "
                         f"forecast period are missing (first {first}); give a forecast from {index[0]} to "
                         f"{index[-1]}", f"{Path(path).name}: column 'temp_air_c'")
    return on_grid.rename("temp_air_c")
