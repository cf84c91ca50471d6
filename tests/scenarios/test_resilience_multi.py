"""Outage survival of a shared connection and of a meter with several batteries, through a run.

The two-day campus of test_shared_connection: office and school; the office hosts a lossless
100 kWh / 30 kW battery.
"""

from __future__ import annotations

import numpy as np
import yaml
from test_shared_connection import _scenario

from munigrid.models.simulation.outage import IslandCase, survival_of
from munigrid.models.simulation.params import BatteryParams
from munigrid.scenarios import api
from munigrid.scenarios.resilience import critical_frac

CONNECTION = [{"name": "campus_meter", "buildings": ["office", "school"]}]
LOSSLESS = {"charge_eff_frac": 1.0, "discharge_eff_frac": 1.0, "soc_min_frac": 0.0, "soc_max_frac": 1.0,
            "soc_initial_frac": 0.5}


def _with_banks(tmp_path, second_kwh):
    path = _scenario(tmp_path, CONNECTION)
    spec = yaml.safe_load(path.read_text())
    spec.pop("battery")
    spec["batteries"] = [{"name": "lfp", "building": "office", "energy_kwh": 100, "power_kw": 30, **LOSSLESS},
                         {"name": "lead_acid", "building": "school", "energy_kwh": second_kwh,
                          "power_kw": second_kwh / 2, **LOSSLESS}]
    path.write_text(yaml.safe_dump(spec))
    return api.run(path, store=False)


def test_a_battery_behind_a_connection_carries_the_connections_outage(tmp_path):
    outcome = api.run(_scenario(tmp_path, CONNECTION), store=False)
    survival = outcome.manifest["resilience"]["survival"]
    assert "campus_meter" in survival and survival["campus_meter"]["mean_h"] > 0


def test_an_empty_second_battery_leaves_survival_as_with_one(tmp_path):
    one = api.run(_scenario(tmp_path, CONNECTION), store=False).manifest["resilience"]["survival"]["campus_meter"]
    two = _with_banks(tmp_path, 0.0).manifest["resilience"]["survival"]["campus_meter"]
    assert one == two


def test_both_batteries_serve_the_connections_critical_load(tmp_path):
    outcome = _with_banks(tmp_path, 40.0)
    results = outcome.results
    banks = [BatteryParams(100.0, 30.0, 1.0, 1.0, 0.0, 1.0, 0.5), BatteryParams(40.0, 20.0, 1.0, 1.0, 0.0, 1.0, 0.5)]
    soc = np.array([results["battery_soc_kwh"].sel(battery=name).to_numpy() for name in ("lfp", "lead_acid")])
    load = critical_frac(api.load(tmp_path / "campus.yaml"), "campus_meter") * results["load_kw"].sel(
        building="campus_meter").to_numpy()
    pv = results["pv_ac_kw"].sel(building="campus_meter").to_numpy()
    scenario = api.load(tmp_path / "campus.yaml")
    by_hand = survival_of([IslandCase(load, pv, soc, tuple(banks))], step_h=1.0,
                          max_hours=scenario.grid.survival_max_h)[0]
    survival = outcome.manifest["resilience"]["survival"]["campus_meter"]
    assert survival["mean_h"] == float(by_hand.survived_h.mean())
    alone = survival_of([IslandCase(load, pv, soc[0], banks[0])], step_h=1.0,
                        max_hours=scenario.grid.survival_max_h)[0]
    assert survival["mean_h"] > float(alone.survived_h.mean())
