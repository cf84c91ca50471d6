"""The project life year by year: year 1 is the run's year, fade follows cycling, escalation and
growth by hand, fast anchors against full re-solves, the CLI options."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from finance_cases import simple_energy
from munigrid.models.finance import Component, Escalation, ProjectInputs, project_cash_flows
from munigrid.models.finance.inputs import LifetimeEnergy
from munigrid.models.simulation.degradation import battery_fade
from munigrid.models.simulation.multi_year import BatteryAge, age_one_year
from munigrid.scenarios import api
from munigrid.scenarios import finance as finance_cases
from munigrid.scenarios.cli import cli
from munigrid.scenarios.lifetime import MeterSeries, YearState, surrogate
from munigrid.scenarios.schema import Scenario
from munigrid.solver_runs import store as run_store


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """Tha Yang's office (with its battery) and school, two weeks, dispatched by HiGHS and stored."""
    data = api.load("tha-yang").model_dump(mode="json")
    data["buildings"] = data["buildings"][:2]
    data["time"]["days"] = 14
    return api.run(Scenario.model_validate(data), root=tmp_path_factory.mktemp("runs"), samples=0,
                   report=False).run_dir


@pytest.fixture(scope="module")
def outcomes(run_dir):
    """The municipal case of the run with every lifetime method, nothing written."""
    return {method: api.finance(run_dir, "municipal", years=12, lifetime=method, write=False)
            for method in ("scaled", "fast", "full")}


def test_year1_of_the_simulated_life_is_the_run_s_year_exactly(outcomes):
    simulated = outcomes["full"].cases["municipal"].project.to_frame()
    scaled = outcomes["scaled"].cases["municipal"].project.to_frame()
    columns = ["pv_used_kwh", "load_kwh", "import_before_kwh", "import_after_kwh", "bill_before_thb",
               "bill_after_thb", "bill_savings_thb"]
    assert simulated.loc[1, columns].to_dict() == scaled.loc[1, columns].to_dict()
    assert simulated.loc[2, "bill_after_thb"] != scaled.loc[2, "bill_after_thb"]  # year 2 is its own


def test_year1_re_solved_equals_the_stored_dispatch(run_dir):
    from munigrid.scenarios.api import _base_dir
    from munigrid.scenarios.lifetime import meter_series, solved_year, year1_values
    from munigrid.scenarios.runner import prepare

    scenario = api.load(run_dir / "scenario.yaml")
    results = run_store.open_run(run_dir).results()
    prepared = prepare(scenario, _base_dir(scenario, None))
    office = meter_series(results, scenario, prepared)[0]
    stored = year1_values(office, results, prepared.inputs.step_h)
    again = solved_year(office, YearState(1.0, 1.0, 1.0), prepared.inputs.step_h)
    assert again["bill_thb"] == pytest.approx(stored["bill_thb"], rel=1e-6)
    assert again["import_kwh"] == pytest.approx(stored["import_kwh"], rel=1e-4)


def test_fast_anchors_match_full_re_solves_within_one_percent(outcomes):
    fast, full = outcomes["fast"].cases["municipal"], outcomes["full"].cases["municipal"]
    npv_fast, npv_full = fast.project_metrics()["npv_thb"], full.project_metrics()["npv_thb"]
    assert abs(npv_fast - npv_full) <= 0.01 * abs(npv_full)
    assert outcomes["full"].scaled["municipal"]["project"]["npv_thb"] == pytest.approx(
        outcomes["scaled"].cases["municipal"].project_metrics()["npv_thb"], rel=1e-9)


def test_battery_capacity_falls_each_year_and_is_reset_after_replacement(outcomes):
    life = outcomes["full"].cases["municipal"].project.inputs.lifetime
    capacity = np.array(life.battery_capacity_frac)
    assert capacity[0] == 1.0 and np.all(capacity[1:] < 1.0 + 1e-12)
    for year in range(1, len(capacity)):
        if year in life.battery_replacement_years:
            assert capacity[year] == 1.0
        else:
            assert capacity[year] < capacity[year - 1]
    assert 10 in life.battery_replacement_years  # the 10-year calendar life binds at this light cycling


def _replacement_years(cycle_fade_frac: float, years: int = 20) -> list[int]:
    state, replaced = BatteryAge(), []
    for year in range(1, years + 1):
        state, _, event = age_one_year(state, cycle_fade_frac, eol_frac=0.8, life_years=15,
                                       replace_allowed=year < years)
        if event == "replace":
            replaced.append(year)
    return replaced


def test_more_cycling_means_earlier_replacement():
    light, heavy = _replacement_years(0.005), _replacement_years(0.03)
    assert heavy[0] < light[0]
    assert len(heavy) > len(light)
    # by hand: calendar fade 0.018*sqrt(a) after a years, cycling 0.03 a year:
    # end of year 5: 1 - 0.15 - 0.0402 = 0.8098 (kept); end of year 6: 1 - 0.18 - 0.0441 = 0.776 < 0.8
    assert heavy[0] == 6


def test_cycle_fade_of_a_year_grows_with_its_cycling():
    hours = np.arange(24 * 365 + 1)
    daily = 100 + 80 * np.sin(2 * np.pi * hours / 24)  # one 160 kWh cycle a day on 200 kWh
    shallow = 100 + 20 * np.sin(2 * np.pi * hours / 24)
    deep, light = (battery_fade(soc, 200.0, step_h=1.0).cycle_fade_frac for soc in (daily, shallow))
    assert deep > 4 * light > 0


def _record(bill_before: float, bill_after: float, import_after: float, pv_used: float) -> object:
    return simple_energy(load_kwh=1000.0, pv_available_kwh=400.0, pv_used_kwh=pv_used, import_before_kwh=1000.0,
                        import_after_kwh=import_after, bill_before_thb=bill_before, bill_after_thb=bill_after,
                        ft_thb_per_kwh=0.2, vat_frac=0.0)


def test_escalation_and_replacement_of_simulated_years_by_hand():
    years = (_record(5000.0, 3000.0, 600.0, 400.0), _record(5000.0, 3100.0, 620.0, 380.0),
             _record(5000.0, 3300.0, 650.0, 350.0))
    lifetime = LifetimeEnergy(years, battery_capacity_frac=(1.0, 0.9, 1.0), battery_replacement_years=(2,),
                              battery_end_capacity_frac=0.9)
    battery = Component("battery", 1000.0, 10, energy_basis="battery", replacement_cost_frac=0.5)
    inputs = ProjectInputs(years[0], (battery,), years=3, pv_degradation_frac_per_year=0.0, lifetime=lifetime,
                           escalation=Escalation(tariff_frac_per_year=0.1, ft_change_thb_per_kwh_per_year=0.1))
    flows = project_cash_flows(inputs)
    # year 3: base tariff x1.21, Ft 0.2 + 0.2 = 0.4; before: (5000 - 0.2*1000)*1.21 + 0.4*1000
    assert flows.energy.bill_before_thb[3] == pytest.approx(4800 * 1.21 + 400)
    # after: (3300 - 0.2*650)*1.21 + 0.4*650
    assert flows.energy.bill_after_thb[3] == pytest.approx(3170 * 1.21 + 260)
    assert flows.replacement_thb.tolist() == [0.0, 0.0, 500.0, 0.0]
    # residual: the battery bought in year 2 at 500 THB has (0.9 - 0.8)/0.2 = half its capacity left
    assert flows.residual_thb[3] == pytest.approx(250.0)
    assert flows.energy.battery_capacity_frac[1:].tolist() == [1.0, 0.9, 1.0]


def test_load_growth_and_pv_degradation_of_a_meter_without_storage_by_hand():
    series = MeterSeries("m", np.array([10.0, 10.0, 10.0]), np.array([0.0, 5.0, 20.0]),
                         bill=lambda imported: float(np.sum(imported) * 4.0), meter=None, battery_kwh=0.0)
    year = surrogate(series, YearState(pv_factor=0.9, load_factor=1.1, capacity_frac=1.0))
    # load 11 each step; PV 0, 4.5, 18 -> used 0, 4.5, 11; import 11, 6.5, 0
    assert year["pv_used_kwh"] == pytest.approx(15.5)
    assert year["import_kwh"] == pytest.approx(17.5)
    assert year["bill_thb"] == pytest.approx(70.0)


def test_lifetime_table_in_each_structure_folder(run_dir, tmp_path):
    outcome = api.finance(run_dir, "municipal,esco", years=12, lifetime="fast", out=tmp_path,
                          terms=finance_cases.ContractTerms(term_years=12))
    for name in ("municipal", "esco"):
        table = pd.read_csv(tmp_path / name / finance_cases.LIFETIME_FILE, index_col="year")
        assert list(table.index) == list(range(1, 13))
        assert set(table["structure"]) == {name}
        for column in ("bill_before_thb", "bill_after_thb", "pv_used_kwh", "battery_capacity_start_frac",
                       "replacement_cost_thb", "battery_replaced"):
            assert column in table.columns
        replaced = table.index[table["battery_replaced"]].tolist()
        assert (table.loc[replaced, "replacement_cost_thb"] > 0).all()
    assert outcome.summary()["lifetime"] == "fast" and "municipal" in outcome.summary()["year1_scaled"]


@pytest.mark.parametrize(("args", "option"), [
    (["--lifetime", "yearly"], "--lifetime"), (["--load-growth", "0.5"], "--load-growth"),
    (["--load-growth", "nan"], "--load-growth"), (["--incentives", "boi,cash"], "--incentives"),
    (["--grant-frac", "1.5"], "--grant-frac"), (["--tver-price", "-1"], "--tver-price"),
    (["--boi-scheme", "gold"], "--boi-scheme"), (["--grant-years", "99"], "--grant-years"),
    (["--battery-upkeep", "swap"], "--battery-upkeep")])
def test_cli_refuses_bad_lifetime_options_naming_them(run_dir, args, option):
    result = CliRunner().invoke(cli, ["finance", str(run_dir), *args])
    assert result.exit_code == 2, result.output
    assert option in result.output and "Traceback" not in result.output


def test_api_refuses_bad_lifetime_arguments_naming_them(run_dir):
    from munigrid.models.errors import InputError

    with pytest.raises(InputError) as err:
        api.finance(run_dir, "municipal", lifetime="yearly", load_growth_frac_per_year=float("inf"), write=False)
    assert {p.path for p in err.value.problems} == {"lifetime", "load_growth"}


def test_sensitivity_moves_simulated_years_by_the_ratio(outcomes):
    case = outcomes["fast"].cases["municipal"]
    inputs = case.project.inputs
    faster = replace(inputs, pv_degradation_frac_per_year=inputs.pv_degradation_frac_per_year + 0.01)
    base, moved = project_cash_flows(inputs).energy, project_cash_flows(faster).energy
    ratio = (1 - faster.pv_degradation_frac_per_year) / (1 - inputs.pv_degradation_frac_per_year)
    assert moved.pv_available_kwh[5] == pytest.approx(base.pv_available_kwh[5] * ratio ** 4)


def test_cli_incentives_show_who_receives_each(run_dir, tmp_path):
    import json

    result = CliRunner().invoke(cli, ["finance", str(run_dir), "--structure", "municipal,ppa", "--years", "12",
                                      "--term", "12", "--lifetime", "scaled", "--incentives", "all",
                                      "--grant-frac", "0.1", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    structures = json.loads(result.stdout)["structures"]
    assert set(structures["municipal"]["incentives"]) == {"municipality"}
    assert {"incentive_tver_credits_thb", "incentive_capital_grant_thb"} <= set(
        structures["municipal"]["incentives"]["municipality"])
    investor = structures["ppa"]["incentives"]["investor"]
    assert {"boi_cit_exemption_thb", "incentive_import_duty_exemption_thb", "incentive_capital_grant_thb"} <= set(investor)
    table = pd.read_csv(tmp_path / "ppa" / "incentives.csv")
    assert set(table["party"]) == {"investor"} and set(table["structure"]) == {"ppa"}


def test_tariff_sensitivity_moves_every_simulated_year(outcomes):
    from munigrid.models.finance.sensitivity import perturb_tariff

    inputs = outcomes["full"].cases["municipal"].project.inputs
    higher, _ = perturb_tariff(inputs, None, 0.1)
    base, moved = project_cash_flows(inputs).energy, project_cash_flows(higher).energy
    assert np.all(moved.savings_thb[1:] > base.savings_thb[1:])


def test_augmentation_tops_the_battery_up_and_costs_the_share_added():
    # by hand: cycling 0.03 a year, end of year 6 at 0.776 < 0.8: 22.4 % of the capacity is added
    state = BatteryAge()
    for _ in range(5):
        state, _, event = age_one_year(state, 0.03, eol_frac=0.8, life_years=15, augment=True)
        assert event == ""
    state, end, event = age_one_year(state, 0.03, eol_frac=0.8, life_years=15, augment=True)
    assert event == "augment" and state.capacity_frac == 1.0 and end == pytest.approx(0.776, abs=5e-4)
    assert state.age_years == pytest.approx(6 * end)
    years = tuple(_record(5000.0, 3000.0, 600.0, 400.0) for _ in range(3))
    lifetime = LifetimeEnergy(years, battery_capacity_frac=(1.0, 0.85, 1.0), battery_augmentation=((2, 0.224),),
                              battery_end_capacity_frac=0.98)
    battery = Component("battery", 1000.0, 10, energy_basis="battery", replacement_cost_frac=0.5)
    flows = project_cash_flows(ProjectInputs(years[0], (battery,), years=3, lifetime=lifetime))
    assert flows.replacement_thb.tolist() == pytest.approx([0.0, 0.0, 1000 * 0.5 * 0.224, 0.0])
    assert flows.residual_thb[3] == pytest.approx(500 * 0.9)  # (0.98 - 0.8) / 0.2 of the replacement price


def test_augmented_life_runs_from_the_cli(run_dir, tmp_path):
    result = CliRunner().invoke(cli, ["finance", str(run_dir), "--years", "12", "--battery-upkeep", "augment",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "municipal" / finance_cases.LIFETIME_FILE, index_col="year")
    assert "battery_augmented_frac" in table.columns


def test_full_warm_started_years_equal_cold_re_solves(tmp_path, monkeypatch):
    """``full`` re-solves each year from the previous year's basis; the same 4-year life with every
    year solved cold (the path before warm starts) gives the same NPV and yearly bills to 1e-6."""
    from munigrid.models.dispatch.strategy import WarmStart
    from munigrid.scenarios import lifetime

    data = api.load("tha-yang").model_dump(mode="json")
    data["buildings"] = data["buildings"][:1]  # the office, with its battery
    data["time"]["days"] = 7
    run_dir = api.run(Scenario.model_validate(data), root=tmp_path, samples=0, report=False).run_dir
    bases = []
    real = lifetime.solved_year

    def recording(series, state, step_h, warm=None):
        out = real(series, state, step_h, warm)
        bases.append(isinstance(warm, WarmStart) and warm.basis is not None)
        return out

    monkeypatch.setattr(lifetime, "solved_year", recording)
    warm = api.finance(run_dir, "municipal", years=4, lifetime="full", load_growth_frac_per_year=0.03, write=False)
    assert bases == [True, True, True]  # years 2-4 solved, each leaving its basis for the next
    monkeypatch.setattr(lifetime, "solved_year", lambda series, state, step_h, warm=None: real(series, state, step_h))
    cold = api.finance(run_dir, "municipal", years=4, lifetime="full", load_growth_frac_per_year=0.03, write=False)
    warm_case, cold_case = warm.cases["municipal"], cold.cases["municipal"]
    assert warm_case.project_metrics()["npv_thb"] == pytest.approx(cold_case.project_metrics()["npv_thb"], rel=1e-6)
    warm_years = warm_case.project.inputs.lifetime.years
    cold_years = cold_case.project.inputs.lifetime.years
    for a, b in zip(warm_years, cold_years):
        assert a.bill_after_thb == pytest.approx(b.bill_after_thb, rel=1e-6)
        assert a.import_after_kwh == pytest.approx(b.import_after_kwh, rel=1e-6)
