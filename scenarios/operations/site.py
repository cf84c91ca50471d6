"""The site as a facility manager operates it: one utility meter with what it controls.

:func:`operations_site` turns a scenario into an :class:`OperationsSite`: one meter (a building's
own, or a shared connection's, :mod:`munigrid.scenarios.connections`) with its tariff and Ft, the
batteries behind it (one or several), its flexible loads, PV per kWp from the scenario's weather,
and the *metered* load that is both the history the forecasts learn from and the actuals a day is
reviewed against. Behind a shared connection the metered load is the buildings' sum and each
building's own load is kept for reporting. The meter is the one named by ``meter``, else the one
the batteries are behind (all of them must be behind one meter), else the only meter with
flexible loads.

Where the metered load comes from:

* ``history`` given (a meter CSV, read by :func:`munigrid.forecasting.meter.read_meter`): that
  file. The time grid is the file's, extended by :data:`TAIL_DAYS` so that the look-ahead of
  the last metered day has weather; days after the file have no actuals.
* the building's ``load_csv``: that file, on the scenario's grid (a member of a shared
  connection with one: every member on the scenario's grid).
* otherwise (the bundled Tha Yang scenario has no public meter data): the building's
  archetype load, whose seeded day and step noise plays the part of the measurement. The
  scenario year is exactly the load ``munigrid run`` uses; :data:`LEAD_IN_DAYS` before it and
  :data:`TAIL_DAYS` after it are drawn with other seeds so that the first day of the year has
  a history and the last one a look-ahead.

PV "actuals" are always the PV chain on the scenario's weather (synthetic year or file).

The metered load is the load *without* the flexible loads (the scenario's building load; a
meter file given with ``history`` must leave them out too): the flexible loads are planned,
not forecast (:mod:`.flex_day`).
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
from munigrid.models.dispatch.flex import FlexLoads
from munigrid.models.errors import InputError, Problem
from munigrid.models.tariffs import FtSchedule, Tariff
from munigrid.models.timegrid import make_index, step_hours
from munigrid.scenarios.inputs import (building_load_kw, building_pv_kw_per_kwp, check_references, pv_arrays,
                                       ft_schedule, site_weather, time_index)
from munigrid.scenarios.connections import battery_specs, meter_buildings, meter_tariff
from munigrid.scenarios.flex_inputs import FlexStart, building_flex
from munigrid.scenarios.schema import Scenario

#: Days of archetype history generated before the scenario year [day].
LEAD_IN_DAYS = 56
#: Days after the last metered day kept for the look-ahead [day].
TAIL_DAYS = 3


@dataclass
class OperationsSite:
    """One meter with its batteries and flexible loads, on one time grid.

    Attributes
    ----------
    scenario_name : str
        Where it comes from.
    building : str
        The meter's name: a building's, or a shared connection's (used in file names).
    tariff : Tariff
        The meter's tariff (a shared connection's bills its net import).
    ft : FtSchedule
        Ft for the whole grid.
    batteries : dict of str to Battery
        The batteries behind the meter by name, in the scenario's order (dispatch dataclasses;
        ``soc_initial_frac`` is the scenario's and is replaced by the state of each day); may be
        empty when the meter has flexible loads.
    load_kw : pandas.Series
        Metered load at the meter, without the flexible loads [kW]: history and actuals; NaN
        where nothing was metered.
    pv_kw_per_kwp : pandas.DataFrame
        AC output per kWp of each array on the site's weather [kW/kWp] (behind a shared
        connection the arrays are named ``building.array``).
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
    member_load_kw : pandas.DataFrame or None
        Behind a shared connection: each building's own metered load [kW], one column per
        building (they sum to ``load_kw``); None for a building's own meter or a meter file.
    flex : callable or None
        ``flex(index, weather, start)`` -> the meter's :class:`~munigrid.models.dispatch.flex.FlexLoads`
        on a horizon starting from the :class:`~munigrid.scenarios.flex_inputs.FlexStart`
        ``start`` (None: no flexible loads).
    """

    scenario_name: str
    building: str
    tariff: Tariff
    ft: FtSchedule
    batteries: dict[str, Battery]
    load_kw: pd.Series
    pv_kw_per_kwp: pd.DataFrame
    pv_capacity_kwp: dict[str, float]
    weather: pd.DataFrame
    temp_air_c: pd.Series
    pv_model: Callable[[pd.DataFrame], pd.DataFrame]
    import_limit_kw: float = math.inf
    history_source: str = ""
    notes: list[str] = field(default_factory=list)
    member_load_kw: pd.DataFrame | None = None
    flex: Callable[[pd.DatetimeIndex, pd.DataFrame, FlexStart], FlexLoads | None] | None = None

    @property
    def index(self) -> pd.DatetimeIndex:
        """The site's time grid (Asia/Bangkok, interval beginning)."""
        return self.load_kw.index

    @property
    def step_h(self) -> float:
        """Step length [h]."""
        return step_hours(self.index)

    @property
    def battery(self) -> Battery:
        """The meter's one battery, for what controls exactly one (the live EMS link, ``munigrid operations``).

        Raises
        ------
        InputError
            The meter has several batteries, none, or flexible loads.
        """
        problems = self.one_battery_problems("this command")
        if problems:
            raise InputError(problems)
        return next(iter(self.batteries.values()))

    def one_battery_problems(self, feature: str) -> list[Problem]:
        """Why ``feature``, which controls one battery and nothing else, cannot take this meter."""
        problems = []
        if len(self.batteries) != 1:
            problems.append(Problem("batteries", f"{feature} controls one battery; meter '{self.building}' has "
                                                 f"{len(self.batteries)} ({', '.join(self.batteries) or 'none'}); "
                                                 "use `munigrid schedule` / `review`, which plan several"))
        if self.flex is not None:
            problems.append(Problem("flexible_loads", f"{feature} does not control flexible loads; meter "
                                                      f"'{self.building}' has some: use `munigrid schedule` / `review`"))
        return problems

    @property
    def capacity_kwh(self) -> float:
        """Installed energy of all the meter's batteries [kWh]."""
        return float(sum(b.energy_kwh for b in self.batteries.values()))

    def pv_kw(self, per_kwp: pd.DataFrame | None = None) -> pd.Series:
        """AC output of all arrays at installed capacity [kW] (from ``per_kwp``, default the actuals)."""
        return self.pv_arrays_kw(per_kwp).sum(axis=1).rename("pv_kw")

    def pv_arrays_kw(self, per_kwp: pd.DataFrame | None = None) -> pd.DataFrame:
        """AC output of each array at installed capacity [kW] (from ``per_kwp``, default the actuals)."""
        frame = self.pv_kw_per_kwp if per_kwp is None else per_kwp
        capacity = pd.Series(self.pv_capacity_kwp, dtype=float)
        if capacity.empty:
            return pd.DataFrame(index=frame.index)
        return frame[capacity.index] * capacity


def dispatch_battery(spec) -> Battery:
    """A scenario battery (``battery`` or an item of ``batteries``) as the dispatch optimiser takes it."""
    return Battery(name=spec.name, energy_kwh=spec.energy_kwh, power_kw=spec.power_kw, c_rate_per_h=spec.c_rate_per_h,
                   charge_eff_frac=spec.charge_eff_frac, discharge_eff_frac=spec.discharge_eff_frac,
                   soc_min_frac=spec.soc_min_frac, soc_max_frac=spec.soc_max_frac,
                   soc_initial_frac=spec.soc_initial_frac, degradation_thb_per_kwh=spec.degradation_thb_per_kwh)


def _battery_field(scenario: Scenario, n: int) -> str:
    return "battery" if scenario.battery is not None else f"batteries[{n}]"


def _default_meter(groups: dict[str, list[str]], of: dict[str, str], specs: list, flexible: set[str]) -> str:
    """The batteries' meter, else the one meter with flexible loads (a building on its own meter)."""
    hosts = list(dict.fromkeys(of[s.building] for s in specs))
    if len(hosts) > 1:
        raise InputError(f"the batteries are behind {len(hosts)} meters ({', '.join(hosts)}); a schedule plans one "
                         "meter: give --meter NAME (or put the buildings behind one `connections:` entry)", "batteries")
    with_flex = [name for name in groups if name in flexible]
    if hosts or len(with_flex) == 1:
        return hosts[0] if hosts else with_flex[0]
    raise InputError("a day-ahead schedule needs a battery (add a `battery:` block naming its building) or flexible "
                     "loads" + (f" on one meter (give --meter, one of {', '.join(with_flex)})" if with_flex else ""),
                     "battery")


def choose_meter(scenario: Scenario, meter: str | None = None) -> str:
    """The meter operated: ``meter``, else the batteries' meter, else the one meter with flexible loads.

    Raises
    ------
    InputError
        An unknown meter, batteries behind several meters, nothing to control, or an unusable battery.
    """
    groups = meter_buildings(scenario)
    of = {b: name for name, behind in groups.items() for b in behind}
    specs = battery_specs(scenario)
    flexible = scenario.flexible_loads.buildings() if scenario.flexible_loads is not None else set()
    if meter is not None and meter not in groups:
        raise InputError(f"unknown meter {meter!r}; give a building on its own meter or a connection: "
                         f"{', '.join(groups)}", "--meter")
    meter = meter if meter is not None else _default_meter(groups, of, specs, flexible)
    problems = []
    for n, spec in enumerate(specs):
        if of[spec.building] == meter and (spec.energy_kwh <= 0 or dispatch_battery(spec).installed_power_kw <= 0):
            problems.append(Problem(_battery_field(scenario, n), f"energy_kwh and power_kw must be > 0 to schedule it, "
                                                                 f"got {spec.energy_kwh:g} kWh, {spec.power_kw:g} kW"))
    if not problems and not any(of[s.building] == meter for s in specs) and meter not in flexible:
        problems.append(Problem("--meter", f"meter '{meter}' has no battery and no flexible load to schedule"))
    if problems:
        raise InputError(problems)
    return meter


def _lead_tail(core: pd.DatetimeIndex, step_min: int) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    lead = make_index(core[0] - pd.Timedelta(days=LEAD_IN_DAYS), LEAD_IN_DAYS * 24 * 60 // step_min, step_min)
    tail = make_index(core[-1] + (core[1] - core[0]), TAIL_DAYS * 24 * 60 // step_min, step_min)
    return lead, tail


def _archetype_load(scenario: Scenario, position: int, base_dir: Path, weather: pd.DataFrame,
                    core: pd.DatetimeIndex) -> pd.Series:
    """Archetype load on lead-in + scenario year + tail (see the module docstring); ``weather`` covers them."""
    building = scenario.buildings[position]
    seed = scenario.weather.seed + 101 * position  # the runner's seed for this building
    lead, tail = _lead_tail(core, scenario.time.step_min)
    loads = [building_load_kw(building, part, weather.loc[part], base_dir, seed=part_seed)
             for part, part_seed in ((lead, seed + 1), (core, seed), (tail, seed + 2))]
    return pd.concat(loads).rename("load_kw")


def _member_loads(scenario: Scenario, positions: list[int], base_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Each building's load [kW] (columns), the weather on their grid, and the source text."""
    core = time_index(scenario)
    buildings = [scenario.buildings[p] for p in positions]
    if any(b.load_csv is not None for b in buildings):
        weather = site_weather(scenario, core, base_dir)
        loads = {b.name: building_load_kw(b, core, weather, base_dir, seed=0) for b in buildings}
        return pd.DataFrame(loads), weather, "meter file " + ", ".join(
            str(b.load_csv) if b.load_csv is not None else f"{b.name}: archetype" for b in buildings)
    lead, tail = _lead_tail(core, scenario.time.step_min)
    weather = site_weather(scenario, lead.append([core, tail]), base_dir)  # step by step: a part is a slice
    loads = {scenario.buildings[p].name: _archetype_load(scenario, p, base_dir, weather, core) for p in positions}
    kinds = ", ".join(sorted({b.kind for b in buildings}))
    return pd.DataFrame(loads), weather, (f"archetype '{kinds}' load of the scenario (no meter data): its seeded noise "
                                          "stands for the measurement")


def _meter_pv(scenario: Scenario, positions: list[int], base_dir: Path, shared: bool):
    """PV model (weather -> kW/kWp per array) and installed capacity [kWp] of the meter's buildings."""
    models, capacity = [], {}
    for p in positions:
        building = scenario.buildings[p]
        prefix = f"{building.name}." if shared else ""
        models.append((prefix, partial(building_pv_kw_per_kwp, building, scenario=scenario, calibration_dir=base_dir)))
        capacity.update({f"{prefix}{a.name}": a.capacity_kwp for a in pv_arrays(building)})
    if len(models) == 1 and not shared:
        return models[0][1], capacity
    return partial(_joined_pv, models), capacity


def _joined_pv(models: list, weather: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([model(weather).rename(columns=lambda a, pre=prefix: f"{pre}{a}") for prefix, model in models],
                     axis=1)


def operations_site(scenario: Scenario, base_dir: Path, history: Path | None = None,
                    meter_fmt: MeterFormat | None = None, meter: str | None = None) -> OperationsSite:
    """Assemble one meter of ``scenario`` for day-ahead operations (module docstring).

    Parameters
    ----------
    scenario : Scenario
        A validated scenario with a battery or flexible loads.
    base_dir : Path
        Folder its relative file paths refer to.
    history : Path, optional
        Meter CSV (time, load [kW], optionally temperature [degC]) replacing the meter's load.
    meter_fmt : MeterFormat, optional
        How to read ``history`` (columns, unit, zone, gap filling); found automatically when omitted.
    meter : str, optional
        The meter to operate (a building on its own meter, or a connection); default: the
        batteries' meter.

    Raises
    ------
    InputError
        Nothing to control, unknown tariff or missing files: every problem at once.
    """
    problems = []
    try:
        meter = choose_meter(scenario, meter)
    except InputError as err:
        problems += err.problems
    try:
        check_references(scenario, base_dir)
    except InputError as err:
        problems += err.problems
    if problems:
        raise InputError(problems)
    behind = meter_buildings(scenario)[meter]
    shared = meter not in {b.name for b in scenario.buildings}
    positions = [i for i, b in enumerate(scenario.buildings) if b.name in behind]
    notes: list[str] = []
    members = None
    if history is not None:
        reading = read_meter(history, meter_fmt)
        load = reading.load_kw.rename("load_kw")
        step_min = reading.step_min
        index = make_index(load.index[0], len(load) + TAIL_DAYS * 24 * 60 // step_min, step_min)
        load = load.reindex(index)
        weather = site_weather(scenario, index, base_dir)
        temp = weather["temp_air_c"]
        if reading.temp_air_c is not None:
            temp = reading.temp_air_c.reindex(index).fillna(temp)
        notes += [*reading.notes, *(str(f) for f in reading.fills if f.n_missing)]
        source = f"meter file {Path(history).name}"
        if shared:
            notes.append("the meter file is the connection's: its buildings' own loads are not reported")
    else:
        loads, weather, source = _member_loads(scenario, positions, base_dir)
        load = loads.sum(axis=1, min_count=loads.shape[1]).rename("load_kw")
        temp = weather["temp_air_c"]
        members = loads if shared else None
        if "archetype" in source:
            notes.append("history and actuals are the building's archetype load, not meter readings; give --history "
                         "FILE (or the building's load_csv) to operate on real data")
    pv_model, capacity = _meter_pv(scenario, positions, base_dir, shared)
    batteries = {spec.name: dispatch_battery(spec) for spec in battery_specs(scenario) if spec.building in behind}
    flexible = scenario.flexible_loads is not None and meter in scenario.flexible_loads.buildings()  # none behind a connection
    connection = next((c for c in scenario.connections if c.name == meter), None)
    limit = (connection.import_limit_kw if connection is not None else None) or scenario.grid.import_limit_kw
    return OperationsSite(
        scenario_name=scenario.name, building=meter, tariff=meter_tariff(scenario, meter, base_dir),
        ft=ft_schedule(scenario), batteries=batteries, load_kw=load, pv_kw_per_kwp=pv_model(weather),
        pv_capacity_kwp=capacity, weather=weather, temp_air_c=temp.rename("temp_air_c"), pv_model=pv_model,
        import_limit_kw=limit or math.inf, history_source=source, notes=notes, member_load_kw=members,
        flex=partial(building_flex, scenario, meter) if flexible else None)
