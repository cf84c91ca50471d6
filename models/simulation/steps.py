r"""One time step of the battery recurrence, shared by every numba kernel.

These are ``njit(inline="always")`` helpers: the kernels that loop over time (and over
samples) call them, so the recurrence is written once and inlined into each loop.

Power limits at step :math:`t` from the stored energy :math:`E_t` [kWh]:

.. math::

    \bar d_t = \min\big(P,\ \eta_d (E_t - E_{min}) / \Delta t\big), \qquad
    \bar c_t = \min\big(P,\ (E_{max} - E_t) / (\eta_c \Delta t)\big)

and the recurrence :math:`E_{t+1} = E_t + \Delta t\,(\eta_c c_t - d_t/\eta_d)`.

The kernels pass the step constants once, as products (:func:`rates`), so no division sits on
the loop-carried dependency through :math:`E_t` (a division costs ~13 cycles of latency, a
multiplication 3-4).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(inline="always", cache=True)
def grid_trace(n, energy_kwh, soc_min_frac, soc_max_frac, soc_initial_frac):
    """Output arrays of a grid-connected kernel and its SoC window.

    Returns
    -------
    (charge_kw, discharge_kw, soc_kwh, import_kw, export_kw, curtail_kw, soc_min_kwh, soc_max_kwh)
        Six uninitialised arrays of length ``n`` (``soc_kwh``: ``n + 1``, its first value the
        starting stored energy) and the SoC limits [kWh].
    """
    soc = np.empty(n + 1)
    soc[0] = soc_initial_frac * energy_kwh
    return (np.empty(n), np.empty(n), soc, np.empty(n), np.empty(n), np.empty(n),
            soc_min_frac * energy_kwh, soc_max_frac * energy_kwh)


@njit(inline="always", cache=True)
def rates(charge_eff_frac, discharge_eff_frac, step_h):
    r"""Step constants of one battery.

    Returns
    -------
    (charge_kw_per_kwh, discharge_kw_per_kwh, charge_gain_h, discharge_loss_h) : tuple of float
        :math:`1/(\eta_c\Delta t)` and :math:`\eta_d/\Delta t` [kW per kWh of room or content];
        :math:`\eta_c\Delta t` and :math:`\Delta t/\eta_d` [kWh per kW].
    """
    return (1.0 / (charge_eff_frac * step_h), discharge_eff_frac / step_h,
            charge_eff_frac * step_h, step_h / discharge_eff_frac)


@njit(inline="always", cache=True)
def discharge_limit_kw(soc_kwh, soc_min_kwh, power_kw, discharge_kw_per_kwh):
    r"""Largest discharge :math:`\bar d_t` [kW] the power rating and stored energy allow."""
    limit = (soc_kwh - soc_min_kwh) * discharge_kw_per_kwh
    if limit > power_kw:
        limit = power_kw
    return limit if limit > 0.0 else 0.0


@njit(inline="always", cache=True)
def charge_limit_kw(soc_kwh, ceiling_kwh, power_kw, charge_kw_per_kwh):
    r"""Largest charge :math:`\bar c_t` [kW] towards ``ceiling_kwh`` the rating allows."""
    limit = (ceiling_kwh - soc_kwh) * charge_kw_per_kwh
    if limit > power_kw:
        limit = power_kw
    return limit if limit > 0.0 else 0.0


@njit(inline="always", cache=True)
def next_soc_kwh(soc_kwh, charge_kw, discharge_kw, charge_gain_h, discharge_loss_h):
    r""":math:`E_{t+1} = E_t + \eta_c\Delta t\, c_t - (\Delta t/\eta_d)\, d_t` [kWh]."""
    return soc_kwh + charge_gain_h * charge_kw - discharge_loss_h * discharge_kw


@njit(inline="always", cache=True)
def band_step(net_kw, low_kw, high_kw, grid_target_kwh, soc_kwh, soc_min_kwh, soc_max_kwh,
              power_kw, charge_kw_per_kwh, discharge_kw_per_kwh):
    r"""Battery charge and discharge [kW] for one step of the import-band rule.

    See :mod:`munigrid.models.simulation.strategies`: discharge
    :math:`d = \min(n - h, \bar d)` when :math:`n > h`; otherwise, when :math:`n < \ell`,
    charge :math:`c = \min\big(s + \min(\ell - n - s,\ \bar c^{grid}),\ \bar c\big)` with PV
    surplus :math:`s = \min(\max(-n, 0), \ell - n)` and :math:`\bar c^{grid}` the charge that
    reaches ``grid_target_kwh``.

    Returns
    -------
    (charge_kw, discharge_kw) : tuple of float
    """
    if net_kw > high_kw:
        want = net_kw - high_kw
        limit = discharge_limit_kw(soc_kwh, soc_min_kwh, power_kw, discharge_kw_per_kwh)
        return 0.0, (want if want < limit else limit)
    if net_kw < low_kw:
        want = low_kw - net_kw
        surplus = -net_kw if net_kw < 0.0 else 0.0
        if surplus > want:
            surplus = want
        from_grid = want - surplus
        grid_room = charge_limit_kw(soc_kwh, grid_target_kwh, power_kw, charge_kw_per_kwh)
        if from_grid > grid_room:
            from_grid = grid_room
        charge = surplus + from_grid
        limit = charge_limit_kw(soc_kwh, soc_max_kwh, power_kw, charge_kw_per_kwh)
        return (charge if charge < limit else limit), 0.0
    return 0.0, 0.0


@njit(inline="always", cache=True)
def grid_split(grid_kw, export_allowed, export_limit_kw):
    r"""Split the residual grid power :math:`g = n + c - d` [kW] into import, export, curtailment.

    :math:`m = \max(g, 0)`; the surplus :math:`\max(-g, 0)` is exported up to
    ``export_limit_kw`` when allowed, the rest curtailed.

    Returns
    -------
    (import_kw, export_kw, curtail_kw) : tuple of float
    """
    if grid_kw >= 0.0:
        return grid_kw, 0.0, 0.0
    surplus = -grid_kw
    if not export_allowed:
        return 0.0, 0.0, surplus
    if surplus > export_limit_kw:
        return 0.0, export_limit_kw, surplus - export_limit_kw
    return 0.0, surplus, 0.0
