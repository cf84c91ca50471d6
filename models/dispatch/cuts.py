r"""Valid inequalities for the MILP: a generator must start in a grid outage it cannot ride through.

The model itself is unchanged (the formulation is the Pyomo rules); these rows are added to the
MILP rounds of the solve strategy the way a solver adds its own cuts. Every point of the model
with binary on/off everywhere satisfies them, so each round stays a relaxation of that model and
its bound stays valid; they only remove fractional points.

Outage energy bound. On a meter :math:`i` whose import is 0 over the steps :math:`[a, b)` (an
outage, or no grid), the power balance
:math:`g_t + \ell_t = L_t - \sum_a s_{a,t} - (d_t - c_t) + x_t` and the state-of-charge recurrence
:math:`\Delta t \sum d = \eta^d (e_a - e_b) + \eta^d\eta^c \Delta t \sum c` give two lower bounds
on the energy the generator and load shedding must supply [kWh]:

.. math::

    \Delta t \sum_{t=a}^{b-1} (g_t + \ell_t) \ \ge\ E_{ab} = \max\Big(
        \Delta t \sum_{t} n_t - \eta^d \bar S,\ \
        \Delta t \sum_{t} \max(0,\, n_t - \bar P) \Big)

with :math:`n_t = L_t - \sum_a \bar s_{a,t}` the load net of the most PV the arrays can give,
:math:`\bar S = (\sigma^{max} - \sigma^{min}) \bar E` the largest usable battery energy and
:math:`\bar P` its largest power (sizes at their upper bounds, so the bound holds in sizing mode).

Start cut. If the generator is off before the window (:math:`u_{a-1} = 0`) and never starts in it
(:math:`v_t = 0`), it is off throughout, :math:`g = 0`, and shedding alone must cover
:math:`E_{ab}`:

.. math::

    E_{ab}\,\Big(u_{a-1} + \sum_{t=a}^{b-1} v_t\Big) + \Delta t \sum_{t=a}^{b-1} \ell_t \ \ge\ E_{ab}

(:math:`u_{-1}` is the initial state, a constant). The LP relaxation spreads a fraction of one
start over the outage; with the cut it pays the whole start unless shedding at the value of lost
load is cheaper. Without shedding the row reads :math:`u_{a-1} + \sum v \ge 1`.

Windows: the runs of zero-import steps, cut into chunks of at most ``CHUNK_H`` hours; in each
chunk the sub-window :math:`[a, b)` with the largest :math:`E_{ab}` gets one row.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from munigrid.models.dispatch.layout import ModelData
from munigrid.models.dispatch.standard_form import StandardForm

FAMILY = "gen_outage_start_cut"
CHUNK_H = 24.0
MIN_ENERGY_KWH = 1e-6


def zero_import_chunks(zero_import: np.ndarray, max_steps: int) -> list[tuple[int, int]]:
    """Runs ``[start, stop)`` of ``True`` in ``zero_import``, each cut into chunks of at most ``max_steps``."""
    edges = np.flatnonzero(np.diff(np.r_[0, zero_import.astype(np.int8), 0]))
    chunks = []
    for start, stop in zip(edges[::2], edges[1::2]):
        chunks.extend((s, min(s + max_steps, stop)) for s in range(start, stop, max_steps))
    return chunks


def largest_outage_energy(net_kw: np.ndarray, step_h: float, discharge_kwh: float, power_kw: float) -> tuple[float, int, int]:
    r"""The sub-window :math:`[a, b)` of a chunk with the largest :math:`E_{ab}` (module equation).

    Parameters
    ----------
    net_kw : numpy.ndarray
        Load net of the most PV, :math:`n_t` [kW], one chunk.
    step_h : float
        Step length :math:`\Delta t` [h].
    discharge_kwh : float
        Most energy the battery can deliver, :math:`\eta^d \bar S` [kWh] (0 without a battery).
    power_kw : float
        Largest battery power :math:`\bar P` [kW].

    Returns
    -------
    tuple
        ``(E_ab [kWh], a, b)`` with ``a``, ``b`` relative to the chunk.
    """
    n = len(net_kw)
    net_sum = np.r_[0.0, np.cumsum(net_kw)] * step_h
    short_sum = np.r_[0.0, np.cumsum(np.maximum(net_kw - power_kw, 0.0))] * step_h
    a, b = np.triu_indices(n + 1, k=1)
    energy_kwh = np.maximum(net_sum[b] - net_sum[a] - discharge_kwh, short_sum[b] - short_sum[a])
    best = int(np.argmax(energy_kwh))
    return float(energy_kwh[best]), int(a[best]), int(b[best])


def _most_pv_kw(data: ModelData, i: int) -> np.ndarray:
    if "pv_kw" not in data.columns.shape:
        return np.zeros(data.dims["T"])
    return np.einsum("at,a->t", data.params["pv_kw_per_kwp"][i], data.upper["pv_kwp"][i])


def _battery_limits(data: ModelData, i: int) -> tuple[float, float]:
    """``(eta_d * usable kWh, largest power kW)`` of meter ``i``'s batteries together (each summed
    over its batteries: together they deliver no more), zeros without one."""
    if "soc_kwh" not in data.columns.shape:
        return 0.0, 0.0
    p = data.params
    usable_kwh = (p["soc_max_frac"][i] - p["soc_min_frac"][i]) * data.upper["battery_kwh"][i]
    return float(np.sum(p["discharge_eff_frac"][i] * usable_kwh)), float(np.sum(p["max_power_kw"][i]))


def outage_start_rows(data: ModelData) -> tuple[sp.csr_matrix, np.ndarray]:
    """The start cuts of the module docstring as rows over the columns of ``data``.

    Returns
    -------
    tuple
        ``(rows, lower [kWh])``; every row has upper bound :math:`+\\infty`.
    """
    n_cols = data.columns.n_cols
    if "gen_on" not in data.columns.shape:
        return sp.csr_matrix((0, n_cols)), np.zeros(0)
    step_h = float(data.params["step_h"])
    layout, has_shed = data.columns, "shed_kw" in data.columns.shape
    row_idx, col_idx, coef, lower = [], [], [], []
    for i in np.flatnonzero(data.needs_commitment):
        net_kw = data.params["load_kw"][i] - _most_pv_kw(data, i)
        discharge_kwh, power_kw = _battery_limits(data, i)
        for lo, hi in zero_import_chunks(data.upper["import_kw"][i] <= 0.0, max(1, int(round(CHUNK_H / step_h)))):
            energy_kwh, a, b = largest_outage_energy(net_kw[lo:hi], step_h, discharge_kwh, power_kw)
            if energy_kwh <= MIN_ENERGY_KWH:
                continue
            a, b = a + lo, b + lo
            initially_on = float(data.params["gen_initially_on"][i])
            if a == 0 and initially_on >= 1.0:
                continue
            row = len(lower)
            steps = np.arange(a, b)
            meter = np.full(len(steps), i)
            cols = [layout.columns("gen_start", (meter, steps))]
            values = [np.full(len(steps), energy_kwh)]
            if a > 0:
                cols.append(layout.columns("gen_on", (np.array([i]), np.array([a - 1]))))
                values.append(np.array([energy_kwh]))
            if has_shed:
                cols.append(layout.columns("shed_kw", (meter, steps)))
                values.append(np.full(len(steps), step_h))
            cols_i = np.concatenate(cols)
            row_idx.append(np.full(len(cols_i), row))
            col_idx.append(cols_i)
            coef.append(np.concatenate(values))
            lower.append(energy_kwh * (1.0 - (initially_on if a == 0 else 0.0)))
    if not lower:
        return sp.csr_matrix((0, n_cols)), np.zeros(0)
    rows = sp.csr_matrix((np.concatenate(coef), (np.concatenate(row_idx), np.concatenate(col_idx))),
                         shape=(len(lower), n_cols))
    return rows, np.asarray(lower)


def without_cuts(form: StandardForm) -> StandardForm:
    """``form`` without the rows of ``with_outage_start_cuts`` (the model's own rows only)."""
    starts = [start for name, start, _ in form.row_families if name == FAMILY]
    if not starts:
        return form
    keep = starts[0]
    return replace(form, matrix=sp.csc_matrix(sp.csr_matrix(form.matrix)[:keep]), row_lower=form.row_lower[:keep],
                   row_upper=form.row_upper[:keep], row_families=[f for f in form.row_families if f[0] != FAMILY])


def with_outage_start_cuts(data: ModelData, form: StandardForm) -> StandardForm:
    """``form`` with the start cuts appended as the last row family (``FAMILY``)."""
    rows, lower = outage_start_rows(data)
    if not len(lower):
        return form
    matrix = sp.vstack([form.matrix.tocsr(), rows]).tocsc()
    return replace(form, matrix=matrix, row_lower=np.r_[form.row_lower, lower],
                   row_upper=np.r_[form.row_upper, np.full(len(lower), np.inf)],
                   row_families=[*form.row_families, (FAMILY, form.n_rows, form.n_rows + len(lower))])
