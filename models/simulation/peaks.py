r"""Peak tracking per billing period, the quantity demand charges are billed on.

:math:`D_p = \max_{t \in p} m_t` and, per window :math:`k` of a demand-charge family,
:math:`D_{p,k} = \max_{t \in p,\ w_{k,t}} m_t` [kW]. Peaks are taken per billing period,
never over the whole horizon (a common error in peer tools).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from munigrid.models.errors import Problem
from munigrid.models.simulation.tariff_arrays import TariffArrays
from munigrid.models.simulation.validation import as_series, raise_if


@njit(cache=True)
def period_peaks_kernel(power_kw, period_of_step, n_periods):
    """Highest ``power_kw`` in each billing period [kW], shape (P,); 0 for an empty period."""
    peaks = np.zeros(n_periods)
    for t in range(power_kw.shape[0]):
        p = period_of_step[t]
        if power_kw[t] > peaks[p]:
            peaks[p] = power_kw[t]
    return peaks


@njit(cache=True)
def window_peaks_kernel(power_kw, period_of_step, window_bits, n_periods, n_windows):
    """Highest ``power_kw`` per billing period and window [kW], shape (P, K)."""
    peaks = np.zeros((n_periods, n_windows))
    for t in range(power_kw.shape[0]):
        bits = window_bits[t]
        p = period_of_step[t]
        for k in range(n_windows):
            if (bits >> k) & 1 and power_kw[t] > peaks[p, k]:
                peaks[p, k] = power_kw[t]
    return peaks


def period_peaks_kw(power_kw, period_of_step) -> np.ndarray:
    """Peak of each billing period [kW] (``period_of_step`` numbers periods 0..P-1)."""
    problems: list[Problem] = []
    power = as_series(power_kw, "power_kw", problems)
    period = np.asarray(period_of_step)
    if period.shape != power.shape or not np.issubdtype(period.dtype, np.integer) or (period < 0).any():
        problems.append(Problem("period_of_step", "must be one integer period >= 0 per step"))
    raise_if(problems)
    return period_peaks_kernel(power, period.astype(np.int64), int(period.max()) + 1)


def demand_peaks_kw(import_kw, tariff: TariffArrays) -> np.ndarray:
    r"""Registered demand :math:`D_{p,k} = \max(R_{p,k}, \max_{t\in p,\ w_{k,t}} m_t)` [kW], shape (P, K).

    The windows are those of every demand-charge family of ``tariff``, numbered together
    (see :mod:`~munigrid.models.simulation.tariff_arrays`).
    """
    problems: list[Problem] = []
    power = as_series(import_kw, "import_kw", problems, length=tariff.n_steps)
    raise_if(problems)
    n_periods, n_windows = tariff.registered_kw.shape
    peaks = window_peaks_kernel(power, tariff.period_of_step, tariff.window_bits, n_periods, n_windows)
    return np.maximum(peaks, tariff.registered_kw)
