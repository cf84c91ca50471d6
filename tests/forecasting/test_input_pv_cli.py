"""Issue 22 item 8: ``forecast pv`` timing note with the right sign and words, the output named
``pv_ac_kw``, times in the site's zone, and altitude, temperature coefficient and mounting options."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import xarray as xr

from munigrid.forecasting.pv import TemperatureModel
from munigrid.forecasting.solar import clear_sky
from munigrid.scenarios.cli import main
from munigrid.scenarios.commands.forecast_cmds import MOUNTINGS
from munigrid.scenarios.commands.pv_cli import site_zone

SITE = ("--lat", "13.75", "--lon", "100.5", "--kwp", "10")


def _pv(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(["forecast", "pv", *SITE, *args])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.mark.parametrize("shift_min, words", [(15, "peaks 0.25 h after the sun; the stamps may label interval ends"),
                                              (-15, "peaks 0.25 h before the sun; the stamps look early")])
def test_timing_note_sign_and_words(tmp_path, capsys, shift_min, words):
    index = pd.date_range("2025-03-01", periods=10 * 96, freq="15min", tz="Asia/Bangkok")
    ghi = (0.8 * clear_sky(index, 13.75, 100.5)["ghi_w_per_m2"]).round(1).to_numpy()
    path = tmp_path / "ghi.csv"
    stamps = (index + pd.Timedelta(minutes=shift_min)).strftime("%Y-%m-%dT%H:%M+07:00")
    pd.DataFrame({"time": stamps, "ghi": ghi}).to_csv(path, index=False)
    code, out, err = _pv(capsys, "--weather", str(path))
    assert code == 0, err
    assert f"note: timing: irradiance {words}" in out
    assert "Warning" not in err


def test_output_named_pv_ac_kw_in_csv_and_netcdf(tmp_path, capsys):
    code, _, err = _pv(capsys, "--out", str(tmp_path / "pv.csv"))
    assert code == 0, err
    assert (tmp_path / "pv.csv").read_text().splitlines()[0] == "time,pv_ac_kw"
    code, _, err = _pv(capsys, "--out", str(tmp_path / "pv.nc"))
    assert code == 0, err
    with xr.open_dataset(tmp_path / "pv.nc") as ds:
        assert list(ds.data_vars) == ["pv_ac_kw"] and list(ds.dims) == ["time"]
        assert ds.attrs["time_zone"] == "Asia/Bangkok"


def test_times_in_the_site_zone(tmp_path, capsys):
    code, out, err = _pv(capsys, "--tz", "Asia/Kolkata", "--out", str(tmp_path / "pv.csv"), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["start"].endswith("+05:30") and summary["peak_at"].endswith("+05:30")
    assert "times in Asia/Kolkata (--tz)" in summary["notes"]
    assert (tmp_path / "pv.csv").read_text().splitlines()[1].endswith("+05:30,0.0")
    weather = pd.DataFrame(index=pd.date_range("2025-01-01", periods=2, freq="h", tz="UTC"))
    weather.attrs["utc_offset_h"] = 1.0  # an EPW's header of a site at UTC+1
    zone, note = site_zone(None, weather)
    assert pd.Timestamp("2025-01-01 00:00", tz="UTC").tz_convert(zone).utcoffset() == pd.Timedelta(hours=1)
    assert "weather file's zone" in note


def test_altitude_temperature_coefficient_and_mounting_change_the_output(capsys):
    def energy(*flags):
        code, out, err = _pv(capsys, "--json", *flags)
        assert code == 0, err
        return json.loads(out)["energy_kwh"]

    base = energy()
    assert energy("--mounting", "close_mount_glass_glass") < base  # hotter cells flush on the roof
    assert energy("--temp-coeff", "-0.005") < base < energy("--temp-coeff", "-0.002")
    assert energy("--altitude", "1500") != base
    assert set(MOUNTINGS) == set(TemperatureModel.__args__)


def test_bad_array_options_name_their_flags(capsys):
    code, _, err = _pv(capsys, "--temp-coeff", "0.4", "--altitude", "12000")
    assert code == 2
    assert "--temp-coeff: must be in [-0.01, 0]" in err and "--altitude: must be between" in err
    code, _, err = _pv(capsys, "--tz", "Mars/Base")
    assert code == 2 and "--tz" in err
