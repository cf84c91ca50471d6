"""Issue 22 item 1: temperature columns in °F or K, or named ``Outdoor``, are read in °C or
refused naming the column and the fix; never a crash inside the models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.forecasting.meter import read_meter
from munigrid.forecasting.meter_format import MeterFormat
from munigrid.forecasting.temperature import unit_in_name
from munigrid.models.errors import InputError
from munigrid.scenarios.cli import main


def _meter(tmp_path, temp_name: str, temp_values: np.ndarray, days: int = 35) -> tuple:
    index = pd.date_range("2025-01-06", periods=days * 24, freq="h", tz="Asia/Bangkok")
    hour = index.hour.to_numpy()
    load = 20.0 + 50.0 * ((hour >= 8) & (hour < 18) & (index.day_of_week.to_numpy() < 5)) \
        + np.random.default_rng(0).normal(0.0, 1.0, len(index))  # metered: no day repeats a week earlier
    temp_c = 27.0 + 4.0 * np.sin((hour - 9) / 24 * 2 * np.pi)
    path = tmp_path / "meter.csv"
    pd.DataFrame({"time": index.strftime("%Y-%m-%d %H:%M"), "load_kw": load,
                  temp_name: temp_values(temp_c)}).to_csv(path, index=False)
    return path, temp_c


def _run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.mark.parametrize("name, unit", [("temp_f", "f"), ("Temperature (°F)", "f"), ("temperature_k", "k"),
                                        ("temp_air_c", "c"), ("Outdoor", None), ("t2m", None), ("kw", None)])
def test_unit_from_the_column_name(name, unit):
    assert unit_in_name(name) == unit


def test_fahrenheit_named_temp_is_refused_naming_the_column_and_the_fix(tmp_path, capsys):
    path, _ = _meter(tmp_path, "temp", lambda c: np.round(c * 9 / 5 + 32, 1))
    with pytest.raises(InputError) as err:
        read_meter(path)
    text = str(err.value)
    assert "'temp'" in text and "fit °F" in text and "--temperature-unit" in text
    code, out, err_text = _run(capsys, "forecast", "load", "--history", str(path), "--backtest")
    assert code == 2, err_text
    assert "internal error" not in err_text and "temperature column 'temp'" in err_text


@pytest.mark.parametrize("name, flag, convert", [
    ("temp", "f", lambda c: c * 9 / 5 + 32), ("temp_f", None, lambda c: c * 9 / 5 + 32),
    ("temperature_k", None, lambda c: c + 273.15), ("Outdoor", None, lambda c: c)])
def test_units_by_flag_or_name_and_outdoor_column(tmp_path, name, flag, convert):
    path, temp_c = _meter(tmp_path, name, convert)
    meter = read_meter(path, MeterFormat(temperature_unit=flag))
    np.testing.assert_allclose(meter.temp_air_c.to_numpy(), temp_c, atol=1e-9)
    assert any(f"column {name!r} read as outdoor temperature" in n for n in meter.notes)


def test_backtest_with_a_fahrenheit_column_runs_when_the_unit_is_given(tmp_path, capsys):
    path, _ = _meter(tmp_path, "temp", lambda c: c * 9 / 5 + 32, days=33)
    code, out, err = _run(capsys, "forecast", "load", "--history", str(path), "--backtest", "--workers", "1",
                          "--temperature-unit", "f")
    assert code == 0, err
    assert "read as outdoor temperature in °F (as stated)" in out


def test_missing_codes_are_gaps_but_other_columns_are_named(tmp_path):
    values = lambda c: np.where(np.arange(len(c)) % 50 == 0, -17.78, c)  # noqa: E731 - the 0 °F logger code
    path, temp_c = _meter(tmp_path, "Temp", values)
    frame = pd.read_csv(path).assign(humidity_pct=60.0)
    frame.to_csv(path, index=False)
    meter = read_meter(path)
    assert np.isfinite(meter.temp_air_c).all()
    assert any("treated as missing" in n for n in meter.notes)
    assert any("'humidity_pct' not used" in n for n in meter.notes)
