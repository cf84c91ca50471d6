"""A scenario with a custom tariff file and a measured PV profile reproduces a given LP instance exactly.

The instance: two days, hourly; load and PV given as series; a TOU tariff with an on-peak demand
charge (tests/models/tariffs/data/tou_demand.yaml); a 40 kWh / 20 kW battery. It is solved once
directly (DispatchProblem built by hand from the same numbers) and once as a scenario whose
building reads the load from ``load_csv``, the PV from ``pv_csv`` and the tariff from
``tariff_file``: the optimum and the schedule must be the same.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, PVArray, SolveOptions, solve
from munigrid.models.errors import InputError
from munigrid.models.tariffs.library import tariff_from_file
from munigrid.scenarios import api

DATA = Path(__file__).parent / "data"
INDEX = pd.date_range("2025-06-02", periods=48, freq="h", tz="Asia/Bangkok")
BATTERY = dict(energy_kwh=40.0, power_kw=20.0, charge_eff_frac=0.95, discharge_eff_frac=0.95, soc_min_frac=0.1,
               soc_max_frac=0.9, soc_initial_frac=0.5)


def _series():
    hour = INDEX.hour.to_numpy()
    load_kw = 20.0 + 30.0 * ((hour >= 8) & (hour < 18)) + 5.0 * np.sin(np.arange(48))
    pv_kw = np.clip(40.0 * np.sin(np.pi * (hour - 6) / 12), 0.0, None) * np.where(INDEX.day == 2, 1.0, 0.6)
    return np.round(load_kw, 3), np.round(pv_kw, 3)


def _write(tmp_path: Path, pv_unit: str = "kw") -> Path:
    load_kw, pv_kw = _series()
    stamps = [t.isoformat() for t in INDEX]
    pd.DataFrame({"time": stamps, "load_kw": load_kw}).to_csv(tmp_path / "load.csv", index=False)
    column, values = ("pv_kw", pv_kw) if pv_unit == "kw" else ("pv_kw_per_kwp", pv_kw / 50.0)
    pd.DataFrame({"time": stamps, column: values}).to_csv(tmp_path / "pv.csv", index=False)
    shutil.copy(DATA / "tou_demand.yaml", tmp_path / "tou_demand.yaml")
    spec = {"name": "reproduce", "site": {"name": "t", "latitude_deg": 12.97, "longitude_deg": 99.89},
            "time": {"start": "2025-06-02", "days": 2, "step_min": 60},
            "buildings": [{"name": "office", "kind": "office", "load_csv": "load.csv", "tariff_file": "tou_demand.yaml",
                           "roof_area_m2": 500,
                           "pv_arrays": [{"name": "roof", "capacity_kwp": 50.0, "pv_csv": "pv.csv",
                                          "pv_csv_unit": pv_unit}]}],
            "battery": {"building": "office", **BATTERY}}
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(spec))
    return tmp_path / "scenario.yaml"


def _direct_optimum():
    load_kw, pv_kw = _series()
    terms = tariff_from_file(DATA / "tou_demand.yaml").cost_terms(INDEX)
    meter = Meter("office", load_kw, terms, pv=[PVArray("roof", pv_kw / 50.0, capacity_kwp=50.0)],
                  battery=Battery(**BATTERY))
    return solve(DispatchProblem(1.0, [meter], options=SolveOptions(threads=1)))


@pytest.mark.parametrize("pv_unit", ["kw", "kw_per_kwp"])
def test_scenario_reproduces_the_instance_optimum(tmp_path, pv_unit):
    direct = _direct_optimum()
    outcome = api.run(api.load(_write(tmp_path, pv_unit)), store=False, report=False)
    objective = outcome.manifest["solver"]["meters"]["office"]["objective_thb"]
    assert objective == pytest.approx(direct.objective_thb, rel=1e-9, abs=1e-6)
    np.testing.assert_allclose(outcome.results.import_kw.sel(building="office").values,
                               direct.schedules["office"].import_kw, atol=1e-6)


def test_pv_csv_problems_name_the_field(tmp_path):
    path = _write(tmp_path)
    (tmp_path / "pv.csv").unlink()
    with pytest.raises(InputError) as err:
        api.inputs(api.load(path))
    assert any("pv_arrays[0].pv_csv" in p.path for p in err.value.problems)
    _write(tmp_path)
    pd.DataFrame({"time": [t.isoformat() for t in INDEX[:24]], "pv_kw": np.ones(24)}).to_csv(tmp_path / "pv.csv",
                                                                                            index=False)
    with pytest.raises(InputError, match="does not cover"):
        api.inputs(api.load(path))
