"""Shared check of the tariff optimiser tests: the optimum is the tariff cost of its own schedule."""

from __future__ import annotations

import numpy as np
import pytest

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, solve
from munigrid.models.tariffs import TariffCostTerms

LOSSLESS = dict(charge_eff_frac=1.0, discharge_eff_frac=1.0, soc_min_frac=0.0, soc_max_frac=1.0,
                soc_initial_frac=0.0)


def assert_optimum(terms: TariffCostTerms, load_kw, expected_thb: float, battery_kwh: float = 0.0,
                   battery_kw: float = 0.0) -> None:
    """One 1-h meter with an optional lossless empty battery: optimum and cost terms both ``expected_thb``."""
    battery = Battery(energy_kwh=battery_kwh, power_kw=battery_kw, **LOSSLESS) if battery_kwh else None
    result = solve(DispatchProblem(1.0, [Meter("m", np.asarray(load_kw, float), terms, battery=battery)]))
    assert result.objective_thb == pytest.approx(expected_thb, rel=1e-9)
    assert terms.cost_thb(result.schedules["m"].import_kw) == pytest.approx(expected_thb, rel=1e-9)
