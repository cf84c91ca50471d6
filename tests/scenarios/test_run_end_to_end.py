"""The whole chain on a one-week Tha Yang horizon, with properties checked on every result."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from munigrid.scenarios import api
from munigrid.scenarios.runner import ft_schedule, meter_for

TOL_KWH = 1e-6


@pytest.fixture(scope="module")
def week():
    scenario = api.load("tha-yang")
    scenario.time.start = "2026-03-02"
    scenario.time.days = 7
    return scenario, api.run(scenario, store=False)


def test_energy_balance_every_step(week):
    _, outcome = week
    r = outcome.results
    supply = r.pv_used_kw + r.discharge_kw - r.charge_kw + r.import_kw - r.export_kw + r.gen_kw + r.shed_kw
    assert float(np.abs(supply - r.load_kw).max()) < TOL_KWH
    assert float((r.pv_used_kw + r.curtailed_kw - r.pv_ac_kw).pipe(np.abs).max()) < TOL_KWH + float(r.export_kw.max())
    assert float(r.import_kw.min()) >= -TOL_KWH and float(r.export_kw.max()) <= TOL_KWH  # government: no export


def test_soc_within_bounds(week):
    scenario, outcome = week
    soc = outcome.results.soc_kwh.sel(building=scenario.battery.building).values
    e = scenario.battery.energy_kwh
    assert soc.min() >= scenario.battery.soc_min_frac * e - TOL_KWH
    assert soc.max() <= scenario.battery.soc_max_frac * e + TOL_KWH
    assert soc[0] == pytest.approx(scenario.battery.soc_initial_frac * e, abs=TOL_KWH)


def test_objective_equals_cost_recomputed_from_schedule(week):
    scenario, outcome = week
    inputs = api.inputs(scenario)
    ft = ft_schedule(scenario)
    for building in inputs.buildings:
        meter, _ = meter_for(building, inputs, scenario, ft)
        imports = outcome.results.import_kw.sel(building=building.name).values
        recomputed = meter.terms.cost_thb(imports)
        objective = outcome.manifest["solver"]["meters"][building.name]["objective_thb"]
        assert objective == pytest.approx(recomputed, rel=1e-6), building.name


def test_pv_and_battery_lower_the_bill(week):
    _, outcome = week
    s = outcome.summary
    assert (s["cost_after_thb"] <= s["cost_before_thb"] + 1e-6).all()
    assert s.loc["street_lighting", "pv_mwh"] == 0.0
    assert s.loc["total", "load_mwh"] == pytest.approx(s.drop("total")["load_mwh"].sum())
    assert 0 < s.loc["total", "self_sufficiency_pct"] < 100


def test_stored_run_round_trips(week, tmp_path):
    scenario, _ = week
    outcome = api.run(scenario, root=tmp_path, report=False)
    assert outcome.run_dir.parent == tmp_path
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert manifest["inputs_hash"] and manifest["versions"]["highspy"]
    assert {m["status"] for m in manifest["solver"]["meters"].values()} == {"optimal"}
    ds = api.run_store.open_run(outcome.run_dir).results()
    np.testing.assert_allclose(ds.import_kw.values, outcome.results.import_kw.values)
    assert str(ds.indexes["time"].tz) == "Asia/Bangkok"


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "munigrid.scenarios.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


def test_cli_json_week(tmp_path):
    scenario = tmp_path / "week.yaml"
    text = (api.load_scenario("tha-yang")[1]).read_text().replace("days: 365", "days: 7")
    scenario.write_text(text)
    done = _cli("run", str(scenario), "--json", "--no-report", "--out", str(tmp_path / "runs"))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out["summary"]) >= {"municipal_office", "total"}
    assert out["run_dir"].startswith(str(tmp_path / "runs"))


@pytest.mark.parametrize("edit, fragment", [
    (("tilt_deg: 12", "tilt_deg: 120"), "buildings[0].pv_arrays[0].tilt_deg"),
    (("tariff: pea-2.2-lt22kv", "tariff: pea-2.2-lt22"), "buildings[2].tariff"),
    (("energy_kwh: 200", "energy_kwh: -200"), "battery.energy_kwh"),
    (("latitude_deg:", "latitud_deg:"), "site.latitud_deg"),
])
def test_cli_bad_input_exit_2_without_traceback(tmp_path, edit, fragment):
    text = (api.load_scenario("tha-yang")[1]).read_text().replace(*edit, 1)
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(text)
    for command in (["validate", str(scenario)], ["run", str(scenario), "--out", str(tmp_path / "runs")]):
        done = _cli(*command)
        assert done.returncode == 2, done.stderr
        assert fragment in done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_cli_debug_shows_traceback(tmp_path):
    done = _cli("--debug", "validate", str(tmp_path / "missing.yaml"))
    assert done.returncode == 2 and "Traceback" in done.stderr


def _meter_csv(path, hours, drop=(), naive=False, duplicate=False, offsets=False):
    import pandas as pd

    index = pd.date_range("2026-03-02", periods=hours, freq="h", tz="Asia/Bangkok")
    stamps = index.tz_localize(None).strftime("%Y-%m-%d %H:%M") if naive else index.strftime("%Y-%m-%dT%H:%M+07:00")
    frame = pd.DataFrame({"time": stamps, "load_kw": 20.0 + 10.0 * (index.hour >= 9)})
    frame = frame.drop(index=list(drop))
    if duplicate:
        frame = pd.concat([frame, frame.iloc[[3]].assign(load_kw=99.0)])
    if offsets:
        frame.loc[20:, "time"] = frame.loc[20:, "time"].str.replace("+07:00", "+06:00")
    frame.to_csv(path, index=False)


def _one_building_scenario(tmp_path, csv_name, extra=""):
    text = f"""
name: metered
site: {{name: test, latitude_deg: 12.97, longitude_deg: 99.89}}
time: {{start: 2026-03-02, days: 2, step_min: 60}}
buildings:
  - name: hall
    kind: office
    load_csv: {csv_name}
    tariff: pea-2.2-lt22kv
    roof_area_m2: 100
    pv_arrays: [{{capacity_kwp: 10}}]{extra}
"""
    path = tmp_path / "metered.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("naive", [False, True])
def test_meter_csv_load_is_used_as_given(tmp_path, naive):
    _meter_csv(tmp_path / "hall.csv", 48, naive=naive)  # naive stamps: Asia/Bangkok (load_csv.tz)
    outcome = api.run(_one_building_scenario(tmp_path, "hall.csv"), store=False)
    load = outcome.results.load_kw.sel(building="hall").values
    assert load.min() == 20.0 and load.max() == 30.0 and len(load) == 48


@pytest.mark.parametrize("kind, fragment", [
    ({"drop": (10, 11)}, "2 of 48 60-min intervals missing"), ({"offsets": True}, "offset changes at line 22"),
    ({"duplicate": True}, "appear twice with different values"),
])
def test_bad_meter_csv_exit_2(tmp_path, kind, fragment):
    _meter_csv(tmp_path / "hall.csv", 48, **kind)
    done = _cli("run", str(_one_building_scenario(tmp_path, "hall.csv")), "--out", str(tmp_path / "runs"))
    assert done.returncode == 2, done.stderr
    assert fragment in done.stderr and "hall.csv" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_gaps_filled_only_when_allowed_and_reported(tmp_path):
    _meter_csv(tmp_path / "hall.csv", 48, drop=(10, 11))
    outcome = api.run(_one_building_scenario(tmp_path, "hall.csv", "\n    load_gap_fill: true"), store=False)
    assert any("2 of 48 missing" in note for note in outcome.manifest["notes"])


def test_monte_carlo_samples_are_stored_with_the_run(tmp_path):
    scenario = api.load("tha-yang")
    scenario.time.days = 42
    scenario.buildings = scenario.buildings[:2]
    outcome = api.run(scenario, root=tmp_path, report=False, samples=20)
    site = outcome.manifest["uncertainty"]["site"]["cost_thb"]
    assert site["P10"] <= site["P50"] <= site["P90"]
    stored = api.run_store.read_results(outcome.run_dir / "simulation.nc")
    assert stored.sizes["sample"] == 20 and set(stored.building.values) == {"municipal_office", "municipal_school"}


def test_infeasible_scenario_exits_3_with_a_diagnosis(tmp_path):
    text = (api.load_scenario("tha-yang")[1]).read_text().replace("days: 365", "days: 2").replace(
        "tariffs:\n  export_allowed: false", "grid:\n  import_limit_kw: 5\ntariffs:\n  export_allowed: false")
    scenario = tmp_path / "tight.yaml"
    scenario.write_text(text)
    done = _cli("run", str(scenario), "--out", str(tmp_path / "runs"), "--samples", "0")
    assert done.returncode == 3, done.stderr
    assert "infeasible" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
