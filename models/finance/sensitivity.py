r"""Sensitivity of the parties' NPV: a one-at-a-time tornado and a Monte Carlo with P50/P90.

Contract amounts are fixed on the base case first (``Structure.resolved``), so a perturbed case
keeps the contract that was signed: a PPP availability payment does not re-price itself when the
yield falls. The tornado moves one driver at a time to its low and its high value; the Monte
Carlo draws every driver at once per sample:

.. math::

    k_s \sim \mathcal N(1, \sigma_k),\quad \tau_s \sim \mathcal N(\tau, \sigma_\tau),\quad
    \Delta f_s \sim \mathcal N(0, \sigma_f),\quad \phi_{s,y} \text{ from the simulation core or }
    \mathcal N(1, \sigma_\phi)

(capex factor, base-tariff escalation, Ft level shift, PV yield factor of each year). P50 is the
median NPV; P90 is the NPV exceeded in 90 % of the samples (the 10th percentile).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError, Problem
from munigrid.models.finance.case import evaluate_case
from munigrid.models.finance.energy import scale_base_tariff
from munigrid.models.finance.inputs import FinanceSettings, ProjectInputs
from munigrid.models.finance.metrics import npv
from munigrid.models.finance.parties import PartyCashFlows
from munigrid.models.finance.structures.base import Structure

Perturb = Callable[[ProjectInputs, FinanceSettings, float], tuple[ProjectInputs, FinanceSettings]]


def perturb_capex(inputs: ProjectInputs, settings: FinanceSettings, delta: float):
    """Every component's capex (and so its replacements) times ``1 + delta``."""
    components = tuple(replace(c, capex_thb=c.capex_thb * (1.0 + delta)) for c in inputs.components)
    return replace(inputs, components=components), settings


def perturb_tariff(inputs: ProjectInputs, settings: FinanceSettings, delta: float):
    """Base tariff (all but Ft) times ``1 + delta``, in year 1 and in every simulated year."""
    scaled = replace(inputs, energy=scale_base_tariff(inputs.energy, 1.0 + delta))
    if inputs.lifetime is not None:
        years = tuple(scale_base_tariff(year, 1.0 + delta) for year in inputs.lifetime.years)
        scaled = replace(scaled, lifetime=replace(inputs.lifetime, years=years))
    return scaled, settings


def perturb_ft(inputs: ProjectInputs, settings: FinanceSettings, delta: float):
    """Ft shifted by ``delta`` [THB/kWh] in every year."""
    esc = inputs.escalation
    return replace(inputs, escalation=replace(esc, ft_shift_thb_per_kwh=esc.ft_shift_thb_per_kwh + delta)), settings


def perturb_discount_rate(inputs: ProjectInputs, settings: FinanceSettings, delta: float):
    """Both parties' discount rates plus ``delta`` [-], floored at 0."""
    return inputs, replace(settings,
                           municipality_discount_frac=max(0.0, settings.municipality_discount_frac + delta),
                           investor_discount_frac=max(0.0, settings.investor_discount_frac + delta))


def perturb_yield(inputs: ProjectInputs, settings: FinanceSettings, delta: float):
    """PV yield of every year times ``1 + delta``."""
    return replace(inputs, yield_factor=np.asarray(inputs.yield_factor, dtype=float) * (1.0 + delta)), settings


def perturb_load_growth(inputs: ProjectInputs, settings: FinanceSettings, delta: float):
    """Yearly load growth plus ``delta`` [-/year]."""
    return replace(inputs, load_growth_frac_per_year=inputs.load_growth_frac_per_year + delta), settings


def _npv(party: PartyCashFlows) -> float:
    return npv(party.discount_frac, party.equity_thb)


#: tornado driver -> (perturbation, default low delta, default high delta, unit of the delta)
TORNADO_DRIVERS: dict[str, tuple[Perturb, float, float, str]] = {
    "capex": (perturb_capex, -0.2, 0.2, "-"),
    "tariff": (perturb_tariff, -0.1, 0.1, "-"),
    "ft": (perturb_ft, -0.1, 0.1, "THB/kWh"),
    "discount_rate": (perturb_discount_rate, -0.02, 0.02, "-"),
    "yield": (perturb_yield, -0.1, 0.1, "-"),
    "load_growth": (perturb_load_growth, -0.02, 0.02, "-/year"),
}


def tornado(inputs: ProjectInputs, structure: Structure, settings: FinanceSettings | None = None,
            ranges: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """One-at-a-time NPV swings of both parties.

    Parameters
    ----------
    inputs, structure, settings
        The base case (see :func:`~munigrid.models.finance.case.evaluate_case`).
    ranges : dict of str to (low, high), optional
        Deltas per driver of :data:`TORNADO_DRIVERS` (units there); default: their defaults.

    Returns
    -------
    pandas.DataFrame
        One row per party and driver: ``party, driver, delta_low, delta_high, unit,
        npv_base_thb, npv_low_thb, npv_high_thb, swing_thb``, largest swing first per party.
    """
    settings = settings or FinanceSettings()
    ranges = ranges if ranges is not None else {k: (v[1], v[2]) for k, v in TORNADO_DRIVERS.items()}
    unknown = sorted(set(ranges) - set(TORNADO_DRIVERS))
    if unknown:
        raise InputError([Problem(f"tornado.{name}", f"unknown driver; valid: {', '.join(TORNADO_DRIVERS)}")
                          for name in unknown])
    base = evaluate_case(inputs, structure, settings)
    frozen = base.structure
    base_npv = {p.name: _npv(p) for p in (base.municipality, base.investor)}
    rows = []
    for driver, (low, high) in ranges.items():
        perturb, *_, unit = TORNADO_DRIVERS[driver]
        npv_at = {}
        for side, delta in (("low", low), ("high", high)):
            case_inputs, case_settings = perturb(inputs, settings, delta)
            case = evaluate_case(case_inputs, frozen, case_settings, base=base.project)
            npv_at[side] = {p.name: _npv(p) for p in (case.municipality, case.investor)}
        for party in base_npv:
            rows.append({"party": party, "driver": driver, "delta_low": low, "delta_high": high, "unit": unit,
                         "npv_base_thb": base_npv[party], "npv_low_thb": npv_at["low"][party],
                         "npv_high_thb": npv_at["high"][party],
                         "swing_thb": abs(npv_at["high"][party] - npv_at["low"][party])})
    table = pd.DataFrame(rows)
    return table.sort_values(["party", "swing_thb"], ascending=[True, False], ignore_index=True)


@dataclass(frozen=True)
class MonteCarloSpreads:
    """Standard deviations of the Monte Carlo drivers (defaults: finance_defaults.yaml, assumptions).

    Attributes
    ----------
    capex_sd_frac : float
        Of the capex factor [-].
    tariff_escalation_sd_frac_per_year : float
        Of the base-tariff escalation [-/year].
    ft_level_sd_thb_per_kwh : float
        Of the Ft level shift [THB/kWh].
    yield_interannual_sd_frac : float
        Of each year's PV yield factor when no simulated yields are given [-].
    """

    capex_sd_frac: float = 0.10
    tariff_escalation_sd_frac_per_year: float = 0.01
    ft_level_sd_thb_per_kwh: float = 0.10
    yield_interannual_sd_frac: float = 0.04


@dataclass(frozen=True)
class MonteCarloResult:
    """NPV samples of both parties [THB], shape (S,) each."""

    npv_thb: dict[str, np.ndarray]

    def percentiles(self) -> pd.DataFrame:
        """P10, P50 and P90 (exceedance) NPV, mean and the chance of a negative NPV, per party."""
        rows = []
        for party, values in self.npv_thb.items():
            rows.append({"party": party, "p10_npv_thb": float(np.percentile(values, 90)),
                         "p50_npv_thb": float(np.percentile(values, 50)),
                         "p90_npv_thb": float(np.percentile(values, 10)),
                         "mean_npv_thb": float(values.mean()),
                         "prob_negative_frac": float(np.mean(values < 0)), "samples": int(values.size)})
        return pd.DataFrame(rows)


def yield_factors_from_simulation(pv_kwh_samples: np.ndarray, n_samples: int, n_years: int,
                                  rng: np.random.Generator) -> np.ndarray:
    """Yearly PV yield factors drawn from simulated weather years [-], shape (n_samples, n_years).

    Each project year of each Monte Carlo sample takes one simulated year of the simulation
    core's ensemble at random, relative to the ensemble mean: :math:`\\phi = E_s / \\bar E`.

    Parameters
    ----------
    pv_kwh_samples : ndarray, shape (K,)
        Annual PV energy of K simulated years [kWh] (e.g. ``pv_kwh`` of ``run_ensemble``).
    """
    pv = np.asarray(pv_kwh_samples, dtype=float).ravel()
    if pv.size == 0 or not np.all(np.isfinite(pv)) or pv.mean() <= 0:
        raise InputError([Problem("pv_kwh_samples", "must be a non-empty array of finite kWh with a positive mean")])
    return pv[rng.integers(0, pv.size, size=(n_samples, n_years))] / pv.mean()


def monte_carlo(inputs: ProjectInputs, structure: Structure, settings: FinanceSettings | None = None, *,
                n_samples: int = 500, seed: int = 0, spreads: MonteCarloSpreads | None = None,
                yield_factors: np.ndarray | None = None) -> MonteCarloResult:
    """NPV distribution of both parties under uncertain capex, tariff, Ft and yield (module equation).

    Parameters
    ----------
    inputs, structure, settings
        The base case; its contract is kept fixed in every sample.
    n_samples : int
        Number of samples S.
    seed : int
        Seed of the random generator (results are reproducible).
    spreads : MonteCarloSpreads, optional
    yield_factors : ndarray, shape (S, N), optional
        Yearly PV yield factors from the simulation core
        (:func:`yield_factors_from_simulation`); default: normal with ``yield_interannual_sd_frac``.

    Returns
    -------
    MonteCarloResult
    """
    settings = settings or FinanceSettings()
    spreads = spreads or MonteCarloSpreads()
    n = int(inputs.years)
    problems = [] if n_samples >= 1 else [Problem("n_samples", f"must be >= 1, got {n_samples}")]
    if yield_factors is not None and np.shape(yield_factors) != (n_samples, n):
        problems.append(Problem("yield_factors", f"must have shape ({n_samples}, {n}), got {np.shape(yield_factors)}"))
    if problems:
        raise InputError(problems)
    rng = np.random.default_rng(seed)
    base = evaluate_case(inputs, structure, settings)
    capex = np.clip(rng.normal(1.0, spreads.capex_sd_frac, n_samples), 0.05, None)
    escalation = rng.normal(inputs.escalation.tariff_frac_per_year, spreads.tariff_escalation_sd_frac_per_year,
                            n_samples)
    ft_shift = rng.normal(0.0, spreads.ft_level_sd_thb_per_kwh, n_samples)
    if yield_factors is None:
        yield_factors = np.clip(rng.normal(1.0, spreads.yield_interannual_sd_frac, (n_samples, n)), 0.0, None)
    base_yield = np.asarray(inputs.yield_factor, dtype=float)
    out = {"municipality": np.empty(n_samples), "investor": np.empty(n_samples)}
    for s in range(n_samples):
        sample, _ = perturb_capex(inputs, settings, capex[s] - 1.0)
        sample, _ = perturb_ft(sample, settings, ft_shift[s])
        sample = replace(sample, yield_factor=base_yield * yield_factors[s],
                         escalation=replace(sample.escalation, tariff_frac_per_year=float(escalation[s])))
        case = evaluate_case(sample, base.structure, settings, base=base.project)
        out["municipality"][s] = _npv(case.municipality)
        out["investor"][s] = _npv(case.investor)
    return MonteCarloResult(out)
