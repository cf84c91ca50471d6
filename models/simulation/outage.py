r"""Outage survival: for each start step, how long the critical load is served off-grid.

For an outage starting at step :math:`t_0` with stored energy :math:`E_{t_0}` (e.g. from a
dispatch trace) and fuel :math:`F` [L], step :math:`k = 0, 1, \ldots` (wrapping around the
series end, so every start sees the same horizon) with net critical load
:math:`n = L^{crit}_t - PV_t`:

* :math:`n \le 0`: surplus PV charges the battery, :math:`c = \min(-n, \bar c)`;
* :math:`n > 0`: the generator serves :math:`g = \min(n, G)` while fuel lasts
  (:math:`\Delta t (a G + b g)` litres per step, pro rata in the step it runs out), the
  battery the rest :math:`n - g`, which must not exceed :math:`\bar d` — otherwise the
  outage is survived for :math:`k` steps.

Survival is capped at ``max_steps``; one kernel call evaluates every start in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from munigrid.models.errors import Problem
from munigrid.models.simulation.params import BatteryParams, GeneratorParams
from munigrid.models.simulation.steps import rates, charge_limit_kw, discharge_limit_kw, next_soc_kwh
from munigrid.models.simulation.validation import (as_series, battery_problems, generator_problems, raise_if,
                                                   step_problems)

_TOLERANCE_KW = 1e-9


@njit(cache=True)
def survive_from(t0, critical_load_kw, pv_kw, soc_start_kwh, soc_min_kwh, soc_max_kwh, power_kw, charge_eff_frac,
                 discharge_eff_frac, rated_kw, fuel_intercept_l_per_kwh_rated, fuel_slope_l_per_kwh, fuel_l,
                 max_steps, step_h):
    """Steps the critical load is fully served for an outage starting at ``t0``."""
    n = critical_load_kw.shape[0]
    e = soc_start_kwh
    c_rate, d_rate, gain, loss = rates(charge_eff_frac, discharge_eff_frac, step_h)
    fuel = fuel_l
    for k in range(max_steps):
        t = (t0 + k) % n
        net = critical_load_kw[t] - pv_kw[t]
        if net <= 0.0:
            c = min(-net, charge_limit_kw(e, soc_max_kwh, power_kw, c_rate))
            e = next_soc_kwh(e, c, 0.0, gain, loss)
            continue
        g = 0.0
        if rated_kw > 0.0 and fuel > 0.0:
            g = min(net, rated_kw)
            burn = step_h * (fuel_intercept_l_per_kwh_rated * rated_kw + fuel_slope_l_per_kwh * g)
            if burn > fuel:
                g *= fuel / burn
                burn = fuel
            fuel -= burn
        rest = net - g
        if rest > discharge_limit_kw(e, soc_min_kwh, power_kw, d_rate) + _TOLERANCE_KW:
            return k
        e = next_soc_kwh(e, 0.0, rest, gain, loss)
    return max_steps


@njit(parallel=True, cache=True)
def outage_kernel(critical_load_kw, pv_kw, soc_start_kwh, soc_min_kwh, soc_max_kwh, power_kw, charge_eff_frac,
                  discharge_eff_frac, rated_kw, fuel_intercept_l_per_kwh_rated, fuel_slope_l_per_kwh, fuel_l,
                  max_steps, step_h):
    """Survived steps for every start step, shape (T,)."""
    n = critical_load_kw.shape[0]
    out = np.empty(n, dtype=np.int64)
    for t0 in prange(n):
        out[t0] = survive_from(t0, critical_load_kw, pv_kw, soc_start_kwh[t0], soc_min_kwh, soc_max_kwh, power_kw,
                               charge_eff_frac, discharge_eff_frac, rated_kw, fuel_intercept_l_per_kwh_rated,
                               fuel_slope_l_per_kwh, fuel_l, max_steps, step_h)
    return out


@dataclass(frozen=True)
class OutageSurvival:
    """Hours survived from each start step.

    Attributes
    ----------
    survived_h : ndarray, shape (T,)
        Hours the critical load is fully served for an outage starting at each step [h].
    max_h : float
        The cap of the evaluation [h]; ``survived_h == max_h`` means "at least".
    """

    survived_h: np.ndarray
    max_h: float

    def probability(self, duration_h) -> np.ndarray:
        """Share of start steps that survive at least ``duration_h`` [h] (array or scalar) [-]."""
        duration = np.atleast_1d(np.asarray(duration_h, dtype=float))
        return (self.survived_h[None, :] >= duration[:, None] - 1e-9).mean(axis=1)


def outage_survival(critical_load_kw, pv_kw, soc_start_kwh, battery: BatteryParams, *, step_h: float,
                    generator: GeneratorParams | None = None, fuel_l: float = 0.0,
                    max_hours: float | None = None) -> OutageSurvival:
    """Survival time of the critical load for an outage starting at every step.

    Parameters
    ----------
    critical_load_kw, pv_kw : array, shape (T,)
        Critical load and PV during the outage [kW], >= 0.
    soc_start_kwh : array, shape (T,)
        Stored energy when the outage starts at each step [kWh] (e.g. ``trace.soc_kwh[:-1]``),
        within the battery's SoC limits.
    battery : BatteryParams
        The battery.
    step_h : float
        Step [h].
    generator : GeneratorParams, optional
        Back-up generator; ``fuel_l`` [L] is the fuel on site.
    max_hours : float, optional
        Longest outage evaluated [h]; the whole series length by default.
    """
    problems: list[Problem] = battery_problems(battery) + step_problems(step_h)
    if generator is not None:
        problems += generator_problems(generator)
    load = as_series(critical_load_kw, "critical_load_kw", problems)
    pv = as_series(pv_kw, "pv_kw", problems, length=load.size)
    soc = as_series(soc_start_kwh, "soc_start_kwh", problems, length=load.size)
    if not problems:
        tol = 1e-6 * (1.0 + battery.energy_kwh)
        if (soc < battery.soc_min_kwh - tol).any() or (soc > battery.soc_max_kwh + tol).any():
            problems.append(Problem("soc_start_kwh", f"must stay within the battery's limits "
                                                     f"[{battery.soc_min_kwh:g}, {battery.soc_max_kwh:g}] kWh"))
    if not (np.isfinite(fuel_l) and fuel_l >= 0):
        problems.append(Problem("fuel_l", f"must be >= 0 L, got {fuel_l!r}"))
    if max_hours is not None and not max_hours > 0:
        problems.append(Problem("max_hours", f"must be > 0 h, got {max_hours!r}"))
    raise_if(problems)
    max_steps = load.size if max_hours is None else int(np.ceil(max_hours / step_h))
    gen = generator or GeneratorParams(rated_kw=0.0)
    steps = outage_kernel(load, pv, soc, float(battery.soc_min_kwh), float(battery.soc_max_kwh),
                          float(battery.power_kw), float(battery.charge_eff_frac), float(battery.discharge_eff_frac),
                          float(gen.rated_kw), float(gen.fuel_intercept_l_per_kwh_rated),
                          float(gen.fuel_slope_l_per_kwh), float(fuel_l), max_steps, float(step_h))
    return OutageSurvival(steps * step_h, max_steps * step_h)
