"""Battery strategy kernel: equal to the plain-Python reference, conserves energy, stays in bounds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from munigrid.models.errors import InputError
from munigrid.models.simulation import reference
from munigrid.models.simulation.battery import band_kernel, simulate_battery
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.strategies import Band, peak_shaving, self_consumption, tou_arbitrage

power = st.floats(0.0, 50.0, allow_subnormal=False)
eff = st.floats(0.5, 1.0, allow_subnormal=False)


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 60))
    load = np.array(draw(st.lists(power, min_size=n, max_size=n)))
    pv = np.array(draw(st.lists(power, min_size=n, max_size=n)))
    lo_soc = draw(st.floats(0.0, 0.5, allow_subnormal=False))
    hi_soc = draw(st.floats(lo_soc + 0.05, 1.0, allow_subnormal=False))
    battery = BatteryParams(draw(st.floats(0.0, 200.0, allow_subnormal=False)), draw(st.floats(0.0, 60.0, allow_subnormal=False)), draw(eff), draw(eff),
                            lo_soc, hi_soc, draw(st.floats(lo_soc, hi_soc, allow_subnormal=False)))
    kind = draw(st.sampled_from(["self", "tou", "shave"]))
    if kind == "self":
        band = self_consumption(n)
    elif kind == "tou":
        band = tou_arbitrage(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))),
                             draw(st.floats(0.0, 1.0, allow_subnormal=False)))
    else:
        band = peak_shaving(draw(st.floats(0.0, 40.0, allow_subnormal=False)), n,
                            np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))), hi_soc)
    step_h = draw(st.sampled_from([0.25, 1.0]))
    export = draw(st.booleans())
    limit = draw(st.floats(0.0, 30.0, allow_subnormal=False))
    return load, pv, battery, band, step_h, export, limit


def _args(load, pv, b, band, step_h, export, limit):
    return (load, pv, band.low_kw, band.high_kw, band.grid_target_frac, b.energy_kwh, b.power_kw,
            b.charge_eff_frac, b.discharge_eff_frac, b.soc_min_frac, b.soc_max_frac, b.soc_initial_frac,
            step_h, export, limit)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_kernel_equals_reference(case):
    args = _args(*case)
    got = band_kernel(*args)
    ref = reference.band_dispatch(*args)
    names = ("charge_kw", "discharge_kw", "soc_kwh", "import_kw", "export_kw", "curtail_kw")
    for name, values in zip(names, got):
        np.testing.assert_array_equal(values, ref[name], err_msg=name)  # same operations, same bits


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_energy_conservation_and_bounds(case):
    load, pv, b, band, step_h, export, limit = case
    tr = simulate_battery(load, pv, b, band, step_h=step_h, export_allowed=export, export_limit_kw=limit)
    balance = (pv - tr.curtail_kw) + tr.discharge_kw - tr.charge_kw + tr.import_kw - tr.export_kw
    np.testing.assert_allclose(balance, load, atol=1e-9)
    np.testing.assert_allclose(np.diff(tr.soc_kwh),
                               step_h * (b.charge_eff_frac * tr.charge_kw - tr.discharge_kw / b.discharge_eff_frac),
                               atol=1e-9)
    tol = 1e-9 * max(1.0, b.energy_kwh)
    assert (tr.soc_kwh >= b.soc_min_kwh - tol).all() and (tr.soc_kwh <= b.soc_max_kwh + tol).all()
    assert (tr.charge_kw <= b.power_kw + 1e-12).all() and (tr.discharge_kw <= b.power_kw + 1e-12).all()
    assert (tr.charge_kw * tr.discharge_kw == 0.0).all()
    assert (tr.curtail_kw <= pv + 1e-9).all()
    if not export:
        assert (tr.export_kw == 0.0).all()


def test_self_consumption_by_hand():
    b = BatteryParams(10.0, 5.0, 1.0, 1.0, 0.0, 1.0, 0.0)
    tr = simulate_battery([0.0, 0.0, 4.0, 4.0], [8.0, 3.0, 0.0, 0.0], b, step_h=1.0)
    np.testing.assert_allclose(tr.charge_kw, [5.0, 3.0, 0.0, 0.0])
    np.testing.assert_allclose(tr.curtail_kw, [3.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(tr.discharge_kw, [0.0, 0.0, 4.0, 4.0])
    np.testing.assert_allclose(tr.soc_kwh, [0.0, 5.0, 8.0, 4.0, 0.0])
    np.testing.assert_allclose(tr.import_kw, 0.0)


def test_tou_charges_off_peak_to_target_and_serves_peak():
    b = BatteryParams(10.0, 4.0, 1.0, 1.0, 0.0, 1.0, 0.0)
    on_peak = np.array([False, False, True, True])
    tr = simulate_battery([1.0, 1.0, 3.0, 3.0], [0.0] * 4, b, tou_arbitrage(on_peak, 0.6), step_h=1.0)
    np.testing.assert_allclose(tr.charge_kw, [4.0, 2.0, 0.0, 0.0])  # stops at 6 kWh
    np.testing.assert_allclose(tr.discharge_kw, [0.0, 0.0, 3.0, 3.0])
    np.testing.assert_allclose(tr.import_kw, [5.0, 3.0, 0.0, 0.0])


def test_peak_shaving_holds_threshold_while_energy_lasts():
    b = BatteryParams(10.0, 5.0, 1.0, 1.0, 0.0, 1.0, 1.0)
    tr = simulate_battery([8.0, 9.0, 9.0, 2.0], [0.0] * 4, b, peak_shaving(5.0, 4), step_h=1.0)
    np.testing.assert_allclose(tr.import_kw, [5.0, 5.0, 6.0, 5.0])  # 3 + 4 + 3 kWh, then recharge to 5 kW


def test_bad_input_lists_every_problem_before_running():
    bad = BatteryParams(-1.0, 5.0, 1.5, 0.9, 0.1, 0.9, 0.5)
    with pytest.raises(InputError) as err:
        simulate_battery([1.0, np.nan], [], bad, step_h=0.5)
    paths = {p.path for p in err.value.problems}
    assert {"battery.energy_kwh", "battery.charge_eff_frac", "step_h", "load_kw", "pv_kw"} <= paths


def test_band_mismatch_is_reported():
    band = Band(np.zeros(3), -np.ones(3), np.full(3, 2.0))
    with pytest.raises(InputError) as err:
        simulate_battery([1.0] * 3, [0.0] * 3, BatteryParams(1, 1), band, step_h=1.0)
    assert {p.path for p in err.value.problems} == {"strategy.low_kw", "strategy.grid_target_frac"}
