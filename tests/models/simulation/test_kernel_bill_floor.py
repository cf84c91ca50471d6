"""The numba cost kernel applies the published minimum charge as the bill calculator does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.models.simulation.tariff_arrays import pack_tariff, schedule_period_costs_thb
from munigrid.models.tariffs import get_tariff

TARIFF = "pea-3.2-22-33kv"
OLDER = {"demand.0.ratchet_floors": "demand_charge"}
SATANG_SLACK = 0.05  # per month: each bill item is rounded to the satang, VAT included


def _load() -> pd.Series:
    """May-June 2025, 15 min, 40 kW base; 200 kW for one on-peak quarter hour in May, 100 kW in June."""
    index = pd.date_range("2025-05-01", "2025-07-01", freq="15min", inclusive="left", tz="Asia/Bangkok")
    load = pd.Series(40.0, index=index)
    load["2025-05-06 11:00"], load["2025-06-10 11:00"] = 200.0, 100.0
    return load


def _kernel_months(overrides: dict, load: pd.Series) -> np.ndarray:
    arrays = pack_tariff(get_tariff(TARIFF, overrides).cost_terms(load.index, ft=0.2))
    return schedule_period_costs_thb(load.to_numpy(), np.zeros(len(load)), arrays)


@pytest.mark.parametrize("overrides", [{}, OLDER], ids=["bill-floor", "demand-charge-floor"])
def test_kernel_monthly_costs_equal_the_bill(overrides):
    load = _load()
    bill = get_tariff(TARIFF, overrides).bill(load, ft=0.2).monthly
    np.testing.assert_allclose(_kernel_months(overrides, load), bill.total_thb.to_numpy(), atol=SATANG_SLACK)


def test_kernel_readings_differ_where_the_bill_does():
    """June: the 100 kW demand charge 13,293.00 is below 0.7 x May's 26,586.00 = 18,610.20, but June's energy
    charge lifts the month's energy + demand charges above it: the published floor adds nothing, the older
    reading adds 18,610.20 - 13,293.00 = 5,317.20 before VAT (5,689.40 with it). May is the same in both."""
    load = _load()
    published, older = _kernel_months({}, load), _kernel_months(OLDER, load)
    assert published[0] == pytest.approx(older[0], abs=1e-9)
    assert older[1] - published[1] == pytest.approx(5317.20 * 1.07, abs=0.01)
    assert get_tariff(TARIFF).bill(load, ft=0.2).monthly.min_charge_adjustment_thb.iloc[1] == 0


def test_kernel_applies_the_history_floor_on_the_bill():
    """A 1,000,000 THB demand charge before the data floors each month's energy + demand charges at 700,000
    (before VAT), far above them: the kernel and the bill add the same adjustment."""
    load = _load()
    tariff = get_tariff(TARIFF)
    bill = tariff.bill(load, ft=0.2, ratchet_history_thb=1e6).monthly
    assert (bill.min_charge_adjustment_thb > 0).all()
    arrays = pack_tariff(tariff.cost_terms(load.index, ft=0.2, ratchet_history_thb=1e6))
    np.testing.assert_allclose(schedule_period_costs_thb(load.to_numpy(), np.zeros(len(load)), arrays),
                               bill.total_thb.to_numpy(), atol=SATANG_SLACK)
