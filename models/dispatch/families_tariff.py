r"""Constraint families of the tariff (see :mod:`munigrid.models.tariffs.terms`).

Demand family :math:`f`, window :math:`k`, affine piece :math:`j`, billing period :math:`p`,
energy block :math:`b` of block or tier set :math:`s` (monthly blocks on the whole energy, or tiers
of some TOU periods in some months, each set on its own share of the energy). Demand charges and increasing energy blocks are convex, so the LP is
exact: minimisation pushes each charge variable down onto the largest of its lower bounds.

Energy blocks whose price falls somewhere (declining, or any non-monotone order) are not
convex: minimisation would fill the cheap block first. For those meters the period energy is
split into incremental block amounts :math:`e_{i,s,p,b}` that must fill in order, enforced by
binaries :math:`z_{i,s,p,b}` ("block :math:`b` is full"), with

.. math:: 0 \le e_{i,s,p,b} \le W_{i,s,p,b}, \qquad z_{i,s,p,b} \in \{0, 1\}

(variable bounds). :math:`W_{i,p,b}` is the block width clipped to what the period can import
at most, :math:`W_{i,p,b} = \min(U_b - U_{b-1},\ \max(0, \bar Y_{i,p} - U_{b-1}))`, with the bound
:math:`\bar Y_{i,p}` from the load, export limit and battery
(:func:`munigrid.models.dispatch.layout.max_period_import_kwh`): the last, open block gets a
valid, small big-M, and the LP relaxation of each period's charge is the convex
envelope of the block charge over :math:`[0, \bar Y_{i,p}]`, so a tighter bound is a tighter LP.
"""

from __future__ import annotations


def demand_window(m, i, f, k, t):
    r"""Demand of window :math:`k` is at least the import at each of its steps [kW].

    .. math:: D_{i,f,k,p_{f,k}(t)} \ge m_{i,t} \quad \forall t : w_{f,k,t}

    :math:`p_{f,k}(t)` is the step's billing period, or for a coincident group spanning months
    the period of the group's last step. The lower bound :math:`D \ge R` (demand registered
    before the horizon) is a variable bound.
    """
    return m.import_kw[i, t] <= m.demand_kw[i, f, k, m.window_period[i, f, k, t]]


def demand_piece(m, i, f, j, p):
    r"""Demand charge is at least each affine piece [THB per period].

    .. math:: C_{i,f,p} \ge \alpha_{i,f,j} + \sum_k \beta_{i,f,j,k}\, D_{i,f,k,p}
    """
    return m.demand_thb[i, f, p] >= m.piece_intercept_thb[i, f, j] + sum(
        m.piece_slope_thb_per_kw[i, f, j, k] * m.demand_kw[i, f, k, p] for k in m.K)


def demand_ratchet(m, i, f, p, q):
    r"""Minimum-demand rule (ratchet): a share of each earlier charge in the look-back.

    .. math:: C_{i,f,p} \ge \rho_{i,f}\, C_{i,f,q} \quad p - L \le q < p

    (the share of the charge before the horizon, :math:`\rho H`, is a variable bound).
    """
    return m.demand_thb[i, f, p] >= m.ratchet_frac[i, f] * m.demand_thb[i, f, q]


def lookback_peak(m, i, f, p, q):
    r"""kW lookback: the lifted demand is at least a share of each lookback month's demand [kW].

    .. math:: \tilde L_{i,f,p} \ge P_{i,f}\, D_{i,f,0,q} \quad q \in Q(p)
    """
    return m.lookback_kw[i, f, p] >= m.lookback_frac[i, f] * m.demand_kw[i, f, 0, q]


def demand_piece_lookback(m, i, f, j, p):
    r"""Demand charge of a one-window family is at least each piece at the lifted demand [THB].

    .. math:: C_{i,f,p} \ge \alpha_{i,f,j} + \beta_{i,f,j,0}\, \tilde L_{i,f,p}

    With :func:`demand_piece` and non-negative slopes this prices :math:`\max(D_p, \tilde L_p)`.
    """
    return m.demand_thb[i, f, p] >= m.piece_intercept_thb[i, f, j] + m.piece_slope_thb_per_kw[i, f, j, 0] * \
        m.lookback_kw[i, f, p]


def netted_within_export(m, i, t):
    r"""Net metering: the netted export is part of the export [kW]: :math:`0 \le n_{i,t} \le x_{i,t}`."""
    return m.netted_kw[i, t] <= m.export_kw[i, t]


def net_balance_first(m, i, t):
    r"""Imports minus netted exports so far in the netting period, first step [kWh]: :math:`b_{i,0} = \Delta t (m_{i,0} - n_{i,0})`."""
    return m.net_balance_kwh[i, t] == m.step_h * (m.import_kw[i, t] - m.netted_kw[i, t])


def net_balance(m, i, t):
    r"""Imports minus netted exports so far in the netting period [kWh].

    .. math:: b_{i,t} = \kappa_{i,t}\, b_{i,t-1} + \Delta t\,(m_{i,t} - n_{i,t})

    :math:`\kappa = 0` at the first step of a netting period; :math:`b \ge 0` at its last step
    (a variable bound): the credit is limited to what was imported.
    """
    return m.net_balance_kwh[i, t] == (m.netting_continues[i, t] * m.net_balance_kwh[i, t - 1]
                                       + m.step_h * (m.import_kw[i, t] - m.netted_kw[i, t]))


def floor_energy_first(m, i, t):
    r"""Base energy charge so far in the billing period, first step [THB]: :math:`z_{i,0} = \Delta t\, e_{i,0} m_{i,0}`."""
    return m.cum_base_thb[i, t] == m.step_h * m.base_energy_thb_per_kwh[i, t] * m.import_kw[i, t]


def floor_energy(m, i, t):
    r"""Base energy charge so far in the billing period (Ft excluded, VAT included) [THB].

    .. math:: z_{i,t} = \kappa_{i,t}\, z_{i,t-1} + \Delta t\, e_{i,t} m_{i,t}

    :math:`\kappa = 0` at the first step of a period, else 1.
    """
    return m.cum_base_thb[i, t] == (m.floor_continues[i, t] * m.cum_base_thb[i, t - 1]
                                    + m.step_h * m.base_energy_thb_per_kwh[i, t] * m.import_kw[i, t])


def minimum_charge(m, i, f, p, q):
    r"""Minimum charge on the bill: energy + demand charges + adjustment reach a share of each earlier charge.

    .. math:: A_{i,p} + z_{i,\mathrm{last}(p)} + \sum_g C_{i,g,p} \ge \rho_{i,f}\, C_{i,f,q} \quad p - L \le q < p

    With :math:`A \ge 0` the cost :math:`X_p + A_p` is :math:`\max(X_p, \Phi_p)`, convex, so the LP is exact.
    """
    return (m.min_charge_thb[i, p] + m.cum_base_thb[i, m.floor_last_step[i, p]]
            + sum(m.demand_thb[i, g, p] for g in m.F)) >= m.ratchet_frac[i, f] * m.demand_thb[i, f, q]


def minimum_charge_history(m, i, p):
    r"""Minimum charge on the bill from the charge before the horizon: :math:`A_{i,p} + z_{i,\mathrm{last}(p)} + \sum_g C_{i,g,p} \ge \rho H`."""
    return (m.min_charge_thb[i, p] + m.cum_base_thb[i, m.floor_last_step[i, p]]
            + sum(m.demand_thb[i, g, p] for g in m.F)) >= m.floor_history_thb[i, p]


def cumulative_import_first(m, i, s, t):
    r"""Energy counted by tier set :math:`s` so far in the billing period, first step [kWh]: :math:`y_{i,s,0} = \Delta t\, \omega_{i,s,0} m_{i,0}`."""
    return m.cum_import_kwh[i, s, t] == m.step_h * m.tier_weight[i, s, t] * m.import_kw[i, t]


def cumulative_import(m, i, s, t):
    r"""Energy counted by tier set :math:`s` so far in the billing period [kWh].

    .. math:: y_{i,s,t} = \kappa_{i,t}\, y_{i,s,t-1} + \Delta t\, \omega_{i,s,t} m_{i,t}

    :math:`\kappa = 0` at the first step of a period, else 1; :math:`\omega` is the step's share
    in the set's TOU periods and months (1 for blocks on the whole energy).
    """
    return m.cum_import_kwh[i, s, t] == (m.period_continues[i, t] * m.cum_import_kwh[i, s, t - 1]
                                         + m.step_h * m.tier_weight[i, s, t] * m.import_kw[i, t])


def energy_block(m, i, s, p, b):
    r"""Block charge as the maximum of affine pieces of the set's period energy (increasing prices).

    .. math:: B_{i,s,p} \ge \pi_{i,s,b}\, y_{i,s,\mathrm{last}(p)} + \chi_{i,s,b}

    with :math:`\chi_b = \sum_{b' < b} (\pi_{b'} - \pi_b)(U_{b'} - U_{b'-1})` so that the pieces meet at block edges.
    """
    return m.block_thb[i, s, p] >= m.block_price_thb_per_kwh[i, s, b] * \
        m.cum_import_kwh[i, s, m.period_last_step[i, p]] + m.block_intercept_thb[i, s, b]


def block_energy_sum(m, i, s, p):
    r"""The block amounts add up to the set's period energy (non-convex blocks) [kWh].

    .. math:: \sum_b e_{i,s,p,b} = y_{i,s,\mathrm{last}(p)}
    """
    return sum(m.block_kwh[i, s, p, b] for b in m.B) == m.cum_import_kwh[i, s, m.period_last_step[i, p]]


def block_full(m, i, s, p, b):
    r"""A block marked full holds its whole width (non-convex blocks) [kWh].

    .. math:: e_{i,s,p,b} \ge W_{i,s,p,b}\, z_{i,s,p,b} \quad b < B_{i,s} - 1
    """
    return m.block_kwh[i, s, p, b] >= m.block_width_kwh[i, s, p, b] * m.block_is_full[i, s, p, b]


def block_opens(m, i, s, p, b):
    r"""A block takes energy only once the block before it is full (non-convex blocks) [kWh].

    .. math:: e_{i,s,p,b+1} \le W_{i,s,p,b+1}\, z_{i,s,p,b} \quad b < B_{i,s} - 1

    With :func:`block_full` the blocks fill in order whatever their prices.
    """
    return m.block_kwh[i, s, p, b + 1] <= m.block_width_kwh[i, s, p, b + 1] * m.block_is_full[i, s, p, b]


def block_charge(m, i, s, p):
    r"""Block charge of the set's period from the block amounts (non-convex blocks) [THB].

    .. math:: B_{i,s,p} = \sum_b \pi_{i,s,b}\, e_{i,s,p,b}
    """
    return m.block_thb[i, s, p] == sum(m.block_price_thb_per_kwh[i, s, b] * m.block_kwh[i, s, p, b] for b in m.B)
