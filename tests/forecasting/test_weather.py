"""Synthetic typical year and weather-file reading."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pvlib
import pytest

from munigrid.forecasting.solar import clear_sky
from munigrid.forecasting.weather import WEATHER_COLUMNS, ClimateNormals, read_weather, synthetic_year, thailand_climate
from munigrid.models.errors import InputError

PVLIB_DATA = os.path.join(os.path.dirname(pvlib.__file__), "data")
THA_YANG = (12.97, 99.89)


@pytest.fixture(scope="module")
def year_h():
    return synthetic_year(*THA_YANG, year=2025, seed=3)


def test_synthetic_year_has_columns_index_and_is_reproducible(year_h):
    assert list(year_h.columns) == list(WEATHER_COLUMNS)
    assert len(year_h) == 8760 and str(year_h.index.tz) == "Asia/Bangkok"
    assert year_h.index[0] == pd.Timestamp("2025-01-01 00:00", tz="Asia/Bangkok")
    again = synthetic_year(*THA_YANG, year=2025, seed=3)
    pd.testing.assert_frame_equal(year_h, again)
    other = synthetic_year(*THA_YANG, year=2025, seed=4)
    assert not np.allclose(other["ghi_w_per_m2"], year_h["ghi_w_per_m2"])


def test_synthetic_year_meets_stated_monthly_clearness(year_h):
    from munigrid.forecasting.solar import solar_geometry
    geo = solar_geometry(year_h.index, *THA_YANG, 5.0)
    by_month = pd.DataFrame({"g": year_h["ghi_w_per_m2"], "e": geo["ghi_extra_w_per_m2"]}).groupby(year_h.index.month).sum()
    kt = (by_month["g"] / by_month["e"]).to_numpy()
    np.testing.assert_allclose(kt, thailand_climate().clearness_index, atol=0.02)
    annual_kwh_per_m2 = year_h["ghi_w_per_m2"].sum() / 1000
    assert 1650 < annual_kwh_per_m2 < 1950  # DEDE: about 1,830-1,930 kWh/m2/year for half of Thailand


def test_synthetic_irradiance_is_physical(year_h):
    cs = clear_sky(year_h.index, *THA_YANG)
    ghi = year_h["ghi_w_per_m2"]
    assert (ghi >= 0).all() and (ghi <= 1.25 * cs["ghi_w_per_m2"] + 1).all()
    assert (ghi[cs["ghi_w_per_m2"] == 0] == 0).all()
    assert (year_h["dhi_w_per_m2"] <= ghi + 1e-6).all()
    noon = year_h.between_time("11:00", "13:59")["temp_air_c"].mean()
    dawn = year_h.between_time("04:00", "06:59")["temp_air_c"].mean()
    assert noon > dawn + 3


def test_interval_midpoint_sun():
    """Hourly and 15-min years put the same energy in the same hour (sun at midpoints)."""
    h = synthetic_year(*THA_YANG, step_min=60, seed=1, climate=_clear_climate())
    q = synthetic_year(*THA_YANG, step_min=15, seed=1, climate=_clear_climate())
    q_hourly = q["ghi_w_per_m2"].resample("60min").mean()
    day = slice("2025-03-01", "2025-03-01")
    np.testing.assert_allclose(q_hourly[day].to_numpy(), h["ghi_w_per_m2"][day].to_numpy(), rtol=0.1, atol=15)


def _clear_climate():
    base = thailand_climate()
    return ClimateNormals(clearness_index=(0.7,) * 12, temp_mean_c=base.temp_mean_c, temp_range_c=base.temp_range_c,
                          wind_speed_m_per_s=base.wind_speed_m_per_s, logit_sd=0.0, intraday_sd_frac=0.0)


def test_bad_site_and_climate_collect_all_problems():
    with pytest.raises(InputError) as err:
        synthetic_year(95.0, 200.0, step_min=30)
    paths = {p.path for p in err.value.problems}
    assert paths == {"latitude_deg", "longitude_deg", "step_min"}
    with pytest.raises(InputError, match="clearness_index"):
        ClimateNormals(clearness_index=(0.5,) * 11, temp_mean_c=(28,) * 12, temp_range_c=(8,) * 12,
                       wind_speed_m_per_s=(2,) * 12)


def test_read_tmy3_and_tmy2_from_pvlib_data():
    tmy3 = read_weather(os.path.join(PVLIB_DATA, "723170TYA.CSV"))
    assert list(tmy3.columns) == list(WEATHER_COLUMNS) and len(tmy3) == 8760
    assert tmy3.attrs["format"] == "tmy3" and tmy3.attrs["latitude_deg"] == pytest.approx(36.1)
    # TMY3 labels are hour-ending: after the shift the noon hour (local -05:00) is the brightest.
    local = tmy3["ghi_w_per_m2"].tz_convert("Etc/GMT+5")
    assert local.groupby(local.index.hour).mean().idxmax() in (11, 12)
    tmy2 = read_weather(os.path.join(PVLIB_DATA, "12839.tm2"))
    assert 15 < tmy2["temp_air_c"].mean() < 30  # tenths of degC converted
    assert tmy2.attrs["format"] == "tmy2"


def test_read_epw_written_from_synthetic_year(tmp_path, year_h):
    path = tmp_path / "site.epw"
    header = ["LOCATION,Tha Yang,-,THA,synthetic,0,12.97,99.89,7.0,5.0",
              "DESIGN CONDITIONS,0", "TYPICAL/EXTREME PERIODS,0", "GROUND TEMPERATURES,0",
              "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0", "COMMENTS 1,test", "COMMENTS 2,test",
              "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31"]
    rows = []
    for t, r in year_h.iterrows():
        fields = [t.year, t.month, t.day, t.hour + 1, 60, "?", round(r.temp_air_c, 1), 20, 70, 101000, 0, 0, 400,
                  round(r.ghi_w_per_m2), round(r.dni_w_per_m2), round(r.dhi_w_per_m2), 0, 0, 0, 0, 180,
                  round(r.wind_speed_m_per_s, 1), 5, 5, 10, 77777, 9, 999999999, 0, 0.1, 0, 88, 0.2, 0, 0]
        rows.append(",".join(map(str, fields)))
    path.write_text("\n".join(header + rows) + "\n")
    weather = read_weather(path)
    assert weather.attrs["format"] == "epw"
    assert weather.index[0] == year_h.index[0]
    np.testing.assert_allclose(weather["ghi_w_per_m2"], year_h["ghi_w_per_m2"].round(), atol=0.6)


def test_read_measured_csv_decomposes_ghi_and_fills_short_gaps(tmp_path, year_h):
    day = year_h["2025-03-01":"2025-03-07"]
    frame = pd.DataFrame({"time": day.index.strftime("%Y-%m-%d %H:%M"), "GHI": day["ghi_w_per_m2"].round(1)})
    frame.loc[frame.index[12], "GHI"] = np.nan
    path = tmp_path / "ghi.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match="no time zone"):
        read_weather(path, *THA_YANG)
    weather = read_weather(path, *THA_YANG, tz="Asia/Bangkok")
    assert list(weather.columns) == list(WEATHER_COLUMNS)
    assert any("Erbs" in n for n in weather.attrs["notes"])
    assert any("1 interpolated" in n for n in weather.attrs["notes"])
    daily = weather["ghi_w_per_m2"].resample("D").sum()
    assert np.all(daily > 0)
    np.testing.assert_allclose(weather["ghi_w_per_m2"].sum(), day["ghi_w_per_m2"].sum(), rtol=0.02)


def test_measured_csv_with_utc_stamps_read_as_local_is_refused(tmp_path, year_h):
    day = year_h["2025-03-01":"2025-03-07"]
    utc_labels = day.index.tz_convert("UTC").strftime("%Y-%m-%d %H:%M")  # UTC stamps without zone
    path = tmp_path / "utc.csv"
    pd.DataFrame({"time": utc_labels, "ghi": day["ghi_w_per_m2"].to_numpy()}).to_csv(path, index=False)
    with pytest.raises(InputError, match="shifted"):
        read_weather(path, *THA_YANG, tz="Asia/Bangkok")


def test_measured_csv_problems_name_file_column_rows(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("time,ghi\n2025-01-01 00:00+07:00,0\n2025-01-01 01:00+07:00,5000\nnot a date,0\n")
    with pytest.raises(InputError) as err:
        read_weather(path, *THA_YANG)
    text = str(err.value)
    assert "bad.csv" in text and "'time'" in text and "lines 4" in text
    with pytest.raises(InputError, match="latitude"):
        read_weather(path)


def test_synthetic_year_is_fast():
    import time
    start = time.perf_counter()
    synthetic_year(*THA_YANG, seed=9)
    assert time.perf_counter() - start < 1.0
