r"""Constraint families of the diesel generator (commitment with big-M on the rating).

Output :math:`g_{i,t}` [kW], on/off :math:`u_{i,t}`, start :math:`v_{i,t}`, no-load fuel rate
:math:`n_{i,t}` [L/h], rating :math:`G_i` [kW] (a decision in sizing mode) with upper bound
:math:`\bar G_i`. With a fixed rating :math:`G_i = \bar G_i` and the families reduce to the usual
:math:`\underline\gamma G u \le g \le G u`. In the LP relaxation :math:`u \in [0, 1]`; the solve
strategy makes :math:`u` binary for generators with a minimum load, start-up cost or no-load fuel.
"""

from __future__ import annotations


def gen_rating(m, i, t):
    r"""Output within the (sized) rating: :math:`g_{i,t} \le G_i`."""
    return m.gen_kw[i, t] <= m.gen_rating_kw[i]


def gen_on_limit(m, i, t):
    r"""No output while off: :math:`g_{i,t} \le \bar G_i\, u_{i,t}`."""
    return m.gen_kw[i, t] <= m.gen_max_kw[i] * m.gen_on[i, t]


def gen_min_load(m, i, t):
    r"""Minimum load while on: :math:`g_{i,t} \ge \underline\gamma_i\,\big(G_i - \bar G_i (1 - u_{i,t})\big)`."""
    return m.gen_kw[i, t] >= m.gen_min_load_frac[i] * (m.gen_rating_kw[i] - m.gen_max_kw[i] * (1 - m.gen_on[i, t]))


def gen_no_load_fuel(m, i, t):
    r"""No-load fuel while on [L/h]: :math:`n_{i,t} \ge b_i\,\big(G_i - \bar G_i (1 - u_{i,t})\big)`, :math:`n \ge 0`."""
    return m.gen_noload_l_per_h[i, t] >= m.fuel_intercept_l_per_kwh[i] * (
        m.gen_rating_kw[i] - m.gen_max_kw[i] * (1 - m.gen_on[i, t]))


def gen_startup(m, i, t):
    r"""A start when switched on: :math:`v_{i,t} \ge u_{i,t} - u_{i,t-1}` for :math:`t \ge 1`."""
    return m.gen_start[i, t] >= m.gen_on[i, t] - m.gen_on[i, t - 1]


def gen_startup_first(m, i, t):
    r"""A start at :math:`t = 0` unless running before: :math:`v_{i,0} \ge u_{i,0} - u^0_i`."""
    return m.gen_start[i, t] >= m.gen_on[i, t] - m.gen_initially_on[i]
