r"""The limits every set point passes before it is written, and the safe mode.

**Clamp** (:func:`clamp_setpoint`). The requested set point :math:`s` [kW, + charge] at
measured net load :math:`n` (load - PV) [kW] with stored energy :math:`E` [kWh] becomes, in
this order,

1. demand-limit guard: :math:`s \le G - n`, with :math:`G` the lower of the plan's demand
   limit for the step and ``safety.import_limit_kw`` (the battery never lifts the import past
   the guard, and discharges to bring it back under when it can);
2. no export: :math:`s \ge -\max(0, n)`;
3. power: :math:`-P \le s \le P`;
4. SoC window over the step :math:`\Delta t`:
   :math:`s \le (E_{max} - E) / (\eta_c \Delta t)` and :math:`s \ge -(E - E_{min})\,\eta_d / \Delta t`.

Physical limits (3, 4) come last and win: when the battery cannot discharge enough to hold the
guard, the reason says so.

**Safe mode** (:func:`safe_setpoint`). When the step's measurement cannot be used (stale,
missing, implausible, link down), the controller holds the last plan's set point for the
step, clamped with the last good measurement (charging only into the room the guard left
then), for at most ``safety.hold_max_min`` minutes after the last good measurement; after
that it writes 0 kW. Every such step is logged with ``mode: "safe"`` and an alarm.
"""

from __future__ import annotations

import math

from munigrid.models.dispatch import Battery

#: Numerical slack of the limits [kW].
TOLERANCE_KW = 1e-6


def soc_bounds_kw(battery: Battery, soc_kwh: float, step_h: float) -> tuple[float, float]:
    """Least and greatest set point the SoC window allows over one step [kW] (module equation 4)."""
    low, high = battery.soc_min_frac * battery.energy_kwh, battery.soc_max_frac * battery.energy_kwh
    charge = max(0.0, high - soc_kwh) / (battery.charge_eff_frac * step_h)
    discharge = max(0.0, soc_kwh - low) * battery.discharge_eff_frac / step_h
    return -discharge, charge


def clamp_setpoint(setpoint_kw: float, battery: Battery, soc_kwh: float, net_kw: float, guard_kw: float,
                   step_h: float) -> tuple[float, list[str]]:
    """The set point within the guard, no export, power and SoC window [kW] and the limits that acted.

    Parameters
    ----------
    setpoint_kw : float
        Requested set point [kW, + charge].
    battery : Battery
        Power and SoC window.
    soc_kwh : float
        Stored energy now [kWh].
    net_kw : float
        Load minus PV [kW].
    guard_kw : float
        Import the battery must not lift the site past [kW] (``inf``: none).
    step_h : float
        Step length [h].
    """
    reasons = []
    value = setpoint_kw
    if math.isfinite(guard_kw) and value > guard_kw - net_kw + TOLERANCE_KW:
        value = guard_kw - net_kw
        reasons.append(f"guard: import held at {guard_kw:.1f} kW")
    if value < -max(0.0, net_kw) - TOLERANCE_KW:
        value = -max(0.0, net_kw)
        reasons.append("no export: discharge limited to the net load")
    power = battery.installed_power_kw
    low, high = soc_bounds_kw(battery, soc_kwh, step_h)
    for bound, name, above in ((power, "power", True), (-power, "power", False), (high, "SoC max", True),
                               (low, "SoC min", False)):
        if (value > bound + TOLERANCE_KW) if above else (value < bound - TOLERANCE_KW):
            value = bound
            reasons.append(f"{name}: limited to {bound:.1f} kW")
    return float(value), reasons


def safe_setpoint(planned_kw: float, minutes_since_good: float, hold_max_min: float, battery: Battery,
                  soc_kwh: float, net_kw: float, guard_kw: float, step_h: float) -> tuple[float, list[str]]:
    """Set point in safe mode [kW] and why (module docstring).

    ``soc_kwh`` and ``net_kw`` are those of the last good measurement, ``minutes_since_good``
    the time since it [min] (``inf``: there has been none).
    """
    if not minutes_since_good <= hold_max_min:
        return 0.0, [f"safe mode for more than hold_max_min {hold_max_min:g} min (or no good measurement yet): 0 kW"]
    value, reasons = clamp_setpoint(planned_kw, battery, soc_kwh, net_kw, guard_kw, step_h)
    return value, [f"safe mode: holding the last plan's set point ({minutes_since_good:.0f} of "
                   f"{hold_max_min:g} min)", *reasons]
