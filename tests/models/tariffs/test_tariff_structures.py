"""General tariff structures on hand-solvable cases, written as user tariff files (no code)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from munigrid.models.errors import InputError
from munigrid.models.tariffs import ExportRule, Tariff, load_tariff_file

SRC = {"source": "test case", "as_of": "2025-01"}


def _tariff(tmp_path, energy, demand=(), calendar=None, service=0.0, vat=0.0, ft_applies=False, **extra):
    data = {
        "version": "test",
        "calendars": {"cal": calendar or {"default_period": "all"}},
        "tariffs": [{"variants": [{"id": "test", "utility": "X", "voltage": "LV"}], "name": "test",
                     "category": "t", "calendar": "cal", "energy": {**energy, **SRC},
                     "demand": [{**d, **SRC} for d in demand], "service_thb_per_month": service,
                     "vat_frac": vat, "ft_applies": ft_applies, **extra}],
    }
    path = tmp_path / "tariff.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_tariff_file(path)["test"]


def _months(start, end, freq="15min"):
    return pd.date_range(start, end, freq=freq, inclusive="left", tz="Asia/Bangkok")


def _check_terms_equal_bill(tariff, load, **kw):
    terms = tariff.cost_terms(load.index, **{k: v for k, v in kw.items() if k != "export_kw"})
    export = kw.get("export_kw")
    cost = terms.cost_thb(load.to_numpy(), None if export is None else export.to_numpy())
    bill = tariff.bill(load, **kw)
    assert cost == pytest.approx(bill.total_thb, abs=0.01 * len(bill.monthly))
    return bill


def test_flat_load_under_a_monthly_demand_rate(tmp_path):
    tariff = _tariff(tmp_path, {"rates_thb_per_kwh": {"all": 1.0}},
                     [{"name": "demand", "windows": [["all"]], "rate_thb_per_kw": [100.0]}])
    load = pd.Series(10.0, index=_months("2025-01-01", "2025-02-01"))
    bill = _check_terms_equal_bill(tariff, load)
    assert bill.total_thb == pytest.approx(10 * 744 * 1.0 + 10 * 100.0)


def test_ratchet_with_a_75_percent_look_back(tmp_path):
    tariff = _tariff(tmp_path, {"rates_thb_per_kwh": {"all": 0.0}},
                     [{"name": "demand", "windows": [["all"]], "rate_thb_per_kw": [10.0],
                       "ratchet_frac": 0.75, "ratchet_lookback_months": 1}])
    index = _months("2025-01-01", "2025-05-01", "h")
    peaks = {"2025-01": 100, "2025-02": 90, "2025-03": 80, "2025-04": 40}
    load = pd.Series([float(peaks[str(t.to_period("M"))]) for t in index.tz_localize(None)], index=index)
    bill = _check_terms_equal_bill(tariff, load)
    # Feb max(900, 750) = 900; Mar max(800, 675) = 800; Apr max(400, 0.75 x 800 = 600) = 600
    # (a look-back of one month: January's 1,000 no longer counts in April)
    assert bill.monthly.demand_thb.tolist() == [1000, 900, 800, 400]
    assert bill.monthly.min_charge_adjustment_thb.tolist() == [0, 0, 0, 200]


def test_coincident_peak_windows(tmp_path):
    windows = [{"start": "2025-01-15 14:00", "end": "2025-01-15 15:00"},
               {"start": "2025-01-20 14:00", "end": "2025-01-20 15:00"}]
    tariff = _tariff(tmp_path, {"rates_thb_per_kwh": {"all": 0.0}},
                     [{"name": "coincident peak", "coincident_windows": windows, "rate_thb_per_kw": [50.0]}])
    load = pd.Series(10.0, index=_months("2025-01-01", "2025-02-01"))
    load[pd.Timestamp("2025-01-15 14:15", tz="Asia/Bangkok")] = 30.0
    load[pd.Timestamp("2025-01-15 16:00", tz="Asia/Bangkok")] = 100.0   # outside every window
    bill = _check_terms_equal_bill(tariff, load)
    assert (bill.monthly.demand_cp1_kw.iloc[0], bill.monthly.demand_cp2_kw.iloc[0]) == (30, 10)
    assert bill.total_thb == pytest.approx(50 * 30 + 50 * 10)


def test_per_period_demand_charges_and_tou_by_month(tmp_path):
    calendar = {"default_period": "off", "rules": [
        {"period": "summer_peak", "days": ["mon", "tue", "wed", "thu", "fri"], "start": "13:00", "end": "17:00",
         "months": [4, 5]},
        {"period": "peak", "days": ["mon", "tue", "wed", "thu", "fri"], "start": "13:00", "end": "17:00"}]}
    tariff = _tariff(tmp_path, {"rates_thb_per_kwh": {"off": 1.0, "summer_peak": 5.0, "peak": 3.0}},
                     [{"name": "tou demand", "windows": [["summer_peak", "peak"], ["off"]],
                       "rate_thb_per_kw": [20.0, 2.0]}], calendar=calendar)
    load = pd.Series(1.0, index=_months("2025-03-01", "2025-05-01"))
    load[pd.Timestamp("2025-04-01 14:00", tz="Asia/Bangkok")] = 11.0   # Tuesday, summer peak
    bill = _check_terms_equal_bill(tariff, load)
    march, april = bill.monthly.iloc[0], bill.monthly.iloc[1]
    assert march.energy_peak_kwh == pytest.approx(21 * 4)   # 21 weekdays in March 2025
    assert april.energy_summer_peak_kwh == pytest.approx(22 * 4 + 10 * 0.25)
    assert april.demand_thb == pytest.approx(20 * 11 + 2 * 1)


def test_increasing_demand_blocks(tmp_path):
    tariff = _tariff(tmp_path, {"rates_thb_per_kwh": {"all": 0.0}},
                     [{"name": "blocks", "mode": "blocks", "windows": [["all"]],
                       "blocks": {"upper_kw": [50, None], "rate_thb_per_kw": [100.0, 150.0], **SRC}}])
    load = pd.Series(80.0, index=_months("2025-01-01", "2025-02-01", "h"))
    assert _check_terms_equal_bill(tariff, load).total_thb == pytest.approx(50 * 100 + 30 * 150)


def test_declining_energy_blocks_are_billed_and_flagged_non_convex(tmp_path):
    tariff = _tariff(tmp_path, {"blocks": {"upper_kwh": [100, None], "price_thb_per_kwh": [5.0, 3.0], **SRC}},
                     service=10.0, vat=0.07)
    load = pd.Series(150 / 744, index=_months("2025-01-01", "2025-02-01", "h"))
    bill = _check_terms_equal_bill(tariff, load)
    assert bill.total_thb == pytest.approx(round((100 * 5 + 50 * 3 + 10) * 1.07, 2))
    assert not tariff.cost_terms(load.index).is_convex


def test_fixed_charge_vat_and_ft(tmp_path):
    tariff = _tariff(tmp_path, {"rates_thb_per_kwh": {"all": 2.0}}, service=100.0, vat=0.07, ft_applies=True)
    load = pd.Series(1.0, index=_months("2025-01-01", "2025-02-01", "h"))
    bill = _check_terms_equal_bill(tariff, load, ft=0.5)
    assert bill.total_thb == pytest.approx(round((744 * 2.0 + 100 + 744 * 0.5) * 1.07, 2))


@pytest.mark.parametrize("rule", [ExportRule("fixed", 2.2), ExportRule("net_billing", 2.2)])
def test_export_paid_at_a_fixed_price(tmp_path, rule):
    tariff = _tariff(tmp_path, {"rates_thb_per_kwh": {"all": 4.0}})
    index = _months("2025-01-01", "2025-02-01", "h")
    load = pd.Series(1.0, index=index)
    export = pd.Series(0.0, index=index)
    export.iloc[:10] = 3.0
    bill = _check_terms_equal_bill(tariff, load, export_kw=export, export=rule)
    assert bill.monthly.export_credit_thb.iloc[0] == pytest.approx(30 * 2.2)
    assert bill.total_thb == pytest.approx(744 * 4.0 - 30 * 2.2)


def test_export_at_a_price_series_and_negative_import_split(tmp_path):
    tariff = _tariff(tmp_path, {"rates_thb_per_kwh": {"all": 4.0}})
    index = _months("2025-01-01", "2025-02-01", "h")
    prices = pd.Series(np.where(index.hour < 12, 1.0, 3.0), index=index)
    load = pd.Series(2.0, index=index)
    load[index.hour == 12] = -1.0     # one kWh exported at 12:00 every day, paid 3.0
    bill = tariff.bill(load, export=ExportRule("series", price_series_thb_per_kwh=prices))
    assert bill.monthly.export_kwh.iloc[0] == pytest.approx(31)
    assert bill.monthly.export_credit_thb.iloc[0] == pytest.approx(31 * 3.0)
    assert any("billed as export" in n for n in bill.notes)
    with pytest.raises(InputError, match="does not allow"):
        tariff.bill(load)


def test_plain_price_series_tariff():
    index = _months("2025-01-01", "2025-01-03", "h")
    prices = pd.Series(np.arange(len(index), dtype=float), index=index)
    tariff = Tariff.from_price_series(prices, vat_frac=0.07)
    load = pd.Series(2.0, index=index)
    bill = tariff.bill(load)
    assert bill.total_thb == pytest.approx(round(2.0 * prices.sum() * 1.07, 2))
    assert tariff.cost_terms(index).cost_thb(load.to_numpy()) == pytest.approx(2.0 * prices.sum() * 1.07)


def test_declining_demand_blocks_are_rejected(tmp_path):
    with pytest.raises(InputError, match="not convex"):
        _tariff(tmp_path, {"rates_thb_per_kwh": {"all": 0.0}},
                [{"name": "blocks", "mode": "blocks", "windows": [["all"]],
                  "blocks": {"upper_kw": [50, None], "rate_thb_per_kw": [150.0, 100.0], **SRC}}])
