"""A scenario's ``flexible_loads`` on the run's time grid: the dispatch model's :class:`FlexLoads`.

Archetype defaults (thermal zone per m2, thermal store per kind, water demand shape) and their
stated assumptions are in ``forecasting/flex_defaults.yaml``. Occupied hours and EV sessions on ``days: working``
follow the public-sector working days of :func:`munigrid.forecasting.calendar.day_type`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from munigrid.forecasting.calendar import WORKDAY, day_type
from munigrid.models.dispatch.flex import (EVFleet, FlexLoads, PumpStation, ThermalStore, ThermalZone, baseline_kw,
                                          store_hold_kw, store_sized)
from munigrid.models.errors import InputError, Problem
from munigrid.scenarios.schema import Scenario
from munigrid.scenarios.schema_flex import Cooling, EVFleet as EVSpec, Pumping, ThermalStore as StoreSpec

COP_RANGE = (0.6, 1.4)  # COP(T) kept within these multiples of cop_at_35c (flex_defaults.yaml)


@lru_cache(maxsize=1)
def flex_defaults() -> dict:
    """The defaults with their sources (parsed ``forecasting/flex_defaults.yaml``)."""
    return yaml.safe_load(resources.files("munigrid.forecasting").joinpath("flex_defaults.yaml").read_text())


def _hours(index: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(index.hour + index.minute / 60.0, float)


def pump_station(spec: Pumping, index: pd.DatetimeIndex, level_initial_frac: float | None = None) -> PumpStation:
    """Pumps and reservoir; the day's demand spread by the hourly shape [m3/h]; the starting level is
    ``level_initial_frac`` [-] when given (a day carrying on from the previous one), else the scenario's."""
    shape = np.asarray(flex_defaults()["water_demand"][spec.demand_profile]["shape"], float)
    demand = spec.demand_m3_per_day * (shape / shape.sum())[np.asarray(index.hour)]
    return PumpStation(pump_kw=spec.pump_kw, kwh_per_m3=spec.kwh_per_m3, volume_m3=spec.reservoir_m3,
                       demand_m3_per_h=demand, level_min_frac=spec.level_min_frac, level_max_frac=spec.level_max_frac,
                       level_initial_frac=spec.level_initial_frac if level_initial_frac is None else level_initial_frac,
                       inflow_m3_per_h=np.full(len(index), spec.inflow_m3_per_h), pumps=spec.pumps,
                       min_load_frac=spec.min_load_frac)


def _cop(cop_at_35c: float, outdoor_c: np.ndarray) -> np.ndarray:
    """COP by outdoor temperature [-]: ``cop_at_35c x (1 + cop_per_k x (35 - T))`` within :data:`COP_RANGE`."""
    per_k = flex_defaults()["cooling"]["common"]["cop_per_k"]
    return np.clip(cop_at_35c * (1 + per_k * (35.0 - outdoor_c)), *(cop_at_35c * np.array(COP_RANGE)))


def thermal_store(spec: StoreSpec, outdoor_c: np.ndarray, soc_initial_frac: float | None = None) -> ThermalStore:
    """The store's chiller and tank (the scenario's values, else the kind's defaults); the tank starts
    at ``soc_initial_frac`` of its capacity [-] when given, else at the scenario's start."""
    common, kind = flex_defaults()["thermal_store"]["common"], flex_defaults()["thermal_store"][spec.kind]
    cop_35 = spec.cop_at_35c if spec.cop_at_35c is not None else float(kind["cop_at_35c"])
    tank_kwh_th = spec.tank_kwh_th
    charge_kw = spec.charge_kw if spec.charge_kw is not None else \
        tank_kwh_th / (float(common["charge_hours"]) * cop_35)
    discharge_kw_th = spec.discharge_kw_th if spec.discharge_kw_th is not None else \
        tank_kwh_th / float(common["discharge_hours"])
    loss = spec.loss_frac_per_h if spec.loss_frac_per_h is not None else float(kind["loss_frac_per_h"])
    return ThermalStore(kind=spec.kind, capacity_kwh_th=tank_kwh_th, charge_kw=float(charge_kw),
                        charge_cop=_cop(cop_35, outdoor_c), discharge_kw_th=float(discharge_kw_th),
                        loss_frac_per_h=loss, soc_min_frac=spec.soc_min_frac, soc_max_frac=spec.soc_max_frac,
                        soc_initial_frac=spec.soc_initial_frac if soc_initial_frac is None else soc_initial_frac,
                        max_capacity_kwh_th=spec.max_capacity_kwh_th, **store_prices(spec))


def store_prices(spec: StoreSpec) -> dict[str, float]:
    """Tank price per kWh thermal, chiller price per kW, life and upkeep of a store: the scenario's values,
    else the kind's defaults in ``models/finance/data/finance_defaults.yaml`` (assumptions stated there)."""
    from munigrid.models.finance.defaults import default_value

    tank = spec.capex_thb_per_kwh_th if spec.capex_thb_per_kwh_th is not None else \
        float(default_value("costs", f"thermal_store_{spec.kind}_thb_per_kwh_th"))
    chiller = spec.chiller_capex_thb_per_kw if spec.chiller_capex_thb_per_kw is not None else \
        float(default_value("costs", f"chiller_{spec.kind}_thb_per_kw"))
    return dict(capex_thb_per_kwh_th=tank, capex_thb_per_kw=chiller,
                om_frac_per_year=float(default_value("costs", "om_fixed_frac_of_capex_per_year")),
                life_years=spec.life_years if spec.life_years is not None else float(
                    default_value("lives", "thermal_store_years")))


def thermal_zone(spec: Cooling, index: pd.DatetimeIndex, weather: pd.DataFrame,
                 temp_initial_c: float | None = None, store_frac: float | None = None) -> ThermalZone:
    """The zone's RC parameters (the scenario's, else the archetype's per m2), comfort band and gains;
    the zone starts at ``temp_initial_c`` [degC] when given, else at the archetypes' common start,
    and its store (if any) at ``store_frac`` of its capacity [-] when given."""
    common, arch = flex_defaults()["cooling"]["common"], flex_defaults()["cooling"][spec.archetype]
    area = spec.cooled_area_m2

    def pick(value, key):  # the scenario's value, else the archetype's per m2 times the area
        return float(value) if value is not None else float(arch[key]) * area

    def band(value, key):  # the scenario's [low, high], else the archetype's
        return list(value) if value is not None else list(arch[key])

    start_h, end_h = band(spec.occupied_hours, "occupied_hours")
    hours = _hours(index)
    occupied = (day_type(index) == WORKDAY) & (hours >= start_h) & (hours < end_h)
    at_end = occupied | np.append(occupied[1:], occupied[-1])  # comfort at a boundary next to an occupied step
    occ_band, free_band = band(spec.comfort_occupied_c, "comfort_occupied_c"), band(
        spec.comfort_unoccupied_c, "comfort_unoccupied_c")
    outdoor = weather["temp_air_c"].to_numpy(dtype=float)
    cop_35 = spec.cop_at_35c if spec.cop_at_35c is not None else float(arch["cop_at_35c"])
    cop = _cop(cop_35, outdoor)
    ghi = weather["ghi_w_per_m2"].to_numpy(dtype=float) if "ghi_w_per_m2" in weather else np.zeros(len(index))
    gain_w_per_m2 = np.where(occupied, arch["gain_occupied_w_per_m2"], arch["gain_unoccupied_w_per_m2"])
    gain_kw = area * (gain_w_per_m2 + common["solar_aperture_m2_per_m2"] * np.clip(ghi, 0, None)) / 1000.0
    return ThermalZone(capacity_kwh_per_k=pick(spec.capacity_kwh_per_k, "capacity_kwh_per_k_per_m2"),
                       loss_kw_per_k=pick(spec.loss_kw_per_k, "loss_kw_per_k_per_m2"),
                       cooling_kw=pick(spec.cooling_kw, "cooling_kw_per_m2"), cop=cop, outdoor_c=outdoor,
                       gain_kw=gain_kw, comfort_min_c=np.where(at_end, occ_band[0], free_band[0]),
                       comfort_max_c=np.where(at_end, occ_band[1], free_band[1]),
                       temp_initial_c=float(common["temp_initial_c"] if temp_initial_c is None else temp_initial_c),
                       store=None if spec.store is None else thermal_store(spec.store, outdoor, store_frac))


def ev_fleet(spec: EVSpec, index: pd.DatetimeIndex, carried_kwh: float | None = None) -> EVFleet:
    r"""Daily sessions from ``arrival_h`` to ``departure_h`` (next day when earlier).

    At the edges of the horizon (a planning year, or one day of a rolling schedule):

    * a session still plugged in after the last step must hold, at the end, the energy that
      still lets it finish by its departure at full charger power,
      :math:`\max(0,\ R - \bar p\,\eta\,h_{after})` with :math:`h_{after}` its plugged hours after
      the horizon [h] (it is neither dropped nor forced to finish inside the horizon);
    * a session plugged in before the first step carries on with ``carried_kwh`` already in it
      [kWh]; with None (a planning year, which starts with no vehicle plugged in) it is not modelled.
    """
    n_t = len(index)
    step = index[1] - index[0] if n_t > 1 else pd.Timedelta(hours=1)
    step_h, end = step.total_seconds() / 3600.0, index[-1] + step
    plugged, start, required = np.zeros(n_t, bool), np.zeros(n_t, bool), np.zeros(n_t + 1)
    energy_kwh, power_kw = spec.count * spec.energy_kwh, spec.count * spec.charger_kw
    days = pd.DatetimeIndex(np.unique(index.normalize()))
    days = days.insert(0, days[0] - pd.Timedelta(days=1))  # the day before: its session may still be plugged in
    working = day_type(days) == WORKDAY
    initial_kwh = 0.0
    for day, works in zip(days, working):
        if spec.days == "working" and not works:
            continue
        arrive = day + pd.Timedelta(hours=spec.arrival_h)
        depart = day + pd.Timedelta(hours=spec.departure_h + (24 if spec.departure_h < spec.arrival_h else 0))
        steps = np.flatnonzero((index >= arrive) & (index + step <= depart))
        carried = arrive + step <= index[0]  # it had a whole step plugged in before the horizon
        if not len(steps) or (carried and carried_kwh is None):
            continue
        plugged[steps] = True
        if carried:
            initial_kwh = float(carried_kwh)
        else:
            start[steps[0]] = True
        if depart <= end:
            required[steps[-1] + 1] = energy_kwh
        else:
            after_h = np.floor((depart - end) / step) * step_h
            required[n_t] = max(0.0, energy_kwh - power_kw * spec.charge_eff_frac * after_h)
    return EVFleet(name=spec.name, charger_kw=power_kw, plugged=plugged, session_start=start,
                   required_kwh=required, charge_eff_frac=spec.charge_eff_frac, energy_initial_kwh=initial_kwh)


@dataclass(frozen=True)
class FlexStart:
    """States a day planned on its own starts from (the previous day's end): reservoir level [-],
    zone temperature [degC], the zone's thermal store charge as a share of its capacity [-] and the
    energy in each EV fleet's running session [kWh] by fleet name (None: the scenario's start; a
    fleet not named carries a session with nothing charged yet)."""

    reservoir_frac: float | None = None
    zone_temp_c: float | None = None
    store_frac: float | None = None
    ev_kwh: dict[str, float] = field(default_factory=dict)


def building_flex(scenario: Scenario, building: str, index: pd.DatetimeIndex,
                  weather: pd.DataFrame, start: FlexStart | None = None) -> FlexLoads | None:
    """The flexible loads of ``building`` (None without any); ``start`` carries a rolling day on from
    the previous one (None: a planning year). Raises :class:`InputError` naming the scenario field
    when a load cannot be served even run the baseline way."""
    spec = scenario.flexible_loads
    if spec is None or building not in spec.buildings():
        return None
    step_h = (index[1] - index[0]).total_seconds() / 3600.0 if len(index) > 1 else 1.0
    carry = start if start is not None else FlexStart()
    parts: dict = {"ev": []}
    for kind, build in (("pumping", lambda s: pump_station(s, index, carry.reservoir_frac)),
                        ("cooling", lambda s: thermal_zone(s, index, weather, carry.zone_temp_c, carry.store_frac)),
                        ("ev", lambda s: ev_fleet(s, index, None if start is None else carry.ev_kwh.get(s.name, 0.0)))):
        for k, item in enumerate(getattr(spec, kind)):
            if item.building != building:
                continue
            load = build(item)
            one = FlexLoads(ev=(load,)) if kind == "ev" else FlexLoads(**{kind: load})
            try:
                baseline_kw(one, step_h)
                if kind == "cooling" and load.store is not None:
                    store_hold_kw(load.store, step_h)
                    if scenario.optimisation.mode == "sizing":
                        store_sized(load)
            except InputError as err:
                field_name = err.problems[0].path.split(".", 1)[-1]
                raise InputError([Problem(f"flexible_loads.{kind}[{k}].{field_name}", p.message)
                                  for p in err.problems]) from None
            if kind == "ev":
                parts["ev"].append(load)
            else:
                parts[kind] = load
    parts["ev"] = tuple(parts["ev"])
    return FlexLoads(**parts)


def kinds(flex: FlexLoads) -> list[str]:
    """Names of the flexibilities present: ``pumping``, ``cooling``, ``ev``."""
    return [k for k, present in (("pumping", flex.pumping is not None), ("cooling", flex.cooling is not None),
                                 ("ev", bool(flex.ev))) if present]


def without(flex: FlexLoads, kind: str) -> FlexLoads | None:
    """``flex`` without one kind (None when nothing is left)."""
    rest = FlexLoads(pumping=None if kind == "pumping" else flex.pumping,
                     cooling=None if kind == "cooling" else flex.cooling, ev=() if kind == "ev" else flex.ev)
    return rest if kinds(rest) else None


def kind_baseline_kw(flex: FlexLoads, kind: str, step_h: float) -> np.ndarray:
    """Baseline power of one kind of the meter's flexible loads [kW]."""
    only = FlexLoads(**{kind: getattr(flex, kind)})
    return baseline_kw(only, step_h)
