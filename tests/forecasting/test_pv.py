"""PV model chain: arrays, clipping, degradation, per-kWp profile, CEC modules, bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from munigrid.forecasting.pv import PVArraySpec, cec_modules, pv_ac_kw, pv_ac_kw_per_kwp
from munigrid.forecasting.weather import synthetic_year
from munigrid.models.errors import InputError

SITE = (12.97, 99.89)


@pytest.fixture(scope="module")
def weather():
    return synthetic_year(*SITE, seed=0)


def test_specific_yield_in_thai_range_and_night_is_zero(weather):
    out = pv_ac_kw(weather, PVArraySpec(capacity_kwp=10.0), *SITE)
    yield_kwh_per_kwp = out["pv"].sum() / 10.0  # hourly means: kW x 1 h
    assert 1250 < yield_kwh_per_kwp < 1550  # 1,300-1,500 kWh/kWp/year (reference/thai-energy.md)
    night = weather["ghi_w_per_m2"] == 0
    assert (out.loc[night, "pv"] == 0).all()
    assert out.attrs["units"] == "kW"


def test_several_arrays_sum_and_orientation_matters(weather):
    south = PVArraySpec(capacity_kwp=5.0, tilt_deg=15, azimuth_deg=180, name="south")
    north = PVArraySpec(capacity_kwp=5.0, tilt_deg=15, azimuth_deg=0, name="north")
    out = pv_ac_kw(weather, [south, north], *SITE)
    np.testing.assert_allclose(out["total"], out["south"] + out["north"])
    assert out["north"].sum() < out["south"].sum()  # 13 degN: south face wins over a year
    with pytest.raises(InputError, match="unique"):
        pv_ac_kw(weather, [south, replace(north, name="south")], *SITE)


def test_inverter_clips_at_its_rating(weather):
    spec = PVArraySpec(capacity_kwp=10.0, inverter_ac_kw=5.0)
    out = pv_ac_kw(weather, spec, *SITE)["pv"]
    assert out.max() == pytest.approx(5.0, abs=1e-9)
    unclipped = pv_ac_kw(weather, replace(spec, inverter_ac_kw=20.0), *SITE)["pv"]
    assert unclipped.max() > 5.0 and out.sum() < unclipped.sum()


def test_degradation_and_losses(weather):
    spec = PVArraySpec(capacity_kwp=1.0, dc_ac_ratio=0.8)  # oversized inverter: no clipping
    year1 = pv_ac_kw(weather, spec, *SITE)["pv"].sum()
    year11 = pv_ac_kw(weather, spec, *SITE, year_of_operation=11)["pv"].sum()
    assert year11 / year1 == pytest.approx(0.995**10, rel=0.01)
    lossy = pv_ac_kw(weather, replace(spec, losses_frac=0.24), *SITE)["pv"].sum()
    assert lossy / year1 == pytest.approx(0.76 / 0.86, rel=0.02)


def test_per_kwp_profile_scales_with_fixed_dc_ac_ratio(weather):
    per_kwp = pv_ac_kw_per_kwp(weather, *SITE)
    big = pv_ac_kw(weather, PVArraySpec(capacity_kwp=37.0), *SITE)["pv"]
    np.testing.assert_allclose(big.to_numpy(), 37.0 * per_kwp.to_numpy(), rtol=1e-9, atol=1e-9)
    assert per_kwp.attrs["units"] == "kW/kWp"


def test_cec_module_close_to_pvwatts(weather):
    name = next(c for c in cec_modules().columns if "Canadian_Solar" in c and cec_modules()[c]["STC"] > 300)
    cec = pv_ac_kw(weather, PVArraySpec(capacity_kwp=10.0, cec_module=name), *SITE)["pv"].sum()
    pvw = pv_ac_kw(weather, PVArraySpec(capacity_kwp=10.0), *SITE)["pv"].sum()
    assert cec / pvw == pytest.approx(1.0, abs=0.08)


def test_bad_array_lists_every_problem(weather):
    bad = PVArraySpec(capacity_kwp=-1, tilt_deg=120, losses_frac=14.0, cec_module="no such module")
    with pytest.raises(InputError) as err:
        pv_ac_kw(weather, bad, *SITE)
    paths = {p.path for p in err.value.problems}
    assert {"arrays[0].capacity_kwp", "arrays[0].tilt_deg", "arrays[0].losses_frac", "arrays[0].cec_module"} <= paths
    with pytest.raises(InputError, match="temp_air_c"):
        pv_ac_kw(weather.drop(columns="temp_air_c"), PVArraySpec(1.0), *SITE)
