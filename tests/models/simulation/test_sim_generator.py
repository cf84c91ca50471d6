"""Generator strategies (load following, cycle charging): reference equality, conservation, rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from munigrid.models.errors import InputError
from munigrid.models.simulation import reference
from munigrid.models.simulation.generator import generator_kernel, simulate_generator
from munigrid.models.simulation.params import BatteryParams, GeneratorParams

power = st.floats(0.0, 40.0, allow_subnormal=False)
eff = st.floats(0.5, 1.0, allow_subnormal=False)


@st.composite
def systems(draw):
    n = draw(st.integers(1, 60))
    load = np.array(draw(st.lists(power, min_size=n, max_size=n)))
    pv = np.array(draw(st.lists(power, min_size=n, max_size=n)))
    lo = draw(st.floats(0.0, 0.5, allow_subnormal=False))
    hi = draw(st.floats(lo + 0.05, 1.0, allow_subnormal=False))
    battery = BatteryParams(draw(st.floats(0.0, 150.0, allow_subnormal=False)), draw(st.floats(0.0, 40.0, allow_subnormal=False)), draw(eff), draw(eff),
                            lo, hi, draw(st.floats(lo, hi, allow_subnormal=False)))
    gen = GeneratorParams(draw(st.floats(0.0, 30.0, allow_subnormal=False)), draw(st.floats(0.0, 0.6, allow_subnormal=False)), 0.08145, 0.246,
                          draw(st.floats(lo, hi, allow_subnormal=False)))
    return load, pv, battery, gen, draw(st.sampled_from(["load_following", "cycle_charging"])), \
        draw(st.sampled_from([0.25, 1.0]))


@settings(max_examples=150, deadline=None)
@given(systems())
def test_kernel_equals_reference(case):
    load, pv, b, g, strategy, step_h = case
    args = (load, pv, b.energy_kwh, b.power_kw, b.charge_eff_frac, b.discharge_eff_frac, b.soc_min_frac,
            b.soc_max_frac, b.soc_initial_frac, g.rated_kw, g.min_load_frac, g.fuel_intercept_l_per_kwh_rated,
            g.fuel_slope_l_per_kwh, g.cycle_charge_setpoint_frac, strategy == "cycle_charging", step_h)
    got = generator_kernel(*args)
    ref = reference.generator_dispatch(*args)
    for name, values in zip(("charge_kw", "discharge_kw", "soc_kwh", "gen_kw", "curtail_kw", "shed_kw", "fuel_l"),
                            got):
        np.testing.assert_array_equal(values, ref[name], err_msg=name)  # same operations, same bits


@settings(max_examples=150, deadline=None)
@given(systems())
def test_energy_conservation_and_limits(case):
    load, pv, b, g, strategy, step_h = case
    tr = simulate_generator(load, pv, b, g, step_h=step_h, strategy=strategy)
    balance = pv - tr.curtail_kw + tr.gen_kw + tr.discharge_kw - tr.charge_kw + tr.shed_kw
    np.testing.assert_allclose(balance, load, atol=1e-9)
    tol = 1e-9 * (1 + b.energy_kwh)
    assert (tr.soc_kwh >= b.soc_min_kwh - tol).all() and (tr.soc_kwh <= b.soc_max_kwh + tol).all()
    assert (tr.gen_kw <= g.rated_kw + 1e-12).all()
    assert (tr.shed_kw >= -1e-12).all() and (tr.curtail_kw >= -1e-12).all()
    running = tr.gen_kw > 0
    assert (tr.gen_kw[running] >= g.min_load_frac * g.rated_kw - 1e-12).all()


def test_load_following_versus_cycle_charging_by_hand():
    battery = BatteryParams(20.0, 10.0, 1.0, 1.0, 0.0, 1.0, 0.0)
    gen = GeneratorParams(10.0, 0.3, 0.0, 0.25, 0.5)
    load, pv = [4.0, 4.0, 4.0], [0.0, 0.0, 0.0]
    lf = simulate_generator(load, pv, battery, gen, step_h=1.0, strategy="load_following")
    np.testing.assert_allclose(lf.gen_kw, [4.0, 4.0, 4.0])
    np.testing.assert_allclose(lf.fuel_l, [1.0, 1.0, 1.0])
    cc = simulate_generator(load, pv, battery, gen, step_h=1.0, strategy="cycle_charging")
    # full output, 6 kW into the battery until SoC reaches 50 % (10 kWh): runs 2 steps, then the battery serves
    np.testing.assert_allclose(cc.gen_kw, [10.0, 10.0, 0.0])
    np.testing.assert_allclose(cc.soc_kwh, [0.0, 6.0, 12.0, 8.0])
    assert cc.starts == 1 and cc.run_steps == 2


def test_shed_when_generator_and_battery_fall_short():
    tr = simulate_generator([15.0], [0.0], BatteryParams(10, 2, 1, 1, 0, 1, 1), GeneratorParams(10.0), step_h=1.0)
    np.testing.assert_allclose([tr.gen_kw[0], tr.discharge_kw[0], tr.shed_kw[0]], [10.0, 2.0, 3.0])


def test_bad_generator_input():
    with pytest.raises(InputError) as err:
        simulate_generator([1.0], [0.0], BatteryParams(10, 2, soc_max_frac=0.6), GeneratorParams(-1, 1.5),
                           step_h=1.0, strategy="diesel_first")
    paths = {p.path for p in err.value.problems}
    assert {"generator.rated_kw", "generator.min_load_frac", "strategy"} <= paths
    with pytest.raises(InputError, match="cycle_charge_setpoint_frac"):
        simulate_generator([1.0], [0.0], BatteryParams(10, 2, soc_max_frac=0.6), GeneratorParams(5.0),
                           step_h=1.0, strategy="cycle_charging")
