"""Sizing cases whose optimum is known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from munigrid.models.dispatch import (Battery, DispatchProblem, Meter, PVArray, SizingEconomics, SolveOptions,
                                      capital_recovery_factor, solve)

RATE, LIFE = 0.06, 10.0
N_T = 24
HORIZON_YEARS = N_T / 8760.0


def capex_for(annual_thb_per_unit: float) -> float:
    """Capital cost whose horizon share of the annuity is ``annual_thb_per_unit`` [THB per unit]."""
    return annual_thb_per_unit / (HORIZON_YEARS * capital_recovery_factor(RATE, LIFE))


def test_capital_recovery_factor_known_values():
    assert capital_recovery_factor(0.10, 10) == pytest.approx(0.162745394, rel=1e-8)
    assert capital_recovery_factor(0.0, 20) == pytest.approx(0.05)


def _pv_problem(flat_terms, cost_thb_per_kwp):
    profile = np.zeros(N_T)
    profile[8:16] = 1.0  # 8 kWh per kWp
    arr = PVArray("roof", profile, capacity_kwp=0.0, max_kwp=50.0, capex_thb_per_kwp=capex_for(cost_thb_per_kwp),
                  life_years=LIFE)
    meter = Meter("m", np.full(N_T, 10.0), flat_terms(np.full(N_T, 4.0)), pv=[arr])
    return DispatchProblem(1.0, [meter], SolveOptions(mode="sizing"), SizingEconomics(discount_rate_frac=RATE))


def test_pv_sized_to_the_load_when_it_pays(flat_terms):
    """Each kWp up to the 10 kW load saves 8 kWh x 4 THB = 32 THB > 20 THB; beyond it, output is curtailed."""
    result = solve(_pv_problem(flat_terms, 20.0))
    assert result.sizes["m"].pv_kwp["roof"] == pytest.approx(10.0, abs=1e-6)
    assert result.objective_thb == pytest.approx(4.0 * (240 - 80) + 20.0 * 10, rel=1e-9)
    assert result.costs_thb["pv_capital"] == pytest.approx(200.0, rel=1e-9)
    assert result.schedules["m"].curtailed_kw.sum() == pytest.approx(0.0, abs=1e-6)


def test_no_pv_when_it_does_not_pay(flat_terms):
    result = solve(_pv_problem(flat_terms, 40.0))
    assert result.sizes["m"].pv_kwp["roof"] == pytest.approx(0.0, abs=1e-6)
    assert result.objective_thb == pytest.approx(4.0 * 240, rel=1e-9)


def _battery_problem(flat_terms, cost_thb_per_kwh, block_kwh=None, budget_thb=None):
    prices = np.where(np.arange(N_T) < 12, 1.0, 11.0)  # one 10 THB/kWh spread per day
    bat = Battery(energy_kwh=0.0, c_rate_per_h=1.0, charge_eff_frac=1.0, discharge_eff_frac=1.0, soc_min_frac=0.0,
                  soc_max_frac=1.0, soc_initial_frac=0.0, max_energy_kwh=500.0,
                  capex_thb_per_kwh=capex_for(cost_thb_per_kwh), life_years=LIFE, block_kwh=block_kwh)
    meter = Meter("m", np.full(N_T, 10.0), flat_terms(prices), battery=bat)
    return DispatchProblem(1.0, [meter], SolveOptions(mode="sizing"),
                           SizingEconomics(discount_rate_frac=RATE, budget_thb=budget_thb))


def test_battery_sized_to_the_expensive_energy(flat_terms):
    """Shifting pays 10 THB/kWh > 2 THB/kWh of capacity, up to the 120 kWh used at the high price."""
    result = solve(_battery_problem(flat_terms, 2.0))
    assert result.sizes["m"].battery_kwh == pytest.approx(120.0, abs=1e-6)
    assert result.objective_thb == pytest.approx(120 * 1.0 + 120 * 1.0 + 2.0 * 120, rel=1e-9)


def test_battery_in_whole_blocks(flat_terms):
    """Blocks of 50 kWh: 150 kWh (saving 1200, cost 300) beats 100 kWh (saving 1000, cost 200)."""
    result = solve(_battery_problem(flat_terms, 2.0, block_kwh=50.0))
    assert result.sizes["m"].battery_kwh == pytest.approx(150.0, abs=1e-6)
    assert result.n_binaries >= 1


def test_budget_caps_the_battery(flat_terms):
    capex = capex_for(2.0)
    result = solve(_battery_problem(flat_terms, 2.0, budget_thb=60.0 * capex))
    assert result.sizes["m"].battery_kwh == pytest.approx(60.0, rel=1e-6)


def test_self_sufficiency_target_forces_pv(flat_terms):
    """PV that does not pay is still built to meet a 25 % self-sufficiency target: 60 of 240 kWh -> 7.5 kWp."""
    problem = _pv_problem(flat_terms, 40.0)
    problem = DispatchProblem(problem.step_h, problem.meters, problem.options,
                              SizingEconomics(discount_rate_frac=RATE, min_self_sufficiency_frac=0.25))
    result = solve(problem)
    assert result.sizes["m"].pv_kwp["roof"] == pytest.approx(7.5, rel=1e-6)
