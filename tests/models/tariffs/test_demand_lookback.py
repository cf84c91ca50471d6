"""kW-based demand lookback (URDB lookbackPercent / REopt lookback_percent): bill and optimiser."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.models.errors import InputError
from munigrid.models.tariffs import DemandCharge, TariffCostTerms
from munigrid.models.tariffs.library import parse_tariff_file
from optimum_check import assert_optimum



def _tariff(**lookback):
    demand = {"name": "demand", "windows": [["all"]], "rate_thb_per_kw": [10.0], "round_to_kw": False,
              "source": "test", "as_of": "2026", **lookback}
    raw = {"version": "t", "calendars": {"flat": {"default_period": "all"}},
           "tariffs": [{"variants": [{"id": "lookback", "utility": "T", "voltage": "LV"}], "name": "lookback",
                        "category": "test", "calendar": "flat", "ft_applies": False, "vat_frac": 0.0,
                        "energy": {"rates_thb_per_kwh": {"all": 0.0}, "source": "test", "as_of": "2026"},
                        "demand": [demand]}]}
    return parse_tariff_file(raw, "test")["lookback"]


def _four_months(peaks_kw):
    index = pd.date_range("2025-01-01", "2025-05-01", freq="h", inclusive="left", tz="Asia/Bangkok")
    load = pd.Series(1.0, index=index)
    for month, peak in zip(range(1, 5), peaks_kw):
        load[pd.Timestamp(f"2025-{month:02d}-10 12:00", tz="Asia/Bangkok")] = peak
    return load


@pytest.mark.parametrize(("lookback", "billed_kw"), [
    # previous 2 months, 80 %: Feb max(50, 80) , Mar max(60, 0.8 x max(100, 50)), Apr max(30, 0.8 x max(50, 60))
    ({"lookback_frac": 0.8, "lookback_range_months": 2}, [100, 80, 80, 48]),
    # January's peak only (calendar month 1), 80 %: 80 in every later month
    ({"lookback_frac": 0.8, "lookback_months": [1]}, [100, 80, 80, 80]),
])
def test_billed_demand_is_at_least_a_share_of_the_lookback_peak(lookback, billed_kw):
    """Peaks 100, 50, 60, 30 kW in Jan-Apr at 10 THB/kW: charges are 10 x the billed demand."""
    tariff = _tariff(**lookback)
    load = _four_months([100, 50, 60, 30])
    bill = tariff.bill(load)
    assert bill.monthly.demand_demand_billed_kw.tolist() == pytest.approx(billed_kw)
    assert bill.monthly.demand_thb.tolist() == pytest.approx([10 * kw for kw in billed_kw])
    terms = tariff.cost_terms(load.index)
    assert terms.cost_thb(load.to_numpy()) == pytest.approx(bill.total_thb, abs=0.05)


def test_random_schedules_bill_equals_cost_terms():
    tariff = _tariff(lookback_frac=0.6, lookback_range_months=3)
    rng = np.random.default_rng(5)
    for _ in range(3):
        load = _four_months(rng.uniform(0, 200, 4))
        load[:] = load.to_numpy() + rng.uniform(0, 20, len(load))
        assert tariff.cost_terms(load.index).cost_thb(load.to_numpy()) == pytest.approx(
            tariff.bill(load).total_thb, abs=0.05)


def test_optimiser_prices_the_lookback():
    """Two periods of two 1-h steps, loads [0, 100 | 10, 10], 10 THB/kW, lookback 80 % of the previous month.

    A 100 kWh / 100 kW empty battery charges 50 at t0 and covers 50 at t1: month 0 peaks at 50 kW,
    month 1 is billed max(10, 0.8 x 50) = 40 kW. Cost 10 x 50 + 10 x 40 = 900 THB (600 without lookback).
    """
    periods = np.array([0, 0, 1, 1])
    for frac, expected in ((0.8, 900.0), (0.0, 600.0)):
        charge = DemandCharge("demand", np.ones((1, 4), bool), np.array([[10.0]]), np.zeros(1), np.zeros((2, 1)),
                              lookback_frac=frac, lookback_mask=np.array([[False, False], [True, False]]))
        terms = TariffCostTerms(step_h=1.0, period_of_step=periods, import_thb_per_kwh=np.zeros(4),
                                export_thb_per_kwh=np.zeros(4), demand_charges=[charge],
                                fixed_thb_per_period=np.zeros(2))
        assert_optimum(terms, [0.0, 100.0, 10.0, 10.0], expected, battery_kwh=100, battery_kw=100)


def test_lookback_needs_one_window_and_one_kind_of_months():
    with pytest.raises(InputError, match="either lookback_months"):
        _tariff(lookback_frac=0.5, lookback_months=[6], lookback_range_months=2)
    with pytest.raises(InputError, match="lookback_frac > 0"):
        _tariff(lookback_months=[6])
