"""Sizing over the project life on anchor years: equal to single-year sizing when nothing ages, and hand
cases where PV degradation, load growth and battery fade move the size to the exact answer."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from munigrid.models.dispatch import (
    Battery,
    Meter,
    PVArray,
    SizingEconomics,
    capital_recovery_factor,
    solve,
)
from munigrid.models.errors import InputError
from munigrid.scenarios.lifetime_anchors import (
    LifePlan,
    anchors,
    capital_frac,
    interpolation_weights,
    size_over_life,
)

RATE, YEARS, N_T = 0.06, 10, 24
SUN = np.where((np.arange(N_T) >= 10) & (np.arange(N_T) < 15), 1.0, 0.0)  # 5 kWh per kWp a day


def capex_for(thb_per_kwp_in_horizon: float, life_years: float = YEARS) -> float:
    """Capital cost whose one-day share of the annuity is the given THB per kWp."""
    return thb_per_kwp_in_horizon / (N_T / 8760.0 * capital_recovery_factor(RATE, life_years))


def pv_meter(flat_terms, load_kw: float = 5.0, pv_thb_per_kwp: float = 2.0) -> Meter:
    """A flat 4 THB/kWh meter with one roof sized between 0 and 20 kWp, PV life = project life."""
    roof = PVArray("roof", SUN, max_kwp=20.0, capex_thb_per_kwp=capex_for(pv_thb_per_kwp), life_years=YEARS)
    return Meter("hall", np.full(N_T, load_kw), flat_terms(np.full(N_T, 4.0)), pv=[roof])


def test_weights_interpolate_and_sum_to_one():
    lam = interpolation_weights((1, 5, 10), 10)
    assert lam.sum(axis=0) == pytest.approx(np.ones(10))
    assert lam[:, 2] == pytest.approx([0.5, 0.5, 0.0])  # year 3 halfway between 1 and 5
    points = anchors(LifePlan(10, RATE, (1, 5, 10)))
    assert sum(a.weight_frac for a in points) == pytest.approx(1.0)
    discount = 1.06 ** -np.arange(1, 11)
    assert points[0].weight_frac == pytest.approx((lam[0] @ discount) / discount.sum())


def test_nothing_ages_equals_single_year_sizing(mixed_instance):
    """No degradation, growth, escalation or fade and asset lives = project life: the same sizes as sizing
    the one year, and the life's cost / annuity = the single-year objective (two meters, PV, battery,
    demand windows with ratchet, energy blocks, budget and targets)."""
    mixed = mixed_instance(3, sizing=True)

    def same_life(m):
        return replace(m, generator=None, pv=[replace(a, life_years=YEARS) for a in m.pv], battery=None,
                       batteries=[replace(b, life_years=YEARS) for b in m.batteries])

    problem = replace(mixed, meters=[same_life(m) for m in mixed.meters],
                      economics=replace(mixed.economics, discount_rate_frac=RATE))
    single = solve(problem)
    plan = LifePlan(YEARS, RATE, (1, 5, YEARS))
    life = size_over_life(problem.meters, problem.step_h, plan, options=problem.options, economics=problem.economics)
    assert life.result.status.has_solution
    horizon = problem.horizon_years
    assert life.life_cost_thb * horizon / plan.annuity == pytest.approx(single.objective_thb, rel=1e-6)
    for name, sizes in single.sizes.items():
        assert life.result.sizes[name].battery_kwh == pytest.approx(sizes.battery_kwh, rel=1e-4, abs=1e-4)
        for roof, kwp in sizes.pv_kwp.items():
            assert life.result.sizes[name].pv_kwp[roof] == pytest.approx(kwp, rel=1e-4, abs=1e-4)


def test_pv_degradation_sizes_for_the_last_year_by_hand(flat_terms):
    """Load 5 kW, sun 5 h: a new kWp saves 20 THB a day while below the load and costs 2. Year 1 alone sizes
    5 kWp; with 2 %/year degradation the last anchor's kWp gives 0.98^9 kW, and each kWp above 5 still saves
    w_N x 20 x 0.98^9 > 2 THB in it, so the life sizes 5 / 0.98^9 kWp exactly."""
    meter = pv_meter(flat_terms)
    single = solve_single(meter)
    assert single == pytest.approx(5.0, abs=1e-6)
    plan = LifePlan(YEARS, RATE, (1, YEARS), pv_degradation_frac_per_year=0.02)
    life = size_over_life([meter], 1.0, plan)
    assert life.anchors[-1].weight_frac * 20 * 0.98 ** 9 > 2.0
    assert life.result.sizes["hall"].pv_kwp["roof"] == pytest.approx(5.0 / 0.98 ** 9, rel=1e-6)


def test_load_growth_sizes_for_the_last_year_by_hand(flat_terms):
    """2 %/year load growth: the last anchor's load is 5 x 1.02^9 kW, and the life sizes that."""
    life = size_over_life([pv_meter(flat_terms)], 1.0, LifePlan(YEARS, RATE, (1, YEARS), load_growth_frac_per_year=0.02))
    assert life.result.sizes["hall"].pv_kwp["roof"] == pytest.approx(5.0 * 1.02 ** 9, rel=1e-6)


def test_expensive_pv_stops_where_the_weighted_saving_ends(flat_terms):
    """At 9 THB per kWp-day the kWp above 5 saves w_N x 20 x 0.98^9 < 9 in the last anchor only: 5 kWp."""
    plan = LifePlan(YEARS, RATE, (1, YEARS), pv_degradation_frac_per_year=0.02)
    life = size_over_life([pv_meter(flat_terms, pv_thb_per_kwp=9.0)], 1.0, plan)
    assert life.anchors[-1].weight_frac * 20 * 0.98 ** 9 < 9.0
    assert life.result.sizes["hall"].pv_kwp["roof"] == pytest.approx(5.0, abs=1e-6)


def test_battery_fade_and_replacement_by_hand(flat_terms):
    """Evening load 2 kW for 3 h after a sunny day, PV free (installed 20 kWp, no export): the battery needs
    6 kWh of window. Faded to 80 % in every year it must be 6 / 0.8 kWh; its capital counts the replacement
    in year 5 at 60 % of the price, minus nothing at the end (residual 0)."""
    load = np.zeros(N_T)
    load[18:21] = 2.0
    price = 0.05 / (N_T / 8760.0)  # THB per kWh of capital in the horizon, before the life's factor
    pack = Battery(energy_kwh=0.0, power_kw=10.0, max_energy_kwh=50.0, charge_eff_frac=1.0, discharge_eff_frac=1.0,
                   soc_min_frac=0.0, soc_max_frac=1.0, soc_initial_frac=0.0, soc_final_frac=0.0,
                   capex_thb_per_kwh=price, life_years=YEARS)
    meter = Meter("hall", load, flat_terms(np.full(N_T, 4.0)), pv=[PVArray("roof", SUN, capacity_kwp=20.0)],
                  battery=pack)
    plan = LifePlan(YEARS, RATE, (1, YEARS), battery_capacity_frac=(0.8,) * YEARS, battery_purchases=((5, 1.0),),
                    battery_residual_frac=0.0, battery_replacement_cost_frac=0.6)
    life = size_over_life([meter], 1.0, plan)
    assert life.result.sizes["hall"].battery_kwh == pytest.approx(6.0 / 0.8, rel=1e-6)
    frac = capital_frac(plan, YEARS, 0.6, ((5, 1.0),), 0.0)
    assert frac == pytest.approx(1.0 + 0.6 * 1.06 ** -5)
    bills = 0.0  # every kWh of the evening comes from the battery
    assert life.life_cost_thb == pytest.approx(N_T / 8760.0 * price * 6.0 / 0.8 * frac * 8760.0 / N_T + bills,
                                               rel=1e-6)


def test_bad_plan_names_the_field(flat_terms):
    with pytest.raises(InputError) as err:
        size_over_life([pv_meter(flat_terms)], 1.0, LifePlan(YEARS, RATE, (1, 4)))
    assert "anchors" in str(err.value)
    with pytest.raises(InputError) as err:
        anchors(LifePlan(YEARS, RATE, (1, YEARS), load_growth_frac_per_year=0.5))
    assert "load_growth_frac_per_year" in str(err.value)


def solve_single(meter: Meter) -> float:
    from munigrid.models.dispatch import DispatchProblem, SolveOptions

    result = solve(DispatchProblem(1.0, [meter], SolveOptions(mode="sizing"), SizingEconomics(discount_rate_frac=RATE)))
    return result.sizes["hall"].pv_kwp["roof"]


def test_representative_days_of_identical_days_equal_the_full_horizon(flat_terms):
    """January and February with the same day every day (TOU price, monthly demand charge, PV and a
    battery that starts and ends each day empty): the first 7 days of each month give the same sizes,
    and the objective is the kept share of the full one (energy scaled by days per month, monthly
    charges kept)."""
    import pandas as pd

    from munigrid.scenarios.lifetime_days import (
        representative_meters,
        representative_steps,
    )

    index = pd.date_range("2026-01-01", periods=59 * 24, freq="h")
    hour = np.arange(len(index)) % 24
    months = (index.month - 1).to_numpy()
    price = np.where((hour >= 9) & (hour < 22), 4.2, 2.6)
    terms = flat_terms(price, period_of_step=months, demand_thb_per_kw=130.0, fixed_thb=300.0)
    load = 20.0 + 15.0 * ((hour >= 8) & (hour < 18)) + 10.0 * ((hour >= 18) & (hour < 21))
    sun = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None)
    meter = Meter("hall", load, terms, pv=[PVArray("roof", sun, max_kwp=60.0, capex_thb_per_kwp=28000.0)],
                  battery=Battery(max_energy_kwh=200.0, c_rate_per_h=0.5, capex_thb_per_kwh=5500.0, soc_min_frac=0.1,
                                  soc_initial_frac=0.1, soc_final_frac=0.1))
    from munigrid.models.dispatch import DispatchProblem, SolveOptions

    def sized(meters):
        return solve(DispatchProblem(1.0, meters, SolveOptions(mode="sizing"), SizingEconomics(discount_rate_frac=RATE)))

    steps, weight = representative_steps(index, 7)
    assert len(steps) == 14 * 24 and set(np.round(weight, 9)) == {round(31 / 7, 9), round(28 / 7, 9)}
    full = sized([meter])
    kept = sized(representative_meters([meter], index, 7, SizingEconomics()))
    assert kept.objective_thb == pytest.approx(full.objective_thb * len(steps) / len(index), rel=1e-6)
    assert kept.sizes["hall"].battery_kwh == pytest.approx(full.sizes["hall"].battery_kwh, rel=1e-4, abs=1e-3)
    assert kept.sizes["hall"].pv_kwp["roof"] == pytest.approx(full.sizes["hall"].pv_kwp["roof"], rel=1e-4, abs=1e-3)


def test_several_batteries_on_a_meter_are_refused_by_name(flat_terms):
    two = [Battery(max_energy_kwh=10.0, name="a"), Battery(max_energy_kwh=10.0, name="b")]
    meter = replace(pv_meter(flat_terms), battery=None, batteries=two)
    with pytest.raises(InputError) as err:
        size_over_life([meter], 1.0, LifePlan(YEARS, RATE, (1, YEARS)))
    assert err.value.problems[0].path == "hall: batteries"
