r"""Outage risk in the objective: representative outages, each with its own islanded recourse.

A meter with a battery or a generator and an :class:`OutageRecourse` gets, for every
representative outage :math:`s` (start step :math:`\tau_s`, length :math:`K_s` steps, weight
:math:`\pi_s`), its own island operation over the outage's steps :math:`k < K_s` (step
:math:`t = (\tau_s + k) \bmod T` of the horizon): PV used :math:`s^o`, battery charge
:math:`c^o` and discharge :math:`d^o`, stored energy :math:`e^o`, generator :math:`g^o` and
unserved critical load :math:`u^o \le L^{crit}` [kW], the battery terms for each battery :math:`n`
of the meter (each within its own power, SoC window and efficiencies). The outage starts from the schedule's own
stored energy, :math:`e^o_{s,0} = e_{\tau_s}`, so the schedule pays in the objective for
running the battery low when outages are likely:

.. math:: \min \ \text{(bill and other costs)} \;+\; \sum_i \sum_s \pi_s\, V_i
          \sum_{k<K_s} u^o_{i,s,k}\, \Delta t,
          \qquad \pi_s = Y\, n\, \frac{p_{d(s)}}{N},

with :math:`Y` the horizon in years, :math:`n` outages a year, :math:`p_d` the probability of
the length, :math:`N` representative starts and :math:`V` the value of lost load [THB/kWh].
The recourse is an LP over the outage's whole length with the outage known once it starts
(REopt's multiple-outage model makes the same assumption), so for the chosen starts the
expected value of lost critical load is exact, not a bound. The generator's fuel is not limited
in the recourse and runs without a minimum load (the committed generator of the schedule is
not used in the island); the non-critical load is off in an outage whatever the schedule does,
a constant left out of the objective. Every battery behind the meter serves the island, each
from its own stored energy in the schedule.

One function per constraint family (rows selected by the index sets
:func:`add_outage_recourse` builds), and the cost family :func:`outage_lost_load_cost`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OutageRecourse:
    """Representative outages of one meter.

    Attributes
    ----------
    start_steps : ndarray of int, shape (N,)
        Start steps of the representative outages, each standing for :math:`1/N` of the starts.
    duration_steps : ndarray of int, shape (D,)
        Outage lengths [steps], >= 1.
    probability_frac : ndarray, shape (D,)
        Probability of each length, summing to 1 [-].
    events_per_year : float
        Outages a year [1/year].
    voll_thb_per_kwh : float
        Value of lost critical load [THB/kWh].
    """

    start_steps: np.ndarray
    duration_steps: np.ndarray
    probability_frac: np.ndarray
    events_per_year: float
    voll_thb_per_kwh: float


def outage_balance(m, i, s, k):
    r"""Island balance of outage :math:`s` at its step :math:`k` [kW]:
    :math:`s^o + \sum_n (d^o_n - c^o_n) + g^o + u^o = L^{crit}_{i,(\tau_s+k) \bmod T}`."""
    supply = m.ro_pv_kw[i, s, k]
    if m.component("ro_charge_kw") is not None:
        supply = supply + sum(m.ro_discharge_kw[i, n, s, k] - m.ro_charge_kw[i, n, s, k] for n in m.N)
    return supply + m.ro_gen_kw[i, s, k] + m.ro_unserved_kw[i, s, k] == m.ro_load_kw[i, s, k]


def outage_soc_start(m, i, n, s, k):
    r"""The outage starts from the schedule's stored energy of battery :math:`n`:
    :math:`e^o_{i,n,s,0} = e_{i,n,\tau_s}` [kWh]."""
    return m.ro_soc_kwh[i, n, s, k] == m.soc_kwh[i, n, m.ro_start_step[i, s]]


def outage_soc_dynamics(m, i, n, s, k):
    r"""Stored energy of battery :math:`n` through the outage [kWh]:
    :math:`e^o_{i,n,s,k+1} = e^o_{i,n,s,k} + \Delta t\,(\eta^c_{i,n} c^o_{i,n,s,k} - d^o_{i,n,s,k}/\eta^d_{i,n})`."""
    return m.ro_soc_kwh[i, n, s, k + 1] == m.ro_soc_kwh[i, n, s, k] + m.step_h * (
        m.charge_eff_frac[i, n] * m.ro_charge_kw[i, n, s, k] - m.ro_discharge_kw[i, n, s, k] / m.discharge_eff_frac[i, n])


def outage_soc_lower(m, i, n, s, k):
    r"""Lower SoC limit in the outage: :math:`e^o_{i,n,s,k} \ge \underline\sigma_{i,n} E_{i,n}` [kWh]."""
    return m.ro_soc_kwh[i, n, s, k] >= m.soc_min_frac[i, n] * m.battery_kwh[i, n]


def outage_soc_upper(m, i, n, s, k):
    r"""Upper SoC limit in the outage: :math:`e^o_{i,n,s,k} \le \overline\sigma_{i,n} E_{i,n}` [kWh]."""
    return m.ro_soc_kwh[i, n, s, k] <= m.soc_max_frac[i, n] * m.battery_kwh[i, n]


def outage_charge_limit(m, i, n, s, k):
    r"""Charge power in the outage: :math:`c^o_{i,n,s,k} \le P_{i,n}` [kW]."""
    return m.ro_charge_kw[i, n, s, k] <= m.battery_kw[i, n]


def outage_discharge_limit(m, i, n, s, k):
    r"""Discharge power in the outage: :math:`d^o_{i,n,s,k} \le P_{i,n}` [kW]."""
    return m.ro_discharge_kw[i, n, s, k] <= m.battery_kw[i, n]


def outage_pv_limit(m, i, s, k):
    r"""PV in the outage at most what the arrays give:
    :math:`s^o_{i,s,k} \le \sum_a \phi_{i,a,(\tau_s+k) \bmod T}\, S_{i,a}` [kW]."""
    return m.ro_pv_kw[i, s, k] <= sum(m.ro_pv_kw_per_kwp[i, a, s, k] * m.pv_kwp[i, a] for a in m.A)


def outage_gen_limit(m, i, s, k):
    r"""Generator in the outage at most its rating: :math:`g^o_{i,s,k} \le G_i` [kW]."""
    return m.ro_gen_kw[i, s, k] <= m.gen_rating_kw[i]


def outage_lost_load_cost(m, i, s, k):
    r"""Expected value of lost critical load [THB]: :math:`\pi_s V_i\, u^o_{i,s,k}\, \Delta t`."""
    return m.ro_weight[i, s] * m.ro_voll_thb_per_kwh[i] * m.step_h * m.ro_unserved_kw[i, s, k]


# (family name, rule, index-set name), appended to the formulation's tables
CONSTRAINT_FAMILIES = (
    ("outage_balance", outage_balance, "MSK_ro"),
    ("outage_soc_start", outage_soc_start, "MNS0_ro_battery"),
    ("outage_soc_dynamics", outage_soc_dynamics, "MNSK_ro_battery"),
    ("outage_soc_lower", outage_soc_lower, "MNSK1_ro_battery"),
    ("outage_soc_upper", outage_soc_upper, "MNSK1_ro_battery"),
    ("outage_charge_limit", outage_charge_limit, "MNSK_ro_battery"),
    ("outage_discharge_limit", outage_discharge_limit, "MNSK_ro_battery"),
    ("outage_pv_limit", outage_pv_limit, "MSK_ro_pv"),
    ("outage_gen_limit", outage_gen_limit, "MSK_ro_gen"),
)
COST_FAMILIES = (("outage_lost_load", outage_lost_load_cost, "MSK_ro"),)
INDEX_PARAMS = frozenset({"ro_start_step"})


def add_outage_recourse(out, problem) -> None:
    """Variables (``ro_*``), parameters and index sets of the representative outages.

    Arrays are padded to (M, S, K) (battery terms (M, N, S, K), N the battery slots of the
    dispatch model): S outages (start x length) of the meter with the most, K steps of the
    longest; padded cells and empty battery slots have zero bounds and no rows.
    """
    meters, n_t, n_m = problem.meters, problem.n_steps, len(problem.meters)
    specs = [m.outage_recourse if m.outage_recourse is not None and (m.batteries or m.generator is not None)
             else None for m in meters]
    if all(spec is None for spec in specs):
        return
    n_s = max(len(r.start_steps) * len(r.duration_steps) for r in specs if r is not None)
    n_k = max(int(np.max(r.duration_steps)) for r in specs if r is not None)
    n_a = max((len(m.pv) for m in meters), default=0)
    valid = np.zeros((n_m, n_s, n_k), bool)
    soc_cells = np.zeros((n_m, n_s, n_k + 1), bool)
    start, weight = np.zeros((n_m, n_s), np.int64), np.zeros((n_m, n_s))
    load, pv_per_kwp = np.zeros((n_m, n_s, n_k)), np.zeros((n_m, max(n_a, 1), n_s, n_k))
    for i, (meter, spec) in enumerate(zip(meters, specs)):
        if spec is None:
            continue
        for n, tau in enumerate(spec.start_steps):
            for d, (length, p) in enumerate(zip(spec.duration_steps, spec.probability_frac)):
                s = n * len(spec.duration_steps) + d
                steps = (int(tau) + np.arange(int(length))) % n_t
                valid[i, s, :length], soc_cells[i, s, :length + 1] = True, True
                start[i, s] = int(tau)
                weight[i, s] = problem.horizon_years * spec.events_per_year * p / len(spec.start_steps)
                load[i, s, :length] = meter.critical_frac * np.maximum(meter.load_kw[steps], 0.0)
                for a, arr in enumerate(meter.pv):
                    pv_per_kwp[i, a, s, :length] = np.asarray(arr.ac_kw_per_kwp)[steps]
    gen = np.array([m.generator is not None for m in meters])[:, None, None]
    pv = np.array([len(m.pv) > 0 for m in meters])[:, None, None]
    zeros = np.zeros((n_m, n_s, n_k))
    out.var("ro_unserved_kw", zeros, np.where(valid, load, 0.0))
    out.var("ro_pv_kw", zeros, np.where(valid & pv, np.inf, 0.0))
    n_b = max((len(m.batteries) for m in meters), default=0)
    if n_b:
        has = np.array([[n < len(m.batteries) for n in range(n_b)] for m in meters])[:, :, None, None]
        flows, cells = valid[:, None] & has, soc_cells[:, None] & has
        out.var("ro_charge_kw", np.zeros(flows.shape), np.where(flows, np.inf, 0.0))
        out.var("ro_discharge_kw", np.zeros(flows.shape), np.where(flows, np.inf, 0.0))
    out.var("ro_gen_kw", zeros, np.where(valid & gen, np.inf, 0.0))
    if n_b:
        out.var("ro_soc_kwh", np.zeros(cells.shape), np.where(cells, np.inf, 0.0))
    out.params.update(ro_load_kw=load, ro_start_step=start, ro_weight=weight, ro_pv_kw_per_kwp=pv_per_kwp,
                      ro_voll_thb_per_kwh=np.array([s.voll_thb_per_kwh if s else 0.0 for s in specs], float))
    out.rows("MSK_ro", valid)
    if n_b:
        out.rows("MNSK_ro_battery", flows)
        out.rows("MNSK1_ro_battery", cells)
        first = np.zeros_like(cells)
        first[..., 0] = cells[..., 0]
        out.rows("MNS0_ro_battery", first)
    out.rows("MSK_ro_pv", valid & pv)
    out.rows("MSK_ro_gen", valid & gen)
