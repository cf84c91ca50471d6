"""Random flexible loads for the random instances and their independent reference model (Pyomo).

The reference is written here from the physical statement of each load, not from munigrid's
families: the reservoir volume is its start plus the water pumped less the water drawn so far,
the zone temperature follows the RC step solved for the next temperature (less the cooling a
thermal store delivers), the store holds its start and every charge and discharge so far, each
decayed by the standing loss for the hours since, and each EV session must have charged its
energy by its departure (a sum over the session's steps, no counter).
Discrete pumps are an integer count of running pumps. The end conditions and the comfort band's
widening come from the problem statement (:mod:`munigrid.models.dispatch.flex`): the reservoir
ends at least as full and the zone at most as warm as the baseline behaviour leaves them, the
store at least as charged as it starts, and the band is widened to the thermostat's temperature
where weather or plant force it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from munigrid.models.dispatch.flex import (EVFleet, FlexLoads, PumpStation, ThermalStore, ThermalZone, pump_baseline,
                                          thermostat_baseline)


@dataclass
class FlexLimits:
    """What the schedule of the flexible loads must respect (from the statement), for checks."""

    water_low_m3: np.ndarray
    water_high_m3: np.ndarray
    temp_low_c: np.ndarray
    temp_high_c: np.ndarray
    store_low_kwh_th: np.ndarray
    store_high_kwh_th: np.ndarray


def random_flex(rng: np.random.Generator, n_t: int, step_h: float) -> FlexLoads:
    """A reservoir with pumps (continuous or 1-3 discrete pumps), a pre-cooled zone (half of them with a
    chilled-water or ice store, some of those without air conditioners) and 1-2 EV fleets, each present at random (at least one). Sizes keep the
    baseline behaviour feasible and the store's chiller able to make up its loss."""
    hour = (np.arange(n_t) * step_h) % 24
    day = (hour >= 8) & (hour < 18)
    kinds = rng.random(3) < 0.6
    kinds[rng.integers(3)] = True
    pumping = cooling = None
    if kinds[0]:
        kwh_per_m3 = rng.uniform(0.2, 0.8)
        demand = rng.uniform(2, 10) * (0.5 + day + 0.3 * rng.random(n_t))
        inflow = np.full(n_t, rng.uniform(0, 1.5)) if rng.random() < 0.3 else None
        pumps = int(rng.choice([0, 0, 1, 2, 3]))
        pumping = PumpStation(pump_kw=kwh_per_m3 * float(demand.max()) * rng.uniform(1.3, 2.5), kwh_per_m3=kwh_per_m3,
                              volume_m3=rng.uniform(10, 80), demand_m3_per_h=demand, level_min_frac=rng.uniform(0, 0.3),
                              level_max_frac=rng.uniform(0.7, 1.0), level_initial_frac=rng.uniform(0.35, 0.65),
                              inflow_m3_per_h=inflow, pumps=pumps, min_load_frac=rng.uniform(0, 0.7) if pumps else 0.0)
    if kinds[1]:
        outdoor = 27 + 5 * np.clip(np.sin((hour - 8) / 12 * np.pi), 0, None) + rng.random(n_t)
        capacity = rng.uniform(3, 30)
        cooling = ThermalZone(capacity_kwh_per_k=capacity, loss_kw_per_k=rng.uniform(0.1, 0.9) * capacity / step_h / 2,
                              cooling_kw=rng.uniform(3, 15), cop=3.8 - 0.05 * (outdoor - 27),
                              outdoor_c=outdoor, gain_kw=rng.uniform(0, 6) * (0.2 + day),
                              comfort_min_c=np.where(day, 22.0, 20.0), comfort_max_c=np.where(day, 26.0, 30.0),
                              temp_initial_c=rng.uniform(25, 29))
    fleets = []
    for v in range(int(rng.integers(1, 3)) if kinds[2] else 0):
        plugged, start, required = np.zeros(n_t, bool), np.zeros(n_t, bool), np.zeros(n_t + 1)
        charger_kw, eff = rng.uniform(3, 15), rng.uniform(0.85, 0.95)
        arrival = 0
        while arrival < n_t - 1:  # one or more sessions, the last may run past the horizon (no requirement)
            arrival += int(rng.integers(0, max(1, n_t // 4)))
            departure = min(n_t, arrival + int(rng.integers(2, max(3, n_t // 2))))
            if arrival >= departure:
                break
            plugged[arrival:departure], start[arrival] = True, True
            if departure < n_t or rng.random() < 0.5:
                required[departure] = rng.uniform(0.1, 0.95) * charger_kw * eff * step_h * (departure - arrival)
            arrival = departure + int(rng.integers(1, 4))
        fleets.append(EVFleet(f"ev{v}", charger_kw, plugged, start, required, charge_eff_frac=eff))
    if cooling is not None and rng.random() < 0.5:  # drawn last: the draws above stay those of earlier instances
        cooling = replace(cooling, store=_random_store(rng, cooling.outdoor_c))
        if rng.random() < 0.3:  # no air conditioners: cooled only through the store
            cooling = replace(cooling, cooling_kw=0.0)
    return FlexLoads(pumping=pumping, cooling=cooling, ev=tuple(fleets))


def _random_store(rng: np.random.Generator, outdoor_c: np.ndarray) -> ThermalStore:
    """Ice (COP about 2.2) or chilled water (about 3), COP falling with outdoor temperature, loss up to 3 %/h."""
    ice = rng.random() < 0.5
    low, high = rng.uniform(0, 0.2), rng.uniform(0.8, 1.0)
    return ThermalStore("ice" if ice else "chilled_water", capacity_kwh_th=rng.uniform(5, 60),
                        charge_kw=rng.uniform(2, 8), charge_cop=(2.2 if ice else 3.0) - 0.04 * (outdoor_c - 27),
                        discharge_kw_th=rng.uniform(2, 20), loss_frac_per_h=rng.uniform(0, 0.03), soc_min_frac=low,
                        soc_max_frac=high, soc_initial_frac=rng.uniform(low, high))


def flex_limits(flex: FlexLoads, n_t: int, step_h: float) -> FlexLimits:
    """Level and temperature bounds at each step boundary (T+1,) from the statement (module docstring)."""
    water_low, water_high = np.full(n_t + 1, -np.inf), np.full(n_t + 1, np.inf)
    temp_low, temp_high = np.full(n_t + 1, -np.inf), np.full(n_t + 1, np.inf)
    store_low, store_high = np.full(n_t + 1, -np.inf), np.full(n_t + 1, np.inf)
    s, z = flex.pumping, flex.cooling
    if s is not None:
        water_low[:], water_high[:] = s.level_min_frac * s.volume_m3, s.level_max_frac * s.volume_m3
        water_low[0] = water_high[0] = s.level_initial_frac * s.volume_m3
        water_low[-1] = max(water_low[-1], pump_baseline(s, step_h)[1][-1])
    if z is not None:
        thermostat_c = thermostat_baseline(z, step_h)[1]
        temp_low[1:] = np.minimum(z.comfort_min_c, thermostat_c[1:])
        temp_high[1:] = np.maximum(z.comfort_max_c, thermostat_c[1:])
        temp_low[0] = temp_high[0] = z.temp_initial_c
        temp_high[-1] = thermostat_c[-1]
    if z is not None and z.store is not None:
        start_kwh_th = z.store.soc_initial_frac * z.store.capacity_kwh_th
        store_low[:], store_high[:] = z.store.soc_min_frac * z.store.capacity_kwh_th, \
            z.store.soc_max_frac * z.store.capacity_kwh_th
        store_low[0] = store_high[0] = store_low[-1] = start_kwh_th
    return FlexLimits(water_low, water_high, temp_low, temp_high, store_low, store_high)


def session_requirements(fleet: EVFleet) -> list[tuple[int, int, float]]:
    """(first step, departure boundary, energy [kWh]) of each session with a requirement."""
    out = []
    for boundary in np.flatnonzero(np.asarray(fleet.required_kwh) > 0):
        starts = np.flatnonzero(np.asarray(fleet.session_start[:boundary], bool))
        out.append((int(starts[-1]) if len(starts) else 0, int(boundary), float(fleet.required_kwh[boundary])))
    return out


def reference_flex(block, flex: FlexLoads, n_t: int, dt: float) -> list:
    """Add the flexible loads to the Pyomo ``block``; returns their electric power per step [kW] (expressions)."""
    import pyomo.environ as pyo

    steps, limits = range(n_t), flex_limits(flex, n_t, dt)
    power = [0.0] * n_t
    s, z = flex.pumping, flex.cooling
    if s is not None:
        draw = s.net_draw_m3_per_h()
        block.pump = pyo.Var(steps, bounds=(0, s.pump_kw))
        block.level = pyo.Var(range(n_t + 1), bounds=lambda _, t: (limits.water_low_m3[t], limits.water_high_m3[t]))
        block.level_sum = pyo.Constraint(range(n_t + 1), rule=lambda b, t: b.level[t] == s.level_initial_frac
                                         * s.volume_m3 + dt * sum(b.pump[k] / s.kwh_per_m3 - draw[k] for k in range(t)))
        if s.pumps:
            unit_kw = s.pump_kw / s.pumps
            block.running = pyo.Var(steps, domain=pyo.Integers, bounds=(0, s.pumps))
            block.unit_max = pyo.Constraint(steps, rule=lambda b, t: b.pump[t] <= unit_kw * b.running[t])
            block.unit_min = pyo.Constraint(steps, rule=lambda b, t: b.pump[t] >= s.min_load_frac * unit_kw * b.running[t])
        power = [power[t] + block.pump[t] for t in steps]
    if z is not None:
        keep = 1 - dt * z.loss_kw_per_k / z.capacity_kwh_per_k
        block.cool = pyo.Var(steps, bounds=(0, z.cooling_kw))
        block.temp = pyo.Var(range(n_t + 1), bounds=lambda _, t: (limits.temp_low_c[t], limits.temp_high_c[t]))
        from_store = _reference_store(block, z.store, limits, n_t, dt) if z.store is not None else [0.0] * n_t
        block.rc = pyo.Constraint(steps, rule=lambda b, t: b.temp[t + 1] == keep * b.temp[t] + dt / z.capacity_kwh_per_k
                                  * (z.loss_kw_per_k * z.outdoor_c[t] + z.gain_kw[t] - z.cop[t] * b.cool[t]
                                     - from_store[t]))
        power = [power[t] + block.cool[t] for t in steps]
        if z.store is not None:
            power = [power[t] + block.chiller[t] for t in steps]
    fleets = list(flex.ev)
    if fleets:
        block.ev = pyo.Var(range(len(fleets)), steps,
                           bounds=lambda _, v, t: (0, fleets[v].charger_kw * float(fleets[v].plugged[t])))
        block.sessions = pyo.ConstraintList()
        for v, fleet in enumerate(fleets):
            for first, boundary, energy_kwh in session_requirements(fleet):
                block.sessions.add(dt * fleet.charge_eff_frac * sum(block.ev[v, k] for k in range(first, boundary))
                                   >= energy_kwh)
        power = [power[t] + sum(block.ev[v, t] for v in range(len(fleets))) for t in steps]
    return power


def _reference_store(block, store: ThermalStore, limits: FlexLimits, n_t: int, dt: float) -> list:
    """The store's chiller power and delivered cooling on ``block``; its content at each boundary is the
    start and every step's net charge, each kept at (1 - loss)^hours since. Returns the cooling [kW] per step."""
    import pyomo.environ as pyo

    kept = lambda hours: (1.0 - store.loss_frac_per_h) ** hours  # noqa: E731 - share left after ``hours``
    start_kwh_th = store.soc_initial_frac * store.capacity_kwh_th
    block.chiller = pyo.Var(range(n_t), bounds=(0, store.charge_kw))
    block.from_store = pyo.Var(range(n_t), bounds=(0, store.discharge_kw_th))
    block.stored = pyo.Var(range(n_t + 1), bounds=lambda _, t: (limits.store_low_kwh_th[t],
                                                                 limits.store_high_kwh_th[t]))
    block.stored_sum = pyo.Constraint(range(n_t + 1), rule=lambda b, t: b.stored[t] == kept(t * dt) * start_kwh_th
                                      + sum(kept((t - 1 - k) * dt) * dt * (store.charge_cop[k] * b.chiller[k]
                                                                           - b.from_store[k]) for k in range(t)))
    return [block.from_store[t] for t in range(n_t)]


def check_flex(flex: FlexLoads, schedule, n_t: int, dt: float, tol: float = 1e-6) -> None:
    """Assert munigrid's schedule of the flexible loads keeps the statement: parts add up to the flexible
    load, power within limits, reservoir level and zone temperature within their bounds and following
    their equations, every EV session's energy in by its departure."""
    f, limits = schedule.flex, flex_limits(flex, n_t, dt)
    ev_kw = f.ev_kw.reshape(len(flex.ev), n_t) if flex.ev else np.zeros((0, n_t))
    np.testing.assert_allclose(f.flex_kw, f.pump_kw + f.cool_kw + ev_kw.sum(axis=0) + f.store_charge_kw, atol=tol * 10)
    s, z = flex.pumping, flex.cooling
    if s is not None:
        assert np.all(f.pump_kw >= -tol) and np.all(f.pump_kw <= s.pump_kw + tol)
        assert np.all(f.water_m3 >= limits.water_low_m3 - tol) and np.all(f.water_m3 <= limits.water_high_m3 + tol)
        np.testing.assert_allclose(np.diff(f.water_m3), dt * (f.pump_kw / s.kwh_per_m3 - s.net_draw_m3_per_h()),
                                   atol=tol * 10)
    if z is not None:
        assert np.all(f.cool_kw >= -tol) and np.all(f.cool_kw <= z.cooling_kw + tol)
        assert np.all(f.temp_c >= limits.temp_low_c - tol) and np.all(f.temp_c <= limits.temp_high_c + tol)
        drift_kw = z.loss_kw_per_k * (z.outdoor_c - f.temp_c[:-1]) + z.gain_kw - z.cop * f.cool_kw \
            - f.store_discharge_kw_th
        np.testing.assert_allclose(np.diff(f.temp_c), dt / z.capacity_kwh_per_k * drift_kw, atol=tol * 10)
    if z is not None and z.store is not None:
        st = z.store
        assert np.all(f.store_charge_kw >= -tol) and np.all(f.store_charge_kw <= st.charge_kw + tol)
        assert np.all(f.store_discharge_kw_th >= -tol) and np.all(f.store_discharge_kw_th <= st.discharge_kw_th + tol)
        assert np.all(f.store_kwh_th >= limits.store_low_kwh_th - tol)
        assert np.all(f.store_kwh_th <= limits.store_high_kwh_th + tol)
        np.testing.assert_allclose(f.store_kwh_th[1:], (1 - st.loss_frac_per_h) ** dt * f.store_kwh_th[:-1] + dt * (
            st.charge_cop * f.store_charge_kw - f.store_discharge_kw_th), atol=tol * 10)
    for v, fleet in enumerate(flex.ev):
        assert np.all(ev_kw[v] >= -tol) and np.all(ev_kw[v] <= fleet.charger_kw * fleet.plugged + tol)
        for first, boundary, energy_kwh in session_requirements(fleet):
            assert dt * fleet.charge_eff_frac * ev_kw[v, first:boundary].sum() >= energy_kwh - tol * 10
