r"""Sampled Ft paths: Ft of every four-month period as a bounded, mean-reverting deviation from the run's schedule.

The Monte Carlo years (:mod:`munigrid.scenarios.simulation`) draw, besides their days, an Ft
path. With :math:`F_k` the run's Ft of the :math:`k`-th Ft period of the horizon (the scenario's
schedule), sample :math:`s` bills

.. math::

    Ft_{s,k} = \min\big(\max(F_k + X_{s,k},\ \min(Ft_{min}, F_k)),\ \max(Ft_{max}, F_k)\big), \qquad
    X_{s,k} = \varphi\, X_{s,k-1} + \sigma\, \varepsilon_{s,k}, \quad X_{s,-1} = 0, \quad
    \varepsilon_{s,k} \sim \mathcal N(0, 1)\ \text{i.i.d.}

an AR(1) (the four-month discretisation of an Ornstein-Uhlenbeck process) on the deviation from
the schedule: the schedule is the central path, each ERC decision adds a shock of standard
deviation :math:`\sigma` [THB/kWh] and a deviation persists with :math:`\varphi` per period
(:math:`\varphi = 1`: a random walk, :math:`0`: independent periods). Ft is taken as known up to
the period before the horizon. The bounds keep sampled values within what has been billed (they
never move the schedule itself). Ft is national, so every building of a sample bills the same path.

Parameters, unless the scenario gives them (:func:`estimate_process`): ordinary least squares of
:math:`F_{j+1}` on :math:`F_j` over consecutive billed periods (``data/ft_history.yaml`` before
2024, ``data/ft.yaml`` after), :math:`\varphi` = the slope clipped to [0, 1], :math:`\sigma` = the
residual standard deviation (two degrees of freedom used); the bounds are the lowest and highest
Ft billed.

Random numbers: ``numpy.random.default_rng(seed + 2)`` (``seed`` draws the days, ``seed + 1`` the
load levels), one row of :math:`\varepsilon` per sample, so sample :math:`s`'s path does not depend
on how many samples are drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from munigrid.models.errors import InputError, Problem
from munigrid.models.tariffs.ft import FtSchedule, period_key
from munigrid.models.tariffs.terms import TariffCostTerms

#: Offset of the Ft paths' random stream from the sampling seed (days: +0, load levels: +1).
FT_SEED_OFFSET = 2
#: Ft paths of the Monte Carlo: the run's schedule in every sample, or sampled around it.
FT_PATH_MODES = ("fixed", "sampled")


@dataclass(frozen=True)
class FtProcess:
    """Parameters of the Ft deviation process (module equation).

    Parameters
    ----------
    volatility_thb_per_kwh : float
        :math:`\\sigma`, standard deviation of one period's shock [THB/kWh], >= 0.
    persistence_frac : float
        :math:`\\varphi` in [0, 1] [-].
    min_thb_per_kwh, max_thb_per_kwh : float
        Bounds :math:`Ft_{min} < Ft_{max}` on the sampled Ft [THB/kWh], within +-5.
    """

    volatility_thb_per_kwh: float
    persistence_frac: float
    min_thb_per_kwh: float
    max_thb_per_kwh: float

    def __post_init__(self):
        problems = []
        if not (np.isfinite(self.volatility_thb_per_kwh) and self.volatility_thb_per_kwh >= 0):
            problems.append(Problem("ft_volatility_thb_per_kwh", f"must be a finite value >= 0 THB/kWh, got "
                                                                 f"{self.volatility_thb_per_kwh!r}"))
        if not (np.isfinite(self.persistence_frac) and 0 <= self.persistence_frac <= 1):
            problems.append(Problem("ft_persistence_frac", f"must be in [0, 1], got {self.persistence_frac!r}"))
        bounds = (self.min_thb_per_kwh, self.max_thb_per_kwh)
        if not all(np.isfinite(b) and abs(b) <= 5 for b in bounds) or bounds[0] >= bounds[1]:
            problems.append(Problem("ft_min_thb_per_kwh", f"Ft bounds must be finite, within -5..5 THB/kWh and "
                                                          f"min < max, got {bounds!r}"))
        if problems:
            raise InputError(problems)

    @classmethod
    def estimated(cls) -> FtProcess:
        """The process estimated from the billed Ft (:func:`billed_history`, :func:`estimate_process`)."""
        return _estimated()

    def with_values(self, **values: float | None) -> FtProcess:
        """A copy with the given (not ``None``) parameters replaced."""
        given = {k: float(v) for k, v in values.items() if v is not None}
        return FtProcess(**{**self.__dict__, **given})


def billed_history() -> dict[str, float]:
    """Ft billed in every sourced period [THB/kWh], keyed ``"YYYY-MM"`` (first month of the period)."""
    text = resources.files("munigrid.models.tariffs").joinpath("data/ft_history.yaml").read_text(encoding="utf-8")
    older = {k: float(v["value"]) for k, v in yaml.safe_load(text)["periods"].items()}
    return {**older, **FtSchedule.builtin().values_thb_per_kwh}


def consecutive_pairs(history: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """``(F_j, F_{j+1})`` of every two periods of ``history`` that follow each other [THB/kWh]."""
    keys = sorted(history)
    starts = {key: pd.Period(key, freq="M") for key in keys}
    pairs = [(history[a], history[b]) for a, b in zip(keys[:-1], keys[1:])
             if period_key(starts[a] + 4) == b]
    values = np.array(pairs, dtype=float).reshape(-1, 2)
    return values[:, 0], values[:, 1]


def estimate_process(history: Mapping[str, float]) -> FtProcess:
    """:class:`FtProcess` fitted to billed Ft (module docstring); needs three consecutive pairs."""
    before, after = consecutive_pairs(history)
    if before.size < 3:
        raise InputError(f"needs at least 3 pairs of consecutive Ft periods to estimate the Ft process, "
                         f"got {before.size}", "ft history")
    design = np.column_stack([np.ones_like(before), before])
    coef, *_ = np.linalg.lstsq(design, after, rcond=None)
    residual = after - design @ coef
    sigma = float(np.sqrt(residual @ residual / (before.size - 2)))
    values = np.fromiter(history.values(), dtype=float)
    return FtProcess(sigma, float(np.clip(coef[1], 0.0, 1.0)), float(values.min()), float(values.max()))


@lru_cache(maxsize=1)
def _estimated() -> FtProcess:
    return estimate_process(billed_history())


def deviations_thb_per_kwh(process: FtProcess, n_samples: int, n_periods: int, seed: int | None) -> np.ndarray:
    """:math:`X_{s,k}` of the module equation, shape (S, K) [THB/kWh], unbounded."""
    rng = np.random.default_rng(None if seed is None else seed + FT_SEED_OFFSET)
    shocks = process.volatility_thb_per_kwh * rng.standard_normal((n_samples, n_periods))
    out = np.empty_like(shocks)
    carried = np.zeros(n_samples)
    for k in range(n_periods):
        carried = process.persistence_frac * carried + shocks[:, k]
        out[:, k] = carried
    return out


@dataclass(frozen=True)
class FtPaths:
    """Ft of every billing month of every sample.

    Attributes
    ----------
    months : PeriodIndex
        Billing months of the horizon, shape (P,), in the order of the tariff's billing periods.
    fixed_thb_per_kwh : ndarray, shape (P,)
        The run's Ft of each month :math:`F` [THB/kWh].
    sampled_thb_per_kwh : ndarray, shape (S, P)
        Sample :math:`s`'s Ft of each month [THB/kWh] (the fixed ones in every row when not sampled).
    """

    months: pd.PeriodIndex
    fixed_thb_per_kwh: np.ndarray
    sampled_thb_per_kwh: np.ndarray

    def change_thb_per_kwh(self, vat_factor: float, ft_applies: bool = True) -> np.ndarray:
        """Change of a tariff's import price in each sample and month, :math:`(1 + v)(Ft_{s,p} - F_p)`,
        shape (S, P) [THB/kWh]; zeros for a tariff without Ft."""
        if not ft_applies:
            return np.zeros_like(self.sampled_thb_per_kwh)
        return vat_factor * (self.sampled_thb_per_kwh - self.fixed_thb_per_kwh)

    def mean_thb_per_kwh(self) -> np.ndarray:
        """Each sample's Ft averaged over the billing months, shape (S,) [THB/kWh]."""
        return self.sampled_thb_per_kwh.mean(axis=1)


def sample_ft_paths(schedule: FtSchedule, months: pd.PeriodIndex, n_samples: int, *,
                    process: FtProcess | None, seed: int | None) -> FtPaths:
    """Ft paths of ``n_samples`` samples over ``months`` (module equation).

    Parameters
    ----------
    schedule : FtSchedule
        The run's Ft :math:`F` (its fallback rules apply).
    months : PeriodIndex
        Billing months of the horizon.
    process : FtProcess or None
        ``None``: every sample bills the schedule (fixed paths).
    seed : int or None
        The sampling seed (the paths use ``seed + 2``).
    """
    fixed = schedule.resolve(months).ft_thb_per_kwh
    if process is None:
        return FtPaths(months, fixed, np.broadcast_to(fixed, (n_samples, fixed.size)).copy())
    keys = [period_key(m) for m in months]
    period_of_month = pd.Index(pd.unique(pd.Index(keys))).get_indexer(keys)
    deviation = deviations_thb_per_kwh(process, n_samples, int(period_of_month.max()) + 1, seed)
    sampled = np.clip(fixed + deviation[:, period_of_month], np.minimum(process.min_thb_per_kwh, fixed),
                      np.maximum(process.max_thb_per_kwh, fixed))
    return FtPaths(months, fixed, sampled)


def repriced_terms(terms: TariffCostTerms, change_thb_per_kwh: np.ndarray) -> TariffCostTerms:
    """``terms`` billed with another Ft: ``change_thb_per_kwh`` (one value per billing period,
    :meth:`FtPaths.change_thb_per_kwh`) added to the import price of every step of the period, the
    net-metering credit recomputed from it as :meth:`Tariff.cost_terms` does. Blocks, tiers and the
    minimum charge's base rate exclude Ft and stay; ``terms`` itself when nothing changes."""
    change = np.asarray(change_thb_per_kwh, dtype=float)
    if not change.any():
        return terms
    price = np.asarray(terms.import_thb_per_kwh) + change[np.asarray(terms.period_of_step)]
    net = None if terms.net_metering_thb_per_kwh is None else np.maximum(0.0, price - terms.export_thb_per_kwh)
    return replace(terms, import_thb_per_kwh=price, net_metering_thb_per_kwh=net)
