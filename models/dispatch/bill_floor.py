r"""The minimum charge on the bill, added to the model only where it binds.

The floor rows (:func:`~munigrid.models.dispatch.families_tariff.floor_energy_first`,
:func:`~munigrid.models.dispatch.families_tariff.floor_energy`,
:func:`~munigrid.models.dispatch.families_tariff.minimum_charge`,
:func:`~munigrid.models.dispatch.families_tariff.minimum_charge_history`) make the cost of a month
:math:`\max(X_{i,p}, \Phi_{i,p})` with

.. math::

    X_{i,p} = z_{i,\mathrm{last}(p)} + \sum_g C_{i,g,p}, \qquad
    \Phi_{i,p} = \max\big(\rho H_{i,p},\ \max_{p-L \le q < p} \rho_{i,f} C_{i,f,q}\big)

(base energy charge :math:`z` of the month, demand charges :math:`C`, history :math:`H` before the
horizon). Without the rows the cost is :math:`X_{i,p}` alone, a lower bound of the cost with them
at every point, so the model without the rows is a relaxation. Where its optimum has
:math:`X_{i,p} \ge \Phi_{i,p}` in every month, the adjustment :math:`A_{i,p} = \max(0, \Phi - X)`
is 0 there and the point is optimal with the rows too: the rows are needed only when the floor
binds. The solve strategy (:mod:`~munigrid.models.dispatch.strategy`) decides that with
:func:`completed`.
"""

from __future__ import annotations

import numpy as np

from munigrid.models.dispatch.layout import ModelData

FLOOR_SETS = ("M_floor_first", "MT_floor_later", "MP_floor", "MFPQ_floor")
FLOOR_COLUMNS = ("cum_base_thb", "min_charge_thb")
# largest adjustment [THB] at which the floor is taken as not binding (solver tolerances)
BINDING_THB = 1e-6


def has_bill_floor(data: ModelData) -> bool:
    """True when some meter of ``data`` has floor rows."""
    return "MP_floor" in data.sets and len(data.sets["MP_floor"][0]) > 0


def without_bill_floor(data: ModelData) -> ModelData:
    """``data`` without the floor rows; the floor columns stay, fixed at 0 (same column layout)."""
    sets = {**data.sets, **{name: tuple(a[:0] for a in data.sets[name]) for name in FLOOR_SETS}}
    lower = {**data.lower, **{name: np.zeros_like(data.lower[name]) for name in FLOOR_COLUMNS}}
    upper = {**data.upper, **{name: np.zeros_like(data.upper[name]) for name in FLOOR_COLUMNS}}
    return ModelData(data.columns, lower, upper, data.integer, data.params, sets, data.dims, data.needs_commitment)


def with_bill_floor(data: ModelData, floored: ModelData) -> ModelData:
    """``data`` (e.g. with binaries added by the strategy) with the floor rows and column bounds of ``floored``."""
    sets = {**data.sets, **{name: floored.sets[name] for name in FLOOR_SETS}}
    lower = {**data.lower, **{name: floored.lower[name] for name in FLOOR_COLUMNS}}
    upper = {**data.upper, **{name: floored.upper[name] for name in FLOOR_COLUMNS}}
    return ModelData(data.columns, lower, upper, data.integer, data.params, sets, data.dims, data.needs_commitment)


def _block(data: ModelData, x: np.ndarray, name: str) -> np.ndarray:
    return x[data.columns.block(name)].reshape(data.columns.shape[name])


def _running_base_thb(data: ModelData, x: np.ndarray) -> np.ndarray:
    r"""The running base energy charge :math:`z_{i,t}` of ``x`` [THB], restarted at each billing period."""
    step_thb = float(data.params["step_h"]) * np.asarray(data.params["base_energy_thb_per_kwh"]) \
        * _block(data, x, "import_kw")
    total = np.cumsum(step_thb, axis=1)
    steps = np.arange(step_thb.shape[1])
    starts = np.where(np.asarray(data.params["floor_continues"]) == 0, steps, 0)
    first = np.maximum.accumulate(starts, axis=1)  # first step of each step's period
    return total - np.take_along_axis(total, first, axis=1) + np.take_along_axis(step_thb, first, axis=1)


def completed(data: ModelData, x: np.ndarray) -> tuple[np.ndarray, float]:
    r"""``x`` with the floor columns set from its imports and demand charges, and the total adjustment [THB].

    ``data`` has the floor rows (:func:`with_bill_floor`); ``x`` is a point of the same columns
    whose floor columns may be anything. Sets :math:`z` by its recurrence and
    :math:`A_{i,p} = \max(0, \Phi_{i,p} - X_{i,p})` (module docstring), the least adjustment
    that satisfies the floor rows: the returned point satisfies them, and it costs
    :math:`\sum A` more than ``x`` did without them.
    """
    out = np.array(x, dtype=float)
    cum = _running_base_thb(data, out)
    out[data.columns.block("cum_base_thb")] = cum.ravel()
    demand = _block(data, out, "demand_thb")  # (M, F, P)
    meters, periods = data.sets["MP_floor"]
    last = np.asarray(data.params["floor_last_step"])[meters, periods]
    charge = cum[meters, last] + demand[meters, :, periods].sum(axis=1)
    floor = np.asarray(data.params["floor_history_thb"])[meters, periods].astype(float)
    ratchet = np.zeros(demand.shape[::2])  # (M, P): the largest share of an earlier charge
    i, f, p, q = data.sets["MFPQ_floor"]
    np.maximum.at(ratchet, (i, p), np.asarray(data.params["ratchet_frac"])[i, f] * demand[i, f, q])
    floor = np.maximum(floor, ratchet[meters, periods])
    adjustment = np.zeros(data.columns.shape["min_charge_thb"])
    adjustment[meters, periods] = np.maximum(0.0, floor - charge)
    out[data.columns.block("min_charge_thb")] = adjustment.ravel()
    return out, float(adjustment.sum())
