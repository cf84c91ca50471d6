"""From a scenario to the arrays the models take: time grid, weather, PV, loads, tariffs.

This is the only place that turns scenario fields into model inputs, so the runner, the
simulation command and the day-ahead planner all see the same numbers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from munigrid.forecasting.archetypes import archetype_load_kw
from munigrid.forecasting.meter import read_meter
from munigrid.forecasting.meter_format import MeterFormat
from munigrid.forecasting.pv import PVArraySpec, pv_ac_kw
from munigrid.forecasting.pv_calibration import PVCalibration
from munigrid.forecasting.weather import read_weather, synthetic_year
from munigrid.models.errors import InputError, Problem
from munigrid.models.tariffs import FtSchedule, Tariff
from munigrid.models.timegrid import TZ, make_index, step_hours
from munigrid.scenarios.input_files import input_path
from munigrid.scenarios.references import ROOF_KWP_PER_M2, check_references
from munigrid.scenarios.connections import connection_of, meter_inputs
from munigrid.scenarios.tariff_choice import building_tariff
from munigrid.scenarios.schema import Building, PVArray, Scenario



@dataclass
class BuildingInputs:
    """One building's model inputs on the scenario's time grid."""

    name: str
    kind: str
    tariff: Tariff
    load_kw: pd.Series
    pv_kw_per_kwp: pd.DataFrame
    pv_capacity_kwp: dict[str, float]
    pv_max_kwp: dict[str, float]
    notes: str = ""
    data_notes: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # behind a shared connection: its buildings

    def __post_init__(self):
        self.members = self.members or [self.name]

    @property
    def pv_arrays_kw(self) -> pd.DataFrame:
        """AC output of each array at its installed capacity [kW]."""
        return self.pv_kw_per_kwp * pd.Series(self.pv_capacity_kwp)

    @property
    def pv_ac_kw(self) -> pd.Series:
        """AC output of all the building's arrays at installed capacity [kW]."""
        return self.pv_arrays_kw.sum(axis=1).rename(self.name)


@dataclass
class SiteInputs:
    """Everything the models need for one scenario.

    ``buildings`` holds one entry per utility meter: a building on its own meter, or a shared
    connection with its buildings merged (see :mod:`munigrid.scenarios.connections`);
    ``members`` the buildings behind shared connections, each on its own (for reporting their
    own load and PV).
    """

    index: pd.DatetimeIndex
    weather: pd.DataFrame
    buildings: list[BuildingInputs] = field(default_factory=list)
    members: list[BuildingInputs] = field(default_factory=list)

    @property
    def step_h(self) -> float:
        """Step length [h]."""
        return step_hours(self.index)

    def building(self, name: str) -> BuildingInputs:
        """A building's inputs by name."""
        return next(b for b in self.buildings if b.name == name)


def time_index(scenario: Scenario) -> pd.DatetimeIndex:
    """The scenario's time grid (Asia/Bangkok, interval beginning)."""
    periods = scenario.time.days * 24 * 60 // scenario.time.step_min
    return make_index(pd.Timestamp(scenario.time.start), periods, scenario.time.step_min)


def _typical_year_on(index: pd.DatetimeIndex, weather: pd.DataFrame) -> pd.DataFrame:
    """Map a typical-year series onto ``index`` by month, day, hour and minute (29 Feb -> 28 Feb)."""
    def key(idx):
        day = np.where((idx.month == 2) & (idx.day == 29), 28, idx.day)
        return idx.month * 1_000_000 + day * 10_000 + idx.hour * 100 + idx.minute

    lookup = weather.groupby(key(weather.index)).mean()
    wanted = key(index)
    missing = ~np.isin(wanted, lookup.index)
    if missing.any():
        raise InputError(f"the weather file has no values for {int(missing.sum())} steps of the horizon "
                         f"(first {index[np.argmax(missing)].isoformat()}); give a full year at this step "
                         "or use `weather.source: synthetic`", "weather.file")
    return pd.DataFrame(lookup.loc[wanted].to_numpy(), index=index, columns=weather.columns)


@contextlib.contextmanager
def file_field(field: str) -> Iterator[None]:
    """Prefix the problems a file reader raises with the scenario field that named the file."""
    try:
        yield
    except InputError as err:
        raise InputError([Problem(f"{field}: {p.path}" if p.path else field, p.message)
                          for p in err.problems]) from None


def site_weather(scenario: Scenario, index: pd.DatetimeIndex, base_dir: Path) -> pd.DataFrame:
    """Weather on the time grid: synthetic typical year(s) or a user file aligned to the grid."""
    site, source = scenario.site, scenario.weather
    if source.source == "synthetic":
        years = [synthetic_year(site.latitude_deg, site.longitude_deg, year=int(y),
                                step_min=scenario.time.step_min, seed=source.seed + int(y),
                                altitude_m=site.altitude_m)
                 for y in sorted(set(index.year))]
        return pd.concat(years).reindex(index)
    with file_field("weather.file"):
        weather = read_weather(input_path(source.file, base_dir), site.latitude_deg, site.longitude_deg, tz=TZ)
    step = index[1] - index[0] if len(index) > 1 else None
    if step is not None and len(weather) > 1 and weather.index[1] - weather.index[0] < step:
        attrs = dict(weather.attrs)
        weather = weather.resample(step).mean()  # finer file steps (e.g. 30 min) averaged to the scenario's
        weather.attrs.update(attrs)
    if weather.index.equals(index) or index.isin(weather.index).all():
        return weather.reindex(index)
    return _typical_year_on(index, weather)


def building_load_kw(building: Building, index: pd.DatetimeIndex, weather: pd.DataFrame,
                     base_dir: Path, seed: int) -> pd.Series:
    """A building's load [kW] (see :func:`building_load_with_notes`)."""
    return building_load_with_notes(building, index, weather, base_dir, seed)[0]


def building_load_with_notes(building: Building, index: pd.DatetimeIndex, weather: pd.DataFrame,
                             base_dir: Path, seed: int) -> tuple[pd.Series, list[str]]:
    """A building's load [kW] and notes on it.

    From its meter file when given (finer steps averaged to the scenario's step; gaps are an
    error unless ``load_gap_fill`` accepts the fill policy, and every fill is noted), else its
    archetype scaled to its size.
    """
    if building.load_csv is None:
        load = archetype_load_kw(building.kind, index, annual_kwh=building.annual_kwh,
                                 floor_area_m2=building.floor_area_m2, seed=seed,
                                 temperature_c=weather["temp_air_c"])
        return load.rename(building.name), []
    where = f"buildings[{building.name}].load_csv ({building.load_csv})"
    with file_field(where):
        meter = read_meter(input_path(building.load_csv, base_dir), load_csv_format(building))
    gaps = [fill for fill in meter.fills if fill.n_missing > 0]
    load = series_on_grid(meter, index, where)
    notes = [f"{building.name}: {note}" for note in meter.notes] + [f"{building.name}: {fill}" for fill in gaps]
    return load.rename(building.name), notes


def series_on_grid(meter, index: pd.DatetimeIndex, where: str) -> pd.Series:
    """A meter file's series [kW] on the scenario's steps: finer steps averaged; coarser ones or
    missing steps are an error naming ``where``."""
    step_min = int(round(step_hours(index) * 60))
    load = meter.load_kw
    if meter.step_min > step_min:
        raise InputError(f"the meter file has {meter.step_min}-min steps, coarser than the scenario's "
                         f"{step_min} min; set time.step_min to {meter.step_min}", where)
    if meter.step_min < step_min:
        load = load.resample(f"{step_min}min").mean()
    missing = ~index.isin(load.index)
    if missing.any():
        raise InputError(f"the meter file does not cover {int(missing.sum())} steps of the horizon "
                         f"(first {index[np.argmax(missing)].isoformat()}); shorten the horizon or give "
                         "a longer history", where)
    return load.reindex(index)


def pv_profile_kw_per_kwp(array: PVArray, index: pd.DatetimeIndex, base_dir: Path, where: str) -> pd.Series:
    """An array's AC output per kWp from its ``pv_csv`` [kW/kWp] (read with the meter reader)."""
    column = "pv_kw" if array.pv_csv_unit == "kw" else "pv_kw_per_kwp"
    with file_field(where):  # gaps are refused by the reader (no fill policy for PV)
        meter = read_meter(input_path(array.pv_csv, base_dir), load_column=column)
    series = series_on_grid(meter, index, where)
    return series / array.capacity_kwp if array.pv_csv_unit == "kw" else series


def load_csv_format(building: Building) -> MeterFormat:
    """How to read a building's ``load_csv``: its mapping's options and ``load_gap_fill``."""
    spec = building.load_csv
    options = {} if isinstance(spec, str) else spec.model_dump(exclude={"file"})
    return MeterFormat(**options, fill_gaps=building.load_gap_fill)


def pv_arrays(building: Building) -> list[PVArray]:
    """The building's arrays; a building with a roof but no array gets one default array to size."""
    if building.pv_arrays or building.roof_area_m2 <= 0:
        return list(building.pv_arrays)
    return [PVArray(name="roof")]


def building_pv_kw_per_kwp(building: Building, weather: pd.DataFrame, scenario: Scenario,
                           base_dir: Path | None = None, calibration_dir: Path | None = None) -> pd.DataFrame:
    """AC output per kWp of each of a building's arrays [kW/kWp], one column per array.

    Each array is modelled at 1 kWp with its own DC/AC ratio, so clipping scales exactly with
    capacity and the optimiser may size it linearly. With ``base_dir``, an array with a
    ``pv_csv`` takes its profile from that file instead. An array's ``calibration`` file,
    read from ``calibration_dir`` (default ``base_dir``; given alone for a forecast's weather,
    where a ``pv_csv`` of actuals does not apply), scales its modelled output.
    """
    calibration_dir = base_dir if calibration_dir is None else calibration_dir
    arrays = pv_arrays(building)
    if not arrays:
        return pd.DataFrame(index=weather.index)
    specs = [PVArraySpec(capacity_kwp=1.0, tilt_deg=a.tilt_deg, azimuth_deg=a.azimuth_deg,
                         losses_frac=a.losses_frac, dc_ac_ratio=a.dc_ac_ratio,
                         degradation_frac_per_year=a.degradation_frac_per_year, name=a.name)
             for a in arrays if a.pv_csv is None or base_dir is None]
    try:
        power = (pv_ac_kw(weather, specs, scenario.site.latitude_deg, scenario.site.longitude_deg,
                          altitude_m=scenario.site.altitude_m) if specs else pd.DataFrame(index=weather.index))
    except InputError as err:  # the PV model names its input "arrays[i]": say the scenario's path
        where = f"buildings[{scenario.buildings.index(building)}].pv_arrays"
        raise InputError([Problem(where + p.path.removeprefix("arrays") if p.path.startswith("arrays") else p.path,
                                  p.message) for p in err.problems]) from None
    for a in arrays:
        if a.pv_csv is not None and base_dir is not None:
            power[a.name] = pv_profile_kw_per_kwp(a, weather.index, base_dir,
                                                  f"buildings[{building.name}].pv_arrays[{a.name}].pv_csv")
        elif a.calibration is not None and calibration_dir is not None:
            where = f"buildings[{building.name}].pv_arrays[{a.name}].calibration"
            power[a.name] = PVCalibration.load(input_path(a.calibration, calibration_dir), where).apply(
                power[a.name], per_kwp=True)
    return power[[a.name for a in arrays]]


def pv_max_kwp(building: Building) -> dict[str, float]:
    """Largest capacity of each array [kWp]: its ``max_kwp``, else an equal share of the usable roof."""
    arrays = pv_arrays(building)
    share = building.roof_area_m2 * ROOF_KWP_PER_M2 / max(len(arrays), 1)
    return {a.name: max(a.capacity_kwp, a.max_kwp if a.max_kwp is not None else share) for a in arrays}


def ft_schedule(scenario: Scenario) -> FtSchedule:
    """Ft for the run: the scenario's constant, else the built-in schedule (last known value after it)."""
    if scenario.tariffs.ft_thb_per_kwh is not None:
        return FtSchedule.constant(scenario.tariffs.ft_thb_per_kwh)
    return FtSchedule.builtin(fallback=scenario.tariffs.ft_fallback).with_values(scenario.tariffs.ft_schedule)


def build_inputs(scenario: Scenario, base_dir: Path) -> SiteInputs:
    """All model inputs for ``scenario``; files are read relative to ``base_dir``."""
    check_references(scenario, base_dir)
    index = time_index(scenario)
    weather = site_weather(scenario, index, base_dir)
    buildings = []
    for i, b in enumerate(scenario.buildings):
        load_kw, data_notes = building_load_with_notes(b, index, weather, base_dir, seed=scenario.weather.seed + 101 * i)
        buildings.append(BuildingInputs(
            name=b.name, kind=b.kind, tariff=building_tariff(b, scenario.tariffs, base_dir, f"buildings[{i}]"), load_kw=load_kw, data_notes=data_notes,
            pv_kw_per_kwp=building_pv_kw_per_kwp(b, weather, scenario, base_dir),
            pv_capacity_kwp={a.name: a.capacity_kwp for a in pv_arrays(b)},
            pv_max_kwp=pv_max_kwp(b), notes=b.notes))
    shared = connection_of(scenario)
    return SiteInputs(index=index, weather=weather, buildings=meter_inputs(scenario, buildings, base_dir),
                      members=[b for b in buildings if b.name in shared])
