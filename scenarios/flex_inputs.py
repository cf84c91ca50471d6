"""A scenario's ``flexible_loads`` on the run's time grid: the dispatch model's :class:`FlexLoads`.

Archetype defaults (thermal zone per m2, water demand shape) and their stated assumptions are
in ``forecasting/flex_defaults.yaml``. Occupied hours and EV sessions on ``days: working``
follow the public-sector working days of :func:`munigrid.forecasting.calendar.day_type`.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from munigrid.forecasting.calendar import WORKDAY, day_type
from munigrid.models.dispatch.flex import EVFleet, FlexLoads, PumpStation, ThermalZone, baseline_kw
from munigrid.models.errors import InputError, Problem
from munigrid.scenarios.schema import Scenario
from munigrid.scenarios.schema_flex import Cooling, EVFleet as EVSpec, Pumping

COP_RANGE = (0.6, 1.4)  # COP(T) kept within these multiples of cop_at_35c (flex_defaults.yaml)


@lru_cache(maxsize=1)
def flex_defaults() -> dict:
    """The defaults with their sources (parsed ``forecasting/flex_defaults.yaml``)."""
    return yaml.safe_load(resources.files("munigrid.forecasting").joinpath("flex_defaults.yaml").read_text())


def _hours(index: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(index.hour + index.minute / 60.0, float)


def pump_station(spec: Pumping, index: pd.DatetimeIndex) -> PumpStation:
    """Pumps and reservoir; the day's demand spread by the hourly shape [m3/h]."""
    shape = np.asarray(flex_defaults()["water_demand"][spec.demand_profile]["shape"], float)
    demand = spec.demand_m3_per_day * (shape / shape.sum())[np.asarray(index.hour)]
    return PumpStation(pump_kw=spec.pump_kw, kwh_per_m3=spec.kwh_per_m3, volume_m3=spec.reservoir_m3,
                       demand_m3_per_h=demand, level_min_frac=spec.level_min_frac, level_max_frac=spec.level_max_frac,
                       level_initial_frac=spec.level_initial_frac,
                       inflow_m3_per_h=np.full(len(index), spec.inflow_m3_per_h), pumps=spec.pumps,
                       min_load_frac=spec.min_load_frac)


def thermal_zone(spec: Cooling, index: pd.DatetimeIndex, weather: pd.DataFrame) -> ThermalZone:
    """The zone's RC parameters (the scenario's, else the archetype's per m2), comfort band and gains."""
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
    cop = np.clip(cop_35 * (1 + common["cop_per_k"] * (35.0 - outdoor)), *(cop_35 * np.array(COP_RANGE)))
    ghi = weather["ghi_w_per_m2"].to_numpy(dtype=float) if "ghi_w_per_m2" in weather else np.zeros(len(index))
    gain_w_per_m2 = np.where(occupied, arch["gain_occupied_w_per_m2"], arch["gain_unoccupied_w_per_m2"])
    gain_kw = area * (gain_w_per_m2 + common["solar_aperture_m2_per_m2"] * np.clip(ghi, 0, None)) / 1000.0
    return ThermalZone(capacity_kwh_per_k=pick(spec.capacity_kwh_per_k, "capacity_kwh_per_k_per_m2"),
                       loss_kw_per_k=pick(spec.loss_kw_per_k, "loss_kw_per_k_per_m2"),
                       cooling_kw=pick(spec.cooling_kw, "cooling_kw_per_m2"), cop=cop, outdoor_c=outdoor,
                       gain_kw=gain_kw, comfort_min_c=np.where(at_end, occ_band[0], free_band[0]),
                       comfort_max_c=np.where(at_end, occ_band[1], free_band[1]),
                       temp_initial_c=float(common["temp_initial_c"]))


def ev_fleet(spec: EVSpec, index: pd.DatetimeIndex) -> EVFleet:
    """Daily sessions from ``arrival_h`` to ``departure_h`` (next day when earlier); a session that
    departs after the horizon has no energy requirement, one that arrived before it is not modelled."""
    n_t = len(index)
    step = index[1] - index[0] if n_t > 1 else pd.Timedelta(hours=1)
    plugged, start, required = np.zeros(n_t, bool), np.zeros(n_t, bool), np.zeros(n_t + 1)
    days = pd.DatetimeIndex(np.unique(index.normalize()))
    working = day_type(days) == WORKDAY
    for day, works in zip(days, working):
        if spec.days == "working" and not works:
            continue
        arrive = day + pd.Timedelta(hours=spec.arrival_h)
        depart = day + pd.Timedelta(hours=spec.departure_h + (24 if spec.departure_h < spec.arrival_h else 0))
        steps = np.flatnonzero((index >= arrive) & (index + step <= depart))
        if not len(steps):
            continue
        plugged[steps], start[steps[0]] = True, True
        if depart <= index[-1] + step:
            required[steps[-1] + 1] = spec.count * spec.energy_kwh
    return EVFleet(name=spec.name, charger_kw=spec.count * spec.charger_kw, plugged=plugged, session_start=start,
                   required_kwh=required, charge_eff_frac=spec.charge_eff_frac)


def building_flex(scenario: Scenario, building: str, index: pd.DatetimeIndex,
                  weather: pd.DataFrame) -> FlexLoads | None:
    """The flexible loads of ``building`` (None without any). Raises :class:`InputError` naming the
    scenario field when a load cannot be served even run the baseline way."""
    spec = scenario.flexible_loads
    if spec is None or building not in spec.buildings():
        return None
    step_h = (index[1] - index[0]).total_seconds() / 3600.0 if len(index) > 1 else 1.0
    parts: dict = {"ev": []}
    for kind, build in (("pumping", lambda s: pump_station(s, index)),
                        ("cooling", lambda s: thermal_zone(s, index, weather)),
                        ("ev", lambda s: ev_fleet(s, index))):
        for k, item in enumerate(getattr(spec, kind)):
            if item.building != building:
                continue
            load = build(item)
            one = FlexLoads(ev=(load,)) if kind == "ev" else FlexLoads(**{kind: load})
            try:
                baseline_kw(one, step_h)
            except InputError as err:
                field = err.problems[0].path.split(".")[-1]
                raise InputError([Problem(f"flexible_loads.{kind}[{k}].{field}", p.message)
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
