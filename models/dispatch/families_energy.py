r"""Constraint families of energy flows: balance, PV, battery.

Symbols: meter :math:`i`, step :math:`t`, PV array :math:`a`, step length :math:`\Delta t` [h].
Every function is one family: ``rule(m, *index)`` returns one row; the index set that selects
its rows is built in :mod:`munigrid.models.dispatch.layout`. Where a size is fixed, the family
that ties a flow to that size is folded into the flow's bounds instead (same inequality).
"""

from __future__ import annotations


def power_balance(m, i, t):
    r"""Supply meets load at every step [kW].

    .. math:: m_{i,t} - x_{i,t} + \sum_a s_{i,a,t} + d_{i,t} - c_{i,t} + g_{i,t} + \ell_{i,t} - f_{i,t} = L_{i,t}

    import :math:`m`, export :math:`x`, PV used :math:`s`, battery discharge :math:`d` and charge
    :math:`c`, generator :math:`g`, shed load :math:`\ell`, flexible load :math:`f`
    (:mod:`~munigrid.models.dispatch.families_flex`), fixed load :math:`L`.
    """
    supply = m.import_kw[i, t] - m.export_kw[i, t]
    if m.component("pv_kw") is not None:
        supply = supply + sum(m.pv_kw[i, a, t] for a in m.A)
    if m.component("charge_kw") is not None:
        supply = supply + m.discharge_kw[i, t] - m.charge_kw[i, t]
    if m.component("gen_kw") is not None:
        supply = supply + m.gen_kw[i, t]
    if m.component("shed_kw") is not None:
        supply = supply + m.shed_kw[i, t]
    if m.component("flex_kw") is not None:
        supply = supply - m.flex_kw[i, t]
    return supply == m.load_kw[i, t]


def pv_available(m, i, a, t):
    r"""PV used is at most the available output of the sized array (the rest is curtailed).

    .. math:: s_{i,a,t} \le \phi_{i,a,t}\, S_{i,a}

    with output per kWp :math:`\phi` [kW/kWp] and size :math:`S` [kWp].
    """
    return m.pv_kw[i, a, t] <= m.pv_kw_per_kwp[i, a, t] * m.pv_kwp[i, a]


def soc_dynamics(m, i, t):
    r"""Stored energy after step :math:`t` [kWh].

    .. math:: e_{i,t+1} = e_{i,t} + \Delta t\,\big(\eta^c_i c_{i,t} - d_{i,t} / \eta^d_i\big)
    """
    return m.soc_kwh[i, t + 1] == m.soc_kwh[i, t] + m.step_h * (
        m.charge_eff_frac[i] * m.charge_kw[i, t] - m.discharge_kw[i, t] / m.discharge_eff_frac[i])


def soc_initial(m, i, t):
    r"""Stored energy at the start (:math:`t = 0`) [kWh]: :math:`e_{i,0} = \sigma^0_i E_i`."""
    return m.soc_kwh[i, t] == m.soc_initial_frac[i] * m.battery_kwh[i]


def soc_final(m, i, t):
    r"""Stored energy at the end (:math:`t = T`) [kWh]: :math:`e_{i,T} \ge \sigma^T_i E_i`."""
    return m.soc_kwh[i, t] >= m.soc_final_frac[i] * m.battery_kwh[i]


def soc_final_cap(m, i, t):
    r"""Stored energy at the end no more than its target, where the end must equal it [kWh]:
    :math:`e_{i,T} \le \sigma^T_i E_i` (with :func:`soc_final`, :math:`e_{i,T} = \sigma^T_i E_i`)."""
    return m.soc_kwh[i, t] <= m.soc_final_frac[i] * m.battery_kwh[i]


def soc_lower(m, i, t):
    r"""Lower state-of-charge limit of a sized battery: :math:`e_{i,t} \ge \underline\sigma_i E_i`."""
    return m.soc_kwh[i, t] >= m.soc_min_frac[i] * m.battery_kwh[i]


def soc_upper(m, i, t):
    r"""Upper state-of-charge limit of a sized battery: :math:`e_{i,t} \le \overline\sigma_i E_i`."""
    return m.soc_kwh[i, t] <= m.soc_max_frac[i] * m.battery_kwh[i]


def charge_limit(m, i, t):
    r"""Charge power of a sized battery: :math:`c_{i,t} \le P_i` [kW]."""
    return m.charge_kw[i, t] <= m.battery_kw[i]


def discharge_limit(m, i, t):
    r"""Discharge power of a sized battery: :math:`d_{i,t} \le P_i` [kW]."""
    return m.discharge_kw[i, t] <= m.battery_kw[i]


def c_rate_limit(m, i):
    r"""Sized power within the C-rate: :math:`P_i \le \kappa_i E_i` [kW], :math:`\kappa` [1/h]."""
    return m.battery_kw[i] <= m.c_rate_per_h[i] * m.battery_kwh[i]


def charge_exclusive(m, i, t):
    r"""No charging while the discharge mode is on: :math:`c_{i,t} \le \bar P_i\, u_{i,t}`.

    Added by the solve strategy only at steps where the LP charges and discharges at once;
    :math:`u \in \{0, 1\}`, :math:`\bar P` the largest possible power [kW].
    """
    return m.charge_kw[i, t] <= m.max_power_kw[i] * m.charging[i, t]


def discharge_exclusive(m, i, t):
    r"""No discharging while charging: :math:`d_{i,t} \le \bar P_i\,(1 - u_{i,t})`."""
    return m.discharge_kw[i, t] <= m.max_power_kw[i] * (1 - m.charging[i, t])
