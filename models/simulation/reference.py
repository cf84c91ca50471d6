"""Plain-Python references of every numba kernel, written for clarity, not speed.

The tests run each kernel and its reference on random inputs and assert equal results;
the benchmark times them side by side. Nothing here is imported by the kernels.
"""

from __future__ import annotations

import math


def _discharge_limit(soc, soc_min, power, eff_d, dt):
    return max(0.0, min(power, (soc - soc_min) * eff_d / dt))


def _charge_limit(soc, ceiling, power, eff_c, dt):
    return max(0.0, min(power, (ceiling - soc) / (eff_c * dt)))


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
    soc_min, soc_max = soc_min_frac * energy_kwh, soc_max_frac * energy_kwh
    soc = soc_initial_frac * energy_kwh
    out = {k: [] for k in ("charge_kw", "discharge_kw", "import_kw", "export_kw", "curtail_kw")}
    socs = [soc]
    for t in range(len(load_kw)):
        net = load_kw[t] - pv_kw[t]
        charge = discharge = 0.0
        if net > high_kw[t]:
            discharge = min(net - high_kw[t], _discharge_limit(soc, soc_min, power_kw, discharge_eff_frac, step_h))
        elif net < low_kw[t]:
            want = low_kw[t] - net
            from_pv = min(max(-net, 0.0), want)
            grid_room = _charge_limit(soc, grid_target_frac[t] * energy_kwh, power_kw, charge_eff_frac, step_h)
            charge = min(from_pv + min(want - from_pv, grid_room),
                         _charge_limit(soc, soc_max, power_kw, charge_eff_frac, step_h))
        imp, exp, curtail = _grid_split(net + charge - discharge, export_allowed, export_limit_kw)
        soc = soc + step_h * (charge_eff_frac * charge - discharge / discharge_eff_frac)
        for key, value in zip(out, (charge, discharge, imp, exp, curtail)):
            out[key].append(value)
        socs.append(soc)
    out["soc_kwh"] = socs
    return out
