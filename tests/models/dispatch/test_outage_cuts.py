"""Outage start cuts: the energy bound by hand, validity on random instances, effect on the relaxation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from munigrid.models.dispatch import Battery, DispatchProblem, Generator, Meter, PVArray, SolveOptions, solve
from munigrid.models.dispatch.cuts import FAMILY, largest_outage_energy, outage_start_rows, with_outage_start_cuts
from munigrid.models.dispatch.highs_backend import run_highs
from munigrid.models.dispatch.layout import ModelData, build_model_data
from munigrid.models.dispatch.standard_form import compile_instance


def test_energy_bound_by_hand():
    # 3 h at 50 kW net: 150 kWh; a battery that can deliver 60 kWh leaves 90 kWh
    assert largest_outage_energy(np.full(3, 50.0), 1.0, 60.0, 100.0) == (90.0, 0, 3)
    # a 30 kW battery leaves 20 kW each hour, 60 kWh, less than 150 - 60: the energy bound wins
    assert largest_outage_energy(np.full(3, 50.0), 1.0, 60.0, 30.0) == (90.0, 0, 3)
    # plenty of energy but 30 kW: the power bound, 3 x 20 kWh
    assert largest_outage_energy(np.full(3, 50.0), 1.0, 500.0, 30.0) == (60.0, 0, 3)
    # PV surplus in the middle: the best sub-window leaves it out
    energy, a, b = largest_outage_energy(np.array([40.0, -80.0, 40.0, 40.0]), 0.5, 10.0, 100.0)
    assert (energy, a, b) == (30.0, 2, 4)
    # a battery that rides through the outage: nothing to force
    assert largest_outage_energy(np.full(4, 10.0), 1.0, 100.0, 50.0)[0] <= 0.0


def _outage_site(make_terms, seed: int, n_t: int = 36, battery: bool = True, shed: bool = True,
                 standby: bool = True) -> DispatchProblem:
    rng = np.random.default_rng(seed)
    hour = np.arange(n_t) % 24
    load_kw = 20 + 40 * ((hour >= 8) & (hour < 17)) + 10 * rng.random(n_t)
    price = np.where((hour >= 9) & (hour < 22), 4.5, 2.8)
    outage = np.zeros(n_t, bool)
    for start in rng.choice(n_t - 6, size=2, replace=False):
        outage[start:start + int(rng.integers(2, 6))] = True
    sun = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None)
    meter = Meter("site", load_kw, make_terms(price, demand_thb_per_kw=150.0),
                  pv=[PVArray("roof", 0.8 * sun, capacity_kwp=30.0)],
                  battery=Battery(energy_kwh=40, power_kw=20, soc_initial_frac=0.3) if battery else None,
                  generator=Generator(rating_kw=50, min_load_frac=0.4, startup_thb=120, fuel_slope_l_per_kwh=0.25,
                                      fuel_intercept_l_per_kwh=0.08, fuel_thb_per_l=32.0, standby_only=standby),
                  outage=outage, voll_thb_per_kwh=60.0 if shed else None, critical_frac=0.5)
    return DispatchProblem(1.0, [meter], SolveOptions(mode="dispatch", mip_rel_gap=1e-9))


def _binary_everywhere(data: ModelData) -> ModelData:
    integer = dict(data.integer)
    integer["gen_on"] = np.broadcast_to(data.needs_commitment[:, None], data.columns.shape["gen_on"]).copy()
    return ModelData(data.columns, data.lower, data.upper, integer, data.params, data.sets, data.dims,
                     data.needs_commitment)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("battery, shed, standby", [(True, True, True), (True, False, True), (False, True, True),
                                                    (True, True, False)])
def test_cuts_hold_at_the_optimum_of_the_full_model(seed, battery, shed, standby, flat_terms):
    """The optimum with on/off binary at every step (no cuts) satisfies every cut, and the strategy
    (binaries where needed, cuts added) reaches the same optimum; standby sets and sets that may run
    with the grid up."""
    problem = _outage_site(flat_terms, seed, battery=battery, shed=shed, standby=standby)
    data = _binary_everywhere(build_model_data(problem))
    form = compile_instance(data)
    full = run_highs(form, problem.options)
    assert full.status.has_solution
    rows, lower = outage_start_rows(data)
    assert len(lower) > 0
    assert np.all(rows @ full.x >= lower - 1e-6 * np.maximum(1.0, lower))
    result = solve(problem)
    assert result.objective_thb == pytest.approx(full.objective_thb, rel=1e-7, abs=1e-6)


def test_relaxation_pays_the_whole_start(flat_terms):
    """One 4 h night outage at 30 kW, no battery, no shedding, no demand charge: the generator must run, so
    the LP with the cut starts it once (120 THB) where the plain LP starts only the fraction 30/50."""
    problem = _outage_site(flat_terms, 0, n_t=24, battery=False, shed=False)
    outage = np.zeros(24, bool)
    outage[1:5] = True
    meter = replace(problem.meters[0], load_kw=np.full(24, 30.0), outage=outage, terms=flat_terms(np.full(24, 4.0)))
    problem = replace(problem, meters=[meter])
    data = build_model_data(problem)
    plain = compile_instance(data)
    cut = with_outage_start_cuts(data, plain)
    assert cut.row_families[-1][0] == FAMILY and cut.n_rows == plain.n_rows + 1
    start = data.columns.block("gen_start")
    x_plain = run_highs(plain, problem.options, relax=True).x
    x_cut = run_highs(cut, problem.options, relax=True).x
    assert x_plain[start].sum() == pytest.approx(30.0 / 50.0)
    assert x_cut[start].sum() == pytest.approx(1.0)


def test_no_cut_without_an_outage_or_when_the_battery_rides_through(flat_terms):
    problem = _outage_site(flat_terms, 1)
    meter = problem.meters[0]
    no_outage = replace(problem, meters=[replace(meter, outage=np.zeros(len(meter.load_kw), bool))])
    assert len(outage_start_rows(build_model_data(no_outage))[1]) == 0
    light = replace(problem, meters=[replace(meter, load_kw=np.full(len(meter.load_kw), 1.0))])
    assert len(outage_start_rows(build_model_data(light))[1]) == 0
