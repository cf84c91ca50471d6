r"""Off-grid (islanded) dispatch of PV, battery and a diesel generator, HOMER-style rules.

Per step, with net load :math:`n_t = L_t - PV_t` [kW], rated power :math:`G`, minimum
output :math:`g_{min} = \mu G` and battery limits :math:`\bar c_t, \bar d_t`:

* the battery alone serves :math:`n_t > 0` when :math:`n_t \le \bar d_t` and the generator
  is not in a cycle-charging run;
* otherwise the generator runs at :math:`g_t = \min(\max(n_t, g_{min}), G)`
  (**load following**) or :math:`g_t = G` (**cycle charging**, which then keeps running
  until the state of charge reaches the set point); excess :math:`g_t - n_t` charges the
  battery, the deficit is discharged, and what is left unserved is shed;
* surplus PV charges the battery; the rest is curtailed.

Energy is conserved each step: :math:`L_t = PV_t - k_t + g_t + d_t - c_t + u_t`
(curtailment/dump :math:`k`, shed load :math:`u`). Fuel [L] per step:
:math:`\Delta t\,(a G + b g_t)` while running.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from munigrid.models.errors import Problem
from munigrid.models.simulation.params import BatteryParams, GeneratorParams
from munigrid.models.simulation.steps import rates, charge_limit_kw, discharge_limit_kw, next_soc_kwh
from munigrid.models.simulation.validation import (as_series, battery_problems, generator_problems, raise_if,
                                                   step_problems)


@dataclass(frozen=True)
class GeneratorTrace:
    """Time series of one off-grid run (shape (T,), ``soc_kwh`` (T + 1,)).

    Attributes
    ----------
    charge_kw, discharge_kw, soc_kwh : ndarray
        Battery [kW, kW, kWh].
    gen_kw : ndarray
        Generator output [kW].
    curtail_kw : ndarray
        Curtailed PV and dumped generator excess [kW].
    shed_kw : ndarray
        Load not served [kW].
    fuel_l : ndarray
        Fuel burnt in each step [L].
    """

    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    soc_kwh: np.ndarray
    gen_kw: np.ndarray
    curtail_kw: np.ndarray
    shed_kw: np.ndarray
    fuel_l: np.ndarray

    @property
    def run_steps(self) -> int:
        """Steps with the generator running."""
        return int(np.count_nonzero(self.gen_kw > 0.0))

    @property
    def starts(self) -> int:
        """Generator starts (off -> on transitions, the first step counted if on)."""
        on = self.gen_kw > 0.0
        return int(on[0]) + int(np.count_nonzero(on[1:] & ~on[:-1])) if on.size else 0


@njit(cache=True)
def generator_kernel(load_kw, pv_kw, energy_kwh, power_kw, charge_eff_frac, discharge_eff_frac, soc_min_frac,
                     soc_max_frac, soc_initial_frac, rated_kw, min_load_frac, fuel_intercept_l_per_kwh_rated,
                     fuel_slope_l_per_kwh, setpoint_frac, cycle_charging, step_h):
    """Run the off-grid rules of the module docstring over all steps.

    Returns
    -------
    (charge_kw, discharge_kw, soc_kwh, gen_kw, curtail_kw, shed_kw, fuel_l) : tuple of ndarray
    """
    n = load_kw.shape[0]
    charge = np.zeros(n)
    discharge = np.zeros(n)
    soc = np.empty(n + 1)
    gen = np.zeros(n)
    curtail = np.zeros(n)
    shed = np.zeros(n)
    fuel = np.zeros(n)
    soc_min = soc_min_frac * energy_kwh
    soc_max = soc_max_frac * energy_kwh
    setpoint = setpoint_frac * energy_kwh - 1e-9 * (1.0 + energy_kwh)  # reachable despite rounding
    gen_min = min_load_frac * rated_kw
    e = soc_initial_frac * energy_kwh
    soc[0] = e
    c_rate, d_rate, gain, loss = rates(charge_eff_frac, discharge_eff_frac, step_h)
    running = False
    for t in range(n):
        if running and e >= setpoint:
            running = False
        net = load_kw[t] - pv_kw[t]
        d_max = discharge_limit_kw(e, soc_min, power_kw, d_rate)
        c_max = charge_limit_kw(e, soc_max, power_kw, c_rate)
        g = 0.0
        if net <= 0.0:
            supply = -net
            if running and rated_kw > 0.0:
                g = rated_kw
                supply += g
            charge[t] = min(supply, c_max)
            curtail[t] = supply - charge[t]
        elif not running and net <= d_max:
            discharge[t] = net
        else:
            if cycle_charging:
                g = rated_kw
                running = rated_kw > 0.0
            else:
                g = min(max(net, gen_min), rated_kw)
            if g >= net:
                charge[t] = min(g - net, c_max)
                curtail[t] = g - net - charge[t]
            else:
                discharge[t] = min(net - g, d_max)
                shed[t] = net - g - discharge[t]
        gen[t] = g
        if g > 0.0:
            fuel[t] = step_h * (fuel_intercept_l_per_kwh_rated * rated_kw + fuel_slope_l_per_kwh * g)
        e = next_soc_kwh(e, charge[t], discharge[t], gain, loss)
        soc[t + 1] = e
    return charge, discharge, soc, gen, curtail, shed, fuel


#: Generator strategy name -> cycle-charging flag of :func:`generator_kernel`.
GENERATOR_STRATEGIES = {"load_following": False, "cycle_charging": True}


def simulate_generator(load_kw, pv_kw, battery: BatteryParams, generator: GeneratorParams, *, step_h: float,
                       strategy: str = "load_following") -> GeneratorTrace:
    """Simulate an islanded PV + battery + generator system.

    Parameters
    ----------
    load_kw, pv_kw : array, shape (T,)
        Load and PV [kW], finite and >= 0.
    battery : BatteryParams
        The battery (``energy_kwh = 0`` for none).
    generator : GeneratorParams
        The generator (``rated_kw = 0`` for none).
    step_h : float
        Step [h], 0.25 or 1.
    strategy : {"load_following", "cycle_charging"}
        Generator dispatch rule.

    Raises
    ------
    InputError
        Every problem with the inputs, before the kernel runs.
    """
    problems: list[Problem] = battery_problems(battery) + generator_problems(generator) + step_problems(step_h)
    load = as_series(load_kw, "load_kw", problems)
    pv = as_series(pv_kw, "pv_kw", problems, length=load.size)
    if strategy not in GENERATOR_STRATEGIES:
        problems.append(Problem("strategy", f"must be one of {sorted(GENERATOR_STRATEGIES)}, got {strategy!r}"))
    if strategy == "cycle_charging" and not problems and generator.cycle_charge_setpoint_frac > battery.soc_max_frac:
        problems.append(Problem("generator.cycle_charge_setpoint_frac",
                                f"must not exceed battery.soc_max_frac ({battery.soc_max_frac:g}), "
                                f"got {generator.cycle_charge_setpoint_frac:g}"))
    raise_if(problems)
    out = generator_kernel(load, pv, float(battery.energy_kwh), float(battery.power_kw),
                           float(battery.charge_eff_frac), float(battery.discharge_eff_frac),
                           float(battery.soc_min_frac), float(battery.soc_max_frac), float(battery.soc_initial_frac),
                           float(generator.rated_kw), float(generator.min_load_frac),
                           float(generator.fuel_intercept_l_per_kwh_rated), float(generator.fuel_slope_l_per_kwh),
                           float(generator.cycle_charge_setpoint_frac), GENERATOR_STRATEGIES[strategy], float(step_h))
    return GeneratorTrace(*out)
