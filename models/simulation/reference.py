"""Plain-Python references of every numba kernel, written for clarity, not speed.

The tests run each kernel and its reference on random inputs and assert equal results;
the benchmark times them side by side. Nothing here is imported by the kernels. The
floating-point operations are the kernels' own (step constants as products, see
:func:`_rates`), so that rule decisions at exact boundaries (e.g. "the battery can just
cover the load") come out the same.
"""

from __future__ import annotations

import math
from itertools import accumulate


def _rates(eff_c, eff_d, dt):
    """kW per kWh of room, kW per kWh of content, kWh stored per kW charged, kWh drawn per kW discharged."""
    return 1.0 / (eff_c * dt), eff_d / dt, eff_c * dt, dt / eff_d


def _discharge_limit(soc, soc_min, power, d_rate):
    return max(0.0, min(power, (soc - soc_min) * d_rate))


def _charge_limit(soc, ceiling, power, c_rate):
    return max(0.0, min(power, (ceiling - soc) * c_rate))


def _next_soc(soc, charge, discharge, gain, loss):
    return soc + gain * charge - loss * discharge


def _grid_split(grid, export_allowed, export_limit):
    if grid >= 0.0:
        return grid, 0.0, 0.0
    surplus = -grid
    exported = min(surplus, export_limit) if export_allowed else 0.0
    return 0.0, exported, surplus - exported


def band_dispatch(load_kw, pv_kw, low_kw, high_kw, grid_target_frac, energy_kwh, power_kw,
                  charge_eff_frac, discharge_eff_frac, soc_min_frac, soc_max_frac, soc_initial_frac,
                  step_h, export_allowed, export_limit_kw):
    """Reference of :func:`munigrid.models.simulation.battery.band_kernel` (lists out)."""
    c_rate, d_rate, gain, loss = _rates(charge_eff_frac, discharge_eff_frac, step_h)
    soc_min, soc_max = soc_min_frac * energy_kwh, soc_max_frac * energy_kwh
    soc = soc_initial_frac * energy_kwh
    out = {k: [] for k in ("charge_kw", "discharge_kw", "import_kw", "export_kw", "curtail_kw")}
    socs = [soc]
    for t in range(len(load_kw)):
        net = load_kw[t] - pv_kw[t]
        charge = discharge = 0.0
        if net > high_kw[t]:
            discharge = min(net - high_kw[t], _discharge_limit(soc, soc_min, power_kw, d_rate))
        elif net < low_kw[t]:
            want = low_kw[t] - net
            from_pv = min(max(-net, 0.0), want)
            grid_room = _charge_limit(soc, grid_target_frac[t] * energy_kwh, power_kw, c_rate)
            charge = min(from_pv + min(want - from_pv, grid_room),
                         _charge_limit(soc, soc_max, power_kw, c_rate))
        imp, exp, curtail = _grid_split(net + charge - discharge, export_allowed, export_limit_kw)
        soc = _next_soc(soc, charge, discharge, gain, loss)
        for key, value in zip(out, (charge, discharge, imp, exp, curtail)):
            out[key].append(value)
        socs.append(soc)
    out["soc_kwh"] = socs
    return out


def generator_dispatch(load_kw, pv_kw, energy_kwh, power_kw, charge_eff_frac, discharge_eff_frac, soc_min_frac,
                       soc_max_frac, soc_initial_frac, rated_kw, min_load_frac, fuel_intercept_l_per_kwh_rated,
                       fuel_slope_l_per_kwh, setpoint_frac, cycle_charging, step_h):
    """Reference of :func:`munigrid.models.simulation.generator.generator_kernel` (dict of lists)."""
    c_rate, d_rate, gain, loss = _rates(charge_eff_frac, discharge_eff_frac, step_h)
    soc_min, soc_max = soc_min_frac * energy_kwh, soc_max_frac * energy_kwh
    setpoint = setpoint_frac * energy_kwh - 1e-9 * (1.0 + energy_kwh)
    soc = soc_initial_frac * energy_kwh
    keys = ("charge_kw", "discharge_kw", "gen_kw", "curtail_kw", "shed_kw", "fuel_l")
    out = {k: [] for k in keys}
    socs = [soc]
    running = False
    for t in range(len(load_kw)):
        if running and soc >= setpoint:
            running = False
        net = load_kw[t] - pv_kw[t]
        d_max = _discharge_limit(soc, soc_min, power_kw, d_rate)
        c_max = _charge_limit(soc, soc_max, power_kw, c_rate)
        charge = discharge = gen = curtail = shed = 0.0
        if net <= 0.0:
            gen = rated_kw if (running and rated_kw > 0.0) else 0.0
            charge = min(-net + gen, c_max)
            curtail = -net + gen - charge
        elif not running and net <= d_max:
            discharge = net
        else:
            if cycle_charging:
                gen, running = rated_kw, rated_kw > 0.0
            else:
                gen = min(max(net, min_load_frac * rated_kw), rated_kw)
            if gen >= net:
                charge = min(gen - net, c_max)
                curtail = gen - net - charge
            else:
                discharge = min(net - gen, d_max)
                shed = net - gen - discharge
        fuel = step_h * (fuel_intercept_l_per_kwh_rated * rated_kw + fuel_slope_l_per_kwh * gen) if gen > 0 else 0.0
        soc = _next_soc(soc, charge, discharge, gain, loss)
        for key, value in zip(keys, (charge, discharge, gen, curtail, shed, fuel)):
            out[key].append(value)
        socs.append(soc)
    out["soc_kwh"] = socs
    return out


def replay(load_kw, pv_kw, charge_set_kw, discharge_set_kw, planned_import_kw, energy_kwh, power_kw,
           charge_eff_frac, discharge_eff_frac, soc_min_frac, soc_max_frac, soc_initial_frac, step_h,
           export_allowed, export_limit_kw):
    """Reference of :func:`munigrid.models.simulation.replay.replay_kernel` (dict of lists)."""
    c_rate, d_rate, gain, loss = _rates(charge_eff_frac, discharge_eff_frac, step_h)
    soc_min, soc_max = soc_min_frac * energy_kwh, soc_max_frac * energy_kwh
    soc = soc_initial_frac * energy_kwh
    keys = ("charge_kw", "discharge_kw", "import_kw", "export_kw", "curtail_kw", "extra_import_kw")
    out = {k: [] for k in keys}
    socs = [soc]
    for t in range(len(load_kw)):
        net = load_kw[t] - pv_kw[t]
        charge = min(charge_set_kw[t], _charge_limit(soc, soc_max, power_kw, c_rate))
        discharge = min(discharge_set_kw[t], _discharge_limit(soc, soc_min, power_kw, d_rate))
        if not export_allowed:
            discharge = min(discharge, max(net + charge, 0.0))
        imp, exp, curtail = _grid_split(net + charge - discharge, export_allowed, export_limit_kw)
        soc = _next_soc(soc, charge, discharge, gain, loss)
        for key, value in zip(keys, (charge, discharge, imp, exp, curtail, max(imp - planned_import_kw[t], 0.0))):
            out[key].append(value)
        socs.append(soc)
    out["soc_kwh"] = socs
    return out


def period_peaks(power_kw, period_of_step, n_periods):
    """Reference of :func:`munigrid.models.simulation.peaks.period_peaks_kernel`."""
    peaks = [0.0] * n_periods
    for value, p in zip(power_kw, period_of_step):
        peaks[p] = max(peaks[p], value)
    return peaks


def window_peaks(power_kw, period_of_step, window_bits, n_periods, n_windows):
    """Reference of :func:`munigrid.models.simulation.peaks.window_peaks_kernel` (list of rows)."""
    peaks = [[0.0] * n_windows for _ in range(n_periods)]
    for value, p, bits in zip(power_kw, period_of_step, window_bits):
        for k in range(n_windows):
            if bits & (1 << k):
                peaks[p][k] = max(peaks[p][k], value)
    return peaks


def _island_step(net, soc, fuel, soc_min_kwh, soc_max_kwh, power_kw, rates, rated_kw, intercept, slope, step_h):
    """One islanded step: (shortfall, soc, fuel)."""
    c_rate, d_rate, gain, loss = rates
    if net <= 0.0:
        return 0.0, _next_soc(soc, min(-net, _charge_limit(soc, soc_max_kwh, power_kw, c_rate)), 0.0, gain, loss), fuel
    gen = 0.0
    if rated_kw > 0.0 and fuel > 0.0:
        gen = min(net, rated_kw)
        burn = step_h * (intercept * rated_kw + slope * gen)
        if burn > fuel:
            gen, burn = gen * fuel / burn, fuel
        fuel -= burn
    limit = _discharge_limit(soc, soc_min_kwh, power_kw, d_rate)
    if net - gen > limit + 1e-9:
        return net - gen - limit, _next_soc(soc, 0.0, limit, gain, loss), fuel
    return 0.0, _next_soc(soc, 0.0, net - gen, gain, loss), fuel


def _island_shortfalls(t0, critical_load_kw, pv_kw, soc, fuel, soc_min_kwh, soc_max_kwh, power_kw, rates, rated_kw,
                       intercept, slope, step_h, steps):
    """Shortfall [kW] of each of ``steps`` steps of an outage from ``t0`` (lazily, wrapping around)."""
    n = len(critical_load_kw)
    for k in range(steps):
        t = (t0 + k) % n
        short, soc, fuel = _island_step(critical_load_kw[t] - pv_kw[t], soc, fuel, soc_min_kwh, soc_max_kwh, power_kw,
                                        rates, rated_kw, intercept, slope, step_h)
        yield short


def outage_survival(critical_load_kw, pv_kw, soc_start_kwh, soc_min_kwh, soc_max_kwh, power_kw, charge_eff_frac,
                    discharge_eff_frac, rated_kw, fuel_intercept_l_per_kwh_rated, fuel_slope_l_per_kwh, fuel_l,
                    max_steps, step_h):
    """Reference of :func:`munigrid.models.simulation.outage.outage_kernel` (list of survived steps)."""
    rates = _rates(charge_eff_frac, discharge_eff_frac, step_h)
    result = []
    for t0 in range(len(critical_load_kw)):
        shorts = _island_shortfalls(t0, critical_load_kw, pv_kw, soc_start_kwh[t0], fuel_l, soc_min_kwh, soc_max_kwh,
                                    power_kw, rates, rated_kw, fuel_intercept_l_per_kwh_rated, fuel_slope_l_per_kwh,
                                    step_h, max_steps)
        result.append(next((k for k, short in enumerate(shorts) if short > 0.0), max_steps))
    return result


def outage_unserved(critical_load_kw, pv_kw, soc_start_kwh, soc_min_kwh, soc_max_kwh, power_kw, charge_eff_frac,
                    discharge_eff_frac, rated_kw, fuel_intercept_l_per_kwh_rated, fuel_slope_l_per_kwh, fuel_l,
                    duration_steps, step_h):
    """Reference of :func:`munigrid.models.simulation.outage.unserved_kernel` (rows of lost kWh)."""
    rates = _rates(charge_eff_frac, discharge_eff_frac, step_h)
    result = []
    for t0 in range(len(critical_load_kw)):
        shorts = _island_shortfalls(t0, critical_load_kw, pv_kw, soc_start_kwh[t0], fuel_l, soc_min_kwh, soc_max_kwh,
                                    power_kw, rates, rated_kw, fuel_intercept_l_per_kwh_rated, fuel_slope_l_per_kwh,
                                    step_h, max(duration_steps))
        lost = list(accumulate(short * step_h for short in shorts))
        result.append([lost[d - 1] for d in duration_steps])
    return result


def rainflow(series):
    """Reference of :func:`munigrid.models.simulation.rainflow.rainflow_kernel`: list of (range, mean, count)."""
    points = []
    for x in series:
        if points and x == points[-1]:
            continue
        if len(points) >= 2 and (x - points[-1]) * (points[-1] - points[-2]) > 0:
            points[-1] = x
        else:
            points.append(x)
    cycles, stack = [], []
    for x in points:
        stack.append(x)
        while len(stack) >= 3 and abs(stack[-1] - stack[-2]) >= abs(stack[-2] - stack[-3]):
            a, b = stack[-3], stack[-2]
            if len(stack) == 3:
                cycles.append((abs(b - a), (a + b) / 2, 0.5))
                stack.pop(0)
            else:
                cycles.append((abs(b - a), (a + b) / 2, 1.0))
                del stack[-3:-1]
    cycles += [(abs(b - a), (a + b) / 2, 0.5) for a, b in zip(stack, stack[1:])]
    return cycles


def sample_summary(day_row, load_scale, base_load_kw, source_load_kw, base_pv_kw_per_kwp, source_pv_kw_per_kwp,
                   steps_per_day, pv_kwp, energy_kwh, power_kw, charge_eff_frac, discharge_eff_frac, soc_min_frac,
                   soc_max_frac, soc_initial_frac, low_kw, high_kw, grid_target_frac, tariff, step_h,
                   export_limit_kw, ft_change_thb_per_kwh=None):
    """Reference of :func:`munigrid.models.simulation.ensemble.sample_summary`: dict of metrics.

    Materialises the sampled series, runs :func:`band_dispatch`, and prices the result
    with explicit loops over periods, windows, pieces and blocks; ``ft_change_thb_per_kwh``
    (one value per billing period, default zeros) is added to the import price.
    """
    load, pv = [], []
    for d, src_day in enumerate(day_row):
        for h in range(steps_per_day):
            t, s = d * steps_per_day + h, src_day * steps_per_day + h
            load.append(max(0.0, base_load_kw[t] + load_scale * source_load_kw[s]))
            pv.append(max(0.0, pv_kwp * (base_pv_kw_per_kwp[t] + source_pv_kw_per_kwp[s])))
    run = band_dispatch(load, pv, low_kw, high_kw, grid_target_frac, energy_kwh, power_kw, charge_eff_frac,
                        discharge_eff_frac, soc_min_frac, soc_max_frac, soc_initial_frac, step_h,
                        tariff.export_allowed, export_limit_kw)
    imp, exp = run["import_kw"], run["export_kw"]
    n_periods, n_windows = tariff.registered_kw.shape
    change = [0.0] * n_periods if ft_change_thb_per_kwh is None else list(ft_change_thb_per_kwh)
    energy_cost = sum(step_h * (m * (pi + change[p]) - x * po) for m, x, pi, po, p in
                      zip(imp, exp, tariff.import_thb_per_kwh, tariff.export_thb_per_kwh, tariff.period_of_step))
    n_sets = len(tariff.tier_weight)
    tier_kwh = [[0.0] * n_periods for _ in range(n_sets)]
    base_thb = [0.0] * n_periods
    demand = [list(row) for row in tariff.registered_kw]
    for t, m in enumerate(imp):
        p = tariff.period_of_step[t]
        base_thb[p] += step_h * m * tariff.base_energy_thb_per_kwh[t]
        for s in range(n_sets):
            tier_kwh[s][p] += step_h * tariff.tier_weight[s][t] * m
        for k in range(n_windows):
            if tariff.window_bits[t] & (1 << k):
                demand[p][k] = max(demand[p][k], m)
    tiers_thb = [0.0] * n_periods
    for s in range(n_sets):
        for p, e in enumerate(tier_kwh[s]):
            lower = 0.0
            for upper, price in zip(tariff.block_upper_kwh[s], tariff.block_price_thb_per_kwh[s]):
                tiers_thb[p] += max(0.0, min(e, upper) - lower) * price
                lower = upper
    energy_cost += sum(tiers_thb)
    demand_thb = [0.0] * n_periods
    floor = [0.0] * n_periods
    for f in range(len(tariff.ratchet_frac)):
        charges = []
        for p in range(n_periods):
            pieces = [tariff.intercept_thb[j] + sum(tariff.slope_thb_per_kw[j][k] * demand[p][k]
                                                    for k in range(n_windows))
                      for j in range(len(tariff.intercept_thb)) if tariff.piece_family[j] == f]
            earlier = tariff.ratchet_frac[f] * max([tariff.ratchet_history_thb[f], *charges[max(0, p - tariff.ratchet_lookback[f]):p]])
            if tariff.ratchet_frac[f] > 0 and tariff.ratchet_floors_bill[f]:
                floor[p] = earlier
                charges.append(max(pieces))
            else:
                charges.append(max(max(pieces), earlier if tariff.ratchet_frac[f] > 0 else -math.inf))
            demand_thb[p] += charges[-1]
    demand_cost = sum(demand_thb)
    if any(tariff.ratchet_floors_bill):  # the minimum charge exists only where a tariff floors the bill
        demand_cost += sum(max(0.0, floor[p] - base_thb[p] - tiers_thb[p] - demand_thb[p]) for p in range(n_periods))
    load_kwh, import_kwh = step_h * sum(load), step_h * sum(imp)
    usable = (soc_max_frac - soc_min_frac) * energy_kwh
    return {
        "cost_thb": energy_cost + demand_cost + tariff.fixed_thb,
        "energy_cost_thb": energy_cost,
        "demand_cost_thb": demand_cost,
        "import_kwh": import_kwh,
        "export_kwh": step_h * sum(exp),
        "curtail_kwh": step_h * sum(run["curtail_kw"]),
        "load_kwh": load_kwh,
        "pv_kwh": step_h * sum(pv),
        "self_sufficiency_frac": 1.0 - import_kwh / load_kwh if load_kwh > 0 else 1.0,
        "peak_import_kw": max(imp),
        "equivalent_full_cycles": step_h * sum(run["discharge_kw"]) / usable if usable > 0 else 0.0,
    }
