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

The fuel is what is on site when the outage starts (``math.inf``: no limit). Survival is
capped at ``max_steps``; one kernel call evaluates every start in parallel.
:func:`outage_unserved` carries the same rule on through shortfalls: what the generator and
the battery cannot serve in a step is lost (the battery gives all it can), and the lost energy
is summed over outages of given durations from every start.
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
def island_step(net_kw, soc_kwh, fuel_l, soc_min_kwh, soc_max_kwh, power_kw, c_rate, d_rate, gain, loss, rated_kw,
                fuel_intercept_l_per_kwh_rated, fuel_slope_l_per_kwh, step_h):
    """One islanded step (rule of the module docstring): ``(shortfall_kw, soc_kwh, fuel_l)`` after it.

    ``shortfall_kw`` is the part of the net critical load neither the generator nor the battery
    could serve (0 when served within :data:`_TOLERANCE_KW`); the battery then gives all it can.
    """
    if net_kw <= 0.0:
        c = min(-net_kw, charge_limit_kw(soc_kwh, soc_max_kwh, power_kw, c_rate))
        return 0.0, next_soc_kwh(soc_kwh, c, 0.0, gain, loss), fuel_l
    g = 0.0
    if rated_kw > 0.0 and fuel_l > 0.0:
        g = min(net_kw, rated_kw)
        burn = step_h * (fuel_intercept_l_per_kwh_rated * rated_kw + fuel_slope_l_per_kwh * g)
        if burn > fuel_l:
            g *= fuel_l / burn
            burn = fuel_l
        fuel_l -= burn
    rest = net_kw - g
    limit = discharge_limit_kw(soc_kwh, soc_min_kwh, power_kw, d_rate)
    if rest > limit + _TOLERANCE_KW:
        return rest - limit, next_soc_kwh(soc_kwh, 0.0, limit, gain, loss), fuel_l
    return 0.0, next_soc_kwh(soc_kwh, 0.0, rest, gain, loss), fuel_l


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
        short, e, fuel = island_step(critical_load_kw[t] - pv_kw[t], e, fuel, soc_min_kwh, soc_max_kwh, power_kw,
                                     c_rate, d_rate, gain, loss, rated_kw, fuel_intercept_l_per_kwh_rated,
                                     fuel_slope_l_per_kwh, step_h)
        if short > 0.0:
            return k
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


@njit(parallel=True, cache=True)
def unserved_kernel(critical_load_kw, pv_kw, soc_start_kwh, soc_min_kwh, soc_max_kwh, power_kw, charge_eff_frac,
                    discharge_eff_frac, rated_kw, fuel_intercept_l_per_kwh_rated, fuel_slope_l_per_kwh, fuel_l,
                    duration_steps, step_h):
    """Unserved critical energy [kWh] of outages of ``duration_steps`` (ascending, >= 1) steps
    starting at every step, shape (T, D): the rule of :func:`island_step` carried on through a
    shortfall (what cannot be served is lost, the rest is served)."""
    n = critical_load_kw.shape[0]
    n_d = duration_steps.shape[0]
    out = np.zeros((n, n_d))
    c_rate, d_rate, gain, loss = rates(charge_eff_frac, discharge_eff_frac, step_h)
    for t0 in prange(n):
        e = soc_start_kwh[t0]
        fuel = fuel_l
        lost_kwh = 0.0
        j = 0
        for k in range(duration_steps[n_d - 1]):
            t = (t0 + k) % n
            short, e, fuel = island_step(critical_load_kw[t] - pv_kw[t], e, fuel, soc_min_kwh, soc_max_kwh, power_kw,
                                         c_rate, d_rate, gain, loss, rated_kw, fuel_intercept_l_per_kwh_rated,
                                         fuel_slope_l_per_kwh, step_h)
            lost_kwh += short * step_h
            while j < n_d and duration_steps[j] == k + 1:
                out[t0, j] = lost_kwh
                j += 1
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


def _kernel_args(critical_load_kw, pv_kw, soc_start_kwh, battery: BatteryParams, step_h: float,
                 generator: GeneratorParams | None, fuel_l: float, problems: list[Problem]) -> tuple:
    """Checked inputs as the kernels' leading arguments (raises :class:`InputError` naming each problem)."""
    problems += battery_problems(battery) + step_problems(step_h)
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
    if not fuel_l >= 0:  # math.inf (no tank limit) is allowed, NaN is not
        problems.append(Problem("fuel_l", f"must be >= 0 L (inf: no limit), got {fuel_l!r}"))
    raise_if(problems)
    gen = generator or GeneratorParams(rated_kw=0.0)
    return (load, pv, np.clip(soc, battery.soc_min_kwh, battery.soc_max_kwh), float(battery.soc_min_kwh),
            float(battery.soc_max_kwh), float(battery.power_kw), float(battery.charge_eff_frac),
            float(battery.discharge_eff_frac), float(gen.rated_kw), float(gen.fuel_intercept_l_per_kwh_rated),
            float(gen.fuel_slope_l_per_kwh), float(fuel_l))


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
        The battery (``BatteryParams(0.0, 0.0)`` for none).
    step_h : float
        Step [h].
    generator : GeneratorParams, optional
        Back-up generator; ``fuel_l`` [L] is the fuel on site when the outage starts
        (``math.inf``: no limit, fuel is brought in as needed).
    max_hours : float, optional
        Longest outage evaluated [h]; the whole series length by default.
    """
    problems: list[Problem] = []
    if max_hours is not None and not max_hours > 0:
        problems.append(Problem("max_hours", f"must be > 0 h, got {max_hours!r}"))
    args = _kernel_args(critical_load_kw, pv_kw, soc_start_kwh, battery, step_h, generator, fuel_l, problems)
    max_steps = args[0].size if max_hours is None else int(np.ceil(max_hours / step_h - 1e-9))
    steps = outage_kernel(*args, max_steps, float(step_h))
    return OutageSurvival(steps * step_h, max_steps * step_h)


def outage_unserved(critical_load_kw, pv_kw, soc_start_kwh, battery: BatteryParams, *, step_h: float,
                    duration_h, generator: GeneratorParams | None = None, fuel_l: float = 0.0) -> np.ndarray:
    """Unserved critical energy [kWh] of an outage of each duration starting at every step.

    Same inputs as :func:`outage_survival`; ``duration_h`` [h] (sequence, each >= one step) is
    rounded to whole steps. Returns shape (T, len(duration_h)), columns in the order given.
    """
    durations = np.atleast_1d(np.asarray(duration_h, dtype=float))
    problems: list[Problem] = []
    steps = np.rint(durations / step_h).astype(np.int64) if step_h > 0 and np.isfinite(durations).all() else None
    if durations.ndim != 1 or steps is None or (steps < 1).any():
        problems.append(Problem("duration_h", f"each duration must be at least one step ({step_h!r} h)"))
    args = _kernel_args(critical_load_kw, pv_kw, soc_start_kwh, battery, step_h, generator, fuel_l, problems)
    unique, back = np.unique(steps, return_inverse=True)
    return unserved_kernel(*args, unique, float(step_h))[:, back]
