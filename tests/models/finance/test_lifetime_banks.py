"""The project life with several batteries: each ages from its own cycling and is replaced on its own.

Scenario: tests/models/finance/data/two_batteries.yaml (Tha Yang's office with a new LFP battery,
the school with an old lead-acid bank), two weeks here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from munigrid.models.simulation.degradation import battery_fade
from munigrid.models.simulation.multi_year import BatteryAge, age_one_year
from munigrid.scenarios import api
from munigrid.scenarios import finance as finance_cases
from munigrid.scenarios.lifetime import Bank, bank_capacities, site_bank_year
from munigrid.scenarios.schema import Scenario

SCENARIO = Path(__file__).parent / "data" / "two_batteries.yaml"
DAYS = 14


def _run(tmp_path_factory, change=None):
    data = api.load(SCENARIO).model_dump(mode="json")
    data["time"]["days"] = DAYS
    if change:
        change(data)
    return api.run(Scenario.model_validate(data), root=tmp_path_factory.mktemp("runs"), samples=0,
                   report=False).run_dir


def _both_at_the_office(data):
    data["batteries"][1]["building"] = "municipal_office"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return {"two_meters": _run(tmp_path_factory), "one_meter": _run(tmp_path_factory, _both_at_the_office)}


def _table(run_dir, tmp_path, lifetime="fast"):
    api.finance(run_dir, "municipal", years=12, lifetime=lifetime, out=tmp_path)
    return pd.read_csv(tmp_path / "municipal" / finance_cases.LIFETIME_FILE, index_col="year")


@pytest.mark.parametrize("case", ["two_meters", "one_meter"])
def test_year_one_fade_of_each_battery_is_its_own_cycling(runs, case, tmp_path):
    table = _table(runs[case], tmp_path)
    results = xr.open_dataset(runs[case] / "results.nc")
    scale = 8760.0 / (24 * DAYS)
    for name, kwh in (("office_lfp", 200.0), ("school_lead_acid", 100.0)):
        if "battery" in results.dims:
            soc = results["battery_soc_kwh"].sel(battery=name).to_numpy()
        else:
            meter = "municipal_office" if name == "office_lfp" else "municipal_school"
            soc = results["soc_kwh"].sel(building=meter).to_numpy()
        fade = battery_fade(soc, kwh, step_h=1.0).cycle_fade_frac * scale
        assert table.loc[1, f"battery_{name}_cycle_fade_frac"] == pytest.approx(fade, rel=1e-12)
        end = age_one_year(BatteryAge(), fade, eol_frac=0.8, life_years=10, replace_allowed=True)[1]
        assert table.loc[1, f"battery_{name}_capacity_end_frac"] == pytest.approx(end, rel=1e-12)
    # the capacities fall each year until a battery is replaced
    lfp = table["battery_office_lfp_capacity_start_frac"].to_numpy()
    assert lfp[0] == 1.0 and lfp[1] < 1.0


def test_full_re_solves_with_both_batteries_on_one_meter(runs, tmp_path):
    fast, full = _table(runs["one_meter"], tmp_path / "fast"), _table(runs["one_meter"], tmp_path / "full", "full")
    for name in ("office_lfp", "school_lead_acid"):
        column = f"battery_{name}_capacity_end_frac"
        np.testing.assert_allclose(fast[column], full[column], atol=0.01)
    np.testing.assert_allclose(fast["bill_after_thb"], full["bill_after_thb"], rtol=0.01)


def test_an_empty_second_battery_leaves_the_life_as_with_one(tmp_path_factory, tmp_path):
    def empty_school(data):
        data["batteries"][1]["energy_kwh"] = 0.0
        data["batteries"][1]["power_kw"] = 0.0

    def office_only(data):
        data["battery"] = {k: v for k, v in data["batteries"][0].items() if k != "name"}
        data["batteries"] = []

    two = api.finance(_run(tmp_path_factory, empty_school), "municipal", years=12, lifetime="fast", write=False)
    one = api.finance(_run(tmp_path_factory, office_only), "municipal", years=12, lifetime="fast", write=False)
    a, b = (o.cases["municipal"].project.inputs.lifetime for o in (two, one))
    assert a == b


def test_a_replaced_battery_is_bought_as_its_share_by_hand():
    banks = [Bank(0, None, "lfp", 300.0), Bank(1, None, "lead_acid", 100.0)]
    augmented, row = [], {}
    year = [(0.9, 0.85, 0.02, ""), (0.82, 0.78, 0.03, "replace")]
    start, end, fade, event = site_bank_year(banks, year, 4, augmented, rows_of=row)
    assert augmented == [(4, 0.25)]
    assert (start, end, fade) == pytest.approx((0.75 * 0.9 + 0.25 * 0.82, 0.75 * 0.85 + 0.25 * 0.78,
                                                0.75 * 0.02 + 0.25 * 0.03))
    assert event == "replace" and row["battery_lead_acid_event"] == "replace"


def test_each_meter_sees_its_own_batteries_capacity():
    banks = [Bank(0, None, "lfp", 200.0), Bank(2, 0, "a", 50.0), Bank(2, 1, "b", 30.0)]
    ages = [BatteryAge(0.9), BatteryAge(0.8), BatteryAge(0.7)]
    assert bank_capacities(0, banks, ages) == (0.9, None)
    assert bank_capacities(1, banks, ages) == (0.9, None)  # no battery: unused
    assert bank_capacities(2, banks, ages)[1] == (0.8, 0.7)
