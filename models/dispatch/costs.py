r"""Cost families of the objective [THB over the horizon].

Each function is one family: ``rule(m, *index)`` returns the cost of one index; the objective is
the sum over every family and index. Annual costs of added capacity are scaled by the horizon
length :math:`h` [year] and annualised with the capital recovery factor.
"""

from __future__ import annotations


def energy_cost(m, i, t):
    r"""Energy bought minus export paid: :math:`\Delta t\,(\pi^{in}_{i,t} m_{i,t} - \pi^{out}_{i,t} x_{i,t})`."""
    return m.step_h * (m.import_thb_per_kwh[i, t] * m.import_kw[i, t] - m.export_thb_per_kwh[i, t] * m.export_kw[i, t])


def demand_cost(m, i, f, p):
    r"""Demand charge of family :math:`f` in period :math:`p`: :math:`C_{i,f,p}`."""
    return m.demand_thb[i, f, p]


def minimum_charge_cost(m, i, p):
    r"""Minimum-charge adjustment of period :math:`p` (bill floor): :math:`A_{i,p}`."""
    return m.min_charge_thb[i, p]


def net_metering_credit(m, i, t):
    r"""Net-metering credit over the export price: :math:`-\Delta t\, \nu_{i,t} n_{i,t}`."""
    return -m.step_h * m.net_metering_thb_per_kwh[i, t] * m.netted_kw[i, t]


def block_cost(m, i, s, p):
    r"""Charge of energy block or tier set :math:`s` in period :math:`p`: :math:`B_{i,s,p}`."""
    return m.block_thb[i, s, p]


def fixed_cost(m, i):
    r"""Service and other fixed charges of the meter over the horizon: :math:`\sum_p F_{i,p}`."""
    return m.fixed_thb[i]


def degradation_cost(m, i, n, t):
    r"""Battery wear per kWh discharged: :math:`\Delta t\, w_{i,n}\, d_{i,n,t}`."""
    return m.step_h * m.degradation_thb_per_kwh[i, n] * m.discharge_kw[i, n, t]


def fuel_cost(m, i, t):
    r"""Fuel on the slope of the fuel curve: :math:`\Delta t\, \pi^{fuel}_i a_i g_{i,t}`."""
    return m.step_h * m.fuel_thb_per_l[i] * m.fuel_slope_l_per_kwh[i] * m.gen_kw[i, t]


def no_load_fuel_cost(m, i, t):
    r"""Fuel at no load: :math:`\Delta t\, \pi^{fuel}_i n_{i,t}`."""
    return m.step_h * m.fuel_thb_per_l[i] * m.gen_noload_l_per_h[i, t]


def startup_cost(m, i, t):
    r"""Start-up cost: :math:`\sigma_i v_{i,t}`."""
    return m.startup_thb[i] * m.gen_start[i, t]


def shed_cost(m, i, t):
    r"""Value of lost load: :math:`\Delta t\, \lambda_i \ell_{i,t}`."""
    return m.step_h * m.voll_thb_per_kwh[i] * m.shed_kw[i, t]


def pv_capital_cost(m, i, a):
    r"""Annualised capital and O&M of added PV: :math:`h\,(\mathrm{CRF}\,k + o)(S_{i,a} - S^0_{i,a})`."""
    return m.pv_annual_thb_per_kwp[i, a] * (m.pv_kwp[i, a] - m.pv_installed_kwp[i, a])


def battery_capital_cost(m, i, n):
    r"""Annualised capital and O&M of added energy and power of battery :math:`n`."""
    return (m.battery_annual_thb_per_kwh[i, n] * (m.battery_kwh[i, n] - m.battery_installed_kwh[i, n])
            + m.battery_annual_thb_per_kw[i, n] * (m.battery_kw[i, n] - m.battery_installed_kw[i, n]))


def store_capital_cost(m, i):
    r"""Annualised capital and O&M of a sized thermal store's tank with its chiller: :math:`a^Q_i Q_i` [THB]."""
    return m.store_annual_thb_per_kwh_th[i] * m.store_size_kwh_th[i]


def gen_capital_cost(m, i):
    r"""Annualised capital and O&M of added generator rating."""
    return m.gen_annual_thb_per_kw[i] * (m.gen_rating_kw[i] - m.gen_installed_kw[i])
