"""Intraday re-planning: level factor, planned load, battery physics, no look at unmetered steps."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from ops_quick import QUICK_LOAD_MODEL

from munigrid.models.errors import InputError
from munigrid.scenarios.operations.costs import day_cost_thb, horizon_terms
from munigrid.scenarios.operations.forecast import HorizonForecast, forecast_horizon
from munigrid.scenarios.operations.intraday import IntradayPolicy, level_factor, replan_load_kw, run_intraday
from munigrid.scenarios.operations.plan import horizon_index
from munigrid.scenarios.operations.review import perfect_foresight_day_thb
from munigrid.scenarios.operations.ems import actuals, cap_charging
from munigrid.scenarios.operations.state import DayState

DAY = pd.Timestamp("2026-03-10", tz="Asia/Bangkok")
POLICY = IntradayPolicy(replan_steps=2, reserve_frac=1.0, prior_steps=4.0, control="hold_limit")


@pytest.fixture(scope="module")
def day_inputs(site):
    index, n, _ = horizon_index(site, DAY)
    forecast, _ = forecast_horizon(site, DAY - pd.Timedelta(hours=9), index, n, load_model=QUICK_LOAD_MODEL)
    return forecast, n, actuals(site, index[:n])


@pytest.fixture(scope="module")
def operated(site, day_inputs):
    forecast, n, actual = day_inputs
    state = DayState(0.5 * site.battery.energy_kwh, {"on-peak demand": [25.0]}, "2026-03")
    return state, run_intraday(site, state, forecast, n, actual, POLICY)


def test_level_factor_shrinks_toward_one():
    p50 = np.array([10.0, 20.0, 30.0])
    assert level_factor(p50[:0], p50[:0], 2.0) == 1.0
    assert level_factor(p50, 1.2 * p50, 0.0) == pytest.approx(1.2)
    # prior of 3 steps at the mean P50 (20 kW): (72 + 60) / (60 + 60)
    assert level_factor(p50, 1.2 * p50, 3.0) == pytest.approx(132.0 / 120.0)


def test_replanned_load_scales_the_rest_of_the_day_only(day_inputs):
    forecast, n, _ = day_inputs
    p50, p90 = forecast.load_kw["p50"].to_numpy(), forecast.load_kw["p90"].to_numpy()
    load = replan_load_kw(forecast, 5, n, 1.1, 0.5)
    assert len(load) == len(p50) - 5
    np.testing.assert_allclose(load[: n - 5], 1.1 * p50[5:n] + 0.5 * (p90[5:n] - p50[5:n]))
    np.testing.assert_allclose(load[n - 5:], p50[n:] + 0.5 * (p90[n:] - p50[n:]))


def test_battery_physics_and_energy_balance(site, operated):
    _, day = operated
    t, b = day.trace, site.battery
    assert len(t) == 24 and len(day.solve_s) == 12  # re-planned every 2 steps
    soc = np.append(t["soc_kwh"].to_numpy(), day.final_soc_kwh)
    np.testing.assert_allclose(np.diff(soc), b.charge_eff_frac * t["charge_kw"] - t["discharge_kw"] / b.discharge_eff_frac,
                               atol=1e-6)
    assert soc.min() >= b.soc_min_frac * b.energy_kwh - 1e-6 and soc.max() <= b.soc_max_frac * b.energy_kwh + 1e-6
    assert (t["import_kw"] >= -1e-9).all()


def test_decisions_use_only_metered_steps(site, day_inputs, operated):
    forecast, n, actual = day_inputs
    state, day = operated
    k = 14
    changed = actual.copy()
    changed.iloc[k:, changed.columns.get_loc("load_kw")] *= 1.3
    other = run_intraday(site, state, forecast, n, changed, POLICY)
    np.testing.assert_allclose(other.trace["applied_setpoint_kw"].to_numpy()[:k],
                               day.trace["applied_setpoint_kw"].to_numpy()[:k])
    assert not np.allclose(other.trace["level_factor"].to_numpy()[k + 2:], day.trace["level_factor"].to_numpy()[k + 2:])


@pytest.mark.parametrize("hold_expected", [False, True])
def test_an_exact_forecast_reaches_perfect_foresight(site, day_inputs, hold_expected):
    """With the actual load as forecast and a one-day horizon, re-planning is the day's optimum."""
    forecast, n, actual = day_inputs
    truth = actual["load_kw"].to_numpy()
    exact = HorizonForecast(pd.DataFrame({q: truth for q in ("p10", "p50", "p90")}, index=actual.index),
                            forecast.pv_kw.iloc[:n], "actual load", forecast.pv_method)
    state = DayState(0.3 * site.battery.energy_kwh, {"on-peak demand": [25.0]}, "2026-03")
    day = run_intraday(site, state, exact, n, actual, IntradayPolicy(reserve_frac=0.0, hold_expected=hold_expected))
    cost = day_cost_thb(horizon_terms(site, actual.index, state), day.trace["import_kw"].to_numpy())
    best = perfect_foresight_day_thb(site, state, actual, day.final_soc_kwh)
    assert best - 1e-6 <= cost <= best + 1e-3 * abs(best)
    assert (day.trace["level_factor"] == 1.0).all()


def test_policy_checks():
    with pytest.raises(InputError) as err:
        IntradayPolicy(replan_steps=0, prior_steps=-1.0, reserve_frac=5.0, control="crystal_ball")
    assert [p.path for p in err.value.problems] == ["--replan-steps", "--prior-steps", "--reserve-frac", "--control"]


@given(st.lists(st.tuples(st.floats(-100, 100), st.floats(0, 120), st.floats(0, 20),
                          st.one_of(st.just(np.nan), st.floats(0, 80))), min_size=1, max_size=30))
@example(steps=[(5.847515285606606e-92, 1.0, 0.0, 1.0)])  # a set point below the float resolution of the import
def test_capped_charging_never_lifts_import_above_registered_demand(steps):
    setpoint, load, pv, registered = map(np.array, zip(*steps))
    actual = pd.DataFrame({"load_kw": load, "pv_kw": pv})
    capped = cap_charging(setpoint, actual, registered)
    net = load - pv
    assert (capped <= setpoint).all()
    np.testing.assert_array_equal(capped[setpoint <= 0], setpoint[setpoint <= 0])  # discharge untouched
    np.testing.assert_array_equal(capped[np.isnan(registered)], setpoint[np.isnan(registered)])  # no demand charge
    window = ~np.isnan(registered)
    charging = window & (capped > 0)
    assert (net[charging] + capped[charging] <= registered[charging] + 1e-9).all()
    within = window & (setpoint <= registered - net)  # room left, compared as the cap does (1 + 1e-92 == 1)
    np.testing.assert_array_equal(capped[within], setpoint[within])  # already within the registered demand
    assert (capped[window & (setpoint > 0)] >= 0).all()  # never turned into a discharge


def test_replanning_charges_from_the_grid_only_within_the_registered_demand(site):
    """In the demand window a charging step imports no more than the month's demand before it
    (on a day where the uncapped EMS charges at lunchtime above it)."""
    day = pd.Timestamp("2026-03-11", tz="Asia/Bangkok")
    index, n, _ = horizon_index(site, day)
    forecast, _ = forecast_horizon(site, day - pd.Timedelta(hours=9), index, n, load_model=QUICK_LOAD_MODEL)
    actual = actuals(site, index[:n])
    registered = 25.0
    state = DayState(0.3 * site.battery.energy_kwh, {"on-peak demand": [registered]}, "2026-03")
    in_window = horizon_terms(site, actual.index, state).demand_charges[0].window_mask[0].astype(bool)

    def charging_above_registered(policy):
        t = run_intraday(site, state, forecast, n, actual, policy).trace
        before = np.maximum.accumulate(np.concatenate([[registered], np.where(in_window, t["import_kw"], 0.0)]))[:-1]
        charging = in_window & (t["charge_kw"].to_numpy() > 1e-6)
        return int((t["import_kw"].to_numpy()[charging] > before[charging] + 1e-6).sum())

    assert charging_above_registered(replace(POLICY, cap_charging=False)) > 0
    assert charging_above_registered(POLICY) == 0


def test_holding_the_expected_limit_keeps_physics_and_reads_only_metered_steps(site, day_inputs):
    forecast, n, actual = day_inputs
    policy = replace(POLICY, hold_expected=True, reserve_frac=2.0)
    state = DayState(0.5 * site.battery.energy_kwh, {"on-peak demand": [25.0]}, "2026-03")
    day = run_intraday(site, state, forecast, n, actual, policy)
    t, b = day.trace, site.battery
    soc = np.append(t["soc_kwh"].to_numpy(), day.final_soc_kwh)
    assert soc.min() >= b.soc_min_frac * b.energy_kwh - 1e-6 and soc.max() <= b.soc_max_frac * b.energy_kwh + 1e-6
    assert (t["import_kw"] >= -1e-9).all()
    k = 12
    changed = actual.copy()
    changed.iloc[k:, changed.columns.get_loc("load_kw")] *= 1.3
    other = run_intraday(site, state, forecast, n, changed, policy)
    np.testing.assert_allclose(other.trace["applied_setpoint_kw"].to_numpy()[:k], t["applied_setpoint_kw"].to_numpy()[:k])

