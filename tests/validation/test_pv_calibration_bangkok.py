"""PV calibrated to the measured 8 kWp Bangkok roof (2023, 15 min): the goals of issue 22.

Fit on four weeks from 2023-04-11, check on every later day outside the flagged fault. Goals:
daily energy error <= 10 % of the mean daily energy, hourly nRMSE <= 25 % of the mean daylight
output; the August 2023 drop is flagged with its dates, not fitted.
"""

from __future__ import annotations

import pandas as pd
import pytest

from munigrid.forecasting.measured_weather import read_measured_weather
from munigrid.forecasting.pv import PVArraySpec, pv_ac_kw
from munigrid.forecasting.pv_calibration import calibrate_to_meter
from munigrid.forecasting.pv_measured import read_measured_pv

SITE = (13.736, 100.533)  # Chulalongkorn University, Bangkok
SPEC = PVArraySpec(capacity_kwp=8.0, tilt_deg=10, azimuth_deg=180, inverter_ac_kw=4.8)  # as tests/validation/test_pv_bangkok.py


@pytest.fixture(scope="module")
def calibration(shared_data):
    folder = shared_data / "bangkok_pv_2023"
    measured = read_measured_pv(folder / "pv_8kwp_15min_2023.csv", capacity_kwp=8.0).pv_kw
    weather, _ = read_measured_weather(folder / "irradiance_15min_2023.csv", *SITE, tz="Asia/Bangkok",
                                       temperature_path=folder / "temperature_15min_2023.csv")
    index = measured.index.intersection(weather.index)
    sky = weather.reindex(index)
    modelled = pv_ac_kw(sky.fillna(0.0), SPEC, *SITE)["pv"].where(sky["ghi_w_per_m2"].notna())
    return calibrate_to_meter(measured.reindex(index), modelled, 8.0, pd.Timestamp("2023-04-11"), fit_days=28)


def test_calibrated_model_meets_the_goals_on_a_later_window(calibration):
    check = calibration.checks["check"]
    print(f"\ncapacity factor {calibration.capacity_factor:.3f}, {calibration.fit_days} fitted days; check "
          f"{check['calibrated']['days']} days")
    for stage in ("nominal", "calibrated"):
        s = check[stage]
        print(f"{stage}: daily MAE {s['daily_mae_frac']:.1%} of mean ({s['mean_daily_kwh']:.1f} kWh/day), hourly nRMSE "
              f"{s['hourly_nrmse_daylight_frac']:.1%} of daylight mean, {s['hourly_nrmse_kwp_frac']:.1%} of kWp")
    assert check["calibrated"]["days"] >= 60
    assert check["nominal"]["daily_mae_frac"] > 0.25  # nameplate model well above the roof (measured 35 %)
    assert check["calibrated"]["daily_mae_frac"] <= 0.10  # measured 2.6 %
    assert check["calibrated"]["hourly_nrmse_daylight_frac"] <= 0.25  # measured 7.0 %
    assert 0.6 < calibration.capacity_factor < 0.9  # measured 0.751


def test_the_august_drop_is_flagged_with_its_dates(calibration):
    faults = calibration.faults
    print(f"\nfaults: {faults}")
    assert len(faults) == 1
    assert "2023-07-25" <= faults[0]["start"] <= "2023-08-10" and faults[0]["ratio"] < 0.7
