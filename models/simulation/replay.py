r"""Replay an optimised battery schedule against the actual load and PV.

The battery follows the schedule's set points :math:`c^*_t, d^*_t` as far as its state of
charge and power allow (and, without export, never discharges into the grid):

.. math::

    c_t = \min(c^*_t, \bar c_t), \quad
    d_t = \min(d^*_t, \bar d_t[, \max(0, n_t + c_t)]), \quad
    g_t = n_t + c_t - d_t

with the actual net load :math:`n_t = L_t - PV_t`. Reported: the unmet set points
:math:`c^*_t - c_t`, :math:`d^*_t - d_t` [kW], the extra import over the plan
:math:`\max(0, m_t - m^*_t)` [kW] and, per billing period, how far the actual peak exceeds
the planned one [kW]. Energy is conserved each step as in
:mod:`~munigrid.models.simulation.battery`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

from munigrid.models.errors import Problem
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.peaks import period_peaks_kernel
from munigrid.models.simulation.steps import (charge_limit_kw, discharge_limit_kw, grid_split, grid_trace,
                                              next_soc_kwh, rates)
from munigrid.models.simulation.validation import as_series, battery_problems, raise_if, same_grid_problems
from munigrid.models.timegrid import step_hours

SCHEDULE_COLUMNS = ("charge_kw", "discharge_kw", "import_kw")
ACTUAL_COLUMNS = ("load_kw", "pv_kw")


@dataclass(frozen=True)
class ReplayResult:
    """What happened when the schedule met reality.

    Attributes
    ----------
    trace : pandas.DataFrame
        Per step: ``charge_kw``, ``discharge_kw``, ``soc_kwh`` (start of step), ``import_kw``,
        ``export_kw``, ``curtail_kw``, ``unmet_charge_kw``, ``unmet_discharge_kw``,
        ``extra_import_kw``.
    planned_peak_kw, actual_peak_kw : numpy.ndarray, shape (P,)
        Import peak per billing period, planned and actual [kW].
    final_soc_kwh : float
        Stored energy after the last step [kWh].
    """

    trace: pd.DataFrame
    planned_peak_kw: np.ndarray
    actual_peak_kw: np.ndarray
    final_soc_kwh: float

    @property
    def new_peak_kw(self) -> np.ndarray:
        """Actual peak above the planned one, per billing period [kW]."""
        return np.maximum(self.actual_peak_kw - self.planned_peak_kw, 0.0)


@njit(cache=True)
def replay_kernel(load_kw, pv_kw, charge_set_kw, discharge_set_kw, planned_import_kw, energy_kwh, power_kw,
                  charge_eff_frac, discharge_eff_frac, soc_min_frac, soc_max_frac, soc_initial_frac, step_h,
                  export_allowed, export_limit_kw):
    """Follow the set points over all steps (module equations).

    Returns
    -------
    (charge_kw, discharge_kw, soc_kwh, import_kw, export_kw, curtail_kw, extra_import_kw) : tuple of ndarray
    """
    n = load_kw.shape[0]
    charge, discharge, soc, imp, exp, curtail, soc_min, soc_max = grid_trace(
        n, energy_kwh, soc_min_frac, soc_max_frac, soc_initial_frac)
    extra = np.empty(n)
    e = soc[0]
    c_rate, d_rate, gain, loss = rates(charge_eff_frac, discharge_eff_frac, step_h)
    for t in range(n):
        net = load_kw[t] - pv_kw[t]
        c = min(charge_set_kw[t], charge_limit_kw(e, soc_max, power_kw, c_rate))
        d = min(discharge_set_kw[t], discharge_limit_kw(e, soc_min, power_kw, d_rate))
        if not export_allowed and d > net + c:
            d = max(net + c, 0.0)
        imp[t], exp[t], curtail[t] = grid_split(net + c - d, export_allowed, export_limit_kw)
        extra[t] = max(imp[t] - planned_import_kw[t], 0.0)
        charge[t] = c
        discharge[t] = d
        e = next_soc_kwh(e, c, d, gain, loss)
        soc[t + 1] = e
    return charge, discharge, soc, imp, exp, curtail, extra


def replay_schedule(schedule: pd.DataFrame, actual: pd.DataFrame, battery: BatteryParams, *,
                    period_of_step=None, export_allowed: bool = False,
                    export_limit_kw: float = np.inf) -> ReplayResult:
    """Replay ``schedule`` (columns ``charge_kw``, ``discharge_kw``, ``import_kw``) against ``actual``.

    Parameters
    ----------
    schedule : pandas.DataFrame
        The optimised schedule on a munigrid time grid [kW].
    actual : pandas.DataFrame
        Measured ``load_kw`` and ``pv_kw`` [kW] on the same grid.
    battery : BatteryParams
        The battery, starting at ``soc_initial_frac``.
    period_of_step : array of int, optional
        Billing period of each step; by default the calendar month.
    export_allowed : bool
        False: the battery never discharges into the grid and surplus PV is curtailed.
    export_limit_kw : float
        Export limit when allowed [kW].

    Raises
    ------
    InputError
        Missing columns, NaN or negative values, another time grid, bad battery: all at once.
    """
    problems: list[Problem] = battery_problems(battery)
    for frame, columns, name in ((schedule, SCHEDULE_COLUMNS, "schedule"), (actual, ACTUAL_COLUMNS, "actual")):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            problems.append(Problem(name, f"missing columns {missing}; expected {list(columns)}"))
    problems += same_grid_problems(schedule.index, actual.index, "schedule.index", "actual load and PV")
    raise_if(problems)
    n = len(actual)
    arrays = {c: as_series(schedule[c], f"schedule.{c}", problems, length=n) for c in SCHEDULE_COLUMNS}
    arrays |= {c: as_series(actual[c], f"actual.{c}", problems, length=n) for c in ACTUAL_COLUMNS}
    if period_of_step is None:
        months = actual.index.year * 12 + actual.index.month
        period = np.asarray(months - months.min(), dtype=np.int64)
    else:
        period = np.asarray(period_of_step)
        if period.shape != (n,) or not np.issubdtype(period.dtype, np.integer) or (period < 0).any():
            problems.append(Problem("period_of_step", "must be one integer period >= 0 per step"))
    raise_if(problems)
    step_h = step_hours(actual.index)
    charge, discharge, soc, imp, exp, curtail, extra = replay_kernel(
        arrays["load_kw"], arrays["pv_kw"], arrays["charge_kw"], arrays["discharge_kw"], arrays["import_kw"],
        float(battery.energy_kwh), float(battery.power_kw), float(battery.charge_eff_frac),
        float(battery.discharge_eff_frac), float(battery.soc_min_frac), float(battery.soc_max_frac),
        float(battery.soc_initial_frac), float(step_h), bool(export_allowed), float(export_limit_kw))
    period = period.astype(np.int64)
    n_periods = int(period.max()) + 1
    trace = pd.DataFrame({
        "charge_kw": charge, "discharge_kw": discharge, "soc_kwh": soc[:-1], "import_kw": imp, "export_kw": exp,
        "curtail_kw": curtail, "unmet_charge_kw": arrays["charge_kw"] - charge,
        "unmet_discharge_kw": arrays["discharge_kw"] - discharge, "extra_import_kw": extra,
    }, index=actual.index)
    return ReplayResult(trace, period_peaks_kernel(arrays["import_kw"], period, n_periods),
                        period_peaks_kernel(imp, period, n_periods), float(soc[-1]))
