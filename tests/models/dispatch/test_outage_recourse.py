"""Outage risk in the objective: representative outages with their own island recourse."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, SolveOptions, solve
from munigrid.models.dispatch.families_outage import OutageRecourse

import test_pyomo_equivalence as equivalence  # its checks, run here on instances with representative outages


def _recourse(voll_thb_per_kwh=100.0, events_per_year=365.0, starts=(5,), durations=(2,), probabilities=(1.0,)):
    return OutageRecourse(np.array(starts), np.array(durations), np.array(probabilities), events_per_year,
                          voll_thb_per_kwh)


@pytest.fixture
def with_recourse(mixed_instance):
    """The mixed instance (every family) with three starts x two lengths of outages on both meters."""
    def build(seed, sizing, declining=False, several=False):
        problem = mixed_instance(seed, sizing, declining, several)
        recourse = _recourse(starts=(3, 20, 46), durations=(2, 6), probabilities=(0.7, 0.3))
        return dataclasses.replace(problem, meters=[dataclasses.replace(m, outage_recourse=recourse)
                                                    for m in problem.meters])
    return build


@pytest.mark.parametrize("seed,sizing", [(1, False), (2, True)])
def test_recourse_compiles_like_pyomo(seed, sizing, with_recourse):
    equivalence.test_compiled_lp_matches_materialised_pyomo(seed, sizing, False, False, with_recourse)


def test_recourse_rows_match_pyomo_rows(with_recourse, rows_match_pyomo):
    equivalence.test_compiled_rows_match_pyomo_rows_exactly(False, False, with_recourse, rows_match_pyomo)


def _one_day(recourse, make_flat_terms):
    battery = Battery(energy_kwh=10.0, power_kw=10.0, charge_eff_frac=1.0, discharge_eff_frac=1.0, soc_min_frac=0.0,
                      soc_max_frac=1.0, soc_initial_frac=0.5, soc_final_frac=0.0)
    meter = Meter("site", np.full(24, 10.0), make_flat_terms(np.ones(24)), battery=battery, outage_recourse=recourse)
    return solve(DispatchProblem(1.0, [meter], SolveOptions()))


def test_expected_lost_load_by_hand(flat_terms):
    # a day of 10 kW at 1 THB/kWh, a 10 kWh battery holding 5 kWh; one outage a day (weight 1) of
    # 2 h from step 5 needs 20 kWh: the schedule fills the battery before it (free: no losses,
    # the energy is used after), 10 kWh are lost at 100 THB/kWh
    result = _one_day(_recourse(), flat_terms)
    assert result.status.has_solution
    assert result.objective_thb == pytest.approx(235.0 + 100.0 * 10.0, rel=1e-9)
    assert result.schedules["site"].soc_kwh[5] == pytest.approx(10.0)
    assert _one_day(None, flat_terms).objective_thb == pytest.approx(235.0, rel=1e-9)


def test_longer_outage_with_probability_weights_the_lost_load(flat_terms):
    # half the outages last 1 h (10 kWh: served), half 3 h (30 kWh: 20 kWh lost)
    result = _one_day(_recourse(durations=(1, 3), probabilities=(0.5, 0.5)), flat_terms)
    assert result.objective_thb == pytest.approx(235.0 + 0.5 * 100.0 * 20.0, rel=1e-9)


def _two_banks(second_kwh, recourse, make_flat_terms):
    banks = [Battery(name=name, energy_kwh=kwh, power_kw=kwh, charge_eff_frac=1.0, discharge_eff_frac=1.0,
                     soc_min_frac=0.0, soc_max_frac=1.0, soc_initial_frac=0.5, soc_final_frac=0.0)
             for name, kwh in (("a", 10.0), ("b", second_kwh))]
    meter = Meter("site", np.full(24, 10.0), make_flat_terms(np.ones(24)), batteries=banks, outage_recourse=recourse)
    return solve(DispatchProblem(1.0, [meter], SolveOptions()))


def test_an_empty_second_battery_leaves_the_recourse_as_with_one(flat_terms):
    one, two = _one_day(_recourse(), flat_terms), _two_banks(0.0, _recourse(), flat_terms)
    assert two.objective_thb == one.objective_thb


def test_two_batteries_serve_the_outage_together_by_hand(flat_terms):
    # the second 10 kWh battery (5 kWh at the start, empty at the end) also fills before step 5:
    # 20 kWh in store serve the 2 h outage, nothing lost; import 240 - 5 - 5 = 230 kWh
    result = _two_banks(10.0, _recourse(), flat_terms)
    assert result.objective_thb == pytest.approx(230.0, rel=1e-9)
    banks = result.schedules["site"].batteries
    assert banks["a"].soc_kwh[5] + banks["b"].soc_kwh[5] == pytest.approx(20.0)


@pytest.mark.parametrize("seed,sizing", [(3, False), (4, True)])
def test_recourse_with_several_batteries_compiles_like_pyomo(seed, sizing, with_recourse):
    equivalence.test_compiled_lp_matches_materialised_pyomo(seed, sizing, False, True, with_recourse)


def test_recourse_with_several_batteries_rows_match_pyomo_rows(with_recourse, rows_match_pyomo):
    equivalence.test_compiled_rows_match_pyomo_rows_exactly(False, True, with_recourse, rows_match_pyomo)
