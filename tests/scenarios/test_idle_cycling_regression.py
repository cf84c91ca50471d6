"""Regression: Tha Yang's office with a 250-300 kWh battery over 60 days used to end with no solution.

The LP had free idle cycling (stored energy burnt at night, refilled by surplus PV the next
day); chasing it with binaries ran out of rounds. It is now removed at no cost without binaries.
"""

from __future__ import annotations

import numpy as np
import pytest

from munigrid.scenarios import api


@pytest.mark.parametrize("energy_kwh", [250.0, 300.0])
def test_office_battery_sizes_that_cycled_idly_solve_without_binaries(energy_kwh):
    scenario = api.load("tha-yang")
    scenario.time.days = 60
    scenario.buildings = [scenario.buildings[0]]
    scenario.battery.energy_kwh = energy_kwh
    outcome = api.run(scenario, store=False)
    solver = outcome.manifest["solver"]["meters"]["municipal_office"]
    assert solver["status"] == "optimal" and solver["n_binaries"] == 0
    r = outcome.results.sel(building="municipal_office")
    assert float(np.minimum(r.charge_kw, r.discharge_kw).max()) <= 1e-6
