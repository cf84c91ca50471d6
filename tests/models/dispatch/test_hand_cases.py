"""Hand-solvable cases with exact answers."""

from __future__ import annotations

import numpy as np
import pytest

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, PVArray, SolveStatus, solve

LOSSLESS = dict(charge_eff_frac=1.0, discharge_eff_frac=1.0, soc_min_frac=0.0, soc_max_frac=1.0,
                soc_initial_frac=0.0)


def test_arbitrage_charges_and_discharges_exactly(flat_terms):
    """Prices [10, 50, 10, 5000, 10], 4 kW / 6 kWh lossless, empty at both ends."""
    terms = flat_terms([10, 50, 10, 5000, 10])
    problem = DispatchProblem(1.0, [Meter("m", np.full(5, 4.0), terms, battery=Battery(energy_kwh=6, power_kw=4,
                                                                                      **LOSSLESS))])
    result = solve(problem)
    schedule = result.schedules["m"]
    assert result.status is SolveStatus.OPTIMAL
    np.testing.assert_allclose(schedule.charge_kw, [4, 0, 4, 0, 0], atol=1e-7)
    np.testing.assert_allclose(schedule.discharge_kw, [0, 4, 0, 4, 0], atol=1e-7)
    np.testing.assert_allclose(schedule.soc_kwh, [0, 4, 0, 4, 0, 0], atol=1e-7)
    assert result.objective_thb == pytest.approx(8 * 10 + 8 * 10 + 4 * 10, rel=1e-9)
