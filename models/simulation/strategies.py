r"""Battery dispatch strategies as a per-step *import band*.

Every rule-based battery strategy here is one band :math:`[\ell_t, h_t]` on the grid power
and a grid-charging ceiling :math:`\bar\sigma_t` on the state of charge. With net load
:math:`n_t = L_t - PV_t` the battery

* discharges :math:`\min(n_t - h_t, \ldots)` when :math:`n_t > h_t`;
* charges :math:`\min(\ell_t - n_t, \ldots)` when :math:`n_t < \ell_t`, from PV surplus
  :math:`\max(-n_t, 0)` up to :math:`E_{max}` and from the grid only up to
  :math:`\bar\sigma_t E`;
* idles otherwise.

=======================  ===================  =====================  ====================
strategy                 :math:`\ell_t`       :math:`h_t`            :math:`\bar\sigma_t`
=======================  ===================  =====================  ====================
self-consumption         0                    0                      (no grid charging)
TOU arbitrage, on-peak   0                    0                      (no grid charging)
TOU arbitrage, off-peak  :math:`+\infty`      :math:`+\infty`        target SoC
peak shaving             threshold            threshold              ``soc_max_frac``
=======================  ===================  =====================  ====================

One kernel (:func:`munigrid.models.simulation.battery.simulate_battery`) runs them all; the
builders below only fill arrays, once per scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from munigrid.models.errors import Problem
from munigrid.models.simulation.validation import as_series, raise_if


@dataclass(frozen=True)
class Band:
    r"""Per-step import band and grid-charging ceiling.

    Parameters
    ----------
    low_kw : ndarray, shape (T,)
        :math:`\ell_t`: the battery charges while net load is below it [kW].
    high_kw : ndarray, shape (T,)
        :math:`h_t`: the battery discharges while net load is above it [kW], ``>= low_kw``.
    grid_target_frac : ndarray, shape (T,)
        :math:`\bar\sigma_t`: grid charging stops at this state of charge [-] (0: never).
    """

    low_kw: np.ndarray
    high_kw: np.ndarray
    grid_target_frac: np.ndarray

    def __len__(self) -> int:
        return len(self.low_kw)


def band_problems(band: Band, n_steps: int, path: str = "strategy") -> list[Problem]:
    """Edges without NaN, ``low_kw <= high_kw`` (``+inf`` allowed), targets in [0, 1], ``n_steps`` long."""
    problems: list[Problem] = []
    arrays = {name: np.asarray(getattr(band, name), dtype=float)
              for name in ("low_kw", "high_kw", "grid_target_frac")}
    for name, arr in arrays.items():
        if arr.shape != (n_steps,):
            problems.append(Problem(f"{path}.{name}", f"must have one value per step ({n_steps}), "
                                                      f"got shape {arr.shape}"))
        elif np.isnan(arr).any():
            problems.append(Problem(f"{path}.{name}", "contains NaN"))
    if problems:
        return problems
    if (arrays["low_kw"] > arrays["high_kw"]).any():
        problems.append(Problem(f"{path}.low_kw", "must not exceed high_kw at any step"))
    target = arrays["grid_target_frac"]
    if ((target < 0.0) | (target > 1.0)).any():
        problems.append(Problem(f"{path}.grid_target_frac", "must be in [0, 1] at every step"))
    return problems


def self_consumption(n_steps: int) -> Band:
    """Store PV surplus, serve net load from the battery; never charge from the grid."""
    zeros = np.zeros(n_steps)
    return Band(zeros, zeros.copy(), zeros.copy())


def tou_arbitrage(on_peak, target_soc_frac: float = 1.0) -> Band:
    """Charge from the grid off-peak up to ``target_soc_frac`` [-], discharge on-peak.

    Parameters
    ----------
    on_peak : array of bool, shape (T,)
        True where the import price is on-peak (see the tariff's TOU periods).
    target_soc_frac : float
        State of charge that off-peak grid charging aims for, in [0, 1] [-].
    """
    on_peak = np.asarray(on_peak, dtype=bool)
    problems: list[Problem] = []
    if on_peak.ndim != 1 or on_peak.size == 0:
        problems.append(Problem("strategy.on_peak", "must be a non-empty boolean series, one value per step"))
    if not 0.0 <= float(target_soc_frac) <= 1.0:
        problems.append(Problem("strategy.target_soc_frac", f"must be in [0, 1], got {target_soc_frac!r}"))
    raise_if(problems)
    off = np.where(on_peak, 0.0, np.inf)
    return Band(off, off.copy(), np.where(on_peak, 0.0, float(target_soc_frac)))


def peak_shaving(threshold_kw, n_steps: int, grid_charge=None, soc_max_frac: float = 1.0) -> Band:
    """Keep grid import at or below ``threshold_kw`` [kW]; recharge below it.

    Parameters
    ----------
    threshold_kw : float or array, shape (T,)
        Import level the battery defends [kW], >= 0 (one per step allows one per billing period).
    n_steps : int
        T, the number of steps.
    grid_charge : array of bool, shape (T,), optional
        Steps where recharging from the grid (up to the threshold) is allowed; all by default.
    soc_max_frac : float
        Grid charging ceiling [-], normally the battery's ``soc_max_frac``.
    """
    problems: list[Problem] = []
    threshold = np.asarray(threshold_kw, dtype=float)
    threshold = as_series(np.full(n_steps, threshold) if threshold.ndim == 0 else threshold,
                          "strategy.threshold_kw", problems, length=n_steps)
    allowed = np.ones(n_steps, dtype=bool) if grid_charge is None else np.asarray(grid_charge, dtype=bool)
    if allowed.shape != (n_steps,):
        problems.append(Problem("strategy.grid_charge", f"must have one value per step ({n_steps})"))
    raise_if(problems)
    low = np.where(allowed, threshold, np.minimum(threshold, 0.0))
    return Band(low, threshold.copy(), np.where(allowed, float(soc_max_frac), 0.0))


def _peak_shaving_off_peak_recharge(n_steps: int, on_peak: np.ndarray, **options) -> Band:
    """Peak shaving that recharges from the grid only off-peak (everywhere under a flat price)."""
    return peak_shaving(options["threshold_kw"], n_steps, grid_charge=~on_peak if on_peak.any() else None)


#: Strategy name -> builder from (n_steps, on_peak mask, options); used by the CLI.
STRATEGIES: dict[str, Callable[..., Band]] = {
    "self_consumption": lambda n_steps, on_peak, **options: self_consumption(n_steps),
    "tou_arbitrage": lambda n_steps, on_peak, **options: tou_arbitrage(on_peak, options.get("target_soc_frac", 1.0)),
    "peak_shaving": _peak_shaving_off_peak_recharge,
}
