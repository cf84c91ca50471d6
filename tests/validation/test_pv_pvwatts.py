"""PV chain against NREL PVWatts hourly output (pvlib test data, Golden CO, 4 kW rack mount)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from munigrid.forecasting.pv import PVArraySpec, pv_ac_kw
from munigrid.forecasting.solar import solar_geometry

SITE = (39.73, -105.18, 1819.6)  # from the file header


def _pvwatts(shared_data):
    frame = pd.read_csv(shared_data / "pvwatts_reference" / "pvwatts_8760_rackmount.csv", skiprows=17)
    frame = frame[pd.to_numeric(frame["Month"], errors="coerce").notna()].astype(float)
    stamps = pd.to_datetime(dict(year=2019, month=frame["Month"].astype(int), day=frame["Day"].astype(int),
                                 hour=frame["Hour"].astype(int)))
    # PVWatts hours are local standard time (UTC-7), hour h covering h:00-h+1:00.
    index = pd.DatetimeIndex(stamps).tz_localize("Etc/GMT+7")
    geo = solar_geometry(index, *SITE)
    dni = frame["Beam Irradiance (W/m^2)"].to_numpy()
    dhi = frame["Diffuse Irradiance (W/m^2)"].to_numpy()
    ghi = np.clip(dni * np.clip(np.cos(np.radians(geo["zenith"].to_numpy())), 0, None) + dhi, 0, None)
    weather = pd.DataFrame({"ghi_w_per_m2": ghi, "dni_w_per_m2": dni, "dhi_w_per_m2": dhi,
                            "temp_air_c": frame["Ambient Temperature (C)"].to_numpy(),
                            "wind_speed_m_per_s": frame["Wind Speed (m/s)"].to_numpy()}, index=index)
    return weather, frame["AC System Output (W)"].to_numpy() / 1000.0


def test_annual_ac_energy_within_2_percent_of_pvwatts(shared_data):
    weather, reference_kw = _pvwatts(shared_data)
    spec = PVArraySpec(capacity_kwp=4.0, tilt_deg=20, azimuth_deg=180, losses_frac=0.1408, dc_ac_ratio=1.2,
                       inverter_eff_frac=0.96, gamma_per_c=-0.0047, temperature_model="open_rack_glass_polymer",
                       degradation_frac_per_year=0.0)
    ac_kw = pv_ac_kw(weather, spec, *SITE)["pv"].to_numpy()
    annual_error = ac_kw.sum() / reference_kw.sum() - 1.0
    hourly_rmse_kw = float(np.sqrt(np.mean((ac_kw - reference_kw) ** 2)))
    print(f"\nPVWatts: annual AC {ac_kw.sum():.0f} vs {reference_kw.sum():.0f} kWh ({annual_error:+.2%}); "
          f"hourly RMSE {hourly_rmse_kw * 1000:.0f} W, correlation {np.corrcoef(ac_kw, reference_kw)[0, 1]:.5f}")
    assert abs(annual_error) < 0.02
    assert hourly_rmse_kw < 0.05 * 4.0
