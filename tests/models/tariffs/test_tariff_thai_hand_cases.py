"""Hand-computed Thai bills with demand: 3.2 TOU and 4.1 TOD, the 70 % minimum, power factor.

Expected values are written out from the published rates (thai-energy.md), not from the
library: 22-33 kV PEA 3.2 = 132.93 THB/kW on-peak demand, 4.1839 / 2.6037 THB/kWh;
4.1 = 285.05 THB/kW peak, 58.88 THB/kW partial peak, 3.1471 THB/kWh; service 312.24; VAT 7 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.models.tariffs import get_tariff, round_half_up

JUNE = pd.date_range("2025-06-01", "2025-07-01", freq="15min", inclusive="left", tz="Asia/Bangkok")
FT_JUNE_2025 = 0.1972  # built-in Ft, May-Aug 2025


def _load(index, base_kw, spikes):
    load = pd.Series(float(base_kw), index=index)
    for stamp, kw in spikes.items():
        load[pd.Timestamp(stamp, tz="Asia/Bangkok")] = kw
    return load


def _vat(*parts):
    return round_half_up(0.07 * sum(parts))


def test_tou_3_2_demand_is_the_on_peak_maximum_rounded_to_the_kw():
    # 50 kW all month; on-peak spike 120.4 kW (Tue 10 Jun 10:00); 300 kW on Saturday and
    # 200 kW on Tue 3 Jun (Queen's birthday, off-peak) are not billed as demand.
    load = _load(JUNE, 50, {"2025-06-10 10:00": 120.4, "2025-06-14 14:00": 300, "2025-06-03 10:00": 200})
    bill = get_tariff("pea-3.2-22-33kv").bill(load)
    row = bill.monthly.iloc[0]
    # 21 weekdays in June 2025, less the 3 June holiday (2 June, a bridge day, stays on-peak)
    on_peak_h = 20 * 13
    on_kwh = 50 * on_peak_h + (120.4 - 50) * 0.25
    off_kwh = 50 * (720 - on_peak_h) + (300 - 50) * 0.25 + (200 - 50) * 0.25
    assert row.energy_on_peak_kwh == pytest.approx(on_kwh)
    assert row.energy_off_peak_kwh == pytest.approx(off_kwh)
    energy = round_half_up(on_kwh * 4.1839 + off_kwh * 2.6037)
    assert row.demand_on_peak_kw == 120
    assert row.demand_kw == 300
    demand = round_half_up(120 * 132.93)
    ft = round_half_up(FT_JUNE_2025 * (on_kwh + off_kwh))
    vat = _vat(energy, demand, 312.24, ft)
    assert (row.energy_thb, row.demand_thb, row.ft_thb, row.vat_thb) == pytest.approx((energy, demand, ft, vat))
    assert row.min_charge_adjustment_thb == 0
    assert bill.total_thb == pytest.approx(round_half_up(energy + demand + 312.24 + ft + vat))


def test_tou_3_2_minimum_charge_floors_the_bill_not_the_demand_charge():
    """June's 100 kW demand charge (13,293.00) is below 70 % of May's (0.7 x 26,586.00 = 18,610.20).

    With a 40 kW base load June's energy charge alone is far above 18,610.20, so the published
    rule (a floor on the month's energy + demand charges) does not bind: no adjustment. The older
    reading (a floor on the demand charge) would add 18,610.20 - 13,293.00 = 5,317.20.
    """
    index = pd.date_range("2025-05-01", "2025-07-01", freq="15min", inclusive="left", tz="Asia/Bangkok")
    load = _load(index, 40, {"2025-05-06 11:00": 200, "2025-06-10 11:00": 100})
    bill = get_tariff("pea-3.2-22-33kv").bill(load)
    may, june = bill.monthly.iloc[0], bill.monthly.iloc[1]
    assert may.demand_thb == pytest.approx(200 * 132.93) and may.min_charge_adjustment_thb == 0
    assert june.demand_thb == pytest.approx(13293.00)
    assert june.energy_thb > 18610.20 and june.min_charge_adjustment_thb == 0
    older = get_tariff("pea-3.2-22-33kv", {"demand.0.ratchet_floors": "demand_charge"}).bill(load).monthly
    assert older.min_charge_adjustment_thb.iloc[1] == pytest.approx(18610.20 - 13293.00)


def test_tou_3_2_minimum_charge_when_both_readings_bind_but_differ():
    """No base load: May imports 200 kW for one on-peak quarter hour, June 100 kW (Ft 0).

    May: 50 kWh x 4.1839 = 209.195 -> 209.20; demand 200 x 132.93 = 26,586.00.
    June: 25 kWh x 4.1839 = 104.5975 -> 104.60; demand 13,293.00; floor 0.7 x 26,586.00 = 18,610.20.
    Published rule: 18,610.20 - (104.60 + 13,293.00) = 5,212.60; older reading: 5,317.20.
    June total: 104.60 + 13,293.00 + 5,212.60 + 312.24 = 18,922.44, VAT 1,324.5708 -> 1,324.57,
    total 20,247.01.
    """
    index = pd.date_range("2025-05-01", "2025-07-01", freq="15min", inclusive="left", tz="Asia/Bangkok")
    load = _load(index, 0, {"2025-05-06 11:00": 200, "2025-06-10 11:00": 100})
    june = get_tariff("pea-3.2-22-33kv").bill(load, ft=0.0).monthly.iloc[1]
    assert (june.energy_thb, june.demand_thb) == pytest.approx((104.60, 13293.00))
    assert june.min_charge_adjustment_thb == pytest.approx(5212.60)
    assert (june.vat_thb, june.total_thb) == pytest.approx((1324.57, 20247.01))
    older = get_tariff("pea-3.2-22-33kv", {"demand.0.ratchet_floors": "demand_charge"}).bill(load, ft=0.0)
    assert older.monthly.min_charge_adjustment_thb.iloc[1] == pytest.approx(5317.20)


def test_minimum_charge_from_the_history_before_the_data():
    """A 40,000 THB demand charge before the data floors June at 28,000.00 (no base load, Ft 0).

    June: 25 kWh x 4.1839 -> 104.60, demand 13,293.00: adjustment 28,000.00 - 13,397.60 = 14,602.40.
    """
    load = _load(JUNE, 0, {"2025-06-10 11:00": 100})
    june = get_tariff("pea-3.2-22-33kv").bill(load, ft=0.0, ratchet_history_thb=40000.0).monthly.iloc[0]
    assert june.min_charge_adjustment_thb == pytest.approx(14602.40)
    base = june.energy_thb + june.demand_thb + june.min_charge_adjustment_thb + june.service_thb
    assert june.vat_thb == pytest.approx(_vat(base))


@pytest.mark.parametrize(("partial_kw", "expected_demand_thb"), [
    (100, 80 * 285.05 + (100 - 80) * 58.88),   # partial peak above the peak: charged on the excess
    (70, 80 * 285.05),                         # partial peak below the peak: no partial charge
])
def test_tod_4_1_partial_peak_is_charged_only_above_the_peak_demand(partial_kw, expected_demand_thb):
    # peak 18:30-21:30 daily (weekends too), partial 08:00-18:30; 500 kW at 02:00 is off-peak: free
    load = _load(JUNE, 30, {"2025-06-14 19:00": 80, "2025-06-11 18:15": partial_kw, "2025-06-20 02:00": 500})
    row = get_tariff("pea-4.1-22-33kv").bill(load, ft=0.0).monthly.iloc[0]
    assert (row.demand_peak_kw, row.demand_partial_peak_kw) == (80, partial_kw)
    assert row.demand_thb == pytest.approx(round_half_up(expected_demand_thb))
    kwh = 30 * 720 + (80 - 30 + partial_kw - 30 + 500 - 30) * 0.25
    assert row.energy_thb == pytest.approx(round_half_up(kwh * 3.1471))
    assert row.vat_thb == pytest.approx(_vat(row.energy_thb, row.demand_thb, 312.24))


def test_tod_4_1_seventy_percent_minimum_charge():
    """No base load, peak 80 kW (Sat 19:00), partial peak 100 kW; 40,000 THB before the data, Ft 0.

    Demand 80 x 285.05 + 20 x 58.88 = 23,981.60; energy 45 kWh x 3.1471 = 141.6195 -> 141.62;
    floor 28,000.00, adjustment 28,000.00 - 24,123.22 = 3,876.78; VAT 0.07 x 28,312.24 -> 1,981.86.
    """
    load = _load(JUNE, 0, {"2025-06-14 19:00": 80, "2025-06-11 12:00": 100})
    row = get_tariff("pea-4.1-22-33kv").bill(load, ft=0.0, ratchet_history_thb=40000.0).monthly.iloc[0]
    assert (row.demand_thb, row.energy_thb) == pytest.approx((23981.60, 141.62))
    assert row.min_charge_adjustment_thb == pytest.approx(3876.78)
    assert row.total_thb == pytest.approx(28312.24 + 1981.86)


def test_demand_rounds_half_up_and_the_boundary_quarter_hour_belongs_to_the_next_period():
    # 18:15-18:30 is partial peak, 18:30-18:45 is peak; 80.5 kW rounds to 81 kW
    load = _load(JUNE, 10, {"2025-06-11 18:15": 90.4, "2025-06-11 18:30": 80.5})
    row = get_tariff("pea-4.1-22-33kv").bill(load, ft=0.0).monthly.iloc[0]
    assert (row.demand_peak_kw, row.demand_partial_peak_kw) == (81, 90)
    assert row.demand_thb == pytest.approx(round_half_up(81 * 285.05 + 9 * 58.88))


def test_power_factor_charge_on_kvar_above_61_97_percent_of_the_kw_peak():
    load = _load(JUNE, 20, {"2025-06-11 10:00": 100})
    kvar = pd.Series(10.0, index=JUNE)
    kvar[pd.Timestamp("2025-06-12 10:00", tz="Asia/Bangkok")] = 80.0
    bill = get_tariff("pea-3.1-22-33kv").bill(load, ft=0.0, kvar=kvar)
    # 80 - 0.6197 x 100 = 18.03 -> 18 kvar x 56.07
    assert bill.monthly.power_factor_thb.iloc[0] == pytest.approx(18 * 56.07)
    assert get_tariff("pea-3.1-22-33kv").bill(load, ft=0.0).monthly.power_factor_thb.iloc[0] == 0
    assert any("power-factor" in n for n in get_tariff("pea-3.1-22-33kv").bill(load, ft=0.0).notes)


def test_lt22kv_tou_on_peak_rate_is_a_parameter():
    load = _load(JUNE, 10, {})
    default = get_tariff("pea-3.2-lt22kv")
    assert default.spec.energy.rates_thb_per_kwh["on_peak"] == 4.3297
    alternative = get_tariff("pea-3.2-lt22kv", {"energy.rates_thb_per_kwh.on_peak": 4.5297})
    on_kwh = default.bill(load, ft=0.0).monthly.energy_on_peak_kwh.iloc[0]
    difference = alternative.bill(load, ft=0.0).monthly.energy_thb.iloc[0] - default.bill(load, ft=0.0).monthly.energy_thb.iloc[0]
    assert difference == pytest.approx(on_kwh * 0.2, abs=0.01)


def test_hourly_meter_data_is_billed_and_the_understatement_reported():
    hourly = pd.date_range("2025-06-01", "2025-07-01", freq="h", inclusive="left", tz="Asia/Bangkok")
    load = pd.Series(np.full(len(hourly), 50.0), index=hourly)
    bill = get_tariff("pea-3.2-22-33kv").bill(load)
    assert bill.monthly.energy_kwh.iloc[0] == pytest.approx(50 * 720)
    assert any("understates" in n for n in bill.notes)
