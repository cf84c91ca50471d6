r"""Constraint families of flexible loads: pumping into a reservoir, pre-cooling (with a thermal store), EV charging.

Symbols: meter :math:`i`, step :math:`t`, EV fleet :math:`v`, step length :math:`\Delta t` [h].
The data are described in :mod:`munigrid.models.dispatch.flex`; index sets and bounds are
built in :mod:`munigrid.models.dispatch.layout_flex`. The power balance sees these loads as one
term, the flexible load :math:`f_{i,t}` (:func:`flex_load`). Bounds that are plain limits are
column bounds, not rows: pump power :math:`0 \le p_{i,t} \le \bar p_i`, reservoir volume
:math:`\underline\lambda_i V_i \le v_{i,t} \le \overline\lambda_i V_i` (start fixed, end at
least the baseline's), cooling power :math:`0 \le q_{i,t} \le \bar q_i`, zone temperature in
its comfort band (start fixed, end at most the baseline's), thermal store charging power
:math:`0 \le c_{i,t} \le \bar c_i`, discharge :math:`0 \le d_{i,t} \le \bar d_i` and stored
cooling :math:`\underline\sigma_i S_i \le s_{i,t} \le \overline\sigma_i S_i` (start fixed, end at
least the start), EV power
:math:`0 \le r_{i,v,t} \le \bar r_{i,v}` while plugged (0 otherwise) and session energy at
least the session's need at its departure.
"""

from __future__ import annotations


def flex_load(m, i, t):
    r"""Flexible load of the meter: pumps, air conditioning and EV chargers [kW].

    .. math:: f_{i,t} = p_{i,t} + q_{i,t} + c_{i,t} + \sum_v r_{i,v,t}

    with :math:`c` the chiller charging the thermal store (:func:`store_balance`).
    """
    total = 0.0
    if m.component("pump_kw") is not None:
        total = total + m.pump_kw[i, t]
    if m.component("cool_kw") is not None:
        total = total + m.cool_kw[i, t]
    if m.component("store_charge_kw") is not None:
        total = total + m.store_charge_kw[i, t]
    if m.component("ev_kw") is not None:
        total = total + sum(m.ev_kw[i, v, t] for v in m.V)
    return m.flex_kw[i, t] == total


def reservoir_balance(m, i, t):
    r"""Water in the reservoir after step :math:`t` [m³].

    .. math:: v_{i,t+1} = v_{i,t} + \Delta t\,\big(p_{i,t}/\epsilon_i - w_{i,t}\big)

    pump power :math:`p` [kW], specific energy :math:`\epsilon` [kWh/m³], net draw :math:`w`
    (demand less inflow) [m³/h].
    """
    return m.water_m3[i, t + 1] == m.water_m3[i, t] + m.step_h * (
        m.pump_kw[i, t] / m.pump_kwh_per_m3[i] - m.water_draw_m3_per_h[i, t])


def pump_units_max(m, i, t):
    r"""Pump power within the pumps that run: :math:`p_{i,t} \le (\bar p_i/n_i)\,u_{i,t}`,
    :math:`u_{i,t} \in \{0, \dots, n_i\}` pumps on."""
    return m.pump_kw[i, t] <= m.pump_unit_kw[i] * m.pumps_on[i, t]


def pump_units_min(m, i, t):
    r"""Each running pump at least at its minimum load:
    :math:`p_{i,t} \ge \mu_i (\bar p_i/n_i)\,u_{i,t}`."""
    return m.pump_kw[i, t] >= m.pump_min_load_frac[i] * m.pump_unit_kw[i] * m.pumps_on[i, t]


def zone_dynamics(m, i, t):
    r"""Zone temperature after step :math:`t` (first-order RC model, explicit step) [°C].

    .. math:: C_i\,(\theta_{i,t+1} - \theta_{i,t}) = \Delta t\,\big(H_i(\theta^o_{i,t} - \theta_{i,t})
              + Q_{i,t} - \mathrm{COP}_{i,t}\,q_{i,t} - d_{i,t}\big)

    thermal capacity :math:`C` [kWh/K], loss to outdoors :math:`H` [kW/K], outdoor temperature
    :math:`\theta^o` [°C], heat gains :math:`Q` [kW], cooling electric power :math:`q` [kW],
    cooling from the thermal store :math:`d` [kW thermal] (the term only exists in a model with a
    store; :func:`store_balance`).
    """
    removed_kw = m.cooling_cop[i, t] * m.cool_kw[i, t]
    if m.component("store_discharge_kw_th") is not None:
        removed_kw = removed_kw + m.store_discharge_kw_th[i, t]
    return m.zone_kwh_per_k[i] * (m.temp_c[i, t + 1] - m.temp_c[i, t]) == m.step_h * (
        m.zone_loss_kw_per_k[i] * (m.outdoor_c[i, t] - m.temp_c[i, t]) + m.heat_gain_kw[i, t] - removed_kw)


def store_balance(m, i, t):
    r"""Cooling in the chilled-water or ice store after step :math:`t` [kWh thermal].

    .. math:: s_{i,t+1} = \kappa_i\,s_{i,t} + \Delta t\,\big(\mathrm{COP}^s_{i,t}\,c_{i,t} - d_{i,t}\big),
              \qquad \kappa_i = (1 - \lambda_i)^{\Delta t}

    chiller electric power charging the store :math:`c` [kW], its coefficient of performance
    :math:`\mathrm{COP}^s` [-] (lower for ice than for chilled water), cooling delivered to the
    zone :math:`d` [kW thermal] (:func:`zone_dynamics`), standing loss :math:`\lambda` [1/h].
    """
    return m.store_kwh_th[i, t + 1] == m.store_keep_frac[i] * m.store_kwh_th[i, t] + m.step_h * (
        m.store_cop[i, t] * m.store_charge_kw[i, t] - m.store_discharge_kw_th[i, t])


def ev_energy(m, i, v, t):
    r"""Energy charged in the current session after step :math:`t` [kWh].

    .. math:: e_{i,v,t+1} = \kappa_{i,v,t}\,e_{i,v,t} + \Delta t\,\eta_{i,v}\,r_{i,v,t}

    with :math:`\kappa = 0` where a session starts (the count restarts) and 1 elsewhere; its
    lower bound at a departure is the session's energy.
    """
    return m.ev_kwh[i, v, t + 1] == m.ev_continues[i, v, t] * m.ev_kwh[i, v, t] + (
        m.step_h * m.ev_eff_frac[i, v] * m.ev_kw[i, v, t])
