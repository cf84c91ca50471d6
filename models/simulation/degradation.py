r"""Battery degradation: rainflow cycle ageing plus calendar ageing, as capacity fade.

Cycle ageing (Palmgren-Miner on rainflow cycles of the state of charge, depth
:math:`\delta_i` as a share of nominal capacity, count :math:`n_i \in \{0.5, 1\}`):

.. math::

    N(\delta) = N_{ref}\,(\delta/\delta_{ref})^{-k}, \qquad
    Q_{cyc} = Q_{EoL} \sum_i n_i / N(\delta_i)

Calendar ageing (square root of time, Arrhenius in temperature :math:`T` [K]) from age
:math:`a` to :math:`a + \tau` years:

.. math::

    Q_{cal} = k_{cal}\, e^{-\frac{E_a}{R}\left(\frac1T - \frac1{T_{ref}}\right)}
              \left(\sqrt{a + \tau} - \sqrt{a}\right)

Capacity fade :math:`Q = Q_{cyc} + Q_{cal}` (a share of nominal capacity), equivalent full
cycles :math:`\sum_i n_i \delta_i`. Defaults: ``degradation_defaults.yaml`` beside this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from munigrid.models.errors import Problem
from munigrid.models.simulation.rainflow import rainflow_kernel
from munigrid.models.simulation.validation import as_series, raise_if

GAS_CONSTANT_J_PER_MOL_K = 8.314462618  # CODATA 2018
DEFAULTS_FILE = Path(__file__).with_name("degradation_defaults.yaml")


@lru_cache(maxsize=1)
def _defaults() -> dict[str, float]:
    with DEFAULTS_FILE.open(encoding="utf-8") as fh:
        return {name: float(entry["value"]) for name, entry in yaml.safe_load(fh).items()}


@dataclass(frozen=True)
class DegradationParams:
    """Ageing model parameters (module equations); missing ones come from the defaults file.

    Attributes
    ----------
    cycle_life_at_ref : float
        :math:`N_{ref}` [cycles to end of life] at depth ``ref_depth_frac``.
    ref_depth_frac : float
        :math:`\\delta_{ref}` [-].
    wohler_exponent : float
        :math:`k` [-].
    end_of_life_fade_frac : float
        :math:`Q_{EoL}`, fade at end of life [-].
    calendar_fade_frac_per_sqrt_year : float
        :math:`k_{cal}` [1/sqrt(year)] at ``ref_temp_c``.
    ref_temp_c : float
        :math:`T_{ref}` [degC].
    activation_energy_j_per_mol : float
        :math:`E_a` [J/mol].
    """

    cycle_life_at_ref: float = float("nan")
    ref_depth_frac: float = float("nan")
    wohler_exponent: float = float("nan")
    end_of_life_fade_frac: float = float("nan")
    calendar_fade_frac_per_sqrt_year: float = float("nan")
    ref_temp_c: float = float("nan")
    activation_energy_j_per_mol: float = float("nan")

    def __post_init__(self):
        defaults = _defaults()
        for f in fields(self):
            if math.isnan(getattr(self, f.name)):
                object.__setattr__(self, f.name, defaults[f.name])

    def problems(self, path: str = "degradation") -> list[Problem]:
        """Every parameter out of its range."""
        checks = {
            "cycle_life_at_ref": self.cycle_life_at_ref > 0,
            "ref_depth_frac": 0 < self.ref_depth_frac <= 1,
            "wohler_exponent": self.wohler_exponent > 0,
            "end_of_life_fade_frac": 0 < self.end_of_life_fade_frac < 1,
            "calendar_fade_frac_per_sqrt_year": 0 <= self.calendar_fade_frac_per_sqrt_year < 1,
            "ref_temp_c": -40 <= self.ref_temp_c <= 80,
            "activation_energy_j_per_mol": self.activation_energy_j_per_mol >= 0,
        }
        return [Problem(f"{path}.{name}", f"out of range, got {getattr(self, name)!r}")
                for name, ok in checks.items() if not ok]


@dataclass(frozen=True)
class BatteryFade:
    """Capacity fade over one simulated period.

    Attributes
    ----------
    cycle_fade_frac, calendar_fade_frac, total_fade_frac : float
        :math:`Q_{cyc}`, :math:`Q_{cal}`, their sum [share of nominal capacity].
    fade_per_year_frac : float
        ``total_fade_frac`` per year of the period [1/year].
    equivalent_full_cycles : float
        :math:`\\sum_i n_i \\delta_i` [-].
    duration_years : float
        Length of the period [year].
    cycle_depth_frac, cycle_count : ndarray
        Rainflow cycles: depth [-] and count (1 or 0.5).
    """

    cycle_fade_frac: float
    calendar_fade_frac: float
    total_fade_frac: float
    fade_per_year_frac: float
    equivalent_full_cycles: float
    duration_years: float
    cycle_depth_frac: np.ndarray
    cycle_count: np.ndarray


def cycle_fade_frac(depth_frac: np.ndarray, count: np.ndarray, params: DegradationParams) -> float:
    r""":math:`Q_{EoL} \sum_i n_i (\delta_i/\delta_{ref})^k / N_{ref}` [-]."""
    damage = np.sum(count * (depth_frac / params.ref_depth_frac) ** params.wohler_exponent) / params.cycle_life_at_ref
    return float(params.end_of_life_fade_frac * damage)


def calendar_fade_frac(duration_years: float, params: DegradationParams, *, age_years: float = 0.0,
                       temp_c: float | None = None) -> float:
    r"""Calendar fade from age :math:`a` to :math:`a + \tau` years at ``temp_c`` [degC] [-]."""
    temp_k = (params.ref_temp_c if temp_c is None else temp_c) + 273.15
    ref_k = params.ref_temp_c + 273.15
    arrhenius = math.exp(-params.activation_energy_j_per_mol / GAS_CONSTANT_J_PER_MOL_K * (1 / temp_k - 1 / ref_k))
    return params.calendar_fade_frac_per_sqrt_year * arrhenius * (math.sqrt(age_years + duration_years)
                                                                   - math.sqrt(age_years))


def battery_fade(soc_kwh, energy_kwh: float, *, step_h: float, age_years: float = 0.0,
                 temp_c: float | None = None, params: DegradationParams | None = None) -> BatteryFade:
    """Capacity fade of a battery that followed ``soc_kwh`` (module equations).

    Parameters
    ----------
    soc_kwh : array, shape (T + 1,) or (T,)
        Stored energy trajectory [kWh], e.g. ``BatteryTrace.soc_kwh``.
    energy_kwh : float
        Nominal capacity the depths are relative to [kWh], > 0.
    step_h : float
        Step [h]; the period lasts ``(len(soc_kwh) - 1) * step_h`` hours.
    age_years : float
        Battery age at the start of the period [year] (calendar fade slows with age).
    temp_c : float, optional
        Mean cell temperature [degC]; the reference temperature by default.
    params : DegradationParams, optional
        Model parameters; defaults from ``degradation_defaults.yaml``.

    Returns
    -------
    BatteryFade
    """
    params = params or DegradationParams()
    problems = params.problems()
    soc = as_series(soc_kwh, "soc_kwh", problems)
    if not (np.isfinite(energy_kwh) and energy_kwh > 0):
        problems.append(Problem("energy_kwh", f"must be > 0 kWh, got {energy_kwh!r}"))
    if soc.size < 2:
        problems.append(Problem("soc_kwh", "needs at least two values"))
    if step_h not in (0.25, 1.0):
        problems.append(Problem("step_h", f"must be 0.25 or 1.0 h, got {step_h!r}"))
    if not age_years >= 0:
        problems.append(Problem("age_years", f"must be >= 0, got {age_years!r}"))
    if temp_c is not None and not -40 <= temp_c <= 80:
        problems.append(Problem("temp_c", f"must be in [-40, 80] degC, got {temp_c!r}"))
    raise_if(problems)
    depth, _, count = rainflow_kernel(soc / energy_kwh)
    years = (soc.size - 1) * step_h / 8760.0
    q_cyc = cycle_fade_frac(depth, count, params)
    q_cal = calendar_fade_frac(years, params, age_years=age_years, temp_c=temp_c)
    total = q_cyc + q_cal
    return BatteryFade(q_cyc, q_cal, total, total / years, float(np.sum(depth * count)), years, depth, count)
