"""PV calibrated to its meter: fit, check, fault detector, the file, the CLI and a scenario using it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from munigrid.forecasting.pv import PVArraySpec, pv_ac_kw
from munigrid.forecasting.pv_calibration import PVCalibration, calibrate_to_meter
from munigrid.forecasting.weather import synthetic_year
from munigrid.models.errors import InputError
from munigrid.scenarios import api
from munigrid.scenarios.inputs import build_inputs, building_pv_kw_per_kwp
from tests.forecasting.cli_run import run_cli

SITE = (13.736, 100.533)
SPEC = PVArraySpec(capacity_kwp=8.0, tilt_deg=10, azimuth_deg=180, inverter_ac_kw=6.0)
FAULT_START = pd.Timestamp("2025-02-20", tz="Asia/Bangkok")


@pytest.fixture(scope="module")
def roof():
    """70 days of 15-min weather; a 'measured' roof giving 0.7 of the model, shaded after 16:00, half from FAULT_START."""
    weather = synthetic_year(*SITE, year=2025, step_min=15, seed=3)
    weather = weather[weather.index < pd.Timestamp("2025-03-12", tz="Asia/Bangkok")]
    modelled = pv_ac_kw(weather, SPEC, *SITE)["pv"]
    shade = np.where(weather.index.hour >= 16, 0.5, 1.0)
    fault = np.where(weather.index >= FAULT_START, 0.5, 1.0)
    measured = modelled * 0.7 * shade * fault
    return weather, modelled, measured


def test_fit_check_and_fault(roof):
    _, modelled, measured = roof
    calib = calibrate_to_meter(measured, modelled, 8.0, fit_days=21)
    assert calib.fit_days == 21 and list(calib.month_hour_factors) == ["1"]  # 21 January days: a month profile
    assert calib.hour_factors[17] < 0.8 < calib.hour_factors[12]  # the afternoon shade
    assert calib.capacity_factor * calib.hour_factors[11] == pytest.approx(0.7, abs=0.05)
    assert [f["start"] for f in calib.faults] == ["2025-02-20"]
    check = calib.checks["check"]
    assert check["nominal"]["daily_mae_frac"] > 0.3
    assert check["calibrated"]["daily_mae_frac"] < 0.03 and check["calibrated"]["hourly_nrmse_daylight_frac"] < 0.1
    assert calib.checks["fault_days"]["calibrated"]["daily_bias_frac"] > 0.5  # the fault is not fitted


def _write_inputs(tmp_path, weather, measured, weather_step="15min"):
    stamps = measured.index.strftime("%Y-%m-%dT%H:%M:%S+07:00")
    pd.DataFrame({"measured_on": stamps, "ac_power": np.round(measured.to_numpy() * 1000, 1)}).to_csv(
        tmp_path / "pv.csv", index=False)
    weather = weather[["ghi_w_per_m2", "temp_air_c"]].resample(weather_step).mean()
    ghi = weather["ghi_w_per_m2"].copy()
    ghi.iloc[200:400] = np.nan  # a logger gap: left out, not refused
    pd.DataFrame({"time": weather.index.strftime("%Y-%m-%dT%H:%M:%S+07:00"), "ghi": ghi.round(1),
                  "temp_air_c": weather["temp_air_c"].round(2)}).to_csv(tmp_path / "weather.csv", index=False)
    return tmp_path / "pv.csv", tmp_path / "weather.csv"


def test_cli_writes_a_calibration_a_scenario_uses(tmp_path, capsys, roof):
    weather, _, measured = roof
    pv, sky = _write_inputs(tmp_path, weather, measured)
    args = ["pv", "calibrate", "--measured", str(pv), "--weather", str(sky), "--lat", str(SITE[0]), "--lon",
            str(SITE[1]), "--kwp", "8", "--inverter-kw", "6", "--fit-days", "21", "--out", str(tmp_path / "cal.json")]
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["faults"][0]["start"] == "2025-02-20" and 5.0 < result["effective_kwp"] < 6.5
    assert any("read as W" in n for n in result["notes"])
    _write_inputs(tmp_path, weather, measured, weather_step="1h")  # hourly weather, 15-min meter: hourly means
    code, out, err = run_cli(capsys, *args[:-2], "--out", str(tmp_path / "hourly.json"), "--json")
    assert code == 0, err
    hourly = json.loads(out)
    assert hourly["capacity_factor"] == pytest.approx(result["capacity_factor"], rel=0.03)
    assert hourly["checks"]["check"]["calibrated"]["daily_mae_frac"] < 0.05
    calib = PVCalibration.load(tmp_path / "cal.json")
    spec = {"name": "calibrated", "site": {"name": "t", "latitude_deg": SITE[0], "longitude_deg": SITE[1]},
            "time": {"start": "2025-06-02", "days": 2, "step_min": 60},
            "buildings": [{"name": "office", "kind": "office", "roof_area_m2": 500, "annual_kwh": 50000, "tariff": "pea-3.2-lt22kv",
                           "pv_arrays": [{"name": "roof", "capacity_kwp": 8.0, "calibration": "cal.json"}]}]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    spec["buildings"][0]["pv_arrays"][0].pop("calibration")
    (tmp_path / "plain.yaml").write_text(yaml.safe_dump(spec))
    with_cal, plain = (build_inputs(api.load(tmp_path / n), tmp_path).building("office").pv_kw_per_kwp["roof"]
                       for n in ("s.yaml", "plain.yaml"))
    noon = with_cal.index.hour == 12
    assert (with_cal[noon] / plain[noon]).to_numpy() == pytest.approx(calib.capacity_factor * calib.hour_factors[12])
    scenario = api.load(tmp_path / "s.yaml")  # the operations' PV model on a forecast's weather calibrates too
    weather = build_inputs(scenario, tmp_path).weather
    forecast = building_pv_kw_per_kwp(scenario.buildings[0], weather, scenario, calibration_dir=tmp_path)["roof"]
    np.testing.assert_allclose(forecast.to_numpy(), with_cal.to_numpy())
    (tmp_path / "cal.json").write_text("{\"format\": \"something else\"}")
    with pytest.raises(InputError, match=r"pv_arrays\[roof\]\.calibration.*not a munigrid-pv-calibration"):
        build_inputs(api.load(tmp_path / "s.yaml"), tmp_path)
    spec["buildings"][0]["pv_arrays"][0].update(calibration="cal.json", pv_csv="pv.csv")
    (tmp_path / "both.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(InputError, match="give one of pv_csv or calibration"):
        api.load(tmp_path / "both.yaml")


def test_cli_bad_inputs_exit_2_naming_the_file(tmp_path, capsys, roof):
    weather, _, measured = roof
    pv, sky = _write_inputs(tmp_path, weather, measured)
    base = ["pv", "calibrate", "--lat", "13.7", "--lon", "100.5", "--kwp", "8", "--out", str(tmp_path / "c.json")]
    pd.DataFrame({"time": ["2025-01-01T00:00:00+07:00", "2025-01-01T00:15:00+07:00"], "wind": [1, 2]}).to_csv(
        tmp_path / "nogh.csv", index=False)
    code, _, err = run_cli(capsys, *base, "--measured", str(pv), "--weather", str(tmp_path / "nogh.csv"))
    assert code == 2 and "no GHI" in err and "nogh.csv" in err
    code, _, err = run_cli(capsys, *base, "--measured", str(pv), "--weather", str(sky), "--fit-start", "2026-01-01")
    assert code == 2 and "complete days" in err
    assert not (tmp_path / "c.json").exists()  # nothing written on a refusal
