"""Coincident-peak groups: non-contiguous hours, possibly in several months, charged once per group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, solve
from munigrid.models.tariffs.library import parse_tariff_file

LOSSLESS = dict(charge_eff_frac=1.0, discharge_eff_frac=1.0, soc_min_frac=0.0, soc_max_frac=1.0,
                soc_initial_frac=0.0)
# one group: the afternoons 13:00-15:00 of 30 June and 1 July 2025 (two months)
GROUP = {"name": "summer_afternoons", "intervals": [{"start": "2025-06-30T13:00", "end": "2025-06-30T15:00"},
                                                    {"start": "2025-07-01T13:00", "end": "2025-07-01T15:00"}]}


def _tariff():
    raw = {"version": "t", "calendars": {"flat": {"default_period": "all"}},
           "tariffs": [{"variants": [{"id": "cp", "utility": "T", "voltage": "LV"}], "name": "cp", "category": "t",
                        "calendar": "flat", "ft_applies": False, "vat_frac": 0.0,
                        "energy": {"rates_thb_per_kwh": {"all": 1.0}, "source": "t", "as_of": "2026"},
                        "demand": [{"name": "cp", "coincident_groups": [GROUP], "rate_thb_per_kw": [50.0],
                                    "round_to_kw": False, "source": "t", "as_of": "2026"}]}]}
    return parse_tariff_file(raw, "test")["cp"]


INDEX = pd.date_range("2025-06-30", "2025-07-02", freq="h", inclusive="left", tz="Asia/Bangkok")


def test_group_charged_once_on_its_highest_import_in_the_month_of_its_last_step():
    """10 kW all the time; 40 kW at 30 June 14:00 and 25 kW at 1 July 13:00 (both in the group);
    90 kW at 30 June 16:00 is outside it. Charge: 50 THB/kW x 40 kW once, billed in July;
    energy 48 x 10 + 30 + 15 + 80 kWh at 1 THB."""
    load = pd.Series(10.0, index=INDEX)
    for stamp, kw in (("2025-06-30 14:00", 40.0), ("2025-07-01 13:00", 25.0), ("2025-06-30 16:00", 90.0)):
        load[pd.Timestamp(stamp, tz="Asia/Bangkok")] = kw
    bill = _tariff().bill(load)
    assert bill.monthly.demand_thb.tolist() == pytest.approx([0.0, 2000.0])
    assert bill.total_thb == pytest.approx(2000.0 + 480 + 30 + 15 + 80)
    terms = _tariff().cost_terms(INDEX)
    assert terms.cost_thb(load.to_numpy()) == pytest.approx(bill.total_thb, abs=0.05)


def test_optimiser_shaves_the_group_peak_once():
    """Load 10 kW, 40 kW at 30 June 14:00; a 30 kWh / 30 kW battery, empty: charging before the group
    and discharging at 14:00 brings every group hour to 10 kW: 500 THB instead of 2,000 (lossless, flat energy)."""
    load = np.full(len(INDEX), 10.0)
    load[14] = 40.0
    terms = _tariff().cost_terms(INDEX)
    result = solve(DispatchProblem(1.0, [Meter("m", load, terms, battery=Battery(energy_kwh=30, power_kw=30,
                                                                                   **LOSSLESS))]))
    energy = load.sum()
    assert result.objective_thb == pytest.approx(energy + 50 * 10.0, rel=1e-9)
    assert terms.cost_thb(result.schedules["m"].import_kw) == pytest.approx(result.objective_thb, rel=1e-9)


def test_random_schedules_bill_equals_cost_terms():
    rng = np.random.default_rng(2)
    tariff = _tariff()
    terms = tariff.cost_terms(INDEX)
    for _ in range(5):
        load = pd.Series(rng.uniform(0, 50, len(INDEX)), index=INDEX)
        assert terms.cost_thb(load.to_numpy()) == pytest.approx(tariff.bill(load).total_thb, abs=0.1)
