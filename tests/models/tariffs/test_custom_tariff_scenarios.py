"""Custom tariff files and overrides from scenarios and the CLI: strict, with the field named."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from munigrid.models.errors import InputError
from munigrid.scenarios import api
from munigrid.scenarios.inputs import check_references

DATA = Path(__file__).parent / "data"


def _scenario(tmp_path: Path, building_tariff: dict, tariffs: dict | None = None) -> Path:
    shutil.copy(DATA / "flat_demand.yaml", tmp_path / "flat_demand.yaml")
    spec = {
        "name": "custom-tariff", "site": {"name": "test", "latitude_deg": 12.97, "longitude_deg": 99.89},
        "time": {"start": "2025-06-01", "days": 2, "step_min": 60},
        "buildings": [{"name": "office", "kind": "office", "annual_kwh": 50000, **building_tariff}],
        "tariffs": tariffs or {},
    }
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_tariff_file_in_a_building(tmp_path):
    scenario = api.load(_scenario(tmp_path, {"tariff_file": "flat_demand.yaml"}))
    tariff = api.inputs(scenario).buildings[0].tariff
    assert tariff.id == "test-flat-demand" and tariff.spec.energy.rates_thb_per_kwh == {"all": 2.0}


def test_tariff_mapping_with_file_and_overrides(tmp_path):
    scenario = api.load(_scenario(tmp_path, {"tariff": {"file": "flat_demand.yaml", "overrides": {"vat_frac": 0.1}}}))
    assert api.inputs(scenario).buildings[0].tariff.spec.vat_frac == 0.1


def test_scenario_overrides_of_a_library_tariff_and_extra_offpeak_dates(tmp_path):
    """VAT, service and a rate changed for every building on pea-3.2-lt22kv; 2 June 2025 off-peak."""
    path = _scenario(tmp_path, {"tariff": "pea-3.2-lt22kv"}, {
        "overrides": {"pea-3.2-lt22kv": {"vat_frac": 0.0, "service_thb_per_month": 0.0,
                                         "energy.rates_thb_per_kwh.on_peak": 4.5297}},
        "extra_offpeak_dates": ["2025-06-02"], "ft_schedule": {"2025-05": 0.25}})
    scenario = api.load(path)
    tariff = api.inputs(scenario).buildings[0].tariff
    assert (tariff.spec.vat_frac, tariff.spec.service_thb_per_month) == (0.0, 0.0)
    assert tariff.spec.energy.rates_thb_per_kwh["on_peak"] == 4.5297
    monday = pd.date_range("2025-06-02", periods=24, freq="h", tz="Asia/Bangkok")
    assert (tariff.grid(monday).period_frac[:, tariff.calendar.periods.index("off_peak")] == 1).all()
    from munigrid.scenarios.runner import ft_schedule
    months = pd.PeriodIndex(["2025-06"], freq="M")
    assert ft_schedule(scenario).resolve(months).ft_thb_per_kwh.tolist() == [0.25]


@pytest.mark.parametrize(("building", "tariffs", "field"), [
    ({"tariff_file": "missing.yaml"}, None, "buildings[0].tariff_file"),
    ({"tariff": {"file": "flat_demand.yaml", "id": "nope"}}, None, "buildings[0].tariff.file"),
    ({"tariff": "pea-3.2-lt22kv"}, {"overrides": {"pea-3.1-lt22kv": {"vat_frac": 0}}}, "tariffs.overrides.pea-3.1"),
    ({"tariff": "pea-3.2-lt22kv"}, {"overrides": {"pea-3.2-lt22kv": {"vat_frac": -1}}}, "tariffs.overrides"),
])
def test_bad_tariff_references_name_the_field(tmp_path, building, tariffs, field):
    scenario = api.load(_scenario(tmp_path, building, tariffs))
    with pytest.raises(InputError) as err:
        check_references(scenario, tmp_path)
    assert any(p.path.startswith(field) for p in err.value.problems), err.value.problems


@pytest.mark.parametrize("tariff", ["pea-9.9-lt22kv", {"id": "pea-9.9-lt22kv"}])
def test_unknown_library_id_is_a_schema_problem(tmp_path, tariff):
    """Library ids are checked by the schema, so `validate --quick` lists them too."""
    with pytest.raises(InputError) as err:
        api.load(_scenario(tmp_path, {"tariff": tariff}))
    assert [p.path for p in err.value.problems] == ["buildings[0].tariff"], err.value.problems
    assert "pea-3.2-lt22kv" in err.value.problems[0].message


def test_both_tariff_and_tariff_file_is_a_schema_error(tmp_path):
    path = _scenario(tmp_path, {"tariff": "pea-3.2-lt22kv", "tariff_file": "flat_demand.yaml"})
    result = subprocess.run([sys.executable, "-m", "munigrid.scenarios.cli", "validate", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "tariff" in result.stdout + result.stderr


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "munigrid.scenarios.cli", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_show_and_json_print_every_rate():
    shown = _cli("tariffs", "--show", str(DATA / "flat_demand.yaml"))
    assert shown.returncode == 0 and "energy all: 2 THB/kWh" in shown.stdout and "100 THB/kW" in shown.stdout
    listed = json.loads(_cli("tariffs", "--json").stdout)["tariffs"]
    rates = {t["id"]: t["rates"] for t in listed}
    assert rates["pea-3.2-lt22kv"]["energy_thb_per_kwh"] == {"off_peak": 2.6369, "on_peak": 4.3297}
    assert rates["pea-3.2-lt22kv"]["demand"][0]["rate_thb_per_kw"] == [210.0]


def test_cli_bill_with_a_tariff_file(tmp_path):
    """Two days at 10 kW with one 30 kW hour: (47 x 10 + 30) kWh x 2 + 30 kW x 100 + 10 service = 4,010 THB."""
    index = pd.date_range("2025-06-01", periods=48, freq="h", tz="Asia/Bangkok")
    load = pd.Series(10.0, index=index)
    load.iloc[5] = 30.0
    meter = tmp_path / "meter.csv"
    pd.DataFrame({"time": [t.isoformat() for t in index], "import_kw": load.values}).to_csv(meter, index=False)
    result = _cli("bill", "--tariff-file", str(DATA / "flat_demand.yaml"), "--meter", str(meter), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total_thb"] == pytest.approx(4010.0)
    missing = _cli("bill", "--tariff-file", str(tmp_path / "none.yaml"), "--meter", str(meter))
    assert missing.returncode == 2 and "--tariff-file" in missing.stdout + missing.stderr


def test_net_metering_size_cap_is_checked_against_the_building_pv(tmp_path):
    """A 60 kWp array on a tariff whose net metering is open to systems up to 50 kW."""
    raw = yaml.safe_load((DATA / "flat_demand.yaml").read_text())
    raw["tariffs"][0]["export"] = {"kind": "net_metering", "system_cap_kw": 50, "source": "test", "as_of": "2026"}
    (tmp_path / "nm.yaml").write_text(yaml.safe_dump(raw))
    path = _scenario(tmp_path, {"tariff_file": "nm.yaml", "roof_area_m2": 1000,
                                "pv_arrays": [{"name": "roof", "capacity_kwp": 60}]})
    with pytest.raises(InputError) as err:
        check_references(api.load(path), tmp_path)
    assert any(p.path == "buildings[0].pv_arrays" and "50 kW" in p.message for p in err.value.problems)


def _net_billing_file(tmp_path: Path) -> str:
    raw = yaml.safe_load((DATA / "flat_demand.yaml").read_text())
    raw["tariffs"][0]["export"] = {"kind": "net_billing", "price_thb_per_kwh": 1.0, "source": "test", "as_of": "2026"}
    (tmp_path / "nb.yaml").write_text(yaml.safe_dump(raw))
    return "nb.yaml"


@pytest.mark.parametrize(("tariffs", "kind", "price"), [
    ({}, "net_billing", 1.0),  # absent: the tariff's own rule
    ({"export_allowed": False}, "none", 0.0),
    ({"export_allowed": True, "export_thb_per_kwh": 2.2}, "net_billing", 2.2),
])
def test_scenario_export_fields_replace_the_tariff_export_rule(tmp_path, tariffs, kind, price):
    scenario = api.load(_scenario(tmp_path, {"tariff_file": _net_billing_file(tmp_path)}, tariffs))
    rule = api.inputs(scenario, tmp_path).buildings[0].tariff.export_rule(None)
    assert (rule.kind, rule.price_thb_per_kwh) == (kind, price)


def test_run_exports_at_the_scenario_price(tmp_path):
    """A 100 kWp roof on a small office: the Thai tariff alone exports nothing; with
    ``export_allowed: true`` at 2.2 THB/kWh the surplus is exported and the bill credits 2.2 per kWh."""
    building = {"tariff": "pea-2.2-lt22kv", "roof_area_m2": 1000, "pv_arrays": [{"name": "roof", "capacity_kwp": 100}]}
    plain = api.run(api.load(_scenario(tmp_path, building)), store=False, report=False)
    assert float(plain.results["export_kw"].sum()) == 0.0
    paid = api.run(api.load(_scenario(tmp_path, building, {"export_allowed": True, "export_thb_per_kwh": 2.2})),
                   store=False, report=False)
    bill = paid.bills["office"]
    assert bill.export_kwh.sum() > 10.0
    assert bill.export_credit_thb.sum() == pytest.approx(2.2 * bill.export_kwh.sum(), abs=0.01 * len(bill))


@pytest.mark.parametrize(("tariffs", "field", "text"), [
    ({"export_thb_per_kwh": 2.2}, "tariffs.export_thb_per_kwh", "export_allowed"),
    ({"export_allowed": False, "export_thb_per_kwh": 2.2}, "tariffs.export_thb_per_kwh", "export_allowed: true"),
    ({"export_allowed": True}, "tariffs.export_allowed", "net metering"),
])
def test_scenario_export_fields_refused_with_the_field_named(tmp_path, tariffs, field, text):
    raw = yaml.safe_load((DATA / "flat_demand.yaml").read_text())
    raw["tariffs"][0]["export"] = {"kind": "net_metering", "source": "test", "as_of": "2026"}
    (tmp_path / "nm.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError) as err:
        check_references(api.load(_scenario(tmp_path, {"tariff_file": "nm.yaml"}, tariffs)), tmp_path)
    assert any(p.path == field and text in p.message for p in err.value.problems), err.value.problems
