"""The weather forecast file drives both the load and the PV forecast of the schedule and the EMS."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from ops_quick import QUICK_LOAD_MODEL, make_schedule

from munigrid.forecasting.weather_forecast import read_weather_forecast
from munigrid.scenarios.operations.daily import parse_day
from munigrid.scenarios.operations.link.config import load_config
from munigrid.scenarios.operations.link.dayahead import make_dayahead
from munigrid.scenarios.operations.planner import OperationsPlanner

DAY = "2026-03-10"


def _file(tmp_path, site, name, temp_shift_c=0.0, ghi_frac=1.0, drop=None):
    start = pd.Timestamp(DAY, tz="Asia/Bangkok")
    weather = site.weather[(site.weather.index >= start) & (site.weather.index < start + pd.Timedelta(days=2))]
    frame = pd.DataFrame({"time": weather.index.strftime("%Y-%m-%dT%H:%M:%S+07:00"),
                          "temp_air_c": (weather["temp_air_c"] + temp_shift_c).round(2),
                          "ghi": (weather["ghi_w_per_m2"] * ghi_frac).round(1)})
    path = tmp_path / name
    frame.drop(columns=drop or []).to_csv(path, index=False)
    return path


def test_hot_and_sunny_forecasts_move_load_and_pv_the_expected_way(site, tha_yang, tmp_path):
    site_ll = (tha_yang.site.latitude_deg, tha_yang.site.longitude_deg)
    day = parse_day(DAY, site)
    out = {}
    for name, shift, frac in (("cool_dull", -4.0, 0.4), ("hot_sunny", 4.0, 1.0)):
        weather = read_weather_forecast(_file(tmp_path, site, f"{name}.csv", shift, frac), *site_ll)
        out[name] = make_schedule(site, day, soc_frac=0.5, peak_kw=0.0, weather=weather).forecast
    hot, cool = out["hot_sunny"], out["cool_dull"]
    assert hot.pv_kw["p50"].sum() > 2.0 * cool.pv_kw["p50"].sum()
    working = hot.load_kw.index.hour.isin(range(9, 17))[:24]
    assert hot.load_kw["p50"].iloc[:24][working].sum() > cool.load_kw["p50"].iloc[:24][working].sum()
    planner = OperationsPlanner(site, load_model=QUICK_LOAD_MODEL, weather_forecast=read_weather_forecast(
        _file(tmp_path, site, "planner.csv", 4.0, 1.0), *site_ll))
    planned = planner.day_ahead(day, soc_frac=0.5, peak_kw=0.0).forecast
    np.testing.assert_allclose(planned.pv_kw["p50"].to_numpy(), hot.pv_kw["p50"].to_numpy())


def test_schedule_refuses_a_bad_forecast_file_naming_the_column(site, tmp_path):
    bad = _file(tmp_path, site, "no_temp.csv", drop=["temp_air_c"])
    result = subprocess.run([sys.executable, "-m", "munigrid.scenarios.cli", "schedule", "tha-yang", "--day", DAY,
                             "--out", str(tmp_path / "ops"), "--weather-forecast", str(bad)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "no_temp.csv" in result.stderr and "air temperature" in result.stderr


def test_ems_reads_its_forecast_each_day_and_falls_back_when_it_cannot(site, tha_yang, tmp_path):
    (tmp_path / "ems.yaml").write_text("site: s1\nstep_min: 60\nadapter: {kind: http, port: 8765}\n"
                                       "planning: {weather_forecast: forecast.csv}\n")
    config = load_config(tmp_path / "ems.yaml")
    assert config.planning.weather_forecast == str(tmp_path / "forecast.csv")
    _file(tmp_path, site, "forecast.csv", 0.0, 0.3)
    site_ll = (tha_yang.site.latitude_deg, tha_yang.site.longitude_deg)
    day = parse_day(DAY, site)

    def reader():
        return read_weather_forecast(config.planning.weather_forecast, *site_ll)

    dull = make_dayahead(site, day, None, {}, QUICK_LOAD_MODEL, None, reader)
    plain = make_dayahead(site, day, None, {}, QUICK_LOAD_MODEL, None)
    assert dull.forecast.pv_kw["p50"].sum() < 0.5 * plain.forecast.pv_kw["p50"].sum()
    _file(tmp_path, site, "forecast.csv", 0.0, 1.0, drop=["ghi"])  # the provider wrote a broken file
    fallback = make_dayahead(site, day, None, {}, QUICK_LOAD_MODEL, None, reader)
    assert any("weather forecast not used" in n and "GHI" in n for n in fallback.state.notes)
    np.testing.assert_allclose(fallback.forecast.pv_kw["p50"].to_numpy(), plain.forecast.pv_kw["p50"].to_numpy())
