r"""Tariff cost terms: the contract between a tariff and the dispatch optimiser.

A tariff applied to a time grid becomes a :class:`TariffCostTerms`: plain arrays, no Pyomo.
The optimiser formulates these terms (linear where convex, mixed-integer where not); the
bill calculator and :meth:`TariffCostTerms.cost_thb` evaluate them for a fixed schedule, so
the objective of an optimised schedule can be recomputed exactly.

All money amounts already include VAT and Ft where the tariff applies them.

Total cost of a schedule with import :math:`m_t` [kW] and export :math:`x_t` [kW] over steps of
:math:`\Delta t` hours, billing periods :math:`p`:

.. math::

    C = \sum_t \Delta t\,(\pi^{in}_t m_t - \pi^{out}_t x_t)
        + \sum_p B_p\Big(\sum_{t\in p} \Delta t\, m_t\Big)
        + \sum_f \sum_p C_{f,p} + \sum_p A_p + \sum_p F_p

with :math:`B_p` the charge of every energy block or tier set (:class:`EnergyBlocks`), :math:`C_{f,p}` the demand
charge of family :math:`f` (:class:`DemandCharge`), :math:`F_p` fixed charges and
:math:`A_p` the minimum-charge adjustment of a bill floor (Thai categories 3-5), with the
month's energy + demand charges :math:`X_p = \sum_{t \in p} \Delta t\, e_t m_t + \sum_f C_{f,p}`
(base energy rate :math:`e_t`, no Ft) and the floor :math:`\Phi_p` (:meth:`DemandCharge.floor_thb`):

.. math:: A_p = \max(0,\ \Phi_p - X_p), \qquad X_p + A_p = \max(X_p, \Phi_p)

so the cost is convex and the optimiser writes :math:`A_p \ge \Phi_p - X_p`, :math:`A_p \ge 0`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class EnergyBlocks:
    r"""Block (tiered) energy prices on the energy imported in each billing period.

    Block :math:`b` covers cumulative energy from ``upper_kwh[b-1]`` to ``upper_kwh[b]``
    (the last is ``inf``) at ``price_thb_per_kwh[b]``. Increasing prices are convex (linear
    model); a decreasing price makes the term non-convex and needs binaries.

    The energy tiered in period :math:`p` is :math:`Y_p = \sum_{t \in p} \Delta t\, \omega_t m_t` with
    the step weight :math:`\omega_t` (1 for blocks on the whole energy; for tiers of some TOU periods
    in some months, the step's share in those periods, 0 in other months).

    Parameters
    ----------
    upper_kwh : ndarray, shape (B,)
        Upper edge of each block [kWh per billing period], increasing, last ``inf``.
    price_thb_per_kwh : ndarray, shape (B,)
        Price in each block [THB/kWh], VAT included.
    step_weight : ndarray, shape (T,), or None
        :math:`\omega_t` in [0, 1]; None: every step counts in full.
    """

    upper_kwh: np.ndarray
    price_thb_per_kwh: np.ndarray
    step_weight: np.ndarray | None = None

    @property
    def is_convex(self) -> bool:
        """True when prices never decrease from one block to the next."""
        return bool(np.all(np.diff(self.price_thb_per_kwh) >= -1e-12))

    def cost_thb(self, energy_kwh: float) -> float:
        """Charge for ``energy_kwh`` in one billing period [THB]."""
        lower = np.concatenate([[0.0], self.upper_kwh[:-1]])
        in_block = np.clip(energy_kwh - lower, 0.0, self.upper_kwh - lower)
        return float(np.sum(in_block * self.price_thb_per_kwh))

    def period_kwh(self, import_kw: np.ndarray, period_of_step: np.ndarray, step_h: float,
                   n_periods: int) -> np.ndarray:
        """Energy :math:`Y_p` tiered in each billing period [kWh], shape (P,)."""
        weight = 1.0 if self.step_weight is None else np.asarray(self.step_weight, dtype=float)
        return np.bincount(period_of_step, weights=step_h * weight * np.asarray(import_kw, dtype=float),
                           minlength=n_periods)

    def charges_thb(self, import_kw: np.ndarray, period_of_step: np.ndarray, step_h: float,
                    n_periods: int) -> np.ndarray:
        """Block charge :math:`B_p(Y_p)` of every billing period [THB], shape (P,)."""
        return np.array([self.cost_thb(e) for e in self.period_kwh(import_kw, period_of_step, step_h, n_periods)])


def netted_export_kwh(export_kwh: np.ndarray, import_kwh: np.ndarray, credit_thb_per_kwh: np.ndarray,
                      netting_period: np.ndarray) -> np.ndarray:
    r"""Exported energy credited by net metering at each step [kWh], shape (T,).

    In each netting period :math:`n` the credited export is at most the imported energy,
    the steps with the highest credit first (what an optimiser would choose):

    .. math:: \sum_{t \in n} e_t \le \sum_{t \in n} \Delta t\, m_t, \qquad 0 \le e_t \le \Delta t\, x_t
    """
    netted = np.zeros_like(export_kwh, dtype=float)
    for n in np.unique(netting_period):
        steps = np.flatnonzero(netting_period == n)
        order = steps[np.argsort(-credit_thb_per_kwh[steps], kind="stable")]
        room = float(import_kwh[steps].sum())
        before = np.concatenate([[0.0], np.cumsum(export_kwh[order])[:-1]])
        netted[order] = np.clip(room - before, 0.0, export_kwh[order])
    return netted


def lookback_billed_kw(demand_kw: np.ndarray, frac: float, mask: np.ndarray) -> np.ndarray:
    r"""First window's demand lifted by a kW lookback [kW], shape (P, K).

    .. math:: \tilde D_{p,0} = \max\big(D_{p,0},\ P \max_{q:\ \mathrm{mask}_{p,q}} D_{q,0}\big)
    """
    earlier = np.where(mask, demand_kw[None, :, 0], 0.0).max(axis=1, initial=0.0)
    billed = np.array(demand_kw, dtype=float, copy=True)
    billed[:, 0] = np.maximum(billed[:, 0], frac * earlier)
    return billed


@dataclass(frozen=True)
class DemandCharge:
    r"""One family of demand charges, billed per billing period.

    For billing period :math:`p` and window :math:`k` the registered demand is

    .. math:: D_{p,k} = \max\big(R_{p,k},\ \max_{t \in p,\ w_{k,t}} m_t\big)

    (``registered_kw`` :math:`R` is demand already reached before the horizon, 0 if none).
    The charge is the largest affine piece; with ``ratchet_floors_bill`` False (the older
    reading of the Thai minimum charge) it is at least a ratchet share of earlier charges:

    .. math::

        C_p = \max\Big(\max_j \big(a_j + \sum_k s_{j,k} D_{p,k}\big),\
                       \rho \max_{q \in [p-L, p-1]} C_q,\ \rho\, H\Big)

    with slopes :math:`s \ge 0` (so :math:`C` is convex in the schedule), ratchet share
    :math:`\rho`, look-back :math:`L` periods and :math:`H` the highest charge in the
    look-back window before the horizon. With ``ratchet_floors_bill`` True the charge is not
    floored; the same share of the earlier (unfloored) charges floors the month's energy +
    demand charges instead (:meth:`TariffCostTerms.minimum_charge_thb`). Examples: a plain monthly demand rate is one piece
    with one window; Thai 4.1 TOD (peak rate :math:`r_1`, partial-peak rate :math:`r_2` on
    demand above the peak demand) is two pieces ``[[r1, 0], [r1 - r2, r2]]``; increasing
    demand blocks are pieces with intercepts.

    Parameters
    ----------
    name : str
        Label used in bills and diagnostics, e.g. ``"on-peak demand"``.
    window_mask : ndarray of bool, shape (K, T)
        Which steps count towards each window's demand.
    slope_thb_per_kw : ndarray, shape (J, K)
        Piece slopes [THB/kW per billing period], VAT included, all >= 0.
    intercept_thb : ndarray, shape (J,)
        Piece intercepts [THB per billing period].
    registered_kw : ndarray, shape (P, K)
        Demand already registered in each period before the horizon [kW].
    ratchet_frac : float
        :math:`\rho`, share of the look-back maximum charge that is always billed [-].
    ratchet_lookback_periods : int
        :math:`L` [billing periods].
    ratchet_history_thb : float
        :math:`H` [THB]: highest charge in the look-back window before the horizon.
    ratchet_floors_bill : bool
        True: the ratchet floors the month's energy + demand charges, not this charge.
    lookback_frac : float
        :math:`P`, kW lookback share (one window only): the billed demand is
        :math:`\max(D_p, P \max_{q \in Q(p)} D_q)` [-].
    lookback_mask : ndarray of bool, shape (P, P), or None
        :math:`q \in Q(p)`: period ``q`` counts in the lookback of period ``p``.
    window_period : ndarray of int, shape (K, T), or None
        Billing period each step counts in, per window (a coincident group spanning months
        counts all its steps in the period of its last step); None: the step's own period.
    """

    name: str
    window_mask: np.ndarray
    slope_thb_per_kw: np.ndarray
    intercept_thb: np.ndarray
    registered_kw: np.ndarray
    ratchet_frac: float = 0.0
    ratchet_lookback_periods: int = 0
    ratchet_history_thb: float = 0.0
    ratchet_floors_bill: bool = False
    lookback_frac: float = 0.0
    lookback_mask: np.ndarray | None = None
    window_period: np.ndarray | None = None

    def billed_kw(self, demand_kw: np.ndarray) -> np.ndarray:
        """Demand priced in each period [kW], shape (P, K): the demand lifted by the kW lookback."""
        if self.lookback_frac <= 0.0 or self.lookback_mask is None:
            return demand_kw
        return lookback_billed_kw(demand_kw, self.lookback_frac, self.lookback_mask)

    def periods_of(self, period_of_step: np.ndarray) -> np.ndarray:
        """Billing period each step counts in, per window, shape (K, T)."""
        if self.window_period is not None:
            return np.asarray(self.window_period)
        return np.repeat(np.asarray(period_of_step)[None, :], self.window_mask.shape[0], axis=0)

    def demand_kw(self, import_kw: np.ndarray, period_of_step: np.ndarray, n_periods: int) -> np.ndarray:
        """Registered demand :math:`D_{p,k}` [kW], shape (P, K)."""
        demand = np.array(self.registered_kw, dtype=float, copy=True)
        periods = self.periods_of(period_of_step)
        for k in range(self.window_mask.shape[0]):
            steps = self.window_mask[k]
            np.maximum.at(demand[:, k], periods[k][steps], import_kw[steps])
        return demand

    def charges_thb(self, import_kw: np.ndarray, period_of_step: np.ndarray, n_periods: int) -> np.ndarray:
        """Charge :math:`C_p` of every billing period [THB], shape (P,)."""
        demand = self.billed_kw(self.demand_kw(import_kw, period_of_step, n_periods))
        pieces = self.intercept_thb[None, :] + demand @ self.slope_thb_per_kw.T  # (P, J)
        charge = pieces.max(axis=1)
        if self.ratchet_frac > 0.0 and not self.ratchet_floors_bill:
            for p in range(n_periods):
                earlier = charge[max(0, p - self.ratchet_lookback_periods):p]
                floor = max([self.ratchet_history_thb, *earlier]) * self.ratchet_frac
                charge[p] = max(charge[p], floor)
        return charge

    def floor_thb(self, charge_thb: np.ndarray) -> np.ndarray:
        r"""Bill floor of every period from the unfloored charges :math:`C_q` [THB], shape (P,).

        .. math:: F_p = \rho \max\big(H,\ \max_{p-L \le q < p} C_q\big)
        """
        lookback = self.ratchet_lookback_periods
        return self.ratchet_frac * np.array([max([self.ratchet_history_thb, *charge_thb[max(0, p - lookback):p]])
                                             for p in range(len(charge_thb))])


@dataclass(frozen=True)
class TariffCostTerms:
    r"""A tariff on one meter over one time grid, as optimiser-ready arrays.

    Parameters
    ----------
    step_h : float
        Step length :math:`\Delta t` [h].
    period_of_step : ndarray of int, shape (T,)
        Billing period (0..P-1) of each step.
    import_thb_per_kwh : ndarray, shape (T,)
        Marginal price of imported energy at each step [THB/kWh]: TOU or flat rate, Ft and
        VAT included (the block part, if any, is in ``energy_blocks``).
    export_thb_per_kwh : ndarray, shape (T,)
        Compensation for exported energy [THB/kWh] (zero when export is unpaid).
    export_allowed : bool
        False forces export to zero (Thai government buildings may not export).
    energy_blocks : EnergyBlocks or None
        Tiered energy charge per billing period on the whole energy.
    demand_charges : list of DemandCharge
        Demand-charge families.
    fixed_thb_per_period : ndarray, shape (P,)
        Service and other fixed charges per billing period [THB], VAT included.
    net_metering_thb_per_kwh : ndarray, shape (T,), or None
        Net metering: extra credit of an exported kWh netted against imports over
        ``export_thb_per_kwh`` (the import price minus the wholesale price) [THB/kWh].
    netting_period_of_step : ndarray of int, shape (T,), or None
        Netting period of each step (the month, or one period for annual netting).
    base_energy_thb_per_kwh : ndarray, shape (T,), or None
        Energy rate without Ft [THB/kWh], VAT included: the energy part :math:`e_t` of the
        minimum charge's :math:`X_p`; needed when a demand charge floors the bill.
    notes : list of str
        What these terms cannot represent exactly (e.g. hourly steps understate the
        15-min demand; Ft fallbacks used), for the run report.
    energy_tiers : tuple of EnergyBlocks
        Further tier sets, each on the energy of its steps' weights (tiers by TOU period and month).
    """

    step_h: float
    period_of_step: np.ndarray
    import_thb_per_kwh: np.ndarray
    export_thb_per_kwh: np.ndarray
    export_allowed: bool = False
    energy_blocks: EnergyBlocks | None = None
    demand_charges: list[DemandCharge] = field(default_factory=list)
    fixed_thb_per_period: np.ndarray = field(default_factory=lambda: np.zeros(0))
    base_energy_thb_per_kwh: np.ndarray | None = None
    net_metering_thb_per_kwh: np.ndarray | None = None
    netting_period_of_step: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    energy_tiers: tuple[EnergyBlocks, ...] = ()

    @property
    def bill_floor(self) -> DemandCharge | None:
        """The demand charge whose ratchet floors the bill, if any (at most one)."""
        return next((c for c in self.demand_charges if c.ratchet_floors_bill and c.ratchet_frac > 0), None)

    @property
    def tier_sets(self) -> list[EnergyBlocks]:
        """Every block or tier set: ``energy_blocks`` (if any) first, then ``energy_tiers``."""
        return ([] if self.energy_blocks is None else [self.energy_blocks]) + list(self.energy_tiers)

    def tier_charges_thb(self, import_kw: np.ndarray) -> np.ndarray:
        """Charge of all block and tier sets in every billing period [THB], shape (P,)."""
        return sum((s.charges_thb(import_kw, self.period_of_step, self.step_h, self.n_periods) for s in self.tier_sets),
                   np.zeros(self.n_periods))

    @property
    def n_periods(self) -> int:
        """Number of billing periods P."""
        return int(self.period_of_step.max()) + 1 if len(self.period_of_step) else 0

    @property
    def is_convex(self) -> bool:
        """True when the whole cost can be written as a linear program."""
        return all(s.is_convex for s in self.tier_sets)

    def cost_thb(self, import_kw: np.ndarray, export_kw: np.ndarray | None = None) -> float:
        """Total cost of a fixed schedule [THB], unrounded (see the module equation)."""
        import_kw = np.asarray(import_kw, dtype=float)
        export_kw = np.zeros_like(import_kw) if export_kw is None else np.asarray(export_kw, dtype=float)
        n_periods = self.n_periods
        total = self.step_h * float(import_kw @ self.import_thb_per_kwh - export_kw @ self.export_thb_per_kwh)
        total += float(self.tier_charges_thb(import_kw).sum())
        for charge in self.demand_charges:
            total += float(charge.charges_thb(import_kw, self.period_of_step, n_periods).sum())
        total += float(np.sum(self.fixed_thb_per_period))
        if self.net_metering_thb_per_kwh is not None:
            netted = netted_export_kwh(self.step_h * export_kw, self.step_h * import_kw,
                                       self.net_metering_thb_per_kwh, self.netting_period_of_step)
            total -= float(netted @ self.net_metering_thb_per_kwh)
        return total + float(self.minimum_charge_thb(import_kw).sum())

    def minimum_charge_thb(self, import_kw: np.ndarray) -> np.ndarray:
        r"""Minimum-charge adjustment :math:`A_p = \max(0, \Phi_p - X_p)` of every period [THB], shape (P,)."""
        floor_charge = self.bill_floor
        n_periods = self.n_periods
        if floor_charge is None:
            return np.zeros(n_periods)
        if self.base_energy_thb_per_kwh is None:
            raise ValueError("a bill floor needs base_energy_thb_per_kwh")
        import_kw = np.asarray(import_kw, dtype=float)
        energy_thb = np.bincount(self.period_of_step, weights=self.step_h * import_kw * self.base_energy_thb_per_kwh,
                                 minlength=n_periods)
        energy_thb = energy_thb + self.tier_charges_thb(import_kw)
        demand_thb = sum(c.charges_thb(import_kw, self.period_of_step, n_periods) for c in self.demand_charges)
        floor = floor_charge.floor_thb(floor_charge.charges_thb(import_kw, self.period_of_step, n_periods))
        return np.maximum(0.0, floor - energy_thb - demand_thb)
