"""``munigrid simulate``: JSON output, netCDF samples, exit code 2 on bad input."""

from __future__ import annotations

import json

import pytest
import xarray as xr

from munigrid.scenarios.cli import main


def _run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "tha-yang", *args])
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


def test_simulate_json_and_samples_file(capsys, tmp_path):
    path = tmp_path / "simulation.nc"
    code, out, _ = _run(capsys, "--samples", "16", "--strategy", "tou_arbitrage", "--weather-years", "2", "--json",
                        "--out", str(path))
    assert code == 0
    doc = json.loads(out)
    assert doc["samples"] == 16 and doc["strategy"] == "tou_arbitrage"
    cost = doc["quantiles"]["site"]["cost_thb"]
    assert 0 < cost["P10"] <= cost["P50"] <= cost["P90"]
    office = doc["quantiles"]["municipal_office"]
    assert office["equivalent_full_cycles"]["P50"] > 0  # the scenario's battery is at the office
    assert doc["quantiles"]["street_lighting"]["equivalent_full_cycles"]["P50"] == 0
    samples = xr.open_dataset(path, engine="h5netcdf")
    assert dict(samples.sizes) == {"building": 5, "sample": 16}
    assert samples.cost_thb.attrs["units"] == "THB" and samples.attrs["weather_years"] == 2


def test_peak_shaving_without_threshold_is_bad_input(capsys):
    code, _, err = _run(capsys, "--samples", "4", "--strategy", "peak_shaving")
    assert code == 2 and "--threshold-kw" in err


def test_on_peak_is_judged_within_each_billing_month():
    """Ft moves every month's prices: an off-peak step of a dear month is still off-peak."""
    import numpy as np

    from munigrid.models.tariffs.terms import TariffCostTerms
    from munigrid.scenarios.simulation import on_peak_steps

    price = np.array([2.9, 4.7, 3.0, 4.8])  # month 0: off, on; month 1 (higher Ft): off, on
    terms = TariffCostTerms(1.0, np.array([0, 0, 1, 1]), price, np.zeros(4))
    assert on_peak_steps(terms).tolist() == [False, True, False, True]
