"""Outage survival and unserved energy with several batteries behind one meter, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from munigrid.models.errors import InputError
from munigrid.models.simulation.outage import IslandCase, survival_of, unserved_of
from munigrid.models.simulation.params import BatteryParams

LOAD = np.full(24, 2.0)  # critical load [kW], no PV
SMALL = BatteryParams(4.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0)  # 4 kWh at 1 kW
LARGE = BatteryParams(10.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0)  # 10 kWh at 1 kW
EMPTY = BatteryParams(0.0, 0.0)


def _case(batteries, soc_kwh):
    return IslandCase(LOAD, np.zeros(24), np.array([np.full(24, e) for e in soc_kwh]), tuple(batteries))


def test_two_batteries_together_carry_what_neither_can_alone():
    # 2 kW needs both 1 kW batteries; the small one is empty after 4 h, then 1 kW is short
    both = survival_of([_case([SMALL, LARGE], [4.0, 10.0])], step_h=1.0)[0]
    np.testing.assert_array_equal(both.survived_h, 4.0)
    alone = survival_of([IslandCase(LOAD, np.zeros(24), np.full(24, 10.0), LARGE)], step_h=1.0)[0]
    np.testing.assert_array_equal(alone.survived_h, 0.0)
    # 6 h outage: 4 h served in full, then the large battery gives 1 of 2 kW for 2 h: 2 kWh lost
    lost = unserved_of([_case([SMALL, LARGE], [4.0, 10.0])], step_h=1.0, duration_h=[6.0])[0]
    np.testing.assert_allclose(lost[:, 0], 2.0, atol=1e-12)


def test_an_empty_second_battery_changes_nothing():
    rng = np.random.default_rng(3)
    load, pv = rng.uniform(0, 8, 48), rng.uniform(0, 8, 48)
    soc = rng.uniform(1.0, 9.0, 48)
    battery = BatteryParams(10.0, 4.0, 0.95, 0.9, 0.1, 0.9, 0.5)
    one = IslandCase(load, pv, soc, battery)
    two = IslandCase(load, pv, np.array([soc, np.zeros(48)]), (battery, EMPTY))
    a, b = survival_of([one, two], step_h=1.0)
    np.testing.assert_array_equal(a.survived_h, b.survived_h)
    np.testing.assert_array_equal(*unserved_of([one, two], step_h=1.0, duration_h=[1.0, 5.0, 12.0]))


def test_stored_energy_needs_one_row_per_battery():
    with pytest.raises(InputError, match="soc_start_kwh"):
        survival_of([IslandCase(LOAD, np.zeros(24), np.full(24, 1.0), (SMALL, LARGE))], step_h=1.0)
    with pytest.raises(InputError, match=r"soc_start_kwh\[0\]"):
        survival_of([_case([SMALL, LARGE], [5.0, 1.0])], step_h=1.0)
