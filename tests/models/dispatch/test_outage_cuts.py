"""Outage start cuts: the energy bound by hand, validity on random instances, effect on the relaxation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from munigrid.models.dispatch import solve
from munigrid.models.dispatch.cuts import (FAMILY, largest_outage_energy, outage_start_rows, with_outage_start_cuts,
                                          without_cuts)
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


def _binary_everywhere(data: ModelData) -> ModelData:
    integer = dict(data.integer)
    integer["gen_on"] = np.broadcast_to(data.needs_commitment[:, None], data.columns.shape["gen_on"]).copy()
    return ModelData(data.columns, data.lower, data.upper, integer, data.params, data.sets, data.dims,
                     data.needs_commitment)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("battery, shed, standby", [(True, True, True), (True, False, True), (False, True, True),
                                                    (True, True, False)])
def test_cuts_hold_at_the_optimum_of_the_full_model(seed, battery, shed, standby, outage_site):
    """The optimum with on/off binary at every step (no cuts) satisfies every cut, and the strategy
    (binaries where needed, cuts added) reaches the same optimum; standby sets and sets that may run
    with the grid up."""
    problem = outage_site(seed, battery=battery, shed=shed, standby=standby)
    data = _binary_everywhere(build_model_data(problem))
    form = compile_instance(data)
    full = run_highs(form, problem.options)
    assert full.status.has_solution
    rows, lower = outage_start_rows(data)
    assert len(lower) > 0
    assert np.all(rows @ full.x >= lower - 1e-6 * np.maximum(1.0, lower))
    result = solve(problem)
    assert result.objective_thb == pytest.approx(full.objective_thb, rel=1e-7, abs=1e-6)


def test_relaxation_pays_the_whole_start(outage_site, flat_terms):
    """One 4 h night outage at 30 kW, no battery, no shedding, no demand charge: the generator must run, so
    the LP with the cut starts it once (120 THB) where the plain LP starts only the fraction 30/50."""
    problem = outage_site(0, n_t=24, battery=False, shed=False)
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


def test_no_cut_without_an_outage_or_when_the_battery_rides_through(outage_site):
    problem = outage_site(1)
    meter = problem.meters[0]
    no_outage = replace(problem, meters=[replace(meter, outage=np.zeros(len(meter.load_kw), bool))])
    assert len(outage_start_rows(build_model_data(no_outage))[1]) == 0
    light = replace(problem, meters=[replace(meter, load_kw=np.full(len(meter.load_kw), 1.0))])
    assert len(outage_start_rows(build_model_data(light))[1]) == 0


def test_diagnosis_names_model_rows_not_cuts(outage_site):
    """An outage the generator cannot cover without shedding, shedding not allowed and the critical load above
    the rating: infeasible, and the diagnosis names the model's families, never the cuts."""
    problem = outage_site(2, shed=False, battery=False)
    meter = problem.meters[0]
    problem = replace(problem, meters=[replace(meter, load_kw=meter.load_kw + 60.0)])
    result = solve(problem)
    assert result.status.value == "infeasible"
    assert result.diagnosis and not any(FAMILY in line for line in result.diagnosis)
    data = build_model_data(problem)
    plain = compile_instance(data)
    assert with_outage_start_cuts(data, plain).n_rows > plain.n_rows
    assert without_cuts(with_outage_start_cuts(data, plain)).n_rows == plain.n_rows
