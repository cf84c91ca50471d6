r"""Flexible loads on a meter: water pumping into a reservoir, pre-cooling, EV charging.

Each is an electric load the optimiser may move in time within physical limits
(:mod:`munigrid.models.dispatch.families_flex` holds their equations). Each also has a
*baseline* behaviour, the way it runs without an optimiser, simulated here step by step:

* pumping: the pumps refill the reservoir to its starting level as soon as it drops
  (:func:`pump_baseline`);
* cooling: a thermostat cools only as much as keeps the room at the top of the comfort
  band (:func:`thermostat_baseline`); a chilled-water or ice store of the zone stays unused
  (a zone cooled only through its store: the store's chiller serves it through the tank);
* EV charging: full charger power from arrival until the session's energy is in
  (:func:`ev_baseline`).

The baseline gives the bill *without* the flexibility (its power added to the fixed load),
so that a run can state what each flexibility is worth. It also sets the end condition of
the optimised run (the reservoir ends at least as full, the room at most as warm as the
baseline leaves them), so the optimiser cannot borrow from after the horizon.

Every array has one value per step (shape ``(T,)``) unless stated; states (volume,
temperature, session energy) are at step boundaries, shape ``(T+1,)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from munigrid.models.errors import InputError

LEVEL_TOL_FRAC = 1e-6  # relative slack when checking a simulated baseline against its bounds


@dataclass(frozen=True)
class PumpStation:
    r"""Pumps lifting water into a reservoir that supplies a demand.

    Parameters
    ----------
    pump_kw : float
        Electric power of all pumps together at full load :math:`\bar p` [kW].
    kwh_per_m3 : float
        Specific energy of pumping :math:`\epsilon` [kWh/m³] (wire to water).
    volume_m3 : float
        Reservoir volume between empty and full :math:`V` [m³].
    level_min_frac, level_max_frac, level_initial_frac : float
        Lowest, highest and starting level as shares of :math:`V` [-].
    demand_m3_per_h : ndarray
        Water drawn from the reservoir [m³/h].
    inflow_m3_per_h : ndarray or None
        Water entering the reservoir without pumping (e.g. gravity mains) [m³/h].
    pumps : int
        Number of identical pumps switched on and off (each :math:`\bar p/n`); 0 treats the
        station as one variable-speed drive (continuous power).
    min_load_frac : float
        Least load of a running pump as a share of its power [-] (with ``pumps >= 1``).
    """

    pump_kw: float
    kwh_per_m3: float
    volume_m3: float
    demand_m3_per_h: np.ndarray
    level_min_frac: float = 0.1
    level_max_frac: float = 1.0
    level_initial_frac: float = 0.5
    inflow_m3_per_h: np.ndarray | None = None
    pumps: int = 0
    min_load_frac: float = 0.0

    def net_draw_m3_per_h(self) -> np.ndarray:
        """Demand less inflow [m³/h]."""
        inflow = 0.0 if self.inflow_m3_per_h is None else np.asarray(self.inflow_m3_per_h, float)
        return np.asarray(self.demand_m3_per_h, float) - inflow


@dataclass(frozen=True)
class ThermalStore:
    r"""A chilled-water or ice tank charged by its own chiller that cools a :class:`ThermalZone`.

    Parameters
    ----------
    kind : str
        ``chilled_water`` or ``ice`` (a label: the numbers below carry the difference).
    capacity_kwh_th : float
        Cooling stored when full :math:`S` [kWh thermal].
    charge_kw : float
        Electric power of the chiller at full load while charging :math:`\bar c` [kW].
    charge_cop : ndarray
        Coefficient of performance of charging :math:`\mathrm{COP}^s_t` [-] (thermal kWh into the
        tank per electric kWh; ice making runs colder and has the lower COP).
    discharge_kw_th : float
        Most cooling the tank delivers to the zone :math:`\bar d` [kW thermal].
    loss_frac_per_h : float
        Standing loss :math:`\lambda`, share of the stored cooling lost per hour [1/h].
    soc_min_frac, soc_max_frac, soc_initial_frac : float
        Lowest, highest and starting charge as shares of :math:`S` [-]; the run ends at least
        as charged as it starts.
    max_capacity_kwh_th : float or None
        In sizing mode, the largest tank :math:`\bar S` [kWh thermal]: the optimiser chooses
        :math:`S \in [0, \bar S]`, the chiller and discharge power following the tank in the ratios
        ``charge_kw / capacity_kwh_th`` and ``discharge_kw_th / capacity_kwh_th`` (give
        ``capacity_kwh_th`` equal to it). None: the tank is ``capacity_kwh_th``.
    capex_thb_per_kwh_th, capex_thb_per_kw : float
        Turnkey price of the tank per kWh thermal and of the chiller per kW electric [THB].
    om_frac_per_year : float
        Yearly upkeep as a share of the price of tank and chiller [1/year].
    life_years : float
        Life of tank and chiller for the annualised capital [years].
    """

    kind: str
    capacity_kwh_th: float
    charge_kw: float
    charge_cop: np.ndarray
    discharge_kw_th: float
    loss_frac_per_h: float = 0.0
    soc_min_frac: float = 0.0
    soc_max_frac: float = 1.0
    soc_initial_frac: float = 0.0
    max_capacity_kwh_th: float | None = None
    capex_thb_per_kwh_th: float = 0.0
    capex_thb_per_kw: float = 0.0
    om_frac_per_year: float = 0.0
    life_years: float = 20.0

    def capex_thb_per_kwh_th_total(self) -> float:
        r"""Price of one kWh thermal of tank with its share of the chiller, :math:`k^S + k^P \bar c / S` [THB/kWh_th]."""
        return self.capex_thb_per_kwh_th + self.capex_thb_per_kw * self.charge_kw / self.capacity_kwh_th

    def keep_frac(self, step_h: float) -> float:
        r"""Share of the stored cooling still there after one step, :math:`(1 - \lambda)^{\Delta t}` [-]."""
        return (1.0 - self.loss_frac_per_h) ** step_h


@dataclass(frozen=True)
class ThermalZone:
    r"""An air-conditioned zone as one thermal capacity and one loss to outdoors (RC model).

    Parameters
    ----------
    capacity_kwh_per_k : float
        Thermal capacity :math:`C` of air, furniture and the inner structure [kWh/K].
    loss_kw_per_k : float
        Heat loss to outdoors :math:`H` by the envelope and ventilation [kW/K].
    cooling_kw : float
        Electric power of the air conditioners at full load :math:`\bar p` [kW].
    cop : ndarray
        Coefficient of performance :math:`\mathrm{COP}_t` [-] (falls as the outdoor air warms).
    outdoor_c : ndarray
        Outdoor air temperature :math:`\theta^o_t` [°C].
    gain_kw : ndarray
        Heat gains of people, equipment, lights and sun :math:`Q_t` [kW].
    comfort_min_c, comfort_max_c : ndarray
        Comfort band at the end of each step [°C] (occupied hours narrow, other hours wide).
    temp_initial_c : float
        Zone temperature at the start [°C].
    store : ThermalStore or None
        Chilled-water or ice store whose discharge cools the zone in addition to the air
        conditioners or, with ``cooling_kw`` 0, instead of them (None: none).
    """

    capacity_kwh_per_k: float
    loss_kw_per_k: float
    cooling_kw: float
    cop: np.ndarray
    outdoor_c: np.ndarray
    gain_kw: np.ndarray
    comfort_min_c: np.ndarray
    comfort_max_c: np.ndarray
    temp_initial_c: float
    store: ThermalStore | None = None


@dataclass(frozen=True)
class EVFleet:
    r"""Vehicles charged on one meter with the same sessions (a fleet of ``count`` is one entry).

    Parameters
    ----------
    name : str
        Label.
    charger_kw : float
        Charger power of the whole fleet :math:`\bar p` [kW].
    plugged : ndarray of bool
        Steps the vehicles are plugged in.
    session_start : ndarray of bool
        Steps where a new session begins (the energy counter restarts).
    required_kwh : ndarray, shape (T+1,)
        Energy that must be in the vehicles at each step boundary [kWh] (the session's energy at
        its departure boundary, 0 elsewhere).
    charge_eff_frac : float
        Energy into the batteries per kWh drawn :math:`\eta` [-].
    energy_initial_kwh : float
        Energy already charged in a session that began before the first step and is still
        plugged in at it (``session_start[0]`` False) [kWh]: a day planned on its own carries
        the previous day's session on (0: no session carried).
    """

    name: str
    charger_kw: float
    plugged: np.ndarray
    session_start: np.ndarray
    required_kwh: np.ndarray
    charge_eff_frac: float = 0.92
    energy_initial_kwh: float = 0.0


@dataclass(frozen=True)
class FlexLoads:
    """The flexible loads behind one meter (each optional; several EV fleets allowed)."""

    pumping: PumpStation | None = None
    cooling: ThermalZone | None = None
    ev: tuple[EVFleet, ...] = field(default_factory=tuple)


@dataclass
class FlexSchedule:
    """What the flexible loads of one meter did: power [kW] per step, states at step boundaries."""

    flex_kw: np.ndarray
    pump_kw: np.ndarray
    water_m3: np.ndarray
    cool_kw: np.ndarray
    temp_c: np.ndarray
    ev_kw: np.ndarray  # (V, T)
    store_charge_kw: np.ndarray  # chiller of the thermal store, electric
    store_discharge_kw_th: np.ndarray  # cooling from the store into the zone, thermal
    store_kwh_th: np.ndarray  # (T+1,) cooling stored


def pump_baseline(station: PumpStation, step_h: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Pumping that refills the reservoir to its starting level as soon as it drops.

    .. math:: p_t = \min\big(\bar p,\ \max(0,\ \epsilon\,[(V^0 - v_t)/\Delta t + w_t])\big), \quad
              v_{t+1} = v_t + \Delta t\,(p_t/\epsilon - w_t)

    with net draw :math:`w` (demand less inflow) and starting volume :math:`V^0`. Returns
    pump power [kW] (T,) and volume [m³] (T+1,). Raises :class:`InputError` when even this
    pumping lets the level fall below its minimum (the pumps are too small for the demand).
    """
    draw = station.net_draw_m3_per_h()
    target = station.level_initial_frac * station.volume_m3
    low = station.level_min_frac * station.volume_m3
    volume_m3, volume, power = target, [target], []  # Python floats: a step costs a third of one on numpy scalars
    pump_kw, kwh_per_m3 = float(station.pump_kw), float(station.kwh_per_m3)
    for w in draw.tolist():
        p_kw = kwh_per_m3 * ((target - volume_m3) / step_h + w)
        p_kw = pump_kw if p_kw > pump_kw else (p_kw if p_kw > 0.0 else 0.0)  # min/max calls: twice the time
        volume_m3 += step_h * (p_kw / kwh_per_m3 - w)
        power.append(p_kw)
        volume.append(volume_m3)
    volume, power = np.array(volume), np.array(power)
    short = np.flatnonzero(volume < low - LEVEL_TOL_FRAC * station.volume_m3)
    if len(short):
        raise InputError(f"the pumps cannot keep the reservoir above its minimum level even pumping whenever it "
                         f"drops (first short at step {int(short[0])}); raise pump_kw or volume_m3 or lower "
                         "the demand", "pumping.pump_kw")
    return power, volume


def thermostat_baseline(zone: ThermalZone, step_h: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Cooling that keeps the zone at the top of its comfort band and no lower.

    .. math:: p_t = \min\Big(\bar p_t,\ \max\big(0,\ [C(\theta_t - \overline\theta_{t+1})/\Delta t
              + H(\theta^o_t - \theta_t) + Q_t]/\mathrm{COP}_t\big)\Big)

    with the plant of :func:`thermostat_plant`, and the zone follows
    :func:`~munigrid.models.dispatch.families_flex.zone_dynamics`. Returns electric power [kW] (T,)
    and temperature [°C] (T+1,).
    """
    temp_c = float(zone.temp_initial_c)
    temp, power = [temp_c], []  # Python floats and no min/max calls, as in pump_baseline
    c, h = float(zone.capacity_kwh_per_k), float(zone.loss_kw_per_k)
    plant_cop, plant_kw = thermostat_plant(zone, step_h)
    for outdoor, gain, top, cop, most_kw in zip(*(np.asarray(a, float).tolist() for a in (
            zone.outdoor_c, zone.gain_kw, zone.comfort_max_c, plant_cop, plant_kw))):
        drift_kw = h * (outdoor - temp_c) + gain
        q_kw = (c * (temp_c - top) / step_h + drift_kw) / cop
        q_kw = most_kw if q_kw > most_kw else (q_kw if q_kw > 0.0 else 0.0)
        temp_c = temp_c + step_h / c * (drift_kw - cop * q_kw)
        power.append(q_kw)
        temp.append(temp_c)
    return np.array(power), np.array(temp)


def thermostat_plant(zone: ThermalZone, step_h: float) -> tuple[np.ndarray, np.ndarray]:
    r"""COP [-] and most electric power [kW] per step of the plant the thermostat runs, each (T,).

    The zone's air conditioners (:math:`\mathrm{COP}_t`, :math:`\bar p`); in a zone without any
    (``cooling_kw`` 0) cooled only through its store, the store's chiller serving the zone through
    the tank in the same step (:math:`\mathrm{COP}^s_t`, at most
    :math:`\min(\bar c - c^{\mathrm{hold}}_t,\ \bar d/\mathrm{COP}^s_t)`, the store's content left as
    it is; :func:`store_hold_kw` keeps room for holding its starting charge, so the optimiser can do
    the same and still end as charged as it started).
    """
    n_t = len(zone.outdoor_c)
    store = zone.store
    if zone.cooling_kw > 0 or store is None:
        return np.broadcast_to(np.asarray(zone.cop, float), (n_t,)), np.full(n_t, float(zone.cooling_kw))
    cop = np.asarray(store.charge_cop, float)
    return cop, np.minimum(store.charge_kw - store_hold_kw(store, step_h), store.discharge_kw_th / cop)


def store_sized(zone: ThermalZone) -> bool:
    """Whether the zone's store has a largest tank to size (``max_capacity_kwh_th``); raises
    :class:`InputError` when the store is the zone's only cooling (its thermostat baseline needs the tank)."""
    if zone.store is None or zone.store.max_capacity_kwh_th is None:
        return False
    if zone.cooling_kw <= 0:
        raise InputError("a thermal store that is the zone's only cooling cannot be sized (its thermostat "
                         "baseline needs the tank); give the zone cooling_kw > 0 or a fixed capacity_kwh_th",
                         "cooling.store.max_capacity_kwh_th")
    return True


def store_hold_kw(store: ThermalStore, step_h: float) -> np.ndarray:
    r"""Chiller power that keeps the store at its starting charge against its standing loss [kW], (T,).

    .. math:: c_t = (1 - \kappa)\,\sigma^0 S / (\Delta t\,\mathrm{COP}^s_t), \quad \kappa = (1-\lambda)^{\Delta t}

    The run ends at least as charged as it starts, so this must fit the chiller: raises
    :class:`InputError` otherwise.
    """
    start_kwh_th = store.soc_initial_frac * store.capacity_kwh_th
    hold_kw = (1.0 - store.keep_frac(step_h)) * start_kwh_th / (step_h * np.asarray(store.charge_cop, float))
    if np.any(hold_kw > store.charge_kw):
        raise InputError(f"the store's chiller ({store.charge_kw:g} kW) cannot make up its standing loss at the "
                         f"starting charge (needs up to {hold_kw.max():.3g} kW); raise charge_kw or lower "
                         "loss_frac_per_h or soc_initial_frac", "cooling.store.charge_kw")
    return hold_kw


def ev_baseline(fleet: EVFleet, step_h: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Charging at full power from arrival until the session's energy is in.

    .. math:: p_t = \min\big(\bar p,\ (R_s - e_t)/(\eta\,\Delta t)\big) \text{ while plugged}

    with :math:`R_s` the session's energy. Returns power [kW] (T,) and energy in the session
    so far [kWh] (T+1,), starting from the carried ``energy_initial_kwh``. Raises
    :class:`InputError` when a session cannot get its energy even at full power.
    """
    plugged = np.asarray(fleet.plugged, bool)
    n_t = len(plugged)
    need = session_need_kwh(fleet)
    energy, power = np.zeros(n_t + 1), np.zeros(n_t)
    energy[0] = fleet.energy_initial_kwh
    for t in range(n_t):
        carried = 0.0 if fleet.session_start[t] else energy[t]
        if plugged[t]:
            power[t] = min(fleet.charger_kw, max(0.0, (need[t] - carried) / (fleet.charge_eff_frac * step_h)))
        energy[t + 1] = carried + step_h * fleet.charge_eff_frac * power[t]
    short = np.flatnonzero(energy < np.asarray(fleet.required_kwh) - 1e-6)
    if len(short):
        raise InputError(f"EV fleet '{fleet.name}' cannot take its session energy before departure even at full "
                         f"charger power (first short at step {int(short[0])}); raise charger_kw or lower "
                         "energy_kwh", "ev.energy_kwh")
    return power, energy


def session_need_kwh(fleet: EVFleet) -> np.ndarray:
    """Energy the session running at each step must reach by its departure [kWh], shape (T,)."""
    required = np.asarray(fleet.required_kwh, float)
    n_t = len(fleet.plugged)
    need, upcoming = np.zeros(n_t), 0.0
    for t in range(n_t - 1, -1, -1):  # the next departure requirement, looking back from the end
        if required[t + 1] > 0:
            upcoming = required[t + 1]
        need[t] = upcoming
        if fleet.session_start[t]:
            upcoming = 0.0
    return need


def baseline_kw(flex: FlexLoads, step_h: float) -> np.ndarray:
    """Electric power of all the meter's flexible loads run the baseline way [kW], shape (T,)."""
    parts = []
    if flex.pumping is not None:
        parts.append(pump_baseline(flex.pumping, step_h)[0])
    if flex.cooling is not None:
        parts.append(thermostat_baseline(flex.cooling, step_h)[0])
    parts += [ev_baseline(fleet, step_h)[0] for fleet in flex.ev]
    return np.sum(parts, axis=0) if parts else np.zeros(0)
