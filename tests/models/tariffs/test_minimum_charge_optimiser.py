"""The Thai minimum charge in the optimiser: a floor on the bill, not on the demand charge."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, solve
from munigrid.models.tariffs import DemandCharge, TariffCostTerms, get_tariff

LOSSLESS = dict(charge_eff_frac=1.0, discharge_eff_frac=1.0, soc_min_frac=0.0, soc_max_frac=1.0,
                soc_initial_frac=0.0)


def _terms(floors_bill: bool) -> TariffCostTerms:
    """Three 1-h steps, 1 THB/kWh, 100 THB/kW demand, 70 % of a 3,000 THB charge before the horizon."""
    charge = DemandCharge("demand", np.ones((1, 3), bool), np.array([[100.0]]), np.zeros(1), np.zeros((1, 1)),
                          ratchet_frac=0.7, ratchet_lookback_periods=12, ratchet_history_thb=3000.0,
                          ratchet_floors_bill=floors_bill)
    return TariffCostTerms(step_h=1.0, period_of_step=np.zeros(3, int), import_thb_per_kwh=np.ones(3),
                           export_thb_per_kwh=np.zeros(3), demand_charges=[charge], fixed_thb_per_period=np.zeros(1),
                           base_energy_thb_per_kwh=np.ones(3))


@pytest.mark.parametrize(("floors_bill", "expected_thb"), [(True, 2100.0), (False, 2150.0)])
def test_the_two_readings_differ_by_the_energy_charge(floors_bill, expected_thb):
    """Load [10, 30, 10] kW; a 20 kWh / 10 kW empty battery shaves the peak to 20 kW (energy 50 kWh).

    Floor 0.7 x 3,000 = 2,100 THB. Published reading: max(50 + 20 x 100, 2,100) = 2,100.
    Older reading (floor on the demand charge): 50 + max(2,000, 2,100) = 2,150.
    """
    terms = _terms(floors_bill)
    meter = Meter("m", np.array([10.0, 30.0, 10.0]), terms, battery=Battery(energy_kwh=20, power_kw=10, **LOSSLESS))
    result = solve(DispatchProblem(1.0, [meter]))
    assert result.objective_thb == pytest.approx(expected_thb, rel=1e-9)
    assert terms.cost_thb(result.schedules["m"].import_kw) == pytest.approx(expected_thb, rel=1e-9)


def test_without_a_battery_both_readings_bill_the_peak():
    """No battery: 50 + 30 x 100 = 3,050 THB > 2,100 under both readings."""
    for floors_bill in (True, False):
        terms = _terms(floors_bill)
        result = solve(DispatchProblem(1.0, [Meter("m", np.array([10.0, 30.0, 10.0]), terms)]))
        assert result.objective_thb == pytest.approx(3050.0, rel=1e-9)


@pytest.mark.parametrize("history_thb", [0.0, 200000.0])
def test_thai_tariff_optimum_is_its_own_bill_over_two_months(history_thb):
    """3.2 TOU, May-June hourly, a battery; with a high charge before the data the floor binds.

    The optimiser's objective equals the cost terms of its schedule, and the bill of that
    schedule within the satang rounding of each item.
    """
    index = pd.date_range("2025-05-01", "2025-07-01", freq="h", inclusive="left", tz="Asia/Bangkok")
    rng = np.random.default_rng(3)
    hour = index.hour.to_numpy()
    load_kw = np.where((hour >= 9) & (hour < 17), 60.0, 5.0) + rng.uniform(0, 10, len(index))
    tariff = get_tariff("pea-3.2-22-33kv")
    terms = tariff.cost_terms(index, ft=0.2, ratchet_history_thb=history_thb)
    battery = Battery(energy_kwh=100, power_kw=40, **LOSSLESS)
    result = solve(DispatchProblem(1.0, [Meter("m", load_kw, terms, battery=battery)]))
    import_kw = result.schedules["m"].import_kw
    assert terms.cost_thb(import_kw) == pytest.approx(result.objective_thb, rel=1e-7)
    bill = tariff.bill(pd.Series(np.maximum(import_kw, 0.0), index=index), ft=0.2, ratchet_history_thb=history_thb)
    adjustment = bill.monthly.min_charge_adjustment_thb
    assert (adjustment > 0).all() if history_thb else (adjustment == 0).all()
    # demand rounding to the kW: at most half a kW per month at 132.93 THB/kW, VAT included
    assert bill.total_thb == pytest.approx(result.objective_thb, abs=2 * (0.5 * 132.93 * 1.07 + 0.05))


def test_random_schedules_bill_equals_cost_terms_with_the_floor_binding():
    """Random whole-kW schedules, low energy, high history: the adjustment binds and bill = cost terms."""
    index = pd.date_range("2025-01-01", "2025-03-01", freq="15min", inclusive="left", tz="Asia/Bangkok")
    rng = np.random.default_rng(11)
    for tariff_id in ("pea-3.1-lt22kv", "mea-3.2-12-24kv", "pea-4.1-ge69kv"):
        tariff = get_tariff(tariff_id)
        load = pd.Series(rng.integers(0, 3, len(index)).astype(float), index=index)
        bill = tariff.bill(load, ft=0.1, ratchet_history_thb=50000.0)
        assert (bill.monthly.min_charge_adjustment_thb > 0).all()
        terms = tariff.cost_terms(index, ft=0.1, ratchet_history_thb=50000.0)
        assert terms.cost_thb(load.to_numpy()) == pytest.approx(bill.total_thb, abs=0.2)
        assert replace(terms, base_energy_thb_per_kwh=None).bill_floor is not None
