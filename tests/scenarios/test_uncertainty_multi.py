"""Sampled years (Monte Carlo) of meters with several batteries, a connection and flexible loads.

Hand case: an office drawing 10 kW, 40 kW from 12:00 to 13:00 every day, for four weeks (one
billing month); flat 2 THB/kWh and 100 THB/kW of monthly demand, no VAT
(tests/models/tariffs/data/flat_demand.yaml). Every day is the same, so every sampled year is the
same year. A full lossless 10 kWh / 10 kW battery shaves the daily peak to 30 kW (demand 3,000
THB); a second one of the same size to 20 kW (2,000 THB); a second one of zero size changes nothing.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from munigrid.models.dispatch.flex import EVFleet, FlexLoads, PumpStation
from munigrid.models.errors import InputError
from munigrid.models.simulation.ensemble import METRICS
from munigrid.scenarios import api
from munigrid.scenarios.cli import main
from munigrid.scenarios.inputs import ft_schedule
from munigrid.scenarios.simulation import _optimiser_sources, simulate_scenario
from munigrid.scenarios.uncertainty import sampled_meter, source_steps
from munigrid.scenarios.uncertainty_flex import sampled_flex, stacked_flex

TARIFFS = Path(__file__).parents[1] / "models" / "tariffs" / "data"
DAYS, SAMPLES = 28, 2
LOSSLESS = {"charge_eff_frac": 1.0, "discharge_eff_frac": 1.0, "soc_min_frac": 0.0, "soc_max_frac": 1.0,
            "soc_initial_frac": 1.0}


def _scenario(tmp_path: Path, second_kwh: float | None) -> Path:
    shutil.copy(TARIFFS / "flat_demand.yaml", tmp_path / "flat_demand.yaml")
    index = pd.date_range("2025-06-01", periods=24 * DAYS, freq="h", tz="Asia/Bangkok")
    load = np.where(index.hour == 12, 40.0, 10.0)
    pd.DataFrame({"time": index.strftime("%Y-%m-%dT%H:%M+07:00"), "load_kw": load}).to_csv(
        tmp_path / "office.csv", index=False)
    banks = [{"name": "lfp", "building": "office", "energy_kwh": 10, "power_kw": 10, **LOSSLESS}]
    if second_kwh is not None:
        banks.append({"name": "lead_acid", "building": "office", "energy_kwh": second_kwh, "power_kw": second_kwh,
                      **LOSSLESS})
    spec = {"name": "banks", "site": {"name": "test", "latitude_deg": 12.97, "longitude_deg": 99.89},
            "time": {"start": "2025-06-01", "days": DAYS, "step_min": 60},
            "buildings": [{"name": "office", "kind": "office", "load_csv": "office.csv",
                           "tariff_file": "flat_demand.yaml"}],
            "batteries": banks}
    path = tmp_path / "banks.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _samples(tmp_path: Path, second_kwh: float | None):
    scenario = api.load(_scenario(tmp_path, second_kwh))
    return simulate_scenario(scenario, samples=SAMPLES, operator="optimiser", workers=1)[0].sel(building="office")


def test_a_zero_size_second_battery_changes_no_sampled_year(tmp_path):
    one, two = _samples(tmp_path, None), _samples(tmp_path, 0.0)
    for name, _ in METRICS:
        np.testing.assert_array_equal(one[name].values, two[name].values, err_msg=name)


def test_the_second_battery_shaves_the_sampled_peak_by_hand(tmp_path):
    one, two = _samples(tmp_path, None), _samples(tmp_path, 10.0)
    np.testing.assert_allclose(one["peak_import_kw"].values, 30.0, atol=1e-6)
    np.testing.assert_allclose(two["peak_import_kw"].values, 20.0, atol=1e-6)
    np.testing.assert_allclose(one["demand_cost_thb"].values, 3000.0, atol=1e-4)
    np.testing.assert_allclose(two["demand_cost_thb"].values, 2000.0, atol=1e-4)


def test_the_rule_operator_refuses_several_batteries_naming_the_field(tmp_path, capsys):
    path = _scenario(tmp_path, 10.0)
    with pytest.raises(InputError, match="--operator optimiser") as err:
        simulate_scenario(api.load(path), samples=SAMPLES, operator="rule")
    assert err.value.problems[0].path == "batteries"
    with pytest.raises(SystemExit) as stop:
        main(["simulate", str(path), "--samples", "2", "--operator", "rule"])
    assert stop.value.code == 2
    assert "batteries: meter 'office' has 2 batteries" in capsys.readouterr().err


def test_a_run_notes_why_the_rule_skipped_and_the_optimiser_runs(tmp_path):
    path = _scenario(tmp_path, 10.0)
    skipped = api.run(path, samples=SAMPLES, operator="rule", store=False)
    assert skipped.samples is None
    assert any("Monte Carlo skipped: batteries" in n for n in skipped.manifest["notes"])


def _synthetic_flex(n_t: int) -> FlexLoads:
    """Inputs equal to their source step, and one EV fleet plugged 16:00-08:00 (session energy 5 kWh)."""
    hour = np.arange(n_t) % 24
    plugged = (hour >= 16) | (hour < 8)
    start = hour == 16
    required = np.zeros(n_t + 1)
    required[np.flatnonzero(hour == 7) + 1] = 5.0
    station = PumpStation(pump_kw=5.0, kwh_per_m3=0.5, volume_m3=100.0, demand_m3_per_h=np.arange(n_t, dtype=float))
    fleet = EVFleet(name="van", charger_kw=7.0, plugged=plugged, session_start=start, required_kwh=required)
    return FlexLoads(pumping=station, ev=(fleet,))


def test_sampled_flexible_inputs_follow_the_day_map():
    flex = _synthetic_flex(24 * 6)
    steps = source_steps(np.array([2, 3, 0, 5]), 24)
    cut = sampled_flex(flex, steps)
    np.testing.assert_array_equal(cut.pumping.demand_m3_per_h, steps.astype(float))
    fleet = cut.ev[0]
    np.testing.assert_array_equal(fleet.plugged, flex.ev[0].plugged[steps])
    # days 2->3 follow each other: the night's session keeps its 08:00 requirement
    assert fleet.required_kwh[24 + 8] == 5.0
    # day 0 starts the sample plugged in: a session without its arrival, no requirement
    assert fleet.session_start[0] and fleet.required_kwh[8] == 0.0
    # 3 -> 0 and 0 -> 5 are cuts, but the vehicles were plugged before them: the session carries on
    assert not fleet.session_start[48] and fleet.required_kwh[48 + 8] == 5.0
    two_years = stacked_flex([flex, flex], 24 * 6)
    assert two_years.ev[0].required_kwh.size == 2 * 24 * 6 + 1
    np.testing.assert_array_equal(two_years.pumping.demand_m3_per_h[24 * 6:], flex.pumping.demand_m3_per_h)


def test_a_sampled_year_of_tha_yang_flex_cuts_weather_and_water_demand_from_its_days():
    scenario = api.load("tha-yang-flex")
    scenario = scenario.model_copy(update={"time": scenario.time.model_copy(update={"days": DAYS})})
    inputs = api.inputs(scenario)
    sources = _optimiser_sources(scenario, [inputs], ft_schedule(scenario))
    flexible = [s for s in sources.values() if s.meter.flex is not None]
    assert flexible
    day_row = np.roll(np.arange(DAYS), 7)
    steps = source_steps(day_row, 24)
    for source in flexible:
        meter = sampled_meter(source, day_row, 1.0)
        flex = source.meter.flex
        if flex.cooling is not None:
            np.testing.assert_array_equal(meter.flex.cooling.outdoor_c, flex.cooling.outdoor_c[steps])
            np.testing.assert_array_equal(meter.flex.cooling.comfort_max_c, flex.cooling.comfort_max_c[steps])
        if flex.pumping is not None:
            np.testing.assert_array_equal(meter.flex.pumping.demand_m3_per_h, flex.pumping.demand_m3_per_h[steps])
        for fleet, source_fleet in zip(meter.flex.ev, flex.ev):
            np.testing.assert_array_equal(fleet.plugged, source_fleet.plugged[steps])
        np.testing.assert_array_equal(meter.load_kw, source.source_load_kw[steps])


def test_a_sampled_flexible_year_counts_its_flexible_load_and_equals_a_direct_solve():
    from munigrid.models.dispatch import DispatchProblem, SolveOptions, solve
    from munigrid.scenarios.uncertainty import dispatch_sample, schedule_metrics

    scenario = api.load("tha-yang-flex")
    scenario = scenario.model_copy(update={"time": scenario.time.model_copy(update={"days": DAYS})})
    sources = _optimiser_sources(scenario, [api.inputs(scenario)], ft_schedule(scenario))
    source = next(s for s in sources.values() if s.meter.flex is not None and s.meter.flex.pumping is not None)
    day_row = np.roll(np.arange(DAYS), 7)
    values, result = dispatch_sample(source, day_row, 1.0, 1.0, SolveOptions(threads=1))
    meter = sampled_meter(source, day_row, 1.0)
    direct = solve(DispatchProblem(step_h=1.0, meters=[meter], options=SolveOptions(threads=1)))
    assert result.objective_thb == pytest.approx(direct.objective_thb, rel=1e-9)
    flex_kwh = float(np.sum(direct.schedules[meter.name].flex.flex_kw))
    load_kwh = values[[n for n, _ in METRICS].index("load_kwh")]
    assert flex_kwh > 0 and load_kwh == pytest.approx(float(np.sum(meter.load_kw)) + flex_kwh, rel=1e-12)
    np.testing.assert_allclose(values, schedule_metrics(meter, direct, 1.0), rtol=1e-9)


def test_the_rule_simulates_a_battery_behind_a_connection_at_its_meter(tmp_path):
    path = _scenario(tmp_path, None)
    spec = yaml.safe_load(path.read_text())
    spec["buildings"].append({**spec["buildings"][0], "name": "school"})
    spec["connections"] = [{"name": "campus_meter", "buildings": ["office", "school"]}]
    path.write_text(yaml.safe_dump(spec))
    samples = simulate_scenario(api.load(path), samples=SAMPLES, operator="rule")[0]
    assert list(samples["building"].values) == ["campus_meter"]
    # self-consumption with no PV: the full battery gives its 10 kWh once (one full cycle), then stays empty
    np.testing.assert_allclose(samples["equivalent_full_cycles"].values, 1.0, atol=1e-9)


def test_a_sampled_year_whose_ev_session_cannot_be_met_is_a_failed_sample():
    from munigrid.models.dispatch import SolveOptions
    from munigrid.scenarios.uncertainty import MeterSource, dispatch_sample

    scenario = api.load("tha-yang-flex")
    scenario = scenario.model_copy(update={"time": scenario.time.model_copy(update={"days": DAYS})})
    sources = _optimiser_sources(scenario, [api.inputs(scenario)], ft_schedule(scenario))
    source = next(s for s in sources.values() if s.meter.flex is not None and s.meter.flex.ev)
    fleet = source.source_flex.ev[0]
    starved = replace(fleet, charger_kw=0.1)  # far too small for the session's energy
    source = MeterSource(source.meter, source.source_load_kw, source.source_pv_kw_per_kwp, source.steps_per_day,
                         replace(source.source_flex, ev=(starved,)))
    values, result = dispatch_sample(source, np.arange(DAYS), 1.0, 1.0, SolveOptions(threads=1))
    assert result is None and np.isnan(values).all()
