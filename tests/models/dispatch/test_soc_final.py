"""End state of charge: at least the start (default), equal to it, free, or at least a share; one source of defaults."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from munigrid.models import asset_defaults
from munigrid.models.dispatch import Battery, DispatchProblem, Generator, Meter, SolveOptions, solve
from munigrid.scenarios import schema
from munigrid.scenarios.runner import _soc_final


def _arbitrage(flat_terms, **battery) -> DispatchProblem:
    """Cheap first half, dear second half: the battery wants to end empty."""
    price = np.r_[np.full(12, 2.0), np.full(12, 5.0)]
    meter = Meter("hall", np.full(24, 10.0), flat_terms(price),
                  battery=Battery(energy_kwh=40, power_kw=10, soc_initial_frac=0.5, **battery))
    return DispatchProblem(1.0, [meter], SolveOptions())


def _end_kwh(problem) -> float:
    return float(solve(problem).require_solution().schedules["hall"].soc_kwh[-1])


def test_end_state_rules(flat_terms):
    start_kwh = 0.5 * 40
    assert _end_kwh(_arbitrage(flat_terms)) == pytest.approx(start_kwh)  # at least the start: it binds
    assert _end_kwh(_arbitrage(flat_terms, soc_final_equal=True)) == pytest.approx(start_kwh)
    free = _arbitrage(flat_terms, soc_final_frac=asset_defaults.BATTERY_SOC_MIN_FRAC)
    assert _end_kwh(free) == pytest.approx(asset_defaults.BATTERY_SOC_MIN_FRAC * 40)
    assert _end_kwh(_arbitrage(flat_terms, soc_final_frac=0.8)) == pytest.approx(0.8 * 40)
    # equal also caps the end from above: a cheap end would otherwise fill it
    cheap_end = _arbitrage(flat_terms, soc_final_equal=True)
    meter = replace(cheap_end.meters[0], terms=flat_terms(np.r_[np.full(12, 5.0), np.full(12, 2.0)]))
    assert _end_kwh(replace(cheap_end, meters=[meter])) == pytest.approx(start_kwh)


def test_scenario_soc_final_maps_to_the_dispatch_battery():
    base = dict(building="office", energy_kwh=100, power_kw=50)
    assert _soc_final(schema.Battery(**base)) == (None, False)
    assert _soc_final(schema.Battery(**base, soc_final="equal_initial")) == (None, True)
    assert _soc_final(schema.Battery(**base, soc_final="free")) == (asset_defaults.BATTERY_SOC_MIN_FRAC, False)
    assert _soc_final(schema.Battery(**base, soc_final=0.7)) == (0.7, False)
    with pytest.raises(ValueError, match="soc_final"):
        schema.Battery(**base, soc_final=0.95)


def test_yaml_and_python_defaults_agree():
    yaml_battery, py_battery = schema.Battery(building="b", energy_kwh=1, power_kw=1), Battery()
    for name in ("charge_eff_frac", "discharge_eff_frac", "soc_min_frac", "soc_max_frac", "soc_initial_frac"):
        assert getattr(yaml_battery, name) == getattr(py_battery, name), name
    yaml_gen, py_gen = schema.Generator(building="b"), Generator()
    for name in ("min_load_frac", "fuel_slope_l_per_kwh", "fuel_intercept_l_per_kwh", "fuel_thb_per_l", "co2_kg_per_l"):
        assert getattr(yaml_gen, name) == getattr(py_gen, name), name
