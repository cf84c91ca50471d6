r"""A :class:`~munigrid.models.tariffs.terms.TariffCostTerms` packed into flat arrays for numba.

The kernels accumulate, per billing period :math:`p`, the imported energy
:math:`M_p = \sum_{t \in p} \Delta t\, m_t` and the registered demand of every window
:math:`D_{p,k} = \max(R_{p,k}, \max_{t\in p,\ w_{k,t}} m_t)`; after the time loop
:func:`demand_cost_thb` and :func:`block_cost_thb` turn them into money with exactly the
equations of :mod:`munigrid.models.tariffs.terms` (pieces, ratchet, energy blocks). The
windows of all demand-charge families are numbered together; each step carries a bit mask
of the windows it belongs to, so at most 63 windows are supported.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from munigrid.models.errors import InputError, Problem
from munigrid.models.tariffs.terms import DemandCharge, TariffCostTerms

MAX_WINDOWS = 63


class TariffArrays(NamedTuple):
    """Flat arrays of one tariff on one time grid (T steps, P periods, K windows, J pieces, F families).

    Attributes
    ----------
    import_thb_per_kwh, export_thb_per_kwh : ndarray, shape (T,)
        Marginal prices [THB/kWh].
    period_of_step : ndarray of int64, shape (T,)
        Billing period of each step.
    window_bits : ndarray of int64, shape (T,)
        Bit ``k`` set when step ``t`` counts towards window ``k``.
    registered_kw : ndarray, shape (P, K)
        Demand registered before the horizon [kW].
    slope_thb_per_kw : ndarray, shape (J, K)
        Piece slopes [THB/kW], zero outside the piece's family.
    intercept_thb : ndarray, shape (J,)
        Piece intercepts [THB].
    piece_family : ndarray of int64, shape (J,)
        Family of each piece.
    ratchet_frac, ratchet_history_thb : ndarray, shape (F,)
        Ratchet share [-] and charge history before the horizon [THB].
    ratchet_lookback : ndarray of int64, shape (F,)
        Look-back [billing periods].
    block_upper_kwh, block_price_thb_per_kwh : ndarray, shape (B,)
        Energy blocks per billing period; empty when the tariff has none.
    fixed_thb : float
        Sum of fixed charges over the horizon [THB].
    step_h : float
        Step length of the grid the tariff was applied to [h].
    export_allowed : bool
        False curtails all surplus.
    """

    import_thb_per_kwh: np.ndarray
    export_thb_per_kwh: np.ndarray
    period_of_step: np.ndarray
    window_bits: np.ndarray
    registered_kw: np.ndarray
    slope_thb_per_kw: np.ndarray
    intercept_thb: np.ndarray
    piece_family: np.ndarray
    ratchet_frac: np.ndarray
    ratchet_lookback: np.ndarray
    ratchet_history_thb: np.ndarray
    block_upper_kwh: np.ndarray
    block_price_thb_per_kwh: np.ndarray
    fixed_thb: float
    step_h: float
    export_allowed: bool

    @property
    def n_steps(self) -> int:
        """T."""
        return self.period_of_step.shape[0]


def pack_tariff(terms: TariffCostTerms) -> TariffArrays:
    """Pack ``terms`` for the kernels; raises :class:`InputError` beyond 63 demand windows."""
    n_steps = len(terms.period_of_step)
    n_periods = terms.n_periods
    masks, slopes, intercepts, families, registered = [], [], [], [], []
    k0 = 0
    for f, charge in enumerate(terms.demand_charges):
        n_k = charge.window_mask.shape[0]
        masks.append(np.asarray(charge.window_mask, dtype=bool))
        registered.append(np.broadcast_to(np.asarray(charge.registered_kw, dtype=float), (n_periods, n_k)))
        slopes.append((k0, np.asarray(charge.slope_thb_per_kw, dtype=float)))
        intercepts.append(np.asarray(charge.intercept_thb, dtype=float))
        families.append(np.full(len(charge.intercept_thb), f, dtype=np.int64))
        k0 += n_k
    if k0 > MAX_WINDOWS:
        raise InputError(Problem("tariff.demand_charges", f"{k0} demand windows; the simulation kernels "
                                                          f"support at most {MAX_WINDOWS}"))
    bits = np.zeros(n_steps, dtype=np.int64)
    for k, row in enumerate(np.concatenate(masks) if masks else []):
        bits |= row.astype(np.int64) << k
    n_pieces = sum(len(i) for i in intercepts)
    slope = np.zeros((n_pieces, k0))
    j0 = 0
    for k_start, s in slopes:
        slope[j0:j0 + s.shape[0], k_start:k_start + s.shape[1]] = s
        j0 += s.shape[0]
    blocks = terms.energy_blocks
    charges = terms.demand_charges
    return TariffArrays(
        import_thb_per_kwh=np.ascontiguousarray(terms.import_thb_per_kwh, dtype=float),
        export_thb_per_kwh=np.ascontiguousarray(terms.export_thb_per_kwh, dtype=float),
        period_of_step=np.ascontiguousarray(terms.period_of_step, dtype=np.int64),
        window_bits=bits,
        registered_kw=np.ascontiguousarray(np.concatenate(registered, axis=1) if registered
                                           else np.zeros((n_periods, 0))),
        slope_thb_per_kw=slope,
        intercept_thb=np.concatenate(intercepts) if intercepts else np.zeros(0),
        piece_family=np.concatenate(families) if families else np.zeros(0, dtype=np.int64),
        ratchet_frac=np.array([c.ratchet_frac for c in charges], dtype=float),
        ratchet_lookback=np.array([c.ratchet_lookback_periods for c in charges], dtype=np.int64),
        ratchet_history_thb=np.array([c.ratchet_history_thb for c in charges], dtype=float),
        block_upper_kwh=np.zeros(0) if blocks is None else np.asarray(blocks.upper_kwh, dtype=float),
        block_price_thb_per_kwh=np.zeros(0) if blocks is None else np.asarray(blocks.price_thb_per_kwh, dtype=float),
        fixed_thb=float(np.sum(terms.fixed_thb_per_period)),
        step_h=float(terms.step_h),
        export_allowed=bool(terms.export_allowed),
    )


def flat_tariff(n_steps: int, import_thb_per_kwh: float | np.ndarray, *, step_h: float = 1.0,
                period_of_step=None, demand_thb_per_kw: float = 0.0) -> TariffArrays:
    """A simple tariff: energy price per step [THB/kWh] and one monthly demand rate [THB/kW].

    For tests, benchmarks and quick studies; real Thai tariffs come from
    ``munigrid.models.tariffs`` as :class:`TariffCostTerms` and :func:`pack_tariff`.
    """
    period = np.zeros(n_steps, dtype=np.int64) if period_of_step is None else np.asarray(period_of_step)
    n_periods = int(period.max()) + 1
    price = np.broadcast_to(np.asarray(import_thb_per_kwh, dtype=float), (n_steps,)).copy()
    charges = []
    if demand_thb_per_kw > 0.0:
        charges.append(DemandCharge("demand", np.ones((1, n_steps), dtype=bool),
                                    np.array([[demand_thb_per_kw]]), np.zeros(1), np.zeros((n_periods, 1))))
    return pack_tariff(TariffCostTerms(step_h=step_h, period_of_step=period, import_thb_per_kwh=price,
                                       export_thb_per_kwh=np.zeros(n_steps), demand_charges=charges))


@njit(cache=True)
def block_cost_thb(energy_kwh_per_period, upper_kwh, price_thb_per_kwh):
    r"""Energy-block charge summed over periods [THB]: :math:`\sum_p B_p(M_p)`."""
    total = 0.0
    for p in range(energy_kwh_per_period.shape[0]):
        lower = 0.0
        for b in range(upper_kwh.shape[0]):
            in_block = min(energy_kwh_per_period[p], upper_kwh[b]) - lower
            if in_block <= 0.0:
                break
            total += in_block * price_thb_per_kwh[b]
            lower = upper_kwh[b]
    return total


@njit(cache=True)
def demand_cost_thb(demand_kw, slope_thb_per_kw, intercept_thb, piece_family, ratchet_frac,
                    ratchet_lookback, ratchet_history_thb):
    r"""Demand charges summed over families and periods [THB].

    :math:`C_{f,p} = \max(\max_{j\in f}(a_j + \sum_k s_{j,k} D_{p,k}),\ \rho_f \max(H_f, C_{f,p-L_f..p-1}))`.
    """
    n_periods = demand_kw.shape[0]
    n_families = ratchet_frac.shape[0]
    charge = np.empty(n_periods)
    total = 0.0
    for f in range(n_families):
        for p in range(n_periods):
            best = -np.inf
            for j in range(intercept_thb.shape[0]):
                if piece_family[j] != f:
                    continue
                value = intercept_thb[j]
                for k in range(demand_kw.shape[1]):
                    value += slope_thb_per_kw[j, k] * demand_kw[p, k]
                if value > best:
                    best = value
            if ratchet_frac[f] > 0.0:
                floor = ratchet_history_thb[f]
                for q in range(max(0, p - ratchet_lookback[f]), p):
                    if charge[q] > floor:
                        floor = charge[q]
                floor *= ratchet_frac[f]
                if floor > best:
                    best = floor
            charge[p] = best
            total += best
    return total
