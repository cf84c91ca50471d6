"""Sweep spec validation, member designs and parameter paths."""

from __future__ import annotations

import numpy as np
import pytest

from munigrid.models.errors import InputError
from munigrid.scenarios.sweep.design import from_unit, member_values, unit_draws
from munigrid.scenarios.sweep.paths import apply_value, targets
from munigrid.scenarios.sweep.spec import Choice, Triangular, parse_sweep


def test_grid_is_the_cartesian_product_last_parameter_fastest(spec):
    members = member_values(parse_sweep(spec))
    assert members == [
        {"battery.energy_kwh": 0, "buildings[*].annual_kwh": 1.0},
        {"battery.energy_kwh": 0, "buildings[*].annual_kwh": 1.2},
        {"battery.energy_kwh": 150, "buildings[*].annual_kwh": 1.0},
        {"battery.energy_kwh": 150, "buildings[*].annual_kwh": 1.2}]


def test_one_at_a_time_varies_one_parameter_around_the_base(spec):
    members = member_values(parse_sweep(dict(spec, method="one_at_a_time")))
    assert members[0] == {}
    assert members[1:] == [{"battery.energy_kwh": 0}, {"battery.energy_kwh": 150},
                           {"buildings[*].annual_kwh": 1.0}, {"buildings[*].annual_kwh": 1.2}]
    assert len(member_values(parse_sweep(dict(spec, method="one_at_a_time", include_base=False)))) == 4


def test_monte_carlo_is_reproducible_and_latin_hypercube_stratified():
    data = {"name": "mc", "method": "monte_carlo", "samples": 50, "seed": 7, "parameters": [
        {"path": "tariffs.ft_thb_per_kwh", "distribution": {"kind": "uniform", "low": 0.1, "high": 0.5}},
        {"path": "battery.energy_kwh", "distribution": {"kind": "choice", "values": [0, 100]}}]}
    first, again = member_values(parse_sweep(data)), member_values(parse_sweep(data))
    assert first == again
    ft = np.array([m["tariffs.ft_thb_per_kwh"] for m in first])
    assert ft.min() >= 0.1 and ft.max() <= 0.5
    strata = np.floor((ft - 0.1) / 0.4 * 50).astype(int)
    assert sorted(strata) == list(range(50))  # one draw in each of the 50 equal-probability strata
    assert {m["battery.energy_kwh"] for m in first} == {0, 100}
    other = member_values(parse_sweep(dict(data, seed=8)))
    assert other != first


def test_distributions_map_probabilities_through_their_inverse_cdf():
    u = np.array([0.0, 0.5, 1.0])
    tri = from_unit(Triangular(kind="triangular", low=0.0, mode=1.0, high=2.0), u)
    assert tri == pytest.approx([0.0, 1.0, 2.0])
    weighted = from_unit(Choice(kind="choice", values=["a", "b"], weights=[3, 1]), np.array([0.1, 0.74, 0.76, 0.99]))
    assert weighted == ["a", "a", "b", "b"]
    assert unit_draws(4, 2, "random", 1).shape == (4, 2)


def test_spec_problems_are_reported_with_their_paths():
    with pytest.raises(InputError) as err:
        parse_sweep({"name": "Bad Name", "method": "grid", "parameters": [{"path": "a", "values": [1]}], "extra": 1})
    paths = {p.path for p in err.value.problems}
    assert {"sweep.name", "sweep.extra"} <= paths
    with pytest.raises(InputError, match="monte_carlo needs `samples`"):
        parse_sweep({"name": "x", "method": "monte_carlo", "parameters": [
            {"path": "a", "distribution": {"kind": "normal", "mean": 1, "sd": 0.1}}]})
    with pytest.raises(InputError, match="grid needs `values`"):
        parse_sweep({"name": "x", "method": "grid", "parameters": [{"path": "a"}]})
    with pytest.raises(InputError, match="low <= mode <= high"):
        parse_sweep({"name": "x", "method": "monte_carlo", "samples": 2, "parameters": [
            {"path": "a", "distribution": {"kind": "triangular", "low": 2, "mode": 1, "high": 3}}]})


def test_paths_set_and_scale_every_selected_field(scenario):
    data = scenario.model_dump(mode="json")
    scaled = apply_value(data, "buildings[*].annual_kwh", 1.5, "scale")
    assert [b["annual_kwh"] for b in scaled["buildings"]] == [1.5 * b["annual_kwh"] for b in data["buildings"]]
    named = apply_value(data, "buildings[municipal_school].pv_arrays[0].capacity_kwp", 20, "set")
    assert named["buildings"][1]["pv_arrays"][0]["capacity_kwp"] == 20
    assert data["buildings"][1]["pv_arrays"][0]["capacity_kwp"] == 50  # the base is not changed
    assert len(targets(data, "buildings[*].pv_arrays[*].tilt_deg")) == 2


@pytest.mark.parametrize("path, message", [
    ("batery.energy_kwh", "no field 'batery'"),
    ("buildings[gym].tariff", "no entry named 'gym'"),
    ("buildings[5].tariff", "out of range"),
    ("buildings.tariff", "is a list"),
    ("buildings[*]", "must end at a field"),
    ("site..name", "is not a key"),
])
def test_bad_paths_say_what_exists(scenario, path, message):
    with pytest.raises(InputError, match=message):
        targets(scenario.model_dump(mode="json"), path)


def test_scaling_a_text_field_is_refused(scenario):
    with pytest.raises(InputError, match="needs a number"):
        apply_value(scenario.model_dump(mode="json"), "buildings[0].tariff", 2, "scale")
