"""tha-yang-flex over two days in sizing mode with the school's ice store sized: tank, price, value after sizing."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from munigrid.scenarios import api
from munigrid.scenarios.flex_inputs import flex_defaults
from munigrid.scenarios.schema_flex import ThermalStore

SCHOOL = "municipal_school"


@pytest.fixture(scope="module")
def sized():
    scenario = api.load("tha-yang-flex")
    scenario.time.start = "2026-03-02"  # a Monday
    scenario.time.days = 2
    scenario.optimisation.mode = "sizing"
    zone = next(c for c in scenario.flexible_loads.cooling if c.building == SCHOOL)
    zone.store = ThermalStore(kind="ice", max_capacity_kwh_th=400.0, capex_thb_per_kwh_th=300.0,
                              chiller_capex_thb_per_kw=5000.0)
    return scenario, api.run(scenario, store=False)


def test_tank_sized_within_its_bounds_and_priced_with_its_chiller(sized):
    _, outcome = sized
    tank = float(outcome.results["store_capacity_kwh_th"].sel(building=SCHOOL))
    assert 0.0 <= tank <= 400.0 + 1e-6
    chiller_kw_per_kwh_th = 1.0 / (flex_defaults()["thermal_store"]["common"]["charge_hours"]
                                   * flex_defaults()["thermal_store"]["ice"]["cop_at_35c"])
    assert float(outcome.results["store_capex_thb"].sel(building=SCHOOL)) == pytest.approx(
        tank * (300.0 + 5000.0 * chiller_kw_per_kwh_th), rel=1e-9)
    assert outcome.summary.loc[SCHOOL, "store_capacity_kwh_th"] == pytest.approx(tank)
    stored = outcome.results["store_kwh_th"].sel(building=SCHOOL).to_numpy()
    assert stored.max() <= tank + 1e-6
    assert outcome.manifest["solver"]["sizes"][SCHOOL]["store_capacity_kwh_th"] == pytest.approx(tank)


def _bill_plus_capital_thb(prepared, result) -> float:
    imports = pd.Series(np.clip(result.schedules[SCHOOL].import_kw, 0, None), index=prepared.inputs.index)
    bill = float(prepared.inputs.building(SCHOOL).tariff.bill(imports, ft=prepared.ft).monthly["total_thb"].sum())
    return bill + sum(v for k, v in result.costs_thb.items() if k.endswith("_capital"))


def test_value_after_sizing_compares_bill_plus_capital_each_sized(sized):
    """The school sized alone with its store and sized alone without it (PV re-sized too), each billed plus its
    annualised capital: their difference is the store's value; at least 0 (a tank of 0 is allowed)."""
    from munigrid.scenarios.runner import prepare, solve_meters

    scenario, outcome = sized
    rows = {(r["building"], r["flexibility"]): r for r in outcome.manifest["flexibility"]}
    store = rows[(SCHOOL, "store")]
    prepared = prepare(scenario, api.load_scenario("tha-yang-flex")[1].parent)
    school = next(m for m in prepared.meters if m.name == SCHOOL)
    plain = replace(school, flex=replace(school.flex, cooling=replace(school.flex.cooling, store=None)))
    with_store, without = (solve_meters([m], prepared.inputs.step_h, scenario)[SCHOOL] for m in (school, plain))
    assert without.sizes[SCHOOL].store_capacity_kwh_th == 0.0
    assert store["bill_optimised_thb"] == pytest.approx(_bill_plus_capital_thb(prepared, with_store), rel=1e-6)
    assert store["bill_baseline_thb"] == pytest.approx(_bill_plus_capital_thb(prepared, without), rel=1e-6)
    assert store["value_thb"] >= -1e-4 * store["bill_optimised_thb"]
    assert any("every case sized again" in n for n in outcome.manifest["notes"])


def test_finance_prices_the_sized_store_as_a_component(sized):
    """The project's components get ``thermal_store`` at the run's tank times tank-plus-chiller price, with the
    store's life; without a store (the same run's results less the two store variables) there is none."""
    from munigrid.models.finance.defaults import default_value
    from munigrid.scenarios.finance import project_inputs

    scenario, outcome = sized
    inputs, _, _ = project_inputs(outcome.results, scenario, years=20, escalation="flat")
    store = next(c for c in inputs.components if c.name == "thermal_store")
    assert store.capex_thb == pytest.approx(float(outcome.results["store_capex_thb"].sum()), rel=1e-12)
    assert store.life_years == default_value("lives", "thermal_store_years")
    plain = outcome.results.drop_vars(["store_capacity_kwh_th", "store_capex_thb"])
    assert "thermal_store" not in [c.name for c in project_inputs(plain, scenario, years=20, escalation="flat")[0]
                                   .components]


def test_sizing_a_store_that_is_the_only_cooling_exits_2_naming_the_field(tmp_path):
    """Sizing mode, the school's air conditioners removed and its store given a largest tank: refused before
    solving (its thermostat baseline needs the tank), naming the field."""
    import subprocess
    import sys

    text = api.load_scenario("tha-yang-flex")[1].read_text().replace("days: 365", "days: 2")
    school = "      store: {kind: ice, capacity_kwh_th: 200}\n"
    assert school in text and "optimisation:\n" in text
    text = text.replace(school, "      cooling_kw: 0\n      store: {kind: ice, max_capacity_kwh_th: 400}\n", 1)
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(text.replace("optimisation:\n", "optimisation:\n  mode: sizing\n", 1))
    done = subprocess.run([sys.executable, "-m", "munigrid.scenarios.cli", "run", str(scenario), "--no-store",
                           "--samples", "0"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stderr
    assert "flexible_loads.cooling[1].store.max_capacity_kwh_th" in done.stderr
    assert "Traceback" not in done.stderr
