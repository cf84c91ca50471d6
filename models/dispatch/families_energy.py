r"""Constraint families of energy flows: balance, PV, battery.

Symbols: meter :math:`i`, step :math:`t`, PV array :math:`a`, battery :math:`n` (of meter
:math:`i`; padded like the arrays: a meter with fewer batteries has empty slots whose flows are
fixed at zero), step length :math:`\Delta t` [h].
Every function is one family: ``rule(m, *index)`` returns one row; the index set that selects
its rows is built in :mod:`munigrid.models.dispatch.layout`. Where a size is fixed, the family
that ties a flow to that size is folded into the flow's bounds instead (same inequality).
"""

from __future__ import annotations


def power_balance(m, i, t):
    r"""Supply meets load at every step [kW].

    .. math:: m_{i,t} - x_{i,t} + \sum_a s_{i,a,t} + \sum_n (d_{i,n,t} - c_{i,n,t}) + g_{i,t} + \ell_{i,t} - f_{i,t} = L_{i,t}

    import :math:`m`, export :math:`x`, PV used :math:`s`, discharge :math:`d` and charge
    :math:`c` of each battery, generator :math:`g`, shed load :math:`\ell`, flexible load :math:`f`
    (:mod:`~munigrid.models.dispatch.families_flex`), fixed load :math:`L`.
    """
    supply = m.import_kw[i, t] - m.export_kw[i, t]
    if m.component("pv_kw") is not None:
        supply = supply + sum(m.pv_kw[i, a, t] for a in m.A)
    if m.component("charge_kw") is not None:
        supply = supply + sum(m.discharge_kw[i, n, t] - m.charge_kw[i, n, t] for n in m.N)
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


def soc_dynamics(m, i, n, t):
    r"""Stored energy of battery :math:`n` after step :math:`t` [kWh].

    .. math:: e_{i,n,t+1} = e_{i,n,t} + \Delta t\,\big(\eta^c_{i,n} c_{i,n,t} - d_{i,n,t} / \eta^d_{i,n}\big)
    """
    return m.soc_kwh[i, n, t + 1] == m.soc_kwh[i, n, t] + m.step_h * (
        m.charge_eff_frac[i, n] * m.charge_kw[i, n, t] - m.discharge_kw[i, n, t] / m.discharge_eff_frac[i, n])


def soc_initial(m, i, n, t):
    r"""Stored energy at the start (:math:`t = 0`) [kWh]: :math:`e_{i,n,0} = \sigma^0_{i,n} E_{i,n}`."""
    return m.soc_kwh[i, n, t] == m.soc_initial_frac[i, n] * m.battery_kwh[i, n]


def soc_final(m, i, n, t):
    r"""Stored energy at the end (:math:`t = T`) [kWh]: :math:`e_{i,n,T} \ge \sigma^T_{i,n} E_{i,n}`."""
    return m.soc_kwh[i, n, t] >= m.soc_final_frac[i, n] * m.battery_kwh[i, n]


def soc_final_cap(m, i, n, t):
    r"""Stored energy at the end no more than its target, where the end must equal it [kWh]:
    :math:`e_{i,n,T} \le \sigma^T_{i,n} E_{i,n}` (with :func:`soc_final`, :math:`e_{i,n,T} = \sigma^T_{i,n} E_{i,n}`)."""
    return m.soc_kwh[i, n, t] <= m.soc_final_frac[i, n] * m.battery_kwh[i, n]


def soc_lower(m, i, n, t):
    r"""Lower state-of-charge limit of a sized battery: :math:`e_{i,n,t} \ge \underline\sigma_{i,n} E_{i,n}`."""
    return m.soc_kwh[i, n, t] >= m.soc_min_frac[i, n] * m.battery_kwh[i, n]


def soc_upper(m, i, n, t):
    r"""Upper state-of-charge limit of a sized battery: :math:`e_{i,n,t} \le \overline\sigma_{i,n} E_{i,n}`."""
    return m.soc_kwh[i, n, t] <= m.soc_max_frac[i, n] * m.battery_kwh[i, n]


def charge_limit(m, i, n, t):
    r"""Charge power of a sized battery: :math:`c_{i,n,t} \le P_{i,n}` [kW]."""
    return m.charge_kw[i, n, t] <= m.battery_kw[i, n]


def discharge_limit(m, i, n, t):
    r"""Discharge power of a sized battery: :math:`d_{i,n,t} \le P_{i,n}` [kW]."""
    return m.discharge_kw[i, n, t] <= m.battery_kw[i, n]


def c_rate_limit(m, i, n):
    r"""Sized power within the C-rate: :math:`P_{i,n} \le \kappa_{i,n} E_{i,n}` [kW], :math:`\kappa` [1/h]."""
    return m.battery_kw[i, n] <= m.c_rate_per_h[i, n] * m.battery_kwh[i, n]


def charge_exclusive(m, i, n, t):
    r"""No charging while the discharge mode is on: :math:`c_{i,n,t} \le \bar P_{i,n}\, u_{i,n,t}`.

    Added by the solve strategy only at steps where the LP charges and discharges the battery at
    once; :math:`u \in \{0, 1\}`, :math:`\bar P` the largest possible power [kW].
    """
    return m.charge_kw[i, n, t] <= m.max_power_kw[i, n] * m.charging[i, n, t]


def discharge_exclusive(m, i, n, t):
    r"""No discharging while charging: :math:`d_{i,n,t} \le \bar P_{i,n}\,(1 - u_{i,n,t})`."""
    return m.discharge_kw[i, n, t] <= m.max_power_kw[i, n] * (1 - m.charging[i, n, t])
