"""Outage survival and degradation (rainflow + calendar): references, hand cases, ASTM example."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from munigrid.models.errors import InputError
from munigrid.models.simulation import reference
from munigrid.models.simulation.degradation import DegradationParams, battery_fade, calendar_fade_frac
from munigrid.models.simulation.multi_year import simulate_years
from munigrid.models.simulation.outage import outage_kernel, outage_survival, outage_unserved, unserved_kernel
from munigrid.models.simulation.params import BatteryParams, GeneratorParams
from munigrid.models.simulation.rainflow import rainflow_kernel


@st.composite
def outages(draw):
    n = draw(st.integers(1, 30))
    load = np.array(draw(st.lists(st.floats(0.0, 20.0, allow_subnormal=False), min_size=n, max_size=n)))
    pv = np.array(draw(st.lists(st.floats(0.0, 20.0, allow_subnormal=False), min_size=n, max_size=n)))
    e_max = draw(st.floats(0.0, 80.0, allow_subnormal=False))
    soc = np.array(draw(st.lists(st.floats(0.0, 1.0, allow_subnormal=False), min_size=n, max_size=n))) * e_max
    return (load, pv, soc, 0.0, e_max, draw(st.floats(0.0, 20.0, allow_subnormal=False)), draw(st.floats(0.5, 1.0, allow_subnormal=False)),
            draw(st.floats(0.5, 1.0, allow_subnormal=False)), draw(st.floats(0.0, 10.0, allow_subnormal=False)), 0.08, 0.25, draw(st.floats(0.0, 30.0, allow_subnormal=False)),
            draw(st.integers(1, 2 * n)), draw(st.sampled_from([0.25, 1.0])))


def _batch(args):
    """The kernels' batch arguments (one building) from the reference's scalar ones."""
    load, pv, soc, *assets = args[:12]
    return (load[None], pv[None], soc[None, None], np.array([[assets[:5]]], dtype=float),
            np.array([assets[5:]], dtype=float), *args[12:])


@settings(max_examples=120, deadline=None)
@given(outages())
def test_outage_kernel_equals_reference(args):
    np.testing.assert_array_equal(outage_kernel(*_batch(args))[0], reference.outage_survival(*args))


@settings(max_examples=20, deadline=None)
@given(st.lists(outages(), min_size=2, max_size=4), st.integers(1, 30))
def test_outage_kernel_batches_buildings(cases, max_steps):
    n = min(len(c[0]) for c in cases)
    cases = [(c[0][:n], c[1][:n], c[2][:n], *c[3:12], max_steps, 1.0) for c in cases]
    batch = [_batch(c) for c in cases]
    stacked = [np.concatenate([b[k] for b in batch]) for k in range(5)]
    np.testing.assert_array_equal(outage_kernel(*stacked, max_steps, 1.0),
                                  [reference.outage_survival(*c) for c in cases])


@settings(max_examples=120, deadline=None)
@given(outages(), st.lists(st.integers(1, 40), min_size=1, max_size=4, unique=True), st.booleans())
def test_unserved_kernel_equals_reference(args, durations, unlimited_fuel):
    args = list(args)
    args[11] = math.inf if unlimited_fuel else args[11]
    args[12] = np.array(sorted(durations), dtype=np.int64)
    np.testing.assert_allclose(unserved_kernel(*_batch(args))[0], np.array(reference.outage_unserved(*args)).reshape(
        len(args[0]), len(durations)), rtol=1e-12, atol=1e-9)


def test_unserved_energy_by_hand():
    battery = BatteryParams(10.0, 5.0, 1.0, 1.0, 0.0, 1.0, 1.0)  # 10 kWh, lossless
    load, pv = np.full(6, 4.0), np.array([0.0, 0.0, 6.0, 0.0, 0.0, 0.0])
    lost = outage_unserved(load, pv, np.full(6, 6.0), battery, step_h=1.0, duration_h=[4.0, 1.0])
    # from step 0: 4 + 2 kWh served, step 1 loses 2 (battery empty), PV charges 2 at step 2, step 3 loses 2
    np.testing.assert_allclose(lost[0], [4.0, 0.0])


def test_unlimited_fuel_keeps_the_generator_running():
    battery = BatteryParams(0.0, 0.0)
    gen = GeneratorParams(5.0, 0.0, 0.0, 0.5)
    result = outage_survival(np.full(48, 2.0), np.zeros(48), np.zeros(48), battery, step_h=1.0, generator=gen,
                             fuel_l=math.inf, max_hours=30)
    np.testing.assert_array_equal(result.survived_h, 30.0)
    with pytest.raises(InputError, match="fuel_l"):
        outage_survival([1.0], [0.0], [0.0], battery, step_h=1.0, generator=gen, fuel_l=math.nan)


def test_outage_battery_only_by_hand():
    battery = BatteryParams(10.0, 5.0, 1.0, 0.8, 0.2, 1.0, 1.0)  # 8 kWh usable, 6.4 kWh delivered
    result = outage_survival(np.full(24, 2.0), np.zeros(24), np.full(24, 10.0), battery, step_h=1.0)
    np.testing.assert_array_equal(result.survived_h, 3.0)  # 3 h of 2 kW; the 4th needs 2.5 kWh, 1.6 kWh left
    np.testing.assert_allclose(result.probability([3.0, 4.0]), [1.0, 0.0])


def test_outage_generator_extends_survival_until_fuel_runs_out():
    battery = BatteryParams(10.0, 5.0, 1.0, 1.0, 0.0, 1.0, 0.0)
    gen = GeneratorParams(5.0, 0.0, 0.0, 0.5)  # 0.5 L/kWh
    result = outage_survival(np.full(48, 2.0), np.zeros(48), np.zeros(48), battery, step_h=1.0, generator=gen,
                             fuel_l=10.0, max_hours=30)
    np.testing.assert_array_equal(result.survived_h, 10.0)  # 10 L at 1 L/h


def test_outage_rejects_soc_outside_limits():
    with pytest.raises(InputError, match="soc_start_kwh"):
        outage_survival([1.0], [0.0], [20.0], BatteryParams(10.0, 5.0), step_h=1.0)


def test_rainflow_astm_e1049_example():
    # ASTM E1049-85, Fig. 6: ranges 3 (0.5), 4 (1.5), 6 (0.5), 8 (1.0), 9 (0.5)
    ranges, _, counts = rainflow_kernel(np.array([-2.0, 1, -3, 5, -1, 3, -4, 4, -2]))
    totals = {r: counts[ranges == r].sum() for r in np.unique(ranges)}
    assert totals == {3.0: 0.5, 4.0: 1.5, 6.0: 0.5, 8.0: 1.0, 9.0: 0.5}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-20, 20).map(float), max_size=60))
def test_rainflow_equals_reference(values):
    ranges, means, counts = rainflow_kernel(np.array(values, dtype=float))
    ref = reference.rainflow(values)
    np.testing.assert_allclose(np.column_stack([ranges, means, counts]).reshape(-1, 3),
                               np.array(ref, dtype=float).reshape(-1, 3))


def test_fade_of_daily_full_cycles_and_calendar():
    params = DegradationParams()
    day = np.r_[np.linspace(10.0, 90.0, 12), np.linspace(90.0, 10.0, 12)]
    fade = battery_fade(np.tile(day, 365), 100.0, step_h=1.0, params=params)
    assert fade.equivalent_full_cycles == pytest.approx(0.8 * 365, rel=1e-3)
    assert fade.cycle_fade_frac == pytest.approx(params.end_of_life_fade_frac * 365 / params.cycle_life_at_ref,
                                                 rel=1e-3)
    years = (365 * 24 - 1) / 8760
    assert fade.calendar_fade_frac == pytest.approx(params.calendar_fade_frac_per_sqrt_year * math.sqrt(years))
    hot = calendar_fade_frac(1.0, params, temp_c=35.0) / calendar_fade_frac(1.0, params, temp_c=25.0)
    assert 1.8 < hot < 2.1  # about twice as fast per +10 K


def test_degradation_bad_input():
    with pytest.raises(InputError) as err:
        battery_fade([1.0], 0.0, step_h=2.0, params=DegradationParams(wohler_exponent=-1.0))
    paths = {p.path for p in err.value.problems}
    assert {"degradation.wohler_exponent", "energy_kwh", "soc_kwh", "step_h"} <= paths


def test_multi_year_capacity_shrinks_by_the_fade():
    hour = np.arange(8760) % 24
    pv = 40.0 * np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None)
    years = simulate_years(np.full(8760, 10.0), pv, BatteryParams(50.0, 25.0), step_h=1.0, n_years=3)
    cap = years.capacity_kwh.values
    np.testing.assert_allclose(cap[1:], 50.0 * (1 - np.cumsum(years.fade_frac.values)[:-1]))
    assert (np.diff(years.pv_kwh.values) < 0).all()
