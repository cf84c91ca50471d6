"""A weather forecast file replaces yesterday's temperature in the load forecast (issue 22)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from munigrid.forecasting.archetypes import archetype_load_kw
from munigrid.forecasting.weather_forecast import forecast_temperature, read_weather_forecast
from munigrid.models.errors import InputError
from tests.forecasting.cli_run import run_cli

INDEX = pd.date_range("2025-01-06", periods=24 * 70, freq="h", tz="Asia/Bangkok")


@pytest.fixture(scope="module")
def office():
    """An office whose load follows a temperature that changes from day to day."""
    rng = np.random.default_rng(7)
    daily = np.repeat(rng.normal(0.0, 2.5, len(INDEX) // 24), 24)
    temp = pd.Series(29 + 4 * np.sin(2 * np.pi * (INDEX.hour - 9) / 24) + daily, index=INDEX)
    return archetype_load_kw("office", INDEX, annual_kwh=300_000, seed=2, temperature_c=temp), temp


def _forecast_file(tmp_path, start, temp_c, name, column="temp_air_c", hours=48):
    index = pd.date_range(start, periods=hours, freq="h", tz="Asia/Bangkok")
    frame = pd.DataFrame({"time": index.strftime("%Y-%m-%dT%H:%M:%S+07:00"),
                          column: temp_c + 4 * np.sin(2 * np.pi * (index.hour - 9) / 24)})
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_a_hotter_forecast_raises_the_load_forecast(tmp_path, capsys, office):
    load, temp = office
    history = tmp_path / "meter.csv"
    pd.DataFrame({"time": INDEX.strftime("%Y-%m-%d %H:%M"), "load_kw": load.to_numpy(),
                  "temp_air_c": temp.round(2).to_numpy()}).to_csv(history, index=False)
    start = INDEX[-1] + pd.Timedelta(hours=1)  # a Monday
    energy = {}
    for name, temp_c in (("cool", 25.0), ("hot", 34.0)):
        path = _forecast_file(tmp_path, start, temp_c, f"{name}.csv")
        code, out, err = run_cli(capsys, "forecast", "load", "--history", str(history), "--model", "calendar_regression",
                              "--weather-forecast", str(path), "--json")
        assert code == 0, err
        result = json.loads(out)
        assert any("weather forecast" in n for n in result["notes"])
        energy[name] = sum(row["p50"] for row in result["forecast"])
    assert energy["hot"] > 1.02 * energy["cool"]
    short = _forecast_file(tmp_path, start, 30.0, "short.csv", hours=12)
    code, _, err = run_cli(capsys, "forecast", "load", "--history", str(history), "--weather-forecast", str(short))
    assert code == 2 and "short.csv: column 'temp_air_c'" in err and "steps of the forecast period are missing" in err


def test_bad_forecast_files_name_the_column(tmp_path):
    start = pd.Timestamp("2026-03-10", tz="Asia/Bangkok")
    no_temp = _forecast_file(tmp_path, start, 30.0, "no_temp.csv", column="humidity")
    with pytest.raises(InputError, match=r"no_temp.csv: no air temperature \[degC\] column.*found .humidity."):
        read_weather_forecast(no_temp)
    fahrenheit = _forecast_file(tmp_path, start, 86.0, "f.csv")
    with pytest.raises(InputError, match=r"f.csv: column 'temp_air_c'.*outside -10..55 degC.*is the unit degC"):
        read_weather_forecast(fahrenheit)
    no_ghi = _forecast_file(tmp_path, start, 30.0, "no_ghi.csv")
    with pytest.raises(InputError, match=r"no GHI \[W/m2\] column"):
        read_weather_forecast(no_ghi, 13.7, 100.5)
    assert forecast_temperature(no_ghi, pd.date_range(start, periods=96, freq="15min")).notna().all()
