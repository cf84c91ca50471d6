"""The bill floor is added to the model only where it binds, and the optimum is the one with the rows."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, solve
from munigrid.models.dispatch import strategy
from munigrid.models.dispatch.bill_floor import completed, has_bill_floor, without_bill_floor
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.problem import SolveOptions
from munigrid.models.tariffs import DemandCharge, TariffCostTerms, get_tariff

LOSSLESS = dict(charge_eff_frac=1.0, discharge_eff_frac=1.0, soc_min_frac=0.0, soc_max_frac=1.0,
                soc_initial_frac=0.0)


def _problem(history_thb: float) -> DispatchProblem:
    """Load [10, 30, 10] kW over three 1-h steps, 1 THB/kWh, 100 THB/kW, 70 % of ``history_thb`` as the
    floor; a lossless 20 kWh / 10 kW empty battery shaves the peak to 20 kW (energy stays 50 kWh)."""
    charge = DemandCharge("demand", np.ones((1, 3), bool), np.array([[100.0]]), np.zeros(1), np.zeros((1, 1)),
                          ratchet_frac=0.7, ratchet_lookback_periods=12, ratchet_history_thb=history_thb,
                          ratchet_floors_bill=True)
    terms = TariffCostTerms(step_h=1.0, period_of_step=np.zeros(3, int), import_thb_per_kwh=np.ones(3),
                            export_thb_per_kwh=np.zeros(3), demand_charges=[charge],
                            fixed_thb_per_period=np.zeros(1), base_energy_thb_per_kwh=np.ones(3))
    battery = Battery(energy_kwh=20, power_kw=10, **LOSSLESS)
    return DispatchProblem(1.0, [Meter("m", np.array([10.0, 30.0, 10.0]), terms, battery=battery)])


def _with_rows_from_the_start(data, options: SolveOptions) -> float:
    """The optimum of the strategy's steps 1-4 on the model with its floor rows (no step 0)."""
    clock = strategy._Clock(time.perf_counter() + options.time_limit_s)
    return strategy._steps(data, options, clock, strategy._Best()).outcome.objective_thb


@pytest.mark.parametrize(("history_thb", "binds", "expected_thb"), [
    # floor 0.7 x 3,000 = 2,100 > 50 kWh + 20 kW x 100 = 2,050: binds, the month costs 2,100
    (3000.0, True, 2100.0),
    # floor 0.7 x 1,000 = 700 < 2,050: the shaved peak is the optimum, rows never added
    (1000.0, False, 2050.0),
])
def test_floor_rows_only_when_the_floor_binds(history_thb, binds, expected_thb):
    problem = _problem(history_thb)
    data = build_model_data(problem)
    assert has_bill_floor(data)
    run = strategy.solve_strategy(data, problem.options)
    assert run.floor_rows_solved is binds
    assert run.outcome.objective_thb == pytest.approx(expected_thb, rel=1e-9)
    assert run.outcome.objective_thb == pytest.approx(_with_rows_from_the_start(data, problem.options), rel=1e-9)
    result = solve(problem)
    assert result.objective_thb == pytest.approx(expected_thb, rel=1e-9)
    assert result.costs_thb["minimum_charge"] == pytest.approx(expected_thb - 2050.0, abs=1e-6)
    terms = problem.meters[0].terms
    assert terms.cost_thb(result.schedules["m"].import_kw) == pytest.approx(expected_thb, rel=1e-9)


def test_relaxation_answer_completed_with_the_least_adjustment():
    """Without the rows the optimum is 2,050 (peak shaved); completed, its adjustment is 2,100 - 2,050."""
    problem = _problem(3000.0)
    data = build_model_data(problem)
    relaxed = without_bill_floor(data)
    assert not has_bill_floor(relaxed)
    run = strategy.solve_strategy(relaxed, problem.options)
    assert run.outcome.objective_thb == pytest.approx(2050.0, rel=1e-9)
    _, adjustment_thb = completed(data, run.outcome.x)
    assert adjustment_thb == pytest.approx(50.0, abs=1e-6)


@pytest.mark.parametrize(("history_thb", "binds"), [(0.0, False), (200000.0, True)])
def test_thai_two_months_same_optimum_as_with_the_rows(history_thb, binds):
    """PEA 3.2, May-June hourly, a battery: with a high charge before the data the floor binds."""
    index = pd.date_range("2025-05-01", "2025-07-01", freq="h", inclusive="left", tz="Asia/Bangkok")
    hour = index.hour.to_numpy()
    load_kw = np.where((hour >= 9) & (hour < 17), 60.0, 5.0) + np.random.default_rng(3).uniform(0, 10, len(index))
    terms = get_tariff("pea-3.2-22-33kv").cost_terms(index, ft=0.2, ratchet_history_thb=history_thb)
    problem = DispatchProblem(1.0, [Meter("m", load_kw, terms, battery=Battery(energy_kwh=100, power_kw=40,
                                                                                **LOSSLESS))])
    data = build_model_data(problem)
    run = strategy.solve_strategy(data, problem.options)
    assert run.floor_rows_solved is binds
    assert run.outcome.objective_thb == pytest.approx(_with_rows_from_the_start(data, problem.options), rel=1e-9)
