"""Energy and demand tiers that change by month and TOU period: bill, cost terms, optimiser, URDB.

Reading: a tier set counts the energy of its own TOU periods in the billing month (a URDB energy
period's tiers count that period's energy); demand tiers are blocks on one window's demand.
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import yaml

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, SolveStatus, solve
from munigrid.models.errors import InputError
from munigrid.models.tariffs import EnergyBlocks, TariffCostTerms, load_tariff_file
from munigrid.models.tariffs.urdb import tariff_from_urdb, tariff_to_urdb
from optimum_check import LOSSLESS, assert_optimum

SRC = {"source": "test case", "as_of": "2025-01"}


def _urdb(name: str) -> dict:
    text = resources.files("munigrid.models.tariffs").joinpath(f"data/urdb/{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def _hours(start: str, end: str) -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq="h", inclusive="left", tz="Asia/Bangkok")


def test_urdb_tiers_by_season_and_period_bill_by_hand():
    """Example ``tou_tiers``: winter (Oct-May) one energy period tiered 0.12 up to 300 kWh, then 0.08; summer
    (Jun-Sep) off-peak 0.09 up to 200 kWh, then 0.12; summer weekday on-peak (12-18 h) 0.20 up to 100 kWh,
    then 0.30. Demand: summer on-peak 8 up to 50 kW, then 11; winter weekdays 9-21 h 5 per kW. Fixed 20.

    Tue 1 July 2025, 10 kW all day and 60 kW at 14:00: off-peak 18 h x 10 = 180 kWh -> 180 x 0.09 = 16.20;
    on-peak 5 x 10 + 60 = 110 kWh -> 100 x 0.20 + 10 x 0.30 = 23.00 (per-period tiers; on the month's
    290 kWh it would differ); demand 60 kW -> 50 x 8 + 10 x 11 = 510. Total 16.20 + 23.00 + 510 + 20 = 569.20.
    Wed 1 January 2025, 15 kW all day = 360 kWh -> 300 x 0.12 + 60 x 0.08 = 40.80 (falling tiers);
    demand 15 x 5 = 75; total 135.80.
    """
    tariff = tariff_from_urdb(_urdb("tou_tiers"))
    july = pd.Series(10.0, index=_hours("2025-07-01", "2025-07-02"))
    july.iloc[14] = 60.0
    row = tariff.bill(july).monthly.iloc[0]
    assert (row.energy_thb, row.demand_thb, row.total_thb) == pytest.approx((39.20, 510.0, 569.20))
    january = tariff.bill(pd.Series(15.0, index=_hours("2025-01-01", "2025-01-02"))).monthly.iloc[0]
    assert (january.energy_thb, january.demand_thb, january.total_thb) == pytest.approx((40.80, 75.0, 135.80))


def test_urdb_tiers_bill_equals_cost_terms_on_random_schedules():
    """May (winter, falling tiers) and June (summer, on-peak demand tiers), random hourly imports."""
    tariff = tariff_from_urdb(_urdb("tou_tiers"))
    index = _hours("2025-05-20", "2025-06-10")
    terms = tariff.cost_terms(index)
    assert len(terms.energy_tiers) == 3 and not terms.is_convex
    rng = np.random.default_rng(18)
    for _ in range(5):
        load = pd.Series(rng.uniform(0, 80, len(index)), index=index)
        bill = tariff.bill(load)
        assert terms.cost_thb(load.to_numpy()) == pytest.approx(bill.total_thb, abs=0.01 * 3 * len(bill.monthly))


def test_urdb_tiers_round_trip_keeps_the_tier_sets():
    first = tariff_from_urdb(_urdb("tou_tiers"))
    assert [sorted(t.periods) for t in first.spec.energy.tiers] == [["p1", "p2"], ["p3"], ["p4"]]
    assert [f.mode for f in first.spec.demand] == ["sum", "blocks"]
    exported = tariff_to_urdb(first)
    again = tariff_from_urdb(json.loads(json.dumps(exported)))
    assert (again.spec, again.calendar) == (first.spec, first.calendar)
    assert exported["energyratestructure"] == _urdb("tou_tiers")["energyratestructure"]


def test_falling_demand_tiers_are_refused_by_field():
    rate = _urdb("tou_tiers")
    rate["demandratestructure"][1] = [{"rate": 11.0, "max": 50, "unit": "kW"}, {"rate": 8.0, "unit": "kW"}]
    with pytest.raises(InputError) as err:
        tariff_from_urdb(rate)
    assert any("demandratestructure[1]" in p.path for p in err.value.problems)


def _file_tariff(tmp_path, tiers, blocks=None):
    calendar = {"default_period": "off", "rules": [{"period": "peak", "days": ["mon", "tue", "wed", "thu", "fri"],
                                                    "start": "09:00", "end": "22:00"}]}
    energy = {"rates_thb_per_kwh": {"off": 2.0, "peak": 4.0}, "tiers": [{**t, **SRC} for t in tiers], **SRC}
    if blocks:
        energy["blocks"] = {**blocks, **SRC}
    data = {"version": "test", "calendars": {"cal": calendar},
            "tariffs": [{"variants": [{"id": "test", "utility": "X", "voltage": "LV"}], "name": "test",
                         "category": "t", "calendar": "cal", "energy": energy, "vat_frac": 0.0, "ft_applies": False}]}
    path = tmp_path / "tariff.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_tariff_file(path)["test"]


def test_tariff_file_tiers_by_month_and_period_bill_by_hand(tmp_path):
    """Peak tiers in January only: +0 up to 20 kWh, +1 beyond. Wed 29 Jan and Mon 3 Feb 2025, 3 kW every hour.

    Each day: peak 13 h x 3 = 39 kWh x 4 = 156, off-peak 11 h x 3 = 33 kWh x 2 = 66. January adds the peak
    tier: (39 - 20) x 1 = 19 -> 241 (29-31 Jan: 3 days -> 117 peak kWh: 97 x 1 -> 3 x 222 + 97 = 763).
    February has no tier -> 222.
    """
    tariff = _file_tariff(tmp_path, [{"periods": ["peak"], "months": [1], "upper_kwh": [20.0, None],
                                      "price_thb_per_kwh": [0.0, 1.0]}])
    jan = tariff.bill(pd.Series(3.0, index=_hours("2025-01-29", "2025-02-01")))
    feb = tariff.bill(pd.Series(3.0, index=_hours("2025-02-03", "2025-02-04")))
    assert jan.monthly.energy_thb.iloc[0] == pytest.approx(763.0)
    assert feb.monthly.energy_thb.iloc[0] == pytest.approx(222.0)


@pytest.mark.parametrize(("tiers", "message"), [
    ([{"periods": ["peak"], "upper_kwh": [1.0, None], "price_thb_per_kwh": [0, 1]},
      {"periods": ["peak", "off"], "months": [3], "upper_kwh": [1.0, None], "price_thb_per_kwh": [0, 1]}],
     "both tier period 'peak' in month 3"),
    ([{"periods": ["shoulder"], "upper_kwh": [1.0, None], "price_thb_per_kwh": [0, 1]}], "shoulder"),
    ([{"months": [13], "upper_kwh": [1.0, None], "price_thb_per_kwh": [0, 1]}], "months must be 1..12"),
])
def test_tier_sets_are_checked(tmp_path, tiers, message):
    with pytest.raises(InputError, match=message):
        _file_tariff(tmp_path, tiers)


def _peak_terms(tier_periods: str, upper_kwh, prices) -> TariffCostTerms:
    """Four 1-h steps in one month, 1 THB/kWh; steps 2-3 are the peak period; tiers on the peak or on all."""
    weight = np.array([0.0, 0.0, 1.0, 1.0]) if tier_periods == "peak" else np.ones(4)
    tiers = EnergyBlocks(np.asarray(upper_kwh, float), np.asarray(prices, float), weight)
    return TariffCostTerms(step_h=1.0, period_of_step=np.zeros(4, int), import_thb_per_kwh=np.ones(4),
                           export_thb_per_kwh=np.zeros(4), fixed_thb_per_period=np.zeros(1), energy_tiers=(tiers,))


@pytest.mark.parametrize(("tier_periods", "expected_thb"), [("peak", 20.0), ("all", 70.0)])
def test_optimiser_moves_energy_out_of_the_peak_tier(tier_periods, expected_thb):
    """Load [0, 0, 10, 10] kW; tiers +0 up to 10 kWh, +5 beyond; a lossless 10 kWh / 10 kW battery.

    Peak tiers: charge 10 kWh off-peak, discharge it on the peak: peak energy 10 kWh, no tier charge;
    20 kWh x 1 = 20 THB. Tiers on the whole month: 20 kWh whatever the battery does: 20 + 10 x 5 = 70.
    """
    assert_optimum(_peak_terms(tier_periods, [10.0, np.inf], [0.0, 5.0]), [0.0, 0.0, 10.0, 10.0], expected_thb,
                   battery_kwh=10, battery_kw=10)


def test_optimiser_fills_falling_peak_tiers_in_order():
    """Load [0, 0, 10, 10], peak tiers 3 THB up to 10 kWh then 0: 20 x 1 + 10 x 3 = 50 THB (an LP filling
    the free tier first would claim 20)."""
    terms = _peak_terms("peak", [10.0, np.inf], [3.0, 0.0])
    result = solve(DispatchProblem(1.0, [Meter("m", np.array([0.0, 0.0, 10.0, 10.0]), terms)]))
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective_thb == pytest.approx(50.0, rel=1e-9)


def test_optimised_urdb_tiers_cost_equals_the_bill():
    """Three summer days with a battery: the optimum, the cost terms of its schedule and the bill agree."""
    tariff = tariff_from_urdb(_urdb("tou_tiers"))
    index = _hours("2025-06-29", "2025-07-02")
    hour = index.hour.to_numpy()
    load = np.where((hour >= 10) & (hour < 19), 70.0, 20.0)
    terms = tariff.cost_terms(index)
    meter = Meter("m", load, terms, battery=Battery(energy_kwh=100, power_kw=30, **LOSSLESS))
    result = solve(DispatchProblem(1.0, [meter]))
    import_kw = result.schedules["m"].import_kw
    assert result.objective_thb == pytest.approx(terms.cost_thb(import_kw), rel=1e-7)
    bill = tariff.bill(pd.Series(import_kw, index=index).clip(lower=0.0))
    assert result.objective_thb == pytest.approx(bill.total_thb, abs=0.02 * 3 * len(bill.monthly))
    no_battery = tariff.bill(pd.Series(load, index=index)).total_thb
    assert result.objective_thb < no_battery
