r"""Archetype loads of Thai municipal buildings, with every assumption in ``archetypes.yaml``.

For the shaped kinds the load at step :math:`t` is

.. math::

    P(t) = s\, S_{k}(h_t, \text{day type}_t)\, f(t)\, \varepsilon_{d}\, \varepsilon_t

with the relative hourly shape :math:`S_k` (working day, Saturday, Sunday/holiday; for
schools working days outside term blend toward the holiday shape), a weather factor
:math:`f` (monthly factor, or :math:`1 + c\,(\max(T - T_b, 0) - \max(T_{ref} - T_b, 0))`
when a temperature series is given), seeded log-normal day and step noise, and a scale
:math:`s` chosen so that a noise-free reference year of the same step uses ``annual_kwh``
(or ``floor_area_m2`` times the kind's EUI). Street lighting is on while the sun is below
the horizon.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd
import yaml

from munigrid.forecasting.calendar import SUNDAY_OR_HOLIDAY, WORKDAY, day_type, in_school_term
from munigrid.forecasting.solar import solar_geometry
from munigrid.models.errors import InputError, Problem
from munigrid.models.timegrid import check_index, step_hours

ArchetypeKind = Literal["office", "school", "health_centre", "water_pumping", "street_lighting", "market"]
KINDS: tuple[str, ...] = ArchetypeKind.__args__
BANGKOK_LAT_DEG, BANGKOK_LON_DEG = 13.75, 100.50


@lru_cache(maxsize=1)
def archetype_data() -> dict:
    """The archetype assumptions with their sources (parsed ``archetypes.yaml``)."""
    return yaml.safe_load(resources.files("munigrid.forecasting").joinpath("archetypes.yaml").read_text())


def _shape_table(spec: dict) -> np.ndarray:
    """Shapes as an array [day type, hour] [-]."""
    return np.array([spec["workday"], spec["saturday"], spec["sunday_or_holiday"]], dtype=float)


def relative_shape(kind: str, index: pd.DatetimeIndex, latitude_deg: float, longitude_deg: float) -> np.ndarray:
    """Noise-free relative load per step before weather and scale [-]."""
    spec = archetype_data()["kinds"][kind]
    if kind == "street_lighting":
        return dark_fraction(index, latitude_deg, longitude_deg, spec["on_below_elevation_deg"])
    table = _shape_table(spec)
    dtype = day_type(index)
    shape = table[dtype, index.hour]
    if "terms" in spec:
        on_break = (dtype == WORKDAY) & ~in_school_term(index, [tuple(t) for t in spec["terms"]])
        base = table[SUNDAY_OR_HOLIDAY, index.hour]
        shape = np.where(on_break, base + spec["break_workday_factor"] * (shape - base), shape)
    return shape


def dark_fraction(index: pd.DatetimeIndex, latitude_deg: float, longitude_deg: float,
                  on_below_elevation_deg: float) -> np.ndarray:
    """Share of each interval with the sun below ``on_below_elevation_deg`` [-] (15-min sub-steps)."""
    step = index[1] - index[0]
    n_sub = max(int(step / pd.Timedelta(minutes=15)), 1)
    sub = pd.date_range(index[0], periods=len(index) * n_sub, freq=step / n_sub)
    zenith = solar_geometry(sub, latitude_deg, longitude_deg)["apparent_zenith"].to_numpy()
    dark = (90.0 - zenith) < on_below_elevation_deg
    return dark.reshape(len(index), n_sub).mean(axis=1)


def weather_factor(kind: str, index: pd.DatetimeIndex, temperature_c: np.ndarray | None) -> np.ndarray:
    r"""Monthly factor, or :math:`1 + c\,(\max(T-T_b,0) - \max(T_{ref}-T_b,0))` with temperature [-]."""
    spec = archetype_data()["kinds"][kind]
    common = archetype_data()["common"]
    if temperature_c is None:
        monthly = spec.get("monthly_factor")
        return np.ones(len(index)) if monthly is None else np.asarray(monthly, dtype=float)[index.month - 1]
    base = common["cooling_base_temp_c"]
    excess = np.maximum(temperature_c - base, 0.0) - max(common["temperature_reference_c"] - base, 0.0)
    return np.clip(1.0 + spec["cooling_frac_per_c"] * excess, 0.3, None)


def _annual_kwh(kind: str, annual_kwh: float | None, floor_area_m2: float | None) -> float:
    spec = archetype_data()["kinds"][kind]
    if annual_kwh is not None:
        return float(annual_kwh)
    if floor_area_m2 is not None:
        return float(floor_area_m2) * spec["eui_kwh_per_m2_year"]
    return float(spec["default_annual_kwh"])


def _check(kind, annual_kwh, floor_area_m2, temperature_c, n) -> list[Problem]:
    problems = []
    if kind not in KINDS:
        problems.append(Problem("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}"))
        return problems
    if annual_kwh is not None and not annual_kwh > 0:
        problems.append(Problem("annual_kwh", f"must be > 0 kWh, got {annual_kwh}"))
    if floor_area_m2 is not None:
        if not floor_area_m2 > 0:
            problems.append(Problem("floor_area_m2", f"must be > 0 m2, got {floor_area_m2}"))
        elif annual_kwh is None and archetype_data()["kinds"][kind]["eui_kwh_per_m2_year"] is None:
            problems.append(Problem("floor_area_m2", f"{kind} has no energy per floor area; give annual_kwh instead"))
    if temperature_c is not None and len(temperature_c) != n:
        problems.append(Problem("temperature_c", f"needs one value per step ({n}), got {len(temperature_c)}"))
    return problems


def archetype_load_kw(kind: ArchetypeKind, index: pd.DatetimeIndex, annual_kwh: float | None = None,
                      floor_area_m2: float | None = None, seed: int = 0,
                      temperature_c: pd.Series | np.ndarray | None = None,
                      latitude_deg: float = BANGKOK_LAT_DEG, longitude_deg: float = BANGKOK_LON_DEG) -> pd.Series:
    """Load of a Thai municipal building archetype [kW, mean over each step].

    Parameters
    ----------
    kind : {"office", "school", "health_centre", "water_pumping", "street_lighting", "market"}
        Building type; shapes and assumptions in ``archetypes.yaml``.
    index : pandas.DatetimeIndex
        Asia/Bangkok interval-beginning grid (15 or 60 min).
    annual_kwh : float, optional
        Energy of a full noise-free year [kWh/year]; takes precedence over ``floor_area_m2``.
    floor_area_m2 : float, optional
        Floor area [m2], scaled by the kind's EUI [kWh/m2/year]. With neither, the kind's default.
    seed : int
        Seed of the day and step noise.
    temperature_c : array-like, optional
        Air temperature per step [degC]; replaces the monthly factor with a cooling response.
    latitude_deg, longitude_deg : float
        Site, for street-lighting hours [deg].

    Returns
    -------
    pandas.Series
        ``load_kw`` with ``attrs`` units, kind and annual kWh used.
    """
    index = check_index(pd.DatetimeIndex(index).as_unit("ns"), "index")
    temp = None if temperature_c is None else np.asarray(temperature_c, dtype=float)
    problems = _check(kind, annual_kwh, floor_area_m2, temp, len(index))
    if problems:
        raise InputError(problems)
    target_kwh = _annual_kwh(kind, annual_kwh, floor_area_m2)
    step_h = step_hours(index)
    ref_index = pd.date_range(pd.Timestamp(year=index[0].year, month=1, day=1, tz=index.tz),
                              pd.Timestamp(year=index[0].year + 1, month=1, day=1, tz=index.tz),
                              freq=pd.Timedelta(hours=step_h), inclusive="left")
    ref_kwh = np.sum(relative_shape(kind, ref_index, latitude_deg, longitude_deg)
                     * weather_factor(kind, ref_index, None)) * step_h
    scale_kw = target_kwh / ref_kwh

    common = archetype_data()["common"]
    rng = np.random.default_rng(seed)
    days = ((index.normalize() - index[0].normalize()) // pd.Timedelta(days=1)).to_numpy()
    day_noise = np.exp(rng.normal(0.0, common["daily_noise_sd_frac"], int(days.max()) + 1))[days]
    step_noise = np.exp(rng.normal(0.0, common["step_noise_sd_frac"], len(index)))
    noise = np.ones(len(index)) if kind == "street_lighting" else day_noise * step_noise
    load = (scale_kw * relative_shape(kind, index, latitude_deg, longitude_deg)
            * weather_factor(kind, index, temp) * noise)
    out = pd.Series(load, index=index, name="load_kw")
    out.attrs.update({"units": "kW", "kind": kind, "annual_kwh": target_kwh})
    return out
