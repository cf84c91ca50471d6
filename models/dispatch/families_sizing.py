r"""Constraint families of sizing: integer blocks, budget and site-wide targets.

Sizes: PV :math:`S_{i,a}` [kWp], battery :math:`n` :math:`E_{i,n}` [kWh] and :math:`P_{i,n}` [kW], generator
:math:`G_i` [kW], thermal store tank :math:`Q_i` [kWh thermal] (none installed: sized from 0, its
chiller and discharge power in fixed ratios to the tank); installed sizes carry a superscript 0. Single-row families are indexed by a
one-member set ``(0,)``.
"""

from __future__ import annotations


def pv_block(m, i, a):
    r"""PV added in whole blocks: :math:`S_{i,a} = S^0_{i,a} + \beta_{i,a}\, n_{i,a}`, :math:`n \in \mathbb{Z}_{\ge 0}`."""
    return m.pv_kwp[i, a] == m.pv_installed_kwp[i, a] + m.pv_block_kwp[i, a] * m.pv_blocks[i, a]


def battery_block(m, i, n):
    r"""Battery energy added in whole blocks: :math:`E_{i,n} = E^0_{i,n} + \beta_{i,n}\, k_{i,n}`, :math:`k \in \mathbb{Z}_{\ge 0}`."""
    return m.battery_kwh[i, n] == m.battery_installed_kwh[i, n] + m.battery_block_kwh[i, n] * m.battery_blocks[i, n]


def gen_block(m, i):
    r"""Generator rating added in whole blocks: :math:`G_i = G^0_i + \beta_i\, n_i`."""
    return m.gen_rating_kw[i] == m.gen_installed_kw[i] + m.gen_block_kw[i] * m.gen_blocks[i]


def budget(m, z):
    r"""Capital of all added capacity within the budget [THB].

    .. math:: \sum_{i,a} k^S_{i,a}(S_{i,a} - S^0_{i,a}) + \sum_{i,n} \big(k^E_{i,n} (E_{i,n} - E^0_{i,n})
              + k^P_{i,n} (P_{i,n} - P^0_{i,n})\big) + \sum_i k^G_i (G_i - G^0_i) + \sum_i k^Q_i Q_i \le K

    with :math:`k^Q` the tank's price per kWh thermal plus its chiller's share (:math:`k^{chiller} \rho^c`).
    """
    spent = 0.0
    if m.component("pv_kwp") is not None:
        spent = spent + sum(m.pv_capex_thb_per_kwp[i, a] * (m.pv_kwp[i, a] - m.pv_installed_kwp[i, a])
                            for i, a in m.MA)
    if m.component("battery_kwh") is not None:
        spent = spent + sum(m.battery_capex_thb_per_kwh[i, n] * (m.battery_kwh[i, n] - m.battery_installed_kwh[i, n])
                            + m.battery_capex_thb_per_kw[i, n] * (m.battery_kw[i, n] - m.battery_installed_kw[i, n])
                            for i, n in m.MN)
    if m.component("gen_rating_kw") is not None:
        spent = spent + sum(m.gen_capex_thb_per_kw[i] * (m.gen_rating_kw[i] - m.gen_installed_kw[i]) for i in m.M)
    if m.component("store_size_kwh_th") is not None:
        spent = spent + sum(m.store_capex_thb_per_kwh_th[i] * m.store_size_kwh_th[i] for i in m.M_store_sized)
    return spent <= m.budget_thb


def store_floor(m, i, t):
    r"""Least cooling in a sized store at boundary :math:`t`: :math:`s_{i,t} \ge \underline\sigma_{i,t}\, Q_i` [kWh thermal].

    :math:`\underline\sigma_{i,t}` is the window's bottom share, the starting share at the first
    and the last boundary (the run ends at least as charged as it starts).
    """
    return m.store_kwh_th[i, t] >= m.store_low_frac[i, t] * m.store_size_kwh_th[i]


def store_ceiling(m, i, t):
    r"""Most cooling in a sized store at boundary :math:`t`: :math:`s_{i,t} \le \overline\sigma_{i,t}\, Q_i` [kWh thermal].

    :math:`\overline\sigma_{i,t}` is the window's top share, the starting share at the first boundary.
    """
    return m.store_kwh_th[i, t] <= m.store_high_frac[i, t] * m.store_size_kwh_th[i]


def store_charge_sized(m, i, t):
    r"""Chiller of a sized store follows the tank: :math:`c_{i,t} \le \rho^c_i\, Q_i` [kW], :math:`\rho^c = \bar c / S`."""
    return m.store_charge_kw[i, t] <= m.store_charge_kw_per_kwh_th[i] * m.store_size_kwh_th[i]


def store_discharge_sized(m, i, t):
    r"""Discharge of a sized store follows the tank: :math:`d_{i,t} \le \rho^d_i\, Q_i` [kW thermal], :math:`\rho^d = \bar d / S`."""
    return m.store_discharge_kw_th[i, t] <= m.store_discharge_per_h[i] * m.store_size_kwh_th[i]


def self_sufficiency(m, z):
    r"""Least share of load energy not imported: :math:`\Delta t \sum_{i,t} m_{i,t} \le (1 - \sigma)\,\Delta t \sum_{i,t} L_{i,t}`."""
    return m.step_h * sum(m.import_kw[i, t] for i, t in m.MT) <= (1 - m.min_self_sufficiency_frac) * m.load_kwh


def renewable_share(m, z):
    r"""Least share of load energy from on-site PV: :math:`\Delta t \sum (\sum_a s_{i,a,t} - x_{i,t}) \ge \rho \sum \Delta t L`.

    Exported energy is subtracted, so only PV consumed on site (directly or via the battery) counts.
    """
    pv_used = sum(m.pv_kw[i, a, t] for i, a, t in m.MAT) - sum(m.export_kw[i, t] for i, t in m.MT)
    return m.step_h * pv_used >= m.min_renewable_frac * m.load_kwh


def co2_cap(m, z):
    r"""Emissions over the horizon within the cap [kgCO2e].

    .. math:: \Delta t \sum_{i,t} \big(\epsilon^{grid}_i m_{i,t} + \epsilon^{fuel}_i (a_i g_{i,t} + n_{i,t})\big) \le \bar C
    """
    emitted = m.step_h * sum(m.grid_co2_kg_per_kwh[i] * m.import_kw[i, t] for i, t in m.MT)
    if m.component("gen_kw") is not None:
        emitted = emitted + m.step_h * sum(m.gen_co2_kg_per_l[i] * m.fuel_slope_l_per_kwh[i] * m.gen_kw[i, t]
                                           for i, t in m.MT)
    if m.component("gen_noload_l_per_h") is not None:
        emitted = emitted + m.step_h * sum(m.gen_co2_kg_per_l[i] * m.gen_noload_l_per_h[i, t] for i, t in m.MT)
    return emitted <= m.max_co2_kg
