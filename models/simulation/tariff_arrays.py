r"""A :class:`~munigrid.models.tariffs.terms.TariffCostTerms` packed into flat arrays for numba.

The kernels accumulate, per billing period :math:`p`, the energy of every block or tier set
:math:`Y_{s,p} = \sum_{t \in p} \Delta t\, \omega_{s,t} m_t`, the base energy charge
:math:`E_p = \sum_{t \in p} \Delta t\, e_t m_t` and the registered demand of every window
:math:`D_{p,k} = \max(R_{p,k}, \max_{t\in p,\ w_{k,t}} m_t)`; after the time loop
:func:`period_costs_thb` turns them into money with exactly the equations of
:mod:`munigrid.models.tariffs.terms`: pieces, the ratchet on the demand charge
(``ratchet_floors: demand_charge``), energy blocks and tiers, and the published minimum charge
as a floor on the month's energy + demand charges (``ratchet_floors: bill``):

.. math:: A_p = \max\big(0,\ \rho \max(H, \max_{p-L \le q < p} C_q) - E_p - \sum_s B_s(Y_{s,p}) - \sum_f C_{f,p}\big)

The windows of all demand-charge families are numbered together; each step carries a bit mask
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
    r"""Flat arrays of one tariff on one time grid (T steps, P periods, K windows, J pieces, F families).

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
    ratchet_floors_bill : ndarray of bool, shape (F,)
        True: the family's ratchet floors the month's energy + demand charges, not its charge.
    block_upper_kwh, block_price_thb_per_kwh : ndarray, shape (S, B)
        Block edges [kWh] (``inf`` padded) and prices [THB/kWh] (0 padded) of every block or
        tier set; S = 0 when the tariff has none.
    tier_weight : ndarray, shape (S, T)
        Share :math:`\omega_{s,t}` of each step's import the set counts [-].
    base_energy_thb_per_kwh : ndarray, shape (T,)
        Energy rate without Ft [THB/kWh], VAT included (zeros when no family floors the bill).
    fixed_thb : float
        Sum of fixed charges over the horizon [THB].
    fixed_thb_per_period : ndarray, shape (P,)
        Fixed charges of each billing period [THB].
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
    ratchet_floors_bill: np.ndarray
    block_upper_kwh: np.ndarray
    block_price_thb_per_kwh: np.ndarray
    tier_weight: np.ndarray
    base_energy_thb_per_kwh: np.ndarray
    fixed_thb: float
    fixed_thb_per_period: np.ndarray
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
    charges = terms.demand_charges
    sets = terms.tier_sets
    n_blocks = max((len(b.price_thb_per_kwh) for b in sets), default=0)
    upper, price = np.full((len(sets), n_blocks), np.inf), np.zeros((len(sets), n_blocks))
    weight = np.ones((len(sets), n_steps))
    for s, blocks in enumerate(sets):
        upper[s, :len(blocks.upper_kwh)] = blocks.upper_kwh
        price[s, :len(blocks.price_thb_per_kwh)] = blocks.price_thb_per_kwh
        if blocks.step_weight is not None:
            weight[s] = blocks.step_weight
    floors_bill = np.array([c.ratchet_floors_bill and c.ratchet_frac > 0 for c in charges], dtype=bool)
    base = np.zeros(n_steps) if terms.base_energy_thb_per_kwh is None else terms.base_energy_thb_per_kwh
    if floors_bill.any() and terms.base_energy_thb_per_kwh is None:
        raise InputError(Problem("tariff.base_energy_thb_per_kwh", "a minimum charge on the bill needs the base "
                                                                   "energy rate"))
    fixed = np.asarray(terms.fixed_thb_per_period, dtype=float)
    fixed = np.zeros(n_periods) if fixed.size == 0 else fixed
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
        ratchet_floors_bill=floors_bill,
        block_upper_kwh=upper,
        block_price_thb_per_kwh=price,
        tier_weight=np.ascontiguousarray(weight),
        base_energy_thb_per_kwh=np.ascontiguousarray(base, dtype=float),
        fixed_thb=float(np.sum(terms.fixed_thb_per_period)),
        fixed_thb_per_period=fixed,
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
def block_charge_thb(energy_kwh, upper_kwh, price_thb_per_kwh):
    r"""Charge of one block or tier set on one period's energy [THB]: :math:`B(Y)`."""
    total = 0.0
    lower = 0.0
    for b in range(upper_kwh.shape[0]):
        in_block = min(energy_kwh, upper_kwh[b]) - lower
        if in_block <= 0.0:
            break
        total += in_block * price_thb_per_kwh[b]
        lower = upper_kwh[b]
    return total


@njit(cache=True)
def period_costs_thb(tier_kwh, base_energy_thb, demand_kw, tariff):
    r"""Tier, demand and minimum-charge money of every billing period [THB], shape (P, 3).

    Parameters
    ----------
    tier_kwh : ndarray, shape (S, P)
        Energy :math:`Y_{s,p}` of every block or tier set [kWh].
    base_energy_thb : ndarray, shape (P,)
        Base energy charge :math:`E_p` (Ft excluded, VAT included) [THB].
    demand_kw : ndarray, shape (P, K)
        Registered demand of every window [kW].
    tariff : TariffArrays

    Returns
    -------
    ndarray, shape (P, 3)
        Columns: block and tier charges :math:`\sum_s B_s(Y_{s,p})`; demand charges
        :math:`\sum_f C_{f,p}` (ratcheted for ``ratchet_floors: demand_charge``); the minimum-charge
        adjustment :math:`A_p` (module equation).
    """
    n_periods = demand_kw.shape[0]
    out = np.zeros((n_periods, 3))
    for s in range(tier_kwh.shape[0]):
        for p in range(n_periods):
            out[p, 0] += block_charge_thb(tier_kwh[s, p], tariff.block_upper_kwh[s], tariff.block_price_thb_per_kwh[s])
    charge = np.empty(n_periods)
    floor = np.zeros(n_periods)
    for f in range(tariff.ratchet_frac.shape[0]):
        for p in range(n_periods):
            best = -np.inf
            for j in range(tariff.intercept_thb.shape[0]):
                if tariff.piece_family[j] != f:
                    continue
                value = tariff.intercept_thb[j]
                for k in range(demand_kw.shape[1]):
                    value += tariff.slope_thb_per_kw[j, k] * demand_kw[p, k]
                if value > best:
                    best = value
            if tariff.ratchet_frac[f] > 0.0:
                earlier = tariff.ratchet_history_thb[f]
                for q in range(max(0, p - tariff.ratchet_lookback[f]), p):
                    if charge[q] > earlier:
                        earlier = charge[q]
                if tariff.ratchet_floors_bill[f]:
                    floor[p] = tariff.ratchet_frac[f] * earlier
                elif tariff.ratchet_frac[f] * earlier > best:
                    best = tariff.ratchet_frac[f] * earlier
            charge[p] = best
            out[p, 1] += best
    if tariff.ratchet_floors_bill.any():
        for p in range(n_periods):
            out[p, 2] = max(0.0, floor[p] - base_energy_thb[p] - out[p, 0] - out[p, 1])
    return out


@njit(cache=True)
def schedule_period_costs_thb(import_kw, export_kw, tariff):
    r"""Cost of a fixed schedule in every billing period [THB], shape (P,), as the sample kernel prices it.

    Energy at the marginal prices, block and tier charges, demand charges, the minimum-charge
    adjustment and fixed charges; equals :meth:`TariffCostTerms.cost_thb` summed (net metering aside).
    """
    n_periods = tariff.registered_kw.shape[0]
    n_windows = tariff.registered_kw.shape[1]
    demand = tariff.registered_kw.copy()
    tier_kwh = np.zeros((tariff.tier_weight.shape[0], n_periods))
    base_thb = np.zeros(n_periods)
    money = np.zeros(n_periods)
    for t in range(import_kw.shape[0]):
        p = tariff.period_of_step[t]
        m = import_kw[t]
        money[p] += tariff.step_h * (m * tariff.import_thb_per_kwh[t] - export_kw[t] * tariff.export_thb_per_kwh[t])
        base_thb[p] += tariff.step_h * m * tariff.base_energy_thb_per_kwh[t]
        for s in range(tier_kwh.shape[0]):
            tier_kwh[s, p] += tariff.step_h * tariff.tier_weight[s, t] * m
        for k in range(n_windows):
            if (tariff.window_bits[t] >> k) & 1 and m > demand[p, k]:
                demand[p, k] = m
    parts = period_costs_thb(tier_kwh, base_thb, demand, tariff)
    return money + parts[:, 0] + parts[:, 1] + parts[:, 2] + tariff.fixed_thb_per_period
