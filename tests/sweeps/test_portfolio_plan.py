"""Portfolio CSVs and sweep plans: checks up front, invalid members recorded, keys stable."""

from __future__ import annotations

import pytest

from munigrid.models.errors import InputError
from munigrid.scenarios.sweep.engine import make_plan
from munigrid.scenarios.sweep.plan import build_plan
from munigrid.scenarios.sweep.portfolio import read_portfolio
from munigrid.scenarios.sweep.spec import parse_sweep

HEADER = "name,latitude_deg,longitude_deg,kind,annual_kwh,tariff,roof_area_m2,pv_kwp,battery_kwh,battery_kw\n"


def _csv(tmp_path, rows: str, header: str = HEADER):
    path = tmp_path / "sites.csv"
    path.write_text(header + rows, encoding="utf-8")
    return path


def test_portfolio_rows_become_one_building_sites(tmp_path, scenario, here):
    path = _csv(tmp_path, "Ban Laem school,13.2,99.97,school,80000,pea-3.2-lt22kv,600,,,\n"
                          "Cha-am clinic,12.8,99.97,health_centre,30000,pea-2.2-lt22kv,200,10,40,20\n")
    plan = make_plan(scenario, portfolio=path, base_dir=here)
    assert plan.record["sites"] == ["Ban Laem school", "Cha-am clinic"]
    assert not plan.invalid
    jobs = {job.label: job.scenario for job in plan.jobs.values()}
    school = jobs["m0000/Ban Laem school"]
    assert school["site"]["latitude_deg"] == 13.2
    assert school["buildings"][0]["name"] == "ban_laem_school"
    assert school["buildings"][0]["pv_arrays"][0]["capacity_kwp"] == pytest.approx(600 * 0.15)  # roof filled
    assert school["battery"] is None
    clinic = jobs["m0000/Cha-am clinic"]
    assert clinic["buildings"][0]["pv_arrays"][0]["capacity_kwp"] == 10
    assert clinic["battery"]["energy_kwh"] == 40 and clinic["battery"]["building"] == "cha-am_clinic"


def test_portfolio_structure_problems_are_listed_at_once(tmp_path):
    path = _csv(tmp_path, "a,1,2,office,1,t,1,\na,1,2,office,1,t,1,\n",
                header="name,latitude_deg,longitude_deg,kind,annual_kwh,tariff,roof,colour\n")
    with pytest.raises(InputError) as err:
        read_portfolio(path)
    text = str(err.value)
    assert "unknown columns colour, roof" in text
    assert "missing columns: roof_area_m2" in text
    assert "repeated: a" in text


def test_a_bad_row_becomes_a_failed_member_and_the_rest_plan(tmp_path, scenario, here):
    path = _csv(tmp_path, "Good,13.2,99.97,school,80000,pea-3.2-lt22kv,600,,,\n"
                          "Bad,123,99.97,spaceport,80000,no-such-tariff,600,,,\n")
    plan = make_plan(scenario, portfolio=path, base_dir=here)
    assert [job.label for job in plan.jobs.values()] == ["m0000/Good"]
    (failure,) = plan.invalid.values()
    assert failure["label"] == "m0000/Bad"
    assert any("latitude_deg" in p for p in failure["problems"])
    assert any("kind" in p for p in failure["problems"])


def test_keys_are_stable_and_equal_inputs_are_solved_once(scenario, here):
    spec = parse_sweep({"name": "dup", "method": "one_at_a_time", "parameters": [
        {"path": "battery.energy_kwh", "values": [scenario.battery.energy_kwh, 50]}]})
    sites = {"s": scenario.model_dump(mode="json")}
    plan = build_plan("dup", sites, spec, here)
    keys = [m["key"] for m in plan.record["members"]]
    assert keys[0] == keys[1] != keys[2]  # base == member with the base value
    assert len(plan.jobs) == 2
    assert build_plan("dup", sites, spec, here).sweep_id == plan.sweep_id


def test_unknown_parameter_paths_stop_the_sweep_before_it_starts(scenario, here):
    spec = parse_sweep({"name": "x", "method": "grid", "parameters": [
        {"path": "battery.size_kwh", "values": [1]}, {"path": "site.lat", "values": [1]}]})
    with pytest.raises(InputError) as err:
        build_plan("x", {"s": scenario.model_dump(mode="json")}, spec, here)
    assert [p.path for p in err.value.problems] == ["sweep.parameters[0].path", "sweep.parameters[1].path"]


def test_nothing_to_sweep_is_an_input_error(scenario, here):
    with pytest.raises(InputError, match="nothing to sweep"):
        make_plan(scenario, base_dir=here)
