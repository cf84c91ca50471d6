r"""An offline synthetic typical year of weather for any site.

Irradiance is the Ineichen clear sky (pvlib, bundled Linke turbidity) scaled by a stochastic
clear-sky index

.. math::

    k_c(t) = \min\bigl(k_{c,\max},\; k_{c,d}\,[1 + \sigma_i (1 - k_{c,d}/k_{c,\max})\,\varepsilon_t]\bigr),
    \qquad k_{c,d} = \frac{k_{c,\max}}{1 + e^{-(a_m + s z_d)}}

with :math:`z_d` a unit-variance AR(1) process over days (day-to-day persistence),
:math:`\varepsilon_t` a unit-variance AR(1) process over steps (passing clouds, damped on
clear days), and each month rescaled so that its clearness index
:math:`K_t = \sum G_h / \sum G_{0,h}` equals the stated monthly mean. DNI and DHI follow from
the Erbs decomposition. Air temperature is the monthly mean plus a diurnal cosine
(minimum near 06:00, maximum near 14:30 solar time) whose range grows on sunny days, corrected
by the lapse rate for altitude. Everything is seeded and reproducible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
from scipy.signal import lfilter

from munigrid.forecasting.solar import clear_sky, solar_geometry
from munigrid.forecasting.weather.climate import ClimateNormals, thailand_climate
from munigrid.models.errors import InputError, Problem
from munigrid.models.timegrid import ALLOWED_STEPS_MIN, make_index

WEATHER_COLUMNS = ("ghi_w_per_m2", "dni_w_per_m2", "dhi_w_per_m2", "temp_air_c", "wind_speed_m_per_s")
KC_MAX = 1.05  # clear-sky index ceiling [-]; brief cloud enhancement above the model clear sky
_TEMP_PEAK_HOUR = 14.5  # solar hour of the daily temperature maximum [h], assumption


def ar1(n: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    r"""Unit-variance AR(1) series :math:`z_k = \phi z_{k-1} + \sqrt{1-\phi^2}\,e_k` [-]."""
    shocks = rng.standard_normal(n) * np.sqrt(1.0 - phi**2)
    shocks[0] = rng.standard_normal()
    return lfilter([1.0], [1.0, -phi], shocks)


def _check_site(latitude_deg, longitude_deg, step_min) -> None:
    problems = []
    if not -90.0 <= latitude_deg <= 90.0:
        problems.append(Problem("latitude_deg", f"must be in [-90, 90], got {latitude_deg}"))
    if not -180.0 <= longitude_deg <= 180.0:
        problems.append(Problem("longitude_deg", f"must be in [-180, 180], got {longitude_deg}"))
    if step_min not in ALLOWED_STEPS_MIN:
        problems.append(Problem("step_min", f"must be one of {ALLOWED_STEPS_MIN}, got {step_min}"))
    if problems:
        raise InputError(problems)


def daily_clear_sky_index(day_month: np.ndarray, kc_target: np.ndarray, climate: ClimateNormals,
                          rng: np.random.Generator) -> np.ndarray:
    r"""Day-by-day clear-sky index before the monthly rescaling [-].

    :math:`k_{c,d} = k_{c,\max} / (1 + e^{-(a_m + s z_d)})`, with
    :math:`a_m = \mathrm{logit}(\bar k_{c,m}/k_{c,\max})` and :math:`z_d` AR(1).
    """
    frac = np.clip(kc_target[day_month - 1] / KC_MAX, 0.02, 0.98)
    a = np.log(frac / (1.0 - frac))
    z = ar1(len(day_month), climate.lag1_autocorrelation, rng)
    return KC_MAX / (1.0 + np.exp(-(a + climate.logit_sd * z)))


def _rescale_months(kc: np.ndarray, month: np.ndarray, ghi_cs: np.ndarray, ghi_extra: np.ndarray,
                    kt_target: np.ndarray) -> np.ndarray:
    """Scale each month so that sum(kc * ghi_cs) / sum(ghi_extra) equals its target Kt."""
    out = kc.copy()
    for m in np.unique(month):
        sel = month == m
        energy = np.sum(kc[sel] * ghi_cs[sel])
        if energy > 0:
            out[sel] *= kt_target[m - 1] * np.sum(ghi_extra[sel]) / energy
    return np.clip(out, 0.0, KC_MAX + 0.15)


def synthetic_year(latitude_deg: float, longitude_deg: float, year: int = 2025, step_min: int = 60,
                   seed: int = 0, altitude_m: float | None = None,
                   climate: ClimateNormals | None = None) -> pd.DataFrame:
    """A seeded synthetic typical year of weather.

    Parameters
    ----------
    latitude_deg, longitude_deg : float
        Site [deg north, deg east].
    year : int
        Calendar year of the index.
    step_min : int
        Step [min], 15 or 60.
    seed : int
        Random seed; the same seed gives the same year.
    altitude_m : float, optional
        Site altitude [m]; looked up from pvlib's bundled altitude map when omitted.
    climate : ClimateNormals, optional
        Monthly climate; defaults to the Thai lowland values in ``thailand_climate.yaml``.

    Returns
    -------
    pandas.DataFrame
        Columns ``ghi_w_per_m2``, ``dni_w_per_m2``, ``dhi_w_per_m2`` [W/m2], ``temp_air_c``
        [degC], ``wind_speed_m_per_s`` [m/s] on an Asia/Bangkok interval-beginning index;
        each value is the mean over its interval.
    """
    _check_site(latitude_deg, longitude_deg, step_min)
    climate = thailand_climate() if climate is None else climate
    if altitude_m is None:
        altitude_m = float(pvlib.location.lookup_altitude(latitude_deg, longitude_deg))
    start = pd.Timestamp(year=year, month=1, day=1)
    periods = int((pd.Timestamp(year=year + 1, month=1, day=1) - start) / pd.Timedelta(minutes=step_min))
    index = make_index(start, periods, step_min)
    rng = np.random.default_rng(seed)

    geo = solar_geometry(index, latitude_deg, longitude_deg, altitude_m)
    cs = clear_sky(index, latitude_deg, longitude_deg, altitude_m, geometry=geo)
    ghi_cs = cs["ghi_w_per_m2"].to_numpy()
    ghi_extra = geo["ghi_extra_w_per_m2"].to_numpy()
    month = index.month.to_numpy()
    day = (index.day_of_year.to_numpy() - 1)
    kt_target = np.asarray(climate.clearness_index)

    kt_clear = np.array([ghi_cs[month == m].sum() / max(ghi_extra[month == m].sum(), 1e-9) for m in range(1, 13)])
    kc_mean = np.clip(kt_target / kt_clear, 0.05, 1.0)
    day_month = pd.date_range(start, periods=day.max() + 1, freq="D").month.to_numpy()
    kc_day = daily_clear_sky_index(day_month, kc_mean, climate, rng)
    eps = ar1(len(index), climate.intraday_lag1_autocorrelation, rng)
    kc_d = kc_day[day]
    kc = kc_d * (1.0 + climate.intraday_sd_frac * (1.0 - kc_d / KC_MAX) * eps)
    kc = _rescale_months(np.clip(kc, 0.0, None), month, ghi_cs, ghi_extra, kt_target)
    ghi = kc * ghi_cs

    split = pvlib.irradiance.erbs(ghi, geo["zenith"].to_numpy(), index.day_of_year.to_numpy())
    dni = np.nan_to_num(np.asarray(split["dni"], dtype=float))
    dhi = np.nan_to_num(np.asarray(split["dhi"], dtype=float))

    solar_hour = (index.hour + index.minute / 60.0 + step_min / 120.0 + (longitude_deg - 105.0) / 15.0).to_numpy()
    sunny = kc_d / kc_mean[month - 1]
    t_mean = np.asarray(climate.temp_mean_c)[month - 1]
    t_range = np.asarray(climate.temp_range_c)[month - 1] * np.clip(sunny, 0.4, 1.4)
    lapse = climate.lapse_rate_c_per_m * (altitude_m - climate.reference_altitude_m)
    temp = t_mean + lapse + 0.5 * t_range * np.cos(2 * np.pi * (solar_hour - _TEMP_PEAK_HOUR) / 24.0)
    temp = temp + 0.5 * ar1(len(index), 0.95, rng)

    wind_mean = np.asarray(climate.wind_speed_m_per_s)[month - 1]
    wind = wind_mean * (1.0 + 0.3 * np.cos(2 * np.pi * (solar_hour - 15.0) / 24.0)) * np.exp(0.35 * ar1(len(index), 0.9, rng) - 0.06)

    return pd.DataFrame({
        "ghi_w_per_m2": ghi, "dni_w_per_m2": dni, "dhi_w_per_m2": dhi,
        "temp_air_c": temp, "wind_speed_m_per_s": np.clip(wind, 0.0, None),
    }, index=index)
