"""The bundled tha-yang-flex scenario over a few days: flexible loads in results, their value, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from munigrid.forecasting.calendar import WORKDAY, day_type
from munigrid.scenarios import api
from munigrid.scenarios.flex_value import FLEX_UNITS
from munigrid.scenarios.inputs import ft_schedule

TOL = 1e-6


@pytest.fixture(scope="module")
def days():
    scenario = api.load("tha-yang-flex")
    scenario.time.start = "2026-03-02"  # a Monday: working days with occupied hours and EV sessions
    scenario.time.days = 3
    return scenario, api.run(scenario, store=False)


def test_energy_balance_with_the_flexible_load(days):
    r = days[1].results
    supply = r.pv_used_kw + r.discharge_kw - r.charge_kw + r.import_kw - r.export_kw + r.gen_kw + r.shed_kw
    np.testing.assert_allclose(supply.values, r.load_kw.values, atol=1e-5)
    for name, unit in FLEX_UNITS.items():
        assert r[name].attrs["units"] == unit


def test_states_stay_within_their_bounds(days):
    scenario, outcome = days
    r = outcome.results
    pump = scenario.flexible_loads.pumping[0]
    water = r.water_m3.sel(building=pump.building).values
    assert water.min() >= pump.level_min_frac * pump.reservoir_m3 - TOL
    assert water.max() <= pump.level_max_frac * pump.reservoir_m3 + TOL
    temp = r.zone_temp_c.sel(building="municipal_office").to_series()
    working = day_type(temp.index) == WORKDAY  # 2026-03-03 is Makha Bucha day, a day off
    working_hours = temp[working & (temp.index.hour >= 9) & (temp.index.hour < 17)]  # boundaries inside 08:00-17:00
    assert len(working_hours) == 16
    assert working_hours.between(23.0 - TOL, 26.0 + TOL).all()
    assert np.isnan(r.zone_temp_c.sel(building="street_lighting").values).all()


def test_each_flexibility_is_worth_its_bill_difference(days):
    """The value is the bill with the kind at its baseline less the optimised bill, never negative
    (the baseline is feasible for the optimiser), and the school's baseline bill (one kind: its
    all-baseline series is its cooling baseline) is the tariff's bill of the stored series."""
    scenario, outcome = days
    table = pd.DataFrame(outcome.manifest["flexibility"])
    assert set(zip(table.building, table.flexibility)) == {
        ("water_pumping_station", "pumping"), ("water_pumping_station", "ev"), ("municipal_office", "cooling"),
        ("municipal_school", "cooling"), ("municipal_school", "store")}
    assert (table.value_thb >= -1e-3).all()
    assert table.value_thb.sum() > 0
    summary = outcome.summary
    kinds = table[table.flexibility != "store"]  # the store's value is a share of the school's cooling value
    assert summary.loc["total", "flex_value_thb"] == pytest.approx(kinds.value_thb.sum(), rel=1e-9)
    building = outcome.inputs.building("municipal_school")
    imports = outcome.results.import_flex_baseline_kw.sel(building="municipal_school").to_series().clip(lower=0)
    bill = float(building.tariff.bill(imports, ft=ft_schedule(scenario)).monthly["total_thb"].sum())
    row = table[table.building == "municipal_school"].iloc[0]
    assert row.bill_baseline_thb == pytest.approx(bill, rel=1e-9)
    after = float(outcome.bills["municipal_school"]["total_thb"].sum())
    assert row.bill_optimised_thb == pytest.approx(after, rel=1e-9)


def test_before_the_project_includes_the_baseline_flexible_load(days):
    r = days[1].results
    np.testing.assert_allclose(r.baseline_import_kw.values - r.flex_baseline_kw.values,
                               r.load_kw.values - r.flex_kw.values, atol=1e-9)
    pumped = r.flex_kw.sel(building="water_pumping_station").sum() - r.flex_baseline_kw.sel(
        building="water_pumping_station").sum()
    assert abs(float(pumped)) < 1e-3 * float(r.flex_kw.sel(building="water_pumping_station").sum()) + 1.0


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "munigrid.scenarios.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


@pytest.mark.parametrize("edit, fragment", [
    (("      energy_kwh: 25\n", "      energy_kwh: 500\n"), "flexible_loads.ev[0].energy_kwh"),
    (("      pump_kw: 45\n", "      pump_kw: 5\n"), "flexible_loads.pumping[0].pump_kw"),
    (("      level_initial_frac: 0.6\n", "      level_initial_frac: 0.1\n"), "flexible_loads.pumping[0]"),
    (("    - building: municipal_school\n", "    - building: town_hall\n"), "flexible_loads"),
    (("      cooled_area_m2: 1000\n", "      cooled_area_m2: 1000\n      comfort_occupied_c: [26, 23]\n"),
     "flexible_loads.cooling[0].comfort_occupied_c"),
])
def test_bad_flexible_loads_exit_2_naming_the_field(tmp_path, edit, fragment):
    text = api.load_scenario("tha-yang-flex")[1].read_text().replace("days: 365", "days: 7")
    assert edit[0] in text
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(text.replace(*edit, 1))
    done = _cli("validate", str(scenario))
    assert done.returncode == 2, done.stderr
    assert fragment in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_sweep_varies_the_reservoir_and_reports_the_value(tmp_path):
    """Two reservoir sizes over two days: a bigger tank is worth at least as much."""
    text = api.load_scenario("tha-yang-flex")[1].read_text().replace("days: 365", "days: 2")
    scenario = tmp_path / "flex.yaml"
    scenario.write_text(text)
    done = _cli("sweep", str(scenario), "--vary", "flexible_loads.pumping[0].reservoir_m3=150,600", "--workers", "1",
                "--out", str(tmp_path / "runs"), "--json", "--no-report")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    table = pd.DataFrame(out["results"]).sort_values("flexible_loads.pumping[0].reservoir_m3")
    assert list(table.status) == ["ok", "ok"]
    values = table["flex_pumping_value_thb"].to_numpy()
    assert values[1] >= values[0] - 1e-6 and values[0] > 0


def test_stored_run_and_report_show_the_value(days, tmp_path):
    """results.nc keeps the flexible series with units; the report has the value table."""
    import xarray as xr

    from munigrid.scenarios.runner import bills_csv
    from munigrid.solver_runs import store as run_store
    from munigrid.solver_runs.report import write_run_report

    scenario, outcome = days
    stored = run_store.write_run(tmp_path, "flex-run", outcome.manifest, outcome.results, outcome.summary,
                                 extra_files={"bills.csv": bills_csv(outcome.bills),
                                              "bills_before.csv": bills_csv(outcome.bills_before)})
    with xr.open_dataset(stored.path / "results.nc") as ds:
        assert ds.pump_kw.attrs["units"] == "kW" and ds.water_m3.attrs["units"] == "m3"
        np.testing.assert_allclose(ds.flex_kw.values, outcome.results.flex_kw.values)
    page = write_run_report(stored.path).read_text(encoding="utf-8")
    assert "Value of the flexible loads" in page and "water_pumping_station" in page


def test_finance_year1_names_the_flexibility_savings(days):
    """Year-1 note: the bills with every flexible load run as today less the optimised bills, scaled to a year."""
    from munigrid.scenarios.finance import energy_year1

    scenario, outcome = days
    energy, notes = energy_year1(outcome.results, scenario, outcome.inputs)
    ft = ft_schedule(scenario)
    baseline = sum(float(b.tariff.bill(outcome.results.import_flex_baseline_kw.sel(building=b.name).to_series()
                                       .clip(lower=0), ft=ft).monthly["total_thb"].sum()) for b in outcome.inputs.buildings)
    after = sum(float(df["total_thb"].sum()) for df in outcome.bills.values())
    line = next(n for n in notes if "flexible loads" in n)
    stated = float(line.split(" include ")[1].split(" THB")[0].replace(",", ""))
    assert stated == pytest.approx((baseline - after) * 365 / 3, abs=1.0)
    assert stated >= 0.9 * outcome.summary.loc["total", "flex_value_thb"] * 365 / 3  # close to the sum of the kinds


def test_a_value_solve_without_answer_leaves_that_value_missing_with_a_note(days):
    """The run's schedule stands; the value is NaN in the summary and the notes say why."""
    from munigrid.models.errors import NoSolutionError
    from munigrid.scenarios.flex_value import flex_values
    from munigrid.scenarios.runner import prepare, solve_meters

    scenario, outcome = days
    prepared = prepare(scenario, api.load_scenario("tha-yang-flex")[1].parent)
    pumps = [m for m in prepared.meters if m.name == "water_pumping_station"]
    solved = solve_meters(pumps, prepared.inputs.step_h, scenario)

    def no_answer(meter):
        raise NoSolutionError("no_solution", ["no schedule was found within time_limit_s"])

    value = flex_values(pumps, solved, prepared.inputs, prepared.ft, no_answer)
    assert np.isnan(value.summary_columns(["water_pumping_station"])["flex_pumping_value_thb"][0])
    assert "value of pumping at water_pumping_station was not computed" in value.notes()[0]


def test_cli_run_table_shows_the_values(tmp_path):
    text = api.load_scenario("tha-yang-flex")[1].read_text().replace("days: 365", "days: 2")
    scenario = tmp_path / "flex.yaml"
    scenario.write_text(text)
    done = _cli("run", str(scenario), "--no-store", "--samples", "0")
    assert done.returncode == 0, done.stderr
    assert "Flexibility" in done.stdout and "Pumping" in done.stdout


def test_thermal_store_in_results_within_its_window(days):
    """The school's ice store (bundled: 200 kWh, defaults otherwise) stays in [0, 200] kWh from its
    empty start, is used, and the school's flexible load is its air conditioners plus the
    store's chiller."""
    scenario, outcome = days
    r = outcome.results.sel(building="municipal_school")
    stored = r.store_kwh_th.values
    assert outcome.results.store_kwh_th.attrs["units"] == "kWh thermal"
    assert stored[0] == pytest.approx(0.0, abs=TOL) and stored.min() >= -TOL and stored.max() <= 200.0 + TOL
    assert r.store_discharge_kw_th.values.sum() > 10.0
    np.testing.assert_allclose(r.flex_kw.values, r.cool_kw.values + r.store_charge_kw.values, atol=1e-6)
    assert np.isnan(outcome.results.store_kwh_th.sel(building="municipal_office").values).all()


def test_thermal_store_follows_its_balance_and_the_zone_its_rc_model(days):
    """s_{t+1} = (1 - 0.001) s_t + COP_t c_t - d_t and the school zone's RC step with the store's cooling."""
    from munigrid.scenarios.runner import prepare

    scenario, outcome = days
    prepared = prepare(scenario, api.load_scenario("tha-yang-flex")[1].parent)
    zone = next(m for m in prepared.meters if m.name == "municipal_school").flex.cooling
    r = outcome.results.sel(building="municipal_school")
    stored, charge, out = r.store_kwh_th.values, r.store_charge_kw.values, r.store_discharge_kw_th.values
    np.testing.assert_allclose(stored[1:], 0.999 * stored[:-1] + zone.store.charge_cop[:-1] * charge[:-1]
                               - out[:-1], atol=1e-5)
    assert zone.store.charge_kw == pytest.approx(200.0 / (8 * 2.2))  # default: full in 8 h at the ice COP at 35 C
    temp = r.zone_temp_c.values
    drift = zone.loss_kw_per_k * (zone.outdoor_c - temp) + zone.gain_kw - zone.cop * r.cool_kw.values - out
    np.testing.assert_allclose(np.diff(temp), drift[:-1] / zone.capacity_kwh_per_k, atol=1e-5)


def test_the_store_value_is_the_bill_without_it_less_the_optimised_bill(days):
    """The store's share of the cooling value: the school solved without its store (pre-cooling still
    optimised) billed, less the optimised bill; positive, at most the cooling value (the thermostat baseline
    is feasible without the store), in the summary but not in the total."""
    from dataclasses import replace

    from munigrid.scenarios.runner import prepare, solve_meters

    scenario, outcome = days
    table = pd.DataFrame(outcome.manifest["flexibility"]).set_index(["building", "flexibility"])
    prepared = prepare(scenario, api.load_scenario("tha-yang-flex")[1].parent)
    school = next(m for m in prepared.meters if m.name == "municipal_school")
    plain = replace(school, flex=replace(school.flex, cooling=replace(school.flex.cooling, store=None)))
    imports = solve_meters([plain], prepared.inputs.step_h, scenario)["municipal_school"].schedules[
        "municipal_school"].import_kw
    series = pd.Series(np.clip(imports, 0, None), index=prepared.inputs.index)
    bill_thb = float(prepared.inputs.building("municipal_school").tariff.bill(series, ft=prepared.ft).monthly[
        "total_thb"].sum())
    store = table.loc[("municipal_school", "store")]
    assert store.bill_baseline_thb == pytest.approx(bill_thb, rel=1e-6)
    assert 1.0 < store.value_thb <= table.loc[("municipal_school", "cooling"), "value_thb"] + 1.0
    summary = outcome.summary
    assert summary.loc["municipal_school", "flex_store_value_thb"] == pytest.approx(store.value_thb, rel=1e-9)
    assert summary.loc["municipal_school", "flex_value_thb"] == pytest.approx(
        summary.loc["municipal_school", "flex_cooling_value_thb"], rel=1e-9)


SCHOOL = "      store: {kind: ice, capacity_kwh_th: 200}\n"


@pytest.mark.parametrize("line, fragment", [
    ("store: {kind: glycol, capacity_kwh_th: 200}", "flexible_loads.cooling[1].store.kind"),
    ("store: {kind: ice, capacity_kwh_th: 200, soc_initial_frac: 0.5, soc_max_frac: 0.4}",
     "flexible_loads.cooling[1].store"),
    ("store: {kind: ice, capacity_kwh_th: 200, charge_kw: 0.5, loss_frac_per_h: 0.1, soc_initial_frac: 0.5}",
     "flexible_loads.cooling[1].store.charge_kw"),
    ("cooling_kw: 0", "flexible_loads.cooling[1]: cooling_kw 0 (no air conditioners) needs a store"),
    ("store: {kind: ice, capacity_kwh_th: 200, max_capacity_kwh_th: 400}",
     "give capacity_kwh_th (a fixed tank) or max_capacity_kwh_th"),
    ("store: {kind: ice, max_capacity_kwh_th: 400, capex_thb_per_kwh_th: -5}",
     "flexible_loads.cooling[1].store.capex_thb_per_kwh_th"),
    ("store: {kind: ice, max_capacity_kwh_th: 400, chiller_capex_thb_per_kw: .nan}",
     "flexible_loads.cooling[1].store.chiller_capex_thb_per_kw"),
])
def test_bad_thermal_store_exits_2_from_run_naming_the_field(tmp_path, line, fragment):
    """A store the schema refuses, one whose chiller cannot make up its standing loss (10 kWh/h lost at half
    charge needs about 4 kW at the ice COP; 0.5 kW given), and a zone with neither air conditioners nor a
    store stop ``munigrid run`` before solving."""
    text = api.load_scenario("tha-yang-flex")[1].read_text().replace("days: 365", "days: 2")
    assert SCHOOL in text
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(text.replace(SCHOOL, f"      {line}\n", 1))
    done = _cli("run", str(scenario), "--no-store", "--samples", "0")
    assert done.returncode == 2, done.stderr
    assert fragment in done.stderr and "Traceback" not in done.stderr
