"""Hand-solvable cases with exact answers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from munigrid.models.dispatch import Battery, DispatchProblem, Generator, Meter, SolveStatus, solve

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


def test_demand_charge_is_shaved_to_the_power_limit(flat_terms):
    """Load [10, 30, 10], 100 THB/kW demand, 10 kW battery: peak 20 kW, cost 50 + 2000."""
    terms = flat_terms([1.0, 1.0, 1.0], demand_thb_per_kw=100.0)
    bat = Battery(energy_kwh=20, power_kw=10, **LOSSLESS)
    result = solve(DispatchProblem(1.0, [Meter("m", np.array([10.0, 30.0, 10.0]), terms, battery=bat)]))
    assert result.objective_thb == pytest.approx(2050.0, rel=1e-9)
    assert result.schedules["m"].import_kw.max() == pytest.approx(20.0, abs=1e-7)
    assert result.costs_thb["demand"] == pytest.approx(2000.0, rel=1e-9)


def test_minimum_demand_rule_floors_the_charge(flat_terms):
    """70 % of an earlier 3000 THB demand charge (2100) exceeds this month's 2000 THB."""
    terms = flat_terms([1.0, 1.0, 1.0], demand_thb_per_kw=100.0, ratchet_frac=0.7, ratchet_history_thb=3000.0)
    bat = Battery(energy_kwh=20, power_kw=10, **LOSSLESS)
    result = solve(DispatchProblem(1.0, [Meter("m", np.array([10.0, 30.0, 10.0]), terms, battery=bat)]))
    assert result.objective_thb == pytest.approx(50.0 + 2100.0, rel=1e-9)
    assert terms.cost_thb(result.schedules["m"].import_kw) == pytest.approx(result.objective_thb, rel=1e-9)


def test_generator_commitment_exact(flat_terms):
    """Outage, load [20, 5, 20], 30 kW genset with 50 % minimum load: off in the middle, 5 kW shed."""
    terms = flat_terms([5.0, 5.0, 5.0])
    gen = Generator(rating_kw=30, min_load_frac=0.5, startup_thb=100, fuel_slope_l_per_kwh=0.25,
                    fuel_intercept_l_per_kwh=0.1, fuel_thb_per_l=30.0)
    meter = Meter("m", np.array([20.0, 5.0, 20.0]), terms, generator=gen, outage=np.ones(3, bool),
                  voll_thb_per_kwh=1000.0, critical_frac=0.0)
    result = solve(DispatchProblem(1.0, [meter]))
    s = result.schedules["m"]
    assert result.status is SolveStatus.OPTIMAL and result.n_binaries > 0
    np.testing.assert_array_equal(s.gen_on, [True, False, True])
    np.testing.assert_allclose(s.gen_kw, [20, 0, 20], atol=1e-7)
    np.testing.assert_allclose(s.shed_kw, [0, 5, 0], atol=1e-7)
    # fuel per running hour 0.25 * 20 + 0.1 * 30 = 8 L at 30 THB; two starts; 5 kWh lost at 1000 THB/kWh
    assert result.objective_thb == pytest.approx(2 * 8 * 30 + 2 * 100 + 5 * 1000, rel=1e-9)
    np.testing.assert_allclose(s.fuel_l, [8, 0, 8], atol=1e-7)


def test_negative_prices_get_binaries_only_where_needed(flat_terms):
    """A full battery at a negative price: the LP charges and discharges at once to burn energy.

    Without that, the best is to discharge 2 kW at t0 (2 / 0.9 kWh out of store) and refill it at
    t1 (charge 2 / 0.81 kW): imports [0, 2 + 2 / 0.81, 2] at prices [3, -5, 3].
    """
    terms = flat_terms([3.0, -5.0, 3.0])
    bat = Battery(energy_kwh=10, power_kw=5, charge_eff_frac=0.9, discharge_eff_frac=0.9, soc_min_frac=0.0,
                  soc_max_frac=1.0, soc_initial_frac=1.0)
    result = solve(DispatchProblem(1.0, [Meter("m", np.full(3, 2.0), terms, battery=bat)]))
    s = result.schedules["m"]
    assert 0 < result.n_binaries <= 3
    assert np.all(np.minimum(s.charge_kw, s.discharge_kw) <= 1e-7)
    assert result.objective_thb == pytest.approx(terms.cost_thb(s.import_kw), rel=1e-9)
    assert result.objective_thb == pytest.approx(-5.0 * (2 + 2 / 0.81) + 3.0 * 2, rel=1e-9)


def test_standby_generator_runs_only_in_the_outage(flat_terms):
    """Grid at 50 THB/kWh, generator fuel at 7.5 THB/kWh (+ 0.1 L/h/kW no-load): a set allowed to run in
    parallel with the grid serves all three hours; a standby set only the outage hour."""
    meter = Meter("m", np.full(3, 20.0), flat_terms([50.0, 50.0, 50.0]), outage=np.array([False, False, True]),
                  generator=Generator(rating_kw=30, min_load_frac=0.5, fuel_slope_l_per_kwh=0.25,
                                      fuel_intercept_l_per_kwh=0.1, fuel_thb_per_l=30.0))
    standby = solve(DispatchProblem(1.0, [meter]))
    parallel = solve(DispatchProblem(1.0, [replace(meter, generator=replace(meter.generator, standby_only=False))]))
    np.testing.assert_allclose(standby.schedules["m"].gen_kw, [0, 0, 20], atol=1e-7)
    np.testing.assert_allclose(parallel.schedules["m"].gen_kw, [20, 20, 20], atol=1e-7)
    fuel_thb_per_h = (0.25 * 20 + 0.1 * 30) * 30.0
    assert standby.objective_thb == pytest.approx(2 * 20 * 50.0 + fuel_thb_per_h, rel=1e-9)
    assert parallel.objective_thb == pytest.approx(3 * fuel_thb_per_h, rel=1e-9)
