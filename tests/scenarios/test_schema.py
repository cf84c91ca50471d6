"""Scenario schema: strict keys, ranges, every problem at once with its path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from munigrid.models.errors import InputError
from munigrid.scenarios.library import bundled, load_scenario, read_yaml, resolve
from munigrid.scenarios.provenance import inputs_hash
from munigrid.scenarios.schema import parse_scenario


@pytest.fixture()
def raw():
    return read_yaml(bundled()["tha-yang"])


def _problems(data) -> dict[str, str]:
    with pytest.raises(InputError) as info:
        parse_scenario(data)
    return {p.path: p.message for p in info.value.problems}


def test_bundled_scenarios_are_valid():
    for name in bundled():
        scenario, _ = load_scenario(name)
        assert scenario.name == name


def test_tha_yang_has_the_required_buildings(raw):
    scenario = parse_scenario(raw)
    kinds = {b.kind for b in scenario.buildings}
    assert {"office", "school", "health_centre", "water_pumping", "street_lighting"} <= kinds
    assert scenario.time.days == 365 and scenario.time.step_min == 60
    assert abs(scenario.site.latitude_deg - 12.97) < 0.05 and abs(scenario.site.longitude_deg - 99.89) < 0.05
    assert all(b.notes for b in scenario.buildings), "every archetype load states its assumptions"


def test_all_problems_reported_at_once_with_paths(raw):
    data = copy.deepcopy(raw)
    data["site"]["latitud_deg"] = 12.9  # typo
    data["buildings"][2]["pv_arrays"][0]["tilt_deg"] = 120
    data["buildings"][0]["pv_arrays"][0]["capacity_kwp"] = -5
    data["time"]["step_min"] = 30
    problems = _problems(data)
    assert "unknown key" in problems["site.latitud_deg"]
    assert "90" in problems["buildings[2].pv_arrays[0].tilt_deg"]
    assert "120" in problems["buildings[2].pv_arrays[0].tilt_deg"]
    assert "0" in problems["buildings[0].pv_arrays[0].capacity_kwp"]
    assert "15 or 60" in problems["time.step_min"]
    assert len(problems) == 4


def test_cross_references_are_checked(raw):
    data = copy.deepcopy(raw)
    data["battery"]["building"] = "town_hall"
    message = " ".join(_problems(data).values())
    assert "town_hall" in message and "municipal_office" in message


def test_soc_bounds_must_be_ordered(raw):
    data = copy.deepcopy(raw)
    data["battery"]["soc_initial_frac"] = 0.95
    assert any("soc_min_frac <= soc_initial_frac" in m for m in _problems(data).values())


def test_unknown_bundled_name_suggests_close_names():
    with pytest.raises(InputError) as info:
        resolve("tha-yng")
    assert "tha-yang" in str(info.value)


def test_yaml_syntax_error_names_the_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsite: [unclosed\n")
    with pytest.raises(InputError) as info:
        load_scenario(bad)
    assert "bad.yaml:" in info.value.problems[0].path


def test_hash_changes_with_any_field(raw):
    a = parse_scenario(raw)
    b = parse_scenario(raw)
    assert inputs_hash(a, Path('.')) == inputs_hash(b, Path('.'))
    b.battery.energy_kwh = 201
    assert inputs_hash(a, Path('.')) != inputs_hash(b, Path('.'))


def test_generator_is_standby_unless_it_may_run_with_the_grid(raw):
    from munigrid.scenarios.runner import _generator

    data = copy.deepcopy(raw)
    data["generator"] = {"building": data["battery"]["building"], "rating_kw": 60}
    assert _generator(parse_scenario(data), sizing=False).standby_only is True
    data["generator"]["standby_only"] = False
    assert _generator(parse_scenario(data), sizing=False).standby_only is False
    data["generator"]["standby_only"] = "sometimes"
    assert "generator.standby_only" in _problems(data)
