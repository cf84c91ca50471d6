"""Resilience of a run: survival and outage risk by hand on a one-day case, and in a stored run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

from munigrid.models.errors import InputError
from munigrid.scenarios import api
from munigrid.scenarios.resilience import representative_starts, run_resilience, start_weights, window_sums_kwh
from munigrid.scenarios.schema import parse_scenario

OFFICE, SCHOOL = "municipal_office", "municipal_school"


def _scenario(**grid):
    data = json.loads(api.load("tha-yang").model_dump_json())
    data["battery"] = {"building": OFFICE, "energy_kwh": 10.0, "power_kw": 5.0, "charge_eff_frac": 1.0,
                       "discharge_eff_frac": 1.0, "soc_min_frac": 0.0, "soc_max_frac": 1.0, "soc_initial_frac": 0.5}
    data["grid"] = {"critical_frac": 0.5, **grid}
    return parse_scenario(data)


def _day_results() -> xr.Dataset:
    """One day, hourly: the office 4 kW with 2 kW of PV at 06-08 and 10 kWh stored at every step;
    the school 1 kW without a battery."""
    index = pd.date_range("2026-03-02", periods=24, freq="h", tz="Asia/Bangkok")
    load = np.column_stack([np.full(24, 4.0), np.full(24, 1.0)])
    pv = np.zeros((24, 2))
    pv[6:9, 0] = 2.0
    soc = np.column_stack([np.full(24, 10.0), np.zeros(24)])
    return xr.Dataset({"load_kw": (("time", "building"), load), "pv_ac_kw": (("time", "building"), pv),
                       "soc_kwh": (("time", "building"), soc),
                       "battery_kwh": (("building",), [10.0, 0.0]), "battery_kw": (("building",), [5.0, 0.0]),
                       "generator_kw": (("building",), [0.0, 0.0])},
                      coords={"time": index, "building": [OFFICE, SCHOOL]})


def test_survival_by_hand():
    figures, series = run_resilience(_scenario(), _day_results(), step_h=1.0)
    hours = series["survived_h"].sel(building=OFFICE).to_numpy()
    # from 00:00: 10 kWh carry 2 kW for 5 h; from 04:00: 2 h, PV covers 06-08, 3 h more;
    # from 06:00: PV 3 h, then 5 h from the battery
    assert hours[0] == 5.0 and hours[4] == 8.0 and hours[6] == 8.0 and hours[9] == 5.0
    assert np.isnan(series["survived_h"].sel(building=SCHOOL)).all()  # nothing to island with
    office = figures["survival"][OFFICE]
    assert office["min_h"] == hours.min() and office["mean_h"] == pytest.approx(hours.mean())
    assert office["survive_frac"]["4"] == 1.0 and office["survive_frac"]["24"] == 0.0
    assert office["survive_frac"]["8"] == pytest.approx((hours >= 8).mean())
    assert list(figures["survival"]) == [OFFICE]


def test_outage_risk_by_hand():
    risk = {"durations": [{"hours": 1, "probability_frac": 0.5}, {"hours": 8, "probability_frac": 0.5}],
            "events_per_year": 2.0, "start_hour_weights": [1.0] + [0.0] * 23}
    figures, series = run_resilience(_scenario(voll_thb_per_kwh=10.0, outage_risk=risk), _day_results(), step_h=1.0)
    risk_figures = figures["outage_risk"]
    school, office = risk_figures["buildings"][SCHOOL], risk_figures["buildings"][OFFICE]
    # school: no island, its whole 0.5 kW critical load is lost, 1 kW of load in all
    assert school["unserved_critical_kwh_per_outage"] == pytest.approx(0.5 * (0.5 * 1 + 0.5 * 8))
    assert school["lost_load_kwh_per_year"] == pytest.approx(2 * (0.5 * 1 + 0.5 * 8))
    assert school["lost_load_thb_per_year"] == pytest.approx(10 * 2 * 4.5)
    # office from 00:00 (the only weighted hour): 8 h lose 2 kWh at 05:00, PV covers 06-07; 2 kW non-critical off
    assert office["unserved_critical_kwh_per_outage"] == pytest.approx(0.5 * 0 + 0.5 * 2)
    assert office["lost_load_kwh_per_outage"] == pytest.approx(1 + 2 * (0.5 * 1 + 0.5 * 8))
    assert risk_figures["site"]["lost_load_thb_per_year"] == pytest.approx(
        school["lost_load_thb_per_year"] + office["lost_load_thb_per_year"])
    assert series["expected_unserved_kwh"].sel(building=OFFICE).to_numpy()[0] == pytest.approx(1.0)


def test_no_value_of_lost_load_leaves_the_value_out():
    risk = {"durations": [{"hours": 2, "probability_frac": 1.0}]}
    figures, _ = run_resilience(_scenario(outage_risk=risk), _day_results(), step_h=1.0)
    assert figures["outage_risk"]["site"]["lost_load_thb_per_year"] is None
    assert figures["outage_risk"]["site"]["lost_load_kwh_per_year"] > 0


def test_window_sums_wrap_around_the_end():
    sums = window_sums_kwh(np.arange(4.0), np.array([1, 3, 9]), step_h=0.5)
    np.testing.assert_allclose(sums[3], [1.5, 0.5 * (3 + 0 + 1), 0.5 * (3 + 0 + 1 + 2 + 3 + 0 + 1 + 2 + 3)])


@pytest.mark.parametrize("grid, path", [
    ({"outage_risk": {"durations": [{"hours": 2, "probability_frac": 0.4}]}}, "grid.outage_risk"),
    ({"outage_risk": {"durations": [{"hours": 2, "probability_frac": 1.0}], "start_hour_weights": [0.0] * 24}},
     "grid.outage_risk"),
    ({"outage_risk": {"durations": [{"hours": 2, "probability_frac": 1.0}], "start_hour_weights": [1.0] * 23}},
     "grid.outage_risk.start_hour_weights"),
    ({"survival_max_h": 12}, "grid.survival_max_h"),
])
def test_bad_outage_inputs_name_the_field(grid, path):
    with pytest.raises(InputError) as err:
        _scenario(**grid)
    assert path in {p.path for p in err.value.problems}


@pytest.fixture(scope="module")
def stored_week(tmp_path_factory):
    scenario = api.load("tha-yang")
    scenario.time.start = "2026-03-02"
    scenario.time.days = 7
    scenario.grid.voll_thb_per_kwh = 50.0
    scenario.grid.outage_risk = {"durations": [{"hours": 4, "probability_frac": 1.0}]}
    root = tmp_path_factory.mktemp("runs")
    return api.run(scenario, root=root), root


def test_stored_run_has_the_resilience_figures(stored_week):
    outcome, root = stored_week
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text(encoding="utf-8"))
    office = manifest["resilience"]["survival"][OFFICE]
    assert 0.0 <= office["min_h"] <= office["mean_h"] <= 168.0
    assert set(office["survive_frac"]) == {"4", "8", "24"}
    assert manifest["resilience"]["outage_risk"]["site"]["lost_load_thb_per_year"] > 0
    assert outcome.to_json()["resilience"] == manifest["resilience"]
    stored = xr.open_dataset(outcome.run_dir / "resilience.nc")
    assert stored["survived_h"].sizes == {"time": 7 * 24, "building": 5}
    report = outcome.report_path.read_text(encoding="utf-8")
    assert '"survival_curve"' in report and '"survival_heatmap"' in report


def test_runs_show_prints_the_resilience_lines(stored_week):
    from munigrid.scenarios.cli import cli

    outcome, root = stored_week
    result = CliRunner().invoke(cli, ["runs", "show", outcome.run_dir.name, "--root", str(root)],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"{OFFICE} (100% critical): mean" in result.output and "outage risk (1 outages a year)" in result.output


def test_representative_starts_share_the_start_weight():
    index = pd.date_range("2026-03-02", periods=48, freq="h", tz="Asia/Bangkok")
    evening = [0.0] * 18 + [1.0] * 4 + [0.0] * 2
    starts = representative_starts(index, evening, 4)
    assert list(index[starts].hour) == [18, 20, 18, 20] and list(index[starts].day) == [2, 2, 3, 3]
    assert start_weights(index, evening)[starts].sum() == pytest.approx(4 / 8)


def _risky_week(in_objective: bool):
    scenario = api.load("tha-yang")
    scenario.time.start = "2026-03-02"
    scenario.time.days = 7
    scenario.grid.voll_thb_per_kwh = 200.0
    scenario.grid.outage_risk = {"durations": [{"hours": 4, "probability_frac": 0.5},
                                               {"hours": 12, "probability_frac": 0.5}],
                                 "events_per_year": 12, "in_objective": in_objective, "objective_starts": 8}
    return api.run(scenario, store=False)


def test_outage_risk_in_the_objective_keeps_energy_for_outages():
    plain, priced = _risky_week(False), _risky_week(True)
    starts = representative_starts(plain.results.indexes["time"], None, 8)
    soc = [run.results.soc_kwh.sel(building=OFFICE).to_numpy()[starts] for run in (plain, priced)]
    assert soc[1].sum() > soc[0].sum() + 1.0  # more stored where the representative outages start
    risk = [run.manifest["resilience"]["outage_risk"]["buildings"][OFFICE] for run in (plain, priced)]
    assert risk[1]["unserved_critical_kwh_per_year"] < risk[0]["unserved_critical_kwh_per_year"]
    assert priced.manifest["resilience"]["outage_risk"]["in_objective"] is True
    # the bill pays for the energy kept back
    assert priced.summary.loc["total", "cost_after_thb"] >= plain.summary.loc["total", "cost_after_thb"] - 1e-6


def test_outage_risk_in_the_objective_needs_a_value_of_lost_load():
    with pytest.raises(InputError) as err:
        _scenario(outage_risk={"durations": [{"hours": 2, "probability_frac": 1.0}], "in_objective": True})
    assert any(p.path == "grid" and "voll_thb_per_kwh" in p.message for p in err.value.problems)
