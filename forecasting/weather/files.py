"""Weather files a user has: EPW, TMY3, TMY2, PVGIS TMY (via pvlib.iotools) and measured CSV.

All are returned with :data:`~munigrid.forecasting.weather.WEATHER_COLUMNS` on an Asia/Bangkok
interval-beginning index. Label conventions of the sources, as read by pvlib:

* EPW and TMY2 rows are hour-ending in the file; pvlib already labels them by the hour's
  beginning (hour - 1).
* TMY3 rows are labelled by the hour's end; they are moved back one step here.
* PVGIS TMY rows are taken as labelled by the hour's beginning (UTC), an assumption.
* Typical-year files mix source years; all rows are put in one year (``year``, default the
  first row's year).

A measured CSV needs a GHI column (matched by exact name first: PSM3's ``ghi_clear`` is never
GHI); DNI and DHI are split from GHI with the Erbs model when absent. Temperature is read in
the unit its name states (°C, °F, K; :mod:`~munigrid.forecasting.temperature`); missing
temperature defaults to 28 degC and wind to 1 m/s. Steps of 1-60 min. Gaps up to 2 h are
interpolated, longer ones take the same time of a neighbouring day (:func:`fill_weather_gaps`);
each gap is reported with its dates, more than 20 % missing is refused. The column used for
each quantity, the columns not used and any timing offset against the sun are in the notes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

from munigrid.forecasting.meter_quality import FILE_STEPS_MIN, describe_gaps
from munigrid.forecasting.solar import clear_sky, solar_geometry
from munigrid.forecasting.tables import fill_gaps, find_column, read_timeseries_csv, regular_grid
from munigrid.forecasting.temperature import NOT_TEMP, TEMP_ALIASES, temperature_c
from munigrid.forecasting.weather.synthetic import WEATHER_COLUMNS
from munigrid.models.errors import InputError, Problem, quote
from munigrid.models.timegrid import TZ

DEFAULT_TEMP_C = 28.0  # assumption for a Thai site when a file has no temperature [degC]
DEFAULT_WIND_M_PER_S = 1.0  # assumption when a file has no wind [m/s]; PVWatts uses 1 m/s likewise
MAX_INTERP_H = 2.0
CSV_FORMAT = ("a CSV with a header line, a time column (ISO 8601 with offset, e.g. 2026-01-01T00:00+07:00) "
              "and ghi_w_per_m2 [W/m2] (optionally dni_w_per_m2, dhi_w_per_m2, temp_air_c, wind_speed_m_per_s)")
FORMATS = {"epw": "an EnergyPlus EPW file (8 header lines, then 35 comma-separated fields per hour)",
           "tmy3": "a TMY3 CSV (site header line, column names, then hourly rows)",
           "tmy2": "a TMY2 file (.tm2, fixed-width hourly records)",
           "pvgis": "a PVGIS TMY file (CSV or JSON as downloaded from PVGIS)",
           "csv": CSV_FORMAT}


def _tidy(frame: pd.DataFrame, mapping: dict[str, str], year: int | None, shift_h: float = 0.0) -> pd.DataFrame:
    out = pd.DataFrame({new: frame[old].to_numpy(dtype=float) for old, new in mapping.items()}, index=frame.index)
    index = out.index - pd.Timedelta(hours=shift_h)
    target_year = index[0].year if year is None else year
    if (index.year != target_year).any() or year is not None:
        index = pd.DatetimeIndex([t.replace(year=target_year) for t in index])
    out.index = index.tz_convert(TZ).rename("time")
    out = out.sort_index()
    return out[list(WEATHER_COLUMNS)]


def _read_epw(path: Path, year):
    data, meta = pvlib.iotools.read_epw(str(path))
    names = {"ghi": "ghi_w_per_m2", "dni": "dni_w_per_m2", "dhi": "dhi_w_per_m2",
             "temp_air": "temp_air_c", "wind_speed": "wind_speed_m_per_s"}
    return _tidy(data, names, year), meta


def _read_tmy3(path: Path, year):
    data, meta = pvlib.iotools.read_tmy3(str(path), map_variables=True)
    names = {"ghi": "ghi_w_per_m2", "dni": "dni_w_per_m2", "dhi": "dhi_w_per_m2",
             "temp_air": "temp_air_c", "wind_speed": "wind_speed_m_per_s"}
    return _tidy(data, names, year, shift_h=1.0), meta


def _read_tmy2(path: Path, year):
    data, meta = pvlib.iotools.read_tmy2(str(path))
    data = data.assign(DryBulb=data["DryBulb"] / 10.0, Wspd=data["Wspd"] / 10.0)  # file units: 0.1 degC, 0.1 m/s
    names = {"GHI": "ghi_w_per_m2", "DNI": "dni_w_per_m2", "DHI": "dhi_w_per_m2",
             "DryBulb": "temp_air_c", "Wspd": "wind_speed_m_per_s"}
    return _tidy(data, names, year), meta


def _read_pvgis(path: Path, year):
    data, meta = pvlib.iotools.read_pvgis_tmy(str(path), map_variables=True)[:2]
    names = {"ghi": "ghi_w_per_m2", "dni": "dni_w_per_m2", "dhi": "dhi_w_per_m2",
             "temp_air": "temp_air_c", "wind_speed": "wind_speed_m_per_s"}
    location = meta.get("location", meta) if isinstance(meta, dict) else {}
    return _tidy(data, names, year), {"latitude": location.get("latitude"), "longitude": location.get("longitude"),
                                      "altitude": location.get("elevation")}


def _sniff(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".epw":
        return "epw"
    if suffix == ".tm2":
        return "tmy2"
    if suffix == ".json":
        return "pvgis"
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        head = [fh.readline() for _ in range(3)]
    if head[1].startswith("Date (MM/DD/YYYY)"):
        return "tmy3"
    if head[0].lower().startswith("latitude") or "pvgis" in " ".join(head).lower():
        return "pvgis"
    return "csv"


READERS = {"epw": _read_epw, "tmy3": _read_tmy3, "tmy2": _read_tmy2, "pvgis": _read_pvgis}


def decompose_ghi(ghi_w_per_m2: pd.Series, latitude_deg: float, longitude_deg: float,
                  altitude_m: float = 0.0) -> pd.DataFrame:
    r"""Split GHI into DNI and DHI with the Erbs diffuse-fraction model.

    :math:`G_h = B_n \cos\theta_z + D_h`, with the diffuse fraction :math:`D_h/G_h` a
    piecewise polynomial of the clearness index :math:`k_t = G_h / G_{0,h}` (Erbs et al. 1982).
    Sun position at interval midpoints [W/m2 in and out].
    """
    geo = solar_geometry(ghi_w_per_m2.index, latitude_deg, longitude_deg, altitude_m)
    split = pvlib.irradiance.erbs(ghi_w_per_m2.to_numpy(), geo["zenith"].to_numpy(),
                                  ghi_w_per_m2.index.day_of_year.to_numpy())
    return pd.DataFrame({"dni_w_per_m2": np.nan_to_num(np.asarray(split["dni"], dtype=float)),
                         "dhi_w_per_m2": np.nan_to_num(np.asarray(split["dhi"], dtype=float))},
                        index=ghi_w_per_m2.index)


def timing_offset_h(ghi_w_per_m2: pd.Series, latitude_deg: float, longitude_deg: float) -> float:
    """Lag of measured irradiance against clear sky that maximises their correlation [h].

    Positive means the file's labels are late (e.g. interval-ending labels give about +step/2...+step,
    UTC stamps read as local give -7 h). Searched over -12 h..+12 h in file steps.
    """
    index = ghi_w_per_m2.index
    step_h = (index[1] - index[0]).total_seconds() / 3600.0
    cs = clear_sky(index, latitude_deg, longitude_deg)["ghi_w_per_m2"].to_numpy()
    measured = np.nan_to_num(ghi_w_per_m2.to_numpy(dtype=float))
    max_lag = int(round(12 / step_h))
    best_lag, best_corr = 0, -np.inf
    for lag in range(-max_lag, max_lag + 1):
        a = measured[max(lag, 0): len(measured) + min(lag, 0)]
        b = cs[max(-lag, 0): len(cs) + min(-lag, 0)]
        corr = float(np.dot(a - a.mean(), b - b.mean()))
        if corr > best_corr:
            best_lag, best_corr = lag, corr
    return best_lag * step_h


GHI_ALIASES = ("ghi", "ghi_w_per_m2", "irradiance", "global_horizontal", "g(h)")
DNI_ALIASES = ("dni", "dni_w_per_m2")
DHI_ALIASES = ("dhi", "dhi_w_per_m2")
WIND_ALIASES = ("wind_speed", "wind", "ws10m")
#: Words of columns that are not the measured quantity: pvlib's PSM3 ``ghi_clear``, clear-sky
#: or top-of-atmosphere values, plane-of-array irradiance.
NOT_MEASURED = ("clear", "clearsky", "_cs", "cs_", "extra", "toa", "poa")
MAX_MISSING_FRAC = 0.2


def _irradiance(frame: pd.DataFrame, col: str, where: str) -> tuple[pd.Series, list[Problem]]:
    """A column of irradiance [W/m2], unreadable cells and values outside -5..1,500 W/m2 as problems."""
    values = pd.to_numeric(frame[col], errors="coerce")
    text = frame[col].astype(str).str.strip()
    problems = []
    unreadable = values.isna() & frame[col].notna() & (text != "") & (text.str.lower() != "nan")
    if unreadable.any():
        first = values.index.get_loc(values.index[unreadable][0]) + 2
        problems.append(Problem(f"{where}: line {first}, column {col!r}",
                                f"{int(unreadable.sum())} values are not numbers (first {quote(text[unreadable].iloc[0], 30)}); "
                                f"expected {CSV_FORMAT}"))
    bad = (values < -5) | (values > 1500)
    if bad.any():
        rows = ", ".join(str(values.index.get_loc(t) + 2) for t in values.index[bad][:6])
        problems.append(Problem(f"{where}: column {col!r}", f"{int(bad.sum())} irradiance values outside "
                                f"0-1,500 W/m2 (rows {rows}); is the unit W/m2?"))
    return values.clip(lower=0.0), problems


def fill_weather_gaps(series: pd.Series, step_min: int, where: str) -> tuple[pd.Series, list[str]]:
    """Fill a weather column's gaps: up to :data:`MAX_INTERP_H` linearly, longer ones from the same
    time of the neighbouring days (the day before, else after, else two days away).

    Returns the series and a note with the gaps' dates; refused when more than
    :data:`MAX_MISSING_FRAC` is missing or a gap spans more than four days.
    """
    missing = series.isna()
    if not missing.any():
        return series, []
    steps_per_day = 24 * 60 // step_min
    filled, report = fill_gaps(series, int(MAX_INTERP_H * 60 / step_min), seasonal_steps=steps_per_day)
    gaps = describe_gaps(missing, step_min)
    if report.n_missing > MAX_MISSING_FRAC * report.n_total or report.n_left_missing:
        raise InputError(f"{gaps}: too much missing to fill ({report.n_missing / report.n_total:.0%}; at most "
                         f"{MAX_MISSING_FRAC:.0%}, no gap over 4 days); give a more complete file", where)
    return filled, [f"{where}: {gaps}; filled: {report.n_interpolated} interpolated (gaps up to "
                    f"{MAX_INTERP_H:g} h), {report.n_seasonal} from the same time of a neighbouring day"]


def timing_note(offset_h: float, step_min: int, where: str) -> str | None:
    """What a timing offset of measured irradiance against the sun [h] (positive: late) means, or None."""
    if offset_h == 0 or abs(offset_h) * 60 < step_min / 2:
        return None
    if offset_h > 0:
        return (f"timing: irradiance peaks {offset_h:.2g} h after the sun; the stamps may label interval ends "
                "(munigrid reads them as interval beginnings): move them back one step")
    return (f"timing: irradiance peaks {-offset_h:.2g} h before the sun; the stamps look early (labels one step "
            "before the interval measured, or the wrong --tz)")


def read_weather_csv(path: str | Path, latitude_deg: float, longitude_deg: float, tz: str | None = None,
                     altitude_m: float = 0.0) -> tuple[pd.DataFrame, list[str]]:
    """Read a measured-weather CSV (GHI at least) and complete it to the weather columns.

    Columns are matched by exact name first (``ghi`` before ``ghi_clear``: clear-sky, top-of-
    atmosphere and plane-of-array columns are never taken for a measured quantity); the column
    used for each quantity, and every column not used, is noted. Steps of 1-60 min; gaps are
    filled by :func:`fill_weather_gaps` and reported with their dates.

    Returns
    -------
    (pandas.DataFrame, list of str)
        The weather frame and notes on what was read, filled or assumed.

    Raises
    ------
    InputError
        Missing GHI column, negative or absurd irradiance (> 1,500 W/m2), too many gaps,
        an implausible temperature column, timestamps shifted by an hour or more against the sun.
    """
    path = Path(path)
    where = path.name
    try:
        frame = read_timeseries_csv(path, tz=tz)
    except InputError as err:
        raise InputError([Problem(p.path, f"{p.message}; expected {CSV_FORMAT}") for p in err.problems]) from None
    frame, step_min = regular_grid(frame, where, FILE_STEPS_MIN)
    ghi_col = find_column(frame, GHI_ALIASES, where, "GHI", skip=NOT_MEASURED)
    dni_col = find_column(frame, DNI_ALIASES, where, "DNI", required=False, skip=NOT_MEASURED)
    dhi_col = find_column(frame, DHI_ALIASES, where, "DHI", required=False, skip=NOT_MEASURED)
    split = not (dni_col and dhi_col)
    irradiance = {"ghi_w_per_m2": ghi_col} if split else {"ghi_w_per_m2": ghi_col, "dni_w_per_m2": dni_col,
                                                           "dhi_w_per_m2": dhi_col}
    out = pd.DataFrame(index=frame.index)
    problems: list[Problem] = []
    for name, col in irradiance.items():
        out[name], found = _irradiance(frame, col, where)
        problems += found
    if problems:
        raise InputError(problems)
    notes = [f"{name.split('_')[0].upper()} from column {col!r}" for name, col in irradiance.items()]
    for name in irradiance:
        out[name], filled = fill_weather_gaps(out[name].rename(name), step_min, f"{where}: column {irradiance[name]!r}")
        notes += filled
    offset_h = timing_offset_h(out["ghi_w_per_m2"], latitude_deg, longitude_deg)
    if abs(offset_h) >= 1.0:
        raise InputError(f"irradiance peaks {abs(offset_h):.2g} h {'after' if offset_h > 0 else 'before'} solar noon "
                         f"at ({latitude_deg}, {longitude_deg}); time stamps look shifted (UTC read as local, or "
                         "wrong --tz)", f"{where}: column 'time'")
    timing = timing_note(offset_h, step_min, where)
    if timing is not None:
        notes.append(timing)
    if split:
        out = out.join(decompose_ghi(out["ghi_w_per_m2"], latitude_deg, longitude_deg, altitude_m))
        notes.append("DNI/DHI split from GHI with the Erbs model")
    temp_col = find_column(frame, TEMP_ALIASES, where, "temperature", required=False, skip=NOT_TEMP)
    wind_col = find_column(frame, WIND_ALIASES, where, "wind", required=False)
    if temp_col is None:
        out["temp_air_c"] = DEFAULT_TEMP_C
        notes.append(f"no temperature column: assumed {DEFAULT_TEMP_C:g} degC")
    else:
        temp, temp_notes = temperature_c(pd.to_numeric(frame[temp_col], errors="coerce"), temp_col, None,
                                         f"{where}: column {temp_col!r}")
        out["temp_air_c"], filled = fill_weather_gaps(temp.rename("temp_air_c"), step_min, f"{where}: column {temp_col!r}")
        notes += temp_notes + filled
    if wind_col is None:
        out["wind_speed_m_per_s"] = DEFAULT_WIND_M_PER_S
        notes.append(f"no wind column: assumed {DEFAULT_WIND_M_PER_S:g} m/s")
    else:
        wind = pd.to_numeric(frame[wind_col], errors="coerce").rename("wind_speed_m_per_s")
        out["wind_speed_m_per_s"], filled = fill_weather_gaps(wind, step_min, f"{where}: column {wind_col!r}")
        notes += [f"wind from column {wind_col!r}"] + filled
    unused = [c for c in frame.columns if c not in (*irradiance.values(), temp_col, wind_col)]
    if unused:
        notes.append(f"columns not used: {', '.join(quote(str(c), 30) for c in unused)}")
    return out[list(WEATHER_COLUMNS)], notes


def read_weather(path: str | Path, latitude_deg: float | None = None, longitude_deg: float | None = None,
                 tz: str | None = None, year: int | None = None) -> pd.DataFrame:
    """Read a weather file into the munigrid weather columns.

    Parameters
    ----------
    path : str or Path
        EPW (``.epw``), TMY3 CSV, TMY2 (``.tm2``), PVGIS TMY (CSV or JSON) or a measured CSV
        with a time column and GHI [W/m2] (optionally DNI, DHI, temperature, wind).
    latitude_deg, longitude_deg : float, optional
        Site; required for a measured CSV (sun position for the GHI split and timing check),
        taken from the file's header otherwise.
    tz : str, optional
        Zone of naive time stamps in a measured CSV.
    year : int, optional
        Year to put a typical-year file in (default: the year of its first row).

    Returns
    -------
    pandas.DataFrame
        Columns ``ghi_w_per_m2, dni_w_per_m2, dhi_w_per_m2, temp_air_c, wind_speed_m_per_s``,
        Asia/Bangkok interval-beginning index; ``attrs`` holds ``source``, ``format``, site, the
        file's own UTC offset (``utc_offset_h``, EPW/TMY headers; None otherwise) and notes.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"file not found: {path}", "weather")
    try:
        kind = _sniff(path)
    except (OSError, IndexError):
        raise InputError(f"empty or unreadable file; expected {CSV_FORMAT}, or an EPW/TMY/PVGIS file",
                         path.name) from None
    if kind == "csv":
        if latitude_deg is None or longitude_deg is None:
            raise InputError("a measured weather CSV needs the site: give latitude_deg and longitude_deg "
                             "(CLI --lat/--lon)", path.name)
        weather, notes = read_weather_csv(path, latitude_deg, longitude_deg, tz=tz)
        meta = {"latitude": latitude_deg, "longitude": longitude_deg}
    else:
        try:
            weather, meta = READERS[kind](path, year)
        except (ValueError, KeyError, IndexError) as err:
            raise InputError(f"could not read as {kind.upper()} ({type(err).__name__}: {quote(str(err), 120)}); "
                             f"expected {FORMATS[kind]}", path.name) from None
        notes = []
    weather.attrs.update({"source": str(path), "format": kind, "latitude_deg": meta.get("latitude"),
                          "longitude_deg": meta.get("longitude"), "altitude_m": meta.get("altitude"),
                          "utc_offset_h": meta.get("TZ"), "notes": notes})
    return weather
