"""Issue 22 items 2 and 7: weather CSVs with PSM3 clear-sky columns, 30-min steps, gaps of
hours or days, and temperature units; the column used for each quantity is reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.forecasting.solar import clear_sky
from munigrid.forecasting.weather import read_weather
from munigrid.models.errors import InputError
from munigrid.scenarios.cli import main

SITE = (13.75, 100.5)


def _weather_csv(tmp_path, step_min=60, days=14, psm3=False, gap=None, temp=("temp_air_c", lambda c: c)):
    index = pd.date_range("2025-03-01", periods=days * 24 * 60 // step_min, freq=f"{step_min}min", tz="Asia/Bangkok")
    cs = clear_sky(index, *SITE)
    frame = pd.DataFrame(index=index)
    if psm3:  # pvlib's PSM3 order: clear-sky columns before the measured ones
        for q in ("ghi", "dni", "dhi"):
            frame[f"{q}_clear"] = cs[f"{q}_w_per_m2"].round(1).to_numpy()
    frame["ghi"] = (0.7 * cs["ghi_w_per_m2"]).round(1).to_numpy()
    if psm3:
        frame["dni"] = (0.6 * cs["dni_w_per_m2"]).round(1).to_numpy()
        frame["dhi"] = (0.7 * cs["ghi_w_per_m2"] - 0.6 * cs["dni_w_per_m2"] * 0.8).clip(lower=0).round(1).to_numpy()
    frame[temp[0]] = np.round(temp[1](28.0 + 3 * np.sin(np.arange(len(index)) / (24 * 60 / step_min) * 2 * np.pi)), 2)
    if gap is not None:
        frame.iloc[gap] = np.nan
    frame.index = frame.index.strftime("%Y-%m-%dT%H:%M+07:00")
    path = tmp_path / "weather.csv"
    frame.rename_axis("time").to_csv(path)
    return path, frame


def test_psm3_clear_sky_columns_are_not_taken_for_measured_ones(tmp_path):
    path, frame = _weather_csv(tmp_path, psm3=True)
    weather = read_weather(path, *SITE)
    for q in ("ghi", "dni", "dhi"):
        np.testing.assert_allclose(weather[f"{q}_w_per_m2"].to_numpy(), frame[q].to_numpy())
        assert f"{q.upper()} from column {q!r}" in weather.attrs["notes"]
    assert any("'ghi_clear'" in n and "not used" in n for n in weather.attrs["notes"])


def test_only_clear_sky_columns_is_refused_not_used(tmp_path):
    path, frame = _weather_csv(tmp_path, psm3=True)
    frame.drop(columns=["ghi", "dni", "dhi"]).rename_axis("time").to_csv(path)
    with pytest.raises(InputError, match="no GHI column"):
        read_weather(path, *SITE)


def test_30_min_steps_are_read_and_long_gaps_filled_from_neighbouring_days(tmp_path):
    day = 48
    path, frame = _weather_csv(tmp_path, step_min=30, gap=slice(5 * day + 10, 6 * day + 20))  # 29 h from 05:00
    weather = read_weather(path, *SITE)
    assert (weather.index[1] - weather.index[0]) == pd.Timedelta("30min")
    notes = " ".join(weather.attrs["notes"])
    assert "58 of 672 30-min intervals missing in 1 gap: 2025-03-06 05:00 to 2025-03-07 09:30" in notes
    assert "from the same time of a neighbouring day" in notes
    filled = weather["ghi_w_per_m2"].iloc[5 * day + 10: 6 * day + 10].to_numpy()  # the gap's first 24 h
    np.testing.assert_allclose(filled, frame["ghi"].astype(float).iloc[4 * day + 10: 5 * day + 10])  # the day before


def test_too_many_gaps_refused_with_dates(tmp_path):
    path, _ = _weather_csv(tmp_path, gap=slice(24, 24 * 7))
    with pytest.raises(InputError, match=r"2025-03-02 00:00 to 2025-03-07 23:00.*too much missing"):
        read_weather(path, *SITE)


def test_weather_temperature_in_fahrenheit_by_name_or_refused(tmp_path):
    path, _ = _weather_csv(tmp_path, temp=("temp_f", lambda c: c * 9 / 5 + 32))
    weather = read_weather(path, *SITE)
    assert 24 < weather["temp_air_c"].mean() < 32
    path, _ = _weather_csv(tmp_path, temp=("temp", lambda c: c * 9 / 5 + 32))
    with pytest.raises(InputError, match="'temp'.*fit °F"):
        read_weather(path, *SITE)


def test_scenario_weather_file_at_30_min_is_averaged_to_the_scenario_step(tmp_path, capsys):
    path, frame = _weather_csv(tmp_path, step_min=30, days=3)
    (tmp_path / "s.yaml").write_text(f"""name: w30
site: {{name: x, latitude_deg: {SITE[0]}, longitude_deg: {SITE[1]}}}
time: {{start: 2025-03-01, days: 2, step_min: 60}}
weather: {{source: file, file: {path.name}}}
buildings:
  - {{name: office, kind: office, annual_kwh: 100000, tariff: pea-3.2-lt22kv}}
""")
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(tmp_path / "s.yaml")])
    assert exit_info.value.code == 0, capsys.readouterr()
    from munigrid.scenarios.inputs import site_weather
    from munigrid.scenarios.library import load_scenario
    scenario, _ = load_scenario(tmp_path / "s.yaml")
    index = pd.date_range("2025-03-01", periods=48, freq="h", tz="Asia/Bangkok")
    weather = site_weather(scenario, index, tmp_path)
    hourly = frame["ghi"].astype(float).to_numpy()[:96].reshape(48, 2).mean(axis=1)
    np.testing.assert_allclose(weather["ghi_w_per_m2"].to_numpy(), hourly)
