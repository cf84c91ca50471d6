"""Replay of a schedule, period peaks: reference equality, conservation, grid checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from munigrid.models.errors import InputError
from munigrid.models.simulation import reference
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.peaks import demand_peaks_kw, period_peaks_kernel, period_peaks_kw, window_peaks_kernel
from munigrid.models.simulation.tariff_arrays import pack_tariff
from munigrid.models.tariffs.terms import DemandCharge, TariffCostTerms
from munigrid.models.simulation.replay import replay_kernel, replay_schedule
from munigrid.models.timegrid import make_index

power = st.floats(0.0, 30.0, allow_subnormal=False)


@st.composite
def replays(draw):
    n = draw(st.integers(1, 50))
    series = [np.array(draw(st.lists(power, min_size=n, max_size=n))) for _ in range(5)]
    lo = draw(st.floats(0.0, 0.5, allow_subnormal=False))
    hi = draw(st.floats(lo + 0.05, 1.0, allow_subnormal=False))
    b = BatteryParams(draw(st.floats(0.0, 100.0, allow_subnormal=False)), draw(st.floats(0.0, 30.0, allow_subnormal=False)), draw(st.floats(0.5, 1.0, allow_subnormal=False)),
                      draw(st.floats(0.5, 1.0, allow_subnormal=False)), lo, hi, draw(st.floats(lo, hi, allow_subnormal=False)))
    return (*series, b, draw(st.sampled_from([0.25, 1.0])), draw(st.booleans()), draw(st.floats(0.0, 20.0, allow_subnormal=False)))


@settings(max_examples=150, deadline=None)
@given(replays())
def test_replay_kernel_equals_reference_and_conserves_energy(case):
    load, pv, c_set, d_set, planned, b, step_h, export, limit = case
    args = (load, pv, c_set, d_set, planned, b.energy_kwh, b.power_kw, b.charge_eff_frac, b.discharge_eff_frac,
            b.soc_min_frac, b.soc_max_frac, b.soc_initial_frac, step_h, export, limit)
    charge, discharge, soc, imp, exp, curtail, extra = replay_kernel(*args)
    ref = reference.replay(*args)
    for name, values in zip(("charge_kw", "discharge_kw", "soc_kwh", "import_kw", "export_kw", "curtail_kw",
                             "extra_import_kw"), (charge, discharge, soc, imp, exp, curtail, extra)):
        np.testing.assert_array_equal(values, ref[name], err_msg=name)  # same operations, same bits
    np.testing.assert_allclose(pv - curtail + discharge - charge + imp - exp, load, atol=1e-9)
    assert (charge <= c_set + 1e-12).all() and (discharge <= d_set + 1e-12).all()
    tol = 1e-9 * (1 + b.energy_kwh)
    assert (soc >= b.soc_min_kwh - tol).all() and (soc <= b.soc_max_kwh + tol).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(power, min_size=1, max_size=80), st.integers(1, 5), st.integers(1, 4), st.randoms())
def test_peak_kernels_equal_reference(values, n_periods, n_windows, rnd):
    power_kw = np.array(values)
    period = np.array([rnd.randrange(n_periods) for _ in values], dtype=np.int64)
    bits = np.array([rnd.randrange(1 << n_windows) for _ in values], dtype=np.int64)
    np.testing.assert_allclose(period_peaks_kernel(power_kw, period, n_periods),
                               reference.period_peaks(power_kw, period, n_periods))
    np.testing.assert_allclose(window_peaks_kernel(power_kw, period, bits, n_periods, n_windows),
                               reference.window_peaks(power_kw, period, bits, n_periods, n_windows))


def test_period_peaks_are_per_month():
    np.testing.assert_allclose(period_peaks_kw([5.0, 9.0, 3.0, 4.0], [0, 0, 1, 1]), [9.0, 4.0])


def test_demand_peaks_match_the_tariff_contract():
    rng = np.random.default_rng(5)
    n = 96
    period = np.repeat([0, 1, 2], 32)
    charges = [DemandCharge("on-peak", rng.random((2, n)) < 0.5, np.array([[100.0, 0.0]]), np.zeros(1),
                            rng.uniform(0, 5, (3, 2))),
               DemandCharge("all", np.ones((1, n), dtype=bool), np.array([[50.0]]), np.zeros(1), np.zeros((3, 1)))]
    terms = TariffCostTerms(1.0, period, np.full(n, 4.0), np.zeros(n), demand_charges=charges)
    imp = rng.uniform(0, 20, n)
    want = np.hstack([c.demand_kw(imp, period, 3) for c in charges])
    np.testing.assert_allclose(demand_peaks_kw(imp, pack_tariff(terms)), want)


def _frames(index, load, pv, charge, discharge, planned):
    schedule = pd.DataFrame({"charge_kw": charge, "discharge_kw": discharge, "import_kw": planned}, index=index)
    return schedule, pd.DataFrame({"load_kw": load, "pv_kw": pv}, index=index)


def test_replay_reports_unmet_setpoints_extra_import_and_new_peak():
    index = make_index("2026-01-31 22:00", 4, 60)  # two steps in January, two in February
    b = BatteryParams(10.0, 5.0, 1.0, 1.0, 0.0, 1.0, 0.3)  # 3 kWh stored
    schedule, actual = _frames(index, [6.0, 6.0, 2.0, 2.0], [0.0] * 4, [0.0, 0.0, 0.0, 0.0],
                               [2.0, 2.0, 0.0, 3.0], [4.0, 4.0, 2.0, 0.0])
    result = replay_schedule(schedule, actual, b)
    np.testing.assert_allclose(result.trace.discharge_kw, [2.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(result.trace.unmet_discharge_kw, [0.0, 1.0, 0.0, 3.0])
    np.testing.assert_allclose(result.trace.extra_import_kw, [0.0, 1.0, 0.0, 2.0])
    np.testing.assert_allclose(result.new_peak_kw, [1.0, 0.0])


def test_replay_without_export_never_discharges_into_the_grid():
    index = make_index("2026-03-01", 2, 15)
    schedule, actual = _frames(index, [1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [4.0, 4.0], [0.0, 0.0])
    result = replay_schedule(schedule, actual, BatteryParams(10.0, 5.0))
    np.testing.assert_allclose(result.trace.discharge_kw, [1.0, 1.0])
    assert (result.trace.export_kw == 0).all()


def test_replay_on_another_grid_fails_before_running():
    schedule, _ = _frames(make_index("2026-03-01", 4, 15), *[[0.0] * 4] * 5)
    _, actual = _frames(make_index("2026-03-01", 4, 60), *[[0.0] * 4] * 5)
    with pytest.raises(InputError, match="another time grid"):
        replay_schedule(schedule, actual, BatteryParams(10.0, 5.0))


def test_replay_lists_all_column_problems():
    index = make_index("2026-03-01", 2, 60)
    schedule = pd.DataFrame({"charge_kw": [np.nan, 0.0]}, index=index)
    actual = pd.DataFrame({"load_kw": [1.0, -1.0], "pv_kw": [0.0, 0.0]}, index=index)
    with pytest.raises(InputError) as err:
        replay_schedule(schedule, actual, BatteryParams(10.0, 5.0, charge_eff_frac=0.0))
    paths = {p.path for p in err.value.problems}
    assert {"schedule", "battery.charge_eff_frac"} <= paths
