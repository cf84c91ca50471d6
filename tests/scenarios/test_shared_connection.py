"""Buildings behind one shared connection, and several batteries, through a whole run.

Hand case: an office (10-11.5 kW) holding a 100 kWh / 30 kW lossless battery, and a school whose
load mirrors it (the pair draws 20 kW) except a peak (39.5 kW, the pair 50 kW) at 10:00-12:00 on the second day;
flat 2 THB/kWh and 100 THB/kW of monthly demand (tests/models/tariffs/data/flat_demand.yaml).
Behind one connection the battery flattens the pair's import to its mean, 1,020 kWh / 48 h =
21.25 kW: it charges 1.25 kW for the 34 h before the peak (50 -> 92.5 kWh), delivers 28.75 kW
in the peak and refills by the end. On their own meters the school's 39.5 kW peak stays.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from munigrid.models.errors import InputError
from munigrid.scenarios import api

TARIFFS = Path(__file__).parents[1] / "models" / "tariffs" / "data"
ENERGY_KWH = 20.0 * 48 + 2 * 30.0


def _loads(tmp_path: Path) -> None:
    index = pd.date_range("2025-06-01", periods=48, freq="h", tz="Asia/Bangkok")
    hour, day = np.arange(48) % 2, (np.arange(48) >= 24).astype(float)
    office = 10.0 + hour + 0.5 * day
    school = 10.0 - hour - 0.5 * day + np.where(np.isin(np.arange(48), [34, 35]), 30.0, 0.0)
    for name, load in (("office", office), ("school", school)):
        pd.DataFrame({"time": index.strftime("%Y-%m-%dT%H:%M+07:00"), "load_kw": load}).to_csv(
            tmp_path / f"{name}.csv", index=False)


def _scenario(tmp_path: Path, connections: list | None = None, **extra) -> Path:
    shutil.copy(TARIFFS / "flat_demand.yaml", tmp_path / "flat_demand.yaml")
    _loads(tmp_path)
    spec = {"name": "campus", "site": {"name": "test", "latitude_deg": 12.97, "longitude_deg": 99.89},
            "time": {"start": "2025-06-01", "days": 2, "step_min": 60},
            "buildings": [{"name": n, "kind": n, "load_csv": f"{n}.csv", "tariff_file": "flat_demand.yaml"}
                          for n in ("office", "school")],
            "battery": {"building": "office", "energy_kwh": 100, "power_kw": 30, "charge_eff_frac": 1.0,
                        "discharge_eff_frac": 1.0, "soc_min_frac": 0.0, "soc_max_frac": 1.0, "soc_initial_frac": 0.5},
            **extra}
    if connections is not None:
        spec["connections"] = connections
    path = tmp_path / "campus.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_the_shared_battery_serves_the_other_buildings_peak(tmp_path):
    outcome = api.run(_scenario(tmp_path, [{"name": "campus_meter", "buildings": ["office", "school"]}]), store=False)
    results = outcome.results
    assert list(results.building.values) == ["campus_meter"]
    assert results.import_kw.sel(building="campus_meter").max() == pytest.approx(ENERGY_KWH / 48)
    discharge = results.discharge_kw.sel(building="campus_meter").values
    assert discharge[34] == pytest.approx(50.0 - ENERGY_KWH / 48)  # the school's peak, from the office's battery
    bill = outcome.bills["campus_meter"]
    assert float(bill["energy_thb"].sum()) == pytest.approx(2.0 * ENERGY_KWH)
    assert float(bill["demand_thb"].sum()) == pytest.approx(100.0 * ENERGY_KWH / 48)
    # each building's own load stays reported
    member_load = results.member_load_kw.sel(member="school").values
    assert member_load.max() == pytest.approx(39.5) and list(results.member_meter.values) == ["campus_meter"] * 2
    assert outcome.summary.loc["campus_meter", "peak_kw"] == pytest.approx(ENERGY_KWH / 48)


def test_on_their_own_meters_the_school_keeps_its_peak(tmp_path):
    outcome = api.run(_scenario(tmp_path), store=False)
    assert list(outcome.results.building.values) == ["office", "school"]
    assert float(outcome.bills["school"]["demand_thb"].sum()) == pytest.approx(100.0 * 39.5)
    assert "member_load_kw" not in outcome.results


def test_several_batteries_in_a_run(tmp_path):
    """The list form: a lossless bank and a lossy one at the office, behind the shared connection;
    the lossless one does the work, each reported on its own."""
    banks = [{"name": "lead_acid", "building": "school", "energy_kwh": 100, "power_kw": 30,
              "charge_eff_frac": 0.7, "discharge_eff_frac": 0.7, "soc_min_frac": 0.0, "soc_max_frac": 1.0,
              "soc_initial_frac": 0.5, "degradation_thb_per_kwh": 1.0},
             {"name": "lfp", "building": "office", "energy_kwh": 100, "power_kw": 30, "charge_eff_frac": 1.0,
              "discharge_eff_frac": 1.0, "soc_min_frac": 0.0, "soc_max_frac": 1.0, "soc_initial_frac": 0.5}]
    path = _scenario(tmp_path, [{"name": "campus_meter", "buildings": ["office", "school"]}])
    spec = yaml.safe_load(path.read_text())
    del spec["battery"]
    spec["batteries"] = banks
    path.write_text(yaml.safe_dump(spec))
    results = api.run(path, store=False).results
    assert list(results.battery.values) == ["lead_acid", "lfp"]
    assert results.battery_discharge_kw.sel(battery="lead_acid").sum() == pytest.approx(0.0, abs=1e-6)
    assert results.battery_discharge_kw.sel(battery="lfp").max() == pytest.approx(50.0 - ENERGY_KWH / 48)
    np.testing.assert_allclose(results.soc_kwh.sel(building="campus_meter").values,
                               results.battery_soc_kwh.sum("battery").values, atol=1e-6)


@pytest.mark.parametrize(("change", "field"), [
    ({"batteries": [{"building": "office", "energy_kwh": 1, "power_kw": 1}]}, "battery"),
    ({"connections": [{"name": "c", "buildings": ["office", "gym"]}]}, "connections"),
    ({"connections": [{"name": "office", "buildings": ["office", "school"]}]}, "connections"),
    ({"connections": [{"name": "a", "buildings": ["office", "school"]}, {"name": "b", "buildings": ["school", "office"]}]},
     "connections"),
    ({"connections": [{"name": "c", "buildings": ["office"]}]}, "connections[0].buildings"),
])
def test_bad_connections_and_batteries_name_the_problem(tmp_path, change, field):
    spec = yaml.safe_load(_scenario(tmp_path).read_text())
    spec.update(change)
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(InputError) as err:
        api.load(tmp_path / "bad.yaml")
    assert any(field in p.path or field in p.message for p in err.value.problems), err.value.problems


def test_different_tariffs_behind_one_connection_need_the_connections_own(tmp_path):
    spec = yaml.safe_load(_scenario(tmp_path, [{"name": "campus_meter", "buildings": ["office", "school"]}]).read_text())
    spec["buildings"][1] = {**spec["buildings"][1], "tariff": "pea-2.2-lt22kv"}
    del spec["buildings"][1]["tariff_file"]
    (tmp_path / "mixed.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(InputError) as err:
        api.run(tmp_path / "mixed.yaml", store=False)
    assert err.value.problems[0].path == "connections[0].tariff"
    spec["connections"][0]["tariff_file"] = "flat_demand.yaml"
    (tmp_path / "mixed.yaml").write_text(yaml.safe_dump(spec))
    assert api.run(tmp_path / "mixed.yaml", store=False).bills["campus_meter"]["demand_thb"].sum() > 0


def test_the_day_ahead_schedule_operates_the_connection(tmp_path):
    """Operations plan the connection's meter (tests/scenarios/operations/test_ops_assets.py has the schedule)."""
    from munigrid.scenarios.operations.site import operations_site

    scenario = api.load(_scenario(tmp_path, [{"name": "campus_meter", "buildings": ["office", "school"]}]))
    site = operations_site(scenario, tmp_path)
    assert site.building == "campus_meter" and list(site.member_load_kw.columns) == ["office", "school"]
    assert site.load_kw.to_numpy() == pytest.approx(site.member_load_kw.sum(axis=1).to_numpy())


def test_stored_run_and_report_of_a_shared_connection(tmp_path):
    """results.nc keeps the member dimension, bills.csv bills the connection, the report names it."""
    import xarray as xr

    path = _scenario(tmp_path, [{"name": "campus_meter", "buildings": ["office", "school"]}])
    outcome = api.run(path, root=tmp_path / "runs")
    with xr.open_dataset(outcome.run_dir / "results.nc") as stored:
        assert dict(stored.sizes) == {"time": 48, "building": 1, "member": 2}
        assert list(stored.member_meter.values) == ["campus_meter", "campus_meter"]
    assert "campus_meter" in (outcome.run_dir / "bills.csv").read_text()
    html = outcome.report_path.read_text()
    assert "campus_meter: office, school" in html


def test_a_missing_connection_tariff_file_is_named_before_the_run(tmp_path):
    from munigrid.scenarios.inputs import check_references

    connection = {"name": "campus_meter", "buildings": ["office", "school"], "tariff_file": "missing.yaml"}
    scenario = api.load(_scenario(tmp_path, [connection]))
    with pytest.raises(InputError) as err:
        check_references(scenario, tmp_path)
    assert [p.path for p in err.value.problems] == ["connections[0].tariff_file"]


def test_sizing_several_batteries_behind_a_connection(tmp_path):
    """Sizing mode: the LFP bank is sized (up to 200 kWh), the lead-acid bank stays as installed;
    sizes are reported per battery and summed per meter."""
    path = _scenario(tmp_path, [{"name": "campus_meter", "buildings": ["office", "school"]}],
                     optimisation={"mode": "sizing"}, sizing={"battery_capex_thb_per_kwh": 100.0})
    spec = yaml.safe_load(path.read_text())
    del spec["battery"]
    spec["batteries"] = [{"name": "lead_acid", "building": "school", "energy_kwh": 20, "power_kw": 10,
                          "charge_eff_frac": 0.8, "discharge_eff_frac": 0.8},
                         {"name": "lfp", "building": "office", "energy_kwh": 0, "power_kw": 0, "c_rate_per_h": 0.5,
                          "max_energy_kwh": 200}]
    path.write_text(yaml.safe_dump(spec))
    outcome = api.run(path, store=False)
    banks = outcome.manifest["solver"]["sizes"]["campus_meter"]["batteries"]
    assert banks["lead_acid"] == {"energy_kwh": 20.0, "power_kw": 10.0}
    assert 0.0 < banks["lfp"]["energy_kwh"] <= 200.0 + 1e-6
    assert banks["lfp"]["power_kw"] <= 0.5 * banks["lfp"]["energy_kwh"] + 1e-6
    assert float(outcome.results.battery_kwh.sel(building="campus_meter")) == pytest.approx(
        20.0 + banks["lfp"]["energy_kwh"])


def test_overrides_of_a_tariff_only_a_connection_uses_are_used(tmp_path):
    from munigrid.scenarios.inputs import check_references

    connection = {"name": "campus_meter", "buildings": ["office", "school"], "tariff": "pea-3.2-lt22kv"}
    path = _scenario(tmp_path, [connection], tariffs={"overrides": {"pea-3.2-lt22kv": {"vat_frac": 0.0}}})
    check_references(api.load(path), tmp_path)  # no "no building uses tariff" problem
    bad = _scenario(tmp_path, [{**connection, "tariff": {"id": "pea-3.2-lt22kv", "overrides": {"vat_frac": -1}}}])
    with pytest.raises(InputError) as err:
        check_references(api.load(bad), tmp_path)
    assert any(p.path.startswith("connections[0].tariff") for p in err.value.problems), err.value.problems
