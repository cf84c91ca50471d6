"""Fix-and-optimise MIP start: stretches by hand, feasibility and quality on random outage sites."""

from __future__ import annotations

import numpy as np
import pytest

from munigrid.models.dispatch import solve
from munigrid.models.dispatch.cuts import with_outage_start_cuts
from munigrid.models.dispatch.highs_backend import run_highs
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.neighbourhood import column_steps, neighbourhood_start, stretches
from munigrid.models.dispatch.standard_form import compile_instance
from munigrid.models.dispatch.strategy import _with_commitment


def test_stretches_pad_clip_and_merge():
    assert stretches(np.array([3, 4, 5, 20]), 2, 24) == [(1, 8), (18, 23)]
    assert stretches(np.array([0, 23]), 3, 24) == [(0, 4), (20, 24)]
    assert stretches(np.array([3, 8]), 2, 24) == [(1, 11)]  # (1, 6) and (6, 11) touch


def test_state_of_charge_belongs_to_the_step_before(outage_site):
    data = build_model_data(outage_site(0, n_t=24))
    meters, steps = column_steps(data)
    np.testing.assert_array_equal(steps[data.columns.block("soc_kwh")], np.arange(25) - 1)
    np.testing.assert_array_equal(steps[data.columns.block("gen_on")], np.arange(24))
    assert np.all(meters[data.columns.block("pv_kw")] == 0)
    assert np.all(steps[data.columns.block("battery_kwh")] == -1) and np.all(meters[data.columns.block("battery_kwh")] == -1)


def _milp(problem):
    data = build_model_data(problem)
    form = with_outage_start_cuts(data, compile_instance(data))
    lp = run_highs(form, problem.options, relax=True)
    data, _ = _with_commitment(data, lp.x)
    return data, with_outage_start_cuts(data, compile_instance(data)), lp


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("standby", [True, False])
def test_start_is_feasible_and_near_the_optimum(seed, standby, outage_site):
    """Standby sets (binaries in outages only) and sets allowed to run with the grid (binaries also in the
    demand windows, rounded first): the start satisfies every row, bound and integrality."""
    problem = outage_site(seed, n_t=48, standby=standby)
    data, form, lp = _milp(problem)
    if not form.integer.any():
        pytest.skip("the relaxation is integral on this instance")
    start = neighbourhood_start(data, form, lp.x, problem.options, time_limit_s=10.0)
    assert start is not None
    tol = 1e-6
    activity = form.matrix @ start
    assert np.all(activity >= form.row_lower - tol) and np.all(activity <= form.row_upper + tol)
    assert np.all(start >= form.col_lower - tol) and np.all(start <= form.col_upper + tol)
    np.testing.assert_allclose(start[form.integer], np.round(start[form.integer]), atol=1e-9)
    optimum = solve(problem).objective_thb
    assert optimum - 1e-6 <= form.objective(start) <= optimum * 1.05
