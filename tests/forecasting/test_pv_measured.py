"""Measured PV files have their own reading rules (issue 22, input item 5)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from munigrid.forecasting.pv_measured import read_measured_pv
from munigrid.models.errors import InputError
from munigrid.scenarios.cli import main


def _pv_day_kw(days: int = 3, peak_kw: float = 4.0, start: str = "2023-03-01") -> pd.Series:
    """A bell-shaped PV day at 15 min, 06:00-18:00 [kW]."""
    index = pd.date_range(start, periods=days * 96, freq="15min", tz="Asia/Bangkok")
    hour = index.hour + index.minute / 60 + 0.125
    return pd.Series(np.clip(np.sin(np.pi * (hour - 6) / 12), 0, None) * peak_kw, index=index)


def _write(tmp_path, frame: pd.DataFrame, name: str = "pv.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_pvdaq_names_watts_and_night_standby_are_read(tmp_path):
    pv = _pv_day_kw()
    watts = np.where(pv.to_numpy() > 0, pv.to_numpy() * 1000, -3.0)  # inverters draw a few W at night
    path = _write(tmp_path, pd.DataFrame({"measured_on": pv.index.strftime("%Y-%m-%d %H:%M:%S"),
                                          "ac_power__2065": watts}))
    read = read_measured_pv(path, capacity_kwp=5.0)
    assert read.column == "ac_power__2065" and read.step_min == 15
    assert read.pv_kw.min() == 0.0
    assert read.pv_kw.max() == pytest.approx(pv.max(), rel=1e-6)  # W detected from the 5 kWp size
    assert any("read as W" in n for n in read.notes)
    assert any("small negative values" in n and "2023-03-01" in n for n in read.notes)


def test_energy_per_interval_and_stated_units(tmp_path):
    pv = _pv_day_kw()
    path = _write(tmp_path, pd.DataFrame({"time": pv.index.strftime("%Y-%m-%d %H:%M"), "yield_kwh": pv * 0.25}))
    read = read_measured_pv(path, capacity_kwp=5.0)
    assert read.pv_kw.max() == pytest.approx(pv.max())  # kWh per 15 min x 4 = kW
    path = _write(tmp_path, pd.DataFrame({"time": pv.index.strftime("%Y-%m-%d %H:%M"), "ac_power": pv * 1000}))
    assert read_measured_pv(path, unit="w").pv_kw.max() == pytest.approx(pv.max())


def test_large_negative_values_and_absurd_peaks_are_refused(tmp_path):
    pv = _pv_day_kw()
    net = pv - 2.0  # a net-load column, not production
    path = _write(tmp_path, pd.DataFrame({"time": pv.index.strftime("%Y-%m-%d %H:%M"), "pv_kw": net}))
    with pytest.raises(InputError, match=r"pv_kw.*net-load column"):
        read_measured_pv(path)
    path = _write(tmp_path, pd.DataFrame({"time": pv.index.strftime("%Y-%m-%d %H:%M"), "pv_kw": pv * 1000}))
    with pytest.raises(InputError, match=r"more than 1.5 x the array's 5 kWp"):
        read_measured_pv(path, capacity_kwp=5.0)  # stated kW, yet 4,000 kW from 5 kWp


def test_forecast_pv_cli_scores_a_pvdaq_file(tmp_path, capsys):
    pv = _pv_day_kw(days=2, start="2025-03-01")  # in the synthetic weather year
    watts = np.where(pv.to_numpy() > 0, pv.to_numpy() * 1000, -2.0)
    path = _write(tmp_path, pd.DataFrame({"measured_on": pv.index.strftime("%Y-%m-%dT%H:%M:%S+07:00"),
                                          "ac_power": watts}))
    args = ["forecast", "pv", "--lat", "13.7", "--lon", "100.5", "--kwp", "5", "--measured", str(path), "--json"]
    with pytest.raises(SystemExit) as code:
        main(args)
    out, err = capsys.readouterr()
    assert code.value.code == 0, err
    summary = json.loads(out)
    assert "forecast" in summary["scores"] and any("set to 0 kW" in n for n in summary["notes"])
    bad = _write(tmp_path, pd.DataFrame({"measured_on": pv.index.strftime("%Y-%m-%dT%H:%M:%S+07:00"),
                                         "ac_power": watts - 3000}), name="net.csv")
    with pytest.raises(SystemExit) as code:
        main(args[:-2] + [str(bad)])
    assert code.value.code == 2 and "ac_power" in capsys.readouterr().err
    with pytest.raises(SystemExit) as code:
        main(args[:-1] + ["--year", "2024"])
    assert code.value.code == 2 and "no step of the weather" in capsys.readouterr().err
