"""Flexible loads: hand-solvable cases per family, baselines, and compiled matrix = Pyomo's own."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.solvers.highs import Highs

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, SizingEconomics, SolveOptions, SolveStatus, solve
from munigrid.models.dispatch.flex import EVFleet, FlexLoads, PumpStation, ThermalStore, ThermalZone, baseline_kw
from munigrid.models.dispatch.formulation import materialise
from munigrid.models.dispatch.highs_backend import run_highs
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.standard_form import compile_instance
from munigrid.models.errors import InputError


def _solve(terms, flex, n_t, load_kw=0.0, battery=None):
    meter = Meter("site", np.full(n_t, float(load_kw)), terms, battery=battery, flex=flex)
    return solve(DispatchProblem(1.0, [meter], SolveOptions(mip_rel_gap=1e-9)))


def _station(level_max_frac=1.0, pumps=0, min_load_frac=0.0, demand=10.0, n_t=4, initial=0.2, kwh_per_m3=0.5,
             pump_kw=20.0):
    return PumpStation(pump_kw=pump_kw, kwh_per_m3=kwh_per_m3, volume_m3=100.0, demand_m3_per_h=np.full(n_t, demand),
                       level_min_frac=0.0, level_max_frac=level_max_frac, level_initial_frac=initial, pumps=pumps,
                       min_load_frac=min_load_frac)


def test_reservoir_day_with_two_prices_pumps_in_the_cheap_hours(flat_terms):
    """Demand 10 m3/h for 4 h at 0.5 kWh/m3, prices 1, 1, 5, 5 THB/kWh, start and end at 20 m3.

    Unlimited reservoir: all 40 m3 pumped in the cheap hours, 20 kWh at 1 THB = 20 THB
    (the baseline keeps the level and pumps 5 kW every hour: 60 THB). Reservoir capped at
    35 m3: at most 35 m3 in the cheap hours (level 20 -> 35 after hour 1), 5 m3 in the dear:
    17.5 + 12.5 = 30 THB.
    """
    terms = flat_terms([1.0, 1.0, 5.0, 5.0])
    free = _solve(terms, FlexLoads(pumping=_station()), 4)
    assert free.status is SolveStatus.OPTIMAL
    assert free.objective_thb == pytest.approx(20.0, rel=1e-9)
    flex = free.schedules["site"].flex
    assert flex.pump_kw[2:].sum() == pytest.approx(0.0, abs=1e-9)
    assert flex.water_m3[-1] == pytest.approx(20.0, abs=1e-9)
    np.testing.assert_allclose(baseline_kw(FlexLoads(pumping=_station()), 1.0), [5.0] * 4)
    capped = _solve(terms, FlexLoads(pumping=_station(level_max_frac=0.35)), 4)
    assert capped.objective_thb == pytest.approx(30.0, rel=1e-9)
    assert capped.schedules["site"].flex.water_m3.max() <= 35.0 + 1e-9
    np.testing.assert_allclose(capped.schedules["site"].import_kw, capped.schedules["site"].flex.flex_kw, atol=1e-9)


def test_discrete_pumps_run_at_least_their_minimum_load(flat_terms):
    """Two pumps of 10 kW, each at least 8 kW when on; 14 m3 needed over 2 h at 1 kWh/m3, prices 1 then 2.

    Continuous pumping would take 14 kWh in hour 0 (14 THB); two pumps at 7 kW each are below
    their minimum and one pump gives at most 10 kW, so the optimum is both pumps at their
    minimum in hour 0: 16 kWh, 16 THB (one pump in each hour costs at least 10 + 2 x 8 = 26).
    """
    station = _station(pumps=2, min_load_frac=0.8, demand=7.0, n_t=2, initial=0.1, kwh_per_m3=1.0)
    result = _solve(flat_terms([1.0, 2.0]), FlexLoads(pumping=station), 2)
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective_thb == pytest.approx(16.0, rel=1e-7)
    np.testing.assert_allclose(result.schedules["site"].flex.pump_kw, [16.0, 0.0], atol=1e-6)


def _room(comfort_min_c=20.0):
    """C = 10 kWh/K, H = 1 kW/K, 30 C outdoors and at the start, COP 2, no gains, 25 C needed at the end."""
    return ThermalZone(capacity_kwh_per_k=10.0, loss_kw_per_k=1.0, cooling_kw=40.0, cop=np.full(2, 2.0),
                       outdoor_c=np.full(2, 30.0), gain_kw=np.zeros(2), comfort_min_c=np.array([comfort_min_c, 20.0]),
                       comfort_max_c=np.array([35.0, 25.0]), temp_initial_c=30.0)


def test_rc_room_pre_cools_in_the_cheap_hour(flat_terms):
    r"""Prices 1 then 5 THB/kWh. theta_1 = 30 - 0.2 q_0, theta_2 = 0.9 theta_1 + 3 - 0.2 q_1 <= 25
    gives 0.18 q_0 + 0.2 q_1 >= 5: per kelvin q_0 costs 1/0.18 and q_1 5/0.2 THB, so q_0 = 5/0.18
    = 27.78 kW, 27.78 THB (the thermostat cools 25 kW in hour 1: 125 THB). With the zone kept at
    26 C or warmer after hour 0, q_0 <= 20 and q_1 = (5 - 3.6)/0.2 = 7: 20 + 35 = 55 THB."""
    terms = flat_terms([1.0, 5.0])
    result = _solve(terms, FlexLoads(cooling=_room()), 2)
    flex = result.schedules["site"].flex
    assert result.objective_thb == pytest.approx(5 / 0.18, rel=1e-9)
    np.testing.assert_allclose(flex.cool_kw, [5 / 0.18, 0.0], atol=1e-9)
    np.testing.assert_allclose(flex.temp_c, [30.0, 30 - 0.2 * 5 / 0.18, 25.0], atol=1e-9)
    np.testing.assert_allclose(baseline_kw(FlexLoads(cooling=_room()), 1.0), [0.0, 25.0], atol=1e-12)
    banded = _solve(terms, FlexLoads(cooling=_room(comfort_min_c=26.0)), 2)
    assert banded.objective_thb == pytest.approx(55.0, rel=1e-9)


def _stored_zone(charge_kw=10.0, discharge_kw_th=8.0, loss_frac_per_h=0.01, soc_initial_frac=0.0):
    """A zone held at 25 C (band [25, 25]), C = 10 kWh/K, H = 1 kW/K, outdoors 25 C in hours 0-1 and 35 C in
    hours 2-3 (10 kW of heat to remove then), direct COP 4; an ice store of 100 kWh, charging COP 2.5."""
    store = ThermalStore("ice", capacity_kwh_th=100.0, charge_kw=charge_kw, charge_cop=np.full(4, 2.5),
                         discharge_kw_th=discharge_kw_th, loss_frac_per_h=loss_frac_per_h,
                         soc_initial_frac=soc_initial_frac)
    return ThermalZone(capacity_kwh_per_k=10.0, loss_kw_per_k=1.0, cooling_kw=20.0, cop=np.full(4, 4.0),
                       outdoor_c=np.array([25.0, 25.0, 35.0, 35.0]), gain_kw=np.zeros(4),
                       comfort_min_c=np.full(4, 25.0), comfort_max_c=np.full(4, 25.0), temp_initial_c=25.0, store=store)


def test_ice_store_charged_in_the_cheap_hours_covers_the_dear_hours(flat_terms):
    r"""Prices 1, 1, 5, 5 THB/kWh; the zone needs 10 kW of cooling in hours 2 and 3 (no pre-cooling: the band is
    one temperature). Direct: 10/4 kW at 5 THB, 12.5 THB an hour (the baseline, store unused: 25 THB).

    The store keeps kappa = 0.99 of its content each hour, so cooling d_t drawn in hour t needs
    d_t / kappa^(t-k) charged in hour k; per kWh of cooling from hour 1 it costs 1/(2.5 x 0.99) = 0.40 THB
    against 1.25 THB direct. Discharge limit 8 kW: the store gives 8 kW in hours 2 and 3, charged in hour 1
    (s_2 = 8/0.99 + 8/0.99^2 = 16.24 kWh, c_1 = s_2/2.5 = 6.497 kW < 10), the air conditioners the other
    2 kW (0.5 kW at 5 THB each hour): 6.497 + 5 = 11.497 THB. With the chiller limited to 4 kW, hour 1
    gives 10 kWh and hour 0 the remaining 6.243 kWh / 0.99: c_0 = 2.523 kW, 11.523 THB. Ends empty (as it
    started)."""
    kappa = 0.99
    stored_kwh = 8 / kappa + 8 / kappa**2
    terms = flat_terms([1.0, 1.0, 5.0, 5.0])
    np.testing.assert_allclose(baseline_kw(FlexLoads(cooling=_stored_zone()), 1.0), [0, 0, 2.5, 2.5], atol=1e-12)
    result = _solve(terms, FlexLoads(cooling=_stored_zone()), 4)
    flex = result.schedules["site"].flex
    assert result.objective_thb == pytest.approx(stored_kwh / 2.5 + 5.0, rel=1e-9)
    np.testing.assert_allclose(flex.store_charge_kw, [0.0, stored_kwh / 2.5, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(flex.store_discharge_kw_th, [0.0, 0.0, 8.0, 8.0], atol=1e-9)
    np.testing.assert_allclose(flex.store_kwh_th, [0.0, 0.0, stored_kwh, 8 / kappa, 0.0], atol=1e-9)
    np.testing.assert_allclose(flex.cool_kw, [0.0, 0.0, 0.5, 0.5], atol=1e-9)
    np.testing.assert_allclose(flex.flex_kw, flex.cool_kw + flex.store_charge_kw, atol=1e-9)
    small = _solve(terms, FlexLoads(cooling=_stored_zone(charge_kw=4.0)), 4)
    c_0 = (stored_kwh - 10.0) / (kappa * 2.5)
    assert small.objective_thb == pytest.approx(4.0 + c_0 + 5.0, rel=1e-9)
    np.testing.assert_allclose(small.schedules["site"].flex.store_charge_kw, [c_0, 4.0, 0.0, 0.0], atol=1e-9)


def test_store_that_cannot_hold_its_charge_is_refused(flat_terms):
    """Starting half full (50 kWh) with 10 %/h loss needs 5 kWh/h = 2 kW of chiller at COP 2.5 to end as charged."""
    with pytest.raises(InputError, match="charge_kw") as err:
        _solve(flat_terms([1.0] * 4), FlexLoads(cooling=_stored_zone(charge_kw=1.9, loss_frac_per_h=0.1,
                                                                          soc_initial_frac=0.5)), 4)
    assert err.value.problems[0].path == "cooling.store.charge_kw"
    held = _solve(flat_terms([1.0] * 4), FlexLoads(cooling=_stored_zone(charge_kw=2.1, loss_frac_per_h=0.1,
                                                                          soc_initial_frac=0.5)), 4)
    assert held.status is SolveStatus.OPTIMAL


def test_zone_cooled_only_through_its_store(flat_terms):
    """No air conditioners (cooling_kw 0), discharge up to 20 kW: the thermostat runs the store's chiller through
    the tank, 10/2.5 = 4 kW in hours 2 and 3 (40 THB at 5 THB/kWh). Optimised: all charged in hour 1,
    (10/0.99 + 10/0.99^2)/2.5 = 8.12 kW at 1 THB. At a flat 5 THB the same-step path is the cheapest: 40 THB."""
    zone = replace(_stored_zone(discharge_kw_th=20.0), cooling_kw=0.0)
    np.testing.assert_allclose(baseline_kw(FlexLoads(cooling=zone), 1.0), [0.0, 0.0, 4.0, 4.0], atol=1e-12)
    result = _solve(flat_terms([1.0, 1.0, 5.0, 5.0]), FlexLoads(cooling=zone), 4)
    charged_kw = (10 / 0.99 + 10 / 0.99**2) / 2.5
    assert result.objective_thb == pytest.approx(charged_kw, rel=1e-9)
    flex = result.schedules["site"].flex
    np.testing.assert_allclose(flex.store_charge_kw, [0.0, charged_kw, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(flex.store_discharge_kw_th, [0.0, 0.0, 10.0, 10.0], atol=1e-9)
    assert np.abs(flex.cool_kw).max() == 0.0
    flat = _solve(flat_terms([5.0] * 4), FlexLoads(cooling=zone), 4)
    assert flat.objective_thb == pytest.approx(40.0, rel=1e-9)


def test_zone_without_a_store_beside_one_with_a_store(flat_terms, rows_match_pyomo):
    """Two meters with zones, one with a store: the other's store columns are padding fixed at 0, its zone
    follows the plain RC model, and the compiled rows equal Pyomo's."""
    plain = replace(_stored_zone(), store=None)
    meters = [Meter(name, np.zeros(4), flat_terms([1.0, 1.0, 5.0, 5.0]), flex=FlexLoads(cooling=zone))
              for name, zone in (("stored", _stored_zone()), ("plain", plain))]
    problem = DispatchProblem(1.0, meters, SolveOptions(mip_rel_gap=1e-9))
    rows_match_pyomo(build_model_data(problem))
    result = solve(problem)
    assert result.objective_thb == pytest.approx((8 / 0.99 + 8 / 0.99**2) / 2.5 + 5.0 + 25.0, rel=1e-9)
    flex = result.schedules["plain"].flex
    assert np.abs(np.r_[flex.store_charge_kw, flex.store_discharge_kw_th, flex.store_kwh_th]).max() == 0.0
    np.testing.assert_allclose(flex.cool_kw, [0.0, 0.0, 2.5, 2.5], atol=1e-9)


def _fleet(n_t=4, need_kwh=30.0):
    required = np.zeros(n_t + 1)
    required[-1] = need_kwh
    start = np.zeros(n_t, bool)
    start[0] = True
    return EVFleet("van", charger_kw=10.0, plugged=np.ones(n_t, bool), session_start=start, required_kwh=required,
                   charge_eff_frac=0.9)


def test_ev_needing_30_kwh_across_two_price_periods(flat_terms):
    """10 kW charger at 90 %, 30 kWh by hour 4, prices 5, 5, 1, 1: the cheap hours give 18 kWh at
    20 THB, the rest 12/0.9 kWh at 5 THB: 86.67 THB (charging on arrival: 113.33 THB)."""
    terms = flat_terms([5.0, 5.0, 1.0, 1.0])
    result = _solve(terms, FlexLoads(ev=(_fleet(),)), 4)
    assert result.objective_thb == pytest.approx(20 + 5 * 12 / 0.9, rel=1e-9)
    base = baseline_kw(FlexLoads(ev=(_fleet(),)), 1.0)
    np.testing.assert_allclose(base, [10, 10, 10, 3 / 0.9], atol=1e-12)
    assert float(np.dot(base, [5, 5, 1, 1])) == pytest.approx(113 + 1 / 3, rel=1e-12)


def test_impossible_inputs_are_named():
    with pytest.raises(InputError, match="energy_kwh"):
        baseline_kw(FlexLoads(ev=(_fleet(need_kwh=40.0),)), 1.0)
    with pytest.raises(InputError, match="pump_kw"):
        baseline_kw(FlexLoads(pumping=_station(pump_kw=2.0)), 1.0)


def _every_family(flat_terms) -> DispatchProblem:
    """Two meters over 24 h: a battery and every flexible family on one, nothing flexible on the other."""
    rng = np.random.default_rng(7)
    n_t = 24
    hour = np.arange(n_t)
    occupied = (hour >= 8) & (hour < 17)
    store = ThermalStore("chilled_water", capacity_kwh_th=60.0, charge_kw=8.0, charge_cop=2.9 - 0.02 * hour,
                         discharge_kw_th=15.0, loss_frac_per_h=0.004, soc_min_frac=0.1, soc_initial_frac=0.3)
    zone = ThermalZone(capacity_kwh_per_k=30.0, loss_kw_per_k=2.0, cooling_kw=30.0, cop=3.2 - 0.02 * hour,
                       outdoor_c=28 + 4 * np.sin(hour / 24 * 2 * np.pi), gain_kw=np.where(occupied, 8.0, 1.0),
                       comfort_min_c=np.where(occupied, 23.0, 18.0), comfort_max_c=np.where(occupied, 26.0, 32.0),
                       temp_initial_c=28.0, store=store)
    start, required = np.zeros(n_t, bool), np.zeros(n_t + 1)
    start[[0, 18]] = True
    plugged = (hour < 7) | (hour >= 18)
    required[7] = 20.0
    fleets = (EVFleet("van", 7.0, plugged, start, required), EVFleet("bus", 50.0, plugged, start, required * 5))
    station = PumpStation(pump_kw=30.0, kwh_per_m3=0.4, volume_m3=300.0, demand_m3_per_h=10 + 20 * rng.random(n_t),
                          inflow_m3_per_h=np.full(n_t, 2.0), pumps=3, min_load_frac=0.5)
    flex = FlexLoads(pumping=station, cooling=zone, ev=fleets)
    prices = 2 + 3 * rng.random(n_t)
    meters = [Meter("flex", 10 + 5 * rng.random(n_t), flat_terms(prices, demand_thb_per_kw=100.0),
                    battery=Battery(energy_kwh=40, power_kw=20), flex=flex),
              Meter("plain", 10 + 5 * rng.random(n_t), flat_terms(prices))]
    return DispatchProblem(1.0, meters, SolveOptions(mip_rel_gap=1e-9))


def test_flex_rows_compile_to_pyomo_rows_exactly(flat_terms, rows_match_pyomo):
    data = build_model_data(_every_family(flat_terms))
    assert {"flex_kw", "pump_kw", "pumps_on", "water_m3", "cool_kw", "temp_c", "ev_kw", "ev_kwh", "store_charge_kw",
            "store_discharge_kw_th", "store_kwh_th"} <= set(data.columns.shape)
    rows_match_pyomo(data)


def _optima_match_pyomo(data):
    """LP relaxation and MILP optimum of the compiled ``data`` equal Pyomo's own; the compiled MILP outcome."""
    relaxed = run_highs(compile_instance(data), SolveOptions(), relax=True)
    model = materialise(data)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    assert Highs().solve(model).incumbent_objective == pytest.approx(relaxed.objective_thb, rel=1e-7)
    exact = run_highs(compile_instance(data), SolveOptions(mip_rel_gap=1e-9))
    assert Highs().solve(materialise(data), rel_gap=1e-9).incumbent_objective == pytest.approx(
        exact.objective_thb, rel=1e-7)
    return exact


def _every_family_sized_store(flat_terms) -> DispatchProblem:
    """:func:`_every_family` in sizing mode with its store sized up to 90 kWh_th (priced) under a budget."""
    problem = _every_family(flat_terms)
    flex = problem.meters[0].flex
    store = replace(flex.cooling.store, max_capacity_kwh_th=90.0, capex_thb_per_kwh_th=300.0, capex_thb_per_kw=3000.0)
    meters = [replace(problem.meters[0], flex=replace(flex, cooling=replace(flex.cooling, store=store))),
              *problem.meters[1:]]
    return DispatchProblem(1.0, meters, SolveOptions(mode="sizing", mip_rel_gap=1e-9),
                           SizingEconomics(budget_thb=5e4))


def test_sized_store_rows_and_optima_match_pyomo(flat_terms, rows_match_pyomo):
    """Every flexible family with the store's size column and its four sizing families plus budget and capital:
    compiled rows = Pyomo's rows, LP relaxation and MILP optimum = Pyomo's own. The budget binds: the tank
    is what 50,000 THB buys at 300 THB/kWh_th plus the chiller's 8/60 kW per kWh_th at 3,000 THB/kW."""
    problem = _every_family_sized_store(flat_terms)
    assert solve(problem).sizes["flex"].store_capacity_kwh_th == pytest.approx(5e4 / (300 + 3000 * 8 / 60), rel=1e-6)
    data = build_model_data(problem)
    assert "store_size_kwh_th" in data.columns.shape
    rows_match_pyomo(data)
    _optima_match_pyomo(data)


def test_flex_lp_and_milp_match_pyomo_and_the_strategy(flat_terms):
    """LP relaxation and MILP optimum of the compiled model equal Pyomo's own; the strategy reaches it."""
    problem = _every_family(flat_terms)
    data = build_model_data(problem)
    exact = _optima_match_pyomo(data)
    result = solve(problem)
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective_thb <= exact.objective_thb * (1 + 1e-6)
    flex = result.schedules["flex"].flex
    n_on = np.arange(4)[:, None]  # three 10 kW pumps, each at least 5 kW when on
    assert np.all(((5 * n_on - 1e-6 <= flex.pump_kw) & (flex.pump_kw <= 10 * n_on + 1e-6)).any(axis=0))
    assert result.schedules["plain"].flex is None
    np.testing.assert_allclose(flex.flex_kw, flex.pump_kw + flex.cool_kw + flex.ev_kw.sum(axis=0)
                               + flex.store_charge_kw, atol=1e-6)
    assert flex.store_kwh_th[-1] >= flex.store_kwh_th[0] - 1e-6
