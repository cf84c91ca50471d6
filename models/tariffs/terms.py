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
        + \sum_f \sum_p C_{f,p} + \sum_p F_p

with :math:`B_p` the energy-block charge (:class:`EnergyBlocks`), :math:`C_{f,p}` the demand
charge of family :math:`f` (:class:`DemandCharge`) and :math:`F_p` fixed charges.
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

    Parameters
    ----------
    upper_kwh : ndarray, shape (B,)
        Upper edge of each block [kWh per billing period], increasing, last ``inf``.
    price_thb_per_kwh : ndarray, shape (B,)
        Price in each block [THB/kWh], VAT included.
    """

    upper_kwh: np.ndarray
    price_thb_per_kwh: np.ndarray

    @property
    def is_convex(self) -> bool:
        """True when prices never decrease from one block to the next."""
        return bool(np.all(np.diff(self.price_thb_per_kwh) >= -1e-12))

    def cost_thb(self, energy_kwh: float) -> float:
        """Charge for ``energy_kwh`` in one billing period [THB]."""
        lower = np.concatenate([[0.0], self.upper_kwh[:-1]])
        in_block = np.clip(energy_kwh - lower, 0.0, self.upper_kwh - lower)
        return float(np.sum(in_block * self.price_thb_per_kwh))


@dataclass(frozen=True)
class DemandCharge:
    r"""One family of demand charges, billed per billing period.

    For billing period :math:`p` and window :math:`k` the registered demand is

    .. math:: D_{p,k} = \max\big(R_{p,k},\ \max_{t \in p,\ w_{k,t}} m_t\big)

    (``registered_kw`` :math:`R` is demand already reached before the horizon, 0 if none).
    The charge is the largest affine piece, at least a ratchet share of earlier charges:

    .. math::

        C_p = \max\Big(\max_j \big(a_j + \sum_k s_{j,k} D_{p,k}\big),\
                       \rho \max_{q \in [p-L, p-1]} C_q,\ \rho\, H\Big)

    with slopes :math:`s \ge 0` (so :math:`C` is convex in the schedule), ratchet share
    :math:`\rho`, look-back :math:`L` periods and :math:`H` the highest charge in the
    look-back window before the horizon. Examples: a plain monthly demand rate is one piece
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
    """

    name: str
    window_mask: np.ndarray
    slope_thb_per_kw: np.ndarray
    intercept_thb: np.ndarray
    registered_kw: np.ndarray
    ratchet_frac: float = 0.0
    ratchet_lookback_periods: int = 0
    ratchet_history_thb: float = 0.0

    def demand_kw(self, import_kw: np.ndarray, period_of_step: np.ndarray, n_periods: int) -> np.ndarray:
        """Registered demand :math:`D_{p,k}` [kW], shape (P, K)."""
        demand = np.array(self.registered_kw, dtype=float, copy=True)
        for k in range(self.window_mask.shape[0]):
            steps = self.window_mask[k]
            np.maximum.at(demand[:, k], period_of_step[steps], import_kw[steps])
        return demand

    def charges_thb(self, import_kw: np.ndarray, period_of_step: np.ndarray, n_periods: int) -> np.ndarray:
        """Charge :math:`C_p` of every billing period [THB], shape (P,)."""
        demand = self.demand_kw(import_kw, period_of_step, n_periods)
        pieces = self.intercept_thb[None, :] + demand @ self.slope_thb_per_kw.T  # (P, J)
        charge = pieces.max(axis=1)
        if self.ratchet_frac > 0.0:
            for p in range(n_periods):
                earlier = charge[max(0, p - self.ratchet_lookback_periods):p]
                floor = max([self.ratchet_history_thb, *earlier]) * self.ratchet_frac
                charge[p] = max(charge[p], floor)
        return charge


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
        Tiered energy charge per billing period.
    demand_charges : list of DemandCharge
        Demand-charge families.
    fixed_thb_per_period : ndarray, shape (P,)
        Service and other fixed charges per billing period [THB], VAT included.
    notes : list of str
        What these terms cannot represent exactly (e.g. hourly steps understate the
        15-min demand; Ft fallbacks used), for the run report.
    """

    step_h: float
    period_of_step: np.ndarray
    import_thb_per_kwh: np.ndarray
    export_thb_per_kwh: np.ndarray
    export_allowed: bool = False
    energy_blocks: EnergyBlocks | None = None
    demand_charges: list[DemandCharge] = field(default_factory=list)
    fixed_thb_per_period: np.ndarray = field(default_factory=lambda: np.zeros(0))
    notes: list[str] = field(default_factory=list)

    @property
    def n_periods(self) -> int:
        """Number of billing periods P."""
        return int(self.period_of_step.max()) + 1 if len(self.period_of_step) else 0

    @property
    def is_convex(self) -> bool:
        """True when the whole cost can be written as a linear program."""
        return self.energy_blocks is None or self.energy_blocks.is_convex

    def cost_thb(self, import_kw: np.ndarray, export_kw: np.ndarray | None = None) -> float:
        """Total cost of a fixed schedule [THB], unrounded (see the module equation)."""
        import_kw = np.asarray(import_kw, dtype=float)
        export_kw = np.zeros_like(import_kw) if export_kw is None else np.asarray(export_kw, dtype=float)
        n_periods = self.n_periods
        total = self.step_h * float(import_kw @ self.import_thb_per_kwh - export_kw @ self.export_thb_per_kwh)
        if self.energy_blocks is not None:
            energy_per_period = np.bincount(self.period_of_step, weights=import_kw * self.step_h,
                                            minlength=n_periods)
            total += sum(self.energy_blocks.cost_thb(e) for e in energy_per_period)
        for charge in self.demand_charges:
            total += float(charge.charges_thb(import_kw, self.period_of_step, n_periods).sum())
        total += float(np.sum(self.fixed_thb_per_period))
        return total
