"""URDB rate JSON import and export: the bundled examples, hand bills, the round trip, refusals."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from munigrid.models.errors import InputError
from munigrid.models.tariffs.urdb import tariff_from_urdb, tariff_to_urdb

EXAMPLES = ("tou_demand", "tiered_lookback", "seasonal_coincident", "tou_tiers")


def _rate(name: str) -> dict:
    text = resources.files("munigrid.models.tariffs").joinpath(f"data/urdb/{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


@pytest.mark.parametrize("name", EXAMPLES)
def test_round_trip_import_export_import_is_equal(name):
    first = tariff_from_urdb(_rate(name))
    exported = tariff_to_urdb(first)
    again = tariff_from_urdb(json.loads(json.dumps(exported)))
    assert (again.spec, again.calendar, again.id) == (first.spec, first.calendar, first.id)
    assert tariff_to_urdb(again) == exported


def test_tou_demand_bill_by_hand():
    """Tue 1 July 2025 (summer), hourly, no VAT/Ft, not rounded. 10 kW all day, 30 kW at 14:00 (summer on-peak,
    12:00-18:00), 50 kW at 20:00 (off-peak). Energy: 17 off-peak h x 10 + 50 (20:00) -> 220 kWh x 0.08;
    on-peak 5 x 10 + 30 = 80 kWh x (0.22 + 0.01). Demand 30 kW x 12.5 (on-peak only). Fixed 25."""
    tariff = tariff_from_urdb(_rate("tou_demand"))
    index = pd.date_range("2025-07-01", periods=24, freq="h", tz="Asia/Bangkok")
    load = pd.Series(10.0, index=index)
    load.iloc[14], load.iloc[20] = 30.0, 50.0
    row = tariff.bill(load).monthly.iloc[0]
    assert row.energy_thb == pytest.approx(round(220 * 0.08 + 80 * 0.23, 2))
    assert row.demand_thb == pytest.approx(375.0)
    assert row.total_thb == pytest.approx(round(220 * 0.08 + 80 * 0.23, 2) + 375.0 + 25.0)


def test_tiered_energy_and_lookback_by_hand():
    """January: 60 h at 100 kW = 6,000 kWh (1,000 x 0.10 + 4,000 x 0.12 + 1,000 x 0.15 = 730), demand
    100 kW x 9 = 900. February: 25 h at 20 kW = 500 kWh (50), billed max(20, 0.8 x 100) = 80 kW x 9 = 720."""
    tariff = tariff_from_urdb(_rate("tiered_lookback"))
    index = pd.date_range("2025-01-01", "2025-03-01", freq="h", inclusive="left", tz="Asia/Bangkok")
    load = pd.Series(0.0, index=index)
    load.iloc[:60] = 100.0
    load.iloc[-25:] = 20.0
    bill = tariff.bill(load).monthly
    assert bill.energy_thb.tolist() == pytest.approx([730.0, 50.0])
    assert bill.demand_thb.tolist() == pytest.approx([900.0, 720.0])
    assert bill.total_thb.tolist() == pytest.approx([730.0 + 900.0 + 40.0, 50.0 + 720.0 + 40.0])


def test_seasonal_coincident_bill_equals_cost_terms_on_random_schedules():
    tariff = tariff_from_urdb(_rate("seasonal_coincident"))
    index = pd.date_range("2025-05-01", "2025-08-01", freq="h", inclusive="left", tz="Asia/Bangkok")
    rng = np.random.default_rng(8)
    terms = tariff.cost_terms(index)
    for _ in range(3):
        load = pd.Series(rng.uniform(0, 40, len(index)), index=index)
        assert terms.cost_thb(load.to_numpy()) == pytest.approx(tariff.bill(load).total_thb, abs=0.05 * 3 * 3)


@pytest.mark.parametrize(("change", "field"), [
    ({"sell": [[{"rate": 0.05}]]}, "sell"),
    ({"fixedchargeunits": "$/day"}, "fixedchargeunits"),
    ({"minmonthlycharge": 10}, "minmonthlycharge"),
    ({"energyratestructure": [[{"rate": 0.1, "unit": "kWh daily"}]]}, "energyratestructure[0][0]"),
])
def test_unsupported_fields_are_refused_by_name(change, field):
    rate = {**_rate("tiered_lookback"), **change}
    with pytest.raises(InputError) as err:
        tariff_from_urdb(rate)
    assert any(field in p.path for p in err.value.problems), err.value.problems


def test_thai_tariff_export_is_refused_with_the_reason():
    from munigrid.models.tariffs import get_tariff

    with pytest.raises(InputError, match="no URDB field"):
        tariff_to_urdb(get_tariff("pea-3.2-lt22kv"))
    plain = get_tariff("pea-3.2-lt22kv", {"vat_frac": 0.0, "power_factor": None, "export": None})
    with pytest.raises(InputError, match="holidays"):
        tariff_to_urdb(plain)
