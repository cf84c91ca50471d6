"""The site as a facility manager operates it: one metered building with its battery.

:func:`operations_site` turns a scenario into an :class:`OperationsSite`: the building that
hosts the battery, its tariff and Ft, the battery, PV per kWp from the scenario's weather, and
the *metered* load that is both the history the forecasts learn from and the actuals a day is
reviewed against.

Where the metered load comes from:

* ``history`` given (a meter CSV, read by :func:`munigrid.forecasting.meter.read_meter`): that
  file. The time grid is the file's, extended by :data:`TAIL_DAYS` so that the look-ahead of
  the last metered day has weather; days after the file have no actuals.
* the building's ``load_csv``: that file, on the scenario's grid.
* otherwise (the bundled Tha Yang scenario has no public meter data): the building's
  archetype load, whose seeded day and step noise plays the part of the measurement. The
  scenario year is exactly the load ``munigrid run`` uses; :data:`LEAD_IN_DAYS` before it and
  :data:`TAIL_DAYS` after it are drawn with other seeds so that the first day of the year has
  a history and the last one a look-ahead.

PV "actuals" are always the PV chain on the scenario's weather (synthetic year or file).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

import pandas as pd

from munigrid.forecasting.meter import read_meter
from munigrid.forecasting.meter_format import MeterFormat
from munigrid.models.dispatch import Battery
from munigrid.models.errors import InputError, Problem
from munigrid.models.tariffs import FtSchedule, Tariff
from munigrid.scenarios.tariff_choice import building_tariff
from munigrid.models.timegrid import make_index, step_hours
from munigrid.scenarios.inputs import (building_load_kw, building_pv_kw_per_kwp, check_references, pv_arrays,
                                       ft_schedule, site_weather, time_index)
from munigrid.scenarios.connections import one_battery_problems
from munigrid.scenarios.schema import Scenario

#: Days of archetype history generated before the scenario year [day].
LEAD_IN_DAYS = 56
#: Days after the last metered day kept for the look-ahead [day].
TAIL_DAYS = 3


@dataclass
class OperationsSite:
    """One building with a battery, on one time grid.

    Attributes
    ----------
    scenario_name, building : str
        Where it comes from.
    tariff : Tariff
        The building's tariff.
    ft : FtSchedule
        Ft for the whole grid.
    battery : Battery
        The battery behind the building's meter (dispatch dataclass; ``soc_initial_frac`` is
        the scenario's and is replaced by the state of each day).
    load_kw : pandas.Series
        Metered load [kW]: history and actuals; NaN where nothing was metered.
    pv_kw_per_kwp : pandas.DataFrame
        AC output per kWp of each array on the site's weather [kW/kWp].
    pv_capacity_kwp : dict of str to float
        Installed capacity of each array [kWp].
    weather : pandas.DataFrame
        The site's weather on the grid: the source of PV actuals and the default weather forecast.
    temp_air_c : pandas.Series
        Observed air temperature [degC] (the history file's when it has one, else the weather's).
    pv_model : callable
        Weather frame -> AC output per kWp of each array [kW/kWp] (the scenario's PV chain).
    import_limit_kw : float
        Grid connection limit [kW].
    history_source : str
        Where ``load_kw`` comes from, for file headers.
    notes : list of str
        Fallbacks and facts a schedule file reports.
    """

    scenario_name: str
    building: str
    tariff: Tariff
    ft: FtSchedule
    battery: Battery
    load_kw: pd.Series
    pv_kw_per_kwp: pd.DataFrame
    pv_capacity_kwp: dict[str, float]
    weather: pd.DataFrame
    temp_air_c: pd.Series
    pv_model: Callable[[pd.DataFrame], pd.DataFrame]
    import_limit_kw: float = math.inf
    history_source: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def index(self) -> pd.DatetimeIndex:
        """The site's time grid (Asia/Bangkok, interval beginning)."""
        return self.load_kw.index

    @property
    def step_h(self) -> float:
        """Step length [h]."""
        return step_hours(self.index)

    def pv_kw(self, per_kwp: pd.DataFrame | None = None) -> pd.Series:
        """AC output of all arrays at installed capacity [kW] (from ``per_kwp``, default the actuals)."""
        frame = self.pv_kw_per_kwp if per_kwp is None else per_kwp
        capacity = pd.Series(self.pv_capacity_kwp, dtype=float)
        if capacity.empty:
            return pd.Series(0.0, index=frame.index, name="pv_kw")
        return (frame[capacity.index] * capacity).sum(axis=1).rename("pv_kw")


def dispatch_battery(scenario: Scenario) -> Battery:
    """The scenario's battery as the dispatch optimiser takes it."""
    spec = scenario.battery
    return Battery(energy_kwh=spec.energy_kwh, power_kw=spec.power_kw, c_rate_per_h=spec.c_rate_per_h,
                   charge_eff_frac=spec.charge_eff_frac, discharge_eff_frac=spec.discharge_eff_frac,
                   soc_min_frac=spec.soc_min_frac, soc_max_frac=spec.soc_max_frac,
                   soc_initial_frac=spec.soc_initial_frac, degradation_thb_per_kwh=spec.degradation_thb_per_kwh)


def _battery_problems(scenario: Scenario) -> list[Problem]:
    spec = scenario.battery
    unsupported = one_battery_problems(scenario, "the day-ahead schedule")
    if unsupported:
        return unsupported
    if spec is None:
        return [Problem("battery", "a day-ahead schedule needs a battery; add a `battery:` block naming its building")]
    if spec.energy_kwh <= 0 or dispatch_battery(scenario).installed_power_kw <= 0:
        return [Problem("battery", f"energy_kwh and power_kw must be > 0 to schedule it, got {spec.energy_kwh:g} kWh, "
                                   f"{spec.power_kw:g} kW")]
    return []


def _archetype_load(scenario: Scenario, position: int, base_dir: Path,
                    core: pd.DatetimeIndex) -> tuple[pd.Series, pd.DataFrame]:
    """Archetype load and the site's weather on lead-in + scenario year + tail (see the module docstring)."""
    building = scenario.buildings[position]
    step_min = scenario.time.step_min
    seed = scenario.weather.seed + 101 * position  # the runner's seed for this building
    lead = make_index(core[0] - pd.Timedelta(days=LEAD_IN_DAYS), LEAD_IN_DAYS * 24 * 60 // step_min, step_min)
    tail = make_index(core[-1] + (core[1] - core[0]), TAIL_DAYS * 24 * 60 // step_min, step_min)
    weather = site_weather(scenario, lead.append([core, tail]), base_dir)  # step by step: a part is a slice
    loads = [building_load_kw(building, part, weather.loc[part], base_dir, seed=part_seed)
             for part, part_seed in ((lead, seed + 1), (core, seed), (tail, seed + 2))]
    return pd.concat(loads).rename("load_kw"), weather


def operations_site(scenario: Scenario, base_dir: Path, history: Path | None = None,
                    meter_fmt: MeterFormat | None = None) -> OperationsSite:
    """Assemble the battery building of ``scenario`` for day-ahead operations.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario with a battery.
    base_dir : Path
        Folder its relative file paths refer to.
    history : Path, optional
        Meter CSV (time, load [kW], optionally temperature [degC]) replacing the building's load.
    meter_fmt : MeterFormat, optional
        How to read ``history`` (columns, unit, zone, gap filling); found automatically when omitted.

    Raises
    ------
    InputError
        No battery, unknown tariff or missing files: every problem at once.
    """
    problems = _battery_problems(scenario)
    try:
        check_references(scenario, base_dir)
    except InputError as err:
        problems += err.problems
    if problems:
        raise InputError(problems)
    position = next(i for i, b in enumerate(scenario.buildings) if b.name == scenario.battery.building)
    building = scenario.buildings[position]
    notes: list[str] = []
    if history is not None:
        meter = read_meter(history, meter_fmt)
        load = meter.load_kw.rename("load_kw")
        step_min = meter.step_min
        index = make_index(load.index[0], len(load) + TAIL_DAYS * 24 * 60 // step_min, step_min)
        load = load.reindex(index)
        weather = site_weather(scenario, index, base_dir)
        temp = weather["temp_air_c"]
        if meter.temp_air_c is not None:
            temp = meter.temp_air_c.reindex(index).fillna(temp)
        notes += [*meter.notes, *(str(f) for f in meter.fills if f.n_missing)]
        source = f"meter file {Path(history).name}"
    elif building.load_csv is not None:
        index = time_index(scenario)
        weather = site_weather(scenario, index, base_dir)
        load = building_load_kw(building, index, weather, base_dir, seed=0).rename("load_kw")
        temp = weather["temp_air_c"]
        source = f"meter file {building.load_csv}"
    else:
        load, weather = _archetype_load(scenario, position, base_dir, time_index(scenario))
        temp = weather["temp_air_c"]
        source = (f"archetype '{building.kind}' load of the scenario (no meter data): its seeded noise stands "
                  "for the measurement")
        notes.append("history and actuals are the building's archetype load, not meter readings; give --history "
                     "FILE (or the building's load_csv) to operate on real data")
    pv_model = partial(building_pv_kw_per_kwp, building, scenario=scenario, calibration_dir=base_dir)
    return OperationsSite(
        scenario_name=scenario.name, building=building.name, tariff=building_tariff(building, scenario.tariffs, base_dir, f"buildings[{position}]"),
        ft=ft_schedule(scenario), battery=dispatch_battery(scenario), load_kw=load,
        pv_kw_per_kwp=pv_model(weather), pv_capacity_kwp={a.name: a.capacity_kwp for a in pv_arrays(building)},
        weather=weather, temp_air_c=temp.rename("temp_air_c"), pv_model=pv_model,
        import_limit_kw=scenario.grid.import_limit_kw or math.inf, history_source=source, notes=notes)
