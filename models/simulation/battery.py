r"""Battery dispatch under a rule-based strategy, one scenario per kernel call.

Per step, with net load :math:`n_t = L_t - PV_t` [kW], the import band of the strategy
(:mod:`~munigrid.models.simulation.strategies`) gives charge :math:`c_t` and discharge
:math:`d_t`; the grid takes the rest,

.. math::

    g_t = n_t + c_t - d_t, \quad m_t = \max(g_t, 0), \quad x_t + k_t = \max(-g_t, 0),

with import :math:`m`, export :math:`x` (when allowed, up to a limit) and curtailment
:math:`k`. Energy is conserved each step:
:math:`L_t = (PV_t - k_t) + d_t - c_t + m_t - x_t`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from munigrid.models.errors import Problem
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.steps import band_step, grid_split, grid_trace, next_soc_kwh, rates
from munigrid.models.simulation.strategies import Band, band_problems, self_consumption
from munigrid.models.simulation.validation import as_series, battery_problems, raise_if, step_problems


@dataclass(frozen=True)
class BatteryTrace:
    """Time series of one simulated scenario (all shape (T,) except ``soc_kwh``).

    Attributes
    ----------
    charge_kw, discharge_kw : ndarray
        Battery AC charge and discharge [kW].
    soc_kwh : ndarray, shape (T + 1,)
        Stored energy at the start of each step and after the last [kWh].
    import_kw, export_kw, curtail_kw : ndarray
        Grid import, grid export and curtailed PV [kW].
    """

    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    soc_kwh: np.ndarray
    import_kw: np.ndarray
    export_kw: np.ndarray
    curtail_kw: np.ndarray


@njit(cache=True)
def band_kernel(load_kw, pv_kw, low_kw, high_kw, grid_target_frac, energy_kwh, power_kw,
                charge_eff_frac, discharge_eff_frac, soc_min_frac, soc_max_frac, soc_initial_frac,
                step_h, export_allowed, export_limit_kw):
    """Run the import-band recurrence over all steps (see the module docstring).

    Returns
    -------
    (charge_kw, discharge_kw, soc_kwh, import_kw, export_kw, curtail_kw) : tuple of ndarray
    """
    n = load_kw.shape[0]
    charge, discharge, soc, imp, exp, curtail, soc_min, soc_max = grid_trace(
        n, energy_kwh, soc_min_frac, soc_max_frac, soc_initial_frac)
    e = soc[0]
    c_rate, d_rate, gain, loss = rates(charge_eff_frac, discharge_eff_frac, step_h)
    for t in range(n):
        net = load_kw[t] - pv_kw[t]
        c, d = band_step(net, low_kw[t], high_kw[t], grid_target_frac[t] * energy_kwh, e, soc_min, soc_max,
                         power_kw, c_rate, d_rate)
        imp[t], exp[t], curtail[t] = grid_split(net + c - d, export_allowed, export_limit_kw)
        charge[t] = c
        discharge[t] = d
        e = next_soc_kwh(e, c, d, gain, loss)
        soc[t + 1] = e
    return charge, discharge, soc, imp, exp, curtail


def simulate_battery(load_kw, pv_kw, battery: BatteryParams, strategy: Band | None = None, *,
                     step_h: float, export_allowed: bool = False,
                     export_limit_kw: float = np.inf) -> BatteryTrace:
    """Simulate one battery under ``strategy`` (self-consumption when ``None``).

    Parameters
    ----------
    load_kw, pv_kw : array, shape (T,)
        Mean load and PV output of each step [kW], finite and >= 0.
    battery : BatteryParams
        The battery.
    strategy : Band, optional
        From :mod:`~munigrid.models.simulation.strategies`.
    step_h : float
        Step length [h], 0.25 or 1.
    export_allowed : bool
        False curtails all surplus (Thai government buildings may not export).
    export_limit_kw : float
        Highest export [kW] when allowed.

    Raises
    ------
    InputError
        Every problem with the inputs, before the kernel runs.
    """
    problems: list[Problem] = battery_problems(battery) + step_problems(step_h)
    load = as_series(load_kw, "load_kw", problems)
    pv = as_series(pv_kw, "pv_kw", problems, length=load.size)
    band = self_consumption(load.size) if strategy is None else strategy
    problems += band_problems(band, load.size)
    if not export_limit_kw >= 0.0:
        problems.append(Problem("export_limit_kw", f"must be >= 0 kW, got {export_limit_kw!r}"))
    raise_if(problems)
    out = band_kernel(load, pv, _f64(band.low_kw), _f64(band.high_kw), _f64(band.grid_target_frac),
                      float(battery.energy_kwh), float(battery.power_kw), float(battery.charge_eff_frac),
                      float(battery.discharge_eff_frac), float(battery.soc_min_frac), float(battery.soc_max_frac),
                      float(battery.soc_initial_frac), float(step_h), bool(export_allowed), float(export_limit_kw))
    return BatteryTrace(*out)


def _f64(values) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64)
