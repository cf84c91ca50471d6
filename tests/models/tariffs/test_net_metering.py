"""Net metering: monthly or annual netting, credit limited to imports, excess at a wholesale rate, size cap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.models.dispatch import DispatchProblem, Meter, PVArray, solve
from munigrid.models.errors import InputError
from munigrid.models.tariffs.library import parse_tariff_file

INDEX = pd.date_range("2025-06-01", "2025-08-01", freq="h", inclusive="left", tz="Asia/Bangkok")
JUNE = INDEX < pd.Timestamp("2025-07-01", tz="Asia/Bangkok")


def _tariff(netting="monthly", rates=None, cap=None):
    raw = {"version": "t", "calendars": {"flat": {"default_period": "all"},
                                         "tou": {"default_period": "off_peak", "rules": [
                                             {"period": "on_peak", "days": ["mon", "tue", "wed", "thu", "fri"],
                                              "start": "09:00", "end": "22:00"}]}},
           "tariffs": [{"variants": [{"id": "nm", "utility": "T", "voltage": "LV"}], "name": "nm", "category": "t",
                        "calendar": "tou" if rates else "flat", "ft_applies": False, "vat_frac": 0.0,
                        "energy": {"rates_thb_per_kwh": rates or {"all": 4.0}, "source": "t", "as_of": "2026"},
                        "export": {"kind": "net_metering", "netting": netting, "price_thb_per_kwh": 1.0,
                                   "system_cap_kw": cap, "source": "t", "as_of": "2026"}}]}
    return parse_tariff_file(raw, "test")["nm"]


def _flows():
    """June: 100 kWh imported, 60 exported; July: 50 imported, 80 exported (one hour each)."""
    imports, exports = pd.Series(0.0, index=INDEX), pd.Series(0.0, index=INDEX)
    imports.iloc[10], exports.iloc[12] = 100.0, 60.0
    imports.iloc[-10], exports.iloc[-12] = 50.0, 80.0
    return imports, exports


@pytest.mark.parametrize(("netting", "credits"), [
    # June: 60 netted x 4; July: 50 netted x 4 + 30 excess x 1 (wholesale)
    ("monthly", [240.0, 230.0]),
    # annual: 140 exported <= 150 imported, all netted at 4 THB/kWh
    ("annual", [240.0, 320.0]),
])
def test_credit_is_limited_to_imports_and_the_excess_earns_the_wholesale_rate(netting, credits):
    tariff = _tariff(netting)
    imports, exports = _flows()
    bill = tariff.bill(imports, export_kw=exports)
    assert bill.monthly.export_credit_thb.tolist() == pytest.approx(credits)
    assert bill.total_thb == pytest.approx(150 * 4.0 - sum(credits))
    terms = tariff.cost_terms(INDEX)
    assert terms.cost_thb(imports.to_numpy(), exports.to_numpy()) == pytest.approx(bill.total_thb, abs=0.05)


def test_tou_credits_the_most_valuable_export_first():
    """On-peak 5, off-peak 2 THB/kWh, wholesale 1. 15 kWh imported; 10 kWh exported on-peak (Mon 2 June
    12:00) and 10 off-peak (Sun 1 June 12:00): 10 on-peak netted (+4 each over wholesale), 5 off-peak
    (+1 each), all 20 at wholesale: 20 + 40 + 5 = 65 THB."""
    tariff = _tariff(rates={"on_peak": 5.0, "off_peak": 2.0})
    imports, exports = pd.Series(0.0, index=INDEX), pd.Series(0.0, index=INDEX)
    imports[pd.Timestamp("2025-06-03 23:00", tz="Asia/Bangkok")] = 15.0
    exports[pd.Timestamp("2025-06-02 12:00", tz="Asia/Bangkok")] = 10.0
    exports[pd.Timestamp("2025-06-01 12:00", tz="Asia/Bangkok")] = 10.0
    bill = tariff.bill(imports, export_kw=exports)
    assert bill.monthly.export_credit_thb.iloc[0] == pytest.approx(65.0)
    assert tariff.cost_terms(INDEX).cost_thb(imports.to_numpy(), exports.to_numpy()) == pytest.approx(
        bill.total_thb, abs=0.05)


def test_random_schedules_bill_equals_cost_terms():
    rng = np.random.default_rng(4)
    for netting in ("monthly", "annual"):
        tariff = _tariff(netting, rates={"on_peak": 5.0, "off_peak": 2.0})
        terms = tariff.cost_terms(INDEX)
        for _ in range(3):
            imports = pd.Series(rng.uniform(0, 5, len(INDEX)) * (rng.random(len(INDEX)) < 0.5), index=INDEX)
            exports = pd.Series(rng.uniform(0, 8, len(INDEX)) * (imports.to_numpy() == 0), index=INDEX)
            assert terms.cost_thb(imports.to_numpy(), exports.to_numpy()) == pytest.approx(
                tariff.bill(imports, export_kw=exports).total_thb, abs=0.1)


def test_optimiser_nets_up_to_imports():
    """Flat 4 THB/kWh, wholesale 1, monthly netting. June: 10 kW load for 10 h, PV 30 kW for 5 other hours
    (150 kWh exported): 100 kWh netted (-400), 50 at wholesale (-50) against 400 of imports: 400 - 450 = -50."""
    pv = np.zeros(len(INDEX))
    load = np.zeros(len(INDEX))
    load[:10], pv[20:25] = 10.0, 30.0
    terms = _tariff().cost_terms(INDEX)
    meter = Meter("m", load, terms, pv=[PVArray("roof", pv, capacity_kwp=1.0)])
    result = solve(DispatchProblem(1.0, [meter]))
    assert result.objective_thb == pytest.approx(-50.0, abs=1e-6)
    s = result.schedules["m"]
    assert terms.cost_thb(s.import_kw, s.export_kw) == pytest.approx(result.objective_thb, abs=1e-6)


def test_system_size_cap():
    rule = _tariff(cap=10.0).export_rule(None)
    rule.check_system_kw(10.0)
    with pytest.raises(InputError, match="up to 10 kW"):
        rule.check_system_kw(12.0, "buildings[0].pv_arrays")
